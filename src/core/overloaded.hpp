#pragma once
// std::visit helper: Overloaded{[](A&){...}, [](B&){...}}.
namespace ifq {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
}  // namespace ifq

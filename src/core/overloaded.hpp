#pragma once
// std::visit helper: Overloaded{[](A&){...}, [](B&){...}}.
namespace ifq {
template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
// Needed by clang 14 (the fuzzing and sanitizer builds), which lacks C++20's
// class template argument deduction for aggregates.
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;
}  // namespace ifq

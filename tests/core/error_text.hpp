#pragma once
// The message of the ifq::Error a call throws ("" when it throws none): tests
// check that bad input is refused with a message naming the problem.
#include <functional>
#include <string>

#include "ifq/error.hpp"

namespace ifq::testing {

inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace ifq::testing

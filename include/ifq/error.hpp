#pragma once
// Every library failure is an ifq::Error whose message names the problem
// (file, layer, key). The library never exits; tools catch and exit non-zero.
#include <stdexcept>
#include <string>

namespace ifq {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace ifq

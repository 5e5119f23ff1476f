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

// A library exception's text for a user: without nlohmann::json's
// "[json.exception.type_error.302] " tag (issue 15: about 50 messages
// carried it), the rest as it is.
inline std::string plain_message(const std::exception& e) {
  std::string m = e.what();
  if (m.rfind("[json.exception.", 0) == 0)
    if (const size_t end = m.find("] "); end != std::string::npos) m.erase(0, end + 2);
  return m;
}

}  // namespace ifq

#include "command_registry.hpp"

namespace ifq::cli {

std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}

}  // namespace ifq::cli

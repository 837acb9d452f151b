#include <fmt/format.h>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "util/error.h"

namespace jouleval::cli {

Command not_implemented_command(CLI::App& root, const std::string& name, const std::string& description) {
  Command command;
  command.app = root.add_subcommand(name, description + "\n(not implemented yet)");
  command.app->allow_extras();
  command.run = [name] {
    fmt::print(stderr, "jouleval {}: not implemented yet\n", name);
    return exit_code(util::ErrorKind::kUsage);
  };
  return command;
}

}  // namespace jouleval::cli

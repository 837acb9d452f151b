// `jouleval version`: jouleval's version, the llama.cpp revision, build type and compiled backends.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "engine/backend.h"
#include "util/build_info.h"
#include "util/json_text.h"

namespace jouleval::cli {

Command add_version_command(CLI::App& root) {
  Command command;
  command.app = root.add_subcommand(
      "version", "Print jouleval's version, the llama.cpp revision, the build type and the compiled backends.");
  auto json = std::make_shared<bool>(false);
  command.app->add_flag("--json", *json, "Print as JSON");
  command.run = [json] {
    namespace b = util::build;
    const auto backends = engine::compiled_backends();
    if (*json) {
      nlohmann::json j = {{"jouleval", b::kVersion},
                          {"llama_cpp", b::kLlamaRevision},
                          {"build_type", b::kBuildType},
                          {"compiler", b::kCompiler},
                          {"backends", backends}};
#ifdef JOULEVAL_HAVE_CUDA
      j["cuda_arch"] = b::kCudaArch;
#endif
      fmt::print("{}\n", util::json_text(j, 2));
      return 0;
    }
    fmt::print("jouleval {}\n", b::kVersion);
    fmt::print("llama.cpp {}\n", b::kLlamaRevision);
    fmt::print("build type {} ({})\n", b::kBuildType, b::kCompiler);
    fmt::print("backends {}\n", fmt::join(backends, ", "));
#ifdef JOULEVAL_HAVE_CUDA
    fmt::print("cuda architectures {}\n", b::kCudaArch);
#endif
    fmt::print("cpu features {}\n", engine::llama_system_info());
    return 0;
  };
  return command;
}

}  // namespace jouleval::cli

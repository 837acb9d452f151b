// `jouleval quantize`: converts a GGUF model to another precision via llama.cpp.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/progress.h"
#include "engine/quantize.h"
#include "sweep/model_source.h"
#include "util/file_hash.h"

namespace jouleval::cli {
namespace {

struct QuantizeArgs {
  engine::QuantizeOptions options;
  std::string input;
  std::string output;
  bool list = false;
  bool quiet = false;
};

void print_table() {
  fmt::print("{:<6} {:<8} {:>6}  {:<42} {}\n", "alias", "type", "bits", "weights", "activations at run time");
  for (const auto& p : engine::precision_table()) {
    fmt::print("{:<6} {:<8} {:>6.2f}  {:<42} {}\n", p.alias.empty() ? "-" : p.alias, p.type_name, p.bits_per_weight,
               p.weights, p.activations);
  }
  fmt::print(
      "\nbits = typical bits per weight of a whole 7B file. llama.cpp's quantized matmul kernels quantize the\n"
      "activations on the fly, per block, to Q8_0/Q8_1/Q8_K and use integer dot products: this is the\n"
      "study's \"dynamic quantization\". The KV cache (--kv f16|q8_0|q4_0) adds run-time quantization of the\n"
      "cached keys and values.\n");
}

}  // namespace

Command add_quantize_command(CLI::App& root) {
  Command command;
  command.app = root.add_subcommand(
      "quantize", "Quantize a GGUF model to another precision (fp16, int8, int4, ... or any GGUF type name).");
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* app = command.app;
  app->add_option("input", args->input, "Input GGUF model");
  app->add_option("-o,--output", args->output,
                  "Output GGUF file (written beside it under a temporary name, renamed when complete), with\n"
                  "a record OUTPUT.source.json of its source: `run` and `sweep` store it as the source's model\n"
                  "at its precision (docs/sweep.md)");
  app->add_flag("-f,--force", args->options.overwrite, "Replace the output file if it exists");
  app->add_option("-t,--type", args->options.type,
                  "fp32 fp16 bf16 int8 int6 int5 int4, or a GGUF type (Q4_0, Q5_K_S, ...)");
  app->add_option("--threads", args->options.threads, "Threads (0 = all)")->capture_default_str();
  app->add_flag("--list", args->list, "Print the precisions and what they mean at run time");
  app->add_flag("-q,--quiet", args->quiet, "No progress display");
  command.run = [args] {
    if (args->list) {
      print_table();
      return 0;
    }
    if (args->input.empty() || args->output.empty() || args->options.type.empty()) {
      fmt::print(stderr, "jouleval quantize: needs INPUT, -o OUTPUT and --type (see --list)\n");
      return 2;
    }
    args->options.input = args->input;
    args->options.output = args->output;
    const bool interactive = isatty(STDERR_FILENO) == 1;
    engine::ProgressFn progress;
    if (!args->quiet) progress = byte_progress("quantize", interactive);
    const engine::QuantizeResult r = engine::quantize(args->options, progress);
    if (!args->quiet) finish_byte_progress(interactive);
    // Written last, replacing the record of a file replaced with -f: the output keeps its source's
    // identity in `run` and `sweep` (docs/sweep.md "Quantized files keep their source's identity").
    sweep::write_made_from(args->output, args->input, util::sha256_file(args->input), r.precision.type_name);
    fmt::print("wrote {}: {} -> {} ({:.1f} MiB -> {:.1f} MiB) in {:.1f} s\n", args->output, r.source_type,
               r.precision.type_name, r.input_bytes / 1048576.0, r.output_bytes / 1048576.0, r.seconds);
    return 0;
  };
  return command;
}

}  // namespace jouleval::cli

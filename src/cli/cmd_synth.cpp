// `jouleval synth`: writes a GGUF model with random weights of a real architecture and tokenizer.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/progress.h"
#include "engine/synth.h"

namespace jouleval::cli {
namespace {

struct SynthArgs {
  engine::SynthOptions options;
  std::string output;
  bool list = false;
  bool quiet = false;
};

void print_presets() {
  fmt::print("{:<14} {:<6} {:>6} {:>6} {:>6} {:>8} {:>7} {:>9} {:>5}  {}\n", "preset", "arch", "layers", "hidden",
             "heads", "kv-heads", "ffn", "rope", "tied", "source");
  for (const auto& p : engine::synth_presets()) {
    fmt::print("{:<14} {:<6} {:>6} {:>6} {:>6} {:>8} {:>7} {:>9g} {:>5}  {}\n", p.preset, p.architecture, p.n_layer,
               p.n_embd, p.n_head, p.n_head_kv, p.n_ff, p.rope_theta, p.tied_embeddings ? "yes" : "no", p.source);
  }
}

}  // namespace

Command add_synth_command(CLI::App& root) {
  Command command;
  command.app = root.add_subcommand("synth",
                                    "Write a GGUF model with random weights of a real architecture and a real "
                                    "tokenizer (for cost and speed studies).");
  auto args = std::make_shared<SynthArgs>();
  CLI::App* app = command.app;
  app->add_option("--preset", args->options.preset,
                  "Shape: tiny, tiny-llama, qwen2.5-0.5b, qwen2.5-1.5b, qwen2.5-7b, llama-3-8b, mistral-7b")
      ->capture_default_str();
  app->add_option("--type", args->options.weight_type, "Weight type: f32, f16 or bf16")->capture_default_str();
  app->add_option("--seed", args->options.seed, "Seed of the weights")->capture_default_str();
  app->add_option("--init-scale", args->options.init_scale, "Standard deviation of the weights")->capture_default_str();
  app->add_option("--threads", args->options.threads, "Threads (0 = all)")->capture_default_str();
  app->add_option("-o,--output", args->output,
                  "Output GGUF file (written beside it under a temporary name, renamed when complete)");
  app->add_flag("-f,--force", args->options.overwrite, "Replace the output file if it exists");
  app->add_flag("--list", args->list, "List the presets and exit");
  app->add_flag("-q,--quiet", args->quiet, "No progress display");
  command.run = [args] {
    if (args->list) {
      print_presets();
      return 0;
    }
    args->options.output = args->output;
    const bool interactive = isatty(STDERR_FILENO) == 1;
    engine::ProgressFn progress;
    if (!args->quiet) progress = byte_progress("synth", interactive);
    const engine::SynthResult r = engine::synthesize(args->options, progress);
    if (!args->quiet) finish_byte_progress(interactive);
    fmt::print("wrote {}: {} ({} layers, hidden {}, vocab {}), {:.3f} B parameters, {} weights, {:.1f} MiB, {:.1f} s\n",
               args->output, r.shape.preset, r.shape.n_layer, r.shape.n_embd, r.n_vocab, r.n_params / 1e9,
               args->options.weight_type, r.file_bytes / 1048576.0, r.seconds);
    fmt::print("note: random weights; accuracy on any benchmark is chance level\n");
    return 0;
  };
  return command;
}

}  // namespace jouleval::cli

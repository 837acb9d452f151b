// Synthetic models shared by the engine tests: synthesized once into the build tree (test-models/)
// and reused by every test process; written under a unique name and renamed, so parallel test
// processes never see a partial file.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "engine/model.h"
#include "engine/synth.h"

namespace jouleval::engine::testing {

inline std::filesystem::path test_model_dir() {
  const std::filesystem::path dir = std::filesystem::path(JOULEVAL_BINARY_DIR) / "test-models";
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::filesystem::path synth_model(const std::string& preset, const std::string& type) {
  // The shape is part of the name, so a changed preset never reuses a stale file.
  const SynthShape& shape = find_synth_preset(preset);
  const std::string stem = preset + "-" + type + "-" + std::to_string(shape.n_layer) + "x" +
                           std::to_string(shape.n_embd) + "h" + std::to_string(shape.n_head) + "k" +
                           std::to_string(shape.n_head_kv);
  const std::filesystem::path path = test_model_dir() / (stem + ".gguf");
  if (std::filesystem::exists(path)) return path;
  SynthOptions o;
  o.preset = preset;
  o.weight_type = type;
  o.seed = 7;
  o.output = test_model_dir() / (stem + "." + std::to_string(::getpid()) + ".gguf");
  synthesize(o);
  std::filesystem::rename(o.output, path);
  return path;
}

inline std::filesystem::path tiny_model() { return synth_model("tiny", "f16"); }

inline ModelOptions cpu_options(int32_t context = 1024, int32_t sequences = 32) {
  ModelOptions o;
  o.placement = Placement::parse("cpu");
  o.threads = 1;  // robust on shared CI cores: no OpenMP barrier spinning against other jobs
  o.context_size = context;
  o.max_sequences = sequences;
  return o;
}

}  // namespace jouleval::engine::testing

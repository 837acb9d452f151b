// A loaded GGUF model with its inference context, and the three operations jouleval needs:
// batched loglikelihood, batched greedy generation, and a synchronisation point for measurement
// windows. Owns the llama_model, llama_context and batches (RAII); not thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/evaluator.h"
#include "engine/host.h"
#include "engine/limits.h"
#include "engine/requests.h"

namespace jouleval::engine {

// Where the layers run: all on the GPU(s) llama.cpp sees, all on the CPU, the first N layers on the
// GPU(s), or all on the GPUs listed (indices within the visible GPUs, in CUDA's order: what
// CUDA_VISIBLE_DEVICES leaves, docs/engine.md "Placement"), split by layers, rows or tensors.
struct Placement {
  enum class Kind { kGpu, kCpu, kPartial, kGpus } kind = Kind::kGpu;
  // kGpus with two or more GPUs: llama.cpp's LLAMA_SPLIT_MODE_LAYER, _ROW, _TENSOR.
  enum class Split { kLayer, kRow, kTensor } split = Split::kLayer;
  int32_t gpu_layers = 0;     // for kPartial
  std::vector<int32_t> gpus;  // for kGpus: distinct visible-GPU indices, the first is the main GPU

  // Parses "gpu", "cpu", "partial:N" or "gpus:I[,I...][:layer|:row|:tensor]" (layer is the default split
  // and is not written by to_string; a split needs two or more GPUs); throws util::Error (kUsage)
  // naming the placement otherwise.
  static Placement parse(const std::string& text);
  // The canonical text: parse(p.to_string()) == p, and equal placements have equal texts.
  std::string to_string() const;
  // Every layer on a GPU (gpu or gpus:...).
  bool all_on_gpu() const { return kind == Kind::kGpu || kind == Kind::kGpus; }
  // "layer", "row" or "tensor".
  static const char* split_name(Split split);
};

enum class FlashAttention { kAuto, kOn, kOff };

// Why Model::generate refuses to run with `placement`, or empty when it runs: llama.cpp's tensor
// parallelism (gpus:I,J:tensor) killed the process (CUDA "illegal instruction") in the generation
// context at the pinned revision, on two H200s (docs/engine.md "Placement"); scoring works with it.
std::string generation_refusal(const Placement& placement);

// Where generation takes the argmax of each sequence's logits (docs/engine.md "Argmax on the
// device"): on the device, through llama.cpp's backend sampling (one argmax per micro-batch,
// engine/batch_argmax.h; the logits then stay on the device), or on the host. kAuto: the environment
// variable JOULEVAL_DEVICE_ARGMAX (on, off or auto) when set, else the device when every layer is on
// one GPU (measured faster there) and the host otherwise (the CPU: the logits are in host memory
// already; several GPUs: not measured with it); Model::load refuses any other value of the
// variable (kUsage).
enum class DeviceArgmax { kAuto, kOn, kOff };

// Ranges: engine/limits.h; Model::load refuses other values (kUsage) before llama.cpp sees them.
struct ModelOptions {
  Placement placement;          // partial:N needs N <= the model's layers
  int32_t threads = 0;          // 0 = number of physical cores; else 1..kMaxThreads
  int32_t context_size = 4096;  // tokens of KV cache in all (shared by all sequences); 0 = training context
  // Tokens per decode call (logical batch) and per device micro-batch; 0 = chosen at load: 4096 and
  // 2048 with placement gpu when the GPU and the host have room for them, else 2048 and 512.
  // ubatch_size <= batch_size and max_sequences <= batch_size when given.
  int32_t batch_size = 0;
  int32_t ubatch_size = 0;
  int32_t max_sequences = 0;  // parallel sequences (n_seq_max); 0 = kDefaultSequences, at most the batch
  int32_t scoring_lanes = 0;  // scoring contexts taking turns on packs (0 = 2 on `gpu`, else 1)
  // Make the scoring lanes and full-size output buffers at load rather than on first use. Always
  // done with placement gpu (pinned buffers are slow to grow); elsewhere it costs a batch of decoding.
  bool prepare_at_load = false;
  std::string kv_type = "f16";  // f16 | q8_0 | q4_0
  FlashAttention flash_attention = FlashAttention::kAuto;
  DeviceArgmax device_argmax = DeviceArgmax::kAuto;  // generation only; the host when unavailable
  uint32_t seed = 0;                                 // unused by greedy decoding; recorded
};

// How generation runs: where it takes the argmax (ModelOptions::device_argmax resolved; llama.cpp
// may still fall back to the host) and the scheduling that only the A/B switches
// JOULEVAL_PREFILL_BLOCKS / JOULEVAL_MOVE_SEQUENCES turn off (docs/engine.md). On a GPU these change
// which tokens greedy decoding picks (docs/engine.md "Reproducibility on a GPU"), so a generation
// cell records them and a sweep refuses to add to a cell stored with others.
struct GenerationSettings {
  bool argmax_on_device = false;
  bool prefill_blocks = true;
  bool move_sequences = true;

  bool operator==(const GenerationSettings&) const = default;
};

// The settings Model::load gives a model loaded with `options` in this process's environment
// (JOULEVAL_DEVICE_ARGMAX, JOULEVAL_PREFILL_BLOCKS, JOULEVAL_MOVE_SEQUENCES). Throws util::Error
// (kUsage) naming the variable when one holds another value than on, off (or auto, for the argmax).
GenerationSettings generation_settings(const ModelOptions& options);

// What the model is, for reports and the store.
struct ModelInfo {
  std::filesystem::path path;
  std::string architecture;               // general.architecture
  std::string name;                       // general.name, else the file stem
  std::string file_type;                  // e.g. "F16", "Q8_0", "Q4_K_M" (from llama_model_desc / ftype)
  std::vector<std::string> weight_types;  // distinct ggml types of the weight tensors
  uint64_t size_bytes = 0;                // llama_model_size
  uint64_t n_params = 0;                  // llama_model_n_params
  int32_t n_layers = 0;
  int32_t n_ctx_train = 0;
  int32_t n_ctx = 0;      // context size in use (KV cells shared by all sequences; llama.cpp pads to 256)
  int32_t n_seq_max = 0;  // parallel sequences
  int32_t n_batch = 0;    // tokens per decode call in use
  int32_t n_ubatch = 0;   // tokens per device micro-batch in use
  int32_t threads = 0;    // CPU threads in use
  int32_t n_vocab = 0;
  bool add_bos = false;
  double load_seconds = 0.0;
  uint64_t peak_gpu_memory_bytes = 0;  // 0 when no GPU is used or it cannot be read
  uint64_t kv_bytes_per_token = 0;     // K and V of one token in every layer, at the KV cache type
  GenerationSettings generation;       // generation_settings(options) at load
  // The GPUs the model's layers are on (none with placement cpu), in the order llama.cpp uses them:
  // for the energy meter to meter exactly these (docs/energy.md "Which GPUs are metered").
  std::vector<GpuDevice> gpus;
};

class Model : public Evaluator {
 public:
  // Loads `path` with `options`. Throws util::Error: kUsage naming the option and its range when an
  // option is outside engine/limits.h (or partial:N exceeds the layers); kUnavailable naming the
  // GPUs found when a gpu placement names a GPU that is not there (or no GPU is there); kBadInput naming the file
  // when it cannot be read or its metadata breaks a rule of validate_gguf ("<file>: GGUF key '<key>':
  // <what>"); kUnavailable naming the model and the memory it needs when it does not fit.
  static std::unique_ptr<Model> load(const std::filesystem::path& path, const ModelOptions& options);
  ~Model() override;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelInfo& info() const;
  const ModelOptions& options() const;

  // Batched scoring (docs/engine.md "Batched loglikelihood"); results in the order of `requests`. Identical, up to
  // floating point noise, to scoring each request alone.
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& requests,
                                                 const ProgressFn& progress = {}) override;

  // Batched greedy generation, one sequence per prompt; results in the order of `requests`.
  std::vector<GenerationResult> generate(const std::vector<GenerationRequest>& requests,
                                         const ProgressFn& progress = {}) override;

  // Makes the generation context that generate() would make for `requests` (as many sequences and
  // KV cells per sequence as it will want for them, or fewer where memory does not allow), so that
  // the allocation happens before a measured window; generate() keeps a context made so. Does
  // nothing with a placement that generate() refuses; throws util::Error only as generate() would.
  void prepare_generation(const std::vector<GenerationRequest>& requests) override;

  // Tokenisation with this model's vocabulary (add_special: BOS per model metadata).
  std::vector<int32_t> tokenize(const std::string& text, bool add_special) const;

  // Waits until the backend has finished all submitted work (edge of a measurement window).
  void synchronize() override;

  // Work done since construction or the last reset.
  WorkCounters counters() const override;
  void reset_counters() override;

  // The scheduling steps of every generate() call since the last take, in order; clears them.
  std::vector<GenerationStep> take_generation_steps() override;

  // Current GPU memory in use by this process as seen by the backend, when known.
  std::optional<uint64_t> gpu_memory_used() const;

  // The engine's internals (engine/model_impl.h, which only the engine layer includes); named here
  // so that the engine's own source files can hand them to their helper functions.
  struct Impl;

 private:
  friend class ModelTestPeer;  // tests: reaches Impl's test hooks (engine/model_impl.h)
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jouleval::engine

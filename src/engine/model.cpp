#include "engine/model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "engine/backend.h"
#include "engine/gguf_info.h"
#include "engine/gguf_validate.h"
#include "engine/host.h"
#include "engine/limits.h"
#include "engine/model_impl.h"
#include "engine/quantize.h"
#include "engine/vocab.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

ggml_type kv_cache_type(const std::string& name) {
  if (name == "f16") return GGML_TYPE_F16;
  if (name == "q8_0") return GGML_TYPE_Q8_0;
  if (name == "q4_0") return GGML_TYPE_Q4_0;
  throw util::Error(fmt::format("kv cache type '{}': expected f16, q8_0 or q4_0", name), util::ErrorKind::kUsage);
}

llama_flash_attn_type flash_type(FlashAttention fa) {
  switch (fa) {
    case FlashAttention::kOn:
      return LLAMA_FLASH_ATTN_TYPE_ENABLED;
    case FlashAttention::kOff:
      return LLAMA_FLASH_ATTN_TYPE_DISABLED;
    case FlashAttention::kAuto:
      break;
  }
  return LLAMA_FLASH_ATTN_TYPE_AUTO;
}

// Fraction of the layers that the placement puts on the GPU.
double gpu_fraction(const Placement& p, int32_t n_layers) {
  switch (p.kind) {
    case Placement::Kind::kGpu:
    case Placement::Kind::kGpus:
      return 1.0;
    case Placement::Kind::kCpu:
      return 0.0;
    case Placement::Kind::kPartial:
      return n_layers <= 0 ? 1.0 : std::min(1.0, static_cast<double>(p.gpu_layers) / n_layers);
  }
  return 0.0;
}

uint64_t kv_cache_bytes(const GgufSummary& s, int32_t n_ctx, ggml_type type) {
  if (s.n_head <= 0) return 0;
  const int64_t n_embd_kv = s.n_embd / s.n_head * s.n_head_kv;
  const double bytes_per = static_cast<double>(ggml_type_size(type)) / static_cast<double>(ggml_blck_size(type));
  return static_cast<uint64_t>(2.0 * s.n_layers * static_cast<double>(n_ctx) * static_cast<double>(n_embd_kv) *
                               bytes_per);
}

// The GPUs `p` puts layers on: none for cpu, every GPU llama.cpp sees for gpu and partial:N, the
// listed ones for gpus:... Throws util::Error (kUnavailable) naming `path`, the placement and the
// GPUs found when a listed GPU is not there.
std::vector<GpuDevice> placement_gpus(const std::filesystem::path& path, const Placement& p) {
  if (p.kind == Placement::Kind::kCpu) return {};
  std::vector<GpuDevice> found = gpu_devices();
  if (p.kind != Placement::Kind::kGpus) return found;
  std::vector<GpuDevice> chosen;
  std::vector<int32_t> missing;
  for (int32_t i : p.gpus) {
    if (i >= 0 && static_cast<size_t>(i) < found.size())
      chosen.push_back(found[static_cast<size_t>(i)]);
    else
      missing.push_back(i);
  }
  if (!missing.empty()) {
    const char* cvd = std::getenv("CUDA_VISIBLE_DEVICES");
    throw util::Error(
        fmt::format("{}: placement {}: no GPU {} here: {} GPU(s) found{} ({}); GPUs are numbered from 0 among the "
                    "visible ones, in CUDA's order (CUDA_VISIBLE_DEVICES {}; backends: {})",
                    path.string(), p.to_string(), fmt::join(missing, ", "), found.size(), found.empty() ? "" : ":",
                    describe_gpus(found), cvd == nullptr ? "unset" : fmt::format("'{}'", cvd),
                    fmt::join(compiled_backends(), ", ")),
        util::ErrorKind::kUnavailable);
  }
  return chosen;
}

struct BatchSizes {
  int32_t batch = 0;
  int32_t ubatch = 0;
};

// Refuses, naming the file and the memory needed, a model that does not fit: the weights and the
// KV cache split between GPU and host by the placement's fraction of layers, plus for every scoring
// lane a compute buffer of about two logits rows per micro-batch token (on the GPU with every layer
// there, else on the host) and a host output buffer of one logits row per batch token.
void check_memory(const std::filesystem::path& path, const GgufSummary& s, const ModelOptions& o, int32_t n_ctx,
                  const BatchSizes& sizes, int32_t lanes, const std::vector<GpuDevice>& gpus) {
  const double frac = gpu_fraction(o.placement, s.n_layers);
  const uint64_t kv = kv_cache_bytes(s, n_ctx, kv_cache_type(o.kv_type));
  const double row = 4.0 * static_cast<double>(s.n_vocab);
  const double compute = lanes * 2.0 * row * std::min(sizes.ubatch, n_ctx);
  const double outputs = lanes * row * std::min(sizes.batch, n_ctx);
  if (frac > 0.0) {
    if (gpus.empty()) {
      throw util::Error(fmt::format("{}: placement {} needs a GPU, but this build/machine has none (backends: {}); use "
                                    "--placement cpu",
                                    path.string(), o.placement.to_string(), fmt::join(compiled_backends(), ", ")),
                        util::ErrorKind::kUnavailable);
    }
    uint64_t free = 0;
    for (const auto& g : gpus) free += g.free_bytes;
    const auto need = static_cast<uint64_t>(frac * static_cast<double>(s.file_size + kv));
    if (need > free) {
      throw util::Error(fmt::format("{}: does not fit on the GPU: needs about {} (weights {} + KV cache {} for {} "
                                    "tokens, placement {}), but only {} is free on {}",
                                    path.string(), format_bytes(need),
                                    format_bytes(static_cast<uint64_t>(frac * static_cast<double>(s.file_size))),
                                    format_bytes(static_cast<uint64_t>(frac * static_cast<double>(kv))), n_ctx,
                                    o.placement.to_string(), format_bytes(free),
                                    gpus.size() == 1 ? gpus.front().description : describe_gpus(gpus)),
                        util::ErrorKind::kUnavailable);
    }
  }
  const uint64_t host_avail = available_host_memory();
  const auto host_need = static_cast<uint64_t>((1.0 - frac) * static_cast<double>(s.file_size + kv) + outputs +
                                               (frac < 1.0 ? compute : 0.0));
  if (host_avail > 0 && host_need > host_avail) {
    throw util::Error(
        fmt::format("{}: does not fit in host memory: needs about {} (placement {}, {} KV cells, batch {} / {} with "
                    "{} lane(s)), but only {} is available",
                    path.string(), format_bytes(host_need), o.placement.to_string(), n_ctx, sizes.batch, sizes.ubatch,
                    lanes, format_bytes(host_avail)),
        util::ErrorKind::kUnavailable);
  }
}

// The scoring lanes `o` asks for: its own count, else 2 with every layer on the GPU and 1 otherwise
// (with layers on the CPU, a second lane's decode would compete with the first one's CPU threads).
int32_t wanted_scoring_lanes(const ModelOptions& o) {
  const int32_t wanted = o.scoring_lanes > 0 ? o.scoring_lanes : (o.placement.all_on_gpu() ? 2 : 1);
  return std::clamp(wanted, 1, kMaxScoringLanes);
}

// The batch sizes of `o`, its zeros chosen: the large pair with every layer on the GPU when the GPU
// (after the weights) and the host have room for every lane's KV cache, compute buffer and pinned
// logits buffer at those sizes, with margins; else the small pair (llama.cpp's own defaults).
BatchSizes choose_batch_sizes(const ModelOptions& o, const GgufSummary& s, int32_t n_vocab, int32_t n_ctx,
                              const std::vector<GpuDevice>& gpus) {
  constexpr BatchSizes kSmall{2048, 512};
  constexpr BatchSizes kLarge{4096, 2048};
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  BatchSizes pick = kSmall;
  if (o.placement.all_on_gpu() && (o.batch_size <= 0 || o.ubatch_size <= 0)) {
    const double lanes = wanted_scoring_lanes(o);
    const double row = 4.0 * n_vocab;  // one row of logits (floats)
    // The compute buffer holds about two rows per micro-batch token (measured at 7B: 1.45 GB more
    // per lane going from 512 to 2048 with 151,936 tokens of vocabulary).
    const double gpu_need =
        lanes * (static_cast<double>(kv_cache_bytes(s, n_ctx, kv_cache_type(o.kv_type))) + 2.0 * row * kLarge.ubatch) +
        2.0 * kGiB;
    const double host_need = lanes * row * kLarge.batch + 4.0 * kGiB;
    uint64_t gpu_free = 0;
    for (const auto& g : gpus) gpu_free += g.free_bytes;
    const uint64_t host_free = available_host_memory();
    if (static_cast<double>(gpu_free) >= gpu_need && static_cast<double>(host_free) >= host_need) pick = kLarge;
  }
  BatchSizes out;
  out.batch = o.batch_size > 0 ? o.batch_size : std::max(pick.batch, o.ubatch_size);
  out.ubatch = o.ubatch_size > 0 ? o.ubatch_size : std::min(pick.ubatch, out.batch);
  out.ubatch = std::min(out.ubatch, out.batch);
  return out;
}

// A context for `model`, always with causal attention: jouleval scores next-token probabilities, and
// llama.cpp asserts (n_ubatch >= n_tokens) on any batch larger than a micro-batch in a context that
// attends both ways (architectures it runs non-causally by default). Null when llama.cpp refuses.
llama_context* make_context(llama_model* model, const llama_context_params& params) {
  llama_context* ctx = llama_init_from_model(model, params);
  if (ctx != nullptr) llama_set_causal_attn(ctx, true);
  return ctx;
}

// options.device_argmax, where kAuto gives way to JOULEVAL_DEVICE_ARGMAX=on|off (docs/engine.md
// "Batched generation"; for A/B measurements without a rebuild). Throws util::Error (kUsage) naming
// the variable for any other value.
DeviceArgmax resolve_device_argmax(DeviceArgmax option) {
  const char* env = std::getenv("JOULEVAL_DEVICE_ARGMAX");
  if (option != DeviceArgmax::kAuto || env == nullptr || *env == '\0') return option;
  const std::string value = env;
  if (value == "on") return DeviceArgmax::kOn;
  if (value == "off") return DeviceArgmax::kOff;
  if (value == "auto") return DeviceArgmax::kAuto;
  throw util::Error(fmt::format("JOULEVAL_DEVICE_ARGMAX '{}': expected on, off or auto", value),
                    util::ErrorKind::kUsage);
}

// A scheduling switch from the environment (on, off; unset or empty: on), for A/B measurements
// without a rebuild. Throws util::Error (kUsage) naming the variable for any other value.
bool resolve_switch(const char* name) {
  const char* env = std::getenv(name);
  if (env == nullptr || *env == '\0') return true;
  const std::string value = env;
  if (value == "on") return true;
  if (value == "off") return false;
  throw util::Error(fmt::format("{} '{}': expected on or off", name, value), util::ErrorKind::kUsage);
}

// Refuses options outside engine/limits.h (docs/engine.md "Limits") before any file is read.
void check_options(const ModelOptions& o) {
  const auto check = [](const char* name, int32_t v, int32_t lo, int32_t hi, const char* zero, const char* why) {
    if (v == 0 && zero != nullptr) return;
    if (v >= lo && v <= hi) return;
    throw util::Error(
        fmt::format("{} {}: must be {}{} to {}{}", name, v, zero ? fmt::format("0 ({}) or ", zero) : "", lo, hi, why),
        util::ErrorKind::kUsage);
  };
  check("context_size", o.context_size, kMinContextSize, kMaxContextSize, "the model's training context",
        " (llama.cpp allocates the KV cache in blocks of 256 cells)");
  check("batch_size", o.batch_size, kMinBatchSize, kMaxBatchSize, "chosen at load", "");
  check("ubatch_size", o.ubatch_size, kMinUbatchSize, kMaxUbatchSize, "chosen at load", "");
  check("max_sequences", o.max_sequences, kMinSequences, kMaxSequences, "the default",
        " (sequence 0 holds the few-shot preamble; llama.cpp allows 256)");
  check("threads", o.threads, 1, kMaxThreads, "the physical cores", " (the size of ggml's thread pool)");
  check("scoring_lanes", o.scoring_lanes, 1, kMaxScoringLanes, "automatic", "");
  if (o.batch_size > 0 && o.ubatch_size > o.batch_size) {
    throw util::Error(fmt::format("ubatch_size {} is larger than batch_size {}: a micro-batch is a part of a batch",
                                  o.ubatch_size, o.batch_size),
                      util::ErrorKind::kUsage);
  }
  if (o.batch_size > 0 && o.max_sequences > o.batch_size) {
    throw util::Error(fmt::format("max_sequences {} is larger than batch_size {}: llama.cpp reserves one output per "
                                  "sequence in every batch; lower max_sequences or raise batch_size",
                                  o.max_sequences, o.batch_size),
                      util::ErrorKind::kUsage);
  }
  kv_cache_type(o.kv_type);
}

}  // namespace

GenerationSettings generation_settings(const ModelOptions& options) {
  GenerationSettings g;
  switch (resolve_device_argmax(options.device_argmax)) {
    case DeviceArgmax::kOn:
      g.argmax_on_device = true;
      break;
    case DeviceArgmax::kOff:
      g.argmax_on_device = false;
      break;
    case DeviceArgmax::kAuto: {
      // Every layer on one GPU: the device (docs/engine.md "Argmax on the device": faster at 256
      // sequences on an H200). Layers split over several GPUs (not measured with it) and the CPU,
      // where the logits are already: the host.
      const Placement& p = options.placement;
      const size_t gpus = p.kind == Placement::Kind::kGpus  ? p.gpus.size()
                          : p.kind == Placement::Kind::kGpu ? gpu_devices().size()
                                                            : 0;
      g.argmax_on_device = p.all_on_gpu() && gpus == 1;
      break;
    }
  }
  g.prefill_blocks = resolve_switch("JOULEVAL_PREFILL_BLOCKS");
  g.move_sequences = resolve_switch("JOULEVAL_MOVE_SEQUENCES");
  return g;
}

namespace {

// A non-negative decimal number below `limit`, the whole of `text`.
std::optional<int32_t> parse_index(std::string_view text, int32_t limit) {
  int32_t value = -1;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || value < 0 || value >= limit)
    return std::nullopt;
  return value;
}

llama_split_mode llama_split(Placement::Split split) {
  switch (split) {
    case Placement::Split::kRow:
      return LLAMA_SPLIT_MODE_ROW;
    case Placement::Split::kTensor:
      return LLAMA_SPLIT_MODE_TENSOR;
    case Placement::Split::kLayer:
      break;
  }
  return LLAMA_SPLIT_MODE_LAYER;
}

// llama.cpp splits rows through a backend's split buffer type; its CUDA backend no longer has one at
// the pinned revision (tensor parallelism, LLAMA_SPLIT_MODE_TENSOR, took its place). Refused here
// with the way out, rather than as an unreadable model.
void require_row_split(const Placement& placement, ggml_backend_dev_t device) {
  ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(device);
  if (ggml_backend_reg_get_proc_address(reg, "ggml_backend_split_buffer_type") != nullptr) return;
  Placement tensor = placement;
  tensor.split = Placement::Split::kTensor;
  Placement layer = placement;
  layer.split = Placement::Split::kLayer;
  throw util::Error(
      fmt::format("placement {}: llama.cpp's {} backend has no row split at this revision; use {} "
                  "(tensor parallelism) or {} (layers)",
                  placement.to_string(), ggml_backend_reg_name(reg), tensor.to_string(), layer.to_string()),
      util::ErrorKind::kUnavailable);
}

}  // namespace

Placement Placement::parse(const std::string& text) {
  Placement p;
  if (text == "gpu") return p;
  if (text == "cpu") {
    p.kind = Kind::kCpu;
    return p;
  }
  constexpr std::string_view kPrefix = "partial:";
  if (text.rfind(kPrefix, 0) == 0) {
    if (auto n = parse_index(std::string_view(text).substr(kPrefix.size()), INT32_MAX)) {
      p.kind = Kind::kPartial;
      p.gpu_layers = *n;
      return p;
    }
  }
  constexpr std::string_view kGpus = "gpus:";
  if (text.rfind(kGpus, 0) == 0) {
    std::string_view rest = std::string_view(text).substr(kGpus.size());
    std::optional<Split> split;
    if (const size_t colon = rest.find(':'); colon != std::string_view::npos) {
      const std::string_view mode = rest.substr(colon + 1);
      if (mode == "layer") {
        split = Split::kLayer;
      } else if (mode == "row") {
        split = Split::kRow;
      } else if (mode == "tensor") {
        split = Split::kTensor;
      } else {
        throw util::Error(fmt::format("placement '{}': unknown split '{}': expected layer, row or tensor", text, mode),
                          util::ErrorKind::kUsage);
      }
      rest = rest.substr(0, colon);
    }
    p.kind = Kind::kGpus;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      const auto index = parse_index(item, kMaxGpus);
      if (!index) {
        throw util::Error(fmt::format("placement '{}': '{}' is not a GPU index (0 to {}, counted among the visible "
                                      "GPUs)",
                                      text, item, kMaxGpus - 1),
                          util::ErrorKind::kUsage);
      }
      if (std::find(p.gpus.begin(), p.gpus.end(), *index) != p.gpus.end()) {
        throw util::Error(fmt::format("placement '{}': GPU {} is listed twice", text, *index), util::ErrorKind::kUsage);
      }
      p.gpus.push_back(*index);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    if (split && p.gpus.size() < 2) {
      throw util::Error(fmt::format("placement '{}': a split ({}) needs two or more GPUs", text, split_name(*split)),
                        util::ErrorKind::kUsage);
    }
    p.split = split.value_or(Split::kLayer);
    return p;
  }
  throw util::Error(fmt::format("placement '{}': expected gpu, cpu, partial:N (N = layers on the GPU) or "
                                "gpus:I[,I...][:layer|:row|:tensor] (visible GPU indices, e.g. gpus:0,1:tensor)",
                                text),
                    util::ErrorKind::kUsage);
}

const char* Placement::split_name(Split split) {
  switch (split) {
    case Split::kRow:
      return "row";
    case Split::kTensor:
      return "tensor";
    case Split::kLayer:
      break;
  }
  return "layer";
}

std::string Placement::to_string() const {
  switch (kind) {
    case Kind::kGpu:
      return "gpu";
    case Kind::kCpu:
      return "cpu";
    case Kind::kPartial:
      return fmt::format("partial:{}", gpu_layers);
    case Kind::kGpus:
      return fmt::format("gpus:{}{}{}", fmt::join(gpus, ","), split == Split::kLayer ? "" : ":",
                         split == Split::kLayer ? "" : split_name(split));
  }
  return "?";
}

std::string generation_refusal(const Placement& placement) {
  if (placement.kind != Placement::Kind::kGpus || placement.split != Placement::Split::kTensor) return "";
  Placement layer = placement;
  layer.split = Placement::Split::kLayer;
  return fmt::format(
      "placement {}: generation is not run with llama.cpp's tensor parallelism at this revision "
      "(it crashed the process on the GPU: CUDA illegal instruction); use {} (layers) for "
      "generation tasks",
      placement.to_string(), layer.to_string());
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

std::unique_ptr<Model> Model::load(const std::filesystem::path& path, const ModelOptions& options) {
  ensure_backend();
  check_options(options);
  const GgufSummary summary = read_gguf_summary(path);
  validate_gguf(path);  // llama.cpp aborts on some broken metadata instead of returning an error
  if (options.placement.kind == Placement::Kind::kPartial && options.placement.gpu_layers > summary.n_layers) {
    throw util::Error(fmt::format("placement {}: {} has {} layers; N must be 0 to {}", options.placement.to_string(),
                                  path.string(), summary.n_layers, summary.n_layers),
                      util::ErrorKind::kUsage);
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->info.generation = generation_settings(options);
  const ggml_type kv_type = kv_cache_type(options.kv_type);
  const int32_t n_ctx_wanted =
      options.context_size > 0 ? options.context_size
                               : static_cast<int32_t>(std::clamp<int64_t>(summary.n_ctx_train, 512, kMaxContextSize));
  const std::vector<GpuDevice> gpus = placement_gpus(path, options.placement);
  const BatchSizes sizes =
      choose_batch_sizes(options, summary, static_cast<int32_t>(summary.n_vocab), n_ctx_wanted, gpus);
  // llama.cpp caps the batch at the context; every sequence needs a row of each batch.
  const int32_t n_batch_used = std::min(sizes.batch, n_ctx_wanted);
  const int32_t n_seq = options.max_sequences > 0 ? options.max_sequences : std::min(kDefaultSequences, n_batch_used);
  if (n_seq > n_batch_used) {
    throw util::Error(fmt::format("max_sequences {} is larger than the batch of {} tokens (batch_size {}, context {}): "
                                  "llama.cpp reserves one output per sequence in every batch",
                                  n_seq, n_batch_used, sizes.batch, n_ctx_wanted),
                      util::ErrorKind::kUsage);
  }
  check_memory(path, summary, options, n_ctx_wanted, sizes, wanted_scoring_lanes(options), gpus);

  impl->uses_gpu = gpu_fraction(options.placement, summary.n_layers) > 0.0;
  impl->gpu_in_use_before_load = impl->uses_gpu ? gpu_memory_in_use() : 0;

  llama_model_params mp = llama_model_default_params();
  ggml_backend_dev_t no_devices[1] = {nullptr};
  std::vector<ggml_backend_dev_t> listed;  // gpus:...: the chosen devices, null-terminated
  switch (options.placement.kind) {
    case Placement::Kind::kGpu:
      mp.n_gpu_layers = -1;
      break;
    case Placement::Kind::kCpu:
      mp.n_gpu_layers = 0;
      mp.devices = no_devices;  // keep every op (and the KV cache) on the CPU
      break;
    case Placement::Kind::kPartial:
      mp.n_gpu_layers = options.placement.gpu_layers;
      break;
    case Placement::Kind::kGpus: {
      const std::vector<ggml_backend_device*> handles = gpu_device_handles();
      for (const GpuDevice& g : gpus) listed.push_back(handles.at(static_cast<size_t>(g.index)));
      listed.push_back(nullptr);
      mp.devices = listed.data();
      mp.n_gpu_layers = -1;
      // main_gpu indexes the devices listed: the first one holds the small tensors and, with a row
      // split, the intermediate results; one GPU alone is llama.cpp's single-GPU mode.
      mp.main_gpu = 0;
      mp.split_mode = gpus.size() == 1 ? LLAMA_SPLIT_MODE_NONE : llama_split(options.placement.split);
      if (mp.split_mode == LLAMA_SPLIT_MODE_ROW) require_row_split(options.placement, listed.front());
      break;
    }
  }

  const auto t0 = std::chrono::steady_clock::now();
  {
    LlamaErrorCapture errors;
    impl->model.reset(llama_model_load_from_file(path.c_str(), mp));
    if (!impl->model) {
      const std::string why = errors.last();
      throw util::Error(
          fmt::format("{}: llama.cpp could not load the model: {} (set JOULEVAL_LLAMA_LOG=1 for "
                      "llama.cpp's log)",
                      path.string(), why.empty() ? "unsupported architecture, corrupt file or out of memory" : why),
          util::ErrorKind::kBadInput);
    }
  }

  impl->threads = options.threads > 0 ? options.threads : physical_cores();
  impl->pool = std::make_unique<ThreadPool>(impl->threads);
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = static_cast<uint32_t>(n_ctx_wanted);
  cp.n_batch = static_cast<uint32_t>(sizes.batch);
  cp.n_ubatch = static_cast<uint32_t>(sizes.ubatch);
  cp.n_seq_max = static_cast<uint32_t>(n_seq);
  cp.n_threads = impl->threads;
  cp.n_threads_batch = impl->threads;
  cp.type_k = kv_type;
  cp.type_v = kv_type;
  cp.flash_attn_type = flash_type(options.flash_attention);
  cp.kv_unified = true;
  cp.no_perf = true;
  impl->context_params = cp;
  {
    LlamaErrorCapture errors;
    impl->ctx.reset(make_context(impl->model.get(), cp));
    if (!impl->ctx) {
      const std::string why = errors.last();
      throw util::Error(
          fmt::format("{}: llama.cpp could not create a context ({} tokens, KV cache {}, flash attention {}): {}",
                      path.string(), n_ctx_wanted, options.kv_type, llama_flash_attn_type_name(cp.flash_attn_type),
                      why.empty() ? "out of memory, or a quantized KV cache without flash attention or with a head "
                                    "size that is not a multiple of 32"
                                  : why),
          util::ErrorKind::kUnavailable);
    }
  }
  if (llama_model_has_encoder(impl->model.get()) || !llama_model_has_decoder(impl->model.get()) ||
      llama_pooling_type(impl->ctx.get()) != LLAMA_POOLING_TYPE_NONE) {
    throw util::Error(fmt::format("{}: a {} model that llama.cpp runs as an encoder or embedding model; jouleval "
                                  "scores causal language models",
                                  path.string(), summary.architecture),
                      util::ErrorKind::kBadInput);
  }

  impl->vocab = llama_model_get_vocab(impl->model.get());
  impl->n_ctx = static_cast<int32_t>(llama_n_ctx(impl->ctx.get()));
  impl->n_batch = static_cast<int32_t>(llama_n_batch(impl->ctx.get()));
  impl->n_seq_max = static_cast<int32_t>(llama_n_seq_max(impl->ctx.get()));
  impl->n_vocab = llama_vocab_n_tokens(impl->vocab);
  impl->detokenize_rules = detokenize_rules(impl->vocab);
  impl->batch = std::make_unique<Batch>(impl->n_batch, impl->n_seq_max);

  ModelInfo& info = impl->info;
  info.path = path;
  info.architecture = summary.architecture;
  info.name = summary.name.empty() ? path.stem().string() : summary.name;
  info.file_type = file_type_name(static_cast<int32_t>(llama_model_ftype(impl->model.get())));
  for (const auto& w : summary.weight_types) info.weight_types.push_back(w.name);
  info.size_bytes = llama_model_size(impl->model.get());
  info.n_params = llama_model_n_params(impl->model.get());
  info.n_layers = llama_model_n_layer(impl->model.get());
  info.n_ctx_train = llama_model_n_ctx_train(impl->model.get());
  info.n_vocab = impl->n_vocab;
  info.kv_bytes_per_token = kv_cache_bytes(summary, 1, kv_type);
  info.n_ctx = impl->n_ctx;
  info.n_seq_max = impl->n_seq_max;
  info.n_batch = impl->n_batch;
  info.n_ubatch = static_cast<int32_t>(llama_n_ubatch(impl->ctx.get()));
  info.threads = impl->threads;
  info.add_bos = llama_vocab_get_add_bos(impl->vocab);
  info.gpus = gpus;
  if (impl->prepares_at_load()) {
    // Scoring lanes and full-size output buffers now, so that no measured window pays for them.
    impl->reserve_outputs(impl->ctx.get(), *impl->batch);
    impl->ensure_scoring_lanes();
  }
  info.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  impl->track_gpu_memory();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

const ModelInfo& Model::info() const { return impl_->info; }
const ModelOptions& Model::options() const { return impl_->options; }

std::vector<int32_t> Model::tokenize(const std::string& text, bool add_special) const {
  return impl_->tokenize(text, add_special);
}

void Model::synchronize() {
  llama_synchronize(impl_->ctx.get());
  for (const auto& c : impl_->lane_ctx) llama_synchronize(c.get());
  if (impl_->gen_ctx) llama_synchronize(impl_->gen_ctx.get());
}

WorkCounters Model::counters() const { return impl_->counters; }
void Model::reset_counters() { impl_->counters = WorkCounters{}; }
std::vector<GenerationStep> Model::take_generation_steps() { return std::exchange(impl_->generation_steps, {}); }

std::optional<uint64_t> Model::gpu_memory_used() const {
  if (!impl_->uses_gpu) return std::nullopt;
  const uint64_t now = gpu_memory_in_use();
  return now > impl_->gpu_in_use_before_load ? now - impl_->gpu_in_use_before_load : 0;
}

std::vector<llama_token> Model::Impl::tokenize(const std::string& text, bool add_special) const {
  return engine::tokenize(vocab, text, add_special);
}

void Model::Impl::track_gpu_memory() {
  if (!uses_gpu) return;
  const uint64_t now = gpu_memory_in_use();
  const uint64_t used = now > gpu_in_use_before_load ? now - gpu_in_use_before_load : 0;
  info.peak_gpu_memory_bytes = std::max(info.peak_gpu_memory_bytes, used);
}

bool Model::Impl::ensure_generation_context(int32_t n_seq, int32_t cells) {
  if (gen_ctx && gen_n_seq >= n_seq && gen_seq_cells >= cells) return true;
  gen_batch.reset();
  gen_ctx.reset();
  gen_samplers.clear();
  gen_n_seq = gen_seq_cells = 0;
  llama_context_params cp = context_params;
  cp.kv_unified = false;
  cp.n_seq_max = static_cast<uint32_t>(n_seq);
  cp.cb_eval = gen_eval_callback;
  cp.cb_eval_user_data = gen_eval_data;
  // llama.cpp pads each stream to 256 cells; a total beyond the limit of one context is not tried.
  const int64_t per_seq = (static_cast<int64_t>(cells) + kContextBlock - 1) / kContextBlock * kContextBlock;
  if (per_seq * n_seq > kMaxContextSize) return false;
  cp.n_ctx = static_cast<uint32_t>(per_seq * n_seq);
  // Argmax on the device: a sampler chain per sequence id, all sharing one argmax per micro-batch
  // (engine/batch_argmax.h). llama.cpp drops a chain that its device cannot run (the host argmax
  // then reads the logits).
  std::vector<llama_sampler_seq_config> configs;
  if (info.generation.argmax_on_device) {
    for (int32_t s = 0; s < n_seq; ++s) {
      LlamaSamplerPtr chain = gen_argmax.make_chain();
      configs.push_back({s, chain.get()});
      gen_samplers.push_back(std::move(chain));
    }
    cp.samplers = configs.data();
    cp.n_samplers = configs.size();
  }
  gen_ctx.reset(make_context(model.get(), cp));
  if (!gen_ctx) {
    gen_samplers.clear();
    return false;
  }
  gen_n_seq = static_cast<int32_t>(llama_n_seq_max(gen_ctx.get()));
  gen_seq_cells = static_cast<int32_t>(llama_n_ctx(gen_ctx.get())) / std::max(1, gen_n_seq);
  if (gen_n_seq < n_seq || gen_seq_cells < cells) {  // not what was asked for: use the unified cache
    gen_ctx.reset();
    gen_samplers.clear();
    gen_n_seq = gen_seq_cells = 0;
    return false;
  }
  gen_batch = std::make_unique<Batch>(static_cast<int32_t>(llama_n_batch(gen_ctx.get())), 1);
  track_gpu_memory();
  return true;
}

int32_t Model::Impl::ensure_scoring_lanes() {
  const int32_t wanted = wanted_scoring_lanes(options);
  while (static_cast<int32_t>(lane_ctx.size()) + 1 < wanted) {
    LlamaContextPtr extra(make_context(model.get(), context_params));
    if (!extra) break;  // out of memory: score with the lanes there are
    auto extra_batch = std::make_unique<Batch>(static_cast<int32_t>(llama_n_batch(extra.get())), n_seq_max);
    if (prepares_at_load() && !reserve_outputs(extra.get(), *extra_batch)) break;  // no memory for its buffer
    lane_batch.push_back(std::move(extra_batch));
    lane_ctx.push_back(std::move(extra));
    track_gpu_memory();
  }
  const int32_t lanes = std::min(wanted, static_cast<int32_t>(lane_ctx.size()) + 1);
  try {
    while (lanes > 1 && static_cast<int32_t>(lane_workers.size()) < lanes)
      lane_workers.push_back(std::make_unique<LaneWorker>());
  } catch (const std::system_error&) {
    // No thread for another lane (the process's thread limit): score with the lanes that have one.
    return lane_workers.size() >= 2 ? static_cast<int32_t>(lane_workers.size()) : 1;
  }
  return lanes;
}

bool Model::Impl::prepares_at_load() const { return options.prepare_at_load || options.placement.all_on_gpu(); }

bool Model::Impl::reserve_outputs(llama_context* context, Batch& with) const {
  const int32_t n = std::min(with.capacity(), static_cast<int32_t>(llama_n_ctx(context)));
  with.clear();
  const llama_token token = std::max<llama_token>(0, llama_vocab_bos(vocab));
  const llama_seq_id seq = 0;
  for (int32_t i = 0; i < n; ++i) with.add(token, i, std::span<const llama_seq_id>(&seq, 1), true);
  const int32_t rc = llama_decode(context, with.raw());
  llama_synchronize(context);
  llama_memory_clear(llama_get_memory(context), true);
  with.clear();
  return rc == 0;  // on failure the buffer grows on demand, as llama.cpp does by itself
}

int64_t Model::Impl::execute_on(llama_context* context, Batch& with, const DecodePlan& plan,
                                const std::function<void(std::span<const PlanOutput>)>& sink,
                                bool device_argmax) const {
  const int32_t n_batch = with.capacity();
  const auto& entries = plan.entries();
  std::vector<PlanOutput> outputs;
  std::vector<int32_t> output_rows;
  int64_t calls = 0;
  size_t next = 0;
  while (next < entries.size()) {
    with.clear();
    outputs.clear();
    output_rows.clear();
    const size_t end = std::min(entries.size(), next + static_cast<size_t>(n_batch));
    for (size_t i = next; i < end; ++i) {
      const auto& e = entries[i];
      const int32_t row = with.add(e.token, e.pos, plan.seqs_of(e), e.output >= 0);
      if (e.output >= 0) {
        outputs.push_back({e.output, nullptr});
        output_rows.push_back(row);
      }
    }
    const int32_t rc = llama_decode(context, with.raw());
    ++calls;
    if (rc != 0) {
      throw util::Error(fmt::format("{}: llama_decode failed (code {}) on a batch of {} tokens{}", info.path.string(),
                                    rc, with.size(), rc == 1 ? ": no room left in the KV cache" : ""));
    }
    for (size_t k = 0; k < outputs.size(); ++k) {
      if (device_argmax) {
        // LLAMA_TOKEN_NULL when no backend sampler ran for this row: its logits were copied.
        outputs[k].sampled = llama_get_sampled_token_ith(context, output_rows[k]);
        if (outputs[k].sampled != LLAMA_TOKEN_NULL) continue;
      }
      outputs[k].logits = llama_get_logits_ith(context, output_rows[k]);
      if (outputs[k].logits == nullptr) throw util::Error("internal: llama.cpp returned no logits for a requested row");
    }
    if (!outputs.empty()) sink(outputs);
    next = end;
  }
  return calls;
}

}  // namespace jouleval::engine

// The private state of engine::Model (pImpl), shared by model.cpp (loading), loglikelihood.cpp
// and generate.cpp, and the decode loop they all use.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "engine/batch_argmax.h"
#include "engine/decode_plan.h"
#include "engine/detokenizer.h"
#include "engine/llama_handles.h"
#include "engine/model.h"
#include "engine/thread_pool.h"

namespace jouleval::engine {

struct Model::Impl {
  ModelOptions options;
  ModelInfo info;
  LlamaModelPtr model;
  LlamaContextPtr ctx;
  const llama_vocab* vocab = nullptr;
  std::unique_ptr<Batch> batch;

  int32_t n_ctx = 0;      // KV cells, shared by all sequences; also the per-sequence window
  int32_t n_batch = 0;    // tokens per decode call
  int32_t n_seq_max = 1;  // sequence ids 0..n_seq_max-1
  int32_t n_vocab = 0;
  int32_t threads = 1;
  // The host threads of every parallel loop of this model (`threads` in all), shared by the scoring
  // lanes and generation; made at load, after `threads` is known.
  std::unique_ptr<ThreadPool> pool;
  DetokenizeRules detokenize_rules;  // of `vocab`, found at load (engine/detokenizer.h)
  bool uses_gpu = false;
  uint64_t gpu_in_use_before_load = 0;

  WorkCounters counters;
  std::vector<GenerationStep> generation_steps;  // since the last take_generation_steps()

  // Generation runs in a second context with one KV stream per sequence (kv_unified = false): each
  // decode step then attends to its own sequence's cells only, not to every cell of the batch. Made
  // on first use (and remade when a batch needs longer or more sequences); the scoring context
  // above keeps its unified cache, which shared prefixes need.
  llama_context_params context_params{};  // as `ctx` was created
  // When gen_ctx takes the argmax on the device (info.generation): the state its samplers
  // share and their chains, one per sequence (engine/batch_argmax.h); declared before gen_ctx so
  // that they outlive it.
  BatchArgmax gen_argmax;
  std::vector<LlamaSamplerPtr> gen_samplers;
  LlamaContextPtr gen_ctx;
  std::unique_ptr<Batch> gen_batch;
  int32_t gen_seq_cells = 0;  // KV cells of each sequence in gen_ctx
  // Tests only: llama.cpp's graph evaluation callback for gen_ctx (it sees every micro-batch's
  // graph), taken when gen_ctx is made.
  ggml_backend_sched_eval_callback gen_eval_callback = nullptr;
  void* gen_eval_data = nullptr;
  int32_t gen_n_seq = 0;  // sequences (streams) in gen_ctx

  // Makes sure gen_ctx holds `n_seq` sequences of `cells` KV cells each; false when llama.cpp cannot
  // create it (memory), in which case generation uses the unified context.
  bool ensure_generation_context(int32_t n_seq, int32_t cells);

  // Scoring lanes: contexts made like `ctx` (which is lane 0) that take turns on consecutive packs,
  // so the host reads one pack's logits while the device runs the next. Made on first use.
  std::vector<LlamaContextPtr> lane_ctx;  // lanes 1, 2, ...
  std::vector<std::unique_ptr<Batch>> lane_batch;
  // With two lanes or more, the thread each lane runs its packs on, one per lane (lane 0 first),
  // made with the lanes and kept; declared after the contexts and the pool it uses, so that it is
  // joined before they go. One lane runs its packs on the calling thread.
  std::vector<std::unique_ptr<LaneWorker>> lane_workers;
  // Tests only: called with the lane's index on the thread that runs the lane's pack, before each
  // pack; what it throws ends the scoring call as a failing pack does.
  std::function<void(int32_t lane)> before_pack;

  // The number of scoring lanes to use (options.scoring_lanes; 0 = 2 with every layer on a GPU, else 1): makes
  // the missing contexts, and with two lanes or more their lane_workers; fewer lanes when llama.cpp
  // cannot create the contexts (memory) or a worker's thread cannot be started.
  int32_t ensure_scoring_lanes();
  llama_context* lane_context(int32_t lane) const {
    return lane == 0 ? ctx.get() : lane_ctx[static_cast<size_t>(lane - 1)].get();
  }
  Batch& lane_batch_of(int32_t lane) const { return lane == 0 ? *batch : *lane_batch[static_cast<size_t>(lane - 1)]; }

  // Grows `context`'s output buffer to a whole batch of logits rows once, by decoding one batch
  // with every row requested (then forgotten). llama.cpp otherwise reallocates (and clears) that
  // pinned host buffer each time a batch wants more rows than before: seconds of a first
  // HellaSwag repetition at 7B. False when that decode fails (the buffer then grows on demand).
  bool reserve_outputs(llama_context* context, Batch& with) const;
  // Whether load makes the scoring lanes and output buffers: placement gpu (the output buffer is
  // pinned there) or options.prepare_at_load. Outside measurement windows either way.
  bool prepares_at_load() const;

  // Runs `plan` on `context` in decode calls of at most `with`'s capacity; after each call hands the
  // logits of the planned outputs of that call to `sink`, or with `device_argmax` the token that the
  // context's backend sampler took for each output that has one (PlanOutput::sampled). Touches no
  // shared state (safe on a worker thread while other contexts decode); returns the number of decode
  // calls; throws util::Error on failure.
  int64_t execute_on(llama_context* context, Batch& with, const DecodePlan& plan,
                     const std::function<void(std::span<const PlanOutput>)>& sink, bool device_argmax = false) const;

  // Updates info.peak_gpu_memory_bytes from the devices' memory in use.
  void track_gpu_memory();

  std::vector<llama_token> tokenize(const std::string& text, bool add_special) const;
};

}  // namespace jouleval::engine

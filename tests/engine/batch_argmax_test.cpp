// engine::BatchArgmax: the samplers of one graph share one argmax over the logits matrix and hand
// llama.cpp no sampled logits to copy. The graph is built here as llama.cpp builds it (a 1-D view of
// one row per sampler) and computed on the CPU; expected tokens worked out by hand.
#include "engine/batch_argmax.h"

#include <gtest/gtest.h>

#include <vector>

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"

namespace jouleval::engine {
namespace {

struct GgmlContextDeleter {
  void operator()(ggml_context* c) const { ggml_free(c); }
};

// Runs one sampler chain on `logits` as llama.cpp's build_sampling does.
llama_sampler_data apply(llama_sampler* chain, ggml_context* ctx, ggml_cgraph* gf, ggml_tensor* logits) {
  llama_sampler_data data{logits, nullptr, nullptr, nullptr};
  chain->iface->backend_apply(chain, ctx, gf, &data);
  return data;
}

TEST(BatchArgmax, OneArgmaxForEveryRowAndNoSampledLogits) {
  constexpr int64_t kVocab = 6;
  // No ties: on a tie ggml's argmax takes the last index on the CPU and any of them on CUDA.
  const std::vector<float> rows = {0.1f,  2.0f,  -1.0f, 1.5f,  0.5f,  0.0f,   // token 1
                                   -3.0f, -2.0f, -1.0f, -4.0f, -5.0f, -6.0f,  // token 2
                                   0.0f,  0.0f,  0.0f,  0.0f,  0.0f,  7.0f};  // token 5
  BatchArgmax shared;
  std::vector<LlamaSamplerPtr> chains;
  for (int i = 0; i < 3; ++i) {
    chains.push_back(shared.make_chain());
    ASSERT_TRUE(chains.back()->iface->backend_init(chains.back().get(), ggml_backend_cpu_buffer_type(), 1));
  }
  std::unique_ptr<ggml_context, GgmlContextDeleter> ctx(ggml_init({16 * 1024 * 1024, nullptr, false}));
  ggml_cgraph* gf = ggml_new_graph(ctx.get());
  ggml_tensor* matrix = ggml_new_tensor_2d(ctx.get(), GGML_TYPE_F32, kVocab, 3);
  std::copy(rows.begin(), rows.end(), static_cast<float*>(matrix->data));
  for (auto& chain : chains) chain->iface->backend_reset(chain.get());

  // The samplers in another order than the rows: each takes its own row's token.
  const int rows_of_samplers[3] = {2, 0, 1};
  std::vector<ggml_tensor*> sampled;
  for (int i = 0; i < 3; ++i) {
    ggml_tensor* row = ggml_view_1d(ctx.get(), matrix, kVocab, rows_of_samplers[i] * matrix->nb[1]);
    const llama_sampler_data data = apply(chains[static_cast<size_t>(i)].get(), ctx.get(), gf, row);
    EXPECT_EQ(data.logits, nullptr) << "sampled logits would be copied to the host";
    ASSERT_NE(data.sampled, nullptr);
    ggml_build_forward_expand(gf, data.sampled);
    sampled.push_back(data.sampled);
  }
  int argmax_nodes = 0;
  for (int i = 0; i < ggml_graph_n_nodes(gf); ++i) argmax_nodes += ggml_graph_node(gf, i)->op == GGML_OP_ARGMAX;
  EXPECT_EQ(argmax_nodes, 1);
  ASSERT_EQ(ggml_graph_compute_with_ctx(ctx.get(), gf, 1), GGML_STATUS_SUCCESS);
  EXPECT_EQ(*static_cast<const int32_t*>(sampled[0]->data), 5);
  EXPECT_EQ(*static_cast<const int32_t*>(sampled[1]->data), 1);
  EXPECT_EQ(*static_cast<const int32_t*>(sampled[2]->data), 2);

  // Logits that are not a row of a matrix (llama.cpp's probe graph): a plain argmax of their own.
  ggml_tensor* alone = ggml_new_tensor_1d(ctx.get(), GGML_TYPE_F32, 4);
  const float values[4] = {1.0f, 3.0f, 9.0f, 2.0f};
  std::copy(values, values + 4, static_cast<float*>(alone->data));
  ggml_cgraph* gf2 = ggml_new_graph(ctx.get());
  const llama_sampler_data data = apply(chains[0].get(), ctx.get(), gf2, alone);
  ggml_build_forward_expand(gf2, data.sampled);
  ASSERT_EQ(ggml_graph_compute_with_ctx(ctx.get(), gf2, 1), GGML_STATUS_SUCCESS);
  EXPECT_EQ(*static_cast<const int32_t*>(data.sampled->data), 2);
}

}  // namespace
}  // namespace jouleval::engine

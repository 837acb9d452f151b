#include "engine/batch_argmax.h"

#include "ggml-backend.h"
#include "ggml.h"

namespace jouleval::engine {
namespace {

BatchArgmax& shared(const llama_sampler* smpl) { return *static_cast<BatchArgmax*>(smpl->ctx); }

const char* sampler_name(const llama_sampler*) { return "jouleval-batch-argmax"; }

// On the host (llama_sampler_sample; generation never calls it): the first index of the maximum.
void sampler_apply(llama_sampler*, llama_token_data_array* cur_p) {
  if (cur_p->size == 0) return;
  size_t best = 0;
  for (size_t i = 1; i < cur_p->size; ++i) {
    if (cur_p->data[i].logit > cur_p->data[best].logit) best = i;
  }
  cur_p->selected = static_cast<int64_t>(best);
}

llama_sampler* sampler_clone(const llama_sampler* smpl);

// Whether the device of `buft` runs an argmax over rows (the CPU, without a device, always does).
bool sampler_backend_init(llama_sampler*, ggml_backend_buffer_type_t buft, uint32_t) {
  ggml_backend_dev_t device = ggml_backend_buft_get_device(buft);
  if (device == nullptr) return true;
  const ggml_init_params params{4 * ggml_tensor_overhead(), nullptr, true};
  ggml_context* probe = ggml_init(params);
  if (probe == nullptr) return false;
  ggml_tensor* argmax = ggml_argmax(probe, ggml_new_tensor_2d(probe, GGML_TYPE_F32, 1024, 2));
  const bool supported = ggml_backend_dev_supports_op(device, argmax);
  ggml_free(probe);
  return supported;
}

// The token, and no sampled logits: llama.cpp copies to the host every row that a sampler leaves in
// data->logits (n_vocab floats each, as many bytes as the raw logits it then skips), which greedy
// decoding never reads.
void sampler_backend_apply(llama_sampler* smpl, ggml_context* ctx, ggml_cgraph*, llama_sampler_data* data) {
  data->sampled = shared(smpl).token_of(ctx, data->logits);
  data->logits = nullptr;
}

void sampler_backend_reset(llama_sampler* smpl) { shared(smpl).reset(); }

llama_sampler_i kSamplerInterface = {
    /* .name              = */ sampler_name,
    /* .accept            = */ nullptr,
    /* .apply             = */ sampler_apply,
    /* .reset             = */ nullptr,
    /* .clone             = */ sampler_clone,
    /* .free              = */ nullptr,  // the shared state belongs to the BatchArgmax
    /* .backend_init      = */ sampler_backend_init,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ sampler_backend_apply,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ sampler_backend_reset,
    /* .copy_state        = */ nullptr,  // no state of its own
};

llama_sampler* sampler_clone(const llama_sampler* smpl) { return llama_sampler_init(&kSamplerInterface, smpl->ctx); }

}  // namespace

LlamaSamplerPtr BatchArgmax::make_chain() {
  LlamaSamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  llama_sampler_chain_add(chain.get(), llama_sampler_init(&kSamplerInterface, this));  // the chain owns it
  return chain;
}

ggml_tensor* BatchArgmax::token_of(ggml_context* ctx, ggml_tensor* logits) {
  // llama.cpp hands each sampler a 1-D view of one row of the micro-batch's logits matrix (padded
  // with one dummy row for the samplers of sequences without an output in it).
  ggml_tensor* matrix = logits->view_src;
  const bool is_row = matrix != nullptr && matrix->type == GGML_TYPE_F32 && ggml_is_contiguous(matrix) &&
                      ggml_is_matrix(matrix) && ggml_n_dims(logits) == 1 && logits->ne[0] == matrix->ne[0] &&
                      logits->view_offs % matrix->nb[1] == 0;
  if (!is_row) return ggml_argmax(ctx, ggml_reshape_1d(ctx, logits, ggml_nelements(logits)));
  if (ctx != ctx_ || matrix != matrix_) {
    ctx_ = ctx;
    matrix_ = matrix;
    argmax_ = ggml_argmax(ctx, matrix);
    ggml_set_name(argmax_, "batch_argmax");
    ggml_set_output(argmax_);  // kept until llama.cpp has copied every row's token
  }
  const auto row = static_cast<size_t>(logits->view_offs / matrix->nb[1]);
  return ggml_view_1d(ctx, argmax_, 1, row * argmax_->nb[0]);
}

void BatchArgmax::reset() {
  ctx_ = nullptr;
  matrix_ = nullptr;
  argmax_ = nullptr;
}

}  // namespace jouleval::engine

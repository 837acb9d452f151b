// A catalogue of semantically broken GGUF files for tests and fuzzing harnesses: each case rewrites
// one key (or one tensor info) of a model synthesized by `jouleval synth` with engine::rewrite_gguf
// (no external tool), and names the key that engine::validate_gguf must report. Header-only; needs
// the jouleval library. See docs/engine.md "GGUF validation".
#pragma once

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/gguf_edit.h"

namespace jouleval::engine::testing {

struct BrokenGguf {
  std::string name;      // unique, usable in a file name
  std::string preset;    // synth preset the case starts from: "tiny" (qwen2) or "tiny-llama" (llama)
  std::string key;       // the key (or tensor name) validate_gguf must name
  bool tensor = false;   // `key` is a tensor name
  bool aborted = false;  // llama.cpp aborted on it (run or quantize) before validation existed
  GgufRewrite rewrite;
};

// gtest prints the case by its name.
inline void PrintTo(const BrokenGguf& c, std::ostream* os) { *os << c.name; }

namespace broken_detail {

inline GgufRewrite keys(std::vector<GgufKeyEdit> edits) {
  GgufRewrite r;
  r.keys = std::move(edits);
  return r;
}

// Replaces entry `index` of the string array `key` with `value`, or with entry `copy_of` when that
// is given.
inline GgufRewrite string_array_entry(const std::string& key, size_t index, std::string value,
                                      std::optional<size_t> copy_of = std::nullopt) {
  GgufRewrite r;
  r.metadata = [key, index, value, copy_of](gguf_context* g) {
    const int64_t id = gguf_find_key(g, key.c_str());
    std::vector<std::string> items(gguf_get_arr_n(g, id));
    for (size_t i = 0; i < items.size(); ++i) items[i] = gguf_get_arr_str(g, id, i);
    items.at(index) = copy_of ? items.at(*copy_of) : value;
    std::vector<const char*> ptrs;
    for (const auto& s : items) ptrs.push_back(s.c_str());
    gguf_set_arr_str(g, key.c_str(), ptrs.data(), ptrs.size());
  };
  return r;
}

// Drops the last `n` entries of the array `key` (i32 or string arrays).
inline GgufRewrite shorten_array(const std::string& key, size_t n) {
  GgufRewrite r;
  r.metadata = [key, n](gguf_context* g) {
    const int64_t id = gguf_find_key(g, key.c_str());
    const size_t keep = gguf_get_arr_n(g, id) - n;
    if (gguf_get_arr_type(g, id) == GGUF_TYPE_STRING) {
      std::vector<std::string> items(keep);
      for (size_t i = 0; i < keep; ++i) items[i] = gguf_get_arr_str(g, id, i);
      std::vector<const char*> ptrs;
      for (const auto& s : items) ptrs.push_back(s.c_str());
      gguf_set_arr_str(g, key.c_str(), ptrs.data(), ptrs.size());
    } else {
      const std::vector<int32_t> items(static_cast<const int32_t*>(gguf_get_arr_data(g, id)),
                                       static_cast<const int32_t*>(gguf_get_arr_data(g, id)) + keep);
      gguf_set_arr_data(g, key.c_str(), GGUF_TYPE_INT32, items.data(), items.size());
    }
  };
  return r;
}

inline GgufRewrite tensor(std::function<bool(GgufTensorEdit&)> edit) {
  GgufRewrite r;
  r.tensor = std::move(edit);
  return r;
}

}  // namespace broken_detail

// Every case, one rule each (several cases per rule where llama.cpp reacts differently).
inline std::vector<BrokenGguf> broken_gguf_cases() {
  using namespace broken_detail;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const std::string q = "qwen2.";
  const std::string l = "llama.";
  std::vector<BrokenGguf> c;
  const auto add = [&](std::string name, std::string preset, std::string key, bool aborted, GgufRewrite r,
                       bool is_tensor = false) {
    c.push_back({std::move(name), std::move(preset), std::move(key), is_tensor, aborted, std::move(r)});
  };
  // general.*
  add("arch_missing", "tiny", "general.architecture", false, keys({GgufKeyEdit::remove("general.architecture")}));
  add("arch_not_a_string", "tiny", "general.architecture", false, keys({{"general.architecture", uint32_t{1}}}));
  add("file_type_unknown", "tiny", "general.file_type", false, keys({{"general.file_type", uint32_t{9999}}}));
  // Layers, context, widths.
  add("block_count_zero", "tiny", q + "block_count", true, keys({{q + "block_count", uint32_t{0}}}));
  add("block_count_huge", "tiny", q + "block_count", true, keys({{q + "block_count", uint32_t{1u << 20}}}));
  add("block_count_missing", "tiny", q + "block_count", false, keys({GgufKeyEdit::remove(q + "block_count")}));
  add("block_count_negative", "tiny", q + "block_count", false, keys({{q + "block_count", int32_t{-2}}}));
  add("context_length_zero", "tiny", q + "context_length", false, keys({{q + "context_length", uint32_t{0}}}));
  add("embedding_length_zero", "tiny", q + "embedding_length", false, keys({{q + "embedding_length", uint32_t{0}}}));
  add("feed_forward_length_zero", "tiny", q + "feed_forward_length", false,
      keys({{q + "feed_forward_length", uint32_t{0}}}));
  add("nextn_layers_above_block_count", "tiny", q + "nextn_predict_layers", true,
      keys({{q + "nextn_predict_layers", uint32_t{3}}}));
  // Experts.
  add("experts_without_used", "tiny", q + "expert_used_count", true, keys({{q + "expert_count", uint32_t{4}}}));
  add("used_experts_without_experts", "tiny-llama", l + "expert_used_count", true,
      keys({{l + "expert_used_count", uint32_t{2}}}));
  add("experts_too_many", "tiny", q + "expert_count", true, keys({{q + "expert_count", uint32_t{1u << 20}}}));
  add("expert_groups_not_below_experts", "tiny", q + "expert_group_count", true,
      keys({{q + "expert_count", uint32_t{4}},
            {q + "expert_used_count", uint32_t{2}},
            {q + "expert_group_count", uint32_t{4}}}));
  add("expert_group_used_zero", "tiny", q + "expert_group_used_count", true,
      keys({{q + "expert_count", uint32_t{4}},
            {q + "expert_used_count", uint32_t{2}},
            {q + "expert_group_count", uint32_t{2}}}));
  // Causal language models only.
  add("attention_not_causal", "tiny", q + "attention.causal", true, keys({{q + "attention.causal", false}}));
  add("pooling_embedding_model", "tiny", q + "pooling_type", false, keys({{q + "pooling_type", uint32_t{1}}}));
  // Heads.
  add("head_count_zero", "tiny", q + "attention.head_count", false, keys({{q + "attention.head_count", uint32_t{0}}}));
  add("head_count_not_dividing_width", "tiny", q + "attention.head_count", false,
      keys({{q + "attention.head_count", uint32_t{3}}}));
  add("head_count_per_layer_wrong_length", "tiny", q + "attention.head_count", false,
      keys({{q + "attention.head_count", std::vector<int32_t>{2, 2, 2}}}));
  add("head_count_kv_zero", "tiny", q + "attention.head_count_kv", false,
      keys({{q + "attention.head_count_kv", uint32_t{0}}}));
  add("head_count_kv_above_heads", "tiny-llama", l + "attention.head_count_kv", false,
      keys({{l + "attention.head_count_kv", uint32_t{8}}}));
  add("head_count_kv_not_dividing", "tiny-llama", l + "attention.head_count_kv", false,
      keys({{l + "attention.head_count_kv", uint32_t{3}}}));
  add("key_length_not_head_size", "tiny", q + "attention.key_length", true,
      keys({{q + "attention.key_length", uint32_t{7}}}));
  add("value_length_not_head_size", "tiny-llama", l + "attention.value_length", false,
      keys({{l + "attention.value_length", uint32_t{32}}}));
  // Epsilons.
  add("rms_eps_nan", "tiny", q + "attention.layer_norm_rms_epsilon", true,
      keys({{q + "attention.layer_norm_rms_epsilon", nan}}));
  add("rms_eps_negative", "tiny-llama", l + "attention.layer_norm_rms_epsilon", true,
      keys({{l + "attention.layer_norm_rms_epsilon", -1e-5f}}));
  add("rms_eps_zero", "tiny", q + "attention.layer_norm_rms_epsilon", false,
      keys({{q + "attention.layer_norm_rms_epsilon", 0.0f}}));
  add("rms_eps_missing", "tiny", q + "attention.layer_norm_rms_epsilon", false,
      keys({GgufKeyEdit::remove(q + "attention.layer_norm_rms_epsilon")}));
  add("rms_eps_not_a_float", "tiny", q + "attention.layer_norm_rms_epsilon", false,
      keys({{q + "attention.layer_norm_rms_epsilon", uint32_t{1}}}));
  add("norm_eps_infinite", "tiny", q + "attention.layer_norm_epsilon", false,
      keys({{q + "attention.layer_norm_epsilon", inf}}));
  // RoPE.
  add("rope_dims_zero", "tiny", q + "rope.dimension_count", true, keys({{q + "rope.dimension_count", uint32_t{0}}}));
  add("rope_dims_odd", "tiny", q + "rope.dimension_count", true, keys({{q + "rope.dimension_count", uint32_t{3}}}));
  add("rope_dims_above_head", "tiny-llama", l + "rope.dimension_count", false,
      keys({{l + "rope.dimension_count", uint32_t{128}}}));
  add("rope_base_nan", "tiny", q + "rope.freq_base", false, keys({{q + "rope.freq_base", nan}}));
  add("rope_base_zero", "tiny-llama", l + "rope.freq_base", false, keys({{l + "rope.freq_base", 0.0f}}));
  add("rope_scaling_type_unknown", "tiny", q + "rope.scaling.type", true,
      keys({{q + "rope.scaling.type", std::string("bogus")}}));
  add("rope_scaling_factor_negative", "tiny", q + "rope.scaling.factor", false,
      keys({{q + "rope.scaling.factor", -2.0f}}));
  // Vocabulary and tokenizer.
  add("vocab_size_mismatch", "tiny", q + "vocab_size", false, keys({{q + "vocab_size", uint32_t{1000}}}));
  add("tokenizer_none", "tiny", "tokenizer.ggml.model", true, keys({{"tokenizer.ggml.model", std::string("none")}}));
  add("tokenizer_unknown", "tiny", "tokenizer.ggml.model", false,
      keys({{"tokenizer.ggml.model", std::string("bogus")}}));
  add("tokenizer_missing", "tiny", "tokenizer.ggml.model", false, keys({GgufKeyEdit::remove("tokenizer.ggml.model")}));
  add("tokens_missing", "tiny", "tokenizer.ggml.tokens", false, keys({GgufKeyEdit::remove("tokenizer.ggml.tokens")}));
  add("tokens_duplicate", "tiny", "tokenizer.ggml.tokens", true,
      string_array_entry("tokenizer.ggml.tokens", 1, "", /*copy_of=*/0));
  add("token_types_short", "tiny-llama", "tokenizer.ggml.token_type", false,
      shorten_array("tokenizer.ggml.token_type", 10));
  add("byte_tokens_with_wordpiece", "tiny-llama", "tokenizer.ggml.token_type", true,
      keys({{"tokenizer.ggml.model", std::string("bert")}}));
  add("byte_token_misspelled", "tiny-llama", "tokenizer.ggml.token_type", false,
      string_array_entry("tokenizer.ggml.tokens", 3, "<0xZZ>"));
  add("bos_id_out_of_range", "tiny", "tokenizer.ggml.bos_token_id", false,
      keys({{"tokenizer.ggml.bos_token_id", uint32_t{10'000'000}}}));
  add("eos_id_not_an_integer", "tiny", "tokenizer.ggml.eos_token_id", false,
      keys({{"tokenizer.ggml.eos_token_id", std::string("</s>")}}));
  add("padding_id_out_of_range", "tiny-llama", "tokenizer.ggml.padding_token_id", false,
      keys({{"tokenizer.ggml.padding_token_id", uint32_t{32000}}}));
  add("add_bos_without_bos", "tiny-llama", "tokenizer.ggml.add_bos_token", false,
      keys({GgufKeyEdit::remove("tokenizer.ggml.bos_token_id")}));
  add("add_eos_without_eos", "tiny", "tokenizer.ggml.add_eos_token", false,
      keys({{"tokenizer.ggml.add_eos_token", true}, GgufKeyEdit::remove("tokenizer.ggml.eos_token_id")}));
  // Tensors.
  add("norm_weight_f16", "tiny", "blk.0.attn_norm.weight", true, tensor([](GgufTensorEdit& t) {
        if (t.name == "blk.0.attn_norm.weight") t.type = 1;  // GGML_TYPE_F16
        return true;
      }),
      true);
  add("embedding_rows_not_vocab", "tiny", "token_embd.weight", false, tensor([](GgufTensorEdit& t) {
        if (t.name == "token_embd.weight") t.ne[1] -= 16;
        return true;
      }),
      true);
  add("attn_q_wrong_shape", "tiny-llama", "blk.1.attn_q.weight", false, tensor([](GgufTensorEdit& t) {
        if (t.name == "blk.1.attn_q.weight") t.ne[1] /= 2;
        return true;
      }),
      true);
  add("attn_output_missing", "tiny", "blk.0.attn_output.weight", false,
      tensor([](GgufTensorEdit& t) { return t.name != "blk.0.attn_output.weight"; }), true);
  return c;
}

}  // namespace jouleval::engine::testing

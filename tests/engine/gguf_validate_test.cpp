// GGUF validation: every rule on a synthesized model with one key (or tensor info) rewritten
// (broken_gguf.h), refused by Model::load and engine::quantize with "<file>: GGUF key '<key>': ..."
// (kBadInput) before llama.cpp sees the file. Load and quantize run in a child process (gtest death
// test): without the validation llama.cpp aborts on many of these files, which must show as a
// failed test, not a crashed test binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include "broken_gguf.h"
#include "engine/gguf_edit.h"
#include "engine/gguf_validate.h"
#include "engine/llama_handles.h"
#include "engine/quantize.h"
#include "engine/vocab.h"
#include "subprocess.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

namespace fs = std::filesystem;

std::vector<GgufProblem> problems_of(const fs::path& path, GgufScope scope = GgufScope::kModel) {
  GgufPtr g(gguf_init_from_file(path.c_str(), gguf_init_params{true, nullptr}));
  if (!g) return {{"(file)", "not a GGUF file", false}};
  return gguf_problems(g.get(), scope);
}

std::string describe(const std::vector<GgufProblem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.to_string() + "\n";
  return s;
}

// The broken file of `c` for the test `user`, in the test-models directory: a death test's child
// (which runs the test again) finds the file its parent wrote. The parent removes it at the end.
fs::path broken_file(const testing::BrokenGguf& c, const std::string& user) {
  const fs::path path = testing::test_model_dir() / ("broken-" + c.name + "-" + user + ".gguf");
  if (!fs::exists(path)) rewrite_gguf(testing::synth_model(c.preset, "f16"), path, c.rewrite);
  return path;
}

TEST(GgufValidate, SynthesizedModelsAndVocabulariesAreSound) {
  for (const char* preset : {"tiny", "tiny-llama"}) {
    const fs::path model = testing::synth_model(preset, "f16");
    EXPECT_EQ(describe(problems_of(model)), "") << preset;
    EXPECT_NO_THROW(validate_gguf(model));
  }
  for (const char* vocab : {"qwen2", "llama-bpe", "llama-spm"}) {
    const fs::path file =
        fs::path(JOULEVAL_SHARE_DIR_FOR_TESTS) / "vocab" / (std::string("ggml-vocab-") + vocab + ".gguf");
    EXPECT_EQ(describe(problems_of(file, GgufScope::kVocabOnly)), "") << vocab;
  }
}

TEST(GgufValidate, QuantizedModelsAreSound) {
  const fs::path out = testing::test_model_dir() / ("sound-q4k." + std::to_string(::getpid()) + ".gguf");
  quantize({testing::synth_model("tiny-llama", "f16"), out, "int4", 2});
  EXPECT_EQ(describe(problems_of(out)), "");
  fs::remove(out);
}

TEST(GgufValidate, MissingAndNonGgufFilesAreBadInput) {
  try {
    validate_gguf("/nonexistent/m.gguf");
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/m.gguf"), std::string::npos);
  }
}

class BrokenGgufTest : public ::testing::TestWithParam<testing::BrokenGguf> {};

TEST_P(BrokenGgufTest, ValidationNamesTheKey) {
  const testing::BrokenGguf& c = GetParam();
  const fs::path path = broken_file(c, "names");
  const std::vector<GgufProblem> problems = problems_of(path);
  fs::remove(path);
  ASSERT_FALSE(problems.empty()) << c.name << ": the broken file passed validation";
  EXPECT_EQ(problems.front().key, c.key) << describe(problems);
  EXPECT_EQ(problems.front().is_tensor, c.tensor) << describe(problems);
  EXPECT_FALSE(problems.front().what.empty());
}

// In a child process: Model::load and quantize (and Vocab::load for tokenizer keys) refuse the file
// with the key named, and the quantized output never appears. Exits 0 when all of that holds; prints what did not,
// exits 1.
[[noreturn]] void load_and_quantize_refuse(const fs::path& path, const testing::BrokenGguf& c) {
  const std::string expected = fmt::format("{}: GGUF {} '{}': ", path.string(), c.tensor ? "tensor" : "key", c.key);
  bool ok = true;
  const auto check = [&](const char* what, const std::function<void()>& fn) {
    try {
      fn();
      std::fprintf(stderr, "%s accepted the file\n", what);
      ok = false;
    } catch (const util::Error& e) {
      if (e.code() != util::ErrorKind::kBadInput || std::string(e.what()).rfind(expected, 0) != 0) {
        std::fprintf(stderr, "%s: code %d, message: %s\n", what, static_cast<int>(e.code()), e.what());
        ok = false;
      }
    }
  };
  check("Model::load", [&] { Model::load(path, testing::cpu_options(512, 4)); });
  if (c.key.rfind("tokenizer.", 0) == 0) check("Vocab::load", [&] { Vocab::load(path); });
  const fs::path out =
      testing::test_model_dir() / ("broken-out-" + c.name + "." + std::to_string(::getpid()) + ".gguf");
  check("quantize", [&] { quantize({path, out, "Q8_0", 1}); });
  if (fs::exists(out)) {
    std::fprintf(stderr, "quantize wrote %s\n", out.c_str());
    ok = false;
  }
  std::fflush(stderr);
  std::_Exit(ok ? 0 : 1);
}

TEST_P(BrokenGgufTest, LoadAndQuantizeRefuseWithoutAborting) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const testing::BrokenGguf& c = GetParam();
  const fs::path path = broken_file(c, "refuse");
  EXPECT_EXIT(load_and_quantize_refuse(path, c), ::testing::ExitedWithCode(0), "") << c.name;
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Cases, BrokenGgufTest, ::testing::ValuesIn(testing::broken_gguf_cases()),
                         [](const ::testing::TestParamInfo<testing::BrokenGguf>& info) { return info.param.name; });

TEST(GgufValidate, LlamaHeadsMayBeNarrowerThanWidthOverHeads) {
  // llama allows attention.key_length != embedding_length / head_count (Mistral Nemo): a tiny-llama
  // with 32-wide heads instead of 64, tensors to match, is sound and loads.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const fs::path path = testing::test_model_dir() / "narrow-heads.gguf";
  if (!fs::exists(path)) {
    GgufRewrite r;
    r.keys = {{"llama.attention.key_length", uint32_t{32}},
              {"llama.attention.value_length", uint32_t{32}},
              {"llama.rope.dimension_count", uint32_t{32}}};
    r.tensor = [](GgufTensorEdit& t) {
      if (t.name.ends_with("attn_q.weight")) t.ne[1] = 32 * 4;
      if (t.name.ends_with("attn_k.weight") || t.name.ends_with("attn_v.weight")) t.ne[1] = 32 * 2;
      if (t.name.ends_with("attn_output.weight")) t.ne[0] = 32 * 4;
      return true;
    };
    rewrite_gguf(testing::synth_model("tiny-llama", "f16"), path, r);
  }
  EXPECT_EQ(describe(problems_of(path)), "");
  EXPECT_EXIT(
      {
        auto model = Model::load(path, testing::cpu_options(512, 4));
        const auto lp = model->loglikelihood({{"The sky is", " blue", ""}});
        std::_Exit(std::isfinite(lp[0].logprob) ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  fs::remove(path);
}

TEST(GgufValidate, QuantizeCommandExitsThreeNamingFileAndKey) {
  // The case that aborted `jouleval quantize` (GGML_ASSERT n_layer_all > 0), through the binary.
  testing::BrokenGguf c;
  for (const auto& k : testing::broken_gguf_cases()) {
    if (k.name == "block_count_zero") c = k;
  }
  const fs::path path = broken_file(c, "cli");
  const fs::path out = testing::test_model_dir() / ("cli-broken." + std::to_string(::getpid()) + ".gguf");
  const auto r = testing::run_jouleval({"quantize", path.string(), "-o", out.string(), "--type", "int8", "-q"});
  EXPECT_EQ(r.exit_code(), 3) << r.describe() << "\n" << r.err;
  EXPECT_NE(r.err.find(path.string() + ": GGUF key 'qwen2.block_count': is 0; must be 1 to 512"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));
  fs::remove(path);
}

TEST(GgufRewrite, WithoutEditsTheModelIsTheSame) {
  const fs::path src = testing::tiny_model();
  const fs::path copy = testing::test_model_dir() / ("rewrite-copy." + std::to_string(::getpid()) + ".gguf");
  rewrite_gguf(src, copy, std::vector<GgufKeyEdit>{});
  EXPECT_EQ(fs::file_size(copy), fs::file_size(src));
  EXPECT_TRUE(testing::file_bytes(copy) == testing::file_bytes(src)) << "the copy differs from " << src;
  fs::remove(copy);
}

TEST(GgufRewrite, EditsKeysAndTensors) {
  const fs::path out = testing::test_model_dir() / ("rewrite-edit." + std::to_string(::getpid()) + ".gguf");
  GgufRewrite r;
  r.keys = {{"qwen2.context_length", uint32_t{77}},
            GgufKeyEdit::remove("general.name"),
            {"jouleval.test.list", std::vector<std::string>{"a", "b"}}};
  r.tensor = [](GgufTensorEdit& t) {
    if (t.name == "output_norm.weight") t.ne[0] = 128;  // data zero-filled past the original 64
    return t.name != "blk.1.ffn_norm.weight";
  };
  rewrite_gguf(testing::tiny_model(), out, r);
  GgufPtr g(gguf_init_from_file(out.c_str(), gguf_init_params{true, nullptr}));
  ASSERT_TRUE(g);
  EXPECT_EQ(gguf_get_val_u32(g.get(), gguf_find_key(g.get(), "qwen2.context_length")), 77u);
  EXPECT_LT(gguf_find_key(g.get(), "general.name"), 0);
  EXPECT_EQ(gguf_get_arr_n(g.get(), gguf_find_key(g.get(), "jouleval.test.list")), 2u);
  EXPECT_LT(gguf_find_tensor(g.get(), "blk.1.ffn_norm.weight"), 0);
  EXPECT_EQ(gguf_get_tensor_ne(g.get(), gguf_find_tensor(g.get(), "output_norm.weight"))[0], 128);
  fs::remove(out);
}

TEST(GgufRewrite, RefusesWhatTheGgufApiWouldAbortOn) {
  const fs::path out = testing::test_model_dir() / ("rewrite-bad." + std::to_string(::getpid()) + ".gguf");
  EXPECT_THROW(rewrite_gguf(testing::tiny_model(), out, {{"general.alignment", uint32_t{3}}}), util::Error);
  GgufRewrite twice;
  twice.tensor = [](GgufTensorEdit& t) {
    if (t.name == "blk.1.attn_norm.weight") t.name = "blk.0.attn_norm.weight";
    return true;
  };
  EXPECT_THROW(rewrite_gguf(testing::tiny_model(), out, twice), util::Error);
  GgufRewrite odd;
  odd.tensor = [](GgufTensorEdit& t) {
    if (t.name == "blk.0.attn_q.weight") t.type = 8;                   // Q8_0 rows of 64 are fine
    if (t.name == "blk.0.attn_norm.weight") t.type = 8, t.ne[0] = 33;  // 33 is no whole Q8_0 block
    return true;
  };
  EXPECT_THROW(rewrite_gguf(testing::tiny_model(), out, odd), util::Error);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace jouleval::engine

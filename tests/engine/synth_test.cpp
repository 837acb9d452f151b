// `synth`: the tiny model has the promised shape, metadata and tokenizer, is deterministic, and
// loads in llama.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "engine/gguf_info.h"
#include "engine/vocab.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Synth, TinyHasShapeMetadataAndRealTokenizer) {
  const auto path = testing::tiny_model();
  const GgufSummary s = read_gguf_summary(path);
  EXPECT_EQ(s.architecture, "qwen2");
  EXPECT_NE(s.name.find("random weights"), std::string::npos);
  EXPECT_TRUE(s.random_weights);
  EXPECT_EQ(s.n_layers, 2);
  EXPECT_EQ(s.n_embd, 64);
  ASSERT_FALSE(s.weight_types.empty());
  EXPECT_EQ(s.weight_types.front().name, "f16");
  EXPECT_LT(s.n_elements, 20'000'000u);

  const Vocab model_vocab = Vocab::load(path);
  const Vocab reference =
      Vocab::load(std::filesystem::path(JOULEVAL_SHARE_DIR_FOR_TESTS) / "vocab/ggml-vocab-qwen2.gguf");
  EXPECT_EQ(model_vocab.n_tokens(), reference.n_tokens());
  const std::string text = "Question: 7 * 6?\nAnswer: 42";
  EXPECT_EQ(model_vocab.tokenize(text, true), reference.tokenize(text, true));
}

TEST(Synth, SameSeedSameBytesWhateverTheThreads) {
  SynthOptions a;
  a.preset = "tiny";
  a.weight_type = "bf16";
  a.seed = 3;
  a.threads = 1;
  a.output = testing::test_model_dir() / ("det-a." + std::to_string(::getpid()) + ".gguf");
  SynthOptions b = a;
  b.threads = 3;
  b.output = testing::test_model_dir() / ("det-b." + std::to_string(::getpid()) + ".gguf");
  const SynthResult r = synthesize(a);
  synthesize(b);
  EXPECT_EQ(std::filesystem::file_size(a.output), r.file_bytes);
  EXPECT_TRUE(read_file(a.output) == read_file(b.output));
  std::filesystem::remove(a.output);
  std::filesystem::remove(b.output);
}

TEST(Synth, PresetsHavePublishedShapes) {
  const SynthShape& q7 = find_synth_preset("qwen2.5-7b");
  EXPECT_EQ(q7.n_layer, 28);
  EXPECT_EQ(q7.n_embd, 3584);
  EXPECT_EQ(q7.n_head_kv, 4);
  EXPECT_EQ(q7.n_ff, 18944);
  EXPECT_FALSE(q7.tied_embeddings);
  EXPECT_TRUE(find_synth_preset("qwen2.5-0.5b").tied_embeddings);
  EXPECT_EQ(find_synth_preset("llama-3-8b").rope_theta, 500000.0f);
  EXPECT_EQ(find_synth_preset("mistral-7b").n_ff, 14336);
}

TEST(Synth, RejectsUnknownPresetAndType) {
  SynthOptions o;
  o.output = testing::test_model_dir() / "never.gguf";
  o.preset = "gpt-5";
  EXPECT_THROW(synthesize(o), util::Error);
  o.preset = "tiny";
  o.weight_type = "q4_0";
  try {
    synthesize(o);
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  }
  EXPECT_FALSE(std::filesystem::exists(o.output));
}

}  // namespace
}  // namespace jouleval::engine

// Smoke test of the link to llama.cpp: load the vocab-only GGUF files that llama.cpp ships and
// round-trip text through tokenize/detokenize.
#include <gtest/gtest.h>

#include "engine/backend.h"
#include "engine/vocab.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

const std::filesystem::path kVocabDir = std::filesystem::path(JOULEVAL_SHARE_DIR_FOR_TESTS) / "vocab";

class VocabRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabRoundTrip, TokenizeDetokenizeIsIdentity) {
  Vocab vocab = Vocab::load(kVocabDir / GetParam());
  EXPECT_GT(vocab.n_tokens(), 30000);
  const std::string text = "Question: What is 12 + 30?\nAnswer: 42 joules, naïvely — ok.";
  std::vector<Token> tokens = vocab.tokenize(text, /*add_special=*/false);
  ASSERT_GT(tokens.size(), 10u);
  EXPECT_LT(tokens.size(), text.size());
  EXPECT_EQ(vocab.detokenize(tokens), text);
}

INSTANTIATE_TEST_SUITE_P(ShippedVocabs, VocabRoundTrip,
                         ::testing::Values("ggml-vocab-qwen2.gguf", "ggml-vocab-llama-bpe.gguf"));

TEST(Vocab, SpmAddsBosAndRoundTrips) {
  Vocab vocab = Vocab::load(kVocabDir / "ggml-vocab-llama-spm.gguf");
  EXPECT_TRUE(vocab.add_bos());
  std::vector<Token> with_bos = vocab.tokenize("Hello world", true);
  std::vector<Token> without = vocab.tokenize("Hello world", false);
  ASSERT_EQ(with_bos.size(), without.size() + 1);
  EXPECT_EQ(vocab.detokenize(without), "Hello world");
}

TEST(Vocab, MissingFileNamesThePath) {
  try {
    Vocab::load("/nonexistent/model.gguf");
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos);
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
  }
}

TEST(Backend, CpuIsCompiledIn) {
  auto backends = compiled_backends();
  EXPECT_NE(std::find(backends.begin(), backends.end(), "CPU"), backends.end());
}

}  // namespace
}  // namespace jouleval::engine

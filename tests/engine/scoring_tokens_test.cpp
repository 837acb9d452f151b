// scoring_tokens gives the token ids lm-evaluation-harness's split defines: the whole string
// tokenised once, the context's own tokenisation fixing the split, trailing context whitespace moved
// onto the continuation, BOS (SPM) or the empty-context token in front, left truncation to a window.
#include <gtest/gtest.h>

#include "engine/scoring_tokens.h"

namespace jouleval::engine {
namespace {

const std::filesystem::path kVocabDir = std::filesystem::path(JOULEVAL_SHARE_DIR_FOR_TESTS) / "vocab";

TEST(ScoringTokens, SplitAtTheContextsOwnTokenisation) {
  const Vocab vocab = Vocab::load(kVocabDir / "ggml-vocab-qwen2.gguf");
  ASSERT_FALSE(vocab.add_bos());
  const std::vector<LoglikelihoodRequest> requests = {
      {"Question: 2 + 2 =\nAnswer:", " B", ""},
      {"The capital of France is ", "Paris", ""},  // the space moves onto the continuation
  };
  const auto got = scoring_tokens(vocab, requests, 1 << 20);
  ASSERT_EQ(got.size(), 2u);

  const auto ctx0 = vocab.tokenize("Question: 2 + 2 =\nAnswer:", false);
  EXPECT_EQ(got[0].tokens, vocab.tokenize("Question: 2 + 2 =\nAnswer: B", false));
  EXPECT_EQ(got[0].continuation_begin, static_cast<int32_t>(ctx0.size()));
  EXPECT_EQ(vocab.detokenize({got[0].tokens.begin() + got[0].continuation_begin, got[0].tokens.end()}), " B");
  EXPECT_EQ(got[0].n_truncated, 0);

  const auto ctx1 = vocab.tokenize("The capital of France is", false);
  EXPECT_EQ(got[1].tokens, vocab.tokenize("The capital of France is Paris", false));
  EXPECT_EQ(got[1].continuation_begin, static_cast<int32_t>(ctx1.size()));
  EXPECT_EQ(vocab.detokenize({got[1].tokens.begin() + got[1].continuation_begin, got[1].tokens.end()}), " Paris");
}

TEST(ScoringTokens, BosInFrontAndLeftTruncation) {
  const Vocab vocab = Vocab::load(kVocabDir / "ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(vocab.add_bos());
  const std::string context = "one two three four five six seven eight nine ten";
  const auto whole = vocab.tokenize(context + " eleven", true);  // BOS + tokens
  const auto ctx = vocab.tokenize(context, true);
  const auto full = scoring_tokens(vocab, {{context, " eleven", ""}}, 1 << 20);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(full[0].tokens, whole);
  EXPECT_EQ(full[0].continuation_begin, static_cast<int32_t>(ctx.size()));

  // A window of 4 fed tokens keeps the last 5 tokens (4 fed + the last, never fed).
  const auto cut = scoring_tokens(vocab, {{context, " eleven", ""}}, 4);
  const auto n = static_cast<int32_t>(whole.size());
  EXPECT_EQ(cut[0].n_truncated, n - 5);
  EXPECT_EQ(cut[0].tokens, std::vector<Token>(whole.end() - 5, whole.end()));
  EXPECT_EQ(cut[0].continuation_begin, full[0].continuation_begin - (n - 5));
}

}  // namespace
}  // namespace jouleval::engine

// Incremental detokenisation equals detokenising the whole sequence at once (byte for byte, also
// when a token ends inside a UTF-8 character), and the stop-string search over the changed tail
// finds what a search of the whole text finds (docs/engine.md "Batched generation").
#include "engine/detokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/vocab.h"
#include "test_models.h"

namespace jouleval::engine {
namespace {

const std::filesystem::path kVocabDir = std::filesystem::path(JOULEVAL_SHARE_DIR_FOR_TESTS) / "vocab";

// Appends `tokens` one at a time; after each, the text must equal the whole detokenisation of the
// tokens so far.
void expect_incremental_equals_whole(const llama_vocab* vocab, DetokenizeRules rules,
                                     const std::vector<llama_token>& tokens) {
  IncrementalDetokenizer d(vocab, rules);
  std::vector<llama_token> so_far;
  for (llama_token t : tokens) {
    const std::string before = d.text();
    const size_t changed = d.append(t);
    so_far.push_back(t);
    const std::string whole = detokenize(vocab, so_far);
    ASSERT_EQ(d.text(), whole) << "after " << so_far.size() << " tokens";
    ASSERT_LE(changed, before.size());
    ASSERT_EQ(d.text().compare(0, changed, before, 0, changed), 0);  // bytes before `changed` kept
  }
}

bool ends_inside_utf8_character(const std::string& s) {
  // Count the continuation bytes the last lead byte asks for.
  for (size_t back = 1; back <= std::min<size_t>(4, s.size()); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back;
  }
  return false;
}

class DetokenizerVocab : public ::testing::TestWithParam<const char*> {};

TEST_P(DetokenizerVocab, RandomSequencesEqualWholeDetokenisation) {
  Vocab vocab = Vocab::load(kVocabDir / GetParam());
  const DetokenizeRules rules = detokenize_rules(vocab.raw());
  std::mt19937 rng(11);
  std::uniform_int_distribution<llama_token> any(0, vocab.n_tokens() - 1);
  for (int seq = 0; seq < 40; ++seq) {
    std::vector<llama_token> tokens(static_cast<size_t>(1 + seq % 30));
    for (auto& t : tokens) t = any(rng);
    if (seq % 5 == 0) tokens.front() = llama_vocab_bos(vocab.raw());  // a leading BOS is dropped
    expect_incremental_equals_whole(vocab.raw(), rules, tokens);
  }
}

TEST_P(DetokenizerVocab, MultiByteCharactersSplitOverTokens) {
  Vocab vocab = Vocab::load(kVocabDir / GetParam());
  const DetokenizeRules rules = detokenize_rules(vocab.raw());
  // Rare characters (Egyptian hieroglyph, Fraktur, Cyrillic ꙮ, new emoji) are byte tokens or byte
  // pairs in these vocabularies.
  const std::string text = std::string(" naïve café — 日本語の文章 😀🔋⚡") + " 𓂀 𝔘𝔫𝔦 ꙮ 🪼🦩" +
                           " Ünïcödé, isn't it? Yes. ' ok ' 're";
  const auto tokens = vocab.tokenize(text, false);
  expect_incremental_equals_whole(vocab.raw(), rules, tokens);
  // The case is exercised: some prefix of the tokens ends inside a character.
  bool split = false;
  for (size_t n = 1; n <= tokens.size(); ++n) {
    split = split || ends_inside_utf8_character(
                         detokenize(vocab.raw(), std::vector<llama_token>(tokens.begin(), tokens.begin() + n)));
  }
  EXPECT_TRUE(split);
}

INSTANTIATE_TEST_SUITE_P(ShippedVocabs, DetokenizerVocab,
                         ::testing::Values("ggml-vocab-qwen2.gguf", "ggml-vocab-llama-bpe.gguf",
                                           "ggml-vocab-llama-spm.gguf"));

TEST(Detokenizer, RulesFollowTheVocabulary) {
  // llama.cpp cleans up spaces for BPE vocabularies unless the pre-tokenizer says otherwise: Llama 3
  // does, Qwen2 does not; SentencePiece never does.
  EXPECT_TRUE(detokenize_rules(Vocab::load(kVocabDir / "ggml-vocab-qwen2.gguf").raw()).concatenates);
  EXPECT_TRUE(detokenize_rules(Vocab::load(kVocabDir / "ggml-vocab-llama-spm.gguf").raw()).concatenates);
  EXPECT_FALSE(detokenize_rules(Vocab::load(kVocabDir / "ggml-vocab-llama-bpe.gguf").raw()).concatenates);
}

TEST(Detokenizer, ConcatenatingVocabularyOnlyAppends) {
  Vocab vocab = Vocab::load(kVocabDir / "ggml-vocab-qwen2.gguf");
  IncrementalDetokenizer d(vocab.raw(), detokenize_rules(vocab.raw()));
  const auto tokens = vocab.tokenize("Answer: 42 joules per token.", false);
  ASSERT_GT(tokens.size(), 3u);
  for (llama_token t : tokens) {
    const size_t before = d.text().size();
    EXPECT_EQ(d.append(t), before);  // nothing re-detokenised
  }
}

TEST(FindStop, SearchesOnlyWhereANewMatchCanBe) {
  const std::vector<std::string> stops = {"\n\n", "Question:"};
  // "Questi" | "on:" : the stop spans the boundary and begins before it.
  EXPECT_EQ(find_stop("Answer 4. Question:", stops, 16), 10u);
  EXPECT_EQ(find_stop("Answer 4.\n", stops, 9), std::string::npos);
  EXPECT_EQ(find_stop("Answer 4.\n\n", stops, 10), 9u);
  EXPECT_EQ(find_stop("abc", {}, 0), std::string::npos);
  EXPECT_EQ(find_stop("abc", {"", "c"}, 2), 2u);
  // The earliest of several matches in the tail wins, whichever stop comes first in the list.
  EXPECT_EQ(find_stop("xx\n\nQuestion:", {"Question:", "\n\n"}, 1), 2u);
}

TEST(FindStop, TailSearchEqualsWholeSearchOverTokenPieces) {
  Vocab vocab = Vocab::load(kVocabDir / "ggml-vocab-qwen2.gguf");
  const std::string text = "Q: 2+2?\nA: 4\n\nQ: 3+3?\nA: 6\n\nQ: 日本? A: はい\n\nQuestion: done";
  const auto tokens = vocab.tokenize(text, false);
  const std::vector<std::vector<std::string>> stop_sets = {{"\n\n"}, {"Question:"}, {"A: 6"},           {"本?"},
                                                           {"? A"},  {"はい\n"},    {"never", "+3?\nA"}};
  for (const auto& stops : stop_sets) {
    IncrementalDetokenizer d(vocab.raw(), detokenize_rules(vocab.raw()));
    size_t found = std::string::npos;
    for (llama_token t : tokens) {
      const size_t changed = d.append(t);
      found = find_stop(d.text(), stops, changed);
      size_t whole = std::string::npos;
      for (const auto& s : stops) whole = std::min(whole, d.text().find(s));
      ASSERT_EQ(found, whole) << stops.front() << " at " << d.text().size();
      if (found != std::string::npos) break;  // generation stops here
    }
    EXPECT_NE(found, std::string::npos) << stops.front();
  }
}

}  // namespace
}  // namespace jouleval::engine

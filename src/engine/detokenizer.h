// Incremental detokenisation of a generated sequence and the stop-string search over what each new
// token adds (docs/engine.md "Batched generation"). The text after any number of appends is
// byte-identical to detokenize() (engine/vocab.h) of all tokens at once, also when a token's bytes
// end inside a UTF-8 character: pieces are concatenated as bytes, as llama_detokenize does.
//
// llama_detokenize is the concatenation of the tokens' pieces, except that it drops a leading BOS
// (when the vocabulary adds one), strips the first piece's leading space (SentencePiece's space
// prefix), drops a trailing EOS (when the vocabulary adds one) and, for some vocabularies (most BPE
// ones, e.g. Llama 3; not Qwen2 or SentencePiece), removes spaces before punctuation and
// contractions over the whole text. DetokenizeRules finds out whether that clean-up applies; when it
// does, or for a trailing-EOS vocabulary's EOS, the detokenizer falls back to detokenising every
// token at each append (exact, but quadratic in the length).
//
// Plain values; an IncrementalDetokenizer is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama.h"

namespace jouleval::engine {

// What a vocabulary's detokenisation allows. Computed once per vocabulary (a scan of its pieces).
struct DetokenizeRules {
  // True when llama_detokenize is the concatenation of the pieces (after the first token's special
  // handling): no clean-up of spaces.
  bool concatenates = false;
};
DetokenizeRules detokenize_rules(const llama_vocab* vocab);

class IncrementalDetokenizer {
 public:
  IncrementalDetokenizer(const llama_vocab* vocab, DetokenizeRules rules) : vocab_(vocab), rules_(rules) {}

  // Appends `token`. Returns the offset from which text() may differ from the text before the call
  // (its old size when only bytes were appended; 0 after a whole re-detokenisation). Throws
  // util::Error when llama.cpp cannot detokenise.
  size_t append(llama_token token);

  const std::string& text() const { return text_; }
  const std::vector<llama_token>& tokens() const { return tokens_; }

 private:
  const llama_vocab* vocab_;
  DetokenizeRules rules_;
  bool whole_ = false;  // detokenise every token at each append from now on
  std::vector<llama_token> tokens_;
  std::string text_;
};

// The earliest position in `text` of any non-empty string of `stops`, given that none occurred in
// text before its bytes from `changed_from` on changed: only the last longest-stop-minus-one bytes
// before `changed_from` and the bytes after it are searched. npos when there is none.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t changed_from);

}  // namespace jouleval::engine

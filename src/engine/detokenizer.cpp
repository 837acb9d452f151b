#include "engine/detokenizer.h"

#include <algorithm>

#include "engine/vocab.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

// The piece of `token` as llama_detokenize writes it after the first token: no space stripped,
// control tokens empty (remove_special / unparse_special as engine::detokenize).
void append_piece(const llama_vocab* vocab, llama_token token, std::string& out) {
  char small[64];
  int32_t n = llama_token_to_piece(vocab, token, small, sizeof(small), /*lstrip=*/0, /*special=*/false);
  if (n >= 0) {
    out.append(small, static_cast<size_t>(n));
    return;
  }
  const size_t at = out.size();
  out.resize(at + static_cast<size_t>(-n));
  n = llama_token_to_piece(vocab, token, out.data() + at, -n, 0, false);
  if (n < 0) throw util::Error("detokenization failed");
  out.resize(at + static_cast<size_t>(n));
}

}  // namespace

DetokenizeRules detokenize_rules(const llama_vocab* vocab) {
  // Spaces are cleaned up when "," + " " + "," does not come back as ", ,". The first token is a
  // comma so that no prefix space is stripped from the space.
  llama_token comma = LLAMA_TOKEN_NULL;
  llama_token space = LLAMA_TOKEN_NULL;
  const int32_t n = llama_vocab_n_tokens(vocab);
  std::string piece;
  for (llama_token t = 0; t < n && (comma == LLAMA_TOKEN_NULL || space == LLAMA_TOKEN_NULL); ++t) {
    piece.clear();
    append_piece(vocab, t, piece);
    if (piece == "," && comma == LLAMA_TOKEN_NULL) comma = t;
    if (piece == " " && space == LLAMA_TOKEN_NULL) space = t;
  }
  DetokenizeRules rules;
  if (comma == LLAMA_TOKEN_NULL || space == LLAMA_TOKEN_NULL) return rules;  // cannot tell: whole
  rules.concatenates = detokenize(vocab, {comma, space, comma}) == ", ,";
  return rules;
}

size_t IncrementalDetokenizer::append(llama_token token) {
  tokens_.push_back(token);
  // A trailing EOS that the vocabulary adds is dropped only while it is last: not a concatenation.
  if (llama_vocab_get_add_eos(vocab_) && token == llama_vocab_eos(vocab_)) whole_ = true;
  if (whole_ || !rules_.concatenates) {
    text_ = detokenize(vocab_, tokens_);
    return 0;
  }
  const size_t old = text_.size();
  if (tokens_.size() == 1) {
    // The first token's special handling (leading BOS dropped, prefix space stripped) is
    // llama_detokenize's own; a dropped BOS leaves the next token unstripped, as a later piece.
    text_ = detokenize(vocab_, tokens_);
  } else {
    append_piece(vocab_, token, text_);
  }
  return old;
}

size_t find_stop(const std::string& text, const std::vector<std::string>& stops, size_t changed_from) {
  size_t longest = 0;
  for (const auto& s : stops) longest = std::max(longest, s.size());
  if (longest == 0) return std::string::npos;
  const size_t from = changed_from >= longest - 1 ? changed_from - (longest - 1) : 0;
  size_t best = std::string::npos;
  for (const auto& s : stops) {
    if (s.empty()) continue;
    best = std::min(best, text.find(s, from));
  }
  return best;
}

}  // namespace jouleval::engine

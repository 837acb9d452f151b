#include "engine/vocab.h"

#include <fmt/format.h>

#include "engine/backend.h"
#include "engine/gguf_validate.h"
#include "llama.h"
#include "util/error.h"

namespace jouleval::engine {

void Vocab::ModelDeleter::operator()(llama_model* m) const { llama_model_free(m); }

Vocab Vocab::load(const std::filesystem::path& path) {
  ensure_backend();
  if (!std::filesystem::exists(path))
    throw util::Error(fmt::format("{}: no such file", path.string()), util::ErrorKind::kBadInput);
  validate_gguf(path, GgufScope::kVocabOnly);  // llama.cpp's tokenizer aborts on some broken ones
  llama_model_params params = llama_model_default_params();
  params.vocab_only = true;
  params.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(path.c_str(), params);
  if (model == nullptr)
    throw util::Error(fmt::format("{}: not a GGUF file llama.cpp can load", path.string()), util::ErrorKind::kBadInput);
  std::unique_ptr<llama_model, ModelDeleter> owned(model);
  const llama_vocab* vocab = llama_model_get_vocab(model);
  return Vocab(std::move(owned), vocab);
}

std::vector<Token> Vocab::tokenize(const std::string& text, bool add_special) const {
  return engine::tokenize(vocab_, text, add_special);
}

std::string Vocab::detokenize(const std::vector<Token>& tokens) const { return engine::detokenize(vocab_, tokens); }

int32_t Vocab::n_tokens() const { return llama_vocab_n_tokens(vocab_); }
bool Vocab::add_bos() const { return llama_vocab_get_add_bos(vocab_); }

std::vector<Token> tokenize(const llama_vocab* vocab, const std::string& text, bool add_special) {
  std::vector<Token> tokens(text.size() + 8);
  int32_t n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                             static_cast<int32_t>(tokens.size()), add_special, /*parse_special=*/false);
  if (n < 0) {
    tokens.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), add_special, false);
  }
  if (n < 0) throw util::Error("tokenization failed");
  tokens.resize(static_cast<size_t>(n));
  return tokens;
}

std::string detokenize(const llama_vocab* vocab, const std::vector<Token>& tokens) {
  std::string text(tokens.size() * 8 + 16, '\0');
  int32_t n = llama_detokenize(vocab, tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                               static_cast<int32_t>(text.size()), /*remove_special=*/true, /*unparse_special=*/false);
  if (n < 0) {
    text.resize(static_cast<size_t>(-n));
    n = llama_detokenize(vocab, tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                         static_cast<int32_t>(text.size()), true, false);
  }
  if (n < 0) throw util::Error("detokenization failed");
  text.resize(static_cast<size_t>(n));
  return text;
}

}  // namespace jouleval::engine

// A tokenizer loaded from a GGUF file without its weights (llama.cpp's vocab_only mode):
// tokenize and detokenize text exactly as the full model would. Owns the llama_model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

struct llama_model;
struct llama_vocab;

namespace jouleval::engine {

using Token = int32_t;

class Vocab {
 public:
  // Loads the vocabulary of `path`; throws util::Error naming the file on failure (kBadInput for a
  // tokenizer that breaks a rule of validate_gguf, docs/engine.md "GGUF validation").
  static Vocab load(const std::filesystem::path& path);

  // add_special: prepend BOS when the tokenizer metadata asks for it.
  std::vector<Token> tokenize(const std::string& text, bool add_special) const;
  std::string detokenize(const std::vector<Token>& tokens) const;

  int32_t n_tokens() const;
  bool add_bos() const;
  const llama_vocab* raw() const { return vocab_; }

 private:
  struct ModelDeleter {
    void operator()(llama_model* m) const;
  };
  Vocab(std::unique_ptr<llama_model, ModelDeleter> model, const llama_vocab* vocab)
      : model_(std::move(model)), vocab_(vocab) {}

  std::unique_ptr<llama_model, ModelDeleter> model_;
  const llama_vocab* vocab_;
};

// Tokenises `text` with `vocab`; shared by Vocab and the engine's Model.
std::vector<Token> tokenize(const llama_vocab* vocab, const std::string& text, bool add_special);
std::string detokenize(const llama_vocab* vocab, const std::vector<Token>& tokens);

}  // namespace jouleval::engine

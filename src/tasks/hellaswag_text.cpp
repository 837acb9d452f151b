#include "tasks/hellaswag_text.h"

namespace jouleval::tasks {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// re.sub(r"\[.*?\]", "", text): '.' does not match a newline.
std::string remove_bracket_tags(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '[') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != ']' && text[j] != '\n') ++j;
      if (j < text.size() && text[j] == ']') {
        i = j + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

std::string_view strip_ascii(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string hellaswag_preprocess(std::string_view text) {
  std::string s = replace_all(strip_ascii(text), " [title]", ". ");
  s = remove_bracket_tags(s);
  return replace_all(s, "  ", " ");
}

std::string python_capitalize(std::string_view text) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) out[i] = i == 0 ? ascii_upper(out[i]) : ascii_lower(out[i]);
  return out;
}

}  // namespace jouleval::tasks

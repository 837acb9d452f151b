#include "tasks/gsm8k_answer.h"

#include "tasks/hellaswag_text.h"

namespace jouleval::tasks {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_strict_char(char c) { return is_digit(c) || c == '.' || c == ','; }
bool is_flex_char(char c) { return is_digit(c) || c == '$' || c == '.' || c == ','; }

size_t run_length(std::string_view s, size_t from, bool (*pred)(char)) {
  size_t end = from;
  while (end < s.size() && pred(s[end])) ++end;
  return end - from;
}

}  // namespace

std::optional<std::string> extract_strict(std::string_view text) {
  constexpr std::string_view kMarker = "#### ";
  for (size_t p = text.find(kMarker); p != std::string_view::npos; p = text.find(kMarker, p + 1)) {
    size_t start = p + kMarker.size();
    size_t digits_from = start;
    if (digits_from < text.size() && text[digits_from] == '-') ++digits_from;
    size_t run = run_length(text, digits_from, is_strict_char);
    if (run > 0) return std::string(text.substr(start, digits_from + run - start));
    // '-' without a following number: the optional '-' cannot help ('-' is not in the class).
  }
  return std::nullopt;
}

std::optional<std::string> extract_flexible(std::string_view text) {
  std::optional<std::string> last;
  size_t p = 0;
  while (p < text.size()) {
    size_t match_len = 0;
    // Alternative 1: -?[$0-9.,]{2,}
    if (text[p] == '-') {
      size_t run = run_length(text, p + 1, is_flex_char);
      if (run >= 2) match_len = 1 + run;
    } else {
      size_t run = run_length(text, p, is_flex_char);
      if (run >= 2) match_len = run;
    }
    // Alternative 2: -?[0-9]+
    if (match_len == 0) {
      if (text[p] == '-') {
        size_t run = run_length(text, p + 1, is_digit);
        if (run > 0) match_len = 1 + run;
      } else {
        match_len = run_length(text, p, is_digit);
      }
    }
    if (match_len > 0) {
      last = std::string(strip_ascii(text.substr(p, match_len)));
      p += match_len;
    } else {
      ++p;
    }
  }
  return last;
}

std::string normalize_answer(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (c != ',' && c != '$') s += c;
  }
  if (size_t marker = s.rfind("#### "); marker != std::string::npos) s.erase(0, marker + 5);
  if (!s.empty() && s.back() == '.') {
    s.pop_back();
  } else if (s.size() >= 2 && s[s.size() - 1] == '\n' && s[s.size() - 2] == '.') {
    s.erase(s.size() - 2, 1);
  }
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

}  // namespace jouleval::tasks

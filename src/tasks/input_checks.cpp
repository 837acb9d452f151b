#include "tasks/input_checks.h"

#include <algorithm>

#include <fmt/format.h>

namespace jouleval::tasks {
namespace {

// The code point starting at text[i] of valid UTF-8; advances i past it.
char32_t next_code_point(std::string_view text, size_t& i) {
  const auto c = static_cast<unsigned char>(text[i]);
  size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  len = std::min(len, text.size() - i);
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  i += len;
  return cp;
}

bool is_blank_code_point(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x180E:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x2060:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200D;  // en quad .. hair space, zero-width space/(non-)joiner
  }
}

int line_at(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

}  // namespace

std::string_view check_file_text(std::string_view text, std::string_view source) {
  require_utf8(text, source);
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    throw_bad_input({source, line_at(text, nul)}, "", fmt::format("NUL byte at offset {}", nul));
  }
  if (text.starts_with(kUtf8Bom)) text.remove_prefix(kUtf8Bom.size());
  return text;
}

bool is_blank(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (!is_blank_code_point(next_code_point(text, i))) return false;
  }
  return true;
}

void check_text_field(const SourcePos& pos, std::string_view field, std::string_view text, Blank blank) {
  if (text.size() > kMaxFieldBytes) {
    throw_bad_input(pos, field,
                    fmt::format("{} bytes, more than the limit of {} bytes per field (docs/tasks.md \"Limits\")",
                                text.size(), kMaxFieldBytes));
  }
  if (text.find('\0') != std::string_view::npos) throw_bad_input(pos, field, "contains U+0000 (NUL)");
  if (text.starts_with(kUtf8Bom)) {
    throw_bad_input(pos, field, "begins with U+FEFF (a byte order mark; a file appended to another leaves one there)");
  }
  if (blank == Blank::kReject && is_blank(text)) throw_bad_input(pos, field, "empty (or only white space)");
}

void check_item_bytes(const SourcePos& pos, size_t bytes) {
  if (bytes > kMaxItemBytes) {
    throw_bad_input(pos, "",
                    fmt::format("item of {} bytes of text, more than the limit of {} bytes per item (docs/tasks.md "
                                "\"Limits\")",
                                bytes, kMaxItemBytes));
  }
}

void require_items(size_t n_items, std::string_view source) {
  if (n_items == 0) throw_bad_input({source, 0}, "", "no items (the file is empty or holds only blank lines)");
}

void ItemIds::add(const std::string& id, const SourcePos& pos, std::string_view field) {
  auto [it, inserted] = first_line_.emplace(id, pos.line);
  if (!inserted) {
    throw_bad_input(pos, field,
                    fmt::format("duplicate item id '{}' (also on line {}); item ids must be unique in a file",
                                excerpt(id), it->second));
  }
}

}  // namespace jouleval::tasks

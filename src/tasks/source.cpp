#include "tasks/source.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "tasks/utf8.h"
#include "util/error.h"

namespace jouleval::tasks {

void throw_bad_input(const SourcePos& pos, std::string_view field, std::string_view problem) {
  std::string where(pos.source.empty() ? std::string_view("<input>") : pos.source);
  if (pos.line > 0) where += fmt::format(":{}", pos.line);
  std::string msg =
      field.empty() ? fmt::format("{}: {}", where, problem) : fmt::format("{}: field '{}': {}", where, field, problem);
  throw util::Error(msg, util::ErrorKind::kBadInput);
}

std::string excerpt(std::string_view text, size_t max_bytes) {
  std::string_view head = text;
  if (head.size() > max_bytes) {
    size_t cut = max_bytes;  // back to the start of a character
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    head = text.substr(0, cut);
  }
  std::string out;
  size_t i = 0;
  while (i < head.size()) {
    size_t bad = utf8_error_offset(head.substr(i));
    size_t good = bad == std::string_view::npos ? head.size() - i : bad;
    out.append(head.substr(i, good));
    i += good;
    if (i < head.size()) out += fmt::format("\\x{:02X}", static_cast<unsigned char>(head[i++]));
  }
  if (head.size() < text.size()) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw util::Error(fmt::format("{}: cannot open file", path.string()), util::ErrorKind::kBadInput);
  }
  std::string data;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw util::Error(fmt::format("{}: cannot read file size", path.string()), util::ErrorKind::kBadInput);
  data.resize(static_cast<size_t>(size));
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (static_cast<size_t>(in.gcount()) != data.size()) {
    throw util::Error(fmt::format("{}: read error", path.string()), util::ErrorKind::kBadInput);
  }
  return data;
}

void require_utf8(std::string_view text, std::string_view source) {
  size_t bad = utf8_error_offset(text);
  if (bad == std::string_view::npos) return;
  int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
  throw_bad_input(
      {source, line}, "",
      fmt::format("invalid UTF-8 (byte 0x{:02X} at offset {})", static_cast<unsigned char>(text[bad]), bad));
}

void for_each_line(std::string_view text, const std::function<void(int, std::string_view)>& fn) {
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(++line_no, line);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
}

}  // namespace jouleval::tasks

// Input text and its position for error messages: reading a whole file, splitting lines, and the
// util::Error thrown for malformed data ("file:line: field 'x': problem", ErrorKind::kBadInput).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace jouleval::tasks {

// A position in an input: the file (or built-in sample) name and a 1-based line (0 = unknown).
struct SourcePos {
  std::string_view source;
  int line = 0;
};

// Throws util::Error(kBadInput) naming the source, line and field (any may be empty / 0).
[[noreturn]] void throw_bad_input(const SourcePos& pos, std::string_view field, std::string_view problem);

// `text` made fit for an error message: cut to at most `max_bytes` (at a character boundary, then
// "... (N bytes)" appended), each byte that is not part of valid UTF-8 written as \xNN.
std::string excerpt(std::string_view text, size_t max_bytes = 60);

// Reads a whole file; throws util::Error(kBadInput) when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// Throws a bad-input error naming the line of the first invalid UTF-8 byte, if any.
void require_utf8(std::string_view text, std::string_view source);

// Calls fn(line_number, line) for each line (1-based; "\n" or "\r\n" endings removed). A final
// empty line after the last newline is not reported.
void for_each_line(std::string_view text, const std::function<void(int, std::string_view)>& fn);

}  // namespace jouleval::tasks

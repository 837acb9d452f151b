// RFC 4180 CSV parsing (quoted fields, doubled quotes, embedded newlines, LF or CRLF record ends)
// with strict errors that name the file and line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jouleval::tasks {

struct CsvRecord {
  int line = 0;  // 1-based line on which the record starts
  std::vector<std::string> fields;
};

// Parses `text` (already known to be valid UTF-8). Empty lines are skipped. Throws util::Error
// (kBadInput) naming `source` and the line for: an unterminated quoted field, a character other than
// a separator or record end after a closing quote, or a quote inside an unquoted field.
std::vector<CsvRecord> parse_csv(std::string_view text, std::string_view source);

}  // namespace jouleval::tasks

#include "tasks/csv_reader.h"

#include <algorithm>

#include <fmt/format.h>

#include "tasks/source.h"

namespace jouleval::tasks {

std::vector<CsvRecord> parse_csv(std::string_view text, std::string_view source) {
  std::vector<CsvRecord> records;
  const size_t n = text.size();
  size_t i = 0;
  int line = 1;
  while (i < n) {
    // Skip empty lines between records.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    bool record_done = false;
    while (!record_done) {
      std::string field;
      const int field_line = line;
      if (i < n && text[i] == '"') {
        ++i;
        while (true) {
          if (i >= n) {
            throw_bad_input({source, field_line}, fmt::format("column {}", rec.fields.size() + 1),
                            "unterminated quoted field");
          }
          // Copy the run up to the next quote in one go, counting its newlines.
          size_t quote = text.find('"', i);
          size_t stop = quote == std::string_view::npos ? n : quote;
          std::string_view run = text.substr(i, stop - i);
          line += static_cast<int>(std::count(run.begin(), run.end(), '\n'));
          field.append(run);
          i = stop;
          if (i >= n) continue;  // reported as unterminated above
          if (i + 1 < n && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          const auto lead = static_cast<unsigned char>(text[i]);
          const size_t char_len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
          throw_bad_input(
              {source, line}, fmt::format("column {}", rec.fields.size() + 1),
              fmt::format("unexpected character '{}' after closing quote", excerpt(text.substr(i, char_len))));
        }
      } else {
        size_t start = i;
        while (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          if (text[i] == '"') {
            throw_bad_input({source, line}, fmt::format("column {}", rec.fields.size() + 1),
                            "quote character inside an unquoted field");
          }
          ++i;
        }
        field.assign(text.substr(start, i - start));
      }
      rec.fields.push_back(std::move(field));
      if (i >= n) {
        record_done = true;
      } else if (text[i] == ',') {
        ++i;
      } else {  // record end: "\n" or "\r\n"
        i += text[i] == '\r' ? 2 : 1;
        ++line;
        record_done = true;
      }
    }
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace jouleval::tasks

// A plain table of typed values (one row per cell or per item) shared by the exports and the HTML
// report, with column selection by key. An absent value (std::monostate) means unavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace jouleval::report {

using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct Column {
  std::string key;                          // machine-readable name (CSV header, JSON key, --columns)
  std::string label;                        // human header (Markdown, LaTeX, HTML)
  bool energy = false;                      // an energy-derived number: marked when the row's energy is estimated
  bool raw_json = false;                    // the string is a JSON document (embedded as an object in JSONL)
  bool opt_in = false;                      // left out of "all columns" output unless selected by key (select_columns)
  std::string absent_text = "unavailable";  // what formats for people show for an absent value
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
  std::vector<bool> row_estimated;           // per row: energy includes an opt-in estimate
  std::vector<std::string> default_columns;  // keys shown by default in compact formats

  std::optional<size_t> column_index(const std::string& key) const;
};

Value opt_value(const std::optional<double>& v);
// A count, or a mean of counts: an integer when whole, else the double.
Value count_value(double v);

// A table with only `keys`, in that order; throws util::Error (usage) naming an unknown key and
// listing the known ones. Opt-in columns named in `keys` are kept (their opt_in flag is cleared).
Table select_columns(const Table& table, const std::vector<std::string>& keys);

// The table without its opt-in columns: what "all columns" means for the exports.
Table without_opt_in_columns(const Table& table);

// Splits "a,b,c" (spaces trimmed, empty parts dropped).
std::vector<std::string> split_list(const std::string& text);

// A number for people: about `significant` significant digits, no exponent below 1e6.
std::string format_number(double value, int significant = 3);

}  // namespace jouleval::report

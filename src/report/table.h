// A plain table of typed values (one row per cell or per item) shared by the exports and the HTML
// report, with column selection by key. An absent value (std::monostate) means unavailable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "report/number_format.h"

namespace jouleval::report {

using Value = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct Column {
  std::string key;                          // machine-readable name (CSV header, JSON key, --columns)
  std::string label;                        // human header (Markdown, LaTeX, HTML)
  bool energy = false;                      // an energy-derived number: marked when the row's energy is estimated
  bool raw_json = false;                    // the string is a JSON document (embedded as an object in JSONL)
  bool opt_in = false;                      // left out of "all columns" output unless selected by key (select_columns)
  std::string absent_text = "unavailable";  // what formats for people show for an absent value
  // How formats for people (Markdown, LaTeX) write the column's numbers (report/number_format.h):
  // fixed decimals, or kSignificant (three significant digits).
  int decimals = kSignificant;
  bool exact = false;  // formats for people print the value as stored (identity fields: ids, settings)
  // This column is the low (or, with interval_high, the high) end of the 95% confidence interval of
  // the column keyed `interval_of`. Formats for people that show that column and both ends of its
  // interval write one cell, "value ± half-width", and no column for the ends (report/export.h).
  std::string interval_of = "";
  bool interval_high = false;
  // On a value column with an interval: how the interval is computed, for the caption
  // ("1.96 × the standard error over the items").
  std::string interval_note = "";
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

// A number for people: about `significant` significant digits, no exponent below 1e6 (the HTML report
// and recommend; the Markdown and LaTeX exports follow report/number_format.h).
std::string format_number(double value, int significant = 3);

}  // namespace jouleval::report

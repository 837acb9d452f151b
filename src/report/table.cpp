#include "report/table.h"

#include <cmath>

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::report {

std::optional<size_t> Table::column_index(const std::string& key) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i].key == key) return i;
  return std::nullopt;
}

Value opt_value(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

Value count_value(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

Table select_columns(const Table& table, const std::vector<std::string>& keys) {
  Table out;
  out.row_estimated = table.row_estimated;
  std::vector<size_t> idx;
  for (const auto& key : keys) {
    const auto i = table.column_index(key);
    if (!i) {
      std::string known;
      for (const auto& c : table.columns) known += (known.empty() ? "" : ", ") + c.key;
      throw util::Error(fmt::format("unknown column '{}'; known columns: {}", key, known), util::ErrorKind::kUsage);
    }
    idx.push_back(*i);
    out.columns.push_back(table.columns[*i]);
    out.columns.back().opt_in = false;
  }
  out.default_columns = keys;
  for (const auto& row : table.rows) {
    std::vector<Value> r;
    for (size_t i : idx) r.push_back(row[i]);
    out.rows.push_back(std::move(r));
  }
  return out;
}

Table without_opt_in_columns(const Table& table) {
  std::vector<std::string> keys;
  for (const auto& c : table.columns)
    if (!c.opt_in) keys.push_back(c.key);
  if (keys.size() == table.columns.size()) return table;
  Table out = select_columns(table, keys);
  out.default_columns = table.default_columns;
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    const auto b = part.find_first_not_of(" \t");
    const auto e = part.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

std::string format_number(double value, int significant) {
  if (!std::isfinite(value)) return "n/a";
  if (value == 0.0) return "0";
  const double mag = std::floor(std::log10(std::fabs(value)));
  if (mag >= 6 || mag < -6) return fmt::format("{:.{}e}", value, significant - 1);
  int decimals = significant - 1 - static_cast<int>(mag);
  if (decimals < 0) decimals = 0;
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace jouleval::report

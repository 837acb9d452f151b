#include "report/export.h"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

bool absent(const Value& v) { return std::holds_alternative<std::monostate>(v); }

// Exact text for machine-readable formats (shortest round-trip doubles).
std::string exact_text(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return fmt::format("{}", i); }
    std::string operator()(double d) const { return fmt::format("{}", d); }
    std::string operator()(const std::string& s) const { return s; }
  };
  return std::visit(Visitor{}, v);
}

// Rounded text for people; `estimated_mark` is appended to estimated energy numbers.
std::string human_text(const Value& v, const Column& c, bool row_estimated, const std::string& estimated_mark) {
  if (const double* d = std::get_if<double>(&v)) {
    std::string s = format_number(*d);
    if (c.energy && row_estimated) s += estimated_mark;
    return s;
  }
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "yes" : "no";
  return exact_text(v);
}

bool numeric_column(const Table& t, size_t i) {
  bool any = false;
  for (const auto& row : t.rows) {
    if (absent(row[i])) continue;
    if (!std::holds_alternative<double>(row[i]) && !std::holds_alternative<int64_t>(row[i])) return false;
    any = true;
  }
  return any;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

// Text for a Markdown cell: control characters escaped (util/terminal_text.h), '|' escaped, line
// breaks as spaces.
std::string markdown_cell(const std::string& raw) {
  const std::string s = util::terminal_safe(raw);
  std::string out;
  for (char ch : s) {
    if (ch == '|')
      out += "\\|";
    else if (ch == '\n')
      out += ' ';
    else
      out += ch;
  }
  return out;
}

// `table` itself when it has no opt-in columns, else `storage` holding the table without them.
const Table& shown(const Table& table, Table& storage) {
  if (std::none_of(table.columns.begin(), table.columns.end(), [](const Column& c) { return c.opt_in; })) return table;
  storage = without_opt_in_columns(table);
  return storage;
}

bool row_est(const Table& t, size_t r) { return r < t.row_estimated.size() && t.row_estimated[r]; }

}  // namespace

ExportFormat parse_export_format(const std::string& name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "jsonl") return ExportFormat::kJsonl;
  if (name == "markdown" || name == "md") return ExportFormat::kMarkdown;
  if (name == "latex" || name == "tex") return ExportFormat::kLatex;
  throw util::Error(fmt::format("unknown export format '{}' (csv, jsonl, markdown, latex)", name),
                    util::ErrorKind::kUsage);
}

ExportTable parse_export_table(const std::string& name) {
  if (name == "summary") return ExportTable::kSummary;
  if (name == "items") return ExportTable::kItems;
  if (name == "precision") return ExportTable::kPrecision;
  if (name == "models") return ExportTable::kModels;
  throw util::Error(fmt::format("unknown table '{}' for --table (summary, items, precision, models)", name),
                    util::ErrorKind::kUsage);
}

std::string latex_escape(const std::string& text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '\\':
        out += "\\textbackslash{}";
        break;
      case '{':
        out += "\\{";
        break;
      case '}':
        out += "\\}";
        break;
      case '$':
        out += "\\$";
        break;
      case '&':
        out += "\\&";
        break;
      case '%':
        out += "\\%";
        break;
      case '#':
        out += "\\#";
        break;
      case '_':
        out += "\\_";
        break;
      case '~':
        out += "\\textasciitilde{}";
        break;
      case '^':
        out += "\\textasciicircum{}";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string export_csv(const Table& all_columns) {
  Table storage;
  const Table& table = shown(all_columns, storage);
  std::string out;
  for (size_t i = 0; i < table.columns.size(); ++i) {
    if (i) out += ',';
    out += csv_field(table.columns[i].key);
  }
  out += "\n";
  for (const auto& row : table.rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) out += ',';
      out += csv_field(exact_text(row[i]));
    }
    out += "\n";
  }
  return out;
}

std::string export_jsonl(const Table& all_columns) {
  Table storage;
  const Table& table = shown(all_columns, storage);
  std::string out;
  for (const auto& row : table.rows) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (size_t i = 0; i < row.size(); ++i) {
      const auto& c = table.columns[i];
      const Value& v = row[i];
      if (absent(v))
        j[c.key] = nullptr;
      else if (const bool* b = std::get_if<bool>(&v))
        j[c.key] = *b;
      else if (const int64_t* n = std::get_if<int64_t>(&v))
        j[c.key] = *n;
      else if (const double* d = std::get_if<double>(&v))
        j[c.key] = *d;
      else if (c.raw_json)
        j[c.key] = nlohmann::ordered_json::parse(std::get<std::string>(v), nullptr, false);
      else
        j[c.key] = std::get<std::string>(v);
    }
    out += util::terminal_json(util::json_text(j));
    out += '\n';
  }
  return out;
}

std::string export_markdown(const Table& all_columns) {
  Table storage;
  const Table& table = shown(all_columns, storage);
  std::string out = "|";
  for (const auto& c : table.columns) {
    out += ' ';
    out += markdown_cell(c.label);
    out += " |";
  }
  out += "\n|";
  for (size_t i = 0; i < table.columns.size(); ++i) out += numeric_column(table, i) ? " ---: |" : " --- |";
  out += "\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    out += "|";
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const Value& v = table.rows[r][i];
      const std::string s =
          absent(v) ? table.columns[i].absent_text : human_text(v, table.columns[i], row_est(table, r), " (estimated)");
      out += ' ';
      out += markdown_cell(s);
      out += " |";
    }
    out += "\n";
  }
  return out;
}

std::string export_latex(const Table& all_columns, const ExportOptions& options) {
  Table storage;
  const Table& table = shown(all_columns, storage);
  const bool wide = table.columns.size() > 7;
  bool any_absent = false, any_not_recorded = false, any_estimated = false;
  std::string spec;
  for (size_t i = 0; i < table.columns.size(); ++i) spec += numeric_column(table, i) ? "r" : "l";
  std::string body;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    for (size_t i = 0; i < table.columns.size(); ++i) {
      const Value& v = table.rows[r][i];
      std::string s;
      if (absent(v) && table.columns[i].absent_text == "not recorded") {
        s = "n/r";
        any_not_recorded = true;
      } else if (absent(v)) {
        s = "--";
        any_absent = true;
      } else {
        s = latex_escape(util::terminal_safe(human_text(v, table.columns[i], row_est(table, r), "*")));
        if (table.columns[i].energy && row_est(table, r) && std::holds_alternative<double>(v)) any_estimated = true;
      }
      body += (i ? " & " : "") + s;
    }
    body += " \\\\\n";
  }
  std::string caption = latex_escape(util::terminal_safe(options.caption)) + ".";
  if (any_absent) caption += " --: unavailable.";
  if (any_not_recorded) caption += " n/r: not recorded.";
  if (any_estimated) caption += " *: estimated.";

  const char* env = wide ? "table*" : "table";
  std::string out = fmt::format("% requires \\usepackage{{booktabs}}{}\n", wide ? " and \\usepackage{graphicx}" : "");
  out += fmt::format("\\begin{{{}}}[t]\n\\centering\n\\small\n", env);
  out += fmt::format("\\caption{{{}}}\n\\label{{{}}}\n", caption, options.label);
  if (wide) out += "\\resizebox{\\textwidth}{!}{%\n";
  out += fmt::format("\\begin{{tabular}}{{{}}}\n\\toprule\n", spec);
  for (size_t i = 0; i < table.columns.size(); ++i)
    out += (i ? " & " : "") + latex_escape(util::terminal_safe(table.columns[i].label));
  out += " \\\\\n\\midrule\n" + body + "\\bottomrule\n\\end{tabular}\n";
  if (wide) out += "}\n";
  out += fmt::format("\\end{{{}}}\n", env);
  return out;
}

std::string export_table(const Table& table, ExportFormat format, const ExportOptions& options) {
  switch (format) {
    case ExportFormat::kCsv:
      return export_csv(table);
    case ExportFormat::kJsonl:
      return export_jsonl(table);
    case ExportFormat::kMarkdown:
      return export_markdown(table);
    case ExportFormat::kLatex:
      return export_latex(table, options);
  }
  return {};
}

}  // namespace jouleval::report

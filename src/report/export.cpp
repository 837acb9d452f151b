#include "report/export.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "report/number_format.h"

#include "util/error.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::report {
namespace {

bool absent(const Value& v) { return std::holds_alternative<std::monostate>(v); }
bool row_est(const Table& t, size_t r) { return r < t.row_estimated.size() && t.row_estimated[r]; }

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

// How a format for people writes its marks.
struct HumanStyle {
  std::string plus_minus;      // between a value and its half-width
  std::string estimated_mark;  // after an estimated energy number
  bool latex = false;          // text is LaTeX-escaped (else Markdown: '|' escaped)
};

// A column as a format for people shows it: the interval ends of a value column that has both
// are written in the value's cell, not as columns of their own.
struct HumanColumn {
  size_t index = 0;
  std::optional<size_t> low, high;
};

std::vector<HumanColumn> human_columns(const Table& t) {
  auto end_of = [&](const std::string& value, bool high) -> std::optional<size_t> {
    for (size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].interval_of == value && t.columns[i].interval_high == high) return i;
    return std::nullopt;
  };
  std::vector<HumanColumn> out;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const Column& c = t.columns[i];
    if (!c.interval_of.empty() && t.column_index(c.interval_of) && end_of(c.interval_of, false) &&
        end_of(c.interval_of, true))
      continue;  // written in its value's cell
    HumanColumn h{i, std::nullopt, std::nullopt};
    const auto low = end_of(c.key, false), high = end_of(c.key, true);
    if (low && high) {
      h.low = low;
      h.high = high;
    }
    out.push_back(h);
  }
  return out;
}

// Which marks a table for people used, for its caption.
struct MarksUsed {
  bool absent = false, not_recorded = false, estimated = false, no_interval = false;
  std::vector<size_t> with_interval;  // value columns where some cell shows "±"
};

// A number for people (report/number_format.h): identity fields as stored, counts grouped.
std::string human_number(const Value& v, const Column& c) {
  if (const double* d = std::get_if<double>(&v)) return format_human(*d, c.decimals);
  const int64_t n = std::get<int64_t>(v);
  return c.exact ? fmt::format("{}", n) : format_count(n);
}

// The text of a present value for people: LaTeX escaped; Markdown as it is (markdown_cell escapes).
std::string human_cell(const Table& t, size_t r, const HumanColumn& h, const HumanStyle& style, MarksUsed& used) {
  const Column& c = t.columns[h.index];
  const Value& v = t.rows[r][h.index];
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "yes" : "no";
  if (const std::string* text = std::get_if<std::string>(&v))
    return style.latex ? latex_escape(util::terminal_safe(*text)) : *text;  // Markdown: markdown_cell escapes
  std::string s = human_number(v, c);
  if (const double* d = std::get_if<double>(&v); d && h.low) {
    const Value& lo = t.rows[r][*h.low];
    const Value& hi = t.rows[r][*h.high];
    if (std::holds_alternative<double>(lo) && std::holds_alternative<double>(hi)) {
      s = format_plus_minus(*d, (std::get<double>(hi) - std::get<double>(lo)) / 2.0, c.decimals, style.plus_minus);
      if (std::find(used.with_interval.begin(), used.with_interval.end(), h.index) == used.with_interval.end())
        used.with_interval.push_back(h.index);
    } else {
      used.no_interval = true;
    }
  }
  if (c.energy && row_est(t, r) && std::holds_alternative<double>(v)) {
    s += style.estimated_mark;
    used.estimated = true;
  }
  return s;
}

// The sentences that end a caption: the caption, the notes, and the marks used (LaTeX escaped;
// Markdown as it is, for markdown_cell).
std::string caption_text(const ExportOptions& options, const Table& t, const MarksUsed& used, bool latex) {
  std::vector<std::string> sentences;
  auto add = [&](std::string s) {
    if (s.empty()) return;
    if (s.back() != '.' && s.back() != '!' && s.back() != '?') s += '.';
    sentences.push_back(std::move(s));
  };
  add(options.caption);
  for (const auto& n : options.notes) add(n);
  if (!used.with_interval.empty()) {
    // Columns grouped by how their interval is computed, in column order.
    std::vector<size_t> columns = used.with_interval;
    std::sort(columns.begin(), columns.end());
    std::vector<std::pair<std::string, std::vector<std::string>>> by_note;
    for (size_t i : columns) {
      const Column& c = t.columns[i];
      auto it = std::find_if(by_note.begin(), by_note.end(), [&](const auto& p) { return p.first == c.interval_note; });
      if (it == by_note.end()) it = by_note.insert(by_note.end(), {c.interval_note, {}});
      it->second.push_back(c.label);
    }
    std::string how;
    for (const auto& [note, labels] : by_note) {
      std::string names;
      for (const auto& l : labels) names += (names.empty() ? "" : ", ") + l;
      how += (how.empty() ? "" : "; ") + names + (note.empty() ? "" : ": " + note);
    }
    add("±: half-width of the 95% confidence interval (" + how + ")");
  }
  if (used.no_interval) add("No ±: too few repetitions or items for an interval");
  std::string out;
  for (const auto& s : sentences) out += (out.empty() ? "" : " ") + s;
  if (latex) {
    out = latex_escape(util::terminal_safe(out));
    if (used.absent) out += " --: unavailable.";
    if (used.not_recorded) out += " n/r: not recorded.";
    if (used.estimated) out += " *: estimated.";
  }
  return out;
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
  if (name == "phases") return ExportTable::kPhases;
  if (name == "latency") return ExportTable::kLatency;
  throw util::Error(
      fmt::format("unknown table '{}' for --table (summary, items, precision, models, phases, latency)", name),
      util::ErrorKind::kUsage);
}

std::string latex_escape(const std::string& text) {
  static constexpr std::pair<std::string_view, std::string_view> kMath[] = {
      {"\u00b1", "$\\pm$"}, {"\u00d7", "$\\times$"}, {"\u221a", "$\\surd$"}, {"\u00b2", "$^2$"}};
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (static_cast<unsigned char>(ch) >= 0x80) {
      const auto math = std::find_if(std::begin(kMath), std::end(kMath),
                                     [&](const auto& m) { return text.compare(i, m.first.size(), m.first) == 0; });
      if (math != std::end(kMath)) {
        out += math->second;
        i += math->first.size() - 1;
        continue;
      }
    }
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

std::string export_markdown(const Table& all_columns, const ExportOptions& options) {
  Table storage;
  const Table& table = shown(all_columns, storage);
  const std::vector<HumanColumn> columns = human_columns(table);
  const HumanStyle style{" \u00b1 ", " (estimated)", false};
  MarksUsed used;
  std::string out = "|";
  for (const auto& h : columns) {
    out += ' ';
    out += markdown_cell(table.columns[h.index].label);
    out += " |";
  }
  out += "\n|";
  for (const auto& h : columns) out += numeric_column(table, h.index) ? " ---: |" : " --- |";
  out += "\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    out += "|";
    for (const auto& h : columns) {
      const Value& v = table.rows[r][h.index];
      const std::string s = absent(v) ? table.columns[h.index].absent_text : human_cell(table, r, h, style, used);
      out += ' ';
      out += markdown_cell(s);
      out += " |";
    }
    out += "\n";
  }
  const std::string note = caption_text(options, table, used, false);
  if (!note.empty()) out += "\n" + markdown_cell(note) + "\n";
  return out;
}

std::string export_latex(const Table& all_columns, const ExportOptions& options) {
  Table storage;
  const Table& table = shown(all_columns, storage);
  const std::vector<HumanColumn> columns = human_columns(table);
  const bool wide = columns.size() > 7;
  const HumanStyle style{" $\\pm$ ", "*", true};
  MarksUsed used;
  std::string spec;
  for (const auto& h : columns) spec += numeric_column(table, h.index) ? "r" : "l";
  std::string body;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    for (size_t k = 0; k < columns.size(); ++k) {
      const size_t i = columns[k].index;
      const Value& v = table.rows[r][i];
      std::string s;
      if (absent(v) && table.columns[i].absent_text == "not recorded") {
        s = "n/r";
        used.not_recorded = true;
      } else if (absent(v)) {
        s = "--";
        used.absent = true;
      } else {
        s = human_cell(table, r, columns[k], style, used);
      }
      body += (k ? " & " : "") + s;
    }
    body += " \\\\\n";
  }
  ExportOptions with_caption = options;
  if (with_caption.caption.empty()) with_caption.caption = "Results";
  const std::string caption = caption_text(with_caption, table, used, true);

  const char* env = wide ? "table*" : "table";
  std::string out = fmt::format("% requires \\usepackage{{booktabs}}{}\n", wide ? " and \\usepackage{graphicx}" : "");
  out += fmt::format("\\begin{{{}}}[t]\n\\centering\n\\small\n", env);
  out += fmt::format("\\caption{{{}}}\n\\label{{{}}}\n", caption, options.label);
  if (wide) out += "\\resizebox{\\textwidth}{!}{%\n";
  out += fmt::format("\\begin{{tabular}}{{{}}}\n\\toprule\n", spec);
  for (size_t k = 0; k < columns.size(); ++k)
    out += (k ? " & " : "") + latex_escape(util::terminal_safe(table.columns[columns[k].index].label));
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
      return export_markdown(table, options);
    case ExportFormat::kLatex:
      return export_latex(table, options);
  }
  return {};
}

}  // namespace jouleval::report

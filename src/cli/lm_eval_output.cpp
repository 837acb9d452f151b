#include "cli/lm_eval_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <system_error>

#include "report/lm_eval_json.h"
#include "results/identity.h"
#include "sweep/plan.h"
#include "tasks/load_task.h"
#include "util/atomic_file.h"
#include "util/build_info.h"
#include "util/error.h"
#include "util/json_text.h"

namespace jouleval::cli {
namespace fs = std::filesystem;
namespace {

// The largest --limit count (docs/sweep.md "Settings and their ranges").
constexpr double kMaxLimit = 100000000;

bool ends_with_json(const fs::path& path) { return path.extension() == ".json"; }

}  // namespace

std::optional<double> LimitOption::as_given() const {
  if (fraction) return *fraction;
  if (count > 0) return static_cast<double>(count);
  return std::nullopt;
}

LimitOption parse_limit_option(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (end == begin || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    throw util::Error(fmt::format("--limit: '{}' is not a number (an item count, 0 = all, or a fraction between 0 "
                                  "and 1)",
                                  text),
                      util::ErrorKind::kUsage);
  }
  if (v < 0 || v > kMaxLimit) {
    throw util::Error(fmt::format("--limit: {} is out of range (0 = all, 1 to {:.0f} items, or a fraction between 0 "
                                  "and 1)",
                                  text, kMaxLimit),
                      util::ErrorKind::kUsage);
  }
  LimitOption out;
  if (v > 0 && v < 1) {
    out.fraction = v;
  } else if (v == std::floor(v)) {
    out.count = static_cast<int>(v);
  } else {
    throw util::Error(
        fmt::format("--limit: {} is neither a whole number of items nor a fraction between 0 and 1", text),
        util::ErrorKind::kUsage);
  }
  return out;
}

std::map<std::string, int> original_item_counts(const sweep::SweepConfig& config) {
  std::map<std::string, int> counts;
  for (tasks::TaskId t : config.tasks) {
    tasks::TaskOptions options = sweep::task_options(config, sweep::task_cell(config, t));
    options.limit = 0;
    options.shots = 0;  // the count does not depend on the examples; 0 needs no few-shot files
    const tasks::Task task = tasks::load_task(t, options);
    const std::string name(tasks::task_name(t));
    counts[name] = task.n_items();
    if (t == tasks::TaskId::kMmlu) {
      for (const auto& item : task.choice_items()) ++counts["mmlu_" + item.subject];
    }
  }
  return counts;
}

void apply_limit_fraction(sweep::SweepConfig& config, double fraction, const std::map<std::string, int>& counts) {
  for (tasks::TaskId t : config.tasks) {
    const int n = counts.at(std::string(tasks::task_name(t)));
    config.task_settings[t].limit = static_cast<int>(std::ceil(n * fraction));
  }
}

LmEvalOutput::LmEvalOutput(fs::path path, size_t n_precisions, bool log_samples, double start_unix_seconds)
    : path_(std::move(path)),
      json_file_(ends_with_json(path_)),
      log_samples_(log_samples),
      start_(start_unix_seconds),
      date_id_(report::lm_eval_date_id(start_unix_seconds)) {
  std::error_code ec;
  const fs::path dir = json_file_ ? path_.parent_path() : path_;
  if (json_file_) {
    if (n_precisions > 1) {
      throw util::Error(fmt::format("--output_path {}: a .json file holds one precision; give a directory to write "
                                    "one results file per precision",
                                    path_.string()),
                        util::ErrorKind::kUsage);
    }
    if (fs::is_directory(path_, ec)) {
      throw util::Error(fmt::format("--output_path {}: is a directory, not a .json file", path_.string()),
                        util::ErrorKind::kUsage);
    }
  } else if (fs::exists(path_, ec) && !fs::is_directory(path_, ec)) {
    throw util::Error(fmt::format("--output_path {}: exists and is not a directory (give a directory, or a path "
                                  "ending in .json)",
                                  path_.string()),
                      util::ErrorKind::kUsage);
  }
  if (!dir.empty()) {
    fs::create_directories(dir, ec);
    if (ec) {
      throw util::Error(
          fmt::format("--output_path {}: cannot create directory {}: {}", path_.string(), dir.string(), ec.message()),
          util::ErrorKind::kBadInput);
    }
  }
  // The directory must be writable before anything is measured.
  util::check_output_path((dir.empty() ? fs::path(".") : dir) / fmt::format("results_{}.json", date_id_),
                          util::Existing::kReplace, "--output_path");
}

std::vector<fs::path> LmEvalOutput::write(const std::vector<results::Cell>& cells, const std::string& model_args,
                                          std::optional<double> limit,
                                          const std::map<std::string, int>& original_items) const {
  // One results file per machine / model / precision / KV type / placement, cells in run order. The
  // tasks of one file may differ in limit and shots (a fraction gives each task its own limit).
  std::vector<std::pair<std::string, std::vector<results::Cell>>> groups;
  for (const auto& cell : cells) {
    if (cell.status != results::CellStatus::kDone) continue;
    const results::CellKey& k = cell.key;
    const std::string id = nlohmann::json::array({cell.machine_id, k.model, k.model_sha256, k.file_sha256, k.precision,
                                                  k.kv_type, k.placement})
                               .dump();
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == id; });
    if (it == groups.end()) {
      groups.emplace_back(id, std::vector<results::Cell>{});
      it = std::prev(groups.end());
    }
    it->second.push_back(cell);
  }
  report::LmEvalRunInfo info;
  info.model_args = model_args;
  info.limit = limit;
  info.date = start_;
  info.jouleval_version = util::build::kVersion;
  info.original_items = original_items;

  std::vector<fs::path> written;
  for (const auto& [id, group] : groups) {
    fs::path dir, results_file;
    if (json_file_) {
      dir = path_.parent_path();
      results_file = dir / fmt::format("{}_{}.json", path_.stem().string(), date_id_);
    } else {
      dir = path_ / report::lm_eval_model_dir_name(group.front().key);
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) {
        throw util::Error(fmt::format("--output_path: cannot create directory {}: {}", dir.string(), ec.message()),
                          util::ErrorKind::kBadInput);
      }
      results_file = dir / fmt::format("results_{}.json", date_id_);
    }
    const nlohmann::ordered_json j = report::lm_eval_results(group, info);
    util::write_file_atomically(results_file, util::json_text(j, 2) + "\n", util::Existing::kReplace, "--output_path");
    written.push_back(results_file);
    if (!log_samples_) continue;
    // One JSONL file per task, in the schema of --log-items (results::item_json).
    for (const auto& cell : group) {
      std::string lines;
      for (const auto& item : cell.items) {
        lines += util::json_text(results::item_json(cell.machine_id, cell.key, item));
        lines += '\n';
      }
      const fs::path samples = dir / fmt::format("samples_{}_{}.jsonl", cell.key.task, date_id_);
      util::write_file_atomically(samples, lines, util::Existing::kReplace, "--output_path");
      written.push_back(samples);
    }
  }
  return written;
}

}  // namespace jouleval::cli

#include "store/merge.h"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "store/statement.h"
#include "store/store.h"
#include "store/transaction.h"
#include "util/error.h"

namespace jouleval::store {

namespace {

constexpr const char* kOutputLabel = "<output>";

void check_inputs(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& output) {
  if (inputs.empty()) throw util::Error("merge: no input databases given", util::ErrorKind::kUsage);
  for (const auto& input : inputs) {
    std::error_code ec;
    if (std::filesystem::exists(output) && std::filesystem::equivalent(input, output, ec)) {
      throw util::Error(fmt::format("merge: input {} is the output file; name a different output", input.string()),
                        util::ErrorKind::kUsage);
    }
    // Throws for a missing, foreign, unsupported or damaged file.
    Store probe(input, {.create = false, .durable = false, .read_only = true});
    probe.check_integrity();
  }
  if (std::filesystem::exists(output)) {
    Store probe(output, {.create = false, .durable = false, .read_only = true});
    probe.check_integrity();
  }
}

bool insert_machine_if_new(Store& out, const Machine& m) {
  Statement st(out.database(), R"sql(
    INSERT INTO machines (id, hostname, cpu_model, gpu_name, fingerprint_json) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING)sql");
  st.bind_all(m.id, m.hostname, m.cpu_model, m.gpu_name, m.fingerprint_json).run();
  return out.database().changes() == 1;
}

// The output's id for a run equal to `run` (same start, command, config, machine, version), if any.
std::optional<int64_t> find_run(Store& out, const Run& run) {
  Statement st(out.database(), R"sql(
    SELECT id FROM runs WHERE started_at = ? AND command_line = ? AND config_json = ? AND machine_id = ?
      AND jouleval_version = ? ORDER BY id LIMIT 1)sql");
  st.bind_all(run.started_at, run.command_line, run.config_json, run.machine_id, run.jouleval_version);
  if (!st.step()) return std::nullopt;
  return st.column_int64(0);
}

int64_t insert_run(Store& out, const Run& run) {
  Statement st(out.database(), R"sql(
    INSERT INTO runs (started_at, command_line, config_json, machine_id, jouleval_version) VALUES (?, ?, ?, ?, ?))sql");
  st.bind_all(run.started_at, run.command_line, run.config_json, run.machine_id, run.jouleval_version).run();
  return out.database().last_insert_rowid();
}

class Merger {
 public:
  explicit Merger(Store& out) : out_(out) {}

  void merge_file(const std::filesystem::path& file) {
    Store in(file, {.create = false, .durable = false, .read_only = true});
    const std::string source = file.string();
    ++report_.inputs;
    for (const Machine& m : in.machines()) {
      if (insert_machine_if_new(out_, m))
        ++report_.machines_added;
      else
        ++report_.machines_existing;
    }
    std::map<int64_t, int64_t> run_ids;  // input run id -> output run id
    for (const Run& run : in.runs()) {
      std::optional<int64_t> existing = find_run(out_, run);
      if (!existing) {
        existing = insert_run(out_, run);
        ++report_.runs_added;
      }
      run_ids[run.id] = *existing;
    }
    for (const Cell& summary : in.cells()) merge_cell(in, summary, source, run_ids);
  }

  MergeReport report() const { return report_; }

 private:
  void merge_cell(Store& in, const Cell& summary, const std::string& source,
                  const std::map<int64_t, int64_t>& run_ids) {
    const auto in_reps = static_cast<int64_t>(summary.repetitions.size());
    if (auto present = out_.find_cell(summary.machine_id, summary.key)) {
      const auto out_reps = static_cast<int64_t>(present->done_repetitions.size());
      const std::string out_source = origin(present->id);
      MergeSkip skip{summary.machine_id, describe(summary.key), source, out_source, in_reps, out_reps};
      ++report_.duplicates_skipped;
      // A finished copy beats an unfinished one; then more repetitions; on a tie the first stays.
      const bool in_done = summary.status == CellStatus::kDone;
      const bool out_done = present->status == CellStatus::kDone;
      if (in_done != out_done ? out_done : in_reps <= out_reps) {
        report_.skipped.push_back(std::move(skip));
        return;
      }
      std::swap(skip.dropped_from, skip.kept_from);
      std::swap(skip.dropped_repetitions, skip.kept_repetitions);
      report_.skipped.push_back(std::move(skip));
      out_.delete_cell(present->id);
      origins_.erase(present->id);
      ++report_.cells_replaced;
    }
    const Cell full = *in.cell(summary.id, {.with_items = true, .with_timeline = true});
    std::optional<int64_t> run_id;
    if (auto it = run_ids.find(full.run_id); it != run_ids.end()) run_id = it->second;
    const int64_t id = out_.insert_cell(full, run_id);
    origins_[id] = source;
    ++report_.cells_added;
    report_.repetitions_added += in_reps;
    report_.items_added += static_cast<int64_t>(full.items.size());
    for (const Repetition& r : full.repetitions)
      report_.timeline_samples_added += static_cast<int64_t>(r.timeline.size());
  }

  std::string origin(int64_t out_cell_id) const {
    auto it = origins_.find(out_cell_id);
    return it == origins_.end() ? kOutputLabel : it->second;
  }

  Store& out_;
  MergeReport report_;
  std::map<int64_t, std::string> origins_;  // output cell id -> input it came from in this merge
};

}  // namespace

MergeReport merge(const std::vector<std::filesystem::path>& inputs, const std::filesystem::path& output) {
  check_inputs(inputs, output);
  Store out(output);
  Merger merger(out);
  Transaction tx(out.database());
  for (const auto& input : inputs) merger.merge_file(input);
  tx.commit();
  return merger.report();
}

}  // namespace jouleval::store

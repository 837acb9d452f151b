// `jouleval merge A.db B.db ... -o all.db`: combines result databases (for example the shards of a
// Slurm job array) into one, without duplicate machines or cells; prints what was merged and, for
// each cell present more than once, which copy it kept and why (docs/store.md "Merge").
#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "cli/command.h"
#include "store/merge.h"
#include "store/store.h"
#include "util/error.h"
#include "util/json_text.h"
#include "util/terminal_text.h"

namespace jouleval::cli {

namespace {

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool json = false;
};

constexpr const char* kOutputLabel = "<output>";  // how store::merge names the output's own cells

// A copy of a cell as it was before the merge: (file as the merge names it, machine id, cell).
using CopyKey = std::tuple<std::string, std::string, std::string>;
struct Copy {
  results::CellStatus status = results::CellStatus::kPending;
  bool ambiguous = false;  // two cells of the file describe alike (they differ only in the file hash)
};

// The status of every cell copy of the inputs and of the existing output, read before the merge
// changes the output. A file that cannot be read is left out: the merge itself then reports it.
std::map<CopyKey, Copy> read_copies(const std::vector<std::filesystem::path>& inputs,
                                    const std::filesystem::path& output) {
  std::map<CopyKey, Copy> out;
  auto read = [&](const std::filesystem::path& file, const std::string& label) {
    try {
      store::Store s(file, {.create = false, .durable = false, .read_only = true});
      for (const results::Cell& c : s.cells()) {
        const auto [it, added] = out.emplace(CopyKey{label, c.machine_id, results::describe(c.key)}, Copy{c.status});
        if (!added) it->second.ambiguous = true;
      }
    } catch (const util::Error&) {
    }
  };
  std::error_code ec;
  if (std::filesystem::exists(output, ec)) read(output, kOutputLabel);
  for (const auto& input : inputs) read(input, input.string());
  return out;
}

struct Verdict {
  std::string kept_status, dropped_status;  // "" when unknown
  std::string reason;
};

// Why store::merge kept the copy it kept: a finished copy beats an unfinished one; then the copy
// with more repetitions; on a tie the first stays.
Verdict verdict(const store::MergeSkip& s, const std::map<CopyKey, Copy>& copies) {
  auto status = [&](const std::string& file) -> const Copy* {
    const auto it = copies.find({file, s.machine_id, s.cell});
    return it == copies.end() || it->second.ambiguous ? nullptr : &it->second;
  };
  const Copy* kept = status(s.kept_from);
  const Copy* dropped = status(s.dropped_from);
  Verdict v;
  if (!kept || !dropped) {
    v.reason = "the merge rule: a finished copy, else more repetitions, else the first";
    return v;
  }
  v.kept_status = results::to_string(kept->status);
  v.dropped_status = results::to_string(dropped->status);
  const bool kept_done = kept->status == results::CellStatus::kDone;
  const bool dropped_done = dropped->status == results::CellStatus::kDone;
  if (kept_done != dropped_done)
    v.reason = "a finished copy beats an unfinished one";
  else if (s.kept_repetitions != s.dropped_repetitions)
    v.reason = "more repetitions";
  else
    v.reason = "equal, the first copy stays";
  return v;
}

nlohmann::ordered_json to_json(const store::MergeReport& r, const std::string& output,
                               const std::map<CopyKey, Copy>& copies) {
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const store::MergeSkip& s : r.skipped) {
    const Verdict v = verdict(s, copies);
    auto status = [](const std::string& t) { return t.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(t); };
    skipped.push_back({{"machine_id", s.machine_id},
                       {"cell", s.cell},
                       {"kept_from", s.kept_from},
                       {"kept_status", status(v.kept_status)},
                       {"kept_repetitions", s.kept_repetitions},
                       {"dropped_from", s.dropped_from},
                       {"dropped_status", status(v.dropped_status)},
                       {"dropped_repetitions", s.dropped_repetitions},
                       {"reason", v.reason}});
  }
  return {{"output", output},
          {"inputs", r.inputs},
          {"machines_added", r.machines_added},
          {"machines_existing", r.machines_existing},
          {"runs_added", r.runs_added},
          {"cells_added", r.cells_added},
          {"cells_replaced", r.cells_replaced},
          {"duplicates_skipped", r.duplicates_skipped},
          {"repetitions_added", r.repetitions_added},
          {"items_added", r.items_added},
          {"timeline_samples_added", r.timeline_samples_added},
          {"skipped", skipped}};
}

std::string copy_text(const std::string& file, const std::string& status, int64_t reps) {
  return status.empty() ? fmt::format("{} ({} rep.)", file, reps) : fmt::format("{} ({}, {} rep.)", file, status, reps);
}

std::string text_report(const store::MergeReport& r, const std::string& output, const std::map<CopyKey, Copy>& copies) {
  std::string out = fmt::format("merged {} database(s) into {}\n", r.inputs, output);
  out += fmt::format("  machines     {} added, {} already present (first fingerprint kept)\n", r.machines_added,
                     r.machines_existing);
  out += fmt::format("  runs         {} added\n", r.runs_added);
  out += fmt::format("  cells        {} added ({} replacing an earlier copy), {} duplicate(s) left out\n",
                     r.cells_added, r.cells_replaced, r.duplicates_skipped);
  out += fmt::format("  repetitions  {} added ({} items, {} power samples)\n", r.repetitions_added, r.items_added,
                     r.timeline_samples_added);
  if (r.skipped.empty()) return out;
  out +=
      "duplicate cells (same machine and cell key), one copy kept: a finished copy beats an unfinished one, then the "
      "copy with more repetitions; on a tie the first stays (" +
      std::string(kOutputLabel) + ": a cell the output already had):\n";
  for (const store::MergeSkip& s : r.skipped) {
    const Verdict v = verdict(s, copies);
    out += fmt::format("  {} {}: kept {}: {}; left out {}\n", s.machine_id, s.cell,
                       copy_text(s.kept_from, v.kept_status, s.kept_repetitions), v.reason,
                       copy_text(s.dropped_from, v.dropped_status, s.dropped_repetitions));
  }
  return out;
}

}  // namespace

Command add_merge_command(CLI::App& root) {
  Command command;
  command.app = root.add_subcommand(
      "merge",
      "Merge result databases from several machines into one.\n"
      "Machines are matched by id (the first fingerprint is kept); a cell present in several inputs\n"
      "(same machine and cell key) is kept once: a finished copy beats an unfinished one, then the\n"
      "copy with more repetitions, else the first. The output may already exist: its cells take part\n"
      "as the first input. Damaged inputs or output are refused before anything is written.");
  auto options = std::make_shared<MergeOptions>();
  command.app->add_option("inputs", options->inputs, "Result databases to merge")->required();
  command.app->add_option("-o,--output", options->output, "Database to merge into (created if missing)")->required();
  command.app->add_flag("--json", options->json, "Print the counts and the duplicates left out as JSON");
  command.run = [options] {
    return [&] {
      std::vector<std::filesystem::path> inputs(options->inputs.begin(), options->inputs.end());
      const auto copies = read_copies(inputs, options->output);
      const store::MergeReport report = store::merge(inputs, options->output);
      if (options->json)
        fmt::print("{}\n", util::terminal_json(util::json_text(to_json(report, options->output, copies), 2)));
      else
        fmt::print("{}", util::terminal_safe(text_report(report, options->output, copies)));
      return 0;
    }();
  };
  return command;
}

}  // namespace jouleval::cli

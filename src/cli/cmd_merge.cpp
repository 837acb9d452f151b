// `jouleval merge A.db B.db ... -o all.db`: combines result databases (for example the shards of a
// Slurm job array) into one, without duplicate machines or cells; prints what was merged.
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command.h"
#include "store/merge.h"

namespace jouleval::cli {

namespace {

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string output;
  bool json = false;
};

nlohmann::json to_json(const store::MergeReport& r, const std::string& output) {
  nlohmann::json skipped = nlohmann::json::array();
  for (const store::MergeSkip& s : r.skipped) {
    skipped.push_back({{"machine_id", s.machine_id},
                       {"cell", s.cell},
                       {"kept_from", s.kept_from},
                       {"kept_repetitions", s.kept_repetitions},
                       {"dropped_from", s.dropped_from},
                       {"dropped_repetitions", s.dropped_repetitions}});
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

void print_text(const store::MergeReport& r, const std::string& output) {
  fmt::print("merged {} database(s) into {}\n", r.inputs, output);
  fmt::print("  machines     {} added, {} already present (first fingerprint kept)\n", r.machines_added,
             r.machines_existing);
  fmt::print("  runs         {} added\n", r.runs_added);
  fmt::print("  cells        {} added ({} replacing a copy with fewer repetitions), {} duplicate(s) skipped\n",
             r.cells_added, r.cells_replaced, r.duplicates_skipped);
  fmt::print("  repetitions  {} added ({} items, {} power samples)\n", r.repetitions_added, r.items_added,
             r.timeline_samples_added);
  if (r.skipped.empty()) return;
  fmt::print("duplicate cells (same machine and key); the copy with more repetitions is kept, else the first:\n");
  for (const store::MergeSkip& s : r.skipped) {
    fmt::print("  {} {}: kept {} ({} rep.), left out {} ({} rep.)\n", s.machine_id, s.cell, s.kept_from,
               s.kept_repetitions, s.dropped_from, s.dropped_repetitions);
  }
}

}  // namespace

Command add_merge_command(CLI::App& root) {
  Command command;
  command.app = root.add_subcommand(
      "merge",
      "Merge result databases from several machines into one.\n"
      "Machines are matched by id (the first fingerprint is kept); a cell present in several inputs\n"
      "(same machine and cell key) is kept once: the copy with more repetitions, else the first.\n"
      "The output may already exist: its cells take part as the first input.");
  auto options = std::make_shared<MergeOptions>();
  command.app->add_option("inputs", options->inputs, "Result databases to merge")->required();
  command.app->add_option("-o,--output", options->output, "Database to merge into (created if missing)")->required();
  command.app->add_flag("--json", options->json, "Print the counts and skipped duplicates as JSON");
  command.run = [options] {
    std::vector<std::filesystem::path> inputs(options->inputs.begin(), options->inputs.end());
    const store::MergeReport report = store::merge(inputs, options->output);
    if (options->json) {
      fmt::print("{}\n", to_json(report, options->output).dump(2));
    } else {
      print_text(report, options->output);
    }
    return 0;
  };
  return command;
}

}  // namespace jouleval::cli

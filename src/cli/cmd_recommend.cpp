// `jouleval recommend DB [--scenario datacenter|enterprise|edge] [constraints] [--task/--model/--machine]
// [--json]`: the decision matrix, each model against the baseline model, and the chosen configuration;
// exit code 1 when no configuration qualifies, 2 for a filter value not in the results. The database
// is opened read-only; text from it is escaped on the terminal.
#include <fmt/format.h>

#include <memory>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/exit_codes.h"
#include "report/load.h"
#include "report/recommend.h"
#include "report/table.h"
#include "util/error.h"
#include "util/terminal_text.h"

namespace jouleval::cli {

namespace {

struct RecommendOptions {
  std::string db = "jouleval.db";
  std::string scenario;
  std::optional<double> retention, power, memory, latency;
  std::string objective = "eor";
  std::vector<std::string> tasks, models, machines;  // repeatable, each may be a comma list
  bool json = false;
};

int run_recommend(const RecommendOptions& o) {
  report::Constraints k;
  k.min_accuracy_retention = o.retention;
  k.max_power_w = o.power;
  k.max_memory_gb = o.memory;
  k.max_latency_ms_per_token = o.latency;
  k.objective = report::parse_objective(o.objective);
  for (const auto& [given, out] :
       {std::pair{&o.tasks, &k.tasks}, std::pair{&o.models, &k.models}, std::pair{&o.machines, &k.machines}})
    for (const auto& text : *given)
      for (auto& value : report::split_list(text)) out->push_back(std::move(value));
  if (k.min_accuracy_retention && (*k.min_accuracy_retention <= 0.0 || *k.min_accuracy_retention > 1.5))
    throw util::Error("--min-accuracy-retention is a fraction, e.g. 0.98", util::ErrorKind::kUsage);
  k = report::apply_scenario(o.scenario, k, o.retention.has_value());
  const report::Results results = report::load_results(o.db, false, false);
  const report::Recommendation rec = report::recommend(results.cells, results.machines, k);
  if (o.json)
    fmt::print("{}\n", report::recommendation_text_json(rec));
  else
    fmt::print("{}", report::format_recommendation(rec));
  if (!rec.chosen) {
    if (o.json) fmt::print(stderr, "{}\n", util::terminal_safe(rec.message));
    return exit_code(util::ErrorKind::kFailure);
  }
  return 0;
}

}  // namespace

Command add_recommend_command(CLI::App& root) {
  auto o = std::make_shared<RecommendOptions>();
  Command command;
  command.app = root.add_subcommand(
      "recommend",
      "Recommend a deployment configuration (precision, placement) for a scenario or explicit constraints, and "
      "compare the models on the cells they share.");
  command.app->add_option("db", o->db, "Results database (opened read-only)")->capture_default_str();
  command.app->add_option("--scenario", o->scenario,
                          "datacenter (>=98% of reference accuracy), enterprise (>=99%), edge (>=95% and a power or "
                          "memory cap)");
  command.app->add_option("--min-accuracy-retention", o->retention,
                          "Fraction of the reference precision's score (0-1)");
  command.app->add_option("--max-power-w", o->power, "Power cap in W (peak when measured, else average)");
  command.app->add_option("--max-memory-gb", o->memory,
                          "Memory cap in GB (the measured peak: GPU memory on a GPU, the host's peak RSS on the CPU)");
  command.app->add_option("--max-latency-ms-per-token", o->latency, "Latency cap in ms per token");
  command.app
      ->add_option("--objective", o->objective,
                   "energy | eor | tweor | throughput | accuracy (without any energy reading, an energy objective "
                   "falls back to throughput, saying so)")
      ->capture_default_str();
  command.app->add_option("--task", o->tasks, "Only these tasks (repeatable or a comma list)");
  command.app->add_option("--model", o->models, "Only these models (repeatable or a comma list)");
  command.app->add_option("--machine", o->machines,
                          "Only these machines: label, hostname, id or id prefix of 8+ characters (repeatable or a "
                          "comma list)");
  command.app->add_flag("--json", o->json, "Print as JSON");
  command.run = [o] { return [&] { return run_recommend(*o); }(); };
  return command;
}

}  // namespace jouleval::cli

#include "sweep/dry_run.h"

#include <fmt/format.h>

#include <filesystem>

#include <map>
#include <optional>

#include "engine/gguf_info.h"
#include "engine/quantize.h"
#include "sweep/model_source.h"
#include "tasks/load_task.h"

namespace jouleval::sweep {
namespace {

// What the header and the made-from record of an existing model file say about one cell.
struct FileFacts {
  std::optional<engine::GgufSummary> summary;
  std::string unreadable;  // why the header could not be read
};

void describe(const ModelSpec& spec, const FileFacts& facts, DryRunCell& d) {
  if (!facts.unreadable.empty()) {
    d.note = "will fail: " + facts.unreadable;
    return;
  }
  if (!facts.summary) return;
  const engine::Precision& target = engine::resolve_precision(d.cell.precision);
  if (facts.summary->file_type != target.ftype) {
    if (const std::string why = engine::quantize_refusal(spec.path, *facts.summary, target); !why.empty())
      d.note = "will be skipped: " + why;
    return;
  }
  if (!spec.synth_preset.empty()) return;  // synth: models never read a record
  if (const auto id = source_identity_by_stamp(spec.path, d.note)) {
    d.model = id->label;
    d.note = fmt::format("{}: quantized from {}: stored as model {}", spec.path.filename().string(), id->record.source,
                         id->label);
  }
}

}  // namespace

DryRun dry_run(const SweepConfig& config) {
  DryRun plan;
  plan.repetitions = config.repetitions;
  for (const auto& m : config.models) {
    if (!config.endpoint && !std::filesystem::exists(m.path)) {  // an endpoint's model has no file
      plan.models_missing.push_back(m.synth_preset.empty() ? m.path.string()
                                                           : m.path.string() + " (synthesized on first use)");
    }
  }
  std::map<size_t, FileFacts> facts;  // by model index
  for (const PlannedCell& cell : plan_cells(config)) {
    const ModelSpec& spec = config.models[cell.model_index];
    if (!facts.count(cell.model_index)) {
      FileFacts& f = facts[cell.model_index];
      std::error_code ec;
      if (!config.endpoint && std::filesystem::exists(spec.path, ec)) {
        try {
          f.summary = engine::read_gguf_summary(spec.path);
        } catch (const std::exception& e) {
          f.unreadable = e.what();
        }
      }
    }
    const tasks::Task task = tasks::load_task(cell.task, task_options(config, cell));
    DryRunCell d;
    d.cell = cell;
    d.model = spec.label;
    describe(spec, facts[cell.model_index], d);
    d.items = task.n_items();
    if (task.kind() == tasks::RequestKind::kLoglikelihood) {
      d.requests = static_cast<int64_t>(task.loglikelihood_requests().size());
      for (const auto& r : task.loglikelihood_requests()) d.prompt_chars += r.context.size() + r.continuation.size();
    } else {
      d.requests = static_cast<int64_t>(task.generation_requests().size());
      for (const auto& r : task.generation_requests()) {
        d.prompt_chars += r.prompt.size();
        d.max_generated_tokens += r.max_new_tokens;
      }
    }
    d.estimated_prompt_tokens = d.prompt_chars / 4;
    plan.cells.push_back(d);
  }
  return plan;
}

std::string dry_run_text(const DryRun& plan) {
  std::string out = fmt::format("{} cells, {} repetitions each\n", plan.cells.size(), plan.repetitions);
  out += fmt::format("{:>4} {:<24} {:<10} {:<5} {:<11} {:<15} {:>6} {:>6} {:>9} {:>14} {:>10}\n", "cell", "model",
                     "precision", "kv", "placement", "task", "items", "shots", "requests", "~prompt tok", "max gen");
  int64_t requests = 0, tokens = 0, gen = 0;
  size_t index = 0;  // the --cell number
  for (const auto& d : plan.cells) {
    out += fmt::format("{:>4} {:<24} {:<10} {:<5} {:<11} {:<15} {:>6} {:>6} {:>9} {:>14} {:>10}\n", index++, d.model,
                       d.cell.precision, d.cell.kv_type, d.cell.placement, std::string(tasks::task_name(d.cell.task)),
                       d.items, d.cell.shots, d.requests, d.estimated_prompt_tokens, d.max_generated_tokens);
    requests += d.requests;
    tokens += d.estimated_prompt_tokens;
    gen += d.max_generated_tokens;
  }
  out += fmt::format(
      "total per repetition: {} requests, ~{} prompt tokens (estimated as characters/4, before prefix reuse), at most "
      "{} "
      "generated tokens; x{} repetitions\n",
      requests, tokens, gen, plan.repetitions);
  index = 0;
  for (const auto& d : plan.cells) {
    if (!d.note.empty()) out += fmt::format("cell {}: {}\n", index, d.note);
    ++index;
  }
  for (const auto& m : plan.models_missing) out += fmt::format("model not present yet: {}\n", m);
  return out;
}

nlohmann::json dry_run_json(const DryRun& plan) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& d : plan.cells) {
    cells.push_back({{"cell", cells.size()},
                     {"model", d.model},
                     {"precision", d.cell.precision},
                     {"kv_type", d.cell.kv_type},
                     {"placement", d.cell.placement},
                     {"task", std::string(tasks::task_name(d.cell.task))},
                     {"limit", d.cell.limit},
                     {"shots", d.cell.shots},
                     {"items", d.items},
                     {"requests", d.requests},
                     {"prompt_chars", d.prompt_chars},
                     {"estimated_prompt_tokens", d.estimated_prompt_tokens},
                     {"max_generated_tokens", d.max_generated_tokens},
                     {"note", d.note}});
  }
  return {{"repetitions", plan.repetitions}, {"cells", cells}, {"models_missing", plan.models_missing}};
}

}  // namespace jouleval::sweep

#include "sweep/slurm.h"

#include <fmt/format.h>

#include <algorithm>

#include "engine/model.h"
#include "sweep/plan.h"
#include "tasks/task_id.h"
#include "util/build_info.h"

namespace jouleval::sweep {
namespace {

// Single-quoted for the shell.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string slurm_script(const SweepConfig& config, const SlurmOptions& o) {
  const std::vector<PlannedCell> plan = plan_cells(config);
  // GPUs per array task: 1 for gpu and partial:N; for gpus:I,... the highest index + 1, as the
  // indices count the GPUs Slurm makes visible (docs/engine.md "Placement").
  int gpus = 0;
  for (const PlannedCell& c : plan) {
    const engine::Placement p = engine::Placement::parse(c.placement);
    if (p.kind == engine::Placement::Kind::kCpu) continue;
    const int need = p.kind == engine::Placement::Kind::kGpus ? *std::max_element(p.gpus.begin(), p.gpus.end()) + 1 : 1;
    gpus = std::max(gpus, need);
  }
  const int cpus = o.cpus_per_task > 0 ? o.cpus_per_task : (config.threads > 0 ? config.threads : 8);
  const std::string shards = o.shard_dir.string();

  std::string s = "#!/bin/bash\n";
  s += fmt::format("# Written by jouleval {} (`jouleval sweep --config {} --emit-slurm`): {} cells, one per\n",
                   util::build::kVersion, o.config_file.filename().string(), plan.size());
  s += "# array task, each writing its own results database. Before submitting, make the model files once\n";
  s += "# (array tasks would race to synthesize or quantize them):\n";
  s += fmt::format("#   {} sweep --config {} --prepare-models\n", quoted(o.jouleval.string()),
                   quoted(o.config_file.string()));
  s += fmt::format("# then: sbatch {{this file}}; when every task is done:\n#   {} merge {}/cell-*.db -o all.db\n",
                   quoted(o.jouleval.string()), quoted(shards));
  s += "# A failed or killed task can be resubmitted alone (sbatch --array=N {this file}): it resumes.\n";
  s += fmt::format("#SBATCH --job-name={}\n", o.job_name);
  s += fmt::format("#SBATCH --array=0-{}\n", plan.empty() ? 0 : plan.size() - 1);
  s += fmt::format("#SBATCH --output={}/logs/%x-%A_%a.out\n", shards);
  s += fmt::format("#SBATCH --cpus-per-task={}\n", cpus);
  if (gpus > 0) s += fmt::format("#SBATCH --gres=gpu:{}\n", gpus);
  s += fmt::format("#SBATCH --time={}\n", o.time_limit);
  if (!o.partition.empty()) s += fmt::format("#SBATCH --partition={}\n", o.partition);
  s += "set -euo pipefail\n\n# Cells (array index: model, precision, KV cache, placement, task, items, shots):\n";
  for (size_t i = 0; i < plan.size(); ++i) {
    const PlannedCell& c = plan[i];
    s += fmt::format("#   {:>3}: {} {} kv={} {} {} limit={} shots={}\n", i, config.models[c.model_index].label,
                     canonical_precision(c.precision), c.kv_type, c.placement, tasks::task_name(c.task), c.limit,
                     c.shots);
  }
  s += fmt::format("\nmkdir -p {}/logs\n", quoted(shards));
  // The sweep's few-shot sampler, when not the default, is passed on: it may come from the command
  // line (sweep --fewshot-sampler), overriding the file's.
  const std::string sampler = config.fewshot_sampler == SweepConfig().fewshot_sampler
                                  ? std::string()
                                  : fmt::format(" --fewshot-sampler {}", quoted(config.fewshot_sampler));
  s += fmt::format(
      "exec {} sweep --config {} --cell \"$SLURM_ARRAY_TASK_ID\" \\\n  --db {}/cell-\"$SLURM_ARRAY_TASK_ID\".db "
      "--quiet{}\n",
      quoted(o.jouleval.string()), quoted(o.config_file.string()), quoted(shards), sampler);
  return s;
}

}  // namespace jouleval::sweep

// A Slurm job-array script for a sweep: one cell per array task, each writing its own result shard
// (a results database) that `jouleval merge` combines. Slurm schedules; jouleval runs cells.
#pragma once

#include <filesystem>
#include <string>

#include "sweep/config.h"

namespace jouleval::sweep {

struct SlurmOptions {
  std::filesystem::path jouleval;     // the program the tasks run (absolute path)
  std::filesystem::path config_file;  // the sweep configuration the tasks read (absolute path)
  std::filesystem::path shard_dir;    // where cell-<i>.db and logs/ go (absolute path)
  std::string job_name = "jouleval-sweep";
  std::string partition;                // empty: the cluster's default
  std::string time_limit = "02:00:00";  // per array task
  int cpus_per_task = 0;                // 0: the sweep's threads, else 8
};

// The script text: #SBATCH header (array over every planned cell, one GPU per task when a cell is
// placed on a GPU), the list of cells as comments, and the command each task runs.
std::string slurm_script(const SweepConfig& config, const SlurmOptions& options);

}  // namespace jouleval::sweep

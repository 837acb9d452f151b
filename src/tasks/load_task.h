// Loads a task's data (files under TaskOptions::data_dir, or the built-in samples), applies the
// limit and few-shot settings and returns the prompted Task. Throws util::Error on bad data.
#pragma once

#include "tasks/options.h"
#include "tasks/task.h"
#include "tasks/task_id.h"

namespace jouleval::tasks {

// Throws util::Error: kBadInput for missing or malformed data (naming file, line and field; nothing
// of a file that failed is used), kUsage for bad options (no data_dir without use_samples, bad preset
// or shots).
Task load_task(TaskId id, const TaskOptions& options);

}  // namespace jouleval::tasks

// libFuzzer harness: sweep::load_sweep_config on a TOML file, then what `jouleval sweep` does next
// with the configuration: the JSON stored with the run, and the plan of cells (docs/fuzzing.md).
// load_sweep_config takes a path, so the input is written to a scratch file first.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <typeinfo>

#include "fuzz_support.h"
#include "sweep/config.h"
#include "sweep/plan.h"

using namespace jouleval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::write_scratch(data, size, "sweep.toml");
  sweep::SweepConfig config;
  bool loaded = false;
  fuzz::expect_clean(
      [&] {
        config = sweep::load_sweep_config(file);
        loaded = true;
      },
      util::ErrorKind::kBadInput, file.string());
  if (!loaded) return 0;
  // runner.cpp stores config.to_json().dump() with the run (strict UTF-8, as there).
  fuzz::expect_clean([&] { (void)config.to_json().dump(); }, util::ErrorKind::kBadInput, file.string());
  // Planning is linear in the number of cells; skip matrices larger than a real sweep would be.
  const size_t cells = config.models.size() * config.precisions.size() * config.kv_types.size() *
                       config.placements.size() * config.tasks.size();
  if (cells > 4096) return 0;
  try {
    for (const sweep::PlannedCell& cell : sweep::plan_cells(config)) (void)sweep::task_options(config, cell);
  } catch (const util::Error&) {
    // A configuration the planner refuses (e.g. few-shot TruthfulQA) is a normal outcome.
  } catch (const std::exception& e) {
    fuzz::finding(std::string("plan_cells: uncaught ") + typeid(e).name() + ": " + e.what());
  }
  return 0;
}

// Round trip of a full cell through the store: every field comes back equal, and optional fields
// that were absent stay absent (never read back as 0).
#include <gtest/gtest.h>

#include "store/store.h"
#include "store_test_util.h"

namespace jouleval::store {
namespace {

using namespace test_util;

class store_roundtrip : public TempDirTest {};

void expect_meter_eq(const MeterEnergy& a, const MeterEnergy& b) {
  EXPECT_EQ(a.meter, b.meter);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.available, b.available);
  EXPECT_EQ(a.unavailable_reason, b.unavailable_reason);
  EXPECT_EQ(a.estimated, b.estimated);
  EXPECT_EQ(a.counter_joules, b.counter_joules);
  EXPECT_EQ(a.integrated_joules, b.integrated_joules);
  EXPECT_EQ(a.disagreement, b.disagreement);
  EXPECT_EQ(a.disagreement_flag, b.disagreement_flag);
  EXPECT_EQ(a.idle_watts, b.idle_watts);
  EXPECT_EQ(a.total_joules, b.total_joules);
  EXPECT_EQ(a.active_joules, b.active_joules);
  EXPECT_EQ(a.avg_watts, b.avg_watts);
  EXPECT_EQ(a.peak_watts, b.peak_watts);
  EXPECT_EQ(a.temp_start_c, b.temp_start_c);
  EXPECT_EQ(a.temp_end_c, b.temp_end_c);
}

void expect_repetition_eq(const Repetition& a, const Repetition& b) {
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.seconds, b.seconds);
  EXPECT_EQ(a.short_window, b.short_window);
  EXPECT_EQ(a.prompt_tokens, b.prompt_tokens);
  EXPECT_EQ(a.generated_tokens, b.generated_tokens);
  EXPECT_EQ(a.decode_calls, b.decode_calls);
  EXPECT_EQ(a.items, b.items);
  ASSERT_EQ(a.meters.size(), b.meters.size());
  for (size_t i = 0; i < a.meters.size(); ++i) expect_meter_eq(a.meters[i], b.meters[i]);
}

TEST_F(store_roundtrip, FullCellWithEveryOptionalPresentAndAbsent) {
  Store store(path("rt.db"));
  store.upsert_machine(make_machine("m1"));
  const int64_t run_id =
      store.begin_run({0, "2025-01-02T03:00:00Z", "jouleval sweep x.toml", R"({"a":1})", "m1", "0.1.0"});

  const Cell pending = make_pending_cell("m1", make_key("Q4_K_M"));
  const int64_t id = store.upsert_cell_pending(pending);
  ASSERT_GT(id, 0);
  std::vector<Repetition> reps = {make_repetition(0), make_repetition(1)};
  for (const Repetition& r : reps) ASSERT_TRUE(store.add_repetition(id, r));
  const std::vector<Metric> metrics = {{"acc", 0.5625, 0.0497}, {"acc_norm", 0.6, 0.049}};
  const std::vector<ItemRecord> items = {{"arc/1", true, R"({"answer":"A"})"}, {"arc/0", false, "{}"}};
  store.finish_cell(id, metrics, items, {"fp16", 0.125, 0.0}, 17'000'000'000ULL);

  const std::vector<Cell> cells = store.cells({.with_items = true, .with_timeline = true});
  ASSERT_EQ(cells.size(), 1u);
  const Cell& c = cells[0];
  EXPECT_EQ(c.id, id);
  EXPECT_EQ(c.run_id, run_id);
  EXPECT_EQ(c.machine_id, "m1");
  EXPECT_EQ(describe(c.key), describe(pending.key));
  EXPECT_EQ(c.key.model_sha256, "ab12cd");
  EXPECT_EQ(c.status, CellStatus::kDone);
  EXPECT_EQ(c.skip_reason, "");
  EXPECT_EQ(c.model_path, pending.model_path);
  EXPECT_EQ(c.model_size_bytes, pending.model_size_bytes);
  EXPECT_EQ(c.model_params, pending.model_params);
  EXPECT_EQ(c.weight_types, pending.weight_types);
  EXPECT_TRUE(c.random_weights);
  EXPECT_EQ(c.load_seconds, 3.25);
  EXPECT_EQ(c.peak_gpu_memory_bytes, 17'000'000'000ULL);
  EXPECT_EQ(c.reference_precision, "fp16");
  EXPECT_EQ(c.answer_flips, 0.125);
  EXPECT_EQ(c.mean_kl, 0.0);  // present zero stays present
  ASSERT_EQ(c.metrics.size(), 2u);
  EXPECT_EQ(c.metrics[0].name, "acc");
  EXPECT_EQ(c.metrics[0].value, 0.5625);
  EXPECT_EQ(c.metrics[0].stderr_, 0.0497);
  EXPECT_EQ(c.metrics[1].name, "acc_norm");
  ASSERT_EQ(c.items.size(), 2u);
  EXPECT_EQ(c.items[0].item_id, "arc/1");  // insertion order kept
  EXPECT_TRUE(c.items[0].correct);
  EXPECT_EQ(c.items[0].json, R"({"answer":"A"})");
  EXPECT_FALSE(c.items[1].correct);
  ASSERT_EQ(c.repetitions.size(), 2u);
  for (size_t i = 0; i < reps.size(); ++i) {
    expect_repetition_eq(c.repetitions[i], reps[i]);
    ASSERT_EQ(c.repetitions[i].timeline.size(), reps[i].timeline.size());
    for (size_t s = 0; s < reps[i].timeline.size(); ++s) {
      EXPECT_EQ(c.repetitions[i].timeline[s].t_seconds, reps[i].timeline[s].t_seconds);
      EXPECT_EQ(c.repetitions[i].timeline[s].meter, reps[i].timeline[s].meter);
      EXPECT_EQ(c.repetitions[i].timeline[s].watts, reps[i].timeline[s].watts);
    }
  }
  // The unavailable meter: every optional absent, not zero.
  const MeterEnergy& rapl = c.repetitions[0].meters[1];
  EXPECT_FALSE(rapl.available);
  EXPECT_FALSE(rapl.counter_joules || rapl.integrated_joules || rapl.disagreement || rapl.idle_watts ||
               rapl.total_joules || rapl.active_joules || rapl.avg_watts || rapl.peak_watts || rapl.temp_start_c ||
               rapl.temp_end_c);
  EXPECT_EQ(store.timeline(c.repetitions[1].id).size(), reps[1].timeline.size());
  EXPECT_EQ(store.items(id).size(), 2u);
}

TEST_F(store_roundtrip, AbsentFidelityStaysAbsentAndQueriesSkipHeavyParts) {
  Store store(path("rt.db"));
  store.upsert_machine(make_machine("m1"));
  const int64_t id = store.upsert_cell_pending(make_pending_cell("m1", make_key("fp16")));
  ASSERT_TRUE(store.add_repetition(id, make_repetition(0)));
  store.finish_cell(id, {{"acc", 0.7, 0.01}}, {{"i0", true, "{}"}}, Fidelity{});
  const std::optional<Cell> c = store.cell(id);
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->reference_precision.has_value());
  EXPECT_FALSE(c->answer_flips.has_value());
  EXPECT_FALSE(c->mean_kl.has_value());
  EXPECT_EQ(c->run_id, 0);                                 // no run begun
  EXPECT_EQ(c->peak_gpu_memory_bytes, 16'000'000'000ULL);  // kept when finish_cell gives none
  EXPECT_TRUE(c->items.empty());                           // not asked for
  ASSERT_EQ(c->repetitions.size(), 1u);
  EXPECT_TRUE(c->repetitions[0].timeline.empty());
  EXPECT_EQ(c->repetitions[0].meters.size(), 3u);
  EXPECT_FALSE(store.cell(id + 100).has_value());
}

TEST_F(store_roundtrip, MachinesAndRuns) {
  Store store(path("rt.db"));
  Machine m = make_machine("m1");
  store.upsert_machine(m);
  m.fingerprint_json = R"({"driver":"560"})";
  store.upsert_machine(m);  // same id: updated, not duplicated
  store.upsert_machine(make_machine("m0"));
  const std::vector<Machine> machines = store.machines();
  ASSERT_EQ(machines.size(), 2u);
  EXPECT_EQ(machines[0].id, "m0");
  EXPECT_EQ(machines[1].fingerprint_json, R"({"driver":"560"})");
  EXPECT_EQ(machines[1].cpu_model, "AMD EPYC 9654");
  store.begin_run({0, "t0", "jouleval run", "", "m1", "0.1.0"});
  const std::vector<results::Run> runs = store.runs();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].config_json, "{}");
  EXPECT_EQ(runs[0].command_line, "jouleval run");
  EXPECT_EQ(store.current_run(), runs[0].id);
}

}  // namespace
}  // namespace jouleval::store

// The lm-evaluation-harness results layout (report/lm_eval_json.h) on hand-built cells whose
// per-item correctness is known, so every value below was computed by hand (docs/lm-eval.md).
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.h"
#include "report/lm_eval_json.h"

namespace jouleval::report {
namespace {

using Json = nlohmann::ordered_json;

results::Cell base_cell(const std::string& task, int shots = 0) {
  results::Cell c;
  c.id = 1;
  c.machine_id = "m-h100";
  c.status = results::CellStatus::kDone;
  c.key.model = "tiny";
  c.key.model_sha256 = "abc123";
  c.key.file_sha256 = "def456";
  c.key.precision = "int8";
  c.key.kv_type = "f16";
  c.key.placement = "gpu";
  c.key.task = task;
  c.key.shots = shots;
  c.key.seed = 1234;
  c.model_params = 1000;
  return c;
}

results::ItemRecord mmlu_item(const std::string& subject, int row, bool correct, bool correct_norm) {
  return {subject + "/" + std::to_string(row), correct,
          Json({{"id", subject + "/" + std::to_string(row)},
                {"subject", subject},
                {"correct", correct},
                {"correct_norm", correct_norm}})
              .dump()};
}

// MMLU: anatomy (stem) 4 items, acc 1,1,1,0 / acc_norm 1,1,0,0; astronomy (stem) 3 items, acc 1,0,0 /
// acc_norm 0,0,0; marketing (other) 2 items, acc 1,0 / acc_norm 1,1; philosophy (humanities) 1 item,
// acc 0 / acc_norm 0. No social sciences subject.
results::Cell mmlu_cell() {
  results::Cell c = base_cell("mmlu", 5);
  const std::vector<std::tuple<std::string, bool, bool>> items = {
      {"anatomy", true, true},    {"anatomy", true, true},     {"anatomy", true, false},    {"anatomy", false, false},
      {"astronomy", true, false}, {"astronomy", false, false}, {"astronomy", false, false}, {"marketing", true, true},
      {"marketing", false, true}, {"philosophy", false, false}};
  int row = 0;
  for (const auto& [subject, acc, norm] : items) c.items.push_back(mmlu_item(subject, row++, acc, norm));
  c.metrics = {{"acc", 0.5, std::sqrt(0.25 / 9)}, {"acc_norm", 0.4, std::sqrt(0.24 / 9)}};
  // One repetition: 360 J on the GPU in 10 s for 10 items.
  c.repetitions.push_back(testing::repetition(0, 10.0, 1000, 0, 10, {testing::meter("nvml:0", "gpu", 360.0, 300.0)}));
  c.repetitions.back().meters.back().idle_watts = 6.0;
  return c;
}

// ARC-Challenge with 4 items: acc 3/4 (stderr sqrt(0.75*0.25/3) = 0.25), acc_norm 1/2; no meter.
results::Cell arc_cell() {
  results::Cell c = base_cell("arc_challenge");
  c.id = 2;
  c.metrics = {{"acc", 0.75, 0.25}, {"acc_norm", 0.5, std::sqrt(0.25 / 3)}};
  for (int i = 0; i < 4; ++i) c.items.push_back({std::to_string(i), i < 3, "{}"});
  c.repetitions.push_back(testing::repetition(0, 2.0, 100, 0, 4, {testing::meter("nvml:0", "gpu", std::nullopt)}));
  return c;
}

results::Cell gsm8k_cell() {
  results::Cell c = base_cell("gsm8k", 5);
  c.id = 3;
  c.metrics = {{"exact_match,strict-match", 0.5, 0.5}, {"exact_match,flexible-extract", 1.0, 0.0}};
  c.items = {{"0", true, "{}"}, {"1", false, "{}"}};
  return c;
}

results::Cell mc2_cell() {
  results::Cell c = base_cell("truthfulqa_mc2");
  c.id = 4;
  c.metrics = {{"mc2", 0.525, 0.225}};
  c.items = {{"0", false, "{}"}, {"1", true, "{}"}};
  return c;
}

results::Cell mc1_single_item() {
  results::Cell c = base_cell("truthfulqa_mc1");
  c.id = 5;
  c.metrics = {{"acc", 1.0, std::nullopt}, {"acc_norm", 0.0, std::nullopt}};
  c.items = {{"0", true, "{}"}};
  return c;
}

Json build() {
  LmEvalRunInfo info;
  info.model_args = "tiny.gguf";
  info.limit = 0.5;
  info.date = 1700000000.25;
  info.jouleval_version = "9.9.9";
  info.original_items = {{"arc_challenge", 1172}, {"mmlu_anatomy", 135}};
  return lm_eval_results({mmlu_cell(), arc_cell(), gsm8k_cell(), mc2_cell(), mc1_single_item()}, info);
}

TEST(report_LmEvalJson, TopLevelKeysInLmEvalOrder) {
  const Json j = build();
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"results", "groups", "group_subtasks", "configs", "versions", "n-shot",
                                            "higher_is_better", "n-samples", "config", "date", "energy",
                                            "jouleval_version"}));
  EXPECT_DOUBLE_EQ(j["date"].get<double>(), 1700000000.25);
  EXPECT_EQ(j["jouleval_version"], "9.9.9");
}

TEST(report_LmEvalJson, TaskMetricsWithStderrUnderLmEvalKeys) {
  const Json r = build()["results"];
  EXPECT_EQ(r["arc_challenge"]["alias"], "arc_challenge");
  EXPECT_DOUBLE_EQ(r["arc_challenge"]["acc,none"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(r["arc_challenge"]["acc_stderr,none"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(r["arc_challenge"]["acc_norm,none"].get<double>(), 0.5);
  EXPECT_NEAR(r["arc_challenge"]["acc_norm_stderr,none"].get<double>(), 0.28867513459481287, 1e-15);
  EXPECT_EQ(r["arc_challenge"]["sample_len"], 4);
  EXPECT_DOUBLE_EQ(r["gsm8k"]["exact_match,strict-match"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["gsm8k"]["exact_match_stderr,strict-match"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["gsm8k"]["exact_match,flexible-extract"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["gsm8k"]["exact_match_stderr,flexible-extract"].get<double>(), 0.0);
  // lm-eval calls the MC2 score "acc".
  EXPECT_DOUBLE_EQ(r["truthfulqa_mc2"]["acc,none"].get<double>(), 0.525);
  EXPECT_DOUBLE_EQ(r["truthfulqa_mc2"]["acc_stderr,none"].get<double>(), 0.225);
  EXPECT_FALSE(r["truthfulqa_mc2"].contains("mc2,none"));
  // One item: no stderr, written "N/A" as lm-eval does.
  EXPECT_EQ(r["truthfulqa_mc1"]["acc_stderr,none"], "N/A");
  EXPECT_EQ(r["truthfulqa_mc1"]["acc_norm_stderr,none"], "N/A");
}

TEST(report_LmEvalJson, MmluSubjectsFromItemRecords) {
  const Json r = build()["results"];
  EXPECT_EQ(r["mmlu_anatomy"]["alias"], "anatomy");
  EXPECT_EQ(r["mmlu_anatomy"]["name"], "mmlu_anatomy");
  EXPECT_EQ(r["mmlu_anatomy"]["sample_len"], 4);
  EXPECT_DOUBLE_EQ(r["mmlu_anatomy"]["acc,none"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(r["mmlu_anatomy"]["acc_stderr,none"].get<double>(), 0.25);  // sqrt(.75*.25/3)
  EXPECT_DOUBLE_EQ(r["mmlu_anatomy"]["acc_norm,none"].get<double>(), 0.5);
  EXPECT_NEAR(r["mmlu_anatomy"]["acc_norm_stderr,none"].get<double>(), 0.28867513459481287, 1e-15);
  EXPECT_NEAR(r["mmlu_astronomy"]["acc,none"].get<double>(), 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(r["mmlu_astronomy"]["acc_stderr,none"].get<double>(), 1.0 / 3.0, 1e-15);  // sqrt((1/3)(2/3)/2)
  EXPECT_DOUBLE_EQ(r["mmlu_marketing"]["acc_stderr,none"].get<double>(), 0.5);          // sqrt(.5*.5/1)
  EXPECT_DOUBLE_EQ(r["mmlu_marketing"]["acc_norm,none"].get<double>(), 1.0);
  EXPECT_EQ(r["mmlu_philosophy"]["acc_stderr,none"], "N/A");
  EXPECT_EQ(r["mmlu_philosophy"]["sample_len"], 1);
}

TEST(report_LmEvalJson, MmluGroupsWeightedBySizeWithPooledStderr) {
  const Json j = build();
  const Json g = j["groups"];
  // stem = anatomy + astronomy: acc (3 + 1) / 7; pooled variance
  // (3 * 0.25^2 * 4 + 2 * (1/3)^2 * 3) / (7 - 2) / 7 = (3/4 + 2/3) / 35 = 17/420.
  EXPECT_NEAR(g["mmlu_stem"]["acc,none"].get<double>(), 4.0 / 7.0, 1e-15);
  EXPECT_NEAR(g["mmlu_stem"]["acc_stderr,none"].get<double>(), std::sqrt(17.0 / 420.0), 1e-15);
  // acc_norm: (2 + 0) / 7; pooled (3 * (1/12) * 4 + 0) / 5 / 7 = 1/35.
  EXPECT_NEAR(g["mmlu_stem"]["acc_norm,none"].get<double>(), 2.0 / 7.0, 1e-15);
  EXPECT_NEAR(g["mmlu_stem"]["acc_norm_stderr,none"].get<double>(), std::sqrt(1.0 / 35.0), 1e-15);
  EXPECT_EQ(g["mmlu_stem"]["alias"], "stem");
  EXPECT_EQ(g["mmlu_stem"]["name"], "mmlu_stem");
  EXPECT_EQ(g["mmlu_stem"]["sample_count"]["acc,none"], 7);
  // other = marketing only: its own values.
  EXPECT_DOUBLE_EQ(g["mmlu_other"]["acc,none"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(g["mmlu_other"]["acc_stderr,none"].get<double>(), 0.5);
  // humanities = philosophy (1 item): stderr N/A, and so is that of mmlu.
  EXPECT_EQ(g["mmlu_humanities"]["acc_stderr,none"], "N/A");
  EXPECT_DOUBLE_EQ(g["mmlu"]["acc,none"].get<double>(), 0.5);  // 5 of 10 items
  EXPECT_EQ(g["mmlu"]["acc_stderr,none"], "N/A");
  EXPECT_DOUBLE_EQ(g["mmlu"]["acc_norm,none"].get<double>(), 0.4);
  EXPECT_EQ(g["mmlu"]["sample_len"], 10);
  // No social sciences subject: the group is listed without a value.
  EXPECT_EQ(g["mmlu_social_sciences"]["alias"], "social sciences");
  EXPECT_FALSE(g["mmlu_social_sciences"].contains("acc,none"));
  EXPECT_EQ(g["mmlu_social_sciences"]["sample_len"], 0);
  // Groups are in "results" too, as lm-eval writes them.
  EXPECT_EQ(j["results"]["mmlu_stem"], g["mmlu_stem"]);

  const Json s = j["group_subtasks"];
  EXPECT_EQ(s["mmlu"], Json({"mmlu_stem", "mmlu_other", "mmlu_social_sciences", "mmlu_humanities"}));
  EXPECT_EQ(s["mmlu_stem"], Json({"mmlu_anatomy", "mmlu_astronomy"}));
  EXPECT_EQ(s["mmlu_other"], Json({"mmlu_marketing"}));
  EXPECT_EQ(s["mmlu_social_sciences"], Json::array());
  EXPECT_EQ(s["arc_challenge"], Json::array());
}

TEST(report_LmEvalJson, ConfigsVersionsShotsSamplesAndConfig) {
  const Json j = build();
  const Json& anatomy = j["configs"]["mmlu_anatomy"];
  EXPECT_EQ(anatomy["task"], "mmlu_anatomy");
  EXPECT_EQ(anatomy["task_alias"], "anatomy");
  EXPECT_EQ(anatomy["dataset_path"], "cais/mmlu");
  EXPECT_EQ(anatomy["dataset_name"], "anatomy");
  EXPECT_EQ(anatomy["num_fewshot"], 5);
  EXPECT_EQ(anatomy["fewshot_config"]["sampler"], "first_n");
  EXPECT_EQ(anatomy["metric_list"][0]["metric"], "acc");
  EXPECT_EQ(j["configs"]["gsm8k"]["generation_kwargs"]["until"], Json({"Question:", "</s>", "<|im_end|>"}));
  EXPECT_EQ(j["configs"]["truthfulqa_mc2"]["metric_list"], Json::parse(R"([{"metric":"acc","aggregation":"mean",
                                                                          "higher_is_better":true}])"));
  EXPECT_FALSE(j["configs"].contains("mmlu"));  // a group, not a task
  // Sorted by name, as lm-eval writes configs, versions, n-shot and higher_is_better.
  EXPECT_EQ(j["configs"].begin().key(), "arc_challenge");
  EXPECT_EQ(j["versions"].begin().key(), "arc_challenge");
  EXPECT_EQ(std::prev(j["n-shot"].end()).key(), "truthfulqa_mc2");

  EXPECT_DOUBLE_EQ(j["versions"]["mmlu_anatomy"].get<double>(), 1.0);
  EXPECT_EQ(j["versions"]["mmlu"], 2);
  EXPECT_EQ(j["versions"]["mmlu_stem"], 2);
  EXPECT_DOUBLE_EQ(j["versions"]["arc_challenge"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["versions"]["truthfulqa_mc1"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j["versions"]["truthfulqa_mc2"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(j["versions"]["gsm8k"].get<double>(), 3.0);

  EXPECT_EQ(j["n-shot"]["mmlu_anatomy"], 5);
  EXPECT_EQ(j["n-shot"]["mmlu"], 5);
  EXPECT_EQ(j["n-shot"]["gsm8k"], 5);
  EXPECT_EQ(j["n-shot"]["arc_challenge"], 0);
  EXPECT_EQ(j["higher_is_better"]["arc_challenge"], Json({{"acc", true}, {"acc_norm", true}}));
  EXPECT_EQ(j["higher_is_better"]["gsm8k"], Json({{"exact_match", true}}));

  EXPECT_EQ(j["n-samples"]["arc_challenge"], Json({{"original", 1172}, {"effective", 4}}));
  EXPECT_EQ(j["n-samples"]["mmlu_anatomy"], Json({{"original", 135}, {"effective", 4}}));
  EXPECT_EQ(j["n-samples"]["mmlu_astronomy"], Json({{"original", 3}, {"effective", 3}}));  // not given
  EXPECT_FALSE(j["n-samples"].contains("mmlu"));

  const Json& c = j["config"];
  EXPECT_EQ(c["model"], "tiny");
  EXPECT_EQ(c["model_args"], "tiny.gguf");
  EXPECT_EQ(c["model_sha256"], "abc123");
  EXPECT_EQ(c["file_sha256"], "def456");
  EXPECT_EQ(c["model_dtype"], "int8");
  EXPECT_EQ(c["fewshot_seed"], 1234);
  EXPECT_DOUBLE_EQ(c["limit"].get<double>(), 0.5);
  EXPECT_EQ(c["batch_size"], "auto");
  EXPECT_EQ(c["device"], "gpu");
}

// The few-shot sampler in the task configs: lm-eval's per task by default (MMLU first_n, the others
// "default", TruthfulQA none); first_n for every task with a few-shot pool in first_n cells.
TEST(report_LmEvalJson, FewshotConfigShowsTheSampler) {
  const Json lm_eval = build();
  EXPECT_EQ(lm_eval["configs"]["gsm8k"]["fewshot_config"], Json({{"sampler", "default"}}));
  EXPECT_EQ(lm_eval["configs"]["arc_challenge"]["fewshot_config"], Json({{"sampler", "default"}}));
  EXPECT_EQ(lm_eval["configs"]["mmlu_anatomy"]["fewshot_config"], Json({{"sampler", "first_n"}}));
  EXPECT_FALSE(lm_eval["configs"]["truthfulqa_mc2"].contains("fewshot_config"));
  EXPECT_EQ(lm_eval["config"]["fewshot_sampler"], "lm-eval");

  std::vector<results::Cell> cells = {mmlu_cell(), arc_cell(), gsm8k_cell(), mc2_cell()};
  for (auto& c : cells) c.key.fewshot_sampler = "first_n";
  const Json first_n = lm_eval_results(cells, LmEvalRunInfo{});
  EXPECT_EQ(first_n["configs"]["gsm8k"]["fewshot_config"], Json({{"sampler", "first_n"}}));
  EXPECT_EQ(first_n["configs"]["arc_challenge"]["fewshot_config"], Json({{"sampler", "first_n"}}));
  EXPECT_EQ(first_n["configs"]["mmlu_anatomy"]["fewshot_config"], Json({{"sampler", "first_n"}}));
  EXPECT_FALSE(first_n["configs"]["truthfulqa_mc2"].contains("fewshot_config"));
  EXPECT_EQ(first_n["config"]["fewshot_sampler"], "first_n");
}

TEST(report_LmEvalJson, EnergyMeasuredOrUnavailable) {
  const Json e = build()["energy"];
  // MMLU: 360 J = 0.1 Wh over 10 items, score (acc) 0.5.
  EXPECT_EQ(e["mmlu"]["available"], true);
  EXPECT_DOUBLE_EQ(e["mmlu"]["energy_j"].get<double>(), 360.0);
  EXPECT_DOUBLE_EQ(e["mmlu"]["energy_wh"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(e["mmlu"]["active_energy_j"].get<double>(), 300.0);
  EXPECT_DOUBLE_EQ(e["mmlu"]["j_per_item"].get<double>(), 36.0);
  EXPECT_DOUBLE_EQ(e["mmlu"]["eor"].get<double>(), 5.0);
  EXPECT_EQ(e["mmlu"]["eor_metric"], "acc");
  EXPECT_DOUBLE_EQ(e["mmlu"]["seconds"].get<double>(), 10.0);
  EXPECT_EQ(e["mmlu"]["idle"]["measured"], true);
  EXPECT_DOUBLE_EQ(e["mmlu"]["idle"]["baseline_w"]["nvml:0"].get<double>(), 6.0);
  EXPECT_EQ(e["mmlu"]["meters"][0]["meter"], "nvml:0");
  // ARC: the only meter was unavailable.
  EXPECT_EQ(e["arc_challenge"]["available"], false);
  EXPECT_EQ(e["arc_challenge"]["energy_j"], "unavailable");
  EXPECT_EQ(e["arc_challenge"]["j_per_item"], "unavailable");
  EXPECT_EQ(e["arc_challenge"]["eor"], "unavailable");
  EXPECT_EQ(e["arc_challenge"]["meters"][0]["reason"], "permission denied");
  EXPECT_EQ(e["arc_challenge"]["unavailable"].size(), 1u);
}

TEST(report_LmEvalJson, SkipsCellsNotDoneAndOldRecordsWithoutAccNorm) {
  results::Cell failed = arc_cell();
  failed.status = results::CellStatus::kFailed;
  results::Cell old = mmlu_cell();
  for (auto& item : old.items) item.json = Json({{"subject", "anatomy"}}).dump();
  const Json j = lm_eval_results({failed, old}, LmEvalRunInfo{});
  EXPECT_FALSE(j["results"].contains("arc_challenge"));
  EXPECT_TRUE(j["results"]["mmlu_anatomy"].contains("acc,none"));
  EXPECT_FALSE(j["results"]["mmlu_anatomy"].contains("acc_norm,none"));
  EXPECT_FALSE(j["groups"]["mmlu"].contains("acc_norm,none"));
  EXPECT_EQ(j["config"]["limit"], nullptr);
  LmEvalRunInfo count;
  count.limit = 200;
  const Json c = lm_eval_results({old}, count)["config"]["limit"];
  EXPECT_TRUE(c.is_number_integer());
  EXPECT_EQ(c, 200);
}

TEST(report_LmEvalJson, FileNames) {
  results::CellKey k;
  k.model = "org/My Model";
  k.precision = "Q4_K_M";
  EXPECT_EQ(lm_eval_model_dir_name(k), "org_My_Model__Q4_K_M");
  k.model = "..";
  EXPECT_EQ(lm_eval_model_dir_name(k), "_.__Q4_K_M");
  EXPECT_EQ(lm_eval_date_id(0), "1970-01-01T00-00-00.000000");
  EXPECT_EQ(lm_eval_date_id(1700000000.25), "2023-11-14T22-13-20.250000");
  EXPECT_EQ(lm_eval_date_id(59.9999999), "1970-01-01T00-01-00.000000");
}

}  // namespace
}  // namespace jouleval::report

// Sweep configuration: TOML parsing, defaults, per-task overrides and errors that name the field.
#include <gtest/gtest.h>

#include <fstream>

#include "results/precision.h"
#include "sweep/config.h"
#include "sweep/plan.h"
#include "util/error.h"

namespace jouleval::sweep {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path write(const std::string& text) {
    dir_ = std::filesystem::temp_directory_path() / ("jouleval-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto file = dir_ / "sweep.toml";
    std::ofstream(file) << text;
    return file;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, ParsesAxesAndResolvesPathsRelativeToTheFile) {
  auto file = write(R"(
[sweep]
database = "out/results.db"
data_dir = "data"
models = ["m/a.gguf", "synth:tiny"]
precisions = ["fp16", "int8", "Q4_K_M"]
kv_types = ["f16", "q8_0"]
placements = ["gpu", "cpu"]
tasks = ["mmlu", "gsm8k"]
limit = 100
repetitions = 2
idle_seconds = 1.5
scoring_lanes = 3
batch_size = 4096
ubatch_size = 1024

[tasks.gsm8k]
limit = 10
shots = 3
)");
  SweepConfig c = load_sweep_config(file);
  EXPECT_EQ(c.database, dir_ / "out/results.db");
  EXPECT_EQ(c.data_dir, dir_ / "data");
  ASSERT_EQ(c.models.size(), 2u);
  EXPECT_EQ(c.models[0].path, dir_ / "m/a.gguf");
  EXPECT_EQ(c.models[0].label, "a");
  EXPECT_EQ(c.models[1].synth_preset, "tiny");
  EXPECT_EQ(c.models[1].path, dir_ / "out/models/tiny-f16.gguf");
  EXPECT_EQ(c.repetitions, 2);
  EXPECT_DOUBLE_EQ(c.idle_seconds, 1.5);
  EXPECT_EQ(c.scoring_lanes, 3);
  EXPECT_EQ(c.batch_size, 4096);
  EXPECT_EQ(c.ubatch_size, 1024);
  EXPECT_EQ(c.to_json()["ubatch_size"], 1024);
  EXPECT_EQ(c.limit_for(tasks::TaskId::kMmlu), 100);
  EXPECT_EQ(c.limit_for(tasks::TaskId::kGsm8k), 10);
  EXPECT_EQ(c.shots_for(tasks::TaskId::kGsm8k), 3);
  EXPECT_FALSE(c.shots_for(tasks::TaskId::kMmlu).has_value());
}

void expect_error_mentions(const std::function<void()>& fn, const std::string& needle) {
  try {
    fn();
    FAIL() << "expected an error mentioning " << needle;
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
  }
}

TEST_F(ConfigTest, ErrorsNameTheFileAndField) {
  auto base = std::string("[sweep]\nsamples = true\nmodels = [\"a.gguf\"]\ntasks = [\"mmlu\"]\n");
  expect_error_mentions([&] { load_sweep_config(write(base + "precisions = [\"fp12\"]\n")); }, "sweep.precisions");
  expect_error_mentions([&] { load_sweep_config(write(base + "kv_types = [\"q5\"]\n")); }, "sweep.kv_types");
  expect_error_mentions([&] { load_sweep_config(write(base + "placements = [\"tpu\"]\n")); }, "sweep.placements");
  expect_error_mentions([&] { load_sweep_config(write(base + "repetitions = \"three\"\n")); }, "sweep.repetitions");
  expect_error_mentions([&] { load_sweep_config(write(base + "repetitions = 0\n")); }, "sweep.repetitions");
  expect_error_mentions([&] { load_sweep_config(write(base + "colour = 1\n")); }, "sweep.colour");
  expect_error_mentions([&] { load_sweep_config(write(base + "scoring_lanes = -1\n")); }, "sweep.scoring_lanes");
  expect_error_mentions([&] { load_sweep_config(write(base + "[tasks.mmmlu]\nlimit = 1\n")); }, "tasks.mmmlu");
  expect_error_mentions([&] { load_sweep_config(write("[sweep]\nsamples = true\ntasks = [\"mmlu\"]\n")); },
                        "sweep.models");
  expect_error_mentions([&] { load_sweep_config(write("[sweep]\nmodels = [\"a.gguf\"]\ntasks = [\"mmlu\"]\n")); },
                        "data_dir");
  expect_error_mentions([&] { load_sweep_config(write("[sweep\n")); }, "sweep.toml:");
}

TEST_F(ConfigTest, MultiGpuPlacementsTakeTheSplitAndAreCanonical) {
  auto file = write(R"(
[sweep]
samples = true
models = ["a.gguf"]
tasks = ["mmlu"]
placements = ["gpus:0,1", "gpus:2,3:row", "gpus:1", "cpu"]
split = "row"
)");
  const SweepConfig c = load_sweep_config(file);
  // The split applies to the multi-GPU placements (one naming the same split is the same), not to one GPU.
  EXPECT_EQ(c.placements, (std::vector<std::string>{"gpus:0,1:row", "gpus:2,3:row", "gpus:1", "cpu"}));
}

TEST_F(ConfigTest, SplitErrorsNameTheField) {
  auto base = std::string("[sweep]\nsamples = true\nmodels = [\"a.gguf\"]\ntasks = [\"mmlu\"]\n");
  expect_error_mentions([&] { load_sweep_config(write(base + "placements = [\"gpus:0,1\"]\nsplit = \"diagonal\"\n")); },
                        "sweep.split");
  expect_error_mentions([&] { load_sweep_config(write(base + "placements = [\"gpu\"]\nsplit = \"row\"\n")); },
                        "sweep.split");
  expect_error_mentions(
      [&] { load_sweep_config(write(base + "placements = [\"gpus:0,1:layer\"]\nsplit = \"row\"\n")); },
      "names another split");
  expect_error_mentions([&] { load_sweep_config(write(base + "placements = [\"gpus:0,0\"]\n")); }, "listed twice");
  expect_error_mentions([&] { load_sweep_config(write(base + "placements = [\"gpus:0,1\", \"gpus:0,1:layer\"]\n")); },
                        "are the same");
}

TEST(CanonicalPlacement, AppliesTheSplitOrRefusesIt) {
  EXPECT_EQ(canonical_placement("gpus:0,1", ""), "gpus:0,1");
  EXPECT_EQ(canonical_placement("gpus:0,1", "row"), "gpus:0,1:row");
  EXPECT_EQ(canonical_placement("gpus:0,1:row", "row"), "gpus:0,1:row");
  EXPECT_EQ(canonical_placement("gpus:0,1", "tensor"), "gpus:0,1:tensor");
  EXPECT_EQ(canonical_placement("gpus:1,0:tensor", ""), "gpus:1,0:tensor");
  EXPECT_EQ(canonical_placement("gpus:0,1:layer", ""), "gpus:0,1");
  for (const auto& [placement, split] : std::vector<std::pair<std::string, std::string>>{
           {"gpu", "row"}, {"gpus:0", "layer"}, {"gpus:0,1:row", "layer"}, {"gpus:0,1", "diagonal"}, {"gpus:", ""}}) {
    try {
      canonical_placement(placement, split);
      ADD_FAILURE() << placement << " / " << split << " accepted";
    } catch (const util::Error& e) {
      EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
    }
  }
}

// [endpoint]: one cell per task, identified by the served model and the server's host and port.
TEST_F(ConfigTest, AnEndpointTablePlansOneCellPerTaskOfTheServedModel) {
  const SweepConfig c = load_sweep_config(write(R"(
[sweep]
samples = true
tasks = ["gsm8k", "hellaswag"]
[endpoint]
url = "http://10.0.0.7:8000/v1"
served_model = "Qwen/Qwen2.5-7B-Instruct"
concurrency = 32
request_timeout = 90
slo_ttft_ms = 250.5
)"));
  ASSERT_TRUE(c.endpoint.has_value());
  EXPECT_EQ(c.endpoint->url, "http://10.0.0.7:8000/v1");
  EXPECT_EQ(c.endpoint->concurrency, 32);
  EXPECT_EQ(c.endpoint->request_timeout_seconds, 90);
  EXPECT_EQ(c.slo.ttft_ms, 250.5);
  EXPECT_FALSE(c.slo.itl_ms.has_value());
  const auto cells = plan_cells(c);
  ASSERT_EQ(cells.size(), 2U);
  const results::CellKey key = cell_key(c, cells[0], c.models.at(0).label, "", "");
  EXPECT_EQ(key.model, "Qwen/Qwen2.5-7B-Instruct");
  EXPECT_EQ(key.precision, "served");
  EXPECT_EQ(key.kv_type, "server");
  EXPECT_EQ(key.placement, "endpoint:10.0.0.7:8000");
  EXPECT_EQ(key.engine.max_sequences, 32);
  EXPECT_EQ(key.task, "gsm8k");
}

TEST_F(ConfigTest, EndpointConcurrencyLevelsPlanOneCellPerLevelAndTask) {
  const SweepConfig c = load_sweep_config(write(R"(
[sweep]
samples = true
tasks = ["gsm8k", "arc_challenge"]
[endpoint]
url = "http://h:8000"
served_model = "m"
concurrency = [1, 8, 32]
)"));
  EXPECT_EQ(c.concurrency_levels, (std::vector<int>{1, 8, 32}));
  const auto cells = plan_cells(c);
  ASSERT_EQ(cells.size(), 6U);
  std::vector<std::pair<int, std::string>> planned;
  for (const auto& cell : cells)
    planned.emplace_back(cell_key(c, cell, "m", "", "").engine.max_sequences, std::string(tasks::task_name(cell.task)));
  const std::vector<std::pair<int, std::string>> expected = {
      {1, "gsm8k"}, {1, "arc_challenge"}, {8, "gsm8k"}, {8, "arc_challenge"}, {32, "gsm8k"}, {32, "arc_challenge"}};
  EXPECT_EQ(planned, expected);
  EXPECT_EQ(parse_concurrency_levels("4", "--concurrency"), std::vector<int>{4});
  for (const char* bad : {"", "0", "1,,2", "1,1", "2000", "8x", "-1"}) {
    try {
      parse_concurrency_levels(bad, "--concurrency");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const util::Error& e) {
      EXPECT_EQ(e.kind(), util::ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find("--concurrency '"), std::string::npos) << e.what();
    }
  }
}

// arrival_rate = [1.0, 4]: one cell per rate (and level and task), the rate in the cell's identity;
// the concurrency is the cap, 1024 when not given.
TEST_F(ConfigTest, EndpointArrivalRatesPlanOneCellPerRate) {
  const std::string head =
      "[sweep]\nsamples = true\ntasks = [\"gsm8k\"]\n[endpoint]\nurl = \"http://h:8000\"\n"
      "served_model = \"m\"\n";
  SweepConfig c = load_sweep_config(write(head + "arrival_rate = [1.0, 4]\n"));
  EXPECT_EQ(c.arrival_rates, (std::vector<double>{1.0, 4.0}));
  EXPECT_EQ(c.endpoint->concurrency, 1024) << "the default cap";
  auto cells = plan_cells(c);
  ASSERT_EQ(cells.size(), 2U);
  EXPECT_EQ(cell_key(c, cells[0], "m", "", "").engine.arrival_rate, 1.0);
  EXPECT_EQ(cell_key(c, cells[1], "m", "", "").engine.arrival_rate, 4.0);
  EXPECT_EQ(cell_key(c, cells[1], "m", "", "").engine.max_sequences, 1024);
  EXPECT_EQ(c.to_json().at("endpoint").at("arrival_rate"), nlohmann::json::parse("[1.0, 4.0]"));

  c = load_sweep_config(write(head + "arrival_rate = 2.5\nconcurrency = [8, 16]\n"));
  cells = plan_cells(c);
  ASSERT_EQ(cells.size(), 2U);
  EXPECT_EQ(cell_key(c, cells[0], "m", "", "").engine.max_sequences, 8);
  EXPECT_EQ(cell_key(c, cells[1], "m", "", "").engine.max_sequences, 16);
  EXPECT_EQ(cells[1].arrival_rate, 2.5);

  c = load_sweep_config(write(head));  // a closed loop
  EXPECT_TRUE(c.arrival_rates.empty());
  EXPECT_EQ(cell_key(c, plan_cells(c).at(0), "m", "", "").engine.arrival_rate, 0.0);

  EXPECT_EQ(parse_arrival_rates("0.5,10000", "--arrival-rate"), (std::vector<double>{0.5, 10000}));
  for (const char* bad : {"", "0", "-1", "nan", "inf", "abc", "4x", "10000.5", "1,,2", "2,2.0"}) {
    try {
      parse_arrival_rates(bad, "--arrival-rate");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const util::Error& e) {
      EXPECT_EQ(e.kind(), util::ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find("--arrival-rate '"), std::string::npos) << e.what();
    }
  }
  for (const char* bad : {"arrival_rate = 0\n", "arrival_rate = -2.0\n", "arrival_rate = nan\n",
                          "arrival_rate = \"4\"\n", "arrival_rate = 20000\n", "arrival_rate = []\n",
                          "arrival_rate = [4.0, 4]\n", "arrival_rate = [1.0, \"x\"]\n"}) {
    const auto file = write(head + bad);
    try {
      load_sweep_config(file);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const util::Error& e) {
      EXPECT_EQ(e.code(), util::ErrorKind::kBadInput) << bad;
      EXPECT_NE(std::string(e.what()).find("endpoint.arrival_rate"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
  }
}

TEST_F(ConfigTest, EndpointErrorsNameTheField) {
  const std::string base = "[sweep]\nsamples = true\ntasks = [\"gsm8k\"]\n";
  const std::string ep = "[endpoint]\nurl = \"http://h:1\"\nserved_model = \"m\"\n";
  expect_error_mentions([&] { load_sweep_config(write(base + "[endpoint]\nserved_model = \"m\"\n")); },
                        "field 'endpoint.url'");
  expect_error_mentions(
      [&] { load_sweep_config(write(base + "[endpoint]\nurl = \"ftp://h\"\nserved_model = \"m\"\n")); },
      "field 'endpoint.url'");
  expect_error_mentions([&] { load_sweep_config(write(base + "[endpoint]\nurl = \"http://h:1\"\n")); },
                        "field 'endpoint.served_model'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "concurrency = 0\n")); },
                        "field 'endpoint.concurrency'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "concurrency = [4, 4]\n")); },
                        "field 'endpoint.concurrency'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "concurrency = \"8\"\n")); },
                        "field 'endpoint.concurrency'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "request_timeout = -1\n")); },
                        "field 'endpoint.request_timeout'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "slo_ttft_ms = 0\n")); },
                        "field 'endpoint.slo_ttft_ms'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "slo_itl_ms = -5\n")); },
                        "field 'endpoint.slo_itl_ms'");
  expect_error_mentions([&] { load_sweep_config(write(base + ep + "port = 1\n")); }, "endpoint.port");
  expect_error_mentions(
      [&] { load_sweep_config(write("[sweep]\nsamples = true\nmodels = [\"a.gguf\"]\ntasks = [\"gsm8k\"]\n" + ep)); },
      "field 'sweep.models': not with [endpoint]");
}

TEST_F(ConfigTest, EndpointApiIsPartOfTheCellIdentity) {
  const std::string base =
      "[sweep]\nsamples = true\ntasks = [\"gsm8k\"]\n[endpoint]\nurl = \"http://h:1\"\n"
      "served_model = \"m\"\n";
  const SweepConfig plain = load_sweep_config(write(base));
  EXPECT_EQ(plain.endpoint->api, "completions");
  EXPECT_EQ(cell_key(plain, plan_cells(plain).at(0), "m", "", "").engine.endpoint_api, "completions");
  const SweepConfig chat = load_sweep_config(write(base + "api = \"chat\"\n"));
  EXPECT_EQ(chat.endpoint->api, "chat");
  EXPECT_EQ(chat.to_json().at("endpoint").at("api"), "chat");
  const results::CellKey key = cell_key(chat, plan_cells(chat).at(0), "m", "", "");
  EXPECT_EQ(key.engine.endpoint_api, "chat");
  EXPECT_FALSE(key == cell_key(plain, plan_cells(plain).at(0), "m", "", ""));
  expect_error_mentions([&] { load_sweep_config(write(base + "api = \"responses\"\n")); },
                        "field 'endpoint.api': 'responses': use \"completions\" or \"chat\"");
  expect_error_mentions([&] { load_sweep_config(write(base + "api = 1\n")); }, "field 'endpoint.api'");
  // In-process cells have no endpoint API.
  SweepConfig local;
  local.use_samples = true;
  local.models = {parse_model_spec("a.gguf", ".")};
  local.precisions = {"fp16"};
  local.tasks = {tasks::TaskId::kGsm8k};
  EXPECT_EQ(cell_key(local, plan_cells(local).at(0), "a", "", "").engine.endpoint_api, "");
}

// sweep.fewshot_sampler: lm-eval by default, first_n on request; it goes to the task options and the
// cell identity of every cell, in-process and endpoint; a bad value names the file, line and field.
TEST_F(ConfigTest, FewshotSamplerIsPartOfEveryCell) {
  const std::string base = "[sweep]\nsamples = true\nmodels = [\"a.gguf\"]\ntasks = [\"gsm8k\", \"arc_challenge\"]\n";
  const SweepConfig plain = load_sweep_config(write(base));
  EXPECT_EQ(plain.fewshot_sampler, "lm-eval");
  const SweepConfig first_n = load_sweep_config(write(base + "seed = 7\nfewshot_sampler = \"first_n\"\n"));
  EXPECT_EQ(first_n.fewshot_sampler, "first_n");
  EXPECT_EQ(first_n.seed, 7);  // kept as given
  EXPECT_EQ(first_n.to_json().at("fewshot_sampler"), "first_n");
  ASSERT_EQ(plan_cells(first_n).size(), 2u);
  for (const PlannedCell& cell : plan_cells(first_n)) {
    EXPECT_EQ(task_options(first_n, cell).fewshot_sampler, "first_n");
    EXPECT_EQ(task_options(first_n, cell).seed, 7u);
    const results::CellKey key = cell_key(first_n, cell, "a", "", "");
    EXPECT_EQ(key.fewshot_sampler, "first_n");
    results::CellKey as_lm_eval = key;
    as_lm_eval.fewshot_sampler = "lm-eval";
    EXPECT_FALSE(key == as_lm_eval);
  }
  EXPECT_EQ(cell_key(plain, plan_cells(plain).at(0), "a", "", "").fewshot_sampler, "lm-eval");
  EXPECT_EQ(task_options(plain, plan_cells(plain).at(0)).fewshot_sampler, "lm-eval");
  // Endpoint cells too.
  const SweepConfig served = load_sweep_config(
      write("[sweep]\nsamples = true\ntasks = [\"gsm8k\"]\nfewshot_sampler = \"first_n\"\n[endpoint]\n"
            "url = \"http://h:1\"\nserved_model = \"m\"\n"));
  EXPECT_EQ(cell_key(served, plan_cells(served).at(0), "m", "", "").fewshot_sampler, "first_n");
  expect_error_mentions([&] { load_sweep_config(write(base + "fewshot_sampler = \"random\"\n")); },
                        "sweep.toml:5: field 'sweep.fewshot_sampler': 'random': use lm-eval or first_n");
  expect_error_mentions([&] { load_sweep_config(write(base + "fewshot_sampler = 1\n")); },
                        "sweep.toml:5: field 'sweep.fewshot_sampler': expected a string");
}

TEST(PlanTest, EnumeratesTheMatrixWithTheReferencePrecisionFirst) {
  SweepConfig c;
  c.use_samples = true;
  c.models = {parse_model_spec("a.gguf", "."), parse_model_spec("b.gguf", ".")};
  c.precisions = {"int4", "fp16", "int8"};
  c.kv_types = {"f16"};
  c.placements = {"gpu", "cpu"};
  c.tasks = {tasks::TaskId::kMmlu, tasks::TaskId::kGsm8k};
  c.limit = 20;
  c.task_settings[tasks::TaskId::kGsm8k].limit = 5;
  const auto cells = plan_cells(c);
  ASSERT_EQ(cells.size(), 2u * 3 * 1 * 2 * 2);
  EXPECT_EQ(cells[0].precision, "fp16");
  EXPECT_EQ(cells[2].precision, "int4");
  EXPECT_EQ(cells[4].precision, "int8");
  EXPECT_EQ(cells[0].placement, "gpu");
  EXPECT_EQ(cells[6].placement, "cpu");
  EXPECT_EQ(cells[0].limit, 20);
  EXPECT_EQ(cells[1].limit, 5);
  EXPECT_EQ(cells[1].shots, 5);  // lm-eval preset: GSM8K 5-shot
  EXPECT_EQ(cells[0].shots, 0);
  EXPECT_EQ(cells[12].model_index, 1u);
  // One reference rule for fidelity, reports and recommendations (results/precision.h).
  EXPECT_EQ(results::reference_precision({"int4", "bf16", "fp32"}), "bf16");
  EXPECT_EQ(results::reference_precision({"int4", "int8"}), "int8");
  EXPECT_EQ(canonical_precision("Q8_0"), "int8");
  EXPECT_EQ(canonical_precision("q5_k_s"), "Q5_K_S");
}

}  // namespace
}  // namespace jouleval::sweep

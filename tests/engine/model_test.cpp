// Loading: what ModelInfo reports, and clear errors for a missing file, a non-GGUF file and a
// placement the machine cannot satisfy.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "engine/host.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

TEST(ModelLoad, ReportsWhatWasLoaded) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 8));
  const ModelInfo& info = model->info();
  EXPECT_EQ(info.architecture, "qwen2");
  EXPECT_NE(info.name.find("jouleval-synth tiny"), std::string::npos);
  EXPECT_EQ(info.file_type, "F16");
  ASSERT_FALSE(info.weight_types.empty());
  EXPECT_EQ(info.weight_types.front(), "f16");
  EXPECT_GT(info.n_params, 9'000'000u);
  EXPECT_LT(info.n_params, 12'000'000u);
  EXPECT_GT(info.size_bytes, 2 * info.n_params - 1'000'000);
  EXPECT_EQ(info.n_layers, 2);
  EXPECT_GT(info.n_vocab, 150000);
  EXPECT_FALSE(info.add_bos);
  EXPECT_EQ(info.n_ctx, 512);
  EXPECT_EQ(info.n_seq_max, 8);
  EXPECT_GT(info.load_seconds, 0.0);
  EXPECT_EQ(info.peak_gpu_memory_bytes, 0u);
  EXPECT_FALSE(model->gpu_memory_used().has_value());
  model->synchronize();
}

TEST(ModelLoad, BatchSizesDefaultOffTheGpuAndFollowEachOther) {
  // Off the GPU the defaults are llama.cpp's 2048 / 512; a batch given alone caps the micro-batch,
  // and a micro-batch given alone raises the batch when larger.
  const auto sizes = [](int32_t batch, int32_t ubatch) {
    ModelOptions o = testing::cpu_options(4096, 4);  // llama.cpp caps the batch at the context
    o.batch_size = batch;
    o.ubatch_size = ubatch;
    const auto model = Model::load(testing::tiny_model(), o);
    return std::pair(model->info().n_batch, model->info().n_ubatch);
  };
  EXPECT_EQ(sizes(0, 0), std::pair(2048, 512));
  EXPECT_EQ(sizes(256, 0), std::pair(256, 256));
  EXPECT_EQ(sizes(0, 4096), std::pair(4096, 4096));
  EXPECT_EQ(sizes(1024, 128), std::pair(1024, 128));
}

TEST(ModelLoad, MissingFileNamesIt) {
  try {
    Model::load("/nonexistent/dir/model.gguf", testing::cpu_options());
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/model.gguf"), std::string::npos);
  }
}

TEST(ModelLoad, NotAGgufFile) {
  const auto path = testing::test_model_dir() / ("junk." + std::to_string(::getpid()) + ".gguf");
  std::ofstream(path) << "this is not a model";
  try {
    Model::load(path, testing::cpu_options());
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos);
  }
  std::filesystem::remove(path);
}

TEST(ModelLoad, GpuPlacementWithoutGpuIsUnavailable) {
  if (!gpu_devices().empty()) GTEST_SKIP() << "this machine has a GPU";
  ModelOptions o = testing::cpu_options();
  o.placement = Placement::parse("gpu");
  try {
    Model::load(testing::tiny_model(), o);
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUnavailable);
    EXPECT_NE(std::string(e.what()).find("GPU"), std::string::npos);
  }
}

// A placement naming a GPU that is not there: exit 4, naming the GPUs found (none in a CPU build).
TEST(ModelLoad, GpusPlacementNamingAMissingGpuIsUnavailable) {
  const size_t found = gpu_devices().size();
  const std::string placement = found == 0 ? "gpus:0,1" : fmt::format("gpus:0,{}", found);
  const std::string missing = found == 0 ? "0, 1" : std::to_string(found);
  ModelOptions o = testing::cpu_options();
  o.placement = Placement::parse(placement);
  try {
    Model::load(testing::tiny_model(), o);
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUnavailable);
    const std::string what = e.what();
    EXPECT_NE(what.find(fmt::format("placement {}: no GPU {} here: {} GPU(s) found", placement, missing, found)),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("CUDA_VISIBLE_DEVICES"), std::string::npos) << what;
  }
}

TEST(ModelLoad, BadKvTypeIsAUsageError) {
  ModelOptions o = testing::cpu_options();
  o.kv_type = "q2";
  try {
    Model::load(testing::tiny_model(), o);
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  }
}

TEST(ModelLoad, QuantizedKvCacheScores) {
  ModelOptions o = testing::cpu_options(512, 8);
  o.kv_type = "q8_0";
  auto model = Model::load(testing::tiny_model(), o);
  const auto r = model->loglikelihood({{"Question: 1+1?\nAnswer:", " 2", ""}});
  EXPECT_TRUE(std::isfinite(r[0].logprob));
  EXPECT_GT(r[0].n_tokens, 0);
}

}  // namespace
}  // namespace jouleval::engine

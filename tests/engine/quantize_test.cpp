// Quantization of the tiny models through llama.cpp, and its refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/gguf_info.h"
#include "engine/quantize.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

std::filesystem::path out_path(const std::string& name) {
  return testing::test_model_dir() / (name + "." + std::to_string(::getpid()) + ".gguf");
}

TEST(Quantize, TinyToQ8LoadsAndScores) {
  QuantizeOptions o{testing::tiny_model(), out_path("tiny-q8"), "int8", 2};
  int64_t last_done = -1;
  const QuantizeResult r = quantize(o, [&](int64_t done, int64_t) { last_done = done; });
  EXPECT_EQ(r.precision.type_name, "Q8_0");
  EXPECT_EQ(r.source_type, "F16");
  EXPECT_LT(r.output_bytes, r.input_bytes);
  EXPECT_EQ(last_done, static_cast<int64_t>(r.output_bytes));
  auto model = Model::load(o.output, testing::cpu_options(512, 4));
  EXPECT_EQ(model->info().file_type, "Q8_0");
  const auto lp = model->loglikelihood({{"Question: 1+1?\nAnswer:", " 2", ""}});
  EXPECT_TRUE(std::isfinite(lp[0].logprob));
  std::filesystem::remove(o.output);
}

TEST(Quantize, KQuantOnA256WideModel) {
  QuantizeOptions o{testing::synth_model("tiny-llama", "f16"), out_path("tiny-llama-q4km"), "int4", 2};
  quantize(o);
  auto model = Model::load(o.output, testing::cpu_options(512, 4));
  EXPECT_EQ(model->info().file_type, "Q4_K_M");
  const auto& types = model->info().weight_types;
  EXPECT_NE(std::find(types.begin(), types.end(), "q4_K"), types.end());
  std::filesystem::remove(o.output);
}

TEST(Quantize, RefusesToGoAboveAQuantizedSource) {
  const auto q4 = out_path("tiny-q4_0");
  quantize({testing::tiny_model(), q4, "Q4_0", 2});
  try {
    quantize({q4, out_path("never"), "int8", 2});
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("below the target"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(q4.string()), std::string::npos);
  }
  std::filesystem::remove(q4);
}

TEST(Quantize, ErrorsForMissingInputAndBadType) {
  try {
    quantize({"/nonexistent/m.gguf", out_path("never"), "int8", 2});
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kBadInput);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/m.gguf"), std::string::npos);
  }
  try {
    quantize({testing::tiny_model(), out_path("never"), "int3", 2});
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
  }
}

}  // namespace
}  // namespace jouleval::engine

// Placement parsing and the precision table.
#include <gtest/gtest.h>

#include "engine/model.h"
#include "engine/quantize.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

TEST(Placement, ParsesTheThreeForms) {
  EXPECT_EQ(Placement::parse("gpu").kind, Placement::Kind::kGpu);
  EXPECT_EQ(Placement::parse("cpu").kind, Placement::Kind::kCpu);
  const Placement p = Placement::parse("partial:12");
  EXPECT_EQ(p.kind, Placement::Kind::kPartial);
  EXPECT_EQ(p.gpu_layers, 12);
  EXPECT_EQ(p.to_string(), "partial:12");
  EXPECT_EQ(Placement::parse("cpu").to_string(), "cpu");
}

TEST(Placement, RejectsOtherText) {
  for (const char* bad : {"", "GPU", "partial:", "partial:x", "partial:-1", "partial:3x", "tpu"}) {
    try {
      Placement::parse(bad);
      FAIL() << "accepted " << bad;
    } catch (const util::Error& e) {
      EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find("placement"), std::string::npos);
    }
  }
}

TEST(Placement, ParsesGpuListsAndSplits) {
  const Placement one = Placement::parse("gpus:1");
  EXPECT_EQ(one.kind, Placement::Kind::kGpus);
  EXPECT_EQ(one.gpus, (std::vector<int32_t>{1}));
  EXPECT_TRUE(one.all_on_gpu());
  EXPECT_EQ(one.to_string(), "gpus:1");
  const Placement two = Placement::parse("gpus:0,1");
  EXPECT_EQ(two.gpus, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(two.split, Placement::Split::kLayer);
  EXPECT_EQ(two.to_string(), "gpus:0,1");
  const Placement row = Placement::parse("gpus:3,0,15:row");
  EXPECT_EQ(row.gpus, (std::vector<int32_t>{3, 0, 15}));  // order kept: the first is the main GPU
  EXPECT_EQ(row.split, Placement::Split::kRow);
  EXPECT_EQ(row.to_string(), "gpus:3,0,15:row");
  const Placement tensor = Placement::parse("gpus:1,0:tensor");
  EXPECT_EQ(tensor.split, Placement::Split::kTensor);
  EXPECT_EQ(tensor.to_string(), "gpus:1,0:tensor");
  // Generation refuses tensor parallelism (it crashed llama.cpp on the GPU), naming the way out.
  const std::string why = generation_refusal(tensor);
  EXPECT_NE(why.find("gpus:1,0:tensor"), std::string::npos) << why;
  EXPECT_NE(why.find("use gpus:1,0 (layers)"), std::string::npos) << why;
  EXPECT_EQ(generation_refusal(row), "");
  EXPECT_EQ(generation_refusal(Placement::parse("gpus:0,1")), "");
  EXPECT_EQ(generation_refusal(Placement::parse("gpu")), "");
  EXPECT_EQ(Placement::parse("gpus:0,1:layer").to_string(), "gpus:0,1");  // layer is the default
  EXPECT_FALSE(Placement::parse("partial:3").all_on_gpu());
  EXPECT_TRUE(Placement::parse("gpu").all_on_gpu());
}

TEST(Placement, RejectsBadGpuListsNamingThePlacement) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c :
       {Case{"gpus:", "is not a GPU index"}, Case{"gpus:a", "'a' is not a GPU index"},
        Case{"gpus:0,", "'' is not a GPU index"}, Case{"gpus:,1", "is not a GPU index"},
        Case{"gpus:-1", "is not a GPU index"}, Case{"gpus:16", "'16' is not a GPU index (0 to 15"},
        Case{"gpus: 1", "is not a GPU index"}, Case{"gpus:0,0", "GPU 0 is listed twice"},
        Case{"gpus:0:row", "needs two or more GPUs"}, Case{"gpus:0,1:diagonal", "unknown split 'diagonal'"},
        Case{"gpus:0:tensor", "needs two or more GPUs"}, Case{"gpus:0,1:", "unknown split ''"},
        Case{"gpus:0,1:row:row", "unknown split 'row:row'"}, Case{"gpus", "expected gpu, cpu"}}) {
    try {
      Placement::parse(c.text);
      ADD_FAILURE() << "accepted " << c.text;
    } catch (const util::Error& e) {
      EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("placement '") + c.text + "'"), std::string::npos) << what;
      EXPECT_NE(what.find(c.why), std::string::npos) << what;
    }
  }
}

TEST(Precision, AliasesMapToGgufTypes) {
  const auto aliases = precision_aliases();
  ASSERT_EQ(aliases.size(), 7u);
  EXPECT_EQ(resolve_precision("fp32").type_name, "F32");
  EXPECT_EQ(resolve_precision("fp16").type_name, "F16");
  EXPECT_EQ(resolve_precision("bf16").type_name, "BF16");
  EXPECT_EQ(resolve_precision("int8").type_name, "Q8_0");
  EXPECT_EQ(resolve_precision("int6").type_name, "Q6_K");
  EXPECT_EQ(resolve_precision("int5").type_name, "Q5_K_M");
  EXPECT_EQ(resolve_precision("INT4").type_name, "Q4_K_M");
  EXPECT_EQ(resolve_precision("q5_k_s").type_name, "Q5_K_S");
  EXPECT_EQ(resolve_precision("Q4_0").type_name, "Q4_0");
  for (const auto& p : aliases) EXPECT_FALSE(p.activations.empty()) << p.alias;
}

TEST(Precision, UnknownTypeIsAUsageErrorListingNames) {
  try {
    resolve_precision("int3");
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("int3"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Q4_K_M"), std::string::npos);
  }
}

}  // namespace
}  // namespace jouleval::engine

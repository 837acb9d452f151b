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

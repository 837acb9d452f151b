// The few-shot sampler as part of a cell's identity: its field, JSON, label and description.
#include "results/identity.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "results/records.h"

namespace jouleval::results {
namespace {

CellKey key_with(const std::string& sampler) {
  CellKey k;
  k.model = "qwen";
  k.precision = "fp16";
  k.kv_type = "f16";
  k.placement = "gpu";
  k.task = "gsm8k";
  k.shots = 5;
  k.fewshot_sampler = sampler;
  return k;
}

TEST(results_Identity, TheFewshotSamplerIsPartOfTheIdentity) {
  EXPECT_EQ(CellKey().fewshot_sampler, "lm-eval");
  EXPECT_FALSE(key_with("first_n") == key_with("lm-eval"));
  const auto fields = identity_fields("m", key_with("first_n"));
  const auto sampler =
      std::find_if(fields.begin(), fields.end(), [](const IdentityField& f) { return f.key == "sampler"; });
  ASSERT_NE(sampler, fields.end());
  EXPECT_EQ(sampler->value, "first_n");
  // Right after the seed, the other few-shot field.
  ASSERT_NE(sampler, fields.begin());
  EXPECT_EQ((sampler - 1)->key, "seed");
  EXPECT_EQ(identity_json("m", key_with("first_n"))["sampler"], "first_n");
  EXPECT_EQ(identity_json("m", key_with("lm-eval"))["sampler"], "lm-eval");
  EXPECT_NE(identity_except("m", key_with("first_n"), Axis::kPrecision),
            identity_except("m", key_with("lm-eval"), Axis::kPrecision));
  const auto varying =
      varying_fields({identity_fields("m", key_with("first_n")), identity_fields("m", key_with("lm-eval"))});
  EXPECT_EQ(varying, (std::vector<std::string>{"sampler"}));
  EXPECT_EQ(identity_label(fields, {"task", "sampler"}), "gsm8k · sampler=first_n");
}

TEST(results_Identity, DescribeNamesTheSamplerOnlyWhenNotTheDefault) {
  EXPECT_EQ(describe(key_with("lm-eval")), "qwen/fp16/kv=f16/gpu/gsm8k/limit=0/shots=5");
  EXPECT_EQ(describe(key_with("first_n")), "qwen/fp16/kv=f16/gpu/gsm8k/limit=0/shots=5/sampler=first_n");
}

}  // namespace
}  // namespace jouleval::results

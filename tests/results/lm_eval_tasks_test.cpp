// lm-eval's task facts (results/lm_eval_tasks.h): the MMLU subject categories as lm-eval's
// mmlu/default/mmlu_<subject>.yaml files tag them, and the task versions of their YAML files.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "results/lm_eval_tasks.h"

namespace jouleval::results {
namespace {

// Written out from lm-eval's YAML files (tag: mmlu_<category>_tasks), one list per category.
const std::vector<std::string> kStem = {"abstract_algebra",
                                        "anatomy",
                                        "astronomy",
                                        "college_biology",
                                        "college_chemistry",
                                        "college_computer_science",
                                        "college_mathematics",
                                        "college_physics",
                                        "computer_security",
                                        "conceptual_physics",
                                        "electrical_engineering",
                                        "elementary_mathematics",
                                        "high_school_biology",
                                        "high_school_chemistry",
                                        "high_school_computer_science",
                                        "high_school_mathematics",
                                        "high_school_physics",
                                        "high_school_statistics",
                                        "machine_learning"};
const std::vector<std::string> kHumanities = {"formal_logic",
                                              "high_school_european_history",
                                              "high_school_us_history",
                                              "high_school_world_history",
                                              "international_law",
                                              "jurisprudence",
                                              "logical_fallacies",
                                              "moral_disputes",
                                              "moral_scenarios",
                                              "philosophy",
                                              "prehistory",
                                              "professional_law",
                                              "world_religions"};
const std::vector<std::string> kSocial = {"econometrics",
                                          "high_school_geography",
                                          "high_school_government_and_politics",
                                          "high_school_macroeconomics",
                                          "high_school_microeconomics",
                                          "high_school_psychology",
                                          "human_sexuality",
                                          "professional_psychology",
                                          "public_relations",
                                          "security_studies",
                                          "sociology",
                                          "us_foreign_policy"};
const std::vector<std::string> kOther = {"business_ethics",
                                         "clinical_knowledge",
                                         "college_medicine",
                                         "global_facts",
                                         "human_aging",
                                         "management",
                                         "marketing",
                                         "medical_genetics",
                                         "miscellaneous",
                                         "nutrition",
                                         "professional_accounting",
                                         "professional_medicine",
                                         "virology"};

TEST(results_LmEvalTasks, EveryMmluSubjectHasLmEvalsCategory) {
  EXPECT_EQ(kStem.size() + kHumanities.size() + kSocial.size() + kOther.size(), 57u);
  for (const auto& s : kStem) EXPECT_EQ(mmlu_category(s), MmluCategory::kStem) << s;
  for (const auto& s : kHumanities) EXPECT_EQ(mmlu_category(s), MmluCategory::kHumanities) << s;
  for (const auto& s : kSocial) EXPECT_EQ(mmlu_category(s), MmluCategory::kSocialSciences) << s;
  for (const auto& s : kOther) EXPECT_EQ(mmlu_category(s), MmluCategory::kOther) << s;
  EXPECT_EQ(mmlu_category("not_a_subject"), std::nullopt);
  EXPECT_EQ(mmlu_category(""), std::nullopt);
  EXPECT_EQ(mmlu_category("zzz"), std::nullopt);
}

TEST(results_LmEvalTasks, CategoryNamesAndAliases) {
  ASSERT_EQ(mmlu_categories().size(), 4u);
  EXPECT_EQ(mmlu_category_name(mmlu_categories()[0]), "stem");
  EXPECT_EQ(mmlu_category_name(MmluCategory::kSocialSciences), "social_sciences");
  EXPECT_EQ(mmlu_category_alias(MmluCategory::kSocialSciences), "social sciences");
  EXPECT_EQ(mmlu_category_alias(MmluCategory::kHumanities), "humanities");
}

TEST(results_LmEvalTasks, VersionsAndMetricsOfTheTaskYamls) {
  EXPECT_DOUBLE_EQ(lm_eval_task("mmlu")->version, 1.0);
  EXPECT_DOUBLE_EQ(lm_eval_task("arc_challenge")->version, 1.0);
  EXPECT_DOUBLE_EQ(lm_eval_task("hellaswag")->version, 1.0);
  EXPECT_DOUBLE_EQ(lm_eval_task("truthfulqa_mc1")->version, 2.0);
  EXPECT_DOUBLE_EQ(lm_eval_task("truthfulqa_mc2")->version, 3.0);
  EXPECT_DOUBLE_EQ(lm_eval_task("gsm8k")->version, 3.0);
  EXPECT_EQ(kMmluGroupVersion, 2);
  EXPECT_EQ(lm_eval_task("arc_easy"), std::nullopt);
  const auto mc2 = lm_eval_task("truthfulqa_mc2");
  ASSERT_EQ(mc2->metrics.size(), 1u);
  EXPECT_EQ(mc2->metrics[0].name, "acc");
  EXPECT_EQ(mc2->metrics[0].stored, "mc2");
  const auto gsm = lm_eval_task("gsm8k");
  ASSERT_EQ(gsm->metrics.size(), 2u);
  EXPECT_EQ(gsm->metrics[1].filter, "flexible-extract");
  EXPECT_EQ(gsm->metrics[1].stored, "exact_match,flexible-extract");
  EXPECT_EQ(lm_eval_task("hellaswag")->test_split, "validation");
  // jouleval's HellaSwag examples come from validation (lm-eval: train), and the config says so.
  EXPECT_EQ(lm_eval_task("hellaswag")->fewshot_split, "validation");
  EXPECT_EQ(lm_eval_task("mmlu")->fewshot_split, "dev");
}

}  // namespace
}  // namespace jouleval::results

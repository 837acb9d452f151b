// The facts below are lm-eval's task YAML files (lm_eval/tasks/{mmlu/default,arc,hellaswag,
// truthfulqa,gsm8k}); docs/lm-eval.md lists them.
#include "results/lm_eval_tasks.h"

#include <algorithm>
#include <array>
#include <utility>

namespace jouleval::results {
namespace {

LmEvalMetric metric(std::string name, std::string stored, std::string filter = "none") {
  return LmEvalMetric{std::move(name), std::move(filter), std::move(stored), true};
}

// MMLU's 57 subjects and the category each mmlu_<subject>.yaml tags it with (sorted by subject).
using C = MmluCategory;
constexpr std::array<std::pair<std::string_view, MmluCategory>, 57> kSubjects = {{
    {"abstract_algebra", C::kStem},
    {"anatomy", C::kStem},
    {"astronomy", C::kStem},
    {"business_ethics", C::kOther},
    {"clinical_knowledge", C::kOther},
    {"college_biology", C::kStem},
    {"college_chemistry", C::kStem},
    {"college_computer_science", C::kStem},
    {"college_mathematics", C::kStem},
    {"college_medicine", C::kOther},
    {"college_physics", C::kStem},
    {"computer_security", C::kStem},
    {"conceptual_physics", C::kStem},
    {"econometrics", C::kSocialSciences},
    {"electrical_engineering", C::kStem},
    {"elementary_mathematics", C::kStem},
    {"formal_logic", C::kHumanities},
    {"global_facts", C::kOther},
    {"high_school_biology", C::kStem},
    {"high_school_chemistry", C::kStem},
    {"high_school_computer_science", C::kStem},
    {"high_school_european_history", C::kHumanities},
    {"high_school_geography", C::kSocialSciences},
    {"high_school_government_and_politics", C::kSocialSciences},
    {"high_school_macroeconomics", C::kSocialSciences},
    {"high_school_mathematics", C::kStem},
    {"high_school_microeconomics", C::kSocialSciences},
    {"high_school_physics", C::kStem},
    {"high_school_psychology", C::kSocialSciences},
    {"high_school_statistics", C::kStem},
    {"high_school_us_history", C::kHumanities},
    {"high_school_world_history", C::kHumanities},
    {"human_aging", C::kOther},
    {"human_sexuality", C::kSocialSciences},
    {"international_law", C::kHumanities},
    {"jurisprudence", C::kHumanities},
    {"logical_fallacies", C::kHumanities},
    {"machine_learning", C::kStem},
    {"management", C::kOther},
    {"marketing", C::kOther},
    {"medical_genetics", C::kOther},
    {"miscellaneous", C::kOther},
    {"moral_disputes", C::kHumanities},
    {"moral_scenarios", C::kHumanities},
    {"nutrition", C::kOther},
    {"philosophy", C::kHumanities},
    {"prehistory", C::kHumanities},
    {"professional_accounting", C::kOther},
    {"professional_law", C::kHumanities},
    {"professional_medicine", C::kOther},
    {"professional_psychology", C::kSocialSciences},
    {"public_relations", C::kSocialSciences},
    {"security_studies", C::kSocialSciences},
    {"sociology", C::kSocialSciences},
    {"us_foreign_policy", C::kSocialSciences},
    {"virology", C::kOther},
    {"world_religions", C::kHumanities},
}};

}  // namespace

std::optional<LmEvalTask> lm_eval_task(std::string_view task) {
  // jouleval reports acc_norm for every single-choice task (docs/tasks.md "Scoring"); lm-eval's MMLU
  // and TruthfulQA MC1 list acc only, so acc_norm is listed after lm-eval's own metrics.
  if (task == "mmlu") {
    return LmEvalTask{"mmlu", kMmluSubjectVersion, "cais/mmlu",
                      "",     "multiple_choice",   "test",
                      "dev",  "first_n",           {metric("acc", "acc"), metric("acc_norm", "acc_norm")}};
  }
  if (task == "arc_challenge") {
    return LmEvalTask{"arc_challenge",
                      1.0,
                      "allenai/ai2_arc",
                      "ARC-Challenge",
                      "multiple_choice",
                      "test",
                      "train",
                      "default",
                      {metric("acc", "acc"), metric("acc_norm", "acc_norm")}};
  }
  if (task == "hellaswag") {
    // lm-eval draws HellaSwag's examples from train, which jouleval does not have: it draws them from
    // validation (docs/tasks.md "Few-shot"), and the config says so.
    return LmEvalTask{"hellaswag",
                      1.0,
                      "Rowan/hellaswag",
                      "",
                      "multiple_choice",
                      "validation",
                      "validation",
                      "default",
                      {metric("acc", "acc"), metric("acc_norm", "acc_norm")}};
  }
  if (task == "truthfulqa_mc1") {
    return LmEvalTask{"truthfulqa_mc1",
                      2.0,
                      "truthfulqa/truthful_qa",
                      "multiple_choice",
                      "multiple_choice",
                      "validation",
                      "",
                      "",
                      {metric("acc", "acc"), metric("acc_norm", "acc_norm")}};
  }
  if (task == "truthfulqa_mc2") {
    // lm-eval names the MC2 score "acc"; jouleval stores it as "mc2".
    return LmEvalTask{"truthfulqa_mc2",
                      3.0,
                      "truthfulqa/truthful_qa",
                      "multiple_choice",
                      "multiple_choice",
                      "validation",
                      "",
                      "",
                      {metric("acc", "mc2")}};
  }
  if (task == "gsm8k") {
    return LmEvalTask{"gsm8k",
                      3.0,
                      "openai/gsm8k",
                      "main",
                      "generate_until",
                      "test",
                      "train",
                      "default",
                      {metric("exact_match", "exact_match,strict-match", "strict-match"),
                       metric("exact_match", "exact_match,flexible-extract", "flexible-extract")}};
  }
  return std::nullopt;
}

const std::vector<MmluCategory>& mmlu_categories() {
  static const std::vector<MmluCategory> kAll = {C::kStem, C::kOther, C::kSocialSciences, C::kHumanities};
  return kAll;
}

std::string_view mmlu_category_name(MmluCategory category) {
  switch (category) {
    case C::kStem:
      return "stem";
    case C::kOther:
      return "other";
    case C::kSocialSciences:
      return "social_sciences";
    case C::kHumanities:
      return "humanities";
  }
  return "other";
}

std::string_view mmlu_category_alias(MmluCategory category) {
  return category == C::kSocialSciences ? "social sciences" : mmlu_category_name(category);
}

std::optional<MmluCategory> mmlu_category(std::string_view subject) {
  auto it = std::lower_bound(kSubjects.begin(), kSubjects.end(), subject,
                             [](const auto& entry, std::string_view s) { return entry.first < s; });
  if (it == kSubjects.end() || it->first != subject) return std::nullopt;
  return it->second;
}

}  // namespace jouleval::results

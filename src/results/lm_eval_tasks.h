// What lm-evaluation-harness ("lm-eval") records about the tasks jouleval reproduces: each task's
// version, dataset, splits and metric list as its task YAML defines them, and the MMLU subject
// groups (stem, humanities, social sciences, other). Used to lay out results files the way lm-eval
// does (docs/lm-eval.md) and to tell which task definition a number belongs to. Pure data, no I/O;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jouleval::results {

// One metric of a task as lm-eval names it ("acc", "acc_norm", "exact_match") and jouleval stores
// it (`stored`: "acc", "mc2", "exact_match,strict-match"), with its filter ("none",
// "strict-match", "flexible-extract").
struct LmEvalMetric {
  std::string name;    // lm-eval's metric name
  std::string filter;  // lm-eval's filter name
  std::string stored;  // the results::Metric name jouleval stores
  bool higher_is_better = true;
};

// A task as lm-eval's YAML defines it (the version jouleval's prompts and scoring reproduce,
// docs/tasks.md).
struct LmEvalTask {
  std::string name;                   // jouleval's task name = lm-eval's task name
  double version = 0;                 // metadata.version (lm-eval writes it as a number: 1.0)
  std::string dataset_path;           // the Hugging Face dataset lm-eval reads
  std::string dataset_name;           // "" when lm-eval has none (null)
  std::string output_type;            // multiple_choice | generate_until
  std::string test_split;             // the split scored
  std::string fewshot_split;          // where jouleval draws examples from; "" when none
  std::string fewshot_sampler;        // "default" (seeded draws) or "first_n"
  std::vector<LmEvalMetric> metrics;  // in lm-eval's order; jouleval may report more (acc_norm)
};

// The lm-eval definition of a jouleval task name; absent for a name lm-eval's set here lacks.
std::optional<LmEvalTask> lm_eval_task(std::string_view task);

// lm-eval's MMLU subject version ("1.0", its _default_template_yaml) and group version ("2").
inline constexpr double kMmluSubjectVersion = 1.0;
inline constexpr int kMmluGroupVersion = 2;

// The four MMLU categories, in the order lm-eval's mmlu group lists them.
enum class MmluCategory { kStem, kOther, kSocialSciences, kHumanities };
const std::vector<MmluCategory>& mmlu_categories();

// "stem", "other", "social_sciences", "humanities" (the lm-eval group is "mmlu_" + this).
std::string_view mmlu_category_name(MmluCategory category);
// "stem", "other", "social sciences", "humanities" (lm-eval's group_alias).
std::string_view mmlu_category_alias(MmluCategory category);

// The category of one of MMLU's 57 subjects (the `tag` of lm-eval's mmlu_<subject>.yaml); absent
// for a subject that is not one of them (data that is not MMLU's).
std::optional<MmluCategory> mmlu_category(std::string_view subject);

}  // namespace jouleval::results

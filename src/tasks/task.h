// A loaded, prompted task: the engine requests for its items and the scoring of the engine's results
// into metrics (lm-eval compatible, docs/tasks.md "Scoring") and per-item records.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/requests.h"
#include "tasks/metrics.h"
#include "tasks/task_id.h"

namespace jouleval::tasks {

enum class RequestKind { kLoglikelihood, kGeneration };

// One item of a multiple-choice task, prompt built: request c is (context, " " + choices[c]).
struct ChoiceItem {
  std::string id;
  std::string subject;               // MMLU subject; empty otherwise
  std::string context;               // full context (description, shots, question), no trailing space
  std::string preamble;              // prefix of context shared with other items (may be empty)
  std::vector<std::string> choices;  // choice texts, without the leading space
  int gold = 0;
  std::vector<int> labels;  // TruthfulQA MC2: 1/0 per choice; empty otherwise
  int shots = 0;            // few-shot examples actually in the context
};

// One item of a generation task (GSM8K).
struct GenerationItem {
  std::string id;
  std::string prompt;
  std::string target;  // reference solution ("... #### N")
  int shots = 0;
};

// Half-open range of request indices belonging to one item.
struct RequestRange {
  size_t begin = 0;
  size_t end = 0;
};

struct SubjectResult {
  std::string subject;
  int n_items = 0;
  std::vector<Metric> metrics;
};

struct TaskResult {
  std::string task;
  int shots = 0;
  int n_items = 0;
  std::string headline;  // name of the headline metric in `metrics`
  std::vector<Metric> metrics;
  std::vector<SubjectResult> subjects;  // MMLU: one per subject, in subject order
  std::vector<nlohmann::json> item_records;

  const Metric* find(std::string_view name) const;  // nullptr if absent
  double headline_value() const;
};

// GSM8K generation settings (lm-eval gsm8k.yaml); the demo preset's shorter answers.
inline constexpr int kGsm8kMaxNewTokens = 256;
inline constexpr int kDemoMaxNewTokens = 32;
const std::vector<std::string>& gsm8k_stop_strings();  // "Question:", "</s>", "<|im_end|>"

class Task {
 public:
  static Task multiple_choice(TaskId id, int shots, std::vector<ChoiceItem> items);
  static Task generation(TaskId id, int shots, std::vector<GenerationItem> items,
                         int max_new_tokens = kGsm8kMaxNewTokens);

  TaskId id() const { return id_; }
  std::string_view name() const { return task_name(id_); }
  RequestKind kind() const { return kind_; }
  int shots() const { return shots_; }  // requested shots (items may have fewer: small pools)
  int n_items() const;

  // Loglikelihood tasks: all requests, item by item, and item i's range in that list.
  const std::vector<engine::LoglikelihoodRequest>& loglikelihood_requests() const { return ll_requests_; }
  const std::vector<RequestRange>& item_ranges() const { return ranges_; }

  // Generation tasks: one request per item, in item order.
  const std::vector<engine::GenerationRequest>& generation_requests() const { return gen_requests_; }

  const std::vector<ChoiceItem>& choice_items() const { return choice_items_; }
  const std::vector<GenerationItem>& generation_items() const { return gen_items_; }

  // Scores results given in request order. Throws util::Error if the count does not match or the
  // task is of the other kind.
  TaskResult score(const std::vector<engine::LoglikelihoodResult>& results) const;
  TaskResult score(const std::vector<engine::GenerationResult>& results) const;

  // The name of this task's headline metric (results::headline_metric_name).
  std::string headline_metric() const;

 private:
  Task(TaskId id, RequestKind kind, int shots) : id_(id), kind_(kind), shots_(shots) {}

  TaskId id_;
  RequestKind kind_;
  int shots_ = 0;
  std::vector<ChoiceItem> choice_items_;
  std::vector<engine::LoglikelihoodRequest> ll_requests_;
  std::vector<RequestRange> ranges_;
  std::vector<GenerationItem> gen_items_;
  std::vector<engine::GenerationRequest> gen_requests_;
};

}  // namespace jouleval::tasks

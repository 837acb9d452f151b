#include "tasks/load_task.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "tasks/data_files.h"
#include "tasks/datasets.h"
#include "tasks/prompts.h"
#include "tasks/samples.h"
#include "tasks/selection.h"
#include "tasks/source.h"
#include "util/error.h"

namespace jouleval::tasks {
namespace fs = std::filesystem;
namespace {

// A text to parse and the name used in error messages.
struct Input {
  std::string name;
  std::string text;
};

Input from_file(const fs::path& path) { return {path.string(), read_text_file(path)}; }
Input from_sample(const samples::SampleFile& f) {
  return {fmt::format("<built-in sample {}>", f.name), std::string(f.text)};
}

FewshotDraw fewshot_draw(const TaskOptions& opt) { return {opt.seed, opt.fewshot_sampler == "first_n"}; }

// MMLU rows of all subjects, subjects in name order, rows in file order.
std::vector<MmluRow> load_mmlu_split(const std::vector<Input>& inputs, const std::vector<std::string>& file_names) {
  std::vector<std::pair<std::string, size_t>> order;  // (subject, input index)
  for (size_t i = 0; i < inputs.size(); ++i) order.emplace_back(mmlu_subject_from_filename(file_names[i]), i);
  std::sort(order.begin(), order.end());
  std::vector<MmluRow> rows;
  for (const auto& [subject, i] : order) {
    std::vector<MmluRow> part = parse_mmlu_csv(inputs[i].text, inputs[i].name, subject);  // never empty
    std::move(part.begin(), part.end(), std::back_inserter(rows));
  }
  return rows;
}

std::pair<std::vector<Input>, std::vector<std::string>> mmlu_inputs(const std::vector<fs::path>& paths) {
  std::vector<Input> inputs;
  std::vector<std::string> names;
  for (const fs::path& p : paths) {
    inputs.push_back(from_file(p));
    names.push_back(p.filename().string());
  }
  return {std::move(inputs), std::move(names)};
}

std::pair<std::vector<Input>, std::vector<std::string>> mmlu_inputs(const std::vector<samples::SampleFile>& files) {
  std::vector<Input> inputs;
  std::vector<std::string> names;
  for (const auto& f : files) {
    inputs.push_back(from_sample(f));
    names.emplace_back(f.name);
  }
  return {std::move(inputs), std::move(names)};
}

Task load_mmlu(const TaskOptions& opt, int shots) {
  std::vector<MmluRow> test, dev;
  if (opt.use_samples) {
    auto [in, names] = mmlu_inputs(samples::mmlu_test());
    test = load_mmlu_split(in, names);
    if (shots > 0) {
      auto [din, dnames] = mmlu_inputs(samples::mmlu_dev());
      dev = load_mmlu_split(din, dnames);
    }
  } else {
    MmluFiles files = find_mmlu_files(opt.data_dir);
    auto [in, names] = mmlu_inputs(files.test);
    test = load_mmlu_split(in, names);
    if (shots > 0) {
      if (files.dev.empty()) {
        throw util::Error(fmt::format("MMLU {}-shot needs the dev split (dev/<subject>_dev.csv) next to {}", shots,
                                      files.test.front().parent_path().string()),
                          util::ErrorKind::kBadInput);
      }
      auto [din, dnames] = mmlu_inputs(files.dev);
      dev = load_mmlu_split(din, dnames);
      // A subject without dev rows would silently be scored with 0 shots.
      std::set<std::string> dev_subjects;
      for (const MmluRow& d : dev) dev_subjects.insert(d.subject);
      for (const MmluRow& t : test) {
        if (dev_subjects.count(t.subject) == 0) {
          throw util::Error(fmt::format("MMLU {}-shot: no dev rows for subject '{}' (expected {})", shots, t.subject,
                                        (files.dev.front().parent_path() / (t.subject + "_dev.csv")).string()),
                            util::ErrorKind::kBadInput);
        }
      }
    }
  }
  std::vector<size_t> group_sizes;
  for (size_t i = 0; i < test.size(); ++i) {
    if (i == 0 || test[i].subject != test[i - 1].subject) group_sizes.push_back(0);
    ++group_sizes.back();
  }
  std::vector<size_t> selected = select_stratified(group_sizes, opt.limit);
  return Task::multiple_choice(TaskId::kMmlu, shots, make_mmlu_items(test, dev, selected, shots));
}

Task load_arc(const TaskOptions& opt, int shots) {
  Input test_in = opt.use_samples ? from_sample(samples::arc_test()) : from_file(find_arc_file(opt.data_dir, "Test"));
  std::vector<ArcRow> test = parse_arc_jsonl(test_in.text, test_in.name);
  std::vector<ArcRow> train;
  if (shots > 0) {
    Input in = opt.use_samples ? from_sample(samples::arc_train()) : from_file(find_arc_file(opt.data_dir, "Train"));
    train = parse_arc_jsonl(in.text, in.name);
  }
  std::vector<size_t> selected = select_first(test.size(), opt.limit);
  return Task::multiple_choice(TaskId::kArcChallenge, shots,
                               make_arc_items(test, train, selected, shots, fewshot_draw(opt)));
}

Task load_hellaswag(const TaskOptions& opt, int shots) {
  std::vector<HellaswagRow> rows;
  if (opt.use_samples) {
    Input in = from_sample(samples::hellaswag_val());
    rows = parse_hellaswag_jsonl(in.text, in.name);
  } else {
    fs::path path = find_hellaswag_file(opt.data_dir);
    Input in = from_file(path);
    const std::string ext = path.extension().string();
    rows = (ext == ".jsonl" || ext == ".json") ? parse_hellaswag_jsonl(in.text, in.name)
                                               : parse_hellaswag_text(in.text, in.name);
  }
  std::vector<size_t> selected = select_first(rows.size(), opt.limit);
  return Task::multiple_choice(TaskId::kHellaswag, shots,
                               make_hellaswag_items(rows, selected, shots, fewshot_draw(opt)));
}

Task load_truthfulqa(TaskId id, const TaskOptions& opt) {
  Input in = opt.use_samples ? from_sample(samples::truthfulqa_mc()) : from_file(find_truthfulqa_file(opt.data_dir));
  std::vector<TruthfulqaRow> rows = parse_truthfulqa_json(in.text, in.name);
  std::vector<size_t> selected = select_first(rows.size(), opt.limit);
  return Task::multiple_choice(id, 0, make_truthfulqa_items(rows, selected, id == TaskId::kTruthfulqaMc2));
}

Task load_gsm8k(const TaskOptions& opt, int shots) {
  Input test_in =
      opt.use_samples ? from_sample(samples::gsm8k_test()) : from_file(find_gsm8k_file(opt.data_dir, "test"));
  std::vector<Gsm8kRow> test = parse_gsm8k_jsonl(test_in.text, test_in.name);
  std::vector<Gsm8kRow> train;
  if (shots > 0) {
    Input in =
        opt.use_samples ? from_sample(samples::gsm8k_train()) : from_file(find_gsm8k_file(opt.data_dir, "train"));
    train = parse_gsm8k_jsonl(in.text, in.name);
  }
  std::vector<size_t> selected = select_first(test.size(), opt.limit);
  return Task::generation(TaskId::kGsm8k, shots, make_gsm8k_items(test, train, selected, shots, fewshot_draw(opt)),
                          preset_max_new_tokens(opt.preset));
}

}  // namespace

Task load_task(TaskId id, const TaskOptions& options) {
  const int shots = resolve_shots(options, id);
  if (!options.use_samples && options.data_dir.empty()) {
    throw util::Error(fmt::format("{}: no data directory given (set one, or use the built-in samples)", task_name(id)),
                      util::ErrorKind::kUsage);
  }
  switch (id) {
    case TaskId::kMmlu:
      return load_mmlu(options, shots);
    case TaskId::kArcChallenge:
      return load_arc(options, shots);
    case TaskId::kHellaswag:
      return load_hellaswag(options, shots);
    case TaskId::kTruthfulqaMc1:
    case TaskId::kTruthfulqaMc2:
      return load_truthfulqa(id, options);
    case TaskId::kGsm8k:
      return load_gsm8k(options, shots);
  }
  throw util::Error("unknown task id", util::ErrorKind::kUsage);
}

}  // namespace jouleval::tasks

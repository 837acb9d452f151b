#include "tasks/data_files.h"

#include <algorithm>

#include <fmt/format.h>

#include "util/error.h"

namespace jouleval::tasks {
namespace fs = std::filesystem;
namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

fs::path first_existing(const fs::path& root, const std::vector<fs::path>& candidates, std::string_view what) {
  std::string tried;
  for (const fs::path& rel : candidates) {
    fs::path p = root / rel;
    if (is_file(p)) return p;
    tried += fmt::format("\n  {}", p.lexically_normal().string());
  }
  throw util::Error(fmt::format("{} not found under data directory '{}'; looked for:{}", what, root.string(), tried),
                    util::ErrorKind::kBadInput);
}

// Files in `dir` whose names end in `suffix`, sorted by name.
std::vector<fs::path> files_with_suffix(const fs::path& dir, std::string_view suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        entry.is_regular_file(ec)) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

MmluFiles find_mmlu_files(const fs::path& root) {
  std::string tried;
  for (const fs::path& rel : {fs::path("mmlu"), fs::path("mmlu") / "data", fs::path("data"), fs::path()}) {
    fs::path base = rel.empty() ? root : root / rel;
    MmluFiles files;
    files.test = files_with_suffix(base / "test", "_test.csv");
    if (files.test.empty()) {
      tried += fmt::format("\n  {}", (base / "test" / "*_test.csv").lexically_normal().string());
      continue;
    }
    files.dev = files_with_suffix(base / "dev", "_dev.csv");
    return files;
  }
  throw util::Error(fmt::format("MMLU data not found under data directory '{}'; looked for:{}", root.string(), tried),
                    util::ErrorKind::kBadInput);
}

fs::path find_arc_file(const fs::path& root, const std::string& split) {
  const std::string name = fmt::format("ARC-Challenge-{}.jsonl", split);
  return first_existing(root,
                        {fs::path("arc_challenge") / name, fs::path("ARC-Challenge") / name,
                         fs::path("ARC-V1-Feb2018-2") / "ARC-Challenge" / name, fs::path(name)},
                        fmt::format("ARC-Challenge {} file", split));
}

fs::path find_hellaswag_file(const fs::path& root) {
  std::vector<fs::path> candidates;
  for (const char* name : {"hellaswag_val.jsonl", "hellaswag_val_full.txt"}) {
    for (const fs::path& dir : {fs::path("hellaswag"), fs::path("hellaswag") / "data", fs::path()}) {
      candidates.push_back(dir / name);
    }
  }
  return first_existing(root, candidates, "HellaSwag validation file");
}

fs::path find_truthfulqa_file(const fs::path& root) {
  return first_existing(root,
                        {fs::path("truthfulqa") / "v0" / "mc_task.json", fs::path("truthfulqa") / "mc_task.json",
                         fs::path("TruthfulQA") / "data" / "v0" / "mc_task.json",
                         fs::path("TruthfulQA") / "data" / "mc_task.json", fs::path("mc_task.json")},
                        "TruthfulQA mc_task.json");
}

fs::path find_gsm8k_file(const fs::path& root, const std::string& split) {
  const std::string name = split + ".jsonl";
  return first_existing(root,
                        {fs::path("gsm8k") / name, fs::path("grade_school_math") / "data" / name,
                         fs::path("gsm8k") / "grade_school_math" / "data" / name},
                        fmt::format("GSM8K {} file", split));
}

}  // namespace jouleval::tasks

// A merged study for the "like with like" tests: two machines that share their hostname and GPU
// name (different machine ids), a 1.5B model at three precisions on MMLU with two item limits and
// on GSM8K (64 sequences decoding together), plus one MMLU cell with other shots. Every cell is
// distinct; labels must keep them apart. Also writes it as real databases (one per machine) for the
// command-line tests, which merge them with `jouleval merge`.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "fixtures.h"
#include "results/records.h"
#include "store/store.h"

namespace jouleval::report::testing {

inline results::Machine twin_machine(const std::string& id) {
  return {id, "node01", "AMD EPYC 9654", "NVIDIA H100 80GB HBM3",
          R"({"gpu":{"name":"NVIDIA H100 80GB HBM3","uuid":"GPU-)" + id + R"("},"hostname":"node01"})"};
}
inline const std::string kMachineA = "a1b2c3d4e5f60718";
inline const std::string kMachineB = "f9e8d7c6b5a40312";

// 1.5B parameters; file bytes per precision.
inline uint64_t file_bytes(const std::string& precision) {
  return precision == "fp32" ? 6'200'000'000ULL : precision == "fp16" ? 3'100'000'000ULL : 1'650'000'000ULL;
}

// One cell of the study on `machine`: `scale` spreads the numbers apart per machine / limit.
inline results::Cell study_cell(const std::string& machine, const std::string& precision, const std::string& task,
                                int limit, double score, double scale, int shots = 0) {
  results::Cell c = cell("qwen2.5-1.5b-f32", precision, task, score, scale, machine);
  c.key.model_sha256 = "5f3a9c0d1e2b4a6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e";
  c.key.file_sha256 = precision == "fp32" ? c.key.model_sha256 : "9" + std::string(63, precision[3]);
  c.key.limit = limit;
  c.key.shots = shots;
  c.model_params = 1'540'000'000ULL;
  c.model_size_bytes = file_bytes(precision);
  c.peak_gpu_memory_bytes = c.model_size_bytes + 500'000'000ULL;
  c.engine_used_json = R"({"context_size":32768,"batch_size":4096,"ubatch_size":2048,"max_sequences":64,"threads":8})";
  for (auto& rep : c.repetitions) {
    rep.items = limit;
    rep.jouleval_version = "0.5.0";
    rep.llama_revision = "b6000";
    if (task == "gsm8k") {
      // 64 sequences decode together: 15000 tokens in 300 decode calls (50 per call on average),
      // 1500 generated tokens/s -- above the one-sequence bound (3.35 TB/s / 3.1 GB = 1081 tokens/s).
      rep.prompt_tokens = 20000;
      rep.generated_tokens = 15000;
      rep.decode_calls = 300;
      rep.seconds = 10.0;
    } else {
      rep.prompt_tokens = 500 * limit;
      rep.decode_calls = limit / 8;
    }
  }
  return c;
}

struct Study {
  std::vector<results::Cell> cells;
  std::vector<results::Machine> machines;
};

// The cells of one machine.
inline std::vector<results::Cell> machine_cells(const std::string& machine, double machine_scale, double score_offset) {
  std::vector<results::Cell> out;
  const std::vector<std::pair<std::string, double>> precisions = {{"fp32", 0.60}, {"fp16", 0.60}, {"int8", 0.58}};
  for (const auto& [p, base_score] : precisions) {
    const double score = base_score + score_offset;
    const double e = (p == "fp32" ? 2.0 : p == "fp16" ? 1.0 : 0.7) * machine_scale;
    out.push_back(study_cell(machine, p, "mmlu", 100, score, e));
    out.push_back(study_cell(machine, p, "mmlu", 500, score - 0.05, 4.0 * e));
    out.push_back(study_cell(machine, p, "gsm8k", 100, score - 0.3, 3.0 * e));
  }
  return out;
}

inline Study merged_study() {
  Study s;
  s.machines = {twin_machine(kMachineA), twin_machine(kMachineB)};
  s.cells = machine_cells(kMachineA, 1.0, 0.0);
  for (auto& c : machine_cells(kMachineB, 1.3, -0.1)) s.cells.push_back(c);
  // Other shots, precision int8 only: no cell is identical to it except precision.
  s.cells.push_back(study_cell(kMachineA, "int8", "mmlu", 100, 0.40, 0.9, /*shots=*/5));
  for (size_t i = 0; i < s.cells.size(); ++i) s.cells[i].id = static_cast<int64_t>(i + 1);
  return s;
}

// Writes `cells` of `machines` into a new database at `file`.
inline void write_database(const std::filesystem::path& file, const std::vector<results::Cell>& cells,
                           const std::vector<results::Machine>& machines) {
  store::Store s(file, {.durable = false});
  for (const auto& m : machines) s.upsert_machine(m);
  for (const auto& c : cells) s.insert_cell(c, std::nullopt);
  s.database().exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

// The identity cells of each row of a Markdown or LaTeX table, joined: the cells under the headers
// that name an identity field (Machine, Model, Precision, Task, Limit, ...). Rows are the lines that
// mention the study's model.
inline std::vector<std::string> identity_cells_of_rows(const std::string& text) {
  static const std::vector<std::string> kIdentityLabels = {
      "Machine",     "Model", "Model SHA-256", "File SHA-256",    "Precision", "KV",      "Placement",
      "Task",        "Limit", "Shots",         "Preset",          "Seed",      "Context", "Batch",
      "Micro-batch", "Lanes", "Parallel",      "Flash attention", "Threads"};
  auto split = [](std::string line) {
    const bool latex = line.find(" & ") != std::string::npos;
    if (latex && line.size() > 3 && line.substr(line.size() - 3) == " \\\\") line.resize(line.size() - 3);
    std::vector<std::string> cells;
    const std::string sep = latex ? "&" : "|";
    size_t start = latex ? 0 : 1;
    while (start <= line.size()) {
      size_t end = line.find(sep, start);
      if (end == std::string::npos) end = line.size();
      std::string c = line.substr(start, end - start);
      const auto b = c.find_first_not_of(' ');
      const auto e = c.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
      start = end + 1;
    }
    return cells;
  };
  std::vector<size_t> identity;
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t end; (end = text.find('\n', pos)) != std::string::npos; pos = end + 1) {
    const std::string line = text.substr(pos, end - pos);
    const auto cells = split(line);
    if (identity.empty() && (line.find("Model") != std::string::npos)) {
      for (size_t i = 0; i < cells.size(); ++i)
        if (std::find(kIdentityLabels.begin(), kIdentityLabels.end(), cells[i]) != kIdentityLabels.end())
          identity.push_back(i);
      continue;
    }
    if (line.find("qwen2.5-1.5b") == std::string::npos) continue;
    std::string key;
    for (size_t i : identity) key += (i < cells.size() ? cells[i] : "?") + " | ";
    out.push_back(key);
  }
  return out;
}

}  // namespace jouleval::report::testing

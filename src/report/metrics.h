// The derived numbers of a measured cell (energy, power, throughput, J/token, EOR, TWEOR), per
// repetition and as mean / stddev / 95% CI over repetitions. The one place they are computed;
// definitions in docs/report.md. A missing energy reading leaves a metric absent, never zero.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/one_hz.h"
#include "results/headline.h"
#include "results/records.h"
#include "results/stats.h"

namespace jouleval::report {

using results::Headline;

// Derived numbers of one repetition. Energy sums only meters that are available and have a reading.
// Per task run: a window that held several passes of the work (a short task repeated to fill it)
// is divided by its passes, so every figure describes one run of the task.
struct RepetitionMetrics {
  std::optional<double> gpu_j, cpu_j, dram_j;  // per meter kind
  std::optional<double> system_j;              // system / external meters (not added to total_j)
  std::optional<double> total_j;               // gpu + cpu + dram, else system / external
  std::optional<double> active_j;              // idle-subtracted, same meters as total_j
  std::optional<double> total_wh;
  std::optional<double> seconds;
  std::optional<double> tokens_per_s;            // (prompt + generated) / s
  std::optional<double> generated_tokens_per_s;  // generated / s (present when generated > 0)
  std::optional<double> avg_power_w;             // total_j / s
  std::optional<double> peak_power_w;            // sum of the meters' peaks (upper bound)
  std::optional<double> j_per_token;             // total_j / (prompt + generated)
  std::optional<double> j_per_prompt_token;      // total_j / prompt, only when nothing was generated
  std::optional<double> j_per_generated_token;   // total_j / generated (includes the prefill)
  std::optional<double> gpu_j_per_token;         // gpu_j / (prompt + generated)
  std::optional<double> j_per_question;          // total_j / items
  std::optional<double> eor;                     // score / Wh
  std::optional<double> tweor;                   // score / (Wh * s)
  std::optional<double> eor_item;                // score / (Wh / items)
  std::optional<double> tweor_item;              // score / ((Wh / items) * (s / items))
  bool estimated = false;                        // an opt-in estimate entered total_j
  std::vector<std::string> meters_used;          // meter_description of the meters summed in total_j
  // Each GPU meter's total (in gpu_j's sum), in meter order: per-GPU energy of a multi-GPU placement.
  std::vector<std::pair<std::string, double>> gpu_j_by_meter;
  std::optional<OneHzEstimate> one_hz;  // the study's 1 Hz GPU method (needs a stored timeline)
};

// The same quantities over repetitions (absent unless every repetition has the quantity).
struct MetricStats {
  std::optional<results::Stat> gpu_j, cpu_j, dram_j, system_j, total_j, active_j, total_wh, seconds, tokens_per_s,
      generated_tokens_per_s, avg_power_w, peak_power_w, j_per_token, j_per_prompt_token, j_per_generated_token,
      gpu_j_per_token, j_per_question, eor, tweor, eor_item, tweor_item;
};

struct CellMetrics {
  Headline headline;
  std::optional<double> score;  // headline value, 0-1
  std::optional<double> score_stderr;
  bool random_weights = false;  // accuracy is chance level
  bool cpu_placement = false;   // energy counts the host's CPU/DRAM meters only
  int max_passes = 1;           // most passes of the work in one window (1: not repeated)
  int items = 0;                // items of one repetition
  double prompt_tokens = 0.0;   // mean over repetitions
  double generated_tokens = 0.0;
  double decode_calls = 0.0;  // mean over repetitions (0: not recorded)
  // Highest host peak resident memory of the repetitions (bytes); absent unless every repetition
  // recorded it (databases before schema version 4 did not).
  std::optional<double> peak_rss_bytes;
  std::vector<RepetitionMetrics> repetitions;
  MetricStats stats;
  std::vector<std::string> unavailable_meters;  // "meter (kind): reason", once each
  std::vector<std::string> meters_used;         // the repetitions' meters_used, once each, in order
  // Mean over the repetitions of each GPU meter's energy ("nvml:1", J), present when every
  // repetition has it; the GPUs the work did not use (results::meter_unused), once each.
  std::vector<std::pair<std::string, double>> gpu_j_by_meter;
  std::vector<std::string> unused_gpus;  // "nvml:0 (NVIDIA H200)"
  bool estimated = false;                // some energy is an opt-in estimate
  bool short_window = false;             // a repetition's window was under ~1 s
  bool disagreement_flag = false;        // counter vs integrated power disagreed
  std::optional<OneHzSummary> one_hz;    // every repetition has a 1 Hz estimate
};

// "nvml:0 (gpu: NVIDIA H100 80GB HBM3)": a meter as the exports name it ("meter (kind)" without a
// device).
std::string meter_description(const results::MeterEnergy& meter);

// The energy of a repetition sums the meters of the devices that did the work: GPU, CPU package and
// DRAM for a GPU (or partial) placement; CPU package and DRAM only for a CPU placement, whose total
// is unavailable when the host has no CPU meter (the GPU reading stays in gpu_j).
RepetitionMetrics compute_repetition(const results::Repetition& rep, std::optional<double> score,
                                     bool cpu_placement = false);
CellMetrics compute_cell_metrics(const results::Cell& cell);

}  // namespace jouleval::report

// The phases of a generation window (prefill, decode, the steady state with the batch full, and the
// time outside every step), their seconds, tokens and energy per meter, computed from the engine's
// scheduling steps and each meter's power samples (a pure function; docs/energy.md "Phases of
// generation").
#pragma once

#include <cstddef>
#include <vector>

#include "energy/integrate.h"
#include "engine/requests.h"
#include "results/records.h"

namespace jouleval::energy {

// Fewer power samples than this inside a phase and its energy is "too short" (time only): with the
// sampler at half the counter's update period (docs/energy.md "Windows"), 10 samples span about five
// counter updates, 0.5 s at the fastest sampling (50 ms).
inline constexpr size_t kMinPhaseSamples = 10;

// One meter of the window: its whole-window result (availability, counter, idle baseline) and its
// power samples on the clock of the steps (sorted; may extend beyond the window; empty for a meter
// read only at the window's edges).
struct PhaseMeterInput {
  results::MeterEnergy window;
  std::vector<TimedWatts> samples;
};

// The phases of the window [t0, t1] (clock seconds of energy::SteadyClock, the clock of
// engine::GenerationStep), for every meter in `meters`: four rows per meter, in the order prefill,
// decode, steady, other; four rows with meter "" and no energy when `meters` is empty. No steps -> no
// rows (not a generation window). Steps are taken in time order and clipped to the window.
//
// - A step's prompt and decode tokens split its time and energy between prefill and decode in
//   proportion to their counts (a step wholly of one kind goes wholly to that phase).
// - steady: within the longest (in seconds, first step's begin to last one's end) run of
//   consecutive steps in which every sequence slot is held (active_sequences == sequence_slots) and
//   at least one sequence decodes, the pure-decode steps (no prompt tokens): time, tokens (their
//   decode tokens), steps and energy are those of the union of these steps' intervals. The run's
//   refill steps (decoding while prefilling newly admitted prompts) and the host's time between
//   steps are left out; the note says "excludes N refill steps (X s)". A run without a pure-decode
//   step gives no steady state ("no steady state: no pure decode step ...", no time, no energy).
// - other: the window's time outside every step (tokenizing, scoring, host work between steps).
// - Energy: each meter's power integrated over the phase's intervals (trapezoids, the edges
//   interpolated), scaled by counter / integral of the whole window when the meter's counter covers
//   the window ("counter-scaled": prefill + decode + other then add up to the counter), else the raw
//   integral ("integrated"). Fewer than `min_samples` samples inside the phase's
//   intervals: "too short", no energy. A meter unavailable in the window, without power samples, or
//   steps that lie outside the window (another clock): "unavailable", no energy, with the reason.
//   With an idle baseline, joules_idle_subtracted = joules - idle watts x seconds. A window whose
//   counter and integral disagree (MeterEnergy::disagreement_flag) says so in each phase's note.
std::vector<results::PhaseEnergy> compute_phases(const std::vector<engine::GenerationStep>& steps, double t0, double t1,
                                                 const std::vector<PhaseMeterInput>& meters,
                                                 size_t min_samples = kMinPhaseSamples);

// The decode steps of a generation window (steps without prompt tokens): how many, and their mean
// seconds in all, on the host (GenerationStep::host_s: argmax, detokenisation, stop strings) and in
// the rest (llama_decode, the copy of its outputs, building the batch). All 0 without such a step.
struct DecodeStepTimes {
  int64_t steps = 0;
  double mean_s = 0.0;
  double mean_host_s = 0.0;
  // Runs of consecutive sequence ids per step (GenerationStep::sequence_runs): llama.cpp makes a
  // forward pass per run with one KV stream per sequence; 1 when the running sequences are contiguous.
  double mean_sequence_runs = 0.0;
  int32_t max_sequence_runs = 0;
};
DecodeStepTimes decode_step_times(const std::vector<engine::GenerationStep>& steps);

// Seconds between consecutive steps (from a step's end to the next one's begin: admission,
// planning, KV-cache bookkeeping on the host; between two generation calls, also the second's
// tokenisation and context); 0 for fewer than two steps, never negative.
double seconds_between_steps(const std::vector<engine::GenerationStep>& steps);

}  // namespace jouleval::energy

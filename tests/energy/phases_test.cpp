// The phases of a generation window (energy/phases.h): explicit steps and power samples, expected
// values worked out by hand in each test.
#include <gtest/gtest.h>

#include "energy/phases.h"

namespace jouleval::energy {
namespace {

using engine::GenerationStep;

GenerationStep step(double begin, double end, int32_t prompt, int32_t decode, int32_t active, int32_t slots) {
  GenerationStep s;
  s.begin_s = begin;
  s.end_s = end;
  s.prompt_tokens = prompt;
  s.decode_tokens = decode;
  s.active_sequences = active;
  s.sequence_slots = slots;
  return s;
}

// Window [0, 10] with 4 sequence slots:
//   [1, 2] prefill of 300 prompt tokens (every slot admitted, nobody decoding yet)
//   [2, 3] 4 decode tokens
//   [3, 5] mixed: 12 prompt tokens of a new sequence and 4 decode tokens (prompt share 12/16 = 0.75)
//   [5, 8] 4 decode tokens
//   [8, 9] 2 decode tokens, 2 of 4 slots held (ramp down)
std::vector<GenerationStep> five_steps() {
  return {step(1, 2, 300, 0, 4, 4), step(2, 3, 0, 4, 4, 4), step(3, 5, 12, 4, 4, 4), step(5, 8, 0, 4, 4, 4),
          step(8, 9, 0, 2, 2, 4)};
}

std::vector<TimedWatts> constant(double watts, double from, double to, double every) {
  std::vector<TimedWatts> s;
  for (double t = from; t <= to; t += every) s.push_back({t, watts});
  return s;
}

PhaseMeterInput gpu(std::vector<TimedWatts> samples, std::optional<double> counter) {
  PhaseMeterInput m;
  m.window.meter = "nvml:0";
  m.window.available = true;
  m.window.counter_joules = counter;
  m.samples = std::move(samples);
  return m;
}

const results::PhaseEnergy& find(const std::vector<results::PhaseEnergy>& rows, const std::string& phase,
                                 const std::string& meter = "nvml:0") {
  for (const auto& r : rows)
    if (r.phase == phase && r.meter == meter) return r;
  throw std::runtime_error("no row " + phase + " " + meter);
}

// decode_step_times: the steps without prompt tokens, their mean time and the host's share of it.
TEST(energy_phases, DecodeStepTimesAreTheMeansOfThePureDecodeSteps) {
  std::vector<GenerationStep> steps = {step(0, 1, 100, 0, 4, 4), step(1, 1.04, 0, 4, 4, 4), step(2, 2.06, 0, 4, 4, 4),
                                       step(3, 3.5, 10, 4, 4, 4)};
  steps[1].host_s = 0.01;
  steps[2].host_s = 0.02;
  steps[3].host_s = 0.3;  // a refill step: not a decode step
  steps[1].sequence_runs = 1;
  steps[2].sequence_runs = 3;  // two gaps in the sequence ids
  steps[3].sequence_runs = 9;  // not a decode step
  const DecodeStepTimes t = decode_step_times(steps);
  EXPECT_EQ(t.steps, 2);
  EXPECT_NEAR(t.mean_s, 0.05, 1e-12);
  EXPECT_NEAR(t.mean_host_s, 0.015, 1e-12);
  EXPECT_NEAR(t.mean_sequence_runs, 2.0, 1e-12);
  EXPECT_EQ(t.max_sequence_runs, 3);
  EXPECT_EQ(decode_step_times({step(0, 1, 100, 0, 4, 4)}).steps, 0);
}

// seconds_between_steps: the host's time from each step's end to the next one's begin.
TEST(energy_phases, SecondsBetweenStepsAreTheGapsBetweenThem) {
  // Ends and begins: 1 -> 1 (0), 1.04 -> 2 (0.96), 2.06 -> 3 (0.94); a step overlapping the one
  // before adds nothing.
  const std::vector<GenerationStep> steps = {step(0, 1, 100, 0, 4, 4), step(1, 1.04, 0, 4, 4, 4),
                                             step(2, 2.06, 0, 4, 4, 4), step(3, 3.5, 10, 4, 4, 4),
                                             step(3.4, 3.6, 0, 4, 4, 4)};
  EXPECT_NEAR(seconds_between_steps(steps), 1.9, 1e-12);
  EXPECT_EQ(seconds_between_steps({step(0, 1, 100, 0, 4, 4)}), 0.0);
  EXPECT_EQ(seconds_between_steps({}), 0.0);
}

TEST(energy_phases, SplitsTimeTokensAndCounterScaledEnergy) {
  // 100 W throughout (samples every 0.125 s); the counter says 1200 J over the 10 s window, where the
  // samples integrate to 1000 J: every phase's integral is scaled by 1.2 (120 W).
  PhaseMeterInput m = gpu(constant(100, 0, 10, 0.125), 1200.0);
  m.window.idle_watts = 20.0;
  const auto rows = compute_phases(five_steps(), 0, 10, {m});
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].phase, "prefill");
  EXPECT_EQ(rows[1].phase, "decode");
  EXPECT_EQ(rows[2].phase, "steady");
  EXPECT_EQ(rows[3].phase, "other");

  const auto& prefill = find(rows, "prefill");  // 1 s + 0.75 x 2 s
  EXPECT_DOUBLE_EQ(prefill.seconds, 2.5);
  EXPECT_EQ(prefill.tokens, 312);
  EXPECT_EQ(prefill.steps, 2);
  EXPECT_EQ(prefill.method, "counter-scaled");
  ASSERT_TRUE(prefill.joules);
  EXPECT_NEAR(*prefill.joules, 120 * 2.5, 1e-9);
  ASSERT_TRUE(prefill.joules_idle_subtracted);
  EXPECT_NEAR(*prefill.joules_idle_subtracted, 300 - 20 * 2.5, 1e-9);

  const auto& decode = find(rows, "decode");  // 1 s + 0.25 x 2 s + 3 s + 1 s
  EXPECT_DOUBLE_EQ(decode.seconds, 5.5);
  EXPECT_EQ(decode.tokens, 14);
  EXPECT_EQ(decode.steps, 4);
  EXPECT_NEAR(*decode.joules, 120 * 5.5, 1e-9);

  // The full run is [2, 8]; its refill step [3, 5] is left out: [2, 3] and [5, 8].
  const auto& steady = find(rows, "steady");
  EXPECT_DOUBLE_EQ(steady.seconds, 4.0);
  EXPECT_EQ(steady.tokens, 8);
  EXPECT_EQ(steady.steps, 2);
  EXPECT_EQ(steady.batch, 4);
  EXPECT_NEAR(*steady.joules, 480, 1e-9);
  EXPECT_NEAR(*steady.joules / static_cast<double>(steady.tokens), 60, 1e-9);
  EXPECT_NEAR(*steady.joules_idle_subtracted, 480 - 20 * 4, 1e-9);
  EXPECT_EQ(steady.note, "excludes 1 refill step (2 s)");

  const auto& other = find(rows, "other");  // [0, 1] and [9, 10]
  EXPECT_DOUBLE_EQ(other.seconds, 2.0);
  EXPECT_EQ(other.tokens, 0);
  EXPECT_NEAR(*other.joules, 240, 1e-9);
  // Prefill, decode and the rest of the window add up to the counter.
  EXPECT_NEAR(*prefill.joules + *decode.joules + *other.joules, 1200, 1e-9);
}

TEST(energy_phases, PaddingIsPrefillWorkButNotPromptTokens) {
  // [0, 4]: 10 prompt tokens padded by 10 (a prefill block) beside 20 decode tokens: the prefill's
  // share of the step is (10 + 10) / 40 = 0.5, and its tokens are the 10 of the prompt.
  std::vector<GenerationStep> steps = {step(0, 4, 10, 20, 4, 4)};
  steps[0].padding_tokens = 10;
  const auto rows = compute_phases(steps, 0, 4, {gpu(constant(100, 0, 4, 0.125), 400.0)});
  const auto& prefill = find(rows, "prefill");
  EXPECT_DOUBLE_EQ(prefill.seconds, 2.0);
  EXPECT_EQ(prefill.tokens, 10);
  EXPECT_NEAR(*prefill.joules, 200, 1e-9);
  const auto& decode = find(rows, "decode");
  EXPECT_DOUBLE_EQ(decode.seconds, 2.0);
  EXPECT_EQ(decode.tokens, 20);
}

TEST(energy_phases, ACounterThatDisagreesWithThePowerIsFollowedAndSaidSo) {
  // 100 W sampled (1000 J over the window) but the counter says 500 J: the counter is the primary
  // reading, so every phase is scaled by 0.5, and each phase's note repeats the window's flag.
  PhaseMeterInput m = gpu(constant(100, 0, 10, 0.125), 500.0);
  m.window.disagreement = 0.5;
  m.window.disagreement_flag = true;
  const auto rows = compute_phases(five_steps(), 0, 10, {m});
  EXPECT_NEAR(*find(rows, "steady").joules, 200, 1e-9);  // 50 W x 4 s
  EXPECT_EQ(find(rows, "steady").note,
            "the counter and the sampled power disagree by 50% over the window; excludes 1 refill step (2 s)");
  EXPECT_EQ(find(rows, "decode").note, "the counter and the sampled power disagree by 50% over the window");
  PhaseMeterInput agreeing = gpu(constant(100, 0, 10, 0.125), 1000.0);
  EXPECT_EQ(find(compute_phases(five_steps(), 0, 10, {agreeing}), "steady").note, "excludes 1 refill step (2 s)");
  EXPECT_EQ(find(compute_phases(five_steps(), 0, 10, {agreeing}), "decode").note, "");
}

TEST(energy_phases, IntegratesChangingPowerWithoutACounter) {
  // Power rising linearly, p(t) = 100 t W (two samples, interpolated between them); no counter:
  //   prefill = int_1^2 100t dt + 0.75 x int_3^5 100t dt = 150 + 0.75 x 800 = 750 J
  //   steady  = int_2^3 100t dt + int_5^8 100t dt = 50 x (9 - 4) + 50 x (64 - 25) = 2200 J
  const auto rows = compute_phases(five_steps(), 0, 10, {gpu({{0, 0}, {10, 1000}}, std::nullopt)}, 0);
  EXPECT_EQ(find(rows, "prefill").method, "integrated");
  EXPECT_NEAR(*find(rows, "prefill").joules, 750, 1e-9);
  EXPECT_NEAR(*find(rows, "steady").joules, 2200, 1e-9);
  // decode = int_2^3 + 0.25 x int_3^5 + int_5^9 = 250 + 200 + 2800
  EXPECT_NEAR(*find(rows, "decode").joules, 3250, 1e-9);
  EXPECT_FALSE(find(rows, "decode").joules_idle_subtracted);  // no idle baseline
  // other = int_0^1 + int_9^10 = 50 + 950
  EXPECT_NEAR(*find(rows, "other").joules, 1000, 1e-9);
}

TEST(energy_phases, APhaseWithFewerSamplesThanTheMinimumIsTooShort) {
  // Samples every 0.5 s: prefill's steps (1, 2) and (3, 5) hold 1.5 and 3.5, 4, 4.5: 4 samples;
  // steady's (2, 3) and (5, 8) hold 2.5 and 5.5 ... 7.5: 6 samples; decode's (2, 3), (3, 5), (5, 8)
  // and (8, 9) hold 1 + 3 + 5 + 1 = 10.
  const auto rows = compute_phases(five_steps(), 0, 10, {gpu(constant(100, 0, 10, 0.5), 1000.0)});
  const auto& prefill = find(rows, "prefill");
  EXPECT_EQ(prefill.method, "too short");
  EXPECT_FALSE(prefill.joules);
  EXPECT_DOUBLE_EQ(prefill.seconds, 2.5);  // the time is still there
  EXPECT_EQ(prefill.note, "4 power samples inside, fewer than 10");
  EXPECT_EQ(find(rows, "steady").method, "too short");
  EXPECT_FALSE(find(rows, "steady").joules);
  EXPECT_EQ(find(rows, "steady").note, "6 power samples inside, fewer than 10; excludes 1 refill step (2 s)");
  EXPECT_EQ(find(rows, "decode").method, "counter-scaled");
  EXPECT_NEAR(*find(rows, "decode").joules, 550, 1e-9);  // 100 W x 5.5 s
}

TEST(energy_phases, WithoutAMeterTheTimesAreKeptAndTheEnergyIsUnavailable) {
  const auto rows = compute_phases(five_steps(), 0, 10, {});
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.meter, "");
    EXPECT_EQ(r.method, "unavailable");
    EXPECT_EQ(r.note, r.phase == "steady" ? "no energy meter; excludes 1 refill step (2 s)" : "no energy meter");
    EXPECT_FALSE(r.joules);
    EXPECT_FALSE(r.joules_idle_subtracted);
  }
  EXPECT_DOUBLE_EQ(find(rows, "prefill", "").seconds, 2.5);
  EXPECT_DOUBLE_EQ(find(rows, "steady", "").seconds, 4.0);
  EXPECT_EQ(find(rows, "steady", "").batch, 4);
}

TEST(energy_phases, AMeterWithoutSamplesOrUnavailableGivesNoEnergy) {
  PhaseMeterInput external;
  external.window.meter = "external";
  external.window.available = true;
  external.window.counter_joules = 500;
  PhaseMeterInput broken;
  broken.window.meter = "rapl";
  broken.window.unavailable_reason = "no RAPL domains";
  const auto rows = compute_phases(five_steps(), 0, 10, {external, broken});
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(find(rows, "decode", "external").method, "unavailable");
  EXPECT_EQ(find(rows, "decode", "external").note, "no power samples (the meter is read only at the window's edges)");
  EXPECT_FALSE(find(rows, "decode", "external").joules);
  EXPECT_EQ(find(rows, "steady", "rapl").note, "meter unavailable: no RAPL domains; excludes 1 refill step (2 s)");
  EXPECT_DOUBLE_EQ(find(rows, "decode", "rapl").seconds, 5.5);
}

TEST(energy_phases, NoSteadyStateWhenTheBatchIsNeverFull) {
  // 3 prompts for 8 slots: at most 3 sequences at once.
  const std::vector<GenerationStep> steps = {step(0, 1, 30, 0, 3, 8), step(1, 2, 0, 3, 3, 8), step(2, 3, 0, 2, 2, 8)};
  const auto rows = compute_phases(steps, 0, 3, {gpu(constant(50, 0, 3, 0.05), 150.0)});
  const auto& steady = find(rows, "steady");
  EXPECT_EQ(steady.method, "unavailable");
  EXPECT_EQ(steady.note, "no steady state: the batch was never full (at most 3 of 8 sequences at once)");
  EXPECT_DOUBLE_EQ(steady.seconds, 0);
  EXPECT_FALSE(steady.joules);
  EXPECT_EQ(find(rows, "decode").method, "counter-scaled");  // the other phases are there
}

TEST(energy_phases, TheSteadyStateIsTheLongestFullRun) {
  // Two full runs: [0, 2] (2 steps) and [3, 6.5] (2 steps, longer); a step with a free slot between.
  // The run is chosen by its whole length; of it, only the pure-decode step [5, 6.5] counts.
  const std::vector<GenerationStep> steps = {step(0, 1, 0, 2, 2, 2), step(1, 2, 0, 2, 2, 2), step(2, 3, 0, 1, 1, 2),
                                             step(3, 5, 5, 1, 2, 2), step(5, 6.5, 0, 2, 2, 2)};
  const auto rows = compute_phases(steps, 0, 7, {});
  const auto& steady = find(rows, "steady", "");
  EXPECT_DOUBLE_EQ(steady.seconds, 1.5);
  EXPECT_EQ(steady.tokens, 2);
  EXPECT_EQ(steady.steps, 1);
  EXPECT_EQ(steady.batch, 2);
}

TEST(energy_phases, TheSteadyStateLeavesOutRefillStepsAndTheTimeBetweenSteps) {
  // 2 slots, 3 prompts, power sampled every 0.05 s: 300 W inside the refill step (2, 3) (samples
  // 2.05 ... 2.95), 100 W everywhere else (samples at 2 and 3 included), no counter.
  //   [0, 1]     prefill of 2 prompts
  //   [1, 2]     2 decode tokens                      pure decode
  //   [2, 3]     refill: 1 prompt of 8 tokens, 1 decode token, 2 of 2 slots held
  //   [3, 4]     2 decode tokens                      pure decode
  //   (4, 4.5)   host work between steps (no step)
  //   [4.5, 5.5] 2 decode tokens                      pure decode
  //   [5.5, 6]   1 decode token, 1 of 2 slots held    (draining)
  // The full run is [1, 5.5]; steady = [1, 2], [3, 4], [4.5, 5.5]: 3 s at 100 W = 300 J for 6
  // tokens, 50 J/token. The whole run [1, 5.5] would give 490 J (100 W x 3.5 s plus the refill
  // step's 0.5 x (100 + 300) x 0.05 x 2 + 300 x 0.9 = 290 J) for 7 tokens, 70 J/token.
  const std::vector<GenerationStep> steps = {step(0, 1, 10, 0, 2, 2),    step(1, 2, 0, 2, 2, 2),
                                             step(2, 3, 8, 1, 2, 2),     step(3, 4, 0, 2, 2, 2),
                                             step(4.5, 5.5, 0, 2, 2, 2), step(5.5, 6, 0, 1, 1, 2)};
  std::vector<TimedWatts> samples;
  for (int i = 0; i <= 140; ++i) {
    const double t = i * 0.05;
    samples.push_back({t, i > 40 && i < 60 ? 300.0 : 100.0});
  }
  PhaseMeterInput m = gpu(samples, std::nullopt);
  m.window.idle_watts = 40.0;
  const auto rows = compute_phases(steps, 0, 7, {m});
  const auto& steady = find(rows, "steady");
  EXPECT_DOUBLE_EQ(steady.seconds, 3.0);
  EXPECT_EQ(steady.tokens, 6);
  EXPECT_EQ(steady.steps, 3);
  EXPECT_EQ(steady.batch, 2);
  EXPECT_EQ(steady.method, "integrated");
  ASSERT_TRUE(steady.joules);
  EXPECT_NEAR(*steady.joules, 300, 1e-9);
  EXPECT_NEAR(*steady.joules / static_cast<double>(steady.tokens), 50, 1e-9);
  EXPECT_NEAR(*steady.joules_idle_subtracted, 300 - 40 * 3, 1e-9);
  EXPECT_EQ(steady.note, "excludes 1 refill step (1 s)");
  // Prefill and decode are as before: the refill step splits 8 : 1 between them.
  EXPECT_DOUBLE_EQ(find(rows, "prefill").seconds, 1 + 8.0 / 9);
  EXPECT_EQ(find(rows, "decode").tokens, 8);
}

TEST(energy_phases, AdjacentPureDecodeStepsAreOneInterval) {
  // Two full pure-decode steps [1, 2] and [2, 3] after the prefill [0, 1], samples at 0, 0.1, ..., 3
  // at 60 W: the union [1, 3] holds 19 samples (1.1 ... 2.9, the one at 2 included; two separate
  // intervals would hold 18), 120 J.
  const std::vector<GenerationStep> steps = {step(0, 1, 4, 0, 2, 2), step(1, 2, 0, 2, 2, 2), step(2, 3, 0, 2, 2, 2)};
  std::vector<TimedWatts> samples;
  for (int i = 0; i <= 30; ++i) samples.push_back({i / 10.0, 60.0});
  const auto rows = compute_phases(steps, 0, 3, {gpu(samples, std::nullopt)}, 19);
  const auto& steady = find(rows, "steady");
  EXPECT_EQ(steady.method, "integrated");
  EXPECT_NEAR(*steady.joules, 120, 1e-9);
  EXPECT_EQ(steady.note, "");
  EXPECT_EQ(compute_phases(steps, 0, 3, {gpu(samples, std::nullopt)}, 20)[2].note,
            "19 power samples inside, fewer than 20");
}

TEST(energy_phases, ARunOfRefillStepsOnlyHasNoSteadyState) {
  // 2 slots, 4 prompts: every full step after the prefill also admits a prompt.
  const std::vector<GenerationStep> steps = {step(0, 1, 10, 0, 2, 2), step(1, 2, 5, 2, 2, 2), step(2, 3.5, 5, 2, 2, 2),
                                             step(3.5, 4, 0, 1, 1, 2)};
  const auto rows = compute_phases(steps, 0, 4, {gpu(constant(100, 0, 4, 0.05), 400.0)});
  const auto& steady = find(rows, "steady");
  EXPECT_EQ(steady.method, "unavailable");
  EXPECT_FALSE(steady.joules);
  EXPECT_FALSE(steady.joules_idle_subtracted);
  EXPECT_DOUBLE_EQ(steady.seconds, 0);
  EXPECT_EQ(steady.tokens, 0);
  EXPECT_EQ(steady.steps, 0);
  EXPECT_EQ(steady.batch, 2);
  EXPECT_EQ(steady.note,
            "no steady state: no pure decode step (without prompt tokens) with every sequence slot held; excludes 2 "
            "refill steps (2.5 s)");
  EXPECT_EQ(find(rows, "decode").method, "counter-scaled");  // the other phases are there
  EXPECT_EQ(find(compute_phases(steps, 0, 4, {}), "steady", "").note, steady.note);
}

TEST(energy_phases, StepsOnAnotherClockGiveNoEnergy) {
  auto steps = five_steps();
  for (auto& s : steps) {
    s.begin_s += 1000;
    s.end_s += 1000;
  }
  const auto rows = compute_phases(steps, 0, 10, {gpu(constant(100, 0, 10, 0.125), 1000.0)});
  for (const auto& r : rows) {
    EXPECT_FALSE(r.joules) << r.phase;
    EXPECT_EQ(r.note, r.phase == "steady" ? "the generation steps lie outside the measurement window (another clock); "
                                            "excludes 1 refill step (2 s)"
                                          : "the generation steps lie outside the measurement window (another clock)")
        << r.phase;
  }
  EXPECT_DOUBLE_EQ(find(rows, "prefill").seconds, 2.5);
  EXPECT_TRUE(compute_phases({}, 0, 10, {gpu(constant(100, 0, 10, 0.125), 1000.0)}).empty());
}

}  // namespace
}  // namespace jouleval::energy

// Batched greedy generation equals generating each prompt alone; stop strings, EOS and max tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "model_test_peer.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

std::vector<GenerationRequest> prompts(int32_t max_new) {
  std::vector<GenerationRequest> out;
  for (const char* q : {"Question: Natalia sold 48 clips. How many?\nAnswer:", "Question: 3 + 4 =\nAnswer:",
                        "Once upon a time", "def energy(power, seconds):", "The GPU", "Joules per token"}) {
    out.push_back({q, {}, max_new});
  }
  return out;
}

// Prompts of 40 to 90 tokens: longer than the small step budgets of the chunked-prefill tests.
std::vector<GenerationRequest> long_prompts(int32_t max_new) {
  const std::string shot =
      "Question: A GPU draws 300 W for 2 s while it decodes 512 tokens. How many joules per token?\n"
      "Answer: 600 J / 512 tokens = 1.17 J per token.\n\n";
  return {{shot + "Question: 3 + 4 =\nAnswer:", {}, max_new},
          {shot + shot + "Question: What is the energy of 5 W for 4 s?\nAnswer:", {}, max_new}};
}

// `batch`: tokens per decode call and step (0 = chosen at load, larger than every prompt here).
void expect_batched_equals_one_at_a_time(DeviceArgmax argmax, int32_t batch = 0) {
  // 3 sequence ids for 8 prompts: later prompts are admitted as earlier ones finish.
  auto options = testing::cpu_options(512, 3);
  options.device_argmax = argmax;
  options.batch_size = batch;
  auto model = Model::load(testing::tiny_model(), options);
  auto requests = prompts(10);
  for (auto& r : long_prompts(10)) requests.push_back(r);
  requests[1].max_new_tokens = 4;
  model->reset_counters();
  const auto batched = model->generate(requests);
  const WorkCounters c = model->counters();
  int64_t generated = 0;
  for (const auto& r : batched) generated += r.n_generated_tokens;
  EXPECT_EQ(c.tokens_generated, generated);
  EXPECT_GT(c.prompt_tokens_evaluated, 0);
  EXPECT_EQ(c.generation_sequences, 3);  // on the CPU: the model's 3 sequence ids, all of them wanted
  EXPECT_EQ(c.generation_sequences_wanted, 3);
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto single = model->generate({requests[i]});
    EXPECT_EQ(batched[i].text, single[0].text) << i;
    EXPECT_EQ(batched[i].n_generated_tokens, single[0].n_generated_tokens) << i;
    EXPECT_EQ(batched[i].stop_reason, single[0].stop_reason) << i;
    EXPECT_EQ(batched[i].n_prompt_tokens, static_cast<int32_t>(model->tokenize(requests[i].prompt, true).size()));
    if (batched[i].stop_reason == StopReason::kMaxTokens) {
      EXPECT_EQ(batched[i].n_generated_tokens, requests[i].max_new_tokens);
    }
  }
}

TEST(Generate, BatchedEqualsOneAtATime) { expect_batched_equals_one_at_a_time(DeviceArgmax::kOff); }

TEST(Generate, BatchedEqualsOneAtATimeWithDeviceArgmax) { expect_batched_equals_one_at_a_time(DeviceArgmax::kOn); }

TEST(Generate, ChunkedPrefillEqualsOneAtATime) {
  expect_batched_equals_one_at_a_time(DeviceArgmax::kOff, 16);
  expect_batched_equals_one_at_a_time(DeviceArgmax::kOn, 16);
}

TEST(Generate, ChunkedPrefillEqualsWholePrefill) {
  // A step holds at most one decode call's tokens: the decode tokens of the running sequences, then
  // prompt chunks. Prompts longer than that are split over steps, and the texts stay those of a
  // context whose steps take every prompt whole.
  auto requests = prompts(8);
  for (auto& r : long_prompts(8)) requests.push_back(r);
  auto whole_model = Model::load(testing::tiny_model(), testing::cpu_options(512, 3));
  const auto whole = whole_model->generate(requests);
  auto options = testing::cpu_options(512, 3);
  options.batch_size = 16;
  auto model = Model::load(testing::tiny_model(), options);
  model->reset_counters();
  (void)model->take_generation_steps();
  const auto chunked = model->generate(requests);
  const auto steps = model->take_generation_steps();
  int32_t longest_prompt = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(chunked[i].text, whole[i].text) << i;
    EXPECT_EQ(chunked[i].stop_reason, whole[i].stop_reason) << i;
    EXPECT_EQ(chunked[i].n_generated_tokens, whole[i].n_generated_tokens) << i;
    longest_prompt = std::max(longest_prompt, chunked[i].n_prompt_tokens);
  }
  ASSERT_GT(longest_prompt, 2 * 16);  // split over at least three steps
  bool beside = false;
  for (const GenerationStep& s : steps) {
    EXPECT_LE(s.prompt_tokens + s.decode_tokens, 16);
    beside = beside || (s.prompt_tokens > 0 && s.decode_tokens > 0);
  }
  EXPECT_TRUE(beside);  // prompt chunks ran beside decode tokens
  // The host's share of each step (argmax, detokenisation, stop strings) is timed, inside the step.
  double host = 0;
  for (const GenerationStep& s : steps) {
    EXPECT_GE(s.host_s, 0.0);
    EXPECT_LE(s.host_s, s.end_s - s.begin_s);
    host += s.host_s;
  }
  EXPECT_GT(host, 0.0);
  // One decode call per step: no step waits for a prefill of several calls.
  EXPECT_EQ(model->counters().decode_calls, static_cast<int64_t>(steps.size()));
}

TEST(Generate, PrefillFirstWhenThePromptsDoNotFitBesideTheDecodeTokens) {
  // Prompts of up to ~90 tokens, 3 slots, 16 tokens per step: a step that decodes holds every prompt
  // token still waiting for the cache (the prompts fit beside the decode tokens), so no prompt is
  // left half in the cache after a decoding step unless a new prompt was admitted; the running
  // sequences wait for the others' prefill and then decode together (docs/engine.md "Prefill first").
  auto requests = long_prompts(6);
  for (auto& r : long_prompts(6)) requests.push_back(r);
  auto options = testing::cpu_options(512, 3);
  options.batch_size = 16;
  auto model = Model::load(testing::tiny_model(), options);
  (void)model->take_generation_steps();
  (void)model->generate(requests);
  const auto steps = model->take_generation_steps();
  ASSERT_GT(steps.size(), 3u);
  int prefill_only = 0;
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    if (steps[i].decode_tokens == 0) ++prefill_only;
    const bool admitted = steps[i + 1].waiting != steps[i].waiting;
    if (steps[i].decode_tokens > 0 && !admitted) {
      EXPECT_EQ(steps[i + 1].prompt_tokens, 0) << "step " << i + 1 << " continues a prompt after decoding";
    }
  }
  EXPECT_GE(prefill_only, 3);  // the first wave's 3 prompts (~170 tokens), 16 per step, no decoding
}

// Prompts that all begin with the same three-shot preamble (~120 tokens), as few-shot prompts with
// one set of examples do, and end with different questions.
std::vector<GenerationRequest> preamble_prompts(int32_t max_new) {
  const std::string preamble =
      "Question: A GPU draws 300 W for 2 s while it decodes 512 tokens. How many joules per token?\n"
      "Answer: 600 J / 512 tokens = 1.17 J per token.\n\n"
      "Question: A server idles at 80 W for 10 s. How much energy is that?\nAnswer: 80 * 10 = 800 J.\n\n"
      "Question: What is 1 Wh in joules?\nAnswer: 3600 J.\n\n";
  std::vector<GenerationRequest> out;
  for (const char* q : {"Question: 3 + 4 =\nAnswer:", "Question: What is the energy of 5 W for 4 s?\nAnswer:",
                        "Question: Natalia sold 48 clips. How many?\nAnswer:", "Question: 2 kWh in J?\nAnswer:",
                        "Question: Why?\nAnswer:",
                        "Question: A long question about how many joules a GPU uses "
                        "for one token when it decodes 256 sequences together?\nAnswer:",
                        "Q"}) {
    out.push_back({preamble + q, {}, max_new});
  }
  return out;
}

// The first tokens that every prompt shares, each prompt keeping its last token out (written here,
// independently of the engine's own search).
int64_t common_prefix(const std::vector<std::vector<int32_t>>& prompts) {
  size_t n = prompts[0].size() - 1;
  for (const auto& p : prompts) {
    size_t k = 0;
    while (k < n && k + 1 < p.size() && p[k] == prompts[0][k]) ++k;
    n = k;
  }
  return static_cast<int64_t>(n);
}

// `batch` 0: the whole prefix in one decode call; 16: over several, and the rest of each prompt in
// chunks beside the decode tokens.
void expect_shared_prefix_evaluated_once(int32_t batch) {
  auto options = testing::cpu_options(512, 3);  // 3 sequences for 7 prompts: slots are refilled
  options.batch_size = batch;
  auto model = Model::load(testing::tiny_model(), options);
  const auto requests = preamble_prompts(6);
  std::vector<std::vector<int32_t>> tokens;
  int64_t all = 0;
  for (const auto& r : requests) {
    tokens.push_back(model->tokenize(r.prompt, true));
    all += static_cast<int64_t>(tokens.back().size());
  }
  const int64_t shared = common_prefix(tokens);
  ASSERT_GE(shared, 100);
  model->reset_counters();
  (void)model->take_generation_steps();
  const auto batched = model->generate(requests);
  const WorkCounters c = model->counters();
  const auto steps = model->take_generation_steps();
  const auto n = static_cast<int64_t>(requests.size());
  EXPECT_EQ(c.prompt_tokens_evaluated, all - (n - 1) * shared);  // the prefix once, each prompt's rest
  EXPECT_EQ(c.prompt_tokens_reused, n * shared);
  EXPECT_EQ(c.generation_shared_prefix, shared);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0].prompt_tokens, shared);  // a step of its own, counted as prefill
  EXPECT_EQ(steps[0].decode_tokens, 0);
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto single = model->generate({requests[i]});
    EXPECT_EQ(batched[i].text, single[0].text) << i;
    EXPECT_EQ(batched[i].n_generated_tokens, single[0].n_generated_tokens) << i;
    EXPECT_EQ(batched[i].stop_reason, single[0].stop_reason) << i;
    EXPECT_EQ(batched[i].n_prompt_tokens, static_cast<int32_t>(tokens[i].size())) << i;
  }
}

TEST(Generate, SharedPromptPrefixIsEvaluatedOnce) { expect_shared_prefix_evaluated_once(0); }

TEST(Generate, SharedPromptPrefixOverSeveralDecodeCalls) { expect_shared_prefix_evaluated_once(16); }

TEST(Generate, ShortCommonPrefixIsNotShared) {
  // The prompts share at most a few tokens ("Question: "): each is evaluated whole.
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 3));
  const auto requests = prompts(4);
  int64_t all = 0;
  for (const auto& r : requests) all += static_cast<int64_t>(model->tokenize(r.prompt, true).size());
  model->reset_counters();
  (void)model->generate(requests);
  EXPECT_EQ(model->counters().prompt_tokens_evaluated, all);
  EXPECT_EQ(model->counters().generation_shared_prefix, 0);
  EXPECT_EQ(model->counters().prompt_tokens_reused, 0);
}

TEST(Generate, OnePromptSharesNothing) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 3));
  const auto requests = preamble_prompts(4);
  model->reset_counters();
  (void)model->generate({requests[0]});
  EXPECT_EQ(model->counters().prompt_tokens_evaluated,
            static_cast<int64_t>(model->tokenize(requests[0].prompt, true).size()));
  EXPECT_EQ(model->counters().generation_shared_prefix, 0);
}

TEST(Generate, LongestPromptsAreAdmittedFirst) {
  // 2 sequences, 4 prompts of different lengths: the first step (prefill) holds the two longest.
  auto options = testing::cpu_options(512, 2);
  auto model = Model::load(testing::tiny_model(), options);
  std::vector<GenerationRequest> requests = {
      {"A", {}, 2},
      {"A much longer prompt than the others, with many more tokens in it", {}, 2},
      {"B C", {}, 2},
      {"The second longest prompt of the four", {}, 2}};
  std::vector<int32_t> len;
  for (const auto& r : requests) len.push_back(static_cast<int32_t>(model->tokenize(r.prompt, true).size()));
  ASSERT_GT(len[1], len[3]);
  ASSERT_GT(len[3], std::max(len[0], len[2]));
  (void)model->take_generation_steps();
  const auto out = model->generate(requests);
  const auto steps = model->take_generation_steps();
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0].prompt_tokens, len[1] + len[3]);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(out[i].n_prompt_tokens, len[i]) << i;
}

// Sequences that end at different steps, all running at once (8 sequence ids for 8 prompts, or 7 with
// a shared prefix): once nothing waits, the running ones are moved to the lowest slots, so that every
// pure decode step's sequence ids are consecutive (llama.cpp makes one micro-batch per run of them),
// and the moved sequences' KV cache goes with them (the texts are those of one-at-a-time generation).
void expect_consecutive_sequences(std::vector<GenerationRequest> requests) {
  const std::vector<int32_t> max_new = {3, 11, 5, 14, 2, 9, 7, 12};
  for (size_t i = 0; i < requests.size(); ++i) requests[i].max_new_tokens = max_new[i % max_new.size()];
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(1024, static_cast<int32_t>(requests.size())));
  model->reset_counters();
  (void)model->take_generation_steps();
  const auto batched = model->generate(requests);
  const auto steps = model->take_generation_steps();
  EXPECT_GT(model->counters().generation_sequences_moved, 0);
  int pure = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].prompt_tokens > 0 || steps[i].decode_tokens == 0) continue;
    ++pure;
    EXPECT_EQ(steps[i].sequence_runs, 1) << "step " << i << ": " << steps[i].decode_tokens << " sequences";
  }
  EXPECT_GE(pure, 10);
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto single = model->generate({requests[i]});
    EXPECT_EQ(batched[i].text, single[0].text) << i;
    EXPECT_EQ(batched[i].n_generated_tokens, single[0].n_generated_tokens) << i;
    EXPECT_EQ(batched[i].stop_reason, single[0].stop_reason) << i;
  }
}

TEST(Generate, RunningSequencesStayInConsecutiveSlots) {
  auto requests = prompts(0);
  for (auto& r : long_prompts(0)) requests.push_back(r);
  expect_consecutive_sequences(requests);
}

TEST(Generate, MovesOffLeaveGapsInTheSequenceIds) {
  // JOULEVAL_MOVE_SEQUENCES=off (A/B measurements): no move, and steps with gaps.
  auto requests = prompts(0);
  for (auto& r : long_prompts(0)) requests.push_back(r);
  const std::vector<int32_t> max_new = {3, 11, 5, 14, 2, 9, 7, 12};
  for (size_t i = 0; i < requests.size(); ++i) requests[i].max_new_tokens = max_new[i];
  ::setenv("JOULEVAL_MOVE_SEQUENCES", "off", 1);
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(1024, 8));
  ::unsetenv("JOULEVAL_MOVE_SEQUENCES");
  (void)model->take_generation_steps();
  (void)model->generate(requests);
  EXPECT_EQ(model->counters().generation_sequences_moved, 0);
  int32_t most = 0;
  for (const auto& step : model->take_generation_steps()) most = std::max(most, step.sequence_runs);
  EXPECT_GT(most, 1);
}

TEST(Generate, RunningSequencesStayInConsecutiveSlotsWithASharedPrefix) {
  expect_consecutive_sequences(preamble_prompts(0));
}

// Micro-batches (forward passes) of a generation context, counted in llama.cpp's graph evaluation
// callback: once per graph, at its first layer's attention norm.
bool count_micro_batches(ggml_tensor* t, bool ask, void* data) {
  if (ask && std::strcmp(t->name, "attn_norm-0") == 0) ++*static_cast<int64_t*>(data);
  return false;  // no node's data is wanted
}

struct PrefillRun {
  std::vector<GenerationResult> results;
  std::vector<GenerationStep> steps;
  WorkCounters counters;
  int64_t micro_batches = 0;
};

// 8 prompts of nearly equal lengths (their numbers have 2 to 9 digits), all admitted at once (8
// sequences), with 64 tokens per micro-batch and 128 per call.
std::vector<GenerationRequest> arithmetic_prompts() {
  std::vector<GenerationRequest> out;
  for (const char* q :
       {"7 * 8", "12 * 3", "12 * 34", "123 * 45", "123 * 456", "1234 * 567", "1234 * 5678", "12345 * 6789"}) {
    out.push_back({std::string("Question: what is ") + q + "?\nAnswer:", {}, 3});
  }
  return out;
}

PrefillRun generate_with_prefill_blocks(bool on, const std::vector<GenerationRequest>& requests) {
  ::setenv("JOULEVAL_PREFILL_BLOCKS", on ? "on" : "off", 1);
  auto options = testing::cpu_options(1024, 8);
  options.batch_size = 128;
  options.ubatch_size = 64;
  auto model = Model::load(testing::tiny_model(), options);
  ::unsetenv("JOULEVAL_PREFILL_BLOCKS");
  PrefillRun run;
  ModelTestPeer::impl(*model).gen_eval_callback = count_micro_batches;
  ModelTestPeer::impl(*model).gen_eval_data = &run.micro_batches;
  (void)model->take_generation_steps();
  run.results = model->generate(requests);
  run.steps = model->take_generation_steps();
  run.counters = model->counters();
  return run;
}

TEST(Generate, PrefillBlocksTakeFewerMicroBatches) {
  // Prompts of unequal lengths in one call make llama.cpp's equal split run micro-batches of
  // decreasing size; prefill blocks run one rectangle per step, padded, in fewer micro-batches. The
  // padding's KV cells go after each call: the texts stay those of one-at-a-time generation.
  const auto requests = arithmetic_prompts();
  const PrefillRun off = generate_with_prefill_blocks(false, requests);
  const PrefillRun on = generate_with_prefill_blocks(true, requests);
  EXPECT_GT(on.micro_batches, 0);
  EXPECT_LT(on.micro_batches, off.micro_batches);
  EXPECT_EQ(off.counters.prompt_padding_tokens, 0);
  EXPECT_GT(on.counters.prompt_padding_tokens, 0);
  EXPECT_EQ(on.counters.prompt_tokens_evaluated, off.counters.prompt_tokens_evaluated);
  int64_t padding = 0;
  int with_prompts = 0;
  for (const auto& step : on.steps) {
    padding += step.padding_tokens;
    if (step.prompt_tokens == 0) continue;
    ++with_prompts;
    EXPECT_LE(step.prompt_tokens + step.padding_tokens, 64);  // one block: the sequences are one run
    if (step.decode_tokens == 0) {
      EXPECT_EQ(step.sequence_runs, 1);
    }
  }
  EXPECT_GE(with_prompts, 2);
  EXPECT_EQ(padding, on.counters.prompt_padding_tokens);
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(1024, 2));
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto single = model->generate({requests[i]});
    EXPECT_EQ(on.results[i].text, single[0].text) << i;
    EXPECT_EQ(on.results[i].n_generated_tokens, single[0].n_generated_tokens) << i;
    EXPECT_EQ(off.results[i].text, single[0].text) << i;
  }
}

TEST(Generate, SchedulingSwitchesRefuseOtherValues) {
  for (const char* name : {"JOULEVAL_PREFILL_BLOCKS", "JOULEVAL_MOVE_SEQUENCES"}) {
    ::setenv(name, "maybe", 1);
    try {
      (void)Model::load(testing::tiny_model(), testing::cpu_options(512, 2));
      ADD_FAILURE() << "expected a usage error for " << name;
    } catch (const util::Error& e) {
      EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
      EXPECT_NE(std::string(e.what()).find(std::string(name) + " 'maybe'"), std::string::npos) << e.what();
    }
    ::unsetenv(name);
  }
}

TEST(Generate, DeviceArgmaxFromTheEnvironmentWhenAuto) {
  GenerationRequest req{"The GPU", {}, 3};
  ::setenv("JOULEVAL_DEVICE_ARGMAX", "on", 1);
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 2));  // kAuto: off on the CPU
  (void)model->generate({req});
  EXPECT_GT(model->counters().tokens_sampled_on_device, 0);
  auto options = testing::cpu_options(512, 2);
  options.device_argmax = DeviceArgmax::kOff;  // an explicit option wins
  model = Model::load(testing::tiny_model(), options);
  (void)model->generate({req});
  EXPECT_EQ(model->counters().tokens_sampled_on_device, 0);
  ::setenv("JOULEVAL_DEVICE_ARGMAX", "yes", 1);
  try {
    (void)Model::load(testing::tiny_model(), testing::cpu_options(512, 2));
    ADD_FAILURE() << "expected a usage error";
  } catch (const util::Error& e) {
    EXPECT_EQ(e.code(), util::ErrorKind::kUsage);
    EXPECT_NE(std::string(e.what()).find("JOULEVAL_DEVICE_ARGMAX 'yes'"), std::string::npos) << e.what();
  }
  ::unsetenv("JOULEVAL_DEVICE_ARGMAX");
}

TEST(Generate, DeviceArgmaxEqualsHostArgmax) {
  // The CPU backend runs llama.cpp's backend sampling too: the greedy sampler of each sequence must
  // pick the tokens the host argmax picks, and the logits of those outputs are never read.
  auto requests = prompts(12);
  requests[2].stop = {"e"};
  std::vector<GenerationResult> results[2];
  WorkCounters counters[2];
  for (int on = 0; on < 2; ++on) {
    auto options = testing::cpu_options(512, 4);
    options.device_argmax = on ? DeviceArgmax::kOn : DeviceArgmax::kOff;
    auto model = Model::load(testing::tiny_model(), options);
    results[on] = model->generate(requests);
    counters[on] = model->counters();
  }
  int64_t outputs = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(results[1][i].text, results[0][i].text) << i;
    EXPECT_EQ(results[1][i].n_generated_tokens, results[0][i].n_generated_tokens) << i;
    EXPECT_EQ(results[1][i].stop_reason, results[0][i].stop_reason) << i;
    outputs += results[0][i].n_generated_tokens + (results[0][i].stop_reason == StopReason::kEos ? 1 : 0);
  }
  EXPECT_EQ(counters[0].tokens_sampled_on_device, 0);
  EXPECT_EQ(counters[1].tokens_sampled_on_device, outputs);
  EXPECT_EQ(counters[1].tokens_generated, counters[0].tokens_generated);
}

// Graphs (micro-batches) and argmax nodes of a generation context, seen in llama.cpp's graph
// evaluation callback, which asks about every node of a graph before computing it.
struct GraphCounts {
  int64_t graphs = 0;
  int64_t argmax_nodes = 0;
};

bool count_graphs_and_argmax(ggml_tensor* t, bool ask, void* data) {
  auto& counts = *static_cast<GraphCounts*>(data);
  if (ask && std::strcmp(t->name, "attn_norm-0") == 0) ++counts.graphs;
  if (ask && t->op == GGML_OP_ARGMAX) ++counts.argmax_nodes;
  return false;
}

TEST(Generate, DeviceArgmaxIsOneArgmaxPerMicroBatch) {
  // One ggml_argmax over all rows of a micro-batch, not one per sequence (llama.cpp's greedy sampler
  // adds one per sequence to every graph, 8 here): the texts stay those of the host argmax.
  auto requests = prompts(8);
  auto options = testing::cpu_options(512, 8);
  options.device_argmax = DeviceArgmax::kOn;
  auto model = Model::load(testing::tiny_model(), options);
  GraphCounts counts;
  ModelTestPeer::impl(*model).gen_eval_callback = count_graphs_and_argmax;
  ModelTestPeer::impl(*model).gen_eval_data = &counts;
  const auto results = model->generate(requests);
  EXPECT_GT(counts.graphs, 2);
  EXPECT_EQ(counts.argmax_nodes, counts.graphs);
  EXPECT_GT(model->counters().tokens_sampled_on_device, 8);
  options.device_argmax = DeviceArgmax::kOff;
  auto host = Model::load(testing::tiny_model(), options);
  const auto expected = host->generate(requests);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(results[i].text, expected[i].text) << i;
}

TEST(Generate, SetupTimeIsCountedAndTheContextIsMadeOnce) {
  // The time before the first step is counted: tokenising every call, making the generation context
  // only when it is made (the second call of the same shape keeps it).
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 4));
  const auto requests = prompts(4);
  (void)model->generate(requests);
  const WorkCounters first = model->counters();
  EXPECT_GT(first.generation_tokenize_s, 0.0);
  EXPECT_GT(first.generation_context_s, 0.0);
  model->reset_counters();
  (void)model->generate(requests);
  EXPECT_GT(model->counters().generation_tokenize_s, 0.0);
  EXPECT_LT(model->counters().generation_context_s, first.generation_context_s / 10);
}

// `batch`: the step budget (0 = chosen at load, larger than every prompt here).
void expect_every_step_recorded(int32_t batch) {
  // 2 sequence ids for 6 prompts of 5 new tokens: steps must cover every prompt token and every
  // generated token, in time order, and the log is emptied by taking it.
  auto options = testing::cpu_options(512, 2);
  options.batch_size = batch;
  auto model = Model::load(testing::tiny_model(), options);
  auto requests = prompts(5);
  model->reset_counters();
  (void)model->take_generation_steps();
  const auto results = model->generate(requests);
  const auto steps = model->take_generation_steps();
  ASSERT_FALSE(steps.empty());
  int64_t prompt = 0;
  int64_t expected_prompt = 0;
  int64_t outputs = 0;
  int64_t generated = 0;
  for (const auto& r : results) {
    expected_prompt += r.n_prompt_tokens;
    generated += r.n_generated_tokens;
    if (r.stop_reason == StopReason::kEos) ++generated;  // the EOS came from an output too
  }
  double last_end = 0.0;
  for (const GenerationStep& s : steps) {
    EXPECT_LE(s.begin_s, s.end_s);
    EXPECT_GE(s.begin_s, last_end);
    last_end = s.end_s;
    EXPECT_EQ(s.sequence_slots, 2);
    EXPECT_GE(s.active_sequences, 1);
    EXPECT_LE(s.active_sequences, 2);
    prompt += s.prompt_tokens;
    outputs += s.decode_tokens;
    if (batch > 0) {
      EXPECT_LE(s.prompt_tokens + s.decode_tokens, batch);
    }
  }
  EXPECT_EQ(prompt, expected_prompt);
  // Each sequence's first token comes from its prefill; every later one from a decode token.
  EXPECT_EQ(outputs, generated - static_cast<int64_t>(requests.size()));
  EXPECT_EQ(steps.front().waiting, 4);  // two admitted at the first step
  EXPECT_EQ(steps.back().waiting, 0);
  EXPECT_TRUE(model->take_generation_steps().empty());
  EXPECT_EQ(model->counters().decode_calls, static_cast<int64_t>(steps.size()));  // one plan, one call
}

TEST(Generate, RecordsEveryStepForPhases) {
  expect_every_step_recorded(0);
  expect_every_step_recorded(8);  // prompts of up to 15 tokens split over steps
}

TEST(Generate, StopStringCutsTheText) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 4));
  GenerationRequest req{"Once upon a time", {}, 12};
  const auto free_run = model->generate({req});
  ASSERT_EQ(free_run[0].stop_reason, StopReason::kMaxTokens);
  const std::string text = free_run[0].text;
  ASSERT_GE(text.size(), 4u);
  // Stop at a piece of the text the model is known to produce.
  const std::string stop = text.substr(text.size() / 2, 2);
  req.stop = {"never-produced-stop", stop};
  const auto stopped = model->generate({req});
  EXPECT_EQ(stopped[0].stop_reason, StopReason::kStopString);
  EXPECT_EQ(stopped[0].text, text.substr(0, text.find(stop)));
  EXPECT_LT(stopped[0].n_generated_tokens, free_run[0].n_generated_tokens + 1);
}

TEST(Generate, StopStringsSpanningTokenBoundaries) {
  // The text after j tokens is the free run's text cut after its j-th token (greedy, one sequence):
  // its lengths are the token boundaries. Stops of two or three bytes across each boundary, all
  // generated in one batch, must cut the text as a search of the whole text does.
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 4));
  const std::string prompt = "Question: 3 + 4 =\nAnswer:";
  const auto free_run = model->generate({{prompt, {}, 16}});
  ASSERT_EQ(free_run[0].stop_reason, StopReason::kMaxTokens);
  const std::string text = free_run[0].text;
  std::vector<size_t> boundaries;
  for (int32_t j = 1; j < 16; ++j) {
    const size_t b = model->generate({{prompt, {}, j}})[0].text.size();
    if (b > 0 && b < text.size() && (boundaries.empty() || boundaries.back() != b)) boundaries.push_back(b);
  }
  ASSERT_GE(boundaries.size(), 3u);
  std::vector<GenerationRequest> requests;
  std::vector<std::string> stops;
  for (size_t b : boundaries) {
    for (size_t before : {1, 2}) {
      if (b < before || b + 1 > text.size()) continue;
      stops.push_back(text.substr(b - before, before + 1));
      requests.push_back({prompt, {"never-produced", stops.back()}, 16});
    }
  }
  const auto results = model->generate(requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(results[i].stop_reason, StopReason::kStopString) << stops[i];
    EXPECT_EQ(results[i].text, text.substr(0, text.find(stops[i]))) << stops[i];
  }
}

TEST(Generate, ZeroMaxTokensGeneratesNothing) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 4));
  const auto r = model->generate({{"Hello", {}, 0}});
  EXPECT_EQ(r[0].n_generated_tokens, 0);
  EXPECT_TRUE(r[0].text.empty());
  EXPECT_EQ(r[0].stop_reason, StopReason::kMaxTokens);
}

}  // namespace
}  // namespace jouleval::engine

// The ranges of ModelOptions (engine/limits.h): values outside them are usage errors naming the
// option before llama.cpp sees them; values at their edges load and score. The combinations that
// aborted llama.cpp (GGML_ASSERT n_outputs_max <= cparams.n_outputs_max: a batch or a context
// smaller than the sequences) run in a child process (gtest death test), so that an abort is a
// failed test rather than a crashed test binary.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>

#include "cli/exit_codes.h"
#include "engine/host.h"
#include "engine/limits.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

// In a child: runs `fn`; exits with the util::Error code it throws (printing the message), 0 when
// it returns, 99 for any other exception. An abort inside shows as a signal.
[[noreturn]] void exit_with_outcome(const std::function<void()>& fn) {
  int code = 0;
  try {
    fn();
  } catch (const util::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    code = cli::exit_code(e.kind());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    code = 99;
  }
  std::fflush(stderr);
  std::_Exit(code);
}

// Loading the tiny model with `o` fails with util::Error `code` whose message matches `regex`; in a
// child process, since llama.cpp aborted on some of these options before they were checked.
void expect_refused(const ModelOptions& o, util::ErrorKind code, const std::string& regex) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(exit_with_outcome([&] { Model::load(testing::tiny_model(), o); }),
              ::testing::ExitedWithCode(cli::exit_code(code)), regex);
}

// Loads with `o`, scores two requests and generates from one prompt.
void load_and_use(const ModelOptions& o) {
  auto model = Model::load(testing::tiny_model(), o);
  const auto lp = model->loglikelihood({{"Question: 1+1?\nAnswer:", " 2", ""}, {"The sky is", " blue", ""}});
  if (!std::isfinite(lp[0].logprob) || !std::isfinite(lp[1].logprob)) throw std::runtime_error("non-finite logprob");
  GenerationRequest g;
  g.prompt = "Once upon a time";
  g.max_new_tokens = 4;
  model->generate({g});
}

TEST(ModelLimits, ContextBelowTheMinimumIsAUsageErrorNotAnAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ModelOptions o = testing::cpu_options(48);
  o.max_sequences = ModelOptions{}.max_sequences;
  EXPECT_EXIT(exit_with_outcome([&] { load_and_use(o); }), ::testing::ExitedWithCode(2),
              "context_size 48: must be 0 .* or 256 to 16777216");
}

TEST(ModelLimits, BatchBelowTheDefaultSequencesLowersTheSequences) {
  // max_sequences left at its default: 64, but no more than a batch holds.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ModelOptions o = testing::cpu_options(512);
  o.max_sequences = ModelOptions{}.max_sequences;
  o.batch_size = 32;
  EXPECT_EXIT(exit_with_outcome([&] {
                load_and_use(o);
                if (Model::load(testing::tiny_model(), o)->info().n_seq_max != 32)
                  throw std::runtime_error("n_seq_max");
              }),
              ::testing::ExitedWithCode(0), "");
}

TEST(ModelLimits, MoreSequencesThanBatchTokensIsAUsageError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ModelOptions o = testing::cpu_options(512, 64);
  o.batch_size = 32;
  EXPECT_EXIT(exit_with_outcome([&] { load_and_use(o); }), ::testing::ExitedWithCode(2),
              "max_sequences 64 is larger than batch_size 32");
}

TEST(ModelLimits, EdgesLoadAndScore) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ModelOptions smallest = testing::cpu_options(kMinContextSize, kMinSequences);
  smallest.batch_size = kMinBatchSize;
  smallest.ubatch_size = kMinUbatchSize;
  EXPECT_EXIT(exit_with_outcome([&] { load_and_use(smallest); }), ::testing::ExitedWithCode(0), "");
  ModelOptions widest = testing::cpu_options(kMinContextSize, kMaxSequences);
  widest.batch_size = kMaxSequences;
  EXPECT_EXIT(exit_with_outcome([&] { load_and_use(widest); }), ::testing::ExitedWithCode(0), "");
  ModelOptions lanes = testing::cpu_options(512, 4);
  lanes.scoring_lanes = kMaxScoringLanes;
  lanes.threads = 2;
  EXPECT_EXIT(exit_with_outcome([&] { load_and_use(lanes); }), ::testing::ExitedWithCode(0), "");
}

TEST(ModelLimits, SmallBatchesScoreLikeTheDefault) {
  ModelOptions o = testing::cpu_options(512, 4);
  const std::vector<LoglikelihoodRequest> requests = {
      {"Question: what is the capital of France?\nAnswer:", " Paris", ""},
      {"Question: what is the capital of France?\nAnswer:", " Lyon", ""},
      {"A long time ago", " in a galaxy far, far away", ""}};
  const auto expected = Model::load(testing::tiny_model(), o)->loglikelihood(requests);
  o.batch_size = 4;
  o.ubatch_size = 1;
  const auto got = Model::load(testing::tiny_model(), o)->loglikelihood(requests);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_NEAR(got[i].logprob, expected[i].logprob, 1e-3) << i;
    EXPECT_EQ(got[i].n_tokens, expected[i].n_tokens) << i;
  }
}

TEST(ModelLimits, OutOfRangeOptionsNameTheOptionAndRange) {
  const auto with = [](const std::function<void(ModelOptions&)>& set) {
    ModelOptions o = testing::cpu_options(512, 4);
    set(o);
    return o;
  };
  const auto usage = util::ErrorKind::kUsage;
  expect_refused(with([](ModelOptions& o) { o.context_size = -1; }), usage, "context_size -1: must be 0");
  expect_refused(with([](ModelOptions& o) { o.context_size = kMaxContextSize + 1; }), usage,
                 "context_size 16777217: must be 0 \\(the model's training context\\) or 256 to 16777216");
  expect_refused(with([](ModelOptions& o) { o.batch_size = 1; }), usage,
                 "batch_size 1: must be 0 \\(chosen at load\\) or 2 to 65536");
  expect_refused(with([](ModelOptions& o) { o.batch_size = kMaxBatchSize + 1; }), usage, "batch_size 65537");
  expect_refused(with([](ModelOptions& o) { o.ubatch_size = -5; }), usage,
                 "ubatch_size -5: must be 0 \\(chosen at load\\) or 1 to 65536");
  expect_refused(with([](ModelOptions& o) { o.batch_size = 256, o.ubatch_size = 512; }), usage,
                 "ubatch_size 512 is larger than batch_size 256");
  expect_refused(with([](ModelOptions& o) { o.max_sequences = 1; }), usage,
                 "max_sequences 1: must be 0 \\(the default\\) or 2 to 256");
  expect_refused(with([](ModelOptions& o) { o.max_sequences = 257; }), usage, "max_sequences 257");
  expect_refused(with([](ModelOptions& o) { o.threads = -3; }), usage,
                 "threads -3: must be 0 \\(the physical cores\\) or 1 to 512");
  expect_refused(with([](ModelOptions& o) { o.threads = 1000; }), usage, "threads 1000");
  expect_refused(with([](ModelOptions& o) { o.scoring_lanes = 9; }), usage,
                 "scoring_lanes 9: must be 0 \\(automatic\\) or 1 to 8");
  expect_refused(with([](ModelOptions& o) { o.placement = Placement::parse("partial:3"); }), usage,
                 "placement partial:3: .*tiny.* has 2 layers; N must be 0 to 2");
}

TEST(ModelLimits, BuffersThatDoNotFitAreUnavailableBeforeLoading) {
  // A full-vocabulary logits row per batch token, and two per micro-batch token, on the host:
  // 65536 × 151936 × 4 B × 3 = 120 GB.
  ModelOptions o = testing::cpu_options(kMaxBatchSize, 4);
  o.batch_size = kMaxBatchSize;
  o.ubatch_size = kMaxBatchSize;
  if (available_host_memory() == 0 || available_host_memory() > (120ull << 30)) GTEST_SKIP() << "host too large";
  expect_refused(o, util::ErrorKind::kUnavailable, "does not fit in host memory");
}

TEST(ModelRequests, DegenerateRequestsAreAnswered) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(256, 4));
  std::string long_context;
  for (int i = 0; i < 400; ++i) long_context += "word" + std::to_string(i) + " ";
  const auto lp = model->loglikelihood({{"", "", ""},
                                        {"context only", "", ""},
                                        {"", "continuation only", ""},
                                        {long_context, " end", ""},
                                        {"short", long_context, "short"}});
  EXPECT_EQ(lp[0].n_tokens, 0);
  EXPECT_EQ(lp[1].n_tokens, 0);
  EXPECT_GT(lp[2].n_tokens, 0);
  EXPECT_GT(lp[3].n_truncated, 0);
  EXPECT_GT(lp[4].n_truncated, 0);
  for (const auto& r : lp) EXPECT_TRUE(std::isfinite(r.logprob));
  GenerationRequest empty;
  empty.prompt = "";
  empty.max_new_tokens = 3;
  GenerationRequest huge;
  huge.prompt = long_context;
  huge.max_new_tokens = 1 << 30;
  huge.stop = {""};
  GenerationRequest negative;
  negative.prompt = "x";
  negative.max_new_tokens = -7;
  const auto g = model->generate({empty, huge, negative});
  EXPECT_LE(g[0].n_generated_tokens, 3);
  EXPECT_LE(g[1].n_prompt_tokens + g[1].n_generated_tokens, model->info().n_ctx);
  EXPECT_EQ(g[2].n_generated_tokens, 0);
}

// How many sequences generation decodes together: 256 on the GPU by default (llama.cpp's limit), the
// user's count when set, the scoring context's count on the CPU; never more than the batch's tokens
// (llama.cpp aborts on a context with more sequences than batch tokens).
TEST(ModelLimits, GenerationSequenceCap) {
  EXPECT_EQ(generation_sequence_cap(true, 0, 64, 2048), 256);
  EXPECT_EQ(generation_sequence_cap(true, 16, 16, 2048), 16);
  EXPECT_EQ(generation_sequence_cap(false, 0, 64, 2048), 64);
  EXPECT_EQ(generation_sequence_cap(false, 8, 8, 2048), 8);
  EXPECT_EQ(generation_sequence_cap(true, 0, 64, 128), 128);  // --batch 128 on the GPU
  EXPECT_EQ(generation_sequence_cap(true, 0, 64, 64), 64);
}

}  // namespace
}  // namespace jouleval::engine

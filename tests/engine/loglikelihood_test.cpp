// Batched loglikelihood must equal scoring one request at a time (docs/engine.md "Batched
// loglikelihood": speed without changing the numbers), whatever the packing: shared prefixes,
// preambles, small sequence limits, truncation.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <set>

#include "engine/model_impl.h"
#include "engine/thread_pool.h"
#include "model_test_peer.h"
#include "test_models.h"
#include "util/error.h"

namespace jouleval::engine {
namespace {

constexpr double kTolerance = 1e-3;

std::string mmlu_preamble() {
  return "The following are multiple choice questions (with answers) about physics.\n\n"
         "What is the unit of force?\nA. joule\nB. newton\nC. watt\nD. pascal\nAnswer: B\n\n"
         "Light travels fastest in\nA. glass\nB. water\nC. vacuum\nD. air\nAnswer: C\n\n";
}

std::vector<LoglikelihoodRequest> mixed_requests() {
  std::vector<LoglikelihoodRequest> out;
  const char* questions[] = {"Energy is measured in", "A GPU draws 300 W for 2 s. The energy used is",
                             "Which quantity is a vector?"};
  for (const char* q : questions) {
    const std::string context = mmlu_preamble() + q + "\nA. joules\nB. metres\nC. volts\nD. kelvin\nAnswer:";
    for (const char* letter : {" A", " B", " C", " D"}) out.push_back({context, letter, mmlu_preamble()});
  }
  // ARC-like: multi-token choices of different lengths, no preamble.
  const std::string arc = "Question: Why does a quantized model use less energy?\nAnswer:";
  for (const char* c : {" It moves fewer bytes from memory per token.", " Because it is smaller.",
                        " The GPU runs at a lower clock frequency when weights are integers.", " Magic."}) {
    out.push_back({arc, c, ""});
  }
  // A lone request, and one whose continuation is empty.
  out.push_back({"The capital of France is", " Paris", ""});
  out.push_back({"Nothing follows", "", ""});
  return out;
}

void expect_same_as_one_at_a_time(Model& model, const std::vector<LoglikelihoodRequest>& requests) {
  const auto batched = model.loglikelihood(requests);
  ASSERT_EQ(batched.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    LoglikelihoodRequest alone = requests[i];
    alone.preamble.clear();
    const auto single = model.loglikelihood({alone});
    ASSERT_EQ(single.size(), 1u);
    EXPECT_NEAR(batched[i].logprob, single[0].logprob, kTolerance) << "request " << i;
    EXPECT_EQ(batched[i].n_tokens, single[0].n_tokens) << "request " << i;
    EXPECT_EQ(batched[i].is_greedy, single[0].is_greedy) << "request " << i;
    EXPECT_EQ(batched[i].n_truncated, single[0].n_truncated) << "request " << i;
    EXPECT_TRUE(std::isfinite(batched[i].logprob));
  }
}

class Loglikelihood : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = Model::load(testing::tiny_model(), testing::cpu_options()).release(); }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static Model* model_;
};
Model* Loglikelihood::model_ = nullptr;

TEST_F(Loglikelihood, BatchedEqualsOneAtATime) {
  const auto requests = mixed_requests();
  model_->reset_counters();
  const auto results = model_->loglikelihood(requests);
  const WorkCounters c = model_->counters();
  // Packed: far fewer decode calls than requests; prefixes and the preamble were reused.
  EXPECT_LT(c.decode_calls, static_cast<int64_t>(requests.size()) / 2);
  EXPECT_GT(c.prompt_tokens_reused, 0);
  EXPECT_GT(c.prompt_tokens_evaluated, 0);
  EXPECT_EQ(results.back().n_tokens, 0);
  EXPECT_EQ(results.back().logprob, 0.0);
  for (size_t i = 0; i + 1 < results.size(); ++i) {
    EXPECT_GT(results[i].n_tokens, 0);
    EXPECT_LT(results[i].logprob, 0.0);
  }
  expect_same_as_one_at_a_time(*model_, requests);
}

TEST_F(Loglikelihood, PreambleIsReusedOnlyWhenItsTokensMatch) {
  const std::string pre = mmlu_preamble();
  const std::vector<LoglikelihoodRequest> matching = {{pre + "Q1?\nAnswer:", " A", pre},
                                                      {pre + "Q2?\nAnswer:", " B", pre}};
  model_->reset_counters();
  model_->loglikelihood(matching);
  const int64_t n_pre = static_cast<int64_t>(model_->tokenize(pre, true).size());
  EXPECT_EQ(model_->counters().prompt_tokens_reused, 2 * n_pre);
  expect_same_as_one_at_a_time(*model_, matching);

  // "physi" tokenizes differently from the start of "physics": the engine must fall back.
  const std::string cut = "The following are multiple choice questions (with answers) about physi";
  const std::vector<LoglikelihoodRequest> mismatched = {{pre + "Q1?\nAnswer:", " A", cut},
                                                        {pre + "Q2?\nAnswer:", " B", cut}};
  model_->reset_counters();
  model_->loglikelihood(mismatched);
  EXPECT_EQ(model_->counters().prompt_tokens_reused, 0);
  expect_same_as_one_at_a_time(*model_, mismatched);
}

TEST_F(Loglikelihood, TrailingWhitespaceMovesOntoTheContinuation) {
  const auto a = model_->loglikelihood({{"Question: 2+2?\nAnswer: ", "4", ""}});
  const auto b = model_->loglikelihood({{"Question: 2+2?\nAnswer:", " 4", ""}});
  EXPECT_EQ(a[0].n_tokens, b[0].n_tokens);
  EXPECT_NEAR(a[0].logprob, b[0].logprob, 1e-9);
}

TEST_F(Loglikelihood, SplitPointComesFromTheWholeString) {
  // "ma" + "tter" merges across the boundary; the continuation is whole[len(tok(context)):].
  const std::string context = "It does not ma";
  const std::string continuation = "tter at all";
  const auto whole = model_->tokenize(context + continuation, false);
  const auto ctx = model_->tokenize(context, false);
  ASSERT_NE(std::vector<int32_t>(whole.begin(), whole.begin() + static_cast<long>(ctx.size())), ctx)
      << "the example must merge across the boundary";
  const auto r = model_->loglikelihood({{context, continuation, ""}, {context, " is here", ""}});
  EXPECT_EQ(r[0].n_tokens, static_cast<int32_t>(whole.size() - ctx.size()));
  expect_same_as_one_at_a_time(*model_, {{context, continuation, ""}, {context, " is here", ""}});
}

TEST(LoglikelihoodPacking, FewSequencesAndSmallContextStillEqual) {
  // 3 sequence ids (2 for requests) split the 4-choice groups; a 256-token cache forces many packs.
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(256, 3));
  EXPECT_EQ(model->info().n_ctx, 256);
  expect_same_as_one_at_a_time(*model, mixed_requests());
}

TEST(LoglikelihoodPacking, LanesTakingTurnsScoreTheSame) {
  // Small packs so that many take turns on three lanes, with preambles that change between packs
  // (each lane evaluates a preamble it does not hold yet, and clears it before packs without one).
  ModelOptions o = testing::cpu_options(256, 5);
  o.scoring_lanes = 3;
  auto model = Model::load(testing::tiny_model(), o);
  std::vector<LoglikelihoodRequest> requests = mixed_requests();
  const std::string other = "The following are questions about energy.\n\nQ: 1 J is 1 W for how long?\nA: 1 s\n\n";
  for (const char* q : {"Q: 1 kWh in MJ?\nA:", "Q: 1 W for 1 h?\nA:"}) {
    for (const char* c : {" 3.6", " 36", " 1 Wh"}) requests.push_back({other + q, c, other});
  }
  model->reset_counters();
  const auto laned = model->loglikelihood(requests);
  EXPECT_GT(model->counters().prompt_tokens_reused, 0);
  auto one_lane = Model::load(testing::tiny_model(), testing::cpu_options(256, 5));
  const auto plain = one_lane->loglikelihood(requests);
  ASSERT_EQ(laned.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_NEAR(laned[i].logprob, plain[i].logprob, 1e-4) << "request " << i;
    EXPECT_EQ(laned[i].is_greedy, plain[i].is_greedy) << "request " << i;
  }
  expect_same_as_one_at_a_time(*model, requests);
}

TEST(LoglikelihoodPacking, TwoLanesEvaluateEachPreambleOnce) {
  // Two few-shot subjects of four questions each, one question per pack (4 choices, 5 sequence
  // ids): each lane works through one subject, so each preamble is evaluated once, as with one lane.
  ModelOptions o = testing::cpu_options(512, 5);
  std::vector<LoglikelihoodRequest> requests;
  const std::string subjects[] = {mmlu_preamble(),
                                  "The following are questions about energy.\n\nQ: 1 W for 1 s?\nA: 1 J\n\n"};
  for (const std::string& pre : subjects) {
    for (const char* q : {"Q: 1 kWh in MJ?", "Q: 1 W for 1 h?", "Q: 2 W for 2 s?", "Q: 3 W for 1 s?"}) {
      for (const char* c : {" 3.6", " 36", " 1 Wh", " 4 J"}) requests.push_back({pre + q + "\nA:", c, pre});
    }
  }
  auto one_lane = Model::load(testing::tiny_model(), o);
  const auto plain = one_lane->loglikelihood(requests);
  const WorkCounters one = one_lane->counters();
  o.scoring_lanes = 2;
  auto two_lanes = Model::load(testing::tiny_model(), o);
  const auto laned = two_lanes->loglikelihood(requests);
  const WorkCounters two = two_lanes->counters();
  EXPECT_EQ(two.prompt_tokens_evaluated, one.prompt_tokens_evaluated);
  EXPECT_EQ(two.prompt_tokens_reused, one.prompt_tokens_reused);
  EXPECT_GE(one.decode_calls, 8);  // one pack per question
  ASSERT_EQ(laned.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(laned[i].logprob, plain[i].logprob, 1e-4) << "request " << i;
}

TEST(LoglikelihoodPacking, PreparedAtLoadScoresTheSame) {
  // Lanes and full output buffers made at load (what a GPU placement always does): the dummy batch
  // that grows the buffers must leave no trace in the KV cache or the results.
  ModelOptions o = testing::cpu_options(512, 9);
  o.batch_size = 256;
  o.scoring_lanes = 2;
  o.prepare_at_load = true;
  auto model = Model::load(testing::tiny_model(), o);
  expect_same_as_one_at_a_time(*model, mixed_requests());
}

TEST(LoglikelihoodPacking, LeftTruncationToTheContextWindow) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(256, 4));
  std::string long_context;
  for (int i = 0; i < 200; ++i) long_context += " w" + std::to_string(i);
  const std::vector<LoglikelihoodRequest> requests = {
      {long_context, " end", ""}, {long_context, " stop now", ""}, {"short", " one", ""}};
  const auto r = model->loglikelihood(requests);
  const int32_t n_all = static_cast<int32_t>(model->tokenize(long_context + " end", true).size());
  EXPECT_EQ(r[0].n_truncated, n_all - 1 - 256);
  EXPECT_GT(r[1].n_truncated, 0);
  EXPECT_EQ(r[2].n_truncated, 0);
  expect_same_as_one_at_a_time(*model, requests);
}

TEST(LoglikelihoodPacking, BosModelScoresTheSame) {
  // The Llama/SPM tiny model adds BOS (tokenizer.ggml.add_bos_token).
  auto model = Model::load(testing::synth_model("tiny-llama", "f16"), testing::cpu_options());
  EXPECT_TRUE(model->info().add_bos);
  expect_same_as_one_at_a_time(*model, mixed_requests());
}

// Requests with distinct contexts, 3 per pack at most (4 sequence ids, one for the preamble).
std::vector<LoglikelihoodRequest> many_packs() {
  std::vector<LoglikelihoodRequest> out;
  for (int i = 0; i < 24; ++i) out.push_back({"Question " + std::to_string(i) + ": the energy is", " joules", ""});
  return out;
}

// The kernel's id of the calling thread: unlike std::thread::id (the address of the thread's
// control block, which glibc reuses for the next thread), not reused for a long while.
int64_t kernel_thread_id() { return static_cast<int64_t>(::syscall(SYS_gettid)); }

TEST(LoglikelihoodLanes, PacksRunOnTheLanesThreadsStartedOnce) {
  // Two lanes score many packs over several calls: every pack runs on one of the two lane threads
  // started with the lanes (not on the caller, not on a thread of its own), and no thread starts
  // after them.
  ModelOptions o = testing::cpu_options(512, 4);
  o.scoring_lanes = 2;
  auto model = Model::load(testing::tiny_model(), o);
  std::mutex mutex;
  std::set<int64_t> pack_threads;
  int64_t packs = 0;
  ModelTestPeer::impl(*model).before_pack = [&](int32_t) {
    std::lock_guard<std::mutex> lock(mutex);
    pack_threads.insert(kernel_thread_id());
    ++packs;
  };
  const int64_t before = LaneWorker::threads_started();
  const auto first = model->loglikelihood(many_packs());
  const int64_t after_first = LaneWorker::threads_started();
  EXPECT_EQ(after_first, before + 2);  // one thread per lane, made with the lanes
  for (int round = 0; round < 4; ++round) EXPECT_EQ(model->loglikelihood(many_packs()).size(), first.size());
  EXPECT_EQ(LaneWorker::threads_started(), after_first);
  EXPECT_GE(packs, 5 * 8);  // 24 requests, 3 per pack, 5 calls
  EXPECT_EQ(pack_threads.size(), 2u);
  EXPECT_EQ(pack_threads.count(kernel_thread_id()), 0u);
}

TEST(LoglikelihoodLanes, OneLaneRunsItsPacksOnTheCaller) {
  auto model = Model::load(testing::tiny_model(), testing::cpu_options(512, 4));
  std::set<int64_t> pack_threads;
  ModelTestPeer::impl(*model).before_pack = [&](int32_t) { pack_threads.insert(kernel_thread_id()); };
  const int64_t before = LaneWorker::threads_started();
  (void)model->loglikelihood(many_packs());
  EXPECT_EQ(LaneWorker::threads_started(), before);
  EXPECT_EQ(pack_threads, std::set<int64_t>{kernel_thread_id()});
}

TEST(LoglikelihoodLanes, APackThatThrowsEndsTheCallWithItsError) {
  // The fourth pack fails (on a lane thread, or on the caller with one lane): the call throws that
  // very error, after the other lane's pack has ended; the model then scores as before, bit for bit.
  for (const int32_t lanes : {1, 2, 3}) {
    ModelOptions o = testing::cpu_options(512, 4);
    o.scoring_lanes = lanes;
    auto model = Model::load(testing::tiny_model(), o);
    const auto clean = model->loglikelihood(many_packs());
    std::atomic<int32_t> packs{0};
    std::atomic<int64_t> failing_thread{0};
    ModelTestPeer::impl(*model).before_pack = [&](int32_t) {
      if (packs.fetch_add(1) == 3) {
        failing_thread = kernel_thread_id();
        throw util::Error("pack 4 failed on purpose", util::ErrorKind::kUnavailable);
      }
    };
    try {
      (void)model->loglikelihood(many_packs());
      ADD_FAILURE() << lanes << " lanes: no error";
    } catch (const util::Error& e) {
      EXPECT_STREQ(e.what(), "pack 4 failed on purpose") << lanes << " lanes";
      EXPECT_EQ(e.kind(), util::ErrorKind::kUnavailable) << lanes << " lanes";
    }
    EXPECT_EQ(failing_thread.load() == kernel_thread_id(), lanes == 1) << lanes << " lanes";
    ModelTestPeer::impl(*model).before_pack = nullptr;
    const auto again = model->loglikelihood(many_packs());
    ASSERT_EQ(again.size(), clean.size());
    for (size_t i = 0; i < clean.size(); ++i) {
      EXPECT_EQ(again[i].logprob, clean[i].logprob) << lanes << " lanes, request " << i;
      EXPECT_EQ(again[i].is_greedy, clean[i].is_greedy) << lanes << " lanes, request " << i;
    }
  }
}

}  // namespace
}  // namespace jouleval::engine

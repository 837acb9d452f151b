// Scoring arithmetic: means and standard errors, argmax, log-softmax and KL divergence over choice
// log-likelihoods, acc_norm's length normalisation and TruthfulQA MC2's probability mass.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace jouleval::tasks {

struct Metric {
  std::string name;
  double value = 0.0;
  std::optional<double> std_error;  // absent when fewer than 2 items
};

// Mean of 0/1 scores with stderr sqrt(p(1-p)/(n-1)).
Metric binary_metric(std::string name, const std::vector<double>& scores);

// Mean of real-valued scores with stderr = sample standard deviation (n-1) / sqrt(n).
Metric mean_metric(std::string name, const std::vector<double>& scores);

// Index of the first maximum (numpy.argmax). Requires a non-empty vector.
size_t argmax(const std::vector<double>& values);

// values[i] / lengths[i]: acc_norm's score per choice (lengths in code points, > 0).
std::vector<double> length_normalized(const std::vector<double>& values, const std::vector<size_t>& lengths);

// log-softmax of log-likelihoods (stable: subtracts the maximum).
std::vector<double> log_softmax(const std::vector<double>& logits);

// KL(p || q) for p = softmax(reference), q = softmax(candidate); same length required.
double kl_divergence(const std::vector<double>& reference, const std::vector<double>& candidate);

// lm-eval's MC2: the choices before the first label 0 count as true, the rest as false; returns
// sum(p_true) / (sum(p_true) + sum(p_false)) with p = exp(loglik), computed stably.
double mc2_score(const std::vector<double>& logliks, const std::vector<int>& labels);

}  // namespace jouleval::tasks

#include "tasks/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace jouleval::tasks {

Metric binary_metric(std::string name, const std::vector<double>& scores) {
  Metric m{std::move(name), 0.0, std::nullopt};
  if (scores.empty()) return m;
  double sum = 0;
  for (double s : scores) sum += s;
  const double n = static_cast<double>(scores.size());
  m.value = sum / n;
  if (scores.size() >= 2) m.std_error = std::sqrt(m.value * (1.0 - m.value) / (n - 1.0));
  return m;
}

Metric mean_metric(std::string name, const std::vector<double>& scores) {
  Metric m{std::move(name), 0.0, std::nullopt};
  if (scores.empty()) return m;
  double sum = 0;
  for (double s : scores) sum += s;
  const double n = static_cast<double>(scores.size());
  m.value = sum / n;
  if (scores.size() >= 2) {
    double ss = 0;
    for (double s : scores) ss += (s - m.value) * (s - m.value);
    m.std_error = std::sqrt(ss / (n - 1.0)) / std::sqrt(n);
  }
  return m;
}

size_t argmax(const std::vector<double>& values) {
  if (values.empty()) throw std::invalid_argument("argmax of an empty vector");
  return static_cast<size_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

std::vector<double> length_normalized(const std::vector<double>& values, const std::vector<size_t>& lengths) {
  std::vector<double> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i] / static_cast<double>(lengths.at(i));
  return out;
}

std::vector<double> log_softmax(const std::vector<double>& logits) {
  if (logits.empty()) return {};
  const double mx = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (double x : logits) sum += std::exp(x - mx);
  const double log_z = mx + std::log(sum);
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - log_z;
  return out;
}

double kl_divergence(const std::vector<double>& reference, const std::vector<double>& candidate) {
  if (reference.size() != candidate.size()) throw std::invalid_argument("kl_divergence: size mismatch");
  std::vector<double> lp = log_softmax(reference);
  std::vector<double> lq = log_softmax(candidate);
  double kl = 0;
  for (size_t i = 0; i < lp.size(); ++i) {
    double p = std::exp(lp[i]);
    if (p > 0) kl += p * (lp[i] - lq[i]);
  }
  return std::max(kl, 0.0);
}

double mc2_score(const std::vector<double>& logliks, const std::vector<int>& labels) {
  if (logliks.size() != labels.size() || logliks.empty()) throw std::invalid_argument("mc2_score: size mismatch");
  const size_t split = static_cast<size_t>(std::find(labels.begin(), labels.end(), 0) - labels.begin());
  std::vector<double> lp = log_softmax(logliks);
  double p_true = 0;
  for (size_t i = 0; i < split; ++i) p_true += std::exp(lp[i]);
  return p_true;
}

}  // namespace jouleval::tasks

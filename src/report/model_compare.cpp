#include "report/model_compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "report/identify.h"
#include "results/identity.h"
#include "util/student_t.h"

namespace jouleval::report {
namespace {

// The ratio sum(a) / sum(b) of per-cell means (each scaled by `scale_*`) and its 95% CI by the delta
// method: var(sum) = sum(scale^2 * sd^2 / n), t(0.975, min(n) - 1). The interval is absent unless
// every statistic has two repetitions or more.
struct Ratio {
  std::optional<double> value, low, high;
};
Ratio ratio_of_sums(const std::vector<results::Stat>& a, const std::vector<double>& scale_a,
                    const std::vector<results::Stat>& b, const std::vector<double>& scale_b) {
  Ratio out;
  double sa = 0.0, sb = 0.0, va = 0.0, vb = 0.0;
  int min_n = 1 << 30;
  bool spread = true;
  auto add = [&](const results::Stat& s, double scale, double& sum, double& var) {
    sum += scale * s.mean;
    min_n = std::min(min_n, s.n);
    if (s.stddev && s.n >= 2)
      var += scale * scale * *s.stddev * *s.stddev / s.n;
    else
      spread = false;
  };
  for (size_t i = 0; i < a.size(); ++i) add(a[i], scale_a[i], sa, va);
  for (size_t i = 0; i < b.size(); ++i) add(b[i], scale_b[i], sb, vb);
  if (a.empty() || b.empty() || sb <= 0.0) return out;
  out.value = sa / sb;
  if (spread && sa > 0.0 && min_n >= 2) {
    const double se = *out.value * std::sqrt(va / (sa * sa) + vb / (sb * sb));
    const double half = util::student_t975(static_cast<size_t>(min_n - 1)) * se;
    out.low = *out.value - half;
    out.high = *out.value + half;
  }
  return out;
}

// The accuracy difference of paired cells: mean of the differences and sqrt(sum se^2) / k (absent
// unless every cell has both standard errors).
void accuracy(const std::vector<const SummaryRow*>& rows, const std::vector<const SummaryRow*>& base,
              std::optional<double>& diff, std::optional<double>& se) {
  double d = 0.0, v = 0.0;
  bool scores = !rows.empty(), errors = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& m = rows[i]->metrics;
    const auto& mb = base[i]->metrics;
    if (!m.score || !mb.score) {
      scores = false;
      break;
    }
    d += *m.score - *mb.score;
    if (m.score_stderr && mb.score_stderr)
      v += *m.score_stderr * *m.score_stderr + *mb.score_stderr * *mb.score_stderr;
    else
      errors = false;
  }
  if (!scores) return;
  const double k = static_cast<double>(rows.size());
  diff = d / k;
  if (errors) se = std::sqrt(v) / k;
}

// Energy and time ratios per question of paired cells over the same items: sum of (J/question x
// items) over the cells, divided by the sum of items, of the model over the same of the baseline;
// seconds likewise.
void ratios(const std::vector<const SummaryRow*>& rows, const std::vector<const SummaryRow*>& base, Ratio& energy,
            Ratio& time) {
  using Field = std::optional<results::Stat> MetricStats::*;
  for (const auto& [field, out, per_question] :
       {std::tuple<Field, Ratio*, bool>{&MetricStats::j_per_question, &energy, true},
        std::tuple<Field, Ratio*, bool>{&MetricStats::seconds, &time, false}}) {
    std::vector<results::Stat> a, b;
    std::vector<double> scale_a, scale_b;
    double items_a = 0.0, items_b = 0.0;
    bool present = true;
    for (size_t i = 0; i < rows.size() && present; ++i) {
      const auto& sa = rows[i]->metrics.stats.*field;
      const auto& sb = base[i]->metrics.stats.*field;
      present = sa && sb;
      if (!present) break;
      const double ia = rows[i]->metrics.items, ib = base[i]->metrics.items;
      items_a += ia;
      items_b += ib;
      a.push_back(*sa);
      b.push_back(*sb);
      // A sum of J/question x items is the energy; seconds are summed as they are.
      scale_a.push_back(per_question ? ia : 1.0);
      scale_b.push_back(per_question ? ib : 1.0);
    }
    if (!present || items_a <= 0.0 || items_b <= 0.0) continue;
    *out = ratio_of_sums(a, scale_a, b, scale_b);
    for (std::optional<double>* v : {&out->value, &out->low, &out->high})
      if (*v) **v *= items_b / items_a;  // per question
  }
}

// The accuracy difference and the energy and time ratios of `rows` against `base` into `out` (a
// ModelCellComparison for one shared cell, a ModelComparison over all of them: the same fields).
template <typename Out>
void set_differences(const std::vector<const SummaryRow*>& rows, const std::vector<const SummaryRow*>& base, Out& out) {
  accuracy(rows, base, out.accuracy_diff, out.accuracy_se);
  Ratio energy, time;
  ratios(rows, base, energy, time);
  out.energy_ratio = energy.value;
  out.energy_ci_low = energy.low;
  out.energy_ci_high = energy.high;
  out.time_ratio = time.value;
  out.time_ci_low = time.low;
  out.time_ci_high = time.high;
}

// Mean score, and score per Wh per item and per (Wh per item x s per item) from the sums of energy,
// time and items (as recommend's).
void efficiency(const std::vector<const SummaryRow*>& rows, std::optional<double>& score, std::optional<double>& eor,
                std::optional<double>& tweor) {
  double s = 0.0, e = 0.0, t = 0.0, items = 0.0;
  bool measured = true;
  for (const auto* r : rows) {
    const auto& m = r->metrics;
    if (!m.score) return;
    s += *m.score;
    items += m.items;
    if (m.stats.total_j && m.stats.seconds) {
      e += m.stats.total_j->mean;
      t += m.stats.seconds->mean;
    } else {
      measured = false;
    }
  }
  if (rows.empty()) return;
  score = s / static_cast<double>(rows.size());
  if (!measured || e <= 0.0 || items <= 0.0) return;
  const double wh = e / items / 3600.0;
  eor = *score / wh;
  if (t > 0.0) tweor = *score / (wh * (t / items));
}

uint64_t params_of(const Summary& s, const std::vector<size_t>& rows, const std::string& model) {
  uint64_t p = 0;
  for (size_t i : rows)
    if (s.rows[i].key.model == model) p = std::max(p, s.rows[i].model_params);
  return p;
}

// The model with the most parameters among `models` (first name on equal counts).
std::string largest(const Summary& s, const std::vector<size_t>& rows, const std::set<std::string>& models) {
  std::string best;
  uint64_t best_params = 0;
  for (const auto& m : models) {
    const uint64_t p = params_of(s, rows, m);
    if (best.empty() || p > best_params) {
      best = m;
      best_params = p;
    }
  }
  return best;
}

}  // namespace

std::vector<ModelComparison> compare_models(const Summary& summary, const std::vector<size_t>& selected) {
  std::vector<size_t> rows = selected;
  if (rows.empty())
    for (size_t i = 0; i < summary.rows.size(); ++i) rows.push_back(i);
  // Cells identical except for the model, in the order of their first row.
  std::map<std::string, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i : rows) {
    const auto& r = summary.rows[i];
    const auto [it, added] =
        group_of.emplace(results::identity_except(r.machine_id, r.key, results::Axis::kModel), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  // Each group's models. A group where one model name stands for two cells (two source files of the
  // same name: different hashes) pairs nothing: which of them is the baseline's twin would be a guess;
  // nor does a group of one model.
  std::vector<std::set<std::string>> group_models(groups.size());
  std::set<std::string> all_models;
  for (size_t k = 0; k < groups.size(); ++k) {
    for (size_t i : groups[k]) {
      if (!group_models[k].insert(summary.rows[i].key.model).second) {
        group_models[k].clear();
        break;
      }
    }
    if (group_models[k].size() >= 2) all_models.insert(group_models[k].begin(), group_models[k].end());
  }
  if (all_models.empty()) return {};
  const std::string global = largest(summary, rows, all_models);

  // (baseline, model) -> the model's rows and the baseline rows paired with them.
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<size_t, size_t>>> pairs;
  for (size_t k = 0; k < groups.size(); ++k) {
    const std::vector<size_t>& g = groups[k];
    const std::set<std::string>& models = group_models[k];
    if (models.size() < 2) continue;
    const std::string base = models.count(global) ? global : largest(summary, rows, models);
    const auto base_it = std::find_if(g.begin(), g.end(), [&](size_t i) { return summary.rows[i].key.model == base; });
    for (size_t i : g)
      if (summary.rows[i].key.model != base) pairs[{base, summary.rows[i].key.model}].push_back({i, *base_it});
  }

  // What each shared cell is: the identity fields that tell the compared cells apart, without the
  // model and its hashes (always the task and the precision).
  std::vector<std::vector<results::IdentityField>> ids;
  for (const auto& [key, list] : pairs)
    for (const auto& [i, b] : list) ids.push_back(summary.rows[i].identity);
  const auto label_keys = distinguishing_fields(ids, {"task", "precision"}, {"model", "model_sha256", "file_sha256"});

  std::vector<ModelComparison> out;
  for (const auto& [key, list] : pairs) {
    ModelComparison c;
    c.baseline = key.first;
    c.model = key.second;
    std::vector<const SummaryRow*> model_rows, base_rows;
    for (const auto& [i, b] : list) {
      const SummaryRow& r = summary.rows[i];
      const SummaryRow& rb = summary.rows[b];
      model_rows.push_back(&r);
      base_rows.push_back(&rb);
      c.random_weights = c.random_weights || r.metrics.random_weights || rb.metrics.random_weights;
      c.estimated = c.estimated || r.metrics.estimated || rb.metrics.estimated;
      ModelCellComparison cell;
      cell.row = i;
      cell.baseline_row = b;
      cell.label = row_label(r.identity, label_keys);
      set_differences({&r}, {&rb}, cell);
      c.cells.push_back(std::move(cell));
    }
    set_differences(model_rows, base_rows, c);
    efficiency(model_rows, c.score, c.eor_item, c.tweor_item);
    efficiency(base_rows, c.baseline_score, c.baseline_eor_item, c.baseline_tweor_item);
    out.push_back(std::move(c));
  }
  return out;
}

Table model_table(const Summary& s) {
  Table t;
  t.columns = {{"cell_id", "Cell"}, {"baseline_cell_id", "Baseline cell"}};
  append_identity_columns(t, false);
  const std::vector<Column> numbers = {{"baseline_model", "Baseline model"},
                                       {"accuracy_diff_pts", "Accuracy difference (points)"},
                                       {"accuracy_diff_se_pts", "SE (points)"},
                                       {"energy_ratio", "Energy ratio", true},
                                       {"energy_ratio_ci_low", "CI low", true},
                                       {"energy_ratio_ci_high", "CI high", true},
                                       {"time_ratio", "Time ratio"},
                                       {"time_ratio_ci_low", "CI low"},
                                       {"time_ratio_ci_high", "CI high"},
                                       {"score", "Score"},
                                       {"baseline_score", "Baseline score"},
                                       {"j_per_question", "J/question", true},
                                       {"baseline_j_per_question", "Baseline J/question", true},
                                       {"seconds", "Time (s)"},
                                       {"baseline_seconds", "Baseline time (s)"},
                                       {"eor_item", "EOR/item", true},
                                       {"baseline_eor_item", "Baseline EOR/item", true},
                                       {"tweor_item", "TWEOR/item", true},
                                       {"baseline_tweor_item", "Baseline TWEOR/item", true},
                                       {"random_weights", "Random weights"}};
  t.columns.insert(t.columns.end(), numbers.begin(), numbers.end());
  auto pts = [](const std::optional<double>& v) -> Value { return v ? Value{100.0 * *v} : Value{}; };
  auto mean = [](const std::optional<results::Stat>& v) -> Value { return v ? Value{v->mean} : Value{}; };
  std::vector<std::vector<results::IdentityField>> shown;
  for (const auto& comparison : compare_models(s)) {
    for (const auto& c : comparison.cells) {
      const SummaryRow& r = s.rows[c.row];
      const SummaryRow& b = s.rows[c.baseline_row];
      shown.push_back(r.identity);
      std::vector<Value> row = {Value{r.cell_id}, Value{b.cell_id}};
      for (Value& v : identity_values(r.machine_label, r.machine_id, r.key)) row.push_back(std::move(v));
      const std::vector<Value> rest = {Value{b.key.model},
                                       pts(c.accuracy_diff),
                                       pts(c.accuracy_se),
                                       opt_value(c.energy_ratio),
                                       opt_value(c.energy_ci_low),
                                       opt_value(c.energy_ci_high),
                                       opt_value(c.time_ratio),
                                       opt_value(c.time_ci_low),
                                       opt_value(c.time_ci_high),
                                       opt_value(r.metrics.score),
                                       opt_value(b.metrics.score),
                                       mean(r.metrics.stats.j_per_question),
                                       mean(b.metrics.stats.j_per_question),
                                       mean(r.metrics.stats.seconds),
                                       mean(b.metrics.stats.seconds),
                                       mean(r.metrics.stats.eor_item),
                                       mean(b.metrics.stats.eor_item),
                                       mean(r.metrics.stats.tweor_item),
                                       mean(b.metrics.stats.tweor_item),
                                       Value{r.metrics.random_weights || b.metrics.random_weights}};
      row.insert(row.end(), rest.begin(), rest.end());
      t.rows.push_back(std::move(row));
      t.row_estimated.push_back(r.metrics.estimated || b.metrics.estimated);
    }
  }
  t.default_columns = distinguishing_fields(shown, {"machine", "model", "precision", "task"}, {"file_sha256"});
  for (const char* k : {"baseline_model", "accuracy_diff_pts", "accuracy_diff_se_pts", "energy_ratio",
                        "energy_ratio_ci_low", "energy_ratio_ci_high", "time_ratio", "time_ratio_ci_low",
                        "time_ratio_ci_high", "eor_item", "baseline_eor_item", "random_weights"})
    t.default_columns.push_back(k);
  return t;
}

}  // namespace jouleval::report

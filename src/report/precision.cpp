#include "report/precision.h"

#include "report/identify.h"
#include "results/identity.h"
#include "results/stats.h"
#include "util/student_t.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace jouleval::report {
namespace {

// Relative standard error of a mean (stddev / sqrt(n) / mean); 0 for a single repetition.
double rel_se(const results::Stat& s) {
  if (!s.stddev || s.n < 2 || s.mean == 0.0) return 0.0;
  return *s.stddev / std::sqrt(static_cast<double>(s.n)) / std::fabs(s.mean);
}

}  // namespace

std::vector<PrecisionComparison> compare_precisions(const Summary& summary) {
  // Cells identical except for the precision, in the order of their first row.
  std::map<std::string, size_t> group_of;
  std::vector<std::vector<size_t>> groups;
  for (size_t i = 0; i < summary.rows.size(); ++i) {
    const auto& r = summary.rows[i];
    const auto [it, added] =
        group_of.emplace(results::identity_except(r.machine_id, r.key, results::Axis::kPrecision), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<PrecisionComparison> out;
  for (const auto& rows : groups) {
    std::vector<std::string> precisions;
    for (size_t i : rows) precisions.push_back(summary.rows[i].key.precision);
    const auto ref = results::reference_precision(precisions);
    if (!ref) continue;
    const auto ref_it =
        std::find_if(rows.begin(), rows.end(), [&](size_t i) { return summary.rows[i].key.precision == *ref; });
    const SummaryRow& rr = summary.rows[*ref_it];
    for (size_t i : rows) {
      if (i == *ref_it) continue;
      const SummaryRow& r = summary.rows[i];
      PrecisionComparison c;
      c.machine_label = r.machine_label;
      c.model = r.key.model;
      c.kv_type = r.key.kv_type;
      c.placement = r.key.placement;
      c.task = r.key.task;
      c.precision = r.key.precision;
      c.reference = *ref;
      c.row = i;
      c.reference_row = *ref_it;
      c.random_weights = r.metrics.random_weights || rr.metrics.random_weights;
      const auto& e = r.metrics.stats.j_per_question;
      const auto& er = rr.metrics.stats.j_per_question;
      if (e && er && er->mean > 0.0) {
        const double ratio = e->mean / er->mean;
        c.energy_reduction = 1.0 - ratio;
        if (e->n >= 2 && er->n >= 2) {
          // Delta method on the ratio of means; t with the smaller number of repetitions.
          const double se = ratio * std::sqrt(rel_se(*e) * rel_se(*e) + rel_se(*er) * rel_se(*er));
          const double half = util::student_t975(static_cast<size_t>(std::min(e->n, er->n) - 1)) * se;
          c.energy_ci_low = *c.energy_reduction - half;
          c.energy_ci_high = *c.energy_reduction + half;
        }
      }
      if (r.metrics.score && rr.metrics.score) {
        c.accuracy_change = *r.metrics.score - *rr.metrics.score;
        // Accuracy is identical across greedy repetitions: its interval comes from the items.
        const double se = std::sqrt(std::pow(r.metrics.score_stderr.value_or(0.0), 2) +
                                    std::pow(rr.metrics.score_stderr.value_or(0.0), 2));
        if (se > 0.0) {
          c.accuracy_ci_low = *c.accuracy_change - results::kZ95 * se;
          c.accuracy_ci_high = *c.accuracy_change + results::kZ95 * se;
        }
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

Table precision_table(const Summary& s) {
  Table t;
  t.columns = {{"cell_id", "Cell"}, {"reference_cell_id", "Reference cell"}};
  for (auto& c : t.columns) c.exact = true;
  append_identity_columns(t, true);
  const std::vector<Column> numbers = {{"reference", "Reference"},
                                       {"energy_reduction_pct", "Energy reduction (%)", true},
                                       {"energy_ci_low_pct", "CI low (%)", true},
                                       {"energy_ci_high_pct", "CI high (%)", true},
                                       {"accuracy_change_pts", "Accuracy change (points)"},
                                       {"accuracy_ci_low_pts", "CI low (points)"},
                                       {"accuracy_ci_high_pts", "CI high (points)"},
                                       {"j_per_question", "J/question", true},
                                       {"reference_j_per_question", "Reference J/question", true},
                                       {"seconds", "Time (s)"},
                                       {"reference_seconds", "Reference time (s)"},
                                       {"score", "Score"},
                                       {"reference_score", "Reference score"},
                                       {"random_weights", "Random weights"},
                                       {"items", "Items"},
                                       {"metric", "Metric"}};
  t.columns.insert(t.columns.end(), numbers.begin(), numbers.end());
  for (const char* k : {"energy_reduction_pct", "energy_ci_low_pct", "energy_ci_high_pct", "accuracy_change_pts",
                        "accuracy_ci_low_pts", "accuracy_ci_high_pts"})
    t.columns[*t.column_index(k)].decimals = 1;
  for (const char* k : {"score", "reference_score"}) t.columns[*t.column_index(k)].decimals = 3;
  auto link = [&](const char* value, const char* low, const char* high, const char* note) {
    t.columns[*t.column_index(value)].interval_note = note;
    t.columns[*t.column_index(low)].interval_of = value;
    Column& h = t.columns[*t.column_index(high)];
    h.interval_of = value;
    h.interval_high = true;
  };
  link("energy_reduction_pct", "energy_ci_low_pct", "energy_ci_high_pct",
       "delta method on the ratio of the mean J/question, Student t over the repetitions");
  link("accuracy_change_pts", "accuracy_ci_low_pts", "accuracy_ci_high_pts",
       "1.96 × √(se² + se_ref²) from the items' standard errors");
  auto pct = [](const std::optional<double>& v) -> Value { return v ? Value{100.0 * *v} : Value{}; };
  auto mean = [](const std::optional<results::Stat>& v) -> Value { return v ? Value{v->mean} : Value{}; };
  const auto comps = compare_precisions(s);
  std::vector<std::vector<results::IdentityField>> shown;
  for (const auto& c : comps) {
    const SummaryRow& r = s.rows[c.row];
    const SummaryRow& ref = s.rows[c.reference_row];
    shown.push_back(r.identity);
    std::vector<Value> row = {Value{r.cell_id}, Value{ref.cell_id}};
    for (Value& v : identity_values(r.machine_label, r.machine_id, r.key)) row.push_back(std::move(v));
    const std::vector<Value> rest = {Value{c.reference},
                                     pct(c.energy_reduction),
                                     pct(c.energy_ci_low),
                                     pct(c.energy_ci_high),
                                     pct(c.accuracy_change),
                                     pct(c.accuracy_ci_low),
                                     pct(c.accuracy_ci_high),
                                     mean(r.metrics.stats.j_per_question),
                                     mean(ref.metrics.stats.j_per_question),
                                     mean(r.metrics.stats.seconds),
                                     mean(ref.metrics.stats.seconds),
                                     opt_value(r.metrics.score),
                                     opt_value(ref.metrics.score),
                                     Value{c.random_weights},
                                     Value{int64_t{r.metrics.items}},
                                     Value{r.metrics.headline.name}};
    row.insert(row.end(), rest.begin(), rest.end());
    t.rows.push_back(std::move(row));
    t.row_estimated.push_back(r.metrics.estimated || ref.metrics.estimated);
  }
  t.default_columns = distinguishing_fields(shown, {"machine", "model", "task"}, {"precision", "file_sha256"});
  for (const char* k : {"precision", "reference", "energy_reduction_pct", "energy_ci_low_pct", "energy_ci_high_pct",
                        "accuracy_change_pts", "accuracy_ci_low_pts", "accuracy_ci_high_pts", "random_weights"})
    t.default_columns.push_back(k);
  return t;
}

std::vector<std::string> precision_export_columns(const Table& precision) {
  std::vector<std::string> keys;
  for (const auto& k : precision.default_columns) {
    if (k == "energy_reduction_pct") {
      if (std::find(keys.begin(), keys.end(), "shots") == keys.end()) keys.push_back("shots");
      keys.push_back("items");
      keys.push_back("metric");
    }
    keys.push_back(k);
  }
  return keys;
}

}  // namespace jouleval::report

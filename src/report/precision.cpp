#include "report/precision.h"

#include "util/student_t.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace jouleval::report {
namespace {

// Relative standard error of a mean (stddev / sqrt(n) / mean); 0 for a single repetition.
double rel_se(const results::Stat& s) {
  if (!s.stddev || s.n < 2 || s.mean == 0.0) return 0.0;
  return *s.stddev / std::sqrt(static_cast<double>(s.n)) / std::fabs(s.mean);
}

}  // namespace

std::vector<PrecisionComparison> compare_precisions(const Summary& summary) {
  using GroupKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::map<GroupKey, std::vector<size_t>> groups;
  for (size_t i = 0; i < summary.rows.size(); ++i) {
    const auto& r = summary.rows[i];
    groups[{r.machine_id, r.key.model, r.key.kv_type, r.key.placement, r.key.task}].push_back(i);
  }
  std::vector<PrecisionComparison> out;
  for (const auto& [key, rows] : groups) {
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
          c.accuracy_ci_low = *c.accuracy_change - 1.959964 * se;
          c.accuracy_ci_high = *c.accuracy_change + 1.959964 * se;
        }
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace jouleval::report

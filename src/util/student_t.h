// The 0.975 quantile of Student's t distribution, for 95% confidence intervals of a mean over
// repetitions (energy windows, report statistics).
#pragma once

#include <cstddef>

namespace jouleval::util {

// Exact table values for df <= 30; beyond, linear interpolation in 1/df between 30, 40, 60, 120
// and infinity (error < 1e-3). df == 0 gives NaN.
double student_t975(size_t df);

}  // namespace jouleval::util

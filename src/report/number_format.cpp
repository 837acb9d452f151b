#include "report/number_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace jouleval::report {
namespace {

constexpr double kExponentBelow = 1e-6;
constexpr double kExponentFrom = 1e15;
constexpr int kMaxDecimals = 9;

std::string exponent_form(double value) { return fmt::format("{:.2e}", value); }

// "-1234567" -> "-1,234,567" (integer digits only; 4-digit numbers stay as they are).
std::string group_integer(const std::string& integer) {
  const size_t sign = !integer.empty() && integer[0] == '-' ? 1 : 0;
  const size_t digits = integer.size() - sign;
  if (digits < 5) return integer;
  std::string out = integer.substr(0, sign);
  for (size_t i = 0; i < digits; ++i) {
    if (i > 0 && (digits - i) % 3 == 0) out += ',';
    out += integer[sign + i];
  }
  return out;
}

// Fixed decimals, thousands grouped, no negative zero.
std::string fixed(double value, int decimals) {
  std::string s = fmt::format("{:.{}f}", value, decimals);
  if (s[0] == '-' && s.find_first_of("123456789") == std::string::npos) s.erase(0, 1);
  const size_t point = s.find('.');
  const std::string integer = s.substr(0, point);
  return group_integer(integer) + (point == std::string::npos ? "" : s.substr(point));
}

bool exponent_range(double value, int decimals) {
  const double a = std::fabs(value);
  return a >= kExponentFrom || (decimals < 0 && a > 0.0 && a < kExponentBelow);
}

}  // namespace

int significant_decimals(double value) {
  if (!std::isfinite(value) || value == 0.0) return 0;
  const double a = std::fabs(value);
  int mag = static_cast<int>(std::floor(std::log10(a)));
  // 9.996 rounds to 10.0 at three significant digits: count the digits of the rounded value.
  const double step = std::pow(10.0, mag - 2);
  if (std::round(a / step) * step >= std::pow(10.0, mag + 1)) ++mag;
  return std::max(0, 2 - mag);
}

std::string format_human(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  if (exponent_range(value, decimals)) return exponent_form(value);
  return fixed(value, decimals >= 0 ? std::min(decimals, kMaxDecimals) : significant_decimals(value));
}

std::string format_count(int64_t value) { return group_integer(fmt::format("{}", value)); }

std::string format_plus_minus(double value, double half_width, int decimals, const std::string& separator) {
  if (!std::isfinite(value)) return "n/a";
  if (!std::isfinite(half_width) || half_width < 0.0) return format_human(value, decimals);
  if (exponent_range(value, decimals) || exponent_range(half_width, kSignificant))
    return format_human(value, decimals) + separator + format_human(half_width, kSignificant);
  int d = decimals >= 0 ? std::min(decimals, kMaxDecimals) : significant_decimals(value);
  // More decimals until the half-width's first significant digit shows.
  if (half_width > 0.0 && half_width < 0.5 * std::pow(10.0, -d))
    d = std::min(kMaxDecimals, static_cast<int>(-std::floor(std::log10(half_width))));
  return fixed(value, d) + separator + fixed(half_width, d);
}

}  // namespace jouleval::report

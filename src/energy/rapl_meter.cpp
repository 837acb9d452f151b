#include "energy/rapl_meter.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "energy/bounded_io.h"
#include "util/error.h"

namespace jouleval::energy {

namespace fs = std::filesystem;

namespace {

// Reads the first line of a sysfs file (a regular file of at most 4 KiB: never a FIFO or a device
// that could block or never end); "" and the reason in `error` when it cannot be read.
bool read_line(const fs::path& file, std::string& out, std::string& error) {
  ReadLimits limits;
  limits.max_bytes = 4096;
  limits.timeout_seconds = 1;
  limits.regular_file_only = true;
  const BoundedRead r = read_file_bounded(file, limits);
  if (!r.ok) {
    error = fmt::format("cannot read {}: {}", file.string(), r.error);
    if (r.error_number == EACCES) error += " (RAPL counters are readable only by root on recent kernels)";
    return false;
  }
  const std::string line = r.text.substr(0, r.text.find('\n'));
  if (line.empty()) {
    error = fmt::format("cannot read {}: empty", file.string());
    return false;
  }
  out = line;
  return true;
}

// A counter value: an unsigned decimal integer (a sign, or anything after the digits, is an error).
bool read_number(const fs::path& file, double& out, std::string& error) {
  std::string line;
  if (!read_line(file, line, error)) return false;
  const auto end = line.find_last_not_of(" \t\r");
  const std::string digits = end == std::string::npos ? std::string() : line.substr(0, end + 1);
  if (digits.empty() || digits.size() > 20 || digits.find_first_not_of("0123456789") != std::string::npos) {
    error = fmt::format("{}: not a counter value: '{}'", file.string(), printable_excerpt(line));
    return false;
  }
  out = std::strtod(digits.c_str(), nullptr);
  return true;
}

// "intel-rapl:0:2" -> depth 2 (number of ':'-separated indices).
int depth_of(const std::string& dirname) { return static_cast<int>(std::count(dirname.begin(), dirname.end(), ':')); }

}  // namespace

std::string advance_rapl_domain(RaplDomain& d) {
  double raw = 0;
  std::string error;
  if (!read_number(d.dir / "energy_uj", raw, error)) return error;
  if (d.has_last) {
    double delta = raw - d.last_raw_uj;
    if (delta < 0) {
      // The counter wrapped (at most once between reads; the sampler reads far more often than the
      // shortest wrap period of minutes) -- unless the range is unknown or the values lie outside
      // it: then it restarted, and the energy since the last read is unknown.
      if (d.max_range_uj > 0 && d.last_raw_uj <= d.max_range_uj && raw <= d.max_range_uj) {
        delta = (d.max_range_uj - d.last_raw_uj) + raw;
      } else {
        delta = 0;
        ++d.restarts;
      }
    }
    d.accumulated_uj += delta;
  }
  d.last_raw_uj = raw;
  d.has_last = true;
  return {};
}

RaplMeter::RaplMeter(std::string name, std::string kind, std::vector<RaplDomain> domains)
    : domains_(std::move(domains)) {
  status_.name = std::move(name);
  status_.kind = std::move(kind);
  std::vector<std::string> names;
  for (auto& d : domains_) {
    names.push_back(d.name);
    if (std::string err = advance_rapl_domain(d); !err.empty()) throw util::Error(err, util::ErrorKind::kUnavailable);
  }
  status_.device = fmt::format("{}", fmt::join(names, " + "));
  status_.available = true;
}

Reading RaplMeter::energy_joules() {
  std::lock_guard lock(mu_);
  double total_uj = 0;
  unsigned restarts = 0;
  for (auto& d : domains_) {
    if (std::string err = advance_rapl_domain(d); !err.empty()) return Reading::fail(err);
    total_uj += d.accumulated_uj;
    restarts += d.restarts;
  }
  return Reading::ok(total_uj * 1e-6, restarts);
}

nlohmann::json RaplMeter::info() {
  std::lock_guard lock(mu_);
  nlohmann::json domains = nlohmann::json::array();
  for (const auto& d : domains_) {
    domains.push_back({{"name", d.name}, {"path", d.dir.string()}, {"max_energy_range_uj", d.max_range_uj}});
  }
  return {{"meter", status_.name}, {"domains", domains}};
}

std::vector<std::unique_ptr<Meter>> open_rapl_meters(const fs::path& root) {
  std::vector<std::unique_ptr<Meter>> meters;
  std::error_code ec;
  std::vector<fs::path> dirs;
  if (fs::is_directory(root, ec)) {
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      const std::string n = entry.path().filename().string();
      if (n.rfind("intel-rapl:", 0) == 0 || n.rfind("intel-rapl-mmio:", 0) == 0) dirs.push_back(entry.path());
    }
  }
  if (dirs.empty()) {
    meters.push_back(std::make_unique<UnavailableMeter>(
        "rapl", "cpu",
        fmt::format("no RAPL domains under {} (not an Intel/AMD Linux host, or powercap not exposed)", root.string())));
    return meters;
  }
  // Plain intel-rapl before intel-rapl-mmio so a package seen through both is taken from the MSR one.
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    const bool am = a.filename().string().find("mmio") != std::string::npos;
    const bool bm = b.filename().string().find("mmio") != std::string::npos;
    return am != bm ? !am : a.filename() < b.filename();
  });

  std::vector<RaplDomain> packages, drams;
  std::set<std::string> seen;
  std::vector<std::string> problems;
  for (const auto& dir : dirs) {
    RaplDomain d;
    d.dir = dir;
    std::string error;
    if (!read_line(dir / "name", d.name, error)) {
      problems.push_back(error);
      continue;
    }
    if (!read_number(dir / "max_energy_range_uj", d.max_range_uj, error)) d.max_range_uj = 0;
    const bool top = depth_of(dir.filename().string()) == 1;
    const bool is_package = top && d.name.rfind("package", 0) == 0;
    const bool is_dram = d.name == "dram";
    if (!is_package && !is_dram) continue;  // core, uncore (inside package), psys (contains package)
    // Packages are identified by name (package-0 seen via intel-rapl and intel-rapl-mmio is one
    // domain); DRAM domains share the name "dram", so they are identified by their index path.
    const std::string dirname = dir.filename().string();
    const std::string key = is_package ? d.name : "dram@" + dirname.substr(dirname.find(':') + 1);
    if (!seen.insert(key).second) continue;
    (is_package ? packages : drams).push_back(std::move(d));
  }

  auto add = [&](const char* name, const char* kind, std::vector<RaplDomain> domains, const char* what) {
    if (domains.empty()) {
      std::string reason = fmt::format("no {} domain under {}", what, root.string());
      if (!problems.empty()) reason += fmt::format(" ({})", fmt::join(problems, "; "));
      meters.push_back(std::make_unique<UnavailableMeter>(name, kind, reason));
      return;
    }
    try {
      meters.push_back(std::make_unique<RaplMeter>(name, kind, std::move(domains)));
    } catch (const util::Error& e) {
      meters.push_back(std::make_unique<UnavailableMeter>(name, kind, e.what()));
    }
  };
  add("rapl:package", "cpu", std::move(packages), "RAPL package");
  add("rapl:dram", "dram", std::move(drams), "RAPL DRAM");
  return meters;
}

}  // namespace jouleval::energy

#include "energy/external_meter.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "util/error.h"

namespace jouleval::energy {

namespace {

struct PipeCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) pclose(f);
  }
};

// Runs `command` through /bin/sh and returns its standard output; throws on failure.
Reading run_command(const std::string& command) {
  std::fflush(nullptr);
  FILE* raw = popen(command.c_str(), "r");
  if (raw == nullptr)
    return Reading::fail(fmt::format("cannot run external meter command '{}': {}", command, std::strerror(errno)));
  std::unique_ptr<FILE, PipeCloser> pipe(raw);
  std::string out;
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0) out.append(buf, n);
  const int status = pclose(pipe.release());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Reading::fail(fmt::format("external meter command '{}' failed (status {})", command,
                                     WIFEXITED(status) ? WEXITSTATUS(status) : status));
  }
  double joules = 0;
  if (std::string err = parse_joules(out, joules); !err.empty()) {
    return Reading::fail(fmt::format("external meter command '{}': {}", command, err));
  }
  return Reading::ok(joules);
}

Reading read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Reading::fail(fmt::format("cannot read external meter file {}: {}", path, std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  double joules = 0;
  if (std::string err = parse_joules(ss.str(), joules); !err.empty()) {
    return Reading::fail(fmt::format("external meter file {}: {}", path, err));
  }
  return Reading::ok(joules);
}

}  // namespace

std::string parse_joules(const std::string& text, double& joules) {
  const char* p = text.c_str();
  while (*p != '\0' && std::strchr("0123456789+-.", *p) == nullptr) ++p;
  if (*p == '\0') return fmt::format("no number in output '{}'", text.substr(0, 80));
  char* end = nullptr;
  joules = std::strtod(p, &end);
  if (end == p || !std::isfinite(joules)) return fmt::format("no number in output '{}'", text.substr(0, 80));
  return {};
}

ExternalMeter::ExternalMeter(Source source, std::string spec) : source_(source), spec_(std::move(spec)) {
  status_.name = "external";
  status_.kind = "external";
  status_.device = source_ == Source::kCommand ? fmt::format("command: {}", spec_) : fmt::format("file: {}", spec_);
  Reading r = energy_joules();
  if (!r.value) throw util::Error(r.error, util::ExitCode::kUnavailable);
  status_.available = true;
}

Reading ExternalMeter::energy_joules() { return source_ == Source::kCommand ? run_command(spec_) : read_file(spec_); }

nlohmann::json ExternalMeter::info() {
  return {{"meter", "external"}, {source_ == Source::kCommand ? "command" : "file", spec_}};
}

}  // namespace jouleval::energy

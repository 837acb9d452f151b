// libFuzzer harness: the external-meter reader, energy::parse_joules on the text a meter command
// prints or a meter file holds, and an ExternalMeter reading such a file (docs/fuzzing.md).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "energy/external_meter.h"
#include "fuzz_support.h"

using namespace jouleval;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_clean(
      [&] {
        double joules = -1;
        const std::string error = energy::parse_joules(text, joules);
        if (error.empty() && !std::isfinite(joules)) fuzz::finding("parse_joules accepted a non-finite value");
      },
      util::ErrorKind::kFailure, "");
  const std::filesystem::path file = fuzz::write_scratch(data, size, "joules.txt");
  fuzz::expect_clean(
      [&] {
        energy::ExternalMeter meter(energy::ExternalMeter::Source::kFile, file.string());
        const energy::Reading r = meter.energy_joules();
        if (!r.value && r.error.empty()) fuzz::finding("a failed reading without a reason");
        if (r.value && !std::isfinite(*r.value)) fuzz::finding("a non-finite reading");
        (void)meter.info().dump();
      },
      util::ErrorKind::kUnavailable, file.string());
  return 0;
}

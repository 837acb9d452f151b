// Shared pieces of the libFuzzer harnesses (docs/fuzzing.md): what counts as a finding, and a
// scratch file for the readers that take a path.
//
// A harness treats util::Error as the normal rejection of bad input; anything else is a finding:
// another exception, a util::Error with the wrong exit code or a message that does not name the
// input, a sanitizer report, a crash or a timeout. A finding aborts, and libFuzzer keeps the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "util/error.h"

namespace jouleval::fuzz {

// Prints "jouleval fuzz finding: <what>" to stderr and aborts.
[[noreturn]] void finding(std::string_view what);

// Runs fn(). A util::Error is a normal rejection when it carries `code` and its message contains
// `input_name`; any other outcome than success or such a rejection is a finding.
void expect_clean(const std::function<void()>& fn, util::ErrorKind code, std::string_view input_name);

// Writes the input to `file_name` in a scratch directory of this process (in /dev/shm, else $TMPDIR
// or /tmp; removed at exit) and returns its path. Not thread-safe (libFuzzer runs inputs one at a time).
std::filesystem::path write_scratch(const uint8_t* data, size_t size, std::string_view file_name);

}  // namespace jouleval::fuzz

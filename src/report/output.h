// Where `report -o` and `export -o` write (docs/report.md "Opening the database, writing the
// output"): a file is replaced only by a complete new one (util::AtomicFile); a symbolic link is
// followed (the file it names is replaced, the link stays); an existing FIFO or character device
// (a pipe, /dev/stdout on a terminal) is written directly, since it cannot be replaced.
#pragma once

#include <filesystem>
#include <string_view>

namespace jouleval::report {

// Checks, before any work is done, that `path` can be written: util::check_output_path for a file
// (kUsage for a directory, kBadInput for a missing or unwritable directory); an existing FIFO or
// character device only needs to open for writing (kBadInput otherwise). `option` names the
// command-line option for messages ("-o").
void check_output(const std::filesystem::path& path, std::string_view option);

// Writes `text` to `path` as check_output describes. Throws util::Error naming the file: kNoSpace
// for a full disk (an existing file is then left as it was), else kFailure.
void write_output(const std::filesystem::path& path, std::string_view text, std::string_view option);

}  // namespace jouleval::report

// The CSV file of `jouleval meter --csv FILE`: one row per repetition, appended run after run, the
// header written only while the file is empty (docs/energy.md, "CSV (--csv FILE)").
#pragma once

#include <string>
#include <string_view>

namespace jouleval::cli {

// The header line (without its newline): the documented columns, in order.
const std::string& meter_csv_header();

// A CSV field: quoted (quotes doubled) when it holds a comma, a quote, CR or LF; else as it is.
std::string csv_field(std::string_view text);

// Checks, before anything is measured, that rows can be appended to `path`: a new file in an
// existing writable directory, or an existing regular file that is empty or starts with exactly
// meter_csv_header() and ends with a newline. Throws util::Error naming the file: kUsage for a
// directory or something other than a regular file, kBadInput for a missing or unwritable
// directory, another header (an older jouleval, another tool's file) or a file not ending in a line.
void check_meter_csv(const std::string& path);

// Appends `rows` (complete lines), with the header first while the file is empty, holding an
// exclusive lock on the file (flock) so that concurrent meters append whole rows and one header.
// The file is checked again under the lock as check_meter_csv does. A failed write (full disk:
// kNoSpace) truncates the file back to its size before, so no partial row stays; the error names the
// file.
void append_meter_csv(const std::string& path, std::string_view rows);

}  // namespace jouleval::cli

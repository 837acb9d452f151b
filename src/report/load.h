// Reading a results database for the report commands (through store::Store, never creating or
// changing it). Header-only: only the CLI needs it, so the report library's tests link without the
// store code.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <vector>

#include "results/records.h"
#include "store/store.h"
#include "util/error.h"

namespace jouleval::report {

struct Results {
  std::vector<results::Cell> cells;
  std::vector<results::Machine> machines;
};

// Opens `db` read-only (nothing in it changes; an older schema is read as it is), checks its
// integrity (PRAGMA quick_check) before reading anything, then reads its machines and cells. Throws
// util::Error (bad input) naming the file when it does not exist, is not a jouleval results
// database, or is damaged.
inline Results load_results(const std::filesystem::path& db, bool with_items, bool with_timeline) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db, ec))
    throw util::Error(fmt::format("{}: no such results database", db.string()), util::ErrorKind::kBadInput);
  store::Store s(db, {.create = false, .durable = false, .read_only = true});
  s.check_integrity();
  store::CellQuery query;
  query.with_items = with_items;
  query.with_timeline = with_timeline;
  return {s.cells(query), s.machines()};
}

}  // namespace jouleval::report

// Reading a results database for the report commands (through store::Store, never creating it).
// Header-only: only the CLI needs it, so the report library's tests link without the store code.
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

// Throws util::Error (bad input) when the file does not exist.
inline Results load_results(const std::filesystem::path& db, bool with_items, bool with_timeline) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db, ec))
    throw util::Error(fmt::format("{}: no such results database", db.string()), util::ExitCode::kBadInput);
  store::StoreOptions options;
  options.create = false;
  store::Store s(db, options);
  store::CellQuery query;
  query.with_items = with_items;
  query.with_timeline = with_timeline;
  return {s.cells(query), s.machines()};
}

}  // namespace jouleval::report

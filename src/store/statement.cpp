#include "store/statement.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <limits>
#include <utility>

namespace jouleval::store {

Statement::Statement(Database& db, std::string_view sql) : db_(&db), summary_(sql_summary(sql)) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(fmt::format("preparing `{}`", summary_), rc);
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), summary_(std::move(other.summary_)) {}

void Statement::check(int rc, std::string_view what) {
  if (rc != SQLITE_OK) db_->fail(fmt::format("{} `{}`", what, summary_), rc);
}

void Statement::check_fits(uint64_t value) {
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    db_->fail_message(fmt::format("value {} too large to store in `{}`", value, summary_));
  }
}

void Statement::bind(int index, int64_t value) { check(sqlite3_bind_int64(stmt_, index, value), "binding"); }

void Statement::bind(int index, double value) { check(sqlite3_bind_double(stmt_, index, value), "binding"); }

void Statement::bind(int index, std::string_view value) {
  check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), "binding");
}

void Statement::bind_null(int index) { check(sqlite3_bind_null(stmt_, index), "binding"); }

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  db_->fail(fmt::format("executing `{}`", summary_), rc);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::column_text(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::optional<int64_t> Statement::column_optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_int64(column);
}

std::optional<double> Statement::column_optional_double(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_double(column);
}

std::optional<std::string> Statement::column_optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_text(column);
}

}  // namespace jouleval::store

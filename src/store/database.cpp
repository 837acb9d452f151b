#include "store/database.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

#include "util/error.h"

namespace jouleval::store {

namespace {

constexpr int kBusyTimeoutMs = 10000;

util::ErrorKind exit_code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_CANTOPEN:
      return util::ErrorKind::kBadInput;
    case SQLITE_FULL:
      return util::ErrorKind::kNoSpace;
    case SQLITE_NOMEM:
      return util::ErrorKind::kUnavailable;
    default:
      return util::ErrorKind::kFailure;
  }
}

}  // namespace

std::string sql_summary(std::string_view sql) {
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n')) sql.remove_prefix(1);
  std::string_view line = sql.substr(0, sql.find('\n'));
  constexpr size_t kMax = 70;
  if (line.size() > kMax) return std::string(line.substr(0, kMax)) + "...";
  return std::string(line);
}

Database::Database(const std::filesystem::path& file, OpenMode mode) : file_(file) {
  if (mode != OpenMode::kCreate && !std::filesystem::exists(file)) {
    throw util::Error(fmt::format("{}: no such results database", file.string()), util::ErrorKind::kBadInput);
  }
  int flags = (mode == OpenMode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::kCreate) flags |= SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();
    throw util::Error(fmt::format("{}: cannot open results database: {}", file.string(), message), exit_code_for(rc));
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

Database::~Database() { close(); }

Database::Database(Database&& other) noexcept : file_(std::move(other.file_)), db_(std::exchange(other.db_, nullptr)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    close();
    file_ = std::move(other.file_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

void Database::close() noexcept {
  if (db_) sqlite3_close_v2(db_);  // _v2: never fails; finalises lazily if a statement leaked
  db_ = nullptr;
}

void Database::exec(std::string_view sql) {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(fmt::format("executing `{}`", sql_summary(sql)), rc);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

void Database::fail(std::string_view operation, int rc) const {
  const char* message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  if ((rc & 0xff) == SQLITE_NOTADB) {
    throw util::Error(
        fmt::format("{}: not a jouleval results database (not an SQLite file: {})", file_.string(), message),
        util::ErrorKind::kBadInput);
  }
  throw util::Error(fmt::format("{}: {} failed: {}", file_.string(), operation, message), exit_code_for(rc));
}

void Database::fail_message(std::string_view message) const {
  throw util::Error(fmt::format("{}: {}", file_.string(), message), util::ErrorKind::kBadInput);
}

}  // namespace jouleval::store

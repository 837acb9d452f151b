// store::Database: owns one sqlite3 connection to a results file; every SQLite failure becomes a
// util::Error naming the file and the operation that failed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;

namespace jouleval::store {

enum class OpenMode {
  kCreate,    // read-write; create the file if missing
  kExisting,  // read-write; the file must exist
  kReadOnly,  // read-only; the file must exist and is never written (not even its journal mode)
};

class Database {
 public:
  Database(const std::filesystem::path& file, OpenMode mode);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs SQL without results (one or more statements).
  void exec(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  bool in_transaction() const;

  // Throws util::Error "<file>: <operation> failed: <sqlite message>" for the given result code.
  [[noreturn]] void fail(std::string_view operation, int rc) const;
  // Like fail(), with the caller's message instead of SQLite's.
  [[noreturn]] void fail_message(std::string_view message) const;

  const std::filesystem::path& file() const { return file_; }
  sqlite3* handle() const { return db_; }

 private:
  void close() noexcept;

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

// The first line of an SQL text, shortened, for error messages.
std::string sql_summary(std::string_view sql);

}  // namespace jouleval::store

// store::Statement: owns one prepared sqlite3_stmt with typed bind/column helpers; std::optional
// binds as NULL when empty and NULL reads back as an empty optional (never as 0).
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.h"

struct sqlite3_stmt;

namespace jouleval::store {

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQLite.
  void bind(int index, int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, const char* value) { bind(index, std::string_view(value)); }
  void bind(int index, std::nullopt_t) { bind_null(index); }
  void bind_null(int index);
  template <std::integral T>
  void bind(int index, T value) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(int64_t)) check_fits(value);
    bind(index, static_cast<int64_t>(value));
  }
  template <class T>
  void bind(int index, const std::optional<T>& value) {
    if (value)
      bind(index, *value);
    else
      bind_null(index);
  }
  // Binds the arguments to parameters 1..N.
  template <class... Args>
  Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // Advances: true when a row is available, false when done.
  bool step();
  // Steps a statement that returns no row (INSERT/UPDATE/DELETE), then resets it for reuse.
  void run();
  // Resets to run again and clears the bindings.
  void reset();

  bool is_null(int column) const;
  int64_t column_int64(int column) const;
  double column_double(int column) const;
  bool column_bool(int column) const { return column_int64(column) != 0; }
  std::string column_text(int column) const;
  std::optional<int64_t> column_optional_int64(int column) const;
  std::optional<double> column_optional_double(int column) const;
  std::optional<std::string> column_optional_text(int column) const;

 private:
  void check(int rc, std::string_view what);
  void check_fits(uint64_t value);

  Database* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string summary_;
};

}  // namespace jouleval::store

#include "store/transaction.h"

#include <fmt/format.h>

namespace jouleval::store {

Transaction::Transaction(Database& db) : db_(db) {
  if (db_.in_transaction()) {
    savepoint_ = fmt::format("jouleval_sp_{}", static_cast<const void*>(this));
    db_.exec(fmt::format("SAVEPOINT \"{}\"", savepoint_));
  } else {
    db_.exec("BEGIN IMMEDIATE");
  }
}

Transaction::~Transaction() {
  if (done_) return;
  try {
    if (savepoint_.empty()) {
      if (db_.in_transaction()) db_.exec("ROLLBACK");
    } else {
      db_.exec(fmt::format("ROLLBACK TO \"{}\"; RELEASE \"{}\"", savepoint_, savepoint_));
    }
  } catch (...) {
    // A failed rollback leaves nothing to do here: SQLite rolls back an open transaction on close.
  }
}

void Transaction::commit() {
  db_.exec(savepoint_.empty() ? std::string("COMMIT") : fmt::format("RELEASE \"{}\"", savepoint_));
  done_ = true;
}

}  // namespace jouleval::store

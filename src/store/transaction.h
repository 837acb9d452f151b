// store::Transaction: one atomic unit of writes. BEGIN IMMEDIATE at construction (a SAVEPOINT when
// already inside a transaction, so units nest); rolled back by the destructor unless commit() ran.
#pragma once

#include <string>

#include "store/database.h"

namespace jouleval::store {

class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  std::string savepoint_;  // empty for a top-level transaction
  bool done_ = false;
};

}  // namespace jouleval::store

// The RAII wrappers: Statement binding (optional -> NULL), Transaction rollback and nesting, and
// error messages naming the file and the failing operation.
#include <gtest/gtest.h>

#include "store/database.h"
#include "store/statement.h"
#include "store/transaction.h"
#include "store_test_util.h"
#include "util/error.h"

namespace jouleval::store {
namespace {

class store_wrappers : public test_util::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    db_.emplace(path("w.db"), OpenMode::kCreate);
    db_->exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT)");
  }
  int64_t count() {
    Statement st(*db_, "SELECT count(*) FROM t");
    st.step();
    return st.column_int64(0);
  }
  std::optional<Database> db_;
};

TEST_F(store_wrappers, OptionalBindsNullAndReadsBackAbsent) {
  Statement insert(*db_, "INSERT INTO t VALUES (?, ?, ?)");
  insert.bind_all(std::optional<int64_t>{}, std::optional<double>{}, std::optional<std::string>{}).run();
  insert.bind_all(std::optional<int64_t>{0}, std::optional<double>{0.0}, std::optional<std::string>{""}).run();
  Statement select(*db_, "SELECT i, d, s FROM t ORDER BY rowid");
  ASSERT_TRUE(select.step());
  EXPECT_FALSE(select.column_optional_int64(0).has_value());
  EXPECT_FALSE(select.column_optional_double(1).has_value());
  EXPECT_FALSE(select.column_optional_text(2).has_value());
  ASSERT_TRUE(select.step());
  EXPECT_EQ(select.column_optional_int64(0), 0);
  EXPECT_EQ(select.column_optional_double(1), 0.0);
  EXPECT_EQ(select.column_optional_text(2), "");
  EXPECT_FALSE(select.step());
}

TEST_F(store_wrappers, UnsignedTooLargeIsAnError) {
  Statement insert(*db_, "INSERT INTO t (i) VALUES (?)");
  EXPECT_THROW(insert.bind(1, std::numeric_limits<uint64_t>::max()), util::Error);
  insert.bind(1, uint64_t{1} << 62);
  insert.run();
}

TEST_F(store_wrappers, TransactionRollsBackUnlessCommitted) {
  {
    Transaction tx(*db_);
    db_->exec("INSERT INTO t (i) VALUES (1)");
  }
  EXPECT_EQ(count(), 0);
  EXPECT_FALSE(db_->in_transaction());
  {
    Transaction tx(*db_);
    db_->exec("INSERT INTO t (i) VALUES (1)");
    tx.commit();
  }
  EXPECT_EQ(count(), 1);
}

TEST_F(store_wrappers, NestedTransactionUsesSavepoint) {
  Transaction outer(*db_);
  db_->exec("INSERT INTO t (i) VALUES (1)");
  {
    Transaction inner(*db_);
    db_->exec("INSERT INTO t (i) VALUES (2)");
  }  // inner rolled back only
  {
    Transaction inner(*db_);
    db_->exec("INSERT INTO t (i) VALUES (3)");
    inner.commit();
  }
  EXPECT_TRUE(db_->in_transaction());
  outer.commit();
  Statement st(*db_, "SELECT group_concat(i) FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_text(0), "1,3");
}

TEST_F(store_wrappers, ErrorsNameFileAndOperation) {
  try {
    Statement st(*db_, "SELECT nope FROM t");
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path("w.db").string()), std::string::npos) << message;
    EXPECT_NE(message.find("preparing `SELECT nope FROM t`"), std::string::npos) << message;
    EXPECT_NE(message.find("no such column"), std::string::npos) << message;
  }
  db_->exec("CREATE TABLE u (x INTEGER NOT NULL)");
  Statement insert(*db_, "INSERT INTO u (x) VALUES (?)");
  insert.bind_null(1);
  try {
    insert.run();
    FAIL() << "expected an error";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("executing `INSERT INTO u"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NOT NULL"), std::string::npos) << e.what();
  }
}

TEST_F(store_wrappers, MovedDatabaseStillWorks) {
  Database moved = std::move(*db_);
  moved.exec("INSERT INTO t (i) VALUES (5)");
  EXPECT_EQ(moved.changes(), 1);
}

}  // namespace
}  // namespace jouleval::store

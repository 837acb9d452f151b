// The versioned SQL schema of a results database: creating it in a new file and checking that an
// existing file is a jouleval database of the supported version.
#pragma once

#include "store/database.h"

namespace jouleval::store {

// Bumped whenever a table or column changes. Version 1 files are upgraded in place on open
// (upgrade_schema); files of any other version are refused.
inline constexpr int kSchemaVersion = 2;
// PRAGMA application_id of a results database ("JOUL").
inline constexpr int kApplicationId = 0x4A4F554C;

// Checks the file's schema without writing. Returns true when the file is empty and `create` is
// set (call create_schema() then). Throws util::Error (kBadInput) for a non-SQLite file, an empty
// file when !create, a foreign SQLite file or another schema version.
bool check_schema(Database& db, bool create);

// Creates every table and the meta rows, in one transaction (a no-op if another process won).
void create_schema(Database& db);

// Brings a version 1 file to the current version in one transaction (v2 added repetitions.passes,
// 1 for every stored repetition). A no-op for a current file.
void upgrade_schema(Database& db);

// Applies the connection settings: WAL journal, synchronous FULL (durable) or NORMAL, foreign keys.
void configure_connection(Database& db, bool durable);

}  // namespace jouleval::store

// The versioned SQL schema of a results database: creating it in a new file, checking that an
// existing file is a jouleval database of a supported version, and upgrading older versions.
#pragma once

#include "store/database.h"

namespace jouleval::store {

// Bumped whenever a table or column changes (docs/store.md "Schema"). Files of versions
// kOldestReadableVersion .. kSchemaVersion - 1 are read as they are by read-only commands and
// upgraded in place when opened for writing; files of any other version are refused.
inline constexpr int kSchemaVersion = 9;
inline constexpr int kOldestReadableVersion = 1;
// PRAGMA application_id of a results database ("JOUL").
inline constexpr int kApplicationId = 0x4A4F554C;

// PRAGMA user_version of the open file.
int schema_version(Database& db);

// Checks the file's schema without writing. Returns true when the file is empty and `create` is
// set (call create_schema() then). Throws util::Error (kBadInput) for a non-SQLite file, an empty
// file when !create, a foreign SQLite file or an unsupported schema version.
bool check_schema(Database& db, bool create);

// Creates every table and the meta rows, in one transaction (a no-op if another process won).
void create_schema(Database& db);

// Brings an older file to the current version in one transaction: v2 added repetitions.passes (1
// for every stored repetition); v3 made the whole cell identity the cells' key (fields an older file
// lacks are "not recorded"), added the versions to repetitions and the claims table; v4 added
// repetitions.peak_rss_bytes (NULL: not recorded); v5 added the phase_energy table (empty for stored
// repetitions); v6 the request_latency table; v7 the cells' arrival_rate, part of their key (0, a
// closed loop, for stored cells); v8 cells.endpoint_api in the cells' key ('completions' for stored
// endpoint cells, '' for the others); v9 cells.fewshot_sampler in the cells' key ('lm-eval' for
// stored cells). A no-op for a current file.
void upgrade_schema(Database& db);

// Applies the connection settings: WAL journal, synchronous FULL (durable) or NORMAL, foreign keys.
void configure_connection(Database& db, bool durable);
// A read-only connection: nothing is changed in the file (not even the journal mode).
void configure_read_only_connection(Database& db);

}  // namespace jouleval::store

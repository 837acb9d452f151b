// How the report layer tells rows apart (docs/report.md "How rows are identified"): machine labels
// unique among the machines shown, the identity fields that distinguish a set of rows, labels made
// of them, and the versions a cell's repetitions ran on. Built on results/identity.h.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "results/identity.h"
#include "results/records.h"

namespace jouleval::report {

// The workload fields of an identity (what was asked of the model); the others describe the
// configuration that answered (machine, model, precision, KV type, placement, engine settings).
const std::vector<std::string>& workload_keys();
// The hash fields: shown only when the other fields leave two rows alike.
bool is_hash_key(const std::string& key);

// "hostname / GPU name" (the CPU model without a GPU; the id without either): not unique by itself.
std::string machine_base_label(const results::Machine& machine);

// Machine id -> label unique among `machines` and the extra ids (machines referenced by cells but
// not recorded): "hostname / GPU name" (the CPU model without a GPU); machines sharing that text get
// " [id]" with the shortest id prefix (at least 8 characters) that tells them apart; an unrecorded
// machine is labelled by its id.
std::map<std::string, std::string> machine_labels(const std::vector<results::Machine>& machines,
                                                  const std::vector<std::string>& extra_ids = {});

// The keys of the identity fields that tell `rows` apart (each row from results::identity_fields),
// in field order: the keys of `always`, then every field that varies among the rows, except those
// in `leave_out` and the hashes; model_sha256, then file_sha256 are added only when the others leave
// two rows with the same label.
std::vector<std::string> distinguishing_fields(const std::vector<std::vector<results::IdentityField>>& rows,
                                               const std::vector<std::string>& always = {},
                                               const std::vector<std::string>& leave_out = {});

// results::identity_label of `keys`, hashes shortened to their first 12 characters.
std::string row_label(const std::vector<results::IdentityField>& fields, const std::vector<std::string>& keys);

// The value of `key` among `fields` ("" when absent).
std::string field_value(const std::vector<results::IdentityField>& fields, const std::string& key);

// The jouleval and llama.cpp versions a cell's repetitions ran on.
struct CellVersions {
  std::string jouleval;  // the distinct values, "; "-joined, in repetition order ("" = not recorded)
  std::string llama;
  std::string mixed;  // "mixed versions: jouleval 0.4.0 (rep 0), 0.5.0 (reps 1, 2); llama.cpp ..." or ""
};
CellVersions cell_versions(const std::vector<results::Repetition>& repetitions);

}  // namespace jouleval::report

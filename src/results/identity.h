// A cell's identity as fields: for labels that tell cells apart, for "the same cell except one
// axis" (precision comparisons, fidelity references) and for the one JSON form of a cell's identity
// and of a per-item record (`run --json`, `--log-items`, `export --items --format jsonl`).
// docs/report.md "How rows are identified" explains how outputs use them.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "results/records.h"

namespace jouleval::results {

// One field of a cell's identity.
struct IdentityField {
  std::string key;    // machine-readable name: machine, model, model_sha256, file_sha256, precision, kv,
                      // placement, task, limit, shots, preset, seed, sampler (the few-shot
                      // sampler), ctx, batch, ubatch, lanes,
                      // parallel, flash_attn, threads, arrival_rate, api (an endpoint cell's
                      // generation API)
  std::string value;  // text form; "not recorded" for a value an old database lacks; arrival_rate:
                      // "4/s", or "closed loop" for 0 (left out of labels); api is "" for
                      // in-process cells
};

// Every identity field of a cell, in the order above. `machine` is how the caller names the machine
// (its id, or a label that is unique among the cells shown).
std::vector<IdentityField> identity_fields(const std::string& machine, const CellKey& key);

// The axes a comparison can vary.
enum class Axis { kMachine, kModel, kPrecision, kKvType, kPlacement, kTask, kLimit, kShots };

// Every identity field except those of `axis`, as one text: two cells with equal texts are the same
// cell except for `axis`. Excepting the precision also excepts the evaluated file's hash (it follows
// the precision); excepting the model excepts both hashes.
std::string identity_except(const std::string& machine, const CellKey& key, Axis axis);

// The keys of the fields whose value is not the same in every one of `cells` (each from
// identity_fields), in field order.
std::vector<std::string> varying_fields(const std::vector<std::vector<IdentityField>>& cells);

// "value · value · key=value ..." made of the fields named in `keys` (model, precision, task,
// placement and machine values bare; others as key=value), in field order. An arrival_rate of 0
// (closed loop) and empty values (an in-process cell's api) are left out.
std::string identity_label(const std::vector<IdentityField>& fields, const std::vector<std::string>& keys);

// The identity as a JSON object (numbers as numbers, "not recorded" values as null).
nlohmann::ordered_json identity_json(const std::string& machine, const CellKey& key);

// The one JSON form of a scored item: {"cell": identity_json, "item_id", "correct", "record"}.
// `record` is the item's full record (ItemRecord::json); an unparsable record is kept as a string.
nlohmann::ordered_json item_json(const std::string& machine, const CellKey& key, const ItemRecord& item);

}  // namespace jouleval::results

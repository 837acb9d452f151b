// The record kept beside a quantized model file: what it was made from. One definition for the
// files the sweep makes (prepare_precision) and those `jouleval quantize` makes, so that a file made
// the same way has the same identity whichever command made it (docs/sweep.md "Quantized files").
//
// Format: `<file>.source.json`, a JSON object
//   {"source": "q7b.gguf",            file name of the model it was quantized from
//    "source_sha256": "…",            SHA-256 of that model's content
//    "type": "Q8_0",                  GGUF type the file was made at
//    "sha256": "…",                   SHA-256 of the file as made
//    "stamp": "SIZE SEC.NSEC INODE",  size, modification time and inode of the file as made
//    "jouleval_version": "…", "llama_cpp_revision": "…"}
// It is written after the file is complete (a killed quantization leaves no record) and describes the
// file only while the file's stamp and hash are still the recorded ones.
//
// Not thread-safe across processes by itself: writers of the same file take turns (a file lock in
// the sweep; one command line for `quantize`).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace jouleval::sweep {

struct MadeFrom {
  std::string source;  // file name of the source ("q7b.gguf")
  std::string source_sha256;
  std::string type;    // GGUF type name of the made file ("Q8_0")
  std::string sha256;  // of the made file as made
  std::string stamp;   // file_stamp() of the made file as made
};

// Size, modification time (ns) and inode of `file` as one string; "" when it cannot be stat'ed.
std::string file_stamp(const std::filesystem::path& file);

// `<file>.source.json`.
std::filesystem::path made_from_path(const std::filesystem::path& file);

// The record of `file`; nullopt when there is none. Throws util::Error (kBadInput) naming the
// record file when it cannot be read, is not JSON or lacks one of the fields above (or one is not a
// string).
std::optional<MadeFrom> read_made_from(const std::filesystem::path& file);

// Writes the record of `file`, just made from `source` (whose content hashes to `source_sha256`) at
// GGUF type `type`: hashes and stamps `file` as it is now and replaces any record atomically. Returns
// the record. Throws util::Error naming the file (kNoSpace for a full disk).
MadeFrom write_made_from(const std::filesystem::path& file, const std::filesystem::path& source,
                         const std::string& source_sha256, const std::string& type);

// Removes the record of `file`, if any (before the file is replaced: the old record describes the
// old file). Never throws.
void remove_made_from(const std::filesystem::path& file);

// The identity a model file carries into a cell.
struct SourceIdentity {
  std::string label;   // the source's stem ("q7b"), the name the sweep gives a model file
  std::string sha256;  // the source's content hash
  MadeFrom record;
};

// What the record of `file` says about its identity, given `file_sha256` (the hash of `file` as it is
// now). Returns the source's identity when the record exists and its sha256 is the file's (the content
// decides: a copy keeps the identity; the stamp only spares the sweep's model cache a hash);
// nullopt otherwise, the file being its own model. `note` is set to one line naming the file when a
// record exists but is ignored (unreadable, malformed, or the file was changed or replaced since it
// was made); it is left empty otherwise. Never throws.
std::optional<SourceIdentity> source_identity(const std::filesystem::path& file, const std::string& file_sha256,
                                              std::string& note);

// source_identity without hashing `file` (`sweep --dry-run`): the record's stamp stands in for the
// content hash. A record whose stamp is not the file's (a copy, or a changed file) gives nullopt and
// a `note` saying that the hash decides at run time. Never throws.
std::optional<SourceIdentity> source_identity_by_stamp(const std::filesystem::path& file, std::string& note);

}  // namespace jouleval::sweep

#include "sweep/model_source.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"
#include "util/build_info.h"
#include "util/error.h"
#include "util/file_hash.h"
#include "util/json_text.h"

namespace jouleval::sweep {

namespace fs = std::filesystem;
using util::Error;
using util::ErrorKind;

std::string file_stamp(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "";
  return fmt::format("{} {}.{:09} {}", static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                     static_cast<long>(st.st_mtim.tv_nsec), static_cast<unsigned long long>(st.st_ino));
}

fs::path made_from_path(const fs::path& file) { return file.string() + ".source.json"; }

std::optional<MadeFrom> read_made_from(const fs::path& file) {
  const fs::path path = made_from_path(file);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  if (!fs::is_regular_file(path, ec))
    throw Error(fmt::format("{}: not a regular file", path.string()), ErrorKind::kBadInput);
  std::ifstream in(path, std::ios::binary);
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad() || !in.is_open()) throw Error(fmt::format("{}: cannot be read", path.string()), ErrorKind::kBadInput);
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    throw Error(fmt::format("{}: not a JSON object", path.string()), ErrorKind::kBadInput);
  MadeFrom made;
  for (auto [field, value] : {std::pair{"source", &made.source},
                              {"source_sha256", &made.source_sha256},
                              {"type", &made.type},
                              {"sha256", &made.sha256},
                              {"stamp", &made.stamp}}) {
    auto it = j.find(field);
    if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
      throw Error(fmt::format("{}: field '{}' missing or not a non-empty string", path.string(), field),
                  ErrorKind::kBadInput);
    *value = it->get<std::string>();
  }
  return made;
}

MadeFrom write_made_from(const fs::path& file, const fs::path& source, const std::string& source_sha256,
                         const std::string& type) {
  MadeFrom made{source.filename().string(), source_sha256, type, util::sha256_file(file, /*use_cache=*/false),
                file_stamp(file)};
  const nlohmann::json record = {{"source", made.source},
                                 {"source_sha256", made.source_sha256},
                                 {"type", made.type},
                                 {"sha256", made.sha256},
                                 {"stamp", made.stamp},
                                 {"jouleval_version", util::build::kVersion},
                                 {"llama_cpp_revision", util::build::kLlamaRevision}};
  util::write_file_atomically(made_from_path(file), util::json_text(record, 2) + "\n", util::Existing::kReplace,
                              "quantized model record");
  return made;
}

void remove_made_from(const fs::path& file) {
  std::error_code ec;
  fs::remove(made_from_path(file), ec);
}

namespace {

// The record of `file` for an identity: nullopt with `note` set when it cannot be read.
std::optional<MadeFrom> read_record(const fs::path& file, std::string& note) {
  note.clear();
  try {
    return read_made_from(file);
  } catch (const std::exception& e) {
    note = fmt::format("{}: record ignored ({}): the file is its own model", file.string(), e.what());
    return std::nullopt;
  }
}

// What the record `made` of `file` says, given `file_sha256` (source_identity).
std::optional<SourceIdentity> identity_from(const fs::path& file, const MadeFrom& made, const std::string& file_sha256,
                                            std::string& note) {
  const std::string label = fs::path(made.source).filename().stem().string();
  // The content decides (a copy of the file, with a new inode and time, is still what was made); the
  // stamp only saves the sweep's model cache a hash.
  if (made.sha256 != file_sha256) {
    note = fmt::format(
        "{}: changed or replaced since it was quantized from {} ({} does not match it): the file is "
        "its own model",
        file.string(), made.source, made_from_path(file).filename().string());
    return std::nullopt;
  }
  if (label.empty()) {
    note = fmt::format("{}: record ignored ({}: field 'source' names no file): the file is its own model",
                       file.string(), made_from_path(file).string());
    return std::nullopt;
  }
  return SourceIdentity{label, made.source_sha256, made};
}

}  // namespace

std::optional<SourceIdentity> source_identity(const fs::path& file, const std::string& file_sha256, std::string& note) {
  const std::optional<MadeFrom> made = read_record(file, note);
  if (!made) return std::nullopt;
  return identity_from(file, *made, file_sha256, note);
}

std::optional<SourceIdentity> source_identity_by_stamp(const fs::path& file, std::string& note) {
  const std::optional<MadeFrom> made = read_record(file, note);
  if (!made) return std::nullopt;
  if (made->stamp != file_stamp(file)) {
    note = fmt::format(
        "{}: its record says it was quantized from {}: stored as that model if the file's content still matches "
        "the record (hashed at run time)",
        file.filename().string(), made->source);
    return std::nullopt;
  }
  return identity_from(file, *made, made->sha256, note);  // the stamp stands in for the hash
}

}  // namespace jouleval::sweep

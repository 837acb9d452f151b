#include "tasks/json_fields.h"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

namespace jouleval::tasks {

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

namespace {

// Thrown from the parser callback when an object repeats a key; turned into a bad-input error.
struct DuplicateKey {
  std::string field;  // path of the repeated key, e.g. mc1_targets["Yes"]
  std::string key;
  size_t ordinal = 0;  // the repeat is the ordinal-th key of the text (0-based, document order)
  size_t first_ordinal = 0;
};

// A key in a field path: name if it is a plain identifier, else ["..."] (JSON string syntax).
std::string key_path(std::string_view parent, const std::string& key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
  if (plain) return join_path(parent, key);
  return fmt::format("{}[{}]", parent, excerpt(nlohmann::json(key).dump()));
}

// Parser callback that tracks the open objects and arrays and throws DuplicateKey on a repeated key
// (nlohmann::json itself keeps the last value silently). Memory is linear in the nesting depth: the
// path for the message is built only when a repeat is found.
template <typename Json>
class DuplicateKeyCheck {
 public:
  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, Json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        count_element();
        frames_.emplace_back();
        frames_.back().is_object = event == E::object_start;
        break;
      case E::object_end:
      case E::array_end:
        frames_.pop_back();
        break;
      case E::key: {
        Frame& f = frames_.back();
        f.key = parsed.template get<std::string>();
        auto [it, inserted] = f.keys.emplace(f.key, n_keys_);
        if (!inserted) throw DuplicateKey{key_path(parent_path(), f.key), f.key, n_keys_, it->second};
        ++n_keys_;
        break;
      }
      case E::value:
        count_element();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_object = false;
    std::unordered_map<std::string, size_t> keys;  // objects: key -> its ordinal in the text
    std::string key;                               // objects: the last key read
    size_t n_elements = 0;                         // arrays: elements started so far
  };

  void count_element() {
    if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().n_elements;
  }

  // Path of the innermost open object or array, e.g. "[3].mc1_targets".
  std::string parent_path() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      path = f.is_object ? key_path(path, f.key) : fmt::format("{}[{}]", path, f.n_elements - 1);
    }
    return path;
  }

  std::vector<Frame> frames_;
  size_t n_keys_ = 0;
};

// Byte offset of each object key of JSON `text` in document order (the opening quote of every string
// followed by ':'), which is the order in which the parser reports keys.
std::vector<size_t> key_offsets(std::string_view text) {
  std::vector<size_t> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '"') {
      ++i;
      continue;
    }
    const size_t start = i++;
    while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    ++i;
    size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r')) ++j;
    if (j < text.size() && text[j] == ':') out.push_back(start);
  }
  return out;
}

int line_of_key(std::string_view text, const SourcePos& pos, size_t ordinal) {
  std::vector<size_t> offsets = key_offsets(text);
  if (ordinal >= offsets.size()) return pos.line;
  auto end = text.begin() + static_cast<std::ptrdiff_t>(offsets[ordinal]);
  return pos.line + static_cast<int>(std::count(text.begin(), end, '\n'));
}

}  // namespace

template <typename Json>
Json parse_json_text(std::string_view text, const SourcePos& pos) {
  try {
    DuplicateKeyCheck<Json> check;
    return Json::parse(text.begin(), text.end(), std::ref(check));
  } catch (const DuplicateKey& d) {
    throw_bad_input({pos.source, line_of_key(text, pos, d.ordinal)}, d.field,
                    fmt::format("duplicate key {} (first on line {}); a key may appear only once in a JSON object",
                                excerpt(nlohmann::json(d.key).dump()), line_of_key(text, pos, d.first_ordinal)));
  } catch (const nlohmann::json::parse_error& e) {
    size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    byte = std::min(byte, text.size());
    int line =
        pos.line + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the readable part.
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw_bad_input({pos.source, line}, "", fmt::format("invalid JSON: {}", excerpt(what, 300)));
  } catch (const nlohmann::json::exception& e) {
    // Anything else the JSON reader refuses (a number beyond double range: out_of_range 406) is bad
    // input too; the exception carries no position, so the record's first line is named.
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw_bad_input(pos, "", fmt::format("invalid JSON: {}", excerpt(what, 300)));
  }
}

template <typename Json>
const Json& require_field(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path) {
  if (!obj.is_object()) throw_bad_input(pos, path.empty() ? "<record>" : path, "expected a JSON object");
  auto it = obj.find(std::string(key));
  if (it == obj.end()) throw_bad_input(pos, join_path(path, key), "missing");
  return *it;
}

template <typename Json>
std::string require_string(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path) {
  const Json& v = require_field(obj, key, pos, path);
  if (!v.is_string())
    throw_bad_input(pos, join_path(path, key), fmt::format("expected a string, got {}", v.type_name()));
  return v.template get<std::string>();
}

template <typename Json>
const Json& require_array(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path) {
  const Json& v = require_field(obj, key, pos, path);
  if (!v.is_array())
    throw_bad_input(pos, join_path(path, key), fmt::format("expected an array, got {}", v.type_name()));
  return v;
}

template <typename Json>
const Json& require_object(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path) {
  const Json& v = require_field(obj, key, pos, path);
  if (!v.is_object())
    throw_bad_input(pos, join_path(path, key), fmt::format("expected an object, got {}", v.type_name()));
  return v;
}

#define JOULEVAL_INSTANTIATE(J)                                                                           \
  template J parse_json_text<J>(std::string_view, const SourcePos&);                                      \
  template const J& require_field<J>(const J&, std::string_view, const SourcePos&, std::string_view);     \
  template std::string require_string<J>(const J&, std::string_view, const SourcePos&, std::string_view); \
  template const J& require_array<J>(const J&, std::string_view, const SourcePos&, std::string_view);     \
  template const J& require_object<J>(const J&, std::string_view, const SourcePos&, std::string_view);
JOULEVAL_INSTANTIATE(nlohmann::json)
JOULEVAL_INSTANTIATE(nlohmann::ordered_json)
#undef JOULEVAL_INSTANTIATE

}  // namespace jouleval::tasks

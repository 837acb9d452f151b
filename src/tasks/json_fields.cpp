#include "tasks/json_fields.h"

#include <algorithm>

#include <fmt/format.h>

namespace jouleval::tasks {

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

template <typename Json>
Json parse_json_text(std::string_view text, const SourcePos& pos) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    byte = std::min(byte, text.size());
    int line =
        pos.line + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the readable part.
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    throw_bad_input({pos.source, line}, "", fmt::format("invalid JSON: {}", what));
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

// Typed access to fields of parsed JSON records that throws a bad-input error naming the file, line
// and field on a missing field or wrong type.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tasks/source.h"

namespace jouleval::tasks {

// Parses one JSON value (a JSONL line or a whole file); a syntax error becomes a bad-input error at
// the line of the failure (pos.line is the line the text starts on). A key repeated in one object is
// an error too, naming the lines of both (nlohmann::json would keep the last value silently).
template <typename Json = nlohmann::json>
Json parse_json_text(std::string_view text, const SourcePos& pos);

// obj[key], which must exist; obj must be an object.
template <typename Json>
const Json& require_field(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path = "");

// obj[key] as a string / array / object (error if missing or of another type).
template <typename Json>
std::string require_string(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path = "");
template <typename Json>
const Json& require_array(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path = "");
template <typename Json>
const Json& require_object(const Json& obj, std::string_view key, const SourcePos& pos, std::string_view path = "");

// Joins a field path for messages: join_path("question", "stem") = "question.stem".
std::string join_path(std::string_view parent, std::string_view key);

}  // namespace jouleval::tasks

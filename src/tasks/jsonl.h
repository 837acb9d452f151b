// Iterates over the records of a JSON Lines text, parsing each non-blank line with its line number.
#pragma once

#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tasks/source.h"

namespace jouleval::tasks {

// Validates UTF-8, then calls fn(record, pos) for every non-blank line. Syntax errors throw a
// bad-input error naming the line.
void for_each_jsonl_record(std::string_view text, std::string_view source,
                           const std::function<void(const nlohmann::json&, const SourcePos&)>& fn);

}  // namespace jouleval::tasks

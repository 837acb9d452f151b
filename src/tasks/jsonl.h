// Iterates over the records of a JSON Lines text, parsing each non-blank line with its line number.
#pragma once

#include <functional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tasks/source.h"

namespace jouleval::tasks {

// Checks the whole text (check_file_text: UTF-8, no NUL, a byte order mark only at the very start),
// then calls fn(record, pos) for every non-blank line. A line that is not one JSON object (syntax
// error, another type, a repeated key) or begins with a byte order mark throws a bad-input error
// naming the line.
void for_each_jsonl_record(std::string_view text, std::string_view source,
                           const std::function<void(const nlohmann::json&, const SourcePos&)>& fn);

}  // namespace jouleval::tasks

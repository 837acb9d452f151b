// Serialises JSON that may hold model output. A model (above all a random-weight one) can emit token
// pieces that are not valid UTF-8; nlohmann::json refuses to dump those, so invalid bytes are
// replaced by U+FFFD instead of failing a measured cell.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace jouleval::util {

// Works for nlohmann::json and nlohmann::ordered_json (key order kept).
template <typename Json>
std::string json_text(const Json& j, int indent = -1) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace jouleval::util

#include "tasks/jsonl.h"

#include "tasks/hellaswag_text.h"
#include "tasks/json_fields.h"

namespace jouleval::tasks {

void for_each_jsonl_record(std::string_view text, std::string_view source,
                           const std::function<void(const nlohmann::json&, const SourcePos&)>& fn) {
  require_utf8(text, source);
  for_each_line(text, [&](int line_no, std::string_view line) {
    if (strip_ascii(line).empty()) return;
    SourcePos pos{source, line_no};
    nlohmann::json record = parse_json_text<nlohmann::json>(line, pos);
    if (!record.is_object()) throw_bad_input(pos, "", "expected a JSON object per line");
    fn(record, pos);
  });
}

}  // namespace jouleval::tasks

#include "tasks/jsonl.h"

#include "tasks/hellaswag_text.h"
#include "tasks/input_checks.h"
#include "tasks/json_fields.h"

namespace jouleval::tasks {

void for_each_jsonl_record(std::string_view text, std::string_view source,
                           const std::function<void(const nlohmann::json&, const SourcePos&)>& fn) {
  text = check_file_text(text, source);
  for_each_line(text, [&](int line_no, std::string_view line) {
    SourcePos pos{source, line_no};
    // nlohmann skips a byte order mark at the start of each parse, i.e. of every line here.
    if (line.starts_with(kUtf8Bom)) {
      throw_bad_input(pos, "",
                      "line begins with U+FEFF (a byte order mark is allowed only at the start of the file; "
                      "was a file appended to another?)");
    }
    if (strip_ascii(line).empty()) return;
    nlohmann::json record = parse_json_text<nlohmann::json>(line, pos);
    if (!record.is_object()) throw_bad_input(pos, "", "expected a JSON object per line");
    fn(record, pos);
  });
}

}  // namespace jouleval::tasks

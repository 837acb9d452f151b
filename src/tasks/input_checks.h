// Checks shared by the dataset parsers (docs/tasks.md "Malformed data" and "Limits"): the whole
// file before parsing, each text field, each item's size, the item ids of a file, and that a file
// holds at least one item. Every check throws util::Error(ErrorKind::kBadInput) naming the source,
// the line (when there is one) and the field. Not thread-safe per ItemIds object; the functions are.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tasks/source.h"

namespace jouleval::tasks {

// Most bytes of one text field (a question, choice, ending, answer or id). The largest field of the
// real benchmark files is 4,699 bytes (an MMLU college_medicine question); see docs/tasks.md "Limits".
inline constexpr size_t kMaxFieldBytes = 64 * 1024;
// Most bytes of all text fields of one item together (question and every choice).
inline constexpr size_t kMaxItemBytes = 256 * 1024;

// UTF-8 encoding of U+FEFF (byte order mark / zero-width no-break space).
inline constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Whole-file checks before any parsing: valid UTF-8 and no NUL byte (naming the line of the first
// offender). Returns `text` without a byte order mark at its very start, the only place one is skipped.
std::string_view check_file_text(std::string_view text, std::string_view source);

// True if valid UTF-8 `text` holds only white space (Unicode White_Space, e.g. U+00A0, U+3000) and
// invisible format characters (U+200B..U+200D, U+2060, U+FEFF), or nothing.
bool is_blank(std::string_view text);

enum class Blank { kReject, kAllow };

// Checks one text field of an item: at most kMaxFieldBytes, no U+0000, not beginning with U+FEFF
// (what joining files or some editors leave; inside the text U+FEFF is kept), and not blank unless
// `blank` is kAllow.
void check_text_field(const SourcePos& pos, std::string_view field, std::string_view text,
                      Blank blank = Blank::kReject);

// Throws when the text fields of one item total more than kMaxItemBytes.
void check_item_bytes(const SourcePos& pos, size_t bytes);

// Throws "no items" naming `source` when a parsed file has none (an empty file, only blank lines, `[]`).
void require_items(size_t n_items, std::string_view source);

// The item ids of one file: add() throws naming both lines when an id comes a second time (ids key
// the per-item results, so a repeat would fail only after the whole run).
class ItemIds {
 public:
  void add(const std::string& id, const SourcePos& pos, std::string_view field);

 private:
  std::unordered_map<std::string, int> first_line_;
};

}  // namespace jouleval::tasks

#include "tasks/llama_mc_file.h"

#include <cstdint>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/json_text.h"

namespace jouleval::tasks {
namespace {

[[noreturn]] void bad_item(size_t index, const ChoiceItem& item, std::string_view field, std::string_view problem) {
  throw util::Error(fmt::format("item {} (id '{}'): field '{}': {}", index, item.id, field, problem),
                    util::ErrorKind::kBadInput);
}

// llama-perplexity reads the integers with istream::read into uint32_t / int, i.e. in the host's
// byte order; every host it runs on is little-endian, so the file is written little-endian.
void put_u32(std::string& out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((v >> shift) & 0xFFu));
}

void put_i32(std::string& out, int32_t v) { put_u32(out, static_cast<uint32_t>(v)); }

void put_string(std::string& out, const std::string& s) {
  put_u32(out, static_cast<uint32_t>(s.size()));  // sizes checked by the caller
  out += s;
}

void check_choice_item(size_t index, const ChoiceItem& item) {
  if (item.context.empty()) bad_item(index, item, "context", "empty (llama-perplexity rejects an empty question)");
  // With one answer every token is in the prefix shared by all answers, and llama-perplexity would
  // read past the end of its tokens.
  if (item.choices.size() < 2) {
    bad_item(index, item, "choices",
             fmt::format("{} choice(s), llama-perplexity needs at least 2", item.choices.size()));
  }
  if (item.choices.size() > kLlamaMcMaxAnswers) {
    bad_item(index, item, "choices",
             fmt::format("{} choices, llama-perplexity takes at most {}", item.choices.size(), kLlamaMcMaxAnswers));
  }
  for (size_t c = 0; c < item.choices.size(); ++c) {
    if (item.choices[c].empty()) {
      bad_item(index, item, fmt::format("choices[{}]", c), "empty (llama-perplexity rejects an empty answer)");
    }
    if (item.choices[c].size() > std::numeric_limits<uint32_t>::max()) {
      bad_item(index, item, fmt::format("choices[{}]", c), "longer than 4 GiB");
    }
  }
  if (item.gold < 0 || static_cast<size_t>(item.gold) >= item.choices.size()) {
    bad_item(index, item, "gold", fmt::format("{} is not a choice index (0..{})", item.gold, item.choices.size() - 1));
  }
}

}  // namespace

std::string llama_mc_file_bytes(const std::vector<ChoiceItem>& items) {
  if (items.empty()) {
    throw util::Error("no items to write (llama-perplexity rejects a file with no tasks)", util::ErrorKind::kBadInput);
  }
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  if (items.size() > kMax) throw util::Error("too many items for a llama-perplexity file", util::ErrorKind::kBadInput);

  // Header: task count, then one absolute byte offset per task (filled in below).
  std::string out;
  put_u32(out, static_cast<uint32_t>(items.size()));
  const size_t offsets_at = out.size();
  out.append(4 * items.size(), '\0');

  for (size_t i = 0; i < items.size(); ++i) {
    const ChoiceItem& item = items[i];
    check_choice_item(i, item);
    if (out.size() > kMax) bad_item(i, item, "context", "the file reaches 4 GiB; its 32-bit task offsets overflow");
    const auto offset = static_cast<uint32_t>(out.size());
    for (int b = 0; b < 4; ++b) out[offsets_at + 4 * i + static_cast<size_t>(b)] = static_cast<char>(offset >> (8 * b));

    if (item.context.size() > kMax) bad_item(i, item, "context", "longer than 4 GiB");
    put_string(out, item.context);
    // mc1: the answers and one label each (1 = correct); llama-perplexity scores these.
    put_u32(out, static_cast<uint32_t>(item.choices.size()));
    for (const std::string& choice : item.choices) put_string(out, choice);
    for (size_t c = 0; c < item.choices.size(); ++c) put_i32(out, static_cast<int>(c) == item.gold ? 1 : 0);
    // mc2: read but not scored by llama-perplexity; left empty.
    put_u32(out, 0);
  }
  return out;
}

std::string llama_hellaswag_file_text(const std::vector<ChoiceItem>& items) {
  if (items.empty()) throw util::Error("no items to write", util::ErrorKind::kBadInput);
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    const ChoiceItem& item = items[i];
    check_choice_item(i, item);
    if (item.choices.size() != 4) {
      bad_item(i, item, "choices",
               fmt::format("{} choices; llama-perplexity --hellaswag needs exactly 4", item.choices.size()));
    }
    auto line = [&](const std::string& text, std::string_view field) {
      if (text.find('\n') != std::string::npos) {
        bad_item(i, item, field,
                 "contains a line break, which the 6-line --hellaswag format cannot hold (few-shot contexts "
                 "do; use --shots 0 or the llama-mc format)");
      }
      out += text;
      out += '\n';
    };
    line(item.context, "context");
    out += fmt::format("{}\n", item.gold);
    for (size_t c = 0; c < 4; ++c) line(item.choices[c], fmt::format("choices[{}]", c));
  }
  return out;
}

std::string llama_items_jsonl(const std::vector<ChoiceItem>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    nlohmann::ordered_json line;
    line["index"] = i;
    line["item_id"] = items[i].id;
    line["gold"] = items[i].gold;
    line["n_choices"] = items[i].choices.size();
    out += util::json_text(line);
    out += '\n';
  }
  return out;
}

void write_task_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) {
    throw util::Error(fmt::format("{}: cannot open the output file for writing", path.string()),
                      util::ErrorKind::kBadInput);
  }
  file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.close();
  if (!file)
    throw util::Error(fmt::format("{}: cannot write the output file", path.string()), util::ErrorKind::kBadInput);
}

}  // namespace jouleval::tasks

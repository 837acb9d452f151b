// The made-from record beside a quantized file (sweep/model_source.h): what it holds, when it gives
// the file its source's identity, and that a stale, unreadable or malformed record is ignored with a
// note naming the file, never a crash.
#include "sweep/model_source.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace jouleval::sweep {
namespace {

namespace fs = std::filesystem;

// SHA-256 of "abc" (FIPS 180-2 example) and of "abcd".
constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr const char* kAbcd = "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589";

class ModelSource : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "jouleval-model-source-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    file_ = dir_ / "q7b.Q8_0.gguf";
    write(file_, "abc");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  static void write(const fs::path& path, const std::string& text, std::ios::openmode mode = std::ios::trunc) {
    std::ofstream out(path, std::ios::binary | std::ios::out | mode);
    out << text;
  }
  fs::path dir_;
  fs::path file_;
};

TEST_F(ModelSource, TheRecordHoldsTheSourceAndTheFileAsMade) {
  const MadeFrom made = write_made_from(file_, dir_ / "q7b.gguf", "00ff", "Q8_0");
  EXPECT_EQ(made.sha256, kAbc);
  EXPECT_EQ(made_from_path(file_), dir_ / "q7b.Q8_0.gguf.source.json");
  std::ifstream in(dir_ / "q7b.Q8_0.gguf.source.json");
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("source"), "q7b.gguf");  // the file name, not the path
  EXPECT_EQ(j.at("source_sha256"), "00ff");
  EXPECT_EQ(j.at("type"), "Q8_0");
  EXPECT_EQ(j.at("sha256"), kAbc);
  EXPECT_FALSE(j.at("stamp").get<std::string>().empty());
  EXPECT_TRUE(j.contains("jouleval_version"));
  EXPECT_TRUE(j.contains("llama_cpp_revision"));

  const std::optional<MadeFrom> read = read_made_from(file_);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->source, "q7b.gguf");
  EXPECT_EQ(read->stamp, j.at("stamp"));
}

TEST_F(ModelSource, AFileWithAMatchingRecordHasItsSourcesIdentity) {
  write_made_from(file_, dir_ / "q7b.gguf", "00ff", "Q8_0");
  std::string note = "stale";
  const std::optional<SourceIdentity> id = source_identity(file_, kAbc, note);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->label, "q7b");
  EXPECT_EQ(id->sha256, "00ff");
  EXPECT_EQ(id->record.type, "Q8_0");
  EXPECT_EQ(note, "");
}

TEST_F(ModelSource, AFileWithoutARecordIsItsOwnModelWithoutANote) {
  std::string note;
  EXPECT_FALSE(source_identity(file_, kAbc, note));
  EXPECT_EQ(note, "");
  EXPECT_FALSE(read_made_from(file_));
}

TEST_F(ModelSource, AChangedFileIsItsOwnModelWithANote) {
  write_made_from(file_, dir_ / "q7b.gguf", "00ff", "Q8_0");
  write(file_, "d", std::ios::app);  // the stamp (size) and the hash change
  std::string note;
  EXPECT_FALSE(source_identity(file_, kAbcd, note));
  EXPECT_NE(note.find(file_.string() + ": changed or replaced since it was quantized from q7b.gguf"), std::string::npos)
      << note;
}

TEST_F(ModelSource, ARecordWhoseHashDiffersFromTheFileIsIgnored) {
  write_made_from(file_, dir_ / "q7b.gguf", "00ff", "Q8_0");
  std::string note;
  EXPECT_FALSE(source_identity(file_, kAbcd, note));  // the stamp matches, the content hash does not
  EXPECT_NE(note.find(file_.string()), std::string::npos) << note;
}

TEST_F(ModelSource, AFileOfTheSameContentKeepsItsSourceIdentity) {
  // A copy (another inode and time, e.g. on another machine) of what was made: the content decides.
  write_made_from(file_, dir_ / "q7b.gguf", "00ff", "Q8_0");
  const fs::path other = dir_ / "other";
  write(other, "abc");
  fs::rename(other, file_);
  std::string note;
  const auto id = source_identity(file_, kAbc, note);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->label, "q7b");
  EXPECT_EQ(id->sha256, "00ff");
  EXPECT_EQ(note, "");
}

TEST_F(ModelSource, MalformedRecordsAreIgnoredWithANoteNamingTheRecord) {
  const fs::path record = dir_ / "q7b.Q8_0.gguf.source.json";
  const std::pair<std::string, std::string> cases[] = {
      {"{not json", "not a JSON object"},
      {"", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {R"({"source":"q7b.gguf","source_sha256":"00","type":"Q8_0","stamp":"1 2.3 4"})", "field 'sha256'"},
      {R"({"source":"q7b.gguf","source_sha256":7,"type":"Q8_0","sha256":"aa","stamp":"1"})", "field 'source_sha256'"},
      {R"({"source":"","source_sha256":"00","type":"Q8_0","sha256":"aa","stamp":"1"})", "field 'source'"},
  };
  for (const auto& [text, why] : cases) {
    write(record, text);
    std::string note;
    EXPECT_FALSE(source_identity(file_, kAbc, note)) << text;
    EXPECT_NE(note.find(file_.string() + ": record ignored (" + record.string() + ": " + why), std::string::npos)
        << text << "\n"
        << note;
    try {
      read_made_from(file_);
      ADD_FAILURE() << "no error for " << text;
    } catch (const util::Error& e) {
      EXPECT_EQ(e.kind(), util::ErrorKind::kBadInput) << text;
    }
  }
}

TEST_F(ModelSource, ARecordThatIsADirectoryIsIgnoredWithANote) {
  fs::create_directory(dir_ / "q7b.Q8_0.gguf.source.json");
  std::string note;
  EXPECT_FALSE(source_identity(file_, kAbc, note));
  EXPECT_NE(note.find("not a regular file"), std::string::npos) << note;
}

TEST_F(ModelSource, RemovingTheRecordLeavesTheFile) {
  write_made_from(file_, dir_ / "q7b.gguf", "00ff", "Q8_0");
  remove_made_from(file_);
  remove_made_from(file_);  // none: no error
  EXPECT_FALSE(fs::exists(made_from_path(file_)));
  EXPECT_TRUE(fs::exists(file_));
}

}  // namespace
}  // namespace jouleval::sweep

#pragma once
// Reads a snapshot file line by line: each line is checked and handed out as what it is (header,
// section start, record, section end, trailer), with its line number for messages. Used twice by
// a load: once to check the whole file, once to load it.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "services/kit/service_state.hpp"
#include "state/snapshot.hpp"

namespace mallard::state {

struct SnapshotLine {
  enum class Type : unsigned char { kHeader, kSection, kRecord, kSectionEnd, kEnd };
  Type type = Type::kRecord;
  std::int64_t number = 0;
  // kHeader: format_version, created, mallard_version.
  int format_version = 0;
  std::string created;
  std::string mallard_version;
  // kSection: the section.
  SectionSummary section;
  // kRecord.
  services::StateRecord record;
  // kSectionEnd: the counts it declares; kEnd: sections and records.
  std::map<std::string, std::int64_t> counts;
  std::int64_t sections = 0;
  std::int64_t records = 0;
};

class SnapshotReader {
 public:
  static Result<SnapshotReader, std::string> Open(const std::filesystem::path& file);
  // The next line (nullopt at the end of the file). Errors name the line.
  Result<std::optional<SnapshotLine>, std::string> Next();
  // The same, checked alike, but a record's body is left out and the line is parsed into
  // `scratch` (a resource the caller releases once it is done with the line): the check before a
  // load reads every line and keeps none, and a DOM per line on the heap was a third of a load.
  Result<std::optional<SnapshotLine>, std::string> NextWithoutBody(boost::json::storage_ptr scratch);

 private:
  explicit SnapshotReader(std::ifstream in) : in_(std::move(in)) {}
  Result<std::optional<SnapshotLine>, std::string> Read(boost::json::storage_ptr storage, bool keep_body);
  std::ifstream in_;
  std::string text_;  // the line being read: its capacity is reused
  std::int64_t line_number_ = 0;
};

// Parses one line (exposed for the fuzz target and tests). The DOM is built in `storage`; with
// `keep_body` false a record's body is checked to be an object and not kept.
Result<SnapshotLine, std::string> ParseSnapshotLine(std::string_view text, std::int64_t number,
                                                    boost::json::storage_ptr storage = {}, bool keep_body = true);

}  // namespace mallard::state

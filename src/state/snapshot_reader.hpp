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

 private:
  explicit SnapshotReader(std::ifstream in) : in_(std::move(in)) {}
  std::ifstream in_;
  std::int64_t line_number_ = 0;
};

// Parses one line (exposed for the fuzz target and tests).
Result<SnapshotLine, std::string> ParseSnapshotLine(std::string_view text, std::int64_t number);

}  // namespace mallard::state

#include "state/snapshot_reader.hpp"

#include <boost/json.hpp>

namespace mallard::state {
namespace json = boost::json;

namespace {

std::string At(std::int64_t number) { return "line " + std::to_string(number) + ": "; }

Result<std::string, std::string> TextMember(const json::object& object, std::string_view key, std::int64_t number) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return Fail(At(number) + "\"" + std::string(key) + "\" must be a string");
  return std::string(value->as_string());
}

Result<std::int64_t, std::string> IntegerMember(const json::object& object, std::string_view key, std::int64_t number) {
  const auto* value = object.if_contains(key);
  if (value != nullptr && value->is_int64()) return value->as_int64();
  if (value != nullptr && value->is_uint64() && value->as_uint64() <= INT64_MAX) return static_cast<std::int64_t>(value->as_uint64());
  return Fail(At(number) + "\"" + std::string(key) + "\" must be an integer");
}

Result<std::map<std::string, std::int64_t>, std::string> Counts(const json::object& object, std::int64_t number) {
  const auto* value = object.if_contains("counts");
  if (value == nullptr || !value->is_object()) return Fail(At(number) + "\"counts\" must be an object");
  std::map<std::string, std::int64_t> counts;
  for (const auto& [kind, count] : value->as_object()) {
    if (!count.is_int64() || count.as_int64() < 0) return Fail(At(number) + "the count of \"" + std::string(kind) + "\" must be a whole number");
    counts[std::string(kind)] = count.as_int64();
  }
  return counts;
}

}  // namespace

Result<SnapshotLine, std::string> ParseSnapshotLine(std::string_view text, std::int64_t number,
                                                    json::storage_ptr storage, bool keep_body) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 4096;  // records nest as deep as DynamoDB items do
  json::value value = json::parse(text, ec, std::move(storage), options);
  if (ec) return Fail(At(number) + "not JSON (" + ec.message() + ")");
  if (!value.is_object() || (value.as_object().size() != 1 && !value.as_object().contains("kind")))
    return Fail(At(number) + "expected one of header, section, record, end_section or end");
  auto& object = value.as_object();
  SnapshotLine line;
  line.number = number;
  if (object.contains("kind")) {
    const auto* body = object.if_contains("body");
    if (object.size() != 2 || body == nullptr || !body->is_object())
      return Fail(At(number) + "a record is {\"kind\": …, \"body\": {…}}");
    MALLARD_ASSIGN_OR_RETURN(line.record.kind, TextMember(object, "kind", number));
    if (line.record.kind.empty()) return Fail(At(number) + "a record's kind is empty");
    line.type = SnapshotLine::Type::kRecord;
    if (keep_body) line.record.body = std::move(object["body"].as_object());
    return line;
  }
  const auto& [key, inner] = *object.begin();
  if (!inner.is_object()) return Fail(At(number) + "\"" + std::string(key) + "\" must be an object");
  const auto& member = inner.as_object();
  if (key == "mallard_state") {
    line.type = SnapshotLine::Type::kHeader;
    MALLARD_ASSIGN_OR_RETURN(auto format, IntegerMember(member, "format", number));
    if (format < 1 || format > 1'000'000) return Fail(At(number) + "format version " + std::to_string(format) + " is not valid");
    line.format_version = static_cast<int>(format);
    MALLARD_ASSIGN_OR_RETURN(line.created, TextMember(member, "created", number));
    MALLARD_ASSIGN_OR_RETURN(line.mallard_version, TextMember(member, "mallard", number));
  } else if (key == "section") {
    line.type = SnapshotLine::Type::kSection;
    MALLARD_ASSIGN_OR_RETURN(line.section.service, TextMember(member, "service", number));
    MALLARD_ASSIGN_OR_RETURN(line.section.scope.account, TextMember(member, "account", number));
    MALLARD_ASSIGN_OR_RETURN(line.section.scope.region, TextMember(member, "region", number));
    MALLARD_ASSIGN_OR_RETURN(auto version, IntegerMember(member, "record_version", number));
    if (version < 1 || version > 1'000'000) return Fail(At(number) + "record_version " + std::to_string(version) + " is not valid");
    line.section.record_version = static_cast<int>(version);
  } else if (key == "end_section") {
    line.type = SnapshotLine::Type::kSectionEnd;
    MALLARD_ASSIGN_OR_RETURN(line.counts, Counts(member, number));
  } else if (key == "end") {
    line.type = SnapshotLine::Type::kEnd;
    MALLARD_ASSIGN_OR_RETURN(line.sections, IntegerMember(member, "sections", number));
    MALLARD_ASSIGN_OR_RETURN(line.records, IntegerMember(member, "records", number));
  } else {
    return Fail(At(number) + "unknown line \"" + std::string(key) + "\"");
  }
  return line;
}

Result<SnapshotReader, std::string> SnapshotReader::Open(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail("cannot open " + file.string());
  return SnapshotReader(std::move(in));
}

Result<std::optional<SnapshotLine>, std::string> SnapshotReader::Next() { return Read({}, true); }

Result<std::optional<SnapshotLine>, std::string> SnapshotReader::NextWithoutBody(json::storage_ptr scratch) {
  return Read(std::move(scratch), false);
}

Result<std::optional<SnapshotLine>, std::string> SnapshotReader::Read(json::storage_ptr storage, bool keep_body) {
  if (!std::getline(in_, text_)) {
    if (in_.bad()) return Fail(std::string("cannot read the snapshot"));
    return std::optional<SnapshotLine>{};
  }
  ++line_number_;
  MALLARD_ASSIGN_OR_RETURN(auto line, ParseSnapshotLine(text_, line_number_, std::move(storage), keep_body));
  return std::optional<SnapshotLine>{std::move(line)};
}

}  // namespace mallard::state

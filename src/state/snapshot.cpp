#include "state/snapshot.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <fstream>

#include "common/time_format.hpp"
#include "state/snapshot_reader.hpp"

namespace mallard::state {
namespace json = boost::json;
namespace fs = std::filesystem;
using services::StateRecord;
using services::StateScope;

namespace {

// InspectSnapshot's buffer for a line's DOM: a record line is a few hundred bytes to a few KiB.
constexpr std::size_t kInspectScratchBytes = 64 * 1024;

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Line(const json::value& value) { return json::serialize(value) + "\n"; }

json::object CountsJson(const std::map<std::string, std::int64_t>& counts) {
  json::object out;
  for (const auto& [kind, count] : counts) out[kind] = count;
  return out;
}

std::map<std::string, services::ServiceState*> StatefulByName(const ServiceList& services) {
  std::map<std::string, services::ServiceState*> by_name;
  for (const auto& service : services) {
    if (auto* state = service->State()) by_name[service->Descriptor().name] = state;
  }
  return by_name;
}

// Walks the live state the filter admits, section by section, handing each record to `on_record`.
template <typename OnSection, typename OnRecord>
Status<std::string> WalkLive(const ServiceList& services, const StateFilter& filter, OnSection on_section,
                             OnRecord on_record) {
  for (const auto& [name, state] : StatefulByName(services)) {
    if (!filter.services.empty() && !filter.services.contains(name)) continue;
    auto scopes = state->Scopes();
    if (!scopes) return Fail(name + ": " + scopes.error());
    for (const auto& scope : *scopes) {
      if (!filter.Admits(name, scope)) continue;
      SectionSummary section{name, scope, state->RecordVersion(), {}};
      MALLARD_RETURN_IF_ERROR(on_section(section, true));
      auto saved = state->Save(scope, [&](StateRecord record) -> Status<std::string> {
        ++section.counts[record.kind];
        return on_record(record);
      });
      if (!saved) return Fail(name + " " + scope.account + "/" + scope.region + ": " + saved.error());
      MALLARD_RETURN_IF_ERROR(on_section(section, false));
    }
  }
  return Done{};
}

}  // namespace

bool StateFilter::Admits(const std::string& service, const StateScope& scope) const {
  return (services.empty() || services.contains(service)) && (accounts.empty() || accounts.contains(scope.account)) &&
         (regions.empty() || regions.contains(scope.region));
}

Result<StateFilter, std::string> StateFilter::Parse(std::string_view services, std::string_view accounts,
                                                    std::string_view regions) {
  StateFilter filter;
  auto split = [](std::string_view text, std::string_view what, std::set<std::string>& out) -> Status<std::string> {
    if (text.empty()) return Done{};
    std::size_t start = 0;
    for (;;) {
      auto comma = text.find(',', start);
      auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (item.empty()) return Fail("an empty item in the " + std::string(what) + " list");
      out.insert(std::string(item));
      if (comma == std::string_view::npos) return Done{};
      start = comma + 1;
    }
  };
  MALLARD_RETURN_IF_ERROR(split(services, "services", filter.services));
  MALLARD_RETURN_IF_ERROR(split(accounts, "accounts", filter.accounts));
  MALLARD_RETURN_IF_ERROR(split(regions, "regions", filter.regions));
  return filter;
}

Result<MergeStrategy, std::string> ParseMergeStrategy(std::string_view text) {
  if (text == "overwrite") return MergeStrategy::kOverwrite;
  if (text == "account-region-merge") return MergeStrategy::kAccountRegionMerge;
  if (text == "service-merge") return MergeStrategy::kServiceMerge;
  return Fail("merge strategy must be overwrite, account-region-merge or service-merge (got '" + std::string(text) + "')");
}

std::string_view MergeStrategyName(MergeStrategy strategy) {
  switch (strategy) {
    case MergeStrategy::kOverwrite: return "overwrite";
    case MergeStrategy::kAccountRegionMerge: return "account-region-merge";
    case MergeStrategy::kServiceMerge: return "service-merge";
  }
  return "overwrite";
}

Result<SnapshotSummary, std::string> SaveSnapshot(const ServiceList& services, const StateFilter& filter,
                                                  const fs::path& file, std::string_view mallard_version) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) return Fail("cannot write " + file.string());
  SnapshotSummary summary;
  summary.created = FormatIso8601Millis(NowMillis());
  summary.mallard_version = std::string(mallard_version);
  out << Line(json::object{{"mallard_state", json::object{{"format", kFormatVersion},
                                                           {"created", summary.created},
                                                           {"mallard", summary.mallard_version}}}});
  auto walked = WalkLive(
      services, filter,
      [&](const SectionSummary& section, bool starting) -> Status<std::string> {
        if (starting) {
          out << Line(json::object{{"section", json::object{{"service", section.service},
                                                            {"account", section.scope.account},
                                                            {"region", section.scope.region},
                                                            {"record_version", section.record_version}}}});
        } else {
          out << Line(json::object{{"end_section", json::object{{"counts", CountsJson(section.counts)}}}});
          summary.sections.push_back(section);
        }
        return Done{};
      },
      [&](const StateRecord& record) -> Status<std::string> {
        out << Line(json::object{{"kind", record.kind}, {"body", record.body}});
        ++summary.records;
        if (!out) return Fail("cannot write " + file.string());
        return Done{};
      });
  if (!walked) return Fail(walked.error());
  out << Line(json::object{{"end", json::object{{"sections", static_cast<std::int64_t>(summary.sections.size())},
                                                {"records", summary.records}}}});
  out.flush();
  if (!out) return Fail("cannot write " + file.string());
  return summary;
}

Result<SnapshotSummary, std::string> InspectLive(const ServiceList& services, const StateFilter& filter,
                                                 std::string_view mallard_version) {
  SnapshotSummary summary;
  summary.created = FormatIso8601Millis(NowMillis());
  summary.mallard_version = std::string(mallard_version);
  auto walked = WalkLive(
      services, filter,
      [&](const SectionSummary& section, bool starting) -> Status<std::string> {
        if (!starting) summary.sections.push_back(section);
        return Done{};
      },
      [&](const StateRecord&) -> Status<std::string> {
        ++summary.records;
        return Done{};
      });
  if (!walked) return Fail(walked.error());
  return summary;
}

Result<SnapshotSummary, std::string> InspectSnapshot(const fs::path& file) {
  MALLARD_ASSIGN_OR_RETURN(auto reader, SnapshotReader::Open(file));
  SnapshotSummary summary;
  std::optional<SectionSummary> open;
  bool ended = false;
  std::int64_t last_line = 0;
  // One buffer for every line's DOM (a line larger than it spills to the heap until the line is done).
  auto scratch = std::make_unique<unsigned char[]>(kInspectScratchBytes);
  for (;;) {
    json::monotonic_resource line_memory(scratch.get(), kInspectScratchBytes);
    MALLARD_ASSIGN_OR_RETURN(auto next, reader.NextWithoutBody(&line_memory));
    if (!next) break;
    const auto& line = *next;
    last_line = line.number;
    std::string at = "line " + std::to_string(line.number) + ": ";
    if (ended) return Fail(at + "lines follow the end of the snapshot");
    if (line.number == 1) {
      if (line.type != SnapshotLine::Type::kHeader) return Fail(std::string("this is not a Mallard state snapshot (line 1 is no mallard_state header)"));
      if (line.format_version > kFormatVersion)
        return Fail("the snapshot has format version " + std::to_string(line.format_version) +
                    ", newer than this Mallard reads (up to " + std::to_string(kFormatVersion) +
                    "): load it with Mallard " + line.mallard_version + " or later");
      summary.format_version = line.format_version;
      summary.created = line.created;
      summary.mallard_version = line.mallard_version;
      continue;
    }
    switch (line.type) {
      case SnapshotLine::Type::kHeader:
        return Fail(at + "a second header");
      case SnapshotLine::Type::kSection:
        if (open) return Fail(at + "a section starts inside another");
        open = line.section;
        break;
      case SnapshotLine::Type::kRecord:
        if (!open) return Fail(at + "a record outside a section");
        ++open->counts[line.record.kind];
        ++summary.records;
        break;
      case SnapshotLine::Type::kSectionEnd:
        if (!open) return Fail(at + "a section end without a section");
        if (line.counts != open->counts)
          return Fail(at + "the section of " + open->service + " " + open->scope.account + "/" + open->scope.region +
                      " declares other counts than its records");
        summary.sections.push_back(std::move(*open));
        open.reset();
        break;
      case SnapshotLine::Type::kEnd:
        if (open) return Fail(at + "the snapshot ends inside a section");
        if (line.sections != static_cast<std::int64_t>(summary.sections.size()) || line.records != summary.records)
          return Fail(at + "the trailer's totals do not match the snapshot's sections and records");
        ended = true;
        break;
    }
  }
  if (last_line == 0) return Fail(std::string("the snapshot is empty"));
  if (!ended) return Fail("the snapshot is cut short after line " + std::to_string(last_line) + " (no end line)");
  return summary;
}

Result<SnapshotSummary, std::string> LoadSnapshot(const ServiceList& services, const fs::path& file,
                                                  MergeStrategy strategy, const StateFilter& filter) {
  // First the whole file, and whether this server can take it: nothing changes if not.
  MALLARD_ASSIGN_OR_RETURN(auto checked, InspectSnapshot(file));
  auto stateful = StatefulByName(services);
  for (const auto& section : checked.sections) {
    if (!filter.Admits(section.service, section.scope)) continue;
    auto found = stateful.find(section.service);
    if (found == stateful.end())
      return Fail("the snapshot holds state of " + section.service + ", which this server does not keep");
    if (section.record_version > found->second->RecordVersion())
      return Fail("the snapshot's " + section.service + " records are version " + std::to_string(section.record_version) +
                  ", newer than this Mallard reads (" + std::to_string(found->second->RecordVersion()) + ")");
  }
  if (strategy == MergeStrategy::kOverwrite) {
    for (const auto& [name, state] : stateful) {
      if (!filter.services.empty() && !filter.services.contains(name)) continue;
      auto scopes = state->Scopes();
      if (!scopes) return Fail(name + ": " + scopes.error());
      for (const auto& scope : *scopes) {
        if (!filter.Admits(name, scope)) continue;
        if (auto cleared = state->Clear(scope); !cleared) return Fail(name + ": " + cleared.error());
      }
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto reader, SnapshotReader::Open(file));
  SnapshotSummary loaded;
  loaded.format_version = checked.format_version;
  loaded.created = checked.created;
  loaded.mallard_version = checked.mallard_version;
  for (;;) {
    MALLARD_ASSIGN_OR_RETURN(auto next, reader.Next());
    if (!next) break;
    if (next->type != SnapshotLine::Type::kSection) continue;
    SectionSummary section = next->section;
    bool admitted = filter.Admits(section.service, section.scope);
    services::ServiceState* state = admitted ? stateful.at(section.service) : nullptr;
    if (state != nullptr && strategy == MergeStrategy::kAccountRegionMerge) {
      if (auto cleared = state->Clear(section.scope); !cleared) return Fail(section.service + ": " + cleared.error());
    }
    bool section_ended = false;
    std::string read_error;
    auto source = [&]() -> Result<std::optional<StateRecord>, std::string> {
      if (section_ended) return std::optional<StateRecord>{};
      auto line = reader.Next();
      if (!line) return Fail(line.error());
      if (!*line || (*line)->type != SnapshotLine::Type::kRecord) {
        section_ended = true;
        return std::optional<StateRecord>{};
      }
      ++section.counts[(*line)->record.kind];
      return std::optional<StateRecord>{std::move((*line)->record)};
    };
    if (state == nullptr) {
      // Not admitted: read past its records.
      for (;;) {
        MALLARD_ASSIGN_OR_RETURN(auto record, source());
        if (!record) break;
      }
      continue;
    }
    auto done = state->Load(section.scope, section.record_version, source);
    if (!done)
      return Fail("loading " + section.service + " " + section.scope.account + "/" + section.scope.region + ": " +
                  done.error());
    // A service that stopped early leaves the rest of its section unread: that is an error, since
    // its records would be lost.
    if (!section_ended) {
      MALLARD_ASSIGN_OR_RETURN(auto rest, source());
      if (rest) return Fail(section.service + " did not take every record of its section");
    }
    for (const auto& [kind, count] : section.counts) loaded.records += count;
    loaded.sections.push_back(std::move(section));
  }
  return loaded;
}

std::string SummaryJson(const SnapshotSummary& summary) {
  json::array sections;
  for (const auto& section : summary.sections) {
    sections.push_back(json::object{{"service", section.service},
                                    {"account", section.scope.account},
                                    {"region", section.scope.region},
                                    {"record_version", section.record_version},
                                    {"counts", CountsJson(section.counts)}});
  }
  return json::serialize(json::object{{"format", summary.format_version},
                                      {"created", summary.created},
                                      {"mallard", summary.mallard_version},
                                      {"sections", std::move(sections)},
                                      {"records", summary.records}});
}

}  // namespace mallard::state

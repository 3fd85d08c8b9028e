#pragma once
// Snapshots of a server's state (issue 18): saving every stateful service's records to one file,
// reading what a file holds, and loading it back with LocalStack's merge strategies. A service
// takes part through services::ServiceState (services/kit/service_state.hpp); this module knows
// the file, never a store.
//
// The file is JSON Lines (README.md has the format): a header, then per service and scope a
// section header, its records and a section end with counts, then a trailer with totals — so a
// cut file is detected, and a person can read it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/kit/service.hpp"

namespace mallard::state {

// The file format's version. A reader takes every version up to this one (older ones through the
// upgrade steps in snapshot_reader.cpp) and refuses a newer one.
constexpr int kFormatVersion = 1;

// Which part of the state an operation covers; an empty set admits everything.
struct StateFilter {
  std::set<std::string> services;
  std::set<std::string> accounts;
  std::set<std::string> regions;
  bool Admits(const std::string& service, const services::StateScope& scope) const;
  // "sqs,dynamodb" lists (the CLI's and the endpoints' form); empty items are errors.
  static Result<StateFilter, std::string> Parse(std::string_view services, std::string_view accounts,
                                                std::string_view regions);
};

struct SectionSummary {
  std::string service;
  services::StateScope scope;
  int record_version = 0;
  std::map<std::string, std::int64_t> counts;  // records per kind
};

struct SnapshotSummary {
  int format_version = kFormatVersion;
  std::string created;  // ISO 8601
  std::string mallard_version;
  std::vector<SectionSummary> sections;
  std::int64_t records = 0;
};

// The live services by name; only those whose State() is non-null take part.
using ServiceList = std::vector<std::shared_ptr<services::Service>>;

// Writes the state `filter` admits to `file` (replaced). Each scope is consistent as of one
// moment; scopes are read one after another.
Result<SnapshotSummary, std::string> SaveSnapshot(const ServiceList& services, const StateFilter& filter,
                                                  const std::filesystem::path& file, std::string_view mallard_version);

// What a file holds, after checking it whole (every line, the counts, the trailer).
Result<SnapshotSummary, std::string> InspectSnapshot(const std::filesystem::path& file);

// What the live services hold (counts through their Save).
Result<SnapshotSummary, std::string> InspectLive(const ServiceList& services, const StateFilter& filter,
                                                 std::string_view mallard_version);

enum class MergeStrategy : unsigned char {
  kOverwrite,           // every service's state is dropped (in the filter's accounts/regions), then the file loads
  kAccountRegionMerge,  // scopes in the file replace the same scopes; other scopes are kept
  kServiceMerge,        // resources in the file replace same-named live ones; everything else is kept
};
Result<MergeStrategy, std::string> ParseMergeStrategy(std::string_view text);
std::string_view MergeStrategyName(MergeStrategy strategy);

// Loads `file` into the services. The whole file is checked first (format version, structure,
// counts, the services and record versions this server has); nothing changes when it fails
// those checks. Returns what was loaded.
Result<SnapshotSummary, std::string> LoadSnapshot(const ServiceList& services, const std::filesystem::path& file,
                                                  MergeStrategy strategy, const StateFilter& filter);

// The summary as JSON (the endpoints' and the CLI's output).
std::string SummaryJson(const SnapshotSummary& summary);

}  // namespace mallard::state

#pragma once
// Partition projection (TBLPROPERTIES `projection.enabled`, `projection.<col>.type` = enum,
// integer, date or injected, with `.values`, `.range`, `.format`, `.interval`, `.interval.unit`,
// `.digits`, and `storage.location.template`) and partition discovery (MSCK REPAIR TABLE): the
// partitions a table has without registering them, as Athena computes them.
#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/athena/athena_external_tables.hpp"

namespace mallard::athena::external {

// At most this many projected partitions per table (Athena caps a query at 1,000,000; listing them
// all for every query is what an emulator can afford).
inline constexpr std::size_t kMaxProjectedPartitions = 100000;

bool ProjectionEnabled(const ExternalTableSpec& spec);
// Checks the projection properties (a CREATE or SET TBLPROPERTIES fails with the message).
Status<std::string> CheckProjection(const ExternalTableSpec& spec);
// Every projected partition with its location (`storage.location.template` or
// `<location>/k=v/…/`). Injected columns take the values found in the directories.
Result<std::vector<PartitionSpec>, std::string> ProjectedPartitions(const ExternalTable& table,
                                                                   const services::S3LocalFiles& files,
                                                                   std::int64_t now_seconds);
// The `k1=v1/k2=v2/` directories under the table's location (partition columns in order, values
// unescaped), for MSCK REPAIR TABLE.
Result<std::vector<std::vector<std::string>>, std::string> DiscoverPartitionDirectories(
    const ExternalTable& table, const services::S3LocalFiles& files);

// Java DateTimeFormatter patterns of projection.<col>.format (yyyy, MM, dd, HH, mm, ss, 'literal').
std::string FormatProjectedDate(std::string_view pattern, std::int64_t epoch_seconds);
std::optional<std::int64_t> ParseProjectedDate(std::string_view pattern, std::string_view text);

}  // namespace mallard::athena::external

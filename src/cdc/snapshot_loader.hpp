#pragma once
// The initial copy of one table: a temporary logical slot exports the snapshot at its consistent
// point, a second connection copies the table inside exactly that snapshot (COPY … TO STDOUT in
// CSV, streamed through named pipes that DuckDB reads while the copy runs), and DuckDB loads it
// into the lake table in one DuckLake transaction together with the table's progress row (state
// CATCHUP, applied up to the consistent point). Transactions committed before that point are in the copy; the group's slot
// streams every later one, so nothing is lost or doubled.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "cdc/flush_settings.hpp"
#include "cdc/progress_store.hpp"
#include "cdc/table_schema.hpp"
#include "common/result.hpp"
#include "lake/lake.hpp"

namespace mallard::cdc {

struct SnapshotResult {
  std::uint64_t consistent_point = 0;
  std::int64_t rows = 0;
  double seconds = 0;
};

// How LoadSnapshot's error starts when the table's columns at the snapshot are not `schema`'s
// (altered after it was described, before the consistent point): the table must be described again.
inline constexpr const char* kSnapshotColumnsChanged = "the source table's columns changed before its snapshot";

// An existing lake table is replaced by the copy in the same commit. `cancelled` stops the copy.
Result<SnapshotResult, std::string> LoadSnapshot(const std::string& source_conninfo, const std::string& group,
                                                 const TableSchema& schema, lake::Lake& lake,
                                                 const FlushSettings& settings, const std::atomic<bool>& cancelled);

}  // namespace mallard::cdc

#pragma once
// TableTransitions: the brief CREATING / UPDATING / DELETING states DynamoDB tables pass through,
// and the CREATING state (with Backfilling) of a global secondary index added by UpdateTable.
//
// AWS takes seconds for each; clients must wait for ACTIVE (waiters, DescribeTable polling) before
// using a new table, and code that forgets works against an endpoint whose tables are ACTIVE at once
// and fails against AWS. So each transition lasts a configurable time (--ddb-table-transition-ms;
// 0: instant). The state lives here, in the service's memory, beside the store's tables: a
// transition is a presentation of time passing, not data, and a server restart ends it early.
//
// Deletion: the store drops the table and its items at once (AWS answers reads of a DELETING table
// ResourceNotFoundException anyway); DescribeTable, ListTables and a second DeleteTable keep seeing
// the table, DELETING, until the transition ends, and CreateTable of its name is refused until then.
#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "services/dynamodb/model/ddb_model.hpp"

namespace mallard::dynamodb {

struct TableTransition {
  std::string table_status;                   // CREATING, UPDATING or DELETING
  std::set<std::string> backfilling_indexes;  // global indexes being created (IndexStatus CREATING)
  std::int64_t ends_millis = 0;
  boost::json::object deleted_description;    // DELETING: the description DescribeTable keeps showing
};

class TableTransitions {
 public:
  explicit TableTransitions(std::int64_t duration_millis) : duration_millis_(duration_millis) {}

  bool Instant() const { return duration_millis_ <= 0; }

  // Starts `status` for the table at `now_millis` (replacing any transition it was in). No-op when
  // transitions are instant.
  void Begin(const Scope& scope, const std::string& table, std::string status, std::int64_t now_millis,
             std::set<std::string> backfilling_indexes = {}, boost::json::object deleted_description = {});
  // The table's transition at `now_millis`; nullopt once it has ended (the table is ACTIVE, or gone).
  std::optional<TableTransition> Current(const Scope& scope, const std::string& table, std::int64_t now_millis) const;
  // Names of the scope's tables still DELETING at `now_millis`.
  std::vector<std::string> Deleting(const Scope& scope, std::int64_t now_millis) const;
  void Clear();

 private:
  void PruneEnded(std::int64_t now_millis);

  const std::int64_t duration_millis_;
  mutable std::mutex mutex_;
  std::map<std::pair<Scope, std::string>, TableTransition> transitions_;
};

// The table as DescribeTable shows it during `transition`: its status, and CREATING for the
// indexes being backfilled.
void ApplyTransition(const TableTransition& transition, TableDefinition& table);

}  // namespace mallard::dynamodb

#include "services/dynamodb/ddb_table_transitions.hpp"

namespace mallard::dynamodb {

void TableTransitions::Begin(const Scope& scope, const std::string& table, std::string status, std::int64_t now_millis,
                             std::set<std::string> backfilling_indexes, boost::json::object deleted_description) {
  if (Instant()) return;
  std::lock_guard lock(mutex_);
  PruneEnded(now_millis);
  auto& transition = transitions_[{scope, table}];
  transition.table_status = std::move(status);
  transition.backfilling_indexes = std::move(backfilling_indexes);
  transition.ends_millis = now_millis + duration_millis_;
  transition.deleted_description = std::move(deleted_description);
}

std::optional<TableTransition> TableTransitions::Current(const Scope& scope, const std::string& table,
                                                         std::int64_t now_millis) const {
  if (Instant()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto found = transitions_.find({scope, table});
  if (found == transitions_.end() || now_millis >= found->second.ends_millis) return std::nullopt;
  return found->second;
}

std::vector<std::string> TableTransitions::Deleting(const Scope& scope, std::int64_t now_millis) const {
  std::vector<std::string> names;
  if (Instant()) return names;
  std::lock_guard lock(mutex_);
  for (auto it = transitions_.lower_bound({scope, std::string()}); it != transitions_.end() && it->first.first == scope;
       ++it) {
    if (it->second.table_status == "DELETING" && now_millis < it->second.ends_millis) names.push_back(it->first.second);
  }
  return names;
}

void TableTransitions::Clear() {
  std::lock_guard lock(mutex_);
  transitions_.clear();
}

// Ended transitions are dropped when a new one begins, so the map holds only the tables changed
// within the last transition time.
void TableTransitions::PruneEnded(std::int64_t now_millis) {
  std::erase_if(transitions_, [now_millis](const auto& entry) { return now_millis >= entry.second.ends_millis; });
}

void ApplyTransition(const TableTransition& transition, TableDefinition& table) {
  table.status = transition.table_status;
  for (auto& index : table.indexes) {
    if (index.global && transition.backfilling_indexes.count(index.name)) index.status = "CREATING";
  }
}

}  // namespace mallard::dynamodb

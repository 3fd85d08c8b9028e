#include "services/dynamodb/memory/memory_dynamodb_internal.hpp"

#include <set>

namespace mallard::dynamodb {

// ---- Snapshots

StoreResult<Status<std::string>> MemoryDynamoDbStore::ExportScope(const Scope& scope, std::int64_t now_millis,
                                                                     const ScopeExportVisitor& visit) {
  // Every table of the scope, locked shared in name order (the order writers lock in), so the
  // export sees one moment: no write unit half applied, no stream record without its write.
  LockedTables<std::shared_lock<std::shared_mutex>> locked;
  std::vector<std::shared_ptr<Stream>> streams;
  std::vector<std::shared_ptr<BackupCopy>> backups;
  {
    std::shared_lock lock(directory_mutex_);
    if (auto it = tables_.find(scope); it != tables_.end()) locked.by_name = it->second;
    if (auto it = streams_.find(scope); it != streams_.end())
      for (const auto& [arn, stream] : it->second) streams.push_back(stream);
    if (auto it = backups_.find(scope); it != backups_.end())
      for (const auto& [arn, copy] : it->second) backups.push_back(copy);
  }
  for (auto& [name, table] : locked.by_name) locked.locks.emplace_back(table->mutex);
  // A table's streams come right after it; streams whose table is gone come after every table.
  std::multimap<std::string, std::shared_ptr<Stream>> streams_by_table;
  for (auto& stream : streams) streams_by_table.emplace(stream->description.table_name, std::move(stream));
  auto export_stream = [&](Stream& stream) -> Status<std::string> {
    StreamExport exported;
    {
      std::lock_guard lock(stream.mutex);
      if (stream.closed_millis != 0 && stream.closed_millis < now_millis - kStreamRetentionMillis)
        return Done{};
      stream.Trim(now_millis);
      exported.description = stream.description;
      exported.closed_millis = stream.closed_millis;
      for (const auto& entry : stream.records) exported.records.push_back(entry.record);
    }
    return visit.stream(exported);
  };
  for (const auto& [name, table] : locked.by_name) {
    if (table->dropped) continue;
    if (auto status = visit.table(table->definition); !status.ok()) return status;
    for (const auto& [key, stored] : table->items) {
      MALLARD_ASSIGN_OR_RETURN(Item item, Load(stored));
      if (auto status = visit.item(item); !status.ok()) return status;
    }
    for (const auto& change : table->history)
      if (auto status = visit.pitr_change(PitrChange{change.millis, change.key_attributes, change.before});
          !status.ok())
        return status;
    auto [first, last] = streams_by_table.equal_range(name);
    for (auto it = first; it != last; ++it)
      if (auto status = export_stream(*it->second); !status.ok()) return status;
    streams_by_table.erase(first, last);
  }
  for (const auto& [table_name, stream] : streams_by_table)
    if (auto status = export_stream(*stream); !status.ok()) return status;
  for (const auto& copy : backups) {
    if (auto status = visit.backup(copy->description); !status.ok()) return status;
    for (const auto& [key, stored] : copy->items) {
      MALLARD_ASSIGN_OR_RETURN(Item item, Load(stored));
      if (auto status = visit.backup_item(item); !status.ok()) return status;
    }
  }
  return Status<std::string>(Done{});
}

StoreResult<Done> MemoryDynamoDbStore::ImportTable(const Scope& scope, TableImport imported) {
  std::lock_guard schema(schema_mutex_);
  std::shared_ptr<Table> table;
  std::string table_name;
  if (imported.definition) {
    table = std::make_shared<Table>();
    table->definition = std::move(*imported.definition);
    table_name = table->definition.name;
    for (const auto& index : table->definition.indexes) table->indexes[index.name];
    for (const auto& item : imported.items) PutItemInto(*table, EncodePrimaryKey(table->definition.keys, item), item);
    for (auto& change : imported.history)
      table->history.push_back({change.millis, EncodePrimaryKey(table->definition.keys, change.key),
                                std::move(change.before), std::move(change.key)});
  } else if (!imported.streams.empty()) {
    table_name = imported.streams.front().description.table_name;
  } else {
    return Done{};
  }
  std::vector<std::shared_ptr<Stream>> streams;
  for (auto& exported : imported.streams) {
    auto stream = std::make_shared<Stream>();
    stream->description = std::move(exported.description);
    stream->closed_millis = exported.closed_millis;
    for (auto& record : exported.records) {
      const std::uint64_t sequence = ParseSequence(record.sequence_number);
      // Sequence numbers keep growing across a load, so iterators from before it stay valid.
      std::uint64_t next = next_sequence.load();
      while (next <= sequence && !next_sequence.compare_exchange_weak(next, sequence + 1)) {
      }
      stream->records.push_back({sequence, std::move(record)});
    }
    if (table && table->definition.stream.enabled && stream->description.status == "ENABLED" &&
        stream->description.label == table->definition.stream.label)
      table->stream = stream;
    streams.push_back(std::move(stream));
  }
  if (table && table->definition.stream.enabled && !table->stream)
    table->stream = OpenStream(table->definition, WallClockMillis());
  if (table && table->stream && std::find(streams.begin(), streams.end(), table->stream) == streams.end())
    streams.push_back(table->stream);

  std::shared_ptr<Table> replaced;
  std::unique_lock<std::shared_mutex> table_lock;  // writers that find the new table wait until it is reported
  if (table) table_lock = std::unique_lock(table->mutex);
  {
    std::unique_lock lock(directory_mutex_);
    auto& tables = tables_[scope];
    if (auto it = tables.find(table_name); it != tables.end()) {
      replaced = std::move(it->second);
      tables.erase(it);
    }
    if (table) tables.emplace(table_name, table);
    auto& scope_streams = streams_[scope];
    for (auto it = scope_streams.begin(); it != scope_streams.end();)
      it = it->second->description.table_name == table_name ? scope_streams.erase(it) : std::next(it);
    for (auto& stream : streams) scope_streams[stream->description.arn] = std::move(stream);
  }
  if (replaced) {
    std::unique_lock lock(replaced->mutex);
    replaced->dropped = true;  // writers that found it before the swap fail as if it were deleted
  }
  if (Reporting()) {
    std::vector<DdbChange> changes;
    if (!table) changes.push_back(DdbChange::Of(DdbChange::Type::kTableRemoved, scope, table_name));
    changes.push_back(TableChange(scope, table_name, table.get()));
    Report(changes);
  }
  return Done{};
}

StoreResult<Done> MemoryDynamoDbStore::ImportBackup(const Scope& scope, BackupImport imported) {
  std::lock_guard schema(schema_mutex_);
  if (Reporting()) {
    auto change = DdbChange::Of(DdbChange::Type::kBackup, scope);
    change.backup = imported;
    Report({change});
  }
  auto copy = std::make_shared<BackupCopy>();
  copy->description = std::move(imported.description);
  for (const auto& item : imported.items)
    copy->items.insert_or_assign(EncodePrimaryKey(copy->description.table.keys, item), StoredItem(item));
  std::unique_lock lock(directory_mutex_);
  backups_[scope][copy->description.arn] = std::move(copy);
  return Done{};
}

StoreResult<Done> MemoryDynamoDbStore::ClearScope(const Scope& scope) {
  std::lock_guard schema(schema_mutex_);
  std::map<std::string, std::shared_ptr<Table>> dropped;
  {
    std::unique_lock lock(directory_mutex_);
    if (Reporting()) Report({DdbChange::Of(DdbChange::Type::kScopeCleared, scope)});
    if (auto it = tables_.find(scope); it != tables_.end()) {
      dropped = std::move(it->second);
      tables_.erase(it);
    }
    streams_.erase(scope);
    backups_.erase(scope);
  }
  for (auto& [name, table] : dropped) {
    std::unique_lock lock(table->mutex);
    table->dropped = true;
  }
  return Done{};
}

StoreResult<std::vector<Scope>> MemoryDynamoDbStore::ListStateScopes() {
  std::shared_lock lock(directory_mutex_);
  std::set<Scope> scopes;
  for (const auto& [scope, tables] : tables_)
    if (!tables.empty()) scopes.insert(scope);
  for (const auto& [scope, streams] : streams_)
    if (!streams.empty()) scopes.insert(scope);
  for (const auto& [scope, backups] : backups_)
    if (!backups.empty()) scopes.insert(scope);
  return std::vector<Scope>(scopes.begin(), scopes.end());
}

// ---- Journaling

bool MemoryDynamoDbStore::ReportChanges(ChangeListener listener) {
  listener_ = std::move(listener);
  return true;
}

DdbChange MemoryDynamoDbStore::TableChange(const Scope& scope, const std::string& name, const Table* table) {
  auto change = DdbChange::Of(DdbChange::Type::kTable, scope, name);
  if (table != nullptr) {
    change.table.definition = table->definition;
    change.table.items.reserve(table->items.size());
    for (const auto& [key, stored] : table->items) {
      auto item = stored.Decode();
      if (!item) {
        spdlog::error("dynamodb memory store: table {}: an item cannot be read back and is left out of the journal: {}",
                      name, item.error());
        continue;
      }
      change.table.items.push_back(std::move(item).value());
    }
    for (const auto& entry : table->history) change.table.history.push_back({entry.millis, entry.key_attributes, entry.before});
  }
  std::vector<std::shared_ptr<Stream>> streams;
  {
    std::shared_lock lock(directory_mutex_);
    if (auto it = streams_.find(scope); it != streams_.end())
      for (const auto& [arn, stream] : it->second)
        if (stream->description.table_name == name) streams.push_back(stream);
  }
  for (const auto& stream : streams) {
    std::lock_guard lock(stream->mutex);
    StreamExport exported{stream->description, stream->closed_millis, {}};
    for (const auto& entry : stream->records) exported.records.push_back(entry.record);
    change.table.streams.push_back(std::move(exported));
  }
  return change;
}

StoreResult<Done> MemoryDynamoDbStore::ApplyChange(const DdbChange& change) {
  switch (change.type) {
    case DdbChange::Type::kItem:
      return ApplyItemChange(change);
    case DdbChange::Type::kTable:
      return ImportTable(change.scope, change.table);
    case DdbChange::Type::kTableRemoved: {
      auto deleted = DeleteTable(change.scope, change.table_name);
      if (!deleted && deleted.error().code != StoreErrc::TableNotFound) return Unexpected(deleted.error());
      return Done{};
    }
    case DdbChange::Type::kBackup:
      return ImportBackup(change.scope, change.backup);
    case DdbChange::Type::kBackupRemoved: {
      auto deleted = DeleteBackup(change.scope, change.backup_arn);
      if (!deleted && deleted.error().code != StoreErrc::BackupNotFound) return Unexpected(deleted.error());
      return Done{};
    }
    case DdbChange::Type::kScopeCleared:
      return ClearScope(change.scope);
  }
  return StoreFail(StoreErrc::Unavailable, "unknown change");
}

// An item write replayed: the item (or its absence), then its PITR entry and stream record unless
// the state replayed onto (a snapshot taken after the write) holds them already.
StoreResult<Done> MemoryDynamoDbStore::ApplyItemChange(const DdbChange& change) {
  auto table = Find(change.scope, change.table_name);
  if (!table) return Done{};  // deleted later in the journal (or in the snapshot replayed onto)
  std::unique_lock lock(table->mutex);
  // Dropped, or another incarnation of the name (the one written to is deleted later in the journal).
  if (table->dropped || (!change.table_id.empty() && table->definition.table_id != change.table_id)) return Done{};
  if (!HasKeyAttributes(table->definition.keys, change.key))
    return StoreFail(StoreErrc::Unavailable, "a journaled item change lacks table " + change.table_name + "'s key");
  const std::string key = EncodePrimaryKey(table->definition.keys, change.key);
  MALLARD_RETURN_IF_ERROR(EraseKeyFrom(*table, key));
  if (change.item) PutItemInto(*table, key, *change.item);
  if (change.pitr && table->definition.pitr_enabled) {
    const PitrChange& pitr = *change.pitr;
    // Entries of the same moment are looked through: an equal one is this write's, already there.
    auto position = table->history.end();
    bool present = false;
    while (position != table->history.begin() && std::prev(position)->millis >= pitr.millis) {
      --position;
      const auto& entry = *position;
      if (entry.millis == pitr.millis && entry.key == key && entry.before.has_value() == pitr.before.has_value() &&
          (!entry.before || Equals(AttributeValue::Map(*entry.before), AttributeValue::Map(*pitr.before))))
        present = true;
    }
    // Inserted after every entry of its moment or earlier: history stays in time order.
    while (position != table->history.end() && position->millis <= pitr.millis) ++position;
    if (!present) table->history.insert(position, {pitr.millis, key, pitr.before, pitr.key});
  }
  if (change.stream_record) {
    std::shared_ptr<Stream> stream;
    {
      std::shared_lock directory(directory_mutex_);
      if (auto scope_it = streams_.find(change.scope); scope_it != streams_.end())
        if (auto it = scope_it->second.find(change.stream_arn); it != scope_it->second.end()) stream = it->second;
    }
    if (stream) {
      const std::uint64_t sequence = ParseSequence(change.stream_record->sequence_number);
      std::lock_guard stream_lock(stream->mutex);
      if (stream->records.empty() || stream->records.back().sequence < sequence)
        stream->records.push_back({sequence, *change.stream_record});
      std::uint64_t next = next_sequence.load();
      while (next <= sequence && !next_sequence.compare_exchange_weak(next, sequence + 1)) {
      }
    }
  }
  return Done{};
}

}  // namespace mallard::dynamodb

#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "services/dynamodb/memory/memory_dynamodb_internal.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <set>

#include "common/ids.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {

MemoryDynamoDbStore::MemoryDynamoDbStore() : listeners_(std::make_shared<Listeners>()) {}
MemoryDynamoDbStore::~MemoryDynamoDbStore() = default;

void MemoryDynamoDbStore::Reset() {
  std::lock_guard schema(schema_mutex_);
  std::unique_lock lock(directory_mutex_);
  if (Reporting()) {
    std::set<Scope> scopes;
    for (const auto& [scope, tables] : tables_) scopes.insert(scope);
    for (const auto& [scope, streams] : streams_) scopes.insert(scope);
    for (const auto& [scope, backups] : backups_) scopes.insert(scope);
    std::vector<DdbChange> changes;
    for (const auto& scope : scopes) changes.push_back(DdbChange::Of(DdbChange::Type::kScopeCleared, scope));
    Report(changes);
  }
  tables_.clear();
  streams_.clear();
  backups_.clear();
}

std::shared_ptr<Table> MemoryDynamoDbStore::Find(const Scope& scope, const std::string& name) {
  std::shared_lock lock(directory_mutex_);
  auto scope_it = tables_.find(scope);
  if (scope_it == tables_.end()) return nullptr;
  auto it = scope_it->second.find(name);
  return it == scope_it->second.end() ? nullptr : it->second;
}

StoreResult<Done> MemoryDynamoDbStore::AddTable(const Scope& scope, std::shared_ptr<Table> table) {
  std::unique_lock lock(directory_mutex_);
  auto& tables = tables_[scope];
  if (tables.count(table->definition.name) != 0) return StoreFail(StoreErrc::TableExists);
  if (table->stream) streams_[scope][table->stream->description.arn] = table->stream;
  tables.emplace(table->definition.name, std::move(table));
  return Done{};
}

StoreResult<Done> MemoryDynamoDbStore::AddReportedTable(const Scope& scope, std::shared_ptr<Table> table) {
  std::lock_guard schema(schema_mutex_);
  std::unique_lock table_lock(table->mutex);  // writers that find it wait until it is reported
  const std::string name = table->definition.name;
  MALLARD_RETURN_IF_ERROR(AddTable(scope, table));
  if (Reporting()) Report({TableChange(scope, name, table.get())});
  return Done{};
}

StoreResult<Done> MemoryDynamoDbStore::CreateTable(const Scope& scope, const TableDefinition& definition) {
  auto table = std::make_shared<Table>();
  table->definition = definition;
  for (const auto& index : definition.indexes) table->indexes[index.name];
  if (definition.stream.enabled) table->stream = OpenStream(definition, definition.created_millis);
  return AddReportedTable(scope, std::move(table));
}

StoreResult<TableDefinition> MemoryDynamoDbStore::GetTable(const Scope& scope, const std::string& name) {
  auto table = Find(scope, name);
  if (!table) return StoreFail(StoreErrc::TableNotFound);
  std::shared_lock lock(table->mutex);
  return table->definition;
}

StoreResult<std::vector<std::string>> MemoryDynamoDbStore::ListTables(const Scope& scope) {
  std::shared_lock lock(directory_mutex_);
  std::vector<std::string> names;
  if (auto it = tables_.find(scope); it != tables_.end())
    for (const auto& [name, table] : it->second) names.push_back(name);
  return names;
}

StoreResult<std::vector<Scope>> MemoryDynamoDbStore::ListScopes() {
  std::shared_lock lock(directory_mutex_);
  std::vector<Scope> scopes;
  for (const auto& [scope, tables] : tables_)
    if (!tables.empty()) scopes.push_back(scope);
  return scopes;
}

StoreResult<Result<TableDefinition>> MemoryDynamoDbStore::UpdateTable(const Scope& scope, const std::string& name,
                                                                          const TableMutation& mutate) {
  std::lock_guard schema(schema_mutex_);
  auto table = Find(scope, name);
  if (!table) return StoreFail(StoreErrc::TableNotFound);
  {
    std::unique_lock lock(table->mutex);
    if (table->dropped) return StoreFail(StoreErrc::TableNotFound);
    TableDefinition updated = table->definition;
    if (auto status = mutate(updated); !status.ok())
      return Result<TableDefinition>(Fail(std::move(status).error()));
    const TableDefinition before = std::move(table->definition);
    table->definition = updated;
    for (const auto& index : before.indexes)
      if (!updated.FindIndex(index.name)) table->indexes.erase(index.name);
    for (const auto& index : updated.indexes)
      if (!before.FindIndex(index.name)) RebuildIndex(*table, index);
    const std::int64_t now = WallClockMillis();
    const bool stream_changed = updated.stream.enabled != before.stream.enabled ||
                                (updated.stream.enabled && updated.stream.label != before.stream.label);
    if (stream_changed) {
      if (table->stream) CloseStream(*table->stream, now);
      table->stream.reset();
      if (updated.stream.enabled) {
        table->stream = OpenStream(updated, now);
        std::unique_lock directory(directory_mutex_);
        streams_[scope][table->stream->description.arn] = table->stream;
      }
    }
    if (!updated.pitr_enabled) table->history.clear();
    if (Reporting()) Report({TableChange(scope, name, table.get())});
    return Result<TableDefinition>(table->definition);
  }
}

StoreResult<TableDefinition> MemoryDynamoDbStore::DeleteTable(const Scope& scope, const std::string& name) {
  std::lock_guard schema(schema_mutex_);
  std::shared_ptr<Table> table;
  {
    std::unique_lock lock(directory_mutex_);
    auto scope_it = tables_.find(scope);
    if (scope_it == tables_.end()) return StoreFail(StoreErrc::TableNotFound);
    auto it = scope_it->second.find(name);
    if (it == scope_it->second.end()) return StoreFail(StoreErrc::TableNotFound);
    table = std::move(it->second);
    scope_it->second.erase(it);
  }
  std::unique_lock lock(table->mutex);
  table->dropped = true;
  if (table->stream) CloseStream(*table->stream, WallClockMillis());
  if (Reporting())
    Report({DdbChange::Of(DdbChange::Type::kTableRemoved, scope, name),
            TableChange(scope, name, nullptr)});
  return table->definition;
}

StoreResult<TableStats> MemoryDynamoDbStore::GetTableStats(const Scope& scope, const std::string& name) {
  auto table = Find(scope, name);
  if (!table) return StoreFail(StoreErrc::TableNotFound);
  std::shared_lock lock(table->mutex);
  TableStats stats;
  stats.item_count = static_cast<std::int64_t>(table->items.size());
  stats.size_bytes = table->size_bytes;
  for (const auto& [index_name, data] : table->indexes)
    stats.indexes[index_name] = {static_cast<std::int64_t>(data.entries.size()), data.size_bytes};
  return stats;
}


StoreResult<std::vector<std::optional<Item>>> MemoryDynamoDbStore::GetItems(const Scope& scope,
                                                                                const std::vector<ItemRef>& refs) {
  LockedTables<std::shared_lock<std::shared_mutex>> locked;
  for (const auto& ref : refs) {
    if (locked.by_name.count(ref.table) != 0) continue;
    auto table = Find(scope, ref.table);
    if (!table) return StoreFail(StoreErrc::TableNotFound, ref.table);
    locked.by_name.emplace(ref.table, std::move(table));
  }
  for (auto& [name, table] : locked.by_name) locked.locks.emplace_back(table->mutex);
  std::vector<std::optional<Item>> found;
  found.reserve(refs.size());
  for (const auto& ref : refs) {
    const Table& table = *locked.by_name.at(ref.table);
    if (table.dropped) return StoreFail(StoreErrc::TableNotFound, ref.table);
    auto it = table.items.find(EncodePrimaryKey(table.definition.keys, ref.key));
    if (it == table.items.end()) {
      found.emplace_back();
      continue;
    }
    MALLARD_ASSIGN_OR_RETURN(Item item, Load(it->second));
    found.emplace_back(std::move(item));
  }
  return found;
}

StoreResult<Result<WriteOutcome>> MemoryDynamoDbStore::WriteItems(const Scope& scope,
                                                                      const std::vector<ItemRef>& refs,
                                                                      const WriteDecider& decide,
                                                                      const WriteContext& context) {
  LockedTables<std::unique_lock<std::shared_mutex>> locked;
  for (const auto& ref : refs) {
    if (locked.by_name.count(ref.table) != 0) continue;
    auto table = Find(scope, ref.table);
    if (!table) return StoreFail(StoreErrc::TableNotFound, ref.table);
    locked.by_name.emplace(ref.table, std::move(table));
  }
  for (auto& [name, table] : locked.by_name) locked.locks.emplace_back(table->mutex);

  std::vector<Table*> tables;
  std::vector<std::string> keys;
  WriteOutcome outcome;  // the current items, decoded: what the decider sees and what the caller gets back
  outcome.old_items.reserve(refs.size());
  for (const auto& ref : refs) {
    Table* table = locked.by_name.at(ref.table).get();
    if (table->dropped) return StoreFail(StoreErrc::TableNotFound, ref.table);
    keys.push_back(EncodePrimaryKey(table->definition.keys, ref.key));
    tables.push_back(table);
    auto it = table->items.find(keys.back());
    if (it == table->items.end()) {
      outcome.old_items.emplace_back();
      continue;
    }
    MALLARD_ASSIGN_OR_RETURN(Item item, Load(it->second));
    outcome.old_items.emplace_back(std::move(item));
  }
  std::vector<const Item*> current;
  current.reserve(refs.size());
  for (const auto& item : outcome.old_items) current.push_back(item ? &*item : nullptr);
  auto decision = decide(current);
  if (!decision.ok()) return Result<WriteOutcome>(Fail(std::move(decision).error()));

  const bool notify = listeners_->any.load(std::memory_order_relaxed);
  std::vector<std::pair<Table*, StreamRecord>> published;
  std::vector<DdbChange> journaled;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    ItemWrite& write = decision.value()[i];
    Table& table = *tables[i];
    const std::optional<Item>& before = outcome.old_items[i];
    std::optional<Item> after;
    if (write.kind == ItemWrite::Kind::Keep) continue;
    if (write.kind == ItemWrite::Kind::Put) {
      if (before && Equals(AttributeValue::Map(*before), AttributeValue::Map(write.item))) continue;
      after = std::move(write.item);
    } else if (!before) {
      continue;  // deleting an absent item changes nothing
    }
    DdbChange* change = nullptr;
    if (Reporting()) {
      change = &journaled.emplace_back();
      change->scope = scope;
      change->table_name = table.definition.name;
      change->table_id = table.definition.table_id;
      change->key = refs[i].key;
      change->item = after;
    }
    if (table.definition.pitr_enabled) {
      table.history.push_back({context.now_millis, keys[i], before, refs[i].key});
      if (change) change->pitr = PitrChange{context.now_millis, refs[i].key, before};
    }
    // `before` is what the key held unless an earlier ref of this call wrote the same item.
    bool written_earlier = false;
    for (std::size_t j = 0; j < i && !written_earlier; ++j) written_earlier = tables[j] == &table && keys[j] == keys[i];
    if (written_earlier) {
      MALLARD_RETURN_IF_ERROR(EraseKeyFrom(table, keys[i]));
    } else if (before && after) {
      ForgetItemIn(table, *before);  // its map entry stays and takes the new item below
    } else if (before) {
      EraseItemFrom(table, table.items.find(keys[i]), *before);
    }
    if (table.stream) {
      StreamRecord record = MakeStreamRecord(table.definition, before, after, context);
      std::lock_guard stream_lock(table.stream->mutex);
      const std::uint64_t sequence = next_sequence.fetch_add(1);
      record.sequence_number = FormatSequence(sequence);
      if (notify) published.emplace_back(&table, record);
      if (change) {
        change->stream_record = record;
        change->stream_arn = table.stream->description.arn;
        change->shard_id = table.stream->description.shards.front().shard_id;
      }
      table.stream->records.push_back({sequence, std::move(record)});
    }
    if (after) PutItemInto(table, keys[i], *after);
  }
  if (!journaled.empty()) Report(journaled);
  if (!published.empty()) {
    std::lock_guard lock(listeners_->mutex);
    for (const auto& [table, record] : published)
      for (const auto& [id, listener] : listeners_->by_id) listener(scope, table->definition.name, record);
  }
  return Result<WriteOutcome>(std::move(outcome));
}

namespace {

struct PageBuilder {
  const TableDefinition& definition;
  const IndexDefinition* index;
  std::size_t limit;
  std::size_t max_bytes;
  bool whole_items;
  Page page;
  bool full = false;
  std::optional<StoreError> error;  // an item that could not be read back ends the walk

  void Add(const Item& item) {
    Item returned = index && !whole_items ? ProjectForIndex(*index, definition.keys, item) : item;
    page.bytes_read += ItemSize(returned);
    const bool stop = (limit != 0 && page.items.size() + 1 >= limit) || page.bytes_read >= max_bytes;
    if (stop) {
      page.last_evaluated_key = LastEvaluatedKey(definition, index, item);
      full = true;
    }
    page.items.push_back(std::move(returned));
  }
};

template <typename Entries, typename Resolve>
void WalkRange(const Entries& entries, const std::string& low_key, const std::string& high_key, bool forward,
               const std::function<int(const Item&)>& position, Resolve resolve, PageBuilder& builder) {
  // Entries in [low_key, high_key) (high_key "" = unbounded), in the requested direction.
  auto begin = entries.lower_bound(low_key);
  auto end = high_key.empty() ? entries.end() : entries.lower_bound(high_key);
  // Whether the walk goes on past this entry.
  auto visit = [&](const auto& entry, int stop_side) {
    StoreResult<Item> item = resolve(entry);
    if (!item) {
      builder.error = item.error();
      return false;
    }
    const int where = position(*item);
    if (where == stop_side) return false;
    if (where == 0) builder.Add(*item);
    return true;
  };
  if (forward) {
    for (auto it = begin; it != end && !builder.full; ++it) {
      if (!visit(*it, 1)) break;
    }
  } else {
    for (auto it = end; it != begin && !builder.full;) {
      --it;
      if (!visit(*it, -1)) break;
    }
  }
}

// Walks the table itself or one of its indexes (whose entries lead to the table's items).
void WalkTableOrIndex(const Table& table, const IndexDefinition* index, const std::string& low,
                      const std::string& high, bool forward, const std::function<int(const Item&)>& position,
                      PageBuilder& builder) {
  if (index) {
    WalkRange(table.indexes.at(index->name).entries, low, high, forward, position,
              [&](const auto& entry) { return Load(table.items.at(entry.second)); }, builder);
  } else {
    WalkRange(table.items, low, high, forward, position, [](const auto& entry) { return Load(entry.second); },
              builder);
  }
}

}  // namespace

StoreResult<Page> MemoryDynamoDbStore::Query(const Scope& scope, const QueryRequest& request) {
  auto table = Find(scope, request.table);
  if (!table) return StoreFail(StoreErrc::TableNotFound, request.table);
  std::shared_lock lock(table->mutex);
  if (table->dropped) return StoreFail(StoreErrc::TableNotFound, request.table);
  const TableDefinition& definition = table->definition;
  MALLARD_ASSIGN_OR_RETURN(const IndexDefinition* index, ResolveIndex(definition, request.index));
  const KeySchema& keys = index ? index->keys : definition.keys;
  const std::string prefix = QueryPrefix(request);
  std::string low = prefix;
  std::string high = PrefixSuccessor(prefix);
  if (request.sort) {
    // Seek to the condition's bounds; the per-item check below stays authoritative.
    const SortOp op = request.sort->op;
    if (op == SortOp::Eq || op == SortOp::Gt || op == SortOp::Ge || op == SortOp::Between) {
      std::string bound = prefix;
      AppendSortComponent(bound, request.sort->value);
      bound.resize(bound.size() - 2);  // without the terminator: equal values sort at or after it
      low = std::max(low, bound);
    }
  }
  if (request.exclusive_start_key) {
    const Item& start = *request.exclusive_start_key;
    MALLARD_ASSIGN_OR_RETURN(const std::string encoded, EncodeStartKey(definition, index, start));
    if (PartitionPrefixOf(keys, start) != PartitionPrefix(request.partition, request.more_partition))
      return StoreFail(StoreErrc::InvalidStartKey,
                         "The provided starting key is outside query boundaries based on provided conditions");
    if (request.forward)
      low = std::max(low, encoded + std::string(1, '\0'));  // the successor of the start key
    else
      high = std::min(high, encoded);
  }
  PageBuilder builder{definition, index, request.limit, request.max_bytes, request.whole_items, {}, false, std::nullopt};
  auto position = [&](const Item& item) { return QueryPosition(keys, request, item); };
  if (low < high) WalkTableOrIndex(*table, index, low, high, request.forward, position, builder);
  if (builder.error) return Unexpected(*builder.error);
  return std::move(builder.page);
}

StoreResult<Page> MemoryDynamoDbStore::Scan(const Scope& scope, const ScanRequest& request) {
  auto table = Find(scope, request.table);
  if (!table) return StoreFail(StoreErrc::TableNotFound, request.table);
  std::shared_lock lock(table->mutex);
  if (table->dropped) return StoreFail(StoreErrc::TableNotFound, request.table);
  const TableDefinition& definition = table->definition;
  MALLARD_ASSIGN_OR_RETURN(const IndexDefinition* index, ResolveIndex(definition, request.index));
  std::string low = SegmentStart(request.segment, request.total_segments);
  std::string high =
      request.segment + 1 < request.total_segments ? SegmentStart(request.segment + 1, request.total_segments) : "";
  if (request.exclusive_start_key) {
    MALLARD_ASSIGN_OR_RETURN(const std::string encoded, EncodeStartKey(definition, index, *request.exclusive_start_key));
    low = std::max(low, encoded + std::string(1, '\0'));
  }
  PageBuilder builder{definition, index, request.limit, request.max_bytes, request.whole_items, {}, false, std::nullopt};
  auto everywhere = [](const Item&) { return 0; };
  if (high.empty() || low < high) WalkTableOrIndex(*table, index, low, high, true, everywhere, builder);
  if (builder.error) return Unexpected(*builder.error);
  return std::move(builder.page);
}

std::unique_ptr<DynamoDbStore::Subscription> MemoryDynamoDbStore::SubscribeStreams(StreamListener on_record) {
  struct Handle final : Subscription {
    std::shared_ptr<Listeners> listeners;
    std::uint64_t id;
    ~Handle() override {
      std::lock_guard lock(listeners->mutex);
      listeners->by_id.erase(id);
      listeners->any = !listeners->by_id.empty();
    }
  };
  auto handle = std::make_unique<Handle>();
  handle->listeners = listeners_;
  std::lock_guard lock(listeners_->mutex);
  handle->id = listeners_->next_id++;
  listeners_->by_id.emplace(handle->id, std::move(on_record));
  listeners_->any = true;
  return handle;
}

StoreResult<std::vector<StreamDescription>> MemoryDynamoDbStore::ListStreams(const Scope& scope,
                                                                               const std::string& table) {
  std::vector<std::shared_ptr<Stream>> streams;
  {
    std::shared_lock lock(directory_mutex_);
    if (auto it = streams_.find(scope); it != streams_.end())
      for (const auto& [arn, stream] : it->second) streams.push_back(stream);
  }
  const std::int64_t now = WallClockMillis();
  std::vector<StreamDescription> found;
  for (const auto& stream : streams) {
    std::lock_guard lock(stream->mutex);
    if (!table.empty() && stream->description.table_name != table) continue;
    if (stream->closed_millis != 0 && stream->closed_millis < now - kStreamRetentionMillis) continue;
    found.push_back(stream->description);
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.created_millis > b.created_millis; });
  return found;
}

namespace {
std::shared_ptr<Stream> FindIn(const std::map<Scope, std::map<std::string, std::shared_ptr<Stream>>>& streams,
                               const Scope& scope, const std::string& arn) {
  auto scope_it = streams.find(scope);
  if (scope_it == streams.end()) return nullptr;
  auto it = scope_it->second.find(arn);
  return it == scope_it->second.end() ? nullptr : it->second;
}
}  // namespace

std::shared_ptr<Stream> MemoryDynamoDbStore::FindStream(const Scope& scope, const std::string& arn) {
  std::shared_lock lock(directory_mutex_);
  return FindIn(streams_, scope, arn);
}

StoreResult<StreamDescription> MemoryDynamoDbStore::DescribeStream(const Scope& scope,
                                                                       const std::string& stream_arn) {
  auto stream = FindStream(scope, stream_arn);
  if (!stream) return StoreFail(StoreErrc::StreamNotFound);
  std::lock_guard lock(stream->mutex);
  return stream->description;
}

StoreResult<StreamReadResult> MemoryDynamoDbStore::ReadStream(const Scope& scope, const std::string& stream_arn,
                                                                  const std::string& shard_id,
                                                                  const std::string& after_sequence, std::size_t limit,
                                                                  std::int64_t now_millis) {
  auto stream = FindStream(scope, stream_arn);
  if (!stream) return StoreFail(StoreErrc::StreamNotFound);
  std::lock_guard lock(stream->mutex);
  if (!stream->HasShard(shard_id)) return StoreFail(StoreErrc::ShardNotFound);
  stream->Trim(now_millis);
  std::uint64_t after = 0;
  if (!after_sequence.empty()) {
    after = ParseSequence(after_sequence);
    if (after == 0) return StoreFail(StoreErrc::SequenceNotFound);
  }
  StreamReadResult result;
  result.next_after_sequence = after_sequence;
  auto it = std::upper_bound(stream->records.begin(), stream->records.end(), after,
                             [](std::uint64_t value, const Stream::Entry& entry) { return value < entry.sequence; });
  for (; it != stream->records.end() && result.records.size() < limit; ++it) {
    result.records.push_back(it->record);
    result.next_after_sequence = it->record.sequence_number;
  }
  result.shard_closed = stream->description.status == "DISABLED" && it == stream->records.end();
  return result;
}

StoreResult<std::string> MemoryDynamoDbStore::LatestSequence(const Scope& scope, const std::string& stream_arn,
                                                                 const std::string& shard_id) {
  auto stream = FindStream(scope, stream_arn);
  if (!stream) return StoreFail(StoreErrc::StreamNotFound);
  std::lock_guard lock(stream->mutex);
  if (!stream->HasShard(shard_id)) return StoreFail(StoreErrc::ShardNotFound);
  // Everything up to the last sequence number handed out so far is "before LATEST".
  return FormatSequence(next_sequence.load() - 1);
}

StoreResult<BackupDescription> MemoryDynamoDbStore::CreateBackup(const Scope& scope, BackupDescription backup) {
  std::lock_guard schema(schema_mutex_);
  auto table = Find(scope, backup.table_name);
  if (!table) return StoreFail(StoreErrc::TableNotFound);
  auto copy = std::make_shared<BackupCopy>();
  {
    std::shared_lock lock(table->mutex);
    if (table->dropped) return StoreFail(StoreErrc::TableNotFound);
    copy->items = table->items;
    backup.table = table->definition;
    backup.table_arn = table->definition.arn;
    backup.table_id = table->definition.table_id;
    backup.item_count = static_cast<std::int64_t>(table->items.size());
    backup.size_bytes = table->size_bytes;
  }
  copy->description = backup;
  if (Reporting()) {
    auto change = DdbChange::Of(DdbChange::Type::kBackup, scope);
    change.backup.description = backup;
    for (const auto& [key, stored] : copy->items) {
      MALLARD_ASSIGN_OR_RETURN(Item item, Load(stored));
      change.backup.items.push_back(std::move(item));
    }
    Report({change});
  }
  std::unique_lock lock(directory_mutex_);
  backups_[scope][backup.arn] = std::move(copy);
  return backup;
}

StoreResult<BackupDescription> MemoryDynamoDbStore::GetBackup(const Scope& scope, const std::string& backup_arn) {
  std::shared_lock lock(directory_mutex_);
  auto scope_it = backups_.find(scope);
  if (scope_it == backups_.end()) return StoreFail(StoreErrc::BackupNotFound);
  auto it = scope_it->second.find(backup_arn);
  if (it == scope_it->second.end()) return StoreFail(StoreErrc::BackupNotFound);
  return it->second->description;
}

StoreResult<std::vector<BackupDescription>> MemoryDynamoDbStore::ListBackups(const Scope& scope) {
  std::shared_lock lock(directory_mutex_);
  std::vector<BackupDescription> found;
  if (auto it = backups_.find(scope); it != backups_.end())
    for (const auto& [arn, copy] : it->second) found.push_back(copy->description);
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.created_millis < b.created_millis; });
  return found;
}

StoreResult<BackupDescription> MemoryDynamoDbStore::DeleteBackup(const Scope& scope, const std::string& backup_arn) {
  std::lock_guard schema(schema_mutex_);
  std::unique_lock lock(directory_mutex_);
  auto scope_it = backups_.find(scope);
  if (scope_it == backups_.end()) return StoreFail(StoreErrc::BackupNotFound);
  auto it = scope_it->second.find(backup_arn);
  if (it == scope_it->second.end()) return StoreFail(StoreErrc::BackupNotFound);
  BackupDescription description = it->second->description;
  scope_it->second.erase(it);
  if (Reporting()) {
    auto change = DdbChange::Of(DdbChange::Type::kBackupRemoved, scope);
    change.backup_arn = backup_arn;
    Report({change});
  }
  return description;
}

StoreResult<Done> MemoryDynamoDbStore::RestoreTable(const Scope& scope, const TableDefinition& target,
                                                        const RestoreSource& source) {
  StoredItems items;
  if (!source.backup_arn.empty()) {
    std::shared_lock lock(directory_mutex_);
    auto scope_it = backups_.find(scope);
    if (scope_it == backups_.end() || scope_it->second.count(source.backup_arn) == 0)
      return StoreFail(StoreErrc::BackupNotFound);
    items = scope_it->second.at(source.backup_arn)->items;
  } else {
    auto table = Find(scope, source.table_name);
    if (!table) return StoreFail(StoreErrc::TableNotFound);
    std::shared_lock lock(table->mutex);
    items = table->items;
    // Undo, newest first, every change made after the requested time.
    for (auto it = table->history.rbegin(); it != table->history.rend() && it->millis > source.as_of_millis; ++it) {
      if (it->before)
        items.insert_or_assign(it->key, StoredItem(*it->before));
      else
        items.erase(it->key);
    }
  }
  auto table = std::make_shared<Table>();
  table->definition = target;
  for (const auto& index : target.indexes) table->indexes[index.name];
  for (const auto& [old_key, stored] : items) {
    MALLARD_ASSIGN_OR_RETURN(Item item, Load(stored));
    PutItemInto(*table, EncodePrimaryKey(target.keys, item), item);
  }
  if (target.stream.enabled) table->stream = OpenStream(target, target.created_millis);
  return AddReportedTable(scope, std::move(table));
}

}  // namespace mallard::dynamodb

#include "services/dynamodb/memory/memory_dynamodb_store.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <set>

#include "common/ids.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {

namespace {
constexpr std::int64_t kStreamRetentionMillis = 24LL * 3600 * 1000;
}

struct MemoryDynamoDbStore::Stream {
  std::mutex mutex;  // readers do not take the table lock
  StreamDescription description;
  struct Entry {
    std::uint64_t sequence;
    StreamRecord record;
  };
  std::deque<Entry> records;
  std::int64_t closed_millis = 0;

  bool HasShard(const std::string& shard_id) const {
    return !description.shards.empty() && description.shards.front().shard_id == shard_id;
  }

  void Trim(std::int64_t now_millis) {
    while (!records.empty() && records.front().record.created_millis < now_millis - kStreamRetentionMillis)
      records.pop_front();
  }
};

struct MemoryDynamoDbStore::Table {
  std::shared_mutex mutex;
  bool dropped = false;
  TableDefinition definition;
  std::map<std::string, Item> items;  // EncodePrimaryKey -> item
  std::int64_t size_bytes = 0;
  struct Index {
    std::map<std::string, std::string> entries;  // EncodeIndexKey -> primary key
    std::int64_t size_bytes = 0;
  };
  std::map<std::string, Index> indexes;
  std::shared_ptr<Stream> stream;  // the open stream, when enabled
  // Point-in-time recovery: the image each write replaced, oldest first.
  struct Change {
    std::int64_t millis;
    std::string key;
    std::optional<Item> before;
    Item key_attributes;  // the key as attributes, for snapshots (the encoded key is ours alone)
  };
  std::deque<Change> history;
};

struct MemoryDynamoDbStore::Listeners {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, StreamListener> by_id;
  std::atomic<bool> any{false};
};

struct BackupCopy {
  BackupDescription description;
  std::map<std::string, Item> items;
};

namespace {

using Table = MemoryDynamoDbStore::Table;
using Stream = MemoryDynamoDbStore::Stream;

std::atomic<std::uint64_t> next_sequence{1};

void IndexInsert(Table& table, const std::string& primary_key, const Item& item) {
  for (const auto& index : table.definition.indexes) {
    if (!IsIndexable(index.keys, item)) continue;  // sparse: the item is not in this index
    auto& data = table.indexes[index.name];
    data.entries.emplace(EncodeIndexKey(index.keys, table.definition.keys, item), primary_key);
    data.size_bytes += static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, item)));
  }
}

void IndexErase(Table& table, const Item& item) {
  for (const auto& index : table.definition.indexes) {
    if (!IsIndexable(index.keys, item)) continue;
    auto& data = table.indexes[index.name];
    if (data.entries.erase(EncodeIndexKey(index.keys, table.definition.keys, item)) != 0)
      data.size_bytes -= static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, item)));
  }
}

void RebuildIndex(Table& table, const IndexDefinition& index) {
  auto& data = table.indexes[index.name];
  data = {};
  for (const auto& [key, item] : table.items) {
    if (!IsIndexable(index.keys, item)) continue;
    data.entries.emplace(EncodeIndexKey(index.keys, table.definition.keys, item), key);
    data.size_bytes += static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, item)));
  }
}

void PutItemInto(Table& table, const std::string& key, Item item) {
  IndexInsert(table, key, item);
  table.size_bytes += static_cast<std::int64_t>(ItemSize(item));
  table.items.insert_or_assign(key, std::move(item));
}

void EraseItemFrom(Table& table, std::map<std::string, Item>::iterator position) {
  IndexErase(table, position->second);
  table.size_bytes -= static_cast<std::int64_t>(ItemSize(position->second));
  table.items.erase(position);
}

std::string ShardIdFor(std::int64_t created_millis) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "shardId-%020lld-", static_cast<long long>(created_millis));
  return buffer + RandomHex(8);
}

std::shared_ptr<Stream> OpenStream(const TableDefinition& table, std::int64_t now_millis) {
  auto stream = std::make_shared<Stream>();
  auto& description = stream->description;
  description.label = table.stream.label;
  description.arn = table.arn + "/stream/" + table.stream.label;
  description.table_name = table.name;
  description.status = "ENABLED";
  description.view_type = table.stream.view_type;
  description.keys = table.keys;
  description.created_millis = now_millis;
  StreamShard shard;
  shard.shard_id = ShardIdFor(now_millis);
  shard.starting_sequence_number = FormatSequence(next_sequence.load());
  description.shards.push_back(std::move(shard));
  return stream;
}

void CloseStream(Stream& stream, std::int64_t now_millis) {
  std::lock_guard lock(stream.mutex);
  if (stream.description.status == "DISABLED") return;
  stream.description.status = "DISABLED";
  stream.closed_millis = now_millis;
  auto& shard = stream.description.shards.back();
  shard.ending_sequence_number =
      stream.records.empty() ? shard.starting_sequence_number : FormatSequence(stream.records.back().sequence);
}

}  // namespace

MemoryDynamoDbStore::MemoryDynamoDbStore() : listeners_(std::make_shared<Listeners>()) {}
MemoryDynamoDbStore::~MemoryDynamoDbStore() = default;

void MemoryDynamoDbStore::Reset() {
  std::unique_lock lock(directory_mutex_);
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

StoreResult<Done> MemoryDynamoDbStore::CreateTable(const Scope& scope, const TableDefinition& definition) {
  auto table = std::make_shared<Table>();
  table->definition = definition;
  for (const auto& index : definition.indexes) table->indexes[index.name];
  if (definition.stream.enabled) table->stream = OpenStream(definition, definition.created_millis);
  return AddTable(scope, std::move(table));
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
  auto table = Find(scope, name);
  if (!table) return StoreFail(StoreErrc::TableNotFound);
  std::shared_ptr<Stream> opened;
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
      if (updated.stream.enabled) opened = table->stream = OpenStream(updated, now);
    }
    if (!updated.pitr_enabled) table->history.clear();
  }
  if (opened) {
    std::unique_lock lock(directory_mutex_);
    streams_[scope][opened->description.arn] = opened;
  }
  std::shared_lock lock(table->mutex);
  return Result<TableDefinition>(table->definition);
}

StoreResult<TableDefinition> MemoryDynamoDbStore::DeleteTable(const Scope& scope, const std::string& name) {
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

namespace {

// Locks every table named by `refs` (each once, in name order: no deadlock between units).
template <typename Lock>
struct LockedTables {
  std::map<std::string, std::shared_ptr<Table>> by_name;
  std::vector<Lock> locks;
};

}  // namespace

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
    found.push_back(it == table.items.end() ? std::nullopt : std::optional<Item>(it->second));
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
  std::vector<const Item*> current;
  for (const auto& ref : refs) {
    Table* table = locked.by_name.at(ref.table).get();
    if (table->dropped) return StoreFail(StoreErrc::TableNotFound, ref.table);
    keys.push_back(EncodePrimaryKey(table->definition.keys, ref.key));
    auto it = table->items.find(keys.back());
    current.push_back(it == table->items.end() ? nullptr : &it->second);
    tables.push_back(table);
  }
  auto decision = decide(current);
  if (!decision.ok()) return Result<WriteOutcome>(Fail(std::move(decision).error()));
  WriteOutcome outcome;
  for (const Item* item : current) outcome.old_items.push_back(item ? std::optional<Item>(*item) : std::nullopt);

  const bool notify = listeners_->any.load(std::memory_order_relaxed);
  std::vector<std::pair<Table*, StreamRecord>> published;
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
    if (table.definition.pitr_enabled) table.history.push_back({context.now_millis, keys[i], before, refs[i].key});
    if (auto it = table.items.find(keys[i]); it != table.items.end()) EraseItemFrom(table, it);
    if (table.stream) {
      StreamRecord record = MakeStreamRecord(table.definition, before, after, context);
      std::lock_guard stream_lock(table.stream->mutex);
      const std::uint64_t sequence = next_sequence.fetch_add(1);
      record.sequence_number = FormatSequence(sequence);
      if (notify) published.emplace_back(&table, record);
      table.stream->records.push_back({sequence, std::move(record)});
    }
    if (after) PutItemInto(table, keys[i], std::move(*after));
  }
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
  if (forward) {
    for (auto it = begin; it != end && !builder.full; ++it) {
      const Item& item = resolve(*it);
      const int where = position(item);
      if (where > 0) break;
      if (where == 0) builder.Add(item);
    }
  } else {
    for (auto it = end; it != begin && !builder.full;) {
      --it;
      const Item& item = resolve(*it);
      const int where = position(item);
      if (where < 0) break;
      if (where == 0) builder.Add(item);
    }
  }
}

// Walks the table itself or one of its indexes (whose entries lead to the table's items).
void WalkTableOrIndex(const Table& table, const IndexDefinition* index, const std::string& low,
                      const std::string& high, bool forward, const std::function<int(const Item&)>& position,
                      PageBuilder& builder) {
  if (index) {
    WalkRange(table.indexes.at(index->name).entries, low, high, forward, position,
              [&](const auto& entry) -> const Item& { return table.items.at(entry.second); }, builder);
  } else {
    WalkRange(table.items, low, high, forward, position,
              [](const auto& entry) -> const Item& { return entry.second; }, builder);
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
  PageBuilder builder{definition, index, request.limit, request.max_bytes, request.whole_items, {}};
  auto position = [&](const Item& item) { return QueryPosition(keys, request, item); };
  if (low < high) WalkTableOrIndex(*table, index, low, high, request.forward, position, builder);
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
  PageBuilder builder{definition, index, request.limit, request.max_bytes, request.whole_items, {}};
  auto everywhere = [](const Item&) { return 0; };
  if (high.empty() || low < high) WalkTableOrIndex(*table, index, low, high, true, everywhere, builder);
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
  std::unique_lock lock(directory_mutex_);
  auto scope_it = backups_.find(scope);
  if (scope_it == backups_.end()) return StoreFail(StoreErrc::BackupNotFound);
  auto it = scope_it->second.find(backup_arn);
  if (it == scope_it->second.end()) return StoreFail(StoreErrc::BackupNotFound);
  BackupDescription description = it->second->description;
  scope_it->second.erase(it);
  return description;
}

StoreResult<Done> MemoryDynamoDbStore::RestoreTable(const Scope& scope, const TableDefinition& target,
                                                        const RestoreSource& source) {
  std::map<std::string, Item> items;
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
        items.insert_or_assign(it->key, *it->before);
      else
        items.erase(it->key);
    }
  }
  auto table = std::make_shared<Table>();
  table->definition = target;
  for (const auto& index : target.indexes) table->indexes[index.name];
  for (auto& [old_key, item] : items) {
    std::string key = EncodePrimaryKey(target.keys, item);  // before the item is moved from
    PutItemInto(*table, key, std::move(item));
  }
  if (target.stream.enabled) table->stream = OpenStream(target, target.created_millis);
  return AddTable(scope, std::move(table));
}

}  // namespace mallard::dynamodb

// ---- Snapshots
namespace mallard::dynamodb {

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
    for (const auto& [key, item] : table->items)
      if (auto status = visit.item(item); !status.ok()) return status;
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
    for (const auto& [key, item] : copy->items)
      if (auto status = visit.backup_item(item); !status.ok()) return status;
  }
  return Status<std::string>(Done{});
}

StoreResult<Done> MemoryDynamoDbStore::ImportTable(const Scope& scope, TableImport imported) {
  std::shared_ptr<Table> table;
  std::string table_name;
  if (imported.definition) {
    table = std::make_shared<Table>();
    table->definition = std::move(*imported.definition);
    table_name = table->definition.name;
    for (const auto& index : table->definition.indexes) table->indexes[index.name];
    for (auto& item : imported.items) {
      std::string key = EncodePrimaryKey(table->definition.keys, item);
      PutItemInto(*table, key, std::move(item));
    }
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
  return Done{};
}

StoreResult<Done> MemoryDynamoDbStore::ImportBackup(const Scope& scope, BackupImport imported) {
  auto copy = std::make_shared<BackupCopy>();
  copy->description = std::move(imported.description);
  for (auto& item : imported.items) {
    std::string key = EncodePrimaryKey(copy->description.table.keys, item);
    copy->items.insert_or_assign(std::move(key), std::move(item));
  }
  std::unique_lock lock(directory_mutex_);
  backups_[scope][copy->description.arn] = std::move(copy);
  return Done{};
}

StoreResult<Done> MemoryDynamoDbStore::ClearScope(const Scope& scope) {
  std::map<std::string, std::shared_ptr<Table>> dropped;
  {
    std::unique_lock lock(directory_mutex_);
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

}  // namespace mallard::dynamodb

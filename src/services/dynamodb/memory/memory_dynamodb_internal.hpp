#pragma once
// The memory store's insides, shared by its two files (memory_dynamodb_store.cpp: tables, items,
// streams, backups; memory_dynamodb_state.cpp: snapshots and journaling). Not an interface.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "common/ids.hpp"
#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"

namespace mallard::dynamodb {

inline constexpr std::int64_t kStreamRetentionMillis = 24LL * 3600 * 1000;

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

using Table = MemoryDynamoDbStore::Table;
using Stream = MemoryDynamoDbStore::Stream;

// Stream sequence numbers: one counter for every store in the process, so they only grow.
inline std::atomic<std::uint64_t> next_sequence{1};

inline void IndexInsert(Table& table, const std::string& primary_key, const Item& item) {
  for (const auto& index : table.definition.indexes) {
    if (!IsIndexable(index.keys, item)) continue;  // sparse: the item is not in this index
    auto& data = table.indexes[index.name];
    data.entries.emplace(EncodeIndexKey(index.keys, table.definition.keys, item), primary_key);
    data.size_bytes += static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, item)));
  }
}

inline void IndexErase(Table& table, const Item& item) {
  for (const auto& index : table.definition.indexes) {
    if (!IsIndexable(index.keys, item)) continue;
    auto& data = table.indexes[index.name];
    if (data.entries.erase(EncodeIndexKey(index.keys, table.definition.keys, item)) != 0)
      data.size_bytes -= static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, item)));
  }
}

inline void RebuildIndex(Table& table, const IndexDefinition& index) {
  auto& data = table.indexes[index.name];
  data = {};
  for (const auto& [key, item] : table.items) {
    if (!IsIndexable(index.keys, item)) continue;
    data.entries.emplace(EncodeIndexKey(index.keys, table.definition.keys, item), key);
    data.size_bytes += static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, item)));
  }
}

inline void PutItemInto(Table& table, const std::string& key, Item item) {
  IndexInsert(table, key, item);
  table.size_bytes += static_cast<std::int64_t>(ItemSize(item));
  table.items.insert_or_assign(key, std::move(item));
}

inline void EraseItemFrom(Table& table, std::map<std::string, Item>::iterator position) {
  IndexErase(table, position->second);
  table.size_bytes -= static_cast<std::int64_t>(ItemSize(position->second));
  table.items.erase(position);
}

inline std::string ShardIdFor(std::int64_t created_millis) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "shardId-%020lld-", static_cast<long long>(created_millis));
  return buffer + RandomHex(8);
}

inline std::shared_ptr<Stream> OpenStream(const TableDefinition& table, std::int64_t now_millis) {
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

inline void CloseStream(Stream& stream, std::int64_t now_millis) {
  std::lock_guard lock(stream.mutex);
  if (stream.description.status == "DISABLED") return;
  stream.description.status = "DISABLED";
  stream.closed_millis = now_millis;
  auto& shard = stream.description.shards.back();
  shard.ending_sequence_number =
      stream.records.empty() ? shard.starting_sequence_number : FormatSequence(stream.records.back().sequence);
}

// Locks every table named by `refs` (each once, in name order: no deadlock between units).
template <typename Lock>
struct LockedTables {
  std::map<std::string, std::shared_ptr<Table>> by_name;
  std::vector<Lock> locks;
};

}  // namespace mallard::dynamodb

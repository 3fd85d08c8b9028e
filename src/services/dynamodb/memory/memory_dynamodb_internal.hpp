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
#include <spdlog/spdlog.h>

#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "services/dynamodb/model/ddb_item_binary.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"

namespace mallard::dynamodb {

inline constexpr std::int64_t kStreamRetentionMillis = 24LL * 3600 * 1000;

// An item as the store keeps it: its compact binary form (model/ddb_item_binary.hpp), in one
// allocation of about the item's own size. The decoded Item, a std::map of AttributeValue, took
// ~1,500 bytes for a 200-byte item; every read copied it anyway, and now decodes instead.
class StoredItem {
 public:
  explicit StoredItem(const Item& item) {
    thread_local std::string scratch;  // encoded once, then copied into an allocation of its exact size
    scratch.clear();
    AppendItemBinary(item, scratch);
    bytes_.assign(scratch);
  }
  Result<Item, std::string> Decode() const { return DecodeItemBinary(bytes_); }

 private:
  std::string bytes_;
};
using StoredItems = std::map<std::string, StoredItem>;  // EncodePrimaryKey -> item

// A stored item read back, or the store error that says it cannot be (a codec bug, never input).
inline StoreResult<Item> Load(const StoredItem& stored) {
  auto item = stored.Decode();
  if (!item) return StoreFail(StoreErrc::Unavailable, "the memory store cannot read back an item it holds: " + item.error());
  return std::move(item).value();
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
  StoredItems items;
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
  StoredItems items;
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
  for (const auto& [key, stored] : table.items) {
    auto item = stored.Decode();
    if (!item) {
      spdlog::error("dynamodb memory store: table {}: an item is unreadable and left out of index {}: {}",
                    table.definition.name, index.name, item.error());
      continue;
    }
    if (!IsIndexable(index.keys, *item)) continue;
    data.entries.emplace(EncodeIndexKey(index.keys, table.definition.keys, *item), key);
    data.size_bytes += static_cast<std::int64_t>(ItemSize(ProjectForIndex(index, table.definition.keys, *item)));
  }
}

inline void PutItemInto(Table& table, const std::string& key, const Item& item) {
  IndexInsert(table, key, item);
  table.size_bytes += static_cast<std::int64_t>(ItemSize(item));
  table.items.insert_or_assign(key, StoredItem(item));
}

// Takes a stored item's index entries and bytes out of the table's books, leaving its map entry
// for a PutItemInto of the same key to overwrite (no second lookup, no new node). `item` is the
// stored item, decoded.
inline void ForgetItemIn(Table& table, const Item& item) {
  IndexErase(table, item);
  table.size_bytes -= static_cast<std::int64_t>(ItemSize(item));
}

// `item` is the stored item at `position`, decoded (its index entries and size are computed from it).
inline void EraseItemFrom(Table& table, StoredItems::iterator position, const Item& item) {
  ForgetItemIn(table, item);
  table.items.erase(position);
}

// Removes the item under `key`, if any.
inline StoreResult<Done> EraseKeyFrom(Table& table, const std::string& key) {
  auto position = table.items.find(key);
  if (position == table.items.end()) return Done{};
  MALLARD_ASSIGN_OR_RETURN(Item item, Load(position->second));
  EraseItemFrom(table, position, item);
  return Done{};
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

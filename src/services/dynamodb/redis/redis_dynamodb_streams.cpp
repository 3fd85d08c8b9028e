// Streams, backups and restores of the Redis DynamoDB store.
#include <algorithm>
#include <charconv>

#include "services/dynamodb/redis/redis_dynamodb_store.hpp"
#include "common/encoding.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/dynamodb/redis/redis_dynamodb_codec.hpp"
#include "services/dynamodb/redis/redis_dynamodb_internal.hpp"
#include "services/dynamodb/redis/redis_dynamodb_scripts.hpp"
#include "common/ids.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {

using redis::RedisReply;
using namespace redis_store;
namespace codec = redis_codec;

namespace {

constexpr std::size_t kItemsPerBatch = 200;
constexpr int kSnapshotAttempts = 16;

// The element of an EXEC reply at `index` (MULTI, the queued commands, then EXEC).
const RedisReply* ExecResult(const std::vector<RedisReply>& replies, std::size_t index) {
  if (replies.empty() || replies.back().type != RedisReply::Type::Array) return nullptr;
  const auto& results = replies.back().elements;
  return index < results.size() ? &results[index] : nullptr;
}

}  // namespace

namespace redis_store {

StoreResult<BackupEntry> ParseBackupEntry(const std::string& text) {
  const auto bar = text.find('|');
  if (bar == std::string::npos) return Corrupt("backup entry");
  auto description = codec::BackupFromText(std::string_view(text).substr(bar + 1));
  if (!description) return Corrupt("backup description: " + description.error());
  return BackupEntry{text.substr(0, bar), std::move(description).value()};
}

StoreResult<HistoryEntry> ParseHistoryEntry(std::string_view text) {
  const auto first = text.find('|');
  const auto second = first == std::string_view::npos ? std::string_view::npos : text.find('|', first + 1);
  if (second == std::string_view::npos) return Corrupt("history entry");
  HistoryEntry entry;
  long long millis = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + first, millis);
  if (error != std::errc() || end != text.data() + first) return Corrupt("history entry time");
  entry.millis = millis;
  auto key = HexDecode(text.substr(first + 1, second - first - 1));
  if (!key) return Corrupt("history key");
  entry.primary_key = std::move(*key);
  std::string_view image = text.substr(second + 1);
  if (!image.empty() && image.front() == '~') {
    const auto newline = image.find('\n');
    auto attributes = codec::ItemFromText(image.substr(1, newline == std::string_view::npos ? image.npos : newline - 1));
    if (!attributes) return Corrupt("history key attributes: " + attributes.error());
    entry.key = std::move(attributes).value();
    image = newline == std::string_view::npos ? std::string_view() : image.substr(newline + 1);
  }
  if (!image.empty()) {
    auto before = codec::ItemFromText(image);
    if (!before) return Corrupt("history item: " + before.error());
    entry.before = std::move(before).value();
  }
  return entry;
}

std::string FormatHistoryEntry(std::int64_t millis, const std::string& primary_key, const std::optional<Item>& key,
                               const std::string& before_text) {
  std::string entry = std::to_string(millis) + "|" + HexEncode(primary_key) + "|";
  if (key) {
    entry += "~" + codec::ItemToText(*key);
    if (!before_text.empty()) entry += "\n";
  }
  return entry + before_text;
}

}  // namespace redis_store

// ---- Streams ----------------------------------------------------------------------------------

StoreResult<std::vector<StreamDescription>> RedisDynamoDbStore::ListStreams(const Scope& scope,
                                                                              const std::string& table) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGETALL", keys_->Streams(scope)})));
  const std::int64_t now = WallClockMillis();
  std::vector<StreamDescription> found;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    MALLARD_ASSIGN_OR_RETURN(StreamEntry entry, ParseStreamEntry(reply.elements[i + 1].text));
    if (!table.empty() && entry.description.table_name != table) continue;
    if (entry.closed_millis != 0 && entry.closed_millis < now - kStreamRetentionMillis) continue;
    found.push_back(std::move(entry.description));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.created_millis > b.created_millis; });
  return found;
}

StoreResult<StreamDescription> RedisDynamoDbStore::DescribeStream(const Scope& scope,
                                                                      const std::string& stream_arn) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGET", keys_->Streams(scope), stream_arn})));
  if (reply.IsNil()) return StoreFail(StoreErrc::StreamNotFound);
  MALLARD_ASSIGN_OR_RETURN(StreamEntry entry, ParseStreamEntry(reply.text));
  return std::move(entry.description);
}

namespace {
bool HasShard(const StreamDescription& stream, const std::string& shard_id) {
  return !stream.shards.empty() && stream.shards.front().shard_id == shard_id;
}
}  // namespace

StoreResult<StreamReadResult> RedisDynamoDbStore::ReadStream(const Scope& scope, const std::string& stream_arn,
                                                                 const std::string& shard_id,
                                                                 const std::string& after_sequence, std::size_t limit,
                                                                 std::int64_t now_millis) {
  const std::uint64_t after = after_sequence.empty() ? 0 : ParseSequence(after_sequence);
  if (!after_sequence.empty() && after == 0) {
    // Not one of ours; unknown streams and shards are reported first, as they are elsewhere.
    MALLARD_ASSIGN_OR_RETURN(StreamDescription stream, DescribeStream(scope, stream_arn));
    if (!HasShard(stream, shard_id)) return StoreFail(StoreErrc::ShardNotFound);
    return StoreFail(StoreErrc::SequenceNotFound);
  }
  // One record more than asked tells whether the shard has anything after this read.
  MALLARD_ASSIGN_OR_RETURN(
      RedisReply reply,
      Checked(pool_.Eval(redis_scripts::ReadStream(), {keys_->Streams(scope)},
                         {stream_arn, keys_->StreamBase(), after == 0 ? "-inf" : "(" + std::to_string(after),
                          std::to_string(limit + 1), std::to_string(now_millis - kStreamRetentionMillis)})));
  if (reply.IsNil()) return StoreFail(StoreErrc::StreamNotFound);
  if (reply.elements.size() != 2) return Corrupt("ReadStream reply");
  MALLARD_ASSIGN_OR_RETURN(StreamEntry entry, ParseStreamEntry(reply.elements[0].text));
  if (!HasShard(entry.description, shard_id)) return StoreFail(StoreErrc::ShardNotFound);
  const auto& fetched = reply.elements[1].elements;
  StreamReadResult result;
  result.next_after_sequence = after_sequence;
  for (std::size_t i = 0; i + 1 < fetched.size() && result.records.size() < limit; i += 2) {
    const std::string& member = fetched[i].text;
    const auto bar = member.find('|');
    if (bar == std::string::npos) return Corrupt("stream record");
    auto record = codec::StreamRecordFromText(std::string_view(member).substr(bar + 1));
    if (!record) return Corrupt("stream record: " + record.error());
    record->sequence_number = FormatSequence(static_cast<std::uint64_t>(fetched[i + 1].AsInteger()));
    result.next_after_sequence = record->sequence_number;
    result.records.push_back(std::move(record).value());
  }
  result.shard_closed = entry.closed_millis != 0 && fetched.size() / 2 <= limit;
  return result;
}

StoreResult<std::string> RedisDynamoDbStore::LatestSequence(const Scope& scope, const std::string& stream_arn,
                                                                const std::string& shard_id) {
  MALLARD_ASSIGN_OR_RETURN(auto replies, Checked(pool_.Pipeline({{"HGET", keys_->Streams(scope), stream_arn},
                                                                  {"GET", keys_->SequenceCounter()}})));
  if (replies.size() != 2) return Corrupt("LatestSequence replies");
  if (replies[0].IsNil()) return StoreFail(StoreErrc::StreamNotFound);
  MALLARD_ASSIGN_OR_RETURN(StreamEntry entry, ParseStreamEntry(replies[0].text));
  if (!HasShard(entry.description, shard_id)) return StoreFail(StoreErrc::ShardNotFound);
  // Everything up to the last sequence number handed out so far is "before LATEST"; before the
  // first one there is nothing to skip ("" reads from the oldest record, as the interface says).
  const auto last = static_cast<std::uint64_t>(replies[1].AsInteger(0));
  if (last == 0) return std::string();
  return FormatSequence(last);
}

// ---- Backups ----------------------------------------------------------------------------------

StoreResult<BackupDescription> RedisDynamoDbStore::CreateBackup(const Scope& scope, BackupDescription backup) {
  for (int attempt = 0; attempt < kSnapshotAttempts; ++attempt) {
    MALLARD_ASSIGN_OR_RETURN(TableState state, LoadTable(scope, backup.table_name));
    // One transaction reads the items and statistics of exactly the table version just loaded.
    MALLARD_ASSIGN_OR_RETURN(auto replies, Checked(pool_.Pipeline({{"MULTI"},
                                                                    {"HGET", keys_->Versions(scope), backup.table_name},
                                                                    {"HGETALL", keys_->Items(state.id)},
                                                                    {"HGETALL", keys_->Stats(state.id)},
                                                                    {"EXEC"}})));
    const RedisReply* version = ExecResult(replies, 0);
    const RedisReply* items = ExecResult(replies, 1);
    const RedisReply* stats = ExecResult(replies, 2);
    if (!version || !items || !stats) return Corrupt("backup snapshot reply");
    if (version->IsNil()) return StoreFail(StoreErrc::TableNotFound);
    if (version->text != state.version) continue;  // the definition changed in between

    MALLARD_ASSIGN_OR_RETURN(const std::string items_id, NextId());
    const std::string items_key = keys_->BackupItems(items_id);
    const auto& fields = items->elements;
    for (std::size_t i = 0; i < fields.size(); i += 2 * kItemsPerBatch) {
      std::vector<std::string> command{"HSET", items_key};
      for (std::size_t j = i; j < fields.size() && j < i + 2 * kItemsPerBatch; ++j) command.push_back(fields[j].text);
      MALLARD_RETURN_IF_ERROR(Checked(pool_.Run(command)));
    }
    backup.table = state.definition;
    backup.table_arn = state.definition.arn;
    backup.table_id = state.definition.table_id;
    backup.item_count = static_cast<std::int64_t>(fields.size() / 2);
    backup.size_bytes = 0;
    for (std::size_t i = 0; i + 1 < stats->elements.size(); i += 2)
      if (stats->elements[i].text == "size") backup.size_bytes = stats->elements[i + 1].AsInteger();
    MALLARD_RETURN_IF_ERROR(
        Checked(pool_.Run({"HSET", keys_->Backups(scope), backup.arn, items_id + "|" + codec::BackupToText(backup)})));
    return backup;
  }
  return StoreFail(StoreErrc::Conflict, "the table kept changing");
}

StoreResult<BackupDescription> RedisDynamoDbStore::GetBackup(const Scope& scope, const std::string& backup_arn) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGET", keys_->Backups(scope), backup_arn})));
  if (reply.IsNil()) return StoreFail(StoreErrc::BackupNotFound);
  MALLARD_ASSIGN_OR_RETURN(BackupEntry entry, ParseBackupEntry(reply.text));
  return std::move(entry.description);
}

StoreResult<std::vector<BackupDescription>> RedisDynamoDbStore::ListBackups(const Scope& scope) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HVALS", keys_->Backups(scope)})));
  std::vector<BackupDescription> found;
  for (const auto& value : reply.elements) {
    MALLARD_ASSIGN_OR_RETURN(BackupEntry entry, ParseBackupEntry(value.text));
    found.push_back(std::move(entry.description));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.created_millis < b.created_millis; });
  return found;
}

StoreResult<BackupDescription> RedisDynamoDbStore::DeleteBackup(const Scope& scope, const std::string& backup_arn) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGET", keys_->Backups(scope), backup_arn})));
  if (reply.IsNil()) return StoreFail(StoreErrc::BackupNotFound);
  MALLARD_ASSIGN_OR_RETURN(BackupEntry entry, ParseBackupEntry(reply.text));
  ApplyCall call;
  call.Guard(keys_->ExportGuard(scope));
  call.Check(keys_->Backups(scope), backup_arn, reply.text);
  call.Op({"HDEL", keys_->Backups(scope), backup_arn});
  call.Op({"UNLINK", keys_->BackupItems(entry.items_id)});
  MALLARD_ASSIGN_OR_RETURN(auto outcome, call.Run(pool_, keys_->SequenceCounter()));
  if (!outcome.applied) return StoreFail(StoreErrc::BackupNotFound);  // deleted concurrently
  return std::move(entry.description);
}

StoreResult<Done> RedisDynamoDbStore::LoadItems(const std::string& table_id, const TableDefinition& definition,
                                                    const std::map<std::string, Item>& items) {
  ApplyCall call;
  std::size_t pending = 0;
  for (const auto& [primary_key, item] : items) {
    AddItemChange(call, *keys_, table_id, definition, primary_key, std::nullopt, item);
    if (++pending == kItemsPerBatch) {
      MALLARD_RETURN_IF_ERROR(call.Run(pool_, keys_->SequenceCounter()));
      call = ApplyCall();
      pending = 0;
    }
  }
  if (call.HasOps()) MALLARD_RETURN_IF_ERROR(call.Run(pool_, keys_->SequenceCounter()));
  return Done{};
}

namespace {

StoreResult<std::map<std::string, Item>> DecodeItems(const std::vector<RedisReply>& fields) {
  std::map<std::string, Item> items;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    auto item = codec::ItemFromText(fields[i + 1].text);
    if (!item) return Corrupt("item: " + item.error());
    items.emplace(fields[i].text, std::move(item).value());
  }
  return items;
}

// Undoes, newest first, every change recorded after `as_of_millis` (HistoryEntry).
Status<StoreError> RollBack(std::map<std::string, Item>& items, const std::vector<RedisReply>& history,
                              std::int64_t as_of_millis) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    MALLARD_ASSIGN_OR_RETURN(HistoryEntry entry, ParseHistoryEntry(it->text));
    if (entry.millis <= as_of_millis) break;
    if (entry.before)
      items.insert_or_assign(std::move(entry.primary_key), std::move(*entry.before));
    else
      items.erase(entry.primary_key);
  }
  return Done{};
}

}  // namespace

StoreResult<Done> RedisDynamoDbStore::RestoreTable(const Scope& scope, const TableDefinition& target,
                                                       const RestoreSource& source) {
  std::map<std::string, Item> items;
  if (!source.backup_arn.empty()) {
    MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGET", keys_->Backups(scope), source.backup_arn})));
    if (reply.IsNil()) return StoreFail(StoreErrc::BackupNotFound);
    MALLARD_ASSIGN_OR_RETURN(BackupEntry entry, ParseBackupEntry(reply.text));
    MALLARD_ASSIGN_OR_RETURN(RedisReply stored, Checked(pool_.Run({"HGETALL", keys_->BackupItems(entry.items_id)})));
    MALLARD_ASSIGN_OR_RETURN(items, DecodeItems(stored.elements));
  } else {
    bool read = false;
    for (int attempt = 0; attempt < kSnapshotAttempts && !read; ++attempt) {
      MALLARD_ASSIGN_OR_RETURN(TableState state, LoadTable(scope, source.table_name));
      MALLARD_ASSIGN_OR_RETURN(auto replies, Checked(pool_.Pipeline({{"MULTI"},
                                                                      {"HGET", keys_->Versions(scope), source.table_name},
                                                                      {"HGETALL", keys_->Items(state.id)},
                                                                      {"LRANGE", keys_->History(state.id), "0", "-1"},
                                                                      {"EXEC"}})));
      const RedisReply* version = ExecResult(replies, 0);
      const RedisReply* stored = ExecResult(replies, 1);
      const RedisReply* history = ExecResult(replies, 2);
      if (!version || !stored || !history) return Corrupt("restore snapshot reply");
      if (version->IsNil()) return StoreFail(StoreErrc::TableNotFound);
      if (version->text != state.version) continue;
      MALLARD_ASSIGN_OR_RETURN(items, DecodeItems(stored->elements));
      MALLARD_RETURN_IF_ERROR(RollBack(items, history->elements, source.as_of_millis));
      read = true;
    }
    if (!read) return StoreFail(StoreErrc::Conflict, "the source table kept changing");
  }
  std::map<std::string, Item> keyed;
  for (auto& [old_key, item] : items) {
    std::string key = EncodePrimaryKey(target.keys, item);  // before the item is moved from
    keyed.insert_or_assign(std::move(key), std::move(item));
  }
  // The items go in under a fresh id first, so the table appears whole or not at all.
  MALLARD_ASSIGN_OR_RETURN(const std::string id, NextId());
  auto loaded = LoadItems(id, target, keyed);
  auto registered = loaded ? RegisterTable(scope, target, id) : StoreResult<Done>(Fail(loaded.error()));
  if (!registered) {
    std::vector<std::string> unlink{"UNLINK", keys_->Items(id), keys_->Order(id), keys_->Stats(id)};
    for (const auto& index : target.indexes) unlink.push_back(keys_->Index(id, index.name));
    (void)pool_.Run(unlink);
    return registered;
  }
  return Done{};
}

}  // namespace mallard::dynamodb

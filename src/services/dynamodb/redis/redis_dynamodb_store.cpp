#include "services/dynamodb/redis/redis_dynamodb_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <thread>

#include "services/dynamodb/redis/redis_dynamodb_codec.hpp"
#include "services/dynamodb/redis/redis_dynamodb_internal.hpp"
#include "services/dynamodb/redis/redis_dynamodb_scripts.hpp"
#include "common/ids.hpp"
#include "common/encoding.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/dynamodb/model/ddb_key_encoding.hpp"

namespace mallard::dynamodb {

using redis::RedisReply;
using namespace redis_store;
namespace codec = redis_codec;

namespace {

// Optimistic units retry on conflict; past this many attempts the caller gets a conflict error
// (TransactionConflictException), which AWS SDKs retry themselves.
constexpr int kMaxWriteAttempts = 64;
// Items per Apply call when loading or indexing many items, so no single script holds Redis long.
constexpr std::size_t kItemsPerBatch = 200;

std::optional<long long> ToInteger(std::string_view text) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Spreads out processes that keep colliding on one hot item.
void BackOff(int attempt) {
  if (attempt < 2) return;
  thread_local std::minstd_rand random(std::random_device{}());
  const int ceiling = std::min(50, 1 << std::min(attempt, 6));
  std::this_thread::sleep_for(std::chrono::microseconds(100 * (1 + static_cast<int>(random() % ceiling))));
}


}  // namespace

// ---- Shared helpers (redis_dynamodb_internal.hpp) ---------------------------------------------

namespace redis_store {

StoreResult<RedisReply> Checked(redis::RedisResult<RedisReply> reply) {
  if (!reply) return Unavailable(reply.error());
  if (reply->IsError()) {
    spdlog::error("dynamodb/redis: {}", reply->text);
    return StoreFail(StoreErrc::Unavailable, "Redis refused a command: " + reply->text);
  }
  return std::move(reply).value();
}

StoreResult<std::vector<RedisReply>> Checked(redis::RedisResult<std::vector<RedisReply>> replies) {
  if (!replies) return Unavailable(replies.error());
  for (const auto& reply : *replies)
    if (reply.IsError()) {
      spdlog::error("dynamodb/redis: {}", reply.text);
      return StoreFail(StoreErrc::Unavailable, "Redis refused a command: " + reply.text);
    }
  return std::move(replies).value();
}

bool ParseVersion(const std::string& version, RedisDynamoDbStore::TableState& state) {
  const auto first = version.find(':');
  const auto second = first == std::string::npos ? std::string::npos : version.find(':', first + 1);
  if (second == std::string::npos) return false;
  auto generation = ToInteger(std::string_view(version).substr(first + 1, second - first - 1));
  if (!generation) return false;
  state.version = version;
  state.id = version.substr(0, first);
  state.generation = static_cast<std::uint64_t>(*generation);
  state.stream_id = version.substr(second + 1);
  return true;
}

std::string FormatVersion(const std::string& id, std::uint64_t generation, const std::string& stream_id) {
  return id + ":" + std::to_string(generation) + ":" + stream_id;
}

StoreResult<StreamEntry> ParseStreamEntry(const std::string& text) {
  std::vector<std::string_view> fields;
  std::size_t position = 0;
  for (int i = 0; i < 4; ++i) {
    const auto bar = text.find('|', position);
    if (bar == std::string::npos) return Corrupt("stream entry");
    fields.push_back(std::string_view(text).substr(position, bar - position));
    position = bar + 1;
  }
  auto description = codec::StreamFromText(std::string_view(text).substr(position));
  if (!description) return Corrupt("stream description: " + description.error());
  StreamEntry entry;
  entry.id = std::string(fields[0]);
  entry.start = static_cast<std::uint64_t>(ToInteger(fields[1]).value_or(0));
  entry.closed_millis = fields[2].empty() ? 0 : ToInteger(fields[2]).value_or(0);
  entry.description = std::move(description).value();
  entry.description.status = fields[2].empty() ? "ENABLED" : "DISABLED";
  if (!entry.description.shards.empty()) {
    auto& shard = entry.description.shards.front();
    shard.starting_sequence_number = FormatSequence(entry.start);
    shard.ending_sequence_number =
        fields[3].empty() ? "" : FormatSequence(static_cast<std::uint64_t>(ToInteger(fields[3]).value_or(0)));
  }
  return entry;
}

std::string FormatStreamEntry(const std::string& id, std::uint64_t start, const StreamDescription& description) {
  return id + "|" + std::to_string(start) + "|||" + codec::StreamToText(description);
}

StreamDescription NewStream(const TableDefinition& table, std::int64_t now_millis, std::uint64_t current) {
  StreamDescription description;
  description.label = table.stream.label;
  description.arn = table.arn + "/stream/" + table.stream.label;
  description.table_name = table.name;
  description.status = "ENABLED";
  description.view_type = table.stream.view_type;
  description.keys = table.keys;
  description.created_millis = now_millis;
  char shard_id[64];
  std::snprintf(shard_id, sizeof shard_id, "shardId-%020lld-", static_cast<long long>(now_millis));
  StreamShard shard;
  shard.shard_id = shard_id + RandomHex(8);
  shard.starting_sequence_number = FormatSequence(current + 1);
  description.shards.push_back(std::move(shard));
  return description;
}

void WaitForExport(int round) {
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2 << std::min(round, 4), 20)));
}

StoreResult<ApplyCall::Outcome> ApplyCall::Run(redis::RedisPool& pool, const std::string& sequence_key) const {
  std::vector<std::string> args;
  args.reserve(3 + check_args_.size() + ops_.size());
  args.push_back(sequence_key);
  args.push_back(guard_);
  args.push_back(std::to_string(checks_));
  args.insert(args.end(), check_args_.begin(), check_args_.end());
  args.insert(args.end(), ops_.begin(), ops_.end());
  RedisReply reply;
  for (int round = 0;; ++round) {
    MALLARD_ASSIGN_OR_RETURN(reply, Checked(pool.Eval(redis_scripts::Apply(), {}, args)));
    if (reply.type != RedisReply::Type::Array || reply.elements.empty()) return Corrupt("Apply reply");
    if (reply.elements[0].AsText() != "EXPORTING") break;
    WaitForExport(round);  // nothing ran; the checks still hold what the caller read
  }
  Outcome outcome;
  outcome.applied = reply.elements[0].AsText() == "OK";
  if (!outcome.applied) {
    outcome.failed_check = reply.elements.size() > 1 ? static_cast<std::size_t>(reply.elements[1].AsInteger()) : 0;
    return outcome;
  }
  for (std::size_t i = 1; i < reply.elements.size(); ++i)
    outcome.sequences.push_back(static_cast<std::uint64_t>(reply.elements[i].AsInteger()));
  return outcome;
}

void AddItemChange(ApplyCall& call, const RedisDynamoDbStore::KeyNames& keys, const std::string& table_id,
                   const TableDefinition& definition, const std::string& primary_key,
                   const std::optional<Item>& before, const std::optional<Item>& after) {
  const std::string stats = keys.Stats(table_id);
  auto index_op = [&](const char* op, const IndexDefinition& index, const Item& item) {
    if (!IsIndexable(index.keys, item)) return;  // sparse: not in this index
    const std::size_t size = ItemSize(ProjectForIndex(index, definition.keys, item));
    call.Op({op, keys.Index(table_id, index.name), EncodeIndexKey(index.keys, definition.keys, item), stats,
             RedisDynamoDbStore::KeyNames::IndexCountField(index.name),
             RedisDynamoDbStore::KeyNames::IndexSizeField(index.name), std::to_string(size)});
  };
  std::int64_t count_delta = 0;
  std::int64_t size_delta = 0;
  if (before) {
    for (const auto& index : definition.indexes) index_op("IXDEL", index, *before);
    count_delta -= 1;
    size_delta -= static_cast<std::int64_t>(ItemSize(*before));
  }
  if (after) {
    call.Op({"HSET", keys.Items(table_id), primary_key, codec::ItemToText(*after)});
    if (!before) call.Op({"ZADD", keys.Order(table_id), primary_key});
    for (const auto& index : definition.indexes) index_op("IXADD", index, *after);
    count_delta += 1;
    size_delta += static_cast<std::int64_t>(ItemSize(*after));
  } else {
    call.Op({"HDEL", keys.Items(table_id), primary_key});
    call.Op({"ZREM", keys.Order(table_id), primary_key});
  }
  if (count_delta != 0) call.Op({"HINCRBY", stats, "count", std::to_string(count_delta)});
  if (size_delta != 0) call.Op({"HINCRBY", stats, "size", std::to_string(size_delta)});
}

}  // namespace redis_store

RedisDynamoDbStore::RedisDynamoDbStore(redis::RedisEndpoint endpoint)
    : pool_(endpoint), keys_(std::make_unique<KeyNames>()), listeners_(std::make_shared<Listeners>()) {
  keys_->root = endpoint.key_prefix + "ddb:";
}

RedisDynamoDbStore::~RedisDynamoDbStore() = default;

StoreResult<Done> RedisDynamoDbStore::Ping() {
  MALLARD_RETURN_IF_ERROR(Checked(pool_.Run({"PING"})));
  return Done{};
}

void RedisDynamoDbStore::Reset() {
  // Every key of this deployment's DynamoDB, found with SCAN so Redis is never blocked long.
  if (auto reset = redis::UnlinkKeysWithPrefix(pool_, keys_->root); !reset) {
    spdlog::error("dynamodb/redis: reset failed: {}", reset.error().message);
  }
}

StoreResult<std::string> RedisDynamoDbStore::NextId() {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"INCR", keys_->IdCounter()})));
  return std::to_string(reply.AsInteger());
}

StoreResult<std::uint64_t> RedisDynamoDbStore::CurrentSequence() {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"GET", keys_->SequenceCounter()})));
  return static_cast<std::uint64_t>(reply.AsInteger(0));
}

namespace {

// The table state in a ReadUnit reply (version and definition), nullopt when the table is absent.
StoreResult<std::optional<RedisDynamoDbStore::TableState>> TableFromReply(const RedisReply& version,
                                                                              const RedisReply& definition) {
  if (version.IsNil() || definition.IsNil()) return std::optional<RedisDynamoDbStore::TableState>();
  RedisDynamoDbStore::TableState state;
  if (!ParseVersion(version.text, state)) return Corrupt("table version '" + version.text + "'");
  auto parsed = codec::TableFromText(definition.text);
  if (!parsed) return Corrupt("table definition: " + parsed.error());
  state.definition = std::move(parsed).value();
  return std::optional<RedisDynamoDbStore::TableState>(std::move(state));
}

}  // namespace

StoreResult<RedisDynamoDbStore::TableState> RedisDynamoDbStore::LoadTable(const Scope& scope,
                                                                                const std::string& name) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply,
                           Checked(pool_.Eval(redis_scripts::ReadUnit(), {keys_->Tables(scope), keys_->Versions(scope)},
                                              {keys_->TableBase(), "1", name})));
  if (reply.elements.size() != 2) return Corrupt("ReadUnit reply");
  MALLARD_ASSIGN_OR_RETURN(auto state, TableFromReply(reply.elements[0], reply.elements[1]));
  if (!state) return StoreFail(StoreErrc::TableNotFound, name);
  return std::move(*state);
}

StoreResult<Done> RedisDynamoDbStore::RegisterTable(const Scope& scope, const TableDefinition& definition,
                                                        const std::string& id) {
  ApplyCall call;
  call.Check(keys_->Versions(scope), definition.name, "");
  std::string stream_id;
  if (definition.stream.enabled) {
    MALLARD_ASSIGN_OR_RETURN(stream_id, NextId());
    MALLARD_ASSIGN_OR_RETURN(const std::uint64_t current, CurrentSequence());
    const StreamDescription stream = NewStream(definition, definition.created_millis, current);
    call.Op({"UNLINK", keys_->StreamRecords(stream_id)});
    call.Op({"HSET", keys_->Streams(scope), stream.arn, FormatStreamEntry(stream_id, current + 1, stream)});
  }
  call.Op({"HSET", keys_->Tables(scope), definition.name, codec::TableToText(definition)});
  call.Op({"HSET", keys_->Versions(scope), definition.name, FormatVersion(id, 1, stream_id)});
  call.Op({"SADD", keys_->ScopeSet(), KeyNames::ScopeMember(scope)});
  MALLARD_ASSIGN_OR_RETURN(auto outcome, call.Run(pool_, keys_->SequenceCounter()));
  if (!outcome.applied) return StoreFail(StoreErrc::TableExists, definition.name);
  return Done{};
}

StoreResult<Done> RedisDynamoDbStore::CreateTable(const Scope& scope, const TableDefinition& definition) {
  MALLARD_ASSIGN_OR_RETURN(const std::string id, NextId());
  return RegisterTable(scope, definition, id);
}

StoreResult<TableDefinition> RedisDynamoDbStore::GetTable(const Scope& scope, const std::string& name) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGET", keys_->Tables(scope), name})));
  if (reply.IsNil()) return StoreFail(StoreErrc::TableNotFound);
  auto parsed = codec::TableFromText(reply.text);
  if (!parsed) return Corrupt("table definition: " + parsed.error());
  return std::move(parsed).value();
}

StoreResult<std::vector<std::string>> RedisDynamoDbStore::ListTables(const Scope& scope) {
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HKEYS", keys_->Tables(scope)})));
  std::vector<std::string> names;
  for (const auto& name : reply.elements) names.push_back(name.text);
  std::sort(names.begin(), names.end());
  return names;
}

StoreResult<std::vector<Scope>> RedisDynamoDbStore::ListScopes() {
  MALLARD_ASSIGN_OR_RETURN(RedisReply members, Checked(pool_.Run({"SMEMBERS", keys_->ScopeSet()})));
  std::vector<Scope> candidates;
  std::vector<std::vector<std::string>> counts;
  for (const auto& member : members.elements) {
    const auto separator = member.text.find('\x1f');
    if (separator == std::string::npos) continue;
    candidates.push_back({member.text.substr(0, separator), member.text.substr(separator + 1)});
    counts.push_back({"HLEN", keys_->Tables(candidates.back())});
  }
  if (candidates.empty()) return candidates;
  MALLARD_ASSIGN_OR_RETURN(auto replies, Checked(pool_.Pipeline(counts)));
  std::vector<Scope> scopes;
  for (std::size_t i = 0; i < candidates.size() && i < replies.size(); ++i)
    if (replies[i].AsInteger() > 0) scopes.push_back(candidates[i]);
  std::sort(scopes.begin(), scopes.end());
  return scopes;
}

StoreResult<Result<TableDefinition>> RedisDynamoDbStore::UpdateTable(const Scope& scope, const std::string& name,
                                                                         const TableMutation& mutate) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt, BackOff(attempt)) {
    MALLARD_ASSIGN_OR_RETURN(TableState state, LoadTable(scope, name));
    const TableDefinition& before = state.definition;
    TableDefinition updated = before;
    if (auto status = mutate(updated); !status.ok()) return Result<TableDefinition>(Fail(std::move(status).error()));

    ApplyCall call;
    call.Guard(keys_->ExportGuard(scope));
    call.Check(keys_->Versions(scope), name, state.version);
    const std::string stats = keys_->Stats(state.id);
    std::vector<const IndexDefinition*> added;
    for (const auto& index : before.indexes)
      if (!updated.FindIndex(index.name)) {
        call.Op({"UNLINK", keys_->Index(state.id, index.name)});
        call.Op({"HDEL", stats, KeyNames::IndexCountField(index.name)});
        call.Op({"HDEL", stats, KeyNames::IndexSizeField(index.name)});
      }
    for (const auto& index : updated.indexes)
      if (!before.FindIndex(index.name)) added.push_back(&index);
    const std::int64_t now = WallClockMillis();
    std::string stream_id = state.stream_id;
    const bool stream_changed = updated.stream.enabled != before.stream.enabled ||
                                (updated.stream.enabled && updated.stream.label != before.stream.label);
    if (stream_changed) {
      if (!state.stream_id.empty())
        call.Op({"CLOSE", keys_->Streams(scope), before.arn + "/stream/" + before.stream.label,
                 keys_->StreamRecords(state.stream_id), std::to_string(now)});
      stream_id.clear();
      if (updated.stream.enabled) {
        MALLARD_ASSIGN_OR_RETURN(stream_id, NextId());
        MALLARD_ASSIGN_OR_RETURN(const std::uint64_t current, CurrentSequence());
        const StreamDescription stream = NewStream(updated, now, current);
        call.Op({"HSET", keys_->Streams(scope), stream.arn, FormatStreamEntry(stream_id, current + 1, stream)});
      }
    }
    if (!updated.pitr_enabled) call.Op({"UNLINK", keys_->History(state.id)});
    call.Op({"HSET", keys_->Tables(scope), name, codec::TableToText(updated)});
    call.Op({"HSET", keys_->Versions(scope), name, FormatVersion(state.id, state.generation + 1, stream_id)});
    MALLARD_ASSIGN_OR_RETURN(auto outcome, call.Run(pool_, keys_->SequenceCounter()));
    if (!outcome.applied) continue;  // the table changed since it was read
    // From here on every write maintains the new indexes; fill them with the items written before.
    for (const IndexDefinition* index : added) MALLARD_RETURN_IF_ERROR(FillIndex(state.id, updated, *index));
    return Result<TableDefinition>(std::move(updated));
  }
  return StoreFail(StoreErrc::Conflict, "the table kept changing");
}

StoreResult<Done> RedisDynamoDbStore::FillIndex(const std::string& table_id, const TableDefinition& definition,
                                                    const IndexDefinition& index) {
  const std::string items_key = keys_->Items(table_id);
  std::string cursor = "0";
  do {
    MALLARD_ASSIGN_OR_RETURN(
        RedisReply reply,
        Checked(pool_.Run({"HSCAN", items_key, cursor, "COUNT", std::to_string(kItemsPerBatch)})));
    if (reply.elements.size() != 2) return Corrupt("HSCAN reply");
    cursor = reply.elements[0].AsText();
    ApplyCall call;
    const auto& fields = reply.elements[1].elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      auto item = codec::ItemFromText(fields[i + 1].text);
      if (!item) return Corrupt("item: " + item.error());
      if (!IsIndexable(index.keys, *item)) continue;
      // Added only if the item is still as read: a later write has maintained the index itself.
      call.Op({"IXFILL", items_key, fields[i].text, fields[i + 1].text, keys_->Index(table_id, index.name),
               EncodeIndexKey(index.keys, definition.keys, *item), keys_->Stats(table_id),
               KeyNames::IndexCountField(index.name), KeyNames::IndexSizeField(index.name),
               std::to_string(ItemSize(ProjectForIndex(index, definition.keys, *item)))});
    }
    if (call.HasOps()) MALLARD_RETURN_IF_ERROR(call.Run(pool_, keys_->SequenceCounter()));
  } while (cursor != "0");
  return Done{};
}

StoreResult<TableDefinition> RedisDynamoDbStore::DeleteTable(const Scope& scope, const std::string& name) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt, BackOff(attempt)) {
    MALLARD_ASSIGN_OR_RETURN(TableState state, LoadTable(scope, name));
    ApplyCall call;
    call.Guard(keys_->ExportGuard(scope));
    call.Check(keys_->Versions(scope), name, state.version);
    call.Op({"HDEL", keys_->Tables(scope), name});
    call.Op({"HDEL", keys_->Versions(scope), name});
    const TableDefinition& definition = state.definition;
    if (!state.stream_id.empty())
      call.Op({"CLOSE", keys_->Streams(scope), definition.arn + "/stream/" + definition.stream.label,
               keys_->StreamRecords(state.stream_id), std::to_string(WallClockMillis())});
    // UNLINK frees the data in the background, so a large table does not stall Redis.
    call.Op({"UNLINK", keys_->Items(state.id)});
    call.Op({"UNLINK", keys_->Order(state.id)});
    call.Op({"UNLINK", keys_->Stats(state.id)});
    call.Op({"UNLINK", keys_->History(state.id)});
    for (const auto& index : definition.indexes) call.Op({"UNLINK", keys_->Index(state.id, index.name)});
    MALLARD_ASSIGN_OR_RETURN(auto outcome, call.Run(pool_, keys_->SequenceCounter()));
    if (outcome.applied) return std::move(state.definition);
  }
  return StoreFail(StoreErrc::Conflict, "the table kept changing");
}

StoreResult<TableStats> RedisDynamoDbStore::GetTableStats(const Scope& scope, const std::string& name) {
  MALLARD_ASSIGN_OR_RETURN(TableState state, LoadTable(scope, name));
  MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Run({"HGETALL", keys_->Stats(state.id)})));
  std::map<std::string, std::int64_t> fields;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2)
    fields[reply.elements[i].text] = reply.elements[i + 1].AsInteger();
  auto field = [&](const std::string& key) {
    auto it = fields.find(key);
    return it == fields.end() ? std::int64_t{0} : it->second;
  };
  TableStats stats;
  stats.item_count = field("count");
  stats.size_bytes = field("size");
  for (const auto& index : state.definition.indexes)
    stats.indexes[index.name] = {field(KeyNames::IndexCountField(index.name)),
                                 field(KeyNames::IndexSizeField(index.name))};
  return stats;
}

// ---- Items ------------------------------------------------------------------------------------

// What one ReadUnit call saw: the tables of the unit and each referenced item.
struct RedisDynamoDbStore::UnitSnapshot {
  std::map<std::string, TableState> tables;
  std::vector<std::string> primary_keys;
  std::vector<std::string> texts;  // as stored, "" when absent
  std::vector<std::optional<Item>> items;
};

StoreResult<RedisDynamoDbStore::UnitSnapshot> RedisDynamoDbStore::ReadSnapshot(const Scope& scope,
                                                                                     const std::vector<ItemRef>& refs) {
  std::vector<std::string> names;
  for (const auto& ref : refs)
    if (std::find(names.begin(), names.end(), ref.table) == names.end()) names.push_back(ref.table);
  auto cache_key = [&](const std::string& name) { return keys_->Tables(scope) + '\n' + name; };
  for (int round = 0; round < 3; ++round) {
    std::vector<std::string> args{keys_->TableBase(), std::to_string(names.size())};
    args.insert(args.end(), names.begin(), names.end());
    UnitSnapshot snapshot;
    std::map<std::string, std::string> assumed_ids;  // table name -> the id its keys were encoded for
    {
      std::lock_guard lock(schemas_mutex_);
      for (const auto& name : names)
        if (auto it = schemas_.find(cache_key(name)); it != schemas_.end()) assumed_ids[name] = it->second.first;
      // Without every schema the first round reads the tables only.
      if (assumed_ids.size() == names.size()) {
        for (const auto& ref : refs) {
          const KeySchema& schema = schemas_.at(cache_key(ref.table)).second;
          if (!HasKeyAttributes(schema, ref.key)) {
            assumed_ids.clear();  // stale schema (or a wrong key: the fresh schema will tell)
            snapshot.primary_keys.clear();
            break;
          }
          snapshot.primary_keys.push_back(EncodePrimaryKey(schema, ref.key));
        }
      }
    }
    const bool keyed = !assumed_ids.empty() && snapshot.primary_keys.size() == refs.size();
    if (keyed)
      for (std::size_t i = 0; i < refs.size(); ++i) {
        const auto position = std::find(names.begin(), names.end(), refs[i].table) - names.begin();
        args.push_back(std::to_string(position + 1));
        args.push_back(snapshot.primary_keys[i]);
      }
    MALLARD_ASSIGN_OR_RETURN(RedisReply reply, Checked(pool_.Eval(redis_scripts::ReadUnit(),
                                                                  {keys_->Tables(scope), keys_->Versions(scope)}, args)));
    if (reply.elements.size() != 2 * names.size() + (keyed ? refs.size() : 0)) return Corrupt("ReadUnit reply");
    bool stale = !keyed;
    for (std::size_t t = 0; t < names.size(); ++t) {
      MALLARD_ASSIGN_OR_RETURN(auto state, TableFromReply(reply.elements[2 * t], reply.elements[2 * t + 1]));
      if (!state) return StoreFail(StoreErrc::TableNotFound, names[t]);
      if (!keyed || assumed_ids[names[t]] != state->id) {
        stale = true;
        std::lock_guard lock(schemas_mutex_);
        schemas_[cache_key(names[t])] = {state->id, state->definition.keys};
      }
      snapshot.tables.emplace(names[t], std::move(*state));
    }
    if (stale) {
      // A key that does not fit the table's current schema cannot name an item of it.
      for (const auto& ref : refs)
        if (!HasKeyAttributes(snapshot.tables.at(ref.table).definition.keys, ref.key))
          return Corrupt("item key does not match the table's key schema");
      continue;
    }
    for (std::size_t i = 0; i < refs.size(); ++i) {
      const RedisReply& stored = reply.elements[2 * names.size() + i];
      if (stored.IsNil()) {
        snapshot.texts.emplace_back();
        snapshot.items.emplace_back();
        continue;
      }
      auto item = codec::ItemFromText(stored.text);
      if (!item) return Corrupt("item: " + item.error());
      snapshot.texts.push_back(stored.text);
      snapshot.items.emplace_back(std::move(item).value());
    }
    return snapshot;
  }
  return StoreFail(StoreErrc::Conflict, "tables kept being recreated");
}

StoreResult<std::vector<std::optional<Item>>> RedisDynamoDbStore::GetItems(const Scope& scope,
                                                                               const std::vector<ItemRef>& refs) {
  if (refs.empty()) return std::vector<std::optional<Item>>{};
  MALLARD_ASSIGN_OR_RETURN(UnitSnapshot snapshot, ReadSnapshot(scope, refs));
  return std::move(snapshot.items);
}

StoreResult<Result<WriteOutcome>> RedisDynamoDbStore::WriteItems(const Scope& scope,
                                                                     const std::vector<ItemRef>& refs,
                                                                     const WriteDecider& decide,
                                                                     const WriteContext& context) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt, BackOff(attempt)) {
    MALLARD_ASSIGN_OR_RETURN(UnitSnapshot snapshot, ReadSnapshot(scope, refs));
    std::vector<const Item*> current;
    for (const auto& item : snapshot.items) current.push_back(item ? &*item : nullptr);
    auto decision = decide(current);
    if (!decision.ok()) return Result<WriteOutcome>(Fail(std::move(decision).error()));
    WriteOutcome outcome;
    outcome.old_items = snapshot.items;

    // The writes commit only if every table and item is still exactly as read.
    ApplyCall call;
    call.Guard(keys_->ExportGuard(scope));
    for (const auto& [name, table] : snapshot.tables) call.Check(keys_->Versions(scope), name, table.version);
    for (std::size_t i = 0; i < refs.size(); ++i)
      call.Check(keys_->Items(snapshot.tables.at(refs[i].table).id), snapshot.primary_keys[i], snapshot.texts[i]);
    std::vector<std::pair<std::string, StreamRecord>> records;
    for (std::size_t i = 0; i < refs.size(); ++i) {
      ItemWrite& write = decision.value()[i];
      const TableState& table = snapshot.tables.at(refs[i].table);
      const std::optional<Item>& before = outcome.old_items[i];
      std::optional<Item> after;
      if (write.kind == ItemWrite::Kind::Keep) continue;
      if (write.kind == ItemWrite::Kind::Put) {
        if (before && Equals(AttributeValue::Map(*before), AttributeValue::Map(write.item))) continue;
        after = std::move(write.item);
      } else if (!before) {
        continue;  // deleting an absent item changes nothing
      }
      const std::string& primary_key = snapshot.primary_keys[i];
      // An absent item's entry names its key attributes, so a snapshot can export the change.
      if (table.definition.pitr_enabled)
        call.Op({"RPUSH", keys_->History(table.id),
                 FormatHistoryEntry(context.now_millis, primary_key,
                                    before ? std::nullopt : std::optional<Item>(refs[i].key),
                                    before ? snapshot.texts[i] : std::string())});
      if (!table.stream_id.empty()) {
        StreamRecord record = MakeStreamRecord(table.definition, before, after, context);
        call.Op({"RECORD", keys_->StreamRecords(table.stream_id),
                 std::to_string(record.created_millis) + "|" + codec::StreamRecordToText(record)});
        records.emplace_back(refs[i].table, std::move(record));
      }
      AddItemChange(call, *keys_, table.id, table.definition, primary_key, before, after);
    }
    if (!call.HasOps()) return Result<WriteOutcome>(std::move(outcome));  // the snapshot was consistent
    MALLARD_ASSIGN_OR_RETURN(auto applied, call.Run(pool_, keys_->SequenceCounter()));
    if (!applied.applied) continue;
    for (std::size_t i = 0; i < records.size() && i < applied.sequences.size(); ++i)
      records[i].second.sequence_number = FormatSequence(applied.sequences[i]);
    Publish(scope, records);
    return Result<WriteOutcome>(std::move(outcome));
  }
  return StoreFail(StoreErrc::Conflict, "the items kept changing");
}

void RedisDynamoDbStore::Publish(const Scope& scope, const std::vector<std::pair<std::string, StreamRecord>>& records) {
  if (records.empty()) return;
  std::lock_guard lock(listeners_->mutex);
  for (const auto& [table, record] : records)
    for (const auto& [id, listener] : listeners_->by_id) listener(scope, table, record);
}

std::unique_ptr<DynamoDbStore::Subscription> RedisDynamoDbStore::SubscribeStreams(StreamListener on_record) {
  struct Handle final : Subscription {
    std::shared_ptr<Listeners> listeners;
    std::uint64_t id = 0;
    ~Handle() override {
      std::lock_guard lock(listeners->mutex);
      listeners->by_id.erase(id);
    }
  };
  auto handle = std::make_unique<Handle>();
  handle->listeners = listeners_;
  std::lock_guard lock(listeners_->mutex);
  handle->id = listeners_->next_id++;
  listeners_->by_id.emplace(handle->id, std::move(on_record));
  return handle;
}

}  // namespace mallard::dynamodb

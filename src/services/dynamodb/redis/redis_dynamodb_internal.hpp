#pragma once
// Pieces shared by the Redis DynamoDB store's source files: key names, reply checking, index
// projections and the builder of Apply script calls. Not an interface: only redis_dynamodb_*.cpp
// include it.
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "services/dynamodb/redis/redis_dynamodb_store.hpp"

namespace mallard::dynamodb {

struct RedisDynamoDbStore::KeyNames {
  std::string root;  // "<key prefix>ddb:"

  std::string ScopeBase(const Scope& scope) const { return root + "s:" + scope.account + ":" + scope.region + ":"; }
  std::string Tables(const Scope& scope) const { return ScopeBase(scope) + "tables"; }
  std::string Versions(const Scope& scope) const { return ScopeBase(scope) + "versions"; }
  std::string Streams(const Scope& scope) const { return ScopeBase(scope) + "streams"; }
  std::string Backups(const Scope& scope) const { return ScopeBase(scope) + "backups"; }
  // The snapshot exports holding the scope (a set of export ids, expiring with their lease).
  std::string ExportGuard(const Scope& scope) const { return ScopeBase(scope) + "exporting"; }
  std::string TableBase() const { return root + "t:"; }
  std::string Items(const std::string& id) const { return TableBase() + id + ":items"; }
  std::string Order(const std::string& id) const { return TableBase() + id + ":keys"; }
  std::string Index(const std::string& id, const std::string& index) const { return TableBase() + id + ":ix:" + index; }
  std::string Stats(const std::string& id) const { return TableBase() + id + ":stats"; }
  std::string History(const std::string& id) const { return TableBase() + id + ":history"; }
  std::string StreamBase() const { return root + "st:"; }
  std::string StreamRecords(const std::string& stream_id) const { return StreamBase() + stream_id; }
  std::string BackupItems(const std::string& id) const { return root + "b:" + id; }
  std::string IdCounter() const { return root + "seq:id"; }
  std::string SequenceCounter() const { return root + "seq:stream"; }
  std::string ScopeSet() const { return root + "scopes"; }
  static std::string ScopeMember(const Scope& scope) { return scope.account + '\x1f' + scope.region; }
  static std::string IndexCountField(const std::string& index) { return "ix:" + index + ":count"; }
  static std::string IndexSizeField(const std::string& index) { return "ix:" + index + ":size"; }
};

struct RedisDynamoDbStore::Listeners {
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::map<std::uint64_t, StreamListener> by_id;
};

namespace redis_store {

constexpr std::int64_t kStreamRetentionMillis = 24LL * 3600 * 1000;

inline Unexpected<StoreError> Unavailable(const redis::RedisError& error) {
  return StoreFail(StoreErrc::Unavailable, error.message);
}
inline Unexpected<StoreError> Corrupt(const std::string& what) {
  return StoreFail(StoreErrc::Unavailable, "unreadable data in Redis: " + what);
}
// A reply that is not an error reply (script failures, wrong types) or Unavailable.
StoreResult<redis::RedisReply> Checked(redis::RedisResult<redis::RedisReply> reply);
StoreResult<std::vector<redis::RedisReply>> Checked(redis::RedisResult<std::vector<redis::RedisReply>> replies);

// Parses "<table id>:<generation>:<stream id>" into `state`.
bool ParseVersion(const std::string& version, RedisDynamoDbStore::TableState& state);
std::string FormatVersion(const std::string& id, std::uint64_t generation, const std::string& stream_id);

// A stream entry: "id|start|closed|end|description".
struct StreamEntry {
  std::string id;
  std::uint64_t start = 0;
  std::int64_t closed_millis = 0;  // 0 while open
  StreamDescription description;   // status and shard range filled from the fields above
};
StoreResult<StreamEntry> ParseStreamEntry(const std::string& text);
std::string FormatStreamEntry(const std::string& id, std::uint64_t start, const StreamDescription& description);
// A new, open stream for `table`, starting after sequence `current`.
StreamDescription NewStream(const TableDefinition& table, std::int64_t now_millis, std::uint64_t current);

// A point-in-time recovery entry of t:<id>:history: "millis|hex primary key|image", the image being
// the item's text as it was before the write ("{...}"), or for an item that was absent "~" and the
// key attributes' text; "~key\nitem" keeps a key that is not the item's own (only an import writes
// it). Entries written before the key was kept leave the image of an absent item empty.
struct HistoryEntry {
  std::int64_t millis = 0;
  std::string primary_key;      // EncodePrimaryKey bytes
  std::optional<Item> before;   // nullopt = the item was absent
  std::optional<Item> key;      // the key attributes, when the entry names them
};
StoreResult<HistoryEntry> ParseHistoryEntry(std::string_view text);
std::string FormatHistoryEntry(std::int64_t millis, const std::string& primary_key, const std::optional<Item>& key,
                               const std::string& before_text);

// A backup entry of s:<scope>:backups: "<items id>|description".
struct BackupEntry {
  std::string items_id;
  BackupDescription description;
};
StoreResult<BackupEntry> ParseBackupEntry(const std::string& text);

// Sleeps a little while a snapshot export holds a scope a write must wait for (`round` from 0).
void WaitForExport(int round);

// Collects the checks and operations of one Apply script call.
class ApplyCall {
 public:
  void Check(std::string hash, std::string field, std::string expected) {
    ++checks_;
    for (auto* part : {&hash, &field, &expected}) check_args_.push_back(std::move(*part));
  }
  void Op(std::initializer_list<std::string> parts) { ops_.insert(ops_.end(), parts.begin(), parts.end()); }
  // The call changes what a snapshot export of the scope reads: while one holds the scope (the
  // guard key exists), Run waits for it to end (its lease bounds the wait) and then runs.
  void Guard(std::string export_guard_key) { guard_ = std::move(export_guard_key); }
  bool HasOps() const { return !ops_.empty(); }
  std::size_t OpArgs() const { return ops_.size(); }

  struct Outcome {
    bool applied = false;
    std::size_t failed_check = 0;        // 1-based, when not applied
    std::vector<std::uint64_t> sequences;  // of the RECORD operations
  };
  StoreResult<Outcome> Run(redis::RedisPool& pool, const std::string& sequence_key) const;

 private:
  std::size_t checks_ = 0;
  std::string guard_;
  std::vector<std::string> check_args_;
  std::vector<std::string> ops_;
};

// Adds the operations that turn `before` into `after` (either may be absent) for one item: the
// item, its place in the table's order, its index entries and the table statistics.
void AddItemChange(ApplyCall& call, const RedisDynamoDbStore::KeyNames& keys, const std::string& table_id,
                   const TableDefinition& definition, const std::string& primary_key,
                   const std::optional<Item>& before, const std::optional<Item>& after);

}  // namespace redis_store
}  // namespace mallard::dynamodb

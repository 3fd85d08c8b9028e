#pragma once
// RedisDynamoDbStore: DynamoDB's tables, items, indexes, streams and backups in Redis, so that
// several Mallard processes sharing one Redis behave as one service and (with AOF appendfsync
// always) an acknowledged write survives the process that took it.
//
// Layout, under "<key prefix>ddb:" (the prefix lets deployments share one Redis):
//   s:<account>:<region>:tables     hash  table name -> definition (JSON)
//   s:<account>:<region>:versions   hash  table name -> "<table id>:<generation>:<stream id>"
//   s:<account>:<region>:streams    hash  stream ARN -> "id|start|closed|end|description"
//   s:<account>:<region>:backups    hash  backup ARN -> "<items id>|description"
//   t:<table id>:items              hash  encoded primary key -> item (AttributeValue JSON)
//   t:<table id>:keys               zset  encoded primary keys, all score 0 (lexicographic order)
//   t:<table id>:ix:<index>         zset  encoded index keys (index key + primary key)
//   t:<table id>:stats              hash  count, size, ix:<index>:count, ix:<index>:size
//   t:<table id>:history            list  point-in-time recovery: "millis|hex key|item before"
//                                         ("~" + key attributes when the item was absent)
//   st:<stream id>                  zset  "created millis|record JSON", scored by sequence number
//   b:<items id>                    hash  a backup's items
//   seq:id, seq:stream              counters: ids, and stream sequence numbers (global, so
//                                   per-item commit order is sequence order across processes)
//   scopes                          set   "<account>\x1f<region>" of every scope with tables
//                                         (or, after an import, streams or backups)
//   s:<account>:<region>:exporting  set   ids of the snapshot exports holding the scope (a lease:
//                                         it expires unless renewed); Apply calls that change what
//                                         an export reads wait while it exists
// The keys use ddb_key_encoding's order-preserving bytes, so Query and Scan are ZRANGEBYLEX over
// one table's or index's ordering set: a partition is one contiguous range, a parallel-scan
// segment one hash range.
//
// Atomicity: item writes are optimistic. One script reads the table versions and items, the
// WriteDecider runs here, and one script applies the writes only if the versions and the items'
// stored text are unchanged, otherwise the unit is retried. Definition changes bump the table's
// generation, so a write decided under an old definition (missing a new index, writing to a
// closed stream) cannot commit.
//
// Threads: every call blocks on Redis (bounded by the endpoint's timeouts), so IsInline() is false
// and the services run this store on their worker pool. Redis unreachable = Unavailable.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "infra/redis/redis_connection.hpp"
#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb {

struct RangeWalk;

class RedisDynamoDbStore final : public DynamoDbStore {
 public:
  explicit RedisDynamoDbStore(redis::RedisEndpoint endpoint);
  ~RedisDynamoDbStore() override;

  // One round trip: whether Redis answers now (start-up reports it; requests do not depend on it).
  StoreResult<Done> Ping();

  std::string Name() const override { return "redis"; }
  bool IsInline() const override { return false; }
  void Reset() override;

  StoreResult<Done> CreateTable(const Scope& scope, const TableDefinition& table) override;
  StoreResult<TableDefinition> GetTable(const Scope& scope, const std::string& name) override;
  StoreResult<std::vector<std::string>> ListTables(const Scope& scope) override;
  StoreResult<std::vector<Scope>> ListScopes() override;
  StoreResult<Result<TableDefinition>> UpdateTable(const Scope& scope, const std::string& name,
                                                     const TableMutation& mutate) override;
  StoreResult<TableDefinition> DeleteTable(const Scope& scope, const std::string& name) override;
  StoreResult<TableStats> GetTableStats(const Scope& scope, const std::string& name) override;

  StoreResult<std::vector<std::optional<Item>>> GetItems(const Scope& scope,
                                                           const std::vector<ItemRef>& refs) override;
  StoreResult<Result<WriteOutcome>> WriteItems(const Scope& scope, const std::vector<ItemRef>& refs,
                                                 const WriteDecider& decide, const WriteContext& context) override;
  StoreResult<Page> Query(const Scope& scope, const QueryRequest& request) override;
  StoreResult<Page> Scan(const Scope& scope, const ScanRequest& request) override;

  StoreResult<std::vector<StreamDescription>> ListStreams(const Scope& scope, const std::string& table) override;
  StoreResult<StreamDescription> DescribeStream(const Scope& scope, const std::string& stream_arn) override;
  StoreResult<StreamReadResult> ReadStream(const Scope& scope, const std::string& stream_arn,
                                             const std::string& shard_id, const std::string& after_sequence,
                                             std::size_t limit, std::int64_t now_millis) override;
  StoreResult<std::string> LatestSequence(const Scope& scope, const std::string& stream_arn,
                                            const std::string& shard_id) override;
  std::unique_ptr<Subscription> SubscribeStreams(StreamListener on_record) override;

  StoreResult<BackupDescription> CreateBackup(const Scope& scope, BackupDescription backup) override;
  StoreResult<BackupDescription> GetBackup(const Scope& scope, const std::string& backup_arn) override;
  StoreResult<std::vector<BackupDescription>> ListBackups(const Scope& scope) override;
  StoreResult<BackupDescription> DeleteBackup(const Scope& scope, const std::string& backup_arn) override;
  StoreResult<Done> RestoreTable(const Scope& scope, const TableDefinition& target,
                                   const RestoreSource& source) override;

  // Snapshots (redis_dynamodb_state.cpp): the scope's moment is one script, which answers small
  // collections inline; for larger ones it holds the scope (writes to it wait, as for the memory
  // store's export) while they are read in pages.
  StoreResult<Status<std::string>> ExportScope(const Scope& scope, std::int64_t now_millis,
                                               const ScopeExportVisitor& visit) override;
  StoreResult<Done> ImportTable(const Scope& scope, TableImport table) override;
  StoreResult<Done> ImportBackup(const Scope& scope, BackupImport backup) override;
  StoreResult<Done> ClearScope(const Scope& scope) override;
  StoreResult<std::vector<Scope>> ListStateScopes() override;

  // How ExportScope reads: collections up to `inline_per_collection` elements (and
  // `inline_budget` for the whole reply) come back in the snapshot script's reply; for larger ones
  // the export holds the scope (writes to it wait) and reads them `page` elements at a time,
  // renewing its `lease_millis` hold as it goes. Tests lower them; set before use.
  struct ExportTuning {
    std::size_t inline_per_collection = 2000;
    std::size_t inline_budget = 20000;
    std::size_t page = 500;
    std::int64_t lease_millis = 30000;
  };
  void SetExportTuning(ExportTuning tuning) { export_tuning_ = tuning; }

  // A table as stored: its definition and the version string writes are checked against.
  struct TableState {
    std::string version;
    std::string id;
    std::uint64_t generation = 0;
    std::string stream_id;  // "" when the table has no open stream
    TableDefinition definition;
  };
  struct Listeners;
  struct KeyNames;
  struct UnitSnapshot;

 private:
  StoreResult<TableState> LoadTable(const Scope& scope, const std::string& name);
  // Reads the tables and items of a unit of work in one atomic script call.
  StoreResult<UnitSnapshot> ReadSnapshot(const Scope& scope, const std::vector<ItemRef>& refs);
  StoreResult<std::string> NextId();
  StoreResult<std::uint64_t> CurrentSequence();
  // Stores items (already keyed) into a table id's keys, with indexes and statistics.
  StoreResult<Done> LoadItems(const std::string& table_id, const TableDefinition& definition,
                                const std::map<std::string, Item>& items);
  // Adds entries for `index` for every item of the table (after the index appeared).
  StoreResult<Done> FillIndex(const std::string& table_id, const TableDefinition& definition,
                                const IndexDefinition& index);
  // Registers a new table under `id` unless the name is taken (the one place tables appear).
  StoreResult<Done> RegisterTable(const Scope& scope, const TableDefinition& definition, const std::string& id);
  StoreResult<Page> ReadRange(const TableState& table, const RangeWalk& walk);
  void Publish(const Scope& scope, const std::vector<std::pair<std::string, StreamRecord>>& records);

  redis::RedisPool pool_;
  ExportTuning export_tuning_;
  std::unique_ptr<KeyNames> keys_;
  std::shared_ptr<Listeners> listeners_;
  // Key schemas by table (scope and name) with the table id they belong to, as last seen: item
  // reads encode primary keys with them before the read, and learn from its reply when a table
  // has been recreated since.
  std::mutex schemas_mutex_;
  std::map<std::string, std::pair<std::string, KeySchema>> schemas_;
};

}  // namespace mallard::dynamodb

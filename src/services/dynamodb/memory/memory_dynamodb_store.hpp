#pragma once
// In-memory DynamoDbStore: the default. Each table has its own shared mutex (reads share it,
// writes take it alone); a write unit spanning tables locks them in name order, so transactions
// are atomic and isolated without a global lock. Items live in an ordered map under the
// order-preserving key encoding; each secondary index is a second ordered map of index key ->
// primary key, maintained on every write. Stream records are appended under the same lock as the
// write they describe, so per-item order is commit order.
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb {

class MemoryDynamoDbStore final : public DynamoDbStore {
 public:
  MemoryDynamoDbStore();
  ~MemoryDynamoDbStore() override;

  std::string Name() const override { return "memory"; }
  bool IsInline() const override { return true; }
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

  StoreResult<Status<std::string>> ExportScope(const Scope& scope, std::int64_t now_millis,
                                               const ScopeExportVisitor& visit) override;
  StoreResult<Done> ImportTable(const Scope& scope, TableImport table) override;
  StoreResult<Done> ImportBackup(const Scope& scope, BackupImport backup) override;
  StoreResult<Done> ClearScope(const Scope& scope) override;
  StoreResult<std::vector<Scope>> ListStateScopes() override;

  bool ReportChanges(ChangeListener listener) override;
  StoreResult<Done> ApplyChange(const DdbChange& change) override;

  struct Table;
  struct Stream;
  struct Listeners;

 private:
  std::shared_ptr<Table> Find(const Scope& scope, const std::string& name);
  std::shared_ptr<Stream> FindStream(const Scope& scope, const std::string& arn);
  StoreResult<Done> AddTable(const Scope& scope, std::shared_ptr<Table> table);
  // Adds a new table and reports it whole, holding its lock so no write to it is reported first.
  StoreResult<Done> AddReportedTable(const Scope& scope, std::shared_ptr<Table> table);

  // ---- Journaling (memory_dynamodb_state.cpp)
  bool Reporting() const { return static_cast<bool>(listener_); }
  void Report(const std::vector<DdbChange>& changes) const {
    if (listener_) listener_(changes);
  }
  // The table of `name` whole as a change: `table` (its lock held by the caller; null = deleted)
  // and every stream of that name.
  DdbChange TableChange(const Scope& scope, const std::string& name, const Table* table);
  StoreResult<Done> ApplyItemChange(const DdbChange& change);

  std::shared_mutex directory_mutex_;
  std::map<Scope, std::map<std::string, std::shared_ptr<Table>>> tables_;
  // Streams outlive their tables by 24 hours, so they are kept apart, by ARN.
  std::map<Scope, std::map<std::string, std::shared_ptr<Stream>>> streams_;
  std::map<Scope, std::map<std::string, std::shared_ptr<struct BackupCopy>>> backups_;
  std::shared_ptr<Listeners> listeners_;
  // Table-level changes (create, update, delete, restore, backups, imports, clears) one at a time,
  // so the journal holds them in the order they took effect; item writes do not take it.
  std::mutex schema_mutex_;
  ChangeListener listener_;  // set once, before requests are served
};

}  // namespace mallard::dynamodb

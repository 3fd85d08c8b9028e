#pragma once
// DynamoDbStore: everything DynamoDB keeps — tables, items with their secondary indexes, stream
// records, backups. Each call is a whole atomic unit: a conditional write or a transaction is one
// WriteItems call whose decision runs against the items as they are at commit time, so a shared
// store (Redis: a read script, the decision, a compare-and-set write script) can run it optimistically and an in-memory store under its locks.
//
// Thread-safety: every method may be called concurrently from any thread.
// Errors: stores return StoreError values (services/kit/store_error.hpp); the service maps them to AWS errors.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/kit/store_error.hpp"
#include "services/dynamodb/model/ddb_model.hpp"

namespace mallard::dynamodb {

enum class StoreErrc : unsigned char {
  TableNotFound,
  TableExists,
  IndexNotFound,
  StreamNotFound,
  ShardNotFound,
  SequenceNotFound,  // a sequence number outside the shard's retained range
  BackupNotFound,
  InvalidStartKey,   // ExclusiveStartKey does not belong to the query's partition / index
  Conflict,          // a concurrent change won; retry
  Unavailable,       // the store cannot be reached
};

using StoreError = services::kit::StoreError<StoreErrc>;
template <typename T>
using StoreResult = services::kit::StoreResult<T, StoreErrc>;
using services::kit::StoreFail;

struct ItemRef {
  std::string table;
  Item key;  // exactly the key attributes
};

struct ItemWrite {
  enum class Kind : unsigned char { Keep, Put, Delete };
  Kind kind = Kind::Keep;
  Item item;  // Put: the whole new item
};

// Receives the current version of each referenced item (nullptr = absent) and decides what to
// write, one ItemWrite per ref; an error aborts the unit with nothing written and is returned
// unchanged. May run more than once (optimistic stores retry), so it must not have side effects.
using WriteDecider = std::function<Result<std::vector<ItemWrite>>(const std::vector<const Item*>& current)>;

struct WriteContext {
  std::int64_t now_millis = 0;
  bool by_ttl = false;  // stream records name the DynamoDB service as the deleter
};

struct WriteOutcome {
  std::vector<std::optional<Item>> old_items;  // per ref, as found
};

enum class SortOp : unsigned char { Eq, Lt, Le, Gt, Ge, Between, BeginsWith };

struct SortCondition {
  SortOp op = SortOp::Eq;
  AttributeValue value;
  AttributeValue upper;  // Between only
};

struct QueryRequest {
  std::string table;
  std::string index;  // empty = the table itself
  AttributeValue partition;
  // Multi-attribute index keys: the values of the other HASH attributes (KeySchema order), and
  // equalities on the leading RANGE attributes; `sort` then applies to the RANGE attribute after them.
  std::vector<AttributeValue> more_partition;
  std::vector<AttributeValue> sort_prefix;
  std::optional<SortCondition> sort;
  bool forward = true;
  std::optional<Item> exclusive_start_key;
  std::size_t limit = 0;          // items evaluated per page; 0 = no limit
  std::size_t max_bytes = 1 << 20;  // a page stops once it has read this much
  bool whole_items = false;       // local indexes: fetch unprojected attributes from the table
};

struct ScanRequest {
  std::string table;
  std::string index;
  int segment = 0;
  int total_segments = 1;
  std::optional<Item> exclusive_start_key;
  std::size_t limit = 0;
  std::size_t max_bytes = 1 << 20;
  bool whole_items = false;
};

struct Page {
  std::vector<Item> items;  // index reads return the index's projection of each item
  std::size_t bytes_read = 0;
  std::optional<Item> last_evaluated_key;
};

struct TableStats {
  std::int64_t item_count = 0;
  std::int64_t size_bytes = 0;
  struct IndexStats {
    std::int64_t item_count = 0;
    std::int64_t size_bytes = 0;
  };
  std::map<std::string, IndexStats> indexes;
};

struct StreamReadResult {
  std::vector<StreamRecord> records;
  bool shard_closed = false;     // no more records will ever arrive
  std::string next_after_sequence;  // resume after this sequence number ("" = where it started)
};


// ---- Snapshots (services/kit/service_state.hpp): a scope's whole state, store-independent.
// One change kept for point-in-time restore: the item `key` held before the write at `millis`.
struct PitrChange {
  std::int64_t millis = 0;
  Item key;                    // the item's key attributes
  std::optional<Item> before;  // nullopt = the item was absent
};

// A stream as a snapshot holds it: its description (shards, status), when it closed (0 = open) and
// its records still within 24 hours, oldest first.
struct StreamExport {
  StreamDescription description;
  std::int64_t closed_millis = 0;
  std::vector<StreamRecord> records;
};

// ExportScope hands each piece to these, in load order: every table (definition, then its items,
// its PITR history, then its streams still retained), then the retained streams of deleted
// tables, then every backup with its items. An error from a callback stops the export and is returned.
struct ScopeExportVisitor {
  using VisitStatus = Status<std::string>;
  std::function<VisitStatus(const TableDefinition&)> table;
  std::function<VisitStatus(const Item&)> item;  // of the table last given
  std::function<VisitStatus(const PitrChange&)> pitr_change;
  std::function<VisitStatus(const StreamExport&)> stream;
  std::function<VisitStatus(const BackupDescription&)> backup;
  std::function<VisitStatus(const Item&)> backup_item;  // of the backup last given
};

// What ImportTable replaces a table with. `definition` empty = only streams of a deleted table.
struct TableImport {
  std::optional<TableDefinition> definition;
  std::vector<Item> items;
  std::vector<PitrChange> history;  // oldest first
  std::vector<StreamExport> streams;
};

struct BackupImport {
  BackupDescription description;
  std::vector<Item> items;
};

// ---- Journaling (--data-dir): what a store keeping its state in this process reports after each
// change, in the order of the changes. Each is idempotent and replaying them in order over a
// snapshot taken at or after the first of them gives the state after the last: a table change
// carries the table whole; an item change carries the item (or its removal) with the PITR entry
// and stream record the write added, which a replay adds only when they are not there yet.
struct DdbChange {
  enum class Type : unsigned char {
    kTable,         // `table`: the table of `table_name` now, whole (no definition: only a deleted table's streams)
    kTableRemoved,  // the table `table_name` was deleted (its streams stay; a kTable with them follows)
    kItem,          // in `table_name`: `item` now holds `key`'s item, or nothing (nullopt)
    kBackup,        // `backup`: a backup, whole
    kBackupRemoved, // the backup `backup_arn` was deleted
    kScopeCleared,  // every table, stream and backup of the scope is gone
  };
  Type type = Type::kItem;
  Scope scope;
  std::string table_name;
  std::string table_id;  // kItem: the incarnation written to; a replay skips a table of another id
  TableImport table;
  Item key;
  std::optional<Item> item;
  std::optional<PitrChange> pitr;              // the history entry the write added (PITR on)
  std::optional<StreamRecord> stream_record;   // the record the write added to stream `stream_arn`
  std::string stream_arn;
  std::string shard_id;
  BackupImport backup;
  std::string backup_arn;

  static DdbChange Of(Type type, Scope scope, std::string table_name = {}) {
    DdbChange change;
    change.type = type;
    change.scope = std::move(scope);
    change.table_name = std::move(table_name);
    return change;
  }
};

class DynamoDbStore {
 public:
  virtual ~DynamoDbStore() = default;
  virtual std::string Name() const = 0;
  // True when every call completes in memory without I/O, so the service may run it inline.
  virtual bool IsInline() const = 0;
  virtual void Reset() = 0;

  // ---- Tables
  virtual StoreResult<Done> CreateTable(const Scope& scope, const TableDefinition& table) = 0;
  virtual StoreResult<TableDefinition> GetTable(const Scope& scope, const std::string& name) = 0;
  // Sorted by name.
  virtual StoreResult<std::vector<std::string>> ListTables(const Scope& scope) = 0;
  // Scopes that have at least one table (background work such as TTL sweeps).
  virtual StoreResult<std::vector<Scope>> ListScopes() = 0;
  // Applies `mutate` atomically. An index that the mutation adds is built from the current items;
  // one it removes is dropped. Enabling the stream with a new label starts a new stream; disabling
  // it closes the current one (its records stay readable for 24 hours).
  using TableMutation = std::function<Status<>(TableDefinition&)>;
  virtual StoreResult<Result<TableDefinition>> UpdateTable(const Scope& scope, const std::string& name,
                                                             const TableMutation& mutate) = 0;
  virtual StoreResult<TableDefinition> DeleteTable(const Scope& scope, const std::string& name) = 0;
  virtual StoreResult<TableStats> GetTableStats(const Scope& scope, const std::string& name) = 0;

  // ---- Items
  // One consistent snapshot of the referenced items (nullopt = absent).
  virtual StoreResult<std::vector<std::optional<Item>>> GetItems(const Scope& scope,
                                                                   const std::vector<ItemRef>& refs) = 0;
  // Atomically: reads the referenced items, asks `decide`, applies its writes to the items, their
  // indexes and their tables' streams. All refs are distinct items.
  virtual StoreResult<Result<WriteOutcome>> WriteItems(const Scope& scope, const std::vector<ItemRef>& refs,
                                                         const WriteDecider& decide, const WriteContext& context) = 0;
  virtual StoreResult<Page> Query(const Scope& scope, const QueryRequest& request) = 0;
  virtual StoreResult<Page> Scan(const Scope& scope, const ScanRequest& request) = 0;

  // ---- Streams
  // Streams whose records are still retained, newest first; `table` empty = all tables.
  virtual StoreResult<std::vector<StreamDescription>> ListStreams(const Scope& scope, const std::string& table) = 0;
  virtual StoreResult<StreamDescription> DescribeStream(const Scope& scope, const std::string& stream_arn) = 0;
  // Records of `shard` with sequence number > after_sequence ("" = from the oldest retained), up
  // to `limit`. Records older than 24 hours (by now_millis) are dropped first.
  virtual StoreResult<StreamReadResult> ReadStream(const Scope& scope, const std::string& stream_arn,
                                                     const std::string& shard_id, const std::string& after_sequence,
                                                     std::size_t limit, std::int64_t now_millis) = 0;
  // The latest sequence number written to the shard ("" = none yet): LATEST iterators start there.
  virtual StoreResult<std::string> LatestSequence(const Scope& scope, const std::string& stream_arn,
                                                    const std::string& shard_id) = 0;

  // In-process consumers (the change-data-capture pipeline): `on_record` is called, in per-item
  // commit order, for every stream record committed through this store instance. It must not call
  // back into the store. The subscription ends when the returned handle is destroyed.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  using StreamListener = std::function<void(const Scope&, const std::string& table, const StreamRecord&)>;
  virtual std::unique_ptr<Subscription> SubscribeStreams(StreamListener on_record) = 0;

  // ---- Backups
  // Copies the table's definition and items; fills size and count into the stored description.
  virtual StoreResult<BackupDescription> CreateBackup(const Scope& scope, BackupDescription backup) = 0;
  virtual StoreResult<BackupDescription> GetBackup(const Scope& scope, const std::string& backup_arn) = 0;
  virtual StoreResult<std::vector<BackupDescription>> ListBackups(const Scope& scope) = 0;
  virtual StoreResult<BackupDescription> DeleteBackup(const Scope& scope, const std::string& backup_arn) = 0;
  // Creates `target` holding the items of the backup (source_backup_arn) or, for a point-in-time
  // restore, the items the source table held at `as_of_millis`.
  struct RestoreSource {
    std::string backup_arn;
    std::string table_name;
    std::int64_t as_of_millis = 0;
  };
  virtual StoreResult<Done> RestoreTable(const Scope& scope, const TableDefinition& target,
                                           const RestoreSource& source) = 0;

  // ---- Snapshots
  // Every table, stream and backup of `scope` as of one moment (writes to the scope wait while it
  // runs). Streams' records older than 24 hours (by now_millis) are left out.
  virtual StoreResult<Status<std::string>> ExportScope(const Scope& scope, std::int64_t now_millis,
                                                       const ScopeExportVisitor& visit) = 0;
  // Replaces the table of the definition's name whole (items, indexes rebuilt, PITR history) and
  // the streams of that table name; with no definition, only the streams (a deleted table's).
  virtual StoreResult<Done> ImportTable(const Scope& scope, TableImport table) = 0;
  // Replaces the backup of the same ARN.
  virtual StoreResult<Done> ImportBackup(const Scope& scope, BackupImport backup) = 0;
  // Drops every table, stream and backup of `scope`.
  virtual StoreResult<Done> ClearScope(const Scope& scope) = 0;
  // Scopes holding any table, stream or backup, sorted.
  virtual StoreResult<std::vector<Scope>> ListStateScopes() = 0;

  // ---- Journaling (--data-dir)
  // A store whose state lives in this process calls `listener` with every change from now on,
  // under its own locks and in the order of the changes (one call per atomic unit: a
  // transaction's items together), and answers true; a store with its own persistence answers
  // false. Called once, before requests are served.
  using ChangeListener = std::function<void(const std::vector<DdbChange>& changes)>;
  virtual bool ReportChanges(ChangeListener listener) {
    (void)listener;
    return false;
  }
  // Replays one reported change (see DdbChange: a change whose table is gone is skipped, as a later
  // change removes it anyway).
  virtual StoreResult<Done> ApplyChange(const DdbChange& change) {
    (void)change;
    return StoreFail(StoreErrc::Unavailable, "this DynamoDB store does not replay changes");
  }
};

}  // namespace mallard::dynamodb

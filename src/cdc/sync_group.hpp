#pragma once
// SyncGroup: one publication and one logical slot on a PostgreSQL source, streamed into a lake.
// A WAL reader thread decodes pgoutput and routes each change to its table's queue; per-table
// flushers apply batches to the lake; the reader confirms to the slot only the prefix of
// transactions that every table they touched has durably applied, so a crash at any point
// replays from the slot and the per-table applied LSNs skip what the lake already has.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cdc/change_queue.hpp"
#include "cdc/flush_settings.hpp"
#include "cdc/pg/pg_connection.hpp"
#include "cdc/pg/pgoutput.hpp"
#include "cdc/source_catalog.hpp"
#include "cdc/table_flusher.hpp"
#include "lake/lake.hpp"

namespace mallard::cdc {

struct PipeConfig {
  std::string source;            // libpq connection string of the source database
  std::string group = "default";  // names the publication and slot: mallard_<group>
  std::vector<std::string> tables;   // "schema.table" (or "table" in public)
  std::vector<std::string> schemas;  // every table of these schemas, as of start-up
  FlushSettings flush;
  int max_concurrent_flushes = 4;
  std::int64_t max_queued_bytes = 1LL << 30;
  bool pg_streaming = false;  // protocol 2 streaming of large in-progress transactions (buffered in memory)
  std::chrono::milliseconds status_interval{250};
};

struct GroupStatus {
  std::string group;
  std::string slot;
  std::string publication;
  bool connected = false;
  std::string last_error;
  std::uint64_t received_lsn = 0;
  std::uint64_t confirmed_lsn = 0;
  std::uint64_t source_lsn = 0;  // the source's current WAL position
  std::int64_t queued_bytes = 0;
  std::int64_t max_queued_bytes = 0;
  bool backpressured = false;
  std::int64_t transactions = 0;
  std::int64_t changes = 0;
  std::vector<TableStatus> tables;
};

class SyncGroup {
 public:
  SyncGroup(PipeConfig config, std::shared_ptr<lake::Lake> lake);
  ~SyncGroup();

  // Checks the source (wal_level, permissions), sets up publication and slot, resumes or
  // snapshots every table and starts streaming. Fails with a clear message on setup errors.
  Result<Done, std::string> Start();
  void Stop();

  Result<Done, std::string> AddTable(const std::string& table);
  // Stops syncing the table; with `drop_lake_table` its lake table is dropped in the same commit
  // that forgets its progress (time travel to earlier snapshots still reads it), so adding the
  // table again starts it over from a new snapshot.
  Result<Done, std::string> RemoveTable(const std::string& table, bool drop_lake_table = false);
  Result<Done, std::string> Resync(const std::string& table);
  GroupStatus Status();
  const std::string& Slot() const { return slot_; }

 private:
  struct Table {
    std::shared_ptr<TableFlusher> flusher;
    std::shared_ptr<const TableSchema> relation;  // the last relation description the stream sent
    std::thread snapshot;
    std::shared_ptr<std::atomic<bool>> cancel_snapshot;
  };
  struct OpenTransaction {
    std::uint64_t commit_lsn = 0;
    std::vector<std::shared_ptr<TableFlusher>> touched;
  };
  struct InflightTransaction {
    std::uint64_t commit_lsn = 0;
    std::uint64_t end_lsn = 0;
    std::vector<std::weak_ptr<TableFlusher>> touched;
  };

  void ReaderLoop();
  Result<Done, pg::PgError> Stream(pg::ReplicationConnection& connection);
  // Both fail when the source catalog cannot be read: a relation described without its types,
  // defaults and attribute numbers would be taken for a type change or lose an added column's
  // values, so the stream starts over from the slot instead (after a PostgreSQL restart, say).
  Result<Done, PgError> Handle(const pg::PgOutputMessage& message, std::uint64_t commit_lsn, OpenTransaction& transaction);
  Result<Done, PgError> HandleRelation(const pg::RelationMessage& relation, OpenTransaction& transaction);
  void Route(std::uint32_t relation, QueueItem item, OpenTransaction& transaction);
  void Commit(OpenTransaction& transaction, std::uint64_t end_lsn);
  // Resyncs the tables whose flushers asked for it (reader thread).
  void ResyncRequested();
  std::uint64_t ConfirmableLsn(bool transaction_open);
  // `source`: an open connection to reuse (one is opened when null).
  Result<Done, std::string> StartTable(const TableName& name, bool force_snapshot, pg::PgConnection* source = nullptr);
  void StartSnapshot(const TableName& name, std::shared_ptr<TableFlusher> flusher, std::shared_ptr<const TableSchema> schema);
  std::shared_ptr<TableFlusher> FlusherFor(std::uint32_t relation);
  // Takes a synced table out of the group, its snapshot cancelled and its flusher stopped.
  Result<TableName, std::string> DetachTable(const std::string& text);
  static void StopTable(Table& table);
  // The reader's ordinary connection to the source (catalog lookups for relation descriptions).
  pg::PgConnection* SourceCatalog();

  PipeConfig config_;
  std::shared_ptr<lake::Lake> lake_;
  std::string conninfo_;
  std::string slot_;
  std::string publication_;
  std::shared_ptr<FlushGate> gate_;
  std::shared_ptr<QueueBudget> budget_;
  // Table administration (start-up, API calls) one at a time; it alone touches progress_.
  std::mutex admin_mutex_;
  std::map<std::string, TableProgress> progress_;

  std::mutex tables_mutex_;
  std::map<TableName, Table> tables_;
  // Tables between the stop of their old flusher and the start of the new one (a resync): still
  // listed by Status(), as SNAPSHOT.
  std::set<TableName> restarting_;
  // Relation OIDs of the stream → table and (cached, so routing a change takes no lock) its
  // flusher; reader thread only.
  struct RelationTarget {
    TableName name;
    std::weak_ptr<TableFlusher> flusher;
  };
  std::map<std::uint32_t, RelationTarget> relations_;
  std::map<std::uint32_t, std::shared_ptr<const TableSchema>> relation_schemas_;
  std::unique_ptr<pg::PgConnection> source_catalog_;  // reader thread only
  std::map<std::pair<std::uint32_t, std::int32_t>, SourceType> source_types_;  // (type oid, typmod)

  std::thread reader_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> backpressured_{false};
  std::atomic<std::uint64_t> received_lsn_{0};
  std::atomic<std::uint64_t> confirmed_lsn_{0};
  std::atomic<std::uint64_t> source_lsn_{0};
  // Set when a snapshot ends: the stream reads the source's position and tells the tables where
  // the stream stands at once, so a table in CATCHUP on an idle source streams without waiting
  // for the next periodic check.
  std::atomic<bool> position_check_due_{false};
  std::atomic<std::int64_t> transactions_{0};
  std::atomic<std::int64_t> changes_{0};
  std::int64_t next_seq_ = 0;
  std::deque<InflightTransaction> inflight_;  // reader thread only
  std::uint64_t last_keepalive_end_ = 0;
  std::map<std::string, std::chrono::steady_clock::time_point> resync_retry_at_;  // reader thread only
  std::mutex error_mutex_;
  std::string last_error_;
};

}  // namespace mallard::cdc

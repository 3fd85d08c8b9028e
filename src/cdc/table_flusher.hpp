#pragma once
// TableFlusher: one source table's path into the lake. It drains the table's queue into a
// spillable DuckDB buffer table (low memory limit, temp directory), and when a batch is due —
// `flush_batch_rows` committed rows or `flush_interval` since the first — compacts the batch to
// the last change per primary key and applies it to the lake table in one DuckLake transaction:
// DELETE of the batch's keys (skipped when the batch is insert-only and nothing can overlap) and
// INSERT of the surviving rows, with the table's applied commit LSN in the same commit. After a
// flush that empties the buffer the DuckDB instance is released, returning memory and temp files.
//
// TRUNCATE and column changes are barriers: the rows before them are flushed, the lake table is
// changed, and the rows after continue. A column added with a value for the existing rows gets it
// as its initial default (older files read as it); a column whose existing values only PostgreSQL
// knows (a volatile default) and a dropped lake table make the table ask for a resync. A failed
// flush keeps its batch and retries with backoff.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cdc/change_queue.hpp"
#include "cdc/flush_settings.hpp"
#include "cdc/progress_store.hpp"
#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/lake.hpp"

namespace mallard::cdc {

struct FlushStats {
  std::int64_t flushes = 0;
  std::int64_t failed_flushes = 0;
  std::vector<double> latencies_ms;  // the most recent flushes (bounded)
  std::int64_t last_flush_unix_ms = 0;
};

struct TableStatus {
  TableProgress progress;
  std::int64_t queued_bytes = 0;
  std::int64_t buffered_rows = 0;
  std::int64_t pending_transactions = 0;
  std::uint64_t last_received_lsn = 0;
  std::int64_t oldest_pending_commit_unix_ms = 0;  // 0: nothing pending
  FlushStats stats;
  std::string last_error;
  bool append_mode = false;
};

class TableFlusher {
 public:
  TableFlusher(std::string group, std::shared_ptr<const TableSchema> schema, TableProgress progress,
               std::shared_ptr<lake::Lake> lake, FlushSettings settings, std::shared_ptr<FlushGate> gate,
               std::shared_ptr<QueueBudget> budget);
  ~TableFlusher();

  void Start();
  // Stops the thread; buffered rows are dropped (they are re-sent from the slot on the next start).
  void Stop();

  TableQueue& Queue() { return queue_; }
  const std::string& Label() const { return label_; }
  // Transactions with commit LSN <= this are in the lake; the WAL reader need not send them.
  std::uint64_t SkipThrough() const { return skip_through_.load(); }
  // The highest commit LSN that is durable in the lake for this table.
  std::uint64_t AppliedLsn() const { return applied_lsn_.load(); }
  bool HasPendingData() const;
  TableState State() const;
  TableStatus Status() const;
  // Called by the WAL reader when it gives up on the table (e.g. its key changed).
  void MarkError(const std::string& message);
  // The stream has reached `received_lsn`: a table in CATCHUP with nothing pending is streaming.
  void NoteStreamPosition(std::uint64_t received_lsn);
  // A schema change Mallard cannot follow stopped the table until a resync.
  bool Halted() const { return halted_.load(); }
  // Halted, and recorded in the lake as needing a new snapshot: the slot need not wait for it.
  bool HoldsSlotBackNoMore() const { return halted_.load() && snapshot_recorded_.load(); }
  // The table stopped for a fresh snapshot, which the sync group starts (a column added with a
  // volatile default, the lake table dropped): the reason, empty when none was asked for.
  std::string ResyncRequested() const;
  // Halts the table and asks the sync group for a resync (see ResyncRequested).
  void RequestResync(const std::string& reason);
  // The stream restarts from the slot: drop what is buffered and not applied (it is sent again).
  // Blocks until the flusher thread has done it.
  void DropUnapplied();
  // The snapshot of a table added while streaming finished at `snapshot_lsn`: start flushing.
  void SnapshotDone(std::uint64_t snapshot_lsn, std::int64_t rows);

 private:
  void Run();
  void Process(QueueItem item);
  void Append(const QueueItem& item);
  bool FlushDue() const;
  // The key flags a resumed table's columns lack (renamed while the pipe was away, see
  // SourceColumn::key_unknown), from a description whose columns match them by name: flushed
  // without them, rows would be matched on too few key columns.
  void AdoptKeyFlags(const TableSchema& described);
  // Flushes every buffered row (all belong to committed transactions), recording `applied_lsn`.
  // Flushes the buffered rows of transactions with commit LSN <= `upto_lsn`, recording
  // `applied_lsn` as the table's position.
  bool Flush(std::uint64_t upto_lsn, std::uint64_t applied_lsn);
  lake::LakeStatus FlushOnce(std::uint64_t upto_lsn, std::uint64_t applied_lsn, std::int64_t& inserted);
  // Replaces unchanged TOAST markers of flush_typed with the values they stand for: flush_filled.
  lake::LakeStatus FillUnchangedValues(duckdb::Connection& connection);
  void PurgeThrough(std::uint64_t lsn);
  bool ApplyBarrier(const QueueItem& barrier);
  // progress_'s partial_lsn and partial_changes.
  std::pair<std::uint64_t, std::int64_t> PartialPosition() const;
  lake::LakeStatus EnsureBuffer();
  void ReleaseBuffer();
  void RecordFailure(const std::string& message);
  void RecordNeedsSnapshot();
  // Commits a flush or barrier with the table's position `next` (see RecordNeedsSnapshot).
  lake::LakeStatus CommitWithProgress(lake::LakeTransaction& transaction, TableProgress next);
  // DuckDB's memory limits: the configured ones, raised to what a buffer of this table's columns
  // needs at the least (with a warning, once).
  std::int64_t BufferMemoryMb();
  std::int64_t FlushMemoryMb();
  void SetState(TableState state);
  std::vector<std::string> ProgressSql() const;
  // Buffer column for each column of a relation description.
  const std::vector<int>& ColumnMapping(const std::shared_ptr<const TableSchema>& relation);

  const std::string group_;
  const std::string label_;  // the source table, for logs from any thread
  std::shared_ptr<const TableSchema> schema_;  // the lake table's columns, as the source types them
  // The last row description found to map onto schema_ by name without a column change.
  std::shared_ptr<const TableSchema> row_schema_checked_;
  std::shared_ptr<lake::Lake> lake_;
  const FlushSettings settings_;
  std::shared_ptr<FlushGate> gate_;
  TableQueue queue_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> halted_{false};
  std::atomic<bool> snapshot_recorded_{false};
  std::mutex progress_commit_mutex_;  // a schema change Mallard cannot follow: waits for a resync
  std::atomic<std::uint64_t> purge_through_{0};
  std::atomic<bool> drop_requested_{false};

  mutable std::mutex mutex_;  // guards progress_, stats_, last_error_ and the counters read by Status()
  TableProgress progress_;
  FlushStats stats_;
  std::string last_error_;
  std::string resync_reason_;
  std::atomic<std::uint64_t> skip_through_{0};
  std::atomic<std::uint64_t> applied_lsn_{0};
  // The transaction being received and its row changes (and TRUNCATEs) so far, in stream order:
  // the position of a column change inside it (see TableProgress::partial_changes).
  std::uint64_t txn_lsn_ = 0;
  std::int64_t txn_changes_ = 0;
  // txn_changes_ before barrier_ (a TRUNCATE counts as a change of its own): what the flush of
  // the rows before the barrier records as applied. Recording the barrier too would make a replay
  // after a kill between that flush and the barrier's commit skip the barrier.
  std::int64_t changes_before_barrier_ = 0;
  std::atomic<std::uint64_t> last_received_lsn_{0};
  const bool append_mode_;

  // Buffer state (flusher thread only).
  std::shared_ptr<duckdb::Database> buffer_database_;
  std::unique_ptr<duckdb::Connection> buffer_connection_;
  std::unique_ptr<duckdb::Appender> appender_;
  std::string buffer_directory_;
  std::atomic<std::int64_t> buffered_rows_{0};
  std::int64_t appended_rows_ = 0, appended_bytes_ = 0;  // since the appender's last flush
  std::atomic<std::int64_t> pending_transactions_{0};
  std::int64_t committed_rows_ = 0;     // rows of committed transactions in the buffer
  std::uint64_t committed_lsn_ = 0;     // last committed transaction in the buffer
  std::atomic<std::int64_t> oldest_commit_unix_ms_{0};
  std::chrono::steady_clock::time_point batch_started_{};
  bool has_non_insert_ = false;
  bool has_unchanged_ = false;
  bool conflicts_possible_ = true;  // the first flush after a start may overlap what the lake has
  std::optional<QueueItem> barrier_;  // waiting for its transaction to commit
  std::vector<QueueItem> held_;       // items after the barrier
  // Keyed by the description itself (held), so a freed description's address is never reused.
  std::map<std::shared_ptr<const TableSchema>, std::vector<int>> mappings_;
  std::shared_ptr<const TableSchema> mapped_schema_;
  int consecutive_failures_ = 0;
  bool warned_memory_floor_ = false;
  // Grows (x4) each time a flush runs out of memory: its batch is applied in that many times more
  // steps.
  std::int64_t flush_split_ = 1;
  int flushes_since_compaction_ = 0;
  std::chrono::steady_clock::time_point retry_at_{};
};

}  // namespace mallard::cdc

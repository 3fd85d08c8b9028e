#include "cdc/table_flusher.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "common/ids.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::cdc {
namespace {

using lake::SqlIdentifier;
using lake::SqlString;

constexpr std::size_t kMaxDrainItems = 10000;
constexpr std::size_t kLatencySamples = 512;

std::string BufferColumn(std::size_t index) { return "c" + std::to_string(index); }
std::string OldKeyColumn(std::size_t index) { return "ko" + std::to_string(index); }
std::string OldKeyName(std::size_t index) { return "\"__old_" + std::to_string(index) + "\""; }

// DuckDB appends to a table one 256 KiB block per column at a time (plus the appender's chunk):
// below this a buffer cannot take a single row, whatever spills.
std::int64_t BufferMemoryFloorMb(std::size_t buffer_columns) {
  return 8 + static_cast<std::int64_t>((buffer_columns + 1) / 2);
}

// The appender's rows reach the (spillable) table in small commits: one large commit must hold all
// its rows in memory at once and fails under a small limit.
constexpr std::int64_t kAppendFlushRows = 2048;
constexpr std::int64_t kAppendFlushBytes = 1 << 20;

bool IsOutOfMemory(const std::string& message) {
  return message.find("Out of Memory") != std::string::npos || message.find("could not allocate") != std::string::npos ||
         message.find("failed to pin") != std::string::npos || message.find("failed to allocate") != std::string::npos;
}

constexpr std::int64_t kMaxFlushSplit = 4096;

std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

}  // namespace

TableFlusher::TableFlusher(std::string group, std::shared_ptr<const TableSchema> schema, TableProgress progress,
                           std::shared_ptr<lake::Lake> lake, FlushSettings settings, std::shared_ptr<FlushGate> gate,
                           std::shared_ptr<QueueBudget> budget)
    : group_(std::move(group)),
      label_(schema->source.Label()),
      schema_(std::move(schema)),
      lake_(std::move(lake)),
      settings_(std::move(settings)),
      gate_(std::move(gate)),
      queue_(std::move(budget)),
      progress_(std::move(progress)),
      // A resumed keyed table whose key columns were all renamed while the pipe was away has no
      // key flag yet (ColumnsOfLakeTable), and is no change log for that.
      append_mode_(schema_->KeyIndexes().empty() &&
                   std::none_of(schema_->columns.begin(), schema_->columns.end(),
                                [](const SourceColumn& c) { return c.key_unknown; })) {
  skip_through_ = progress_.applied_lsn;
  applied_lsn_ = progress_.applied_lsn;
}

TableFlusher::~TableFlusher() { Stop(); }

void TableFlusher::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void TableFlusher::Stop() {
  stopping_ = true;
  queue_.Wake();
  if (thread_.joinable()) thread_.join();
  ReleaseBuffer();
}

TableState TableFlusher::State() const {
  std::lock_guard lock(mutex_);
  return progress_.state;
}

void TableFlusher::SetState(TableState state) {
  std::lock_guard lock(mutex_);
  progress_.state = state;
}

bool TableFlusher::HasPendingData() const {
  return buffered_rows_.load() > 0 || queue_.Size() > 0 || pending_transactions_.load() > 0;
}

TableStatus TableFlusher::Status() const {
  TableStatus status;
  {
    std::lock_guard lock(mutex_);
    status.progress = progress_;
    status.stats = stats_;
    status.last_error = last_error_;
  }
  status.queued_bytes = queue_.Bytes();
  status.buffered_rows = buffered_rows_.load();
  status.pending_transactions = pending_transactions_.load();
  status.last_received_lsn = last_received_lsn_.load();
  status.oldest_pending_commit_unix_ms = oldest_commit_unix_ms_.load();
  status.append_mode = append_mode_;
  return status;
}

void TableFlusher::MarkError(const std::string& message) {
  halted_ = true;
  spdlog::error("pipe {}: {} stopped until resynced: {}", group_, label_, message);
  {
    std::lock_guard lock(mutex_);
    progress_.state = TableState::kError;
    progress_.error = message;
    last_error_ = message;
  }
  RecordNeedsSnapshot();
}

void TableFlusher::RequestResync(const std::string& reason) {
  halted_ = true;
  spdlog::warn("pipe {}: {} is resynced from a new snapshot: {}", group_, label_, reason);
  {
    std::lock_guard lock(mutex_);
    resync_reason_ = reason;
    last_error_ = "resync: " + reason;
    progress_.state = TableState::kSnapshot;
  }
  RecordNeedsSnapshot();
}

void TableFlusher::RecordNeedsSnapshot() {
  // A halted table stops holding the slot back once this is durable, so its later changes are
  // confirmed without being applied: recorded as SNAPSHOT, a restart takes a new snapshot instead
  // of resuming past changes the slot no longer has. Until it is recorded the table keeps holding
  // the slot (WAL is kept, nothing is lost).
  std::lock_guard commit(progress_commit_mutex_);
  TableProgress next;
  {
    std::lock_guard lock(mutex_);
    next = progress_;
  }
  next.state = TableState::kSnapshot;
  std::string failure;
  if (auto transaction = lake_->Begin(); !transaction.ok()) {
    failure = transaction.error().message;
  } else {
    for (auto& statement : ProgressStatements(group_, next)) (*transaction)->AddCatalogStatement(statement);
    if (auto committed = (*transaction)->Commit(); !committed.ok()) failure = committed.error().message;
  }
  if (failure.empty()) {
    snapshot_recorded_ = true;
  } else {
    spdlog::warn("pipe {}: cannot record that {} needs a new snapshot (it keeps holding the slot): {}", group_, label_,
                 failure);
  }
}

lake::LakeStatus TableFlusher::CommitWithProgress(lake::LakeTransaction& transaction, TableProgress next) {
  // Under the same lock as RecordNeedsSnapshot: a table halted (by the WAL reader) while this
  // flush ran must not have its SNAPSHOT record overwritten by the flush's position.
  std::lock_guard commit(progress_commit_mutex_);
  TableProgress recorded = next;
  if (halted_) recorded.state = TableState::kSnapshot;
  for (auto& statement : ProgressStatements(group_, recorded)) transaction.AddCatalogStatement(statement);
  MALLARD_ASSIGN_OR_RETURN(auto snapshot, transaction.Commit());
  (void)snapshot;
  std::lock_guard lock(mutex_);
  if (halted_) {
    next.state = progress_.state;
    next.error = progress_.error;
  }
  progress_ = next;
  return Done{};
}

std::pair<std::uint64_t, std::int64_t> TableFlusher::PartialPosition() const {
  std::lock_guard lock(mutex_);
  return {progress_.partial_lsn, progress_.partial_changes};
}

std::string TableFlusher::ResyncRequested() const {
  std::lock_guard lock(mutex_);
  return resync_reason_;
}

void TableFlusher::SnapshotDone(std::uint64_t snapshot_lsn, std::int64_t rows) {
  // Transactions committed before the snapshot point are in the copy: drop them from what the
  // stream delivered meanwhile. The flusher thread owns the buffer, so it does this itself.
  std::lock_guard lock(mutex_);
  progress_.snapshot_lsn = snapshot_lsn;
  progress_.applied_lsn = snapshot_lsn > 0 ? snapshot_lsn - 1 : 0;
  progress_.partial_lsn = 0;
  progress_.partial_changes = 0;
  progress_.rows_synced = rows;
  progress_.state = TableState::kCatchup;
  skip_through_ = progress_.applied_lsn;
  applied_lsn_ = progress_.applied_lsn;
  purge_through_ = progress_.applied_lsn > 0 ? progress_.applied_lsn : 1;
  queue_.Wake();
}

void TableFlusher::NoteStreamPosition(std::uint64_t received_lsn) {
  std::lock_guard lock(mutex_);
  if (progress_.state == TableState::kCatchup && received_lsn >= progress_.snapshot_lsn && buffered_rows_.load() == 0 &&
      queue_.Size() == 0 && !halted_) {
    progress_.state = TableState::kStreaming;
  }
}

void TableFlusher::DropUnapplied() {
  drop_requested_ = true;
  queue_.Wake();
  while (drop_requested_ && thread_.joinable() && !stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void TableFlusher::PurgeThrough(std::uint64_t lsn) {
  if (!buffer_connection_) return;
  auto& connection = *buffer_connection_;
  (void)appender_->Flush();
  (void)lake::RunStatement(connection, "DELETE FROM buffer WHERE _lsn <= " + std::to_string(static_cast<std::int64_t>(lsn)));
  auto remaining = lake::QueryCount(connection, "SELECT count(*) FROM buffer");
  auto committed = lake::QueryCount(connection, "SELECT count(*) FROM buffer WHERE _lsn <= " +
                                                    std::to_string(static_cast<std::int64_t>(committed_lsn_)));
  buffered_rows_ = remaining.ok() ? *remaining : 0;
  committed_rows_ = committed.ok() ? *committed : 0;
  if (committed_rows_ == 0) pending_transactions_ = 0;
  if (buffered_rows_ == 0) ReleaseBuffer();
}

void TableFlusher::RecordFailure(const std::string& message) {
  ++consecutive_failures_;
  auto backoff = std::min<std::int64_t>(settings_.max_retry_backoff.count(), 250LL << std::min(consecutive_failures_, 10));
  retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
  std::lock_guard lock(mutex_);
  ++stats_.failed_flushes;
  last_error_ = message;
  // Three failures in a row make the table visibly unhealthy; it keeps retrying its batch.
  if (consecutive_failures_ >= 3 && progress_.state != TableState::kError) {
    progress_.state = TableState::kError;
    progress_.error = message;
  }
  spdlog::warn("pipe {}: flush of {} failed ({} in a row), retrying in {} ms: {}", group_, label_,
               consecutive_failures_, backoff, message);
}

std::vector<std::string> TableFlusher::ProgressSql() const {
  std::lock_guard lock(mutex_);
  return ProgressStatements(group_, progress_);
}

const std::vector<int>& TableFlusher::ColumnMapping(const std::shared_ptr<const TableSchema>& relation) {
  if (mapped_schema_ != schema_) {
    mappings_.clear();
    mapped_schema_ = schema_;
  }
  auto found = mappings_.find(relation);
  if (found != mappings_.end()) return found->second;
  std::vector<int> mapping(relation->columns.size(), -1);
  for (std::size_t i = 0; i < relation->columns.size(); ++i) {
    for (std::size_t j = 0; j < schema_->columns.size(); ++j) {
      if (schema_->columns[j].name == relation->columns[i].name) mapping[i] = static_cast<int>(j);
    }
  }
  if (mappings_.size() > 64) mappings_.clear();
  return mappings_.emplace(relation, std::move(mapping)).first->second;
}

lake::LakeStatus TableFlusher::EnsureBuffer() {
  if (appender_) return Done{};
  buffer_directory_ = settings_.work_directory + "/buffer-" + schema_->source.Label() + "-" + RandomAlnum(6);
  duckdb::DatabaseOptions options;
  options.path = ":memory:";
  options.threads = settings_.duckdb_threads;
  options.memory_limit = std::to_string(BufferMemoryMb()) + "MB";
  options.temp_directory = buffer_directory_;
  options.preserve_insertion_order = false;  // lets the flush's Parquet writes bound row groups by bytes
  auto database = duckdb::Database::Open(options);
  if (!database.ok()) return lake::LakeFail(lake::LakeErrorCode::kIo, "cannot open the buffer: " + database.error().message);
  auto connection = database.value()->Connect();
  if (!connection.ok()) return lake::LakeFail(lake::LakeErrorCode::kIo, connection.error().message);
  std::string columns = "_seq BIGINT, _op VARCHAR, _lsn BIGINT, _unchanged VARCHAR";
  for (std::size_t i = 0; i < schema_->columns.size(); ++i) columns += ", " + BufferColumn(i) + " VARCHAR";
  for (auto key : schema_->KeyIndexes()) columns += ", " + OldKeyColumn(key) + " VARCHAR";
  if (auto created = connection->Execute("CREATE TABLE buffer (" + columns + ")"); !created.ok()) {
    return lake::LakeFail(lake::LakeErrorCode::kIo, created.error().message);
  }
  auto appender = duckdb::Appender::Create(connection.value(), "main", "buffer");
  if (!appender.ok()) return lake::LakeFail(lake::LakeErrorCode::kIo, appender.error().message);
  buffer_database_ = database.value();
  buffer_connection_ = std::make_unique<duckdb::Connection>(std::move(connection).value());
  appender_ = std::make_unique<duckdb::Appender>(std::move(appender).value());
  return Done{};
}

std::int64_t TableFlusher::BufferMemoryMb() {
  std::size_t buffer_columns = 4 + schema_->columns.size() + schema_->KeyIndexes().size();
  std::int64_t floor = BufferMemoryFloorMb(buffer_columns);
  if (settings_.buffer_memory_mb >= floor) return settings_.buffer_memory_mb;
  if (!warned_memory_floor_) {
    warned_memory_floor_ = true;
    spdlog::warn("pipe {}: --buffer-memory-mb {} is below what a buffer of {}'s {} columns needs; {} uses {} MB", group_,
                 settings_.buffer_memory_mb, label_, buffer_columns, label_, floor);
  }
  return floor;
}

std::int64_t TableFlusher::FlushMemoryMb() { return std::max(settings_.flush_memory_mb, BufferMemoryMb()); }

void TableFlusher::ReleaseBuffer() {
  appender_.reset();
  appended_rows_ = appended_bytes_ = 0;
  buffer_connection_.reset();
  buffer_database_.reset();
  if (!buffer_directory_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(buffer_directory_, ignored);
    buffer_directory_.clear();
  }
  buffered_rows_ = 0;
  committed_rows_ = 0;
  has_non_insert_ = false;
  has_unchanged_ = false;
}

void TableFlusher::Append(const QueueItem& item) {
  if (auto ready = EnsureBuffer(); !ready.ok()) {
    // Without a buffer nothing can be kept: fail loudly rather than lose the change silently.
    MarkError("cannot buffer changes: " + ready.error().message);
    return;
  }
  const auto& mapping = ColumnMapping(item.schema ? item.schema : schema_);
  std::vector<const Value*> row(schema_->columns.size(), nullptr);
  std::string unchanged = ",";
  for (std::size_t i = 0; i < item.values.size() && i < mapping.size(); ++i) {
    if (mapping[i] >= 0) row[mapping[i]] = &item.values[i];
  }
  if (!item.unchanged.empty()) {
    // Rare (an update leaving a TOASTed value alone): renumber the markers into buffer columns.
    for (std::size_t i = 0; i < item.values.size() && i < mapping.size(); ++i) {
      if (mapping[i] >= 0 && item.unchanged.find("," + std::to_string(i) + ",") != std::string::npos) {
        unchanged += std::to_string(mapping[i]) + ",";
      }
    }
  }
  auto status = appender_->AppendInt64(item.seq);
  if (status.ok()) status = appender_->AppendVarchar(std::string_view(&item.op, 1));
  if (status.ok()) status = appender_->AppendInt64(static_cast<std::int64_t>(item.commit_lsn));
  if (status.ok()) status = unchanged.size() > 1 ? appender_->AppendVarchar(unchanged) : appender_->AppendNull();
  for (const Value* value : row) {
    if (!status.ok()) break;
    status = (value && *value) ? appender_->AppendVarchar(**value) : appender_->AppendNull();
  }
  for (auto key : schema_->KeyIndexes()) {
    if (!status.ok()) break;
    const Value* old_value = nullptr;
    for (std::size_t i = 0; i < mapping.size() && i < item.old_key.size(); ++i) {
      if (mapping[i] == static_cast<int>(key)) old_value = &item.old_key[i];
    }
    status = (old_value && *old_value) ? appender_->AppendVarchar(**old_value) : appender_->AppendNull();
  }
  if (status.ok()) status = appender_->EndRow();
  std::int64_t bytes = 64;
  for (const Value* value : row) bytes += (value && *value) ? static_cast<std::int64_t>((*value)->size()) : 0;
  appended_rows_ += 1;
  appended_bytes_ += bytes;
  if (status.ok() && (appended_rows_ >= kAppendFlushRows || appended_bytes_ >= kAppendFlushBytes)) {
    status = appender_->Flush();
    appended_rows_ = appended_bytes_ = 0;
  }
  if (!status.ok()) {
    MarkError("cannot buffer a change: " + status.error().message);
    return;
  }
  ++buffered_rows_;
  if (item.op != 'I') has_non_insert_ = true;
  if (unchanged.size() > 1) has_unchanged_ = true;
}

void TableFlusher::Process(QueueItem item) {
  last_received_lsn_ = std::max(last_received_lsn_.load(), item.commit_lsn);
  if (barrier_) {
    // While the table's snapshot is loading (or its hand-over not yet done) a barrier waits: the
    // snapshot may already hold it (then it is dropped), and the lake table is the snapshot's.
    bool snapshot_pending = State() == TableState::kSnapshot || purge_through_.load() != 0;
    if (item.kind == QueueItem::Kind::kCommit && item.commit_lsn == barrier_->commit_lsn && !snapshot_pending) {
      // The barrier's transaction is complete, so is everything buffered before it.
      QueueItem barrier = std::move(*barrier_);
      barrier_.reset();
      std::vector<QueueItem> held = std::move(held_);
      held_.clear();
      while (!stopping_ && !halted_ && !Flush(barrier.commit_lsn, barrier.commit_lsn - 1)) {
        std::this_thread::sleep_until(retry_at_);
      }
      while (!stopping_ && !halted_ && !ApplyBarrier(barrier)) std::this_thread::sleep_until(retry_at_);
      conflicts_possible_ = true;
      for (auto& next : held) Process(std::move(next));
      Process(std::move(item));
    } else {
      held_.push_back(std::move(item));
    }
    return;
  }
  if (item.commit_lsn <= skip_through_.load()) return;  // already in the lake
  if (halted_) return;  // the table waits for a resync
  if (item.kind != QueueItem::Kind::kCommit) {
    if (item.commit_lsn != txn_lsn_) {
      txn_lsn_ = item.commit_lsn;
      txn_changes_ = 0;
    }
    if (item.kind != QueueItem::Kind::kSchema) ++txn_changes_;
    auto [partial_lsn, partial_changes] = PartialPosition();
    // The part of a transaction a column change inside it already put in the lake (replayed after
    // a restart or reconnect): its rows are there, and its descriptions are of columns the lake no
    // longer has — applied again they would undo the change (an added column dropped, a widened
    // type "narrowed"), mapped onto the new columns its rows would read NULL where PostgreSQL shows
    // a default.
    if (item.commit_lsn == partial_lsn &&
        (item.kind == QueueItem::Kind::kSchema ? txn_changes_ < partial_changes : txn_changes_ <= partial_changes)) {
      return;
    }
  }
  switch (item.kind) {
    case QueueItem::Kind::kRow:
      if (item.schema && item.schema != schema_ && item.schema != row_schema_checked_) {
        // A row is mapped onto the table's columns by name. Described with other columns than the
        // table has (its relation description never reached this table as a change), it would
        // silently read NULL in a column it lacks: the description is applied as a change first.
        SchemaDiff diff = DiffColumns(schema_->columns, item.schema->columns);
        if (!diff.changes.empty() || diff.error || diff.resync) {
          spdlog::warn("pipe {}: a change of {} arrived with columns the table does not have; its description is "
                       "applied first", group_, label_);
          QueueItem change;
          change.kind = QueueItem::Kind::kSchema;
          change.schema = item.schema;
          change.seq = item.seq;
          change.commit_lsn = item.commit_lsn;
          --txn_changes_;  // the change comes before the row, which is counted again when processed
          Process(std::move(change));
          if (barrier_) {
            held_.push_back(std::move(item));
            break;
          }
          ++txn_changes_;
        }
        AdoptKeyFlags(*item.schema);
        row_schema_checked_ = item.schema;
      }
      Append(item);
      break;
    case QueueItem::Kind::kCommit:
      if (buffered_rows_.load() > committed_rows_) {
        if (committed_rows_ == 0) {
          batch_started_ = std::chrono::steady_clock::now();
          oldest_commit_unix_ms_ = WallClockMillis();
        }
        committed_rows_ = buffered_rows_.load();
        committed_lsn_ = item.commit_lsn;
        ++pending_transactions_;
      }
      break;
    case QueueItem::Kind::kSchema: {
      SchemaDiff diff = DiffColumns(schema_->columns, item.schema->columns);
      // The same columns (e.g. the description the stream sends first after a connect): rows
      // map by name, nothing to change.
      if (diff.changes.empty() && !diff.error && !diff.resync) {
        AdoptKeyFlags(*item.schema);
        break;
      }
      changes_before_barrier_ = txn_changes_;
      barrier_ = std::move(item);
      break;
    }
    case QueueItem::Kind::kTruncate:
      changes_before_barrier_ = txn_changes_ - 1;
      barrier_ = std::move(item);
      break;
  }
}

void TableFlusher::AdoptKeyFlags(const TableSchema& described) {
  auto unknown = [](const SourceColumn& c) { return c.key_unknown; };
  if (std::none_of(schema_->columns.begin(), schema_->columns.end(), unknown)) return;
  auto next = std::make_shared<TableSchema>(*schema_);
  for (auto& column : next->columns) {
    for (const auto& source : described.columns) {
      if (source.name != column.name) continue;
      column.key = source.key;
      column.key_unknown = false;
    }
  }
  schema_ = std::move(next);
}

bool TableFlusher::FlushDue() const {
  // A halted table waits for its resync: its batch would fail the same way again.
  if (committed_rows_ == 0 || halted_) return false;
  TableState state = State();
  if (state == TableState::kSnapshot) return false;
  if (std::chrono::steady_clock::now() < retry_at_) return false;
  return committed_rows_ >= settings_.flush_batch_rows ||
         std::chrono::steady_clock::now() - batch_started_ >= settings_.flush_interval;
}

void TableFlusher::Run() {
  while (!stopping_) {
    auto items = queue_.Drain(kMaxDrainItems, settings_.drain_poll);
    for (auto& item : items) {
      if (stopping_) break;
      Process(std::move(item));
    }
    if (stopping_) break;
    if (std::uint64_t purge = purge_through_.load(); purge > 0) {
      PurgeThrough(purge);
      purge_through_ = 0;
      if (barrier_) {
        // A schema change that arrived during the snapshot: history when the snapshot holds its
        // transaction (Process skips it), else applied now, its commit among the held items.
        QueueItem barrier = std::move(*barrier_);
        barrier_.reset();
        std::vector<QueueItem> held = std::move(held_);
        held_.clear();
        txn_changes_ = changes_before_barrier_;  // Process counts the barrier again
        Process(std::move(barrier));
        for (auto& next : held) Process(std::move(next));
      }
    }
    if (drop_requested_) {
      (void)queue_.Drain(SIZE_MAX, std::chrono::milliseconds(0));
      ReleaseBuffer();
      barrier_.reset();
      held_.clear();
      txn_lsn_ = 0;  // the stream sends the open transaction again from its first change
      txn_changes_ = 0;
      pending_transactions_ = 0;
      oldest_commit_unix_ms_ = 0;
      drop_requested_ = false;
      continue;
    }
    if (FlushDue()) Flush(committed_lsn_, committed_lsn_);
  }
}

bool TableFlusher::Flush(std::uint64_t upto_lsn, std::uint64_t applied_lsn) {
  // With nothing buffered there is nothing to commit; the next commit records the position.
  if (buffered_rows_.load() == 0 || !buffer_connection_) return true;
  FlushGate::Ticket ticket(*gate_);
  auto started = std::chrono::steady_clock::now();
  std::int64_t inserted = 0;
  auto status = FlushOnce(upto_lsn, applied_lsn, inserted);
  if (!status.ok()) {
    const std::string& message = status.error().message;
    if (IsOutOfMemory(message) && flush_split_ < kMaxFlushSplit) {
      // Degrade, never fail: the batch is applied in more, smaller steps (still one lake commit).
      flush_split_ = std::min(flush_split_ * 4, kMaxFlushSplit);
      RecordFailure("out of memory at " + std::to_string(FlushMemoryMb()) + " MB; retrying in " +
                    std::to_string(flush_split_) + " times as many steps: " + message);
      return false;
    }
    if (status.error().code == lake::LakeErrorCode::kNotFound && !lake_->DescribeTable(schema_->target.schema,
                                                                                       schema_->target.name).ok()) {
      // Someone dropped the lake table (`mallard lake drop`): start the table over.
      RequestResync("the lake table " + schema_->target.Label() + " was dropped");
      return false;
    }
    if (message.rfind("Conversion Error", 0) == 0 || message.find("Could not convert") != std::string::npos ||
        message.find("Parquet files do not support") != std::string::npos) {
      // A value the lake column cannot hold fails the same way on every retry: the table stops
      // (the others go on) until the source is fixed and the table resynced.
      MarkError("a source value does not fit its lake column: " + message);
      std::lock_guard lock(mutex_);
      ++stats_.failed_flushes;
      return false;
    }
    RecordFailure(message);
    return false;
  }
  if (settings_.compact_min_files > 0 && ++flushes_since_compaction_ >= settings_.compact_min_files) {
    // Every flush adds a file; key lookups and delete files grow with their number. Merging the
    // small ones keeps flushes cheap (the extension's merge_adjacent_files, done as we go).
    auto merged = lake_->CompactTable(schema_->target.schema, schema_->target.name, settings_.compact_min_files,
                                      settings_.compact_max_file_rows);
    if (!merged.ok()) {
      spdlog::warn("pipe {}: merging the files of {} failed (retried later): {}", group_, label_, merged.error().message);
    } else {
      flushes_since_compaction_ = 0;
    }
  }
  double elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  consecutive_failures_ = 0;
  {
    std::lock_guard lock(mutex_);
    ++stats_.flushes;
    stats_.latencies_ms.push_back(elapsed_ms);
    if (stats_.latencies_ms.size() > kLatencySamples) stats_.latencies_ms.erase(stats_.latencies_ms.begin());
    stats_.last_flush_unix_ms = WallClockMillis();
    last_error_.clear();
  }
  return true;
}

// Unchanged TOAST values were not sent. Each such value is the row's value before the change: the
// row's previous image in this batch (found under the old key when the change moved the key), and
// when that image did not carry it either, its own previous image, and so on back to the first
// image of the row in the batch that carried it or, failing that, to the row the lake holds now.
// The chains are resolved by pointer jumping (each round halves every chain), so a row updated
// ten thousand times in one batch costs about fourteen rounds, not ten thousand.
lake::LakeStatus TableFlusher::FillUnchangedValues(duckdb::Connection& connection) {
  auto key_indexes = schema_->KeyIndexes();
  std::vector<std::string> lookup, parent_on, lake_on;
  for (auto key : key_indexes) {
    std::string name = SqlIdentifier(schema_->columns[key].name);
    lookup.push_back("coalesce(t." + OldKeyName(key) + ", t." + name + ")");
    parent_on.push_back("p." + name + " = " + lookup.back());
    lake_on.push_back("l." + name + " = " + lookup.back());
  }
  // The previous image of each row that left a value unchanged: the batch's latest earlier row
  // under the key this row had before the change.
  MALLARD_RETURN_IF_ERROR(lake::RunStatement(
      connection, "CREATE OR REPLACE TEMP TABLE flush_parent AS SELECT t._seq, p._seq AS parent FROM "
                  "(SELECT * FROM flush_typed WHERE _unchanged IS NOT NULL) t ASOF LEFT JOIN "
                  "(SELECT * FROM flush_typed WHERE _op <> 'D') p ON " +
                      Join(parent_on, " AND ") + " AND t._seq > p._seq"));
  // One row per unchanged value: where its value is found (a row of the batch, or the lake row
  // under the lookup key of row `root` when from_lake).
  MALLARD_RETURN_IF_ERROR(lake::RunStatement(
      connection, "CREATE OR REPLACE TEMP TABLE flush_root AS SELECT t._seq, c::INTEGER AS col, "
                  "coalesce(f.parent, t._seq) AS root, f.parent IS NULL AS from_lake FROM flush_typed t "
                  "JOIN flush_parent f USING (_seq), unnest(string_split(trim(t._unchanged, ','), ',')) AS u(c)"));
  for (int round = 0; round < 64; ++round) {
    MALLARD_ASSIGN_OR_RETURN(auto pending, lake::QueryCount(connection,
                                                           "SELECT count(*) FROM flush_root f JOIN flush_root r ON NOT "
                                                           "f.from_lake AND r._seq = f.root AND r.col = f.col"));
    if (pending == 0) break;
    MALLARD_RETURN_IF_ERROR(lake::RunStatement(connection,
                                               "UPDATE flush_root SET root = r.root, from_lake = r.from_lake "
                                               "FROM flush_root AS r WHERE NOT flush_root.from_lake AND "
                                               "r._seq = flush_root.root AND r.col = flush_root.col"));
  }
  MALLARD_ASSIGN_OR_RETURN(auto columns, lake::QueryText(connection, "SELECT DISTINCT col FROM flush_root ORDER BY col"));
  MALLARD_ASSIGN_OR_RETURN(auto current, lake_->ScanSql(schema_->target.schema, schema_->target.name));
  MALLARD_RETURN_IF_ERROR(lake::RunStatement(
      connection, "CREATE OR REPLACE TEMP TABLE flush_lake_image AS SELECT t._seq, l.* FROM flush_typed t JOIN (" +
                      current + ") l ON " + Join(lake_on, " AND ") +
                      " WHERE t._seq IN (SELECT root FROM flush_root WHERE from_lake)"));
  std::vector<std::string> filled = {"t._seq", "t._op", "t._lsn", "t._unchanged"};
  std::string joins;
  std::vector<bool> has_unchanged(schema_->columns.size(), false);
  for (const auto& row : columns) {
    auto index = std::stoul(row.at(0));
    if (index < has_unchanged.size()) has_unchanged[index] = true;
  }
  for (std::size_t i = 0; i < schema_->columns.size(); ++i) {
    std::string name = SqlIdentifier(schema_->columns[i].name);
    if (!has_unchanged[i] || schema_->columns[i].key) {
      filled.push_back("t." + name);
      continue;
    }
    std::string n = std::to_string(i);
    joins += " LEFT JOIN flush_root r" + n + " ON r" + n + "._seq = t._seq AND r" + n + ".col = " + n +
             " LEFT JOIN flush_typed p" + n + " ON NOT r" + n + ".from_lake AND p" + n + "._seq = r" + n + ".root" +
             " LEFT JOIN flush_lake_image l" + n + " ON r" + n + ".from_lake AND l" + n + "._seq = r" + n + ".root";
    filled.push_back("CASE WHEN r" + n + "._seq IS NULL THEN t." + name + " WHEN r" + n + ".from_lake THEN l" + n + "." +
                     name + " ELSE p" + n + "." + name + " END AS " + name);
  }
  for (auto key : key_indexes) filled.push_back("t." + OldKeyName(key));
  return lake::RunStatement(connection, "CREATE OR REPLACE TEMP TABLE flush_filled AS SELECT " + Join(filled, ", ") +
                                            " FROM flush_typed t" + joins);
}

lake::LakeStatus TableFlusher::FlushOnce(std::uint64_t upto_lsn, std::uint64_t applied_lsn, std::int64_t& inserted) {
  auto& connection = *buffer_connection_;
  MALLARD_RETURN_IF_ERROR(lake::RunStatement(connection, "SET memory_limit = '" + std::to_string(FlushMemoryMb()) + "MB'"));
  if (auto flushed = appender_->Flush(); !flushed.ok()) return lake::LakeFail(lake::LakeErrorCode::kIo, flushed.error().message);
  appended_rows_ = appended_bytes_ = 0;
  MALLARD_ASSIGN_OR_RETURN(auto upto, lake::QueryCount(connection, "SELECT max(_seq) FROM buffer WHERE _lsn <= " +
                                                                       std::to_string(static_cast<std::int64_t>(upto_lsn))));
  std::vector<std::string> typed = {"_seq", "_op", "_lsn", "_unchanged"};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < schema_->columns.size(); ++i) {
    const auto& column = schema_->columns[i];
    names.push_back(SqlIdentifier(column.name));
    typed.push_back(CastFromPostgresText(column.type, BufferColumn(i)) + " AS " + SqlIdentifier(column.name));
  }
  for (auto key : schema_->KeyIndexes()) {
    typed.push_back(CastFromPostgresText(schema_->columns[key].type, OldKeyColumn(key)) + " AS " + OldKeyName(key));
  }
  MALLARD_RETURN_IF_ERROR(lake::RunStatement(connection, "CREATE OR REPLACE TEMP TABLE flush_typed AS SELECT " +
                                                             Join(typed, ", ") + " FROM buffer WHERE _seq <= " +
                                                             std::to_string(upto)));
  std::vector<std::string> keys;
  for (const auto& key : schema_->KeyNames()) keys.push_back(SqlIdentifier(key));
  std::string source = "flush_typed";
  if (has_unchanged_ && !append_mode_) {
    MALLARD_RETURN_IF_ERROR(FillUnchangedValues(connection));
    source = "flush_filled";
  }
  MALLARD_ASSIGN_OR_RETURN(auto transaction, lake_->Begin());
  const auto& target = schema_->target;
  // A batch larger than --flush-batch-rows (one large source transaction) and a batch that ran
  // out of memory are applied in steps of a bounded size, all staged in this one lake transaction:
  // readers see the table before or after the batch, never between. Steps split the keys by hash
  // (each key's changes, old keys of key updates included, fall in one step), a change log by
  // position.
  MALLARD_ASSIGN_OR_RETURN(auto batch_rows, lake::QueryCount(connection, "SELECT count(*) FROM " + source));
  // Steps of about flush_batch_rows, rounded to the nearest count: a batch the size trigger cut a
  // little past the limit (rows keep arriving while the flush starts) stays one step, since every
  // step of a keyed table reads the key column of all of its files once.
  std::int64_t batch_limit = std::max<std::int64_t>(1, settings_.flush_batch_rows);
  std::int64_t steps = std::min(kMaxFlushSplit * 16,
                                std::max<std::int64_t>(1, (batch_rows + batch_limit / 2) / batch_limit) * flush_split_);
  std::string step_count = std::to_string(steps);
  inserted = 0;
  if (append_mode_) {
    // No key: every change is a row of the table's change log.
    std::string position = "(_seq - (SELECT min(_seq) FROM " + source + ")) * " + step_count + " // ((SELECT max(_seq) - min(_seq) FROM " +
                           source + ") + 1)";
    for (std::int64_t step = 0; step < steps; ++step) {
      std::string where = steps == 1 ? "" : " WHERE " + position + " = " + std::to_string(step);
      MALLARD_ASSIGN_OR_RETURN(auto rows, transaction->Insert(target.schema, target.name, connection,
                                                              "SELECT " + Join(names, ", ") +
                                                                  ", _op AS _mallard_op, _lsn AS _mallard_lsn FROM " +
                                                                  source + where + " ORDER BY _seq"));
      inserted += rows;
    }
  } else {
    for (std::int64_t step = 0; step < steps; ++step) {
      std::string where = steps == 1 ? "" : " WHERE hash(" + Join(keys, ", ") + ") % " + step_count + " = " + std::to_string(step);
      MALLARD_RETURN_IF_ERROR(lake::RunStatement(connection, "CREATE OR REPLACE TEMP TABLE flush_latest AS SELECT * FROM " +
                                                                 source + where + " QUALIFY row_number() OVER (PARTITION BY " +
                                                                 Join(keys, ", ") + " ORDER BY _seq DESC) = 1"));
      if (has_non_insert_ || conflicts_possible_) {
        MALLARD_ASSIGN_OR_RETURN(auto deleted, transaction->DeleteByKeys(target.schema, target.name, schema_->KeyNames(),
                                                                         connection, "SELECT DISTINCT " + Join(keys, ", ") +
                                                                                         " FROM " + source + where));
        (void)deleted;
      }
      MALLARD_ASSIGN_OR_RETURN(auto rows, transaction->Insert(target.schema, target.name, connection,
                                                              "SELECT " + Join(names, ", ") +
                                                                  " FROM flush_latest WHERE _op <> 'D'"));
      inserted += rows;
    }
  }
  TableProgress next;
  {
    std::lock_guard lock(mutex_);
    next = progress_;
  }
  next.applied_lsn = std::max(next.applied_lsn, applied_lsn);
  if (applied_lsn < upto_lsn && txn_lsn_ == upto_lsn) {
    // The rows before a column change or TRUNCATE inside transaction upto_lsn (see ApplyBarrier).
    next.partial_lsn = upto_lsn;
    next.partial_changes = changes_before_barrier_;
  } else if (next.applied_lsn >= next.partial_lsn) {
    next.partial_lsn = 0;
    next.partial_changes = 0;
  }
  next.rows_synced += inserted;
  if (next.state == TableState::kCatchup || next.state == TableState::kError) next.state = TableState::kStreaming;
  next.error.clear();
  transaction->SetCommitInfo(std::string("mallard pipe"), std::string("cdc " + group_ + " " + schema_->source.Label()),
                             boost::json::serialize(boost::json::object{{"source", "postgres"},
                                                                        {"table", schema_->source.Label()},
                                                                        {"commit_lsn", applied_lsn}}));
  MALLARD_RETURN_IF_ERROR(CommitWithProgress(*transaction, next));
  applied_lsn_ = next.applied_lsn;
  skip_through_ = std::max(skip_through_.load(), next.applied_lsn);
  conflicts_possible_ = false;
  (void)lake::RunStatement(connection, "DELETE FROM buffer WHERE _seq <= " + std::to_string(upto));
  (void)lake::RunStatement(connection, "DROP TABLE IF EXISTS flush_typed; DROP TABLE IF EXISTS flush_filled; "
                                       "DROP TABLE IF EXISTS flush_latest");
  MALLARD_ASSIGN_OR_RETURN(auto remaining, lake::QueryCount(connection, "SELECT count(*) FROM buffer"));
  buffered_rows_ = remaining;
  committed_rows_ = 0;
  pending_transactions_ = 0;
  oldest_commit_unix_ms_ = 0;
  if (remaining == 0) {
    // Memory and temp files go back to the OS; the next batch opens a new instance.
    ReleaseBuffer();
  } else {
    has_non_insert_ = true;  // unknown for the rows left; be safe
    (void)lake::RunStatement(connection, "SET memory_limit = '" + std::to_string(BufferMemoryMb()) + "MB'");
  }
  return Done{};
}

bool TableFlusher::ApplyBarrier(const QueueItem& barrier) {
  auto apply = [&]() -> lake::LakeStatus {
    MALLARD_ASSIGN_OR_RETURN(auto transaction, lake_->Begin());
    const auto& target = schema_->target;
    std::shared_ptr<TableSchema> next_schema;
    if (barrier.kind == QueueItem::Kind::kTruncate) {
      MALLARD_RETURN_IF_ERROR(transaction->Truncate(target.schema, target.name));
    } else {
      SchemaDiff diff = DiffColumns(schema_->columns, barrier.schema->columns);
      // A change that only a fresh snapshot follows, and that may also be an error (an ambiguity),
      // is resynced where the table can be.
      if (diff.error && !(diff.resync && !append_mode_)) {
        MarkError(*diff.error);
        return Done{};
      }
      // A change log keeps its history: a fresh snapshot would replace it, so there an added
      // column whose existing values only the source knows reads as NULL in older entries.
      if (diff.resync && !append_mode_) {
        RequestResync(*diff.resync);
        return Done{};
      }
      for (const auto& change : diff.changes) {
        switch (change.kind) {
          case ColumnChange::Kind::kAdd: {
            lake::ColumnSpec column{change.name, change.duckdb_type};
            // Rows of older files read as the value PostgreSQL gave the existing rows.
            if (change.backfill) column.default_value = CastFromPostgresText(ColumnType{change.duckdb_type, true, ""}, SqlString(*change.backfill));
            MALLARD_RETURN_IF_ERROR(transaction->AddColumn(target.schema, target.name, column));
            break;
          }
          case ColumnChange::Kind::kRetype:
            // An empty type: the lake column already holds every value (varchar(n) → text).
            if (!change.duckdb_type.empty()) {
              MALLARD_RETURN_IF_ERROR(transaction->ChangeColumnType(target.schema, target.name, change.name, change.duckdb_type));
            }
            break;
          case ColumnChange::Kind::kDrop:
            MALLARD_RETURN_IF_ERROR(transaction->DropColumn(target.schema, target.name, change.name));
            break;
          case ColumnChange::Kind::kRename:
            MALLARD_RETURN_IF_ERROR(transaction->RenameColumn(target.schema, target.name, change.name, change.new_name));
            break;
        }
      }
      next_schema = std::make_shared<TableSchema>(*barrier.schema);
      next_schema->source = schema_->source;
      next_schema->target = schema_->target;
    }
    TableProgress next;
    {
      std::lock_guard lock(mutex_);
      next = progress_;
    }
    next.applied_lsn = std::max(next.applied_lsn, barrier.commit_lsn - 1);
    if (txn_lsn_ == barrier.commit_lsn) {
      next.partial_lsn = barrier.commit_lsn;
      next.partial_changes = txn_changes_;
    }
    MALLARD_RETURN_IF_ERROR(CommitWithProgress(*transaction, next));
    applied_lsn_ = next.applied_lsn;
    if (next_schema) {
      ReleaseBuffer();  // the buffer's columns follow the table's
      schema_ = next_schema;
      spdlog::info("pipe {}: {} columns changed in the lake", group_, schema_->source.Label());
    }
    return Done{};
  };
  auto status = apply();
  if (!status.ok()) {
    if (status.error().code == lake::LakeErrorCode::kNotFound &&
        !lake_->DescribeTable(schema_->target.schema, schema_->target.name).ok()) {
      RequestResync("the lake table " + schema_->target.Label() + " was dropped");
      return false;
    }
    RecordFailure(status.error().message);
    return false;
  }
  consecutive_failures_ = 0;
  return true;
}

}  // namespace mallard::cdc

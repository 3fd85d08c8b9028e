#include "cdc/sync_group.hpp"

#include "cdc/streamed_transactions.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "cdc/snapshot_loader.hpp"
#include "cdc/source_catalog.hpp"
#include "common/ids.hpp"
#include "lake/lake_transaction.hpp"

namespace mallard::cdc {
namespace {

using pg::PgError;

constexpr int kProtocolVersion = 1;
constexpr int kStreamingProtocolVersion = 2;

bool ValidGroupName(const std::string& name) {
  return !name.empty() && name.size() <= 40 && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '_';
  });
}

Value TupleText(const pg::TupleValue& value) {
  if (value.kind == pg::TupleValue::Kind::kText || value.kind == pg::TupleValue::Kind::kBinary) return value.data;
  return std::nullopt;
}

// Values and unchanged-TOAST markers of a tuple; `fill` supplies unchanged values (a FULL old row).
void FillItem(QueueItem& item, const pg::Tuple& tuple, const pg::Tuple* fill) {
  item.values.clear();
  item.unchanged.clear();
  for (std::size_t i = 0; i < tuple.size(); ++i) {
    if (tuple[i].kind == pg::TupleValue::Kind::kUnchangedToast) {
      if (fill && i < fill->size() && fill->at(i).kind != pg::TupleValue::Kind::kUnchangedToast) {
        item.values.push_back(TupleText(fill->at(i)));
        continue;
      }
      if (item.unchanged.empty()) item.unchanged = ",";
      item.unchanged += std::to_string(i) + ",";
      item.values.emplace_back();
      continue;
    }
    item.values.push_back(TupleText(tuple[i]));
  }
}

std::string Message(const PgError& error) { return error.message; }

}  // namespace

SyncGroup::SyncGroup(PipeConfig config, std::shared_ptr<lake::Lake> lake)
    : config_(std::move(config)),
      lake_(std::move(lake)),
      slot_("mallard_" + config_.group),
      publication_("mallard_" + config_.group),
      gate_(std::make_shared<FlushGate>(config_.max_concurrent_flushes)),
      budget_(std::make_shared<QueueBudget>(config_.max_queued_bytes)) {}

SyncGroup::~SyncGroup() { Stop(); }

Result<Done, std::string> SyncGroup::Start() {
  std::lock_guard admin(admin_mutex_);
  if (!ValidGroupName(config_.group)) {
    return Fail("group name '" + config_.group + "' must be lower-case letters, digits and _ (at most 40)");
  }
  auto conninfo = SourceConnInfo(config_.source);
  if (!conninfo.ok()) return Fail(Message(conninfo.error()));
  conninfo_ = *conninfo;
  if (auto ensured = EnsureProgressTable(*lake_); !ensured.ok()) {
    return Fail("the lake is unreachable: " + ensured.error().message);
  }
  auto progress = LoadProgress(*lake_, config_.group);
  if (!progress.ok()) return Fail("cannot read the pipeline's progress from the lake: " + progress.error().message);
  for (const auto& row : *progress) progress_[row.source.Label()] = row;

  auto meta = pg::PgConnection::Connect(conninfo_);
  if (!meta.ok()) return Fail("cannot connect to the source: " + Message(meta.error()));
  if (auto level = meta->CheckWalLevel(); !level.ok()) return Fail(Message(level.error()));

  std::set<TableName> names;
  for (const auto& text : config_.tables) {
    auto name = TableName::Parse(text);
    if (!name) return Fail("bad table name '" + text + "' (want schema.table)");
    names.insert(*name);
  }
  for (const auto& schema : config_.schemas) {
    auto in_schema = TablesInSchema(*meta, schema);
    if (!in_schema.ok()) return Fail(Message(in_schema.error()));
    names.insert(in_schema->begin(), in_schema->end());
  }
  for (const auto& [label, row] : progress_) names.insert(row.source);  // tables added at run time earlier
  std::vector<TableName> all(names.begin(), names.end());
  for (const auto& name : all) {
    if (auto described = DescribeSourceTable(*meta, name); !described.ok()) return Fail(Message(described.error()));
  }
  // Everything is checked before anything is created; what this start creates it removes again
  // when a later step fails, so a pipe that cannot start leaves no slot (holding WAL) behind.
  if (auto allowed = CheckSourcePrivileges(*meta, publication_, all); !allowed.ok()) return Fail(Message(allowed.error()));
  auto had_publication = PublicationExists(*meta, publication_);
  if (!had_publication.ok()) return Fail(Message(had_publication.error()));
  auto exists = SlotExists(*meta, slot_);
  if (!exists.ok()) return Fail(Message(exists.error()));
  bool new_slot = !*exists;
  auto undo = [&](std::string message) -> Result<Done, std::string> {
    Stop();
    if (new_slot) {
      auto replication = pg::ReplicationConnection::Connect(conninfo_);
      if (replication.ok()) (void)replication->DropSlot(slot_, false);
    }
    if (!*had_publication) (void)meta->Execute("DROP PUBLICATION IF EXISTS " + lake::SqlIdentifier(publication_));
    return Fail(std::move(message));
  };
  if (auto published = EnsurePublication(*meta, publication_, all); !published.ok()) {
    new_slot = false;  // not created yet
    return undo("cannot set up publication " + publication_ + ": " + Message(published.error()));
  }
  if (new_slot) {
    auto replication = pg::ReplicationConnection::Connect(conninfo_);
    if (!replication.ok()) return Fail("cannot open a replication connection: " + Message(replication.error()));
    auto created = replication->CreateSlot(slot_, /*temporary=*/false, pg::SnapshotMode::kNothing);
    if (!created.ok()) {
      new_slot = false;
      return undo("cannot create replication slot " + slot_ + ": " + Message(created.error()));
    }
    spdlog::info("pipe {}: created slot {} at {}", config_.group, slot_, created->consistent_point.ToString());
  }
  // Check that the slot can be streamed now (not in use by another process, permissions).
  {
    auto probe = pg::ReplicationConnection::Connect(conninfo_);
    if (!probe.ok()) return undo("cannot open a replication connection: " + Message(probe.error()));
    auto started = probe->StartReplication(slot_, pg::Lsn{0}, {publication_}, kProtocolVersion, false, false);
    if (!started.ok()) return undo("cannot stream from slot " + slot_ + ": " + Message(started.error()));
    (void)probe->Stop(std::chrono::seconds(5));
  }
  for (const auto& name : all) {
    // A slot made now cannot replay what happened before: every table starts from a snapshot.
    if (auto started = StartTable(name, new_slot, &*meta); !started.ok()) return undo(started.error());
  }
  stopping_ = false;
  reader_ = std::thread([this] { ReaderLoop(); });
  return Done{};
}

void SyncGroup::Stop() {
  stopping_ = true;
  if (reader_.joinable()) reader_.join();
  std::map<TableName, Table> tables;
  {
    std::lock_guard lock(tables_mutex_);
    tables.swap(tables_);
  }
  for (auto& [name, table] : tables) StopTable(table);
}

void SyncGroup::StopTable(Table& table) {
  if (table.cancel_snapshot) *table.cancel_snapshot = true;
  if (table.snapshot.joinable()) table.snapshot.join();
  table.flusher->Stop();
}

Result<TableName, std::string> SyncGroup::DetachTable(const std::string& text) {
  auto name = TableName::Parse(text);
  if (!name) return Fail("bad table name '" + text + "' (want schema.table)");
  Table table;
  {
    std::lock_guard lock(tables_mutex_);
    auto found = tables_.find(*name);
    if (found == tables_.end()) return Fail("table " + name->Label() + " is not synced");
    table = std::move(found->second);
    tables_.erase(found);
  }
  StopTable(table);
  return *name;
}

Result<Done, std::string> SyncGroup::StartTable(const TableName& name, bool force_snapshot, pg::PgConnection* source) {
  std::optional<pg::PgConnection> own;
  if (source == nullptr) {
    auto connected = pg::PgConnection::Connect(conninfo_);
    if (!connected.ok()) return Fail("cannot connect to the source: " + Message(connected.error()));
    own.emplace(std::move(connected).value());
    source = &*own;
  }
  auto described = DescribeSourceTable(*source, name);
  if (!described.ok()) return Fail(Message(described.error()));
  if (auto unsupported = described->Unsupported()) return Fail("table " + name.Label() + ": " + *unsupported);
  auto schema = std::make_shared<TableSchema>(std::move(described).value());
  auto found = progress_.find(name.Label());
  bool resume = found != progress_.end() && !force_snapshot && found->second.state != TableState::kSnapshot;
  std::optional<lake::LakeResult<lake::TableInfo>> lake_table;
  if (resume) {
    lake_table = lake_->DescribeTable(found->second.target.schema, found->second.target.name);
    if (!lake_table->ok() && lake_table->error().code == lake::LakeErrorCode::kNotFound) {
      // The lake table was dropped while the pipe was away (`mallard lake drop`): start over.
      spdlog::warn("pipe {}: the lake table {} of {} is gone; taking a new snapshot", config_.group,
                   found->second.target.Label(), name.Label());
      resume = false;
    }
  }
  TableProgress progress;
  if (resume) {
    progress = found->second;
    schema->target = progress.target;
    // The flusher starts from the columns the lake table has; the stream's first relation
    // description (as of the resume point) and any later DDL take it from there.
    if (lake_table->ok()) {
      auto columns = ColumnsOfLakeTable((*lake_table)->columns, schema->columns);
      if (!columns.empty()) schema->columns = std::move(columns);
    }
  } else {
    progress.source = name;
    progress.target = name;
    progress.state = TableState::kSnapshot;
  }
  auto flusher = std::make_shared<TableFlusher>(config_.group, schema, progress, lake_, config_.flush, gate_, budget_);
  flusher->Start();
  {
    std::lock_guard lock(tables_mutex_);
    tables_[name].flusher = flusher;
  }
  if (!resume) StartSnapshot(name, flusher, schema);
  return Done{};
}

void SyncGroup::StartSnapshot(const TableName& name, std::shared_ptr<TableFlusher> flusher,
                              std::shared_ptr<const TableSchema> schema) {
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  std::thread snapshot([this, flusher, schema, cancel] {
    // Snapshot loads count against the same concurrency bound as flushes; a failed load is
    // retried with backoff before the table is marked as failed.
    Result<SnapshotResult, std::string> loaded = Fail(std::string("not run"));
    for (int attempt = 0; attempt < 5 && !*cancel; ++attempt) {
      {
        FlushGate::Ticket ticket(*gate_);
        loaded = LoadSnapshot(conninfo_, config_.group, *schema, *lake_, config_.flush, *cancel);
      }
      if (loaded.ok() || *cancel) break;
      if (loaded.error().rfind(kSnapshotColumnsChanged, 0) == 0) {
        // Described again from the start, by the group (a new flusher with the new columns).
        flusher->RequestResync(loaded.error());
        return;
      }
      spdlog::warn("pipe {}: snapshot of {} failed (attempt {}): {}", config_.group, schema->source.Label(), attempt + 1,
                   loaded.error());
      for (int waited = 0; waited < (500 << attempt) && !*cancel; waited += 50) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    if (!loaded.ok()) {
      if (!*cancel) {
        spdlog::error("pipe {}: snapshot of {} failed: {}", config_.group, schema->source.Label(), loaded.error());
        flusher->MarkError("snapshot failed: " + loaded.error() + " (POST /tables/" + schema->source.Label() +
                           "/resync to retry)");
      }
      return;
    }
    flusher->SnapshotDone(loaded->consistent_point, loaded->rows);
    position_check_due_ = true;
  });
  std::lock_guard lock(tables_mutex_);
  auto& table = tables_[name];
  if (table.snapshot.joinable()) table.snapshot.detach();
  table.snapshot = std::move(snapshot);
  table.cancel_snapshot = cancel;
}

Result<Done, std::string> SyncGroup::AddTable(const std::string& text) {
  std::lock_guard admin(admin_mutex_);
  auto name = TableName::Parse(text);
  if (!name) return Fail("bad table name '" + text + "' (want schema.table)");
  {
    std::lock_guard lock(tables_mutex_);
    if (tables_.count(*name)) return Fail("table " + name->Label() + " is already synced");
  }
  auto meta = pg::PgConnection::Connect(conninfo_);
  if (!meta.ok()) return Fail("cannot connect to the source: " + Message(meta.error()));
  auto described = DescribeSourceTable(*meta, *name);
  if (!described.ok()) return Fail(Message(described.error()));
  // Added to the publication first: the snapshot's consistent point comes after, so every later
  // change of the table is in the stream.
  if (auto published = EnsurePublication(*meta, publication_, {*name}); !published.ok()) return Fail(Message(published.error()));
  progress_.erase(name->Label());
  return StartTable(*name, true, &*meta);
}

Result<Done, std::string> SyncGroup::RemoveTable(const std::string& text, bool drop_lake_table) {
  std::lock_guard admin(admin_mutex_);
  MALLARD_ASSIGN_OR_RETURN(TableName name, DetachTable(text));
  auto meta = pg::PgConnection::Connect(conninfo_);
  if (meta.ok()) (void)DropFromPublication(*meta, publication_, name);
  auto transaction = lake_->Begin();
  if (!transaction.ok()) return Fail(transaction.error().message);
  if (drop_lake_table) {
    TableName target = name;
    if (auto found = progress_.find(name.Label()); found != progress_.end() && !found->second.target.name.empty()) {
      target = found->second.target;
    }
    // Already gone (never snapshotted, or dropped by hand) is fine: the table is removed either way.
    if ((*transaction)->Describe(target.schema, target.name).ok()) {
      if (auto dropped = (*transaction)->DropTable(target.schema, target.name); !dropped.ok()) {
        return Fail("cannot drop the lake table " + target.Label() + ": " + dropped.error().message);
      }
    }
  }
  for (auto& statement : ForgetProgressStatements(config_.group, name)) (*transaction)->AddCatalogStatement(statement);
  if (auto committed = (*transaction)->Commit(); !committed.ok()) return Fail(committed.error().message);
  progress_.erase(name.Label());
  return Done{};
}

void SyncGroup::ResyncRequested() {
  std::vector<std::pair<std::string, std::string>> requested;
  {
    std::lock_guard lock(tables_mutex_);
    for (auto& [name, table] : tables_) {
      if (auto reason = table.flusher->ResyncRequested(); !reason.empty()) requested.emplace_back(name.Label(), reason);
    }
  }
  auto now = std::chrono::steady_clock::now();
  for (const auto& [label, reason] : requested) {
    auto& retry_at = resync_retry_at_[label];
    if (now < retry_at) continue;
    retry_at = now + std::chrono::seconds(5);
    auto done = Resync(label);
    if (done.ok()) {
      resync_retry_at_.erase(label);
      spdlog::info("pipe {}: {} resyncing ({})", config_.group, label, reason);
    } else {
      spdlog::error("pipe {}: resync of {} failed (retried): {}", config_.group, label, done.error());
    }
  }
}

Result<Done, std::string> SyncGroup::Resync(const std::string& text) {
  std::lock_guard admin(admin_mutex_);
  // The table must be describable before it is taken out of the group: a resync that cannot
  // start leaves the table as it was (and the caller may try again).
  auto parsed = TableName::Parse(text);
  if (!parsed) return Fail("bad table name '" + text + "' (want schema.table)");
  {
    std::lock_guard lock(tables_mutex_);
    if (!tables_.count(*parsed)) return Fail("table " + parsed->Label() + " is not synced");
  }
  auto meta = pg::PgConnection::Connect(conninfo_);
  if (!meta.ok()) return Fail("cannot connect to the source: " + Message(meta.error()));
  auto described = DescribeSourceTable(*meta, *parsed);
  if (!described.ok()) return Fail(Message(described.error()));
  if (auto unsupported = described->Unsupported()) return Fail("table " + parsed->Label() + ": " + *unsupported);
  {
    std::lock_guard lock(tables_mutex_);
    restarting_.insert(*parsed);
  }
  auto detached = DetachTable(text);
  Result<Done, std::string> started = detached.ok() ? Result<Done, std::string>(Done{}) : Fail(detached.error());
  if (detached.ok()) {
    progress_[detached->Label()] = TableProgress{*detached, *detached, TableState::kSnapshot, 0, 0, 0, ""};
    started = StartTable(*detached, true, &*meta);
  }
  std::lock_guard lock(tables_mutex_);
  restarting_.erase(*parsed);
  return started;
}

std::shared_ptr<TableFlusher> SyncGroup::FlusherFor(std::uint32_t relation) {
  auto target = relations_.find(relation);
  if (target == relations_.end()) return nullptr;
  if (auto flusher = target->second.flusher.lock()) return flusher;
  // Not cached yet, or the table was removed or resynced (a new flusher) since.
  std::lock_guard lock(tables_mutex_);
  auto found = tables_.find(target->second.name);
  if (found == tables_.end()) return nullptr;
  target->second.flusher = found->second.flusher;
  return found->second.flusher;
}

pg::PgConnection* SyncGroup::SourceCatalog() {
  if (!source_catalog_ || !source_catalog_->IsOpen()) {
    auto connected = pg::PgConnection::Connect(conninfo_);
    if (!connected.ok()) return nullptr;
    source_catalog_ = std::make_unique<pg::PgConnection>(std::move(connected).value());
  }
  return source_catalog_.get();
}

void SyncGroup::ReaderLoop() {
  int failures = 0;
  while (!stopping_) {
    auto connection = pg::ReplicationConnection::Connect(conninfo_);
    Result<Done, PgError> outcome = Done{};
    if (!connection.ok()) {
      outcome = Fail(connection.error());
    } else {
      auto started = connection->StartReplication(slot_, pg::Lsn{0}, {publication_},
                                                  config_.pg_streaming ? kStreamingProtocolVersion : kProtocolVersion,
                                                  config_.pg_streaming, false);
      outcome = started.ok() ? Stream(*connection) : Result<Done, PgError>(Fail(started.error()));
    }
    connected_ = false;
    if (stopping_) {
      if (connection.ok()) (void)connection->Stop(std::chrono::seconds(5));
      break;
    }
    if (!outcome.ok()) {
      ++failures;
      {
        std::lock_guard lock(error_mutex_);
        last_error_ = outcome.error().message;
      }
      spdlog::warn("pipe {}: replication stream ended: {}; reconnecting", config_.group, outcome.error().message);
    }
    // The slot will send everything not yet confirmed again: start over from it. What the old
    // stream received is no longer a position to confirm: the flushers drop its unapplied changes
    // below, so an idle moment of the new stream must not confirm past them (a kill before they
    // arrive again would lose them for good).
    inflight_.clear();
    received_lsn_ = confirmed_lsn_.load();
    last_keepalive_end_ = confirmed_lsn_.load();
    relations_.clear();
    relation_schemas_.clear();
    source_types_.clear();  // a type may have been altered while we were away
    source_catalog_.reset();
    std::vector<std::shared_ptr<TableFlusher>> flushers;
    {
      std::lock_guard lock(tables_mutex_);
      for (auto& [name, table] : tables_) flushers.push_back(table.flusher);
    }
    for (auto& flusher : flushers) flusher->DropUnapplied();
    auto wait = std::chrono::milliseconds(std::min(30000, 200 << std::min(failures, 8)));
    for (auto waited = std::chrono::milliseconds(0); waited < wait && !stopping_; waited += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

Result<Done, PgError> SyncGroup::Stream(pg::ReplicationConnection& connection) {
  connected_ = true;
  auto last_status = std::chrono::steady_clock::now();
  auto last_source_check = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  OpenTransaction transaction;
  bool in_transaction = false;
  bool idle = false;
  bool in_stream = false;
  std::uint32_t stream_xid = 0;
  // Streamed in-progress transactions (protocol 2), held in files until their Stream Commit. A
  // reconnect starts with none: the slot replays whatever was not committed to the lake.
  StreamedTransactions streamed(config_.flush.work_directory + "/streamed-" + config_.group + "-" + RandomAlnum(6));
  std::uint64_t written = confirmed_lsn_.load();
  auto send_status = [&](bool reply) -> Result<Done, PgError> {
    std::uint64_t confirm = ConfirmableLsn(in_transaction || !streamed.empty());
    confirmed_lsn_ = confirm;
    return connection.SendStatus(pg::Lsn{std::max(written, confirm)}, pg::Lsn{confirm}, pg::Lsn{confirm}, reply);
  };
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    if (position_check_due_.exchange(false)) {
      last_source_check = now;
      if (auto* catalog = SourceCatalog()) {
        if (auto lsn = CurrentWalLsn(*catalog); lsn.ok()) source_lsn_ = *lsn;
      }
      last_status = now - config_.status_interval;
    }
    if (now - last_status >= config_.status_interval) {
      MALLARD_RETURN_IF_ERROR(send_status(false));
      last_status = now;
      // An idle stream (no frame waiting, no transaction open) has delivered everything up to
      // the source's current WAL position.
      std::uint64_t position = std::max<std::uint64_t>(written, received_lsn_.load());
      if (idle && !in_transaction && inflight_.empty()) position = std::max(position, source_lsn_.load());
      {
        std::lock_guard lock(tables_mutex_);
        for (auto& [name, table] : tables_) table.flusher->NoteStreamPosition(position);
      }
      ResyncRequested();
    }
    if (now - last_source_check >= std::chrono::milliseconds(500)) {
      if (auto* catalog = SourceCatalog()) {
        if (auto lsn = CurrentWalLsn(*catalog); lsn.ok()) source_lsn_ = *lsn;
      }
      last_source_check = now;
    }
    if (budget_->Exhausted()) {
      // Backpressure: stop reading WAL until the flushers drain their queues.
      backpressured_ = true;
      budget_->WaitForRoom(std::chrono::milliseconds(100));
      continue;
    }
    backpressured_ = false;
    MALLARD_ASSIGN_OR_RETURN(auto frame, connection.Next(std::chrono::milliseconds(100)));
    idle = !frame.has_value();
    if (!frame) continue;
    if (auto* keepalive = std::get_if<pg::Keepalive>(&*frame)) {
      last_keepalive_end_ = std::max(last_keepalive_end_, keepalive->wal_end.value);
      written = std::max(written, keepalive->wal_end.value);
      if (keepalive->reply_requested) {
        MALLARD_RETURN_IF_ERROR(send_status(false));
        last_status = std::chrono::steady_clock::now();
      }
      continue;
    }
    auto& data = std::get<pg::XLogData>(*frame);
    written = std::max(written, data.wal_end.value);
    auto decoded = pg::DecodePgOutput(data.payload, in_stream,
                                      config_.pg_streaming ? kStreamingProtocolVersion : kProtocolVersion);
    if (!decoded.ok()) return Fail(PgError{PgError::Code::kProtocol, "cannot decode pgoutput: " + decoded.error(), ""});
    const auto& message = decoded->message;
    if (auto* start = std::get_if<pg::StreamStartMessage>(&message)) {
      in_stream = true;
      stream_xid = start->xid;
      continue;
    }
    if (std::holds_alternative<pg::StreamStopMessage>(message)) {
      in_stream = false;
      continue;
    }
    if (auto* abort = std::get_if<pg::StreamAbortMessage>(&message)) {
      streamed.Abort(abort->xid, abort->subxid);
      continue;
    }
    if (auto* commit = std::get_if<pg::StreamCommitMessage>(&message)) {
      OpenTransaction streamed_transaction{commit->commit_lsn.value, {}};
      auto replayed = streamed.Replay(commit->xid, [&](std::string_view payload) -> Result<Done, std::string> {
        auto held = pg::DecodePgOutput(payload, /*inside_stream=*/true, kStreamingProtocolVersion);
        if (!held.ok()) return Fail(held.error());
        auto handled = Handle(held->message, commit->commit_lsn.value, streamed_transaction);
        if (!handled.ok()) return Fail(handled.error().message);
        return Done{};
      });
      if (!replayed.ok()) {
        return Fail(PgError{PgError::Code::kProtocol, "cannot replay a streamed transaction: " + replayed.error(), ""});
      }
      Commit(streamed_transaction, commit->end_lsn.value);
      continue;
    }
    if (in_stream && decoded->stream_xid) {
      auto held = streamed.Append(stream_xid, *decoded->stream_xid, data.payload);
      if (!held.ok()) {
        return Fail(PgError{PgError::Code::kProtocol, "cannot hold a streamed transaction: " + held.error(), ""});
      }
      continue;
    }
    if (auto* begin = std::get_if<pg::BeginMessage>(&message)) {
      transaction = OpenTransaction{begin->final_lsn.value, {}};
      in_transaction = true;
      continue;
    }
    if (auto* commit = std::get_if<pg::CommitMessage>(&message)) {
      Commit(transaction, commit->end_lsn.value);
      in_transaction = false;
      continue;
    }
    if (auto* relation = std::get_if<pg::RelationMessage>(&message)) {
      MALLARD_RETURN_IF_ERROR(HandleRelation(*relation, transaction));
      continue;
    }
    MALLARD_RETURN_IF_ERROR(Handle(message, transaction.commit_lsn, transaction));
  }
  return Done{};
}

Result<Done, PgError> SyncGroup::HandleRelation(const pg::RelationMessage& relation, OpenTransaction& transaction) {
  TableName name{relation.schema, relation.name};
  relations_[relation.oid] = RelationTarget{name, {}};
  std::shared_ptr<TableFlusher> flusher = FlusherFor(relation.oid);
  if (!flusher) return Done{};
  pg::PgConnection* meta = SourceCatalog();
  auto unreadable = [&](const std::string& why) -> Result<Done, PgError> {
    source_catalog_.reset();
    return Fail(PgError{PgError::Code::kConnection,
                        "cannot describe " + name.Label() + " from the source catalog (" + why + "); starting the stream over", ""});
  };
  // A catalog query that failed for another reason than a missing object (the table or type was
  // dropped since the stream's position) is the connection's failure.
  auto lost = [](const PgError& error) { return error.code != PgError::Code::kObjectMissing; };
  if (!meta) return unreadable("cannot connect");
  auto schema = std::make_shared<TableSchema>();
  schema->source = name;
  schema->target = flusher->Status().progress.target;
  schema->replica_identity = relation.replica_identity;
  std::shared_ptr<const TableSchema> previous;
  if (auto found = relation_schemas_.find(relation.oid); found != relation_schemas_.end()) previous = found->second;
  std::set<std::string> full_identity_keys;
  if (relation.replica_identity == 'f') {
    // Under REPLICA IDENTITY FULL every column is flagged; the real key comes from the catalog.
    auto described = DescribeSourceTable(*meta, name);
    if (described.ok()) {
      for (const auto& key : described->KeyNames()) full_identity_keys.insert(key);
    } else if (lost(described.error())) {
      return unreadable(described.error().message);
    }
  }
  for (const auto& column : relation.columns) {
    SourceColumn mapped;
    mapped.name = column.name;
    mapped.type_oid = column.type_oid;
    mapped.type_modifier = column.type_modifier;
    mapped.key = relation.replica_identity == 'f' ? full_identity_keys.count(column.name) > 0 : column.key;
    auto cached = source_types_.find({column.type_oid, column.type_modifier});
    if (cached == source_types_.end()) {
      auto type = DescribeType(*meta, column.type_oid, column.type_modifier);
      if (type.ok()) {
        cached = source_types_.emplace(std::pair{column.type_oid, column.type_modifier}, *type).first;
      } else if (lost(type.error())) {
        return unreadable(type.error().message);
      }
    }
    if (cached != source_types_.end()) {
      mapped.pg_type = cached->second.format_type;
      mapped.type = MapPostgresType(cached->second.format_type, cached->second.kind, cached->second.element_kind);
    }
    if (mapped.type.duckdb_type.empty() && mapped.type.supported) mapped.type.duckdb_type = "VARCHAR";
    schema->columns.push_back(std::move(mapped));
  }
  bool same = previous && previous->columns.size() == schema->columns.size();
  for (std::size_t i = 0; same && i < schema->columns.size(); ++i) {
    same = previous->columns[i].name == schema->columns[i].name && previous->columns[i].pg_type == schema->columns[i].pg_type &&
           previous->columns[i].key == schema->columns[i].key;
  }
  if (same) {
    relation_schemas_[relation.oid] = schema;
    return Done{};
  }
  // A column the lake does not have yet is added with what the table's existing rows hold in it:
  // pgoutput does not carry defaults, the catalog keeps the value PostgreSQL gave them. Read now,
  // as close to the ALTER as the stream allows (the missing value does not change afterwards).
  std::optional<std::map<std::string, ColumnBackfill>> backfill;
  std::map<std::string, AttributeNumber> attnums;
  {
    auto described = DescribeColumnBackfill(*meta, relation.oid);
    if (described.ok()) {
      backfill = std::move(described).value();
    } else if (lost(described.error())) {
      return unreadable(described.error().message);
    }
    // The catalog is read later than the stream's position: a column renamed or dropped again
    // since is not found, and one whose name another column of another type took since (renamed
    // while the pipe was away, its name reused) is not taken for it. Either way attnum stays
    // unknown and the shape decides.
    auto numbers = DescribeAttributeNumbers(*meta, relation.oid);
    if (numbers.ok()) {
      attnums = std::move(numbers).value();
    } else if (lost(numbers.error())) {
      return unreadable(numbers.error().message);
    }
  }
  for (auto& column : schema->columns) {
    if (auto found = attnums.find(column.name); found != attnums.end() && found->second.type_oid == column.type_oid) {
      column.attnum = found->second.attnum;
    }
  }
  for (auto& column : schema->columns) {
    if (!backfill) {
      column.backfill = {ColumnBackfill::Kind::kUnknown, "", "to a table dropped since"};
    } else if (auto found = backfill->find(column.name); found != backfill->end()) {
      column.backfill = found->second;
    } else {
      column.backfill = {ColumnBackfill::Kind::kUnknown, "", "and renamed or dropped again before the stream reached it"};
    }
  }
  relation_schemas_[relation.oid] = schema;
  QueueItem item;
  item.kind = QueueItem::Kind::kSchema;
  item.schema = schema;
  Route(relation.oid, std::move(item), transaction);
  return Done{};
}

void SyncGroup::Route(std::uint32_t relation, QueueItem item, OpenTransaction& transaction) {
  auto flusher = FlusherFor(relation);
  if (!flusher) return;
  if (transaction.commit_lsn <= flusher->SkipThrough()) return;  // the lake already has it
  item.seq = ++next_seq_;
  item.commit_lsn = transaction.commit_lsn;
  if (!item.schema) {
    auto schema = relation_schemas_.find(relation);
    if (schema != relation_schemas_.end()) item.schema = schema->second;
  }
  if (item.kind == QueueItem::Kind::kRow) ++changes_;
  flusher->Queue().Push(std::move(item));
  if (std::find(transaction.touched.begin(), transaction.touched.end(), flusher) == transaction.touched.end()) {
    transaction.touched.push_back(flusher);
  }
}

Result<Done, PgError> SyncGroup::Handle(const pg::PgOutputMessage& message, std::uint64_t commit_lsn,
                                        OpenTransaction& transaction) {
  transaction.commit_lsn = commit_lsn;
  if (auto* relation = std::get_if<pg::RelationMessage>(&message)) {
    return HandleRelation(*relation, transaction);
  } else if (auto* insert = std::get_if<pg::InsertMessage>(&message)) {
    QueueItem item;
    item.op = 'I';
    FillItem(item, insert->new_tuple, nullptr);
    Route(insert->relation, std::move(item), transaction);
  } else if (auto* update = std::get_if<pg::UpdateMessage>(&message)) {
    if (update->old_key) {
      // The key changed: the old key goes away, the new row arrives.
      QueueItem removed;
      removed.op = 'D';
      FillItem(removed, *update->old_key, nullptr);
      Route(update->relation, std::move(removed), transaction);
    }
    QueueItem item;
    item.op = 'U';
    FillItem(item, update->new_tuple, update->old_row ? &*update->old_row : nullptr);
    if (update->old_key && !item.unchanged.empty()) {
      // Unchanged TOAST values of a row whose key changed are found under the old key.
      for (const auto& value : *update->old_key) item.old_key.push_back(TupleText(value));
    }
    Route(update->relation, std::move(item), transaction);
  } else if (auto* erase = std::get_if<pg::DeleteMessage>(&message)) {
    QueueItem item;
    item.op = 'D';
    FillItem(item, erase->old_row ? *erase->old_row : erase->old_key.value_or(pg::Tuple{}), nullptr);
    Route(erase->relation, std::move(item), transaction);
  } else if (auto* truncate = std::get_if<pg::TruncateMessage>(&message)) {
    for (auto relation : truncate->relations) {
      QueueItem item;
      item.kind = QueueItem::Kind::kTruncate;
      Route(relation, std::move(item), transaction);
    }
  }
  // Origin, Type and logical messages carry nothing the lake needs.
  return Done{};
}

void SyncGroup::Commit(OpenTransaction& transaction, std::uint64_t end_lsn) {
  ++transactions_;
  received_lsn_ = end_lsn;
  if (transaction.touched.empty()) return;
  InflightTransaction inflight{transaction.commit_lsn, end_lsn, {}};
  for (auto& flusher : transaction.touched) {
    QueueItem item;
    item.kind = QueueItem::Kind::kCommit;
    item.seq = ++next_seq_;
    item.commit_lsn = transaction.commit_lsn;
    item.end_lsn = end_lsn;
    flusher->Queue().Push(std::move(item));
    inflight.touched.push_back(flusher);
  }
  inflight_.push_back(std::move(inflight));
  transaction.touched.clear();
}

std::uint64_t SyncGroup::ConfirmableLsn(bool transaction_open) {
  std::uint64_t confirmed = confirmed_lsn_.load();
  while (!inflight_.empty()) {
    const auto& oldest = inflight_.front();
    bool durable = std::all_of(oldest.touched.begin(), oldest.touched.end(), [&](const auto& weak) {
      auto flusher = weak.lock();
      // A removed or halted table holds nothing back: it is resynced from a new snapshot.
      return !flusher || flusher->HoldsSlotBackNoMore() || flusher->AppliedLsn() >= oldest.commit_lsn;
    });
    if (!durable) break;
    confirmed = std::max(confirmed, oldest.end_lsn);
    inflight_.pop_front();
  }
  if (inflight_.empty() && !transaction_open) {
    // Everything received is in the lake (or concerned no synced table): the idle position can
    // advance too, so WAL of other tables and databases is not retained.
    confirmed = std::max({confirmed, received_lsn_.load(), last_keepalive_end_});
  }
  return confirmed;
}

GroupStatus SyncGroup::Status() {
  GroupStatus status;
  status.group = config_.group;
  status.slot = slot_;
  status.publication = publication_;
  status.connected = connected_.load();
  {
    std::lock_guard lock(error_mutex_);
    status.last_error = last_error_;
  }
  status.received_lsn = received_lsn_.load();
  status.confirmed_lsn = confirmed_lsn_.load();
  status.source_lsn = source_lsn_.load();
  status.queued_bytes = budget_->Used();
  status.max_queued_bytes = budget_->Max();
  status.backpressured = backpressured_.load();
  status.transactions = transactions_.load();
  status.changes = changes_.load();
  std::lock_guard lock(tables_mutex_);
  for (const auto& [name, table] : tables_) status.tables.push_back(table.flusher->Status());
  for (const auto& name : restarting_) {
    if (tables_.count(name)) continue;
    TableStatus restarting;
    restarting.progress = TableProgress{name, name, TableState::kSnapshot, 0, 0, 0, ""};
    status.tables.push_back(std::move(restarting));
  }
  return status;
}

}  // namespace mallard::cdc

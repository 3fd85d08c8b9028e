// Against a real PostgreSQL with wal_level=logical (tests/support/with_postgres.sh exports
// MALLARD_TEST_PG): slot + exported snapshot + copy + stream gives every row exactly once,
// row changes decode as the server sends them, status updates move confirmed_flush_lsn, and
// server errors arrive with the right codes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "cdc/pg/pg_connection.hpp"
#include "cdc/pg/pgoutput.hpp"

namespace mallard::cdc::pg {
namespace {

using namespace std::chrono_literals;
using Kind = TupleValue::Kind;

std::string RandomSuffix() {
  static std::mt19937 random(std::random_device{}());
  const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (int index = 0; index < 8; ++index) suffix += alphabet[random() % (sizeof alphabet - 1)];
  return suffix;
}

// Reads a replication stream, decoding each XLogData payload and answering keepalives that ask
// for a reply (with `flushed` as the confirmed position, zero meaning "nothing to confirm").
class StreamReader {
 public:
  StreamReader(ReplicationConnection& connection, int protocol) : connection_(connection), protocol_(protocol) {}

  // Reads until `stop` accepts a decoded message or `timeout` passes.
  ::testing::AssertionResult ReadUntil(const std::function<bool(const DecodedMessage&)>& stop,
                                       std::chrono::milliseconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto frame = connection_.Next(200ms);
      if (!frame.ok()) {
        return ::testing::AssertionFailure() << "Next: " << PgErrorCodeName(frame.error().code) << ": "
                                             << frame.error().message;
      }
      if (!*frame) continue;
      if (auto* keepalive = std::get_if<Keepalive>(&**frame)) {
        ++keepalives;
        last_keepalive_end = keepalive->wal_end;
        if (keepalive->reply_requested) {
          ++reply_requests;
          auto sent = connection_.SendStatus(keepalive->wal_end, flushed, flushed);
          if (!sent.ok()) return ::testing::AssertionFailure() << "SendStatus: " << sent.error().message;
        }
        continue;
      }
      auto& data = std::get<XLogData>(**frame);
      auto decoded = DecodePgOutput(data.payload, inside_stream_, protocol_);
      if (!decoded.ok()) return ::testing::AssertionFailure() << "decode: " << decoded.error();
      if (std::holds_alternative<StreamStartMessage>(decoded->message)) inside_stream_ = true;
      if (std::holds_alternative<StreamStopMessage>(decoded->message)) inside_stream_ = false;
      messages.push_back(std::move(*decoded));
      if (stop(messages.back())) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "timed out after " << messages.size() << " messages";
  }

  // Data messages of one kind, in stream order.
  template <typename T>
  std::vector<T> All() const {
    std::vector<T> found;
    for (const auto& decoded : messages) {
      if (auto* message = std::get_if<T>(&decoded.message)) found.push_back(*message);
    }
    return found;
  }

  std::vector<DecodedMessage> messages;
  Lsn flushed;
  Lsn last_keepalive_end;
  int keepalives = 0;
  int reply_requests = 0;

 private:
  ReplicationConnection& connection_;
  int protocol_;
  bool inside_stream_ = false;
};

// Stops at the Insert whose first column is `id` (the sentinel row each test ends with).
std::function<bool(const DecodedMessage&)> InsertOfId(std::string id) {
  return [id](const DecodedMessage& decoded) {
    auto* insert = std::get_if<InsertMessage>(&decoded.message);
    return insert && !insert->new_tuple.empty() && insert->new_tuple[0].data == id;
  };
}

class CdcPgPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* conninfo = std::getenv("MALLARD_TEST_PG");
    ASSERT_NE(conninfo, nullptr) << "the *Postgres* tests need tests/support/with_postgres.sh (MALLARD_TEST_PG)";
    conninfo_ = conninfo;
    suffix_ = RandomSuffix();
    auto admin = PgConnection::Connect(conninfo_);
    ASSERT_TRUE(admin.ok()) << admin.error().message;
    admin_.emplace(std::move(*admin));
  }

  void TearDown() override {
    if (!admin_) return;
    // Slots left behind would pin WAL for the rest of the run. A walsender that just closed may
    // still hold its slot for a moment, hence the retries.
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto remaining = admin_->Query("SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '%" + suffix_ + "'");
      if (!remaining.ok() || remaining->empty()) break;
      (void)admin_->Execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE '%" +
                            suffix_ + "' AND NOT active");
      std::this_thread::sleep_for(100ms);
    }
  }

  std::string Name(std::string_view base) const { return std::string(base) + "_" + suffix_; }

  void Exec(const std::string& sql) {
    auto done = admin_->Execute(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done.error().message;
  }

  std::string QueryValue(const std::string& sql) {
    auto rows = admin_->Query(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << (rows.ok() ? "" : rows.error().message);
    if (!rows.ok() || rows->empty() || rows->front().empty() || !rows->front()[0]) return {};
    return *rows->front()[0];
  }

  ReplicationConnection ConnectReplication(const std::string& extra_conninfo = "") {
    auto connection = ReplicationConnection::Connect(conninfo_ + " " + extra_conninfo);
    EXPECT_TRUE(connection.ok()) << connection.error().message;
    if (!connection.ok()) std::abort();  // every caller needs the connection; nothing sensible to continue with
    return std::move(*connection);
  }

  Lsn ConfirmedFlushLsn(const std::string& slot) {
    return Lsn::Parse(QueryValue("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'"))
        .value_or(Lsn{});
  }

  std::string conninfo_;
  std::string suffix_;
  std::optional<PgConnection> admin_;
};

TEST_F(CdcPgPostgresTest, ExportedSnapshotCopyPlusStreamHasNoGapAndNoDuplicate) {
  const std::string table = Name("snap"), publication = Name("pub"), slot = Name("slot");
  Exec("CREATE TABLE " + table + " (id bigint PRIMARY KEY, note text)");
  Exec("INSERT INTO " + table + " SELECT g, 'initial' FROM generate_series(1, 500) g");
  Exec("CREATE PUBLICATION " + publication + " FOR TABLE " + table);

  // A writer commits one row per transaction for the whole test, so commits race with the slot
  // creation, with the copy and with the start of streaming.
  std::atomic<bool> stop_writer{false};
  std::atomic<int> committed_count{0};
  std::atomic<bool> writer_failed{false};
  std::vector<std::int64_t> committed_ids;  // read after join
  std::string writer_error;                 // read after join
  std::thread writer([&] {
    auto connection = PgConnection::Connect(conninfo_);
    if (!connection.ok()) {
      writer_error = connection.error().message;
      writer_failed = true;
      return;
    }
    for (std::int64_t id = 100'000; !stop_writer; ++id) {
      auto inserted = connection->Execute("INSERT INTO " + table + " VALUES (" + std::to_string(id) + ", 'concurrent')");
      if (!inserted.ok()) {
        writer_error = inserted.error().message;
        writer_failed = true;
        return;
      }
      committed_ids.push_back(id);
      ++committed_count;
    }
  });
  // An early ASSERT return must still stop and join the writer.
  struct StopWriterOnExit {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~StopWriterOnExit() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } stop_writer_on_exit{stop_writer, writer};
  auto wait_for_commits = [&](int count) {
    for (int waited = 0; committed_count < count && !writer_failed && waited < 3000; ++waited) {
      std::this_thread::sleep_for(10ms);
    }
  };
  wait_for_commits(20);

  auto replication = ConnectReplication();
  auto created = replication.CreateSlot(slot, /*temporary=*/false, SnapshotMode::kExport);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE(created->snapshot_name.has_value());
  EXPECT_EQ(created->slot_name, slot);
  EXPECT_EQ(created->output_plugin, "pgoutput");
  EXPECT_FALSE(created->consistent_point.IsZero());

  // The copy imports the snapshot on another connection while the replication connection idles.
  std::set<std::int64_t> copied;
  {
    auto copier = PgConnection::Connect(conninfo_);
    ASSERT_TRUE(copier.ok()) << copier.error().message;
    auto begun = copier->BeginWithSnapshot(*created->snapshot_name);
    ASSERT_TRUE(begun.ok()) << begun.error().message;
    const int commits_before_copy = committed_count;
    std::string pending;
    auto summary = copier->CopyOut("COPY " + table + " (id) TO STDOUT", [&](std::string_view chunk) {
      pending.append(chunk);
      std::size_t newline;
      while ((newline = pending.find('\n')) != std::string::npos) {
        copied.insert(std::stoll(pending.substr(0, newline)));
        pending.erase(0, newline + 1);
      }
      // Keep the copy open while the writer commits more rows that it must not see.
      if (copied.size() % 100 == 0) std::this_thread::sleep_for(5ms);
      return true;
    });
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    EXPECT_EQ(summary->chunks, copied.size());
    EXPECT_FALSE(summary->stopped_by_callback);
    EXPECT_GT(committed_count, commits_before_copy) << "the writer did not commit during the copy";
    ASSERT_TRUE(copier->Execute("COMMIT").ok());
  }
  wait_for_commits(committed_count + 50);
  {
    auto started_stream = replication.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }
  wait_for_commits(committed_count + 50);
  stop_writer = true;
  writer.join();
  ASSERT_EQ(writer_error, "");
  Exec("INSERT INTO " + table + " VALUES (-1, 'sentinel')");

  StreamReader reader(replication, 1);
  ASSERT_TRUE(reader.ReadUntil(InsertOfId("-1"), 120s));
  std::multiset<std::int64_t> streamed;
  for (const auto& insert : reader.All<InsertMessage>()) {
    if (insert.new_tuple[0].data != "-1") streamed.insert(std::stoll(insert.new_tuple[0].data));
  }
  // consistent_point is where the slot's last snapshot-building record ends, so the next commit
  // record may start exactly there: such a transaction is streamed, not in the exported snapshot.
  for (const auto& begin : reader.All<BeginMessage>()) EXPECT_GE(begin.final_lsn, created->consistent_point);

  std::set<std::int64_t> expected;
  for (std::int64_t id = 1; id <= 500; ++id) expected.insert(id);
  expected.insert(committed_ids.begin(), committed_ids.end());
  std::set<std::int64_t> streamed_unique(streamed.begin(), streamed.end());
  EXPECT_EQ(streamed_unique.size(), streamed.size()) << "a row was streamed twice";
  std::vector<std::int64_t> overlap;
  std::set_intersection(copied.begin(), copied.end(), streamed_unique.begin(), streamed_unique.end(),
                        std::back_inserter(overlap));
  EXPECT_TRUE(overlap.empty()) << overlap.size() << " rows both copied and streamed, first " << overlap.front();
  std::set<std::int64_t> seen = copied;
  seen.insert(streamed_unique.begin(), streamed_unique.end());
  EXPECT_EQ(seen, expected) << "copied " << copied.size() << " + streamed " << streamed.size() << " vs "
                            << expected.size() << " committed";
  EXPECT_GT(copied.size(), 500u) << "no concurrent commit landed before the consistent point";
  EXPECT_GT(streamed.size(), 100u);
  std::cout << "[ info     ] copied " << copied.size() << " rows (" << copied.size() - 500
            << " concurrent), streamed " << streamed.size() << "\n";

  ASSERT_TRUE(replication.Stop().ok());
  auto dropped = replication.DropSlot(slot);
  EXPECT_TRUE(dropped.ok()) << dropped.error().message;
}

TEST_F(CdcPgPostgresTest, UseSnapshotCopiesOnTheReplicationConnection) {
  const std::string table = Name("use"), publication = Name("pub"), slot = Name("slot");
  Exec("CREATE TABLE " + table + " (id int PRIMARY KEY)");
  Exec("INSERT INTO " + table + " SELECT generate_series(1, 300)");
  Exec("CREATE PUBLICATION " + publication + " FOR TABLE " + table);
  auto replication = ConnectReplication();
  ASSERT_TRUE(replication.Execute("BEGIN ISOLATION LEVEL REPEATABLE READ").ok());
  auto created = replication.CreateSlot(slot, /*temporary=*/true, SnapshotMode::kUse);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_FALSE(created->snapshot_name.has_value());
  Exec("INSERT INTO " + table + " SELECT generate_series(301, 350)");  // after the snapshot: streamed only
  std::uint64_t rows = 0;
  auto summary = replication.CopyOut("COPY " + table + " TO STDOUT", [&](std::string_view) { return ++rows, true; });
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(rows, 300u);
  ASSERT_TRUE(replication.Execute("COMMIT").ok());
  Exec("INSERT INTO " + table + " VALUES (-1)");
  {
    auto started_stream = replication.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }
  StreamReader reader(replication, 1);
  ASSERT_TRUE(reader.ReadUntil(InsertOfId("-1")));
  auto inserts = reader.All<InsertMessage>();
  ASSERT_EQ(inserts.size(), 51u);
  EXPECT_EQ(inserts.front().new_tuple[0].data, "301");
  EXPECT_EQ(inserts[49].new_tuple[0].data, "350");
}

TEST_F(CdcPgPostgresTest, DecodesRowChangesUnderDefaultAndFullReplicaIdentity) {
  const std::string type = Name("mood"), keyed = Name("keyed"), full = Name("full"), publication = Name("pub"),
                    slot = Name("slot");
  Exec("CREATE TYPE " + type + " AS ENUM ('sad', 'happy')");
  Exec("CREATE TABLE " + keyed + " (id int PRIMARY KEY, label text, big text, feeling " + type + ")");
  Exec("CREATE TABLE " + full + " (id int PRIMARY KEY, label text, big text)");
  // EXTERNAL keeps the >2 KB value out of line and uncompressed, so it is a real TOAST pointer.
  Exec("ALTER TABLE " + keyed + " ALTER COLUMN big SET STORAGE EXTERNAL");
  Exec("ALTER TABLE " + full + " ALTER COLUMN big SET STORAGE EXTERNAL");
  Exec("ALTER TABLE " + full + " REPLICA IDENTITY FULL");
  Exec("CREATE PUBLICATION " + publication + " FOR TABLE " + keyed + ", " + full);
  const std::string big = QueryValue("SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 100)");
  ASSERT_EQ(big.size(), 3200u);

  auto replication = ConnectReplication();
  auto created = replication.CreateSlot(slot, /*temporary=*/true, SnapshotMode::kNothing);
  ASSERT_TRUE(created.ok()) << created.error().message;
  {
    auto started_stream = replication.StartReplication(slot, created->consistent_point, {publication}, 2, false, true);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }

  Exec("INSERT INTO " + keyed + " VALUES (1, 'one', '" + big + "', 'happy')");
  Exec("UPDATE " + keyed + " SET label = 'uno' WHERE id = 1");
  Exec("UPDATE " + keyed + " SET id = 2 WHERE id = 1");
  Exec("DELETE FROM " + keyed + " WHERE id = 2");
  Exec("INSERT INTO " + full + " VALUES (1, 'one', '" + big + "')");
  Exec("UPDATE " + full + " SET label = 'uno' WHERE id = 1");
  Exec("DELETE FROM " + full + " WHERE id = 1");
  Exec("TRUNCATE " + keyed + ", " + full + " RESTART IDENTITY");
  Exec("TRUNCATE " + full + " CASCADE");
  Exec("SELECT pg_logical_emit_message(true, 'mallard_test', 'in a transaction')");
  Exec("SELECT pg_logical_emit_message(false, 'mallard_test', 'immediate')");
  Exec("INSERT INTO " + keyed + " VALUES (99, 'end', NULL, NULL)");

  StreamReader reader(replication, 2);
  ASSERT_TRUE(reader.ReadUntil(InsertOfId("99")));

  // Relation (and Type for the enum column) are sent again whenever the relation cache entry is
  // invalidated, TRUNCATE included; every copy must be the same.
  auto types = reader.All<TypeMessage>();
  ASSERT_GE(types.size(), 1u);
  EXPECT_EQ(types[0].schema, "public");
  EXPECT_EQ(types[0].name, type);
  for (const auto& repeated : types) EXPECT_EQ(repeated.oid, types[0].oid);
  auto relations = reader.All<RelationMessage>();
  ASSERT_GE(relations.size(), 2u);
  const RelationMessage keyed_relation = relations[0];
  const RelationMessage full_relation = relations[1];
  for (const auto& repeated : relations) {
    const auto& first = repeated.oid == keyed_relation.oid ? keyed_relation : full_relation;
    EXPECT_EQ(repeated.name, first.name);
    EXPECT_EQ(repeated.columns, first.columns);
  }
  ASSERT_TRUE(std::holds_alternative<TypeMessage>(reader.messages[1].message)) << "Type precedes its first use";
  EXPECT_EQ(keyed_relation.schema, "public");
  EXPECT_EQ(keyed_relation.name, keyed);
  EXPECT_EQ(keyed_relation.replica_identity, 'd');
  ASSERT_EQ(keyed_relation.columns.size(), 4u);
  EXPECT_EQ(keyed_relation.columns[0], (RelationColumn{true, "id", 23, -1}));
  EXPECT_EQ(keyed_relation.columns[1], (RelationColumn{false, "label", 25, -1}));
  EXPECT_EQ(keyed_relation.columns[3].type_oid, types[0].oid);
  EXPECT_EQ(full_relation.name, full);
  EXPECT_EQ(full_relation.replica_identity, 'f');
  for (const auto& column : full_relation.columns) EXPECT_TRUE(column.key) << column.name;

  const TupleValue text_big{Kind::kText, big};
  const TupleValue unchanged{Kind::kUnchangedToast, ""};
  const TupleValue null{Kind::kNull, ""};
  auto text = [](const char* value) { return TupleValue{Kind::kText, value}; };

  auto inserts = reader.All<InsertMessage>();
  ASSERT_EQ(inserts.size(), 3u);
  EXPECT_EQ(inserts[0].relation, keyed_relation.oid);
  EXPECT_EQ(inserts[0].new_tuple, (Tuple{text("1"), text("one"), text_big, text("happy")}));
  EXPECT_EQ(inserts[1].relation, full_relation.oid);
  EXPECT_EQ(inserts[2].new_tuple, (Tuple{text("99"), text("end"), null, null}));

  auto updates = reader.All<UpdateMessage>();
  ASSERT_EQ(updates.size(), 3u);
  // DEFAULT identity, key unchanged: no old image, and the untouched TOAST value is not sent.
  EXPECT_FALSE(updates[0].old_key);
  EXPECT_FALSE(updates[0].old_row);
  EXPECT_EQ(updates[0].new_tuple, (Tuple{text("1"), text("uno"), unchanged, text("happy")}));
  // DEFAULT identity, key changed: the old key with the other columns null.
  ASSERT_TRUE(updates[1].old_key);
  EXPECT_EQ(*updates[1].old_key, (Tuple{text("1"), null, null, null}));
  EXPECT_EQ(updates[1].new_tuple, (Tuple{text("2"), text("uno"), unchanged, text("happy")}));
  // FULL identity: the whole old row with the TOAST value inlined; the new tuple still omits it.
  EXPECT_EQ(updates[2].relation, full_relation.oid);
  ASSERT_TRUE(updates[2].old_row);
  EXPECT_EQ(*updates[2].old_row, (Tuple{text("1"), text("one"), text_big}));
  EXPECT_EQ(updates[2].new_tuple, (Tuple{text("1"), text("uno"), unchanged}));

  auto deletes = reader.All<DeleteMessage>();
  ASSERT_EQ(deletes.size(), 2u);
  ASSERT_TRUE(deletes[0].old_key);
  EXPECT_EQ(*deletes[0].old_key, (Tuple{text("2"), null, null, null}));
  ASSERT_TRUE(deletes[1].old_row);
  EXPECT_EQ(*deletes[1].old_row, (Tuple{text("1"), text("uno"), text_big}));

  auto truncates = reader.All<TruncateMessage>();
  ASSERT_EQ(truncates.size(), 2u);
  EXPECT_EQ(std::set<std::uint32_t>(truncates[0].relations.begin(), truncates[0].relations.end()),
            (std::set<std::uint32_t>{keyed_relation.oid, full_relation.oid}));
  EXPECT_TRUE(truncates[0].restart_identity);
  EXPECT_FALSE(truncates[0].cascade);
  EXPECT_EQ(truncates[1].relations, std::vector<std::uint32_t>{full_relation.oid});
  EXPECT_TRUE(truncates[1].cascade);

  auto logical_messages = reader.All<LogicalMessage>();
  ASSERT_EQ(logical_messages.size(), 2u);
  EXPECT_TRUE(logical_messages[0].transactional);
  EXPECT_EQ(logical_messages[0].prefix, "mallard_test");
  EXPECT_EQ(logical_messages[0].content, "in a transaction");
  EXPECT_FALSE(logical_messages[1].transactional);
  EXPECT_EQ(logical_messages[1].content, "immediate");

  // Each transaction is framed by Begin and Commit with increasing end LSNs.
  Lsn previous_end;
  for (const auto& commit : reader.All<CommitMessage>()) {
    EXPECT_GT(commit.end_lsn, previous_end);
    EXPECT_GT(commit.end_lsn, commit.commit_lsn);
    previous_end = commit.end_lsn;
  }
  EXPECT_EQ(reader.All<BeginMessage>().size(), reader.All<CommitMessage>().size() + 1)  // the last Commit is unread
      << "transactions: " << reader.All<CommitMessage>().size();
}

TEST_F(CdcPgPostgresTest, LargeTransactionsStreamWithTheirXid) {
  const std::string table = Name("big"), publication = Name("pub"), slot = Name("slot");
  Exec("CREATE TABLE " + table + " (id int PRIMARY KEY, pad text)");
  Exec("CREATE PUBLICATION " + publication + " FOR TABLE " + table);
  // The smallest logical_decoding_work_mem makes a few thousand rows stream.
  auto replication = ConnectReplication("options='-c logical_decoding_work_mem=64kB'");
  auto created = replication.CreateSlot(slot, /*temporary=*/true, SnapshotMode::kNothing);
  ASSERT_TRUE(created.ok()) << created.error().message;
  {
    auto started_stream = replication.StartReplication(slot, Lsn{}, {publication}, 2, /*streaming=*/true, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }

  Exec("INSERT INTO " + table + " SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g");
  Exec("BEGIN; INSERT INTO " + table + " SELECT g, repeat('y', 100) FROM generate_series(10001, 15000) g; ROLLBACK");
  Exec("BEGIN; INSERT INTO " + table + " SELECT g, 'kept' FROM generate_series(20001, 22000) g; SAVEPOINT inner_work; "
       "INSERT INTO " + table + " SELECT g, repeat('z', 100) FROM generate_series(30001, 35000) g; "
       "ROLLBACK TO SAVEPOINT inner_work; COMMIT");
  Exec("INSERT INTO " + table + " VALUES (-1, 'end')");

  StreamReader reader(replication, 2);
  ASSERT_TRUE(reader.ReadUntil(InsertOfId("-1"), 60s));

  // Group streamed inserts by transaction.
  std::map<std::uint32_t, int> inserts_by_xid;
  std::uint32_t first_xid = 0;
  for (const auto& decoded : reader.messages) {
    if (auto* start = std::get_if<StreamStartMessage>(&decoded.message)) {
      if (first_xid == 0) {
        first_xid = start->xid;
        EXPECT_TRUE(start->first_segment);
      }
    }
    if (std::holds_alternative<InsertMessage>(decoded.message) && decoded.stream_xid) {
      ++inserts_by_xid[*decoded.stream_xid];
    }
  }
  auto commits = reader.All<StreamCommitMessage>();
  auto aborts = reader.All<StreamAbortMessage>();
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_EQ(commits[0].xid, first_xid);
  EXPECT_EQ(inserts_by_xid[commits[0].xid], 5000);
  EXPECT_GT(commits[0].end_lsn, commits[0].commit_lsn);
  // The rolled-back transaction and the rolled-back subtransaction.
  ASSERT_EQ(aborts.size(), 2u);
  EXPECT_EQ(aborts[0].subxid, aborts[0].xid);
  // Only what overflowed logical_decoding_work_mem was streamed before the rollback.
  EXPECT_GT(inserts_by_xid[aborts[0].xid], 0);
  EXPECT_LE(inserts_by_xid[aborts[0].xid], 5000);
  EXPECT_EQ(aborts[1].xid, commits[1].xid);
  EXPECT_NE(aborts[1].subxid, aborts[1].xid);
  EXPECT_FALSE(aborts[1].abort_lsn);  // protocol 2
  // Everything of the second committed transaction was streamed under its top-level xid:
  // 2000 kept rows plus whatever of the 5000 aborted ones was sent before the abort.
  EXPECT_GE(inserts_by_xid[commits[1].xid], 2000);
}

TEST_F(CdcPgPostgresTest, KeepaliveRepliesAndStatusUpdatesAdvanceConfirmedFlushLsn) {
  const std::string table = Name("ack"), publication = Name("pub"), slot = Name("slot");
  Exec("CREATE TABLE " + table + " (id int PRIMARY KEY)");
  Exec("CREATE PUBLICATION " + publication + " FOR TABLE " + table);
  // A short wal_sender_timeout makes the server ask for replies within a second of idling.
  auto replication = ConnectReplication("options='-c wal_sender_timeout=2s'");
  auto created = replication.CreateSlot(slot, /*temporary=*/false, SnapshotMode::kNothing);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(ConfirmedFlushLsn(slot), created->consistent_point);
  {
    auto started_stream = replication.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }

  Exec("INSERT INTO " + table + " VALUES (1)");
  StreamReader reader(replication, 1);
  ASSERT_TRUE(reader.ReadUntil([](const DecodedMessage& decoded) {
    return std::holds_alternative<CommitMessage>(decoded.message);
  }));
  const Lsn end_lsn = reader.All<CommitMessage>().back().end_lsn;
  ASSERT_TRUE(replication.SendStatus(end_lsn, end_lsn, end_lsn).ok());
  reader.flushed = end_lsn;
  // The walsender applies the update when it next reads its socket; keep reading meanwhile.
  for (int attempt = 0; attempt < 50 && ConfirmedFlushLsn(slot) < end_lsn; ++attempt) {
    (void)reader.ReadUntil([](const DecodedMessage&) { return true; }, 100ms);
  }
  EXPECT_EQ(ConfirmedFlushLsn(slot), end_lsn);

  // Idle for twice wal_sender_timeout, answering every reply request: the stream survives.
  auto idle = reader.ReadUntil([](const DecodedMessage&) { return false; }, 4s);
  EXPECT_NE(std::string(idle.message()).find("timed out"), std::string::npos) << idle.message();
  EXPECT_GE(reader.reply_requests, 1);
  // Idle confirm: with nothing in flight, confirming the keepalive's WAL end is safe.
  ASSERT_GE(reader.last_keepalive_end, end_lsn);
  ASSERT_TRUE(replication.SendStatus(reader.last_keepalive_end, reader.last_keepalive_end, reader.last_keepalive_end).ok());
  for (int attempt = 0; attempt < 50 && ConfirmedFlushLsn(slot) < reader.last_keepalive_end; ++attempt) {
    (void)reader.ReadUntil([](const DecodedMessage&) { return true; }, 100ms);
  }
  EXPECT_GE(ConfirmedFlushLsn(slot), reader.last_keepalive_end);

  // The walsender cannot stream twice on one connection (it keeps its "done" flags), so a
  // restart needs a new connection.
  ASSERT_TRUE(replication.Stop().ok());
  auto again = replication.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, PgError::Code::kProtocol) << again.error().message;
  EXPECT_TRUE(replication.IdentifySystem().ok());

  // A new connection resumes after the confirmed position: row 1 is not sent again.
  Exec("INSERT INTO " + table + " VALUES (2)");
  auto restarted = ConnectReplication();
  {
    auto started_stream = restarted.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }
  StreamReader resumed(restarted, 1);
  ASSERT_TRUE(resumed.ReadUntil(InsertOfId("2")));
  EXPECT_EQ(resumed.All<InsertMessage>().size(), 1u);
  ASSERT_TRUE(restarted.Stop().ok());
  EXPECT_TRUE(restarted.DropSlot(slot).ok());
}

TEST_F(CdcPgPostgresTest, UnansweredReplyRequestsEndTheStreamWithAnError) {
  const std::string publication = Name("pub"), slot = Name("slot");
  Exec("CREATE PUBLICATION " + publication);
  auto replication = ConnectReplication("options='-c wal_sender_timeout=1s'");
  ASSERT_TRUE(replication.CreateSlot(slot, true, SnapshotMode::kNothing).ok());
  {
    auto started_stream = replication.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }
  std::optional<PgError> error;
  for (auto deadline = std::chrono::steady_clock::now() + 15s; !error && std::chrono::steady_clock::now() < deadline;) {
    auto frame = replication.Next(500ms);  // never answered
    if (!frame.ok()) error = frame.error();
  }
  ASSERT_TRUE(error) << "the server kept an unresponsive client";
  EXPECT_EQ(error->code, PgError::Code::kConnection) << error->message;
  EXPECT_FALSE(replication.IsStreaming());
}

TEST_F(CdcPgPostgresTest, SecondStartReplicationOnAnActiveSlotIsSlotInUse) {
  const std::string publication = Name("pub"), slot = Name("slot");
  Exec("CREATE PUBLICATION " + publication);
  auto first = ConnectReplication();
  ASSERT_TRUE(first.CreateSlot(slot, false, SnapshotMode::kNothing).ok());
  {
    auto started_stream = first.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }
  auto second = ConnectReplication();
  auto started = second.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, PgError::Code::kSlotInUse) << started.error().message;
  EXPECT_EQ(started.error().sqlstate, "55006");
  // The refused connection is still usable.
  auto identity = second.IdentifySystem();
  EXPECT_TRUE(identity.ok()) << identity.error().message;
  auto dropped = second.DropSlot(slot);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code, PgError::Code::kSlotInUse) << dropped.error().message;
  ASSERT_TRUE(first.Stop().ok());
  EXPECT_TRUE(second.DropSlot(slot, /*wait_if_active=*/true).ok());
}

TEST_F(CdcPgPostgresTest, RoleWithoutReplicationGetsPermissionError) {
  const std::string role = Name("plain");
  Exec("CREATE ROLE " + role + " LOGIN");
  auto ordinary = PgConnection::Connect(conninfo_ + " user=" + role);
  ASSERT_TRUE(ordinary.ok()) << ordinary.error().message;
  auto replication = ReplicationConnection::Connect(conninfo_ + " user=" + role);
  ASSERT_FALSE(replication.ok());
  EXPECT_EQ(replication.error().code, PgError::Code::kPermission) << replication.error().message;
  // Slot functions on an ordinary connection fail the same way, with a SQLSTATE this time.
  auto function = ordinary->Query("SELECT pg_create_logical_replication_slot('" + Name("nope") + "', 'pgoutput')");
  ASSERT_FALSE(function.ok());
  EXPECT_EQ(function.error().code, PgError::Code::kPermission) << function.error().message;
  EXPECT_EQ(function.error().sqlstate, "42501");
}

TEST_F(CdcPgPostgresTest, MissingSlotMissingPublicationAndDuplicateSlot) {
  const std::string publication = Name("pub"), slot = Name("slot"), table = Name("t");
  auto replication = ConnectReplication();
  auto started = replication.StartReplication(Name("absent"), Lsn{}, {publication}, 1, false, false);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, PgError::Code::kSlotMissing) << started.error().message;
  auto dropped = replication.DropSlot(Name("absent"));
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().code, PgError::Code::kSlotMissing) << dropped.error().message;

  ASSERT_TRUE(replication.CreateSlot(slot, /*temporary=*/false, SnapshotMode::kNothing).ok());
  auto duplicate = replication.CreateSlot(slot, false, SnapshotMode::kNothing);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, PgError::Code::kQuery) << duplicate.error().message;
  EXPECT_EQ(duplicate.error().sqlstate, "42710");

  // Any failed command on a walsender connection drops that connection's temporary slots.
  const std::string temporary_slot = Name("temporary");
  ASSERT_TRUE(replication.CreateSlot(temporary_slot, /*temporary=*/true, SnapshotMode::kNothing).ok());
  EXPECT_FALSE(replication.Query("SELECT * FROM " + Name("absent")).ok());
  auto gone = replication.StartReplication(temporary_slot, Lsn{}, {publication}, 1, false, false);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, PgError::Code::kSlotMissing) << gone.error().message;

  // pgoutput looks publications up when it decodes the first change, so the error arrives in
  // the stream rather than from START_REPLICATION.
  Exec("CREATE TABLE " + table + " (id int PRIMARY KEY)");
  {
    auto started_stream = replication.StartReplication(slot, Lsn{}, {publication}, 1, false, false);
    ASSERT_TRUE(started_stream.ok()) << started_stream.error().message;
  }
  Exec("INSERT INTO " + table + " VALUES (1)");
  std::optional<PgError> error;
  for (int attempt = 0; attempt < 100 && !error; ++attempt) {
    auto frame = replication.Next(100ms);
    if (!frame.ok()) error = frame.error();
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, PgError::Code::kObjectMissing) << error->message;
  EXPECT_NE(error->message.find(publication), std::string::npos) << error->message;
  // The walsender reports the error and goes back to idle: commands work again.
  EXPECT_FALSE(replication.IsStreaming());
  auto identity = replication.IdentifySystem();
  EXPECT_TRUE(identity.ok()) << identity.error().message;
}

TEST_F(CdcPgPostgresTest, ConnectsWithUriOrKeywordsAndChecksWalLevel) {
  auto keyword_form = ConnectReplication();
  auto identity = keyword_form.IdentifySystem();
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  // A database-bound walsender reports its database; a physical one would report NULL.
  EXPECT_EQ(identity->dbname, "postgres");
  EXPECT_EQ(identity->timeline, 1);
  EXPECT_FALSE(identity->system_id.empty());
  EXPECT_FALSE(identity->xlog_pos.IsZero());
  EXPECT_GE(keyword_form.ServerVersion(), 100000);
  EXPECT_TRUE(keyword_form.CheckWalLevel().ok());
  EXPECT_TRUE(admin_->CheckWalLevel().ok());
  EXPECT_EQ(admin_->ServerVersion(), keyword_form.ServerVersion());

  // The same server as a URI; a replication setting in it is overridden to database.
  const std::string port = QueryValue("SHOW port");
  const std::string uri = "postgresql://postgres@127.0.0.1:" + port + "/postgres?replication=true";
  auto uri_form = ReplicationConnection::Connect(uri);
  ASSERT_TRUE(uri_form.ok()) << uri_form.error().message;
  auto uri_identity = uri_form->IdentifySystem();
  ASSERT_TRUE(uri_identity.ok()) << uri_identity.error().message;
  EXPECT_EQ(uri_identity->dbname, "postgres");
  EXPECT_EQ(uri_identity->system_id, identity->system_id);
  // Plain SQL works on the walsender connection.
  auto rows = uri_form->Query("SELECT 1 + 1, NULL::text");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(*rows, (PgRows{{std::string("2"), std::nullopt}}));
}

TEST_F(CdcPgPostgresTest, CopyOutStreamsAndCanStopEarly) {
  const std::string table = Name("copy");
  Exec("CREATE TABLE " + table + " AS SELECT g AS id, md5(g::text) AS hash FROM generate_series(1, 20000) g");
  std::uint64_t seen = 0;
  auto full = admin_->CopyOut("COPY " + table + " TO STDOUT", [&](std::string_view chunk) {
    EXPECT_EQ(chunk.back(), '\n');  // one row per chunk
    return ++seen, true;
  });
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->chunks, 20000u);
  EXPECT_EQ(seen, 20000u);

  seen = 0;
  auto stopped = admin_->CopyOut("COPY " + table + " TO STDOUT", [&](std::string_view) { return ++seen < 10; });
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_TRUE(stopped->stopped_by_callback);
  EXPECT_EQ(stopped->chunks, 10u);
  EXPECT_EQ(seen, 10u);
  EXPECT_EQ(QueryValue("SELECT count(*) FROM " + table), "20000");  // the connection is usable

  auto not_copy = admin_->CopyOut("SELECT 1", [](std::string_view) { return true; });
  ASSERT_FALSE(not_copy.ok());
  auto bad = admin_->CopyOut("COPY " + Name("absent") + " TO STDOUT", [](std::string_view) { return true; });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, PgError::Code::kObjectMissing) << bad.error().message;
  auto copy_through_query = admin_->Query("COPY " + table + " TO STDOUT");
  ASSERT_FALSE(copy_through_query.ok());
  EXPECT_EQ(QueryValue("SELECT 42"), "42");

  auto bad_snapshot = admin_->BeginWithSnapshot("00000003-00000002-1");
  ASSERT_FALSE(bad_snapshot.ok());
  EXPECT_EQ(QueryValue("SELECT 43"), "43");  // not left in an aborted transaction
}

TEST_F(CdcPgPostgresTest, MisuseIsReportedNotFatal) {
  auto replication = ConnectReplication();
  auto next = replication.Next(10ms);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, PgError::Code::kProtocol);
  EXPECT_FALSE(replication.SendStatus(Lsn{1}, Lsn{1}, Lsn{1}).ok());
  EXPECT_TRUE(replication.Stop().ok());  // nothing to stop
  EXPECT_FALSE(replication.StartReplication(Name("slot"), Lsn{}, {}, 1, false, false).ok());
  replication.Close();
  EXPECT_FALSE(replication.IdentifySystem().ok());
  ReplicationConnection moved = ConnectReplication();
  ReplicationConnection target = std::move(moved);
  EXPECT_FALSE(moved.IsOpen());
  EXPECT_FALSE(moved.Query("SELECT 1").ok());
  EXPECT_TRUE(target.Query("SELECT 1").ok());
}

}  // namespace
}  // namespace mallard::cdc::pg

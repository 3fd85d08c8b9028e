// The parts of the libpq client that need no server: error classification on the server's real
// message texts, replication frame parsing and encoding, and command texts.
#include "cdc/pg/pg_connection.hpp"

#include <gtest/gtest.h>

#include "cdc/pg/pg_time.hpp"
#include "wire_writer.hpp"

namespace mallard::cdc::pg {
namespace {

using testing::WireWriter;
using Code = PgError::Code;

TEST(PgErrorTest, WalLevelBelowLogicalSaysHowToFixIt) {
  // PostgreSQL 10–15 and 16+ wordings of the CREATE_REPLICATION_SLOT failure.
  for (const char* server_text : {"logical decoding requires wal_level >= logical",
                                  "logical decoding requires \"wal_level\" >= \"logical\""}) {
    auto error = ClassifyPgError("55000", server_text, Code::kQuery);
    EXPECT_EQ(error.code, Code::kWalLevel) << server_text;
    EXPECT_EQ(error.sqlstate, "55000");
    EXPECT_NE(error.message.find("wal_level=logical"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find("restart"), std::string::npos) << error.message;
    EXPECT_NE(error.message.find(server_text), std::string::npos) << error.message;
  }
  auto check = CheckLogicalWalLevel("replica");
  ASSERT_FALSE(check.ok());
  EXPECT_EQ(check.error().code, Code::kWalLevel);
  EXPECT_NE(check.error().message.find("wal_level=replica"), std::string::npos) << check.error().message;
  EXPECT_NE(check.error().message.find("wal_level = logical"), std::string::npos) << check.error().message;
  EXPECT_TRUE(CheckLogicalWalLevel("logical").ok());
}

TEST(PgErrorTest, PermissionErrors) {
  // Connection-time failures reach us as libpq's text without a SQLSTATE.
  EXPECT_EQ(ClassifyPgError("",
                            "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  must be superuser or "
                            "replication role to start walsender",
                            Code::kConnection)
                .code,
            Code::kPermission);
  EXPECT_EQ(ClassifyPgError("", "FATAL:  permission denied to start WAL sender", Code::kConnection).code,
            Code::kPermission);
  EXPECT_EQ(ClassifyPgError("42501", "must be superuser or replication role to use replication slots", Code::kQuery).code,
            Code::kPermission);
  EXPECT_EQ(ClassifyPgError("42501", "permission denied for table orders", Code::kQuery).code, Code::kPermission);
}

TEST(PgErrorTest, SlotErrors) {
  EXPECT_EQ(ClassifyPgError("55006", "replication slot \"cdc\" is active for PID 4242", Code::kQuery).code,
            Code::kSlotInUse);
  EXPECT_EQ(ClassifyPgError("42704", "replication slot \"cdc\" does not exist", Code::kQuery).code, Code::kSlotMissing);
  auto invalidated = ClassifyPgError("55000",
                                     "can no longer get changes from replication slot \"cdc\" DETAIL: This slot has "
                                     "been invalidated because it exceeded the maximum reserved size.",
                                     Code::kQuery);
  EXPECT_EQ(invalidated.code, Code::kSlotMissing);
  EXPECT_NE(invalidated.message.find("re-sync"), std::string::npos);
  // Object-in-use that is not about a slot is not a slot conflict.
  EXPECT_EQ(ClassifyPgError("55006", "database \"x\" is being accessed by other users", Code::kQuery).code,
            Code::kQuery);
}

TEST(PgErrorTest, MissingObjectsConnectionAndFallback) {
  EXPECT_EQ(ClassifyPgError("42704", "publication \"cdc_pub\" does not exist", Code::kQuery).code, Code::kObjectMissing);
  EXPECT_EQ(ClassifyPgError("42P01", "relation \"orders\" does not exist", Code::kQuery).code, Code::kObjectMissing);
  EXPECT_EQ(ClassifyPgError("08006", "terminating connection", Code::kQuery).code, Code::kConnection);
  EXPECT_EQ(ClassifyPgError("42601", "syntax error at or near \"SELEC\"", Code::kQuery).code, Code::kQuery);
  EXPECT_EQ(ClassifyPgError("", "server sent something odd", Code::kProtocol).code, Code::kProtocol);
  EXPECT_EQ(PgErrorCodeName(Code::kSlotInUse), "slot_in_use");
}

TEST(ReplicationFrameTest, ParsesXLogData) {
  auto bytes = WireWriter().Byte('w').UInt64(0x10).UInt64(0x20).Int64(123456).Raw("Bpayload").bytes();
  auto frame = ParseReplicationFrame(bytes);
  ASSERT_TRUE(frame.ok()) << frame.error();
  ASSERT_TRUE(std::holds_alternative<XLogData>(*frame));
  const auto& data = std::get<XLogData>(*frame);
  EXPECT_EQ(data.wal_start, Lsn{0x10});
  EXPECT_EQ(data.wal_end, Lsn{0x20});
  EXPECT_EQ(data.send_time_us, 123456);
  EXPECT_EQ(data.payload, "Bpayload");
  // An empty payload is well-framed; the decoder rejects it.
  EXPECT_TRUE(ParseReplicationFrame(bytes.substr(0, 25)).ok());
  for (std::size_t length = 0; length < 25; ++length) EXPECT_FALSE(ParseReplicationFrame(bytes.substr(0, length)).ok());
}

TEST(ReplicationFrameTest, ParsesKeepalive) {
  auto bytes = WireWriter().Byte('k').UInt64(0xABCDEF).Int64(99).Byte(1).bytes();
  auto frame = ParseReplicationFrame(bytes);
  ASSERT_TRUE(frame.ok()) << frame.error();
  ASSERT_TRUE(std::holds_alternative<Keepalive>(*frame));
  const auto& keepalive = std::get<Keepalive>(*frame);
  EXPECT_EQ(keepalive.wal_end, Lsn{0xABCDEF});
  EXPECT_EQ(keepalive.send_time_us, 99);
  EXPECT_TRUE(keepalive.reply_requested);
  EXPECT_FALSE(ParseReplicationFrame(bytes.substr(0, 17)).ok());
  EXPECT_FALSE(ParseReplicationFrame(bytes + "x").ok());
  EXPECT_FALSE(ParseReplicationFrame("").ok());
  EXPECT_FALSE(ParseReplicationFrame("q123").ok());
}

TEST(ReplicationFrameTest, EncodesStandbyStatusUpdate) {
  auto expected = WireWriter().Byte('r').UInt64(0x30).UInt64(0x20).UInt64(0x10).Int64(555).Byte(0).bytes();
  EXPECT_EQ(EncodeStandbyStatusUpdate(Lsn{0x30}, Lsn{0x20}, Lsn{0x10}, 555, false), expected);
  EXPECT_EQ(EncodeStandbyStatusUpdate(Lsn{0}, Lsn{0}, Lsn{0}, 0, true).back(), '\1');
  EXPECT_EQ(EncodeStandbyStatusUpdate(Lsn{0}, Lsn{0}, Lsn{0}, 0, true).size(), 34u);
}

TEST(ReplicationFrameTest, ServerEpochIs2000) {
  EXPECT_EQ(PgTimestampToUnixMicros(0), 946'684'800'000'000);
  EXPECT_EQ(UnixMicrosToPgTimestamp(946'684'800'000'000), 0);
  EXPECT_GT(PgTimestampNow(), 700'000'000'000'000);  // after 2022
}

TEST(ReplicationCommandTest, CreateSlotUsesTheServersSyntax) {
  EXPECT_EQ(CreateSlotCommand("cdc", false, SnapshotMode::kExport, 150004),
            "CREATE_REPLICATION_SLOT \"cdc\" LOGICAL pgoutput (SNAPSHOT 'export')");
  EXPECT_EQ(CreateSlotCommand("cdc", true, SnapshotMode::kUse, 170000),
            "CREATE_REPLICATION_SLOT \"cdc\" TEMPORARY LOGICAL pgoutput (SNAPSHOT 'use')");
  EXPECT_EQ(CreateSlotCommand("cdc", false, SnapshotMode::kNothing, 150000),
            "CREATE_REPLICATION_SLOT \"cdc\" LOGICAL pgoutput (SNAPSHOT 'nothing')");
  EXPECT_EQ(CreateSlotCommand("cdc", false, SnapshotMode::kExport, 140011),
            "CREATE_REPLICATION_SLOT \"cdc\" LOGICAL pgoutput EXPORT_SNAPSHOT");
  EXPECT_EQ(CreateSlotCommand("cdc", true, SnapshotMode::kUse, 140011),
            "CREATE_REPLICATION_SLOT \"cdc\" TEMPORARY LOGICAL pgoutput USE_SNAPSHOT");
  EXPECT_EQ(CreateSlotCommand("cdc", false, SnapshotMode::kNothing, 100000),
            "CREATE_REPLICATION_SLOT \"cdc\" LOGICAL pgoutput NOEXPORT_SNAPSHOT");
  EXPECT_EQ(CreateSlotCommand("a\"b", false, SnapshotMode::kNothing, 150000),
            "CREATE_REPLICATION_SLOT \"a\"\"b\" LOGICAL pgoutput (SNAPSHOT 'nothing')");
}

TEST(ReplicationCommandTest, StartReplicationQuotesNamesAndSendsOnlyEnabledOptions) {
  EXPECT_EQ(StartReplicationCommand("cdc", Lsn{0x16B374D848}, {"pub"}, 1, false, false),
            "START_REPLICATION SLOT \"cdc\" LOGICAL 16/B374D848 (\"proto_version\" '1', \"publication_names\" "
            "'\"pub\"')");
  EXPECT_EQ(StartReplicationCommand("cdc", Lsn{0}, {"a", "it's \"b\""}, 2, true, true),
            "START_REPLICATION SLOT \"cdc\" LOGICAL 0/0 (\"proto_version\" '2', \"publication_names\" "
            "'\"a\",\"it''s \"\"b\"\"\"', \"streaming\" 'on', \"messages\" 'true')");
}

TEST(PgConnectionOfflineTest, ConnectionFailuresAreValues) {
  // Port 1 on loopback refuses at once; nothing listens there.
  auto plain = PgConnection::Connect("host=127.0.0.1 port=1 dbname=x connect_timeout=2");
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, Code::kConnection);
  EXPECT_FALSE(plain.error().message.empty());
  auto replication = ReplicationConnection::Connect("postgresql://127.0.0.1:1/x?connect_timeout=2");
  ASSERT_FALSE(replication.ok());
  EXPECT_EQ(replication.error().code, Code::kConnection);
  auto malformed = ReplicationConnection::Connect("host=127.0.0.1 port=");
  ASSERT_FALSE(malformed.ok());
  auto bad_option = PgConnection::Connect("no_such_option=1");
  ASSERT_FALSE(bad_option.ok());
  EXPECT_NE(bad_option.error().message.find("no_such_option"), std::string::npos) << bad_option.error().message;
}

}  // namespace
}  // namespace mallard::cdc::pg

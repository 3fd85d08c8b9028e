// pgoutput decoding from byte fixtures laid out field by field as in PostgreSQL's
// "Logical Replication Message Formats", including every truncation and random corruption.
#include "cdc/pg/pgoutput.hpp"

#include <gtest/gtest.h>

#include <random>

#include "wire_writer.hpp"

namespace mallard::cdc::pg {
namespace {

using testing::WireWriter;
using Kind = TupleValue::Kind;

constexpr std::uint32_t kXid = 7777;
constexpr std::uint32_t kRelationOid = 16384;

DecodedMessage DecodeOk(const std::string& payload, bool inside_stream = false, int protocol = 1) {
  auto decoded = DecodePgOutput(payload, inside_stream, protocol);
  EXPECT_TRUE(decoded.ok()) << decoded.error();
  return decoded.ok() ? std::move(*decoded) : DecodedMessage{std::nullopt, StreamStopMessage{}};
}

template <typename T>
T As(const DecodedMessage& decoded) {
  EXPECT_TRUE(std::holds_alternative<T>(decoded.message)) << "got " << PgOutputMessageName(decoded.message);
  return std::holds_alternative<T>(decoded.message) ? std::get<T>(decoded.message) : T{};
}

// A tuple with one column of every kind, binary bytes including NUL and 0xFF.
WireWriter& AllKindsTuple(WireWriter& writer) {
  return writer.Int16(5).NullColumn().UnchangedToastColumn().TextColumn("hello").BinaryColumn(std::string("\x00\xFF\x01", 3))
      .TextColumn("");
}

Tuple AllKindsTupleValue() {
  return {{Kind::kNull, ""}, {Kind::kUnchangedToast, ""}, {Kind::kText, "hello"},
          {Kind::kBinary, std::string("\x00\xFF\x01", 3)}, {Kind::kText, ""}};
}

std::string BeginFixture() { return WireWriter().Byte('B').UInt64(0x16B374D848).Int64(700'000'000'123).UInt32(kXid).bytes(); }
std::string CommitFixture() {
  return WireWriter().Byte('C').Byte(0).UInt64(0x100).UInt64(0x1A0).Int64(700'000'000'456).bytes();
}
std::string OriginFixture() { return WireWriter().Byte('O').UInt64(0xABC).CString("upstream").bytes(); }

std::string RelationFixture(std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('R');
  if (stream_xid) writer.UInt32(*stream_xid);
  writer.UInt32(kRelationOid).CString("public").CString("orders").Byte('d').Int16(3);
  writer.Byte(1).CString("id").UInt32(23).Int32(-1);
  writer.Byte(0).CString("label").UInt32(1043).Int32(36);  // varchar(32): typmod is length + 4
  writer.Byte(0).CString("body").UInt32(25).Int32(-1);
  return writer.bytes();
}

std::string TypeFixture(std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('Y');
  if (stream_xid) writer.UInt32(*stream_xid);
  return writer.UInt32(16500).CString("public").CString("mood").bytes();
}

std::string InsertFixture(std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('I');
  if (stream_xid) writer.UInt32(*stream_xid);
  writer.UInt32(kRelationOid).Byte('N');
  AllKindsTuple(writer);
  return writer.bytes();
}

std::string UpdateFixture(std::optional<char> old_tag, std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('U');
  if (stream_xid) writer.UInt32(*stream_xid);
  writer.UInt32(kRelationOid);
  if (old_tag) writer.Byte(*old_tag).Int16(2).TextColumn("1").NullColumn();
  writer.Byte('N').Int16(2).TextColumn("2").UnchangedToastColumn();
  return writer.bytes();
}

std::string DeleteFixture(char old_tag, std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('D');
  if (stream_xid) writer.UInt32(*stream_xid);
  writer.UInt32(kRelationOid).Byte(old_tag).Int16(2).TextColumn("1").TextColumn("gone");
  return writer.bytes();
}

std::string TruncateFixture(std::uint8_t options, std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('T');
  if (stream_xid) writer.UInt32(*stream_xid);
  return writer.Int32(3).Byte(options).UInt32(16384).UInt32(16390).UInt32(16400).bytes();
}

std::string MessageFixture(bool transactional, std::optional<std::uint32_t> stream_xid = std::nullopt) {
  WireWriter writer;
  writer.Byte('M');
  if (stream_xid) writer.UInt32(*stream_xid);
  const std::string content("ddl\0payload", 11);
  return writer.Byte(transactional ? 1 : 0).UInt64(0x5000).CString("mallard_ddl").Int32(11).Raw(content).bytes();
}

std::string StreamStartFixture() { return WireWriter().Byte('S').UInt32(kXid).Byte(1).bytes(); }
std::string StreamStopFixture() { return WireWriter().Byte('E').bytes(); }
std::string StreamCommitFixture() {
  return WireWriter().Byte('c').UInt32(kXid).Byte(0).UInt64(0x900).UInt64(0x9A0).Int64(700'000'000'789).bytes();
}
std::string StreamAbortFixture(bool with_abort_info) {
  WireWriter writer;
  writer.Byte('A').UInt32(kXid).UInt32(kXid + 3);
  if (with_abort_info) writer.UInt64(0x7777).Int64(700'000'001'000);
  return writer.bytes();
}

TEST(PgOutputDecoderTest, Begin) {
  auto decoded = DecodeOk(BeginFixture());
  auto begin = As<BeginMessage>(decoded);
  EXPECT_EQ(begin.final_lsn, Lsn{0x16B374D848});
  EXPECT_EQ(begin.commit_time_us, 700'000'000'123);
  EXPECT_EQ(begin.xid, kXid);
  EXPECT_FALSE(decoded.stream_xid);
}

TEST(PgOutputDecoderTest, Commit) {
  auto commit = As<CommitMessage>(DecodeOk(CommitFixture()));
  EXPECT_EQ(commit.flags, 0);
  EXPECT_EQ(commit.commit_lsn, Lsn{0x100});
  EXPECT_EQ(commit.end_lsn, Lsn{0x1A0});
  EXPECT_EQ(commit.commit_time_us, 700'000'000'456);
}

TEST(PgOutputDecoderTest, Origin) {
  auto origin = As<OriginMessage>(DecodeOk(OriginFixture()));
  EXPECT_EQ(origin.lsn, Lsn{0xABC});
  EXPECT_EQ(origin.name, "upstream");
}

TEST(PgOutputDecoderTest, Relation) {
  auto relation = As<RelationMessage>(DecodeOk(RelationFixture()));
  EXPECT_EQ(relation.oid, kRelationOid);
  EXPECT_EQ(relation.schema, "public");
  EXPECT_EQ(relation.name, "orders");
  EXPECT_EQ(relation.replica_identity, 'd');
  ASSERT_EQ(relation.columns.size(), 3u);
  EXPECT_EQ(relation.columns[0], (RelationColumn{true, "id", 23, -1}));
  EXPECT_EQ(relation.columns[1], (RelationColumn{false, "label", 1043, 36}));
  EXPECT_EQ(relation.columns[2], (RelationColumn{false, "body", 25, -1}));
}

TEST(PgOutputDecoderTest, RelationInPgCatalogHasEmptyNamespaceAndEveryIdentityKind) {
  for (char identity : {'d', 'n', 'f', 'i'}) {
    auto payload = WireWriter().Byte('R').UInt32(1).CString("").CString("t").Byte(identity).Int16(0).bytes();
    auto relation = As<RelationMessage>(DecodeOk(payload));
    EXPECT_EQ(relation.schema, "");
    EXPECT_EQ(relation.replica_identity, identity);
    EXPECT_TRUE(relation.columns.empty());
  }
  auto unknown_identity = WireWriter().Byte('R').UInt32(1).CString("").CString("t").Byte('x').Int16(0).bytes();
  EXPECT_FALSE(DecodePgOutput(unknown_identity, false, 1).ok());
}

TEST(PgOutputDecoderTest, Type) {
  auto type = As<TypeMessage>(DecodeOk(TypeFixture()));
  EXPECT_EQ(type.oid, 16500u);
  EXPECT_EQ(type.schema, "public");
  EXPECT_EQ(type.name, "mood");
}

TEST(PgOutputDecoderTest, InsertWithEveryTupleKind) {
  auto insert = As<InsertMessage>(DecodeOk(InsertFixture()));
  EXPECT_EQ(insert.relation, kRelationOid);
  EXPECT_EQ(insert.new_tuple, AllKindsTupleValue());
}

TEST(PgOutputDecoderTest, UpdateWithoutOldTuple) {
  auto update = As<UpdateMessage>(DecodeOk(UpdateFixture(std::nullopt)));
  EXPECT_EQ(update.relation, kRelationOid);
  EXPECT_FALSE(update.old_key);
  EXPECT_FALSE(update.old_row);
  EXPECT_EQ(update.new_tuple, (Tuple{{Kind::kText, "2"}, {Kind::kUnchangedToast, ""}}));
}

TEST(PgOutputDecoderTest, UpdateWithOldKey) {
  auto update = As<UpdateMessage>(DecodeOk(UpdateFixture('K')));
  ASSERT_TRUE(update.old_key);
  EXPECT_FALSE(update.old_row);
  EXPECT_EQ(*update.old_key, (Tuple{{Kind::kText, "1"}, {Kind::kNull, ""}}));
  EXPECT_EQ(update.new_tuple.size(), 2u);
}

TEST(PgOutputDecoderTest, UpdateWithOldRow) {
  auto update = As<UpdateMessage>(DecodeOk(UpdateFixture('O')));
  EXPECT_FALSE(update.old_key);
  ASSERT_TRUE(update.old_row);
  EXPECT_EQ(*update.old_row, (Tuple{{Kind::kText, "1"}, {Kind::kNull, ""}}));
}

TEST(PgOutputDecoderTest, UpdateRejectsBadTags) {
  // An old tuple must be followed by 'N'.
  auto missing_new = WireWriter().Byte('U').UInt32(1).Byte('K').Int16(1).TextColumn("1").Byte('K').Int16(0).bytes();
  EXPECT_FALSE(DecodePgOutput(missing_new, false, 1).ok());
  auto unknown_tag = WireWriter().Byte('U').UInt32(1).Byte('X').Int16(0).bytes();
  EXPECT_FALSE(DecodePgOutput(unknown_tag, false, 1).ok());
}

TEST(PgOutputDecoderTest, DeleteWithOldKeyOrOldRow) {
  auto by_key = As<DeleteMessage>(DecodeOk(DeleteFixture('K')));
  ASSERT_TRUE(by_key.old_key);
  EXPECT_FALSE(by_key.old_row);
  EXPECT_EQ(*by_key.old_key, (Tuple{{Kind::kText, "1"}, {Kind::kText, "gone"}}));
  auto by_row = As<DeleteMessage>(DecodeOk(DeleteFixture('O')));
  EXPECT_FALSE(by_row.old_key);
  ASSERT_TRUE(by_row.old_row);
  // A delete always names the old row: 'N' is not valid here.
  EXPECT_FALSE(DecodePgOutput(DeleteFixture('N'), false, 1).ok());
}

TEST(PgOutputDecoderTest, TruncateOptions) {
  auto plain = As<TruncateMessage>(DecodeOk(TruncateFixture(0)));
  EXPECT_EQ(plain.relations, (std::vector<std::uint32_t>{16384, 16390, 16400}));
  EXPECT_FALSE(plain.cascade);
  EXPECT_FALSE(plain.restart_identity);
  auto cascade = As<TruncateMessage>(DecodeOk(TruncateFixture(1)));
  EXPECT_TRUE(cascade.cascade);
  EXPECT_FALSE(cascade.restart_identity);
  auto both = As<TruncateMessage>(DecodeOk(TruncateFixture(3)));
  EXPECT_TRUE(both.cascade);
  EXPECT_TRUE(both.restart_identity);
  auto negative = WireWriter().Byte('T').Int32(-1).Byte(0).bytes();
  EXPECT_FALSE(DecodePgOutput(negative, false, 1).ok());
}

TEST(PgOutputDecoderTest, LogicalMessageKeepsBinaryContent) {
  auto transactional = As<LogicalMessage>(DecodeOk(MessageFixture(true)));
  EXPECT_TRUE(transactional.transactional);
  EXPECT_EQ(transactional.lsn, Lsn{0x5000});
  EXPECT_EQ(transactional.prefix, "mallard_ddl");
  EXPECT_EQ(transactional.content, std::string("ddl\0payload", 11));
  EXPECT_FALSE(As<LogicalMessage>(DecodeOk(MessageFixture(false))).transactional);
}

TEST(PgOutputDecoderTest, StreamControlMessages) {
  auto start_decoded = DecodeOk(StreamStartFixture(), false, 2);
  auto start = As<StreamStartMessage>(start_decoded);
  EXPECT_EQ(start.xid, kXid);
  EXPECT_TRUE(start.first_segment);
  EXPECT_EQ(start_decoded.stream_xid, kXid);
  EXPECT_FALSE(As<StreamStartMessage>(DecodeOk(WireWriter().Byte('S').UInt32(1).Byte(0).bytes(), false, 2)).first_segment);

  auto stop = DecodeOk(StreamStopFixture(), true, 2);
  EXPECT_TRUE(std::holds_alternative<StreamStopMessage>(stop.message));
  EXPECT_FALSE(stop.stream_xid);

  auto commit_decoded = DecodeOk(StreamCommitFixture(), false, 2);
  auto commit = As<StreamCommitMessage>(commit_decoded);
  EXPECT_EQ(commit.xid, kXid);
  EXPECT_EQ(commit.flags, 0);
  EXPECT_EQ(commit.commit_lsn, Lsn{0x900});
  EXPECT_EQ(commit.end_lsn, Lsn{0x9A0});
  EXPECT_EQ(commit.commit_time_us, 700'000'000'789);
  EXPECT_EQ(commit_decoded.stream_xid, kXid);
}

TEST(PgOutputDecoderTest, StreamAbortBeforeAndWithProtocol4) {
  for (int protocol : {2, 3, 4}) {
    auto abort = As<StreamAbortMessage>(DecodeOk(StreamAbortFixture(false), false, protocol));
    EXPECT_EQ(abort.xid, kXid);
    EXPECT_EQ(abort.subxid, kXid + 3);
    EXPECT_FALSE(abort.abort_lsn);
    EXPECT_FALSE(abort.abort_time_us);
  }
  // Protocol 4 with streaming = parallel appends the abort LSN and time.
  auto abort = As<StreamAbortMessage>(DecodeOk(StreamAbortFixture(true), false, 4));
  EXPECT_EQ(abort.abort_lsn, Lsn{0x7777});
  EXPECT_EQ(abort.abort_time_us, 700'000'001'000);
  // Older protocols never send them: the extra bytes are trailing garbage.
  EXPECT_FALSE(DecodePgOutput(StreamAbortFixture(true), false, 3).ok());
  // Anything but exactly the two fields is malformed.
  EXPECT_FALSE(DecodePgOutput(StreamAbortFixture(true).substr(0, 20), false, 4).ok());
}

TEST(PgOutputDecoderTest, DataMessagesInsideStreamCarryXid) {
  constexpr std::uint32_t kStreamXid = 4242;
  struct Case {
    std::string payload;
    std::size_t variant_index;
  };
  const std::vector<Case> cases = {
      {RelationFixture(kStreamXid), 3}, {TypeFixture(kStreamXid), 4},        {InsertFixture(kStreamXid), 5},
      {UpdateFixture('O', kStreamXid), 6}, {DeleteFixture('K', kStreamXid), 7}, {TruncateFixture(2, kStreamXid), 8},
      {MessageFixture(true, kStreamXid), 9},
  };
  for (const auto& test_case : cases) {
    for (int protocol : {2, 3, 4}) {
      auto decoded = DecodeOk(test_case.payload, /*inside_stream=*/true, protocol);
      EXPECT_EQ(decoded.stream_xid, kStreamXid) << PgOutputMessageName(decoded.message);
      EXPECT_EQ(decoded.message.index(), test_case.variant_index) << PgOutputMessageName(decoded.message);
      // Read as if outside a stream, the xid shifts every field: the decoder must notice or at
      // least not crash; here every fixture happens to be rejected.
      EXPECT_FALSE(DecodePgOutput(test_case.payload, /*inside_stream=*/false, protocol).ok())
          << PgOutputMessageName(decoded.message);
    }
  }
  auto insert = As<InsertMessage>(DecodeOk(InsertFixture(kStreamXid), true, 2));
  EXPECT_EQ(insert.new_tuple, AllKindsTupleValue());
  // Origin is not part of the transaction's contents and has no xid.
  auto origin = DecodeOk(OriginFixture(), true, 2);
  EXPECT_FALSE(origin.stream_xid);
  EXPECT_EQ(As<OriginMessage>(origin).name, "upstream");
}

TEST(PgOutputDecoderTest, StreamingNeedsProtocol2) {
  EXPECT_FALSE(DecodePgOutput(StreamStartFixture(), false, 1).ok());
  EXPECT_FALSE(DecodePgOutput(StreamCommitFixture(), false, 1).ok());
  EXPECT_FALSE(DecodePgOutput(StreamAbortFixture(false), false, 1).ok());
  EXPECT_FALSE(DecodePgOutput(StreamStopFixture(), false, 1).ok());
  EXPECT_FALSE(DecodePgOutput(InsertFixture(1), true, 1).ok());
}

TEST(PgOutputDecoderTest, RejectsUnsupportedProtocolsAndMessages) {
  EXPECT_FALSE(DecodePgOutput(BeginFixture(), false, 0).ok());
  EXPECT_FALSE(DecodePgOutput(BeginFixture(), false, 5).ok());
  EXPECT_FALSE(DecodePgOutput("", false, 1).ok());
  for (char two_phase : {'b', 'P', 'K', 'r', 'p'}) {
    auto decoded = DecodePgOutput(std::string(1, two_phase) + std::string(40, '\0'), false, 3);
    ASSERT_FALSE(decoded.ok());
    EXPECT_NE(decoded.error().find("two_phase"), std::string::npos) << decoded.error();
  }
  auto unknown = DecodePgOutput("Z", false, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("0x5A"), std::string::npos) << unknown.error();
}

TEST(PgOutputDecoderTest, RejectsTrailingBytes) {
  EXPECT_FALSE(DecodePgOutput(BeginFixture() + "x", false, 1).ok());
  EXPECT_FALSE(DecodePgOutput(InsertFixture() + std::string(1, '\0'), false, 1).ok());
  EXPECT_FALSE(DecodePgOutput(StreamStopFixture() + "x", false, 2).ok());
}

TEST(PgOutputDecoderTest, RejectsBadLengthsWithoutAllocatingThem) {
  // Lengths larger than the payload, negative lengths and huge counts must fail fast.
  auto huge_text = WireWriter().Byte('I').UInt32(1).Byte('N').Int16(1).Byte('t').Int32(0x7FFFFFFF).Raw("abc").bytes();
  EXPECT_FALSE(DecodePgOutput(huge_text, false, 1).ok());
  auto negative_text = WireWriter().Byte('I').UInt32(1).Byte('N').Int16(1).Byte('t').Int32(-5).bytes();
  EXPECT_FALSE(DecodePgOutput(negative_text, false, 1).ok());
  auto negative_columns = WireWriter().Byte('I').UInt32(1).Byte('N').Int16(-1).bytes();
  EXPECT_FALSE(DecodePgOutput(negative_columns, false, 1).ok());
  auto many_columns = WireWriter().Byte('I').UInt32(1).Byte('N').Int16(32767).NullColumn().bytes();
  EXPECT_FALSE(DecodePgOutput(many_columns, false, 1).ok());
  auto many_relations = WireWriter().Byte('T').Int32(0x7FFFFFFF).Byte(0).UInt32(1).bytes();
  EXPECT_FALSE(DecodePgOutput(many_relations, false, 1).ok());
  auto huge_message = WireWriter().Byte('M').Byte(1).UInt64(1).CString("p").Int32(0x7FFFFFFF).bytes();
  EXPECT_FALSE(DecodePgOutput(huge_message, false, 1).ok());
  auto unknown_kind = WireWriter().Byte('I').UInt32(1).Byte('N').Int16(1).Byte('x').bytes();
  EXPECT_FALSE(DecodePgOutput(unknown_kind, false, 1).ok());
  auto unterminated = WireWriter().Byte('O').UInt64(1).Raw("no terminator").bytes();
  EXPECT_FALSE(DecodePgOutput(unterminated, false, 1).ok());
}

struct Fixture {
  std::string name;
  std::string payload;
  bool inside_stream;
  int protocol;
};

std::vector<Fixture> AllFixtures() {
  return {
      {"Begin", BeginFixture(), false, 1},
      {"Commit", CommitFixture(), false, 1},
      {"Origin", OriginFixture(), false, 1},
      {"Relation", RelationFixture(), false, 1},
      {"Type", TypeFixture(), false, 1},
      {"Insert", InsertFixture(), false, 1},
      {"Update", UpdateFixture(std::nullopt), false, 1},
      {"UpdateOldKey", UpdateFixture('K'), false, 1},
      {"UpdateOldRow", UpdateFixture('O'), false, 1},
      {"Delete", DeleteFixture('O'), false, 1},
      {"Truncate", TruncateFixture(3), false, 1},
      {"Message", MessageFixture(true), false, 1},
      {"StreamStart", StreamStartFixture(), false, 2},
      {"StreamStop", StreamStopFixture(), true, 2},
      {"StreamCommit", StreamCommitFixture(), false, 2},
      {"StreamAbort", StreamAbortFixture(false), false, 2},
      {"StreamedRelation", RelationFixture(9), true, 2},
      {"StreamedInsert", InsertFixture(9), true, 2},
      {"StreamedUpdate", UpdateFixture('K', 9), true, 3},
      {"StreamedDelete", DeleteFixture('K', 9), true, 4},
      {"StreamedTruncate", TruncateFixture(1, 9), true, 2},
      {"StreamedMessage", MessageFixture(false, 9), true, 2},
  };
}

TEST(PgOutputDecoderTest, EveryTruncationIsAnError) {
  for (const auto& fixture : AllFixtures()) {
    ASSERT_TRUE(DecodePgOutput(fixture.payload, fixture.inside_stream, fixture.protocol).ok()) << fixture.name;
    for (std::size_t length = 0; length < fixture.payload.size(); ++length) {
      // A copy, so that a read past the prefix would touch memory the sanitizers know is gone.
      const std::string prefix = fixture.payload.substr(0, length);
      auto decoded = DecodePgOutput(prefix, fixture.inside_stream, fixture.protocol);
      EXPECT_FALSE(decoded.ok()) << fixture.name << " truncated to " << length << " bytes decoded";
    }
  }
}

TEST(PgOutputDecoderTest, TruncatedProtocol4StreamAbortIsShortFormOrError) {
  const std::string payload = StreamAbortFixture(true);
  for (std::size_t length = 0; length < payload.size(); ++length) {
    auto decoded = DecodePgOutput(payload.substr(0, length), false, 4);
    // The 9-byte prefix is itself a well-formed abort without the parallel-apply fields.
    EXPECT_EQ(decoded.ok(), length == 9) << length;
  }
}

TEST(PgOutputDecoderTest, CorruptedAndRandomInputNeverCrashes) {
  std::mt19937 random(20240601);
  std::size_t decoded_count = 0;
  // Every single-byte corruption of every fixture, with a few replacement values.
  for (const auto& fixture : AllFixtures()) {
    for (std::size_t position = 0; position < fixture.payload.size(); ++position) {
      for (int replacement : {0x00, 0x01, 0x7F, 0x80, 0xFF, static_cast<int>(random() & 0xFF)}) {
        std::string corrupted = fixture.payload;
        corrupted[position] = static_cast<char>(replacement);
        for (int protocol = 1; protocol <= 4; ++protocol) {
          for (bool inside_stream : {false, true}) {
            decoded_count += DecodePgOutput(corrupted, inside_stream, protocol).ok();
          }
        }
      }
    }
  }
  // Random payloads behind every message type byte.
  const std::string types = "BCORYIUDTMSEcAbPKrpZ";
  for (int iteration = 0; iteration < 50'000; ++iteration) {
    std::string payload(1, types[random() % types.size()]);
    std::size_t length = random() % 48;
    for (std::size_t index = 0; index < length; ++index) {
      // Mostly small values, so that lengths and counts are often plausible.
      payload.push_back(static_cast<char>(random() % 4 == 0 ? random() & 0xFF : random() % 4));
    }
    decoded_count += DecodePgOutput(payload, random() % 2 == 0, 1 + static_cast<int>(random() % 4)).ok();
  }
  EXPECT_GT(decoded_count, 0u);  // some corruptions are still valid messages; the point is no crash
}

TEST(PgOutputDecoderTest, MessageNames) {
  EXPECT_EQ(PgOutputMessageName(PgOutputMessage{BeginMessage{}}), "Begin");
  EXPECT_EQ(PgOutputMessageName(PgOutputMessage{StreamCommitMessage{}}), "Stream Commit");
  EXPECT_EQ(PgOutputMessageName(PgOutputMessage{StreamAbortMessage{}}), "Stream Abort");
  EXPECT_EQ(PgOutputMessageName(PgOutputMessage{LogicalMessage{}}), "Message");
}

}  // namespace
}  // namespace mallard::cdc::pg

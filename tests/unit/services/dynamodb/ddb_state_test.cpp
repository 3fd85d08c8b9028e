// DynamoDB snapshots (ddb_state.hpp) on the memory store: a seeded randomised state
// (ddb_state_fixture.hpp) saved, cleared, loaded; saving again must give the same records, and the
// store must answer Scan (table and every index), GetItems, ReadStream, ListBackups, a restore from
// each backup and a point-in-time restore the same as before.
#include <gtest/gtest.h>

#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "ddb_state_fixture.hpp"

namespace mallard::dynamodb {
namespace {
using namespace state_fixture;

TEST(DynamoDbState, RandomStateSurvivesSaveClearLoad) {
  for (unsigned seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator gen(seed);
    auto store = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState state(store);
    const std::int64_t pitr_point = BuildState(*store, gen);
    const auto saved = SaveAll(state);
    const std::string observed = Observe(*store, pitr_point);
    ASSERT_TRUE(state.Clear(kStateScope).ok());
    EXPECT_TRUE(state.Scopes().value().empty());
    EXPECT_TRUE(store->ListTables(kScope).value().empty());
    auto loaded = LoadAll(state, saved);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(SaveAll(state), saved);
    EXPECT_EQ(FirstDifference(observed, Observe(*store, pitr_point)), "");

    // Into a fresh store (another process, as a snapshot file would): the same again.
    auto other = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState other_state(other);
    ASSERT_TRUE(LoadAll(other_state, saved).ok());
    EXPECT_EQ(SaveAll(other_state), saved);
    EXPECT_EQ(FirstDifference(observed, Observe(*other, pitr_point)), "");
  }
}

TEST(DynamoDbState, WritesAfterLoadContinueTheStream) {
  Generator gen(7);
  auto store = std::make_shared<MemoryDynamoDbStore>();
  DynamoDbState state(store);
  BuildState(*store, gen);
  const auto saved = SaveAll(state);
  auto fresh = std::make_shared<MemoryDynamoDbStore>();
  DynamoDbState fresh_state(fresh);
  ASSERT_TRUE(LoadAll(fresh_state, saved).ok());
  const auto names = Must(fresh->ListTables(kScope), "ListTables");
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    auto table = fresh->GetTable(kScope, name).value();
    auto streams = fresh->ListStreams(kScope, name).value();
    ASSERT_FALSE(streams.empty());
    const auto arn = table.arn + "/stream/" + table.stream.label;
    auto described = fresh->DescribeStream(kScope, arn).value();
    const auto shard = described.shards.front().shard_id;
    const auto latest = fresh->LatestSequence(kScope, arn, shard).value();
    Write(*fresh, table, RandomItem(gen, table), false, WallClockMillis());
    auto read = fresh->ReadStream(kScope, arn, shard, latest, 10, WallClockMillis()).value();
    ASSERT_EQ(read.records.size(), 1u) << name;
    EXPECT_GT(ParseSequence(read.records[0].sequence_number), ParseSequence(latest));
  }
}

TEST(DynamoDbState, RefusesNewerVersionsUnknownKindsAndOrphans) {
  auto store = std::make_shared<MemoryDynamoDbStore>();
  DynamoDbState state(store);
  auto newer = LoadAll(state, {}, 2);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().find("version 2"), std::string::npos) << newer.error();
  EXPECT_TRUE(LoadAll(state, {}, 0).ok());
  auto unknown = LoadAll(state, {"gadget {}"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("'gadget'"), std::string::npos) << unknown.error();
  auto orphan = LoadAll(state, {"item {\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"}}}"});
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(orphan.error().find("does not follow"), std::string::npos) << orphan.error();
  auto bad_number = LoadAll(state, {"table " + json::serialize(TableRecordJson([] {
                                      TableDefinition table;
                                      table.name = "t";
                                      table.arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/t";
                                      table.keys.partition = {"pk", AttrType::S};
                                      return table;
                                    }())),
                                    "item {\"TableName\":\"t\",\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1e999\"}}}"});
  ASSERT_FALSE(bad_number.ok());
  EXPECT_NE(bad_number.error().find("record 2"), std::string::npos) << bad_number.error();
  // A record without RecoveryPeriodInDays (hand-written, or older) keeps the 35-day default.
  TableDefinition table;
  table.name = "p";
  table.arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/p";
  table.keys.partition = {"pk", AttrType::S};
  table.pitr_enabled = true;
  auto body = TableRecordJson(table);
  body.at("PointInTimeRecovery").as_object().erase("RecoveryPeriodInDays");
  auto parsed = TableFromRecord(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().pitr_recovery_days, 35);
}

}  // namespace
}  // namespace mallard::dynamodb

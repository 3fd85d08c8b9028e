// Behaviour every DynamoDbBackend must share, run against each implementation (the Redis backend
// joins the parameter list when it exists): ordering, paging, indexes, atomic write units,
// stream records and the in-process subscription.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include "backends/memory/memory_dynamodb_backend.hpp"
#include "services/dynamodb/ddb_key_encoding.hpp"

namespace mallard::dynamodb {
namespace {

using BackendFactory = std::function<std::shared_ptr<DynamoDbBackend>()>;

AttributeValue Num(const std::string& text) { return AttributeValue::Number(Decimal::Parse(text).value()); }
AttributeValue Str(const std::string& text) { return AttributeValue::String(text); }

TableDefinition MakeTable(const std::string& name, bool stream) {
  TableDefinition table;
  table.name = name;
  table.arn = "arn:aws:dynamodb:us-east-1:000000000000:table/" + name;
  table.keys.partition = {"pk", AttrType::S};
  table.keys.sort = KeyElement{"sk", AttrType::N};
  table.attribute_definitions = {{"pk", AttrType::S}, {"sk", AttrType::N}, {"g", AttrType::S}};
  IndexDefinition by_g;
  by_g.name = "by_g";
  by_g.keys.partition = {"g", AttrType::S};
  by_g.projection.type = ProjectionType::KeysOnly;
  table.indexes.push_back(by_g);
  if (stream) {
    table.stream = {true, "NEW_AND_OLD_IMAGES", "2026-01-01T00:00:00.000"};
  }
  return table;
}

class DynamoDbBackendBehaviour : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam()();
    ASSERT_TRUE(backend_->CreateTable(scope_, MakeTable("t", true)).ok());
  }

  void Put(Item item) {
    const Item key = ExtractKey(MakeTable("t", false).keys, item);
    auto written = backend_->WriteItems(
        scope_, {ItemRef{"t", key}},
        [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
          return std::vector<ItemWrite>{{ItemWrite::Kind::Put, item}};
        },
        {1000, false});
    ASSERT_TRUE(written.ok() && written->ok());
  }

  std::vector<std::string> SortKeys(const Page& page) {
    std::vector<std::string> keys;
    for (const auto& item : page.items) keys.push_back(item.at("sk").number.ToString());
    return keys;
  }

  Scope scope_{"000000000000", "us-east-1"};
  std::shared_ptr<DynamoDbBackend> backend_;
};

TEST_P(DynamoDbBackendBehaviour, NumericSortKeysOrderNumericallyAndPage) {
  for (const char* sk : {"10", "9", "-1.5", "100", "0.001", "-20"}) Put({{"pk", Str("p")}, {"sk", Num(sk)}});
  Put({{"pk", Str("other")}, {"sk", Num("1")}});
  QueryRequest query;
  query.table = "t";
  query.partition = Str("p");
  auto all = backend_->Query(scope_, query);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(SortKeys(*all), (std::vector<std::string>{"-20", "-1.5", "0.001", "9", "10", "100"}));
  EXPECT_FALSE(all->last_evaluated_key);

  query.forward = false;
  query.limit = 4;
  auto first = backend_->Query(scope_, query);
  ASSERT_TRUE(first.ok() && first->last_evaluated_key);
  EXPECT_EQ(SortKeys(*first), (std::vector<std::string>{"100", "10", "9", "0.001"}));
  query.exclusive_start_key = first->last_evaluated_key;
  auto second = backend_->Query(scope_, query);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(SortKeys(*second), (std::vector<std::string>{"-1.5", "-20"}));

  query = {};
  query.table = "t";
  query.partition = Str("p");
  query.sort = SortCondition{SortOp::Between, Num("-2"), Num("9")};
  EXPECT_EQ(SortKeys(*backend_->Query(scope_, query)), (std::vector<std::string>{"-1.5", "0.001", "9"}));
}

TEST_P(DynamoDbBackendBehaviour, ParallelScanSegmentsPartitionTheTable) {
  for (int i = 0; i < 200; ++i) Put({{"pk", Str("p" + std::to_string(i))}, {"sk", Num("1")}});
  std::multiset<std::string> seen;
  for (int segment = 0; segment < 7; ++segment) {
    ScanRequest scan;
    scan.table = "t";
    scan.segment = segment;
    scan.total_segments = 7;
    scan.limit = 9;
    do {
      auto page = backend_->Scan(scope_, scan);
      ASSERT_TRUE(page.ok());
      for (const auto& item : page->items) seen.insert(item.at("pk").bytes);
      scan.exclusive_start_key = page->last_evaluated_key;
    } while (scan.exclusive_start_key);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 200u);  // each exactly once
}

TEST_P(DynamoDbBackendBehaviour, SparseKeysOnlyIndexAndStats) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}, {"g", Str("x")}, {"payload", Str("big")}});
  Put({{"pk", Str("b")}, {"sk", Num("1")}, {"payload", Str("not indexed")}});
  QueryRequest query;
  query.table = "t";
  query.index = "by_g";
  query.partition = Str("x");
  auto page = backend_->Query(scope_, query);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].count("payload"), 0u);  // KEYS_ONLY
  EXPECT_EQ(page->items[0].at("g").bytes, "x");
  auto stats = backend_->GetTableStats(scope_, "t");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->item_count, 2);
  EXPECT_EQ(stats->indexes.at("by_g").item_count, 1);
}

TEST_P(DynamoDbBackendBehaviour, ConcurrentConditionalIncrementsLoseNothing) {
  Put({{"pk", Str("counter")}, {"sk", Num("0")}, {"n", Num("0")}});
  const Item key{{"pk", Str("counter")}, {"sk", Num("0")}};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < 250; ++i) {
        auto written = backend_->WriteItems(
            scope_, {ItemRef{"t", key}},
            [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
              Item next = *current[0];
              next["n"] = AttributeValue::Number(next["n"].number.Add(Decimal::FromInt(1)).value());
              return std::vector<ItemWrite>{{ItemWrite::Kind::Put, std::move(next)}};
            },
            {1000, false});
        ASSERT_TRUE(written.ok() && written->ok());
      }
    });
  }
  for (auto& writer : writers) writer.join();
  auto found = backend_->GetItems(scope_, {ItemRef{"t", key}});
  ASSERT_TRUE(found.ok() && (*found)[0]);
  EXPECT_EQ((*found)[0]->at("n").number.ToString(), "1000");
}

TEST_P(DynamoDbBackendBehaviour, RefusedUnitWritesNothing) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}, {"v", Str("old")}});
  auto written = backend_->WriteItems(
      scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}, ItemRef{"t", {{"pk", Str("b")}, {"sk", Num("1")}}}},
      [](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
        return Fail(AwsError::Make("TransactionCanceledException", 400, "no"));
      },
      {1000, false});
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(written->ok());
  auto stats = backend_->GetTableStats(scope_, "t");
  EXPECT_EQ(stats->item_count, 1);
}

TEST_P(DynamoDbBackendBehaviour, StreamRecordsFollowCommitsAndSkipNoOps) {
  std::vector<std::string> heard;
  auto subscription = backend_->SubscribeStreams(
      [&](const Scope&, const std::string& table, const StreamRecord& record) { heard.push_back(table + ":" + record.event_name); });
  Item item{{"pk", Str("a")}, {"sk", Num("1")}, {"v", Str("1")}};
  Put(item);
  Put(item);  // identical: no record
  item["v"] = Str("2");
  Put(item);
  auto removed = backend_->WriteItems(
      scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}},
      [](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
        return std::vector<ItemWrite>{{ItemWrite::Kind::Delete, {}}};
      },
      {2000, true});
  ASSERT_TRUE(removed.ok() && removed->ok());
  EXPECT_EQ(heard, (std::vector<std::string>{"t:INSERT", "t:MODIFY", "t:REMOVE"}));

  auto streams = backend_->ListStreams(scope_, "t");
  ASSERT_TRUE(streams.ok() && streams->size() == 1);
  const auto& stream = streams->front();
  auto read = backend_->ReadStream(scope_, stream.arn, stream.shards[0].shard_id, "", 100, 3000);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 3u);
  EXPECT_LT(read->records[0].sequence_number, read->records[1].sequence_number);
  EXPECT_EQ(read->records[1].old_image->at("v").bytes, "1");
  EXPECT_EQ(read->records[1].new_image->at("v").bytes, "2");
  EXPECT_TRUE(read->records[2].by_ttl);
  // Resuming after the second record yields only the third.
  auto rest = backend_->ReadStream(scope_, stream.arn, stream.shards[0].shard_id, read->records[1].sequence_number,
                                   100, 3000);
  ASSERT_TRUE(rest.ok() && rest->records.size() == 1);
  EXPECT_EQ(rest->records[0].event_name, "REMOVE");

  subscription.reset();
  Put(item);
  EXPECT_EQ(heard.size(), 3u);  // the subscription ended with its handle
}

INSTANTIATE_TEST_SUITE_P(Memory, DynamoDbBackendBehaviour,
                         ::testing::Values(BackendFactory([] { return std::make_shared<MemoryDynamoDbBackend>(); })));

}  // namespace
}  // namespace mallard::dynamodb

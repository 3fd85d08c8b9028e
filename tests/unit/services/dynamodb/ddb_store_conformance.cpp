// The DynamoDbStore conformance cases (ddb_store_conformance.hpp says how a store runs them).
#include <gtest/gtest.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <boost/json/serialize.hpp>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "common/ids.hpp"
#include "ddb_store_conformance.hpp"
#include "services/dynamodb/model/ddb_errors.hpp"

namespace mallard::dynamodb::conformance {

TEST_P(DynamoDbStoreConformance, NumericSortKeysOrderNumericallyAndPage) {
  for (const char* sk : {"10", "9", "-1.5", "100", "0.001", "-20"}) Put({{"pk", Str("p")}, {"sk", Num(sk)}});
  Put({{"pk", Str("other")}, {"sk", Num("1")}});
  QueryRequest query;
  query.table = "t";
  query.partition = Str("p");
  auto all = store_->Query(scope_, query);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(SortKeys(*all), (std::vector<std::string>{"-20", "-1.5", "0.001", "9", "10", "100"}));
  EXPECT_FALSE(all->last_evaluated_key);

  query.forward = false;
  query.limit = 4;
  auto first = store_->Query(scope_, query);
  ASSERT_TRUE(first.ok() && first->last_evaluated_key);
  EXPECT_EQ(SortKeys(*first), (std::vector<std::string>{"100", "10", "9", "0.001"}));
  query.exclusive_start_key = first->last_evaluated_key;
  auto second = store_->Query(scope_, query);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(SortKeys(*second), (std::vector<std::string>{"-1.5", "-20"}));

  query = {};
  query.table = "t";
  query.partition = Str("p");
  query.sort = SortCondition{SortOp::Between, Num("-2"), Num("9")};
  EXPECT_EQ(SortKeys(*store_->Query(scope_, query)), (std::vector<std::string>{"-1.5", "0.001", "9"}));
}

TEST_P(DynamoDbStoreConformance, ParallelScanSegmentsPartitionTheTable) {
  for (int i = 0; i < 200; ++i) Put({{"pk", Str("p" + std::to_string(i))}, {"sk", Num("1")}});
  std::multiset<std::string> seen;
  for (int segment = 0; segment < 7; ++segment) {
    ScanRequest scan;
    scan.table = "t";
    scan.segment = segment;
    scan.total_segments = 7;
    scan.limit = 9;
    do {
      auto page = store_->Scan(scope_, scan);
      ASSERT_TRUE(page.ok());
      for (const auto& item : page->items) seen.insert(item.at("pk").bytes);
      scan.exclusive_start_key = page->last_evaluated_key;
    } while (scan.exclusive_start_key);
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 200u);  // each exactly once
}

TEST_P(DynamoDbStoreConformance, SparseKeysOnlyIndexAndStats) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}, {"g", Str("x")}, {"payload", Str("big")}});
  Put({{"pk", Str("b")}, {"sk", Num("1")}, {"payload", Str("not indexed")}});
  QueryRequest query;
  query.table = "t";
  query.index = "by_g";
  query.partition = Str("x");
  auto page = store_->Query(scope_, query);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].count("payload"), 0u);  // KEYS_ONLY
  EXPECT_EQ(page->items[0].at("g").bytes, "x");
  auto stats = store_->GetTableStats(scope_, "t");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->item_count, 2);
  EXPECT_EQ(stats->indexes.at("by_g").item_count, 1);
}

TEST_P(DynamoDbStoreConformance, ConcurrentConditionalIncrementsLoseNothing) {
  Put({{"pk", Str("counter")}, {"sk", Num("0")}, {"n", Num("0")}});
  const Item key{{"pk", Str("counter")}, {"sk", Num("0")}};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      DynamoDbStore& server = w % 2 == 0 ? *store_ : *peer_;
      for (int i = 0; i < 250; ++i) {
        auto written = server.WriteItems(
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
  auto found = store_->GetItems(scope_, {ItemRef{"t", key}});
  ASSERT_TRUE(found.ok() && (*found)[0]);
  EXPECT_EQ((*found)[0]->at("n").number.ToString(), "1000");
}

TEST_P(DynamoDbStoreConformance, RefusedUnitWritesNothing) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}, {"v", Str("old")}});
  auto written = store_->WriteItems(
      scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}, ItemRef{"t", {{"pk", Str("b")}, {"sk", Num("1")}}}},
      [](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
        return Fail(AwsError::Make("TransactionCanceledException", 400, "no"));
      },
      {1000, false});
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(written->ok());
  auto stats = store_->GetTableStats(scope_, "t");
  EXPECT_EQ(stats->item_count, 1);
}

TEST_P(DynamoDbStoreConformance, StreamRecordsFollowCommitsAndSkipNoOps) {
  std::vector<std::string> heard;
  auto subscription = store_->SubscribeStreams(
      [&](const Scope&, const std::string& table, const StreamRecord& record) { heard.push_back(table + ":" + record.event_name); });
  Item item{{"pk", Str("a")}, {"sk", Num("1")}, {"v", Str("1")}};
  Put(item);
  Put(item);  // identical: no record
  item["v"] = Str("2");
  Put(item);
  auto removed = store_->WriteItems(
      scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}},
      [](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
        return std::vector<ItemWrite>{{ItemWrite::Kind::Delete, {}}};
      },
      {2000, true});
  ASSERT_TRUE(removed.ok() && removed->ok());
  EXPECT_EQ(heard, (std::vector<std::string>{"t:INSERT", "t:MODIFY", "t:REMOVE"}));

  auto streams = store_->ListStreams(scope_, "t");
  ASSERT_TRUE(streams.ok() && streams->size() == 1);
  const auto& stream = streams->front();
  auto read = store_->ReadStream(scope_, stream.arn, stream.shards[0].shard_id, "", 100, 3000);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 3u);
  EXPECT_LT(read->records[0].sequence_number, read->records[1].sequence_number);
  EXPECT_EQ(read->records[1].old_image->at("v").bytes, "1");
  EXPECT_EQ(read->records[1].new_image->at("v").bytes, "2");
  EXPECT_TRUE(read->records[2].by_ttl);
  // Resuming after the second record yields only the third.
  auto rest = store_->ReadStream(scope_, stream.arn, stream.shards[0].shard_id, read->records[1].sequence_number,
                                   100, 3000);
  ASSERT_TRUE(rest.ok() && rest->records.size() == 1);
  EXPECT_EQ(rest->records[0].event_name, "REMOVE");

  subscription.reset();
  Put(item);
  EXPECT_EQ(heard.size(), 3u);  // the subscription ended with its handle
}

TEST_P(DynamoDbStoreConformance, TwoServersShareTablesItemsAndStreams) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}, {"v", Str("x")}});
  auto tables = peer_->ListTables(scope_);
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(*tables, std::vector<std::string>{"t"});
  auto found = peer_->GetItems(scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}});
  ASSERT_TRUE(found.ok() && (*found)[0]);
  EXPECT_EQ((*found)[0]->at("v").bytes, "x");
  auto streams = peer_->ListStreams(scope_, "t");
  ASSERT_TRUE(streams.ok() && streams->size() == 1);
  auto read = peer_->ReadStream(scope_, streams->front().arn, streams->front().shards[0].shard_id, "", 10, 3000);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->records.size(), 1u);
  auto latest = peer_->LatestSequence(scope_, streams->front().arn, streams->front().shards[0].shard_id);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, read->records.back().sequence_number);
}

TEST_P(DynamoDbStoreConformance, NumbersKeepTheirExactDecimalForm) {
  const std::vector<std::string> numbers{"12345678901234567890123456789012345678", "-0.000000000000000000000000000000000001",
                                         "9.9999999999999999999999999999999999999E+125", "1E-130", "0.1"};
  for (std::size_t i = 0; i < numbers.size(); ++i)
    Put({{"pk", Str("n")}, {"sk", Num(std::to_string(i))}, {"v", Num(numbers[i])},
         {"set", NumSet(numbers[i])}});
  QueryRequest query;
  query.table = "t";
  query.partition = Str("n");
  auto page = peer_->Query(scope_, query);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), numbers.size());
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(page->items[i].at("v").number.ToString(), Decimal::Parse(numbers[i]).value().ToString());
    EXPECT_TRUE(Equals(page->items[i].at("v"), Num(numbers[i])));
    EXPECT_EQ(page->items[i].at("set").number_set.at(0).ToString(), Decimal::Parse(numbers[i]).value().ToString());
  }
}

TEST_P(DynamoDbStoreConformance, IndexSortKeysBinaryKeysAndBounds) {
  TableDefinition table = MakeTable("bin", false);
  table.keys.sort = KeyElement{"sk", AttrType::B};
  IndexDefinition by_g_s;
  by_g_s.name = "by_g_s";
  by_g_s.keys.partition = {"g", AttrType::S};
  by_g_s.keys.sort = KeyElement{"s", AttrType::N};
  by_g_s.projection.type = ProjectionType::Include;
  by_g_s.projection.non_key_attributes = {"x"};
  table.indexes = {by_g_s};
  ASSERT_TRUE(store_->CreateTable(scope_, table).ok());
  const std::vector<std::string> sort_keys{std::string("\0", 1), std::string("\0\0", 2), std::string("\0\x01", 2), "a", "ab"};
  for (std::size_t i = 0; i < sort_keys.size(); ++i) {
    Item item{{"pk", Str("p")}, {"sk", AttributeValue::Binary(sort_keys[i])}, {"g", Str("G")},
              {"s", Num(std::to_string(10 - static_cast<int>(i)))}, {"x", Str("kept")}, {"y", Str("dropped")}};
    auto written = store_->WriteItems(
        scope_, {ItemRef{"bin", ExtractKey(table.keys, item)}},
        [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
          return std::vector<ItemWrite>{{ItemWrite::Kind::Put, item}};
        },
        {1000, false});
    ASSERT_TRUE(written.ok() && written->ok());
  }
  QueryRequest query;
  query.table = "bin";
  query.partition = Str("p");
  query.sort = SortCondition{SortOp::BeginsWith, AttributeValue::Binary(std::string("\0", 1)), {}};
  auto zeros = store_->Query(scope_, query);
  ASSERT_TRUE(zeros.ok());
  ASSERT_EQ(zeros->items.size(), 3u);
  EXPECT_EQ(zeros->items[1].at("sk").bytes, std::string("\0\0", 2));
  query.sort = SortCondition{SortOp::Le, AttributeValue::Binary(std::string("\0\0", 2)), {}};
  query.forward = false;
  auto reversed = store_->Query(scope_, query);
  ASSERT_TRUE(reversed.ok());
  ASSERT_EQ(reversed->items.size(), 2u);
  EXPECT_EQ(reversed->items[0].at("sk").bytes, std::string("\0\0", 2));

  QueryRequest by_index;
  by_index.table = "bin";
  by_index.index = "by_g_s";
  by_index.partition = Str("G");
  by_index.sort = SortCondition{SortOp::Between, Num("7"), Num("9")};
  auto ranged = store_->Query(scope_, by_index);
  ASSERT_TRUE(ranged.ok());
  ASSERT_EQ(ranged->items.size(), 3u);
  EXPECT_EQ(ranged->items[0].at("s").number.ToString(), "7");
  EXPECT_EQ(ranged->items[0].at("x").bytes, "kept");
  EXPECT_EQ(ranged->items[0].count("y"), 0u);
  by_index.sort.reset();
  by_index.forward = false;
  by_index.limit = 2;
  auto first = store_->Query(scope_, by_index);
  ASSERT_TRUE(first.ok() && first->last_evaluated_key);
  by_index.exclusive_start_key = first->last_evaluated_key;
  auto second = store_->Query(scope_, by_index);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->items[0].at("s").number.ToString(), "8");
}

// Multi-attribute GSI keys: entries ordered by every RANGE attribute in turn (binary values with
// zero bytes too, which the Redis walk must step over to find the item key); a Query fixes a prefix
// of them; pages and scans resume from keys naming every key attribute; a peer server reads the same
// definition back.
TEST_P(DynamoDbStoreConformance, MultiAttributeIndexKeysOrderQueriesAndPages) {
  TableDefinition table = MakeTable("multi", false);
  IndexDefinition composite;
  composite.name = "composite";
  composite.keys.partition = {"a", AttrType::S};
  composite.keys.more_partition = {{"b", AttrType::N}};
  composite.keys.sort = KeyElement{"r", AttrType::N};
  composite.keys.more_sort = {{"s", AttrType::B}, {"t", AttrType::S}};
  table.indexes = {composite};
  ASSERT_TRUE(store_->CreateTable(scope_, table).ok());
  const std::vector<std::string> binaries{std::string("\0", 1), std::string("\0\0", 2), "x"};
  int n = 0;
  for (const char* b : {"1", "2"})
    for (const char* r : {"5", "-1"})
      for (const auto& s : binaries) {
        Item item{{"pk", Str("p" + std::to_string(n))}, {"sk", Num(std::to_string(n))}, {"a", Str("A")},
                  {"b", Num(b)}, {"r", Num(r)}, {"s", AttributeValue::Binary(s)}, {"t", Str("T" + std::to_string(n))}};
        ++n;
        auto written = store_->WriteItems(
            scope_, {ItemRef{"multi", ExtractKey(table.keys, item)}},
            [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
              return std::vector<ItemWrite>{{ItemWrite::Kind::Put, item}};
            },
            {1000, false});
        ASSERT_TRUE(written.ok() && written->ok());
      }
  QueryRequest query;
  query.table = "multi";
  query.index = "composite";
  query.partition = Str("A");
  query.more_partition = {Num("2")};
  auto whole = peer_->Query(scope_, query);
  ASSERT_TRUE(whole.ok());
  std::vector<std::string> order;
  for (const auto& item : whole->items) order.push_back(item.at("t").bytes);
  EXPECT_EQ(order, (std::vector<std::string>{"T9", "T10", "T11", "T6", "T7", "T8"}));  // r -1 first, then s
  query.sort_prefix = {Num("-1")};
  query.sort = SortCondition{SortOp::BeginsWith, AttributeValue::Binary(std::string("\0", 1)), {}};
  query.forward = false;
  query.limit = 1;
  auto first = store_->Query(scope_, query);
  ASSERT_TRUE(first.ok() && first->last_evaluated_key);
  ASSERT_EQ(first->items.size(), 1u);
  EXPECT_EQ(first->items[0].at("t").bytes, "T10");
  EXPECT_EQ(first->last_evaluated_key->size(), 7u);  // pk, sk, a, b, r, s, t
  query.exclusive_start_key = first->last_evaluated_key;
  auto second = store_->Query(scope_, query);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].at("t").bytes, "T9");
  ScanRequest scan;
  scan.table = "multi";
  scan.index = "composite";
  std::size_t scanned = 0;
  for (int pages = 0; pages < 20; ++pages) {
    scan.limit = 5;
    auto page = store_->Scan(scope_, scan);
    ASSERT_TRUE(page.ok());
    scanned += page->items.size();
    if (!page->last_evaluated_key) break;
    scan.exclusive_start_key = page->last_evaluated_key;
  }
  EXPECT_EQ(scanned, 12u);
}

TEST_P(DynamoDbStoreConformance, PagesStopAtTheirByteBudget) {
  const std::string payload(1000, 'x');
  for (int i = 0; i < 50; ++i) Put({{"pk", Str("big")}, {"sk", Num(std::to_string(i))}, {"payload", Str(payload)}});
  QueryRequest query;
  query.table = "t";
  query.partition = Str("big");
  query.max_bytes = 10 * 1024;
  std::set<std::string> seen;
  int pages = 0;
  do {
    auto page = store_->Query(scope_, query);
    ASSERT_TRUE(page.ok());
    ++pages;
    EXPECT_LE(page->items.size(), 11u);
    for (const auto& item : page->items) EXPECT_TRUE(seen.insert(item.at("sk").number.ToString()).second);
    query.exclusive_start_key = page->last_evaluated_key;
  } while (query.exclusive_start_key);
  EXPECT_EQ(seen.size(), 50u);
  EXPECT_GE(pages, 5);
}

TEST_P(DynamoDbStoreConformance, TransactionsAcrossTablesAreAllOrNothing) {
  ASSERT_TRUE(store_->CreateTable(scope_, MakeTable("u", false)).ok());
  const Item in_t{{"pk", Str("a")}, {"sk", Num("1")}};
  const Item in_u{{"pk", Str("b")}, {"sk", Num("2")}};
  auto both = [&](bool refuse) {
    return store_->WriteItems(
        scope_, {ItemRef{"t", in_t}, ItemRef{"u", in_u}},
        [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
          if (refuse) return Fail(AwsError::Make("TransactionCanceledException", 400, "no"));
          if (current[0] || current[1]) return Fail(AwsError::Make("ConditionalCheckFailedException", 400, "exists"));
          return std::vector<ItemWrite>{{ItemWrite::Kind::Put, in_t}, {ItemWrite::Kind::Put, in_u}};
        },
        {1000, false});
  };
  auto refused = both(true);
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->ok());
  auto none = peer_->GetItems(scope_, {ItemRef{"t", in_t}, ItemRef{"u", in_u}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE((*none)[0] || (*none)[1]);
  auto written = both(false);
  ASSERT_TRUE(written.ok() && written->ok());
  auto again = both(false);  // the condition now sees both items
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->ok());
  auto found = peer_->GetItems(scope_, {ItemRef{"t", in_t}, ItemRef{"u", in_u}});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE((*found)[0] && (*found)[1]);
  auto missing = store_->WriteItems(
      scope_, {ItemRef{"t", in_t}, ItemRef{"nope", in_u}},
      [](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> { return std::vector<ItemWrite>(2); },
      {1000, false});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, StoreErrc::TableNotFound);
}

TEST_P(DynamoDbStoreConformance, UpdateTableFillsNewIndexesAndRestartsStreams) {
  for (int i = 0; i < 30; ++i)
    Put({{"pk", Str("p" + std::to_string(i))}, {"sk", Num("1")}, {"h", Str(i % 2 ? "odd" : "even")}});
  IndexDefinition by_h;
  by_h.name = "by_h";
  by_h.keys.partition = {"h", AttrType::S};
  auto updated = store_->UpdateTable(scope_, "t", [&](TableDefinition& table) -> Status<> {
    table.indexes.push_back(by_h);
    table.stream.enabled = false;
    return Done{};
  });
  ASSERT_TRUE(updated.ok() && updated->ok());
  EXPECT_TRUE((*updated)->FindIndex("by_h"));
  QueryRequest query;
  query.table = "t";
  query.index = "by_h";
  query.partition = Str("odd");
  auto odd = peer_->Query(scope_, query);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->items.size(), 15u);
  auto stats = peer_->GetTableStats(scope_, "t");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->indexes.at("by_h").item_count, 30);
  EXPECT_EQ(stats->item_count, 30);

  auto streams = store_->ListStreams(scope_, "t");
  ASSERT_TRUE(streams.ok() && streams->size() == 1);
  EXPECT_EQ(streams->front().status, "DISABLED");
  EXPECT_FALSE(streams->front().shards[0].ending_sequence_number.empty());
  auto old = store_->ReadStream(scope_, streams->front().arn, streams->front().shards[0].shard_id, "", 100, 3000);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->records.size(), 30u);
  EXPECT_TRUE(old->shard_closed);

  auto reenabled = store_->UpdateTable(scope_, "t", [](TableDefinition& table) -> Status<> {
    table.stream = {true, "KEYS_ONLY", "2026-01-02T00:00:00.000"};
    return Done{};
  });
  ASSERT_TRUE(reenabled.ok() && reenabled->ok());
  Put({{"pk", Str("p0")}, {"sk", Num("1")}, {"h", Str("changed")}});
  streams = peer_->ListStreams(scope_, "t");
  ASSERT_TRUE(streams.ok() && streams->size() == 2);
  const auto& current = streams->front().status == "ENABLED" ? streams->front() : streams->back();
  auto fresh = peer_->ReadStream(scope_, current.arn, current.shards[0].shard_id, "", 100, 3000);
  ASSERT_TRUE(fresh.ok());
  ASSERT_EQ(fresh->records.size(), 1u);
  EXPECT_FALSE(fresh->records[0].new_image);  // KEYS_ONLY
  EXPECT_FALSE(fresh->shard_closed);
  query.partition = Str("even");
  EXPECT_EQ(store_->Query(scope_, query)->items.size(), 14u);  // p0 moved to "changed"

  auto dropped = store_->UpdateTable(scope_, "t", [](TableDefinition& table) -> Status<> {
    table.indexes.erase(std::remove_if(table.indexes.begin(), table.indexes.end(),
                                       [](const auto& index) { return index.name == "by_h"; }),
                        table.indexes.end());
    return Done{};
  });
  ASSERT_TRUE(dropped.ok() && dropped->ok());
  auto gone = store_->Query(scope_, query);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, StoreErrc::IndexNotFound);
  auto refused = store_->UpdateTable(scope_, "t", [](TableDefinition&) -> Status<> {
    return Fail(AwsError::Make("ValidationException", 400, "no"));
  });
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->ok());
}

TEST_P(DynamoDbStoreConformance, DeletedTableIsGoneAndARecreatedOneStartsEmpty) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}});
  auto deleted = store_->DeleteTable(scope_, "t");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->name, "t");
  auto missing = peer_->GetTable(scope_, "t");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, StoreErrc::TableNotFound);
  EXPECT_EQ(peer_->DeleteTable(scope_, "t").error().code, StoreErrc::TableNotFound);
  auto streams = store_->ListStreams(scope_, "t");
  ASSERT_TRUE(streams.ok() && streams->size() == 1);  // readable for 24 hours after
  EXPECT_EQ(streams->front().status, "DISABLED");

  TableDefinition again = MakeTable("t", false);
  again.keys.sort = KeyElement{"sk", AttrType::S};
  ASSERT_TRUE(peer_->CreateTable(scope_, again).ok());
  EXPECT_EQ(store_->CreateTable(scope_, again).error().code, StoreErrc::TableExists);
  auto stats = store_->GetTableStats(scope_, "t");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->item_count, 0);
  // The store that wrote under the old key schema now writes under the new one.
  auto written = store_->WriteItems(
      scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Str("s")}}}},
      [](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
        if (current[0]) return Fail(AwsError::Make("ConditionalCheckFailedException", 400, "exists"));
        return std::vector<ItemWrite>{{ItemWrite::Kind::Put, {{"pk", Str("a")}, {"sk", Str("s")}}}};
      },
      {1000, false});
  ASSERT_TRUE(written.ok() && written->ok());
  auto scopes = store_->ListScopes();
  ASSERT_TRUE(scopes.ok());
  EXPECT_EQ(*scopes, std::vector<Scope>{scope_});
}

TEST_P(DynamoDbStoreConformance, BackupsAndPointInTimeRestores) {
  ASSERT_TRUE(store_->UpdateTable(scope_, "t", [](TableDefinition& table) -> Status<> {
                        table.pitr_enabled = true;
                        return Done{};
                      }).ok());
  auto write = [&](const std::string& pk, std::optional<std::string> value, std::int64_t now) {
    auto written = store_->WriteItems(
        scope_, {ItemRef{"t", {{"pk", Str(pk)}, {"sk", Num("1")}}}},
        [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
          if (!value) return std::vector<ItemWrite>{{ItemWrite::Kind::Delete, {}}};
          return std::vector<ItemWrite>{{ItemWrite::Kind::Put, {{"pk", Str(pk)}, {"sk", Num("1")}, {"v", Str(*value)}}}};
        },
        {now, false});
    ASSERT_TRUE(written.ok() && written->ok());
  };
  write("a", "1", 1000);
  write("b", "1", 1000);
  write("a", "2", 2000);
  write("b", std::nullopt, 3000);

  BackupDescription backup;
  backup.arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/backup/1";
  backup.name = "b1";
  backup.table_name = "t";
  auto created = store_->CreateBackup(scope_, backup);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->item_count, 1);
  EXPECT_GT(created->size_bytes, 0);
  auto listed = peer_->ListBackups(scope_);
  ASSERT_TRUE(listed.ok() && listed->size() == 1);
  EXPECT_EQ(listed->front().table.name, "t");

  ASSERT_TRUE(peer_->RestoreTable(scope_, MakeTable("from_backup", false), {backup.arn, "", 0}).ok());
  ASSERT_TRUE(peer_->RestoreTable(scope_, MakeTable("as_of_1500", false), {"", "t", 1500}).ok());
  EXPECT_EQ(peer_->RestoreTable(scope_, MakeTable("t", false), {"", "t", 1500}).error().code, StoreErrc::TableExists);
  auto read = [&](const std::string& table, const std::string& pk) -> std::optional<std::string> {
    auto found = store_->GetItems(scope_, {ItemRef{table, {{"pk", Str(pk)}, {"sk", Num("1")}}}});
    EXPECT_TRUE(found.ok());
    if (!found.ok() || !(*found)[0]) return std::nullopt;
    return (*found)[0]->at("v").bytes;
  };
  EXPECT_EQ(read("from_backup", "a"), "2");
  EXPECT_EQ(read("from_backup", "b"), std::nullopt);
  EXPECT_EQ(read("as_of_1500", "a"), "1");
  EXPECT_EQ(read("as_of_1500", "b"), "1");
  EXPECT_EQ(store_->GetTableStats(scope_, "as_of_1500")->indexes.at("by_g").item_count, 0);

  auto removed = store_->DeleteBackup(scope_, backup.arn);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(peer_->GetBackup(scope_, backup.arn).error().code, StoreErrc::BackupNotFound);
}

TEST_P(DynamoDbStoreConformance, ResetForgetsTablesItemsStreamsAndBackups) {
  Put({{"pk", Str("a")}, {"sk", Num("1")}});
  BackupDescription backup;
  backup.arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/backup/1";
  backup.table_name = "t";
  ASSERT_TRUE(store_->CreateBackup(scope_, backup).ok());
  store_->Reset();
  EXPECT_TRUE(peer_->ListTables(scope_)->empty());
  EXPECT_TRUE(peer_->ListScopes()->empty());
  EXPECT_TRUE(peer_->ListStreams(scope_, "")->empty());
  EXPECT_TRUE(peer_->ListBackups(scope_)->empty());
  ASSERT_TRUE(peer_->CreateTable(scope_, MakeTable("t", false)).ok());
  auto found = peer_->GetItems(scope_, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}});
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE((*found)[0]);
}

// Issue 15: an index added later leaves out items whose key there is empty or too large (the
// writes that made them could not have been refused: the attribute was no key then).
TEST_P(DynamoDbStoreConformance, NewIndexSkipsEmptyAndOversizedKeys) {
  Put({{"pk", Str("good")}, {"sk", Num("1")}, {"h", Str("x")}});
  Put({{"pk", Str("empty")}, {"sk", Num("1")}, {"h", Str("")}});
  Put({{"pk", Str("huge")}, {"sk", Num("1")}, {"h", Str(std::string(2049, 'x'))}});
  Put({{"pk", Str("range")}, {"sk", Num("1")}, {"h", Str("x")}, {"r", Str(std::string(1025, 'r'))}});
  IndexDefinition by_h;
  by_h.name = "by_h";
  by_h.keys.partition = {"h", AttrType::S};
  IndexDefinition by_h_r = by_h;
  by_h_r.name = "by_h_r";
  by_h_r.keys.sort = KeyElement{"r", AttrType::S};
  auto updated = store_->UpdateTable(scope_, "t", [&](TableDefinition& table) -> Status<> {
    table.indexes.push_back(by_h);
    table.indexes.push_back(by_h_r);
    return Done{};
  });
  ASSERT_TRUE(updated.ok() && updated->ok());
  ScanRequest scan;
  scan.table = "t";
  scan.index = "by_h";
  auto page = peer_->Scan(scope_, scan);
  ASSERT_TRUE(page.ok());
  std::set<std::string> found;
  for (const auto& item : page->items) found.insert(item.at("pk").bytes);
  EXPECT_EQ(found, (std::set<std::string>{"good", "range"}));
  scan.index = "by_h_r";
  page = peer_->Scan(scope_, scan);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->items.empty());
  auto stats = peer_->GetTableStats(scope_, "t");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->indexes.at("by_h").item_count, 2);
  EXPECT_EQ(stats->indexes.at("by_h_r").item_count, 0);
}

// Issue 15: the table state added for resource policies, SSE, warm throughput and the PITR window
// is kept by every store (a second server sees it) and goes with the table.
TEST_P(DynamoDbStoreConformance, KeepsPoliciesSseWarmThroughputAndRecoveryPeriod) {
  auto updated = store_->UpdateTable(scope_, "t", [&](TableDefinition& table) -> Status<> {
    table.policies[""] = {R"({"Version":"2012-10-17"})", "1000"};
    table.policies["2026-01-01T00:00:00.000"] = {"{}", "2000"};
    table.sse_kms_key_arn = "arn:aws:kms:us-east-1:000000000000:key/k";
    table.warm = {15000, 5000};
    table.indexes[0].warm = {13000, 0};
    table.pitr_recovery_days = 7;
    return Done{};
  });
  ASSERT_TRUE(updated.ok() && updated->ok());
  auto seen = peer_->GetTable(scope_, "t");
  ASSERT_TRUE(seen.ok());
  ASSERT_EQ(seen->policies.size(), 2u);
  EXPECT_EQ(seen->policies.at("").document, R"({"Version":"2012-10-17"})");
  EXPECT_EQ(seen->policies.at("").revision_id, "1000");
  EXPECT_EQ(seen->policies.at("2026-01-01T00:00:00.000").revision_id, "2000");
  EXPECT_EQ(seen->sse_kms_key_arn, "arn:aws:kms:us-east-1:000000000000:key/k");
  EXPECT_EQ(seen->warm.read_units_per_second, 15000);
  EXPECT_EQ(seen->warm.write_units_per_second, 5000);
  EXPECT_EQ(seen->indexes[0].warm.read_units_per_second, 13000);
  EXPECT_EQ(seen->pitr_recovery_days, 7);
  ASSERT_TRUE(store_->DeleteTable(scope_, "t").ok());
  ASSERT_TRUE(store_->CreateTable(scope_, MakeTable("t", false)).ok());
  auto fresh = peer_->GetTable(scope_, "t");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->policies.empty());
  EXPECT_EQ(fresh->pitr_recovery_days, 35);
}


// ---- A seeded random run against a model --------------------------------------------------------
// Write units of one to four distinct items (puts of random items of every type, deletes, keeps,
// and refused units) against a plain map of the expected items; after each unit the store's reads
// (GetItems, the unit's old images, Query both ways with sort conditions, the KEYS_ONLY index, a
// paged Scan, the table's item count and byte size) must say what the model says; tables restored
// from backups taken along the way must hold what the model held then.
// MALLARD_DDB_STORE_SEED=n replays a run.
namespace {

class RandomItemMaker {
 public:
  explicit RandomItemMaker(std::uint64_t seed) : random_(seed) {}
  int Below(int bound) { return static_cast<int>(random_() % static_cast<std::uint64_t>(bound)); }

  AttributeValue Value(int depth) {
    switch (Below(depth > 2 ? 6 : 9)) {
      case 0: return Str(std::string(static_cast<std::size_t>(Below(40)), static_cast<char>('a' + Below(26))) + "é");
      case 1: return Num((Below(2) ? "-" : "") + std::to_string(Below(1000000)) + "." + std::to_string(Below(100)) + "e" +
                         std::to_string(Below(60) - 30));
      case 2: return AttributeValue::Binary(std::string(static_cast<std::size_t>(Below(20)), static_cast<char>(Below(256))));
      case 3: return AttributeValue::Bool(Below(2) == 1);
      case 4: return AttributeValue::Null();
      case 5: {
        AttributeValue set;
        set.type = AttrType::SS;
        for (int i = 0, n = 1 + Below(4); i < n; ++i) set.byte_set.push_back("m" + std::to_string(i * 7 + Below(7)));
        return set;
      }
      case 6: {
        std::vector<AttributeValue> list;
        for (int i = 0, n = Below(4); i < n; ++i) list.push_back(Value(depth + 1));
        return AttributeValue::List(std::move(list));
      }
      default: {
        AttributeMap map;
        for (int i = 0, n = Below(4); i < n; ++i) map.insert_or_assign("k" + std::to_string(Below(9)), Value(depth + 1));
        return AttributeValue::Map(std::move(map));
      }
    }
  }

  Item ItemFor(const std::string& pk, int sk) {
    Item item{{"pk", Str(pk)}, {"sk", Num(std::to_string(sk))}};
    if (Below(3) != 0) item.insert_or_assign("g", Str("g" + std::to_string(Below(3))));
    for (int i = 0, n = Below(6); i < n; ++i) item.insert_or_assign("a" + std::to_string(Below(10)), Value(0));
    return item;
  }

 private:
  std::mt19937_64 random_;
};

std::string JsonOf(const Item& item) { return boost::json::serialize(MapToJson(item)); }

std::vector<std::string> JsonsOf(const std::vector<Item>& items) {
  std::vector<std::string> texts;
  for (const auto& item : items) texts.push_back(JsonOf(item));
  return texts;
}

}  // namespace

TEST_P(DynamoDbStoreConformance, RandomWriteUnitsReadBackAsAModelSays) {
  const char* seed_text = std::getenv("MALLARD_DDB_STORE_SEED");
  const std::uint64_t seed = seed_text ? std::strtoull(seed_text, nullptr, 10) : std::random_device{}();
  SCOPED_TRACE("MALLARD_DDB_STORE_SEED=" + std::to_string(seed));
  RandomItemMaker maker(seed);
  const std::vector<std::string> partitions = {"a", "b", "c"};
  constexpr int kSortKeys = 8;
  std::map<std::pair<std::string, int>, Item> model;  // (pk, sk) -> item; sk order is numeric order here
  auto key_of = [](const std::string& pk, int sk) { return Item{{"pk", Str(pk)}, {"sk", Num(std::to_string(sk))}}; };
  std::vector<std::pair<std::string, std::multiset<std::string>>> backups;  // (ARN, the items it must hold)
  auto scan_all = [&](const std::string& table) {
    std::multiset<std::string> scanned;
    std::optional<Item> start;
    do {
      ScanRequest scan;
      scan.table = table;
      scan.limit = 3;
      scan.exclusive_start_key = start;
      auto page = store_->Scan(scope_, scan);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      for (const auto& item : page->items) scanned.insert(JsonOf(item));
      start = page->last_evaluated_key;
    } while (start);
    return scanned;
  };

  for (int step = 0; step < 300; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    // One to four distinct keys (DynamoDB refuses a unit that names an item twice).
    std::set<std::pair<std::string, int>> chosen;
    for (int i = 0, n = 1 + maker.Below(4); i < n; ++i)
      chosen.emplace(partitions[static_cast<std::size_t>(maker.Below(3))], maker.Below(kSortKeys));
    std::vector<std::pair<std::string, int>> keys(chosen.begin(), chosen.end());
    std::vector<ItemRef> refs;
    std::vector<ItemWrite> writes;
    for (const auto& [pk, sk] : keys) {
      refs.push_back(ItemRef{"t", key_of(pk, sk)});
      ItemWrite write;
      const int kind = maker.Below(10);
      write.kind = kind < 6 ? ItemWrite::Kind::Put : kind < 9 ? ItemWrite::Kind::Delete : ItemWrite::Kind::Keep;
      if (write.kind == ItemWrite::Kind::Put) write.item = maker.ItemFor(pk, sk);
      writes.push_back(std::move(write));
    }
    const bool refuse = maker.Below(10) == 0;
    std::vector<std::string> seen_by_decider;
    auto written = store_->WriteItems(
        scope_, refs,
        [&](const std::vector<const Item*>& current) -> Result<std::vector<ItemWrite>> {
          for (const Item* item : current) seen_by_decider.push_back(item ? JsonOf(*item) : "absent");
          if (refuse) return Fail(errors::ConditionalCheckFailed());
          return writes;
        },
        {1000 + step, false});
    ASSERT_TRUE(written.ok()) << written.error().detail;
    std::vector<std::string> expected_before;
    for (const auto& key : keys) expected_before.push_back(model.count(key) ? JsonOf(model.at(key)) : "absent");
    ASSERT_EQ(seen_by_decider, expected_before) << "the decider saw other items than the model holds";
    if (refuse) {
      ASSERT_FALSE(written->ok());
    } else {
      ASSERT_TRUE(written->ok());
      std::vector<std::string> old_images;
      for (const auto& old : (*written)->old_items) old_images.push_back(old ? JsonOf(*old) : "absent");
      ASSERT_EQ(old_images, expected_before) << "the unit's old images";
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (writes[i].kind == ItemWrite::Kind::Put) model[keys[i]] = writes[i].item;
        if (writes[i].kind == ItemWrite::Kind::Delete) model.erase(keys[i]);
      }
    }
    auto got = store_->GetItems(scope_, refs);
    ASSERT_TRUE(got.ok());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ASSERT_EQ((*got)[i] ? JsonOf(*(*got)[i]) : "absent", model.count(keys[i]) ? JsonOf(model.at(keys[i])) : "absent");
    }
    if (step % 10 != 9) continue;

    // A partition, both ways, under a random sort condition.
    QueryRequest query;
    query.table = "t";
    const std::string pk = partitions[static_cast<std::size_t>(maker.Below(3))];
    query.partition = Str(pk);
    const int bound = maker.Below(kSortKeys);
    const bool with_condition = maker.Below(2) == 0;
    if (with_condition) query.sort = SortCondition{SortOp::Ge, Num(std::to_string(bound)), {}};
    query.forward = maker.Below(2) == 0;
    std::vector<Item> expected;
    for (const auto& [key, item] : model)
      if (key.first == pk && (!with_condition || key.second >= bound)) expected.push_back(item);
    if (!query.forward) std::reverse(expected.begin(), expected.end());
    auto page = store_->Query(scope_, query);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(JsonsOf(page->items), JsonsOf(expected)) << "Query " << pk << (query.forward ? " forward" : " backward");

    // The KEYS_ONLY index: each item with a `g`, as (g, pk, sk).
    std::multiset<std::string> expected_entries;
    for (const auto& [key, item] : model)
      if (item.count("g")) expected_entries.insert(JsonOf({{"g", item.at("g")}, {"pk", item.at("pk")}, {"sk", item.at("sk")}}));
    std::multiset<std::string> index_entries;
    for (int g = 0; g < 3; ++g) {
      QueryRequest by_g;
      by_g.table = "t";
      by_g.index = "by_g";
      by_g.partition = Str("g" + std::to_string(g));
      auto entries = store_->Query(scope_, by_g);
      ASSERT_TRUE(entries.ok());
      for (const auto& entry : entries->items) index_entries.insert(JsonOf(entry));
    }
    ASSERT_EQ(index_entries, expected_entries) << "the index";

    // The whole table in pages of three, and its stats.
    std::multiset<std::string> modelled;
    std::int64_t model_bytes = 0;
    for (const auto& [key, item] : model) {
      modelled.insert(JsonOf(item));
      model_bytes += static_cast<std::int64_t>(ItemSize(item));
    }
    ASSERT_EQ(scan_all("t"), modelled) << "Scan";
    auto stats = store_->GetTableStats(scope_, "t");
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->item_count, static_cast<std::int64_t>(model.size()));
    EXPECT_EQ(stats->size_bytes, model_bytes) << "the table's byte count drifted from its items'";
    EXPECT_EQ(stats->indexes.at("by_g").item_count, static_cast<std::int64_t>(expected_entries.size()));

    // Now and then a backup, restored at the end: each must hold the table as it was.
    if (step % 100 == 99) {
      BackupDescription backup;
      backup.arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/backup/" + std::to_string(step);
      backup.name = "random" + std::to_string(step);
      backup.table_name = "t";
      ASSERT_TRUE(store_->CreateBackup(scope_, backup).ok());
      backups.emplace_back(backup.arn, modelled);
    }
  }
  for (std::size_t i = 0; i < backups.size(); ++i) {
    const std::string restored = "restored" + std::to_string(i);
    ASSERT_TRUE(store_->RestoreTable(scope_, MakeTable(restored, false), {backups[i].first, "", 0}).ok());
    EXPECT_EQ(scan_all(restored), backups[i].second) << "the table restored from " << backups[i].first;
  }
}

}  // namespace mallard::dynamodb::conformance

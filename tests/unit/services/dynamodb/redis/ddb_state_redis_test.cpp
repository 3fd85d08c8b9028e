// DynamoDB snapshots on the Redis store (ctest's dynamodb_state_redis runs these under
// tests/support/with_redis.sh, which sets MALLARD_TEST_REDIS; without it they skip). The seeded
// random scopes of ddb_state_fixture.hpp go memory → Redis → memory and, built on Redis itself,
// Redis → cleared → Redis → memory: every save must equal the first record for record, and every
// store must answer the same (Observe: scans of tables and indexes, items, statistics, streams with
// their records, backups, restores from each backup and a point-in-time restore). Each store has a
// key prefix of its own; the test checks that an export leaves no hold on the scope behind and that
// a cleared scope leaves nothing but the store's counters. Then the hold itself: writers wait while
// a large export reads and the export is one moment; a small export holds nothing; an export that
// pauses past its lease fails; a dead exporter's hold lapses by itself.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <thread>

#include "infra/redis/redis_connection.hpp"
#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "services/dynamodb/redis/redis_dynamodb_store.hpp"
#include "../ddb_state_fixture.hpp"

namespace mallard::dynamodb {
namespace {
using namespace state_fixture;

struct RedisUnderTest {
  std::shared_ptr<RedisDynamoDbStore> store;
  std::shared_ptr<redis::RedisPool> pool;  // the same Redis, for looking at the keys
  std::string prefix;                      // every key of the store starts with it

  // Keys of the store other than the ones named, sorted.
  std::vector<std::string> KeysBesides(const std::vector<std::string>& expected_suffixes) const {
    std::vector<std::string> found;
    std::string cursor = "0";
    do {
      auto reply = pool->Run({"SCAN", cursor, "MATCH", redis::GlobEscape(prefix) + "*", "COUNT", "1000"});
      if (!reply || reply->elements.size() != 2) return {"SCAN failed"};
      cursor = reply->elements[0].AsText();
      for (const auto& key : reply->elements[1].elements) {
        const std::string suffix = key.text.substr(prefix.size());
        if (std::find(expected_suffixes.begin(), expected_suffixes.end(), suffix) == expected_suffixes.end())
          found.push_back(suffix);
      }
    } while (cursor != "0");
    std::sort(found.begin(), found.end());
    return found;
  }
  std::vector<std::string> ExportHolds() const {
    std::vector<std::string> holds;
    for (auto& key : KeysBesides({}))
      if (key.size() > 10 && key.compare(key.size() - 10, 10, ":exporting") == 0) holds.push_back(key);
    return holds;
  }
  ~RedisUnderTest() {
    if (store) store->Reset();
  }
};

// Seeds take turns: the default reads (small collections come back in the snapshot script's reply),
// every collection read in pages of a few elements (the scope held meanwhile), and a mix (a small
// inline budget runs out part-way through the scope).
RedisDynamoDbStore::ExportTuning TuningFor(unsigned seed) {
  switch (seed % 3) {
    case 1: return {0, 0, 3};
    case 2: return {15, 40, 4};
    default: return {};
  }
}

std::unique_ptr<RedisUnderTest> RedisStore(RedisDynamoDbStore::ExportTuning tuning = {}) {
  const char* url = std::getenv("MALLARD_TEST_REDIS");
  if (url == nullptr) return nullptr;
  auto endpoint = redis::ParseRedisUrl(url);
  if (!endpoint) return nullptr;
  endpoint->key_prefix = "ddbstate-" + RandomHex(8) + ":";
  auto redis = std::make_unique<RedisUnderTest>();
  redis->store = std::make_shared<RedisDynamoDbStore>(*endpoint);
  redis->store->SetExportTuning(tuning);
  redis->pool = std::make_shared<redis::RedisPool>(*endpoint);
  redis->prefix = endpoint->key_prefix;
  return redis;
}

#define SKIP_WITHOUT_REDIS()                  \
  if (std::getenv("MALLARD_TEST_REDIS") == nullptr) \
  GTEST_SKIP() << "MALLARD_TEST_REDIS is not set (ctest's dynamodb_state_redis sets it)"

constexpr unsigned kSeeds = 40;

TEST(DynamoDbStateRedis, MemorySnapshotsLoadIntoRedisAndBackUnchanged) {
  SKIP_WITHOUT_REDIS();
  for (unsigned seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator gen(seed);
    auto memory = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState memory_state(memory);
    const std::int64_t pitr_point = BuildState(*memory, gen);
    const auto saved = SaveAll(memory_state);
    const std::string observed = Observe(*memory, pitr_point, false);

    auto redis = RedisStore(TuningFor(seed));
    ASSERT_TRUE(redis);
    DynamoDbState redis_state(redis->store);
    auto loaded = LoadAll(redis_state, saved);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    const auto saved_from_redis = SaveAll(redis_state);
    EXPECT_EQ(saved_from_redis, saved);
    EXPECT_EQ(redis->ExportHolds(), std::vector<std::string>{});
    EXPECT_EQ(FirstDifference(observed, Observe(*redis->store, pitr_point, false)), "");

    auto back = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState back_state(back);
    loaded = LoadAll(back_state, saved_from_redis);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(SaveAll(back_state), saved);
    EXPECT_EQ(FirstDifference(observed, Observe(*back, pitr_point, false)), "");
  }
}

TEST(DynamoDbStateRedis, RedisStateSurvivesSaveClearLoadAndMovesToMemory) {
  SKIP_WITHOUT_REDIS();
  for (unsigned seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator gen(seed);
    auto redis = RedisStore(TuningFor(seed));
    ASSERT_TRUE(redis);
    DynamoDbState state(redis->store);
    const std::int64_t pitr_point = BuildState(*redis->store, gen);
    const auto saved = SaveAll(state);
    const std::string observed = Observe(*redis->store, pitr_point, false);

    ASSERT_TRUE(state.Clear(kStateScope).ok());
    EXPECT_TRUE(state.Scopes().value().empty());
    EXPECT_TRUE(redis->store->ListTables(kScope).value().empty());
    EXPECT_EQ(redis->KeysBesides({"ddb:seq:id", "ddb:seq:stream"}), std::vector<std::string>{});
    auto loaded = LoadAll(state, saved);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(state.Scopes().value().size(), 1u);
    EXPECT_EQ(SaveAll(state), saved);
    EXPECT_EQ(FirstDifference(observed, Observe(*redis->store, pitr_point, false)), "");

    auto memory = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState memory_state(memory);
    loaded = LoadAll(memory_state, saved);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    EXPECT_EQ(SaveAll(memory_state), saved);
    EXPECT_EQ(FirstDifference(observed, Observe(*memory, pitr_point, false)), "");
  }
}

TEST(DynamoDbStateRedis, WritesAfterLoadIntoAFreshRedisContinueTheStream) {
  SKIP_WITHOUT_REDIS();
  Generator gen(7);
  auto memory = std::make_shared<MemoryDynamoDbStore>();
  DynamoDbState memory_state(memory);
  BuildState(*memory, gen);
  const auto saved = SaveAll(memory_state);
  auto redis = RedisStore();  // its sequence counter starts at zero
  ASSERT_TRUE(redis);
  DynamoDbState state(redis->store);
  ASSERT_TRUE(LoadAll(state, saved).ok());
  const auto names = Must(redis->store->ListTables(kScope), "ListTables");
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    auto table = Must(redis->store->GetTable(kScope, name), "GetTable");
    const auto arn = table.arn + "/stream/" + table.stream.label;
    auto described = Must(redis->store->DescribeStream(kScope, arn), "DescribeStream");
    const auto shard = described.shards.front().shard_id;
    auto before = Must(redis->store->ReadStream(kScope, arn, shard, "", 1000, WallClockMillis()), "ReadStream");
    Write(*redis->store, table, RandomItem(gen, table), false, WallClockMillis());
    const std::string after = before.records.empty() ? "" : before.records.back().sequence_number;
    auto read = Must(redis->store->ReadStream(kScope, arn, shard, after, 10, WallClockMillis()), "ReadStream");
    ASSERT_EQ(read.records.size(), 1u) << name;
    if (!after.empty()) EXPECT_GT(ParseSequence(read.records[0].sequence_number), ParseSequence(after)) << name;
  }
}

// History written before entries named an absent item's key ("millis|hex key|") exports the same:
// the key comes from the item's next image (a later entry's, or the item as it is now).
TEST(DynamoDbStateRedis, OldHistoryEntriesWithoutKeysExportTheirKeys) {
  SKIP_WITHOUT_REDIS();
  std::size_t rewritten = 0;
  for (unsigned seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Generator gen(seed);
    auto redis = RedisStore(TuningFor(seed));
    ASSERT_TRUE(redis);
    DynamoDbState state(redis->store);
    BuildState(*redis->store, gen);
    const auto saved = SaveAll(state);
    auto versions = redis->pool->Run({"HGETALL", redis->prefix + "ddb:s:" + kScope.account + ":" + kScope.region + ":versions"});
    ASSERT_TRUE(versions);
    for (std::size_t i = 0; i + 1 < versions->elements.size(); i += 2) {
      const std::string& version = versions->elements[i + 1].text;
      const std::string history = redis->prefix + "ddb:t:" + version.substr(0, version.find(':')) + ":history";
      auto entries = redis->pool->Run({"LRANGE", history, "0", "-1"});
      ASSERT_TRUE(entries);
      if (entries->elements.empty()) continue;
      std::vector<std::string> command{"RPUSH", history};
      for (const auto& entry : entries->elements) {
        const auto image = entry.text.find('|', entry.text.find('|') + 1) + 1;
        const bool absent_with_key = entry.text.compare(image, 1, "~") == 0;
        rewritten += absent_with_key ? 1 : 0;
        command.push_back(absent_with_key ? entry.text.substr(0, image) : entry.text);
      }
      ASSERT_TRUE(redis->pool->Run({"DEL", history}));
      ASSERT_TRUE(redis->pool->Run(command));
    }
    EXPECT_EQ(SaveAll(state), saved);
  }
  EXPECT_GT(rewritten, 100u);  // the seeds do create items while PITR is on
}

// A snapshot's table replaces the live one whole (items, indexes, history, streams), and only it.
TEST(DynamoDbStateRedis, ALoadedTableReplacesTheLiveOneWhole) {
  SKIP_WITHOUT_REDIS();
  Generator gen(11);
  auto redis = RedisStore();
  ASSERT_TRUE(redis);
  DynamoDbState state(redis->store);
  const std::int64_t now = WallClockMillis();
  TableDefinition kept = MakeTable(gen, 1, now);
  TableDefinition replaced = MakeTable(gen, 2, now);
  ASSERT_TRUE(redis->store->CreateTable(kScope, kept));
  ASSERT_TRUE(redis->store->CreateTable(kScope, replaced));
  for (int i = 0; i < 30; ++i) Write(*redis->store, kept, RandomItem(gen, kept), false, now);
  const std::string kept_scan = ScanText(*redis->store, kept.name, "") + ScanText(*redis->store, kept.name, "by-g");

  // The snapshot holds only `replaced`, with other items (from a memory store).
  auto memory = std::make_shared<MemoryDynamoDbStore>();
  DynamoDbState memory_state(memory);
  ASSERT_TRUE(memory->CreateTable(kScope, replaced));
  for (int i = 0; i < 20; ++i) Write(*memory, replaced, RandomItem(gen, replaced), false, now);
  const auto snapshot = SaveAll(memory_state);
  for (int i = 0; i < 25; ++i) Write(*redis->store, replaced, RandomItem(gen, replaced), i % 4 == 0, now);

  ASSERT_TRUE(LoadAll(state, snapshot).ok());
  EXPECT_EQ(ScanText(*redis->store, replaced.name, ""), ScanText(*memory, replaced.name, ""));
  EXPECT_EQ(ScanText(*redis->store, replaced.name, "by-g"), ScanText(*memory, replaced.name, "by-g"));
  auto stats = Must(redis->store->GetTableStats(kScope, replaced.name), "GetTableStats");
  auto expected = Must(memory->GetTableStats(kScope, replaced.name), "GetTableStats");
  EXPECT_EQ(stats.item_count, expected.item_count);
  EXPECT_EQ(stats.size_bytes, expected.size_bytes);
  EXPECT_EQ(stats.indexes["by-g"].item_count, expected.indexes["by-g"].item_count);
  EXPECT_EQ(stats.indexes["by-g"].size_bytes, expected.indexes["by-g"].size_bytes);
  EXPECT_EQ(ScanText(*redis->store, kept.name, "") + ScanText(*redis->store, kept.name, "by-g"), kept_scan);
  EXPECT_EQ(Must(redis->store->ListStreams(kScope, replaced.name), "ListStreams").size(), 1u);
}

// ---- The hold on the scope while a large export reads -------------------------------------------

// Exports the scope, calling `on_item` before the visitor takes each item (its number from 0).
Status<std::string> ExportWith(DynamoDbStore& store, std::vector<Item>& items, const std::function<void(std::size_t)>& on_item,
                               StoreErrc* error = nullptr) {
  ScopeExportVisitor visit;
  auto ok = [](const auto&) { return ScopeExportVisitor::VisitStatus(Done{}); };
  visit.table = ok;
  visit.pitr_change = ok;
  visit.stream = ok;
  visit.backup = ok;
  visit.backup_item = ok;
  visit.item = [&](const Item& item) {
    on_item(items.size());
    items.push_back(item);
    return ScopeExportVisitor::VisitStatus(Done{});
  };
  auto exported = store.ExportScope(kScope, WallClockMillis(), visit);
  if (!exported) {
    if (error) *error = exported.error().code;
    return Fail(exported.error().detail);
  }
  return std::move(exported).value();
}

// A table of `count` items, written through the store.
TableDefinition SmallTable(DynamoDbStore& store, Generator& gen, int count) {
  TableDefinition table = MakeTable(gen, 1, WallClockMillis());
  EXPECT_TRUE(store.CreateTable(kScope, table));
  for (int i = 0; i < count; ++i) {
    Item item = RandomItem(gen, table);
    item["pk"] = AttributeValue::String("item-" + std::to_string(i));
    Write(store, table, item, false, WallClockMillis());
  }
  return table;
}

TEST(DynamoDbStateRedis, WritesWaitWhileALargeExportReadsAndItIsOneMoment) {
  SKIP_WITHOUT_REDIS();
  Generator gen(3);
  auto redis = RedisStore({0, 0, 2, 30000});  // every collection paged, two items per read
  ASSERT_TRUE(redis);
  const TableDefinition table = SmallTable(*redis->store, gen, 12);
  const std::string before = ScanText(*redis->store, table.name, "");
  std::atomic<bool> written{false};
  std::thread writer;
  std::vector<Item> exported;
  auto status = ExportWith(*redis->store, exported, [&](std::size_t number) {
    if (number == 0) {
      writer = std::thread([&] {
        Item added = RandomItem(gen, table);
        added["pk"] = AttributeValue::String("written-during-the-export");
        Write(*redis->store, table, added, false, WallClockMillis());
        written = true;
      });
    }
    if (number == 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(written.load()) << "a write went through while the export held the scope";
  });
  if (writer.joinable()) writer.join();
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_TRUE(written.load());
  EXPECT_EQ(ItemsText(exported), before);  // the moment the export began
  EXPECT_EQ(redis->ExportHolds(), std::vector<std::string>{});
  EXPECT_NE(ScanText(*redis->store, table.name, ""), before);  // and the write is there now
}

TEST(DynamoDbStateRedis, ASmallExportHoldsNothing) {
  SKIP_WITHOUT_REDIS();
  Generator gen(4);
  auto redis = RedisStore();  // default limits: the whole scope comes back in one reply
  ASSERT_TRUE(redis);
  const TableDefinition table = SmallTable(*redis->store, gen, 5);
  const std::string before = ScanText(*redis->store, table.name, "");
  std::atomic<bool> written{false};
  std::vector<Item> exported;
  auto status = ExportWith(*redis->store, exported, [&](std::size_t number) {
    if (number != 0) return;
    std::thread([&] {
      Item added = RandomItem(gen, table);
      added["pk"] = AttributeValue::String("written-during-the-export");
      Write(*redis->store, table, added, false, WallClockMillis());
      written = true;
    }).join();  // would never return if the export held the scope
  });
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_TRUE(written.load());
  EXPECT_EQ(ItemsText(exported), before);
}

TEST(DynamoDbStateRedis, AnExportPausingPastItsLeaseFails) {
  SKIP_WITHOUT_REDIS();
  Generator gen(5);
  auto redis = RedisStore({0, 0, 1, 200});
  ASSERT_TRUE(redis);
  SmallTable(*redis->store, gen, 4);
  std::vector<Item> exported;
  StoreErrc code = StoreErrc::Conflict;
  auto status = ExportWith(*redis->store, exported, [&](std::size_t number) {
    if (number == 1) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }, &code);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(code, StoreErrc::Unavailable);
  EXPECT_NE(status.error().find("paused longer"), std::string::npos) << status.error();
}

TEST(DynamoDbStateRedis, ADeadExportersHoldLapsesByItself) {
  SKIP_WITHOUT_REDIS();
  Generator gen(6);
  auto redis = RedisStore();
  ASSERT_TRUE(redis);
  const TableDefinition table = SmallTable(*redis->store, gen, 1);
  // An exporter that took the scope and died: its lease runs out after 400 ms.
  const std::string guard = redis->prefix + "ddb:s:" + kScope.account + ":" + kScope.region + ":exporting";
  ASSERT_TRUE(redis->pool->Run({"SADD", guard, "dead-export"}));
  ASSERT_TRUE(redis->pool->Run({"PEXPIRE", guard, "400"}));
  const auto started = std::chrono::steady_clock::now();
  Write(*redis->store, table, RandomItem(gen, table), false, WallClockMillis());
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

}  // namespace
}  // namespace mallard::dynamodb

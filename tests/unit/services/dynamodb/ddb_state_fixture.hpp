#pragma once
// Shared by the DynamoDB snapshot tests (ddb_state_test.cpp on the memory store,
// redis/ddb_state_redis_test.cpp on Redis and across stores): a seeded random scope built through
// the store API — tables with GSIs and LSIs, exact decimals, binary, sets, nested maps, PITR
// history, streams with records (and a retained closed stream), TTL, backups, a deleted table's
// streams — saving and loading through DynamoDbState, and Observe(): everything the store answers
// about the scope, as text.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "common/ids.hpp"
#include "services/dynamodb/ddb_state.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"

namespace mallard::dynamodb::state_fixture {
namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

inline const Scope kScope{"123456789012", "eu-west-1"};
inline const StateScope kStateScope{"123456789012", "eu-west-1"};

inline AttributeValue Parse(const std::string& text) {
  auto value = ValueFromJson(json::parse(text));
  EXPECT_TRUE(value.ok()) << text;
  return std::move(value).value();
}

struct Generator {
  explicit Generator(unsigned seed) : rng(seed) {}
  std::mt19937 rng;
  int Int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng); }

  std::string Number() {
    // Exact decimals that a double would round: many digits, both signs, big and small exponents.
    std::string digits;
    const int length = Int(1, 30);
    for (int i = 0; i < length; ++i) digits += static_cast<char>('0' + Int(i == 0 ? 1 : 0, 9));
    std::string text = (Int(0, 1) ? "-" : "") + digits;
    if (Int(0, 1) && length > 1) text.insert(text.size() - static_cast<std::size_t>(Int(1, length - 1)), ".");
    if (Int(0, 3) == 0) text += "E" + std::to_string(Int(-20, 20));
    return text;
  }
  std::string Binary() {
    std::string raw;
    for (int i = Int(1, 12); i > 0; --i) raw += static_cast<char>(Int(0, 255));
    return raw;
  }
  AttributeValue Value(int depth) {
    switch (Int(0, depth > 2 ? 5 : 8)) {
      case 0: return AttributeValue::String("s" + std::to_string(Int(0, 1000)) + "\xc3\xa9");
      case 1: return Parse("{\"N\":\"" + Number() + "\"}");
      case 2: return AttributeValue::Binary(Binary());
      case 3: return AttributeValue::Bool(Int(0, 1) == 1);
      case 4: return AttributeValue::Null();
      case 5: {
        json::array set;
        for (int i = Int(1, 4); i > 0; --i) set.push_back(json::string("m" + std::to_string(i)));
        return Parse(json::serialize(json::object{{"SS", set}}));
      }
      case 6: {
        json::array set;
        for (int i = Int(1, 4); i > 0; --i) set.push_back(json::string(std::to_string(i) + ".5"));
        return Parse(json::serialize(json::object{{"NS", set}}));
      }
      case 7: {
        std::vector<AttributeValue> list;
        for (int i = Int(0, 3); i > 0; --i) list.push_back(Value(depth + 1));
        return AttributeValue::List(std::move(list));
      }
      default: {
        AttributeMap map;
        for (int i = Int(0, 3); i > 0; --i) map["k" + std::to_string(i)] = Value(depth + 1);
        return AttributeValue::Map(std::move(map));
      }
    }
  }
};

inline TableDefinition MakeTable(Generator& gen, int number, std::int64_t now) {
  TableDefinition table;
  table.name = "table-" + std::to_string(number);
  table.table_id = RandomHex(16);
  table.arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/" + table.name;
  table.keys.partition = {"pk", AttrType::S};
  table.attribute_definitions["pk"] = AttrType::S;
  if (gen.Int(0, 1)) {
    table.keys.sort = KeyElement{"sk", AttrType::N};
    table.attribute_definitions["sk"] = AttrType::N;
    IndexDefinition local;
    local.name = "by-b";
    local.global = false;
    local.keys.partition = table.keys.partition;
    local.keys.sort = KeyElement{"lb", AttrType::B};
    local.projection.type = ProjectionType::KeysOnly;
    table.attribute_definitions["lb"] = AttrType::B;
    table.indexes.push_back(local);
  }
  IndexDefinition global;
  global.name = "by-g";
  global.keys.partition = {"g", AttrType::S};
  global.keys.sort = KeyElement{"gn", AttrType::N};
  global.projection.type = ProjectionType::Include;
  global.projection.non_key_attributes = {"a0", "a1"};
  global.arn = table.arn + "/index/by-g";
  global.status = gen.Int(0, 1) ? "ACTIVE" : "CREATING";
  table.attribute_definitions["g"] = AttrType::S;
  table.attribute_definitions["gn"] = AttrType::N;
  table.indexes.push_back(global);
  table.billing_mode = gen.Int(0, 1) ? "PAY_PER_REQUEST" : "PROVISIONED";
  table.throughput = {gen.Int(1, 50), gen.Int(1, 50), now - 5000, now - 7000, gen.Int(0, 3)};
  table.created_millis = now - 100000;
  table.stream = {true, "NEW_AND_OLD_IMAGES", "2026-12-06T00:00:0" + std::to_string(number) + ".000"};
  if (gen.Int(0, 1)) table.ttl_attribute = "expires";
  table.pitr_enabled = true;
  table.pitr_enabled_millis = now - 90000;
  table.pitr_recovery_days = gen.Int(1, 35);
  table.deletion_protection = gen.Int(0, 1) == 1;
  table.table_class = gen.Int(0, 1) ? "STANDARD" : "STANDARD_INFREQUENT_ACCESS";
  table.tags["team"] = "t" + std::to_string(gen.Int(0, 9));
  table.policies[""] = {"{\"Version\":\"2012-10-17\"}", "r1"};
  table.sse_kms_key_arn = gen.Int(0, 1) ? "arn:aws:kms:eu-west-1:123456789012:key/k" : "";
  table.warm = {12000, 4000};
  return table;
}

inline Item RandomItem(Generator& gen, const TableDefinition& table) {
  Item item;
  item["pk"] = AttributeValue::String("p" + std::to_string(gen.Int(0, 6)));
  if (table.keys.sort) item["sk"] = Parse("{\"N\":\"" + std::to_string(gen.Int(0, 20)) + ".25\"}");
  for (int i = gen.Int(0, 4); i > 0; --i) item["a" + std::to_string(gen.Int(0, 5))] = gen.Value(0);
  if (gen.Int(0, 2)) {
    item["g"] = AttributeValue::String("g" + std::to_string(gen.Int(0, 3)));
    item["gn"] = Parse("{\"N\":\"" + gen.Number() + "\"}");
  }
  if (gen.Int(0, 1)) item["lb"] = AttributeValue::Binary(gen.Binary());
  if (!table.ttl_attribute.empty()) item["expires"] = Parse("{\"N\":\"" + std::to_string(gen.Int(1, 1 << 30)) + "\"}");
  return item;
}

inline void Write(DynamoDbStore& store, const TableDefinition& table, const Item& item, bool remove, std::int64_t now) {
  ItemRef ref{table.name, ExtractKey(table.keys, item)};
  auto written = store.WriteItems(kScope, {ref},
                                  [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
                                    ItemWrite write;
                                    write.kind = remove ? ItemWrite::Kind::Delete : ItemWrite::Kind::Put;
                                    write.item = item;
                                    return std::vector<ItemWrite>{write};
                                  },
                                  WriteContext{now, false});
  ASSERT_TRUE(written && written.value().ok());
}

// Builds a random scope; returns the point in time to restore to.
inline std::int64_t BuildState(DynamoDbStore& store, Generator& gen) {
  const std::int64_t now = WallClockMillis();
  std::int64_t pitr_point = now;
  const int tables = gen.Int(1, 4);
  for (int t = 0; t < tables; ++t) {
    TableDefinition table = MakeTable(gen, t, now);
    EXPECT_TRUE(store.CreateTable(kScope, table));
    const int writes = gen.Int(0, 60);
    for (int w = 0; w < writes; ++w) {
      Write(store, table, RandomItem(gen, table), gen.Int(0, 5) == 0, now - 1000 + w);
      if (w == writes / 2) pitr_point = now - 1000 + w;
    }
    if (gen.Int(0, 1)) {
      BackupDescription backup;
      backup.arn = table.arn + "/backup/" + RandomHex(8);
      backup.name = "b" + std::to_string(t);
      backup.table_name = table.name;
      backup.created_millis = now - t;
      EXPECT_TRUE(store.CreateBackup(kScope, backup));
    }
    if (gen.Int(0, 2) == 0) {  // a new stream label: the old stream is closed and kept for 24 hours
      auto updated = store.UpdateTable(kScope, table.name, [&](TableDefinition& definition) -> Status<> {
        definition.stream.label = "2026-12-06T01:00:00.000";
        return Done{};
      });
      EXPECT_TRUE(updated && updated.value().ok());
      Write(store, table, RandomItem(gen, table), false, now);
    }
  }
  if (gen.Int(0, 2) == 0) EXPECT_TRUE(store.DeleteTable(kScope, "table-0"));  // its streams stay
  return pitr_point;
}

inline std::vector<std::string> SaveAll(DynamoDbState& state) {
  std::vector<std::string> lines;
  auto saved = state.Save(kStateScope, [&](StateRecord record) -> Status<std::string> {
    lines.push_back(record.kind + " " + json::serialize(record.body));
    return Done{};
  });
  EXPECT_TRUE(saved.ok()) << (saved.ok() ? "" : saved.error());
  return lines;
}

inline Status<std::string> LoadAll(DynamoDbState& state, const std::vector<std::string>& lines, int version = 1) {
  std::size_t next = 0;
  return state.Load(kStateScope, version, [&]() -> Result<std::optional<StateRecord>, std::string> {
    if (next == lines.size()) return std::optional<StateRecord>();
    const std::string& line = lines[next++];
    const auto space = line.find(' ');
    return std::optional<StateRecord>(StateRecord{line.substr(0, space), json::parse(line.substr(space + 1)).as_object()});
  });
}

// The value of a store call that must succeed; a failure names the call and the store's error.
template <typename R>
auto Must(R result, const char* call) {
  if (!result) {
    throw std::runtime_error(std::string(call) + ": code " + std::to_string(static_cast<int>(result.error().code)) + " " +
                             result.error().detail);
  }
  return std::move(result).value();
}

inline std::string ItemsText(const std::vector<Item>& items) {
  std::string out;
  for (const auto& item : items) out += json::serialize(MapToJson(item)) + "\n";
  return out;
}

inline std::string ScanText(DynamoDbStore& store, const std::string& table, const std::string& index) {
  ScanRequest request;
  request.table = table;
  request.index = index;
  auto page = store.Scan(kScope, request);
  if (!page) return "error";
  return ItemsText(page.value().items);
}

// Everything the store answers about the scope, as text. The latest sequence number of a stream is
// the store's own counter (every table's writes advance it), so across stores `exact_latest` false
// checks only that it is at or after the stream's last record.
inline std::string Observe(DynamoDbStore& store, std::int64_t pitr_point, bool exact_latest = true) {
  std::string out;
  // Streams first: the restores below create streams of their own, kept 24 hours after the table goes.
  // Newest first as ListStreams answers, and by ARN among streams created in the same millisecond.
  auto streams = Must(store.ListStreams(kScope, ""), "ListStreams");
  std::stable_sort(streams.begin(), streams.end(), [](const auto& a, const auto& b) {
    return a.created_millis != b.created_millis ? a.created_millis > b.created_millis : a.arn < b.arn;
  });
  for (const auto& stream : streams) {
    auto described = Must(store.DescribeStream(kScope, stream.arn), "DescribeStream");
    out += "stream " + described.arn + " " + described.status + " " + described.shards.front().shard_id + " " +
           described.shards.front().starting_sequence_number + " " + described.shards.front().ending_sequence_number + "\n";
    auto read = store.ReadStream(kScope, stream.arn, described.shards.front().shard_id, "", 1000, WallClockMillis());
    std::uint64_t must_reach = ParseSequence(described.shards.front().starting_sequence_number);
    if (must_reach > 0) --must_reach;  // before any record, LATEST may stand just before the shard
    for (const auto& record : Must(std::move(read), "ReadStream").records) {
      out += record.sequence_number + " " + record.event_name + " " + json::serialize(MapToJson(record.keys)) +
             (record.new_image ? json::serialize(MapToJson(*record.new_image)) : "-") +
             (record.old_image ? json::serialize(MapToJson(*record.old_image)) : "-") + "\n";
      must_reach = ParseSequence(record.sequence_number);
    }
    const std::string latest =
        Must(store.LatestSequence(kScope, stream.arn, described.shards.front().shard_id), "LatestSequence");
    if (exact_latest)
      out += "latest " + latest + "\n";
    else
      out += std::string("latest ") + (ParseSequence(latest) >= must_reach ? "at or after" : latest + " before") +
             " the last record\n";
  }
  auto tables = store.ListTables(kScope);
  for (const auto& name : Must(std::move(tables), "ListTables")) {
    auto definition = Must(store.GetTable(kScope, name), "GetTable");
    out += "table " + json::serialize(TableRecordJson(definition)) + "\n" + ScanText(store, name, "");
    // By name: a definition keeps local and global indexes in one list, a record in two (as DescribeTable does).
    std::vector<std::string> index_names;
    for (const auto& index : definition.indexes) index_names.push_back(index.name);
    std::sort(index_names.begin(), index_names.end());
    for (const auto& index : index_names) out += "index " + index + "\n" + ScanText(store, name, index);
    auto scanned = store.Scan(kScope, ScanRequest{name});
    std::vector<ItemRef> refs;
    for (const auto& item : Must(std::move(scanned), "Scan").items) refs.push_back({name, ExtractKey(definition.keys, item)});
    for (const auto& found : Must(store.GetItems(kScope, refs), "GetItems")) out += found ? "got\n" : "missing\n";
    auto stats = Must(store.GetTableStats(kScope, name), "GetTableStats");
    out += "stats " + std::to_string(stats.item_count) + " " + std::to_string(stats.size_bytes) + "\n";
    TableDefinition target = definition;
    target.name = name + "-pitr";
    target.arn += "-pitr";
    EXPECT_TRUE(store.RestoreTable(kScope, target, {"", name, pitr_point}));
    out += "pitr\n" + ScanText(store, target.name, "");
    EXPECT_TRUE(store.DeleteTable(kScope, target.name));
  }
  for (const auto& backup : Must(store.ListBackups(kScope), "ListBackups")) {
    out += "backup " + backup.arn + " " + std::to_string(backup.item_count) + " " + std::to_string(backup.size_bytes) + "\n";
    TableDefinition target = backup.table;
    target.name = "restored-" + backup.name;
    target.arn += "-restored";
    EXPECT_TRUE(store.RestoreTable(kScope, target, {backup.arn, "", 0}));
    out += ScanText(store, target.name, "");
    EXPECT_TRUE(store.DeleteTable(kScope, target.name));
  }
  return out;
}

// The first line where two observations part, for a readable failure.
inline std::string FirstDifference(const std::string& expected, const std::string& actual) {
  std::size_t line = 1, start = 0;
  for (std::size_t i = 0; i < std::min(expected.size(), actual.size()); ++i) {
    if (expected[i] != actual[i]) {
      auto end_of = [&](const std::string& text) { return text.substr(start, text.find('\n', start) - start); };
      return "line " + std::to_string(line) + "\n  expected: " + end_of(expected) + "\n  actual:   " + end_of(actual);
    }
    if (expected[i] == '\n') ++line, start = i + 1;
  }
  return expected.size() == actual.size() ? "" : "one is a prefix of the other at line " + std::to_string(line);
}

}  // namespace mallard::dynamodb::state_fixture

// DynamoDB journaling (ddb_state_journal.cpp, the memory store's DdbChanges): every change the
// store reports, through JSON text as the journal keeps them, replayed in order into an empty store
// gives the same state — and so does replaying from an earlier point onto a snapshot taken later,
// which is what a restart does (the snapshot is written while writes go on, the journal is replayed
// from the snapshot's LSN). Random operations: tables created, updated (streams relabelled or
// disabled, PITR switched, indexes added), deleted and restored (from backups and to points in
// time); single writes and transactions over two tables; backups; loads; clears.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>
#include <random>

#include "common/ids.hpp"
#include "services/dynamodb/ddb_state.hpp"
#include "services/dynamodb/memory/memory_dynamodb_store.hpp"
#include "services/dynamodb/model/ddb_store_support.hpp"
#include "services/kit/state_changes.hpp"

namespace mallard::dynamodb {
namespace {
namespace json = boost::json;
using services::StateChange;
using services::StateRecord;
using services::StateScope;

const Scope kScope{"123456789012", "us-east-1"};
const StateScope kStateScope{"123456789012", "us-east-1"};

class RecordingSink final : public services::StateChangeSink {
 public:
  void Record(std::span<const StateChange> changes) override {
    std::lock_guard lock(mutex);
    for (const auto& change : changes) {
      StateChange copy = change;
      json::parse_options options;
      options.max_depth = 4096;
      copy.record.body = json::parse(json::serialize(change.record.body), {}, options).as_object();
      log.push_back(std::move(copy));
    }
  }
  std::mutex mutex;
  std::vector<StateChange> log;
};

std::vector<std::string> SaveAll(DynamoDbState& state) {
  std::vector<std::string> lines;
  auto scopes = state.Scopes();
  EXPECT_TRUE(scopes.ok());
  for (const auto& scope : scopes.value()) {
    auto saved = state.Save(scope, [&](StateRecord record) -> Status<std::string> {
      lines.push_back(record.kind + " " + json::serialize(record.body));
      return Done{};
    });
    EXPECT_TRUE(saved.ok()) << (saved.ok() ? "" : saved.error());
  }
  return lines;
}

Status<std::string> LoadAll(DynamoDbState& state, const std::vector<std::string>& lines) {
  std::size_t next = 0;
  return state.Load(kStateScope, 1, [&]() -> Result<std::optional<StateRecord>, std::string> {
    if (next == lines.size()) return std::optional<StateRecord>();
    const std::string& line = lines[next++];
    const auto space = line.find(' ');
    return std::optional<StateRecord>(StateRecord{line.substr(0, space), json::parse(line.substr(space + 1)).as_object()});
  });
}

// The first line where two saves part, for a readable failure.
std::string FirstDifference(const std::vector<std::string>& expected, const std::vector<std::string>& actual) {
  for (std::size_t i = 0; i < std::min(expected.size(), actual.size()); ++i)
    if (expected[i] != actual[i]) return "record " + std::to_string(i) + "\n  expected: " + expected[i] + "\n  actual:   " + actual[i];
  if (expected.size() != actual.size())
    return "record counts differ: " + std::to_string(expected.size()) + " vs " + std::to_string(actual.size());
  return "";
}

struct Workload {
  explicit Workload(unsigned seed) : rng(seed) {}
  std::mt19937 rng;
  int Int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng); }
  std::int64_t now = WallClockMillis() - 3'600'000;
  int created = 0;

  TableDefinition NewTable(const std::string& name) {
    TableDefinition table;
    table.name = name;
    table.table_id = RandomHex(16);
    table.arn = "arn:aws:dynamodb:us-east-1:123456789012:table/" + name;
    table.keys.partition = {"pk", AttrType::S};
    table.attribute_definitions["pk"] = AttrType::S;
    if (Int(0, 1)) {
      table.keys.sort = KeyElement{"sk", AttrType::N};
      table.attribute_definitions["sk"] = AttrType::N;
    }
    if (Int(0, 1)) {
      IndexDefinition global;
      global.name = "by-g";
      global.keys.partition = {"g", AttrType::S};
      global.projection.type = ProjectionType::All;
      global.arn = table.arn + "/index/by-g";
      table.attribute_definitions["g"] = AttrType::S;
      table.indexes.push_back(global);
    }
    table.created_millis = now;
    if (Int(0, 2) != 0) table.stream = {true, "NEW_AND_OLD_IMAGES", "2026-12-06T00:00:" + std::to_string(10 + created++) + ".000"};
    table.pitr_enabled = Int(0, 2) != 0;
    table.pitr_enabled_millis = now;
    table.pitr_recovery_days = 35;
    return table;
  }

  static AttributeValue Number(const std::string& text) { return AttributeValue::Number(Decimal::Parse(text).value()); }

  Item NewItem(const TableDefinition& table) {
    Item item;
    item["pk"] = AttributeValue::String("p" + std::to_string(Int(0, 5)));
    if (table.keys.sort) item["sk"] = Number(std::to_string(Int(0, 3)) + ".5");
    if (Int(0, 1)) item["g"] = AttributeValue::String("g" + std::to_string(Int(0, 2)));
    item["v"] = Number(std::to_string(Int(-1000, 1000)) + "." + std::to_string(Int(0, 99)));
    if (Int(0, 2) == 0) item["note"] = AttributeValue::String(std::string(static_cast<std::size_t>(Int(0, 40)), 'x'));
    return item;
  }
};

void RunWorkload(MemoryDynamoDbStore& store, DynamoDbState& state, Workload& work, int steps,
                 const std::function<void(int)>& after_step) {
  const std::vector<std::string> names{"alpha", "beta", "gamma"};
  std::vector<std::string> middle;
  std::vector<std::string> backups;
  for (int step = 0; step < steps; ++step) {
    work.now += work.Int(0, 3);
    const std::string& name = names[static_cast<std::size_t>(work.Int(0, 2))];
    auto table = store.GetTable(kScope, name);
    const int action = work.Int(0, 99);
    if (!table) {
      if (action < 60) (void)store.CreateTable(kScope, work.NewTable(name));
    } else if (action < 70) {  // one write, or a transaction over two tables
      std::vector<ItemRef> refs;
      std::vector<ItemWrite> writes;
      auto add = [&](const TableDefinition& definition) {
        Item item = work.NewItem(definition);
        refs.push_back({definition.name, ExtractKey(definition.keys, item)});
        ItemWrite write;
        write.kind = work.Int(0, 4) == 0 ? ItemWrite::Kind::Delete : ItemWrite::Kind::Put;
        write.item = std::move(item);
        writes.push_back(std::move(write));
      };
      add(table.value());
      const std::string& other = names[static_cast<std::size_t>(work.Int(0, 2))];
      if (auto second = store.GetTable(kScope, other); second && other != name && work.Int(0, 2) == 0) add(second.value());
      (void)store.WriteItems(kScope, refs,
                             [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> { return writes; },
                             WriteContext{work.now, work.Int(0, 9) == 0});
    } else if (action < 74) {
      (void)store.UpdateTable(kScope, name, [&](TableDefinition& definition) -> Status<> {
        switch (work.Int(0, 3)) {
          case 0: definition.stream = {true, "NEW_IMAGE", "2026-12-06T01:00:" + std::to_string(10 + work.created++) + ".000"}; break;
          case 1: definition.stream.enabled = false; break;
          case 2: definition.pitr_enabled = !definition.pitr_enabled; break;
          default:
            if (!definition.FindIndex("by-v")) {
              IndexDefinition index;
              index.name = "by-v";
              index.keys.partition = {"v", AttrType::N};
              index.projection.type = ProjectionType::KeysOnly;
              index.arn = definition.arn + "/index/by-v";
              definition.attribute_definitions["v"] = AttrType::N;
              definition.indexes.push_back(index);
            }
        }
        return Done{};
      });
    } else if (action < 79) {
      BackupDescription backup;
      backup.arn = table.value().arn + "/backup/" + std::to_string(step);
      backup.name = "b" + std::to_string(step);
      backup.table_name = name;
      backup.created_millis = work.now;
      if (store.CreateBackup(kScope, backup)) backups.push_back(backup.arn);
    } else if (action < 81 && !backups.empty()) {
      (void)store.DeleteBackup(kScope, backups[static_cast<std::size_t>(work.Int(0, static_cast<int>(backups.size()) - 1))]);
    } else if (action < 84) {
      (void)store.DeleteTable(kScope, name);
    } else if (action < 90) {  // a restore into another name, from a backup or a moment
      TableDefinition target = table.value();
      target.name = name + "-r" + std::to_string(step % 2);
      target.arn = "arn:aws:dynamodb:us-east-1:123456789012:table/" + target.name;
      target.table_id = RandomHex(16);
      if (!store.GetTable(kScope, target.name)) {
        auto backup = backups.empty() ? StoreResult<BackupDescription>(StoreFail(StoreErrc::BackupNotFound))
                                      : store.GetBackup(kScope, backups.back());
        if (backup && work.Int(0, 1)) {
          // As the service does: the backup's definition under the new name.
          TableDefinition from_backup = backup.value().table;
          from_backup.name = target.name;
          from_backup.arn = target.arn;
          from_backup.table_id = target.table_id;
          (void)store.RestoreTable(kScope, from_backup, {backups.back(), "", 0});
        } else if (table.value().pitr_enabled) {
          (void)store.RestoreTable(kScope, target, {"", name, work.now - work.Int(0, 20)});
        }
      }
    } else if (action < 93) {
      if (middle.empty()) {
        middle = SaveAll(state);
      } else {
        ASSERT_TRUE(LoadAll(state, middle).ok());  // a load through the state endpoints is journaled too
      }
    } else if (action == 93 && work.Int(0, 3) == 0) {
      ASSERT_TRUE(state.Clear(kStateScope).ok());
    }
    after_step(step);
  }
}

Status<std::string> Replay(DynamoDbState& state, const std::vector<StateChange>& log, std::size_t from) {
  for (std::size_t i = from; i < log.size(); ++i) {
    auto applied = state.Apply(log[i]);
    if (!applied.ok()) return Fail("change " + std::to_string(i) + " (" + log[i].record.kind + "): " + applied.error());
  }
  return Done{};
}

TEST(DynamoDbJournal, ReplayingTheReportedChangesRebuildsTheSameState) {
  for (unsigned seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    auto store = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState state(store);
    auto sink = std::make_shared<RecordingSink>();
    ASSERT_TRUE(state.AttachChangeSink(sink));
    Workload work(seed);
    // Snapshots taken along the way, each with the journal position it was taken at.
    std::vector<std::pair<std::size_t, std::vector<std::string>>> snapshots;
    RunWorkload(*store, state, work, 400, [&](int step) {
      if (step % 41 == 17) snapshots.emplace_back(sink->log.size(), SaveAll(state));
    });
    const auto expected = SaveAll(state);
    ASSERT_FALSE(sink->log.empty());

    auto replayed_store = std::make_shared<MemoryDynamoDbStore>();
    DynamoDbState replayed(replayed_store);
    auto applied = Replay(replayed, sink->log, 0);
    ASSERT_TRUE(applied.ok()) << applied.error();
    EXPECT_EQ(FirstDifference(expected, SaveAll(replayed)), "");

    // A restart: the snapshot, then the journal from up to 80 changes before the snapshot's position.
    std::mt19937 pick(seed);
    for (const auto& [position, snapshot] : snapshots) {
      const std::size_t back = std::min<std::size_t>(position, pick() % 81);
      SCOPED_TRACE("snapshot at change " + std::to_string(position) + ", replayed from " + std::to_string(position - back));
      auto restarted_store = std::make_shared<MemoryDynamoDbStore>();
      DynamoDbState restarted(restarted_store);
      ASSERT_TRUE(LoadAll(restarted, snapshot).ok());
      auto replayed_on_top = Replay(restarted, sink->log, position - back);
      ASSERT_TRUE(replayed_on_top.ok()) << replayed_on_top.error();
      EXPECT_EQ(FirstDifference(expected, SaveAll(restarted)), "");
    }
  }
}

TEST(DynamoDbJournal, RefusesUnknownChangesAndMalformedItems) {
  auto store = std::make_shared<MemoryDynamoDbStore>();
  DynamoDbState state(store);
  StateChange gadget;
  gadget.scope = kStateScope;
  gadget.record = {"gadget", json::object{}};
  auto refused = state.Apply(gadget);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("'gadget'"), std::string::npos) << refused.error();

  ASSERT_TRUE(store->CreateTable(kScope, Workload(1).NewTable("t")));
  StateChange keyless;
  keyless.scope = kStateScope;
  keyless.record = {"item", json::object{{"TableName", "t"}, {"Item", json::object{{"v", json::object{{"N", "1"}}}}}}};
  EXPECT_FALSE(state.Apply(keyless).ok());
  StateChange bad_number = keyless;
  bad_number.record.body["Item"] = json::object{{"pk", json::object{{"S", "a"}}}, {"v", json::object{{"N", "1e999"}}}};
  EXPECT_FALSE(state.Apply(bad_number).ok());
  // A change to a table the journal deletes later is skipped, not an error.
  StateChange orphan = keyless;
  orphan.record.body = json::object{{"TableName", "gone"}, {"Item", json::object{{"pk", json::object{{"S", "a"}}}}}};
  EXPECT_TRUE(state.Apply(orphan).ok());
}

}  // namespace
}  // namespace mallard::dynamodb

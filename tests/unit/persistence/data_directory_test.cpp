// The data directory: state comes back after a clean shutdown and after kill -9 at random moments
// (every acknowledged change kept, nothing invented), also across background compactions; a torn
// journal tail is dropped and reported; a journal naming an unknown service stops the start.
#include "persistence/data_directory.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <functional>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <mutex>
#include <random>
#include <thread>

#include "services/kit/state_changes.hpp"
#include "test_seed.hpp"

namespace mallard::persistence {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using services::StateChange;
using services::StateRecord;
using services::StateScope;

const StateScope kScope{"000000000000", "us-east-1"};
// Many keys per writer: a change is rarely overwritten before the kill, so one lost is seen.
constexpr std::uint32_t kKeysPerThread = 61;

// A store in miniature: keys with values, changes reported under its lock as a memory store does.
class FakeState final : public services::ServiceState {
 public:
  int RecordVersion() const override { return 1; }
  Result<std::vector<StateScope>, std::string> Scopes() override { return std::vector<StateScope>{kScope}; }
  Status<std::string> Save(const StateScope&, const services::StateRecordSink& sink) override {
    std::map<std::string, std::string> copy;
    {
      std::lock_guard lock(mutex_);
      copy = items_;
    }
    for (const auto& [key, value] : copy) MALLARD_RETURN_IF_ERROR(sink(StateRecord{"item", json::object{{"key", key}, {"value", value}}}));
    return Done{};
  }
  Status<std::string> Load(const StateScope&, int, const services::StateRecordSource& records) override {
    for (;;) {
      auto next = records();
      if (!next) return Fail(next.error());
      if (!*next) return Done{};
      std::lock_guard lock(mutex_);
      items_[std::string((*next)->body.at("key").as_string())] = std::string((*next)->body.at("value").as_string());
    }
  }
  Status<std::string> Clear(const StateScope&) override {
    std::lock_guard lock(mutex_);
    items_.clear();
    return Done{};
  }
  bool AttachChangeSink(std::shared_ptr<services::StateChangeSink> sink) override {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
    return true;
  }
  Status<std::string> Apply(const StateChange& change) override {
    std::lock_guard lock(mutex_);
    std::string key(change.record.body.at("key").as_string());
    if (change.op == StateChange::Op::kPut) {
      items_[key] = std::string(change.record.body.at("value").as_string());
    } else {
      items_.erase(key);
    }
    return Done{};
  }

  void Put(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    items_[key] = value;
    Report(StateChange{StateChange::Op::kPut, kScope, {"item", json::object{{"key", key}, {"value", value}}}});
  }
  void Remove(const std::string& key) {
    std::lock_guard lock(mutex_);
    items_.erase(key);
    Report(StateChange{StateChange::Op::kRemove, kScope, {"item", json::object{{"key", key}}}});
  }
  // Several keys in one atomic unit (as a transaction): one Record call with a change each.
  void PutAll(const std::vector<std::string>& keys, const std::string& value) {
    std::lock_guard lock(mutex_);
    std::vector<StateChange> changes;
    for (const auto& key : keys) {
      items_[key] = value;
      changes.push_back(StateChange{StateChange::Op::kPut, kScope, {"item", json::object{{"key", key}, {"value", value}}}});
    }
    if (sink_) sink_->Record(changes);
  }
  std::map<std::string, std::string> Items() {
    std::lock_guard lock(mutex_);
    return items_;
  }

 private:
  void Report(StateChange change) {
    if (sink_) sink_->Record(std::span<const StateChange>(&change, 1));
  }
  std::mutex mutex_;
  std::map<std::string, std::string> items_;
  std::shared_ptr<services::StateChangeSink> sink_;
};

// The snapshot as the test writes it: one JSON object per line (the real format is the state module's).
SnapshotIo SnapshotsOf(FakeState& state) {
  SnapshotIo io;
  io.save = [&state](const fs::path& file) -> Status<std::string> {
    std::ofstream out(file, std::ios::trunc);
    auto saved = state.Save(kScope, [&](StateRecord record) -> Status<std::string> {
      out << json::serialize(record.body) << "\n";
      return Done{};
    });
    out.flush();
    if (!out) return Fail(std::string("write failed"));
    return saved;
  };
  io.load = [&state](const fs::path& file) -> Status<std::string> {
    MALLARD_RETURN_IF_ERROR(state.Clear(kScope));
    std::ifstream in(file);
    std::string line;
    return state.Load(kScope, 1, [&]() -> Result<std::optional<StateRecord>, std::string> {
      if (!std::getline(in, line)) return std::optional<StateRecord>{};
      return std::optional<StateRecord>{StateRecord{"item", json::parse(line).as_object()}};
    });
  };
  return io;
}

// Waits for the background compaction an open starts (the start's snapshot), so that what a test
// writes next is in the journal only.
void AwaitStartSnapshot(DataDirectory& directory) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (directory.CompactionRunning() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_FALSE(directory.CompactionRunning());
}

class DataDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mallard-datadir-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<DataDirectory> OpenOn(FakeState& state, std::uint64_t compact_after = 64ull << 20,
                                        Durability durability = Durability::kFsync) {
    DataDirectoryOptions options{dir_, durability, std::chrono::milliseconds(10), compact_after};
    auto opened = DataDirectory::Open(options, {{"fake", &state}}, SnapshotsOf(state));
    EXPECT_TRUE(opened) << (opened ? "" : opened.error());
    return opened ? std::move(opened).value() : nullptr;
  }
  fs::path dir_;
};

TEST_F(DataDirectoryTest, StateComesBackAfterACleanShutdownInEveryMode) {
  for (auto durability : {Durability::kFsync, Durability::kInterval, Durability::kNone}) {
    fs::remove_all(dir_);
    {
      FakeState state;
      auto directory = OpenOn(state, 64ull << 20, durability);
      ASSERT_TRUE(directory);
      state.Put("a", "1");
      state.Put("b", "2");
      state.Remove("a");
      ASSERT_TRUE(directory->Close());
    }
    FakeState reopened;
    auto directory = OpenOn(reopened, 64ull << 20, durability);
    ASSERT_TRUE(directory);
    EXPECT_EQ(reopened.Items(), (std::map<std::string, std::string>{{"b", "2"}})) << DurabilityName(durability);
  }
}

TEST_F(DataDirectoryTest, JournaledChangesAreReplayedWithoutAShutdownSnapshot) {
  {
    FakeState state;
    auto directory = OpenOn(state);
    ASSERT_TRUE(directory);
    AwaitStartSnapshot(*directory);
    for (int i = 0; i < 50; ++i) state.Put("k" + std::to_string(i % 7), std::to_string(i));
    state.Remove("k3");
    std::promise<void> durable;
    directory->DeliverWhenDurable([&] { durable.set_value(); });
    durable.get_future().wait();
    // No Close: as after a crash, only the journal has the changes.
  }
  FakeState reopened;
  auto directory = OpenOn(reopened);
  ASSERT_TRUE(directory);
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 50; ++i) expected["k" + std::to_string(i % 7)] = std::to_string(i);
  expected.erase("k3");
  EXPECT_EQ(reopened.Items(), expected);
  EXPECT_NE(directory->StartSummary().find("replayed 51 journaled changes"), std::string::npos) << directory->StartSummary();
}

TEST_F(DataDirectoryTest, ATornJournalTailIsDroppedAndReported) {
  {
    FakeState state;
    auto directory = OpenOn(state);
    state.Put("kept", "1");
    std::promise<void> durable;
    directory->DeliverWhenDurable([&] { durable.set_value(); });
    durable.get_future().wait();
  }
  fs::path segment;
  for (const auto& entry : fs::directory_iterator(dir_ / "state")) {
    if (entry.path().filename().string().rfind("journal-", 0) == 0) segment = entry.path();
  }
  ASSERT_FALSE(segment.empty());
  std::ofstream(segment, std::ios::app | std::ios::binary) << std::string("\x30\x00\x00\x00garbage", 11);
  FakeState reopened;
  auto directory = OpenOn(reopened);
  ASSERT_TRUE(directory);
  EXPECT_EQ(reopened.Items(), (std::map<std::string, std::string>{{"kept", "1"}}));
  EXPECT_NE(directory->StartSummary().find("dropped 11 bytes"), std::string::npos) << directory->StartSummary();
  // The next start is clean: the damaged segment is gone into the new snapshot.
  directory.reset();
  FakeState third;
  auto again = OpenOn(third);
  EXPECT_EQ(again->StartSummary().find("dropped"), std::string::npos) << again->StartSummary();
  EXPECT_EQ(third.Items(), (std::map<std::string, std::string>{{"kept", "1"}}));
}

// EncodeChange writes a record field by field; the reference is boost::json's text for the same
// record as an object, over names and bodies with quotes, escapes, control bytes and non-ASCII.
TEST(DataDirectoryEncoding, AChangeEncodesAsBoostJsonSerialisesTheSameRecord) {
  const std::vector<std::string> texts{"", "plain", "q\"uo\\te", std::string("nul\0ctl\x01\x1f", 9), "\xc3\xa9t\xc3\xa9 \xe2\x82\xac",
                                       "\xf0\x9f\xa6\x86", "new\nline\ttab"};
  int checked = 0;
  for (const auto& a : texts) {
    for (const auto& b : texts) {
      for (auto op : {StateChange::Op::kPut, StateChange::Op::kRemove}) {
        json::object body{{a, b}, {"n", 1.5}, {"nested", json::array{a, json::object{{b, nullptr}}}}};
        StateChange change{op, {a, b}, {b, body}};
        json::object reference{{"service", a}, {"account", a}, {"region", b},
                               {"op", op == StateChange::Op::kPut ? "put" : "remove"}, {"kind", b}, {"body", body}};
        auto encoded = DataDirectory::EncodeChange(a, change);
        ASSERT_EQ(encoded, json::serialize(reference));
        auto decoded = DataDirectory::DecodeChange(encoded);
        ASSERT_TRUE(decoded) << decoded.error();
        EXPECT_EQ(decoded->first, a);
        EXPECT_EQ(decoded->second.record.body, body);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 98);
}

// The same reference over random records of any size: the encoder drains boost::json's serializer
// in pieces into a buffer that it reuses from one change to the next (DataDirectory::Append keeps
// one per thread), so long values crossing piece boundaries, escapes split across them, and a
// buffer that already holds text are what could go wrong. A body may live in another memory
// resource (SQS builds its records in scratch memory). MALLARD_ENCODE_SEED=n replays.
TEST(DataDirectoryEncoding, RandomRecordsEncodeAsBoostJsonSerialisesThemIntoAReusedBuffer) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_ENCODE_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](std::size_t bound) { return static_cast<std::size_t>(random() % bound); };
  auto text = [&] {
    static const std::vector<std::string> pieces{"a", "\"", "\\", std::string("\0", 1), "\x01", "\x1f", "\n",
                                                 "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\xa6\x86", "/", "z"};
    std::string out;
    for (std::size_t n = pick(4) == 0 ? pick(3000) : pick(40); n > 0; --n) out += pieces[pick(pieces.size())];
    return out;
  };
  std::function<json::value(int, const json::storage_ptr&)> value = [&](int depth, const json::storage_ptr& storage) -> json::value {
    switch (depth > 3 ? pick(3) : pick(5)) {
      case 0: return json::value(text(), storage);
      case 1: return json::value(static_cast<std::int64_t>(random()), storage);
      case 2: return json::value(nullptr, storage);
      case 3: {
        json::array array(storage);
        for (std::size_t n = pick(5); n > 0; --n) array.push_back(value(depth + 1, storage));
        return array;
      }
      default: {
        json::object object(storage);
        for (std::size_t n = pick(5); n > 0; --n) object[text()] = value(depth + 1, storage);
        return object;
      }
    }
  };
  std::string buffer;
  for (int round = 0; round < 300; ++round) {
    json::monotonic_resource scratch;
    json::storage_ptr storage = pick(2) == 0 ? json::storage_ptr() : json::storage_ptr(&scratch);
    json::object body(storage);
    for (std::size_t n = 1 + pick(6); n > 0; --n) body[text()] = value(0, storage);
    auto op = pick(2) == 0 ? StateChange::Op::kPut : StateChange::Op::kRemove;
    std::string service = text(), kind = text();
    StateChange change{op, {text(), text()}, {kind, std::move(body)}};
    json::object reference{{"service", service}, {"account", change.scope.account}, {"region", change.scope.region},
                           {"op", op == StateChange::Op::kPut ? "put" : "remove"}, {"kind", kind},
                           {"body", json::object(change.record.body, json::storage_ptr())}};
    if (pick(3) == 0) buffer.clear();  // else: after the previous record, as a reused buffer holds it
    std::size_t start = buffer.size();
    DataDirectory::EncodeChangeInto(buffer, service, change);
    ASSERT_EQ(buffer.substr(start), json::serialize(reference)) << "round " << round;
    ASSERT_EQ(DataDirectory::EncodeChange(service, change), json::serialize(reference)) << "round " << round;
  }
}

TEST_F(DataDirectoryTest, AJournalNamingAnUnknownServiceStopsTheStartAndKeepsTheFiles) {
  fs::create_directories(dir_ / "state");
  StateChange change{StateChange::Op::kPut, kScope, {"item", json::object{{"key", "x"}, {"value", "y"}}}};
  std::ofstream(dir_ / "state" / "journal-1.log", std::ios::binary)
      << EncodeJournalFrame(1, DataDirectory::EncodeChange("nosuch", change));
  FakeState state;
  DataDirectoryOptions options{dir_, Durability::kFsync};
  auto opened = DataDirectory::Open(options, {{"fake", &state}}, SnapshotsOf(state));
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().find("'nosuch'"), std::string::npos) << opened.error();
  EXPECT_TRUE(fs::exists(dir_ / "state" / "journal-1.log"));
}

// A store's atomic unit of several changes (a transaction) is one journal record: a crash can cut
// the journal between any two records, and it must never keep part of one. Every cut of the
// segment at a frame boundary, replayed, holds all of each transaction or none of it.
TEST_F(DataDirectoryTest, AllChangesOfOneCallAreOneRecordSoACutNeverSplitsThem) {
  {
    FakeState state;
    auto directory = OpenOn(state);
    ASSERT_TRUE(directory);
    AwaitStartSnapshot(*directory);
    for (int t = 0; t < 20; ++t) {
      std::vector<std::string> keys;
      for (int k = 0; k <= t % 5; ++k) keys.push_back("tx" + std::to_string(t) + "-" + std::to_string(k));
      state.PutAll(keys, "v" + std::to_string(t));
    }
    std::promise<void> durable;
    directory->DeliverWhenDurable([&] { durable.set_value(); });
    durable.get_future().wait();
  }
  fs::path segment;
  for (const auto& entry : fs::directory_iterator(dir_ / "state")) {
    auto name = entry.path().filename().string();
    if (name.rfind("journal-", 0) == 0 && fs::file_size(entry.path()) > 0) segment = entry.path();
  }
  ASSERT_FALSE(segment.empty());
  auto scan = ReadJournal(segment);
  ASSERT_TRUE(scan) << scan.error();
  ASSERT_EQ(scan->records.size(), 20u);  // one record a call, however many changes it made
  for (std::size_t t = 0; t < scan->records.size(); ++t) {
    auto decoded = DataDirectory::DecodeChanges(scan->records[t].payload);
    ASSERT_TRUE(decoded) << decoded.error();
    EXPECT_EQ(decoded->size(), t % 5 + 1);
  }
  std::string whole;
  {
    std::ifstream in(segment, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::size_t end = 0;
  for (std::size_t cut = 0; cut <= 20; ++cut) {
    if (cut > 0) end += EncodeJournalFrame(scan->records[cut - 1].lsn, scan->records[cut - 1].payload).size();
    fs::remove_all(dir_ / "copy");
    fs::create_directories(dir_ / "copy" / "state");
    {
      std::ofstream out(dir_ / "copy" / "state" / segment.filename(), std::ios::binary);
      out.write(whole.data(), static_cast<std::streamsize>(end));
    }
    FakeState reopened;
    DataDirectoryOptions options{dir_ / "copy", Durability::kFsync, std::chrono::milliseconds(10), 64ull << 20};
    auto opened = DataDirectory::Open(options, {{"fake", &reopened}}, SnapshotsOf(reopened));
    ASSERT_TRUE(opened) << opened.error();
    auto items = reopened.Items();
    for (int t = 0; t < 20; ++t) {
      int present = 0;
      for (int k = 0; k <= t % 5; ++k) present += items.count("tx" + std::to_string(t) + "-" + std::to_string(k));
      EXPECT_TRUE(present == 0 || present == t % 5 + 1) << "cut after " << cut << " records: transaction " << t << " has "
                                                         << present << " of " << t % 5 + 1 << " items";
      EXPECT_EQ(present > 0, static_cast<std::size_t>(t) < cut) << "cut " << cut << " transaction " << t;
    }
  }
}

// A call past max_record_bytes (a bulk load) is split into records no larger than that, in order,
// and replays whole; the split is by encoded size, whatever the number of changes.
TEST_F(DataDirectoryTest, ACallPastTheRecordBoundIsSplitInOrderAndReplaysWhole) {
  std::mt19937_64 random(20261207);
  for (int round = 0; round < 5; ++round) {
    fs::remove_all(dir_);
    const std::size_t bound = std::uniform_int_distribution<std::size_t>(300, 3000)(random);
    std::vector<std::string> keys;
    const int count = std::uniform_int_distribution<int>(2, 200)(random);
    for (int k = 0; k < count; ++k) keys.push_back("bulk-" + std::to_string(k) + std::string(random() % 100, 'k'));
    {
      FakeState state;
      DataDirectoryOptions options{dir_, Durability::kFsync, std::chrono::milliseconds(10), 64ull << 20, bound};
      auto opened = DataDirectory::Open(options, {{"fake", &state}}, SnapshotsOf(state));
      ASSERT_TRUE(opened) << opened.error();
      AwaitStartSnapshot(**opened);
      state.PutAll(keys, "v");
      std::promise<void> durable;
      (*opened)->DeliverWhenDurable([&] { durable.set_value(); });
      durable.get_future().wait();
    }
    std::vector<std::string> journaled;
    for (const auto& entry : fs::directory_iterator(dir_ / "state")) {
      if (entry.path().filename().string().rfind("journal-", 0) != 0) continue;
      auto scan = ReadJournal(entry.path());
      ASSERT_TRUE(scan) << scan.error();
      for (const auto& record : scan->records) {
        auto decoded = DataDirectory::DecodeChanges(record.payload);
        ASSERT_TRUE(decoded) << decoded.error();
        if (decoded->size() > 1) EXPECT_LE(record.payload.size(), bound) << "round " << round;
        for (const auto& [service, change] : *decoded) journaled.emplace_back(change.record.body.at("key").as_string());
      }
    }
    EXPECT_EQ(journaled, keys) << "round " << round << ": the call's changes, in order, across its records";
    FakeState reopened;
    auto directory = OpenOn(reopened);
    ASSERT_TRUE(directory);
    EXPECT_EQ(reopened.Items().size(), keys.size()) << "round " << round;
  }
}

// The compaction bound grows with the state: a journal smaller than the last snapshot is not
// compacted however small compact_after_bytes is (a compaction rewrites the whole state), and one
// past it is. The bound is checked every 1,024 records; LSNs here: about 200 loaded, then on.
TEST_F(DataDirectoryTest, TheJournalIsCompactedOncePastTheLastSnapshotsSizeNotBefore) {
  {
    FakeState state;
    auto directory = OpenOn(state);
    ASSERT_TRUE(directory);
    for (int i = 0; i < 200; ++i) state.Put("key-" + std::to_string(i), std::string(1000, 'x'));
    ASSERT_TRUE(directory->Close());
  }
  auto snapshot_lsns = [&] {
    std::set<std::uint64_t> lsns;
    for (const auto& entry : fs::directory_iterator(dir_ / "state")) {
      auto name = entry.path().filename().string();
      if (name.rfind("snapshot-", 0) == 0 && entry.path().extension() == ".jsonl")
        lsns.insert(std::stoull(name.substr(9)));
    }
    return lsns;
  };
  FakeState state;
  auto directory = OpenOn(state, 4 * 1024);
  ASSERT_TRUE(directory);
  AwaitStartSnapshot(*directory);
  ASSERT_EQ(snapshot_lsns().size(), 1u);
  const std::uint64_t start = *snapshot_lsns().begin();
  ASSERT_LT(start, 300u);
  ASSERT_GT(fs::file_size(dir_ / "state" / ("snapshot-" + std::to_string(start) + ".jsonl")), 200u * 1000u);
  auto put_hot = [&](int count) {
    for (int i = 0; i < count; ++i) {
      state.Put("hot", std::string(40, static_cast<char>('a' + i % 26)));
      std::promise<void> durable;
      directory->DeliverWhenDurable([&] { durable.set_value(); });
      durable.get_future().wait();
    }
  };
  // LSN 1,024 passes with ~140 KB journaled (~170 bytes a record): under the ~205 KB snapshot.
  put_hot(900);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(snapshot_lsns(), std::set<std::uint64_t>{start});
  // LSN 2,048 passes with ~310 KB journaled: a compaction starts.
  put_hot(1000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (*snapshot_lsns().rbegin() == start && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_GT(*snapshot_lsns().rbegin(), 2048u);
}

// A child runs 4 writer threads, each owning its keys and acknowledging an operation only after
// DeliverWhenDurable; compactions run in the background (a small bound). The parent kills it at a
// seeded random moment, reopens, and checks every key against the child's log of operations: its
// value must be the state after some operation at or after the last acknowledged one, and no later
// than the last one attempted.
TEST_F(DataDirectoryTest, KillNineKeepsEveryAcknowledgedChangeAcrossCompactions) {
  std::mt19937_64 random(20261206);
  for (int round = 0; round < 20; ++round) {
    fs::remove_all(dir_);
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    auto seed = random();
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      FakeState state;
      DataDirectoryOptions options{dir_, Durability::kFsync, std::chrono::milliseconds(10), 32 * 1024};
      auto opened = DataDirectory::Open(options, {{"fake", &state}}, SnapshotsOf(state));
      if (!opened) ::_exit(2);
      auto* directory = opened->release();
      std::mutex pipe_mutex;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          std::mt19937_64 ops(seed + t);
          for (std::uint32_t n = 1;; ++n) {
            // Operation n of thread t: put key t/(n%kKeysPerThread) = n, or remove it; reported as attempted
            // before, acknowledged after.
            std::uint32_t key = n % kKeysPerThread;
            bool remove = ops() % 4 == 0;
            std::uint32_t message[4] = {static_cast<std::uint32_t>(t), n, key, remove ? 1u : 0u};
            {
              std::lock_guard lock(pipe_mutex);
              if (::write(pipe_fds[1], message, sizeof message) != sizeof message) ::_exit(3);
            }
            std::string name = std::to_string(t) + "/" + std::to_string(key);
            if (remove) {
              state.Remove(name);
            } else {
              state.Put(name, std::to_string(n) + std::string(ops() % 200, 'v'));
            }
            std::promise<void> durable;
            directory->DeliverWhenDurable([&] { durable.set_value(); });
            durable.get_future().wait();
            std::uint32_t ack[4] = {static_cast<std::uint32_t>(t), n, 0xffffffffu, 0};
            std::lock_guard lock(pipe_mutex);
            if (::write(pipe_fds[1], ack, sizeof ack) != sizeof ack) ::_exit(3);
          }
        });
      }
      for (auto& thread : threads) thread.join();
      ::_exit(0);
    }
    ::close(pipe_fds[1]);
    // Drain the pipe while the child runs, so its writes never block.
    std::vector<std::array<std::uint32_t, 4>> log;
    std::thread reader([&] {
      std::array<std::uint32_t, 4> message;
      while (::read(pipe_fds[0], message.data(), sizeof message) == sizeof message) log.push_back(message);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 400)(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    reader.join();
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the child exited with " << WEXITSTATUS(status);

    FakeState reopened;
    auto directory = OpenOn(reopened);
    ASSERT_TRUE(directory) << "round " << round;
    auto items = reopened.Items();
    // Per thread: operations in order, the last acknowledged and the last attempted.
    struct Op {
      std::uint32_t n, key;
      bool remove;
    };
    std::map<std::uint32_t, std::vector<Op>> ops;
    std::map<std::uint32_t, std::uint32_t> acked;
    for (const auto& m : log) {
      if (m[2] == 0xffffffffu) {
        acked[m[0]] = m[1];
      } else {
        ops[m[0]].push_back({m[1], m[2], m[3] == 1});
      }
    }
    for (const auto& [thread, list] : ops) {
      for (std::uint32_t key = 0; key < kKeysPerThread; ++key) {
        std::string name = std::to_string(thread) + "/" + std::to_string(key);
        // Allowed: the key's state after any of its operations from the last acknowledged
        // operation of the thread on (or its state then, if that operation was on another key).
        std::uint32_t floor = acked.count(thread) ? acked[thread] : 0;
        std::vector<std::optional<std::uint32_t>> allowed;  // nullopt = absent
        std::optional<std::uint32_t> state_at_floor;
        bool have_floor = false;
        for (const auto& op : list) {
          if (op.key != key) continue;
          std::optional<std::uint32_t> after = op.remove ? std::nullopt : std::optional<std::uint32_t>(op.n);
          if (op.n <= floor) {
            state_at_floor = after;
            have_floor = true;
          } else {
            allowed.push_back(after);
          }
        }
        allowed.push_back(have_floor ? state_at_floor : std::nullopt);
        std::optional<std::uint32_t> found;
        if (auto it = items.find(name); it != items.end()) found = static_cast<std::uint32_t>(std::stoul(it->second));
        bool ok = std::find(allowed.begin(), allowed.end(), found) != allowed.end();
        ASSERT_TRUE(ok) << "round " << round << " key " << name << ": found "
                        << (found ? std::to_string(*found) : "absent") << ", last acknowledged op of the thread "
                        << floor;
      }
    }
  }
}

}  // namespace
}  // namespace mallard::persistence

// SQS snapshots on the memory store: random state (standard and FIFO queues, a redrive policy,
// delays, receives in flight, deletes, visibility changes, deduplication) saved, cleared and loaded
// back must save identically and behave identically; an export taken while messages are redriven
// never shows one in two queues or in none.
#include "services/sqs/sqs_state.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "services/kit/state_changes.hpp"
#include "services/sqs/memory/memory_sqs_store.hpp"

namespace mallard::sqs {
namespace {

using services::StateRecord;
using services::StateScope;

const StateScope kScope{"123456789012", "eu-west-1"};

QueueRecord Record(const std::string& name, bool fifo) {
  QueueRecord record;
  record.key = {kScope.account, kScope.region, name};
  record.fifo = fifo;
  record.attributes["VisibilityTimeout"] = "30";
  record.tags["team"] = name;
  record.created_seconds = 1700000000;
  record.last_modified_seconds = 1700000000;
  return record;
}

NewMessage Message(std::mt19937_64& random, bool fifo, int n) {
  NewMessage message;
  message.body = "body-" + std::to_string(n) + std::string(random() % 40, 'x') + "\xe2\x9c\x93";
  message.md5_of_body = "md5-" + std::to_string(n);
  message.sender_id = "AIDAEXAMPLE";
  if (random() % 3 == 0) message.attributes["n"] = {"Number", std::to_string(n), ""};
  if (random() % 4 == 0) message.attributes["bin"] = {"Binary", "", std::string("\x00\xff\x10", 3)};
  if (!fifo && random() % 5 == 0) message.delay_seconds = static_cast<std::int64_t>(random() % 900);
  if (fifo) {
    message.group_id = "g" + std::to_string(random() % 3);
    message.deduplication_id = "d" + std::to_string(n);
  }
  return message;
}

std::vector<StateRecord> SaveAll(SqsState& state) {
  std::vector<StateRecord> records;
  auto saved = state.Save(kScope, [&](StateRecord record) -> Status<std::string> {
    // Through text, as a snapshot file carries them.
    records.push_back({record.kind, boost::json::parse(boost::json::serialize(record.body)).as_object()});
    return Done{};
  });
  EXPECT_TRUE(saved) << (saved ? "" : saved.error());
  return records;
}

Status<std::string> LoadAll(SqsState& state, const std::vector<StateRecord>& records, int version = 1) {
  std::size_t next = 0;
  return state.Load(kScope, version, [&]() -> Result<std::optional<StateRecord>, std::string> {
    if (next == records.size()) return std::optional<StateRecord>{};
    return std::optional<StateRecord>{records[next++]};
  });
}

TEST(SqsStateTest, RandomStateSavesClearsAndLoadsBackIdentically) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    auto store = std::make_shared<MemorySqsStore>();
    SqsState state(store);
    std::int64_t now = 1'800'000'000'000;
    ASSERT_TRUE(store->CreateQueue(Record("dlq", false), now));
    ASSERT_TRUE(store->CreateQueue(Record("main", false), now));
    ASSERT_TRUE(store->CreateQueue(Record("orders.fifo", true), now));
    std::vector<std::string> receipts;
    for (int step = 0; step < 200; ++step) {
      now += static_cast<std::int64_t>(random() % 5000);
      bool fifo = random() % 2 == 0;
      QueueKey key{kScope.account, kScope.region, fifo ? "orders.fifo" : "main"};
      switch (random() % 5) {
        case 0:
        case 1: {
          std::vector<NewMessage> batch;
          for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) batch.push_back(Message(random, fifo, step * 10 + i));
          ASSERT_TRUE(store->SendMessages(key, std::move(batch), now));
          break;
        }
        case 2: {
          ReceiveOptions options;
          options.max_messages = 1 + static_cast<int>(random() % 3);
          options.visibility_timeout_seconds = static_cast<std::int64_t>(random() % 60);
          if (!fifo) {
            options.dead_letter_queue = QueueKey{kScope.account, kScope.region, "dlq"};
            options.max_receive_count = 2;
          }
          auto received = store->ReceiveMessages(key, options, now);
          ASSERT_TRUE(received);
          for (auto& message : received->messages) receipts.push_back(message.receipt_handle);
          break;
        }
        case 3:
          if (!receipts.empty()) {
            (void)store->DeleteMessage(key, receipts[random() % receipts.size()], now);
          }
          break;
        case 4:
          if (!receipts.empty()) {
            (void)store->ChangeVisibility(key, receipts[random() % receipts.size()], static_cast<std::int64_t>(random() % 100), now);
          }
          break;
      }
    }
    ASSERT_TRUE(store->DeleteQueue(QueueKey{kScope.account, kScope.region, "gone"}, now) ||
                true);  // not a queue: nothing to mark
    auto before = SaveAll(state);
    std::vector<std::vector<PeekedMessage>> peeked_before;
    for (const char* name : {"dlq", "main", "orders.fifo"}) {
      peeked_before.push_back(*store->PeekMessages(QueueKey{kScope.account, kScope.region, name}, now));
    }
    ASSERT_TRUE(state.Clear(kScope));
    EXPECT_TRUE(SaveAll(state).empty());
    EXPECT_TRUE(store->ListScopes()->empty());
    ASSERT_TRUE(LoadAll(state, before));
    auto after = SaveAll(state);
    ASSERT_EQ(after.size(), before.size()) << "seed " << seed;
    for (std::size_t i = 0; i < before.size(); ++i) {
      EXPECT_EQ(after[i].kind, before[i].kind);
      EXPECT_EQ(boost::json::serialize(after[i].body), boost::json::serialize(before[i].body)) << "seed " << seed;
    }
    // Behaviour, not only records: every message in the same state and order, and the receipts
    // handed out before the save still work.
    int q = 0;
    for (const char* name : {"dlq", "main", "orders.fifo"}) {
      auto peeked = *store->PeekMessages(QueueKey{kScope.account, kScope.region, name}, now);
      ASSERT_EQ(peeked.size(), peeked_before[q].size()) << name;
      for (std::size_t i = 0; i < peeked.size(); ++i) {
        EXPECT_EQ(peeked[i].message.message_id, peeked_before[q][i].message.message_id);
        EXPECT_EQ(peeked[i].state, peeked_before[q][i].state);
        EXPECT_EQ(peeked[i].message.receive_count, peeked_before[q][i].message.receive_count);
        EXPECT_EQ(peeked[i].message.visible_at_millis, peeked_before[q][i].message.visible_at_millis);
      }
      ++q;
    }
    for (const auto& receipt : receipts) {
      for (const char* name : {"main", "orders.fifo"}) (void)store->DeleteMessage(QueueKey{kScope.account, kScope.region, name}, receipt, now);
    }
    // In-flight messages deleted by their old receipts are gone after the load too.
    std::int64_t in_flight = 0;
    for (const char* name : {"main", "orders.fifo"}) in_flight += store->CountMessages(QueueKey{kScope.account, kScope.region, name}, now)->in_flight;
    EXPECT_EQ(in_flight, 0) << "seed " << seed << ": a receipt from before the snapshot no longer deleted its message";
  }
}

TEST(SqsStateTest, ANewerRecordVersionAndAnUnknownKindAreRefused) {
  auto store = std::make_shared<MemorySqsStore>();
  SqsState state(store);
  auto newer = LoadAll(state, {}, 2);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().find("newer"), std::string::npos);
  auto unknown = LoadAll(state, {StateRecord{"topic", {}}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().find("'topic'"), std::string::npos);
  auto orphan = LoadAll(state, {StateRecord{"message", boost::json::object{{"QueueName", "q"}}}});
  ASSERT_FALSE(orphan);
  auto missing = LoadAll(state, {StateRecord{"queue", boost::json::object{{"QueueName", "q"}}}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("\"fifo\""), std::string::npos) << missing.error();
}

TEST(SqsStateTest, LoadReplacesSameNamedQueuesAndKeepsOthers) {
  auto store = std::make_shared<MemorySqsStore>();
  SqsState state(store);
  std::int64_t now = 1'800'000'000'000;
  std::mt19937_64 random(3);
  QueueKey a{kScope.account, kScope.region, "a"}, b{kScope.account, kScope.region, "b"};
  ASSERT_TRUE(store->CreateQueue(Record("a", false), now));
  ASSERT_TRUE(store->SendMessages(a, {Message(random, false, 1)}, now));
  auto snapshot = SaveAll(state);
  ASSERT_TRUE(store->SendMessages(a, {Message(random, false, 2), Message(random, false, 3)}, now));
  ASSERT_TRUE(store->CreateQueue(Record("b", false), now));
  ASSERT_TRUE(LoadAll(state, snapshot));
  EXPECT_EQ(store->PeekMessages(a, now)->size(), 1u);  // replaced whole: the later sends are gone
  EXPECT_TRUE(store->GetQueue(b));                     // not in the snapshot: kept
}

// Receives with redrive move messages into the dead-letter queue while exports run: every export
// holds each message exactly once (as many as were sent, none twice).
TEST(SqsStateTest, ExportsDuringRedriveHoldEveryMessageExactlyOnce) {
  auto store = std::make_shared<MemorySqsStore>();
  SqsState state(store);
  std::int64_t now = 1'800'000'000'000;
  QueueKey main{kScope.account, kScope.region, "main"};
  ASSERT_TRUE(store->CreateQueue(Record("dlq", false), now));
  ASSERT_TRUE(store->CreateQueue(Record("main", false), now));
  std::mt19937_64 random(9);
  const int total = 300;
  for (int i = 0; i < total; i += 100) {
    std::vector<NewMessage> batch;
    for (int j = 0; j < 100; ++j) batch.push_back(Message(random, false, i + j));
    for (auto& message : batch) message.delay_seconds = 0;
    ASSERT_TRUE(store->SendMessages(main, std::move(batch), now));
  }
  std::atomic<bool> done{false};
  std::thread receiver([&] {
    std::int64_t clock = now;
    ReceiveOptions options;
    options.max_messages = 10;
    options.visibility_timeout_seconds = 0;
    options.dead_letter_queue = QueueKey{kScope.account, kScope.region, "dlq"};
    options.max_receive_count = 1;
    while (!done) (void)store->ReceiveMessages(main, options, ++clock);
  });
  // And back: a move task's batches keep messages travelling the other way, so there is always
  // something in transit.
  std::thread mover([&] {
    QueueKey dlq{kScope.account, kScope.region, "dlq"};
    std::int64_t clock = now + 1'000'000;
    while (!done) (void)store->MoveMessages(dlq, main, 10, ++clock);
  });
  // Many small exports: a message in transit is between two queues for a moment only.
  for (int round = 0; round < 1000; ++round) {
    std::set<std::string> ids;
    int messages = 0;
    for (const auto& record : SaveAll(state)) {
      if (record.kind != "message") continue;
      ++messages;
      ids.insert(std::string(record.body.at("MessageId").as_string()));
    }
    ASSERT_EQ(messages, total) << "round " << round;
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(total)) << "round " << round << ": a message was in two queues";
  }
  done = true;
  receiver.join();
  mover.join();
}

// Journaling: every change the memory store reports, replayed in order into an empty store (through
// JSON text, as the journal keeps them), gives the same state — after random sends, receives with
// redrive, deletes, visibility changes, purges, move tasks, queue updates, deletions and a load.
class RecordingSink final : public services::StateChangeSink {
 public:
  void Record(std::span<const services::StateChange> changes) override {
    std::lock_guard lock(mutex);
    for (const auto& change : changes) {
      // Deep, into this sink's own storage: the record may live in the reporter's scratch memory.
      services::StateChange copy{change.op, change.scope, {change.record.kind, {}}};
      copy.record.body = boost::json::parse(boost::json::serialize(change.record.body)).as_object();
      log.push_back(std::move(copy));
    }
  }
  std::mutex mutex;
  std::vector<services::StateChange> log;
};

// A sink that changes the store while it is told of a change (so the store reports again, on the
// same thread, before the first report returns) must still find the first report's records whole:
// SQS builds them in per-thread scratch memory, which the nested report must not reuse.
class ReenteringSink final : public services::StateChangeSink {
 public:
  explicit ReenteringSink(MemorySqsStore& store) : store_(store) {}
  void Record(std::span<const services::StateChange> changes) override {
    std::vector<std::string> before;
    for (const auto& change : changes) before.push_back(boost::json::serialize(change.record.body));
    if (!entered_) {
      entered_ = true;
      std::mt19937_64 random(7);
      ASSERT_TRUE(store_.SendMessages(QueueKey{kScope.account, kScope.region, "other"},
                                      {Message(random, false, 99), Message(random, false, 100)}, 1'800'000'000'000));
    }
    for (std::size_t i = 0; i < changes.size(); ++i) {
      EXPECT_EQ(boost::json::serialize(changes[i].record.body), before[i]) << "record " << i << " changed under the sink";
    }
    reports += 1;
  }
  int reports = 0;

 private:
  MemorySqsStore& store_;
  bool entered_ = false;
};

TEST(SqsStateTest, ASinkThatChangesTheStoreStillSeesTheRecordsItWasGiven) {
  auto store = std::make_shared<MemorySqsStore>();
  SqsState state(store);
  auto sink = std::make_shared<ReenteringSink>(*store);
  for (const char* name : {"main", "other"}) ASSERT_TRUE(store->CreateQueue(Record(name, false), 1'800'000'000'000));
  ASSERT_TRUE(state.AttachChangeSink(sink));
  std::mt19937_64 random(3);
  std::vector<NewMessage> batch;
  for (int i = 0; i < 5; ++i) batch.push_back(Message(random, false, i));
  ASSERT_TRUE(store->SendMessages(QueueKey{kScope.account, kScope.region, "main"}, std::move(batch), 1'800'000'000'000));
  EXPECT_EQ(sink->reports, 2);  // the outer report and the one its sink caused
}

TEST(SqsStateTest, ReplayingTheReportedChangesRebuildsTheSameState) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 random(seed * 7919);
    auto store = std::make_shared<MemorySqsStore>();
    SqsState state(store);
    auto sink = std::make_shared<RecordingSink>();
    ASSERT_TRUE(state.AttachChangeSink(sink));
    std::int64_t now = 1'800'000'000'000;
    for (const char* name : {"dlq", "main", "orders.fifo", "spare"}) {
      ASSERT_TRUE(store->CreateQueue(Record(name, std::string(name).ends_with(".fifo")), now));
    }
    auto key = [](const char* name) { return QueueKey{kScope.account, kScope.region, name}; };
    std::vector<std::pair<std::string, std::string>> receipts;  // queue, handle
    auto middle = SaveAll(state);
    for (int step = 0; step < 300; ++step) {
      now += static_cast<std::int64_t>(random() % 3000);
      bool fifo = random() % 3 == 0;
      const char* name = fifo ? "orders.fifo" : "main";
      switch (random() % 12) {
        case 0: case 1: case 2: {
          std::vector<NewMessage> batch;
          for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) batch.push_back(Message(random, fifo, step * 10 + i));
          if (fifo && random() % 3 == 0) batch.push_back(batch.front());  // a duplicate within the window
          ASSERT_TRUE(store->SendMessages(key(name), std::move(batch), now));
          break;
        }
        case 3: case 4: {
          ReceiveOptions options;
          options.max_messages = 1 + static_cast<int>(random() % 4);
          options.visibility_timeout_seconds = static_cast<std::int64_t>(random() % 20);
          options.dead_letter_queue = key("dlq");
          options.max_receive_count = 2;
          if (fifo) options.dead_letter_queue.reset();
          auto received = store->ReceiveMessages(key(name), options, now);
          ASSERT_TRUE(received);
          for (auto& message : received->messages) receipts.emplace_back(name, message.receipt_handle);
          break;
        }
        case 5:
          if (!receipts.empty()) {
            auto& [queue, handle] = receipts[random() % receipts.size()];
            (void)store->DeleteMessage(QueueKey{kScope.account, kScope.region, queue}, handle, now);
          }
          break;
        case 6:
          if (!receipts.empty()) {
            // One of the latest receipts: still current, so the change usually takes effect.
            auto& [queue, handle] = receipts[receipts.size() - 1 - random() % std::min<std::size_t>(3, receipts.size())];
            (void)store->ChangeVisibility(QueueKey{kScope.account, kScope.region, queue}, handle,
                                          static_cast<std::int64_t>(random() % 30), now);
          }
          break;
        case 7:
          (void)store->MoveMessages(key("dlq"), random() % 2 ? std::optional<QueueKey>(key("spare")) : std::nullopt,
                                    static_cast<std::int64_t>(random() % 5), now);
          break;
        case 8:
          (void)store->PurgeQueue(key(random() % 2 ? "spare" : "main"), now);
          break;
        case 9: {
          MoveTask task;
          task.task_handle = "task-" + std::to_string(step);
          task.source_arn = key("dlq").Arn();
          task.started_millis = now;
          task.runner = "r";
          task.heartbeat_millis = now;
          (void)store->PutMoveTask(key("dlq"), task);
          (void)store->ClaimMoveTask(key("dlq"), task.task_handle, "r2", now, now + 1);
          break;
        }
        case 10:
          (void)store->UpdateQueue(key(name), [&](QueueRecord& record) -> Status<> {
            record.attributes["VisibilityTimeout"] = std::to_string(random() % 100);
            record.last_modified_seconds = now / 1000;
            return Done{};
          });
          break;
        case 11:
          if (random() % 4 == 0) {
            (void)store->DeleteQueue(key("spare"), now);
          } else if (random() % 3 == 0) {
            ASSERT_TRUE(LoadAll(state, middle));  // a load through the state endpoints, journaled too
          } else {
            (void)store->CreateQueue(Record("spare", false), now);
          }
          break;
      }
    }
    (void)store->ExpireMessages(key("main"), 60, now);
    auto replayed_store = std::make_shared<MemorySqsStore>();
    SqsState replayed(replayed_store);
    for (const auto& change : sink->log) {
      auto applied = replayed.Apply(change);
      ASSERT_TRUE(applied) << "seed " << seed << ": " << applied.error();
    }
    auto expected = SaveAll(state);
    auto actual = SaveAll(replayed);
    ASSERT_EQ(actual.size(), expected.size()) << "seed " << seed;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(actual[i].kind, expected[i].kind) << "seed " << seed << " record " << i;
      ASSERT_EQ(boost::json::serialize(actual[i].body), boost::json::serialize(expected[i].body))
          << "seed " << seed << " record " << i;
    }
    // And the recently-deleted guard came back too.
    EXPECT_EQ(replayed_store->CreateQueue(Record("spare", false), now).ok(),
              store->CreateQueue(Record("spare", false), now).ok()) << "seed " << seed;
  }
}

// A clear drops the 60-second deletion marks of its scope, and the journal says so: a queue deleted
// just before a clear can be created again at once, on the live store and on its replay.
TEST(SqsStateTest, AClearedDeletionMarkIsGoneAfterAReplayToo) {
  auto store = std::make_shared<MemorySqsStore>();
  SqsState state(store);
  auto sink = std::make_shared<RecordingSink>();
  ASSERT_TRUE(state.AttachChangeSink(sink));
  const std::int64_t now = 1'800'000'000'000;
  const QueueKey key{kScope.account, kScope.region, "again"};
  ASSERT_TRUE(store->CreateQueue(Record("again", false), now));
  ASSERT_TRUE(store->DeleteQueue(key, now + 1));
  EXPECT_FALSE(store->CreateQueue(Record("again", false), now + 2).ok());  // the 60 s rule holds
  ASSERT_TRUE(state.Clear(kScope).ok());
  auto replayed_store = std::make_shared<MemorySqsStore>();
  SqsState replayed(replayed_store);
  for (const auto& change : sink->log) ASSERT_TRUE(replayed.Apply(change));
  EXPECT_TRUE(store->CreateQueue(Record("again", false), now + 3).ok());
  EXPECT_TRUE(replayed_store->CreateQueue(Record("again", false), now + 3).ok());
}

}  // namespace
}  // namespace mallard::sqs

// SqsStore conformance: snapshots at the store level (ExportScope, ClearScope, ImportQueue,
// ImportRecentlyDeleted, ListScopes). Seeded random state — standard and FIFO queues (one with
// per-group deduplication), redrive into a dead-letter queue, delays, receives left in flight,
// deletes, visibility changes, a move task, a recently deleted name — is exported, cleared and
// imported back: the second export must equal the first field by field, and the restored store must
// behave as a never-cleared copy does (counts, peeks, receive order, receipts from before).
#include <random>
#include <sstream>

#include "sqs_store_conformance.hpp"

namespace mallard::sqs::conformance {
namespace {

// Every field of a dump, as text, so two dumps compare with one EXPECT_EQ and a readable diff.
std::string Text(const MessageAttributes& attributes) {
  std::ostringstream out;
  for (const auto& [name, value] : attributes) {
    out << name << '=' << value.data_type << '/' << value.string_value << '/' << value.binary_value.size() << ':'
        << value.binary_value << ';';
  }
  return out.str();
}

// Receipt tokens are random per receive, so two stores receiving alike differ only there.
std::string Text(const StoredMessage& m, bool with_token = true) {
  std::ostringstream out;
  out << m.message_id << '|' << m.content.body << '|' << Text(m.content.attributes) << '|'
      << Text(m.content.system_attributes) << '|' << m.content.md5_of_body << '|' << m.content.md5_of_attributes << '|'
      << m.content.md5_of_system_attributes << '|' << m.content.sender_id << '|' << m.content.group_id << '|'
      << m.content.deduplication_id << '|' << m.content.dead_letter_source_arn << '|' << m.sent_millis << '|'
      << m.retention_start_millis << '|' << m.visible_at_millis << '|' << m.first_receive_millis << '|'
      << m.last_receive_millis << '|' << m.receive_count << '|' << m.sequence_number << '|' << (with_token ? m.receipt_token : "");
  return out.str();
}

std::string Text(const ScopeDump& dump) {
  std::ostringstream out;
  for (const auto& queue : dump.queues) {
    const QueueRecord& r = queue.record;
    out << "queue " << r.key.account_id << '/' << r.key.region << '/' << r.key.name << " fifo=" << r.fifo
        << " created=" << r.created_seconds << " modified=" << r.last_modified_seconds
        << " purged=" << r.last_purge_millis << " next=" << queue.next_send_order << '\n';
    for (const auto& [name, value] : r.attributes) out << "  attr " << name << '=' << value << '\n';
    for (const auto& [name, value] : r.tags) out << "  tag " << name << '=' << value << '\n';
    for (const auto& entry : queue.messages) out << "  msg #" << entry.send_order << ' ' << Text(entry.message) << '\n';
    for (const auto& entry : queue.deduplication) {
      out << "  dedup " << entry.deduplication_id << " -> " << entry.result.message_id << '/'
          << entry.result.sequence_number << " until " << entry.expires_millis << '\n';
    }
    for (const auto& t : queue.move_tasks) {
      out << "  task " << t.task_handle << ' ' << t.source_arn << ' ' << t.destination_arn << ' ' << t.max_per_second
          << ' ' << t.status << ' ' << t.started_millis << ' ' << t.moved << ' ' << t.to_move << ' ' << t.failure_reason
          << ' ' << t.runner << ' ' << t.heartbeat_millis << '\n';
    }
  }
  for (const auto& [name, when] : dump.recently_deleted) out << "deleted " << name << " at " << when << '\n';
  return out.str();
}

std::string Text(const std::vector<PeekedMessage>& peeked) {
  std::string text;
  for (const auto& entry : peeked) text += std::to_string(static_cast<int>(entry.state)) + " " + Text(entry.message, false) + "\n";
  return text;
}

NewMessage RandomMessage(std::mt19937_64& random, bool fifo, int n) {
  NewMessage message = Message("body-" + std::to_string(n) + std::string(random() % 30, 'x') + "\xe2\x9c\x93");
  if (random() % 3 == 0) message.attributes["n"] = {"Number", std::to_string(n), ""};
  if (random() % 4 == 0) {
    message.attributes["bin"] = {"Binary", "", std::string("\x00\xff\n\x10", 4)};
    message.md5_of_attributes = "md5a-" + std::to_string(n);
  }
  if (random() % 6 == 0) {
    message.system_attributes["AWSTraceHeader"] = {"String", "Root=1-" + std::to_string(n), ""};
    message.md5_of_system_attributes = "md5s-" + std::to_string(n);
  }
  if (!fifo && random() % 5 == 0) message.delay_seconds = static_cast<std::int64_t>(random() % 900);
  if (fifo) {
    message.group_id = "g" + std::to_string(random() % 3);
    // Some repeats, so the window answers with the earlier message.
    message.deduplication_id = "d" + std::to_string(random() % 4 == 0 ? n / 2 : n);
  }
  return message;
}

StoreResult<Done> ImportAll(SqsStore& store, const ScopeDump& dump) {
  for (const auto& queue : dump.queues) {
    if (auto imported = store.ImportQueue(queue); !imported) return imported;
  }
  return store.ImportRecentlyDeleted(kAccount, kRegion, dump.recently_deleted);
}

}  // namespace

TEST_P(SqsStoreConformance, SnapshotOfRandomStateExportsImportsAndBehavesIdentically) {
  const std::vector<std::string> names = {"dlq", "main", "orders.fifo", "per-group.fifo"};
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    store_->Reset();
    std::mt19937_64 random(seed);
    now_ = kStart;
    const QueueKey dlq = Create("dlq");
    const QueueKey main = Create("main", false, {{"RedrivePolicy", "{\"maxReceiveCount\":\"2\"}"}, {"Policy", "{}"}});
    const QueueKey orders = Create("orders.fifo", true);
    const QueueKey per_group = Create("per-group.fifo", true, {{"DeduplicationScope", "messageGroup"}});
    ASSERT_TRUE(store_->UpdateQueue(main, [](QueueRecord& record) -> Result<Done> {
      record.tags["team"] = "a b";
      return Done{};
    }));
    const QueueKey queues[] = {main, orders, per_group};
    std::vector<std::pair<QueueKey, std::string>> receipts;
    for (int step = 0; step < 150; ++step) {
      now_ += static_cast<std::int64_t>(random() % 4000);
      const QueueKey& key = queues[random() % 3];
      const bool fifo = key.name.ends_with(".fifo");
      switch (random() % 5) {
        case 0:
        case 1: {
          std::vector<NewMessage> batch;
          for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) {
            batch.push_back(RandomMessage(random, fifo, step * 10 + i));
          }
          Send(key, std::move(batch));
          break;
        }
        case 2: {
          ReceiveOptions options = Options(1 + static_cast<int>(random() % 3), static_cast<std::int64_t>(random() % 60));
          if (!fifo) {
            options.dead_letter_queue = dlq;
            options.max_receive_count = 2;
          }
          for (auto& received : Receive(key, options).messages) receipts.emplace_back(key, received.receipt_handle);
          break;
        }
        case 3:
          if (!receipts.empty()) {
            const auto& [queue, receipt] = receipts[random() % receipts.size()];
            (void)store_->DeleteMessage(queue, receipt, now_);
          }
          break;
        case 4:
          if (!receipts.empty()) {
            const auto& [queue, receipt] = receipts[random() % receipts.size()];
            (void)store_->ChangeVisibility(queue, receipt, static_cast<std::int64_t>(random() % 100), now_);
          }
          break;
      }
    }
    MoveTask task;
    task.task_handle = "handle-" + std::to_string(seed);
    task.source_arn = dlq.Arn();
    task.status = seed % 2 ? "RUNNING" : "COMPLETED";
    task.started_millis = now_;
    task.moved = 3;
    task.to_move = 9;
    task.runner = "server-a";
    task.heartbeat_millis = now_;
    ASSERT_TRUE(store_->PutMoveTask(dlq, task));
    const QueueKey gone = Create("gone");
    ASSERT_TRUE(store_->DeleteQueue(gone, now_));

    auto before = store_->ExportScope(kAccount, kRegion);
    ASSERT_TRUE(before) << before.error().detail;
    ASSERT_EQ(before->queues.size(), 4u);
    ASSERT_EQ(before->recently_deleted.size(), 1u);

    // A copy that is never cleared: the reference for behaviour.
    StorePair reference_pair = GetParam().make();
    SqsStore& reference = *reference_pair.store;
    ASSERT_TRUE(ImportAll(reference, *before));

    ASSERT_TRUE(store_->ClearScope(kAccount, kRegion));
    auto cleared = store_->ExportScope(kAccount, kRegion);
    ASSERT_TRUE(cleared);
    EXPECT_EQ(Text(*cleared), "");
    auto scopes = store_->ListScopes();
    ASSERT_TRUE(scopes);
    EXPECT_TRUE(scopes->empty());
    EXPECT_FALSE(store_->GetQueue(main));

    ASSERT_TRUE(ImportAll(*store_, *before));
    auto after = store_->ExportScope(kAccount, kRegion);
    ASSERT_TRUE(after) << after.error().detail;
    EXPECT_EQ(Text(*before), Text(*after));
    scopes = store_->ListScopes();
    ASSERT_TRUE(scopes);
    EXPECT_EQ(*scopes, (std::vector<std::pair<std::string, std::string>>{{kAccount, kRegion}}));
    // The deletion mark came back: the name stays blocked for 60 s after the original delete.
    auto recreate = store_->CreateQueue(MakeRecord("gone"), now_ + 1000);
    ASSERT_FALSE(recreate);
    EXPECT_EQ(recreate.error().code, StoreErrc::DeletedRecently);
    auto moving = store_->ListMoveTaskSources();
    ASSERT_TRUE(moving);
    EXPECT_EQ(moving->size(), seed % 2 ? 1u : 0u);

    // Receipts from before the snapshot still act on in-flight messages (on the restored store).
    for (const auto& [queue, receipt] : receipts) {
      auto deleted = store_->DeleteMessage(queue, receipt, now_);
      auto reference_deleted = reference.DeleteMessage(queue, receipt, now_);
      EXPECT_EQ(deleted.ok(), reference_deleted.ok()) << queue.name;
    }

    // Same observable behaviour: counts, peeks and what receives return, in order, as time passes.
    for (int round = 0; round < 12; ++round) {
      now_ += 20'000;
      for (const auto& name : names) {
        const QueueKey key{kAccount, kRegion, name};
        auto counts = store_->CountMessages(key, now_);
        auto reference_counts = reference.CountMessages(key, now_);
        ASSERT_TRUE(counts && reference_counts);
        EXPECT_EQ(counts->visible, reference_counts->visible) << name;
        EXPECT_EQ(counts->in_flight, reference_counts->in_flight) << name;
        EXPECT_EQ(counts->delayed, reference_counts->delayed) << name;
        auto peeked = store_->PeekMessages(key, now_);
        auto reference_peeked = reference.PeekMessages(key, now_);
        ASSERT_TRUE(peeked && reference_peeked);
        EXPECT_EQ(Text(*peeked), Text(*reference_peeked)) << name;
        auto received = store_->ReceiveMessages(key, Options(3, 10), now_);
        auto reference_received = reference.ReceiveMessages(key, Options(3, 10), now_);
        ASSERT_TRUE(received && reference_received);
        std::vector<std::string> ids, reference_ids;
        for (const auto& m : received->messages) ids.push_back(m.message.message_id);
        for (const auto& m : reference_received->messages) reference_ids.push_back(m.message.message_id);
        EXPECT_EQ(ids, reference_ids) << name << " round " << round;
        for (const auto& m : received->messages) {
          if (round % 2 == 0) EXPECT_TRUE(store_->DeleteMessage(key, m.receipt_handle, now_)) << name;
        }
        for (const auto& m : reference_received->messages) {
          if (round % 2 == 0) EXPECT_TRUE(reference.DeleteMessage(key, m.receipt_handle, now_)) << name;
        }
      }
    }
    reference.Reset();
  }
}

TEST_P(SqsStoreConformance, SnapshotImportReplacesAQueueWholeAndKeepsOthers) {
  const QueueKey kept = Create("kept");
  const QueueKey replaced = Create("replaced");
  Send(kept, {Message("k1")});
  Send(replaced, {Message("old1"), Message("old2")});
  auto dump = store_->ExportScope(kAccount, kRegion);
  ASSERT_TRUE(dump);
  ASSERT_EQ(dump->queues.size(), 2u);
  QueueDump replacement = dump->queues[1];
  ASSERT_EQ(replacement.record.key.name, "replaced");
  replacement.messages.resize(1);
  replacement.record.attributes["VisibilityTimeout"] = "45";
  ASSERT_TRUE(store_->ImportQueue(replacement));
  auto record = store_->GetQueue(replaced);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->attributes.at("VisibilityTimeout"), "45");
  EXPECT_EQ(Counts(replaced).visible, 1);
  EXPECT_EQ(Counts(kept).visible, 1);
  // Sends continue after the imported send order.
  Send(replaced, {Message("new")});
  EXPECT_EQ(Bodies(Receive(replaced, Options(10))), (std::vector<std::string>{"old1", "new"}));
}

}  // namespace mallard::sqs::conformance

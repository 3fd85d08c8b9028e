// The SqsStore conformance cases (sqs_store_conformance.hpp says how a store runs them).
#include <gtest/gtest.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/ids.hpp"
#include "sqs_store_conformance.hpp"

namespace mallard::sqs::conformance {

TEST_P(SqsStoreConformance, SendReceiveDeleteAndVisibilityTimeout) {
  auto queue = Create("jobs");
  auto sent = Send(queue, {Message("a"), Message("b"), Message("c")});
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_TRUE(sent[0].sequence_number.empty()) << "standard queues have no sequence numbers";
  EXPECT_EQ(Counts(queue).visible, 3);

  auto first = Receive(queue, Options(10));
  ASSERT_EQ(first.messages.size(), 3u);
  std::set<std::string> bodies;
  for (const auto& received : first.messages) {
    bodies.insert(received.message.content.body);
    EXPECT_EQ(received.message.receive_count, 1);
    EXPECT_EQ(received.message.first_receive_millis, now_);
    EXPECT_EQ(received.message.sent_millis, now_);
    EXPECT_EQ(received.message.content.sender_id, "AIDATEST");
    EXPECT_FALSE(received.receipt_handle.empty());
  }
  EXPECT_EQ(bodies, (std::set<std::string>{"a", "b", "c"}));
  auto counts = Counts(queue);
  EXPECT_EQ(counts.visible, 0);
  EXPECT_EQ(counts.in_flight, 3);

  auto none = Receive(queue, Options(10));
  EXPECT_TRUE(none.messages.empty());
  ASSERT_TRUE(none.next_visible_millis.has_value());
  EXPECT_EQ(*none.next_visible_millis, now_ + 30000);

  ASSERT_TRUE(store_->DeleteMessage(queue, first.messages[0].receipt_handle, now_).ok());
  EXPECT_EQ(Counts(queue).in_flight, 2);
  // Deleting again (already gone) succeeds without effect.
  EXPECT_TRUE(store_->DeleteMessage(queue, first.messages[0].receipt_handle, now_).ok());

  now_ += 30000;
  auto again = Receive(queue, Options(10));
  ASSERT_EQ(again.messages.size(), 2u);
  for (const auto& received : again.messages) {
    EXPECT_EQ(received.message.receive_count, 2);
    EXPECT_EQ(received.message.first_receive_millis, kStart);
  }
  // A standard queue accepts the receipt of an earlier receive and does nothing.
  EXPECT_TRUE(store_->DeleteMessage(queue, first.messages[1].receipt_handle, now_).ok());
  EXPECT_EQ(Counts(queue).in_flight, 2);
  for (const auto& received : again.messages) ASSERT_TRUE(store_->DeleteMessage(queue, received.receipt_handle, now_).ok());
  counts = Counts(queue);
  EXPECT_EQ(counts.visible + counts.in_flight + counts.delayed, 0);
}

TEST_P(SqsStoreConformance, ZeroVisibilityTimeoutNeverRepeatsAMessageInOneReceive) {
  auto queue = Create("zero");
  Send(queue, {Message("only")});
  EXPECT_EQ(Bodies(Receive(queue, Options(10, 0))), std::vector<std::string>{"only"});
  EXPECT_EQ(Bodies(Receive(queue, Options(10, 0))), std::vector<std::string>{"only"}) << "visible again at once";
}

// While a FIFO group's head is in flight, the group's next message is visible but not
// receivable; an empty receive must point long polls at the head's return, not at the past.
TEST_P(SqsStoreConformance, FifoEmptyReceiveReportsAFutureVisibility) {
  auto queue = Create("wait.fifo", true);
  Send(queue, {Message("a", "g", "1"), Message("b", "g", "2")});
  ASSERT_EQ(Bodies(Receive(queue, Options(1, 30))), std::vector<std::string>{"a"});
  auto empty = Receive(queue, Options(1, 30));
  EXPECT_TRUE(empty.messages.empty());
  ASSERT_TRUE(empty.next_visible_millis.has_value());
  EXPECT_GT(*empty.next_visible_millis, now_);
}

TEST_P(SqsStoreConformance, MessageContentRoundTrips) {
  auto queue = Create("content");
  NewMessage message = Message(std::string("line1\nline2 \xe2\x9c\x93 ") + std::string(1, '\0') + "end");
  message.attributes["text"] = {"String", "value", ""};
  message.attributes["blob"] = {"Binary", "", std::string("\x00\xff\n:", 4)};
  message.attributes["n"] = {"Number.float", "1.5", ""};
  message.system_attributes["AWSTraceHeader"] = {"String", "Root=1-abc", ""};
  message.md5_of_attributes = "attr-md5";
  message.md5_of_system_attributes = "sys-md5";
  Send(queue, {message});
  auto received = Receive(queue, Options(1));
  ASSERT_EQ(received.messages.size(), 1u);
  const auto& content = received.messages[0].message.content;
  EXPECT_EQ(content.body, message.body);
  EXPECT_EQ(content.attributes, message.attributes);
  EXPECT_EQ(content.system_attributes, message.system_attributes);
  EXPECT_EQ(content.md5_of_body, message.md5_of_body);
  EXPECT_EQ(content.md5_of_attributes, "attr-md5");
  EXPECT_EQ(content.md5_of_system_attributes, "sys-md5");
}

TEST_P(SqsStoreConformance, DelayedMessagesWaitAndCountAsDelayed) {
  auto queue = Create("delayed");
  auto message = Message("later");
  message.delay_seconds = 5;
  Send(queue, {message, Message("now")});
  auto counts = Counts(queue);
  EXPECT_EQ(counts.visible, 1);
  EXPECT_EQ(counts.delayed, 1);
  EXPECT_EQ(Bodies(Receive(queue, Options(10))), std::vector<std::string>{"now"});
  auto none = Receive(queue, Options(10));
  EXPECT_TRUE(none.messages.empty());
  EXPECT_EQ(none.next_visible_millis, now_ + 5000);
  now_ += 5000;
  EXPECT_EQ(Bodies(Receive(queue, Options(10))), std::vector<std::string>{"later"});
}

TEST_P(SqsStoreConformance, ChangeVisibilityRules) {
  auto queue = Create("visibility");
  Send(queue, {Message("m")});
  auto first = Receive(queue, Options(1));
  ASSERT_EQ(first.messages.size(), 1u);
  const auto receipt = first.messages[0].receipt_handle;
  ASSERT_TRUE(store_->ChangeVisibility(queue, receipt, 0, now_).ok());
  EXPECT_EQ(Counts(queue).visible, 1);
  EXPECT_EQ(CodeOf(store_->ChangeVisibility(queue, receipt, 10, now_)), StoreErrc::NotInFlight);

  auto second = Receive(queue, Options(1));
  ASSERT_EQ(second.messages.size(), 1u);
  EXPECT_EQ(second.messages[0].message.receive_count, 2);
  EXPECT_EQ(CodeOf(store_->ChangeVisibility(queue, receipt, 10, now_)), StoreErrc::StaleReceipt);
  const auto current = second.messages[0].receipt_handle;
  ASSERT_TRUE(store_->ChangeVisibility(queue, current, 120, now_).ok());
  now_ += 60000;
  EXPECT_TRUE(Receive(queue, Options(1)).messages.empty()) << "the extension holds";
  // At most 12 hours past the receive.
  ASSERT_TRUE(store_->ChangeVisibility(queue, current, 43140, now_).ok());
  auto limited = store_->ChangeVisibility(queue, current, 43141, now_);
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.error().code, StoreErrc::VisibilityLimit);
  EXPECT_EQ(limited.error().detail, "43141");
}

TEST_P(SqsStoreConformance, BadReceiptsAndMissingQueues) {
  auto queue = Create("receipts");
  EXPECT_EQ(CodeOf(store_->DeleteMessage(queue, "not-a-receipt", now_)), StoreErrc::InvalidReceipt);
  EXPECT_EQ(CodeOf(store_->ChangeVisibility(queue, "not-a-receipt", 5, now_)), StoreErrc::InvalidReceipt);
  QueueKey missing{kAccount, kRegion, "missing"};
  EXPECT_EQ(CodeOf(store_->DeleteMessage(missing, "not-a-receipt", now_)), StoreErrc::NotFound);
  EXPECT_EQ(store_->GetQueue(missing).error().code, StoreErrc::NotFound);
  EXPECT_EQ(store_->SendMessages(missing, {Message("x")}, now_).error().code, StoreErrc::NotFound);
  EXPECT_EQ(store_->ReceiveMessages(missing, Options(1), now_).error().code, StoreErrc::NotFound);
  EXPECT_EQ(store_->CountMessages(missing, now_).error().code, StoreErrc::NotFound);
  EXPECT_EQ(CodeOf(store_->PurgeQueue(missing, now_)), StoreErrc::NotFound);
  EXPECT_EQ(CodeOf(store_->DeleteQueue(missing, now_)), StoreErrc::NotFound);

  // A receipt whose message id does not match the message at its position is invalid.
  Send(queue, {Message("a"), Message("b")});
  auto received = Receive(queue, Options(2));
  ASSERT_EQ(received.messages.size(), 2u);
  ASSERT_TRUE(store_->DeleteMessage(queue, received.messages[0].receipt_handle, now_).ok());
  auto other = Create("receipts-other");
  Send(other, {Message("c"), Message("d")});
  EXPECT_EQ(CodeOf(store_->ChangeVisibility(other, received.messages[1].receipt_handle, 5, now_)),
            StoreErrc::InvalidReceipt);
}

TEST_P(SqsStoreConformance, FifoDeliversInOrderAndLocksGroups) {
  auto queue = Create("orders.fifo", true);
  auto sent = Send(queue, {Message("A1", "A", "1"), Message("A2", "A", "2"), Message("B1", "B", "3"),
                           Message("A3", "A", "4")});
  ASSERT_EQ(sent.size(), 4u);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].sequence_number.size(), 20u);
    if (i > 0) {
      EXPECT_LT(sent[i - 1].sequence_number, sent[i].sequence_number);
    }
  }
  auto first = Receive(queue, Options(1));
  ASSERT_EQ(Bodies(first), std::vector<std::string>{"A1"});
  EXPECT_EQ(first.messages[0].message.sequence_number, sent[0].sequence_number);
  EXPECT_EQ(first.messages[0].message.content.group_id, "A");
  // A1 in flight holds back the rest of group A.
  auto second = Receive(queue, Options(10));
  ASSERT_EQ(Bodies(second), std::vector<std::string>{"B1"});
  EXPECT_TRUE(Receive(queue, Options(10)).messages.empty());
  ASSERT_TRUE(store_->DeleteMessage(queue, first.messages[0].receipt_handle, now_).ok());
  EXPECT_EQ(Bodies(Receive(queue, Options(10))), (std::vector<std::string>{"A2", "A3"}));

  // Without anything in flight, one receive returns the oldest messages across groups in order.
  auto mixed = Create("mixed.fifo", true);
  Send(mixed, {Message("x1", "X", "1"), Message("y1", "Y", "2"), Message("x2", "X", "3"), Message("z1", "Z", "4")});
  EXPECT_EQ(Bodies(Receive(mixed, Options(3))), (std::vector<std::string>{"x1", "y1", "x2"}));
  EXPECT_EQ(Bodies(Receive(mixed, Options(3))), (std::vector<std::string>{"z1"}));
}

TEST_P(SqsStoreConformance, FifoWithManyGroupsDeliversEveryHeadThenTheNextInLine) {
  auto queue = Create("many.fifo", true);
  constexpr int kGroups = 250;  // more than one page of group heads
  for (const char* round : {"a", "b"}) {
    for (int g = 0; g < kGroups; g += 10) {
      std::vector<NewMessage> batch;
      for (int i = g; i < g + 10; ++i) {
        batch.push_back(Message(std::to_string(i) + round, "G" + std::to_string(i), std::to_string(i) + round));
      }
      Send(queue, batch);
    }
  }
  std::vector<std::string> firsts;
  std::vector<std::string> receipts;
  for (;;) {
    auto received = Receive(queue, Options(10));
    if (received.messages.empty()) break;
    for (const auto& message : received.messages) {
      firsts.push_back(message.message.content.body);
      receipts.push_back(message.receipt_handle);
    }
  }
  ASSERT_EQ(firsts.size(), static_cast<std::size_t>(kGroups)) << "every group's head, and nothing behind one";
  for (int i = 0; i < kGroups; ++i) EXPECT_EQ(firsts[i], std::to_string(i) + "a");
  for (const auto& receipt : receipts) ASSERT_TRUE(store_->DeleteMessage(queue, receipt, now_).ok());
  std::vector<std::string> seconds;
  for (;;) {
    auto received = Receive(queue, Options(10));
    if (received.messages.empty()) break;
    for (const auto& message : received.messages) seconds.push_back(message.message.content.body);
  }
  ASSERT_EQ(seconds.size(), static_cast<std::size_t>(kGroups));
  for (int i = 0; i < kGroups; ++i) EXPECT_EQ(seconds[i], std::to_string(i) + "b");
}

TEST_P(SqsStoreConformance, FifoVisibilityExpiryRedeliversTheSameHead) {
  auto queue = Create("retry.fifo", true);
  Send(queue, {Message("1", "G", "1"), Message("2", "G", "2")});
  auto first = Receive(queue, Options(1, 10));
  ASSERT_EQ(Bodies(first), std::vector<std::string>{"1"});
  EXPECT_TRUE(Receive(queue, Options(10)).messages.empty());
  now_ += 10000;
  auto again = Receive(queue, Options(1));
  ASSERT_EQ(Bodies(again), std::vector<std::string>{"1"});
  EXPECT_EQ(again.messages[0].message.receive_count, 2);
  // FIFO refuses the receipt of the earlier receive, and the current one once its window is over.
  EXPECT_EQ(CodeOf(store_->DeleteMessage(queue, first.messages[0].receipt_handle, now_)), StoreErrc::StaleReceipt);
  EXPECT_EQ(CodeOf(store_->DeleteMessage(queue, again.messages[0].receipt_handle, now_ + 30000)),
            StoreErrc::StaleReceipt);
  EXPECT_TRUE(store_->DeleteMessage(queue, again.messages[0].receipt_handle, now_).ok());
}

TEST_P(SqsStoreConformance, FifoDeduplicatesForFiveMinutes) {
  auto queue = Create("dedup.fifo", true);
  auto first = Send(queue, {Message("one", "G", "same")});
  auto duplicate = Send(queue, {Message("other body", "H", "same")});
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(duplicate.size(), 1u);
  EXPECT_EQ(duplicate[0].message_id, first[0].message_id);
  EXPECT_EQ(duplicate[0].sequence_number, first[0].sequence_number);
  EXPECT_EQ(Counts(queue).visible, 1);
  // Within one batch too.
  auto batch = Send(queue, {Message("b1", "G", "batch"), Message("b2", "G", "batch")});
  EXPECT_EQ(batch[0].message_id, batch[1].message_id);
  now_ += 5 * 60 * 1000;
  auto later = Send(queue, {Message("one", "G", "same")});
  EXPECT_NE(later[0].message_id, first[0].message_id);
  EXPECT_EQ(Counts(queue).visible, 3);

  auto scoped = Create("scoped.fifo", true, {{"DeduplicationScope", "messageGroup"}});
  auto in_a = Send(scoped, {Message("x", "A", "id")});
  auto in_b = Send(scoped, {Message("x", "B", "id")});
  auto in_a_again = Send(scoped, {Message("x", "A", "id")});
  EXPECT_NE(in_a[0].message_id, in_b[0].message_id);
  EXPECT_EQ(in_a_again[0].message_id, in_a[0].message_id);
}

TEST_P(SqsStoreConformance, FifoReceiveAttemptIdReturnsTheSameReceipts) {
  auto queue = Create("attempts.fifo", true);
  Send(queue, {Message("1", "G", "1"), Message("2", "G", "2"), Message("3", "H", "3")});
  auto options = Options(2);
  options.request_attempt_id = "attempt-1";
  auto first = Receive(queue, options);
  ASSERT_EQ(first.messages.size(), 2u);
  auto retried = Receive(queue, options);
  ASSERT_EQ(retried.messages.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(retried.messages[i].receipt_handle, first.messages[i].receipt_handle);
    EXPECT_EQ(retried.messages[i].message.message_id, first.messages[i].message.message_id);
  }
  // Once one of them changed, the attempt id no longer replays.
  ASSERT_TRUE(store_->DeleteMessage(queue, first.messages[0].receipt_handle, now_).ok());
  auto after_delete = Receive(queue, options);
  for (const auto& received : after_delete.messages) {
    EXPECT_NE(received.receipt_handle, first.messages[0].receipt_handle);
  }
}

TEST_P(SqsStoreConformance, RedrivesToTheDeadLetterQueueAndMovesBack) {
  auto dlq = Create("dead");
  auto source = Create("work");
  Send(source, {Message("poison")});
  auto options = Options(1, 10);
  options.dead_letter_queue = dlq;
  options.max_receive_count = 2;
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto received = Receive(source, options);
    ASSERT_EQ(received.messages.size(), 1u);
    EXPECT_EQ(received.messages[0].message.receive_count, attempt);
    now_ += 10000;
  }
  EXPECT_TRUE(Receive(source, options).messages.empty());
  EXPECT_EQ(Counts(source).visible, 0);
  auto dead = Receive(dlq, Options(10));
  ASSERT_EQ(dead.messages.size(), 1u);
  EXPECT_EQ(dead.messages[0].message.content.body, "poison");
  EXPECT_EQ(dead.messages[0].message.content.dead_letter_source_arn, source.Arn());
  EXPECT_EQ(dead.messages[0].message.receive_count, 1);
  EXPECT_EQ(dead.messages[0].message.sent_millis, kStart) << "a redriven message keeps its sent time";

  now_ += 30000;
  auto moved = store_->MoveMessages(dlq, std::nullopt, 10, now_);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, 1);
  auto back = Receive(source, Options(1));
  ASSERT_EQ(back.messages.size(), 1u);
  EXPECT_EQ(back.messages[0].message.receive_count, 1);
  EXPECT_EQ(back.messages[0].message.message_id, dead.messages[0].message.message_id);
  EXPECT_TRUE(back.messages[0].message.content.dead_letter_source_arn.empty());

  // To an explicit destination; a message whose origin is gone stays where it is.
  auto elsewhere = Create("elsewhere");
  Send(dlq, {Message("to-elsewhere")});
  EXPECT_EQ(*store_->MoveMessages(dlq, elsewhere, 10, now_), 1);
  EXPECT_EQ(Bodies(Receive(elsewhere, Options(10))), std::vector<std::string>{"to-elsewhere"});
  Send(dlq, {Message("orphan")});
  auto unroutable = store_->MoveMessages(dlq, std::nullopt, 10, now_);
  ASSERT_FALSE(unroutable.ok());
  EXPECT_EQ(unroutable.error().code, StoreErrc::NotFound);
  EXPECT_EQ(Counts(dlq).visible, 1);
}

TEST_P(SqsStoreConformance, FifoRedriveKeepsGroupsMoving) {
  auto dlq = Create("dead.fifo", true);
  auto source = Create("work.fifo", true);
  Send(source, {Message("bad", "G", "1"), Message("good", "G", "2")});
  auto options = Options(1, 10);
  options.dead_letter_queue = dlq;
  options.max_receive_count = 1;
  ASSERT_EQ(Bodies(Receive(source, options)), std::vector<std::string>{"bad"});
  now_ += 10000;
  EXPECT_EQ(Bodies(Receive(source, options)), std::vector<std::string>{"good"});
  auto dead = Receive(dlq, Options(10));
  ASSERT_EQ(Bodies(dead), std::vector<std::string>{"bad"});
  EXPECT_EQ(dead.messages[0].message.sequence_number.size(), 20u);
}

TEST_P(SqsStoreConformance, RetentionAfterRedriveCountsFromTheEnqueueTimeAwsDocuments) {
  // Standard DLQ: the original enqueue time, even behind a later message in the DLQ's order.
  // FIFO DLQ: the move into the DLQ starts the retention period again.
  for (bool fifo : {false, true}) {
    SCOPED_TRACE(fifo ? "fifo" : "standard");
    const std::string suffix = fifo ? ".fifo" : "";
    auto dlq = Create("aged-dead" + suffix, fifo);
    auto source = Create("aged-work" + suffix, fifo);
    const std::int64_t sent_at = now_;
    Send(source, {fifo ? Message("redriven", "G", "r") : Message("redriven")});
    auto options = Options(1, 10);
    options.dead_letter_queue = dlq;
    options.max_receive_count = 1;
    ASSERT_EQ(Bodies(Receive(source, options)), std::vector<std::string>{"redriven"});
    now_ += 20000;
    Send(dlq, {fifo ? Message("direct", "H", "d") : Message("direct")});
    EXPECT_TRUE(Receive(source, options).messages.empty());  // moves it into the DLQ
    const std::int64_t moved_at = now_;
    EXPECT_EQ(Counts(dlq).visible, 2);

    auto expired = store_->ExpireMessages(dlq, 60, sent_at + 60000);
    ASSERT_TRUE(expired.ok());
    EXPECT_EQ(*expired, fifo ? 0 : 1);
    expired = store_->ExpireMessages(dlq, 60, moved_at + 60000);
    ASSERT_TRUE(expired.ok());
    EXPECT_EQ(*expired, fifo ? 2 : 1);
    EXPECT_EQ(Counts(dlq).visible, 0);
    now_ += 1000;
  }
}

TEST_P(SqsStoreConformance, PurgeOncePerMinuteAndExpiry) {
  auto queue = Create("purge");
  Send(queue, {Message("1"), Message("2")});
  Receive(queue, Options(1));
  ASSERT_TRUE(store_->PurgeQueue(queue, now_).ok());
  auto counts = Counts(queue);
  EXPECT_EQ(counts.visible + counts.in_flight + counts.delayed, 0);
  EXPECT_EQ(store_->GetQueue(queue)->last_purge_millis, now_);
  EXPECT_EQ(CodeOf(store_->PurgeQueue(queue, now_ + 59999)), StoreErrc::PurgeInProgress);
  EXPECT_TRUE(store_->PurgeQueue(queue, now_ + 60000).ok());

  Send(queue, {Message("old")});
  now_ += 1000;
  Send(queue, {Message("new")});
  auto expired = store_->ExpireMessages(queue, 60, now_ + 59000);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 1);
  auto options = Options(10);
  options.retention_seconds = 60;
  EXPECT_EQ(Bodies(store_->ReceiveMessages(queue, options, now_ + 60000).value()), std::vector<std::string>{});
}

TEST_P(SqsStoreConformance, QueueLifecycleListingAndUpdates) {
  auto created = Create("beta");
  Create("alpha");
  Create("alphabet");
  auto again = store_->CreateQueue(MakeRecord("beta"), now_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->record.key.name, "beta");

  auto listed = store_->ListQueues(kAccount, kRegion, "");
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> names;
  for (const auto& record : *listed) names.push_back(record.key.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "alphabet", "beta"}));
  EXPECT_EQ(store_->ListQueues(kAccount, kRegion, "alpha")->size(), 2u);
  EXPECT_TRUE(store_->ListQueues(kAccount, "eu-west-1", "")->empty());
  EXPECT_TRUE(store_->ListQueues("111111111111", kRegion, "")->empty());

  auto updated = store_->UpdateQueue(created, [](QueueRecord& record) -> Status<> {
    record.attributes["DelaySeconds"] = "3";
    record.tags["team"] = "x";
    return Done{};
  });
  ASSERT_TRUE(updated.ok() && updated->ok());
  EXPECT_EQ(store_->GetQueue(created)->attributes.at("DelaySeconds"), "3");
  EXPECT_EQ(Peer().GetQueue(created)->tags.at("team"), "x");
  auto refused = store_->UpdateQueue(created, [](QueueRecord& record) -> Status<> {
    record.tags.clear();
    return Fail(AwsError::Make("Refused", 400, "no"));
  });
  ASSERT_TRUE(refused.ok());
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error().code, "Refused");
  EXPECT_EQ(store_->GetQueue(created)->tags.size(), 1u) << "a refused mutation changes nothing";

  Send(created, {Message("left behind")});
  ASSERT_TRUE(store_->DeleteQueue(created, now_).ok());
  EXPECT_EQ(store_->GetQueue(created).error().code, StoreErrc::NotFound);
  EXPECT_EQ(store_->CreateQueue(MakeRecord("beta"), now_ + 59999).error().code, StoreErrc::DeletedRecently);
  auto recreated = store_->CreateQueue(MakeRecord("beta"), now_ + 60000);
  ASSERT_TRUE(recreated.ok() && recreated->created);
  EXPECT_EQ(Counts(created).visible, 0) << "a re-created queue starts empty";
}

TEST_P(SqsStoreConformance, MoveTasksNewestFirstAndCancelledStaysCancelled) {
  auto queue = Create("tasks");
  for (int i = 0; i < 12; ++i) {
    MoveTask task;
    task.task_handle = "handle-" + std::to_string(i);
    task.source_arn = queue.Arn();
    task.started_millis = now_ + i;
    task.to_move = 5;
    ASSERT_TRUE(store_->PutMoveTask(queue, task).ok());
  }
  auto tasks = store_->ListMoveTasks(queue);
  ASSERT_TRUE(tasks.ok());
  ASSERT_EQ(tasks->size(), 10u);
  EXPECT_EQ(tasks->front().task_handle, "handle-11");
  EXPECT_EQ(tasks->front().started_millis, now_ + 11);

  MoveTask cancelled = tasks->front();
  cancelled.status = "CANCELLED";
  ASSERT_TRUE(store_->PutMoveTask(queue, cancelled).ok());
  MoveTask progress = tasks->front();
  progress.moved = 4;
  ASSERT_TRUE(store_->PutMoveTask(queue, progress).ok());
  auto after = store_->ListMoveTasks(queue)->front();
  EXPECT_EQ(after.status, "CANCELLED");
  EXPECT_EQ(after.moved, 4);
  EXPECT_EQ(after.to_move, 5);
}

TEST_P(SqsStoreConformance, AMoveTaskWhoseRunnerWentSilentIsClaimedOnce) {
  auto queue = Create("orphaned");
  auto other = Create("idle");
  MoveTask task;
  task.task_handle = "handle";
  task.source_arn = queue.Arn();
  task.to_move = 3;
  task.runner = "server-a";
  task.heartbeat_millis = now_;
  ASSERT_TRUE(store_->PutMoveTask(queue, task).ok());
  auto sources = Peer().ListMoveTaskSources();
  ASSERT_TRUE(sources.ok());
  EXPECT_EQ(*sources, std::vector<QueueKey>{queue});
  EXPECT_EQ(Peer().ListMoveTasks(queue)->front().runner, "server-a");
  EXPECT_EQ(Peer().ListMoveTasks(queue)->front().heartbeat_millis, now_);

  // Not yet stale; then stale, and only the first claimant wins.
  EXPECT_FALSE(*Peer().ClaimMoveTask(queue, "handle", "server-b", now_ + 9000, now_));
  EXPECT_TRUE(*Peer().ClaimMoveTask(queue, "handle", "server-b", now_ + 9000, now_ + 1));
  EXPECT_FALSE(*store_->ClaimMoveTask(queue, "handle", "server-c", now_ + 9000, now_ + 1));
  EXPECT_FALSE(*store_->ClaimMoveTask(queue, "missing", "server-c", now_ + 9000, now_ + 1));
  EXPECT_FALSE(*store_->ClaimMoveTask(other, "handle", "server-c", now_ + 9000, now_ + 1));
  auto claimed = store_->ListMoveTasks(queue)->front();
  EXPECT_EQ(claimed.runner, "server-b");
  EXPECT_EQ(claimed.heartbeat_millis, now_ + 9000);
  EXPECT_EQ(claimed.to_move, 3);

  // The old runner's reports are refused; the new runner's are taken.
  task.moved = 1;
  auto refused = store_->PutMoveTask(queue, task);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, StoreErrc::Conflict);
  claimed.moved = 2;
  claimed.status = "COMPLETED";
  ASSERT_TRUE(Peer().PutMoveTask(queue, claimed).ok());
  EXPECT_EQ(store_->ListMoveTasks(queue)->front().moved, 2);
  EXPECT_TRUE(store_->ListMoveTaskSources()->empty()) << "no RUNNING task is left";
  EXPECT_FALSE(*store_->ClaimMoveTask(queue, "handle", "server-c", now_ + 99000, now_ + 99000));
}

TEST_P(SqsStoreConformance, ConcurrentReceiversNeverShareAMessage) {
  auto queue = Create("contended");
  constexpr int kMessages = 300;
  for (int i = 0; i < kMessages; i += 10) {
    std::vector<NewMessage> batch;
    for (int j = i; j < i + 10; ++j) batch.push_back(Message(std::to_string(j)));
    Send(queue, batch);
  }
  std::mutex mutex;
  std::multiset<std::string> seen;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    // Half the receivers go through the second instance: another server on the same Redis.
    SqsStore& store = t % 2 == 0 ? *store_ : Peer();
    threads.emplace_back([&, now = now_] {
      for (;;) {
        auto received = store.ReceiveMessages(queue, Options(3, 300), now);
        ASSERT_TRUE(received.ok());
        if (received->messages.empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& message : received->messages) seen.insert(message.message.content.body);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size()) << "a message was received twice";
}

TEST_P(SqsStoreConformance, ConcurrentFifoReceiversKeepOneMessagePerGroupInFlight) {
  auto queue = Create("contended.fifo", true);
  for (int i = 0; i < 40; ++i) Send(queue, {Message(std::to_string(i), "G" + std::to_string(i % 4), std::to_string(i))});
  std::mutex mutex;
  std::map<std::string, int> in_flight_per_group;
  std::vector<std::string> order;
  std::atomic<bool> violated{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    SqsStore& store = t % 2 == 0 ? *store_ : Peer();
    threads.emplace_back([&] {
      for (int idle = 0; idle < 50;) {
        auto received = store.ReceiveMessages(queue, Options(1, 300), now_);
        ASSERT_TRUE(received.ok());
        if (received->messages.empty()) {
          ++idle;
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          continue;
        }
        idle = 0;
        const auto& message = received->messages[0];
        {
          std::lock_guard lock(mutex);
          if (++in_flight_per_group[message.message.content.group_id] > 1) violated = true;
          order.push_back(message.message.content.body);
        }
        std::lock_guard lock(mutex);  // decrement before the delete makes the group receivable again
        --in_flight_per_group[message.message.content.group_id];
        ASSERT_TRUE(store.DeleteMessage(queue, message.receipt_handle, now_).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(violated);
  ASSERT_EQ(order.size(), 40u);
  std::map<int, int> last_per_group;
  for (const auto& body : order) {
    int value = std::stoi(body);
    auto [it, first] = last_per_group.emplace(value % 4, value);
    if (!first) {
      EXPECT_LT(it->second, value) << "group order broken";
      it->second = value;
    }
  }
}

TEST_P(SqsStoreConformance, WatchersWakeOnSendsThroughAnotherInstance) {
  auto queue = Create("watched");
  std::mutex mutex;
  std::condition_variable woke;
  int notifications = 0;
  auto subscription = Peer().WatchQueue(queue, [&] {
    std::lock_guard lock(mutex);
    ++notifications;
    woke.notify_all();
  });
  auto wait_for = [&](int count) {
    std::unique_lock lock(mutex);
    return woke.wait_for(lock, std::chrono::seconds(3), [&] { return notifications >= count; });
  };
  Send(queue, {Message("hello")});
  ASSERT_TRUE(wait_for(1)) << "a send through one instance wakes a watcher of the other";
  auto received = Receive(queue, Options(1));
  ASSERT_EQ(received.messages.size(), 1u);
  int before = 0;
  {
    std::lock_guard lock(mutex);
    before = notifications;
  }
  ASSERT_TRUE(store_->ChangeVisibility(queue, received.messages[0].receipt_handle, 0, now_).ok());
  EXPECT_TRUE(wait_for(before + 1)) << "a message made visible again wakes watchers";
  subscription.reset();
  {
    std::lock_guard lock(mutex);
    before = notifications;
  }
  Send(queue, {Message("unwatched")});
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::lock_guard lock(mutex);
  EXPECT_EQ(notifications, before) << "no call after the subscription ended";
}

TEST_P(SqsStoreConformance, ASubscriptionMayOutliveItsStore) {
  // Servers destroy long polls' subscriptions late in a shutdown, possibly after the store.
  auto queue = Create("outlived");
  auto subscription = store_->WatchQueue(queue, [] {});
  store_->Reset();
  peer_.reset();
  store_.reset();
  subscription.reset();
}

}  // namespace mallard::sqs::conformance

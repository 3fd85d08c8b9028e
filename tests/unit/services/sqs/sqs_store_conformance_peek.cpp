// The SqsStore conformance cases for PeekMessages (LocalStack's /_aws/sqs/messages): every
// message with its state, in send order, and nothing changed by looking; with a seeded random
// traffic model. Split from sqs_store_conformance.cpp, which holds the other cases.
#include <gtest/gtest.h>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "common/ids.hpp"
#include "sqs_store_conformance.hpp"
#include "test_seed.hpp"

namespace mallard::sqs::conformance {

// ---- PeekMessages: every message with its state, and nothing changes -----------------------

std::vector<std::string> PeekedBodies(const std::vector<PeekedMessage>& peeked) {
  std::vector<std::string> bodies;
  for (const auto& entry : peeked) bodies.push_back(entry.message.content.body);
  return bodies;
}

TEST_P(SqsStoreConformance, PeekListsEveryStateInSendOrderAndChangesNothing) {
  auto queue = Create("peek");
  auto later = Message("later");
  later.delay_seconds = 10;
  later.attributes["colour"] = {"String", "blue", ""};
  later.attributes["raw"] = {"Binary", "", std::string("\0\xff\n", 3)};
  Send(queue, {Message("first"), later, Message("third")});
  now_ += 5;
  auto received = Receive(queue, Options(1));
  ASSERT_EQ(Bodies(received), std::vector<std::string>{"first"});
  const auto counts_before = Counts(queue);

  for (int round = 0; round < 2; ++round) {  // a second peek sees exactly what the first did
    auto peeked = store_->PeekMessages(queue, now_);
    ASSERT_TRUE(peeked.ok());
    ASSERT_EQ(PeekedBodies(*peeked), (std::vector<std::string>{"first", "later", "third"}));
    const auto& first = (*peeked)[0];
    EXPECT_EQ(first.state, PeekedMessage::State::InFlight);
    EXPECT_EQ(first.message.receive_count, 1);
    EXPECT_EQ(first.message.first_receive_millis, now_);
    EXPECT_EQ(first.message.message_id, received.messages[0].message.message_id);
    const auto& delayed = (*peeked)[1];
    EXPECT_EQ(delayed.state, PeekedMessage::State::Delayed);
    EXPECT_EQ(delayed.message.receive_count, 0);
    EXPECT_EQ(delayed.message.first_receive_millis, 0);
    EXPECT_EQ(delayed.message.sent_millis, kStart);
    EXPECT_EQ(delayed.message.content.attributes, later.attributes);
    EXPECT_EQ(delayed.message.content.md5_of_body, "md5-later");
    EXPECT_EQ(delayed.message.content.sender_id, "AIDATEST");
    EXPECT_EQ((*peeked)[2].state, PeekedMessage::State::Visible);
    EXPECT_EQ((*peeked)[2].message.receive_count, 0);
    // The other server's view is the same.
    auto from_peer = Peer().PeekMessages(queue, now_);
    ASSERT_TRUE(from_peer.ok());
    EXPECT_EQ(PeekedBodies(*from_peer), PeekedBodies(*peeked));
  }
  auto counts_after = Counts(queue);
  EXPECT_EQ(counts_after.visible, counts_before.visible);
  EXPECT_EQ(counts_after.in_flight, counts_before.in_flight);
  EXPECT_EQ(counts_after.delayed, counts_before.delayed);
  // The receipt handed out before the peeks still works, and the visible message is received for
  // the first time.
  auto next = Receive(queue, Options(10));
  ASSERT_EQ(Bodies(next), std::vector<std::string>{"third"});
  EXPECT_EQ(next.messages[0].message.receive_count, 1);
  ASSERT_TRUE(store_->ChangeVisibility(queue, received.messages[0].receipt_handle, 60, now_).ok());
  ASSERT_TRUE(store_->DeleteMessage(queue, received.messages[0].receipt_handle, now_).ok());
  auto after_delete = store_->PeekMessages(queue, now_);
  ASSERT_TRUE(after_delete.ok());
  EXPECT_EQ(PeekedBodies(*after_delete), (std::vector<std::string>{"later", "third"}));
  // Once the delay and the visibility timeout end, both are visible (one received once, one never).
  now_ += 30000;
  auto settled = store_->PeekMessages(queue, now_);
  ASSERT_TRUE(settled.ok() && settled->size() == 2u);
  EXPECT_EQ((*settled)[0].state, PeekedMessage::State::Visible);
  EXPECT_EQ((*settled)[0].message.receive_count, 0);
  EXPECT_EQ((*settled)[1].state, PeekedMessage::State::Visible);
  EXPECT_EQ((*settled)[1].message.receive_count, 1);

  auto empty = Create("peek-empty");
  auto none = store_->PeekMessages(empty, now_);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(store_->PeekMessages({kAccount, kRegion, "peek-missing"}, now_).error().code, StoreErrc::NotFound);
}

TEST_P(SqsStoreConformance, FifoPeekKeepsGroupOrderLocksAndReceiveAttempts) {
  auto queue = Create("peek.fifo", true);
  auto sent = Send(queue, {Message("A1", "A", "1"), Message("B1", "B", "2"), Message("A2", "A", "3")});
  ReceiveOptions options = Options(1);
  options.request_attempt_id = "attempt-1";
  auto first = Receive(queue, options);
  ASSERT_EQ(Bodies(first), std::vector<std::string>{"A1"});
  auto peeked = store_->PeekMessages(queue, now_);
  ASSERT_TRUE(peeked.ok());
  ASSERT_EQ(PeekedBodies(*peeked), (std::vector<std::string>{"A1", "B1", "A2"}));
  EXPECT_EQ((*peeked)[0].state, PeekedMessage::State::InFlight);
  // A2 waits behind A1, but the message itself is visible (as LocalStack reports it too).
  EXPECT_EQ((*peeked)[2].state, PeekedMessage::State::Visible);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ((*peeked)[i].message.sequence_number, sent[i].sequence_number);
    EXPECT_EQ((*peeked)[i].message.content.deduplication_id, std::to_string(i + 1));
  }
  EXPECT_EQ((*peeked)[1].message.content.group_id, "B");
  // The retried attempt still gets the same receipt: the peek touched no receipt token.
  auto retried = Receive(queue, options);
  ASSERT_EQ(retried.messages.size(), 1u);
  EXPECT_EQ(retried.messages[0].receipt_handle, first.messages[0].receipt_handle);
  // The group lock holds: only B1 is receivable.
  EXPECT_EQ(Bodies(Receive(queue, Options(10))), std::vector<std::string>{"B1"});
}

// A seeded random walk of sends, receives, visibility changes, deletes and time, checked after
// every step against a model kept from what the store answered. MALLARD_SQS_PEEK_SEED=n replays.
TEST_P(SqsStoreConformance, PeekAgreesWithAModelOfRandomTraffic) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_SQS_PEEK_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](int bound) { return static_cast<int>(random() % static_cast<std::uint64_t>(bound)); };
  struct Expected {
    std::string id;
    std::string body;
    std::int64_t visible_at = 0;
    std::int64_t receive_count = 0;
    std::string receipt;  // of the latest receive
  };
  std::vector<Expected> model;  // send order
  auto queue = Create("peek-random");
  int sent_count = 0;
  for (int step = 0; step < 300; ++step) {
    switch (pick(5)) {
      case 0: {  // send, sometimes delayed
        auto message = Message("m" + std::to_string(sent_count++));
        message.delay_seconds = pick(3) == 0 ? pick(20) : 0;
        auto result = Send(queue, {message});
        ASSERT_EQ(result.size(), 1u);
        model.push_back({result[0].message_id, message.body, now_ + message.delay_seconds * 1000, 0, ""});
        break;
      }
      case 1: {  // receive with a random visibility timeout (0 keeps them visible)
        auto visibility = pick(4) == 0 ? 0 : 1 + pick(30);
        for (const auto& received : Receive(queue, Options(1 + pick(10), visibility)).messages) {
          auto it = std::find_if(model.begin(), model.end(), [&](const Expected& e) { return e.id == received.message.message_id; });
          ASSERT_NE(it, model.end());
          ASSERT_LE(it->visible_at, now_) << "an invisible message was received";
          it->receive_count += 1;
          it->visible_at = now_ + visibility * 1000;
          it->receipt = received.receipt_handle;
        }
        break;
      }
      case 2:    // delete one received message by its latest receipt
      case 3: {  // or change its visibility while in flight
        std::vector<std::size_t> received;
        for (std::size_t i = 0; i < model.size(); ++i) {
          if (!model[i].receipt.empty() && model[i].visible_at > now_) received.push_back(i);
        }
        if (received.empty()) break;
        auto index = received[pick(static_cast<int>(received.size()))];
        if (pick(2) == 0) {
          ASSERT_TRUE(store_->DeleteMessage(queue, model[index].receipt, now_).ok());
          model.erase(model.begin() + static_cast<std::ptrdiff_t>(index));
        } else {
          auto seconds = pick(40);
          ASSERT_TRUE(store_->ChangeVisibility(queue, model[index].receipt, seconds, now_).ok());
          model[index].visible_at = now_ + seconds * 1000;
        }
        break;
      }
      default: now_ += pick(8000); break;
    }
    auto peeked = store_->PeekMessages(queue, now_);
    ASSERT_TRUE(peeked.ok());
    ASSERT_EQ(peeked->size(), model.size()) << "step " << step;
    for (std::size_t i = 0; i < model.size(); ++i) {
      const auto& got = (*peeked)[i];
      const auto& want = model[i];
      ASSERT_EQ(got.message.message_id, want.id) << "step " << step;
      EXPECT_EQ(got.message.content.body, want.body);
      EXPECT_EQ(got.message.receive_count, want.receive_count) << want.body << " at step " << step;
      auto state = want.visible_at <= now_ ? PeekedMessage::State::Visible
                   : want.receive_count > 0 ? PeekedMessage::State::InFlight
                                            : PeekedMessage::State::Delayed;
      EXPECT_EQ(got.state, state) << want.body << " at step " << step;
    }
  }
}

}  // namespace mallard::sqs::conformance

namespace mallard::sqs::conformance {

// A seeded random walk on a FIFO queue with a FIFO dead-letter queue, checked after every step
// against a model: a receive walks the queue in send order, skips every group whose earliest
// message is in flight or delayed, moves a message received max_receive_count times to the
// dead-letter queue (and goes on with its group), and delivers up to max_messages (a store may
// also redrive due messages past where it stopped, checked to have been due); deletes and
// visibility changes take only the latest receipt of a message in flight. Every receive's answer,
// the queue's whole contents (order, state, receive counts, groups, sequence numbers) and each
// group of the dead-letter queue must be the model's. MALLARD_SQS_FIFO_SEED=n replays.
TEST_P(SqsStoreConformance, FifoReceivesAndRedrivesAgreeWithAModelOfRandomTraffic) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_SQS_FIFO_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](int bound) { return static_cast<int>(random() % static_cast<std::uint64_t>(bound)); };
  struct Expected {
    std::string body;
    std::string group;
    std::int64_t visible_at = 0;
    std::int64_t receive_count = 0;
    std::string receipt;  // of the latest receive
    std::string sequence_number;
  };
  std::vector<Expected> queue_model, dead_model;  // send order
  auto queue = Create("walk.fifo", true);
  auto dead = Create("walk-dlq.fifo", true);
  constexpr std::int64_t kMaxReceives = 3;
  int sent = 0;
  for (int step = 0; step < 400; ++step) {
    switch (pick(6)) {
      case 0:
      case 1: {  // a batch of sends to a few groups
        std::vector<NewMessage> batch;
        for (int i = 0, n = 1 + pick(3); i < n; ++i) {
          std::string body = "m" + std::to_string(sent++);
          batch.push_back(Message(body, "g" + std::to_string(pick(4)), "dedup-" + body));
        }
        auto results = Send(queue, batch);
        ASSERT_EQ(results.size(), batch.size());
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (!queue_model.empty()) {
            ASSERT_GT(results[i].sequence_number, queue_model.back().sequence_number);
          }
          queue_model.push_back({batch[i].body, batch[i].group_id, now_, 0, "", results[i].sequence_number});
        }
        break;
      }
      case 2:
      case 3: {  // receive, with redrive
        auto options = Options(1 + pick(10), pick(4) == 0 ? 0 : 1 + pick(30));
        options.dead_letter_queue = dead;
        options.max_receive_count = kMaxReceives;
        std::vector<std::string> expected;
        std::set<std::string> blocked;
        for (std::size_t i = 0; i < queue_model.size() && static_cast<int>(expected.size()) < options.max_messages;) {
          auto& message = queue_model[i];
          if (blocked.contains(message.group)) {
            ++i;
            continue;
          }
          if (message.visible_at > now_) {
            blocked.insert(message.group);
            ++i;
            continue;
          }
          if (message.receive_count >= kMaxReceives) {
            dead_model.push_back({message.body, message.group, now_, 0, "", ""});
            queue_model.erase(queue_model.begin() + static_cast<std::ptrdiff_t>(i));
            continue;
          }
          message.receive_count += 1;
          message.visible_at = now_ + options.visibility_timeout_seconds * 1000;
          expected.push_back(message.body);
          ++i;
        }
        auto received = Receive(queue, options);
        ASSERT_EQ(Bodies(received), expected) << "step " << step;
        // A store may redrive due messages the walk above did not reach before it had enough (the
        // Redis store walks whole groups): each must have been due (received max_receive_count
        // times, visible now), and it leaves the queue for the dead-letter queue like the others.
        auto in_dead_letter_queue = store_->PeekMessages(dead, now_);
        ASSERT_TRUE(in_dead_letter_queue.ok());
        for (const auto& entry : *in_dead_letter_queue) {
          const auto& body = entry.message.content.body;
          if (std::any_of(dead_model.begin(), dead_model.end(), [&](const Expected& e) { return e.body == body; })) continue;
          auto early = std::find_if(queue_model.begin(), queue_model.end(), [&](const Expected& e) { return e.body == body; });
          ASSERT_NE(early, queue_model.end()) << body << " reached the dead-letter queue from nowhere, step " << step;
          ASSERT_GE(early->receive_count, kMaxReceives) << body << " redriven before its time, step " << step;
          ASSERT_LE(early->visible_at, now_) << body << " redriven while in flight, step " << step;
          dead_model.push_back({early->body, early->group, now_, 0, "", ""});
          queue_model.erase(early);
        }
        for (const auto& got : received.messages) {
          for (auto& message : queue_model) {
            if (message.body == got.message.content.body) message.receipt = got.receipt_handle;
          }
        }
        break;
      }
      case 4: {  // delete or change the visibility of a message in flight, by its latest receipt
        std::vector<std::size_t> in_flight;
        for (std::size_t i = 0; i < queue_model.size(); ++i) {
          if (!queue_model[i].receipt.empty() && queue_model[i].visible_at > now_) in_flight.push_back(i);
        }
        if (in_flight.empty()) break;
        auto index = in_flight[pick(static_cast<int>(in_flight.size()))];
        if (pick(2) == 0) {
          ASSERT_TRUE(store_->DeleteMessage(queue, queue_model[index].receipt, now_).ok()) << "step " << step;
          queue_model.erase(queue_model.begin() + static_cast<std::ptrdiff_t>(index));
        } else {
          auto seconds = pick(40);
          ASSERT_TRUE(store_->ChangeVisibility(queue, queue_model[index].receipt, seconds, now_).ok()) << "step " << step;
          queue_model[index].visible_at = now_ + seconds * 1000;
        }
        break;
      }
      default: now_ += pick(12000); break;
    }
    // The dead-letter queue keeps each group's order; the order between groups of messages
    // redriven by one receive is the store's (Redis walks group by group, memory in send order).
    auto peeked_dead = store_->PeekMessages(dead, now_);
    ASSERT_TRUE(peeked_dead.ok());
    std::map<std::string, std::vector<std::string>> dead_groups, want_dead_groups;
    for (const auto& entry : *peeked_dead) {
      dead_groups[entry.message.content.group_id].push_back(entry.message.content.body);
      EXPECT_EQ(entry.message.receive_count, 0) << entry.message.content.body << " at step " << step;
      EXPECT_EQ(entry.state, PeekedMessage::State::Visible) << entry.message.content.body << " at step " << step;
    }
    for (const auto& message : dead_model) want_dead_groups[message.group].push_back(message.body);
    ASSERT_EQ(dead_groups, want_dead_groups) << "step " << step;
    for (auto [key, model] : {std::pair{queue, &queue_model}}) {
      auto peeked = store_->PeekMessages(key, now_);
      ASSERT_TRUE(peeked.ok());
      ASSERT_EQ(PeekedBodies(*peeked).size(), model->size()) << key.name << " at step " << step;
      for (std::size_t i = 0; i < model->size(); ++i) {
        const auto& got = (*peeked)[i];
        const auto& want = (*model)[i];
        ASSERT_EQ(got.message.content.body, want.body) << key.name << " at step " << step;
        EXPECT_EQ(got.message.content.group_id, want.group);
        EXPECT_EQ(got.message.receive_count, want.receive_count) << want.body << " at step " << step;
        EXPECT_EQ(got.message.sequence_number, want.sequence_number);
        auto state = want.visible_at <= now_ ? PeekedMessage::State::Visible
                     : want.receive_count > 0 ? PeekedMessage::State::InFlight
                                              : PeekedMessage::State::Delayed;
        EXPECT_EQ(got.state, state) << want.body << " at step " << step;
      }
    }
  }
}

}  // namespace mallard::sqs::conformance

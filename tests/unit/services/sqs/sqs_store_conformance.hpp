#pragma once
// The SqsStore conformance suite: behaviour every SqsStore must share. A store instantiates it in
// its own test file with a factory (tests/unit/services/sqs/<store>/…):
//   INSTANTIATE_TEST_SUITE_P(Memory, SqsStoreConformance, testing::Values(SqsStoreFactory{…}), FactoryName);
// The cases live in sqs_store_conformance.cpp, compiled into each store's test executable. Time is
// passed in by hand, so nothing sleeps except where another thread or process has to act.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/sqs/model/sqs_store.hpp"

namespace mallard::sqs::conformance {

// The store under test and, for a store shared between servers, a second instance over the same
// state (null: in-process, the store is its own peer).
struct StorePair {
  std::unique_ptr<SqsStore> store;
  std::unique_ptr<SqsStore> peer;
};

struct SqsStoreFactory {
  std::string name;  // the instantiation's name: "Memory", "Redis"
  std::function<StorePair()> make;
};

inline std::string FactoryName(const ::testing::TestParamInfo<SqsStoreFactory>& info) { return info.param.name; }

inline constexpr std::int64_t kStart = 1'700'000'000'000;
inline const std::string kAccount = "000000000000";
inline const std::string kRegion = "us-east-1";

inline QueueRecord MakeRecord(const std::string& name, bool fifo = false) {
  QueueRecord record;
  record.key = {kAccount, kRegion, name};
  record.fifo = fifo;
  record.attributes = {{"VisibilityTimeout", "30"}};
  record.created_seconds = record.last_modified_seconds = kStart / 1000;
  return record;
}

inline NewMessage Message(const std::string& body, const std::string& group = "", const std::string& dedup = "") {
  NewMessage message;
  message.body = body;
  message.md5_of_body = "md5-" + body;
  message.sender_id = "AIDATEST";
  message.group_id = group;
  message.deduplication_id = dedup;
  return message;
}

inline ReceiveOptions Options(int max, std::int64_t visibility = 30) {
  ReceiveOptions options;
  options.max_messages = max;
  options.visibility_timeout_seconds = visibility;
  return options;
}

inline std::vector<std::string> Bodies(const ReceiveOutcome& outcome) {
  std::vector<std::string> bodies;
  for (const auto& received : outcome.messages) bodies.push_back(received.message.content.body);
  return bodies;
}

class SqsStoreConformance : public ::testing::TestWithParam<SqsStoreFactory> {
 protected:
  void SetUp() override {
    StorePair pair = GetParam().make();
    ASSERT_NE(pair.store, nullptr) << GetParam().name << ": the factory made no store";
    store_ = std::move(pair.store);
    peer_ = std::move(pair.peer);
  }
  void TearDown() override {
    if (store_) store_->Reset();
  }

  // A second server's view of the same state: the factory's peer (another instance on the same
  // shared state), or the store itself for an in-process store.
  SqsStore& Peer() { return peer_ ? *peer_ : *store_; }

  QueueKey Create(const std::string& name, bool fifo = false,
                  std::map<std::string, std::string> attributes = {}) {
    auto record = MakeRecord(name, fifo);
    for (auto& [attribute, value] : attributes) record.attributes[attribute] = value;
    auto created = store_->CreateQueue(record, now_);
    EXPECT_TRUE(created.ok() && created->created) << name;
    return record.key;
  }
  std::vector<SendResult> Send(const QueueKey& key, std::vector<NewMessage> messages) {
    auto sent = store_->SendMessages(key, std::move(messages), now_);
    EXPECT_TRUE(sent.ok());
    return sent.ok() ? *sent : std::vector<SendResult>();
  }
  ReceiveOutcome Receive(const QueueKey& key, ReceiveOptions options) {
    auto received = store_->ReceiveMessages(key, options, now_);
    EXPECT_TRUE(received.ok()) << (received.ok() ? "" : received.error().detail);
    return received.ok() ? *received : ReceiveOutcome();
  }
  QueueCounts Counts(const QueueKey& key) {
    auto counts = store_->CountMessages(key, now_);
    EXPECT_TRUE(counts.ok());
    return counts.ok() ? *counts : QueueCounts{-1, -1, -1};
  }
  static StoreErrc CodeOf(const StoreResult<Done>& result) {
    return result.ok() ? static_cast<StoreErrc>(255) : result.error().code;
  }

  std::unique_ptr<SqsStore> store_;
  std::unique_ptr<SqsStore> peer_;
  std::int64_t now_ = kStart;
};

}  // namespace mallard::sqs::conformance

#pragma once
// The SnsStore conformance suite: behaviour every SnsStore must share. A store instantiates it in
// its own test file with a factory (tests/unit/services/sns/<store>/…):
//   INSTANTIATE_TEST_SUITE_P(Memory, SnsStoreConformance, testing::Values(SnsStoreFactory{…}), FactoryName);
// The cases live in sns_store_conformance.cpp and (seeded randomised comparisons with reference
// models; MALLARD_SNS_STORE_SEED=n replays) sns_store_conformance_random.cpp, both compiled into
// each store's test executable. Time is passed in by hand (the contract's now_millis), so nothing
// sleeps.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "services/sns/model/sns_store.hpp"

namespace mallard::sns::conformance {

// The store under test and, for a store shared between servers, a second instance over the same
// state (null: in-process, the store is its own peer).
struct StorePair {
  std::unique_ptr<SnsStore> store;
  std::unique_ptr<SnsStore> peer;
};

struct SnsStoreFactory {
  std::string name;  // the instantiation's name: "Memory", "Redis"
  std::function<StorePair()> make;
};

inline std::string FactoryName(const ::testing::TestParamInfo<SnsStoreFactory>& info) { return info.param.name; }

inline constexpr std::int64_t kStart = 1'700'000'000'000;
inline const std::string kTopicArn = "arn:aws:sns:us-east-1:000000000000:orders";

// A result's error code, or this when it succeeded.
inline constexpr auto kSucceeded = static_cast<StoreErrc>(255);
template <typename T>
StoreErrc CodeOf(const StoreResult<T>& result) {
  return result.ok() ? kSucceeded : result.error().code;
}

class SnsStoreConformance : public ::testing::TestWithParam<SnsStoreFactory> {
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

  // A second server's view of the same state: the factory's peer, or the store itself.
  SnsStore& Peer() { return peer_ ? *peer_ : *store_; }

  // Creates a record (create-only) and returns its version; fails the test otherwise.
  std::uint64_t Create(Collection collection, const std::string& key, const std::string& document) {
    auto version = store_->Put(collection, key, document, 0);
    EXPECT_TRUE(version.ok()) << key << ": " << (version.ok() ? "" : version.error().detail);
    return version.ok() ? *version : 0;
  }

  std::unique_ptr<SnsStore> store_;
  std::unique_ptr<SnsStore> peer_;
};

}  // namespace mallard::sns::conformance

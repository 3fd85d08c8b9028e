// RedisSnsStore runs the SnsStore conformance suite when MALLARD_TEST_REDIS names a server
// (tests/support/with_redis.sh starts one; ctest's sns_store_redis does), each case under a key
// prefix of its own, with a second instance on the same Redis as the other server. Its own cases
// (an unreachable Redis, opening from a URL) need no server; the prefix cases need one. Links
// services_sns_redis alone.
#include <chrono>
#include <cstdlib>

#include "common/ids.hpp"
#include "infra/redis/redis_store_opening.hpp"
#include "services/sns/redis/redis_sns_store.hpp"
#include "../sns_store_conformance.hpp"

namespace mallard::sns::conformance {
namespace {

std::optional<redis::RedisEndpoint> TestEndpoint(const std::string& key_prefix) {
  const char* url = std::getenv("MALLARD_TEST_REDIS");
  if (url == nullptr) return std::nullopt;
  auto endpoint = redis::ParseRedisUrl(url);
  if (!endpoint) return std::nullopt;
  endpoint->key_prefix = key_prefix;
  return *endpoint;
}

StorePair MakeRedisPair() {
  auto endpoint = TestEndpoint("test-" + RandomHex(8) + ":");  // each test sees only its own keys
  if (!endpoint) return {};
  return StorePair{std::make_unique<RedisSnsStore>(*endpoint), std::make_unique<RedisSnsStore>(*endpoint)};
}

std::vector<SnsStoreFactory> RedisFactories() {
  // Without a server the suite is not instantiated here: ctest runs it under with_redis.sh.
  if (std::getenv("MALLARD_TEST_REDIS") == nullptr) return {};
  return {SnsStoreFactory{"Redis", MakeRedisPair}};
}

INSTANTIATE_TEST_SUITE_P(Redis, SnsStoreConformance, ::testing::ValuesIn(RedisFactories()), FactoryName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SnsStoreConformance);

TEST(RedisSnsStoreOffline, UnreachableRedisIsUnavailableAndFast) {
  // A loopback port nobody listens on: connection refused at once.
  auto endpoint = redis::ParseRedisUrl("redis://:secret@127.0.0.1:1/2?connect_timeout_ms=200").value();
  RedisSnsStore store(endpoint);
  EXPECT_EQ(store.Name(), "redis://127.0.0.1:1/2") << "never the password";
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(CodeOf(store.Ping()), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.Get(Collection::Topic, "k")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.Put(Collection::Topic, "k", "{}", 0)), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.Delete(Collection::Topic, "k")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.List(Collection::Topic, "", "", 10)), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.Count(Collection::Topic, "")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.AppendSent("sms", "{}")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.ReadSent("sms")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.ClearSent("sms")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.RememberDeduplication("s", "d", "m", kStart, 1000)), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.NextSequenceNumber("s")), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.ScheduleDelivery({"t", "{}", kStart})), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.ClaimDueDeliveries(kStart, 1000, 10)), StoreErrc::Unavailable);
    EXPECT_EQ(CodeOf(store.CompleteDelivery("t")), StoreErrc::Unavailable);
    auto next = store.NextDeliveryDue();
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.error().code, StoreErrc::Unavailable);
    EXPECT_FALSE(next.error().detail.empty());
    EXPECT_EQ(next.error().detail.find("secret"), std::string::npos);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  store.Reset();  // logs, never throws
}

TEST(RedisSnsStoreOffline, OpensLikeEveryRedisStore) {
  auto opened = redis::OpenRedisStore<RedisSnsStore>("redis://127.0.0.1:1/0?connect_timeout_ms=100", "SNS backend");
  ASSERT_TRUE(opened.ok()) << "a Redis that is down is not fatal at start-up";
  ASSERT_NE(opened->store, nullptr);
  EXPECT_EQ(opened->store->Name(), "redis://127.0.0.1:1/0");
  auto invalid = redis::OpenRedisStore<RedisSnsStore>("redis://:pw@localhost/x", "SNS backend");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().rfind("invalid SNS backend", 0), 0u) << invalid.error();
  EXPECT_EQ(invalid.error().find(":pw@"), std::string::npos) << invalid.error();
}

// Two stores on one Redis: the prefix is all that separates them, and Reset removes only its own
// keys, even when the other's prefix matches this one's as a glob pattern, and never another
// service's keys under the same prefix.
// Registered only when MALLARD_TEST_REDIS names a server (ctest's sns_store_redis), as the
// conformance suite is, so a run without Redis lists nothing as skipped.
class RedisSnsStoreShared : public ::testing::TestWithParam<int> {};
std::vector<int> WhenRedisIsThere() {
  if (std::getenv("MALLARD_TEST_REDIS") == nullptr) return {};
  return {0};
}
INSTANTIATE_TEST_SUITE_P(Redis, RedisSnsStoreShared, ::testing::ValuesIn(WhenRedisIsThere()));
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RedisSnsStoreShared);

TEST_P(RedisSnsStoreShared, ResetRemovesOnlyItsOwnPrefix) {
  const std::string base = "test-" + RandomHex(8);
  auto globby = TestEndpoint(base + "*[?");
  ASSERT_TRUE(globby) << "MALLARD_TEST_REDIS is set but names no usable server";
  auto other = TestEndpoint(base + "x[?");
  RedisSnsStore resetting(*globby);
  RedisSnsStore kept(*other);
  ASSERT_TRUE(resetting.Put(Collection::Topic, "t", "{}", 0).ok());
  ASSERT_TRUE(kept.Put(Collection::Topic, "t", "{}", 0).ok());
  ASSERT_TRUE(kept.AppendSent("sms", "{}").ok());
  redis::RedisPool pool(*globby);
  ASSERT_TRUE(pool.Run({"SET", base + "*[?sqs:neighbour", "1"}).ok());

  resetting.Reset();

  auto gone = resetting.Get(Collection::Topic, "t");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto still = kept.Get(Collection::Topic, "t");
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(still->has_value());
  auto sent = kept.ReadSent("sms");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent->size(), 1u);
  auto neighbour = pool.Run({"GET", base + "*[?sqs:neighbour"});
  ASSERT_TRUE(neighbour.ok());
  EXPECT_EQ(neighbour->AsText(), "1");
  kept.Reset();
  (void)pool.Run({"DEL", base + "*[?sqs:neighbour"});
}

}  // namespace
}  // namespace mallard::sns::conformance

// RedisSqsStore runs the SqsStore conformance suite when MALLARD_TEST_REDIS names a server
// (tests/support/with_redis.sh starts one; ctest's sqs_store_redis does), each case under a key
// prefix of its own, with a second instance on the same Redis as the other server. Its own cases
// (URL parsing, an unreachable Redis) need no server. Links services_sqs_redis alone.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "common/ids.hpp"
#include "services/sqs/redis/redis_sqs_store.hpp"
#include "../sqs_store_conformance.hpp"

namespace mallard::sqs::conformance {
namespace {

StorePair MakeRedisPair() {
  const char* url = std::getenv("MALLARD_TEST_REDIS");
  if (url == nullptr) return {};
  auto endpoint = redis::ParseRedisUrl(url);
  if (!endpoint) return {};
  endpoint->key_prefix = "test-" + RandomHex(8) + ":";  // each test sees only its own keys
  return StorePair{std::make_unique<RedisSqsStore>(*endpoint), std::make_unique<RedisSqsStore>(*endpoint)};
}

std::vector<SqsStoreFactory> RedisFactories() {
  // Without a server the suite is not instantiated here: ctest runs it under with_redis.sh.
  if (std::getenv("MALLARD_TEST_REDIS") == nullptr) return {};
  return {SqsStoreFactory{"Redis", MakeRedisPair}};
}

INSTANTIATE_TEST_SUITE_P(Redis, SqsStoreConformance, ::testing::ValuesIn(RedisFactories()), FactoryName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SqsStoreConformance);

TEST(RedisSqsStoreConfig, ParsesUrls) {
  auto full = redis::ParseRedisUrl("redis://:secret@10.0.0.5:6380/3?prefix=team%3Aa&pool=4&timeout_ms=500");
  ASSERT_TRUE(full.ok()) << full.error();
  EXPECT_EQ(full->host, "10.0.0.5");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->database, 3);
  EXPECT_EQ(full->password, "secret");
  EXPECT_EQ(full->key_prefix, "team:a");
  EXPECT_EQ(full->pool_size, 4u);
  EXPECT_EQ(full->command_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(full->Describe().find("secret"), std::string::npos);
  auto bare = redis::ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, 6379);
  EXPECT_EQ(bare->database, 0);
  EXPECT_FALSE(redis::ParseRedisUrl("http://localhost").ok());
  EXPECT_FALSE(redis::ParseRedisUrl("redis://localhost:99999").ok());
  EXPECT_FALSE(redis::ParseRedisUrl("redis://localhost/x").ok());
  EXPECT_FALSE(redis::ParseRedisUrl("redis://localhost?colour=blue").ok());
}

TEST(RedisSqsStoreConfig, UnreachableRedisIsUnavailableAndFast) {
  // A loopback port nobody listens on: connection refused at once.
  auto endpoint = redis::ParseRedisUrl("redis://127.0.0.1:1/0?connect_timeout_ms=200").value();
  RedisSqsStore store(endpoint);
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    auto result = store.SendMessages({kAccount, kRegion, "q"}, {Message("x")}, kStart);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, StoreErrc::Unavailable);
    EXPECT_FALSE(result.error().detail.empty());
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  auto watch = store.WatchQueue({kAccount, kRegion, "q"}, [] {});  // must not block without Redis
  EXPECT_NE(watch, nullptr);
  store.Reset();  // logs, never throws
}

}  // namespace
}  // namespace mallard::sqs::conformance

// RedisDynamoDbStore runs the DynamoDbStore conformance suite when MALLARD_TEST_REDIS names a
// server (tests/support/with_redis.sh starts one; ctest's dynamodb_store_redis does), each case
// under a key prefix of its own, with a second instance on the same Redis as the other server. Its
// own case (an unreachable Redis) needs no server. Links services_dynamodb_redis alone.
#include <chrono>
#include <cstdlib>

#include "common/ids.hpp"
#include "services/dynamodb/redis/redis_dynamodb_store.hpp"
#include "../ddb_store_conformance.hpp"

namespace mallard::dynamodb::conformance {
namespace {

StorePair MakeRedis() {
  const char* url = std::getenv("MALLARD_TEST_REDIS");
  auto endpoint = redis::ParseRedisUrl(url ? url : "");
  if (!endpoint) return {};
  endpoint->key_prefix = "ddbtest-" + RandomHex(8) + ":";  // each test sees only its own keys
  return {std::make_shared<RedisDynamoDbStore>(*endpoint), std::make_shared<RedisDynamoDbStore>(*endpoint)};
}

std::vector<DynamoDbStoreFactory> RedisFactories() {
  // Without a server the suite is not instantiated here: ctest runs it under with_redis.sh.
  if (std::getenv("MALLARD_TEST_REDIS") == nullptr) return {};
  return {DynamoDbStoreFactory{"Redis", MakeRedis}};
}

INSTANTIATE_TEST_SUITE_P(Redis, DynamoDbStoreConformance, ::testing::ValuesIn(RedisFactories()), FactoryName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DynamoDbStoreConformance);

TEST(RedisDynamoDbStore, UnreachableRedisIsUnavailableWithoutHanging) {
  auto endpoint = redis::ParseRedisUrl("redis://127.0.0.1:1/0?timeout_ms=300&connect_timeout_ms=300");
  ASSERT_TRUE(endpoint.ok()) << endpoint.error();
  RedisDynamoDbStore store(*endpoint);
  const auto started = std::chrono::steady_clock::now();
  auto created = store.CreateTable({"000000000000", "us-east-1"}, MakeTable("t", false));
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, StoreErrc::Unavailable);
  auto read = store.GetItems({"000000000000", "us-east-1"}, {ItemRef{"t", {{"pk", Str("a")}, {"sk", Num("1")}}}});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, StoreErrc::Unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

}  // namespace
}  // namespace mallard::dynamodb::conformance

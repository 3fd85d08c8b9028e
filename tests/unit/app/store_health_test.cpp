// Backend health: the monitor probes off the request path and the health endpoints report what it
// recorded, per service, with "degraded" at the top while any backend is unavailable.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>

#include "app/store_health.hpp"
#include "app/server_builder.hpp"
#include "app/service_registry.hpp"
#include "common/credential_registry.hpp"
#include "infra/redis/redis_probe.hpp"
#include "sqlengine/memory/memory_sql_engine.hpp"

namespace mallard::app {
namespace {

std::string Get(std::uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return "connect failed";
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), 0);
  std::string response;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, got);
  ::close(fd);
  auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? response : response.substr(body + 4);
}

TEST(StoreHealthTest, HealthEndpointsReportTheBoard) {
  auto board = std::make_shared<services::StoreHealthBoard>();
  gateway::GatewayOptions gateway_options;
  gateway_options.store_health = board;
  http::HttpServerOptions options;
  options.port = 0;
  auto server = ServerBuilder().WithHttp(options).WithGateway(gateway_options).Start();

  auto health = boost::json::parse(Get(server->Port(), "/_mallard/health")).as_object();
  EXPECT_EQ(health["status"], "running");
  EXPECT_EQ(health["services"].as_object()["sqs"].as_object()["status"], "running");

  board->Record("sqs", {false, "Redis at 127.0.0.1:1/0 is unreachable: Connection refused"});
  health = boost::json::parse(Get(server->Port(), "/_mallard/health")).as_object();
  EXPECT_EQ(health["status"], "degraded");
  auto sqs = health["services"].as_object()["sqs"].as_object();
  EXPECT_EQ(sqs["status"], "unavailable");
  EXPECT_EQ(sqs["reason"], "Redis at 127.0.0.1:1/0 is unreachable: Connection refused");
  EXPECT_EQ(health["services"].as_object()["dynamodb"].as_object()["status"], "running");
  auto localstack = boost::json::parse(Get(server->Port(), "/_localstack/health")).as_object();
  EXPECT_EQ(localstack["services"].as_object()["sqs"], "error");
  EXPECT_EQ(localstack["services"].as_object()["dynamodb"], "running");

  board->Record("sqs", {});
  health = boost::json::parse(Get(server->Port(), "/_mallard/health")).as_object();
  EXPECT_EQ(health["status"], "running");
  server->Stop();
  server->Join();
}

TEST(StoreHealthTest, MonitorProbesAtOnceAndRepeatedlyAndStopsPromptly) {
  auto board = std::make_shared<services::StoreHealthBoard>();
  std::atomic<int> probes{0};
  std::atomic<bool> up{true};
  {
    StoreHealthMonitor monitor(board,
                                 {{{"dynamodb", "dynamodbstreams"},
                                   [&]() -> services::StoreHealth {
                                     ++probes;
                                     return up ? services::StoreHealth{} : services::StoreHealth{false, "down"};
                                   }}},
                                 std::chrono::milliseconds(20));
    for (int i = 0; i < 200 && probes < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(board->Find("dynamodbstreams").has_value());
    up = false;
    for (int i = 0; i < 200 && board->Find("dynamodb")->available; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_FALSE(board->Find("dynamodb")->available);
    EXPECT_EQ(board->Find("dynamodbstreams")->reason, "down");
  }
  EXPECT_GE(probes.load(), 2);
  EXPECT_FALSE(board->Find("sqs").has_value());
}

TEST(StoreHealthTest, RedisProbeReportsAnUnreachableRedisWithoutItsPassword) {
  // Port 1 on loopback: nothing listens, the connect is refused at once.
  auto probe = redis::RedisProbe("redis://user:s3cret-pw@127.0.0.1:1/0", std::chrono::milliseconds(200));
  auto unavailable = probe();
  ASSERT_TRUE(unavailable.has_value());
  EXPECT_NE(unavailable->find("127.0.0.1:1"), std::string::npos) << *unavailable;
  EXPECT_EQ(unavailable->find("s3cret-pw"), std::string::npos) << *unavailable;
  auto invalid = redis::RedisProbe("redis://:s3cret-pw@127.0.0.1:99999/0", std::chrono::milliseconds(200))();
  ASSERT_TRUE(invalid.has_value());
  EXPECT_EQ(invalid->find("s3cret-pw"), std::string::npos) << *invalid;
  services::kit::ModuleResources resources;
  resources.Provide(std::make_shared<CredentialRegistry>());
  resources.Provide<sqlengine::SqlEngine>(std::make_shared<sqlengine::MemorySqlEngine>());
  auto in_memory = OpenModules(BuiltInModules(), {}, resources);
  ASSERT_TRUE(in_memory.ok()) << in_memory.error();
  // Memory stores: nothing to probe. S3's file store (the default) is in process but can stop taking
  // changes, so it has a probe, which a working store passes.
  auto in_memory_probes = ProbesFor(*in_memory);
  ASSERT_EQ(in_memory_probes.size(), 1u);
  EXPECT_EQ(in_memory_probes[0].services, (std::vector<std::string>{"s3"}));
  EXPECT_TRUE(in_memory_probes[0].probe().available);
  auto on_redis = OpenModules(
      BuiltInModules(),
      {{"sqs", {{"store", "redis://127.0.0.1:1/0"}}}, {"dynamodb", {{"store", "redis://127.0.0.1:1/1"}}}}, resources);
  ASSERT_TRUE(on_redis.ok()) << on_redis.error();
  auto probes = ProbesFor(*on_redis);
  std::erase_if(probes, [](const StoreProbe& probe) { return probe.services == std::vector<std::string>{"s3"}; });
  ASSERT_EQ(probes.size(), 2u);
  auto health = probes[0].probe();
  EXPECT_FALSE(health.available);
  EXPECT_NE(health.reason.find("127.0.0.1:1"), std::string::npos) << health.reason;
  EXPECT_EQ(probes[1].services, (std::vector<std::string>{"dynamodb", "dynamodbstreams"}));
}

}  // namespace
}  // namespace mallard::app

#include "infra/redis/redis_probe.hpp"

#include <memory>

#include "common/redaction.hpp"
#include "infra/redis/redis_connection.hpp"

namespace mallard::redis {

std::function<std::optional<std::string>()> RedisProbe(const std::string& url, std::chrono::milliseconds timeout) {
  auto endpoint = ParseRedisUrl(url);
  if (!endpoint) {
    std::string reason = "invalid Redis URL: " + endpoint.error();
    return [reason]() -> std::optional<std::string> { return reason; };
  }
  endpoint->connect_timeout = timeout;
  endpoint->command_timeout = timeout;
  auto connection = std::make_shared<RedisConnection>(*endpoint);
  return [connection]() -> std::optional<std::string> {
    if (!connection->LooksHealthy()) connection->Close();
    if (auto connected = connection->EnsureConnected(); !connected) return WithoutPassword(connected.error().message);
    auto reply = connection->Command({"PING"});
    if (!reply) return WithoutPassword(reply.error().message);
    if (reply->IsError()) {
      connection->Close();
      return "Redis at " + connection->Endpoint().Describe() + " refused PING: " + reply->text;
    }
    return std::nullopt;
  };
}

}  // namespace mallard::redis

#include "app/backend_health.hpp"

#include <spdlog/spdlog.h>

#include "backends/redis/redis_connection.hpp"

namespace mallard::app {

BackendHealthMonitor::BackendHealthMonitor(std::shared_ptr<services::BackendHealthBoard> board,
                                           std::vector<BackendProbe> probes, std::chrono::milliseconds interval)
    : board_(std::move(board)), probes_(std::move(probes)), interval_(interval) {
  if (!probes_.empty()) thread_ = std::thread([this] { Run(); });
}

BackendHealthMonitor::~BackendHealthMonitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackendHealthMonitor::Run() {
  std::vector<bool> was_available(probes_.size(), true);
  while (true) {
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      services::BackendHealth health = probes_[i].probe();
      // Log changes only, not every probe.
      if (health.available != was_available[i]) {
        if (health.available) {
          spdlog::info("backend of {} is reachable again", probes_[i].services.front());
        } else {
          spdlog::warn("backend of {} is unavailable: {}", probes_[i].services.front(), health.reason);
        }
        was_available[i] = health.available;
      }
      for (const auto& service : probes_[i].services) board_->Record(service, health);
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

std::function<services::BackendHealth()> RedisProbe(const std::string& url, std::chrono::milliseconds timeout) {
  auto endpoint = redis::ParseRedisUrl(url);
  if (!endpoint) {
    std::string reason = "invalid Redis URL: " + endpoint.error();
    return [reason] { return services::BackendHealth{false, reason}; };
  }
  endpoint->connect_timeout = timeout;
  endpoint->command_timeout = timeout;
  // One connection, kept between probes (the probe thread is its only user).
  auto connection = std::make_shared<redis::RedisConnection>(*endpoint);
  return [connection]() -> services::BackendHealth {
    if (!connection->LooksHealthy()) connection->Close();
    if (auto connected = connection->EnsureConnected(); !connected) {
      return {false, WithoutPassword(connected.error().message)};
    }
    auto reply = connection->Command({"PING"});
    if (!reply) return {false, WithoutPassword(reply.error().message)};
    if (reply->IsError()) {
      connection->Close();
      return {false, "Redis at " + connection->Endpoint().Describe() + " refused PING: " + reply->text};
    }
    return {};
  };
}

std::vector<BackendProbe> ProbesForServe(const ServeConfig& config) {
  constexpr auto kTimeout = std::chrono::milliseconds(500);
  std::vector<BackendProbe> probes;
  if (config.backend_sqs.rfind("redis://", 0) == 0) probes.push_back({{"sqs"}, RedisProbe(config.backend_sqs, kTimeout)});
  if (config.backend_dynamodb.rfind("redis://", 0) == 0) {
    probes.push_back({{"dynamodb", "dynamodbstreams"}, RedisProbe(config.backend_dynamodb, kTimeout)});
  }
  return probes;
}

}  // namespace mallard::app

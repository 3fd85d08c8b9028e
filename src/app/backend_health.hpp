#pragma once
// Backend reachability for the health endpoints: each remote backend (a Redis) is probed every
// interval on a thread of its own, with short timeouts and a connection of its own, and the result
// is recorded on a BackendHealthBoard the gateway reads. So a health request never waits for a
// backend, and a Redis that is down, hangs or refuses the password shows within one interval.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/config.hpp"
#include "services/kit/service.hpp"

namespace mallard::app {

struct BackendProbe {
  std::vector<std::string> services;  // the services this backend serves ("dynamodb", "dynamodbstreams")
  std::function<services::BackendHealth()> probe;  // blocking, bounded by its own timeouts
};

class BackendHealthMonitor {
 public:
  // Probes once at once, then every `interval`, until destroyed.
  BackendHealthMonitor(std::shared_ptr<services::BackendHealthBoard> board, std::vector<BackendProbe> probes,
                       std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~BackendHealthMonitor();
  BackendHealthMonitor(const BackendHealthMonitor&) = delete;
  BackendHealthMonitor& operator=(const BackendHealthMonitor&) = delete;

 private:
  void Run();

  std::shared_ptr<services::BackendHealthBoard> board_;
  std::vector<BackendProbe> probes_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// PING on a connection of its own to the Redis at `url` (connect, AUTH and SELECT included), each
// step bounded by `timeout`. A wrong or missing password shows as unavailable, with Redis's reason.
std::function<services::BackendHealth()> RedisProbe(const std::string& url, std::chrono::milliseconds timeout);
// The probes `mallard serve` needs for its backend specs (in-process backends need none).
std::vector<BackendProbe> ProbesForServe(const ServeConfig& config);

}  // namespace mallard::app

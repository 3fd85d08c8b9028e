#pragma once
// Store reachability for the health endpoints: each remote store (a Redis) is probed every
// interval on a thread of its own, with short timeouts and a connection of its own, and the result
// is recorded on a StoreHealthBoard the gateway reads. So a health request never waits for a
// store, and a Redis that is down, hangs or refuses the password shows within one interval.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/server_builder.hpp"
#include "services/kit/service.hpp"

namespace mallard::app {

struct StoreProbe {
  std::vector<std::string> services;  // the services this store serves ("dynamodb", "dynamodbstreams")
  std::function<services::StoreHealth()> probe;  // blocking, bounded by its own timeouts
};

class StoreHealthMonitor {
 public:
  // Probes once at once, then every `interval`, until destroyed.
  StoreHealthMonitor(std::shared_ptr<services::StoreHealthBoard> board, std::vector<StoreProbe> probes,
                       std::chrono::milliseconds interval = std::chrono::seconds(2));
  ~StoreHealthMonitor();
  StoreHealthMonitor(const StoreHealthMonitor&) = delete;
  StoreHealthMonitor& operator=(const StoreHealthMonitor&) = delete;

 private:
  void Run();

  std::shared_ptr<services::StoreHealthBoard> board_;
  std::vector<StoreProbe> probes_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// The probes of the opened modules' remote stores (in-process stores need none): one per module,
// recorded for every service of the module.
std::vector<StoreProbe> ProbesFor(const std::vector<OpenModule>& modules);

}  // namespace mallard::app

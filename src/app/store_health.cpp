#include "app/store_health.hpp"

#include <spdlog/spdlog.h>


namespace mallard::app {

StoreHealthMonitor::StoreHealthMonitor(std::shared_ptr<services::StoreHealthBoard> board,
                                           std::vector<StoreProbe> probes, std::chrono::milliseconds interval)
    : board_(std::move(board)), probes_(std::move(probes)), interval_(interval) {
  if (!probes_.empty()) thread_ = std::thread([this] { Run(); });
}

StoreHealthMonitor::~StoreHealthMonitor() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void StoreHealthMonitor::Run() {
  std::vector<bool> was_available(probes_.size(), true);
  while (true) {
    for (std::size_t i = 0; i < probes_.size(); ++i) {
      services::StoreHealth health = probes_[i].probe();
      // Log changes only, not every probe.
      if (health.available != was_available[i]) {
        if (health.available) {
          spdlog::info("store of {} is reachable again", probes_[i].services.front());
        } else {
          spdlog::warn("store of {} is unavailable: {}", probes_[i].services.front(), health.reason);
        }
        was_available[i] = health.available;
      }
      for (const auto& service : probes_[i].services) board_->Record(service, health);
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

std::vector<StoreProbe> ProbesFor(const std::vector<OpenModule>& modules) {
  std::vector<StoreProbe> probes;
  for (const auto& entry : modules) {
    if (!entry.opened.probe) continue;
    probes.push_back({entry.module.service_names, [probe = entry.opened.probe]() -> services::StoreHealth {
                        auto started = std::chrono::steady_clock::now();
                        auto unavailable = probe();
                        services::StoreHealth health;
                        if (unavailable) health = {false, *unavailable};
                        health.round_trip_seconds =
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                        return health;
                      }});
  }
  return probes;
}

}  // namespace mallard::app

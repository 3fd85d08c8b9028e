#include "services/kit/executor_directory.hpp"

namespace mallard::services {

boost::asio::thread_pool& ExecutorDirectory::Pool(const std::string& name, unsigned threads) {
  std::lock_guard lock(mutex_);
  auto found = pools_.find(name);
  if (found == pools_.end()) {
    unsigned size = threads == 0 ? 1 : threads;
    found = pools_.emplace(name, Named{size, std::make_unique<boost::asio::thread_pool>(size)}).first;
  }
  return *found->second.pool;
}

std::vector<std::pair<std::string, unsigned>> ExecutorDirectory::Pools() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, unsigned>> pools;
  for (const auto& [name, named] : pools_) pools.emplace_back(name, named.threads);
  return pools;
}

void ExecutorDirectory::Join() {
  std::vector<boost::asio::thread_pool*> pools;
  {
    std::lock_guard lock(mutex_);
    for (auto& [name, named] : pools_) pools.push_back(named.pool.get());
  }
  for (auto* pool : pools) pool->join();
}

}  // namespace mallard::services

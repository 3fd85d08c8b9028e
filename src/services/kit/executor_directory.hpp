#pragma once
// ExecutorDirectory: named thread pools, one per module and any more a module asks for, so slow
// work of one service (a Redis round trip, an HTTP subscriber, a long SQL query) can only ever
// wait for its own threads, never starve another service's.
#include <boost/asio/thread_pool.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mallard::services {

class ExecutorDirectory {
 public:
  ExecutorDirectory() = default;
  ExecutorDirectory(const ExecutorDirectory&) = delete;
  ExecutorDirectory& operator=(const ExecutorDirectory&) = delete;
  ~ExecutorDirectory() { Join(); }

  // The pool named `name`, created with `threads` threads on first use (later calls return the
  // same pool, whatever `threads` they pass). Thread-safe; the reference lives as long as this.
  boost::asio::thread_pool& Pool(const std::string& name, unsigned threads);
  // Names and sizes, for the health endpoint and tests.
  std::vector<std::pair<std::string, unsigned>> Pools() const;
  // Waits for queued work to finish and the threads to exit (server shutdown).
  void Join();

 private:
  struct Named {
    unsigned threads;
    std::unique_ptr<boost::asio::thread_pool> pool;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Named> pools_;
};

}  // namespace mallard::services

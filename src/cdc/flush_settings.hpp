#pragma once
// Tuning of the per-table flushers and the gate that bounds how many flush at once.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

namespace mallard::cdc {

struct FlushSettings {
  std::chrono::milliseconds flush_interval{5000};
  std::int64_t flush_batch_rows = 50000;
  std::int64_t buffer_memory_mb = 16;  // while buffering: small, so buffers spill and many tables fit
  std::int64_t flush_memory_mb = 512;  // while compacting and writing
  unsigned duckdb_threads = 1;
  std::string work_directory = "/tmp/mallard-pipe";  // buffer spill and the snapshots' named pipes
  std::chrono::milliseconds drain_poll{50};
  std::chrono::milliseconds max_retry_backoff{30000};
  // Small files from frequent flushes are merged after a flush once `compact_min_files` files of at
  // most `compact_max_file_rows` rows have piled up (0 turns merging off).
  int compact_min_files = 8;
  std::int64_t compact_max_file_rows = 1'000'000;
};

// At most `limit` flushes (or snapshot loads) of a group run at once; waiters go in FIFO order.
class FlushGate {
 public:
  explicit FlushGate(int limit) : limit_(limit < 1 ? 1 : limit) {}
  class Ticket {
   public:
    explicit Ticket(FlushGate& gate) : gate_(gate) { gate_.Acquire(); }
    ~Ticket() { gate_.Release(); }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;

   private:
    FlushGate& gate_;
  };
  int Active() const {
    std::lock_guard lock(mutex_);
    return active_;
  }

 private:
  void Acquire() {
    std::unique_lock lock(mutex_);
    std::uint64_t ticket = next_ticket_++;
    changed_.wait(lock, [&] { return active_ < limit_ && ticket == serving_; });
    ++serving_;
    ++active_;
    changed_.notify_all();
  }
  void Release() {
    {
      std::lock_guard lock(mutex_);
      --active_;
    }
    changed_.notify_all();
  }
  const int limit_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int active_ = 0;
  std::uint64_t next_ticket_ = 0, serving_ = 0;
};

}  // namespace mallard::cdc

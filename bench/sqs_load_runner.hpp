// sqs_load: runs one load phase (preload, send, or receive+delete) on every connection across the
// event-loop threads, and single requests for queue setup and teardown.
#pragma once

#include "sqs_load_options.hpp"
#include "sqs_load_requests.hpp"
#include "sqs_load_util.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sqs_load {

struct ThreadStats {
  std::vector<std::int64_t> main_ns;  // one entry per completed operation (send, or receive+delete)
  std::vector<std::int64_t> receive_ns;
  std::vector<std::int64_t> delete_ns;
  std::vector<std::int64_t> lag_ns;  // open loop: actual start - scheduled start
  std::uint64_t completed_in_window = 0;  // operations that finished inside the measured window
  std::uint64_t missed_starts = 0;        // open loop: scheduled starts never issued before the window closed
  std::uint64_t errors = 0;
  std::uint64_t empty_receives = 0;
  std::uint64_t preload_batches = 0;
  std::uint64_t preload_messages = 0;
  std::string first_error;
  Clock::time_point first_error_at = Clock::time_point::max();

  void Error(std::string message) {
    ++errors;
    auto now = Clock::now();
    if (now < first_error_at) {
      first_error_at = now;
      first_error = std::move(message);
    }
  }
};

struct Shared {
  const Options* options = nullptr;
  const SqsRequests* requests = nullptr;
  std::vector<tcp::endpoint> endpoints;
  std::string queue_url;
  std::string send_request;      // prebuilt SendMessage
  std::string receive_request;   // prebuilt ReceiveMessage
  std::string batch_request;     // prebuilt SendMessageBatch
  int batch_entries = 10;
  Clock::duration timeout{};
  Clock::time_point launch, window_start, window_end;
  // Preload state.
  std::atomic<std::uint64_t> preload_target{0};
  std::atomic<std::uint64_t> preload_claimed{0};
  std::atomic<std::uint64_t> preload_batches_done{0};
  std::atomic<bool> abort{false};
  std::atomic<bool> fallback_single{false};
};

enum class Work { Send, ReceiveDelete, Preload };

struct RunOutput {
  ThreadStats stats;
  std::uint64_t reconnects = 0;
  double elapsed = 0;
};

// Runs `work` on all connections across the configured threads and merges the statistics.
// `on_tick` is called about every 100 ms from the calling thread while the run lasts.
RunOutput RunWorkers(Shared& sh, Work work, const std::function<void()>& on_tick);

// One request outside the load phase (queue setup / teardown).
bool SingleCall(const Shared& sh, const std::string& request, HttpResponse& response, std::string& error);

std::string CallError(const std::string& op, bool ok, const HttpResponse& r, const std::string& error);

}  // namespace sqs_load

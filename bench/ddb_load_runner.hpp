// ddb_load: runs one load phase (preload, or a scenario at one connection count) on every
// connection across the event-loop threads.
#pragma once

#include "ddb_load_options.hpp"
#include "ddb_load_requests.hpp"
#include "load_http_client.hpp"
#include "load_util.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ddb_load {

using bench_load::Clock;
using bench_load::HttpResponse;
using bench_load::tcp;

enum class Work { Put, Get, Query, Mixed, Preload };
Work WorkOf(const std::string& scenario);

struct ThreadStats {
  std::vector<std::int64_t> main_ns;                       // every operation completed in the window
  std::array<std::vector<std::int64_t>, kOpCount> op_ns;   // the same, by operation kind
  std::uint64_t completed_in_window = 0;
  std::uint64_t errors = 0;
  std::array<std::uint64_t, kOpCount> op_errors{};
  std::uint64_t preload_items = 0;
  std::uint64_t preload_requests = 0;
  std::uint64_t preload_retries = 0;  // BatchWriteItem resent because of UnprocessedItems
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
  const DdbRequests* requests = nullptr;
  std::vector<tcp::endpoint> endpoints;
  Clock::duration timeout{};
  Clock::time_point launch, window_start, window_end;
  // Preload state.
  std::atomic<std::uint64_t> preload_next{0};
  std::atomic<bool> abort{false};
  std::atomic<bool> fallback_single{false};
};

struct RunOutput {
  ThreadStats stats;
  std::uint64_t reconnects = 0;
  double elapsed = 0;
};

// Runs `work` on `connections` connections spread over `threads` event-loop threads (preload: until
// every item is written; otherwise warmup + duration) and merges the statistics.
RunOutput RunWorkers(Shared& sh, Work work, int connections, int threads);

// One request outside the load phases (table setup and teardown).
bool SingleCall(const Shared& sh, const std::string& request, HttpResponse& response, std::string& error);

std::string CallError(const std::string& op, bool ok, const HttpResponse& r, const std::string& error);

}  // namespace ddb_load

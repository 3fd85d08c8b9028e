#include "ddb_load_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <thread>

namespace ddb_load {

namespace asio = bench_load::asio;
using bench_load::HttpClient;
using bench_load::Truncate;

Work WorkOf(const std::string& scenario) {
  if (scenario == "put") return Work::Put;
  if (scenario == "get") return Work::Get;
  if (scenario == "query") return Work::Query;
  return Work::Mixed;
}

namespace {

std::string DescribeHttpError(std::string_view op, const HttpResponse& r) {
  return std::string(op) + ": HTTP " + std::to_string(r.status) + ": " + Truncate(r.body, 600);
}

struct ThreadState {
  asio::io_context io{1};
  std::vector<std::unique_ptr<HttpClient>> clients;
  ThreadStats stats;
  int active = 0;
};

// splitmix64: small, fast, good enough to pick keys and operations.
struct Rng {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
};

asio::awaitable<void> Pause(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// Writes the preload items [first, first + count). Returns false when it gave up on them.
asio::awaitable<bool> PreloadRange(Shared& sh, HttpClient& client, ThreadStats& st, std::uint64_t first,
                                   std::uint64_t count, std::string& body, std::string& request) {
  const DdbRequests& rq = *sh.requests;
  HttpResponse response;
  std::string error;
  if (!sh.fallback_single.load(std::memory_order_relaxed)) {
    rq.BatchWriteBody(body, first, count);
    rq.Build(request, "BatchWriteItem", body);
    for (int attempt = 0; attempt < 20; ++attempt) {
      bool ok = co_await client.RoundTrip(request, response, error, sh.timeout);
      ++st.preload_requests;
      if (!ok) {
        st.Error("preload BatchWriteItem: transport error: " + error);
        co_return false;
      }
      if (response.status != 200) {
        if (st.preload_items == 0 && (response.status == 400 || response.status == 404 || response.status == 501) &&
            response.body.find("ValidationException") == std::string::npos &&
            response.body.find("ResourceNotFound") == std::string::npos) {
          // The endpoint may not implement BatchWriteItem: fall back to PutItem.
          if (!sh.fallback_single.exchange(true)) {
            std::fprintf(stderr, "ddb_load: BatchWriteItem failed (%s); preloading with PutItem\n",
                         DescribeHttpError("BatchWriteItem", response).c_str());
          }
          break;
        }
        st.Error(DescribeHttpError("preload BatchWriteItem", response));
        co_return false;
      }
      long long unprocessed = DdbRequests::Unprocessed(response.body);
      if (unprocessed < 0) {
        st.Error("preload BatchWriteItem: unparseable response: " + Truncate(response.body, 600));
        co_return false;
      }
      if (unprocessed == 0) {
        st.preload_items += count;
        co_return true;
      }
      // Puts are idempotent: resend the whole batch after a short pause.
      ++st.preload_retries;
      co_await Pause(std::chrono::milliseconds(20));
    }
    if (!sh.fallback_single.load()) {
      st.Error("preload BatchWriteItem: items still unprocessed after 20 attempts");
      co_return false;
    }
  }
  for (std::uint64_t i = first; i < first + count; ++i) {
    rq.PreloadPutBody(body, i);
    rq.Build(request, "PutItem", body);
    bool ok = co_await client.RoundTrip(request, response, error, sh.timeout);
    ++st.preload_requests;
    if (!ok) {
      st.Error("preload PutItem: transport error: " + error);
      co_return false;
    }
    if (response.status != 200) {
      st.Error(DescribeHttpError("preload PutItem", response));
      co_return false;
    }
    ++st.preload_items;
  }
  co_return true;
}

asio::awaitable<void> PreloadWorker(Shared& sh, HttpClient& client, ThreadStats& st) {
  const std::uint64_t total = sh.requests->PreloadItems();
  std::string body, request;
  int consecutive_failures = 0;
  for (;;) {
    if (sh.abort.load(std::memory_order_relaxed)) break;
    std::uint64_t first = sh.preload_next.fetch_add(25, std::memory_order_relaxed);
    if (first >= total) break;
    std::uint64_t count = std::min<std::uint64_t>(25, total - first);
    if (co_await PreloadRange(sh, client, st, first, count, body, request)) {
      consecutive_failures = 0;
    } else if (++consecutive_failures >= 3) {
      sh.abort = true;
      break;
    }
  }
}

asio::awaitable<void> LoadWorker(Shared& sh, Work work, HttpClient& client, ThreadStats& st, int index) {
  const Options& o = *sh.options;
  const DdbRequests& rq = *sh.requests;
  // Each connection starts its stream at a point drawn from (seed, index). Seeding with
  // index * 0x9E3779B97F4A7C15 (splitmix64's own increment) made connection i's stream connection 0's
  // shifted by i draws: every connection drew the same keys a few requests apart.
  Rng seeder{o.seed * 0x2545F4914F6CDD1Dull + static_cast<std::uint64_t>(index)};
  Rng rng{seeder.Next()};
  int mix_total = 0;
  for (int w : o.mix) mix_total += w;
  HttpResponse response;
  std::string error, body, request;
  const auto expected_count = static_cast<long long>(o.items_per_partition);
  auto in_window = [&](Clock::time_point t) { return t >= sh.window_start && t <= sh.window_end; };
  for (;;) {
    auto start = Clock::now();
    if (start >= sh.window_end) break;
    Op op = Op::Get;
    switch (work) {
      case Work::Put: op = Op::Put; break;
      case Work::Get: op = Op::Get; break;
      case Work::Query: op = Op::Query; break;
      default: {
        int r = static_cast<int>(rng.Below(static_cast<std::uint64_t>(mix_total)));
        for (int k = 0; k < kOpCount; ++k) {
          if (r < o.mix[k]) {
            op = static_cast<Op>(k);
            break;
          }
          r -= o.mix[k];
        }
      }
    }
    switch (op) {
      case Op::Get: rq.GetItemBody(body, rng.Below(o.keys)); break;
      case Op::Put: rq.PutItemBody(body, rng.Below(o.keys)); break;
      case Op::Update: rq.UpdateItemBody(body, rng.Below(o.keys)); break;
      case Op::Query: rq.QueryBody(body, rng.Below(o.partitions)); break;
    }
    rq.Build(request, OpTarget(op), body);
    start = Clock::now();
    bool ok = co_await client.RoundTrip(request, response, error, sh.timeout);
    auto done = Clock::now();
    const auto k = static_cast<std::size_t>(op);
    if (!ok) {
      st.Error(std::string(OpTarget(op)) + ": transport error: " + error);
      ++st.op_errors[k];
      co_await Pause(std::chrono::milliseconds(10));  // do not spin on a dead endpoint
      continue;
    }
    if (response.status != 200) {
      st.Error(DescribeHttpError(OpTarget(op), response));
      ++st.op_errors[k];
      continue;
    }
    if (op == Op::Get && !DdbRequests::HasItem(response.body)) {
      st.Error("GetItem: no Item in the response (was the table preloaded?): " + Truncate(response.body, 300));
      ++st.op_errors[k];
      continue;
    }
    if (op == Op::Query) {
      long long n = DdbRequests::QueryCount(response.body);
      if (n != expected_count) {
        st.Error("Query: Count " + std::to_string(n) + ", expected " + std::to_string(expected_count) + ": " +
                 Truncate(response.body, 300));
        ++st.op_errors[k];
        continue;
      }
    }
    if (in_window(done)) {
      auto ns = (done - start).count();
      st.main_ns.push_back(ns);
      st.op_ns[k].push_back(ns);
      ++st.completed_in_window;
    }
  }
}

}  // namespace

RunOutput RunWorkers(Shared& sh, Work work, int connections, int threads) {
  const Options& o = *sh.options;
  threads = std::max(1, std::min(threads, connections));
  std::vector<std::unique_ptr<ThreadState>> states;
  for (int t = 0; t < threads; ++t) states.push_back(std::make_unique<ThreadState>());
  for (int i = 0; i < connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % threads)];
    state.clients.push_back(std::make_unique<HttpClient>(state.io.get_executor(), sh.endpoints));
  }
  sh.launch = Clock::now();
  auto warm = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  auto dur = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  sh.window_start = sh.launch + warm;
  sh.window_end = sh.window_start + dur;

  for (int i = 0; i < connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % threads)];
    auto& client = *state.clients[static_cast<std::size_t>(i / threads)];
    ++state.active;
    asio::co_spawn(
        state.io,
        [&sh, &state, &client, work, i]() -> asio::awaitable<void> {
          try {
            if (work == Work::Preload) co_await PreloadWorker(sh, client, state.stats);
            else co_await LoadWorker(sh, work, client, state.stats, i);
          } catch (const std::exception& e) {
            state.stats.Error(std::string("worker exception: ") + e.what());
          }
          client.Close();
          --state.active;
        },
        asio::detached);
  }
  for (auto& state : states) {
    asio::co_spawn(state->io, bench_load::Watchdog(state->clients, state->active), asio::detached);
  }
  std::vector<std::thread> pool;
  for (auto& state : states) pool.emplace_back([&state] { state->io.run(); });
  for (auto& t : pool) t.join();

  RunOutput out;
  out.elapsed = std::chrono::duration<double>(Clock::now() - sh.launch).count();
  auto append = [](std::vector<std::int64_t>& to, const std::vector<std::int64_t>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  for (auto& state : states) {
    auto& s = state->stats;
    append(out.stats.main_ns, s.main_ns);
    for (int k = 0; k < kOpCount; ++k) {
      append(out.stats.op_ns[static_cast<std::size_t>(k)], s.op_ns[static_cast<std::size_t>(k)]);
      out.stats.op_errors[static_cast<std::size_t>(k)] += s.op_errors[static_cast<std::size_t>(k)];
    }
    out.stats.completed_in_window += s.completed_in_window;
    out.stats.errors += s.errors;
    out.stats.preload_items += s.preload_items;
    out.stats.preload_requests += s.preload_requests;
    out.stats.preload_retries += s.preload_retries;
    if (s.first_error_at < out.stats.first_error_at) {
      out.stats.first_error_at = s.first_error_at;
      out.stats.first_error = s.first_error;
    }
    for (auto& c : state->clients) out.reconnects += c->reconnects;
  }
  return out;
}

bool SingleCall(const Shared& sh, const std::string& request, HttpResponse& response, std::string& error) {
  return bench_load::SingleCall(sh.endpoints, request, response, error, sh.timeout);
}

std::string CallError(const std::string& op, bool ok, const HttpResponse& r, const std::string& error) {
  if (!ok) return op + ": transport error: " + error;
  return DescribeHttpError(op, r);
}

}  // namespace ddb_load

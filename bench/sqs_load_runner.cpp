#include "sqs_load_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <thread>

namespace sqs_load {

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

asio::awaitable<void> PreloadWorker(Shared& sh, HttpClient& client, ThreadStats& st) {
  HttpResponse response;
  std::string error;
  int consecutive_failures = 0;
  std::string single;  // used when SendMessageBatch is not supported
  for (;;) {
    if (sh.abort.load(std::memory_order_relaxed)) break;
    bool single_mode = sh.fallback_single.load(std::memory_order_relaxed);
    std::uint64_t entries = single_mode ? 1 : static_cast<std::uint64_t>(sh.batch_entries);
    std::uint64_t claimed = sh.preload_claimed.fetch_add(entries, std::memory_order_relaxed);
    if (claimed >= sh.preload_target.load(std::memory_order_relaxed)) break;
    const std::string& request = single_mode ? sh.send_request : sh.batch_request;
    bool ok = co_await client.RoundTrip(request, response, error, sh.timeout);
    if (!ok) {
      st.Error("preload: transport error: " + error);
    } else if (response.status < 200 || response.status >= 300) {
      if (!single_mode && sh.preload_batches_done.load() == 0 &&
          (response.status == 400 || response.status == 404 || response.status == 501)) {
        // The target may not implement SendMessageBatch: fall back to SendMessage.
        if (!sh.fallback_single.exchange(true)) {
          std::fprintf(stderr, "sqs_load: SendMessageBatch failed (%s); preloading with SendMessage\n",
                       DescribeHttpError("SendMessageBatch", response).c_str());
        }
        continue;
      }
      st.Error(DescribeHttpError(single_mode ? "preload SendMessage" : "preload SendMessageBatch", response));
      ok = false;
    } else if (!single_mode) {
      long failed = sh.requests->BatchFailures(response.body);
      if (failed < 0) {
        st.Error("preload SendMessageBatch: unparseable response: " + Truncate(response.body, 600));
        ok = false;
      } else {
        if (failed > 0) st.Error("preload SendMessageBatch: " + std::to_string(failed) + " failed entries: " + Truncate(response.body, 600));
        st.preload_messages += entries - static_cast<std::uint64_t>(failed);
      }
    } else {
      st.preload_messages += 1;
    }
    if (ok) {
      consecutive_failures = 0;
      ++st.preload_batches;
      sh.preload_batches_done.fetch_add(1, std::memory_order_relaxed);
    } else if (++consecutive_failures >= 5) {
      sh.abort = true;
      break;
    }
  }
}

asio::awaitable<void> LoadWorker(Shared& sh, Work work, HttpClient& client, ThreadStats& st, int index) {
  const Options& o = *sh.options;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  HttpResponse response;
  std::string error;
  std::string delete_request;
  const bool open_loop = o.rate > 0;
  Clock::duration interval{};
  Clock::time_point next;
  if (open_loop) {
    interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.connections / o.rate));
    next = sh.launch + interval * index / o.connections;  // stagger the connections evenly
  }
  for (;;) {
    Clock::time_point start;
    if (open_loop) {
      if (next >= sh.window_end) break;
      if (auto now = Clock::now(); now >= sh.window_end) {
        // Saturated: the backlog of scheduled starts is not worked off after the window closes.
        auto first = std::max(next, sh.window_start);
        st.missed_starts += static_cast<std::uint64_t>((sh.window_end - first + interval - Clock::duration(1)) / interval);
        break;
      }
      if (Clock::now() < next) {
        timer.expires_at(next);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      start = next;  // latency counts from the scheduled start: no coordinated omission
      next += interval;
      if (start >= sh.window_start) st.lag_ns.push_back((Clock::now() - start).count());
    } else {
      start = Clock::now();
      if (start >= sh.window_end) break;
    }
    // An operation is measured when it completes inside the window (its latency still counts from its
    // start, or in open loop from its scheduled start, which may lie before the window).
    auto in_window = [&](Clock::time_point t) { return t >= sh.window_start && t <= sh.window_end; };

    if (work == Work::Send) {
      bool ok = co_await client.RoundTrip(sh.send_request, response, error, sh.timeout);
      auto done = Clock::now();
      if (!ok) st.Error("SendMessage: transport error: " + error);
      else if (response.status < 200 || response.status >= 300) st.Error(DescribeHttpError("SendMessage", response));
      else if (in_window(done)) {
        st.main_ns.push_back((done - start).count());
        ++st.completed_in_window;
      }
      continue;
    }

    // Receive + delete.
    auto receive_start = Clock::now();
    bool ok = co_await client.RoundTrip(sh.receive_request, response, error, sh.timeout);
    auto received = Clock::now();
    if (!ok) {
      st.Error("ReceiveMessage: transport error: " + error);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      st.Error(DescribeHttpError("ReceiveMessage", response));
      continue;
    }
    bool malformed = false;
    auto receipt = sh.requests->ParseReceipt(response.body, malformed);
    if (malformed) {
      st.Error("ReceiveMessage: unparseable response: " + Truncate(response.body, 600));
      continue;
    }
    if (!receipt) {
      ++st.empty_receives;
      continue;
    }
    if (in_window(received)) st.receive_ns.push_back((received - receive_start).count());
    delete_request = sh.requests->DeleteMessage(sh.queue_url, *receipt);
    auto delete_start = Clock::now();
    ok = co_await client.RoundTrip(delete_request, response, error, sh.timeout);
    auto done = Clock::now();
    if (!ok) {
      st.Error("DeleteMessage: transport error: " + error);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      st.Error(DescribeHttpError("DeleteMessage", response));
      continue;
    }
    if (in_window(done)) {
      st.delete_ns.push_back((done - delete_start).count());
      st.main_ns.push_back((done - start).count());
      ++st.completed_in_window;
    }
  }
}

}  // namespace

RunOutput RunWorkers(Shared& sh, Work work, const std::function<void()>& on_tick) {
  const Options& o = *sh.options;
  std::vector<std::unique_ptr<ThreadState>> states;
  for (int t = 0; t < o.threads; ++t) states.push_back(std::make_unique<ThreadState>());
  for (int i = 0; i < o.connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % o.threads)];
    state.clients.push_back(std::make_unique<HttpClient>(state.io.get_executor(), sh.endpoints));
  }
  sh.launch = Clock::now();
  auto warm = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  auto dur = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  sh.window_start = sh.launch + warm;
  sh.window_end = sh.window_start + dur;

  int index = 0;
  for (int i = 0; i < o.connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % o.threads)];
    auto& client = *state.clients[static_cast<std::size_t>(i / o.threads)];
    ++state.active;
    int my_index = index++;
    asio::co_spawn(
        state.io,
        [&sh, &state, &client, work, my_index]() -> asio::awaitable<void> {
          try {
            if (work == Work::Preload) co_await PreloadWorker(sh, client, state.stats);
            else co_await LoadWorker(sh, work, client, state.stats, my_index);
          } catch (const std::exception& e) {
            state.stats.Error(std::string("worker exception: ") + e.what());
          }
          client.Close();
          --state.active;
        },
        asio::detached);
  }
  for (auto& state : states) asio::co_spawn(state->io, bench_load::Watchdog(state->clients, state->active), asio::detached);

  std::atomic<int> running{o.threads};
  std::vector<std::thread> threads;
  for (auto& state : states) {
    threads.emplace_back([&state, &running] {
      state->io.run();
      --running;
    });
  }
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    on_tick();
  }
  for (auto& t : threads) t.join();

  RunOutput out;
  out.elapsed = std::chrono::duration<double>(Clock::now() - sh.launch).count();
  for (auto& state : states) {
    auto& s = state->stats;
    auto append = [](std::vector<std::int64_t>& to, const std::vector<std::int64_t>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    append(out.stats.main_ns, s.main_ns);
    append(out.stats.receive_ns, s.receive_ns);
    append(out.stats.delete_ns, s.delete_ns);
    append(out.stats.lag_ns, s.lag_ns);
    out.stats.completed_in_window += s.completed_in_window;
    out.stats.missed_starts += s.missed_starts;
    out.stats.errors += s.errors;
    out.stats.empty_receives += s.empty_receives;
    out.stats.preload_batches += s.preload_batches;
    out.stats.preload_messages += s.preload_messages;
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

}  // namespace sqs_load

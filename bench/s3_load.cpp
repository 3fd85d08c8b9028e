// s3_load — S3 PutObject/GetObject throughput and latency for any S3-compatible endpoint (Mallard's
// file and memory stores, moto_server, ...): N-byte objects, path-style, unsigned, a fixed number of
// keep-alive connections each with one request in flight, on Asio coroutines (load_http_client), so
// a 2-core machine's figures are not capped by the generator (bench/run_s3_bench.py's Python
// generator needed a process per connection). Standalone like sqs_load: no Mallard library.
//
// Per scenario it prints requests/s, MiB/s, latency p50/p99 and the CPU this process used per
// second of wall time. `get` reads the keys `put` wrote in the same run. See bench/README.md.

#include "load_http_client.hpp"
#include "load_stats.hpp"
#include "load_util.hpp"
#include "s3_load_options.hpp"
#include "s3_load_requests.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace s3_load {
namespace {

using bench_load::Clock;
using bench_load::Fixed;
using bench_load::HttpClient;
using bench_load::HttpResponse;
using bench_load::Truncate;
namespace asio = bench_load::asio;
namespace json = boost::json;

double CpuSeconds() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, from /proc/PID/stat (0 when it cannot be read).
double ProcessCpuSeconds(int pid) {
  if (pid <= 0) return 0;
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!f) return 0;
  char buffer[4096];
  std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
  std::fclose(f);
  buffer[n] = '\0';
  // Fields after the command name (which may hold spaces) start past the last ')'.
  std::string_view text(buffer, n);
  auto close = text.rfind(')');
  if (close == std::string_view::npos) return 0;
  std::vector<std::string> fields;
  std::string current;
  for (char c : text.substr(close + 1)) {
    if (c == ' ') {
      if (!current.empty()) fields.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (fields.size() < 13) return 0;
  // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
  return static_cast<double>(std::stoull(fields[11]) + std::stoull(fields[12])) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Shared {
  const Options* options = nullptr;
  const S3Requests* requests = nullptr;
  std::vector<bench_load::tcp::endpoint> endpoints;
  std::string body;
  Clock::duration timeout{};
  Clock::time_point window_start, window_end;
  std::atomic<std::uint64_t> claimed{0};  // --count: requests handed out
  // Keys written by the put scenario, per connection (read by get).
  std::vector<std::vector<std::string>> written;
  std::vector<std::string> readable;  // get: the keys it cycles over
};

struct ConnectionStats {
  std::vector<std::int64_t> latency_ns;
  std::uint64_t completed = 0;  // inside the window
  std::uint64_t bytes = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

struct ScenarioResult {
  std::string scenario;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  double requests_per_s = 0;
  double mib_per_s = 0;
  bench_load::Latency latency;
  double cpu_cores = 0;
  double server_cpu_cores = 0;
  std::uint64_t reconnects = 0;
};

std::string CheckStatus(const char* op, const HttpResponse& response) {
  return std::string(op) + ": HTTP " + std::to_string(response.status) + ": " + Truncate(response.body, 300);
}

asio::awaitable<void> Worker(Shared& sh, bool put, HttpClient& client, ConnectionStats& st, int index) {
  const Options& o = *sh.options;
  HttpResponse response;
  std::string error;
  std::uint64_t n = 0;
  const bool counted = o.count > 0;
  for (;;) {
    std::uint64_t sequence;
    if (counted) {
      sequence = sh.claimed.fetch_add(1);
      if (sequence >= o.count) break;
    } else {
      sequence = n;
      if (Clock::now() >= sh.window_end) break;
    }
    ++n;
    auto start = Clock::now();
    bool ok;
    std::string key;
    if (put) {
      key = o.prefix + "c" + std::to_string(index) + "/" + std::to_string(sequence);
      const std::string head = sh.requests->PutHead(o.bucket, key, sh.body.size());
      ok = co_await client.RoundTrip(head, sh.body, response, error, sh.timeout);
    } else {
      const std::string& target = sh.readable[(sequence * static_cast<std::uint64_t>(o.connections) +
                                               static_cast<std::uint64_t>(index)) %
                                              sh.readable.size()];
      const std::string request = sh.requests->Get(o.bucket, target);
      ok = co_await client.RoundTrip(request, response, error, sh.timeout);
    }
    auto done = Clock::now();
    std::string failure;
    if (!ok) failure = std::string(put ? "PutObject" : "GetObject") + ": transport error: " + error;
    else if (response.status != 200) failure = CheckStatus(put ? "PutObject" : "GetObject", response);
    else if (!put && response.body.size() != sh.body.size())
      failure = "GetObject: " + std::to_string(response.body.size()) + " bytes, expected " + std::to_string(sh.body.size());
    if (!failure.empty()) {
      if (st.errors++ == 0) st.first_error = failure;
      continue;
    }
    if (put) sh.written[static_cast<std::size_t>(index)].push_back(std::move(key));
    if (counted || (done >= sh.window_start && done <= sh.window_end)) {
      st.latency_ns.push_back((done - start).count());
      ++st.completed;
      st.bytes += sh.body.size();
    }
  }
}

ScenarioResult RunScenario(Shared& sh, const std::string& scenario) {
  const Options& o = *sh.options;
  const bool put = scenario == "put";
  ScenarioResult result;
  result.scenario = scenario;
  if (!put) {
    sh.readable.clear();
    for (const auto& keys : sh.written) sh.readable.insert(sh.readable.end(), keys.begin(), keys.end());
    // Interleave connections' keys so consecutive reads do not all hit one directory.
    std::sort(sh.readable.begin(), sh.readable.end());
    if (o.get_keys > 0 && sh.readable.size() > o.get_keys) sh.readable.resize(o.get_keys);
    if (sh.readable.empty()) {
      result.errors = 1;
      result.first_error = "get: no keys to read (run put first, in the same invocation)";
      return result;
    }
  }
  struct ThreadState {
    asio::io_context io{1};
    std::vector<std::unique_ptr<HttpClient>> clients;
    int active = 0;
  };
  std::vector<std::unique_ptr<ThreadState>> states;
  for (int t = 0; t < o.threads; ++t) states.push_back(std::make_unique<ThreadState>());
  std::vector<ConnectionStats> stats(static_cast<std::size_t>(o.connections));
  sh.claimed = 0;
  auto launch = Clock::now();
  sh.window_start = launch + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o.count > 0 ? 0.0 : o.warmup));
  sh.window_end = sh.window_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  for (int i = 0; i < o.connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % o.threads)];
    state.clients.push_back(std::make_unique<HttpClient>(state.io.get_executor(), sh.endpoints));
    HttpClient& client = *state.clients.back();
    ++state.active;
    asio::co_spawn(
        state.io,
        [&sh, &state, &client, &stats, put, i]() -> asio::awaitable<void> {
          auto& st = stats[static_cast<std::size_t>(i)];
          try {
            co_await Worker(sh, put, client, st, i);
          } catch (const std::exception& e) {
            if (st.errors++ == 0) st.first_error = std::string("worker exception: ") + e.what();
          }
          client.Close();
          --state.active;
        },
        asio::detached);
  }
  for (auto& state : states) asio::co_spawn(state->io, bench_load::Watchdog(state->clients, state->active), asio::detached);
  std::vector<std::thread> threads;
  for (auto& state : states) threads.emplace_back([&state] { state->io.run(); });
  double cpu_start = 0, cpu_end = 0, server_start = 0, server_end = 0;
  Clock::time_point measured_start, measured_end;
  if (o.count > 0) {
    cpu_start = CpuSeconds();
    server_start = ProcessCpuSeconds(o.server_pid);
    measured_start = launch;
    for (auto& t : threads) t.join();
    measured_end = Clock::now();
    cpu_end = CpuSeconds();
    server_end = ProcessCpuSeconds(o.server_pid);
  } else {
    std::this_thread::sleep_until(sh.window_start);
    cpu_start = CpuSeconds();
    server_start = ProcessCpuSeconds(o.server_pid);
    std::this_thread::sleep_until(sh.window_end);
    cpu_end = CpuSeconds();
    server_end = ProcessCpuSeconds(o.server_pid);
    measured_start = sh.window_start;
    measured_end = sh.window_end;
    for (auto& t : threads) t.join();
  }
  std::vector<std::int64_t> all;
  std::uint64_t bytes = 0;
  for (auto& st : stats) {
    all.insert(all.end(), st.latency_ns.begin(), st.latency_ns.end());
    result.requests += st.completed;
    bytes += st.bytes;
    if (st.errors && result.first_error.empty()) result.first_error = st.first_error;
    result.errors += st.errors;
  }
  for (auto& state : states) {
    for (auto& c : state->clients) result.reconnects += c->reconnects;
  }
  result.seconds = std::chrono::duration<double>(measured_end - measured_start).count();
  result.requests_per_s = static_cast<double>(result.requests) / result.seconds;
  result.mib_per_s = static_cast<double>(bytes) / (1024.0 * 1024.0) / result.seconds;
  result.latency = bench_load::Summarize(all);
  result.cpu_cores = (cpu_end - cpu_start) / result.seconds;
  result.server_cpu_cores = (server_end - server_start) / result.seconds;
  return result;
}

json::object ResultJson(const ScenarioResult& r) {
  return json::object{{"scenario", r.scenario},
                      {"requests", r.requests},
                      {"errors", r.errors},
                      {"first_error", r.first_error},
                      {"seconds", r.seconds},
                      {"requests_per_s", r.requests_per_s},
                      {"mib_per_s", r.mib_per_s},
                      {"latency_ms", bench_load::LatencyJson(r.latency)},
                      {"generator_cpu_cores", r.cpu_cores},
                      {"server_cpu_cores", r.server_cpu_cores},
                      {"reconnects", r.reconnects}};
}

}  // namespace
}  // namespace s3_load

int main(int argc, char** argv) {
  using namespace s3_load;
  Options o = ParseOptions(argc, argv);
  std::string error;
  auto endpoint = bench_load::ParseEndpoint(o.endpoint, error);
  if (!endpoint) Die(error);
  Shared sh;
  sh.options = &o;
  sh.endpoints = bench_load::Resolve(*endpoint, error);
  if (sh.endpoints.empty()) Die(error);
  S3Requests requests(endpoint->host_header);
  sh.requests = &requests;
  sh.timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  sh.body = MakeBody(o.size);
  sh.written.resize(static_cast<std::size_t>(o.connections));
  if (o.create_bucket) {
    HttpResponse response;
    if (!bench_load::SingleCall(sh.endpoints, requests.CreateBucket(o.bucket), response, error, sh.timeout)) {
      Die("CreateBucket: transport error: " + error);
    }
    if (response.status != 200) Die("CreateBucket " + o.bucket + ": HTTP " + std::to_string(response.status) + ": " +
                                    Truncate(response.body, 300));
  }
  std::vector<ScenarioResult> results;
  for (const auto& scenario : o.scenarios) results.push_back(RunScenario(sh, scenario));

  if (o.json_stdout) {
    json::array list;
    for (const auto& r : results) list.push_back(ResultJson(r));
    json::object doc{{"tool", "s3_load"},       {"label", o.label},   {"endpoint", o.endpoint},
                     {"connections", o.connections}, {"threads", o.threads}, {"size", o.size},
                     {"duration_s", o.duration}, {"count", o.count}, {"results", std::move(list)}};
    std::printf("%s\n", json::serialize(doc).c_str());
  } else {
    for (const auto& r : results) {
      std::printf("%-20s %-4s %7zu B x%-3d %10.1f req/s %9.1f MiB/s  p50 %s ms  p99 %s ms  generator %.2f cores%s%s\n",
                  o.label.c_str(), r.scenario.c_str(), o.size, o.connections, r.requests_per_s, r.mib_per_s,
                  bench_load::Ms(r.latency.p50).c_str(), bench_load::Ms(r.latency.p99).c_str(), r.cpu_cores,
                  o.server_pid > 0 ? ("  server " + Fixed(r.server_cpu_cores, 2) + " cores").c_str() : "",
                  r.errors ? ("  [" + std::to_string(r.errors) + " errors, first: " + r.first_error + "]").c_str() : "");
    }
  }
  bool failed = false;
  for (const auto& r : results) failed = failed || r.errors > 0 || r.requests == 0;
  return failed ? 1 : 0;
}

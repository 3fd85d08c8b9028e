// sqs_load — SQS throughput/latency load generator for any SQS-compatible endpoint
// (Mallard, moto_server, ElasticMQ, LocalStack, ...).
//
// Standalone on purpose: standalone Asio (Boost.Asio headers) + Boost.JSON + a hand-written
// HTTP/1.1 client (keep-alive, Content-Length and chunked bodies). It does not link any Mallard
// library, so it builds even while src/ does not.
//
// The pieces live next to this file: sqs_load_options (command line), load_http_client and load_stats
// (shared with ddb_load), sqs_load_requests (awsJson/awsQuery), sqs_load_runner (connections, threads, load loops) and
// sqs_load_stats (percentiles and reports). This file runs the scenarios.
//
// See bench/README.md for the meaning of every figure.

#include "sqs_load_options.hpp"
#include "sqs_load_requests.hpp"
#include "sqs_load_runner.hpp"
#include "sqs_load_stats.hpp"
#include "sqs_load_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace sqs_load {
namespace {

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

std::string MakeBody(std::size_t size) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string body(size, 'x');
  for (std::size_t i = 0; i < size; ++i) body[i] = alphabet[(i * 7 + i / 62) % 62];
  return body;
}

std::optional<std::string> CreateQueue(Shared& sh, const std::string& name, std::string& error) {
  HttpResponse r;
  std::string err;
  bool ok = SingleCall(sh, sh.requests->CreateQueue(name), r, err);
  if (!ok || r.status < 200 || r.status >= 300) {
    error = CallError("CreateQueue", ok, r, err);
    return std::nullopt;
  }
  auto url = sh.requests->ParseQueueUrl(r.body);
  if (!url) error = "CreateQueue: no QueueUrl in response: " + Truncate(r.body, 600);
  return url;
}

void DeleteQueue(Shared& sh, const std::string& url) {
  HttpResponse r;
  std::string err;
  bool ok = SingleCall(sh, sh.requests->QueueUrlOnly("DeleteQueue", url), r, err);
  if (!ok || r.status < 200 || r.status >= 300) {
    std::fprintf(stderr, "sqs_load: warning: %s\n", CallError("DeleteQueue", ok, r, err).c_str());
  }
}

ScenarioResult RunScenario(Shared& sh, const std::string& scenario, const std::string& body) {
  const Options& o = *sh.options;
  ScenarioResult result;
  result.scenario = scenario;
  result.mode = o.rate > 0 ? "open" : "closed";
  result.connections = o.connections;
  result.target_rate = o.rate;
  result.duration = o.duration;

  const bool receive_delete = scenario == "receive-delete";
  std::string queue_name = o.queue_name + (receive_delete ? "-recv" : "-send");
  std::string error;
  auto url = CreateQueue(sh, queue_name, error);
  if (!url && error.find("QueueDeletedRecently") != std::string::npos) {
    // Like SQS, some endpoints refuse to recreate a queue name within 60 s of its deletion.
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    std::string retry_name = queue_name + "-" + std::to_string(millis.count() % 100000000);
    std::fprintf(stderr, "sqs_load: %s was deleted recently; using %s\n", queue_name.c_str(), retry_name.c_str());
    error.clear();
    url = CreateQueue(sh, retry_name, error);
  }
  if (!url) {
    result.errors = 1;
    result.first_error = error;
    result.notes.push_back("scenario not run: the queue could not be created");
    return result;
  }
  sh.queue_url = *url;
  sh.send_request = sh.requests->SendMessage(sh.queue_url, body);
  sh.receive_request = sh.requests->ReceiveMessage(sh.queue_url);
  sh.batch_entries = static_cast<int>(std::clamp<std::size_t>(262144 / (body.size() + 64), 1, 10));
  sh.batch_request = sh.requests->SendMessageBatch(sh.queue_url, body, sh.batch_entries);
  std::fprintf(stderr, "sqs_load: %s (%s, %d connections%s) on %s\n", scenario.c_str(), result.mode.c_str(),
               o.connections, o.rate > 0 ? (", " + Fixed(o.rate, 0) + "/s").c_str() : "", sh.queue_url.c_str());

  std::uint64_t preload_errors = 0;
  std::string preload_first_error;
  if (receive_delete) {
    HttpResponse r;
    std::string err;
    bool ok = SingleCall(sh, sh.requests->QueueUrlOnly("PurgeQueue", sh.queue_url), r, err);
    if (!ok || r.status < 200 || r.status >= 300) {
      std::fprintf(stderr, "sqs_load: warning: %s\n", CallError("PurgeQueue", ok, r, err).c_str());
    }
    // Preload. Automatic size: calibrated on the preload's own SendMessageBatch rate during its first
    // seconds (a receive+delete round trip is two requests, each lighter than a 10-message batch;
    // measured on Mallard, round trips/s reach ~1.9x batches/s, so 3x leaves a margin), and with
    // --rate never more than the run can consume.
    const double total_seconds = o.warmup + o.duration;
    const std::uint64_t floor = 200;
    std::uint64_t cap = o.preload_max;
    if (o.rate > 0) cap = std::min(cap, static_cast<std::uint64_t>(o.rate * total_seconds * 1.2) + floor);
    const bool calibrate = o.preload == 0;
    sh.preload_target = calibrate ? cap : o.preload;
    sh.preload_claimed = 0;
    sh.preload_batches_done = 0;
    sh.abort = false;
    sh.fallback_single = false;
    auto preload_start = Clock::now();
    bool calibrated = false;
    RunOutput pre = RunWorkers(sh, Work::Preload, [&] {
      if (!calibrate || calibrated) return;
      double elapsed = std::chrono::duration<double>(Clock::now() - preload_start).count();
      if (elapsed < 0.5) return;
      auto batches = sh.preload_batches_done.load();
      if (batches == 0) {
        if (elapsed >= 3.0) {  // hopelessly slow: stop at what has been claimed
          sh.preload_target = floor;
          calibrated = true;
        }
        return;
      }
      double requests_per_s = static_cast<double>(batches) / elapsed;
      auto estimate = static_cast<std::uint64_t>(requests_per_s * 3.0 * total_seconds) + floor;
      sh.preload_target = std::min(estimate, cap);
      // Keep refining while connection set-up still weighs on the average; then freeze.
      if (elapsed >= 2.0) calibrated = true;
    });
    result.preloaded = pre.stats.preload_messages;
    result.preload_seconds = std::chrono::duration<double>(Clock::now() - preload_start).count();
    preload_errors = pre.stats.errors;
    preload_first_error = pre.stats.first_error;
    std::fprintf(stderr, "sqs_load: preloaded %llu messages in %.2f s\n",
                 static_cast<unsigned long long>(result.preloaded), result.preload_seconds);
    if (sh.abort) {
      result.errors = preload_errors;
      result.first_error = preload_first_error;
      result.notes.push_back("scenario not run: preload kept failing");
      if (!o.keep_queue) DeleteQueue(sh, sh.queue_url);
      return result;
    }
  }

  RunOutput run = RunWorkers(sh, receive_delete ? Work::ReceiveDelete : Work::Send, [] {});
  result.operations = run.stats.completed_in_window;
  result.missed_starts = run.stats.missed_starts;
  result.throughput = static_cast<double>(result.operations) / o.duration;
  result.latency = Summarize(run.stats.main_ns);
  if (receive_delete) {
    result.parts.emplace_back("receive", Summarize(run.stats.receive_ns));
    result.parts.emplace_back("delete", Summarize(run.stats.delete_ns));
  }
  result.start_lag = Summarize(run.stats.lag_ns);
  result.errors = run.stats.errors + preload_errors;
  result.empty_receives = run.stats.empty_receives;
  result.reconnects = run.reconnects;
  result.first_error = !preload_first_error.empty() ? preload_first_error : run.stats.first_error;
  if (preload_errors) result.notes.push_back(std::to_string(preload_errors) + " of the errors happened during preload");
  if (result.empty_receives) {
    result.notes.push_back(std::to_string(result.empty_receives) +
                           " ReceiveMessage calls returned no message (not counted); if the queue drained, raise --preload");
  }
  if (result.missed_starts) {
    result.notes.push_back(std::to_string(result.missed_starts) +
                           " scheduled starts were never issued before the window closed (their latency is not in the figures)");
  }
  if (o.rate > 0 && result.throughput < 0.95 * o.rate) {
    result.notes.push_back("achieved " + Fixed(result.throughput, 0) + "/s of the " + Fixed(o.rate, 0) +
                           "/s target: the endpoint is saturated (or too few connections); latencies include queueing");
  }
  if (!o.keep_queue) DeleteQueue(sh, sh.queue_url);
  return result;
}

}  // namespace
}  // namespace sqs_load

int main(int argc, char** argv) {
  using namespace sqs_load;
  Options o = ParseOptions(argc, argv);
  if (!o.compare_files.empty()) return Compare(o.compare_files);

  Endpoint endpoint = ParseEndpoint(o.endpoint);
  Shared sh;
  sh.options = &o;
  sh.timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  {
    std::string error;
    sh.endpoints = bench_load::Resolve(endpoint, error);
    if (sh.endpoints.empty()) Die(error);
  }
  SqsRequests requests(o, endpoint);
  sh.requests = &requests;

  std::vector<std::string> scenarios;
  if (o.scenario == "all") scenarios = {"send", "receive-delete"};
  else scenarios = {o.scenario};

  const std::string body = MakeBody(o.message_size);
  std::vector<ScenarioResult> results;
  for (auto& s : scenarios) results.push_back(RunScenario(sh, s, body));

  json::array results_json;
  for (auto& r : results) results_json.push_back(ResultJson(r));
  json::object doc{{"tool", "sqs_load"},
                   {"label", o.label},
                   {"endpoint", o.endpoint},
                   {"protocol", o.protocol == Protocol::Json ? "json" : "query"},
                   {"threads", o.threads},
                   {"connections", o.connections},
                   {"message_size", o.message_size},
                   {"duration_s", o.duration},
                   {"warmup_s", o.warmup},
                   {"rate", o.rate},
                   {"results", std::move(results_json)}};
  std::string doc_text = json::serialize(doc);
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << doc_text << "\n";
    if (!out) Die("cannot write " + o.json_out);
  }
  if (o.json_stdout) std::printf("%s\n", doc_text.c_str());
  else PrintResults(stdout, o, results);

  bool any_error = false;
  for (auto& r : results) any_error = any_error || r.errors > 0 || r.operations == 0;
  return any_error ? 1 : 0;
}

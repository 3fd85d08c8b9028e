// ddb_load — DynamoDB throughput/latency load generator for any DynamoDB-compatible endpoint
// (Mallard, dynalite, moto_server, DynamoDB Local, LocalStack, ...).
//
// Standalone like sqs_load: Boost.Asio (headers) + Boost.JSON + the hand-written HTTP/1.1 client in
// load_http_client, shared with sqs_load. It links no Mallard library.
//
// Pieces: ddb_load_options (command line), ddb_load_requests (awsJson1.0 requests and response
// checks), ddb_load_runner (connections, threads, load loops), ddb_load_report (tables, JSON,
// --compare). This file sets up the table and runs the scenarios. See bench/README.md.

#include "ddb_load_options.hpp"
#include "ddb_load_report.hpp"
#include "ddb_load_requests.hpp"
#include "ddb_load_runner.hpp"
#include "load_http_client.hpp"
#include "load_stats.hpp"
#include "load_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

namespace ddb_load {
namespace {

namespace json = boost::json;
using bench_load::Summarize;
using bench_load::Truncate;

// User + system CPU seconds of this process so far.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CreateTable, wait for ACTIVE, preload every item.
Setup RunSetup(Shared& sh) {
  const Options& o = *sh.options;
  const DdbRequests& rq = *sh.requests;
  Setup setup;
  if (o.reuse_table) {
    setup.reused = true;
    setup.ok = true;
    return setup;
  }
  auto fail = [&](std::string error) {
    ++setup.errors;
    if (setup.first_error.empty()) setup.first_error = std::move(error);
    return setup;
  };
  auto created = Clock::now();
  HttpResponse r;
  std::string err;
  bool ok = SingleCall(sh, rq.Make("CreateTable", rq.CreateTableBody()), r, err);
  if (!ok || r.status != 200) return fail(CallError("CreateTable", ok, r, err));
  std::string status = DdbRequests::TableStatus(r.body);
  const std::string describe = rq.Make("DescribeTable", rq.TableOnlyBody());
  while (status != "ACTIVE") {
    if (Since(created) > 120) return fail("table " + o.table_name + " not ACTIVE after 120 s (status " + status + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ok = SingleCall(sh, describe, r, err);
    if (!ok || r.status != 200) return fail(CallError("DescribeTable", ok, r, err));
    status = DdbRequests::TableStatus(r.body);
  }
  setup.create_seconds = Since(created);

  auto start = Clock::now();
  sh.preload_next = 0;
  sh.abort = false;
  sh.fallback_single = false;
  RunOutput pre = RunWorkers(sh, Work::Preload, o.preload_connections, o.threads);
  setup.preload_seconds = Since(start);
  setup.preloaded_items = pre.stats.preload_items;
  setup.preload_requests = pre.stats.preload_requests;
  setup.preload_retries = pre.stats.preload_retries;
  setup.errors += pre.stats.errors;
  if (setup.first_error.empty()) setup.first_error = pre.stats.first_error;
  setup.ok = !sh.abort && setup.preloaded_items == rq.PreloadItems();
  std::fprintf(stderr, "ddb_load: table %s active after %.2f s; preloaded %llu of %llu items in %.2f s\n",
               o.table_name.c_str(), setup.create_seconds, static_cast<unsigned long long>(setup.preloaded_items),
               static_cast<unsigned long long>(rq.PreloadItems()), setup.preload_seconds);
  return setup;
}

void DeleteTable(Shared& sh) {
  HttpResponse r;
  std::string err;
  bool ok = SingleCall(sh, sh.requests->Make("DeleteTable", sh.requests->TableOnlyBody()), r, err);
  if (!ok || r.status != 200) {
    std::fprintf(stderr, "ddb_load: warning: %s\n", CallError("DeleteTable", ok, r, err).c_str());
  }
}

Result RunScenario(Shared& sh, const std::string& scenario, int connections) {
  const Options& o = *sh.options;
  Result result;
  result.scenario = scenario;
  result.connections = connections;
  result.duration = o.duration;
  std::fprintf(stderr, "ddb_load: %s, %d connection(s)\n", scenario.c_str(), connections);
  Work work = WorkOf(scenario);
  double cpu_before = ProcessCpuSeconds();
  RunOutput run = RunWorkers(sh, work, connections, o.threads);
  result.load_cpu = run.elapsed > 0 ? (ProcessCpuSeconds() - cpu_before) / run.elapsed : 0;
  result.operations = run.stats.completed_in_window;
  result.throughput = static_cast<double>(result.operations) / o.duration;
  result.latency = Summarize(run.stats.main_ns);
  if (work == Work::Mixed) {
    for (int k = 0; k < kOpCount; ++k) {
      if (o.mix[k] == 0) continue;
      auto i = static_cast<std::size_t>(k);
      OpPart p;
      p.name = OpName(static_cast<Op>(k));
      p.operations = run.stats.op_ns[i].size();
      p.throughput = static_cast<double>(p.operations) / o.duration;
      p.latency = Summarize(run.stats.op_ns[i]);
      p.errors = run.stats.op_errors[i];
      result.parts.push_back(std::move(p));
    }
  }
  result.errors = run.stats.errors;
  result.reconnects = run.reconnects;
  result.first_error = run.stats.first_error;
  const int threads = std::max(1, std::min(o.threads, connections));
  if (result.load_cpu > 0.85 * threads) {
    result.notes.push_back("ddb_load used " + bench_load::Fixed(result.load_cpu * 100, 0) +
                           "% CPU over " + std::to_string(threads) +
                           " thread(s): the load generator may be the limit, not the endpoint");
  }
  if (result.reconnects > result.operations / 2 && result.operations > 0) {
    result.notes.push_back("the endpoint closed the connection after most responses (no keep-alive): "
                           "a TCP connect per request is in the figures");
  }
  return result;
}

}  // namespace
}  // namespace ddb_load

int main(int argc, char** argv) {
  using namespace ddb_load;
  Options o = ParseOptions(argc, argv);
  if (!o.compare_files.empty()) return Compare(o.compare_files);

  std::string error;
  auto endpoint = bench_load::ParseEndpoint(o.endpoint, error);
  if (!endpoint) Die(error);
  Shared sh;
  sh.options = &o;
  sh.timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  sh.endpoints = bench_load::Resolve(*endpoint, error);
  if (sh.endpoints.empty()) Die(error);
  DdbRequests requests(o, *endpoint);
  sh.requests = &requests;

  Setup setup = RunSetup(sh);
  std::vector<Result> results;
  if (setup.ok) {
    for (auto& s : o.scenarios) {
      for (int c : o.connections) results.push_back(RunScenario(sh, s, c));
    }
  } else {
    std::fprintf(stderr, "ddb_load: setup failed: %s\n", setup.first_error.c_str());
  }
  if (!o.keep_table && !o.reuse_table && (setup.ok || setup.create_seconds > 0)) DeleteTable(sh);

  json::array results_json;
  for (auto& r : results) results_json.push_back(ResultJson(r));
  json::array connections_json;
  for (int c : o.connections) connections_json.push_back(c);
  json::object doc{{"tool", "ddb_load"},
                   {"label", o.label},
                   {"endpoint", o.endpoint},
                   {"threads", o.threads},
                   {"connections", std::move(connections_json)},
                   {"duration_s", o.duration},
                   {"warmup_s", o.warmup},
                   {"table", o.table_name},
                   {"keys", o.keys},
                   {"partitions", o.partitions},
                   {"items_per_partition", o.items_per_partition},
                   {"value_size", o.value_size},
                   {"mix", MixText(o)},
                   {"setup", SetupJson(setup)},
                   {"results", std::move(results_json)}};
  std::string doc_text = json::serialize(doc);
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << doc_text << "\n";
    if (!out) Die("cannot write " + o.json_out);
  }
  if (o.json_stdout) std::printf("%s\n", doc_text.c_str());
  else PrintResults(stdout, o, setup, results);

  bool any_error = !setup.ok || results.empty();
  for (auto& r : results) any_error = any_error || r.errors > 0 || r.operations == 0;
  return any_error ? 1 : 0;
}

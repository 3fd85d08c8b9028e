// ddb_load: per-scenario results and how they are reported (table, JSON, --compare).
#pragma once

#include "ddb_load_options.hpp"
#include "load_stats.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ddb_load {

using bench_load::Latency;

struct OpPart {  // one operation kind inside the mixed workload
  std::string name;
  std::uint64_t operations = 0;
  double throughput = 0;
  Latency latency;
  std::uint64_t errors = 0;
};

struct Result {
  std::string scenario;  // put | get | query | mixed
  int connections = 0;
  double duration = 0;
  std::uint64_t operations = 0;
  double throughput = 0;
  Latency latency;
  std::vector<OpPart> parts;
  std::uint64_t errors = 0;
  std::uint64_t reconnects = 0;
  double load_cpu = 0;  // ddb_load's CPU time / wall time during the run (1.0 = one core busy)
  std::string first_error;
  std::vector<std::string> notes;
};

struct Setup {
  bool ok = false;
  bool reused = false;
  std::uint64_t preloaded_items = 0;
  std::uint64_t preload_requests = 0;
  std::uint64_t preload_retries = 0;
  double create_seconds = 0;
  double preload_seconds = 0;
  std::uint64_t errors = 0;
  std::string first_error;
};

boost::json::object ResultJson(const Result& r);
boost::json::object SetupJson(const Setup& s);
void PrintResults(std::FILE* out, const Options& o, const Setup& setup, const std::vector<Result>& results);
int Compare(const std::vector<std::string>& files);

}  // namespace ddb_load

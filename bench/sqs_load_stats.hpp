// sqs_load: latency percentiles, per-scenario results and how they are reported (table, JSON,
// --compare).
#pragma once

#include "sqs_load_options.hpp"
#include "sqs_load_util.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace sqs_load {

struct ScenarioResult {
  std::string scenario;  // send | receive-delete
  std::string mode;      // closed | open
  int connections = 0;
  double target_rate = 0;
  double duration = 0;
  std::uint64_t operations = 0;
  double throughput = 0;
  Latency latency;
  std::vector<std::pair<std::string, Latency>> parts;  // receive, delete
  Latency start_lag;                                    // open loop: how late operations were issued
  std::uint64_t errors = 0;
  std::uint64_t empty_receives = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t missed_starts = 0;
  std::uint64_t preloaded = 0;
  double preload_seconds = 0;
  std::string first_error;
  std::vector<std::string> notes;
};

json::object ResultJson(const ScenarioResult& r);
void PrintResults(std::FILE* out, const Options& o, const std::vector<ScenarioResult>& results);
int Compare(const std::vector<std::string>& files);

}  // namespace sqs_load

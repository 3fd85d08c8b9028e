// Bench load generators (sqs_load, ddb_load): latency percentiles and their JSON form.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bench_load {

struct Latency {
  std::uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // milliseconds
};

// Nearest-rank percentiles of the samples (nanoseconds); sorts `ns`.
Latency Summarize(std::vector<std::int64_t>& ns);

boost::json::object LatencyJson(const Latency& l);
Latency LatencyFromJson(const boost::json::value& v);

// A JSON number as double (0 when absent or not a number).
double JsonNumber(const boost::json::object& o, const char* key);

// Milliseconds for tables: 3 decimals below 100 ms, 1 above.
std::string Ms(double v);

}  // namespace bench_load

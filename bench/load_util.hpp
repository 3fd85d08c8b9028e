// Helpers shared by the bench load generators (sqs_load, ddb_load): the clock, string formatting.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace bench_load {

using Clock = std::chrono::steady_clock;

inline std::string Truncate(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...(" + std::to_string(s.size()) + " bytes)";
}

inline std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace bench_load

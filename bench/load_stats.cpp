#include "load_stats.hpp"

#include "load_util.hpp"

#include <algorithm>
#include <cmath>

namespace bench_load {

Latency Summarize(std::vector<std::int64_t>& ns) {
  Latency l;
  l.count = ns.size();
  if (ns.empty()) return l;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    // Nearest-rank percentile.
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ns.size())));
    if (rank < 1) rank = 1;
    if (rank > ns.size()) rank = ns.size();
    return static_cast<double>(ns[rank - 1]) / 1e6;
  };
  l.p50 = at(0.50);
  l.p90 = at(0.90);
  l.p99 = at(0.99);
  l.p999 = at(0.999);
  l.max = static_cast<double>(ns.back()) / 1e6;
  long double sum = 0;
  for (auto v : ns) sum += v;
  l.mean = static_cast<double>(sum / ns.size()) / 1e6;
  return l;
}

boost::json::object LatencyJson(const Latency& l) {
  return boost::json::object{{"count", l.count}, {"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99},
                             {"p99_9", l.p999},  {"max", l.max}, {"mean", l.mean}};
}

double JsonNumber(const boost::json::object& o, const char* key) {
  auto* x = o.if_contains(key);
  if (!x) return 0;
  if (x->is_double()) return x->as_double();
  if (x->is_int64()) return static_cast<double>(x->as_int64());
  if (x->is_uint64()) return static_cast<double>(x->as_uint64());
  return 0;
}

Latency LatencyFromJson(const boost::json::value& v) {
  Latency l;
  if (!v.is_object()) return l;
  auto& o = v.as_object();
  l.count = static_cast<std::uint64_t>(JsonNumber(o, "count"));
  l.p50 = JsonNumber(o, "p50");
  l.p90 = JsonNumber(o, "p90");
  l.p99 = JsonNumber(o, "p99");
  l.p999 = JsonNumber(o, "p99_9");
  l.max = JsonNumber(o, "max");
  l.mean = JsonNumber(o, "mean");
  return l;
}

std::string Ms(double v) { return Fixed(v, v >= 100 ? 1 : 3); }

}  // namespace bench_load

#include "sqs_load_stats.hpp"

#include "sqs_load_util.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace sqs_load {

namespace {

using bench_load::LatencyFromJson;
using bench_load::LatencyJson;
using bench_load::Ms;

void PrintHeader(std::FILE* out, bool with_label, std::size_t label_width) {
  if (with_label) std::fprintf(out, "%-*s  ", static_cast<int>(label_width), "target");
  std::fprintf(out, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s\n", "scenario", "mode", "conns", "target/s",
               "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
}

void PrintRow(std::FILE* out, const std::string* label, std::size_t label_width, const std::string& name,
              const std::string& mode, int conns, double target, double throughput, const Latency& l,
              std::optional<std::uint64_t> errors) {
  if (label) std::fprintf(out, "%-*s  ", static_cast<int>(label_width), label->c_str());
  std::string target_s = target > 0 ? Fixed(target, 0) : "-";
  std::string conns_s = conns > 0 ? std::to_string(conns) : "";
  std::string errors_s = errors ? std::to_string(*errors) : "";
  std::string tput = throughput >= 0 ? Fixed(throughput, 1) : "";
  if (l.count == 0) {
    std::fprintf(out, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s\n", name.c_str(), mode.c_str(), conns_s.c_str(),
                 target_s.c_str(), tput.c_str(), "-", "-", "-", "-", "-", errors_s.c_str());
    return;
  }
  std::fprintf(out, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s\n", name.c_str(), mode.c_str(), conns_s.c_str(),
               target_s.c_str(), tput.c_str(), Ms(l.p50).c_str(), Ms(l.p90).c_str(), Ms(l.p99).c_str(),
               Ms(l.p999).c_str(), Ms(l.max).c_str(), errors_s.c_str());
}

}  // namespace

json::object ResultJson(const ScenarioResult& r) {
  json::object parts;
  for (auto& [name, l] : r.parts) parts[name] = LatencyJson(l);
  json::array notes;
  for (auto& n : r.notes) notes.emplace_back(n);
  json::object o{{"scenario", r.scenario},
                 {"mode", r.mode},
                 {"connections", r.connections},
                 {"target_rate", r.target_rate},
                 {"duration_s", r.duration},
                 {"operations", r.operations},
                 {"throughput_per_s", r.throughput},
                 {"latency_ms", LatencyJson(r.latency)},
                 {"parts_latency_ms", std::move(parts)},
                 {"start_lag_ms", LatencyJson(r.start_lag)},
                 {"errors", r.errors},
                 {"empty_receives", r.empty_receives},
                 {"reconnects", r.reconnects},
                 {"missed_starts", r.missed_starts},
                 {"preloaded_messages", r.preloaded},
                 {"preload_seconds", r.preload_seconds},
                 {"notes", std::move(notes)}};
  if (!r.first_error.empty()) o["first_error"] = r.first_error;
  else o["first_error"] = nullptr;
  return o;
}

void PrintResults(std::FILE* out, const Options& o, const std::vector<ScenarioResult>& results) {
  std::fprintf(out, "\nendpoint %s  protocol %s  threads %d  message %zu B  duration %.1f s (+%.1f s warmup)\n",
               o.endpoint.c_str(), o.protocol == Protocol::Json ? "json" : "query", o.threads, o.message_size,
               o.duration, o.warmup);
  PrintHeader(out, false, 0);
  for (auto& r : results) {
    PrintRow(out, nullptr, 0, r.scenario, r.mode, r.connections, r.target_rate, r.throughput, r.latency, r.errors);
    for (auto& [name, l] : r.parts) {
      PrintRow(out, nullptr, 0, "  " + name, "", 0, 0, static_cast<double>(l.count) / r.duration, l, std::nullopt);
    }
  }
  for (auto& r : results) {
    if (r.preloaded) {
      std::fprintf(out, "%s: preloaded %llu messages in %.2f s\n", r.scenario.c_str(),
                   static_cast<unsigned long long>(r.preloaded), r.preload_seconds);
    }
    if (r.start_lag.count) {
      std::fprintf(out, "%s: start lag (issued - scheduled) p50 %s  p99 %s  max %s ms\n", r.scenario.c_str(),
                   Ms(r.start_lag.p50).c_str(), Ms(r.start_lag.p99).c_str(), Ms(r.start_lag.max).c_str());
    }
    if (r.reconnects) {
      std::fprintf(out, "%s: %llu reconnects\n", r.scenario.c_str(), static_cast<unsigned long long>(r.reconnects));
    }
    for (auto& n : r.notes) std::fprintf(out, "%s: note: %s\n", r.scenario.c_str(), n.c_str());
    if (!r.first_error.empty()) {
      std::fprintf(out, "%s: first error: %s\n", r.scenario.c_str(), r.first_error.c_str());
    }
  }
}

int Compare(const std::vector<std::string>& files) {
  struct Row {
    std::string label;
    std::string scenario, mode;
    int connections = 0;
    double target = 0;
    double throughput = 0;
    Latency latency;
    std::uint64_t errors = 0;
    std::string first_error;
  };
  std::vector<std::string> key_order;
  std::map<std::string, std::vector<Row>> groups;
  std::size_t label_width = 6;
  for (auto& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "sqs_load: cannot read %s\n", file.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    json::value doc = json::parse(ss.str(), ec);
    if (ec || !doc.is_object()) {
      std::fprintf(stderr, "sqs_load: %s is not sqs_load JSON\n", file.c_str());
      return 2;
    }
    auto& top = doc.as_object();
    std::string label = top.if_contains("label") && top.at("label").is_string() ? std::string(top.at("label").as_string()) : file;
    label_width = std::max(label_width, label.size());
    auto* results = top.if_contains("results");
    if (!results || !results->is_array()) continue;
    for (auto& rv : results->as_array()) {
      if (!rv.is_object()) continue;
      auto& r = rv.as_object();
      auto str = [&](const char* k) {
        auto* x = r.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      auto num = [&](const char* k) -> double {
        auto* x = r.if_contains(k);
        if (!x) return 0;
        if (x->is_double()) return x->as_double();
        if (x->is_int64()) return static_cast<double>(x->as_int64());
        if (x->is_uint64()) return static_cast<double>(x->as_uint64());
        return 0;
      };
      Row row;
      row.label = label;
      row.scenario = str("scenario");
      row.mode = str("mode");
      row.connections = static_cast<int>(num("connections"));
      row.target = num("target_rate");
      row.throughput = num("throughput_per_s");
      row.errors = static_cast<std::uint64_t>(num("errors"));
      row.first_error = str("first_error");
      if (auto* l = r.if_contains("latency_ms")) row.latency = LatencyFromJson(*l);
      std::string key = row.scenario + "|" + row.mode + "|" + std::to_string(row.connections) + "|" + Fixed(row.target, 1);
      if (!groups.count(key)) key_order.push_back(key);
      groups[key].push_back(std::move(row));
    }
  }
  std::fprintf(stdout, "%-*s  ", static_cast<int>(label_width), "target");
  std::fprintf(stdout, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s %8s\n", "scenario", "mode", "conns", "target/s",
               "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "vs 1st");
  std::vector<std::string> errors;
  for (auto& key : key_order) {
    auto& rows = groups[key];
    double base = rows.front().throughput;
    for (auto& row : rows) {
      std::fprintf(stdout, "%-*s  ", static_cast<int>(label_width), row.label.c_str());
      std::string target_s = row.target > 0 ? Fixed(row.target, 0) : "-";
      double r = base > 0 ? row.throughput / base : 0;
      std::string ratio = base > 0 ? Fixed(r, r >= 10 ? 0 : r >= 0.1 ? 2 : r >= 0.01 ? 3 : 4) + "x" : "-";
      if (row.latency.count == 0) {
        std::fprintf(stdout, "%-16s %-6s %5d %9s %11s %9s %9s %9s %9s %9s %8llu %8s\n", row.scenario.c_str(),
                     row.mode.c_str(), row.connections, target_s.c_str(), Fixed(row.throughput, 1).c_str(), "-", "-",
                     "-", "-", "-", static_cast<unsigned long long>(row.errors), ratio.c_str());
      } else {
        std::fprintf(stdout, "%-16s %-6s %5d %9s %11s %9s %9s %9s %9s %9s %8llu %8s\n", row.scenario.c_str(),
                     row.mode.c_str(), row.connections, target_s.c_str(), Fixed(row.throughput, 1).c_str(),
                     Ms(row.latency.p50).c_str(), Ms(row.latency.p90).c_str(), Ms(row.latency.p99).c_str(),
                     Ms(row.latency.p999).c_str(), Ms(row.latency.max).c_str(),
                     static_cast<unsigned long long>(row.errors), ratio.c_str());
      }
      if (!row.first_error.empty()) {
        errors.push_back(row.label + " " + row.scenario + " c=" + std::to_string(row.connections) + ": " + row.first_error);
      }
    }
  }
  for (auto& e : errors) std::fprintf(stdout, "first error: %s\n", e.c_str());
  return 0;
}

}  // namespace sqs_load

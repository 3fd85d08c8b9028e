#include "ddb_load_report.hpp"

#include "load_util.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace ddb_load {

namespace json = boost::json;
using bench_load::Fixed;
using bench_load::JsonNumber;
using bench_load::LatencyFromJson;
using bench_load::LatencyJson;
using bench_load::Ms;

json::object ResultJson(const Result& r) {
  json::array parts;
  for (auto& p : r.parts) {
    parts.push_back(json::object{{"op", p.name},
                                 {"operations", p.operations},
                                 {"throughput_per_s", p.throughput},
                                 {"latency_ms", LatencyJson(p.latency)},
                                 {"errors", p.errors}});
  }
  json::array notes;
  for (auto& n : r.notes) notes.emplace_back(n);
  json::object o{{"scenario", r.scenario},
                 {"connections", r.connections},
                 {"duration_s", r.duration},
                 {"operations", r.operations},
                 {"throughput_per_s", r.throughput},
                 {"latency_ms", LatencyJson(r.latency)},
                 {"parts", std::move(parts)},
                 {"errors", r.errors},
                 {"reconnects", r.reconnects},
                 {"load_cpu", r.load_cpu},
                 {"notes", std::move(notes)}};
  if (!r.first_error.empty()) o["first_error"] = r.first_error;
  else o["first_error"] = nullptr;
  return o;
}

json::object SetupJson(const Setup& s) {
  json::object o{{"ok", s.ok},
                 {"reused_table", s.reused},
                 {"preloaded_items", s.preloaded_items},
                 {"preload_requests", s.preload_requests},
                 {"preload_retries", s.preload_retries},
                 {"create_seconds", s.create_seconds},
                 {"preload_seconds", s.preload_seconds},
                 {"errors", s.errors}};
  if (!s.first_error.empty()) o["first_error"] = s.first_error;
  else o["first_error"] = nullptr;
  return o;
}

namespace {

const char* kRowFormat = "%-10s %5s %11s %9s %9s %9s %9s %9s %8s %8s\n";

void PrintRow(std::FILE* out, const std::string& name, const std::string& conns, double throughput,
              const Latency& l, std::uint64_t errors, double load_cpu) {
  std::string errors_s = std::to_string(errors);
  std::string cpu_s = load_cpu >= 0 ? Fixed(load_cpu * 100, 0) + "%" : "";
  if (l.count == 0) {
    std::fprintf(out, kRowFormat, name.c_str(), conns.c_str(), Fixed(throughput, 1).c_str(), "-", "-", "-", "-", "-",
                 errors_s.c_str(), cpu_s.c_str());
    return;
  }
  std::fprintf(out, kRowFormat, name.c_str(), conns.c_str(), Fixed(throughput, 1).c_str(), Ms(l.p50).c_str(),
               Ms(l.p90).c_str(), Ms(l.p99).c_str(), Ms(l.p999).c_str(), Ms(l.max).c_str(), errors_s.c_str(), cpu_s.c_str());
}

}  // namespace

void PrintResults(std::FILE* out, const Options& o, const Setup& setup, const std::vector<Result>& results) {
  std::fprintf(out, "\nendpoint %s  threads %d  duration %.1f s (+%.1f s warmup)\n", o.endpoint.c_str(), o.threads,
               o.duration, o.warmup);
  std::fprintf(out,
               "table %s: %llu keys + %llu partitions x %llu items, %zu B values; mixed %s\n",
               o.table_name.c_str(), static_cast<unsigned long long>(o.keys),
               static_cast<unsigned long long>(o.partitions), static_cast<unsigned long long>(o.items_per_partition),
               o.value_size, MixText(o).c_str());
  if (setup.reused) {
    std::fprintf(out, "setup: reused the existing table\n");
  } else {
    std::fprintf(out, "setup: table active after %.2f s; preloaded %llu items in %.2f s (%llu requests%s)%s\n",
                 setup.create_seconds, static_cast<unsigned long long>(setup.preloaded_items), setup.preload_seconds,
                 static_cast<unsigned long long>(setup.preload_requests),
                 setup.preload_retries ? (", " + std::to_string(setup.preload_retries) + " resent").c_str() : "",
                 setup.ok ? "" : " -- FAILED");
  }
  if (!setup.first_error.empty()) std::fprintf(out, "setup: first error: %s\n", setup.first_error.c_str());
  std::fprintf(out, kRowFormat, "scenario", "conns", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
               "errors", "load cpu");
  for (auto& r : results) {
    PrintRow(out, r.scenario, std::to_string(r.connections), r.throughput, r.latency, r.errors, r.load_cpu);
    for (auto& p : r.parts) PrintRow(out, "  " + p.name, "", p.throughput, p.latency, p.errors, -1);
  }
  for (auto& r : results) {
    std::string tag = r.scenario + " c=" + std::to_string(r.connections);
    if (r.reconnects) {
      std::fprintf(out, "%s: %llu reconnects\n", tag.c_str(), static_cast<unsigned long long>(r.reconnects));
    }
    for (auto& n : r.notes) std::fprintf(out, "%s: note: %s\n", tag.c_str(), n.c_str());
    if (!r.first_error.empty()) std::fprintf(out, "%s: first error: %s\n", tag.c_str(), r.first_error.c_str());
  }
}

int Compare(const std::vector<std::string>& files) {
  struct Cell {
    bool present = false;
    double throughput = 0;
    Latency latency;
    std::uint64_t errors = 0;
  };
  struct Row {
    std::string scenario;  // "mixed" or "  get" for a part
    int connections = 0;
    std::vector<Cell> cells;
  };
  std::vector<std::string> labels;
  std::vector<std::string> key_order;
  std::map<std::string, Row> rows;
  std::vector<std::string> errors;
  const std::size_t n = files.size();
  for (std::size_t f = 0; f < n; ++f) {
    std::ifstream in(files[f]);
    if (!in) {
      std::fprintf(stderr, "ddb_load: cannot read %s\n", files[f].c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    json::value doc = json::parse(ss.str(), ec);
    if (ec || !doc.is_object()) {
      std::fprintf(stderr, "ddb_load: %s is not ddb_load JSON\n", files[f].c_str());
      return 2;
    }
    auto& top = doc.as_object();
    std::string label =
        top.if_contains("label") && top.at("label").is_string() ? std::string(top.at("label").as_string()) : files[f];
    labels.push_back(label);
    if (auto* setup = top.if_contains("setup"); setup && setup->is_object()) {
      auto* fe = setup->as_object().if_contains("first_error");
      if (fe && fe->is_string()) errors.push_back(label + " setup: " + std::string(fe->as_string()));
    }
    auto* results = top.if_contains("results");
    if (!results || !results->is_array()) continue;
    auto add = [&](const std::string& scenario, int conns, const json::object& r) {
      std::string key = scenario + "|" + std::to_string(conns);
      auto it = rows.find(key);
      if (it == rows.end()) {
        key_order.push_back(key);
        it = rows.emplace(key, Row{scenario, conns, std::vector<Cell>(n)}).first;
      }
      Cell& c = it->second.cells[f];
      c.present = true;
      c.throughput = JsonNumber(r, "throughput_per_s");
      c.errors = static_cast<std::uint64_t>(JsonNumber(r, "errors"));
      if (auto* l = r.if_contains("latency_ms")) c.latency = LatencyFromJson(*l);
    };
    for (auto& rv : results->as_array()) {
      if (!rv.is_object()) continue;
      auto& r = rv.as_object();
      std::string scenario = r.if_contains("scenario") && r.at("scenario").is_string()
                                 ? std::string(r.at("scenario").as_string())
                                 : "?";
      int conns = static_cast<int>(JsonNumber(r, "connections"));
      add(scenario, conns, r);
      if (auto* parts = r.if_contains("parts"); parts && parts->is_array()) {
        for (auto& pv : parts->as_array()) {
          if (!pv.is_object()) continue;
          auto& p = pv.as_object();
          std::string op = p.if_contains("op") && p.at("op").is_string() ? std::string(p.at("op").as_string()) : "?";
          add(scenario + " " + op, conns, p);
        }
      }
      auto* fe = r.if_contains("first_error");
      if (fe && fe->is_string()) {
        errors.push_back(label + " " + scenario + " c=" + std::to_string(conns) + ": " + std::string(fe->as_string()));
      }
    }
  }
  // Header: one block of columns per target, then the first target's throughput over each other's.
  const int block = 10 + 1 + 8 + 1 + 8 + 1 + 6;  // ops/s p50 p99 errors
  std::printf("%-14s %5s", "", "");
  for (auto& l : labels) std::printf(" | %-*s", block, bench_load::Truncate(l, static_cast<std::size_t>(block)).c_str());
  if (n > 1) std::printf(" | %s vs", bench_load::Truncate(labels[0], 20).c_str());
  std::printf("\n%-14s %5s", "scenario", "conns");
  for (std::size_t f = 0; f < n; ++f) std::printf(" | %10s %8s %8s %6s", "ops/s", "p50 ms", "p99 ms", "errors");
  if (n > 1) {
    std::printf(" |");
    for (std::size_t f = 1; f < n; ++f) std::printf(" %10s", bench_load::Truncate(labels[f], 10).c_str());
  }
  std::printf("\n");
  for (auto& key : key_order) {
    const Row& row = rows[key];
    bool part = row.scenario.find(' ') != std::string::npos;
    std::string name = part ? "  " + row.scenario.substr(row.scenario.find(' ') + 1) : row.scenario;
    std::printf("%-14s %5s", name.c_str(), part ? "" : std::to_string(row.connections).c_str());
    for (auto& c : row.cells) {
      if (!c.present) {
        std::printf(" | %10s %8s %8s %6s", "-", "-", "-", "-");
      } else if (c.latency.count == 0) {
        std::printf(" | %10s %8s %8s %6llu", Fixed(c.throughput, 1).c_str(), "-", "-",
                    static_cast<unsigned long long>(c.errors));
      } else {
        std::printf(" | %10s %8s %8s %6llu", Fixed(c.throughput, 1).c_str(), Ms(c.latency.p50).c_str(),
                    Ms(c.latency.p99).c_str(), static_cast<unsigned long long>(c.errors));
      }
    }
    if (n > 1) {
      std::printf(" |");
      const Cell& base = row.cells[0];
      for (std::size_t f = 1; f < n; ++f) {
        const Cell& c = row.cells[f];
        if (!base.present || !c.present || c.throughput <= 0 || base.throughput <= 0) {
          std::printf(" %10s", "-");
        } else {
          double r = base.throughput / c.throughput;
          std::printf(" %10s", (Fixed(r, r >= 100 ? 0 : r >= 10 ? 1 : 2) + "x").c_str());
        }
      }
    }
    std::printf("\n");
  }
  // Summary of the ratios over the scenario rows (the mixed workload's parts left out).
  for (std::size_t f = 1; f < n; ++f) {
    double log_sum = 0, min_ratio = 0;
    int count = 0;
    std::string min_at;
    for (auto& key : key_order) {
      const Row& row = rows[key];
      if (row.scenario.find(' ') != std::string::npos) continue;
      const Cell& base = row.cells[0];
      const Cell& c = row.cells[f];
      if (!base.present || !c.present || base.throughput <= 0 || c.throughput <= 0) continue;
      double r = base.throughput / c.throughput;
      log_sum += std::log(r);
      if (count == 0 || r < min_ratio) {
        min_ratio = r;
        min_at = row.scenario + " c=" + std::to_string(row.connections);
      }
      ++count;
    }
    if (count > 0) {
      std::printf("%s vs %s: geometric mean %sx, lowest %sx (%s), over %d rows\n", labels[0].c_str(),
                  labels[f].c_str(), Fixed(std::exp(log_sum / count), 1).c_str(), Fixed(min_ratio, 1).c_str(),
                  min_at.c_str(), count);
    }
  }
  for (auto& e : errors) std::printf("first error: %s\n", e.c_str());
  return 0;
}

}  // namespace ddb_load

#include "ddb_load_options.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <unistd.h>

namespace ddb_load {

const char* OpName(Op op) {
  switch (op) {
    case Op::Get: return "get";
    case Op::Put: return "put";
    case Op::Update: return "update";
    case Op::Query: return "query";
  }
  return "?";
}

const char* OpTarget(Op op) {
  switch (op) {
    case Op::Get: return "GetItem";
    case Op::Put: return "PutItem";
    case Op::Update: return "UpdateItem";
    case Op::Query: return "Query";
  }
  return "?";
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ddb_load: %s\n", message.c_str());
  std::exit(2);
}

namespace {

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: ddb_load [options]\n"
               "       ddb_load --compare RESULT.json [RESULT.json ...]\n"
               "\n"
               "Load generator for DynamoDB-compatible endpoints (awsJson1.0, DynamoDB_20120810).\n"
               "Creates a table (pk S, sk N), preloads it, then runs each scenario at each connection count.\n"
               "\n"
               "  --endpoint URL          http://host:port of the endpoint (default http://127.0.0.1:4566)\n"
               "  --connections LIST      connection counts, comma or space separated (default 1,8,64)\n"
               "  --duration S            measured seconds per scenario and connection count (default 10)\n"
               "  --warmup S              unmeasured seconds before each (default 1)\n"
               "  --scenario LIST         put, get, query, mixed or all, comma separated (default all)\n"
               "  --threads N             load generator threads (default 1)\n"
               "  --table-name NAME       table to create (default ddb-load-<pid>)\n"
               "  --keys N                items read and written by get/put/update (default 10000)\n"
               "  --partitions N          partitions read by query (default 100)\n"
               "  --items-per-partition N items per query partition; a query reads them all (default 100)\n"
               "  --value-size BYTES      size of each item's `data` string attribute (default 100)\n"
               "  --mix SPEC              mixed workload weights (default get=50,put=30,update=10,query=10)\n"
               "  --preload-connections N connections used to preload (default 8)\n"
               "  --reuse-table           the table exists and is preloaded (an earlier --keep-table run\n"
               "                          with the same --keys/--partitions/...): skip create and preload\n"
               "  --keep-table            do not delete the table at the end\n"
               "  --region R              region in the credential scope (default us-east-1)\n"
               "  --access-key K          access key id in the credential scope (default AKID)\n"
               "  --timeout S             per-request timeout (default 30)\n"
               "  --seed N                random seed for keys and the mix (default 1)\n"
               "  --label TEXT            name of this target in reports (default: the endpoint)\n"
               "  --json                  print the results as JSON on stdout instead of the table\n"
               "  --json-out FILE         also write the JSON results to FILE\n"
               "  --compare FILES...      side-by-side table of earlier --json-out files, with the\n"
               "                          throughput ratio of the first to each other\n"
               "  -h, --help              this text\n");
}

double ParseDouble(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno != 0 || !std::isfinite(v)) Die("invalid number for " + flag + ": " + value);
  return v;
}

std::uint64_t ParseUnsigned(const std::string& flag, const std::string& value) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
    Die("invalid integer for " + flag + ": " + value);
  }
  return v;
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

std::string MixText(const Options& o) {
  std::string s;
  for (int i = 0; i < kOpCount; ++i) {
    if (!s.empty()) s += ",";
    s += std::string(OpName(static_cast<Op>(i))) + "=" + std::to_string(o.mix[i]);
  }
  return s;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string inline_value;
    bool has_inline = false;
    if (flag.rfind("--", 0) == 0) {
      if (auto eq = flag.find('='); eq != std::string::npos) {
        inline_value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        has_inline = true;
      }
    }
    auto value = [&]() -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= args.size()) Die("missing value for " + flag);
      return args[++i];
    };
    if (flag == "-h" || flag == "--help") {
      PrintUsage(stdout);
      std::exit(0);
    } else if (flag == "--endpoint") {
      o.endpoint = value();
    } else if (flag == "--connections") {
      o.connections.clear();
      for (auto& c : SplitList(value())) o.connections.push_back(static_cast<int>(ParseUnsigned(flag, c)));
      if (o.connections.empty()) Die("--connections needs at least one count");
    } else if (flag == "--duration") {
      o.duration = ParseDouble(flag, value());
    } else if (flag == "--warmup") {
      o.warmup = ParseDouble(flag, value());
    } else if (flag == "--scenario") {
      o.scenarios.clear();
      for (auto& s : SplitList(value())) {
        if (s == "all") {
          for (const char* x : {"put", "get", "query", "mixed"}) o.scenarios.emplace_back(x);
        } else if (s == "put" || s == "get" || s == "query" || s == "mixed") {
          o.scenarios.push_back(s);
        } else {
          Die("--scenario: unknown scenario " + s + " (put, get, query, mixed, all)");
        }
      }
      if (o.scenarios.empty()) Die("--scenario needs at least one scenario");
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--table-name") {
      o.table_name = value();
    } else if (flag == "--keys") {
      o.keys = ParseUnsigned(flag, value());
    } else if (flag == "--partitions") {
      o.partitions = ParseUnsigned(flag, value());
    } else if (flag == "--items-per-partition") {
      o.items_per_partition = ParseUnsigned(flag, value());
    } else if (flag == "--value-size") {
      o.value_size = ParseUnsigned(flag, value());
    } else if (flag == "--mix") {
      int mix[kOpCount] = {0, 0, 0, 0};
      for (auto& part : SplitList(value())) {
        auto eq = part.find('=');
        if (eq == std::string::npos) Die("--mix: expected op=weight, got " + part);
        std::string name = part.substr(0, eq);
        int weight = static_cast<int>(ParseUnsigned(flag, part.substr(eq + 1)));
        bool found = false;
        for (int k = 0; k < kOpCount; ++k) {
          if (name == OpName(static_cast<Op>(k))) {
            mix[k] = weight;
            found = true;
          }
        }
        if (!found) Die("--mix: unknown operation " + name + " (get, put, update, query)");
      }
      std::copy(std::begin(mix), std::end(mix), std::begin(o.mix));
    } else if (flag == "--preload-connections") {
      o.preload_connections = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--reuse-table") {
      o.reuse_table = true;
    } else if (flag == "--keep-table") {
      o.keep_table = true;
    } else if (flag == "--region") {
      o.region = value();
    } else if (flag == "--access-key") {
      o.access_key = value();
    } else if (flag == "--timeout") {
      o.timeout = ParseDouble(flag, value());
    } else if (flag == "--seed") {
      o.seed = ParseUnsigned(flag, value());
    } else if (flag == "--label") {
      o.label = value();
    } else if (flag == "--json") {
      o.json_stdout = true;
    } else if (flag == "--json-out") {
      o.json_out = value();
    } else if (flag == "--compare") {
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) o.compare_files.push_back(args[++i]);
      if (o.compare_files.empty()) Die("--compare needs at least one file");
    } else {
      Die("unknown option " + flag + " (see --help)");
    }
  }
  for (int c : o.connections) {
    if (c < 1 || c > 10000) Die("--connections: each count must be in 1..10000");
  }
  if (o.threads < 1 || o.threads > 256) Die("--threads must be in 1..256");
  if (o.preload_connections < 1 || o.preload_connections > 1000) Die("--preload-connections must be in 1..1000");
  if (!(o.duration > 0)) Die("--duration must be positive");
  if (o.warmup < 0) Die("--warmup must not be negative");
  if (!(o.timeout > 0)) Die("--timeout must be positive");
  if (o.keys < 1) Die("--keys must be at least 1");
  if (o.partitions < 1) Die("--partitions must be at least 1");
  if (o.items_per_partition < 1) Die("--items-per-partition must be at least 1");
  if (o.value_size > 350000) Die("--value-size must be at most 350000");
  int total = 0;
  for (int w : o.mix) total += w;
  if (total <= 0) Die("--mix: the weights must not all be 0");
  if (o.table_name.empty()) o.table_name = "ddb-load-" + std::to_string(::getpid());
  if (o.label.empty()) o.label = o.endpoint;
  return o;
}

}  // namespace ddb_load

#include "sqs_load_options.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <utility>
#include <unistd.h>

namespace sqs_load {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "sqs_load: %s\n", message.c_str());
  std::exit(2);
}

namespace {

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: sqs_load [options]\n"
               "       sqs_load --compare RESULT.json [RESULT.json ...]\n"
               "\n"
               "Load generator for SQS-compatible endpoints (awsJson1.0 or awsQuery protocol).\n"
               "\n"
               "  --endpoint URL         http://host:port of the endpoint (default http://127.0.0.1:4566)\n"
               "  --connections N        concurrent keep-alive connections (default 32)\n"
               "  --duration S           measured seconds per scenario (default 10)\n"
               "  --warmup S             unmeasured seconds before each scenario (default 1)\n"
               "  --scenario NAME        send | receive-delete | all (default all)\n"
               "  --message-size BYTES   message body size (default 256)\n"
               "  --threads N            load generator threads (default 2)\n"
               "  --queue-name NAME      queue name prefix; scenarios use NAME-send and NAME-recv\n"
               "                         (default sqs-load-<pid>)\n"
               "  --protocol P           json (awsJson1.0, default) | query (awsQuery)\n"
               "  --rate R               open loop: R operations/s in total, spread over the connections;\n"
               "                         latency is measured from the scheduled start (default 0 = closed loop)\n"
               "  --region R             region in the credential scope (default us-east-1)\n"
               "  --access-key K         access key id in the credential scope (default AKID)\n"
               "  --preload N            messages to preload for receive-delete (default: automatic)\n"
               "  --preload-max N        cap for the automatic preload (default 1000000)\n"
               "  --wait-time S          ReceiveMessage WaitTimeSeconds (default 0)\n"
               "  --timeout S            per-request timeout (default 30)\n"
               "  --keep-queue           do not delete the queues at the end\n"
               "  --label TEXT           name of this target in reports (default: the endpoint)\n"
               "  --json                 print the results as JSON on stdout instead of the table\n"
               "  --json-out FILE        also write the JSON results to FILE\n"
               "  --compare FILES...     print a side-by-side table of earlier --json-out files\n"
               "  -h, --help             this text\n");
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

}  // namespace

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
      o.connections = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--duration") {
      o.duration = ParseDouble(flag, value());
    } else if (flag == "--warmup") {
      o.warmup = ParseDouble(flag, value());
    } else if (flag == "--scenario") {
      o.scenario = value();
    } else if (flag == "--message-size") {
      o.message_size = ParseUnsigned(flag, value());
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--queue-name") {
      o.queue_name = value();
    } else if (flag == "--protocol") {
      std::string p = value();
      if (p == "json") o.protocol = Protocol::Json;
      else if (p == "query") o.protocol = Protocol::Query;
      else Die("--protocol must be json or query");
    } else if (flag == "--rate") {
      o.rate = ParseDouble(flag, value());
    } else if (flag == "--region") {
      o.region = value();
    } else if (flag == "--access-key") {
      o.access_key = value();
    } else if (flag == "--preload") {
      o.preload = ParseUnsigned(flag, value());
    } else if (flag == "--preload-max") {
      o.preload_max = ParseUnsigned(flag, value());
    } else if (flag == "--wait-time") {
      o.wait_time = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--timeout") {
      o.timeout = ParseDouble(flag, value());
    } else if (flag == "--keep-queue") {
      o.keep_queue = true;
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
  if (o.connections < 1 || o.connections > 10000) Die("--connections must be in 1..10000");
  if (o.threads < 1 || o.threads > 256) Die("--threads must be in 1..256");
  if (o.threads > o.connections) o.threads = o.connections;
  if (!(o.duration > 0)) Die("--duration must be positive");
  if (o.warmup < 0) Die("--warmup must not be negative");
  if (o.rate < 0) Die("--rate must not be negative");
  if (o.message_size < 1 || o.message_size > 262144) Die("--message-size must be in 1..262144");
  if (o.wait_time > 20) Die("--wait-time must be in 0..20");
  if (!(o.timeout > 0)) Die("--timeout must be positive");
  if (o.scenario != "send" && o.scenario != "receive-delete" && o.scenario != "all") {
    Die("--scenario must be send, receive-delete or all");
  }
  if (o.queue_name.empty()) o.queue_name = "sqs-load-" + std::to_string(::getpid());
  if (o.label.empty()) o.label = o.endpoint;
  return o;
}

Endpoint ParseEndpoint(std::string url) {
  std::string error;
  auto e = bench_load::ParseEndpoint(std::move(url), error);
  if (!e) Die(error);
  return *e;
}

}  // namespace sqs_load

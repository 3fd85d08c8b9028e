#include "s3_load_options.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace s3_load {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "s3_load: %s\n", message.c_str());
  std::exit(2);
}

namespace {

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: s3_load [options]\n"
               "\n"
               "S3 PutObject/GetObject load generator for any S3-compatible endpoint (Mallard, moto_server, ...):\n"
               "path-style, unsigned (x-amz-content-sha256: UNSIGNED-PAYLOAD and one fixed SigV4-shaped\n"
               "Authorization built once: servers that verify signatures refuse it), keep-alive HTTP/1.1 on a\n"
               "fixed number of connections. Creates the bucket, runs each scenario, prints requests/s, MiB/s,\n"
               "latency percentiles and the CPU this generator used.\n"
               "\n"
               "  --endpoint URL      http://host:port (default http://127.0.0.1:4566)\n"
               "  --scenario LIST     put, get or put,get (default put,get); get reads the keys put wrote\n"
               "  --connections N     concurrent connections, one request in flight on each (default 16)\n"
               "  --threads N         event-loop threads of this generator (default 1)\n"
               "  --size BYTES        object size (default 4096)\n"
               "  --duration S        measured seconds per scenario (default 5)\n"
               "  --warmup S          unmeasured seconds before each (default 0.5)\n"
               "  --count N           instead of a duration: exactly N requests per scenario, all measured\n"
               "  --get-keys N        get cycles over the first N keys written (default all)\n"
               "  --bucket NAME       bucket (default s3-load-<pid>)\n"
               "  --no-create-bucket  the bucket exists\n"
               "  --prefix P          key prefix (default load/)\n"
               "  --timeout S         per-request timeout (default 120)\n"
               "  --label TEXT        name of the target in the output\n"
               "  --json              print the results as JSON on stdout\n"
               "  --server-pid PID    also report the CPU that process used over the measured window\n"
               "  -h, --help          this text\n");
}

double ParseDouble(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(value.c_str(), &end);
  if (errno != 0 || end == value.c_str() || *end != '\0' || v < 0) Die(flag + " takes a non-negative number: " + value);
  return v;
}

std::uint64_t ParseCount(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(value.c_str(), &end, 10);
  if (errno != 0 || end == value.c_str() || *end != '\0' || value.front() == '-') Die(flag + " takes a count: " + value);
  return v;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text + ",") {
    if (c == ',' || c == ' ') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  return out;
}

}  // namespace

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "-h" || flag == "--help") {
      PrintUsage(stdout);
      std::exit(0);
    } else if (flag == "--endpoint") {
      o.endpoint = value();
    } else if (flag == "--scenario") {
      o.scenarios = SplitList(value());
      for (const auto& s : o.scenarios) {
        if (s != "put" && s != "get") Die("unknown scenario " + s + " (put, get)");
      }
      if (o.scenarios.empty()) Die("--scenario is empty");
    } else if (flag == "--connections") {
      o.connections = static_cast<int>(ParseCount(flag, value()));
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(ParseCount(flag, value()));
    } else if (flag == "--size") {
      o.size = ParseCount(flag, value());
    } else if (flag == "--duration") {
      o.duration = ParseDouble(flag, value());
    } else if (flag == "--warmup") {
      o.warmup = ParseDouble(flag, value());
    } else if (flag == "--count") {
      o.count = ParseCount(flag, value());
    } else if (flag == "--get-keys") {
      o.get_keys = ParseCount(flag, value());
    } else if (flag == "--bucket") {
      o.bucket = value();
    } else if (flag == "--no-create-bucket") {
      o.create_bucket = false;
    } else if (flag == "--prefix") {
      o.prefix = value();
    } else if (flag == "--timeout") {
      o.timeout = ParseDouble(flag, value());
    } else if (flag == "--label") {
      o.label = value();
    } else if (flag == "--server-pid") {
      o.server_pid = static_cast<int>(ParseCount(flag, value()));
    } else if (flag == "--json") {
      o.json_stdout = true;
    } else {
      PrintUsage(stderr);
      Die("unknown option " + flag);
    }
  }
  if (o.connections < 1) Die("--connections must be at least 1");
  if (o.threads < 1) Die("--threads must be at least 1");
  if (o.threads > o.connections) o.threads = o.connections;
  if (o.count == 0 && o.duration <= 0) Die("--duration must be positive (or give --count)");
  if (o.bucket.empty()) o.bucket = "s3-load-" + std::to_string(::getpid());
  for (char c : o.bucket + o.prefix) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '/' || c == '_';
    if (!safe) Die("--bucket and --prefix take lowercase letters, digits, '-', '.', '_' and '/' (sent unencoded)");
  }
  if (o.label.empty()) o.label = o.endpoint;
  return o;
}

}  // namespace s3_load

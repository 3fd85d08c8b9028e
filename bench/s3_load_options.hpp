// s3_load: command-line options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace s3_load {

struct Options {
  std::string endpoint = "http://127.0.0.1:4566";
  std::vector<std::string> scenarios{"put", "get"};  // run in this order; get reads what put wrote
  int connections = 16;
  int threads = 1;
  double duration = 5.0;
  double warmup = 0.5;
  std::uint64_t count = 0;  // >0: exactly this many requests per scenario, no warmup (large objects)
  std::size_t size = 4096;
  std::string bucket;       // default s3-load-<pid>
  bool create_bucket = true;
  std::string prefix = "load/";
  std::uint64_t get_keys = 0;  // 0: every key the put scenario wrote (or --count's keys)
  double timeout = 120.0;
  std::string label;
  bool json_stdout = false;
  int server_pid = 0;  // >0: also report that process's CPU over the measured window (/proc)
};

[[noreturn]] void Die(const std::string& message);
Options ParseOptions(int argc, char** argv);

}  // namespace s3_load

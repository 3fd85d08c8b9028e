// sqs_load: command-line options and the endpoint they name.
#pragma once

#include "sqs_load_util.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sqs_load {

enum class Protocol { Json, Query };

struct Options {
  std::string endpoint = "http://127.0.0.1:4566";
  int connections = 32;
  double duration = 10.0;
  double warmup = 1.0;
  std::string scenario = "all";
  std::size_t message_size = 256;
  int threads = 2;
  std::string queue_name;
  Protocol protocol = Protocol::Json;
  double rate = 0.0;  // 0: closed loop
  std::string region = "us-east-1";
  std::string access_key = "AKID";
  std::uint64_t preload = 0;  // 0: automatic
  std::uint64_t preload_max = 1000000;
  int wait_time = 0;
  double timeout = 30.0;
  bool keep_queue = false;
  std::string label;
  bool json_stdout = false;
  std::string json_out;
  std::vector<std::string> compare_files;
};

[[noreturn]] void Die(const std::string& message);
Options ParseOptions(int argc, char** argv);
Endpoint ParseEndpoint(std::string url);

}  // namespace sqs_load

// ddb_load: command-line options.
#pragma once

#include "load_http_client.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ddb_load {

using bench_load::Endpoint;

// Operation kinds; the order is the order of the per-operation rows in reports.
enum class Op { Get = 0, Put = 1, Update = 2, Query = 3 };
inline constexpr int kOpCount = 4;
const char* OpName(Op op);        // get | put | update | query
const char* OpTarget(Op op);      // GetItem | PutItem | UpdateItem | Query

struct Options {
  std::string endpoint = "http://127.0.0.1:4566";
  std::vector<int> connections{1, 8, 64};
  double duration = 10.0;
  double warmup = 1.0;
  std::vector<std::string> scenarios{"put", "get", "query", "mixed"};
  int threads = 1;
  std::string table_name;
  std::uint64_t keys = 10000;             // items read/written by get, put, update
  std::uint64_t partitions = 100;         // query partitions
  std::uint64_t items_per_partition = 100;
  std::size_t value_size = 100;           // bytes of the `data` attribute of every item
  int mix[kOpCount] = {50, 30, 10, 10};   // mixed workload weights: get, put, update, query
  int preload_connections = 8;
  bool reuse_table = false;               // table exists and is preloaded: skip setup
  bool keep_table = false;
  std::string region = "us-east-1";
  std::string access_key = "AKID";
  double timeout = 30.0;
  std::uint64_t seed = 1;
  std::string label;
  bool json_stdout = false;
  std::string json_out;
  std::vector<std::string> compare_files;
};

[[noreturn]] void Die(const std::string& message);
Options ParseOptions(int argc, char** argv);
std::string MixText(const Options& o);  // "get=50,put=30,update=10,query=10"

}  // namespace ddb_load

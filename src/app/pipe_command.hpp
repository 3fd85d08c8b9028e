#pragma once
// `mallard pipe`: stream PostgreSQL tables into a DuckLake, continuously. Options come from flags,
// MALLARD_PIPE_* / MALLARD_LAKE_* environment variables and a TOML file ([pipe] and [lake]), with
// the server's precedence (flag > environment > file > default).
#include <CLI/CLI.hpp>

#include <memory>

#include "cdc/sync_group.hpp"
#include "http/http_server.hpp"
#include "lake/lake.hpp"

namespace mallard::app {

struct PipeOptions {
  std::string config_path;
  std::string source;
  std::string lake_catalog;
  std::string lake_data_path;
  std::string s3_store;  // --backend-s3: resolves a data path s3://bucket/prefix (file://DIR)
  std::string group = "default";
  std::vector<std::string> tables;
  std::vector<std::string> schemas;
  std::int64_t flush_interval_ms = 5000;
  std::int64_t flush_batch_rows = 50000;
  std::int64_t buffer_memory_mb = 16;
  std::int64_t flush_memory_mb = 512;
  int max_concurrent_flushes = 4;
  std::int64_t max_queued_bytes = 1LL << 30;
  std::string work_directory;
  std::string api_host = "127.0.0.1";
  int api_port = 4567;  // 0 picks a free port; -1 turns the API off
  std::string admin_token;  // when set, the API's state-changing requests need it as a Bearer token
  bool pg_streaming = false;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json (one JSON object per line)
};

void AddPipeOptions(CLI::App& command, PipeOptions& options);
// Fills options the command line and environment left unset from the TOML file; returns an
// error text, empty on success.
std::string ApplyPipeConfigFile(CLI::App& command, PipeOptions& options);
cdc::PipeConfig ToPipeConfig(const PipeOptions& options);

// A started pipeline: the sync group and, when asked for, its REST API.
class PipeRuntime {
 public:
  // Starts the group on `lake` (and the API when options.api_port >= 0).
  static Result<std::unique_ptr<PipeRuntime>, std::string> Start(const PipeOptions& options, std::shared_ptr<lake::Lake> lake);
  ~PipeRuntime();
  void Stop();
  cdc::SyncGroup& Group() { return *group_; }
  std::uint16_t ApiPort() const { return api_port_; }

 private:
  PipeRuntime() = default;
  std::shared_ptr<cdc::SyncGroup> group_;
  std::unique_ptr<http::HttpServer> api_;
  std::uint16_t api_port_ = 0;
};
int RunPipe(CLI::App& command, PipeOptions& options);

}  // namespace mallard::app

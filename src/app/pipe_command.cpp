#include "app/pipe_command.hpp"

#include "app/lake_s3_path.hpp"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "app/config.hpp"
#include "app/config_file.hpp"
#include "app/pipe_api.hpp"
#include "http/http_server.hpp"
#include "lake/lake.hpp"
#include "observability/request_log.hpp"

namespace mallard::app {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop = true; }

}  // namespace

void AddPipeOptions(CLI::App& command, PipeOptions& options) {
  command.add_option("--config", options.config_path, "TOML configuration file ([pipe] and [lake] tables)")
      ->envname("MALLARD_CONFIG");
  command.add_option("--source", options.source, "PostgreSQL connection string of the source (wal_level=logical)")
      ->envname("MALLARD_PIPE_SOURCE");
  command.add_option("--lake-catalog", options.lake_catalog, "DuckLake catalog: a DuckDB file or postgres://…")
      ->envname("MALLARD_LAKE_CATALOG");
  command.add_option("--lake-data-path", options.lake_data_path, "Directory of the lake's Parquet files")
      ->envname("MALLARD_LAKE_DATA_PATH");
  command.add_option("--backend-s3", options.s3_store,
                     "S3 store of a lake whose data path is s3://bucket/prefix: file://DIR, as the server's")
      ->envname("MALLARD_BACKEND_S3");
  command.add_option("--group", options.group, "Sync group: names the publication and slot (mallard_<group>)")
      ->envname("MALLARD_PIPE_GROUP")
      ->capture_default_str();
  command.add_option("--tables", options.tables, "Tables to sync: schema.table (comma-separated, repeatable)")
      ->envname("MALLARD_PIPE_TABLES")
      ->delimiter(',');
  command.add_option("--schemas", options.schemas, "Sync every table of these schemas (as of start-up)")
      ->envname("MALLARD_PIPE_SCHEMAS")
      ->delimiter(',');
  command.add_option("--flush-interval-ms", options.flush_interval_ms, "Flush a table's batch at least this often")
      ->envname("MALLARD_PIPE_FLUSH_INTERVAL_MS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->capture_default_str();
  command.add_option("--flush-batch-rows", options.flush_batch_rows, "…or when this many rows are buffered")
      ->envname("MALLARD_PIPE_FLUSH_BATCH_ROWS")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
      ->capture_default_str();
  command.add_option("--buffer-memory-mb", options.buffer_memory_mb, "DuckDB memory per table while buffering (spills beyond)")
      ->envname("MALLARD_PIPE_BUFFER_MEMORY_MB")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
      ->capture_default_str();
  command.add_option("--flush-memory-mb", options.flush_memory_mb, "DuckDB memory per table while flushing")
      ->envname("MALLARD_PIPE_FLUSH_MEMORY_MB")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20))
      ->capture_default_str();
  command.add_option("--max-concurrent-flushes", options.max_concurrent_flushes, "Flushes and snapshot loads at once")
      ->envname("MALLARD_PIPE_MAX_CONCURRENT_FLUSHES")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_option("--max-queued-bytes", options.max_queued_bytes, "Queued bytes (all tables) before WAL reading pauses")
      ->envname("MALLARD_PIPE_MAX_QUEUED_BYTES")
      ->check(CLI::Range(std::int64_t{1024}, std::int64_t{1} << 50))
      ->capture_default_str();
  command.add_option("--work-dir", options.work_directory, "Spill and snapshot chunk files (default: a temp directory)")
      ->envname("MALLARD_PIPE_WORK_DIR");
  command.add_option("--api-host", options.api_host, "REST API address")->envname("MALLARD_PIPE_API_HOST")->capture_default_str();
  command.add_option("--api-port", options.api_port, "REST API port (0: any free port, -1: no API)")
      ->envname("MALLARD_PIPE_API_PORT")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  // No capture_default_str: the token must never appear in --help or a log.
  command.add_option("--admin-token", options.admin_token,
                     "Require `Authorization: Bearer TOKEN` on the API's state-changing requests (POST, DELETE)")
      ->envname("MALLARD_ADMIN_TOKEN");
  command.add_flag("--pg-streaming", options.pg_streaming,
                   "Receive large transactions while in progress (protocol 2; held in files under the work directory until commit)")
      ->envname("MALLARD_PIPE_PG_STREAMING");
  command.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, off")
      ->envname("MALLARD_LOG_LEVEL")
      ->capture_default_str();
  command.add_option("--log-format", options.log_format, "Log lines as text, or as json: one JSON object per line")
      ->envname("MALLARD_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

std::string ApplyPipeConfigFile(CLI::App& command, PipeOptions& options) {
  if (options.config_path.empty()) return {};
  toml::table table;
  try {
    table = toml::parse_file(options.config_path);
  } catch (const toml::parse_error& error) {
    return "cannot read config file " + options.config_path + ": " + std::string(error.description());
  }
  auto pipe = table["pipe"];
  FillFrom(command, "--source", pipe["source"], options.source);
  FillFrom(command, "--group", pipe["group"], options.group);
  FillFrom(command, "--tables", pipe["tables"], options.tables);
  FillFrom(command, "--schemas", pipe["schemas"], options.schemas);
  FillFrom(command, "--flush-interval-ms", pipe["flush_interval_ms"], options.flush_interval_ms);
  FillFrom(command, "--flush-batch-rows", pipe["flush_batch_rows"], options.flush_batch_rows);
  FillFrom(command, "--buffer-memory-mb", pipe["buffer_memory_mb"], options.buffer_memory_mb);
  FillFrom(command, "--flush-memory-mb", pipe["flush_memory_mb"], options.flush_memory_mb);
  FillFrom(command, "--max-concurrent-flushes", pipe["max_concurrent_flushes"], options.max_concurrent_flushes);
  FillFrom(command, "--max-queued-bytes", pipe["max_queued_bytes"], options.max_queued_bytes);
  FillFrom(command, "--work-dir", pipe["work_dir"], options.work_directory);
  FillFrom(command, "--api-host", pipe["api_host"], options.api_host);
  FillFrom(command, "--api-port", pipe["api_port"], options.api_port);
  FillFrom(command, "--admin-token", pipe["admin_token"], options.admin_token);
  FillFrom(command, "--pg-streaming", pipe["pg_streaming"], options.pg_streaming);
  FillFrom(command, "--log-format", pipe["log_format"], options.log_format);
  FillFrom(command, "--lake-catalog", table["lake"]["catalog"], options.lake_catalog);
  FillFrom(command, "--lake-data-path", table["lake"]["data_path"], options.lake_data_path);
  FillFrom(command, "--backend-s3", table["backends"]["s3"], options.s3_store);
  return {};
}

cdc::PipeConfig ToPipeConfig(const PipeOptions& options) {
  cdc::PipeConfig config;
  config.source = options.source;
  config.group = options.group;
  config.tables = options.tables;
  config.schemas = options.schemas;
  config.flush.flush_interval = std::chrono::milliseconds(options.flush_interval_ms);
  config.flush.flush_batch_rows = options.flush_batch_rows;
  config.flush.buffer_memory_mb = options.buffer_memory_mb;
  config.flush.flush_memory_mb = options.flush_memory_mb;
  config.flush.work_directory = options.work_directory.empty()
                                    ? (std::filesystem::temp_directory_path() / ("mallard-pipe-" + options.group)).string()
                                    : options.work_directory;
  config.max_concurrent_flushes = options.max_concurrent_flushes;
  config.max_queued_bytes = options.max_queued_bytes;
  config.pg_streaming = options.pg_streaming;
  return config;
}

int RunPipe(CLI::App& command, PipeOptions& options) {
  if (auto error = ApplyPipeConfigFile(command, options); !error.empty()) {
    spdlog::error("{}", error);
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(options.log_level));
  observability::LogFormat log_format = observability::LogFormat::kText;
  if (!observability::ParseLogFormat(options.log_format, log_format)) {
    spdlog::error("log format must be text or json, not '{}'", options.log_format);
    return 2;
  }
  observability::SetLogFormat(log_format);
  http::RaiseOpenFileLimit();
  if (options.source.empty()) {
    spdlog::error("--source (MALLARD_PIPE_SOURCE, [pipe] source) is required");
    return 2;
  }
  if (options.lake_catalog.empty()) {
    spdlog::error("--lake-catalog (MALLARD_LAKE_CATALOG, [lake] catalog) is required");
    return 2;
  }
  if (options.tables.empty() && options.schemas.empty()) {
    spdlog::info("no --tables or --schemas: syncing the tables recorded in the lake, and those added through the API");
  }
  lake::LakeOptions lake_options;
  lake_options.catalog = options.lake_catalog;
  lake_options.data_path = options.lake_data_path;
  if (auto resolved = ResolveLakeS3Path(lake_options, options.s3_store); !resolved) {
    spdlog::error("{}", resolved.error());
    return 2;
  }
  auto lake = lake::Lake::Open(lake_options);
  if (!lake.ok()) {
    spdlog::error("the lake is unreachable: {}", lake.error().message);
    return 1;
  }
  auto runtime = PipeRuntime::Start(options, lake.value());
  if (!runtime.ok()) {
    std::fprintf(stderr, "mallard: %s\n", runtime.error().c_str());
    return 1;
  }
  auto& group = (*runtime)->Group();
  auto config = ToPipeConfig(options);
  spdlog::info("mallard pipe: group {} (slot {}) streaming into {}", config.group, group.Slot(),
               WithoutPassword(options.lake_catalog));
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("mallard pipe: stopping");
  (*runtime)->Stop();
  return 0;
}

Result<std::unique_ptr<PipeRuntime>, std::string> PipeRuntime::Start(const PipeOptions& options,
                                                                     std::shared_ptr<lake::Lake> lake) {
  auto config = ToPipeConfig(options);
  std::error_code ignored;
  std::filesystem::create_directories(config.flush.work_directory, ignored);
  std::unique_ptr<PipeRuntime> runtime(new PipeRuntime());
  runtime->group_ = std::make_shared<cdc::SyncGroup>(config, std::move(lake));
  // The API's port is taken before the group touches the source: a pipe that cannot listen must
  // not have created a publication or a slot (which holds WAL back) first.
  if (options.api_port >= 0) {
    http::HttpServerOptions http_options;
    http_options.host = options.api_host;
    http_options.port = static_cast<std::uint16_t>(options.api_port);
    http_options.threads = 1;
    runtime->api_ = std::make_unique<http::HttpServer>(http_options, MakePipeApiHandler(runtime->group_, options.admin_token));
    auto listening = runtime->api_->Start();
    if (!listening.ok()) {
      runtime->api_.reset();
      return Fail(listening.error().Message());
    }
    runtime->api_port_ = listening.value();
  }
  if (auto started = runtime->group_->Start(); !started.ok()) {
    runtime->Stop();
    return Fail(started.error());
  }
  if (runtime->api_) spdlog::info("pipe API on http://{}:{}", options.api_host, runtime->api_port_);
  return runtime;
}

PipeRuntime::~PipeRuntime() { Stop(); }

void PipeRuntime::Stop() {
  if (api_) {
    api_->Stop();
    api_->Join();
    api_.reset();
  }
  if (group_) group_->Stop();
}

}  // namespace mallard::app

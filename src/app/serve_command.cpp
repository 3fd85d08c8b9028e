#include "app/serve_command.hpp"

#include <boost/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "http/outbound_http_client.hpp"
#include "app/auth_config.hpp"
#include "app/data_dir_setup.hpp"
#include "app/store_health.hpp"
#include "app/server_builder.hpp"
#include "app/service_registry.hpp"
#ifdef MALLARD_HAVE_DUCKDB
#include "app/pipe_api.hpp"
#include "app/pipe_command.hpp"
#include "app/pipe_metrics.hpp"
#endif
#include "observability/request_log.hpp"
#include "app/sql_engine_setup.hpp"
#include "services/kit/s3_local_files.hpp"
#ifdef MALLARD_HAVE_DUCKDB
#include "infra/duckdb/duckdb_info.hpp"
#endif

namespace mallard::app {
namespace json = boost::json;

namespace {

// Per module: the store kinds this build can open (the health endpoint's "build" member).
json::object BuildInfo() {
  json::object stores;
  for (const auto& module : BuiltInModules()) {
    if (module.stores.empty()) continue;
    json::array kinds;
    for (const auto& store : module.stores) kinds.emplace_back(store.scheme);
    stores[module.name] = std::move(kinds);
  }
#ifdef MALLARD_HAVE_DUCKDB
  return json::object{{"backends", std::move(stores)}, {"duckdb", mallard::duckdb::DuckDbVersion()}};
#else
  return json::object{{"backends", std::move(stores)}, {"duckdb", nullptr}};
#endif
}

}  // namespace

std::string BuildDescription() {
  std::string text = "Services in this build: ";
  bool first = true;
  for (const auto& module : BuiltInModules()) {
    text += (first ? "" : ", ") + module.name;
    first = false;
    if (module.stores.empty()) continue;
    std::string kinds;
    for (const auto& store : module.stores) kinds += (kinds.empty() ? "" : ", ") + store.scheme;
    text += " (stores: " + kinds + ")";
  }
#ifdef MALLARD_HAVE_DUCKDB
  text += "; DuckDB " + mallard::duckdb::DuckDbVersion();
#else
  text += "; built without DuckDB";
#endif
  return text;
}

int RunServe(CLI::App& command, ServeConfig& config) {
  if (auto error = ApplyConfigFile(command, config); !error.empty()) {
    spdlog::error("{}", error);
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  observability::LogFormat log_format = observability::LogFormat::kText;
  if (!observability::ParseLogFormat(config.log_format, log_format)) {
    spdlog::error("log format must be text or json, not '{}'", config.log_format);
    return 2;
  }
  observability::SetLogFormat(log_format);
  http::RaiseOpenFileLimit();
  gateway::GatewayOptions gateway_options;
  gateway_options.default_region = config.default_region;
  gateway_options.default_account = config.default_account;
  gateway_options.admin_token = config.admin_token;
  gateway_options.version = MALLARD_VERSION;
  gateway_options.build_info = BuildInfo();
  auto store_health = std::make_shared<services::StoreHealthBoard>();
  gateway_options.store_health = store_health;
  gateway_options.metrics = std::make_shared<observability::Registry>();
  // Filled once a hosted pipe runs: /_mallard/pipe/status and the pipe's series on the metrics page.
  auto pipe_status = std::make_shared<gateway::PipeStatusSource>();
  gateway_options.pipe_status = pipe_status;
  // And its table actions (add, resync, remove) under /_mallard/pipe/tables, the pipe API's own.
  auto pipe_tables = std::make_shared<gateway::PipeTableActions>();
  gateway_options.pipe_tables = pipe_tables;
  if (auto error = ParseAccountMap(config.account_map, gateway_options.account_by_access_key); !error.empty()) {
    spdlog::error("{}", error);
    return 2;
  }
  if (auto error = ApplyAuthOptions(config, gateway_options); !error.empty()) {
    spdlog::error("{}", error);
    return 2;
  }
  if (auto error = ApplyDataDirDefaults(config, DefaultSqlEngineSpec()); !error.empty()) {
    spdlog::error("{}", error);
    return 2;
  }
  std::string engine_error;
  std::string sqlengine_spec = config.sqlengine_duckdb.empty() ? DefaultSqlEngineSpec() : config.sqlengine_duckdb;
  auto sql_engine = MakeSqlEngine(sqlengine_spec, engine_error);
  if (!sql_engine) {
    spdlog::error("{}", engine_error);
    return 2;
  }
  std::shared_ptr<lake::Lake> lake;
  if (!config.lake_catalog.empty()) {
    if (auto attached = AttachLake(config, sql_engine, &lake); !attached.empty()) {
      spdlog::error("{}", attached);
      return 2;
    }
  }
  if (!config.pipe_source.empty() && !lake) {
    spdlog::error("--pipe-source needs a lake to write to: set --lake-catalog");
    return 2;
  }
  services::kit::ModuleResources resources;
  resources.Provide(gateway_options.credentials);
  resources.Provide(sql_engine);
  // Outbound HTTP (SNS delivering to HTTP/S subscribers): its own threads, never a network thread.
  resources.Provide<OutboundHttp>(std::make_shared<http::OutboundHttpClient>(2));
  auto opened_modules = OpenModules(BuiltInModules(), config.module_settings, resources);
  if (!opened_modules) {
    spdlog::error("{}", opened_modules.error());
    return 2;
  }
  // Locked once the modules are open: the S3 module has chosen where its objects are files, and
  // client SQL (Athena's external tables and UNLOAD, Redshift's COPY) reads and writes there.
  std::filesystem::path s3_root;
  for (const auto& entry : *opened_modules) {
    if (entry.opened.s3_files) s3_root = entry.opened.s3_files->Root();
  }
  if (auto sandboxed = SandboxSqlEngine(config, sql_engine, lake.get(), s3_root); !sandboxed.empty()) {
    spdlog::error("{}", sandboxed);
    return 2;
  }
  // Probes the remote stores in the background for the health endpoints (stopped on return).
  std::vector<StoreProbe> probes = ProbesFor(*opened_modules);
  std::string store_summary;
  for (const auto& entry : *opened_modules) {
    if (entry.module.stores.empty()) continue;
    store_summary += (store_summary.empty() ? "" : ", ") + entry.module.name + " backend: " + entry.opened.store_description;
  }
  http::HttpServerOptions http_options;
  http_options.host = config.host;
  http_options.port = static_cast<std::uint16_t>(config.port);
  http_options.threads = static_cast<unsigned>(config.threads);
  http_options.body_limit = config.body_limit_bytes;
  http_options.shutdown_grace_seconds = static_cast<unsigned>(config.shutdown_grace_seconds);
  // The server listens before a hosted pipe starts: a server that cannot listen must not have
  // created a publication or replication slot on the source first.
  ServerBuilder builder;
  StatePersistence state_persistence;
  if (auto error = state_persistence.Prepare(config, gateway_options, builder); !error.empty()) {
    spdlog::error("{}", error);
    return 2;
  }
  auto started_server = builder.WithHttp(http_options)
                            .WithGateway(std::move(gateway_options))
                            .WithModules(std::move(opened_modules).value())
                            .TryStart();
  if (!started_server.ok()) {
    std::fprintf(stderr, "mallard: %s\n", started_server.error().c_str());
    return 1;
  }
  std::unique_ptr<Server> server = std::move(started_server).value();
  StoreHealthMonitor store_health_monitor(store_health, std::move(probes));
#ifdef MALLARD_HAVE_DUCKDB
  std::unique_ptr<PipeRuntime> pipe;
  if (!config.pipe_source.empty()) {
    PipeOptions options;
    options.source = config.pipe_source;
    options.lake_catalog = config.lake_catalog;
    options.group = config.pipe_group;
    options.tables = config.pipe_tables;
    options.schemas = config.pipe_schemas;
    options.api_port = config.pipe_api_port;
    options.admin_token = config.admin_token;
    auto started = PipeRuntime::Start(options, lake);
    if (!started.ok()) {
      std::fprintf(stderr, "mallard: hosted pipeline: %s\n", started.error().c_str());
      server->Stop();
      server->Join();
      return 1;
    }
    pipe = std::move(started).value();
    pipe_status->Set([group = &pipe->Group()] { return PipeStatusJson(group->Status()); },
                     [group = &pipe->Group()](observability::MetricsSink& sink) { CollectPipeMetrics(group->Status(), sink); });
    pipe_tables->Set([group = &pipe->Group()](const http::HttpRequest& request) { return PipeTableAction(*group, request); });
    spdlog::info("hosting pipeline {} (slot {}) into the lake", config.pipe_group, pipe->Group().Slot());
  }
#else
  if (!config.pipe_source.empty()) {
    spdlog::error("--pipe-source: this build has no DuckDB");
    return 2;
  }
#endif
  server->StopOnSignals();
  spdlog::info("athena and redshift-data SQL engine: {}", sqlengine_spec == "off" ? "memory (DuckDB off)"
                                                                  : sqlengine_spec == ":memory:" ? "duckdb :memory: (opened on first use)"
                                                                                                 : "duckdb " + sqlengine_spec);
  spdlog::info("mallard {} listening on http://{}:{} ({})", MALLARD_VERSION, config.host, server->Port(), store_summary);
  server->Join();
#ifdef MALLARD_HAVE_DUCKDB
  pipe_status->Clear();
  pipe_tables->Clear();  // waits for an action under way
  if (pipe) pipe->Stop();
#endif
  spdlog::info("mallard stopped");
  return 0;
}

}  // namespace mallard::app

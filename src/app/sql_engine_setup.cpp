#include "app/sql_engine_setup.hpp"

#ifdef MALLARD_HAVE_DUCKDB
#include "app/lake_s3_path.hpp"
#endif

#include <filesystem>
#include <thread>

#include "sqlengine/memory/memory_sql_engine.hpp"
#ifdef MALLARD_HAVE_DUCKDB
#include <spdlog/spdlog.h>

#include "app/lake_sql_bridge.hpp"
#include "sqlengine/duckdb/duckdb_sql_engine.hpp"
#include "lake/lake.hpp"
#endif

namespace mallard::app {

std::string DefaultSqlEngineSpec() {
#ifdef MALLARD_HAVE_DUCKDB
  return ":memory:";
#else
  return "off";
#endif
}

std::shared_ptr<sqlengine::SqlEngine> MakeSqlEngine(const std::string& spec, std::string& error) {
  if (spec == "off" || spec == "memory") return std::make_shared<sqlengine::MemorySqlEngine>();
#ifdef MALLARD_HAVE_DUCKDB
  duckdb::DatabaseOptions options;
  options.path = spec.empty() ? ":memory:" : spec;
  // DuckDB parallelises each query itself; leave one core to the network threads.
  options.threads = std::max(1u, std::thread::hardware_concurrency() > 1 ? std::thread::hardware_concurrency() - 1 : 1u);
  if (options.path != ":memory:") {
    // Spill next to the database file rather than in the working directory.
    options.temp_directory = options.path + ".tmp";
  } else {
    options.temp_directory = (std::filesystem::temp_directory_path() / "mallard-duckdb-spill").string();
  }
  // An in-memory database opens when the first query needs it: most servers never run SQL. A file
  // opens now, so a file another process holds stops the start rather than every later query.
  auto engine = duckdb::DuckDbSqlEngine::Open(
      options, options.path == ":memory:" ? duckdb::OpenWhen::OnFirstUse : duckdb::OpenWhen::Now);
  if (!engine.ok()) {
    error = "cannot open DuckDB database '" + options.path + "' for --sqlengine-duckdb: " + engine.error();
    return nullptr;
  }
  return engine.value();
#else
  error = "--sqlengine-duckdb " + spec + ": this build has no DuckDB (configure with -DMALLARD_WITH_DUCKDB=ON), use 'off'";
  return nullptr;
#endif
}

std::string AttachLake(const ServeConfig& config, const std::shared_ptr<sqlengine::SqlEngine>& engine,
                       std::shared_ptr<lake::Lake>* opened_lake) {
#ifdef MALLARD_HAVE_DUCKDB
  auto duck = std::dynamic_pointer_cast<duckdb::DuckDbSqlEngine>(engine);
  if (!duck) return "--lake-catalog needs the DuckDB SQL engine (--sqlengine-duckdb is off)";
  lake::LakeOptions options;
  options.catalog = config.lake_catalog;
  options.data_path = config.lake_data_path;
  std::string s3_store = "file";
  if (auto s3 = config.module_settings.find("s3"); s3 != config.module_settings.end()) {
    if (auto store = s3->second.find("store"); store != s3->second.end()) s3_store = store->second;
  }
  if (auto resolved = ResolveLakeS3Path(options, s3_store); !resolved) return resolved.error();
  auto opened = lake::Lake::Open(options);
  if (!opened.ok()) return "cannot open the lake '" + WithoutPassword(config.lake_catalog) + "': " + opened.error().message;
  if (auto attached = AttachLakeToSqlEngine(opened.value(), duck); !attached.ok()) {
    return "cannot attach the lake to the SQL engine: " + attached.error();
  }
  spdlog::info("lake {} (data {}) attached to the SQL engine as schema 'lake'", WithoutPassword(config.lake_catalog),
               (*opened)->DataPath());
  if (opened_lake) *opened_lake = opened.value();
  return {};
#else
  (void)opened_lake;
  return "--lake-catalog: this build has no DuckDB";
#endif
}

std::string SandboxSqlEngine(const ServeConfig& config, const std::shared_ptr<sqlengine::SqlEngine>& engine,
                             const lake::Lake* lake, const std::filesystem::path& s3_root) {
#ifdef MALLARD_HAVE_DUCKDB
  auto duck = std::dynamic_pointer_cast<duckdb::DuckDbSqlEngine>(engine);
  if (!duck) return {};
  duckdb::SandboxOptions options;
  options.allow_host_files = config.sql_allow_host_files;
  // The lake's views read its Parquet files; its catalog is read by the lake's own DuckDB
  // databases, never by this engine, so the catalog file stays out of reach (an ATTACH of it
  // would let a client rewrite the lake's history).
  if (lake) options.allowed_directories.push_back(lake->DataPath());
  if (!s3_root.empty()) options.allowed_directories.push_back(s3_root.string());
  if (auto locked = duck->Lock(options); !locked.ok()) return "cannot lock the SQL engine's configuration: " + locked.error();
  if (config.sql_allow_host_files) {
    spdlog::warn("SQL engine: --sql-allow-host-files: Athena and Redshift Data queries can read and write every "
                 "file this process can");
  } else {
    std::string readable;
    for (const auto& directory : options.allowed_directories) readable += (readable.empty() ? "" : ", ") + directory;
    spdlog::info("SQL engine: client SQL reads and writes files only under {}", readable.empty() ? std::string("no directory") : readable);
  }
#else
  (void)config;
  (void)engine;
  (void)lake;
  (void)s3_root;
#endif
  return {};
}

}  // namespace mallard::app

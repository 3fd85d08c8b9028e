#pragma once
// `mallard serve` settings, layered: CLI flag > environment variable (MALLARD_*) > TOML file
// (--config) > built-in default.
#include <CLI/CLI.hpp>

#include <map>
#include <string>

#include "common/redaction.hpp"
#include "services/kit/service_module.hpp"

namespace mallard::app {

// A store or catalog spec for logs: the password masked (common/redaction.hpp).
using mallard::WithoutPassword;

struct ServeConfig {
  std::string config_path;
  std::string host = "127.0.0.1";
  int port = 4566;
  int threads = 2;
  std::string log_level = "info";
  std::string log_format = "text";  // text | json (one JSON object per line)
  std::string default_region = "us-east-1";
  std::string default_account = "000000000000";
  std::vector<std::string> account_map;  // "ACCESS_KEY=ACCOUNT"
  std::string auth = "none";              // none | sigv4 (verify SigV4 signatures)
  std::string credentials_file;           // AWS shared-credentials file of the accepted keys
  std::vector<std::string> credentials;   // "ACCESS_KEY:SECRET[:ACCOUNT]"
  std::size_t body_limit_bytes = 16 * 1024 * 1024;
  int shutdown_grace_seconds = 30;
  std::string lake_catalog;    // empty = no lake attached to the SQL engine
  std::string lake_data_path;  // empty = the catalog's own (or "<catalog>.files/" for a new lake)
  // A change-data-capture pipeline hosted by the server, into the attached lake (empty source: none).
  std::string pipe_source;
  std::vector<std::string> pipe_tables;
  std::vector<std::string> pipe_schemas;
  std::string pipe_group = "default";
  int pipe_api_port = -1;
  bool sql_allow_host_files = false;  // client SQL may read/write any host file (default: the lake's only)
  std::string sqlengine_duckdb;  // empty = the build's default (":memory:" with DuckDB, else "off")
  // Each service module's settings (its store, its own knobs), by module name then setting key, as
  // the module declares them (app/service_registry.cpp); AddServeOptions fills in the defaults.
  std::map<std::string, services::kit::SettingValues> module_settings;
  // Bearer token the state-changing admin endpoints (and a hosted pipe's API) require; empty: none.
  std::string admin_token;
  // Where state survives restarts (persistence/data_directory.hpp); empty: state lives in memory only.
  std::string data_dir;
  std::string durability = "fsync";  // fsync | interval | none
  int durability_interval_ms = 100;
  // A snapshot loaded at start (state/README.md), and how it merges.
  std::string load_state;
  std::string load_state_merge = "overwrite";
};

// Registers every serve option (with its MALLARD_* environment variable) on `command`, the
// settings of every module in `modules` included.
void AddServeOptions(CLI::App& command, ServeConfig& config);
void AddServeOptions(CLI::App& command, ServeConfig& config, const std::vector<services::kit::ServiceModule>& modules);
// After parsing: fills options given neither on the command line nor in the environment from
// the TOML file. Returns an error message, or "" on success.
std::string ApplyConfigFile(CLI::App& command, ServeConfig& config);
std::string ApplyConfigFile(CLI::App& command, ServeConfig& config,
                            const std::vector<services::kit::ServiceModule>& modules);
// Parses the account map entries; returns an error message or "".
std::string ParseAccountMap(const std::vector<std::string>& entries, std::map<std::string, std::string>& out);

}  // namespace mallard::app

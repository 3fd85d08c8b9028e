#pragma once
// `mallard serve` settings, layered: CLI flag > environment variable (MALLARD_*) > TOML file
// (--config) > built-in default.
#include <CLI/CLI.hpp>

#include <map>
#include <string>

namespace mallard::app {

// A backend or catalog spec for logs: the password of scheme://user:password@host is masked.
std::string WithoutPassword(const std::string& spec);

struct ServeConfig {
  std::string config_path;
  std::string host = "127.0.0.1";
  int port = 4566;
  int threads = 2;
  std::string log_level = "info";
  std::string default_region = "us-east-1";
  std::string default_account = "000000000000";
  std::vector<std::string> account_map;  // "ACCESS_KEY=ACCOUNT"
  std::string auth = "none";              // none | sigv4 (verify SigV4 signatures)
  std::string credentials_file;           // AWS shared-credentials file of the accepted keys
  std::vector<std::string> credentials;   // "ACCESS_KEY:SECRET[:ACCOUNT]"
  std::size_t body_limit_bytes = 16 * 1024 * 1024;
  int shutdown_grace_seconds = 30;
  std::string backend_sqs = "memory";
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
  std::string backend_dynamodb = "memory";
  // How long DynamoDB tables stay CREATING/UPDATING/DELETING (and new indexes CREATING); 0: instant.
  // 500 ms, as dynalite: long enough that code which does not wait for ACTIVE fails here as on AWS.
  std::int64_t ddb_table_transition_ms = 500;
  // Bearer token the state-changing admin endpoints (and a hosted pipe's API) require; empty: none.
  std::string admin_token;
};

// Registers every serve option (with its MALLARD_* environment variable) on `command`.
void AddServeOptions(CLI::App& command, ServeConfig& config);
// After parsing: fills options given neither on the command line nor in the environment from
// the TOML file. Returns an error message, or "" on success.
std::string ApplyConfigFile(CLI::App& command, ServeConfig& config);
// Parses the account map entries; returns an error message or "".
std::string ParseAccountMap(const std::vector<std::string>& entries, std::map<std::string, std::string>& out);

}  // namespace mallard::app

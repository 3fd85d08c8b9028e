#include "app/config.hpp"

#include "app/config_file.hpp"
#include "app/service_registry.hpp"

namespace mallard::app {

void AddServeOptions(CLI::App& command, ServeConfig& config) { AddServeOptions(command, config, BuiltInModules()); }

void AddServeOptions(CLI::App& command, ServeConfig& config, const std::vector<services::kit::ServiceModule>& modules) {
  command.add_option("--config", config.config_path, "TOML configuration file")->envname("MALLARD_CONFIG");
  command.add_option("--host", config.host, "Address to listen on")->envname("MALLARD_HOST")->capture_default_str();
  command.add_option("--port", config.port, "Port to listen on (0 picks a free one)")
      ->envname("MALLARD_PORT")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command.add_option("--threads", config.threads, "Network threads")
      ->envname("MALLARD_THREADS")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  command.add_option("--log-level", config.log_level, "trace, debug, info, warn, error, off")
      ->envname("MALLARD_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
  command.add_option("--log-format", config.log_format,
                     "Log lines as text, or as json: one JSON object per line (requests at debug carry their "
                     "service, operation, status, error code, account, region, duration and request id as members)")
      ->envname("MALLARD_LOG_FORMAT")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command.add_option("--default-region", config.default_region, "Region for requests without a SigV4 scope")
      ->envname("MALLARD_DEFAULT_REGION")
      ->capture_default_str();
  command.add_option("--default-account", config.default_account, "Account for access keys not in the account map")
      ->envname("MALLARD_DEFAULT_ACCOUNT")
      ->capture_default_str();
  command.add_option("--account", config.account_map, "Map an access key to an account: ACCESS_KEY=ACCOUNT (repeatable)")
      ->envname("MALLARD_ACCOUNTS")
      ->delimiter(',');
  command.add_option("--auth", config.auth,
                     "Request authentication: none (signatures are not checked, as in LocalStack) or sigv4 (SigV4 "
                     "signatures verified as AWS does, with the keys of --credentials-file / --credential)")
      ->envname("MALLARD_AUTH")
      ->check(CLI::IsMember({"none", "sigv4"}))
      ->capture_default_str();
  command.add_option("--credentials-file", config.credentials_file,
                     "Keys accepted under --auth sigv4: an AWS shared-credentials file (aws_access_key_id, "
                     "aws_secret_access_key, optional aws_account_id per profile)")
      ->envname("MALLARD_CREDENTIALS_FILE");
  command.add_option("--credential", config.credentials,
                     "A key accepted under --auth sigv4: ACCESS_KEY:SECRET[:ACCOUNT] (repeatable)")
      ->envname("MALLARD_CREDENTIALS")
      ->delimiter(',');
  command.add_option("--body-limit", config.body_limit_bytes, "Largest request body accepted, in bytes")
      ->envname("MALLARD_BODY_LIMIT")
      ->capture_default_str();
  command.add_option("--shutdown-grace", config.shutdown_grace_seconds, "Seconds in-flight requests get on shutdown")
      ->envname("MALLARD_SHUTDOWN_GRACE")
      ->capture_default_str();
  command.add_option("--sqlengine-duckdb", config.sqlengine_duckdb,
                     "SQL engine of Athena and Redshift Data: a DuckDB file PATH, :memory:, or off (queries "
                     "recorded, empty results); default :memory: when built with DuckDB (opened by the first query)")
      ->envname("MALLARD_SQLENGINE_DUCKDB");
  command.add_flag("--sql-allow-host-files", config.sql_allow_host_files,
                   "Let Athena/Redshift Data SQL read and write any file of the host (read_csv, COPY, ATTACH); by "
                   "default it reads only the lake's data files. Engine settings stay locked either way")
      ->envname("MALLARD_SQL_ALLOW_HOST_FILES");
  command.add_option("--lake-catalog", config.lake_catalog,
                     "DuckLake to attach to the SQL engine (tables as views in schema `lake`): a DuckDB catalog "
                     "file, or a PostgreSQL catalog (postgres://… or 'host=… dbname=…'); created when absent")
      ->envname("MALLARD_LAKE_CATALOG");
  command.add_option("--lake-data-path", config.lake_data_path,
                     "Directory of the lake's Parquet files (required for a new PostgreSQL catalog)")
      ->envname("MALLARD_LAKE_DATA_PATH");
  command.add_option("--pipe-source", config.pipe_source,
                     "Host a PostgreSQL → lake pipeline (as `mallard pipe`): the source connection string; "
                     "needs --lake-catalog")
      ->envname("MALLARD_PIPE_SOURCE");
  command.add_option("--pipe-tables", config.pipe_tables, "Tables the hosted pipeline syncs (schema.table, comma-separated)")
      ->envname("MALLARD_PIPE_TABLES")
      ->delimiter(',');
  command.add_option("--pipe-schemas", config.pipe_schemas, "Schemas whose tables the hosted pipeline syncs")
      ->envname("MALLARD_PIPE_SCHEMAS")
      ->delimiter(',');
  command.add_option("--pipe-group", config.pipe_group, "Sync group of the hosted pipeline")
      ->envname("MALLARD_PIPE_GROUP")
      ->capture_default_str();
  command.add_option("--pipe-api-port", config.pipe_api_port, "Port of the hosted pipeline's REST API (-1: none)")
      ->envname("MALLARD_PIPE_API_PORT")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  // No capture_default_str: the token must never appear in --help or a log.
  command.add_option("--admin-token", config.admin_token,
                     "Require `Authorization: Bearer TOKEN` on the state-changing admin endpoints (/_mallard/reset, "
                     "/moto-api/reset, /_mallard/pipe/tables) and a hosted pipe's API; set it when listening beyond loopback")
      ->envname("MALLARD_ADMIN_TOKEN");
  command.add_option("--data-dir", config.data_dir,
                     "Keep all state here across restarts: snapshots and the journal (state/), S3's objects (s3/) and "
                     "the SQL engine's database (sqlengine.duckdb), unless their own settings say otherwise")
      ->envname("MALLARD_DATA_DIR");
  command.add_option("--durability", config.durability,
                     "With --data-dir: fsync (a change is answered once on disk), interval (flushed every "
                     "--durability-interval-ms), none (saved at a clean shutdown only)")
      ->envname("MALLARD_DURABILITY")
      ->check(CLI::IsMember({"fsync", "interval", "none"}))
      ->capture_default_str();
  command.add_option("--durability-interval-ms", config.durability_interval_ms,
                     "With --durability interval: how often the journal is flushed, in milliseconds")
      ->envname("MALLARD_DURABILITY_INTERVAL_MS")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  command.add_option("--load-state", config.load_state,
                     "Load this snapshot (FILE or DIR/) before serving (after what --data-dir holds)")
      ->envname("MALLARD_LOAD_STATE");
  command.add_option("--load-state-merge", config.load_state_merge,
                     "How --load-state merges: overwrite, account-region-merge or service-merge")
      ->envname("MALLARD_LOAD_STATE_MERGE")
      ->check(CLI::IsMember({"overwrite", "account-region-merge", "service-merge"}))
      ->capture_default_str();
  // Each module's own settings: its store, its knobs (the registry declares them).
  for (const auto& module : modules) {
    for (const auto& setting : module.settings) {
      std::string& value = config.module_settings[module.name][setting.key];
      value = setting.default_value;
      auto* option = command.add_option(setting.flag, value, setting.help)->envname(setting.env)->capture_default_str();
      if (setting.integer_range) {
        option->type_name("INT")->check(CLI::Range(setting.integer_range->min, setting.integer_range->max));
      }
    }
  }
}

std::string ApplyConfigFile(CLI::App& command, ServeConfig& config) {
  return ApplyConfigFile(command, config, BuiltInModules());
}

std::string ApplyConfigFile(CLI::App& command, ServeConfig& config,
                            const std::vector<services::kit::ServiceModule>& modules) {
  if (config.config_path.empty()) return {};
  toml::table table;
  try {
    table = toml::parse_file(config.config_path);
  } catch (const toml::parse_error& error) {
    return "cannot read config file " + config.config_path + ": " + std::string(error.description());
  }
  FillFrom(command, "--host", table["server"]["host"], config.host);
  FillFrom(command, "--port", table["server"]["port"], config.port);
  FillFrom(command, "--threads", table["server"]["threads"], config.threads);
  FillFrom(command, "--log-level", table["server"]["log_level"], config.log_level);
  FillFrom(command, "--log-format", table["server"]["log_format"], config.log_format);
  FillFrom(command, "--body-limit", table["server"]["body_limit"], config.body_limit_bytes);
  FillFrom(command, "--shutdown-grace", table["server"]["shutdown_grace"], config.shutdown_grace_seconds);
  FillFrom(command, "--admin-token", table["server"]["admin_token"], config.admin_token);
  FillFrom(command, "--data-dir", table["state"]["data_dir"], config.data_dir);
  FillFrom(command, "--durability", table["state"]["durability"], config.durability);
  FillFrom(command, "--durability-interval-ms", table["state"]["durability_interval_ms"], config.durability_interval_ms);
  FillFrom(command, "--load-state", table["state"]["load"], config.load_state);
  FillFrom(command, "--load-state-merge", table["state"]["load_merge"], config.load_state_merge);
  FillFrom(command, "--default-region", table["aws"]["default_region"], config.default_region);
  FillFrom(command, "--default-account", table["aws"]["default_account"], config.default_account);
  FillFrom(command, "--auth", table["auth"]["mode"], config.auth);
  FillFrom(command, "--credentials-file", table["auth"]["credentials_file"], config.credentials_file);
  FillFrom(command, "--credential", table["auth"]["credentials"], config.credentials);
  FillFrom(command, "--sqlengine-duckdb", table["backends"]["sqlengine_duckdb"], config.sqlengine_duckdb);
  FillFrom(command, "--sql-allow-host-files", table["backends"]["sql_allow_host_files"], config.sql_allow_host_files);
  FillFrom(command, "--lake-catalog", table["lake"]["catalog"], config.lake_catalog);
  FillFrom(command, "--lake-data-path", table["lake"]["data_path"], config.lake_data_path);
  FillFrom(command, "--pipe-source", table["pipe"]["source"], config.pipe_source);
  FillFrom(command, "--pipe-group", table["pipe"]["group"], config.pipe_group);
  FillFrom(command, "--pipe-api-port", table["pipe"]["api_port"], config.pipe_api_port);
  FillFrom(command, "--pipe-tables", table["pipe"]["tables"], config.pipe_tables);
  FillFrom(command, "--pipe-schemas", table["pipe"]["schemas"], config.pipe_schemas);
  for (const auto& module : modules) {
    for (const auto& setting : module.settings) {
      std::string& value = config.module_settings[module.name][setting.key];
      const auto node = table[setting.toml_table][setting.toml_key];
      if (!node || command.get_option(setting.flag)->count() > 0) continue;
      // An integer setting may be written as a TOML integer; the module checks its range on open.
      if (auto text = node.value<std::string>()) {
        value = *text;
      } else if (auto number = node.value<std::int64_t>()) {
        value = std::to_string(*number);
      } else {
        return "config file " + config.config_path + ": [" + setting.toml_table + "] " + setting.toml_key +
               " must be a string or an integer";
      }
    }
  }
  if (command.get_option("--account")->count() == 0) {
    if (auto* accounts = table["aws"]["accounts"].as_table()) {
      for (const auto& [key, value] : *accounts) {
        if (auto account = value.value<std::string>()) config.account_map.push_back(std::string(key.str()) + "=" + *account);
      }
    }
  }
  return {};
}

std::string ParseAccountMap(const std::vector<std::string>& entries, std::map<std::string, std::string>& out) {
  for (const auto& entry : entries) {
    auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) return "bad account mapping '" + entry + "' (want ACCESS_KEY=ACCOUNT)";
    std::string account = entry.substr(equals + 1);
    if (account.size() != 12 || account.find_first_not_of("0123456789") != std::string::npos) {
      return "bad account id in '" + entry + "' (want 12 digits)";
    }
    out[entry.substr(0, equals)] = account;
  }
  return {};
}

}  // namespace mallard::app

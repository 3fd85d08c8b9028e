#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "app/config_file.hpp"

namespace mallard::app {

namespace {

bool IsKeyBoundary(char c) { return c == '?' || c == '&' || c == ':' || std::isspace(static_cast<unsigned char>(c)); }

// Masks the value of every `password=…` in `spec`: a URL query parameter (up to the next '&') or
// a libpq keyword/value pair (a quoted value with \' escapes, or up to the next white space).
std::string MaskPasswordParameters(const std::string& spec) {
  constexpr std::string_view kKey = "password";
  std::string out;
  std::size_t position = 0;
  while (position < spec.size()) {
    bool key_here = (position == 0 || IsKeyBoundary(spec[position - 1])) && spec.size() - position >= kKey.size();
    if (key_here) {
      for (std::size_t i = 0; i < kKey.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(spec[position + i])) != kKey[i]) key_here = false;
      }
    }
    std::size_t equals = position + kKey.size();
    if (key_here) {
      while (equals < spec.size() && (spec[equals] == ' ' || spec[equals] == '\t')) ++equals;
      key_here = equals < spec.size() && spec[equals] == '=';
    }
    if (!key_here) {
      out += spec[position++];
      continue;
    }
    bool in_url_query = position > 0 && (spec[position - 1] == '?' || spec[position - 1] == '&');
    out.append(spec, position, equals + 1 - position);
    std::size_t value = equals + 1;
    while (!in_url_query && value < spec.size() && (spec[value] == ' ' || spec[value] == '\t')) ++value;
    std::size_t end = value;
    if (!in_url_query && end < spec.size() && spec[end] == '\'') {
      for (++end; end < spec.size() && spec[end] != '\''; ++end) {
        if (spec[end] == '\\') ++end;
      }
      end = std::min(end + 1, spec.size());
    } else {
      while (end < spec.size() && (in_url_query ? spec[end] != '&' : !std::isspace(static_cast<unsigned char>(spec[end])))) ++end;
    }
    out += "***";
    position = end;
  }
  return out;
}

}  // namespace

std::string WithoutPassword(const std::string& spec) {
  std::string masked = MaskPasswordParameters(spec);
  auto scheme = masked.find("://");
  if (scheme == std::string::npos) return masked;
  // scheme://user:password@host…: the authority ends at the first '/', '?' or '#' after the scheme,
  // but a password may hold those too, so the last '@' before the query decides.
  auto query = masked.find('?', scheme + 3);
  auto at = masked.rfind('@', query == std::string::npos ? std::string::npos : query);
  if (at == std::string::npos || at < scheme) return masked;
  auto colon = masked.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return masked;
  return masked.substr(0, colon + 1) + "***" + masked.substr(at);
}

void AddServeOptions(CLI::App& command, ServeConfig& config) {
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
  command.add_option("--backend-sqs", config.backend_sqs,
                     "SQS backend: memory, or redis://HOST:PORT[/DB][?prefix=NAME] (state shared by every "
                     "server on that Redis and prefix)")
      ->envname("MALLARD_BACKEND_SQS")
      ->capture_default_str();
  command.add_option("--sqlengine-duckdb", config.sqlengine_duckdb,
                     "SQL engine of Athena and Redshift Data: a DuckDB file PATH, :memory:, or off (queries "
                     "recorded, empty results); default :memory: when built with DuckDB")
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
  command.add_option("--backend-dynamodb", config.backend_dynamodb, "DynamoDB backend: memory or redis://HOST:PORT[/DB][?prefix=NAME]")
      ->envname("MALLARD_BACKEND_DYNAMODB")
      ->capture_default_str();
  command.add_option("--ddb-table-transition-ms", config.ddb_table_transition_ms,
                     "How long DynamoDB tables stay CREATING/UPDATING/DELETING and new indexes CREATING, in "
                     "milliseconds (0: instant)")
      ->envname("MALLARD_DDB_TABLE_TRANSITION_MS")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{3600000}))
      ->capture_default_str();
  // No capture_default_str: the token must never appear in --help or a log.
  command.add_option("--admin-token", config.admin_token,
                     "Require `Authorization: Bearer TOKEN` on the state-changing admin endpoints (/_mallard/reset, "
                     "/moto-api/reset) and a hosted pipe's API; set it when listening beyond loopback")
      ->envname("MALLARD_ADMIN_TOKEN");
}

std::string ApplyConfigFile(CLI::App& command, ServeConfig& config) {
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
  FillFrom(command, "--body-limit", table["server"]["body_limit"], config.body_limit_bytes);
  FillFrom(command, "--shutdown-grace", table["server"]["shutdown_grace"], config.shutdown_grace_seconds);
  FillFrom(command, "--admin-token", table["server"]["admin_token"], config.admin_token);
  FillFrom(command, "--default-region", table["aws"]["default_region"], config.default_region);
  FillFrom(command, "--default-account", table["aws"]["default_account"], config.default_account);
  FillFrom(command, "--auth", table["auth"]["mode"], config.auth);
  FillFrom(command, "--credentials-file", table["auth"]["credentials_file"], config.credentials_file);
  FillFrom(command, "--credential", table["auth"]["credentials"], config.credentials);
  FillFrom(command, "--backend-sqs", table["backends"]["sqs"], config.backend_sqs);
  FillFrom(command, "--sqlengine-duckdb", table["backends"]["sqlengine_duckdb"], config.sqlengine_duckdb);
  FillFrom(command, "--backend-dynamodb", table["backends"]["dynamodb"], config.backend_dynamodb);
  FillFrom(command, "--ddb-table-transition-ms", table["dynamodb"]["table_transition_ms"], config.ddb_table_transition_ms);
  FillFrom(command, "--sql-allow-host-files", table["backends"]["sql_allow_host_files"], config.sql_allow_host_files);
  FillFrom(command, "--lake-catalog", table["lake"]["catalog"], config.lake_catalog);
  FillFrom(command, "--lake-data-path", table["lake"]["data_path"], config.lake_data_path);
  FillFrom(command, "--pipe-source", table["pipe"]["source"], config.pipe_source);
  FillFrom(command, "--pipe-group", table["pipe"]["group"], config.pipe_group);
  FillFrom(command, "--pipe-api-port", table["pipe"]["api_port"], config.pipe_api_port);
  FillFrom(command, "--pipe-tables", table["pipe"]["tables"], config.pipe_tables);
  FillFrom(command, "--pipe-schemas", table["pipe"]["schemas"], config.pipe_schemas);
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

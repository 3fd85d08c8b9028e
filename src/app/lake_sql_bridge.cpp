#include "app/lake_sql_bridge.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <regex>
#include <set>

namespace mallard::app {
namespace {

Result<Done, std::string> RefreshViews(lake::Lake& lake, duckdb::DuckDbQueryBackend& backend) {
  auto tables = lake.ListTables();
  if (!tables.ok()) return Fail(tables.error().message);
  auto schemas = lake.ListSchemas();
  if (!schemas.ok()) return Fail(schemas.error().message);
  std::string sql;
  std::set<std::pair<std::string, std::string>> live;
  for (const auto& schema : *schemas) sql += "CREATE SCHEMA IF NOT EXISTS " + duckdb::QuoteIdentifier(SqlEngineSchemaForLake(schema)) + ";\n";
  for (const auto& table : *tables) {
    auto scan = lake.ScanSql(table.schema, table.name);
    std::string schema = SqlEngineSchemaForLake(table.schema);
    live.insert({schema, table.name});
    std::string view = duckdb::QuoteIdentifier(schema) + "." + duckdb::QuoteIdentifier(table.name);
    if (!scan.ok()) {
      // One unreadable table (e.g. inlined rows) must not hide the others.
      spdlog::warn("lake table {}.{} is not queryable: {}", table.schema, table.name, scan.error().message);
      sql += "DROP VIEW IF EXISTS " + view + ";\n";
      continue;
    }
    sql += "CREATE OR REPLACE VIEW " + view + " AS " + *scan + ";\n";
    sql += "COMMENT ON VIEW " + view + " IS '" + std::string(duckdb::DuckDbQueryBackend::kStorageViewComment) +
           "DUCKLAKE';\n";
  }
  auto existing = backend.SelectAdmin("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND "
                                      "(schema_name = 'lake' OR schema_name LIKE 'lake\\_%' ESCAPE '\\')");
  if (existing.ok()) {
    for (const auto& row : *existing) {
      if (!live.count({row[0].text, row[1].text})) {
        sql += "DROP VIEW IF EXISTS " + duckdb::QuoteIdentifier(row[0].text) + "." + duckdb::QuoteIdentifier(row[1].text) + ";\n";
      }
    }
  }
  if (sql.empty()) return Done{};
  return backend.ExecuteAdmin("BEGIN TRANSACTION;\n" + sql + "COMMIT;");
}

// The lake schema a DuckDB schema name stands for, if it is one of ours.
std::optional<std::string> LakeSchemaFor(const std::string& engine_schema) {
  if (engine_schema == "lake") return std::string("main");
  if (engine_schema.rfind("lake_", 0) == 0 && engine_schema.size() > 5) return engine_schema.substr(5);
  return std::nullopt;
}

std::string Unquote(const std::string& identifier) {
  if (identifier.size() >= 2 && identifier.front() == '"' && identifier.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < identifier.size(); ++i) {
      out += identifier[i];
      if (identifier[i] == '"' && identifier[i + 1] == '"') ++i;
    }
    return out;
  }
  std::string lower = identifier;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// True when the text at `position` starts with a table alias.
bool HasAlias(const std::string& sql, std::size_t position) {
  static const std::regex next_word(R"(^\s+([A-Za-z_][A-Za-z0-9_]*|"))");
  std::smatch match;
  std::string rest = sql.substr(position, 64);
  if (!std::regex_search(rest, match, next_word)) return false;
  std::string word = match[1].str();
  if (word == "\"") return true;
  for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::set<std::string> clause_words = {
      "WHERE", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "ON", "USING", "GROUP", "ORDER",
      "LIMIT", "UNION", "EXCEPT", "INTERSECT", "WINDOW", "HAVING", "QUALIFY", "NATURAL", "ANTI", "SEMI",
      "POSITIONAL", "ASOF", "OFFSET", "LATERAL", "RETURNING", "TABLESAMPLE", "USING"};
  return word == "AS" || !clause_words.count(word);
}

}  // namespace

std::string SqlEngineSchemaForLake(const std::string& lake_schema) {
  return lake_schema == "main" ? "lake" : "lake_" + lake_schema;
}

Result<std::string, std::string> RewriteLakeTimeTravel(lake::Lake& lake, const std::string& sql) {
  // <schema>.<table> AT ( VERSION => 12 )  |  AT ( TIMESTAMP => '2026-01-01 00:00:00+00' )
  static const std::regex pattern(
      R"re(((?:"(?:[^"]|"")+")|[A-Za-z_][A-Za-z0-9_]*)\s*\.\s*((?:"(?:[^"]|"")+")|[A-Za-z_][A-Za-z0-9_]*)\s+AT\s*\(\s*(VERSION|TIMESTAMP)\s*=>\s*('(?:[^']|'')*'|[0-9]+)\s*\))re",
      std::regex::icase);
  if (sql.find("=>") == std::string::npos) return sql;
  std::string out;
  auto begin = std::sregex_iterator(sql.begin(), sql.end(), pattern);
  std::size_t copied = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& match = *it;
    auto lake_schema = LakeSchemaFor(Unquote(match[1].str()));
    if (!lake_schema) continue;  // not a lake table: left for DuckDB to judge
    std::string table = Unquote(match[2].str());
    std::string kind = match[3].str();
    for (auto& c : kind) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string value = match[4].str();
    std::int64_t snapshot = 0;
    if (kind == "VERSION") {
      if (value.front() == '\'') value = value.substr(1, value.size() - 2);
      try {
        snapshot = std::stoll(value);
      } catch (...) {
        return Fail("AT (VERSION => " + match[4].str() + "): a snapshot id is a number");
      }
    } else {
      if (value.front() != '\'') return Fail("AT (TIMESTAMP => …) takes a quoted timestamp");
      auto found = lake.SnapshotAsOf(value.substr(1, value.size() - 2));
      if (!found.ok()) return Fail(found.error().message);
      snapshot = *found;
    }
    auto scan = lake.ScanSql(*lake_schema, table, snapshot);
    if (!scan.ok()) return Fail(scan.error().message);
    out += sql.substr(copied, match.position(0) - copied);
    copied = match.position(0) + match.length(0);
    out += "(" + *scan + ")";
    // Keep the query's own alias (`AT (…) AS f` or `AT (…) f`); otherwise name it after the table.
    if (!HasAlias(sql, copied)) out += " AS " + duckdb::QuoteIdentifier(table);
  }
  out += sql.substr(copied);
  return out;
}

Result<Done, std::string> AttachLakeToSqlEngine(std::shared_ptr<lake::Lake> lake,
                                                std::shared_ptr<duckdb::DuckDbQueryBackend> backend) {
  // The views follow the lake's latest snapshot: refreshed after this process's commits, and —
  // since other processes may commit to a PostgreSQL catalog — checked before each statement.
  struct Freshness {
    std::mutex mutex;
    std::int64_t snapshot = -1;
  };
  auto freshness = std::make_shared<Freshness>();
  std::weak_ptr<duckdb::DuckDbQueryBackend> weak_backend = backend;
  lake::Lake* raw_lake = lake.get();
  auto refresh = [raw_lake, weak_backend, freshness](std::optional<std::int64_t> committed) -> Result<Done, std::string> {
    auto target = weak_backend.lock();
    if (!target) return Done{};
    std::lock_guard lock(freshness->mutex);
    std::int64_t latest = 0;
    if (committed) {
      latest = *committed;
    } else {
      auto current = raw_lake->CurrentSnapshot();
      if (!current.ok()) return Fail(current.error().message);
      latest = current->snapshot_id;
    }
    if (latest == freshness->snapshot) return Done{};
    MALLARD_RETURN_IF_ERROR(RefreshViews(*raw_lake, *target));
    freshness->snapshot = latest;
    return Done{};
  };
  MALLARD_RETURN_IF_ERROR(refresh(std::nullopt));
  lake->AddCommitListener([refresh](std::int64_t snapshot) {
    if (auto refreshed = refresh(snapshot); !refreshed.ok()) {
      spdlog::warn("lake snapshot {}: refreshing the SQL engine's views failed: {}", snapshot, refreshed.error());
    }
  });
  // A DuckDB-file catalog has one writer process, this one, whose commits refresh the views as
  // they happen; only a PostgreSQL catalog can change under us, and needs the per-statement check.
  const bool shared_catalog = lake::IsPostgresCatalogSpec(lake->CatalogSpec());
  backend->SetStatementRewriter([lake, refresh, shared_catalog](const std::string& sql) -> Result<std::string, std::string> {
    if (shared_catalog) {
      if (auto refreshed = refresh(std::nullopt); !refreshed.ok()) {
        spdlog::warn("lake: refreshing the SQL engine's views failed: {}", refreshed.error());
      }
    }
    return RewriteLakeTimeTravel(*lake, sql);
  });
  return Done{};
}

}  // namespace mallard::app

#include "app/lake_sql_bridge.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

namespace mallard::app {
namespace {

Result<Done, std::string> RefreshViews(lake::Lake& lake, duckdb::DuckDbSqlEngine& backend) {
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
    sql += "COMMENT ON VIEW " + view + " IS '" + std::string(duckdb::DuckDbSqlEngine::kStorageViewComment) +
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

// True when the text at `position` starts with a table alias: whitespace, then a quoted name or a
// word that is not a clause keyword.
bool HasAlias(const std::string& sql, std::size_t position) {
  std::size_t i = position;
  while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
  if (i == position || i == sql.size()) return false;
  if (sql[i] == '"') return true;
  if (!std::isalpha(static_cast<unsigned char>(sql[i])) && sql[i] != '_') return false;
  std::string word;
  while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_') && word.size() < 64) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  }
  static const std::set<std::string> clause_words = {
      "WHERE", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "ON", "USING", "GROUP", "ORDER",
      "LIMIT", "UNION", "EXCEPT", "INTERSECT", "WINDOW", "HAVING", "QUALIFY", "NATURAL", "ANTI", "SEMI",
      "POSITIONAL", "ASOF", "OFFSET", "LATERAL", "RETURNING", "TABLESAMPLE", "USING"};
  return word == "AS" || !clause_words.count(word);
}

// SQL tokens as far as the time-travel rewrite needs them. A hand-written scanner instead of
// std::regex, whose recursion overflowed the stack on a long quoted identifier; it also skips
// string literals and comments, so text inside them is never rewritten.
enum class SqlTokenKind { Word, QuotedName, String, Number, Symbol };
struct SqlToken {
  SqlTokenKind kind;
  std::size_t begin;
  std::size_t end;  // one past the last byte
};

bool IsIdentifierStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentifierPart(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// End of the quoted text starting at `begin` (a quote doubled inside is part of it); npos when
// unterminated.
std::size_t QuotedEnd(const std::string& sql, std::size_t begin) {
  const char quote = sql[begin];
  for (std::size_t i = begin + 1; i < sql.size(); ++i) {
    if (sql[i] != quote) continue;
    if (i + 1 < sql.size() && sql[i + 1] == quote) {
      ++i;
      continue;
    }
    return i + 1;
  }
  return std::string::npos;
}

std::vector<SqlToken> ScanSql(const std::string& sql) {
  std::vector<SqlToken> tokens;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t newline = sql.find('\n', i);
      i = newline == std::string::npos ? sql.size() : newline + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const std::size_t close = sql.find("*/", i + 2);
      i = close == std::string::npos ? sql.size() : close + 2;
    } else if (c == '"' || c == '\'') {
      const std::size_t end = QuotedEnd(sql, i);
      if (end == std::string::npos) break;  // unterminated: DuckDB reports it
      tokens.push_back({c == '"' ? SqlTokenKind::QuotedName : SqlTokenKind::String, i, end});
      i = end;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t end = i;
      while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
      tokens.push_back({SqlTokenKind::Number, i, end});
      i = end;
    } else if (IsIdentifierStart(c)) {
      std::size_t end = i;
      while (end < sql.size() && IsIdentifierPart(sql[end])) ++end;
      tokens.push_back({SqlTokenKind::Word, i, end});
      i = end;
    } else {
      const std::size_t length = c == '=' && i + 1 < sql.size() && sql[i + 1] == '>' ? 2 : 1;
      tokens.push_back({SqlTokenKind::Symbol, i, i + length});
      i += length;
    }
  }
  return tokens;
}

}  // namespace

std::string SqlEngineSchemaForLake(const std::string& lake_schema) {
  return lake_schema == "main" ? "lake" : "lake_" + lake_schema;
}

Result<std::string, std::string> RewriteLakeTimeTravel(lake::Lake& lake, const std::string& sql) {
  // <schema>.<table> AT ( VERSION => 12 )  |  AT ( TIMESTAMP => '2026-01-01 00:00:00+00' )
  if (sql.find("=>") == std::string::npos) return sql;
  const std::vector<SqlToken> tokens = ScanSql(sql);
  const auto text = [&](const SqlToken& token) { return sql.substr(token.begin, token.end - token.begin); };
  const auto is_name = [&](const SqlToken& token) {
    return token.kind == SqlTokenKind::Word || (token.kind == SqlTokenKind::QuotedName && token.end - token.begin > 2);
  };
  const auto is_symbol = [&](const SqlToken& token, std::string_view symbol) {
    return token.kind == SqlTokenKind::Symbol && std::string_view(sql).substr(token.begin, token.end - token.begin) == symbol;
  };
  const auto upper = [&](const SqlToken& token) {
    std::string word = text(token);
    for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return word;
  };
  constexpr std::size_t kPatternTokens = 9;  // schema . table AT ( kind => value )
  std::string out;
  std::size_t copied = 0;
  for (std::size_t k = 0; k + kPatternTokens <= tokens.size(); ++k) {
    const SqlToken* t = &tokens[k];
    const bool matches = is_name(t[0]) && is_symbol(t[1], ".") && is_name(t[2]) && t[3].kind == SqlTokenKind::Word &&
                         upper(t[3]) == "AT" && is_symbol(t[4], "(") && t[5].kind == SqlTokenKind::Word &&
                         (upper(t[5]) == "VERSION" || upper(t[5]) == "TIMESTAMP") && is_symbol(t[6], "=>") &&
                         (t[7].kind == SqlTokenKind::String || t[7].kind == SqlTokenKind::Number) && is_symbol(t[8], ")");
    if (!matches) continue;
    auto lake_schema = LakeSchemaFor(Unquote(text(t[0])));
    if (!lake_schema) continue;  // not a lake table: left for DuckDB to judge
    std::string table = Unquote(text(t[2]));
    std::string kind = upper(t[5]);
    std::string value = text(t[7]);
    std::int64_t snapshot = 0;
    if (kind == "VERSION") {
      if (value.front() == '\'') value = value.substr(1, value.size() - 2);
      try {
        snapshot = std::stoll(value);
      } catch (...) {
        return Fail("AT (VERSION => " + text(t[7]) + "): a snapshot id is a number");
      }
    } else {
      if (value.front() != '\'') return Fail("AT (TIMESTAMP => …) takes a quoted timestamp");
      auto found = lake.SnapshotAsOf(value.substr(1, value.size() - 2));
      if (!found.ok()) return Fail(found.error().message);
      snapshot = *found;
    }
    auto scan = lake.ScanSql(*lake_schema, table, snapshot);
    if (!scan.ok()) return Fail(scan.error().message);
    out += sql.substr(copied, t[0].begin - copied);
    copied = t[8].end;
    out += "(" + *scan + ")";
    // Keep the query's own alias (`AT (…) AS f` or `AT (…) f`); otherwise name it after the table.
    if (!HasAlias(sql, copied)) out += " AS " + duckdb::QuoteIdentifier(table);
    k += kPatternTokens - 1;
  }
  out += sql.substr(copied);
  return out;
}

Result<Done, std::string> AttachLakeToSqlEngine(std::shared_ptr<lake::Lake> lake,
                                                std::shared_ptr<duckdb::DuckDbSqlEngine> backend) {
  // The views follow the lake's latest snapshot: refreshed after this process's commits, and —
  // since other processes may commit to a PostgreSQL catalog — checked before each statement.
  struct Freshness {
    std::mutex mutex;
    std::int64_t snapshot = -1;
  };
  auto freshness = std::make_shared<Freshness>();
  std::weak_ptr<duckdb::DuckDbSqlEngine> weak_backend = backend;
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

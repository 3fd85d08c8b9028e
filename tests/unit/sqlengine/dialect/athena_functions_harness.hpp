#pragma once
// Shared by the Athena function tests: one DuckDB engine opened the way the server opens it (so
// AthenaEngineSetup ran), a translator shortcut and single-value evaluation.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sqlengine/dialect/athena_functions.hpp"
#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

namespace mallard::sqlengine::dialect::athena_test {

inline duckdb::DuckDbSqlEngine& Engine() {
  static std::shared_ptr<duckdb::DuckDbSqlEngine> engine = [] {
    duckdb::DatabaseOptions options;
    options.threads = 1;
    auto opened = duckdb::DuckDbSqlEngine::Open(options);
    if (!opened.ok()) {
      ADD_FAILURE() << opened.error();
      std::abort();
    }
    return opened.value();
  }();
  return *engine;
}

// The engine SQL for an Athena call whose arguments are already engine SQL.
inline std::string Call(const std::string& name, std::vector<std::string> arguments) {
  auto translated = TranslateAthenaCall(FunctionCall{name, std::move(arguments), 1, 8});
  if (!translated.ok()) {
    ADD_FAILURE() << name << ": " << translated.error().code << " " << translated.error().message;
    return "NULL";
  }
  return translated.value();
}

// Rows of a query: text, booleans and integers as text ("NULL" for NULL; cast other types to
// VARCHAR in the query); the error text on failure.
inline std::vector<std::vector<std::string>> Rows(const std::string& sql, std::string* error = nullptr) {
  auto rows = Engine().SelectAdmin(sql);
  std::vector<std::vector<std::string>> out;
  if (!rows.ok()) {
    if (error) *error = rows.error();
    else ADD_FAILURE() << sql << "\n" << rows.error();
    return out;
  }
  for (const auto& row : *rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) {
      switch (cell.kind) {
        case SqlValue::Kind::Null: cells.push_back("NULL"); break;
        case SqlValue::Kind::Boolean: cells.push_back(cell.boolean ? "true" : "false"); break;
        case SqlValue::Kind::Integer: cells.push_back(std::to_string(cell.integer)); break;
        default: cells.push_back(cell.text); break;  // the tests cast other types to VARCHAR
      }
    }
    out.push_back(std::move(cells));
  }
  return out;
}

// One value as text.
inline std::string Eval(const std::string& expression) {
  auto rows = Rows("SELECT CAST((" + expression + ") AS VARCHAR)");
  if (rows.size() != 1 || rows[0].size() != 1) return "<no value>";
  return rows[0][0];
}

// The engine's error for an expression that must fail ("" when it did not fail).
inline std::string EvalError(const std::string& expression) {
  std::string error;
  auto rows = Rows("SELECT CAST((" + expression + ") AS VARCHAR)", &error);
  if (error.empty()) ADD_FAILURE() << expression << " did not fail";
  return error;
}

}  // namespace mallard::sqlengine::dialect::athena_test

#pragma once
// Athena's SQL (Trino's dialect, Athena engine version 3) translated to the engine's (DuckDB's),
// statement by statement, before the engine sees it. Names: Athena lower-cases every identifier,
// quoted or not; `awsdatacatalog.db.t`, `"db"."t"` and `db.t` all name the same table, with the
// database `default` standing for the engine's default schema. Trino's reserved words are the
// reserved ones (a column may be called `at`, `last`, `year`). Literals (TIMESTAMP '…', DATE '…',
// TIME '…', INTERVAL '1' DAY, X'…', DECIMAL '…'), types (varchar(n), row(…), map(…), array(…),
// ipaddress, json, real, timestamp(3), … with time zone), CAST/TRY_CAST/TRY, EXTRACT, position(a
// IN b), UNNEST … WITH ORDINALITY, TABLESAMPLE, VALUES and lambdas are rewritten here; every
// function call goes through Athena's function table (athena_functions.hpp). Unnamed columns of
// the top-level SELECT are named `_col0`, `_col1`, … as Trino names them.
//
// Statements that are not Trino's (DuckDB's PRAGMA, SET, CALL, …) pass through unchanged: the
// engine's sandbox decides about them, as before translation existed.
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"

namespace mallard::sqlengine::dialect {

struct AthenaNames {
  // Athena database name (lower case) → engine schema. Databases not listed keep their name.
  std::unordered_map<std::string, std::string> engine_schemas{{"default", "main"}};
  // The data catalog every Athena database lives in, matched case-insensitively and dropped from
  // three-part names.
  std::string catalog = "awsdatacatalog";
};

Result<std::string, DialectError> TranslateAthena(std::string_view sql, const AthenaNames& names);

// The same with another function table (the translator's unit tests; TranslateAthena passes
// TranslateAthenaCall).
using AthenaFunctionTable = std::function<Result<std::string, DialectError>(const FunctionCall&)>;
Result<std::string, DialectError> TranslateAthenaWith(std::string_view sql, const AthenaNames& names,
                                                      const AthenaFunctionTable& functions);

// Athena's StateChangeReason for a translation error: "FUNCTION_NOT_FOUND: line 1:8: Function
// 'foo' not registered".
std::string AthenaErrorReason(const DialectError& error);

// Athena's StateChangeReason for an engine (DuckDB) error: the classes users meet renamed to
// Trino's error names ("Catalog Error: Table with name t does not exist!" → "TABLE_NOT_FOUND:
// Table 'awsdatacatalog.<database>.t' does not exist", "Parser Error: …" → "SYNTAX_ERROR: …",
// missing columns, conversions, ranges); other messages unchanged. `sql` is the user's text: the
// table, column or token the engine names is located in it for Trino's "line L:C: " (left out
// when the user's text does not hold it).
std::string AthenaEngineErrorReason(std::string_view message, std::string_view database, std::string_view sql = {});

}  // namespace mallard::sqlengine::dialect

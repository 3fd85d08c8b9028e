#pragma once
// Redshift's SQL translated to the engine's (DuckDB's), statement by statement, before the engine
// sees it. Names: unquoted identifiers fold to lower case; the schema `public` is the engine's
// `main`, and `dev.public.t` (database.schema.table) names the same table as `public.t` and `t`.
// Redshift's reserved words are the reserved ones (a column may be called `at`, `last`, `window`).
// The search path is the session's: `SET search_path TO a, b`, `SHOW search_path`,
// `current_schema()` and `current_schemas(bool)` read and change it, and pg_table_def lists the
// tables of its schemas. `TOP n`, `APPROXIMATE COUNT(DISTINCT …)`, `LISTAGG … WITHIN GROUP`,
// `RATIO_TO_REPORT … OVER`, `EXTRACT`, `SYSDATE`, `CURRENT_USER`, `::` casts to Redshift types
// (`varchar(max)`, `super`, `int2`, …) and CREATE TABLE's DISTSTYLE/DISTKEY/SORTKEY/ENCODE/BACKUP
// and IDENTITY columns are rewritten here; every function call goes through Redshift's function
// table (redshift_functions.hpp). System relations clients probe (svv_tables, svv_columns,
// svv_table_info, pg_table_def, stv_sessions, information_schema.tables, …) become the hidden
// catalog's table macros.
//
// Statements Redshift does not have (DuckDB's PRAGMA, CALL, …) pass through unchanged: the
// engine's sandbox decides about them, as before translation existed.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"

namespace mallard::sqlengine::dialect {

// What one Redshift session knows. The Data API runs each ExecuteStatement in a session of its
// own and a BatchExecuteStatement's statements in one, so a SET search_path in a batch applies to
// the statements after it: the service keeps one RedshiftSession per submission and translates
// its statements in order.
struct RedshiftSession {
  std::string user = "awsuser";
  // As Redshift shows it: "$user" stands for a schema named like the user, skipped when absent.
  std::vector<std::string> search_path = {"$user", "public"};
  std::int64_t process_id = 1073741824;  // Redshift's pg_backend_pid() range
};

// Translates one statement text (it may hold several statements separated by `;`). SET
// search_path updates `session` for the statements that follow.
Result<std::string, DialectError> TranslateRedshift(std::string_view sql, RedshiftSession& session);

// The DescribeStatement Error text ("ERROR: …" is added by the service) for a translation error.
std::string RedshiftErrorText(const DialectError& error);

// An engine (DuckDB) error message in Redshift's (PostgreSQL's) phrasing where the two differ in
// a way clients match on: `relation "t" does not exist`, `column "c" does not exist`,
// `syntax error at or near "x"`, `function f does not exist`, `relation "t" already exists`,
// `invalid input syntax for integer: "x"`. Others keep the engine's text without its
// "LINE 1: …" context lines.
std::string RedshiftEngineError(std::string_view engine_message);

}  // namespace mallard::sqlengine::dialect

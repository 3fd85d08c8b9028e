#pragma once
// Athena's (Trino's) function table on DuckDB: each call the Athena translator meets is handed
// here with its arguments already translated, and comes back as engine SQL with Trino's
// semantics (argument order, 1-based indexes, NULL handling, return types, MySQL and Joda date
// formats). A function DuckDB has with the same meaning is renamed; one it lacks or means
// differently calls a macro of the set-up (AthenaEngineSetup) in the catalog `mallard_dialect`,
// schema `athena`, which no catalogue listing shows and the engine's Reset leaves alone.
// A function Athena does not have fails as Athena fails it ("Function 'x' not registered"); one
// whose semantics cannot be matched exactly is left out rather than answered nearly.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"

namespace mallard::sqlengine::dialect {

// The catalog Athena's engine set-up creates (an in-memory database attached to the engine): it is
// not the engine's current database, so ListSchemas/ListTables and Reset never see it. Athena's
// macros are in its schema `athena` (Redshift's set-up attaches a catalog of its own).
inline constexpr std::string_view kDialectCatalog = "mallard_dialect";
// The prefix of every Athena shim macro call ("mallard_dialect.athena.").
inline constexpr std::string_view kAthenaShimPrefix = "mallard_dialect.athena.";

// The engine SQL for the whole call (name through the closing parenthesis). Errors:
// - FUNCTION_NOT_FOUND "line L:C: Function 'name' not registered" for a name Athena lacks (or one
//   left out here because DuckDB cannot give its exact semantics);
// - FUNCTION_NOT_FOUND "line L:C: Unexpected parameters (types) for function name. Expected: …"
//   for a wrong number of arguments (argument types are inferred from literals; an argument
//   that is not a literal shows as `unknown`, as the translator cannot know its type);
// - NOT_SUPPORTED for a form of a known function this endpoint cannot run (e.g. a date format
//   that is not a literal), INVALID_FUNCTION_ARGUMENT for a literal Trino rejects (e.g. "%D not
//   supported in date format string").
Result<std::string, DialectError> TranslateAthenaCall(const FunctionCall& call);

// True when `lower_case_name` is one of Athena's functions this table translates.
bool IsAthenaFunction(std::string_view lower_case_name);

// The statements the engine runs once when it opens, before it is locked: the UTC session time
// zone Athena uses, the shim catalog and schema, and the macros (CREATE OR REPLACE, so running
// them twice is harmless).
const std::vector<std::string>& AthenaEngineSetup();

}  // namespace mallard::sqlengine::dialect

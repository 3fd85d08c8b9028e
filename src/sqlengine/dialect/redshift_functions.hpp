#pragma once
// Redshift's functions, spoken to DuckDB: the function table the Redshift translator calls for
// every function call (arguments already translated), and the engine set-up statements that
// create the macros and system relations those translations name.
//
// Where DuckDB's builtin behaves as Redshift's documentation says, the call is kept; where it
// differs (DATEDIFF counts week boundaries, DATE_TRUNC returns a timestamp, SUBSTRING with a start
// before 1, REGEXP_REPLACE replaces every match, CONCAT of a NULL is NULL, …) the call becomes an
// expression or a macro of the hidden catalog `mallard_redshift`. Functions Redshift documents
// but whose results Mallard cannot reproduce exactly fail as Redshift reports an unknown function
// (SQLSTATE 42883). Names Redshift does not know are left to the engine, so DuckDB's own
// functions keep working through Redshift Data.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"

namespace mallard::sqlengine::dialect {

// The attached in-memory catalog holding the Redshift macros and system relations. It is not the
// engine's database, so catalogue listings and the reset endpoint never see it; it is re-created
// each time the engine opens.
inline constexpr std::string_view kRedshiftCatalog = "mallard_redshift";

// The engine text for one Redshift function call (name lower-case, arguments engine SQL).
Result<std::string, DialectError> TranslateRedshiftCall(const FunctionCall& call);

// Statements that create the catalog, its macros and system relations (run once at engine open,
// before the sandbox is locked).
const std::vector<std::string>& RedshiftEngineSetup();

// Redshift functions deliberately left out (they fail as "function … does not exist"): each with
// why, for the README and the tests.
struct LeftOutFunction {
  std::string_view name;
  std::string_view reason;
};
const std::vector<LeftOutFunction>& RedshiftLeftOutFunctions();

// A Redshift date part (`day`, `'d'`, `"DAYS"`, `qtr`, …) as DuckDB names it ("day", "quarter",
// "dow", …); empty when the text is not a date part Redshift accepts.
std::string RedshiftDatePart(std::string_view argument);

// Redshift's "function name(types) does not exist" error (SQLSTATE 42883), with the argument types
// Redshift would print for literals ("integer", "numeric", "unknown" for a quoted string, "boolean")
// and "unknown" for other expressions.
DialectError UndefinedFunction(std::string_view name, const std::vector<std::string>& arguments);

}  // namespace mallard::sqlengine::dialect

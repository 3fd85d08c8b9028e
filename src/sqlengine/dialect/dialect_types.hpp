#pragma once
// Types the dialect translators share (Athena's in athena_*.hpp, Redshift's in redshift_*.hpp).
#include <string>
#include <vector>

namespace mallard::sqlengine::dialect {

// Why a statement cannot be translated, in the dialect's own words: the API reports `message`
// verbatim (Athena's StateChangeReason / AthenaError.ErrorMessage, Redshift's Error), so it names
// the user's function, type or keyword with its position, never an engine-internal name.
struct DialectError {
  // Athena: Trino's error name ("FUNCTION_NOT_FOUND", "SYNTAX_ERROR", "NOT_SUPPORTED", "TYPE_MISMATCH");
  // Redshift: the SQLSTATE ("42883" undefined function, "42601" syntax error, "0A000" not supported).
  std::string code;
  // Athena: "line 1:8: Function 'foo' not registered"; Redshift: "function foo(integer) does not exist".
  std::string message;
};

// One function call as written, for a dialect's function table: the name as the user wrote it
// (lower-cased), the arguments already translated to engine SQL and split at top-level commas (a
// leading DISTINCT stays in the first argument's text; lambdas such as `x -> x + 1` are one
// argument), and where the call starts in the user's SQL (for error positions).
struct FunctionCall {
  std::string name;
  std::vector<std::string> arguments;
  std::size_t line = 1;    // 1-based, of the function name
  std::size_t column = 1;  // 1-based, of the function name
};

}  // namespace mallard::sqlengine::dialect

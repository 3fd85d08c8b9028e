#pragma once
// Internal to athena_functions*: the table of Athena's functions and the helpers its entries use.
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"

namespace mallard::sqlengine::dialect {

inline constexpr int kVariadic = -1;

using SpecialTranslation = Result<std::string, DialectError> (*)(const FunctionCall&);

// One accepted argument count range and its translation: `sql` with $1…$9 (the arguments), $*
// (all of them, comma-separated) and $S (the shim macro prefix), or `special` for translations
// that look at the arguments (literal formats, lambdas, variadic NULL rules).
struct AthenaForm {
  int min_args = 0;
  int max_args = 0;  // kVariadic: no upper bound
  std::string sql;
  SpecialTranslation special = nullptr;
};

struct AthenaFunction {
  std::string expected;  // Trino's signatures, for "Unexpected parameters … Expected: …"
  std::vector<AthenaForm> forms;
};

const std::unordered_map<std::string, AthenaFunction>& AthenaFunctionTable();

namespace athena_detail {
std::string Position(const FunctionCall& call);
DialectError NotSupported(const FunctionCall& call, std::string_view what);
DialectError UnexpectedParameters(const FunctionCall& call, std::string_view expected);
// The text of a string literal argument ('it''s' → it's), or nullopt when the argument is anything else.
std::optional<std::string> StringLiteral(std::string_view argument);
std::string Expand(std::string_view pattern, const FunctionCall& call);
// `lambda` ("x -> body" or "(a, b) -> body") with its parameters replaced by `values` (each
// parenthesised): a Trino lambda applied where DuckDB takes no lambda.
Result<std::string, DialectError> ApplyLambda(const FunctionCall& call, std::string_view lambda,
                                              const std::vector<std::string>& values);
}  // namespace athena_detail

}  // namespace mallard::sqlengine::dialect

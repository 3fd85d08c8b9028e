#pragma once
// SQL text handling the APIs need before the engine sees a query: Athena's ExecutionParameters
// (SQL literals bound to `?` placeholders) and Redshift's `:name` parameters. Parameters are never
// pasted into the SQL: literals are parsed into typed values and bound by the engine, and the
// scanner skips string literals, quoted identifiers, comments and `::` casts.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/sqlengine/sql_types.hpp"

namespace mallard::sqlengine {

// One Athena execution parameter: its typed value and the placeholder expression that replaces its
// `?` ("?" or, for typed literals such as DATE '2024-01-01', "CAST(? AS DATE)").
struct BoundLiteral {
  SqlParameter value;
  std::string placeholder;
};

// Parses one SQL literal: 'text' (with '' escapes), integers, decimals and doubles, TRUE/FALSE,
// NULL, and DATE/TIME/TIMESTAMP/DECIMAL 'text'. Anything else is an error message.
Result<BoundLiteral, std::string> ParseSqlLiteral(std::string_view literal);

// Replaces each `?` outside literals and comments with the matching placeholder. The counts must
// agree; the error names the mismatch.
Result<std::string, std::string> SubstitutePlaceholders(std::string_view sql, const std::vector<BoundLiteral>& values);

// Rewrites `:name` parameters as DuckDB's `$name`; returns the names found (each once).
std::string RewriteNamedParameters(std::string_view sql, std::vector<std::string>* names);

// The first word of the SQL (comments skipped), upper-cased: "SELECT", "EXECUTE", "WITH".
std::string LeadingKeyword(std::string_view sql);
// Splits "word word rest" style SQL after the leading keyword: returns the remaining text after
// `count` words (used for EXECUTE name USING ... / PREPARE name FROM ...).
std::vector<std::string> LeadingWords(std::string_view sql, std::size_t count, std::string* rest);
// Splits a comma-separated list of SQL literals, respecting quotes.
std::vector<std::string> SplitLiteralList(std::string_view text);

}  // namespace mallard::sqlengine

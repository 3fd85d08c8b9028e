#pragma once
// SQL text handling the APIs need before the engine sees a query: Athena's ExecutionParameters
// (SQL literals bound to `?` placeholders) and Redshift's `:name` parameters. Parameters are never
// pasted into the SQL: literals are parsed into typed values and bound by the engine, and the
// scanner skips string literals, quoted identifiers, comments and `::` casts.
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/sql_types.hpp"

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

// Name patterns of the catalogue APIs. Both match iteratively in O(pattern × name) time and
// constant stack whatever the lengths (names can be any length the engine allows; std::regex and
// a recursive matcher overflowed the stack on long names). "One character" is one UTF-8 character.
//
// SQL LIKE, as Redshift Data's SchemaPattern / TablePattern: `%` any run, `_` one character, `\`
// escapes the next character; case-sensitive.
bool MatchesLikePattern(std::string_view name, std::string_view pattern);
// The Hive metastore pattern language that Athena's catalogues apply to ListTableMetadata's
// Expression: `*` (and the regex idiom `.*`) any run, `.` one character, `|` separates
// alternatives; other characters stand for themselves; case-insensitive (ASCII).
bool MatchesHivePattern(std::string_view name, std::string_view pattern);

}  // namespace mallard::sqlengine

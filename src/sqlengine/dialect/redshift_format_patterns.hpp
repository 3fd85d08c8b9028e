#pragma once
// Redshift's (PostgreSQL's) format patterns for TO_CHAR, TO_DATE, TO_TIMESTAMP and TO_NUMBER
// ('YYYY-MM-DD HH24:MI:SS', 'FMMonth DD', '999,999.99', 'S9999'), turned into DuckDB expressions
// when the pattern is a literal: datetime patterns become strftime/strptime formats plus the few
// pieces strftime lacks (padded month and day names, quarter, day of week 1–7); number patterns
// become a fixed-width rendering with PostgreSQL's sign and padding rules.
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "sqlengine/dialect/dialect_types.hpp"

namespace mallard::sqlengine::dialect {

// True when `pattern` is a number pattern (9, 0, ., D, ',', G, S, MI, PR, FM, $, L).
bool IsNumericPattern(std::string_view pattern);
// TO_CHAR(timestamp_expression, pattern): `value` is already a TIMESTAMP expression.
Result<std::string, DialectError> DatetimeToChar(const std::string& value, std::string_view pattern);
// TO_CHAR(number, pattern).
Result<std::string, DialectError> NumberToChar(const std::string& value, std::string_view pattern);
// The strptime format for a TO_DATE / TO_TIMESTAMP pattern; patterns with no strptime equivalent fail.
Result<std::string, DialectError> StrptimeFormat(std::string_view pattern);
// TO_NUMBER(text, pattern): a DECIMAL with the pattern's digits.
Result<std::string, DialectError> NumberFromText(const std::string& text, std::string_view pattern);

}  // namespace mallard::sqlengine::dialect

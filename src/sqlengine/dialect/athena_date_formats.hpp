#pragma once
// Trino's date format strings rewritten as DuckDB's strftime/strptime formats, at translation
// time (the format of date_format, date_parse, format_datetime and parse_datetime is a literal in
// practice). Trino's MySQL-style specifiers (%i minutes, %s seconds, %M month name, %W weekday
// name, %f fraction truncated to milliseconds, ...) and Joda patterns (yyyy-MM-dd HH:mm:ss.SSS)
// differ from strftime's; a specifier without an exact strftime equivalent is an error, never a
// near match.
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::sqlengine::dialect {

struct DateFormatError {
  // "INVALID_FUNCTION_ARGUMENT" (Trino rejects the format too) or "NOT_SUPPORTED" (Trino accepts
  // it, DuckDB has no exact equivalent).
  std::string code;
  std::string message;
};

// A converted format. `two_digit_year` is set when the format parses a two-digit year (%y / yy):
// DuckDB reads "69" as 1969 where Trino reads 2069 (Trino's pivot is 1970..2069), so the caller
// moves a parsed 1969 by a century.
struct EngineDateFormat {
  std::string format;
  bool two_digit_year = false;
  // Whether the format holds a year. Parsing without one, Trino (Joda) starts from 1970-01-01 and
  // DuckDB from 1900-01-01: the caller adds 70 years.
  bool has_year = false;
};

enum class DateFormatUse { Format, Parse };

// MySQL-style specifiers (date_format / date_parse).
Result<EngineDateFormat, DateFormatError> MysqlFormatToStrftime(std::string_view format, DateFormatUse use);
// JodaTime DateTimeFormat patterns (format_datetime / parse_datetime). The session time zone is
// UTC, so zone letters format as UTC's fixed texts; parsing a zone is not supported.
Result<EngineDateFormat, DateFormatError> JodaPatternToStrftime(std::string_view pattern, DateFormatUse use);

}  // namespace mallard::sqlengine::dialect

#include "sqlengine/dialect/redshift_functions.hpp"

#include <algorithm>
#include <functional>
#include <optional>
#include <unordered_map>

#include "sqlengine/dialect/dialect_rewriter.hpp"
#include "sqlengine/dialect/redshift_format_patterns.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The significant tokens of one translated argument.
std::vector<Token> SignificantTokens(std::string_view text) {
  std::vector<Token> out;
  for (const auto& token : Tokenize(text)) {
    if (!token.IsTrivia()) out.push_back(token);
  }
  return out;
}

// The contents of an argument that is exactly one string literal.
std::optional<std::string> StringLiteral(std::string_view argument) {
  auto tokens = SignificantTokens(argument);
  if (tokens.size() != 1 || !tokens[0].Is(TokenKind::String) || tokens[0].unterminated) return std::nullopt;
  return StringText(tokens[0]);
}

// An argument that is exactly one integer literal (optionally signed).
std::optional<long long> IntegerLiteral(std::string_view argument) {
  auto tokens = SignificantTokens(argument);
  bool negative = false;
  std::size_t at = 0;
  if (tokens.size() == 2 && (tokens[0].IsOperator("-") || tokens[0].IsOperator("+"))) {
    negative = tokens[0].IsOperator("-");
    at = 1;
  }
  if (tokens.size() != at + 1 || !tokens[at].Is(TokenKind::Number)) return std::nullopt;
  std::string_view digits = tokens[at].text;
  if (digits.empty() || digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  long long value = std::stoll(std::string(digits));
  return negative ? -value : value;
}

std::string TypeOfLiteral(std::string_view argument) {
  auto tokens = SignificantTokens(argument);
  if (tokens.size() == 1) {
    if (tokens[0].Is(TokenKind::String)) return "\"unknown\"";
    if (tokens[0].Is(TokenKind::Number)) {
      return tokens[0].text.find_first_not_of("0123456789") == std::string_view::npos ? "integer" : "numeric";
    }
    if (tokens[0].IsKeyword("TRUE") || tokens[0].IsKeyword("FALSE")) return "boolean";
  }
  return "\"unknown\"";
}

using Handler = std::function<Result<std::string, DialectError>(const FunctionCall&)>;

std::string Macro(std::string_view name) { return std::string(kRedshiftCatalog) + ".main." + std::string(name); }

std::string Join(const std::vector<std::string>& items, std::size_t from = 0, std::size_t to = std::string::npos) {
  std::string out;
  to = std::min(to, items.size());
  for (std::size_t i = from; i < to; ++i) {
    if (i > from) out += ", ";
    out += items[i];
  }
  return out;
}

std::string Call(std::string_view engine_name, const std::vector<std::string>& arguments) {
  return std::string(engine_name) + "(" + Join(arguments) + ")";
}

bool ArityIn(const FunctionCall& call, std::size_t low, std::size_t high) {
  return call.arguments.size() >= low && call.arguments.size() <= high;
}

Result<std::string, DialectError> Arity(const FunctionCall& call, std::size_t low, std::size_t high) {
  if (ArityIn(call, low, high)) return std::string();
  return Fail(UndefinedFunction(call.name, call.arguments));
}

// The same call under another engine name, checking the argument count.
Handler Renamed(std::string engine_name, std::size_t low, std::size_t high) {
  return [engine_name, low, high](const FunctionCall& call) -> Result<std::string, DialectError> {
    MALLARD_RETURN_IF_ERROR(Arity(call, low, high));
    return Call(engine_name, call.arguments);
  };
}

// A call DuckDB already answers as Redshift does.
Handler Same(std::size_t low, std::size_t high) {
  return [low, high](const FunctionCall& call) -> Result<std::string, DialectError> {
    MALLARD_RETURN_IF_ERROR(Arity(call, low, high));
    return Call(call.name, call.arguments);
  };
}

Handler MacroCall(std::string macro, std::size_t low, std::size_t high) { return Renamed(Macro(macro), low, high); }

DialectError InvalidDatePart(std::string_view argument) {
  return DialectError{"22023", "timestamp units \"" + std::string(TrimSql(argument)) + "\" not recognized"};
}

bool AllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// A date/time literal in one of the input forms Redshift (PostgreSQL, DateStyle ISO, MDY) reads
// and DuckDB does not — 'YYYYMMDD[ time]', 'MM/DD/YYYY[ time]', 'YYYY/MM/DD[ time]' — in ISO form;
// anything else unchanged.
std::string IsoDateLiteral(const std::string& argument) {
  auto text = StringLiteral(argument);
  if (!text) return argument;
  std::string_view value = TrimSql(*text);
  std::size_t blank = value.find(' ');
  std::string_view date = value.substr(0, blank);
  std::string_view rest = blank == std::string_view::npos ? std::string_view() : value.substr(blank);
  std::string iso;
  if (date.size() == 8 && AllDigits(date)) {
    iso = std::string(date.substr(0, 4)) + "-" + std::string(date.substr(4, 2)) + "-" + std::string(date.substr(6, 2));
  } else if (std::count(date.begin(), date.end(), '/') == 2) {
    std::size_t first = date.find('/');
    std::size_t second = date.find('/', first + 1);
    std::string_view a = date.substr(0, first);
    std::string_view b = date.substr(first + 1, second - first - 1);
    std::string_view c = date.substr(second + 1);
    if (!AllDigits(a) || !AllDigits(b) || !AllDigits(c)) return argument;
    auto two = [](std::string_view digits) { return digits.size() == 1 ? "0" + std::string(digits) : std::string(digits); };
    if (a.size() == 4) {
      iso = std::string(a) + "-" + two(b) + "-" + two(c);  // YYYY/MM/DD
    } else if (c.size() == 4) {
      iso = std::string(c) + "-" + two(a) + "-" + two(b);  // MM/DD/YYYY (DateStyle MDY)
    } else {
      return argument;
    }
  } else {
    return argument;
  }
  return QuoteString(iso + std::string(rest));
}

std::string Timestamp(const std::string& argument) { return "CAST(" + IsoDateLiteral(argument) + " AS TIMESTAMP)"; }

// A time zone literal: POSIX-style 'UTC+3' / 'GMT-5' (hours west of Greenwich, as PostgreSQL reads
// them) is IANA's Etc/GMT+3 (which counts the same way); names and abbreviations stay.
std::string TimeZoneLiteral(const std::string& argument) {
  auto text = StringLiteral(argument);
  if (!text || text->size() < 5) return argument;
  std::string upper;
  for (char c : *text) upper.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  if (upper.rfind("UTC", 0) != 0 && upper.rfind("GMT", 0) != 0) return argument;
  char sign = upper[3];
  std::string hours = upper.substr(4);
  if ((sign != '+' && sign != '-') || !AllDigits(hours) || hours.size() > 2 || std::stoi(hours) > 14) return argument;
  return QuoteString("Etc/GMT" + std::string(1, sign) + std::to_string(std::stoi(hours)));
}

// A boolean argument given as a literal ("true"/"false"); nullopt otherwise.
std::optional<bool> BooleanLiteral(std::string_view argument) {
  auto tokens = SignificantTokens(argument);
  if (tokens.size() != 1) return std::nullopt;
  if (tokens[0].IsKeyword("TRUE")) return true;
  if (tokens[0].IsKeyword("FALSE")) return false;
  if (auto text = StringLiteral(argument)) {
    std::string lower = Lower(*text);
    if (lower == "true" || lower == "t") return true;
    if (lower == "false" || lower == "f") return false;
  }
  return std::nullopt;
}

// ---- date and time -------------------------------------------------------------------------

Result<std::string, DialectError> DateAdd(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 3, 3));
  std::string part = RedshiftDatePart(call.arguments[0]);
  static const std::unordered_map<std::string, std::string> kUnit = {
      {"millennium", "INTERVAL 1000 YEAR"}, {"century", "INTERVAL 100 YEAR"}, {"decade", "INTERVAL 10 YEAR"},
      {"year", "INTERVAL 1 YEAR"},          {"quarter", "INTERVAL 3 MONTH"},  {"month", "INTERVAL 1 MONTH"},
      {"week", "INTERVAL 7 DAY"},           {"day", "INTERVAL 1 DAY"},        {"hour", "INTERVAL 1 HOUR"},
      {"minute", "INTERVAL 1 MINUTE"},      {"second", "INTERVAL 1 SECOND"},  {"millisecond", "INTERVAL 1 MILLISECOND"},
      {"microsecond", "INTERVAL 1 MICROSECOND"}};
  auto unit = kUnit.find(part);
  if (unit == kUnit.end()) return Fail(InvalidDatePart(call.arguments[0]));
  return "(" + Timestamp(call.arguments[2]) + " + " + unit->second + " * CAST(" + call.arguments[1] + " AS BIGINT))";
}

Result<std::string, DialectError> DateDiff(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 3, 3));
  std::string part = RedshiftDatePart(call.arguments[0]);
  if (part == "week") return Call(Macro("datediff_week"), {call.arguments[1], call.arguments[2]});
  static const std::vector<std::string> kParts = {"millennium", "century", "decade", "year", "quarter", "month",
                                                  "day", "hour", "minute", "second", "millisecond", "microsecond"};
  if (std::find(kParts.begin(), kParts.end(), part) == kParts.end()) return Fail(InvalidDatePart(call.arguments[0]));
  return "date_diff('" + part + "', " + Timestamp(call.arguments[1]) + ", " + Timestamp(call.arguments[2]) + ")";
}

Result<std::string, DialectError> DateTrunc(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
  std::string part = RedshiftDatePart(call.arguments[0]);
  static const std::vector<std::string> kParts = {"millennium", "century", "decade", "year", "quarter", "month", "week",
                                                  "day", "hour", "minute", "second", "millisecond", "microsecond"};
  if (std::find(kParts.begin(), kParts.end(), part) == kParts.end()) return Fail(InvalidDatePart(call.arguments[0]));
  // DuckDB answers a DATE for day-and-coarser units; Redshift's DATE_TRUNC is a TIMESTAMP.
  return "CAST(date_trunc('" + part + "', " + Timestamp(call.arguments[1]) + ") AS TIMESTAMP)";
}

// DATE_PART: a double precision; the seconds units count the whole seconds field with its fraction.
Result<std::string, DialectError> DatePart(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
  std::string part = RedshiftDatePart(call.arguments[0]);
  if (part.empty() || part == "timezone" || part == "timezone_hour" || part == "timezone_minute") {
    return Fail(InvalidDatePart(call.arguments[0]));
  }
  const std::string& value = call.arguments[1];
  if (part == "second") return "(date_part('microsecond', " + value + ") / 1000000.0)";
  if (part == "millisecond") return "(date_part('microsecond', " + value + ") / 1000.0)";
  if (part == "epoch") return "CAST(date_part('epoch', " + value + ") AS DOUBLE)";
  return "CAST(date_part('" + part + "', " + value + ") AS DOUBLE)";
}

Result<std::string, DialectError> ConvertTimezone(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 3));
  std::string source = call.arguments.size() == 3 ? TimeZoneLiteral(call.arguments[0]) : "'UTC'";
  std::string target = TimeZoneLiteral(call.arguments[call.arguments.size() - 2]);
  const std::string& value = call.arguments.back();
  return "timezone(" + target + ", timezone(" + source + ", " + Timestamp(value) + "))";
}

Result<std::string, DialectError> ToChar(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
  auto pattern = StringLiteral(call.arguments[1]);
  if (!pattern) {
    return Fail(DialectError{"0A000", "TO_CHAR with a format that is not a string literal is not supported"});
  }
  if (IsNumericPattern(*pattern)) return NumberToChar(call.arguments[0], *pattern);
  return DatetimeToChar(Timestamp(call.arguments[0]), *pattern);
}

Result<std::string, DialectError> ToDateOrTimestamp(const FunctionCall& call, bool timestamp) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, timestamp ? 2 : 3));
  auto pattern = StringLiteral(call.arguments[1]);
  if (!pattern) {
    return Fail(DialectError{"0A000", "TO_DATE and TO_TIMESTAMP with a format that is not a string literal are not supported"});
  }
  MALLARD_ASSIGN_OR_RETURN(std::string format, StrptimeFormat(*pattern));
  std::string parsed = "strptime(" + call.arguments[0] + ", " + QuoteString(format) + ")";
  if (timestamp) return "timezone('UTC', " + parsed + ")";
  return "CAST(" + parsed + " AS DATE)";
}

Result<std::string, DialectError> ToNumber(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
  auto pattern = StringLiteral(call.arguments[1]);
  if (!pattern) return Fail(DialectError{"0A000", "TO_NUMBER with a format that is not a string literal is not supported"});
  return NumberFromText(call.arguments[0], *pattern);
}

// TRUNC(number [, places]) truncates; TRUNC(timestamp) is the date. The engine cannot dispatch on
// the argument's type inside one macro, so the timestamp form is taken when the argument is
// visibly a date/time expression.
Result<std::string, DialectError> Trunc(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 1, 2));
  if (call.arguments.size() == 1) {
    std::string lower = Lower(call.arguments[0]);
    bool temporal = lower.find("timestamp") != std::string::npos || lower.find("current_date") != std::string::npos ||
                    lower.find("date_trunc") != std::string::npos || lower.find("timezone(") != std::string::npos ||
                    lower.find("as date") != std::string::npos;
    if (temporal) return "CAST(" + call.arguments[0] + " AS DATE)";
    return "trunc(" + call.arguments[0] + ")";
  }
  return Call("trunc", call.arguments);
}

// ---- conditionals ------------------------------------------------------------------------------

Result<std::string, DialectError> Decode(const FunctionCall& call) {
  if (call.arguments.size() < 3) return Fail(UndefinedFunction(call.name, call.arguments));
  // Oracle's DECODE, as Redshift documents it: a NULL search value matches a NULL expression.
  std::string text = "CASE";
  std::size_t i = 1;
  for (; i + 1 < call.arguments.size(); i += 2) {
    text += " WHEN (" + call.arguments[0] + ") IS NOT DISTINCT FROM (" + call.arguments[i] + ") THEN " + call.arguments[i + 1];
  }
  if (i < call.arguments.size()) text += " ELSE " + call.arguments[i];
  return text + " END";
}

// ---- strings -------------------------------------------------------------------------------------

Result<std::string, DialectError> Concat(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
  // Redshift's CONCAT is `||`: NULL when either side is NULL (DuckDB's concat skips NULLs).
  return "(CAST(" + call.arguments[0] + " AS VARCHAR) || CAST(" + call.arguments[1] + " AS VARCHAR))";
}

// Regular-expression flags Redshift takes ('c' case-sensitive, 'i' insensitive, 'p' Perl, 'e'
// subexpression) as DuckDB options; nullopt when a flag is unknown.
struct RegexFlags {
  std::string options;  // DuckDB's: "i" or ""
  bool subexpression = false;
};
Result<RegexFlags, DialectError> ParseRegexFlags(const FunctionCall& call, std::size_t index) {
  RegexFlags flags;
  if (index >= call.arguments.size()) return flags;
  auto text = StringLiteral(call.arguments[index]);
  if (!text) return Fail(DialectError{"0A000", "the parameters of " + call.name + " must be a string literal"});
  for (char c : *text) {
    if (c == 'i') {
      flags.options = "i";
    } else if (c == 'c') {
      flags.options.clear();
    } else if (c == 'e') {
      flags.subexpression = true;
    } else if (c != 'p') {
      return Fail(DialectError{"22023", "invalid regular expression option: \"" + std::string(1, c) + "\""});
    }
  }
  return flags;
}

// The source string from `position` (1-based) on, as the REGEXP_* functions' position argument.
std::string FromPosition(const FunctionCall& call, std::size_t index) {
  if (index >= call.arguments.size()) return call.arguments[0];
  return "substring(" + call.arguments[0] + ", " + call.arguments[index] + ")";
}

Result<std::string, DialectError> RegexpCount(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 4));
  MALLARD_ASSIGN_OR_RETURN(auto flags, ParseRegexFlags(call, 3));
  return "len(regexp_extract_all(" + FromPosition(call, 2) + ", " + call.arguments[1] + ", 0, '" + flags.options + "'))";
}

Result<std::string, DialectError> RegexpReplace(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 5));
  MALLARD_ASSIGN_OR_RETURN(auto flags, ParseRegexFlags(call, 4));
  std::string replacement = call.arguments.size() >= 3 ? call.arguments[2] : "''";
  std::string replaced = "regexp_replace(" + FromPosition(call, 3) + ", " + call.arguments[1] + ", " + replacement +
                         ", 'g" + flags.options + "')";
  if (call.arguments.size() < 4) return replaced;
  // Characters before `position` are kept as they are.
  return "(substring(" + call.arguments[0] + ", 1, " + call.arguments[3] + " - 1) || " + replaced + ")";
}

Result<std::string, DialectError> RegexpSubstr(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 5));
  MALLARD_ASSIGN_OR_RETURN(auto flags, ParseRegexFlags(call, 4));
  std::string group = flags.subexpression ? "1" : "0";
  std::string occurrence = call.arguments.size() >= 4 ? call.arguments[3] : "1";
  return "coalesce(regexp_extract_all(" + FromPosition(call, 2) + ", " + call.arguments[1] + ", " + group + ", '" +
         flags.options + "')[" + occurrence + "], '')";
}

Result<std::string, DialectError> RegexpInstr(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 6));
  MALLARD_ASSIGN_OR_RETURN(auto flags, ParseRegexFlags(call, 5));
  if (flags.subexpression) return Fail(DialectError{"0A000", "REGEXP_INSTR with the 'e' parameter is not supported"});
  std::string position = call.arguments.size() >= 3 ? call.arguments[2] : "1";
  std::string occurrence = call.arguments.size() >= 4 ? call.arguments[3] : "1";
  std::string option = call.arguments.size() >= 5 ? call.arguments[4] : "0";
  return Macro("rs_regexp_instr") + "(" + call.arguments[0] + ", " + call.arguments[1] + ", " + position + ", " +
         occurrence + ", " + option + ", '" + flags.options + "')";
}

Result<std::string, DialectError> Substring(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 3));
  return Call(Macro("rs_substring"), call.arguments);
}

// ---- JSON ------------------------------------------------------------------------------------

// A JSONPath ($."a"."b") built from path-element arguments, which may be columns.
std::string JsonPath(const std::vector<std::string>& elements) {
  std::string path = "'$'";
  for (const auto& element : elements) {
    if (auto literal = StringLiteral(element)) {
      std::string escaped;
      for (char c : *literal) {
        if (c == '"' || c == '\\') escaped.push_back('\\');
        escaped.push_back(c);
      }
      path += " || " + QuoteString(".\"" + escaped + "\"");
    } else {
      path += " || '.\"' || replace(replace(CAST(" + element + " AS VARCHAR), '\\', '\\\\'), '\"', '\\\"') || '\"'";
    }
  }
  return path;
}

// The optional last boolean of the JSON functions: null_if_invalid.
bool NullIfInvalid(const FunctionCall& call, std::size_t index) {
  if (index >= call.arguments.size()) return false;
  return BooleanLiteral(call.arguments[index]).value_or(false);
}

Result<std::string, DialectError> JsonExtractPathText(const FunctionCall& call) {
  if (call.arguments.size() < 2) return Fail(UndefinedFunction(call.name, call.arguments));
  std::vector<std::string> path(call.arguments.begin() + 1, call.arguments.end());
  bool null_if_invalid = false;
  if (path.size() > 1 && BooleanLiteral(path.back())) {
    null_if_invalid = *BooleanLiteral(path.back());
    path.pop_back();
  }
  std::string json = call.arguments[0];
  std::string extracted = "json_extract_string(" + json + ", " + JsonPath(path) + ")";
  // Redshift answers '' for a path that leads nowhere, NULL for a JSON null.
  std::string answer = "CASE WHEN json_type(" + json + ", " + JsonPath(path) + ") IS NULL THEN '' ELSE " + extracted + " END";
  if (null_if_invalid) return "CASE WHEN json_valid(" + json + ") THEN " + answer + " END";
  return answer;
}

Result<std::string, DialectError> JsonExtractArrayElementText(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 3));
  std::string json = call.arguments[0];
  std::string path = "'$[' || CAST(" + call.arguments[1] + " AS BIGINT) || ']'";
  std::string answer = "CASE WHEN json_type(" + json + ", " + path + ") IS NULL THEN '' ELSE json_extract_string(" +
                       json + ", " + path + ") END";
  if (NullIfInvalid(call, 2)) return "CASE WHEN json_valid(" + json + ") THEN " + answer + " END";
  return answer;
}

Result<std::string, DialectError> JsonArrayLength(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 1, 2));
  std::string length = "CAST(json_array_length(" + call.arguments[0] + ") AS INTEGER)";
  if (NullIfInvalid(call, 1)) return "CASE WHEN json_valid(" + call.arguments[0] + ") THEN " + length + " END";
  return length;
}

// ---- hashes ----------------------------------------------------------------------------------

Result<std::string, DialectError> Sha2(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
  auto bits = IntegerLiteral(call.arguments[1]);
  if (bits && (*bits == 0 || *bits == 256)) return "sha256(" + call.arguments[0] + ")";
  return Fail(DialectError{"0A000", "SHA2 with " + std::string(TrimSql(call.arguments[1])) +
                                        " bits is not supported (Mallard computes SHA-256 only: 0 or 256)"});
}

// ---- aggregates and windows ---------------------------------------------------------------------

Result<std::string, DialectError> Listagg(const FunctionCall& call) {
  MALLARD_RETURN_IF_ERROR(Arity(call, 1, 2));
  // Without a delimiter Redshift joins with nothing (DuckDB's default is a comma).
  std::string delimiter = call.arguments.size() == 2 ? call.arguments[1] : "''";
  return "string_agg(" + call.arguments[0] + ", " + delimiter + ")";
}

const std::unordered_map<std::string, Handler>& Table() {
  static const std::unordered_map<std::string, Handler> table = [] {
    std::unordered_map<std::string, Handler> t;
    // Date and time.
    t["getdate"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 0, 0));
      return std::string("date_trunc('second', timezone('UTC', current_timestamp))");
    };
    t["dateadd"] = DateAdd;
    t["date_add"] = DateAdd;
    t["datediff"] = DateDiff;
    t["date_diff"] = DateDiff;
    t["date_trunc"] = DateTrunc;
    t["date_part"] = DatePart;
    t["pgdate_part"] = DatePart;
    t["convert_timezone"] = ConvertTimezone;
    t["add_months"] = MacroCall("add_months", 2, 2);
    t["months_between"] = MacroCall("months_between", 2, 2);
    t["last_day"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 1, 1));
      return "last_day(" + Timestamp(call.arguments[0]) + ")";
    };
    t["to_char"] = ToChar;
    t["to_date"] = [](const FunctionCall& call) { return ToDateOrTimestamp(call, false); };
    t["to_timestamp"] = [](const FunctionCall& call) { return ToDateOrTimestamp(call, true); };
    t["to_number"] = ToNumber;
    t["trunc"] = Trunc;
    // Conditionals.
    t["nvl"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      if (call.arguments.size() < 2) return Fail(UndefinedFunction(call.name, call.arguments));
      return Call("coalesce", call.arguments);
    };
    t["nvl2"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 3, 3));
      return "CASE WHEN (" + call.arguments[0] + ") IS NOT NULL THEN " + call.arguments[1] + " ELSE " + call.arguments[2] + " END";
    };
    t["decode"] = Decode;
    t["coalesce"] = Same(1, 100000);
    t["nullif"] = Same(2, 2);
    t["greatest"] = Same(1, 100000);
    t["least"] = Same(1, 100000);
    // Strings.
    t["len"] = Renamed("length", 1, 1);
    t["length"] = Same(1, 1);
    t["char_length"] = Renamed("length", 1, 1);
    t["character_length"] = Renamed("length", 1, 1);
    t["octet_length"] = Same(1, 1);
    t["charindex"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
      return "strpos(" + call.arguments[1] + ", " + call.arguments[0] + ")";
    };
    t["strpos"] = Same(2, 2);
    t["split_part"] = Same(3, 3);
    t["substring"] = Substring;
    t["substr"] = Substring;
    t["left"] = Same(2, 2);
    t["right"] = Same(2, 2);
    t["btrim"] = Renamed("trim", 1, 2);
    t["ltrim"] = Same(1, 2);
    t["rtrim"] = Same(1, 2);
    t["replace"] = Same(3, 3);
    t["translate"] = Same(3, 3);
    t["replicate"] = Renamed("repeat", 2, 2);
    t["repeat"] = Same(2, 2);
    t["initcap"] = MacroCall("initcap", 1, 1);
    t["lower"] = Same(1, 1);
    t["upper"] = Same(1, 1);
    t["concat"] = Concat;
    t["reverse"] = Same(1, 1);
    t["lpad"] = Same(2, 3);
    t["rpad"] = Same(2, 3);
    t["ascii"] = Same(1, 1);
    t["chr"] = Same(1, 1);
    t["quote_ident"] = MacroCall("quote_ident", 1, 1);
    t["quote_literal"] = MacroCall("quote_literal", 1, 1);
    t["regexp_count"] = RegexpCount;
    t["regexp_instr"] = RegexpInstr;
    t["regexp_replace"] = RegexpReplace;
    t["regexp_substr"] = RegexpSubstr;
    // JSON.
    t["json_extract_path_text"] = JsonExtractPathText;
    t["json_extract_array_element_text"] = JsonExtractArrayElementText;
    t["json_array_length"] = JsonArrayLength;
    t["is_valid_json"] = MacroCall("is_valid_json", 1, 1);
    t["is_valid_json_array"] = MacroCall("is_valid_json_array", 1, 1);
    t["json_parse"] = Renamed("json", 1, 1);
    t["json_serialize"] = MacroCall("json_serialize", 1, 1);
    // Hashes.
    t["md5"] = Same(1, 1);
    t["sha2"] = Sha2;
    t["func_sha1"] = Renamed("sha1", 1, 1);
    t["crc32"] = MacroCall("crc32", 1, 1);
    t["sha1"] = Same(1, 1);
    // Mathematics.
    t["random"] = Same(0, 0);
    t["round"] = Same(1, 2);
    t["ceil"] = Same(1, 1);
    t["ceiling"] = Same(1, 1);
    t["floor"] = Same(1, 1);
    t["mod"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 2, 2));
      return "((" + call.arguments[0] + ") % (" + call.arguments[1] + "))";
    };
    t["power"] = Renamed("pow", 2, 2);
    t["pow"] = Same(2, 2);
    t["sqrt"] = Same(1, 1);
    t["cbrt"] = Same(1, 1);
    t["log"] = Renamed("log10", 1, 1);
    t["ln"] = Same(1, 1);
    t["exp"] = Same(1, 1);
    t["abs"] = Same(1, 1);
    t["sign"] = Same(1, 1);
    t["pi"] = Same(0, 0);
    t["sin"] = Same(1, 1);
    t["cos"] = Same(1, 1);
    t["tan"] = Same(1, 1);
    t["atan"] = Same(1, 1);
    t["atan2"] = Same(2, 2);
    t["degrees"] = Same(1, 1);
    t["radians"] = Same(1, 1);
    // Aggregates.
    t["listagg"] = Listagg;
    t["median"] = Same(1, 1);
    t["count"] = Same(0, 1);
    t["sum"] = Same(1, 1);
    t["avg"] = Same(1, 1);
    t["min"] = Same(1, 1);
    t["max"] = Same(1, 1);
    t["stddev"] = Renamed("stddev_samp", 1, 1);
    t["stddev_samp"] = Same(1, 1);
    t["stddev_pop"] = Same(1, 1);
    t["variance"] = Renamed("var_samp", 1, 1);
    t["var_samp"] = Same(1, 1);
    t["var_pop"] = Same(1, 1);
    t["bool_and"] = Same(1, 1);
    t["bool_or"] = Same(1, 1);
    t["bit_and"] = Same(1, 1);
    t["bit_or"] = Same(1, 1);
    // Window functions (the OVER clause follows the call).
    t["row_number"] = Same(0, 0);
    t["rank"] = Same(0, 0);
    t["dense_rank"] = Same(0, 0);
    t["percent_rank"] = Same(0, 0);
    t["cume_dist"] = Same(0, 0);
    t["lag"] = Same(1, 3);
    t["lead"] = Same(1, 3);
    t["first_value"] = Same(1, 1);
    t["last_value"] = Same(1, 1);
    t["nth_value"] = Same(2, 2);
    t["ntile"] = Same(1, 1);
    // Session information.
    t["current_database"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 0, 0));
      return std::string("'dev'");
    };
    t["version"] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
      MALLARD_RETURN_IF_ERROR(Arity(call, 0, 0));
      return std::string(
          "'PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC gcc (GCC) 3.4.2 20041017 (Red Hat 3.4.2-6.fc3), "
          "Redshift 1.0.77467 (Mallard)'");
    };
    for (const auto& left_out : RedshiftLeftOutFunctions()) {
      t[std::string(left_out.name)] = [](const FunctionCall& call) -> Result<std::string, DialectError> {
        return Fail(UndefinedFunction(call.name, call.arguments));
      };
    }
    return t;
  }();
  return table;
}

}  // namespace

std::string RedshiftDatePart(std::string_view argument) {
  auto tokens = SignificantTokens(argument);
  if (tokens.size() != 1) return {};
  std::string word;
  if (tokens[0].Is(TokenKind::String)) {
    word = StringText(tokens[0]);
  } else if (tokens[0].Is(TokenKind::Word) || tokens[0].Is(TokenKind::QuotedIdentifier)) {
    word = IdentifierText(tokens[0]);
  } else {
    return {};
  }
  word = Lower(std::string(TrimSql(word)));
  static const std::unordered_map<std::string, std::string> kParts = [] {
    std::unordered_map<std::string, std::string> parts;
    auto add = [&](std::string canonical, std::initializer_list<const char*> names) {
      for (const char* name : names) parts[name] = canonical;
    };
    add("millennium", {"millennium", "millennia", "mil", "mils"});
    add("century", {"century", "centuries", "c", "cent", "cents"});
    add("decade", {"decade", "decades", "dec", "decs"});
    add("epoch", {"epoch"});
    add("year", {"year", "years", "y", "yr", "yrs"});
    add("quarter", {"quarter", "quarters", "qtr", "qtrs"});
    add("month", {"month", "months", "mon", "mons"});
    add("week", {"week", "weeks", "w"});
    add("dow", {"dayofweek", "dow", "dw", "weekday"});
    add("doy", {"dayofyear", "doy", "dy", "yearday"});
    add("day", {"day", "days", "d"});
    add("hour", {"hour", "hours", "h", "hr", "hrs"});
    add("minute", {"minute", "minutes", "m", "min", "mins"});
    add("second", {"second", "seconds", "s", "sec", "secs"});
    add("millisecond", {"millisecond", "milliseconds", "ms", "msec", "msecs", "msecond", "mseconds", "millisec",
                        "millisecs", "millisecon"});
    add("microsecond", {"microsecond", "microseconds", "microsec", "microsecs", "usecond", "useconds", "us", "usec",
                        "usecs"});
    add("timezone", {"timezone"});
    add("timezone_hour", {"timezone_hour"});
    add("timezone_minute", {"timezone_minute"});
    return parts;
  }();
  auto found = kParts.find(word);
  return found == kParts.end() ? std::string() : found->second;
}

DialectError UndefinedFunction(std::string_view name, const std::vector<std::string>& arguments) {
  std::string types;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (i > 0) types += ", ";
    types += TypeOfLiteral(arguments[i]);
  }
  return DialectError{"42883", "function " + std::string(name) + "(" + types + ") does not exist"};
}

const std::vector<LeftOutFunction>& RedshiftLeftOutFunctions() {
  static const std::vector<LeftOutFunction> left_out = {
      {"fnv_hash", "Redshift's FNV-1a 64-bit seed chaining is not reproducible with DuckDB's hash()"},
      {"checksum", "Redshift's internal checksum algorithm is not documented"},
      {"st_geomfromtext", "GEOMETRY is not supported"},
      {"st_astext", "GEOMETRY is not supported"},
      {"hll", "HLLSKETCH values are Redshift's own serialisation"},
      {"hll_create_sketch", "HLLSKETCH values are Redshift's own serialisation"},
      {"hll_cardinality", "HLLSKETCH values are Redshift's own serialisation"},
      {"has_table_privilege", "Mallard has no privileges to report"},
      {"has_schema_privilege", "Mallard has no privileges to report"},
      {"pg_last_copy_id", "no COPY identifiers are kept"},
      {"pg_last_query_id", "no query identifiers are kept in the session"},
  };
  return left_out;
}

Result<std::string, DialectError> TranslateRedshiftCall(const FunctionCall& call) {
  const auto& table = Table();
  auto found = table.find(call.name);
  if (found != table.end()) return found->second(call);
  // Not a Redshift function Mallard knows: the engine's own (DuckDB's) functions stay callable.
  return Call(call.name, call.arguments);
}

}  // namespace mallard::sqlengine::dialect

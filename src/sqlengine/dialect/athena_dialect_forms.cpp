// Athena's keyword forms and type names for the translator (athena_dialect.cpp): CAST/TRY_CAST,
// EXTRACT, typed literals, INTERVAL, UNNEST, TABLESAMPLE, position, try, constructors, time travel,
// information_schema, VALUES rows and CREATE TABLE column types.
#include "sqlengine/dialect/athena_dialect_forms.hpp"

#include <unordered_set>
#include <vector>

#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace {

using Form = Result<std::optional<FormResult>, DialectError>;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::string Position(const DialectRewriter& rewriter, std::size_t index) {
  SourcePosition position = rewriter.PositionOfToken(index);
  return "line " + std::to_string(position.line) + ":" + std::to_string(position.column) + ": ";
}

DialectError Error(std::string code, const DialectRewriter& rewriter, std::size_t index, std::string message) {
  return DialectError{std::move(code), Position(rewriter, index) + std::move(message)};
}

std::size_t OpenAfter(const DialectRewriter& rewriter, std::size_t index, std::size_t end) {
  return rewriter.OpenAfter(index, end);
}

Result<std::size_t, DialectError> CloseOf(const DialectRewriter& rewriter, std::size_t open, std::size_t end) {
  return rewriter.CloseOrError(open, end, "mismatched input '<EOF>'");
}


}  // namespace

// ---- types -----------------------------------------------------------------------------------

Result<std::string, DialectError> MapAthenaType(const TypeName& type) {
  const std::string& name = type.name;
  auto unknown = [&] {
    return DialectError{"TYPE_NOT_FOUND", "line " + std::to_string(type.line) + ":" + std::to_string(type.column) +
                                              ": Unknown type: " + name};
  };
  if (name == "array") {
    if (type.element_types.size() != 1) return Fail(unknown());
    return type.element_types[0] + "[]";
  }
  if (name == "map") {
    if (type.element_types.size() != 2) return Fail(unknown());
    return "MAP(" + type.element_types[0] + ", " + type.element_types[1] + ")";
  }
  if (name == "row" || name == "struct") {
    if (type.fields.empty()) return Fail(unknown());
    std::string text = "STRUCT(";
    for (std::size_t i = 0; i < type.fields.size(); ++i) {
      if (i != 0) text += ", ";
      std::string field = type.fields[i].first.empty() ? "field" + std::to_string(i) : DialectRewriter::Lower(type.fields[i].first);
      text += QuoteIdentifier(field) + " " + type.fields[i].second;
    }
    return text + ")";
  }
  if (!type.element_types.empty() || !type.fields.empty()) return Fail(unknown());
  static const std::unordered_map<std::string, std::string> kSimple = {
      {"boolean", "BOOLEAN"}, {"tinyint", "TINYINT"}, {"smallint", "SMALLINT"}, {"integer", "INTEGER"},
      {"int", "INTEGER"}, {"bigint", "BIGINT"}, {"real", "FLOAT"}, {"float", "FLOAT"}, {"double", "DOUBLE"},
      {"double precision", "DOUBLE"}, {"varchar", "VARCHAR"}, {"character varying", "VARCHAR"},
      {"string", "VARCHAR"}, {"char", "VARCHAR"}, {"character", "VARCHAR"}, {"varbinary", "BLOB"},
      {"binary", "BLOB"}, {"date", "DATE"}, {"time", "TIME"}, {"time with time zone", "TIMETZ"},
      {"timestamp", "TIMESTAMP"}, {"timestamp with time zone", "TIMESTAMPTZ"}, {"json", "JSON"}, {"uuid", "UUID"},
      {"ipaddress", "VARCHAR"}, {"interval day to second", "INTERVAL"}, {"interval year to month", "INTERVAL"}};
  if (name == "decimal" || name == "numeric") {
    if (type.parameters.size() > 2) return Fail(unknown());
    std::string precision = type.parameters.empty() ? "38" : type.parameters[0];
    std::string scale = type.parameters.size() == 2 ? type.parameters[1] : "0";
    return "DECIMAL(" + precision + ", " + scale + ")";
  }
  auto found = kSimple.find(name);
  if (found == kSimple.end()) return Fail(unknown());
  return found->second;
}

namespace {

// ---- keyword forms ---------------------------------------------------------------------------

// CAST(x AS type), TRY_CAST(x AS type).
Form CastForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth, const char* keyword) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  const auto& tokens = rewriter.Tokens();
  // The last top-level AS separates the value from the type.
  std::size_t as = rewriter.LastTopLevelKeyword(open + 1, close, "AS");
  if (as == kNone || rewriter.Next(open + 1, as) >= as) {
    return Fail(rewriter.SyntaxError(as == kNone ? close : as, "mismatched input. Expecting: <expression> AS <type>"));
  }
  MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(open + 1, as, depth + 1));
  // CAST(x AS varchar(n)) keeps the first n characters in Trino; DuckDB's VARCHAR has no length.
  std::string length;
  if (const std::size_t word = rewriter.Next(as + 1, close);
      word < close && (tokens[word].IsKeyword("VARCHAR") || tokens[word].IsKeyword("CHAR"))) {
    const std::size_t type_open = rewriter.Next(word + 1, close);
    const std::size_t number = type_open < close ? rewriter.Next(type_open + 1, close) : close;
    if (type_open < close && tokens[type_open].IsPunct('(') && number < close && tokens[number].Is(TokenKind::Number) &&
        tokens[word].IsKeyword("VARCHAR")) {
      length = std::string(tokens[number].text);
    }
  }
  std::size_t after_type = close;
  MALLARD_ASSIGN_OR_RETURN(std::string type, rewriter.RewriteType(as + 1, close, &after_type));
  if (std::size_t rest = rewriter.Next(after_type, close); rest < close) {
    return Fail(rewriter.SyntaxError(rest, "mismatched input '" + std::string(tokens[rest].text) + "'. Expecting: ')'"));
  }
  std::string text = std::string(keyword) + "(" + std::string(TrimSql(value)) + " AS " + type + ")";
  if (!length.empty()) text = "substr(" + text + ", 1, " + length + ")";
  return std::optional<FormResult>(FormResult{std::move(text), close + 1});
}

// EXTRACT(field FROM x): Trino's field names in DuckDB's spelling (day_of_week is ISO: Monday 1).
Form ExtractForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  const auto& tokens = rewriter.Tokens();
  const std::size_t field = rewriter.Next(open + 1, close);
  const std::size_t from = rewriter.Next(field + 1, close);
  if (field >= close || tokens[field].kind != TokenKind::Word || from >= close || !tokens[from].IsKeyword("FROM")) {
    return Fail(rewriter.SyntaxError(field, "mismatched input. Expecting: EXTRACT(<field> FROM <expression>)"));
  }
  static const std::unordered_map<std::string, std::string> kFields = {
      {"year", "year"},         {"quarter", "quarter"},   {"month", "month"},         {"week", "week"},
      {"day", "day"},           {"day_of_month", "day"},  {"day_of_week", "isodow"},  {"dow", "isodow"},
      {"day_of_year", "doy"},   {"doy", "doy"},           {"year_of_week", "isoyear"}, {"yow", "isoyear"},
      {"hour", "hour"},         {"minute", "minute"},     {"second", "second"},       {"timezone_hour", "timezone_hour"},
      {"timezone_minute", "timezone_minute"}};
  auto found = kFields.find(DialectRewriter::Lower(tokens[field].text));
  if (found == kFields.end()) {
    return Fail(Error("SYNTAX_ERROR", rewriter, field, "Invalid EXTRACT field: " + std::string(tokens[field].text)));
  }
  MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(from + 1, close, depth + 1));
  return std::optional<FormResult>(FormResult{"EXTRACT(" + found->second + " FROM " + std::string(TrimSql(value)) + ")", close + 1});
}

// A typed literal `word 'text'` (the word directly followed by a string), else kNone.
std::size_t LiteralAfter(const DialectRewriter& rewriter, std::size_t index, std::size_t end) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t previous = rewriter.Previous(index);
  if (previous != kNone && tokens[previous].IsPunct('.')) return kNone;
  const std::size_t literal = rewriter.Next(index + 1, end);
  if (literal >= end || tokens[literal].kind != TokenKind::String) return kNone;
  return literal;
}

bool HasTimeZone(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  for (char c : text.substr(colon)) {
    if (c == '+' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  }
  return false;
}

// Trino's DATE literal: [+-]YYYY-MM-DD with a real month and day (blanks around allowed).
bool ValidDateLiteral(std::string_view text) {
  text = TrimSql(text);
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  auto number = [](std::string_view digits, int& value) {
    if (digits.empty() || digits.size() > 9) return false;
    value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    return true;
  };
  const std::size_t first = text.find('-');
  const std::size_t second = first == std::string_view::npos ? first : text.find('-', first + 1);
  if (second == std::string_view::npos) return false;
  int year = 0;
  int month = 0;
  int day = 0;
  if (!number(text.substr(0, first), year) || !number(text.substr(first + 1, second - first - 1), month) ||
      !number(text.substr(second + 1), day)) {
    return false;
  }
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

Form TypedLiteralForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const std::size_t literal = LiteralAfter(rewriter, index, end);
  if (literal == kNone) return std::optional<FormResult>();
  const auto& tokens = rewriter.Tokens();
  if (tokens[literal].unterminated) return Fail(rewriter.SyntaxError(literal, "mismatched input '''. Unterminated string literal"));
  const std::string word = DialectRewriter::Lower(tokens[index].text);
  const std::string quoted(tokens[literal].text);
  const std::string text = StringText(tokens[literal]);
  std::string out;
  if (word == "x") {
    // X'0A0B' only when the quote follows at once, as in Trino.
    if (tokens[index].offset + 1 != tokens[literal].offset) return std::optional<FormResult>();
    out = "from_hex(" + quoted + ")";
  } else if (word == "date") {
    if (!ValidDateLiteral(text)) {
      return Fail(Error("INVALID_LITERAL", rewriter, index, "'" + text + "' is not a valid DATE literal"));
    }
    out = "DATE " + quoted;
  } else if (word == "time") {
    out = (HasTimeZone(text) ? "TIMETZ " : "TIME ") + quoted;
  } else if (word == "timestamp") {
    out = (HasTimeZone(text) ? "TIMESTAMPTZ " : "TIMESTAMP ") + quoted;
  } else if (word == "decimal") {
    // DECIMAL '12.34' is decimal(4, 2): as many digits as written.
    std::size_t digits = 0;
    std::size_t scale = 0;
    bool fraction = false;
    bool valid = !text.empty();
    std::string_view body = TrimSql(text);
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
    for (char c : body) {
      if (c >= '0' && c <= '9') {
        ++digits;
        if (fraction) ++scale;
      } else if (c == '.' && !fraction) {
        fraction = true;
      } else {
        valid = false;
      }
    }
    if (!valid || digits == 0) {
      return Fail(Error("INVALID_LITERAL", rewriter, index, "'" + text + "' is not a valid DECIMAL literal"));
    }
    if (digits > 38) {
      return Fail(Error("INVALID_LITERAL", rewriter, index, "DECIMAL literal '" + text + "' exceeds the maximum precision of 38"));
    }
    out = "CAST(" + quoted + " AS DECIMAL(" + std::to_string(digits) + ", " + std::to_string(scale) + "))";
  } else {
    static const std::unordered_map<std::string, std::string> kCasts = {
        {"real", "FLOAT"},       {"double", "DOUBLE"}, {"bigint", "BIGINT"},   {"integer", "INTEGER"},
        {"int", "INTEGER"},      {"smallint", "SMALLINT"}, {"tinyint", "TINYINT"}, {"varchar", "VARCHAR"},
        {"char", "VARCHAR"},     {"json", "JSON"},     {"uuid", "UUID"},       {"ipaddress", "VARCHAR"},
        {"boolean", "BOOLEAN"},  {"varbinary", "BLOB"}};
    auto found = kCasts.find(word);
    if (found == kCasts.end()) return std::optional<FormResult>();
    out = "CAST(" + quoted + " AS " + found->second + ")";
  }
  return std::optional<FormResult>(FormResult{std::move(out), literal + 1});
}

// INTERVAL '1' DAY (Trino: a string and one field; YEAR TO MONTH and DAY TO SECOND ranges).
Form IntervalForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const auto& tokens = rewriter.Tokens();
  std::size_t literal = rewriter.Next(index + 1, end);
  std::string sign;
  if (literal < end && (tokens[literal].IsOperator("-") || tokens[literal].IsOperator("+"))) {
    sign = std::string(tokens[literal].text);
    literal = rewriter.Next(literal + 1, end);
  }
  if (literal >= end || tokens[literal].kind != TokenKind::String) return std::optional<FormResult>();
  if (tokens[literal].unterminated) {
    return Fail(rewriter.SyntaxError(literal, "mismatched input '''. Unterminated string literal"));
  }
  const std::size_t field = rewriter.Next(literal + 1, end);
  static const std::unordered_set<std::string> kFields = {"year", "month", "day", "hour", "minute", "second"};
  if (field >= end || tokens[field].kind != TokenKind::Word || kFields.count(DialectRewriter::Lower(tokens[field].text)) == 0) {
    // DuckDB's INTERVAL '1 day 2 hours' (no field) stays as written.
    if (!sign.empty()) return Fail(rewriter.SyntaxError(field, "mismatched input. Expecting: YEAR, MONTH, DAY, HOUR, MINUTE, SECOND"));
    return std::optional<FormResult>(FormResult{"INTERVAL " + std::string(tokens[literal].text), literal + 1});
  }
  const std::size_t to = rewriter.Next(field + 1, end);
  if (to < end && tokens[to].IsKeyword("TO")) {
    // YEAR TO MONTH ('1-2') and DAY TO SECOND ('2 03:04:05.5'), the two interval types Trino has:
    // the literal, checked here, is spelled as DuckDB reads it by replace() (the string itself is
    // passed on unchanged).
    const std::size_t last_field = rewriter.Next(to + 1, end);
    const std::string from = DialectRewriter::Lower(tokens[field].text);
    const std::string until = last_field < end ? DialectRewriter::Lower(tokens[last_field].text) : "";
    const std::string text = StringText(tokens[literal]);
    auto digits = [](std::string_view part) {
      return !part.empty() && part.find_first_not_of("0123456789") == std::string_view::npos;
    };
    std::string out;
    if (from == "year" && until == "month") {
      const std::size_t dash = text.find('-');
      if (dash == std::string::npos || !digits(std::string_view(text).substr(0, dash)) ||
          !digits(std::string_view(text).substr(dash + 1))) {
        return Fail(Error("INVALID_LITERAL", rewriter, index, "'" + text + "' is not a valid INTERVAL YEAR TO MONTH literal"));
      }
      out = "CAST(replace(" + std::string(tokens[literal].text) + ", '-', ' years ') || ' months' AS INTERVAL)";
    } else if (from == "day" && until == "second") {
      const std::size_t blank = text.find(' ');
      std::string_view clock = blank == std::string::npos ? std::string_view() : std::string_view(text).substr(blank + 1);
      const std::size_t first_colon = clock.find(':');
      const std::size_t second_colon = first_colon == std::string_view::npos ? first_colon : clock.find(':', first_colon + 1);
      std::string_view seconds = second_colon == std::string_view::npos ? std::string_view() : clock.substr(second_colon + 1);
      const std::size_t point = seconds.find('.');
      const bool valid = blank != std::string::npos && digits(std::string_view(text).substr(0, blank)) &&
                         second_colon != std::string_view::npos && digits(clock.substr(0, first_colon)) &&
                         digits(clock.substr(first_colon + 1, second_colon - first_colon - 1)) &&
                         digits(seconds.substr(0, point)) &&
                         (point == std::string_view::npos || digits(seconds.substr(point + 1)));
      if (!valid) {
        return Fail(Error("INVALID_LITERAL", rewriter, index, "'" + text + "' is not a valid INTERVAL DAY TO SECOND literal"));
      }
      out = "CAST(replace(" + std::string(tokens[literal].text) + ", ' ', ' days ') AS INTERVAL)";
    } else {
      return Fail(Error("NOT_SUPPORTED", rewriter, index, "INTERVAL ... " + from + " TO " + until +
                                                              " is not supported by this endpoint (YEAR TO MONTH and "
                                                              "DAY TO SECOND are)"));
    }
    if (sign == "-") out = "(-" + out + ")";
    return std::optional<FormResult>(FormResult{std::move(out), last_field + 1});
  }
  std::string out = "INTERVAL " + std::string(tokens[literal].text) + " " + DialectRewriter::Lower(tokens[field].text);
  if (sign == "-") out = "(-" + out + ")";
  return std::optional<FormResult>(FormResult{std::move(out), field + 1});
}

// UNNEST(a [, b …]) [WITH ORDINALITY]: one array as DuckDB's UNNEST; several zipped side by side
// (shorter ones padded with NULL) as Trino zips them.
Form UnnestForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  MALLARD_ASSIGN_OR_RETURN(auto arguments, rewriter.CallArguments(open, close, depth + 1));
  if (arguments.empty()) return Fail(rewriter.SyntaxError(close, "mismatched input ')'. Expecting: <expression>"));
  const auto& tokens = rewriter.Tokens();
  std::size_t next = close + 1;
  bool ordinality = false;
  std::size_t with = rewriter.Next(next, end);
  if (with < end && tokens[with].IsKeyword("WITH")) {
    std::size_t word = rewriter.Next(with + 1, end);
    if (word < end && tokens[word].IsKeyword("ORDINALITY")) {
      ordinality = true;
      next = word + 1;
    }
  }
  // How many columns the alias names: `AS t(a, b)` or `t(a, b)`.
  std::size_t alias_columns = 0;
  {
    std::size_t alias = rewriter.Next(next, end);
    if (alias < end && tokens[alias].IsKeyword("AS")) alias = rewriter.Next(alias + 1, end);
    const std::size_t columns = alias < end ? rewriter.Next(alias + 1, end) : end;
    if (alias < end && (tokens[alias].kind == TokenKind::Word || tokens[alias].kind == TokenKind::QuotedIdentifier) &&
        columns < end && tokens[columns].IsPunct('(')) {
      alias_columns = rewriter.SplitTopLevel(columns + 1, rewriter.Close(columns, end)).size();
    }
  }
  if (arguments.size() == 1 && alias_columns > (ordinality ? 2u : 1u)) {
    // One array named with several columns: an array of rows, one column per field (Trino). DuckDB
    // spreads a struct's fields into columns with a recursive UNNEST in a select list.
    std::string text = "(SELECT UNNEST(" + arguments[0] + ", recursive := true))";
    if (ordinality) text = "(SELECT *, row_number() OVER () FROM " + text + ")";
    return std::optional<FormResult>(FormResult{std::move(text), next});
  }
  if (arguments.size() == 1) {
    return std::optional<FormResult>(FormResult{"UNNEST(" + arguments[0] + ")" + (ordinality ? " WITH ORDINALITY" : ""), next});
  }
  // Each array named once (a placeholder among them is bound once): the ordinal is the row's
  // number in the zipped, unreordered projection.
  std::string text = "(SELECT ";
  for (std::size_t i = 0; i < arguments.size(); ++i) text += (i ? ", " : "") + std::string("UNNEST(") + arguments[i] + ")";
  text += ")";
  if (ordinality) text = "(SELECT *, row_number() OVER () FROM " + text + ")";
  return std::optional<FormResult>(FormResult{std::move(text), next});
}

// TABLESAMPLE BERNOULLI (p) / SYSTEM (p): p percent of the rows.
Form TableSampleForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t method = rewriter.Next(index + 1, end);
  if (method >= end || !(tokens[method].IsKeyword("BERNOULLI") || tokens[method].IsKeyword("SYSTEM"))) {
    return Fail(rewriter.SyntaxError(method, "mismatched input. Expecting: BERNOULLI, SYSTEM"));
  }
  const std::size_t open = OpenAfter(rewriter, method, end);
  if (open == kNone) return Fail(rewriter.SyntaxError(method + 1, "mismatched input. Expecting: '('"));
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  MALLARD_ASSIGN_OR_RETURN(std::string percent, rewriter.RewriteRange(open + 1, close, depth + 1));
  return std::optional<FormResult>(FormResult{"TABLESAMPLE " + std::string(TrimSql(percent)) + "% (" +
                                                  DialectRewriter::Lower(tokens[method].text) + ")",
                                              close + 1});
}

// position(needle IN haystack).
Form PositionForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  const auto& tokens = rewriter.Tokens();
  std::size_t in = kNone;
  for (std::size_t i = open + 1; i < close; ++i) {
    if (tokens[i].IsPunct('(') || tokens[i].IsPunct('[')) {
      i = rewriter.Close(i, close);
      continue;
    }
    if (tokens[i].IsKeyword("IN")) {
      in = i;
      break;
    }
  }
  if (in == kNone) return std::optional<FormResult>();  // position(a, b): the function table's
  MALLARD_ASSIGN_OR_RETURN(std::string needle, rewriter.RewriteRange(open + 1, in, depth + 1));
  MALLARD_ASSIGN_OR_RETURN(std::string haystack, rewriter.RewriteRange(in + 1, close, depth + 1));
  return std::optional<FormResult>(
      FormResult{"strpos(" + std::string(TrimSql(haystack)) + ", " + std::string(TrimSql(needle)) + ")", close + 1});
}

// try(x): NULL instead of an error.
Form TryForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  MALLARD_ASSIGN_OR_RETURN(auto arguments, rewriter.CallArguments(open, close, depth + 1));
  if (arguments.size() != 1) {
    return Fail(Error("SYNTAX_ERROR", rewriter, index, "The 'try' function must have exactly one argument"));
  }
  return std::optional<FormResult>(FormResult{"TRY(" + arguments[0] + ")", close + 1});
}

// ARRAY[…] and ROW(…): constructors, not names or calls (and DuckDB's MAP {…}).
Form ArrayForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const std::size_t bracket = rewriter.Next(index + 1, end);
  if (bracket >= end) return std::optional<FormResult>();
  if (rewriter.Tokens()[index].IsKeyword("MAP")) {
    if (!rewriter.Tokens()[bracket].IsPunct('{')) return std::optional<FormResult>();
    return std::optional<FormResult>(FormResult{"MAP", index + 1});
  }
  if (!rewriter.Tokens()[bracket].IsPunct('[')) return std::optional<FormResult>();
  return std::optional<FormResult>(FormResult{"ARRAY", index + 1});
}

Form RowForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  const std::size_t previous = rewriter.Previous(index);
  if (previous != kNone && (rewriter.Tokens()[previous].IsPunct('.') || rewriter.Tokens()[previous].IsKeyword("AS"))) {
    return std::optional<FormResult>();
  }
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  MALLARD_ASSIGN_OR_RETURN(auto arguments, rewriter.CallArguments(open, close, depth + 1));
  std::string text = "ROW(";
  for (std::size_t i = 0; i < arguments.size(); ++i) text += (i ? ", " : "") + arguments[i];
  return std::optional<FormResult>(FormResult{text + ")", close + 1});
}

// `t AT (VERSION => n)` / `AT (TIMESTAMP => '…')`: the lake's time travel, passed as written.
Form AtForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  const auto& tokens = rewriter.Tokens();
  const std::size_t kind = rewriter.Next(open + 1, end);
  const std::size_t arrow = kind < end ? rewriter.Next(kind + 1, end) : end;
  if (kind >= end || !(tokens[kind].IsKeyword("VERSION") || tokens[kind].IsKeyword("TIMESTAMP")) || arrow >= end ||
      !tokens[arrow].IsOperator("=>")) {
    return std::optional<FormResult>();
  }
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  const std::size_t from = tokens[open].offset;
  const std::size_t to = tokens[close].offset + 1;
  return std::optional<FormResult>(FormResult{"AT " + std::string(rewriter.Sql().substr(from, to - from)), close + 1});
}

// listagg(x [, separator] [ON OVERFLOW ERROR]) WITHIN GROUP (ORDER BY …) → string_agg(x, separator
// ORDER BY …); the separator defaults to '' as in Trino.
Form ListaggForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return std::optional<FormResult>();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  // ON OVERFLOW ERROR is Trino's default; TRUNCATE has no engine equivalent.
  std::size_t arguments_end = close;
  for (std::size_t i = open + 1; i < close; ++i) {
    if (tokens[i].IsPunct('(') || tokens[i].IsPunct('[')) {
      i = rewriter.Close(i, close);
      continue;
    }
    if (!tokens[i].IsKeyword("ON")) continue;
    const std::size_t overflow = rewriter.Next(i + 1, close);
    const std::size_t behaviour = overflow < close ? rewriter.Next(overflow + 1, close) : close;
    if (overflow < close && tokens[overflow].IsKeyword("OVERFLOW")) {
      if (behaviour >= close || !tokens[behaviour].IsKeyword("ERROR") || rewriter.Next(behaviour + 1, close) < close) {
        return Fail(Error("NOT_SUPPORTED", rewriter, i, "listagg ... ON OVERFLOW TRUNCATE is not supported by this endpoint"));
      }
      arguments_end = i;
      break;
    }
  }
  std::vector<std::string> arguments;
  for (const auto& [begin, piece_end] : rewriter.SplitTopLevel(open + 1, arguments_end)) {
    if (rewriter.Next(begin, piece_end) >= piece_end) {
      return Fail(rewriter.SyntaxError(piece_end, "mismatched input. Expecting: <expression>"));
    }
    MALLARD_ASSIGN_OR_RETURN(std::string argument, rewriter.RewriteRange(begin, piece_end, depth + 1));
    arguments.emplace_back(TrimSql(argument));
  }
  if (arguments.empty() || arguments.size() > 2) {
    return Fail(Error("FUNCTION_NOT_FOUND", rewriter, index,
                      "Unexpected parameters for function listagg. Expected: listagg(x [, separator]) WITHIN GROUP (ORDER BY ...)"));
  }
  const std::size_t within = rewriter.Next(close + 1, end);
  const std::size_t group = within < end ? rewriter.Next(within + 1, end) : end;
  const std::size_t order_open = group < end ? rewriter.Next(group + 1, end) : end;
  if (within >= end || !tokens[within].IsKeyword("WITHIN") || group >= end || !tokens[group].IsKeyword("GROUP") ||
      order_open >= end || !tokens[order_open].IsPunct('(')) {
    return Fail(rewriter.SyntaxError(within, "mismatched input. Expecting: WITHIN GROUP (ORDER BY ...)"));
  }
  MALLARD_ASSIGN_OR_RETURN(std::size_t order_close, CloseOf(rewriter, order_open, end));
  MALLARD_ASSIGN_OR_RETURN(std::string order, rewriter.RewriteRange(order_open + 1, order_close, depth + 1));
  const std::string separator = arguments.size() == 2 ? arguments[1] : "''";
  return std::optional<FormResult>(FormResult{
      "string_agg(" + arguments[0] + ", " + separator + " " + std::string(TrimSql(order)) + ")", order_close + 1});
}

// Athena's (Iceberg's) time travel, `t FOR VERSION AS OF n` / `t FOR TIMESTAMP AS OF ts`, as the
// lake's `t AT (VERSION => n)` / `AT (TIMESTAMP => ts)`. The point is a number, a string, a typed
// literal or a parenthesized expression.
Form ForForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t kind = rewriter.Next(index + 1, end);
  const std::size_t as = kind < end ? rewriter.Next(kind + 1, end) : end;
  const std::size_t of = as < end ? rewriter.Next(as + 1, end) : end;
  if (kind >= end || !(tokens[kind].IsKeyword("VERSION") || tokens[kind].IsKeyword("TIMESTAMP")) || as >= end ||
      !tokens[as].IsKeyword("AS") || of >= end || !tokens[of].IsKeyword("OF")) {
    return std::optional<FormResult>();
  }
  std::size_t point = rewriter.Next(of + 1, end);
  if (point >= end) return Fail(rewriter.SyntaxError(point, "mismatched input '<EOF>'. Expecting: <expression>"));
  std::size_t last = point;
  if (tokens[point].IsPunct('(')) {
    MALLARD_ASSIGN_OR_RETURN(last, CloseOf(rewriter, point, end));
  } else if (tokens[point].kind == TokenKind::Word) {
    const std::size_t literal = rewriter.Next(point + 1, end);
    if (literal >= end || tokens[literal].kind != TokenKind::String) {
      return Fail(rewriter.SyntaxError(point, "mismatched input '" + std::string(tokens[point].text) +
                                                  "'. Expecting: a literal or a parenthesized expression"));
    }
    last = literal;
  } else if (tokens[point].kind != TokenKind::Number && tokens[point].kind != TokenKind::String &&
             tokens[point].kind != TokenKind::Parameter) {
    return Fail(rewriter.SyntaxError(point, "mismatched input '" + std::string(tokens[point].text) +
                                                "'. Expecting: a literal or a parenthesized expression"));
  }
  // A typed literal gives its string: the lake's time travel takes the point as text.
  const std::size_t from = tokens[point].kind == TokenKind::Word ? last : point;
  MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(from, last + 1, depth + 1));
  return std::optional<FormResult>(FormResult{
      "AT (" + std::string(tokens[kind].IsKeyword("VERSION") ? "VERSION" : "TIMESTAMP") + " => " +
          std::string(TrimSql(value)) + ")",
      last + 1});
}

// information_schema.{schemata,tables,columns,views} as Athena shows them: catalog
// `awsdatacatalog`, database `default` for the engine's default schema, Trino's column names and
// lower-case type names, only the engine's own database and none of Mallard's hidden schemas. An
// external table's view (comment 'mallard-external-table', services/athena) is a BASE TABLE, not a view.
Form InformationSchemaView(DialectRewriter& rewriter, std::size_t index, std::size_t end) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t dot = rewriter.Next(index + 1, end);
  const std::size_t name = dot < end ? rewriter.Next(dot + 1, end) : end;
  if (dot >= end || !tokens[dot].IsPunct('.') || name >= end ||
      (tokens[name].kind != TokenKind::Word && tokens[name].kind != TokenKind::QuotedIdentifier)) {
    return std::optional<FormResult>();
  }
  const std::string view = DialectRewriter::Lower(IdentifierText(tokens[name]));
  static constexpr std::string_view kSchema =
      "CASE WHEN table_schema = 'main' THEN 'default' ELSE lower(table_schema) END AS table_schema";
  static constexpr std::string_view kVisible =
      "table_catalog = current_database() AND table_schema NOT IN ('information_schema', 'pg_catalog') "
      "AND table_schema NOT LIKE '\\_mallard%' ESCAPE '\\'";
  std::string query;
  if (view == "schemata") {
    query = "SELECT 'awsdatacatalog' AS catalog_name, CASE WHEN schema_name = 'main' THEN 'default' ELSE "
            "lower(schema_name) END AS schema_name FROM information_schema.schemata WHERE catalog_name = "
            "current_database() AND schema_name NOT IN ('pg_catalog') AND schema_name NOT LIKE '\\_mallard%' ESCAPE '\\'";
  } else if (view == "tables") {
    query = "SELECT 'awsdatacatalog' AS table_catalog, " + std::string(kSchema) +
            ", lower(table_name) AS table_name, CASE WHEN table_type = 'VIEW' AND coalesce(TABLE_COMMENT, '') NOT LIKE "
            "'mallard-storage-table:%' AND coalesce(TABLE_COMMENT, '') <> 'mallard-external-table' THEN 'VIEW' "
            "ELSE 'BASE TABLE' END AS table_type FROM information_schema.tables "
            "WHERE " + std::string(kVisible);
  } else if (view == "columns") {
    query = "SELECT 'awsdatacatalog' AS table_catalog, " + std::string(kSchema) +
            ", lower(table_name) AS table_name, column_name, ordinal_position, column_default, is_nullable, "
            "CASE data_type WHEN 'FLOAT' THEN 'real' WHEN 'TIMESTAMP' THEN 'timestamp(3)' WHEN 'TIMESTAMP WITH TIME "
            "ZONE' THEN 'timestamp(3) with time zone' WHEN 'BLOB' THEN 'varbinary' ELSE lower(data_type) END AS "
            "data_type, COLUMN_COMMENT AS comment, CAST(NULL AS VARCHAR) AS extra_info FROM information_schema.columns "
            "WHERE " + std::string(kVisible);
  } else if (view == "views") {
    query = "SELECT 'awsdatacatalog' AS table_catalog, CASE WHEN schema_name = 'main' THEN 'default' ELSE "
            "lower(schema_name) END AS table_schema, lower(view_name) AS table_name, sql AS view_definition FROM "
            "duckdb_views() WHERE database_name = current_database() AND NOT internal AND coalesce(comment, '') NOT "
            "LIKE 'mallard-storage-table:%' AND coalesce(comment, '') <> 'mallard-external-table' AND schema_name NOT LIKE "
            "'\\_mallard%' ESCAPE '\\'";
  } else {
    return std::optional<FormResult>();
  }
  // Named as the view unless the user gives an alias.
  std::string text = "(" + query + ")";
  const std::size_t after = rewriter.Next(name + 1, end);
  static const std::unordered_set<std::string> kNotAlias = {"limit", "offset", "fetch", "window", "tablesample", "for", "at"};
  const bool aliased = after < end && (tokens[after].IsKeyword("AS") || tokens[after].kind == TokenKind::QuotedIdentifier ||
                                       (tokens[after].kind == TokenKind::Word && !rewriter.IsReserved(DialectRewriter::Lower(tokens[after].text)) &&
                                        kNotAlias.count(DialectRewriter::Lower(tokens[after].text)) == 0));
  if (!aliased) text += " AS " + view;
  return std::optional<FormResult>(FormResult{std::move(text), name + 1});
}

Form InformationSchemaForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const std::size_t previous = rewriter.Previous(index);
  if (previous != kNone && rewriter.Tokens()[previous].IsPunct('.')) return std::optional<FormResult>();
  return InformationSchemaView(rewriter, index, end);
}

// awsdatacatalog.information_schema.x: the same views.
Form CatalogForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t previous = rewriter.Previous(index);
  if (previous != kNone && tokens[previous].IsPunct('.')) return std::optional<FormResult>();
  const std::size_t dot = rewriter.Next(index + 1, end);
  const std::size_t schema = dot < end ? rewriter.Next(dot + 1, end) : end;
  if (dot >= end || !tokens[dot].IsPunct('.') || schema >= end ||
      DialectRewriter::Lower(IdentifierText(tokens[schema])) != "information_schema") {
    return std::optional<FormResult>();
  }
  return InformationSchemaView(rewriter, schema, end);
}

// CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name [(column type [NOT NULL] [COMMENT '…'], …)]
// [COMMENT '…'] [WITH (property = value, …)] [AS query]: column types translated; comments and
// table properties (Trino's connector options) have no engine equivalent and are dropped.
Form CreateTableForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  if (rewriter.Previous(index) != kNone) return std::optional<FormResult>();
  const auto& tokens = rewriter.Tokens();
  std::string text = "CREATE ";
  std::size_t i = rewriter.Next(index + 1, end);
  if (i < end && tokens[i].IsKeyword("OR")) {
    std::size_t replace = rewriter.Next(i + 1, end);
    if (replace >= end || !tokens[replace].IsKeyword("REPLACE")) return std::optional<FormResult>();
    text += "OR REPLACE ";
    i = rewriter.Next(replace + 1, end);
  }
  if (i >= end || !tokens[i].IsKeyword("TABLE")) return std::optional<FormResult>();
  text += "TABLE ";
  i = rewriter.Next(i + 1, end);
  if (i < end && tokens[i].IsKeyword("IF")) {
    std::size_t word = rewriter.Next(i + 1, end);
    std::size_t exists = word < end ? rewriter.Next(word + 1, end) : end;
    if (word < end && tokens[word].IsKeyword("NOT") && exists < end && tokens[exists].IsKeyword("EXISTS")) {
      text += "IF NOT EXISTS ";
      i = rewriter.Next(exists + 1, end);
    }
  }
  // The table name: parts and dots.
  const std::size_t name_begin = i;
  while (i < end && (tokens[i].kind == TokenKind::Word || tokens[i].kind == TokenKind::QuotedIdentifier ||
                     tokens[i].kind == TokenKind::BacktickIdentifier)) {
    std::size_t dot = rewriter.Next(i + 1, end);
    if (dot < end && tokens[dot].IsPunct('.')) {
      i = rewriter.Next(dot + 1, end);
      continue;
    }
    i = i + 1;
    break;
  }
  if (i == name_begin) return Fail(rewriter.SyntaxError(name_begin, "mismatched input. Expecting: <identifier>"));
  MALLARD_ASSIGN_OR_RETURN(std::string name, rewriter.RewriteRange(name_begin, i, depth + 1));
  text += name;
  std::size_t next = rewriter.Next(i, end);
  if (next < end && tokens[next].IsPunct('(')) {
    MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, next, end));
    auto pieces = rewriter.SplitTopLevel(next + 1, close);
    bool definitions = false;
    for (const auto& [begin, piece_end] : pieces) {
      std::size_t first = rewriter.Next(begin, piece_end);
      if (first < piece_end && rewriter.Next(first + 1, piece_end) < piece_end) definitions = true;
    }
    if (!definitions) {
      MALLARD_ASSIGN_OR_RETURN(std::string names, rewriter.RewriteRange(next, close + 1, depth + 1));
      text += " " + names;
    } else {
      text += " (";
      for (std::size_t k = 0; k < pieces.size(); ++k) {
        const auto [begin, piece_end] = pieces[k];
        if (k != 0) text += ", ";
        std::size_t column = rewriter.Next(begin, piece_end);
        if (column >= piece_end) return Fail(rewriter.SyntaxError(piece_end, "mismatched input. Expecting: <identifier>"));
        static const std::unordered_set<std::string> kConstraints = {"constraint", "primary", "unique", "check", "foreign"};
        if (tokens[column].kind == TokenKind::Word && kConstraints.count(DialectRewriter::Lower(tokens[column].text)) != 0) {
          MALLARD_ASSIGN_OR_RETURN(std::string constraint, rewriter.RewriteRange(begin, piece_end, depth + 1));
          text += std::string(TrimSql(constraint));
          continue;
        }
        if (tokens[column].kind != TokenKind::Word && tokens[column].kind != TokenKind::QuotedIdentifier &&
            tokens[column].kind != TokenKind::BacktickIdentifier) {
          return Fail(rewriter.SyntaxError(column, "mismatched input '" + std::string(tokens[column].text) + "'. Expecting: <identifier>"));
        }
        text += rewriter.EngineIdentifier(NamePart{IdentifierText(tokens[column]), tokens[column].kind != TokenKind::Word,
                                                   tokens[column].offset});
        std::size_t after_type = piece_end;
        MALLARD_ASSIGN_OR_RETURN(std::string type, rewriter.RewriteType(column + 1, piece_end, &after_type));
        text += " " + type;
        // Column options: NOT NULL stays, COMMENT '…' goes.
        std::size_t option = rewriter.Next(after_type, piece_end);
        std::size_t option_begin = after_type;
        while (option < piece_end) {
          if (tokens[option].IsKeyword("COMMENT")) {
            std::size_t comment = rewriter.Next(option + 1, piece_end);
            if (comment >= piece_end || tokens[comment].kind != TokenKind::String) {
              return Fail(rewriter.SyntaxError(comment, "mismatched input. Expecting: <string>"));
            }
            MALLARD_ASSIGN_OR_RETURN(std::string kept, rewriter.RewriteRange(option_begin, option, depth + 1));
            text += kept;
            option_begin = comment + 1;
            option = rewriter.Next(option_begin, piece_end);
            continue;
          }
          option = rewriter.Next(option + 1, piece_end);
        }
        MALLARD_ASSIGN_OR_RETURN(std::string rest, rewriter.RewriteRange(option_begin, piece_end, depth + 1));
        text += std::string(TrimSql(rest)).empty() ? "" : " " + std::string(TrimSql(rest));
      }
      text += ")";
    }
    next = rewriter.Next(close + 1, end);
  }
  // Table COMMENT and WITH (properties).
  while (next < end) {
    if (tokens[next].IsKeyword("COMMENT")) {
      std::size_t comment = rewriter.Next(next + 1, end);
      if (comment >= end || tokens[comment].kind != TokenKind::String) {
        return Fail(rewriter.SyntaxError(comment, "mismatched input. Expecting: <string>"));
      }
      next = rewriter.Next(comment + 1, end);
      continue;
    }
    if (tokens[next].IsKeyword("WITH")) {
      std::size_t open = rewriter.Next(next + 1, end);
      if (open < end && tokens[open].IsPunct('(')) {
        MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
        next = rewriter.Next(close + 1, end);
        continue;
      }
    }
    break;
  }
  // CTAS … WITH [NO] DATA (Trino's suffix): NO DATA keeps the columns and none of the rows.
  std::size_t query_end = end;
  bool no_data = false;
  if (next < end && tokens[next].IsKeyword("AS")) {
    std::size_t last = rewriter.Previous(end);
    if (last != kNone && last > next && tokens[last].IsPunct(';')) last = rewriter.Previous(last);
    if (last != kNone && last > next && tokens[last].IsKeyword("DATA")) {
      std::size_t before = rewriter.Previous(last);
      const bool with_no = before != kNone && tokens[before].IsKeyword("NO");
      if (with_no) before = rewriter.Previous(before);
      if (before != kNone && before > next && tokens[before].IsKeyword("WITH")) {
        no_data = with_no;
        query_end = before;
      }
    }
  }
  if (query_end != end) {
    const std::size_t query = rewriter.Next(next + 1, query_end);
    MALLARD_ASSIGN_OR_RETURN(std::string body, rewriter.RewriteRange(query, query_end, depth));
    std::string trimmed(TrimSql(body));
    text += no_data ? " AS SELECT * FROM (" + trimmed + ") LIMIT 0" : " AS " + trimmed;
    return std::optional<FormResult>(FormResult{std::move(text), end});
  }
  MALLARD_ASSIGN_OR_RETURN(std::string rest, rewriter.RewriteRange(next < end ? next : end, end, depth));
  if (!rest.empty()) text += " " + rest;
  return std::optional<FormResult>(FormResult{std::move(text), end});
}

// VALUES 1, 2, 3: Trino's rows need no parentheses; DuckDB's do.
Form ValuesForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  // The rows run to the end of the bracket or to a clause that follows them.
  static const std::unordered_set<std::string> kAfter = {"order", "limit", "offset", "fetch", "union",
                                                         "except", "intersect", "on", "returning"};
  std::size_t stop = index + 1;
  while (stop < end) {
    const Token& token = tokens[stop];
    if (token.IsPunct('(') || token.IsPunct('[')) {
      std::size_t close = rewriter.Close(stop, end);
      stop = close < end ? close + 1 : end;
      continue;
    }
    if (token.IsPunct(';') || (token.kind == TokenKind::Word && kAfter.count(DialectRewriter::Lower(token.text)) != 0)) break;
    ++stop;
  }
  std::string text = "VALUES ";
  bool first_row = true;
  for (const auto& [begin, row_end] : rewriter.SplitTopLevel(index + 1, stop)) {
    const std::size_t first = rewriter.Next(begin, row_end);
    if (first >= row_end) return Fail(rewriter.SyntaxError(row_end, "mismatched input. Expecting: <expression>"));
    MALLARD_ASSIGN_OR_RETURN(std::string row, rewriter.RewriteRange(begin, row_end, depth + 1));
    std::string_view trimmed = TrimSql(row);
    const bool bracketed = tokens[first].IsPunct('(') && rewriter.Close(first, row_end) == rewriter.Previous(row_end);
    text += (first_row ? "" : ", ") + (bracketed ? std::string(trimmed) : "(" + std::string(trimmed) + ")");
    first_row = false;
  }
  if (stop < end) text += " ";
  return std::optional<FormResult>(FormResult{std::move(text), stop});
}

}  // namespace

const std::unordered_map<std::string, KeywordForm>& AthenaForms() {
  static const std::unordered_map<std::string, KeywordForm> kForms = [] {
    std::unordered_map<std::string, KeywordForm> forms;
    forms["cast"] = [](DialectRewriter& r, std::size_t i, std::size_t e, int d) { return CastForm(r, i, e, d, "CAST"); };
    forms["try_cast"] = [](DialectRewriter& r, std::size_t i, std::size_t e, int d) { return CastForm(r, i, e, d, "TRY_CAST"); };
    forms["extract"] = ExtractForm;
    for (const char* word : {"x", "date", "time", "timestamp", "decimal", "real", "double", "bigint", "integer", "int",
                             "smallint", "tinyint", "varchar", "char", "json", "uuid", "ipaddress", "boolean", "varbinary"}) {
      forms[word] = TypedLiteralForm;
    }
    forms["interval"] = IntervalForm;
    forms["unnest"] = UnnestForm;
    forms["tablesample"] = TableSampleForm;
    forms["position"] = PositionForm;
    forms["try"] = TryForm;
    forms["array"] = ArrayForm;
    forms["map"] = ArrayForm;
    forms["row"] = RowForm;
    forms["at"] = AtForm;
    forms["create"] = CreateTableForm;
    forms["values"] = ValuesForm;
    forms["for"] = ForForm;
    forms["listagg"] = ListaggForm;
    forms["information_schema"] = InformationSchemaForm;
    forms["awsdatacatalog"] = CatalogForm;
    return forms;
  }();
  return kForms;
}


}  // namespace mallard::sqlengine::dialect

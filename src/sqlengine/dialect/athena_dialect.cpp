#include "sqlengine/dialect/athena_dialect.hpp"

#include <unordered_set>

#include "sqlengine/dialect/athena_dialect_forms.hpp"
#include "sqlengine/dialect/athena_functions.hpp"
#include "sqlengine/dialect/dialect_rewriter.hpp"
#include "sqlengine/dialect/engine_keywords.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace {

// Trino's reserved words (Athena engine version 3): only these need quoting as names.
const std::unordered_set<std::string>& TrinoReserved() {
  static const std::unordered_set<std::string> kWords = {
      "alter", "and", "as", "between", "by", "case", "cast", "constraint", "create", "cross", "cube",
      "current_catalog", "current_date", "current_path", "current_role", "current_schema", "current_time",
      "current_timestamp", "current_user", "deallocate", "delete", "describe", "distinct", "drop", "else", "end",
      "escape", "except", "execute", "exists", "extract", "false", "for", "from", "full", "group", "grouping",
      "having", "in", "inner", "insert", "intersect", "into", "is", "join", "json_array", "json_exists",
      "json_object", "json_query", "json_table", "json_value", "left", "like", "listagg", "localtime",
      "localtimestamp", "natural", "normalize", "not", "null", "on", "or", "order", "outer", "prepare",
      "recursive", "right", "rollup", "select", "skip", "table", "then", "trim", "true", "uescape", "union",
      "unnest", "using", "values", "when", "where", "with"};
  return kWords;
}

// Reserved words that are called like functions.
const std::unordered_set<std::string>& ReservedCallables() {
  static const std::unordered_set<std::string> kWords = {"normalize", "listagg",   "json_array", "json_exists",
                                                         "json_object", "json_query", "json_value", "trim",
                                                         "grouping"};
  return kWords;
}

const std::unordered_set<std::string>& StructuralParens() {
  static const std::unordered_set<std::string> kWords = {"over", "sets", "any", "some", "all", "lateral",
                                                         "key",  "check", "unique", "references", "within"};
  return kWords;
}

const std::unordered_set<std::string>& NeverAlias() {
  static const std::unordered_set<std::string> kWords = {
      "asc",    "desc",   "nulls",  "preceding", "following", "rows",   "range",  "groups",
      "only",   "ties",   "over",   "filter",    "within",    "respect", "ignore", "tablesample",
      "window", "exclude", "collate", "qualify"};
  return kWords;
}

// The statements Trino has (others are DuckDB's and pass through untouched).
bool TranslatedStatement(const std::string& lead) {
  static const std::unordered_set<std::string> kLeads = {"select", "with",  "values", "table",  "insert", "create",
                                                         "drop",   "alter", "delete", "update", "merge",  "explain"};
  return kLeads.count(lead) != 0;
}

bool DmlStatement(const std::string& lead) {
  static const std::unordered_set<std::string> kLeads = {"select", "with",   "values", "table",
                                                         "insert", "delete", "update", "merge", "explain"};
  return kLeads.count(lead) != 0;
}

}  // namespace

std::string AthenaErrorReason(const DialectError& error) {
  return error.code.empty() ? error.message : error.code + ": " + error.message;
}

namespace {

// "line L:C: " of the first name token of `sql` spelled `name` (case-insensitive, quotes undone),
// or "" when the user's text has none (the engine named something the translation made).
std::string PositionOfName(std::string_view sql, std::string_view name) {
  if (sql.empty() || name.empty()) return {};
  const std::string wanted = DialectRewriter::Lower(name);
  for (const auto& token : Tokenize(sql)) {
    if (token.kind != TokenKind::Word && token.kind != TokenKind::QuotedIdentifier) continue;
    if (DialectRewriter::Lower(IdentifierText(token)) != wanted) continue;
    const SourcePosition position = PositionOf(sql, token.offset);
    return "line " + std::to_string(position.line) + ":" + std::to_string(position.column) + ": ";
  }
  return {};
}

}  // namespace

std::string AthenaEngineErrorReason(std::string_view message, std::string_view database, std::string_view sql) {
  const std::size_t newline = message.find('\n');
  const std::string_view first = message.substr(0, newline);
  auto after = [&](std::string_view prefix) { return std::string(TrimSql(first.substr(prefix.size()))); };
  auto starts = [&](std::string_view prefix) { return first.substr(0, prefix.size()) == prefix; };
  constexpr std::string_view kTable = "Catalog Error: Table with name ";
  constexpr std::string_view kMissing = " does not exist!";
  if (starts(kTable) && first.size() > kTable.size() + kMissing.size() &&
      first.substr(first.size() - kMissing.size()) == kMissing) {
    const std::string_view name = first.substr(kTable.size(), first.size() - kTable.size() - kMissing.size());
    return "TABLE_NOT_FOUND: " + PositionOfName(sql, name) + "Table 'awsdatacatalog." + std::string(database) + "." +
           std::string(name) + "' does not exist";
  }
  constexpr std::string_view kColumn = "Binder Error: Referenced column \"";
  if (starts(kColumn)) {
    const std::size_t close = first.find('"', kColumn.size());
    if (close != std::string_view::npos && first.substr(close).rfind("\" not found", 0) == 0) {
      const std::string_view name = first.substr(kColumn.size(), close - kColumn.size());
      return "COLUMN_NOT_FOUND: " + PositionOfName(sql, name) + "Column '" + std::string(name) + "' cannot be resolved";
    }
  }
  // DuckDB's parser names the token it stopped at; Trino says where it is in the user's text.
  constexpr std::string_view kSyntax = "Parser Error: syntax error at or near \"";
  if (starts(kSyntax) && first.size() > kSyntax.size() && first.back() == '"') {
    const std::string_view near = first.substr(kSyntax.size(), first.size() - kSyntax.size() - 1);
    const std::string position = PositionOfName(sql, near);
    if (!position.empty()) return "SYNTAX_ERROR: " + position + "mismatched input '" + std::string(near) + "'";
  }
  if (first == "Parser Error: syntax error at end of input") {
    const SourcePosition position = PositionOf(sql, TrimSql(sql).size() + (TrimSql(sql).data() - sql.data()));
    return "SYNTAX_ERROR: line " + std::to_string(position.line) + ":" + std::to_string(position.column) +
           ": mismatched input '<EOF>'";
  }
  static constexpr std::pair<std::string_view, std::string_view> kClasses[] = {
      {"Parser Error: ", "SYNTAX_ERROR: "},
      {"Conversion Error: ", "INVALID_CAST_ARGUMENT: "},
      {"Out of Range Error: ", "NUMERIC_VALUE_OUT_OF_RANGE: "},
      {"Invalid Input Error: ", "INVALID_FUNCTION_ARGUMENT: "},
      {"Constraint Error: ", "CONSTRAINT_VIOLATION: "},
  };
  for (const auto& [duckdb_class, trino_name] : kClasses) {
    if (starts(duckdb_class)) return std::string(trino_name) + after(duckdb_class);
  }
  return std::string(message);
}

Result<std::string, DialectError> TranslateAthenaWith(std::string_view sql, const AthenaNames& names,
                                                      const AthenaFunctionTable& functions) {
  DialectRules rules;
  rules.dialect_reserved = &TrinoReserved();
  rules.engine_keywords = &DuckDbKeywords();
  rules.reserved_callables = &ReservedCallables();
  rules.structural_parens = &StructuralParens();
  rules.never_alias = &NeverAlias();
  rules.identifier_case = IdentifierCase::LowerAll;
  rules.engine_casts_as_written = true;  // DuckDB's x::type, which clients of this endpoint already use
  rules.shared_keyword_forms = &AthenaForms();
  rules.map_type = &MapAthenaType;
  rules.map_function = functions;
  // DuckDB's table functions (range, read_parquet, …) stay available in FROM, confined by the
  // engine's sandbox as before; Trino has no table functions of its own that users write there.
  rules.map_table_function = [](const FunctionCall& call) -> Result<std::string, DialectError> {
    std::string text = QuoteIdentifier(call.name) + "(";
    if (!call.name.empty() && call.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos) {
      text = call.name + "(";
    }
    for (std::size_t i = 0; i < call.arguments.size(); ++i) text += (i ? ", " : "") + call.arguments[i];
    return text + ")";
  };
  rules.map_name = [&names](QualifiedName& name) -> Result<Done, DialectError> {
    for (auto& part : name.parts) part.text = DialectRewriter::Lower(part.text);
    if (name.parts.size() >= 3 && name.parts[0].text == names.catalog) name.parts.erase(name.parts.begin());
    if (name.parts.size() >= 2) {
      if (auto schema = names.engine_schemas.find(name.parts[0].text); schema != names.engine_schemas.end()) {
        name.parts[0].text = schema->second;
        name.parts[0].quoted = false;
      }
    }
    return Done{};
  };
  rules.unnamed_column = [](std::size_t position) { return "_col" + std::to_string(position); };

  DialectRewriter rewriter(sql, rules);
  const auto& tokens = rewriter.Tokens();
  const std::size_t first = rewriter.Next(0, tokens.size());
  if (first >= tokens.size()) return std::string(sql);
  const bool bracketed = tokens[first].IsPunct('(');
  const std::string lead = tokens[first].kind == TokenKind::Word ? DialectRewriter::Lower(tokens[first].text) : "";
  if (!bracketed && !TranslatedStatement(lead)) return std::string(sql);
  if (bracketed || DmlStatement(lead)) {
    for (std::size_t i = first; i < tokens.size(); ++i) {
      if (tokens[i].kind == TokenKind::BacktickIdentifier) {
        return Fail(rewriter.SyntaxError(i, "backquoted identifiers are not supported; use double quotes to quote identifiers"));
      }
    }
  }
  MALLARD_ASSIGN_OR_RETURN(std::string translated, rewriter.Rewrite());
  if (lead == "values") {
    // A bare VALUES names its columns _col0, _col1, … as Trino does.
    std::size_t row = rewriter.Next(first + 1, tokens.size());
    std::size_t columns = 1;
    if (row < tokens.size() && tokens[row].IsPunct('(')) {
      columns = rewriter.SplitTopLevel(row + 1, rewriter.Close(row, tokens.size())).size();
    }
    std::string trimmed(TrimSql(translated));
    if (!trimmed.empty() && trimmed.back() == ';') trimmed.pop_back();
    std::string list;
    for (std::size_t i = 0; i < columns; ++i) list += (i ? ", " : "") + QuoteIdentifier("_col" + std::to_string(i));
    return "SELECT * FROM (" + trimmed + ") AS \"_values\"(" + list + ")";
  }
  return translated;
}

Result<std::string, DialectError> TranslateAthena(std::string_view sql, const AthenaNames& names) {
  return TranslateAthenaWith(sql, names, &TranslateAthenaCall);
}

}  // namespace mallard::sqlengine::dialect

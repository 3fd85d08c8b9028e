#include "sqlengine/dialect/redshift_dialect.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "sqlengine/dialect/dialect_rewriter.hpp"
#include "sqlengine/dialect/engine_keywords.hpp"
#include "sqlengine/dialect/redshift_ddl.hpp"
#include "sqlengine/dialect/redshift_dialect_internal.hpp"
#include "sqlengine/dialect/redshift_functions.hpp"
#include "sqlengine/dialect/redshift_select.hpp"

namespace mallard::sqlengine::dialect {

namespace {

using Form = Result<std::optional<FormResult>, DialectError>;
constexpr std::size_t kNone = static_cast<std::size_t>(-1);

Form Decline() { return std::optional<FormResult>(); }
Form Produce(std::string text, std::size_t next) { return std::optional<FormResult>(FormResult{std::move(text), next}); }

// Reserved words that are called like functions.
const std::unordered_set<std::string>& ReservedCallables() {
  static const std::unordered_set<std::string> kWords = {"left", "right", "isnull", "timestamp"};
  return kWords;
}

const std::unordered_set<std::string>& StructuralParens() {
  static const std::unordered_set<std::string> kWords = {"over",   "filter",  "within", "any",     "some",   "all",
                                                         "in",     "exists",  "key",    "check",   "unique", "references",
                                                         "rollup", "cube",    "sets",   "values",  "distkey", "sortkey",
                                                         "primary", "foreign", "using", "lateral"};
  return kWords;
}

const std::unordered_set<std::string>& NeverAlias() {
  static const std::unordered_set<std::string> kWords = {
      "asc",  "desc",   "nulls",  "preceding", "following", "rows",   "range",   "only",  "over",
      "filter", "within", "respect", "ignore",  "window",   "collate", "qualify", "escape"};
  return kWords;
}

std::string Lower(std::string_view text) { return DialectRewriter::Lower(text); }

DialectError SyntaxErrorAt(std::string_view sql, std::size_t offset, std::string_view /*detail*/) {
  // PostgreSQL names the token where parsing stopped.
  std::vector<Token> tokens = Tokenize(sql.substr(std::min(offset, sql.size())));
  std::string near;
  for (const auto& token : tokens) {
    if (token.IsTrivia()) continue;
    near = std::string(token.text.substr(0, 64));
    break;
  }
  if (near.empty()) return DialectError{"42601", "syntax error at end of input"};
  return DialectError{"42601", "syntax error at or near \"" + near + "\""};
}

// The engine schema for a Redshift schema name in a search path or a qualified name.
std::string EngineSchemaName(const std::string& schema) { return schema == "public" ? "main" : schema; }

std::string SearchPathText(const RedshiftSession& session) {
  std::string text;
  for (const auto& schema : session.search_path) text += (text.empty() ? "" : ", ") + schema;
  return text;
}

// The engine schemas of the search path, in order ($user and pg_catalog have no engine schema).
std::vector<std::string> EngineSearchPath(const RedshiftSession& session) {
  std::vector<std::string> schemas;
  for (const auto& schema : session.search_path) {
    if (schema == "$user" || schema == "pg_catalog" || schema.empty()) continue;
    schemas.push_back(EngineSchemaName(schema));
  }
  return schemas;
}

// The engine's search path set to the schemas of `schemas` that exist, in order: Redshift skips a
// schema of the path that does not exist, DuckDB's SET refuses it, and a SET cannot hold a query,
// so the existing ones go through a variable (the engine runs the two statements one by one).
std::string EngineSearchPathSql(const std::vector<std::string>& schemas) {
  if (schemas.empty()) return "SET search_path = 'main'";
  std::string rows;
  for (std::size_t i = 0; i < schemas.size(); ++i) {
    rows += (i ? ", (" : "(") + std::to_string(i) + ", " + QuoteString(schemas[i]) + ")";
  }
  return "SET VARIABLE mallard_redshift_search_path = (SELECT coalesce(string_agg(p.s, ',' ORDER BY p.i), 'main') "
         "FROM (VALUES " + rows + ") p(i, s) WHERE EXISTS (SELECT 1 FROM duckdb_schemas() d WHERE d.database_name = "
         "current_database() AND d.schema_name = p.s)); SET search_path = getvariable('mallard_redshift_search_path')";
}

std::string ListLiteral(const std::vector<std::string>& items) {
  std::string text = "[";
  for (std::size_t i = 0; i < items.size(); ++i) text += (i ? ", " : "") + QuoteString(items[i]);
  return text + "]::VARCHAR[]";
}

bool StatementStart(const DialectRewriter& rewriter, std::size_t index) {
  std::size_t previous = rewriter.Previous(index);
  return previous == kNone || rewriter.Tokens()[previous].IsPunct(';');
}

std::size_t OpenAfter(const DialectRewriter& rewriter, std::size_t index, std::size_t end) {
  return rewriter.OpenAfter(index, end);
}

Result<std::size_t, DialectError> CloseOf(const DialectRewriter& rewriter, std::size_t open, std::size_t end) {
  return rewriter.CloseOrError(open, end, "unbalanced parenthesis");
}

// ---- forms -----------------------------------------------------------------------------------

// CAST(x AS type).
Form CastForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  std::size_t as = rewriter.LastTopLevelKeyword(open + 1, close, "AS");
  if (as == kNone || rewriter.Next(open + 1, as) >= as) return Fail(rewriter.SyntaxError(as == kNone ? close : as, ""));
  MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(open + 1, as, depth + 1));
  MALLARD_ASSIGN_OR_RETURN(auto type, ParseRedshiftType(rewriter, as + 1, close));
  if (std::size_t rest = rewriter.Next(type.next, close); rest < close) return Fail(rewriter.SyntaxError(rest, ""));
  return Produce("CAST(" + std::string(TrimSql(value)) + " AS " + type.engine + ")", close + 1);
}

// CONVERT(type, x).
Form ConvertForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  auto pieces = rewriter.SplitTopLevel(open + 1, close);
  if (pieces.size() != 2) return Decline();
  MALLARD_ASSIGN_OR_RETURN(auto type, ParseRedshiftType(rewriter, pieces[0].first, pieces[0].second));
  MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(pieces[1].first, pieces[1].second, depth + 1));
  return Produce("CAST(" + std::string(TrimSql(value)) + " AS " + type.engine + ")", close + 1);
}

// A type name after `::`.
Form ColonCastTypeForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  std::size_t previous = rewriter.Previous(index);
  if (previous == kNone || !rewriter.Tokens()[previous].IsOperator("::")) return Decline();
  MALLARD_ASSIGN_OR_RETURN(auto type, ParseRedshiftType(rewriter, index, end));
  return Produce(type.engine, type.next);
}

// APPROXIMATE COUNT(DISTINCT x) and APPROXIMATE PERCENTILE_DISC(p) WITHIN GROUP (ORDER BY x).
Form ApproximateForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t function = rewriter.Next(index + 1, end);
  if (function >= end) return Decline();
  std::size_t open = OpenAfter(rewriter, function, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  if (tokens[function].IsKeyword("COUNT")) {
    std::size_t distinct = rewriter.Next(open + 1, close);
    if (distinct >= close || !tokens[distinct].IsKeyword("DISTINCT")) return Fail(rewriter.SyntaxError(distinct, ""));
    MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(distinct + 1, close, depth + 1));
    return Produce("approx_count_distinct(" + std::string(TrimSql(value)) + ")", close + 1);
  }
  if (tokens[function].IsKeyword("PERCENTILE_DISC")) {
    MALLARD_ASSIGN_OR_RETURN(std::string fraction, rewriter.RewriteRange(open + 1, close, depth + 1));
    std::size_t within = rewriter.Next(close + 1, end);
    std::size_t group = within < end ? rewriter.Next(within + 1, end) : end;
    std::size_t group_open = group < end ? OpenAfter(rewriter, group, end) : kNone;
    if (within >= end || !tokens[within].IsKeyword("WITHIN") || group_open == kNone) return Fail(rewriter.SyntaxError(within, ""));
    MALLARD_ASSIGN_OR_RETURN(std::size_t group_close, CloseOf(rewriter, group_open, end));
    std::size_t order = rewriter.Next(group_open + 1, group_close);
    std::size_t by = order < group_close ? rewriter.Next(order + 1, group_close) : group_close;
    if (order >= group_close || !tokens[order].IsKeyword("ORDER") || by >= group_close) return Fail(rewriter.SyntaxError(order, ""));
    MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(by + 1, group_close, depth + 1));
    return Produce("approx_quantile(" + std::string(TrimSql(value)) + ", " + std::string(TrimSql(fraction)) + ")", group_close + 1);
  }
  return Decline();
}

// LISTAGG([DISTINCT] x [, delimiter]) [WITHIN GROUP (ORDER BY …)]: DuckDB's string_agg with the
// order inside the call.
Form ListaggForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  MALLARD_ASSIGN_OR_RETURN(auto arguments, rewriter.CallArguments(open, close, depth + 1));
  if (arguments.empty() || arguments.size() > 2) return Fail(UndefinedFunction("listagg", arguments));
  std::string delimiter = arguments.size() == 2 ? arguments[1] : "''";
  std::string order;
  std::size_t next = close + 1;
  std::size_t within = rewriter.Next(close + 1, end);
  if (within < end && tokens[within].IsKeyword("WITHIN")) {
    std::size_t group = rewriter.Next(within + 1, end);
    std::size_t group_open = group < end ? OpenAfter(rewriter, group, end) : kNone;
    if (group >= end || !tokens[group].IsKeyword("GROUP") || group_open == kNone) return Fail(rewriter.SyntaxError(group, ""));
    MALLARD_ASSIGN_OR_RETURN(std::size_t group_close, CloseOf(rewriter, group_open, end));
    MALLARD_ASSIGN_OR_RETURN(std::string inner, rewriter.RewriteRange(group_open + 1, group_close, depth + 1));
    order = " " + std::string(TrimSql(inner));
    next = group_close + 1;
  }
  return Produce("string_agg(" + arguments[0] + ", " + delimiter + order + ")", next);
}

// RATIO_TO_REPORT(x) OVER (PARTITION BY …): x over the sum of its partition.
Form RatioToReportForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  MALLARD_ASSIGN_OR_RETURN(auto arguments, rewriter.CallArguments(open, close, depth + 1));
  if (arguments.size() != 1) return Fail(UndefinedFunction("ratio_to_report", arguments));
  std::size_t over = rewriter.Next(close + 1, end);
  std::size_t window_open = over < end ? OpenAfter(rewriter, over, end) : kNone;
  if (over >= end || !tokens[over].IsKeyword("OVER") || window_open == kNone) {
    return Fail(DialectError{"42601", "RATIO_TO_REPORT requires an OVER clause"});
  }
  MALLARD_ASSIGN_OR_RETURN(std::size_t window_close, CloseOf(rewriter, window_open, end));
  MALLARD_ASSIGN_OR_RETURN(std::string window, rewriter.RewriteRange(window_open + 1, window_close, depth + 1));
  return Produce("(CAST(" + arguments[0] + " AS DOUBLE) / sum(" + arguments[0] + ") OVER (" + window + "))", window_close + 1);
}

// EXTRACT(part FROM x): Redshift's part names; milliseconds and microseconds count only their own
// field ("EXTRACT returns integers for the specified date part only").
Form ExtractForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  std::size_t part_token = rewriter.Next(open + 1, close);
  std::size_t from = part_token < close ? rewriter.Next(part_token + 1, close) : close;
  if (from >= close || !tokens[from].IsKeyword("FROM")) return Fail(rewriter.SyntaxError(from, ""));
  std::string part = RedshiftDatePart(tokens[part_token].text);
  if (part.empty()) return Fail(DialectError{"22023", "timestamp units \"" + std::string(tokens[part_token].text) + "\" not recognized"});
  MALLARD_ASSIGN_OR_RETURN(std::string value, rewriter.RewriteRange(from + 1, close, depth + 1));
  std::string v = std::string(TrimSql(value));
  std::string text;
  if (part == "millisecond") text = "(extract(millisecond FROM " + v + ") % 1000)";
  else if (part == "microsecond") text = "(extract(microsecond FROM " + v + ") % 1000)";
  else text = "extract(" + part + " FROM " + v + ")";
  return Produce(text, close + 1);
}

// SUBSTRING(s FROM start [FOR length]) as the function form (PostgreSQL's start rules).
Form SubstringForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
  const auto& tokens = rewriter.Tokens();
  std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  std::size_t from = kNone;
  std::size_t for_word = kNone;
  for (std::size_t i = open + 1; i < close; ++i) {
    if (tokens[i].IsPunct('(') || tokens[i].IsPunct('[')) {
      i = rewriter.Close(i, close);
      continue;
    }
    if (tokens[i].IsKeyword("FROM") && from == kNone) from = i;
    if (tokens[i].IsKeyword("FOR") && from != kNone) for_word = i;
  }
  if (from == kNone) return Decline();
  MALLARD_ASSIGN_OR_RETURN(std::string text, rewriter.RewriteRange(open + 1, from, depth + 1));
  MALLARD_ASSIGN_OR_RETURN(std::string start, rewriter.RewriteRange(from + 1, for_word == kNone ? close : for_word, depth + 1));
  std::vector<std::string> arguments = {std::string(TrimSql(text)), std::string(TrimSql(start))};
  if (for_word != kNone) {
    MALLARD_ASSIGN_OR_RETURN(std::string length, rewriter.RewriteRange(for_word + 1, close, depth + 1));
    arguments.emplace_back(TrimSql(length));
  }
  MALLARD_ASSIGN_OR_RETURN(std::string call, TranslateRedshiftCall(FunctionCall{"substring", arguments, 1, 1}));
  return Produce(call, close + 1);
}

// INTERVAL '1' DAY [TO SECOND]: the field words stay keywords (the rewriter would quote `day`).
Form IntervalForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const auto& tokens = rewriter.Tokens();
  std::size_t literal = rewriter.Next(index + 1, end);
  if (literal >= end || !tokens[literal].Is(TokenKind::String)) return Decline();
  std::string text = "INTERVAL " + std::string(tokens[literal].text);
  std::size_t next = literal + 1;
  static const std::unordered_set<std::string> kFields = {"year", "month", "day", "hour", "minute", "second"};
  std::size_t field = rewriter.Next(next, end);
  if (field < end && tokens[field].kind == TokenKind::Word && kFields.count(Lower(tokens[field].text)) != 0) {
    text += " " + Lower(tokens[field].text);
    next = field + 1;
    std::size_t to = rewriter.Next(next, end);
    std::size_t last = to < end ? rewriter.Next(to + 1, end) : end;
    if (to < end && tokens[to].IsKeyword("TO") && last < end && tokens[last].kind == TokenKind::Word &&
        kFields.count(Lower(tokens[last].text)) != 0) {
      // DuckDB reads the leading field only; the literal carries the rest ('1 02:00:00').
      next = last + 1;
    }
  }
  return Produce(text, next);
}

// `t AT (VERSION => n)` / `AT (TIMESTAMP => …)`: the lake's time travel, which the engine's own
// statement rewriter reads; copied as written.
Form TimeTravelForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const auto& tokens = rewriter.Tokens();
  const std::size_t open = OpenAfter(rewriter, index, end);
  if (open == kNone) return Decline();
  const std::size_t kind = rewriter.Next(open + 1, end);
  const std::size_t arrow = kind < end ? rewriter.Next(kind + 1, end) : end;
  if (kind >= end || !(tokens[kind].IsKeyword("VERSION") || tokens[kind].IsKeyword("TIMESTAMP")) || arrow >= end ||
      !tokens[arrow].IsOperator("=>")) {
    return Decline();
  }
  MALLARD_ASSIGN_OR_RETURN(std::size_t close, CloseOf(rewriter, open, end));
  const std::size_t from = tokens[open].offset;
  return Produce("AT " + std::string(rewriter.Sql().substr(from, tokens[close].offset + 1 - from)), close + 1);
}

// INSERT INTO [dev.][schema.]table (columns): the table's name mapped as any name (the shared
// rewriter would read `t (a, b)` after a dotted name as a call).
Form InsertIntoForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, int /*depth*/) {
  const auto& tokens = rewriter.Tokens();
  std::size_t previous = rewriter.Previous(index);
  if (previous == kNone || !tokens[previous].IsKeyword("INSERT")) return Decline();
  std::vector<const Token*> parts;
  std::size_t i = rewriter.Next(index + 1, end);
  while (i < end && (tokens[i].kind == TokenKind::Word || tokens[i].kind == TokenKind::QuotedIdentifier)) {
    if (tokens[i].unterminated) return Fail(rewriter.SyntaxError(i, ""));
    parts.push_back(&tokens[i]);
    std::size_t dot = rewriter.Next(i + 1, end);
    if (dot < end && tokens[dot].IsPunct('.')) {
      i = rewriter.Next(dot + 1, end);
      continue;
    }
    i = dot;
    break;
  }
  if (parts.empty() || parts.size() > 3 || i >= end || !tokens[i].IsPunct('(')) return Decline();
  QualifiedName name;
  for (const Token* part : parts) name.parts.push_back(NamePart{IdentifierText(*part), part->kind != TokenKind::Word, part->offset});
  MALLARD_RETURN_IF_ERROR(rewriter.Rules().map_name(name));
  std::string text = "INTO ";
  for (std::size_t k = 0; k < name.parts.size(); ++k) text += (k ? "." : "") + rewriter.EngineIdentifier(name.parts[k]);
  return Produce(text + " ", i);
}

// System relations in FROM position: the hidden catalog's table macros.
Form SystemRelationForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, const RedshiftSession& session) {
  const auto& tokens = rewriter.Tokens();
  std::size_t previous = rewriter.Previous(index);
  if (previous == kNone) return Decline();
  const Token& before = tokens[previous];
  if (!(before.IsKeyword("FROM") || before.IsKeyword("JOIN") || before.IsPunct(','))) return Decline();
  std::string schema;
  std::size_t name = index;
  std::size_t dot = rewriter.Next(index + 1, end);
  if (dot < end && tokens[dot].IsPunct('.')) {
    schema = Lower(tokens[index].text);
    name = rewriter.Next(dot + 1, end);
    if (name >= end || tokens[name].kind != TokenKind::Word) return Decline();
  }
  std::string relation = Lower(tokens[name].text);
  static const std::unordered_set<std::string> kCatalog = {"svv_tables", "svv_columns", "svv_table_info", "pg_table_def",
                                                           "svv_external_schemas", "pg_namespace", "stv_sessions",
                                                           "stv_recents", "stl_query"};
  std::string macro;
  if (schema == "information_schema") {
    if (relation != "tables" && relation != "columns" && relation != "schemata") return Decline();
    macro = "information_schema_" + relation;
  } else if (schema.empty() || schema == "pg_catalog") {
    if (kCatalog.count(relation) == 0) return Decline();
    macro = relation;
  } else {
    return Decline();
  }
  std::string arguments;
  if (macro == "pg_table_def") arguments = ListLiteral(EngineSearchPath(session));
  if (macro == "stv_sessions" || macro == "stv_recents" || macro == "stl_query") {
    arguments = QuoteString(session.user) + ", " + std::to_string(session.process_id);
  }
  std::string text = std::string(kRedshiftCatalog) + ".main." + macro + "(" + arguments + ")";
  // Keep the relation's name as its alias unless the query gives one.
  std::size_t after = rewriter.Next(name + 1, end);
  bool aliased = after < end && (tokens[after].IsKeyword("AS") ||
                                 (tokens[after].kind == TokenKind::Word && !RedshiftReserved().count(Lower(tokens[after].text))) ||
                                 tokens[after].kind == TokenKind::QuotedIdentifier);
  if (!aliased) text += " AS " + relation;
  return Produce(text, name + 1);
}

// The session parameters Redshift's SET and RESET take (besides search_path); any other name is
// "unrecognized", as Redshift answers — DuckDB's own settings never reach the engine from here.
bool IsSessionParameter(const std::string& parameter) {
  static const std::unordered_set<std::string> kSessionParameters = {
      "datestyle", "timezone", "query_group", "statement_timeout", "enable_result_cache_for_session",
      "analyze_threshold_percent", "wlm_query_slot_count", "extra_float_digits", "application_name",
      "describe_field_name_in_uppercase", "enable_case_sensitive_identifier", "client_encoding",
      "enable_case_sensitive_super_attribute", "json_parse_truncate_strings", "max_concurrency_scaling_clusters",
      "mv_enable_aqmv_for_session", "navigate_super_null_on_error", "parse_super_null_on_error",
      "spectrum_query_maxerror", "cast_super_null_on_error", "downcase_delimited_identifier", "seg_stats_threshold"};
  return kSessionParameters.count(parameter) != 0;
}

// SET search_path TO a, b | SET name TO value (session parameters Redshift clients set).
Form SetForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, RedshiftSession& session) {
  if (!StatementStart(rewriter, index)) return Decline();
  const auto& tokens = rewriter.Tokens();
  std::size_t name = rewriter.Next(index + 1, end);
  if (name < end && (tokens[name].IsKeyword("SESSION") || tokens[name].IsKeyword("LOCAL"))) name = rewriter.Next(name + 1, end);
  if (name >= end || tokens[name].kind != TokenKind::Word) return Decline();
  std::string parameter = Lower(tokens[name].text);
  std::size_t statement_end = rewriter.StatementEnd(name, end);
  if (parameter == "time") {  // SET TIME ZONE 'UTC'
    return Produce("SET VARIABLE mallard_redshift_setting = 'timezone'", statement_end);
  }
  std::size_t to = rewriter.Next(name + 1, statement_end);
  if (to >= statement_end || !(tokens[to].IsKeyword("TO") || tokens[to].IsOperator("="))) {
    return Fail(rewriter.SyntaxError(to, ""));
  }
  if (parameter == "search_path") {
    std::vector<std::string> path;
    for (const auto& [begin, piece_end] : rewriter.SplitTopLevel(to + 1, statement_end)) {
      std::size_t value = rewriter.Next(begin, piece_end);
      if (value >= piece_end) return Fail(rewriter.SyntaxError(value, ""));
      const Token& token = tokens[value];
      if (token.kind == TokenKind::String) {
        path.push_back(StringText(token));
      } else if (token.kind == TokenKind::QuotedIdentifier) {
        path.push_back(IdentifierText(token));
      } else if (token.kind == TokenKind::Word) {
        path.push_back(Lower(token.text));
      } else {
        // A parameter too: SET binds none, and taking ":name" as a schema would drop its value.
        return Fail(rewriter.SyntaxError(value, ""));
      }
      // One name per element: `SET search_path TO a b` or `a:x` is a syntax error, not `a`.
      if (std::size_t rest = rewriter.Next(value + 1, piece_end); rest < piece_end) return Fail(rewriter.SyntaxError(rest, ""));
    }
    if (path.size() == 1 && path[0] == "default") path = RedshiftSession{}.search_path;
    session.search_path = path;
    return Produce(EngineSearchPathSql(EngineSearchPath(session)), statement_end);
  }
  if (!IsSessionParameter(parameter)) {
    return Fail(DialectError{"42704", "unrecognized configuration parameter \"" + parameter + "\""});
  }
  for (const auto& [begin, piece_end] : rewriter.SplitTopLevel(to + 1, statement_end)) {
    std::size_t value = rewriter.Next(begin, piece_end);
    if (value >= piece_end) return Fail(rewriter.SyntaxError(value, ""));
    const Token& token = tokens[value];
    bool simple = token.kind == TokenKind::Word || token.kind == TokenKind::String || token.kind == TokenKind::Number;
    if (!simple || token.unterminated) return Fail(rewriter.SyntaxError(value, ""));
    if (std::size_t rest = rewriter.Next(value + 1, piece_end); rest < piece_end) return Fail(rewriter.SyntaxError(rest, ""));
  }
  // Accepted; the engine keeps no such setting (each statement of the Data API is its own session).
  return Produce("SET VARIABLE mallard_redshift_setting = " + QuoteString(parameter), statement_end);
}

std::string ShowValue(const std::string& parameter, const RedshiftSession& session) {
  if (parameter == "search_path") return SearchPathText(session);
  static const std::unordered_map<std::string, std::string> kDefaults = {
      {"datestyle", "ISO, MDY"}, {"timezone", "UTC"}, {"query_group", "unset"}, {"statement_timeout", "0"},
      {"enable_result_cache_for_session", "on"}, {"extra_float_digits", "0"}, {"client_encoding", "UNICODE"},
      {"server_version", "8.0.2"}, {"standard_conforming_strings", "on"}, {"max_concurrency_scaling_clusters", "1"},
      {"describe_field_name_in_uppercase", "off"}, {"enable_case_sensitive_identifier", "off"},
      {"analyze_threshold_percent", "10"}, {"wlm_query_slot_count", "1"}};
  auto found = kDefaults.find(parameter);
  return found == kDefaults.end() ? std::string() : found->second;
}

// SHOW search_path | SHOW <parameter> | SHOW TABLES FROM SCHEMA db.s | SHOW COLUMNS FROM TABLE db.s.t
// | SHOW SCHEMAS FROM DATABASE db | SHOW DATABASES.
Form ShowForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, RedshiftSession& session) {
  if (!StatementStart(rewriter, index)) return Decline();
  const auto& tokens = rewriter.Tokens();
  std::size_t what = rewriter.Next(index + 1, end);
  if (what >= end || tokens[what].kind != TokenKind::Word) return Fail(rewriter.SyntaxError(what, ""));
  std::string word = Lower(tokens[what].text);
  std::size_t statement_end = rewriter.StatementEnd(what, end);
  // The dotted name after FROM <kind>, as Redshift names its parts, and an optional LIKE pattern.
  std::string like;
  auto target = [&](std::string_view kind) -> Result<std::vector<std::string>, DialectError> {
    std::size_t from = rewriter.Next(what + 1, statement_end);
    std::size_t keyword = from < statement_end ? rewriter.Next(from + 1, statement_end) : statement_end;
    if (from >= statement_end || !tokens[from].IsKeyword("FROM") || keyword >= statement_end ||
        Lower(tokens[keyword].text) != kind) {
      return Fail(rewriter.SyntaxError(from, ""));
    }
    std::vector<std::string> parts;
    for (std::size_t i = rewriter.Next(keyword + 1, statement_end); i < statement_end; i = rewriter.Next(i + 1, statement_end)) {
      if (tokens[i].IsPunct('.')) continue;
      if (tokens[i].IsKeyword("LIKE")) {  // LIKE 'pattern' filters the names listed
        std::size_t pattern = rewriter.Next(i + 1, statement_end);
        if (pattern >= statement_end || !tokens[pattern].Is(TokenKind::String) || tokens[pattern].unterminated) {
          return Fail(rewriter.SyntaxError(pattern, ""));
        }
        if (std::size_t rest = rewriter.Next(pattern + 1, statement_end); rest < statement_end) {
          return Fail(rewriter.SyntaxError(rest, ""));
        }
        like = std::string(tokens[pattern].text);
        break;
      }
      if (tokens[i].kind == TokenKind::Word) parts.push_back(Lower(tokens[i].text));
      else if (tokens[i].kind == TokenKind::QuotedIdentifier) parts.push_back(IdentifierText(tokens[i]));
      else return Fail(rewriter.SyntaxError(i, ""));
    }
    return parts;
  };
  auto like_filter = [&](std::string_view column) { return like.empty() ? std::string() : " AND " + std::string(column) + " LIKE " + like; };
  const std::string c = std::string(kRedshiftCatalog) + ".main.";
  if (word == "tables") {
    MALLARD_ASSIGN_OR_RETURN(auto parts, target("schema"));
    if (parts.size() != 2) return Fail(rewriter.SyntaxError(statement_end, ""));
    return Produce("SELECT table_catalog AS database_name, table_schema AS schema_name, table_name, table_type, "
                   "NULL::VARCHAR AS table_acl, remarks FROM " + c + "svv_tables() WHERE table_catalog = " +
                   QuoteString(parts[0]) + " AND table_schema = " + QuoteString(parts[1]) + like_filter("table_name") +
                   " ORDER BY table_name",
                   statement_end);
  }
  if (word == "columns") {
    MALLARD_ASSIGN_OR_RETURN(auto parts, target("table"));
    if (parts.size() != 3) return Fail(rewriter.SyntaxError(statement_end, ""));
    return Produce("SELECT table_catalog AS database_name, table_schema AS schema_name, table_name, column_name, "
                   "ordinal_position, column_default, is_nullable, data_type, character_maximum_length, "
                   "numeric_precision, remarks FROM " + c + "svv_columns() WHERE table_catalog = " + QuoteString(parts[0]) +
                   " AND table_schema = " + QuoteString(parts[1]) + " AND table_name = " + QuoteString(parts[2]) +
                   like_filter("column_name") + " ORDER BY ordinal_position", statement_end);
  }
  if (word == "schemas") {
    MALLARD_ASSIGN_OR_RETURN(auto parts, target("database"));
    if (parts.size() != 1) return Fail(rewriter.SyntaxError(statement_end, ""));
    return Produce("SELECT catalog_name AS database_name, schema_name, schema_owner, 'local' AS schema_type, "
                   "NULL::VARCHAR AS schema_acl, NULL::VARCHAR AS source_database, NULL::VARCHAR AS schema_option FROM " +
                   c + "information_schema_schemata() WHERE catalog_name = " + QuoteString(parts[0]) + like_filter("schema_name") +
                   " ORDER BY schema_name",
                   statement_end);
  }
  if (word == "databases") {
    std::string filter;
    if (std::size_t rest = rewriter.Next(what + 1, statement_end); rest < statement_end) {
      std::size_t pattern = rewriter.Next(rest + 1, statement_end);
      if (!tokens[rest].IsKeyword("LIKE") || pattern >= statement_end || !tokens[pattern].Is(TokenKind::String) ||
          tokens[pattern].unterminated || rewriter.Next(pattern + 1, statement_end) < statement_end) {
        return Fail(rewriter.SyntaxError(rest, ""));
      }
      filter = " WHERE 'dev' LIKE " + std::string(tokens[pattern].text);
    }
    return Produce("SELECT 'dev' AS database_name, 100 AS database_owner, 'local' AS database_type, "
                   "NULL::VARCHAR AS database_acl, NULL::VARCHAR AS database_options, 'Serializable' AS database_isolation_level" +
                       filter,
                   statement_end);
  }
  if (std::size_t rest = rewriter.Next(what + 1, statement_end); rest < statement_end) {
    return Fail(rewriter.SyntaxError(rest, ""));
  }
  std::string value = ShowValue(word, session);
  if (value.empty() && word != "search_path") {
    return Fail(DialectError{"42704", "unrecognized configuration parameter \"" + word + "\""});
  }
  return Produce("SELECT " + QuoteString(value) + " AS " + QuoteIdentifier(word), statement_end);
}

// RESET search_path | RESET <parameter> | RESET ALL.
Form ResetForm(DialectRewriter& rewriter, std::size_t index, std::size_t end, RedshiftSession& session) {
  if (!StatementStart(rewriter, index)) return Decline();
  const auto& tokens = rewriter.Tokens();
  std::size_t what = rewriter.Next(index + 1, end);
  if (what >= end || tokens[what].kind != TokenKind::Word) return Fail(rewriter.SyntaxError(what, ""));
  std::size_t statement_end = rewriter.StatementEnd(what, end);
  std::string word = Lower(tokens[what].text);
  if (std::size_t rest = rewriter.Next(what + 1, statement_end); rest < statement_end) {
    return Fail(rewriter.SyntaxError(rest, ""));
  }
  if (word == "search_path" || word == "all") {
    session.search_path = RedshiftSession{}.search_path;
    return Produce("SET search_path = 'main'", statement_end);
  }
  if (!IsSessionParameter(word)) return Fail(DialectError{"42704", "unrecognized configuration parameter \"" + word + "\""});
  return Produce("SET VARIABLE mallard_redshift_setting = " + QuoteString(word), statement_end);
}

const std::unordered_map<std::string, KeywordForm>& SharedForms() {
  static const std::unordered_map<std::string, KeywordForm> kForms = [] {
    std::unordered_map<std::string, KeywordForm> forms;
    forms["cast"] = CastForm;
    forms["convert"] = ConvertForm;
    forms["select"] = [](DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) {
      return RedshiftSelectForm(rewriter, index, end, depth, RedshiftReserved());
    };
    forms["approximate"] = ApproximateForm;
    forms["listagg"] = ListaggForm;
    forms["ratio_to_report"] = RatioToReportForm;
    forms["extract"] = ExtractForm;
    forms["substring"] = SubstringForm;
    forms["at"] = TimeTravelForm;
    forms["into"] = InsertIntoForm;
    forms["vacuum"] = MaintenanceForm;
    forms["analyze"] = MaintenanceForm;
    forms["analyse"] = MaintenanceForm;
    forms["create"] = CreateTableForm;
    forms["alter"] = AlterTableForm;
    forms["sysdate"] = [](DialectRewriter&, std::size_t index, std::size_t, int) -> Form {
      return Produce("CAST(timezone('UTC', current_timestamp) AS TIMESTAMP)", index + 1);
    };
    for (const auto& word : RedshiftTypeWords()) forms[word] = ColonCastTypeForm;
    forms["interval"] = [](DialectRewriter& rewriter, std::size_t index, std::size_t end, int depth) -> Form {
      MALLARD_ASSIGN_OR_RETURN(auto cast, ColonCastTypeForm(rewriter, index, end, depth));
      if (cast) return cast;
      return IntervalForm(rewriter, index, end, depth);
    };
    // DuckDB's MAP {…} literal (the engine's own SQL keeps working through Redshift Data).
    forms["map"] = [](DialectRewriter& rewriter, std::size_t index, std::size_t end, int) -> Form {
      std::size_t brace = rewriter.Next(index + 1, end);
      if (brace >= end || !rewriter.Tokens()[brace].IsPunct('{')) return Decline();
      return Produce("MAP", index + 1);
    };
    return forms;
  }();
  return kForms;
}

// Statements the translator rewrites; others (PRAGMA, CALL, DuckDB's own) pass unchanged.
bool TranslatedStatement(const std::string& lead) {
  static const std::unordered_set<std::string> kLeads = {
      "select", "with", "values", "insert", "update", "delete", "create", "alter", "drop", "truncate",
      "set", "show", "reset", "explain", "begin", "start", "commit", "end", "rollback", "abort", "grant",
      "revoke", "comment", "analyze", "analyse", "vacuum", "merge"};
  return kLeads.count(lead) != 0;
}

}  // namespace

// Redshift's reserved words (Database Developer Guide, "Reserved words").
const std::unordered_set<std::string>& RedshiftReserved() {
  static const std::unordered_set<std::string> kWords = {
      "aes128", "aes256", "all", "allowoverwrite", "analyse", "analyze", "and", "any", "array", "as", "asc",
      "authorization", "az64", "backup", "between", "binary", "blanksasnull", "both", "bytedict", "bzip2", "case",
      "cast", "check", "collate", "column", "constraint", "create", "credentials", "cross", "current_date",
      "current_time", "current_timestamp", "current_user", "current_user_id", "default", "deferrable", "deflate",
      "defrag", "delta", "delta32k", "desc", "disable", "distinct", "do", "else", "emptyasnull", "enable", "encode",
      "encrypt", "encryption", "end", "except", "explicit", "false", "for", "foreign", "freeze", "from", "full",
      "globaldict256", "globaldict64k", "grant", "group", "gzip", "having", "identity", "ignore", "ilike", "in",
      "initially", "inner", "intersect", "interval", "into", "is", "isnull", "join", "leading", "left", "like",
      "limit", "localtime", "localtimestamp", "lun", "luns", "lzo", "lzop", "minus", "mostly16", "mostly32",
      "mostly8", "natural", "new", "not", "notnull", "null", "nulls", "off", "offline", "offset", "oid", "old", "on",
      "only", "open", "or", "order", "outer", "overlaps", "parallel", "partition", "percent", "permissions", "pivot",
      "placing", "primary", "raw", "readratio", "recover", "references", "rejectlog", "resort", "respect", "restore",
      "right", "select", "session_user", "similar", "snapshot", "some", "sysdate", "system", "table", "tag", "tdes",
      "text255", "text32k", "then", "timestamp", "to", "top", "trailing", "true", "truncatecolumns", "union",
      "unique", "unnest", "unpivot", "user", "using", "verbose", "wallet", "when", "where", "with", "without"};
  return kWords;
}

Result<std::string, DialectError> TranslateRedshift(std::string_view sql, RedshiftSession& session) {
  DialectRules rules;
  rules.dialect_reserved = &RedshiftReserved();
  rules.engine_keywords = &DuckDbKeywords();
  rules.reserved_callables = &ReservedCallables();
  rules.structural_parens = &StructuralParens();
  rules.never_alias = &NeverAlias();
  rules.identifier_case = IdentifierCase::LowerUnquoted;
  rules.shared_keyword_forms = &SharedForms();
  rules.syntax_error = &SyntaxErrorAt;
  rules.map_type = [](const TypeName& type) -> Result<std::string, DialectError> {
    MALLARD_ASSIGN_OR_RETURN(auto mapped, MapRedshiftType(type));
    return mapped.engine;
  };
  RedshiftSession* state = &session;
  rules.map_function = [state](const FunctionCall& call) -> Result<std::string, DialectError> {
    if (call.name == "current_schema" && call.arguments.empty()) {
      // The first schema of the path that exists: the engine's, as SET search_path left it.
      return std::string("CASE current_schema() WHEN 'main' THEN 'public' ELSE current_schema() END");
    }
    if (call.name == "current_schemas" && call.arguments.size() == 1) {
      std::string list;
      for (const auto& schema : state->search_path) {
        if (schema == "$user") continue;
        list += (list.empty() ? "" : ",") + schema;
      }
      return "CASE WHEN " + call.arguments[0] + " THEN " + QuoteString("{pg_catalog," + list + "}") + " ELSE " +
             QuoteString("{" + list + "}") + " END";
    }
    if (call.name == "pg_backend_pid" && call.arguments.empty()) return std::to_string(state->process_id);
    if (call.name == "current_setting" && call.arguments.size() == 1 && Lower(TrimSql(call.arguments[0])) == "'search_path'") {
      return QuoteString(SearchPathText(*state));
    }
    if (call.name.find('.') != std::string::npos) {
      // A dotted name followed by `(`: a schema's function (INSERT INTO's table is a form). The
      // rewriter hands the parts joined, unquoted: only plain names can be written back.
      std::string name = call.name;
      if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_$.") != std::string::npos) {
        return Fail(DialectError{"0A000", "a quoted name before \"(\" is not supported here: " + name});
      }
      if (name.rfind("dev.", 0) == 0 && std::count(name.begin(), name.end(), '.') >= 2) name = name.substr(4);
      if (name.rfind("public.", 0) == 0) name = "main." + name.substr(7);
      std::string text = name + "(";
      for (std::size_t i = 0; i < call.arguments.size(); ++i) text += (i ? ", " : "") + call.arguments[i];
      return text + ")";
    }
    return TranslateRedshiftCall(call);
  };
  rules.map_table_function = [](const FunctionCall& call) -> Result<std::string, DialectError> {
    // DuckDB's table functions (range, read_parquet, …) stay available in FROM, confined by the
    // engine's sandbox as before.
    std::string text = call.name + "(";
    for (std::size_t i = 0; i < call.arguments.size(); ++i) text += (i ? ", " : "") + call.arguments[i];
    return text + ")";
  };
  rules.map_name = [](QualifiedName& name) -> Result<Done, DialectError> {
    for (auto& part : name.parts) {
      if (!part.quoted) part.text = Lower(part.text);
    }
    // dev.public.t: the database is the engine's one database.
    if (name.parts.size() >= 3 && name.parts[0].text == "dev" && !name.parts[0].quoted) name.parts.erase(name.parts.begin());
    if (name.parts.size() >= 2 && name.parts[0].text == "public") {
      name.parts[0].text = "main";
      name.parts[0].quoted = false;
    }
    return Done{};
  };
  auto session_form = [state](Form (*form)(DialectRewriter&, std::size_t, std::size_t, RedshiftSession&)) {
    return [state, form](DialectRewriter& rewriter, std::size_t index, std::size_t end, int) { return form(rewriter, index, end, *state); };
  };
  rules.keyword_forms["set"] = session_form(&SetForm);
  rules.keyword_forms["show"] = session_form(&ShowForm);
  rules.keyword_forms["reset"] = session_form(&ResetForm);
  auto user_form = [state](DialectRewriter& rewriter, std::size_t index, std::size_t end, int) -> Form {
    if (OpenAfter(rewriter, index, end) != kNone) return Decline();
    return Produce(QuoteString(state->user), index + 1);
  };
  rules.keyword_forms["current_user"] = user_form;
  rules.keyword_forms["user"] = user_form;
  rules.keyword_forms["session_user"] = user_form;
  rules.keyword_forms["current_user_id"] = [](DialectRewriter&, std::size_t index, std::size_t, int) -> Form {
    return Produce("100", index + 1);
  };
  auto relation_form = [state](DialectRewriter& rewriter, std::size_t index, std::size_t end, int) {
    return SystemRelationForm(rewriter, index, end, *state);
  };
  for (const char* word : {"svv_tables", "svv_columns", "svv_table_info", "pg_table_def", "svv_external_schemas",
                           "pg_namespace", "stv_sessions", "stv_recents", "stl_query", "information_schema", "pg_catalog"}) {
    rules.keyword_forms[word] = relation_form;
  }

  const std::string text = PostgresRegexOperators(sql);
  DialectRewriter rewriter(text, rules);
  const auto& tokens = rewriter.Tokens();
  const std::size_t first = rewriter.Next(0, tokens.size());
  if (first >= tokens.size()) return std::string(sql);
  const bool bracketed = tokens[first].IsPunct('(');
  const std::string lead = tokens[first].kind == TokenKind::Word ? Lower(tokens[first].text) : "";
  if (!bracketed && !TranslatedStatement(lead)) return std::string(sql);
  return rewriter.Rewrite();
}

std::string RedshiftErrorText(const DialectError& error) { return error.message; }

}  // namespace mallard::sqlengine::dialect

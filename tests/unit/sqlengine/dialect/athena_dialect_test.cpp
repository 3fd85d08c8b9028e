// Athena's translator (athena_dialect) and the shared rewriter under it. Most cases use a stand-in
// function table that writes each call back as `name(args)`, so they test the translator alone;
// a few go through Athena's real function table.
#include "sqlengine/dialect/athena_dialect.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {
namespace {

Result<std::string, DialectError> EchoCall(const FunctionCall& call) {
  if (call.name == "foo") {
    return Fail(DialectError{"FUNCTION_NOT_FOUND", "line " + std::to_string(call.line) + ":" + std::to_string(call.column) +
                                                       ": Function 'foo' not registered"});
  }
  std::string text = call.name + "(";
  for (std::size_t i = 0; i < call.arguments.size(); ++i) text += (i ? ", " : "") + call.arguments[i];
  return text + ")";
}

std::string Translate(std::string_view sql) {
  auto translated = TranslateAthenaWith(sql, AthenaNames{}, &EchoCall);
  if (!translated.ok()) return "ERROR " + AthenaErrorReason(translated.error());
  return translated.value();
}

TEST(AthenaDialect, NamesUnnamedColumnsAsTrino) {
  EXPECT_EQ(Translate("SELECT 1 + 1, 'x' AS b"), "SELECT 1 + 1 AS \"_col0\", 'x' AS b");
  EXPECT_EQ(Translate("SELECT a, t.b, t.*, *, c d, count(*) n FROM t"), "SELECT a, t.b, t.*, *, c d, count(*) n FROM t");
  EXPECT_EQ(Translate("SELECT DISTINCT a, lower(b) FROM t"), "SELECT DISTINCT a, lower(b) AS \"_col1\" FROM t");
  EXPECT_EQ(Translate("WITH c(a) AS (SELECT 1) SELECT a + 1 FROM c"), "WITH c(a) AS (SELECT 1) SELECT a + 1 AS \"_col0\" FROM c");
  EXPECT_EQ(Translate("SELECT INTERVAL '1' DAY"), "SELECT INTERVAL '1' day AS \"_col0\"");
  EXPECT_EQ(Translate("SELECT 1 + 1 -- note\n, 2 /* two */ FROM t"),
            "SELECT 1 + 1 AS \"_col0\" -- note\n, 2 AS \"_col1\" /* two */ FROM t");
  EXPECT_EQ(Translate("SELECT listagg(v, ',') WITHIN GROUP (ORDER BY v) FROM t"),
            "SELECT string_agg(v, ',' ORDER BY v) AS \"_col0\" FROM t");
  EXPECT_EQ(Translate("SELECT listagg(DISTINCT v) WITHIN GROUP (ORDER BY v DESC) AS l FROM t"),
            "SELECT string_agg(DISTINCT v, '' ORDER BY v DESC) AS l FROM t");
  EXPECT_EQ(Translate("SELECT listagg(v, ',' ON OVERFLOW ERROR) WITHIN GROUP (ORDER BY v) l FROM t"),
            "SELECT string_agg(v, ',' ORDER BY v) l FROM t");
  EXPECT_EQ(Translate("SELECT listagg(v, ',') l FROM t"),
            "ERROR SYNTAX_ERROR: line 1:24: mismatched input. Expecting: WITHIN GROUP (ORDER BY ...)");
  EXPECT_EQ(Translate("VALUES (1, 'a'), (2, 'b')"), "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS \"_values\"(\"_col0\", \"_col1\")");
}

TEST(AthenaDialect, CatalogsDatabasesAndCase) {
  EXPECT_EQ(Translate("SELECT * FROM awsdatacatalog.default.sales"), "SELECT * FROM main.sales");
  EXPECT_EQ(Translate("SELECT * FROM AwsDataCatalog.\"Default\".\"Sales\""), "SELECT * FROM main.\"sales\"");
  EXPECT_EQ(Translate("SELECT * FROM default.sales"), "SELECT * FROM main.sales");
  EXPECT_EQ(Translate("SELECT * FROM other_db.Sales"), "SELECT * FROM other_db.sales");
  EXPECT_EQ(Translate("SELECT S.Amount FROM Sales S"), "SELECT s.amount FROM sales s");
  AthenaNames names;
  names.engine_schemas["analytics"] = "lake_analytics";
  auto translated = TranslateAthenaWith("SELECT * FROM analytics.t", names, &EchoCall);
  ASSERT_TRUE(translated.ok());
  EXPECT_EQ(translated.value(), "SELECT * FROM lake_analytics.t");
}

TEST(AthenaDialect, TrinoReservedWordsNotDuckDbs) {
  EXPECT_EQ(Translate("SELECT max(ts) last FROM t"), "SELECT max(ts) \"last\" FROM t");
  EXPECT_EQ(Translate("SELECT at, year, first FROM t WHERE at > 1"), "SELECT \"at\", \"year\", \"first\" FROM t WHERE \"at\" > 1");
  EXPECT_EQ(Translate("SELECT x AS at FROM t"), "SELECT x AS \"at\" FROM t");
  EXPECT_EQ(Translate("SELECT t.at FROM t"), "SELECT t.\"at\" FROM t");
  // The same words as keywords keep working.
  EXPECT_EQ(Translate("SELECT a FROM t ORDER BY a DESC NULLS LAST LIMIT 10 OFFSET 2"),
            "SELECT a FROM t ORDER BY a DESC NULLS LAST LIMIT 10 OFFSET 2");
  EXPECT_EQ(Translate("SELECT ts AT TIME ZONE 'UTC' AS z FROM t"), "SELECT ts AT TIME ZONE 'UTC' AS z FROM t");
  EXPECT_EQ(Translate("SELECT sum(x) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) s FROM t"),
            "SELECT sum(x) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) s FROM t");
  EXPECT_EQ(Translate("SELECT count(*) FILTER (WHERE x > 1) c FROM t"), "SELECT count(*) FILTER (WHERE x > 1) c FROM t");
  EXPECT_EQ(Translate("SELECT x FROM t WHERE x = ANY (SELECT 1)"), "SELECT x FROM t WHERE x = ANY (SELECT 1)");
  EXPECT_EQ(Translate("DROP TABLE IF EXISTS t"), "DROP TABLE IF EXISTS t");
}

TEST(AthenaDialect, LiteralsAndTypes) {
  EXPECT_EQ(Translate("SELECT TIMESTAMP '2020-01-01 00:00:00' a, TIMESTAMP '2020-01-01 00:00:00 UTC' b"),
            "SELECT TIMESTAMP '2020-01-01 00:00:00' a, TIMESTAMPTZ '2020-01-01 00:00:00 UTC' b");
  EXPECT_EQ(Translate("SELECT DATE '2020-01-02' d, TIME '01:02:03' t, X'0A0b' x, DECIMAL '-12.340' m"),
            "SELECT DATE '2020-01-02' d, TIME '01:02:03' t, from_hex('0A0b') x, CAST('-12.340' AS DECIMAL(5, 3)) m");
  EXPECT_EQ(Translate("SELECT CAST(x AS varchar(10)) a, TRY_CAST(y AS row(a int, \"B\" array(real))) b FROM t"),
            "SELECT substr(CAST(x AS VARCHAR), 1, 10) a, TRY_CAST(y AS STRUCT(\"a\" INTEGER, \"b\" FLOAT[])) b FROM t");
  EXPECT_EQ(Translate("SELECT CAST(m AS map(varchar, timestamp(3) with time zone)) m FROM t"),
            "SELECT CAST(m AS MAP(VARCHAR, TIMESTAMPTZ)) m FROM t");
  EXPECT_EQ(Translate("SELECT CAST(j AS json) j, CAST(i AS ipaddress) i, CAST(d AS decimal(10,2)) d FROM t"),
            "SELECT CAST(j AS JSON) j, CAST(i AS VARCHAR) i, CAST(d AS DECIMAL(10, 2)) d FROM t");
  EXPECT_EQ(Translate("SELECT CAST(x AS hyperloglog) FROM t"), "ERROR TYPE_NOT_FOUND: line 1:18: Unknown type: hyperloglog");
  EXPECT_EQ(Translate("CREATE TABLE t2 AS SELECT a FROM t WITH NO DATA"), "CREATE TABLE t2 AS SELECT * FROM (SELECT a FROM t) LIMIT 0");
  EXPECT_EQ(Translate("CREATE TABLE t2 WITH (format = 'ORC') AS SELECT a FROM t LIMIT 5 WITH DATA;"),
            "CREATE TABLE t2 AS SELECT a FROM t LIMIT 5");
  EXPECT_EQ(Translate("CREATE TABLE t (id int NOT NULL COMMENT 'key', tags array(varchar)) WITH (format = 'ORC')"),
            "CREATE TABLE t (id INTEGER NOT NULL , tags VARCHAR[])");
}

TEST(AthenaDialect, IntervalRanges) {
  EXPECT_EQ(Translate("SELECT INTERVAL '1-2' YEAR TO MONTH i"),
            "SELECT CAST(replace('1-2', '-', ' years ') || ' months' AS INTERVAL) i");
  EXPECT_EQ(Translate("SELECT INTERVAL '2 03:04:05.5' DAY TO SECOND i"),
            "SELECT CAST(replace('2 03:04:05.5', ' ', ' days ') AS INTERVAL) i");
  EXPECT_EQ(Translate("SELECT INTERVAL '1-x' YEAR TO MONTH"),
            "ERROR INVALID_LITERAL: line 1:8: '1-x' is not a valid INTERVAL YEAR TO MONTH literal");
  EXPECT_EQ(Translate("SELECT INTERVAL '1' DAY TO HOUR").rfind("ERROR NOT_SUPPORTED: line 1:8:", 0), 0u);
}

TEST(AthenaDialect, SpecialForms) {
  EXPECT_EQ(Translate("SELECT EXTRACT(day_of_week FROM d) w FROM t"), "SELECT EXTRACT(isodow FROM d) w FROM t");
  EXPECT_EQ(Translate("SELECT position('b' IN s) p FROM t"), "SELECT strpos(s, 'b') p FROM t");
  EXPECT_EQ(Translate("SELECT try(1 / 0) v"), "SELECT TRY(1 / 0) v");
  EXPECT_EQ(Translate("SELECT x, n FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY AS u(x, n)"),
            "SELECT x, n FROM UNNEST(ARRAY[1, 2]) WITH ORDINALITY AS u(x, n)");
  EXPECT_EQ(Translate("SELECT * FROM t TABLESAMPLE BERNOULLI (50)"), "SELECT * FROM t TABLESAMPLE 50% (bernoulli)");
  EXPECT_EQ(Translate("SELECT a, b FROM t CROSS JOIN UNNEST(t.rows) AS u(a, b)"),
            "SELECT a, b FROM t CROSS JOIN (SELECT UNNEST(t.\"rows\", recursive := true)) AS u(a, b)");
  EXPECT_EQ(Translate("SELECT a FROM t CROSS JOIN UNNEST(t.items) u(a)"), "SELECT a FROM t CROSS JOIN UNNEST(t.items) u(a)");
  EXPECT_EQ(Translate("SELECT transform(a, x -> x + 1) b, reduce(a, 0, (s, x) -> s + x, s -> s) c FROM t"),
            "SELECT transform(a, x -> x + 1) b, reduce(a, 0, (s, x) -> s + x, s -> s) c FROM t");
  EXPECT_EQ(Translate("SELECT current_date d, current_timestamp ts"), "SELECT current_date d, current_timestamp ts");
}

TEST(AthenaDialect, ErrorsInAthenasShape) {
  EXPECT_EQ(Translate("SELECT foo(1)"), "ERROR FUNCTION_NOT_FOUND: line 1:8: Function 'foo' not registered");
  EXPECT_EQ(Translate("SELECT 1,\n  foo(2)"), "ERROR FUNCTION_NOT_FOUND: line 2:3: Function 'foo' not registered");
  EXPECT_EQ(Translate("SELECT `a` FROM t"),
            "ERROR SYNTAX_ERROR: line 1:8: backquoted identifiers are not supported; use double quotes to quote identifiers");
  EXPECT_EQ(Translate("SELECT (1"), "ERROR SYNTAX_ERROR: line 1:10: mismatched input '<EOF>'");
  EXPECT_EQ(Translate("SELECT 1)"), "ERROR SYNTAX_ERROR: line 1:9: extraneous input ')'");
  EXPECT_EQ(Translate("SELECT a, FROM t"), "ERROR SYNTAX_ERROR: line 1:11: mismatched input 'FROM'. Expecting: <expression>");
  EXPECT_EQ(Translate("SELECT"), "ERROR SYNTAX_ERROR: line 1:7: mismatched input '<EOF>'. Expecting: <expression>");
  EXPECT_EQ(Translate("SELECT 'abc"), "ERROR SYNTAX_ERROR: line 1:8: mismatched input '''. Unterminated string literal");
  // Deep nesting is an error, not a stack overflow.
  std::string deep = "SELECT " + std::string(100000, '(') + "1" + std::string(100000, ')');
  EXPECT_EQ(Translate(deep).rfind("ERROR SYNTAX_ERROR: line 1:", 0), 0u);
  std::string deep_calls = "SELECT ";
  for (int i = 0; i < 50000; ++i) deep_calls += "f(";
  deep_calls += "1" + std::string(50000, ')');
  EXPECT_EQ(Translate(deep_calls).rfind("ERROR SYNTAX_ERROR: line 1:", 0), 0u);
}

TEST(AthenaDialect, ValuesRowsWithoutParenthesesAndDateLiterals) {
  EXPECT_EQ(Translate("VALUES 1, 2, 3"), "SELECT * FROM (VALUES (1), (2), (3)) AS \"_values\"(\"_col0\")");
  EXPECT_EQ(Translate("SELECT x FROM (VALUES 1, 2) AS t(x)"), "SELECT x FROM (VALUES (1), (2)) AS t(x)");
  EXPECT_EQ(Translate("INSERT INTO t VALUES (1, 'a'), (2, 'b')"), "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  EXPECT_EQ(Translate("SELECT DATE '2020-02-29' d"), "SELECT DATE '2020-02-29' d");
  EXPECT_EQ(Translate("SELECT DATE '2021-02-29'"), "ERROR INVALID_LITERAL: line 1:8: '2021-02-29' is not a valid DATE literal");
  EXPECT_EQ(Translate("SELECT DATE '2020-13-01'"), "ERROR INVALID_LITERAL: line 1:8: '2020-13-01' is not a valid DATE literal");
}

TEST(AthenaDialect, EngineErrorsInTrinosNames) {
  EXPECT_EQ(AthenaEngineErrorReason("Catalog Error: Table with name nope does not exist!\nDid you mean \"x\"?", "default"),
            "TABLE_NOT_FOUND: Table 'awsdatacatalog.default.nope' does not exist");
  EXPECT_EQ(AthenaEngineErrorReason("Binder Error: Referenced column \"zz\" not found in FROM clause!\nLINE 1", "default"),
            "COLUMN_NOT_FOUND: Column 'zz' cannot be resolved");
  EXPECT_EQ(AthenaEngineErrorReason("Parser Error: syntax error at or near \"SELEC\"\n\nLINE 1: SELEC", "default"),
            "SYNTAX_ERROR: syntax error at or near \"SELEC\"");
  EXPECT_EQ(AthenaEngineErrorReason("Permission Error: Cannot access file", "default"), "Permission Error: Cannot access file");
  // Positions come from the user's text.
  EXPECT_EQ(AthenaEngineErrorReason("Catalog Error: Table with name nope does not exist!", "sales", "SELECT *\n  FROM Nope"),
            "TABLE_NOT_FOUND: line 2:8: Table 'awsdatacatalog.sales.nope' does not exist");
  EXPECT_EQ(AthenaEngineErrorReason("Binder Error: Referenced column \"zz\" not found in FROM clause!", "default",
                                    "SELECT a, \"ZZ\" FROM t"),
            "COLUMN_NOT_FOUND: line 1:11: Column 'zz' cannot be resolved");
  EXPECT_EQ(AthenaEngineErrorReason("Parser Error: syntax error at or near \"SELEC\"", "default", "SELEC 1"),
            "SYNTAX_ERROR: line 1:1: mismatched input 'SELEC'");
  EXPECT_EQ(AthenaEngineErrorReason("Parser Error: syntax error at end of input", "default", "SELECT 1 +"),
            "SYNTAX_ERROR: line 1:11: mismatched input '<EOF>'");
  EXPECT_EQ(AthenaEngineErrorReason("FUNCTION_NOT_FOUND: line 1:8: Function 'foo' not registered", "default"),
            "FUNCTION_NOT_FOUND: line 1:8: Function 'foo' not registered");
}

TEST(AthenaDialect, TimeTravelBecomesTheLakesAtClause) {
  EXPECT_EQ(Translate("SELECT * FROM lake.fruit FOR VERSION AS OF 2 f"), "SELECT * FROM lake.fruit AT (VERSION => 2) f");
  EXPECT_EQ(Translate("SELECT * FROM lake.fruit FOR TIMESTAMP AS OF TIMESTAMP '2024-01-01 00:00:00 UTC' WHERE id = 1"),
            "SELECT * FROM lake.fruit AT (TIMESTAMP => '2024-01-01 00:00:00 UTC') WHERE id = 1");
  EXPECT_EQ(Translate("SELECT * FROM t FOR TIMESTAMP AS OF (current_timestamp - INTERVAL '1' DAY)"),
            "SELECT * FROM t AT (TIMESTAMP => (current_timestamp - INTERVAL '1' day))");
  EXPECT_EQ(Translate("SELECT * FROM t FOR VERSION AS OF"), "ERROR SYNTAX_ERROR: line 1:34: mismatched input '<EOF>'. Expecting: <expression>");
}

TEST(AthenaDialect, InformationSchemaAsAthenaShowsIt) {
  const std::string tables = Translate("SELECT table_name FROM information_schema.tables WHERE table_schema = 'default'");
  EXPECT_EQ(tables.rfind("SELECT table_name FROM (SELECT 'awsdatacatalog' AS table_catalog, CASE WHEN table_schema = 'main' "
                         "THEN 'default'", 0), 0u) << tables;
  EXPECT_NE(tables.find(") AS tables WHERE table_schema = 'default'"), std::string::npos) << tables;
  EXPECT_NE(Translate("SELECT * FROM AwsDataCatalog.information_schema.columns c").find(") c"), std::string::npos);
  EXPECT_EQ(Translate("SELECT * FROM information_schema.other"), "SELECT * FROM information_schema.other");
}

TEST(AthenaDialect, DuckDbStatementsAndTableFunctionsPassThrough) {
  EXPECT_EQ(Translate("PRAGMA version"), "PRAGMA version");
  EXPECT_EQ(Translate("SET memory_limit = '1MB'"), "SET memory_limit = '1MB'");
  EXPECT_EQ(Translate("SELECT range AS n FROM range(3)"), "SELECT \"range\" AS n FROM range(3)");
  EXPECT_EQ(Translate("SELECT count(*) AS n FROM lake.fruit AT (VERSION => 1)"),
            "SELECT count(*) AS n FROM lake.fruit AT (VERSION => 1)");
}

TEST(AthenaDialect, RealFunctionTableNamesUnknownFunctions) {
  auto translated = TranslateAthena("SELECT no_such_function(1)", AthenaNames{});
  ASSERT_FALSE(translated.ok());
  EXPECT_EQ(translated.error().code, "FUNCTION_NOT_FOUND");
  EXPECT_NE(translated.error().message.find("line 1:8: Function 'no_such_function' not registered"), std::string::npos);
}

// A statement of Athena's maximum size (262,144 characters) with one call per select item: each
// call's position must not cost a scan of the text (that was quadratic: half a second here).
TEST(AthenaDialect, LargeStatementsTranslateInLinearTime) {
  std::string sql = "SELECT ";
  for (int i = 0; sql.size() < 250000; ++i) sql += (i ? ",\n " : "") + std::string("lower(c") + std::to_string(i) + ") + 1";
  sql += " FROM t";
  const auto started = std::chrono::steady_clock::now();
  auto translated = TranslateAthena(sql, AthenaNames{});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(translated.ok()) << translated.error().message;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

// ---- seeded random token soup ------------------------------------------------------------------

std::vector<std::string> LiteralsAndPlaceholders(std::string_view sql) {
  std::vector<std::string> kept;
  for (const auto& token : Tokenize(sql)) {
    if (token.kind == TokenKind::String || token.kind == TokenKind::Parameter) kept.emplace_back(token.text);
  }
  return kept;
}

TEST(AthenaDialect, RandomTokenSoupTranslatesOrFailsAndKeepsLiteralsAndPlaceholders) {
  static const std::vector<std::string> kPieces = {
      "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "CASE", "WHEN", "THEN", "ELSE", "END",
      "GROUP", "BY", "ORDER", "DESC", "NULLS", "LAST", "FIRST", "LIMIT", "OFFSET", "UNION", "ALL", "WITH", "ORDINALITY",
      "UNNEST", "CAST", "TRY_CAST", "TRY", "EXTRACT", "YEAR", "DAY", "INTERVAL", "DATE", "TIME", "TIMESTAMP", "DECIMAL",
      "X", "ZONE", "AT", "OVER", "PARTITION", "ROWS", "BETWEEN", "UNBOUNDED", "PRECEDING", "CURRENT", "ROW", "ARRAY",
      "MAP", "varchar", "int", "row", "position", "TABLESAMPLE", "BERNOULLI", "VALUES", "DISTINCT", "FILTER", "ANY",
      "awsdatacatalog", "default", "t", "a", "b", "data", "value", "lower", "count", "f", "\"Q\"", "\"a\"\"b\"", "`bt`",
      "'s'", "'it''s'", "''", "'2020-01-01'", "'1'", "1", "2.5", "0x1F", "?", ":name", "$1", "+", "-", "*", "/", "=",
      "<>", "||", "->", "=>", "::", "(", "(", ")", ")", "[", "]", ",", ",", ".", ";", "-- c\n", "/* c */", "\n",
      "date_format", "regexp_like", "element_at", "transform", "approx_distinct", "json_extract", "split", "if",
      "date_add", "from_unixtime", "coalesce", "cardinality", "x ->", "(a, b) ->", "'%Y-%m-%d'", "'$.a'",
      "'unterminated", "\"unterminated", "/* unterminated", "ä", "\x01", "@", "{", "}"};
  const char* seed_text = std::getenv("MALLARD_DIALECT_SEED");
  const unsigned seed = seed_text != nullptr ? static_cast<unsigned>(std::strtoul(seed_text, nullptr, 10)) : 20u;
  std::mt19937 random(seed);
  std::size_t translated_count = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string sql = random() % 3 == 0 ? "SELECT " : "";
    const int length = static_cast<int>(random() % 24);
    for (int i = 0; i < length; ++i) {
      sql += kPieces[random() % kPieces.size()];
      if (random() % 3 != 0) sql += " ";
    }
    // Athena's real function table too: it may reorder arguments, so only "translates or fails".
    auto real = TranslateAthena(sql, AthenaNames{});
    if (!real.ok()) {
      EXPECT_FALSE(real.error().code.empty()) << sql;
    }
    auto translated = TranslateAthenaWith(sql, AthenaNames{}, &EchoCall);
    if (!translated.ok()) {
      EXPECT_FALSE(translated.error().code.empty()) << "seed " << seed << " round " << round << ": " << sql;
      EXPECT_EQ(translated.error().message.rfind("line ", 0), 0u) << sql << " -> " << translated.error().message;
      continue;
    }
    ++translated_count;
    EXPECT_EQ(LiteralsAndPlaceholders(translated.value()), LiteralsAndPlaceholders(sql))
        << "seed " << seed << " round " << round << ": " << sql << "\n  -> " << translated.value();
  }
  EXPECT_GT(translated_count, 1000u);  // the soup is not all errors
}

}  // namespace
}  // namespace mallard::sqlengine::dialect

// The Redshift translator (redshift_dialect.hpp) and function table (redshift_functions.hpp):
// translations checked as text where the shape matters (names, TOP, search path, errors), and run
// on a fresh DuckDB engine that ran the dialects' set-up at open where the value matters, against
// the examples of Redshift's documentation (Database Developer Guide, SQL functions reference).
// A seeded token soup checks that no input crashes the translator and that string literals and
// :name parameters reach the engine byte for byte (MALLARD_REDSHIFT_SOUP_SEED replays a run).
#include "sqlengine/dialect/redshift_dialect.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sqlengine/dialect/redshift_functions.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"
#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

namespace mallard::sqlengine::dialect {
namespace {

std::string Translate(const std::string& sql, RedshiftSession* session = nullptr) {
  RedshiftSession fresh;
  auto translated = TranslateRedshift(sql, session != nullptr ? *session : fresh);
  if (!translated.ok()) return "ERROR " + translated.error().code + ": " + translated.error().message;
  return *translated;
}

DialectError TranslationError(const std::string& sql) {
  RedshiftSession session;
  auto translated = TranslateRedshift(sql, session);
  EXPECT_FALSE(translated.ok()) << sql << " → " << (translated.ok() ? *translated : "");
  return translated.ok() ? DialectError{} : translated.error();
}

// ---- the engine ------------------------------------------------------------------------------

duckdb::DuckDbSqlEngine& Engine() {
  static std::shared_ptr<duckdb::DuckDbSqlEngine> engine = [] {
    auto opened = duckdb::DuckDbSqlEngine::Open(duckdb::DatabaseOptions{});
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error());
    return opened.ok() ? opened.value() : nullptr;
  }();
  return *engine;
}

std::string Text(const SqlValue& value) {
  switch (value.kind) {
    case SqlValue::Kind::Null: return "NULL";
    case SqlValue::Kind::Boolean: return value.boolean ? "true" : "false";
    case SqlValue::Kind::Integer: return std::to_string(value.integer);
    case SqlValue::Kind::Double: {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.15g", value.real);
      return buffer;
    }
    default: return value.text;
  }
}

// Runs Redshift SQL (translated in `session`) and returns its rows, each value rendered by the
// engine as text (CAST … AS VARCHAR) so timestamps and decimals read as they print.
struct Ran {
  std::string error;
  std::vector<std::vector<std::string>> rows;
};
Ran RunSql(const std::vector<std::string>& statements, RedshiftSession* session = nullptr) {
  RedshiftSession fresh;
  RedshiftSession& used = session != nullptr ? *session : fresh;
  QueryRequest request;
  for (const auto& sql : statements) {
    auto translated = TranslateRedshift(sql, used);
    if (!translated.ok()) return Ran{"translation: " + translated.error().message, {}};
    request.statements.push_back(*translated);
  }
  request.single_transaction = true;
  auto outcomes = Engine().Prepare(std::move(request))->Run();
  Ran ran;
  if (outcomes.empty() || !outcomes.back().succeeded) {
    ran.error = outcomes.empty() ? "no outcome" : RedshiftEngineError(outcomes.back().error_message);
    return ran;
  }
  for (const auto& row : outcomes.back().rows) {
    std::vector<std::string> texts;
    for (const auto& value : row) texts.push_back(Text(value));
    ran.rows.push_back(std::move(texts));
  }
  return ran;
}

// The one value of `SELECT CAST(<expression> AS VARCHAR)`.
std::string Eval(const std::string& expression) {
  Ran ran = RunSql({"SELECT CAST(" + expression + " AS VARCHAR) AS v"});
  if (!ran.error.empty()) return "ERROR: " + ran.error;
  if (ran.rows.size() != 1 || ran.rows[0].size() != 1) return "ERROR: not one value";
  return ran.rows[0][0];
}

// ---- names and the search path ---------------------------------------------------------------

TEST(RedshiftDialect, PublicAndDevNameTheEnginesDefaultSchema) {
  EXPECT_EQ(Translate("SELECT a FROM public.sales"), "SELECT a FROM main.sales");
  EXPECT_EQ(Translate("SELECT a FROM dev.public.sales"), "SELECT a FROM main.sales");
  EXPECT_EQ(Translate("SELECT a FROM \"public\".\"Sales\""), "SELECT a FROM main.\"Sales\"");
  EXPECT_EQ(Translate("SELECT S.A FROM Sales S"), "SELECT s.a FROM sales s");
  EXPECT_EQ(Translate("INSERT INTO public.t (a) VALUES (1)"), "INSERT INTO main.t (a) VALUES (1)");
  EXPECT_EQ(Translate("INSERT INTO dev.s.\"Odd \"\"T\" (a) VALUES (1)"), "INSERT INTO s.\"Odd \"\"T\" (a) VALUES (1)");
  Ran odd = RunSql({"CREATE SCHEMA s2", "CREATE TABLE s2.\"Odd \"\"T\" (id INT IDENTITY(1,1), v INT)",
                    "INSERT INTO s2.\"Odd \"\"T\" (v) VALUES (5)", "SELECT id, v FROM s2.\"Odd \"\"T\""});
  EXPECT_EQ(odd.error, "");
  EXPECT_EQ(odd.rows, (std::vector<std::vector<std::string>>{{"1", "5"}}));
  RunSql({"DROP SCHEMA s2 CASCADE"});
  // The lake's time travel is the engine's own syntax, read by its statement rewriter.
  EXPECT_EQ(Translate("SELECT f.name FROM lake.fruit AT (version => 2) AS f"), "SELECT f.\"name\" FROM lake.fruit AT (version => 2) AS f");
  // DuckDB's keywords are names in Redshift: quoted on the way out.
  EXPECT_EQ(Translate("SELECT 1 AS at, 2 AS last, 3 AS window"), "SELECT 1 AS \"at\", 2 AS \"last\", 3 AS \"window\"");
}

TEST(RedshiftDialect, SearchPathIsTheSessions) {
  RedshiftSession session;
  EXPECT_EQ(Translate("SHOW search_path", &session), "SELECT '$user, public' AS \"search_path\"");
  EXPECT_NE(Translate("SET search_path TO analytics, public", &session).find("(0, 'analytics'), (1, 'main')"),
            std::string::npos);
  EXPECT_EQ(Translate("SHOW search_path", &session), "SELECT 'analytics, public' AS \"search_path\"");
  EXPECT_EQ(Translate("RESET search_path", &session), "SET search_path = 'main'");
  EXPECT_EQ(Translate("SELECT current_schema()", &session),
            "SELECT CASE current_schema() WHEN 'main' THEN 'public' ELSE current_schema() END AS \"current_schema\"");
  EXPECT_NE(Translate("SELECT * FROM pg_table_def", &session).find("pg_table_def(['main']::VARCHAR[])"), std::string::npos);
  // A batch: the SET applies to the statements after it.
  Ran ran = RunSql({"CREATE SCHEMA analytics", "CREATE TABLE analytics.t (a int)", "SET search_path TO analytics",
                 "INSERT INTO t VALUES (7)", "SELECT a, current_schema() FROM t"});
  ASSERT_EQ(ran.error, "");
  EXPECT_EQ(ran.rows, (std::vector<std::vector<std::string>>{{"7", "analytics"}}));
  // A schema of the path that does not exist is skipped, as Redshift skips it.
  ran = RunSql({"SET search_path TO no_such_schema, public", "SELECT current_setting('search_path'), current_schema()"});
  EXPECT_EQ(ran.error, "");
  EXPECT_EQ(ran.rows, (std::vector<std::vector<std::string>>{{"no_such_schema, public", "public"}}));
  RunSql({"DROP SCHEMA analytics CASCADE"});
  EXPECT_EQ(TranslationError("SET no_such_parameter TO 1").code, "42704");
  // Nothing is dropped silently: what follows a SHOW/RESET name, or a SET value that is not a
  // plain list, is a syntax error (the token soup found `SHOW search_path (1,1) :id` answering).
  EXPECT_EQ(TranslationError("SHOW search_path (1,1) :id").message, "syntax error at or near \"(\"");
  EXPECT_EQ(TranslationError("RESET search_path :id").code, "42601");
  EXPECT_EQ(TranslationError("SET datestyle TO (:id)").code, "42601");
  EXPECT_EQ(TranslationError("SHOW DATABASES :id").code, "42601");
  EXPECT_NE(Translate("SHOW TABLES FROM SCHEMA dev.public LIKE 'acc%'").find("AND table_name LIKE 'acc%'"), std::string::npos);
  EXPECT_EQ(Translate("SET datestyle TO ISO"), "SET VARIABLE mallard_redshift_setting = 'datestyle'");
}

// ---- syntax ------------------------------------------------------------------------------------

TEST(RedshiftDialect, TopBecomesLimitOfItsQuery) {
  EXPECT_EQ(Translate("SELECT TOP 10 a FROM t ORDER BY a"), "SELECT a FROM t ORDER BY a LIMIT 10 ");
  EXPECT_EQ(Translate("SELECT * FROM (SELECT TOP 2 a FROM t) x"), "SELECT * FROM (SELECT a FROM t LIMIT 2 ) x");
  EXPECT_EQ(RunSql({"SELECT TOP 2 n FROM (VALUES (3), (1), (2)) v(n) ORDER BY n DESC"}).rows,
            (std::vector<std::vector<std::string>>{{"3"}, {"2"}}));
}

TEST(RedshiftDialect, UnnamedColumnsAreNamedAsRedshiftNamesThem) {
  EXPECT_EQ(Translate("SELECT count(*), 1 + 1, a, t.b, c AS d, e f, CASE WHEN a THEN 1 END, DATE_PART(year, x), now() FROM t"),
            "SELECT count(*) AS \"count\", 1 + 1 AS \"?column?\", a, t.b, c AS d, e f, CASE WHEN a THEN 1 END AS \"case\", "
            "CAST(date_part('year', x) AS DOUBLE) AS \"pgdate_part\", now() AS \"now\" FROM t");
  EXPECT_EQ(Translate("SELECT LISTAGG(a, ',') WITHIN GROUP (ORDER BY a), ROW_NUMBER() OVER (ORDER BY a) FROM t"),
            "SELECT string_agg(a, ',' ORDER BY a) AS \"listagg\", row_number() OVER (ORDER BY a) AS \"row_number\" FROM t");
  EXPECT_EQ(Translate("SELECT * EXCLUDE (a), INTERVAL '1' DAY FROM t"),
            "SELECT * exclude(a), INTERVAL '1' day AS \"interval\" FROM t");
  Ran ran = RunSql({"SELECT count(*), max(n) + 1 FROM (VALUES (1), (2)) v(n)"});
  EXPECT_EQ(ran.rows, (std::vector<std::vector<std::string>>{{"2", "3"}}));
}

TEST(RedshiftDialect, SelectIntoCreatesATable) {
  EXPECT_EQ(Translate("SELECT a, b INTO public.c FROM t WHERE a > 1"), "CREATE TABLE main.c AS SELECT a, b FROM t WHERE a > 1");
  EXPECT_EQ(Translate("SELECT TOP 3 a INTO TEMP x FROM t ORDER BY a"),
            "CREATE TEMPORARY TABLE x AS SELECT a FROM t ORDER BY a LIMIT 3");
  EXPECT_EQ(Translate("INSERT INTO t SELECT a FROM u"), "INSERT INTO t SELECT a FROM u");
}

TEST(RedshiftDialect, TypesAreRedshifts) {
  EXPECT_EQ(Translate("SELECT x::varchar(max), CAST(y AS int2), z::super, w::float8 FROM t"),
            "SELECT x::VARCHAR AS \"varchar\", CAST(y AS SMALLINT) AS \"int2\", z::JSON AS \"super\", w::DOUBLE AS \"float8\" "
            "FROM t");
  EXPECT_EQ(Translate("SELECT CAST(a AS character varying(20)), CAST(b AS numeric), CONVERT(int8, c) FROM t"),
            "SELECT CAST(a AS VARCHAR) AS \"varchar\", CAST(b AS DECIMAL(18,0)) AS \"numeric\", CAST(c AS BIGINT) AS \"int8\" "
            "FROM t");
  DialectError geometry = TranslationError("CREATE TABLE g (shape GEOMETRY)");
  EXPECT_EQ(geometry.code, "0A000");
  EXPECT_EQ(geometry.message, "type geometry is not supported by Mallard's Redshift Data");
}

TEST(RedshiftDialect, CreateTableRecordsRedshiftsAttributes) {
  Ran created = RunSql({"CREATE TABLE events (id BIGINT IDENTITY(100, 5), kind VARCHAR(12) ENCODE zstd, at TIMESTAMP SORTKEY, "
                     "payload SUPER) DISTSTYLE KEY DISTKEY(kind) BACKUP NO",
                     "INSERT INTO events (kind, at) VALUES ('a', '2024-01-01'), ('b', '2024-01-02')",
                     "SELECT id, kind FROM events ORDER BY id"});
  ASSERT_EQ(created.error, "");
  EXPECT_EQ(created.rows, (std::vector<std::vector<std::string>>{{"100", "a"}, {"105", "b"}}));
  Ran definition = RunSql({"SELECT \"column\", type, encoding, distkey, sortkey FROM pg_table_def WHERE tablename = 'events'"});
  ASSERT_EQ(definition.error, "");
  EXPECT_EQ(definition.rows, (std::vector<std::vector<std::string>>{{"id", "bigint", "az64", "false", "0"},
                                                                     {"kind", "character varying(12)", "zstd", "true", "0"},
                                                                     {"at", "timestamp without time zone", "none", "false", "1"},
                                                                     {"payload", "super", "lzo", "false", "0"}}));
  Ran info = RunSql({"SELECT \"table\", diststyle, sortkey1, tbl_rows FROM svv_table_info WHERE \"table\" = 'events'"});
  EXPECT_EQ(info.rows, (std::vector<std::vector<std::string>>{{"events", "KEY(kind)", "at", "2"}}));
  Ran tables = RunSql({"SELECT table_schema, table_name, table_type FROM svv_tables WHERE table_name = 'events'"});
  EXPECT_EQ(tables.rows, (std::vector<std::vector<std::string>>{{"public", "events", "BASE TABLE"}}));
  RunSql({"DROP TABLE events"});
}

// ---- functions, against Redshift's documented examples --------------------------------------

TEST(RedshiftFunctions, DateAndTime) {
  EXPECT_EQ(Eval("DATEADD(day, 30, '2008-02-28')"), "2008-03-29 00:00:00");      // DATEADD example
  EXPECT_EQ(Eval("DATEADD(month, 1, '2008-01-31')"), "2008-02-29 00:00:00");     // month end clamps
  EXPECT_EQ(Eval("DATEDIFF(week, '2009-01-01', '2009-12-31')"), "52");            // DATEDIFF example
  EXPECT_EQ(Eval("DATEDIFF(week, '2024-01-06', '2024-01-08')"), "1");             // a Monday crossed
  EXPECT_EQ(Eval("DATEDIFF(day, '2024-01-01 23:00', '2024-01-02 01:00')"), "1");  // boundaries, not hours
  EXPECT_EQ(Eval("DATEDIFF(qtr, '1998-07-01', '2002-12-31')"), "17");
  EXPECT_EQ(Eval("DATE_TRUNC('week', TIMESTAMP '2011-07-21 10:32:38')"), "2011-07-18 00:00:00");
  EXPECT_EQ(Eval("DATE_PART(sec, TIMESTAMP '2009-09-21 11:10:03.189717')"), "3.189717");
  EXPECT_EQ(Eval("EXTRACT(sec FROM TIMESTAMP '2009-09-21 11:10:03.189717')"), "3");
  EXPECT_EQ(Eval("EXTRACT(ms FROM TIMESTAMP '2009-09-21 11:10:03.189717')"), "189");
  EXPECT_EQ(Eval("DATE_PART(dow, TIMESTAMP '2008-01-06 00:00:00')"), "0.0");
  EXPECT_EQ(Eval("ADD_MONTHS('2008-02-29', 1)"), "2008-03-31 00:00:00");  // ADD_MONTHS: last day stays last
  EXPECT_EQ(Eval("MONTHS_BETWEEN('1969-03-18', '1969-01-18')"), "2.0");
  EXPECT_EQ(Eval("LAST_DAY('2004-01-25')"), "2004-01-31");
  EXPECT_EQ(Eval("CONVERT_TIMEZONE('UTC', 'America/New_York', '2008-03-05 12:25:29')"), "2008-03-05 07:25:29");
  EXPECT_EQ(Eval("CONVERT_TIMEZONE('America/New_York', '2008-03-05 12:25:29')"), "2008-03-05 07:25:29");
  EXPECT_EQ(Eval("TO_CHAR(TIMESTAMP '2009-04-05 07:08:09', 'YYYY-MM-DD HH24:MI:SS')"), "2009-04-05 07:08:09");
  EXPECT_EQ(Eval("TO_CHAR(TIMESTAMP '2009-04-05 07:08:09', 'Month DD, YYYY')"), "April     05, 2009");
  EXPECT_EQ(Eval("TO_CHAR(TIMESTAMP '2009-04-05 07:08:09', 'FMMonth DD, YYYY HH12:MI AM')"), "April 05, 2009 07:08 AM");
  EXPECT_EQ(Eval("TO_CHAR(125.8, '999.99')"), " 125.80");
  EXPECT_EQ(Eval("TO_CHAR(-125.8, '999D99S')"), "125.80-");
  EXPECT_EQ(Eval("TO_CHAR(-125.8, 'S999D99')"), "-125.80");
  EXPECT_EQ(Eval("TO_DATE('02 Oct 2001', 'DD Mon YYYY')"), "2001-10-02");
  EXPECT_EQ(Eval("TO_NUMBER('12,454.8-', '99G999D9S')"), "-12454.8");
  EXPECT_EQ(Eval("TRUNC(111.86)"), "111");
  EXPECT_EQ(Eval("TRUNC(111.86, 1)"), "111.8");
  EXPECT_NE(Eval("GETDATE()").find(':'), std::string::npos);
  EXPECT_EQ(Eval("GETDATE() = date_trunc('second', GETDATE())"), "true");
  EXPECT_EQ(Eval("SYSDATE IS NOT NULL"), "true");
  EXPECT_EQ(TranslationError("SELECT DATEADD(fortnight, 1, '2024-01-01')").code, "22023");
}

TEST(RedshiftFunctions, StringsAndConditionals) {
  EXPECT_EQ(Eval("NVL(NULL, 'b')"), "b");
  EXPECT_EQ(Eval("NVL2(NULL, 'a', 'b')"), "b");
  EXPECT_EQ(Eval("DECODE(2, 1, 'one', 2, 'two', 'other')"), "two");
  EXPECT_EQ(Eval("DECODE(NULL, NULL, 'null matched', 'no')"), "null matched");
  EXPECT_EQ(Eval("LEN('français')"), "8");
  EXPECT_EQ(Eval("CHARINDEX('dog', 'fish')"), "0");
  EXPECT_EQ(Eval("CHARINDEX('fish', 'dogfish')"), "4");
  EXPECT_EQ(Eval("STRPOS('dogfish', 'fish')"), "4");
  EXPECT_EQ(Eval("SPLIT_PART('2008-03-05', '-', 2)"), "03");
  EXPECT_EQ(Eval("SUBSTRING('caterpillar', 6, 4)"), "pill");
  EXPECT_EQ(Eval("SUBSTRING('caterpillar', -2, 6)"), "cat");  // SUBSTRING example: a start before 1
  EXPECT_EQ(Eval("BTRIM('xyzaxyzbxyzcxyz', 'xyz')"), "axyzbxyzc");
  EXPECT_EQ(Eval("REPLICATE('ab', 3)"), "ababab");
  EXPECT_EQ(Eval("INITCAP('the hitchhiker''s GUIDE')"), "The Hitchhiker'S Guide");
  EXPECT_EQ(Eval("CONCAT('December 25, ', '2008')"), "December 25, 2008");
  EXPECT_EQ(Eval("CONCAT('a', NULL) IS NULL"), "true");
  EXPECT_EQ(Eval("REGEXP_COUNT('Wednesday', 'e')"), "2");
  EXPECT_EQ(Eval("REGEXP_INSTR('The Home Depot Center', '[cC]ent(er|re)$')"), "16");
  EXPECT_EQ(Eval("REGEXP_INSTR('aXbXc', 'X', 1, 2)"), "4");
  EXPECT_EQ(Eval("REGEXP_REPLACE('aaa', 'a', 'b')"), "bbb");  // every occurrence
  EXPECT_EQ(Eval("REGEXP_SUBSTR('Sam@example.com', '@[^.]*')"), "@example");
  EXPECT_EQ(Eval("REGEXP_SUBSTR('abc', 'x') = ''"), "true");
  EXPECT_EQ(Eval("REGEXP_COUNT('ABCabc', 'b', 1, 'i')"), "2");
  EXPECT_EQ(Eval("TRANSLATE('mint tea', 'inea', 'osin')"), "most tin");
  EXPECT_EQ(Eval("QUOTE_IDENT('catgroup')"), "\"catgroup\"");
  EXPECT_EQ(Eval("QUOTE_LITERAL('it''s')"), "'it''s'");
}

TEST(RedshiftDialect, PatternOperatorsMatchAsPostgresDoes) {
  EXPECT_EQ(Eval("'abc' ~ 'b'"), "true");
  EXPECT_EQ(Eval("'abc' ~ '^b'"), "false");
  EXPECT_EQ(Eval("'a\nb' ~ 'a.b'"), "true");
  EXPECT_EQ(Eval("'ABC' ~* 'b'"), "true");
  EXPECT_EQ(Eval("'abc' !~ 'b'"), "false");
  EXPECT_EQ(Eval("'abc' SIMILAR TO 'a%'"), "true");
  EXPECT_EQ(Eval("'abc' SIMILAR TO 'a.c'"), "false");
  EXPECT_EQ(Eval("~5"), "-6");
  EXPECT_EQ(Translate("SELECT a FROM t WHERE a ~ :p"), "SELECT a FROM t WHERE a ~ ('(?s).*(?:' || :p || ').*')");
}

TEST(RedshiftFunctions, JsonHashesAndMathematics) {
  EXPECT_EQ(Eval("JSON_EXTRACT_PATH_TEXT('{\"f2\":{\"f3\":1},\"f4\":{\"f5\":99,\"f6\":\"star\"}}', 'f4', 'f6')"), "star");
  EXPECT_EQ(Eval("JSON_EXTRACT_PATH_TEXT('{\"f2\":{\"f3\":1}}', 'f9') = ''"), "true");
  EXPECT_EQ(Eval("JSON_EXTRACT_PATH_TEXT('{\"a\":', 'a', true) IS NULL"), "true");
  EXPECT_EQ(Eval("JSON_EXTRACT_ARRAY_ELEMENT_TEXT('[111,112,113]', 2)"), "113");
  EXPECT_EQ(Eval("JSON_ARRAY_LENGTH('[11,12,13,{\"f1\":21,\"f2\":[25,26]},14]')"), "5");
  EXPECT_EQ(Eval("IS_VALID_JSON('{\"a\":2}')"), "true");
  EXPECT_EQ(Eval("IS_VALID_JSON('{\"a\":2')"), "false");
  EXPECT_EQ(Eval("MD5('Amazon Redshift')"), "f7415e33f972c03abd4f3fed36748f7a");
  EXPECT_EQ(Eval("FUNC_SHA1('Amazon Redshift')"), "eeac5ed1e11cda66032c30ad77b25071b5487f55");
  EXPECT_EQ(Eval("SHA2('Amazon Redshift', 256)"), "15013dc10bc5b293f1f66ea28d818387f191cafeb26f89639fae0b4acf9c8772");
  EXPECT_EQ(TranslationError("SELECT SHA2('a', 512)").code, "0A000");
  EXPECT_EQ(Eval("LOG(100)"), "2.0");
  EXPECT_EQ(Eval("MOD(10, 4)"), "2");
  EXPECT_EQ(Eval("POWER(2, 10)"), "1024.0");
  EXPECT_EQ(Eval("ROUND(2.5)"), "3");
}

TEST(RedshiftFunctions, AggregatesAndWindows) {
  Ran ran = RunSql({"SELECT LISTAGG(s, ', ') WITHIN GROUP (ORDER BY s DESC) AS l, MEDIAN(n) AS m, "
                 "APPROXIMATE COUNT(DISTINCT s) AS c FROM (VALUES ('a', 1), ('b', 2), ('c', 4)) v(s, n)"});
  ASSERT_EQ(ran.error, "");
  EXPECT_EQ(ran.rows, (std::vector<std::vector<std::string>>{{"c, b, a", "2", "3"}}));
  Ran ratio = RunSql({"SELECT n, RATIO_TO_REPORT(n) OVER () FROM (VALUES (1), (3)) v(n) ORDER BY n"});
  EXPECT_EQ(ratio.rows, (std::vector<std::vector<std::string>>{{"1", "0.25"}, {"3", "0.75"}}));
}

TEST(RedshiftFunctions, LeftOutFunctionsFailAsUndefined) {
  DialectError error = TranslationError("SELECT FNV_HASH('a')");
  EXPECT_EQ(error.code, "42883");
  EXPECT_EQ(error.message, "function fnv_hash(\"unknown\") does not exist");
  EXPECT_EQ(TranslationError("SELECT NVL2(1, 2)").message, "function nvl2(integer, integer) does not exist");
  // DuckDB's own functions stay available.
  EXPECT_EQ(Eval("list_sum([1, 2])"), "3");
}

TEST(RedshiftDialect, EngineErrorsReadAsRedshiftWritesThem) {
  EXPECT_EQ(RedshiftEngineError("Catalog Error: Table with name nope does not exist!\nDid you mean \"x\"?\n\nLINE 1: ..."),
            "relation \"nope\" does not exist");
  EXPECT_EQ(RedshiftEngineError("Parser Error: syntax error at or near \"FORM\"\n\nLINE 1: SELECT 1 FORM"),
            "syntax error at or near \"FORM\"");
  EXPECT_EQ(RedshiftEngineError("Binder Error: Referenced column \"zz\" not found in FROM clause!\nCandidate bindings: ..."),
            "column \"zz\" does not exist");
  EXPECT_EQ(RunSql({"SELECT * FROM no_such_table"}).error, "relation \"no_such_table\" does not exist");
  EXPECT_EQ(TranslationError("SELECT (1").code, "42601");
}

// CRC-32C computed bit by bit here, independently of the engine's macro.
std::string ReferenceCrc32c(const std::string& bytes) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0x82F63B78u : 0u);
  }
  char text[9];
  std::snprintf(text, sizeof text, "%08x", crc ^ 0xFFFFFFFFu);
  return text;
}

TEST(RedshiftFunctions, Crc32IsCrc32cOfTheUtf8Bytes) {
  EXPECT_EQ(Eval("CRC32('Amazon Redshift')"), "f2726906");  // the CRC32 function's example
  EXPECT_EQ(Eval("CRC32('')"), "00000000");
  EXPECT_EQ(Eval("CRC32(NULL) IS NULL"), "true");
  const char* seed_text = std::getenv("MALLARD_REDSHIFT_CRC_SEED");
  const unsigned seed = seed_text != nullptr ? static_cast<unsigned>(std::strtoul(seed_text, nullptr, 10)) : 32;
  std::mt19937 random(seed);
  const std::vector<std::string> pieces = {"a", "Z", "0", " ", "é", "ß", "日本", "\t", "''", "%", "\\", "😀"};
  for (int round = 0; round < 60; ++round) {
    std::string text;
    const int length = static_cast<int>(random() % 40);
    for (int i = 0; i < length; ++i) text += pieces[random() % pieces.size()];
    std::string literal = QuoteString(text);
    EXPECT_EQ(Eval("CRC32(" + literal + ")"), ReferenceCrc32c(text)) << "seed " << seed << ": " << literal;
  }
}

// ---- the token soup ---------------------------------------------------------------------------

TEST(RedshiftDialect, TokenSoupNeverCrashesAndKeepsLiteralsAndParameters) {
  const char* seed_text = std::getenv("MALLARD_REDSHIFT_SOUP_SEED");
  const unsigned seed = seed_text != nullptr ? static_cast<unsigned>(std::strtoul(seed_text, nullptr, 10)) : 20;
  std::mt19937 random(seed);
  const std::vector<std::string> vocabulary = {
      "SELECT", "TOP", "5", "FROM", "public", ".", "dev", "t", "WHERE", "(", ")", ",", "=", "'it''s'", "'x'",
      ":id", ":name", "$1", "?", "::", "varchar", "(max)", "int2", "super", "LISTAGG", "WITHIN", "GROUP", "ORDER",
      "BY", "APPROXIMATE", "COUNT", "DISTINCT", "DATEADD", "day", "DATEDIFF", "week", "NVL", "DECODE", "SET",
      "search_path", "TO", "SHOW", "CREATE", "TABLE", "IDENTITY", "(1,1)", "DISTKEY", "SORTKEY", "ENCODE", "az64",
      "DISTSTYLE", "KEY", "AS", ";", "--c\n", "/*c*/", "\"q\"\"x\"", "at", "last", "window", "svv_tables",
      "pg_table_def", "information_schema", "tables", "EXTRACT", "ms", "CAST", "geometry", "SYSDATE", "user",
      "RATIO_TO_REPORT", "OVER", "[", "]", "{", "}", "+", "-", "*", "1.5e3", "E'x'", "'unterminated", "\"unclosed",
      "INSERT", "INTO", "\"Odd \"\"T\"", "s.", "~", "!~", "~*", "SIMILAR", "SUBSTRING", "FOR", "INTERVAL", "'1'", "TIMESTAMP", "CONVERT"};
  for (int round = 0; round < 4000; ++round) {
    std::string sql;
    std::vector<std::string> kept;
    const int length = 1 + static_cast<int>(random() % 24);
    for (int i = 0; i < length; ++i) {
      const std::string& word = vocabulary[random() % vocabulary.size()];
      sql += word + (random() % 3 == 0 ? "" : " ");
    }
    RedshiftSession session;
    auto translated = TranslateRedshift(sql, session);
    if (!translated.ok()) {
      EXPECT_FALSE(translated.error().message.empty()) << "seed " << seed << " round " << round << ": " << sql;
      continue;
    }
    // Lexically whole input gives lexically whole output (no quote lost or split).
    bool input_whole = true;
    for (const auto& token : Tokenize(sql)) input_whole = input_whole && !token.unterminated;
    if (input_whole) {
      for (const auto& token : Tokenize(*translated)) {
        EXPECT_FALSE(token.unterminated) << "seed " << seed << " round " << round << ": " << sql << "\n→ " << *translated;
      }
    }
    // Every complete string literal and named parameter of the input is in the output, unchanged.
    for (const auto& token : Tokenize(sql)) {
      const bool literal = token.Is(TokenKind::String) && !token.unterminated;
      const bool parameter = token.Is(TokenKind::Parameter) && token.text.size() > 1 && token.text[0] == ':';
      if (!literal && !parameter) continue;
      EXPECT_NE(translated->find(std::string(token.text)), std::string::npos)
          << "seed " << seed << " round " << round << ": " << sql << "\n→ " << *translated;
    }
  }
  // Deep nesting is an error, never a stack overflow.
  std::string deep(100000, '(');
  RedshiftSession session;
  EXPECT_FALSE(TranslateRedshift("SELECT " + deep, session).ok());
}

}  // namespace
}  // namespace mallard::sqlengine::dialect

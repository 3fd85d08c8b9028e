// Athena's DDL over S3: the hand-written parser (CREATE EXTERNAL TABLE and friends), Hive types,
// partition projection's dates, the definition JSON, and a seeded random mutation test that the
// parser never crashes and either parses or reports a position inside the statement
// (MALLARD_ATHENA_DDL_SEED=n replays one seed).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>

#include "services/athena/athena_external_ddl.hpp"
#include "services/athena/athena_external_projection.hpp"
#include "services/athena/athena_external_show.hpp"
#include "services/athena/athena_external_tables.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::athena::external {
namespace {

// A copy: the parse is usually a temporary.
template <typename T>
T As(const ExternalParse& parse) {
  EXPECT_FALSE(parse.error.has_value()) << (parse.error ? parse.error->message : "");
  EXPECT_TRUE(parse.statement.has_value());
  if (!parse.statement) return T{};
  const T* value = std::get_if<T>(&*parse.statement);
  EXPECT_NE(value, nullptr);
  return value != nullptr ? *value : T{};
}

TEST(AthenaExternalDdlTest, CreateExternalParquetTable) {
  auto parse = ParseExternalStatement(
      "CREATE EXTERNAL TABLE IF NOT EXISTS `Sales`.`Orders` (\n"
      "  `id` bigint COMMENT 'the id', Name string, price decimal(10,2), tags array<string>,\n"
      "  attrs map<string,int>, nested struct<a:int,b:array<struct<c:string>>>)\n"
      "COMMENT 'orders'\n"
      "PARTITIONED BY (dt string, hour int)\n"
      "STORED AS PARQUET\n"
      "LOCATION 's3://bucket/orders/'\n"
      "TBLPROPERTIES ('parquet.compress'='SNAPPY', 'projection.enabled'='false');");
  const auto spec = As<CreateExternalTable>(parse).spec;
  EXPECT_TRUE(spec.if_not_exists);
  EXPECT_EQ(spec.table.database, "sales");
  EXPECT_EQ(spec.table.name, "orders");
  ASSERT_EQ(spec.columns.size(), 6u);
  EXPECT_EQ(spec.columns[0].name, "id");
  EXPECT_EQ(spec.columns[0].comment, "the id");
  EXPECT_EQ(spec.columns[1].name, "name");
  EXPECT_EQ(HiveTypeText(spec.columns[2].type), "decimal(10,2)");
  EXPECT_EQ(EngineTypeText(spec.columns[2].type), "DECIMAL(10,2)");
  EXPECT_EQ(HiveTypeText(spec.columns[3].type), "array<string>");
  EXPECT_EQ(EngineTypeText(spec.columns[3].type), "VARCHAR[]");
  EXPECT_EQ(EngineTypeText(spec.columns[4].type), "MAP(VARCHAR, INTEGER)");
  EXPECT_EQ(HiveTypeText(spec.columns[5].type), "struct<a:int,b:array<struct<c:string>>>");
  EXPECT_EQ(EngineTypeText(spec.columns[5].type), "STRUCT(\"a\" INTEGER, \"b\" STRUCT(\"c\" VARCHAR)[])");
  ASSERT_EQ(spec.partition_columns.size(), 2u);
  EXPECT_EQ(spec.partition_columns[1].name, "hour");
  EXPECT_EQ(spec.comment, "orders");
  EXPECT_EQ(spec.format, StorageFormat::Parquet);
  EXPECT_EQ(ReadKindOf(spec), ReadKind::Parquet);
  EXPECT_EQ(spec.location, "s3://bucket/orders/");
  ASSERT_EQ(spec.table_properties.size(), 2u);
  EXPECT_EQ(spec.table_properties[0].second, "SNAPPY");
}

TEST(AthenaExternalDdlTest, RowFormats) {
  auto csv = ParseExternalStatement(
      "create external table t (a int, b string) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
      "WITH SERDEPROPERTIES ('separatorChar' = ';', 'quoteChar' = '\"') STORED AS TEXTFILE LOCATION 's3://b/t' "
      "TBLPROPERTIES ('skip.header.line.count'='1')");
  const auto csv_spec = As<CreateExternalTable>(csv).spec;
  EXPECT_EQ(ReadKindOf(csv_spec), ReadKind::OpenCsv);
  ASSERT_NE(FindProperty(csv_spec.serde_properties, "separatorChar"), nullptr);
  EXPECT_EQ(*FindProperty(csv_spec.serde_properties, "separatorChar"), ";");

  auto delimited = ParseExternalStatement(
      "CREATE EXTERNAL TABLE t (a int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' ESCAPED BY '\\\\' "
      "COLLECTION ITEMS TERMINATED BY '|' MAP KEYS TERMINATED BY ':' LINES TERMINATED BY '\\n' "
      "STORED AS TEXTFILE LOCATION 's3://b/t/'");
  const auto text = As<CreateExternalTable>(delimited).spec;
  EXPECT_EQ(ReadKindOf(text), ReadKind::DelimitedText);
  EXPECT_EQ(*FindProperty(text.serde_properties, "field.delim"), ",");
  EXPECT_EQ(*FindProperty(text.serde_properties, "collection.delim"), "|");
  EXPECT_EQ(*FindProperty(text.serde_properties, "mapkey.delim"), ":");

  // Hive unescapes delimiters and SERDEPROPERTIES: '\t' is a tab, '\001' byte 1, '\\' one backslash.
  auto tabs = As<CreateExternalTable>(ParseExternalStatement(
                                          "CREATE EXTERNAL TABLE t (a int) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' "
                                          "COLLECTION ITEMS TERMINATED BY '\\002' LOCATION 's3://b/t/'"))
                  .spec;
  EXPECT_EQ(*FindProperty(tabs.serde_properties, "field.delim"), "\t");
  EXPECT_EQ(*FindProperty(tabs.serde_properties, "collection.delim"), "\x02");
  auto escaped = As<CreateExternalTable>(ParseExternalStatement(
                                             "CREATE EXTERNAL TABLE t (a int) ROW FORMAT SERDE 'x.OpenCSVSerde' WITH "
                                             "SERDEPROPERTIES ('escapeChar' = '\\\\', 'separatorChar' = '\\u0009') "
                                             "LOCATION 's3://b/t/'"))
                     .spec;
  EXPECT_EQ(*FindProperty(escaped.serde_properties, "escapeChar"), "\\");
  EXPECT_EQ(*FindProperty(escaped.serde_properties, "separatorChar"), "\t");

  auto json = ParseExternalStatement(
      "CREATE EXTERNAL TABLE j (a int) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://b/j/'");
  EXPECT_EQ(ReadKindOf(As<CreateExternalTable>(json).spec), ReadKind::Json);

  auto input_format = ParseExternalStatement(
      "CREATE EXTERNAL TABLE p (a int) ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' "
      "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat' "
      "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat' LOCATION 's3://b/p/'");
  EXPECT_EQ(ReadKindOf(As<CreateExternalTable>(input_format).spec), ReadKind::Parquet);

  auto orc = ParseExternalStatement("CREATE EXTERNAL TABLE o (a int) STORED AS ORC LOCATION 's3://b/o/'");
  EXPECT_EQ(ReadKindOf(As<CreateExternalTable>(orc).spec), ReadKind::Orc);
}

TEST(AthenaExternalDdlTest, NotOurs) {
  for (const char* sql : {"SELECT 1", "CREATE TABLE t (a int)", "CREATE TABLE t AS SELECT 1", "CREATE VIEW v AS SELECT 1",
                          "ALTER TABLE t RENAME TO u", "SHOW search_path", "INSERT OVERWRITE t SELECT 1", "",
                          "CREATE DATABASE d", "DROP SCHEMA s", "WITH x AS (SELECT 1) SELECT * FROM x"}) {
    auto parse = ParseExternalStatement(sql);
    EXPECT_FALSE(parse.statement.has_value()) << sql;
    EXPECT_FALSE(parse.error.has_value()) << sql << ": " << (parse.error ? parse.error->message : "");
  }
}

TEST(AthenaExternalDdlTest, Errors) {
  struct Case {
    const char* sql;
    const char* message;
  };
  for (const Case& c : {
           Case{"CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET", "line 1:50: mismatched input '<EOF>'. Expecting: LOCATION"},
           Case{"CREATE EXTERNAL TABLE t (a nope) LOCATION 's3://b/'", "line 1:28: unknown type 'nope'"},
           Case{"CREATE EXTERNAL TABLE t (a int, a string) LOCATION 's3://b/'", "duplicate column name 'a'"},
           Case{"CREATE EXTERNAL TABLE t (a array<int) LOCATION 's3://b/'", "Expecting: '>'"},
           Case{"CREATE EXTERNAL TABLE t (a decimal(40,2)) LOCATION 's3://b/'", "invalid decimal precision"},
           Case{"CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (a string) LOCATION 's3://b/'",
                "Column repeated in partitioning columns: a"},
           Case{"CREATE EXTERNAL TABLE t (a int) STORED AS FOO LOCATION 's3://b/'", "Unrecognized file format"},
           Case{"MSCK REPAIR t", "Expecting: TABLE"},
           Case{"UNLOAD (SELECT 1 TO 's3://b/x/'", "Expecting: ')'"},
           Case{"UNLOAD (SELECT 1) TO 's3://b/x/' WITH (format = 'PARQUET', format = 'JSON')", "Duplicate property: format"},
           Case{"ALTER TABLE t ADD PARTITION dt='x'", "Expecting: '('"},
           Case{"SHOW PARTITIONS", "Expecting: a table name"},
           Case{"INSERT INTO t SELECT 1; DROP TABLE u", "mismatched input ';'"},
           Case{"CREATE TABLE t WITH (format='PARQUET') AS SELECT (1", "Expecting: ')'"},
       }) {
    auto parse = ParseExternalStatement(c.sql);
    ASSERT_TRUE(parse.error.has_value()) << c.sql;
    EXPECT_NE(parse.error->message.find(c.message), std::string::npos) << c.sql << " → " << parse.error->message;
    EXPECT_LE(parse.error->offset, std::string_view(c.sql).size());
  }
}

TEST(AthenaExternalDdlTest, PartitionsAndAlter) {
  const auto add = As<AddPartitions>(ParseExternalStatement(
      "ALTER TABLE db.t ADD IF NOT EXISTS PARTITION (dt='2024-01-01', h=3) LOCATION 's3://b/x/' PARTITION (dt = '2024-01-02', h=4)"));
  EXPECT_TRUE(add.if_not_exists);
  EXPECT_EQ(add.table.database, "db");
  ASSERT_EQ(add.partitions.size(), 2u);
  EXPECT_EQ(add.partitions[0].values[1].second, "3");
  EXPECT_EQ(add.partitions[0].location, "s3://b/x/");
  EXPECT_EQ(add.partitions[1].location, "");
  const auto drop = As<DropPartitions>(ParseExternalStatement("ALTER TABLE t DROP IF EXISTS PARTITION (dt='a'), PARTITION (dt='b')"));
  EXPECT_TRUE(drop.if_exists);
  EXPECT_EQ(drop.partitions.size(), 2u);
  const auto set = As<SetTableProperties>(ParseExternalStatement("ALTER TABLE t SET TBLPROPERTIES ('a'='1')"));
  EXPECT_EQ(set.properties.size(), 1u);
  EXPECT_EQ(As<SetLocation>(ParseExternalStatement("alter table t set location 's3://b/n/'")).location, "s3://b/n/");
  EXPECT_EQ(As<RepairTable>(ParseExternalStatement("MSCK REPAIR TABLE `T`")).table.name, "t");
  const auto added = As<ChangeColumns>(ParseExternalStatement("ALTER TABLE t ADD COLUMNS (c string COMMENT 'x', d int)"));
  EXPECT_FALSE(added.replace);
  EXPECT_EQ(added.columns.size(), 2u);
  EXPECT_TRUE(As<ChangeColumns>(ParseExternalStatement("ALTER TABLE t REPLACE COLUMNS (c string)")).replace);
}

TEST(AthenaExternalDdlTest, ShowAndDescribe) {
  EXPECT_EQ(As<ShowTables>(ParseExternalStatement("SHOW TABLES IN sales 'ord*'")).pattern.value_or(""), "ord*");
  EXPECT_EQ(As<ShowTables>(ParseExternalStatement("show tables")).database, "");
  EXPECT_FALSE(As<ShowDatabases>(ParseExternalStatement("SHOW SCHEMAS")).pattern.has_value());
  EXPECT_EQ(As<ShowColumns>(ParseExternalStatement("SHOW COLUMNS FROM t IN db")).table.database, "db");
  EXPECT_EQ(As<ShowPartitions>(ParseExternalStatement("SHOW PARTITIONS db.t")).table.name, "t");
  EXPECT_EQ(As<ShowCreateTable>(ParseExternalStatement("SHOW CREATE TABLE t")).table.name, "t");
  EXPECT_TRUE(As<DescribeTable>(ParseExternalStatement("DESCRIBE FORMATTED t")).formatted);
  EXPECT_EQ(As<DropTable>(ParseExternalStatement("DROP TABLE IF EXISTS `db`.t")).table.database, "db");
}

TEST(AthenaExternalDdlTest, WritingStatements) {
  const auto ctas = As<CreateTableAs>(ParseExternalStatement(
      "CREATE TABLE new_t WITH (format = 'PARQUET', external_location = 's3://b/n/', partitioned_by = ARRAY['dt'], "
      "bucket_count = 4) AS SELECT a, dt FROM t WHERE x = ')' WITH NO DATA"));
  EXPECT_EQ(ctas.table.name, "new_t");
  EXPECT_FALSE(ctas.with_data);
  EXPECT_EQ(ctas.query, "SELECT a, dt FROM t WHERE x = ')'");
  ASSERT_NE(FindWith(ctas.with, "partitioned_by"), nullptr);
  EXPECT_EQ(FindWith(ctas.with, "partitioned_by")->list, std::vector<std::string>{"dt"});
  EXPECT_EQ(FindWith(ctas.with, "bucket_count")->value, "4");

  const auto insert = As<InsertInto>(ParseExternalStatement("INSERT INTO t (a, B) VALUES (1, 'x'), (2, 'y');"));
  EXPECT_EQ(insert.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(insert.query, "VALUES (1, 'x'), (2, 'y')");
  const auto insert_select = As<InsertInto>(ParseExternalStatement("INSERT INTO t (SELECT 1)"));
  EXPECT_TRUE(insert_select.columns.empty());
  EXPECT_EQ(insert_select.query, "(SELECT 1)");

  const auto unload = As<Unload>(ParseExternalStatement(
      "UNLOAD (SELECT * FROM t WHERE s = ')(') TO 's3://b/u/' WITH (format = 'JSON', compression = 'GZIP')"));
  EXPECT_EQ(unload.query, "SELECT * FROM t WHERE s = ')('");
  EXPECT_EQ(unload.location, "s3://b/u/");
  EXPECT_EQ(FindWith(unload.with, "format")->value, "JSON");
}

TEST(AthenaExternalDdlTest, DefinitionJsonRoundTrip) {
  auto parse = ParseExternalStatement(
      "CREATE EXTERNAL TABLE t (a struct<x:int,y:map<string,array<decimal(5,1)>>> COMMENT 'c', b string) "
      "PARTITIONED BY (dt date) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' LOCATION 's3://b/t/' "
      "TBLPROPERTIES ('k'='v')");
  ExternalTable table;
  table.database = "default";
  table.spec = As<CreateExternalTable>(parse).spec;
  table.partitions.push_back(PartitionSpec{{{"dt", "2024-01-01"}}, "s3://b/elsewhere/"});
  table.created_seconds = 1700000000;
  auto back = ParseDefinitionJson(DefinitionJson(table));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(DefinitionJson(*back), DefinitionJson(table));
  EXPECT_EQ(HiveTypeText(back->spec.columns[0].type), "struct<x:int,y:map<string,array<decimal(5,1)>>>");
  EXPECT_FALSE(ParseDefinitionJson("{\"name\": 1}").ok());
  EXPECT_FALSE(ParseDefinitionJson("[").ok());
}

TEST(AthenaExternalDdlTest, PartitionPathsAndProjectionDates) {
  EXPECT_EQ(PartitionPath({"dt", "k"}, {"2024-01-01 10:00", "a/b"}), "dt=2024-01-01 10%3A00/k=a%2Fb");
  EXPECT_EQ(UnescapePartitionValue("2024-01-01 10%3A00"), "2024-01-01 10:00");
  EXPECT_EQ(UnescapePartitionValue("100%"), "100%");
  auto parsed = ParseProjectedDate("yyyy-MM-dd", "2024-02-29");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, 1709164800);
  EXPECT_EQ(FormatProjectedDate("yyyy/MM/dd/HH", *parsed + 3600 * 5), "2024/02/29/05");
  EXPECT_EQ(FormatProjectedDate("'year='yyyy", *parsed), "year=2024");
  EXPECT_FALSE(ParseProjectedDate("yyyy-MM-dd", "2024-13-01").has_value());
  EXPECT_FALSE(ParseProjectedDate("yyyy-MM-dd", "2024-01-01x").has_value());
  // An independent reference for the calendar: every day of 1999..2004 formats and parses back.
  std::int64_t day = *ParseProjectedDate("yyyy-MM-dd", "1999-01-01");
  int year = 1999, month = 1, dom = 1;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int i = 0; i < 6 * 366 && year < 2005; ++i, day += 86400) {
    char expected[16];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02d", year, month, dom);
    ASSERT_EQ(FormatProjectedDate("yyyy-MM-dd", day), expected);
    ASSERT_EQ(ParseProjectedDate("yyyy-MM-dd", expected), day);
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int length = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
    if (++dom > length) {
      dom = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
}

TEST(AthenaExternalDdlTest, ProjectionChecks) {
  auto spec_of = [](const std::string& properties) {
    return As<CreateExternalTable>(ParseExternalStatement(
                                       "CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (dt string, n int) LOCATION "
                                       "'s3://b/t/' TBLPROPERTIES (" + properties + ")"))
        .spec;
  };
  EXPECT_TRUE(CheckProjection(spec_of("'projection.enabled'='true', 'projection.dt.type'='date', "
                                      "'projection.dt.range'='2024-01-01,NOW', 'projection.dt.format'='yyyy-MM-dd', "
                                      "'projection.n.type'='integer', 'projection.n.range'='1,3'"))
                  .ok());
  EXPECT_FALSE(CheckProjection(spec_of("'projection.enabled'='true', 'projection.dt.type'='date'")).ok());
  EXPECT_FALSE(CheckProjection(spec_of("'projection.enabled'='true', 'projection.dt.type'='enum', "
                                       "'projection.dt.values'='a,b', 'projection.n.type'='nope'"))
                   .ok());
  EXPECT_TRUE(CheckProjection(spec_of("'projection.enabled'='false'")).ok());
}

TEST(AthenaExternalDdlTest, ShowHelpers) {
  EXPECT_EQ(SelectRows({"a"}, {}), "SELECT NULL::VARCHAR AS \"a\" WHERE false");
  EXPECT_EQ(SelectRows({"a", "b"}, {{"x'y", "z"}}),
            "SELECT * FROM (VALUES ('x''y'::VARCHAR, 'z'::VARCHAR)) AS answer(\"a\", \"b\")");
}

// Valid statements mutated at random (a token dropped, duplicated, swapped with its neighbour,
// replaced by another statement's token, or the text cut short): the parser must return, and an
// error must point inside the text with a "line L:C:" prefix that agrees with its offset.
TEST(AthenaExternalDdlTest, SeededMutationsNeverCrash) {
  const std::vector<std::string> corpus = {
      "CREATE EXTERNAL TABLE IF NOT EXISTS db.t (a int COMMENT 'x', b array<struct<c:string,d:map<string,int>>>) "
      "COMMENT 't' PARTITIONED BY (dt string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' WITH "
      "SERDEPROPERTIES ('ignore.malformed.json'='true') STORED AS TEXTFILE LOCATION 's3://b/t/' TBLPROPERTIES "
      "('projection.enabled'='true')",
      "CREATE EXTERNAL TABLE t (a int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' ESCAPED BY '\\\\' LINES "
      "TERMINATED BY '\\n' STORED AS INPUTFORMAT 'x' OUTPUTFORMAT 'y' LOCATION 's3://b/'",
      "ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt='1', h=2) LOCATION 's3://b/x' PARTITION (dt='2', h=3)",
      "ALTER TABLE t DROP IF EXISTS PARTITION (dt='1'), PARTITION (dt='2')",
      "ALTER TABLE t SET TBLPROPERTIES ('a'='b')",
      "ALTER TABLE db.t ADD COLUMNS (c array<string> COMMENT 'x', d decimal(5,2))",
      "MSCK REPAIR TABLE t",
      "SHOW TABLES IN db 'a*|b'",
      "SHOW COLUMNS IN t FROM db",
      "SHOW CREATE TABLE db.t",
      "DESCRIBE FORMATTED db.t",
      "CREATE TABLE t WITH (format='JSON', partitioned_by=ARRAY['a','b']) AS (SELECT 1 AS x, 'y' AS a, 2 AS b)",
      "INSERT INTO t (a, b) SELECT x, y FROM (VALUES (1, 2)) v(x, y)",
      "UNLOAD (SELECT a FROM t WHERE b IN (1, 2)) TO 's3://b/u/' WITH (format='TEXTFILE', field_delimiter=',')",
  };
  std::uint64_t seed = std::random_device{}();
  if (const char* given = std::getenv("MALLARD_ATHENA_DDL_SEED")) seed = std::strtoull(given, nullptr, 10);
  std::mt19937_64 random(seed);
  SCOPED_TRACE("MALLARD_ATHENA_DDL_SEED=" + std::to_string(seed));
  int parsed = 0;
  int errors = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string& base = corpus[random() % corpus.size()];
    std::vector<std::string> tokens;
    for (const auto& token : sqlengine::dialect::Tokenize(base)) tokens.emplace_back(token.text);
    const int mutations = 1 + static_cast<int>(random() % 3);
    for (int m = 0; m < mutations && !tokens.empty(); ++m) {
      std::size_t at = random() % tokens.size();
      switch (random() % 5) {
        case 0: tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(at)); break;
        case 1: tokens.insert(tokens.begin() + static_cast<std::ptrdiff_t>(at), tokens[at]); break;
        case 2:
          if (at + 1 < tokens.size()) std::swap(tokens[at], tokens[at + 1]);
          break;
        case 3: {
          const std::string& other = corpus[random() % corpus.size()];
          auto other_tokens = sqlengine::dialect::Tokenize(other);
          tokens[at] = std::string(other_tokens[random() % other_tokens.size()].text);
          break;
        }
        default: tokens.resize(at); break;
      }
    }
    std::string sql;
    for (const auto& token : tokens) sql += token;
    ExternalParse parse = ParseExternalStatement(sql);
    ASSERT_FALSE(parse.statement.has_value() && parse.error.has_value()) << sql;
    if (parse.statement) ++parsed;
    if (!parse.error) continue;
    ++errors;
    ASSERT_LE(parse.error->offset, sql.size()) << sql;
    auto position = sqlengine::dialect::PositionOf(sql, parse.error->offset);
    std::string prefix = "line " + std::to_string(position.line) + ":" + std::to_string(position.column) + ": ";
    ASSERT_EQ(parse.error->message.rfind(prefix, 0), 0u) << sql << " → " << parse.error->message;
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace mallard::athena::external

namespace mallard::athena::external {
namespace {

// A random directory tree under a bucket (names hidden or not, files empty or not, nested up to
// four levels) against an independent reference: the directories the view must read are exactly
// those reachable through non-hidden directories that directly hold a non-hidden, non-empty file.
TEST(AthenaExternalTablesTest, DataDirectoriesOfRandomTrees) {
  std::uint64_t seed = std::random_device{}();
  if (const char* given = std::getenv("MALLARD_ATHENA_DDL_SEED")) seed = std::strtoull(given, nullptr, 10);
  std::mt19937_64 random(seed);
  SCOPED_TRACE("MALLARD_ATHENA_DDL_SEED=" + std::to_string(seed));
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("mallard-external-" + std::to_string(seed) + "-" + std::to_string(::getpid()));
  services::S3LocalFiles files(root);
  for (int round = 0; round < 30; ++round) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "bucket" / "table");
    std::set<std::string> expected;
    std::function<void(const std::filesystem::path&, const std::string&, int, bool)> grow =
        [&](const std::filesystem::path& directory, const std::string& relative, int depth, bool visible) {
          const int entries = static_cast<int>(random() % 5);
          for (int i = 0; i < entries; ++i) {
            const char* prefixes[] = {"", "", "", "_", "."};
            std::string name = std::string(prefixes[random() % 5]) + "n" + std::to_string(i);
            const bool hidden = name[0] == '_' || name[0] == '.';
            if (depth < 4 && random() % 3 == 0) {
              std::filesystem::create_directories(directory / name);
              grow(directory / name, relative + "/" + name, depth + 1, visible && !hidden);
            } else {
              const bool empty = random() % 4 == 0;
              std::ofstream(directory / name) << (empty ? "" : "data");
              if (visible && !hidden && !empty) expected.insert((root / "bucket" / "table").string() + relative);
            }
          }
        };
    grow(root / "bucket" / "table", "", 0, true);
    ExternalTable table;
    table.database = "default";
    table.spec.table.name = "t";
    table.spec.location = "s3://bucket/table/";
    table.spec.columns.push_back(ColumnSpec{"a", *ParseHiveType("int"), ""});
    auto sources = CurrentSources(table, files, 0);
    ASSERT_TRUE(sources.ok()) << sources.error();
    std::set<std::string> got;
    for (const auto& source : *sources) got.insert(source.directory.string());
    ASSERT_EQ(got, expected) << "round " << round;
    // The view reads each of them, or nothing at all.
    std::string view = ViewStatement(table, "main", *sources);
    if (expected.empty()) {
      EXPECT_NE(view.find("WHERE false"), std::string::npos);
    } else {
      for (const auto& directory : expected) EXPECT_NE(view.find(directory + "/[!_.]*"), std::string::npos);
    }
  }
  std::filesystem::remove_all(root);
}

TEST(AthenaExternalTablesTest, PartitionLocationsAndProjection) {
  auto spec = ParseExternalStatement(
      "CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (dt string, n int) LOCATION 's3://bucket/t/' TBLPROPERTIES "
      "('projection.enabled'='true', 'projection.dt.type'='date', 'projection.dt.format'='yyyy-MM-dd', "
      "'projection.dt.range'='2024-02-27,2024-03-02', 'projection.n.type'='integer', 'projection.n.range'='8,10', "
      "'projection.n.digits'='2')");
  ASSERT_TRUE(spec.statement.has_value());
  ExternalTable table;
  table.database = "default";
  table.spec = std::get<CreateExternalTable>(*spec.statement).spec;
  services::S3LocalFiles files("/nonexistent-root");
  auto partitions = EffectivePartitions(table, files, 0);
  ASSERT_TRUE(partitions.ok()) << partitions.error();
  ASSERT_EQ(partitions->size(), 5u * 3u);  // 2024 is a leap year: 02-27, 02-28, 02-29, 03-01, 03-02
  EXPECT_EQ(partitions->front().location, "s3://bucket/t/dt=2024-02-27/n=08/");
  EXPECT_EQ((*partitions)[8].values[0].second, "2024-02-29");
  EXPECT_EQ(partitions->back().location, "s3://bucket/t/dt=2024-03-02/n=10/");
  // A range that ends before it starts projects nothing (not every directory, as injected would);
  // integer ranges at the ends of 64 bits neither overflow nor loop.
  SetProperty(table.spec.table_properties, "projection.dt.range", "2024-03-02,2024-03-01");
  partitions = EffectivePartitions(table, files, 0);
  ASSERT_TRUE(partitions.ok()) << partitions.error();
  EXPECT_TRUE(partitions->empty());
  SetProperty(table.spec.table_properties, "projection.dt.range", "2024-03-01,2024-03-01");
  SetProperty(table.spec.table_properties, "projection.n.range", "-9223372036854775808,9223372036854775807");
  EXPECT_FALSE(EffectivePartitions(table, files, 0).ok());
  SetProperty(table.spec.table_properties, "projection.n.range", "9223372036854775806,9223372036854775807");
  partitions = EffectivePartitions(table, files, 0);
  ASSERT_TRUE(partitions.ok()) << partitions.error();
  EXPECT_EQ(partitions->size(), 2u);
  // Registered partitions with and without their own location.
  SetProperty(table.spec.table_properties, "projection.enabled", "false");
  table.partitions = {PartitionSpec{{{"dt", "a b:c"}, {"n", "1"}}, ""}, PartitionSpec{{{"dt", "x"}, {"n", "2"}}, "s3://other/p/"}};
  partitions = EffectivePartitions(table, files, 0);
  ASSERT_TRUE(partitions.ok());
  EXPECT_EQ((*partitions)[0].location, "s3://bucket/t/dt=a b%3Ac/n=1/");
  EXPECT_EQ((*partitions)[1].location, "s3://other/p/");
}

}  // namespace
}  // namespace mallard::athena::external

namespace mallard::athena::external {
namespace {

// Every Athena query passes ParseExternalStatement: a SELECT must cost next to nothing there (the
// issue's budget for all translation is 0.1 ms). Loose bound: shared CI cores.
TEST(AthenaExternalDdlTest, SelectsPassTheParserCheaply) {
  const std::string select = "SELECT a, b, count(*) FROM sales WHERE region = 'eu' GROUP BY 1, 2 ORDER BY 3 DESC";
  const int rounds = 20000;
  auto started = std::chrono::steady_clock::now();
  int ours = 0;
  for (int i = 0; i < rounds; ++i) ours += ParseExternalStatement(select).statement.has_value() ? 1 : 0;
  auto micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count() / rounds;
  EXPECT_EQ(ours, 0);
  EXPECT_LT(micros, 20.0);
  std::printf("ParseExternalStatement(SELECT …): %.3f µs\n", micros);
}

}  // namespace
}  // namespace mallard::athena::external

// The pipeline's pure parts: PostgreSQL type mapping and text casts, relation diffs (DDL →
// lake column changes: added columns' backfill, type widening), the catalog's missing values,
// table names, the queue budget and the flush gate.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>

#include "cdc/change_queue.hpp"
#include "cdc/flush_settings.hpp"
#include "cdc/pg_type_map.hpp"
#include "cdc/source_catalog.hpp"
#include "cdc/table_schema.hpp"
#include "lake/catalog_store.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/lake_types.hpp"
#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::cdc {
namespace {

TEST(PgTypeMap, CommonTypes) {
  struct Case {
    const char* pg;
    char kind;
    char element;
    const char* duckdb;
  };
  for (const auto& c : std::vector<Case>{
           {"smallint", 'b', 'b', "SMALLINT"},
           {"integer", 'b', 'b', "INTEGER"},
           {"bigint", 'b', 'b', "BIGINT"},
           {"numeric(12,2)", 'b', 'b', "DECIMAL(12,2)"},
           {"numeric(40,2)", 'b', 'b', "DECIMAL(38,10)"},
           {"numeric", 'b', 'b', "DECIMAL(38,10)"},
           {"real", 'b', 'b', "FLOAT"},
           {"double precision", 'b', 'b', "DOUBLE"},
           {"text", 'b', 'b', "VARCHAR"},
           {"character varying(20)", 'b', 'b', "VARCHAR"},
           {"character(3)", 'b', 'b', "VARCHAR"},
           {"boolean", 'b', 'b', "BOOLEAN"},
           {"bytea", 'b', 'b', "BLOB"},
           {"date", 'b', 'b', "DATE"},
           {"time without time zone", 'b', 'b', "TIME"},
           {"time(3) with time zone", 'b', 'b', "TIMETZ"},
           {"timestamp(6) without time zone", 'b', 'b', "TIMESTAMP"},
           {"timestamp with time zone", 'b', 'b', "TIMESTAMPTZ"},
           {"interval", 'b', 'b', "INTERVAL"},
           {"uuid", 'b', 'b', "UUID"},
           {"json", 'b', 'b', "JSON"},
           {"jsonb", 'b', 'b', "JSON"},
           {"integer[]", 'b', 'b', "INTEGER[]"},
           {"text[][]", 'b', 'b', "VARCHAR[][]"},
           {"mood", 'e', 'b', "VARCHAR"},
           {"mood[]", 'b', 'e', "VARCHAR[]"},
           {"inet", 'b', 'b', "VARCHAR"},
       }) {
    auto mapped = MapPostgresType(c.pg, c.kind, c.element);
    EXPECT_TRUE(mapped.supported) << c.pg;
    EXPECT_EQ(mapped.duckdb_type, c.duckdb) << c.pg;
  }
  EXPECT_FALSE(MapPostgresType("int4range", 'r', 'b').supported);
  EXPECT_FALSE(MapPostgresType("address", 'c', 'b').supported);
  EXPECT_FALSE(MapPostgresType("address[]", 'b', 'c').supported);
  EXPECT_NE(MapPostgresType("int4range", 'r', 'b').unsupported_reason.find("int4range"), std::string::npos);
}

ColumnType Type(const std::string& duckdb_type) {
  ColumnType type;
  type.duckdb_type = duckdb_type;
  return type;
}

TEST(PgTypeMap, CastsFromPostgresText) {
  EXPECT_EQ(CastFromPostgresText(Type("VARCHAR"), "c0"), "c0");
  EXPECT_EQ(CastFromPostgresText(Type("INTEGER"), "c0"), "CAST(c0 AS INTEGER)");
  EXPECT_EQ(CastFromPostgresText(Type("BLOB"), "c0"), "from_hex(substr(c0, 3))");
  EXPECT_EQ(CastFromPostgresText(Type("INTEGER[]"), "c0"), "CAST(translate(c0, '{}', '[]') AS INTEGER[])");
  EXPECT_EQ(CastFromPostgresText(Type("INTERVAL"), "c0"), "CAST(replace(c0, '+', '') AS INTERVAL)");
}

TEST(PgTypeMap, WideNumericsNeverRoundSilently) {
  auto database = duckdb::Database::Open({":memory:", 1, "128MB", ""});
  ASSERT_TRUE(database.ok());
  auto connection = (*database)->Connect();
  ASSERT_TRUE(connection.ok());
  auto cast = [&](const std::string& pg_type, const std::string& text) -> lake::LakeResult<std::string> {
    auto type = MapPostgresType(pg_type, 'b', 'b');
    auto rows = lake::QueryText(*connection, "SELECT CAST(" + CastFromPostgresText(type, "v") + " AS VARCHAR) FROM "
                                             "(SELECT " + lake::SqlString(text) + " AS v)");
    if (!rows.ok()) return Fail(rows.error());
    return rows->at(0).at(0);
  };
  EXPECT_EQ(*cast("numeric", "-12.5"), "-12.5000000000");
  EXPECT_EQ(*cast("numeric", "0.1234567890"), "0.1234567890");
  EXPECT_EQ(*cast("numeric", "7.12345678900000"), "7.1234567890") << "trailing zeros are not digits lost";
  EXPECT_EQ(*cast("numeric[]", "{1.5,2.00000000000}"), "[1.5000000000, 2.0000000000]");
  for (const auto& [type, text] : std::vector<std::pair<std::string, std::string>>{
           {"numeric", "0.12345678901"}, {"numeric(50,20)", "1.00000000000000000001"}, {"numeric[]", "{1,0.00000000001}"}}) {
    auto refused = cast(type, text);
    ASSERT_FALSE(refused.ok()) << type << " " << text;
    EXPECT_NE(refused.error().message.find("more than 10 decimal places"), std::string::npos) << refused.error().message;
  }
  EXPECT_EQ(*cast("numeric(12,4)", "3.1416"), "3.1416") << "a declared scale is kept as it is";
}

SourceColumn Column(const std::string& name, const std::string& pg_type, bool key = false) {
  SourceColumn column;
  column.name = name;
  column.pg_type = pg_type;
  column.type = MapPostgresType(pg_type, 'b', 'b');
  column.key = key;
  return column;
}

TEST(DiffColumns, AddDropAndRenameEvenWhenAColumnVanishesBeforeIt) {
  std::vector<SourceColumn> before = {Column("id", "integer", true), Column("title", "text"), Column("body", "text"),
                                      Column("n", "integer")};
  // RENAME n TO num; DROP title; ADD tag text
  std::vector<SourceColumn> after = {Column("id", "integer", true), Column("body", "text"), Column("num", "integer"),
                                     Column("tag", "text")};
  auto diff = DiffColumns(before, after);
  ASSERT_FALSE(diff.error) << *diff.error;
  ASSERT_EQ(diff.changes.size(), 3u);
  EXPECT_EQ(diff.changes[0].kind, ColumnChange::Kind::kDrop);
  EXPECT_EQ(diff.changes[0].name, "title");
  EXPECT_EQ(diff.changes[1].kind, ColumnChange::Kind::kRename);
  EXPECT_EQ(diff.changes[1].name, "n");
  EXPECT_EQ(diff.changes[1].new_name, "num");
  EXPECT_EQ(diff.changes[2].kind, ColumnChange::Kind::kAdd);
  EXPECT_EQ(diff.changes[2].name, "tag");
  EXPECT_EQ(diff.changes[2].duckdb_type, "VARCHAR");
  EXPECT_TRUE(DiffColumns(before, before).changes.empty());
}

TEST(DiffColumns, DropOfTheLastColumnAndAddOfOneOfTheSameTypeIsNoRenameWhenAttributeNumbersDiffer) {
  auto numbered = [](SourceColumn column, std::int32_t attnum) {
    column.attnum = attnum;
    return column;
  };
  std::vector<SourceColumn> before = {numbered(Column("id", "integer", true), 1), numbered(Column("a", "text"), 2)};
  // DROP a; ADD b text: b is attribute 3, not 2.
  auto diff = DiffColumns(before, {numbered(Column("id", "integer", true), 1), numbered(Column("b", "text"), 3)});
  ASSERT_FALSE(diff.error) << *diff.error;
  ASSERT_EQ(diff.changes.size(), 2u);
  EXPECT_EQ(diff.changes[0].kind, ColumnChange::Kind::kDrop);
  EXPECT_EQ(diff.changes[0].name, "a");
  EXPECT_EQ(diff.changes[1].kind, ColumnChange::Kind::kAdd);
  EXPECT_EQ(diff.changes[1].name, "b");
  // RENAME a TO b keeps attribute 2.
  auto renamed = DiffColumns(before, {numbered(Column("id", "integer", true), 1), numbered(Column("b", "text"), 2)});
  ASSERT_EQ(renamed.changes.size(), 1u);
  EXPECT_EQ(renamed.changes[0].kind, ColumnChange::Kind::kRename);
  // Unknown numbers (0): the shape decides, as before.
  auto unknown = DiffColumns({Column("id", "integer", true), Column("a", "text")}, {Column("id", "integer", true), Column("b", "text")});
  ASSERT_EQ(unknown.changes.size(), 1u);
  EXPECT_EQ(unknown.changes[0].kind, ColumnChange::Kind::kRename);
}

// A diff's changes in one line ("retype a BIGINT; rename a b; drop c; add d VARCHAR"), to compare whole.
std::string ChangesOf(const SchemaDiff& diff) {
  std::string out;
  for (const auto& change : diff.changes) {
    if (!out.empty()) out += "; ";
    switch (change.kind) {
      case ColumnChange::Kind::kAdd: out += "add " + change.name + " " + change.duckdb_type; break;
      case ColumnChange::Kind::kDrop: out += "drop " + change.name; break;
      case ColumnChange::Kind::kRename: out += "rename " + change.name + " " + change.new_name; break;
      case ColumnChange::Kind::kRetype: out += "retype " + change.name + " " + change.duckdb_type; break;
    }
  }
  return out;
}

TEST(DiffColumns, ARenamedAndRetypedColumnKeepsItsAttributeNumberAndItsValues) {
  auto numbered = [](SourceColumn column, std::int32_t attnum) {
    column.attnum = attnum;
    return column;
  };
  std::vector<SourceColumn> before = {numbered(Column("id", "integer", true), 1), numbered(Column("a", "integer"), 2),
                                      numbered(Column("n", "numeric(10,2)"), 3)};
  // RENAME a TO b; ALTER b TYPE bigint; RENAME n TO m; ALTER m TYPE numeric(12,3): one description.
  auto diff = DiffColumns(before, {numbered(Column("id", "integer", true), 1), numbered(Column("b", "bigint"), 2),
                                   numbered(Column("m", "numeric(12,3)"), 3)});
  ASSERT_FALSE(diff.error) << *diff.error;
  // Each retype first, under the name the lake column has, then the renames.
  EXPECT_EQ(ChangesOf(diff), "retype a BIGINT; retype n DECIMAL(12,3); rename a b; rename n m");
  // Renamed and changed to a type the lake column cannot follow: the table stops (a drop and an
  // add would have read NULL in every existing row).
  auto narrowed = DiffColumns(before, {numbered(Column("id", "integer", true), 1), numbered(Column("b", "smallint"), 2),
                                       numbered(Column("n", "numeric(10,2)"), 3)});
  ASSERT_TRUE(narrowed.error);
  EXPECT_NE(narrowed.error->find("\"a\" changed type from integer to smallint"), std::string::npos) << *narrowed.error;
  // The table resumed from the lake (attribute numbers unknown). A new column with shared columns
  // after it is no ADD (which appends): the vanished one renamed, here and widened.
  auto inside = DiffColumns({Column("id", "integer", true), Column("a", "integer"), Column("z", "text")},
                            {Column("id", "integer", true), Column("b", "bigint"), Column("z", "text")});
  ASSERT_FALSE(inside.error) << *inside.error;
  ASSERT_FALSE(inside.resync) << *inside.resync;
  EXPECT_EQ(ChangesOf(inside), "retype a BIGINT; rename a b");
  // A column dropped and the next one renamed: the renamed one is the one of the new column's type.
  auto neighbours = DiffColumns({Column("id", "integer", true), Column("a", "integer"), Column("b", "text"), Column("z", "text")},
                                {Column("id", "integer", true), Column("x", "text"), Column("z", "text")});
  ASSERT_FALSE(neighbours.error) << *neighbours.error;
  EXPECT_EQ(ChangesOf(neighbours), "drop a; rename b x");
  // At the end, another type: dropped and added, or renamed and retyped? A fresh snapshot tells.
  auto last = DiffColumns({Column("id", "integer", true), Column("a", "integer")}, {Column("id", "integer", true), Column("b", "bigint")});
  ASSERT_FALSE(last.error) << *last.error;
  ASSERT_TRUE(last.resync);
  EXPECT_NE(last.resync->find("\"a\" is gone and \"b\" of another type took its place"), std::string::npos) << *last.resync;
  // Known numbers that differ: a drop and an add, no guess.
  auto known = DiffColumns(before, {numbered(Column("id", "integer", true), 1), numbered(Column("n", "numeric(10,2)"), 3),
                                    numbered(Column("b", "bigint"), 4)});
  ASSERT_FALSE(known.error) << *known.error;
  ASSERT_FALSE(known.resync) << *known.resync;
  EXPECT_EQ(ChangesOf(known), "drop a; add b BIGINT");
}

TEST(DiffColumns, KeyAndTypeChangesAreErrors) {
  std::vector<SourceColumn> before = {Column("id", "integer", true), Column("v", "text")};
  auto rekeyed = DiffColumns(before, {Column("id", "integer"), Column("v", "text", true)});
  ASSERT_TRUE(rekeyed.error);
  EXPECT_NE(rekeyed.error->find("primary key"), std::string::npos);
  auto retyped = DiffColumns(before, {Column("id", "integer", true), Column("v", "integer")});
  ASSERT_TRUE(retyped.error);
  EXPECT_NE(retyped.error->find("changed type from text to integer"), std::string::npos);
  SourceColumn range = Column("span", "int4range");
  range.type = MapPostgresType("int4range", 'r', 'b');
  auto unsupported = DiffColumns(before, {Column("id", "integer", true), Column("v", "text"), range});
  ASSERT_TRUE(unsupported.error);
  EXPECT_NE(unsupported.error->find("span"), std::string::npos);
  // Renaming a key column keeps the key.
  auto renamed_key = DiffColumns(before, {Column("ident", "integer", true), Column("v", "text")});
  ASSERT_FALSE(renamed_key.error);
  ASSERT_EQ(renamed_key.changes.size(), 1u);
  EXPECT_EQ(renamed_key.changes[0].kind, ColumnChange::Kind::kRename);
}

TEST(DiffColumns, TypeWideningFollowsInPlaceAndEverythingElseErrors) {
  struct Case {
    const char* from;
    const char* to;
    TypeChange expected;
    const char* lake_type;  // kPromote: the new lake type
  };
  const Case cases[] = {
      {"integer", "bigint", TypeChange::kPromote, "BIGINT"},
      {"smallint", "integer", TypeChange::kPromote, "INTEGER"},
      {"smallint", "bigint", TypeChange::kPromote, "BIGINT"},
      {"bigint", "integer", TypeChange::kIncompatible, ""},
      {"integer", "numeric(12,0)", TypeChange::kIncompatible, ""},
      {"character varying(10)", "text", TypeChange::kRelabel, ""},
      {"character varying(10)", "character varying(20)", TypeChange::kRelabel, ""},
      {"character varying(10)", "character varying", TypeChange::kRelabel, ""},
      {"character varying(10)", "character varying(5)", TypeChange::kIncompatible, ""},
      {"text", "character varying(10)", TypeChange::kIncompatible, ""},
      {"character(3)", "character(5)", TypeChange::kIncompatible, ""},  // PostgreSQL pads the values
      {"numeric(10,2)", "numeric(12,2)", TypeChange::kPromote, "DECIMAL(12,2)"},
      {"numeric(10,2)", "numeric(12,3)", TypeChange::kPromote, "DECIMAL(12,3)"},
      {"numeric(10,2)", "numeric", TypeChange::kPromote, "DECIMAL(38,10)"},
      {"numeric(12,2)", "numeric(10,2)", TypeChange::kIncompatible, ""},
      {"numeric(10,2)", "numeric(12,1)", TypeChange::kIncompatible, ""},  // PostgreSQL rounds the values
      {"numeric", "numeric(12,2)", TypeChange::kIncompatible, ""},
      {"numeric(40,12)", "numeric(45,12)", TypeChange::kRelabel, ""},  // both DECIMAL(38,10) in the lake
      {"numeric(30,20)", "numeric", TypeChange::kIncompatible, ""},    // DECIMAL(30,20) → (38,10) loses scale
      {"real", "double precision", TypeChange::kIncompatible, ""},
      {"integer[]", "bigint[]", TypeChange::kIncompatible, ""},
      {"text", "integer", TypeChange::kIncompatible, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.from) + " → " + c.to);
    EXPECT_EQ(ClassifyTypeChange(Column("v", c.from), Column("v", c.to)), c.expected);
    auto diff = DiffColumns({Column("id", "integer", true), Column("v", c.from)}, {Column("id", "integer", true), Column("v", c.to)});
    if (c.expected == TypeChange::kIncompatible) {
      ASSERT_TRUE(diff.error);
      EXPECT_NE(diff.error->find("changed type from " + std::string(c.from) + " to " + c.to), std::string::npos);
      continue;
    }
    ASSERT_FALSE(diff.error) << *diff.error;
    ASSERT_EQ(diff.changes.size(), 1u);
    EXPECT_EQ(diff.changes[0].kind, ColumnChange::Kind::kRetype);
    EXPECT_EQ(diff.changes[0].name, "v");
    EXPECT_EQ(diff.changes[0].duckdb_type, c.lake_type);
  }
  // A column the pipeline took from the lake without a source type: its lake type is compared
  // (the same lake type takes the values as they are; another cannot be written without a cast).
  SourceColumn from_lake = Column("v", "");
  from_lake.type.duckdb_type = "BIGINT";
  EXPECT_EQ(ClassifyTypeChange(from_lake, Column("v", "bigint")), TypeChange::kSame);
  from_lake.type.duckdb_type = "TIMESTAMP WITH TIME ZONE";
  EXPECT_EQ(ClassifyTypeChange(from_lake, Column("v", "integer")), TypeChange::kIncompatible);
  EXPECT_EQ(ClassifyTypeChange(Column("v", "bigint"), Column("v", "bigint")), TypeChange::kSame);
  // Unknown, the source type may have been anything that maps to the lake type: another lake
  // type, even a wider one, is not taken as a widening (ColumnsOfLakeTable names the source types
  // the lake types of integers and decimals come from, so those are compared as source types).
  from_lake.type.duckdb_type = "DECIMAL(12,2)";
  EXPECT_EQ(ClassifyTypeChange(from_lake, Column("v", "numeric(14,3)")), TypeChange::kIncompatible);
  EXPECT_EQ(ClassifyTypeChange(from_lake, Column("v", "numeric(12,2)")), TypeChange::kSame);
}

TEST(DiffColumns, AddedColumnsCarryWhatExistingRowsHold) {
  std::vector<SourceColumn> before = {Column("id", "integer", true), Column("v", "text")};
  SourceColumn with_value = Column("c", "text");
  with_value.backfill = {ColumnBackfill::Kind::kValue, "free", ""};
  SourceColumn plain = Column("d", "integer");
  auto diff = DiffColumns(before, {Column("id", "integer", true), Column("v", "text"), with_value, plain});
  ASSERT_FALSE(diff.error);
  EXPECT_FALSE(diff.resync);
  ASSERT_EQ(diff.changes.size(), 2u);
  EXPECT_EQ(diff.changes[0].backfill, std::optional<std::string>("free"));
  EXPECT_EQ(diff.changes[1].backfill, std::nullopt);
  SourceColumn volatile_default = Column("r", "double precision");
  volatile_default.backfill = {ColumnBackfill::Kind::kUnknown, "", "with a volatile default"};
  auto resync = DiffColumns(before, {Column("id", "integer", true), Column("v", "text"), volatile_default});
  ASSERT_FALSE(resync.error);
  ASSERT_TRUE(resync.resync);
  EXPECT_EQ(*resync.resync, "column \"r\" was added with a volatile default");
  // Only columns the lake adds matter: an unknown backfill of an existing column changes nothing.
  SourceColumn existing = Column("v", "text");
  existing.backfill = volatile_default.backfill;
  auto same = DiffColumns(before, {Column("id", "integer", true), existing});
  EXPECT_TRUE(same.changes.empty());
  EXPECT_FALSE(same.resync);
}

TEST(SourceCatalog, MissingValuesParseFromTheirArrayText) {
  // attmissingval::text of a one-element array, as PostgreSQL 15 prints it for each kind of value.
  EXPECT_EQ(SingleArrayElement("{free}"), std::optional<std::string>("free"));
  EXPECT_EQ(SingleArrayElement("{3.50}"), std::optional<std::string>("3.50"));
  EXPECT_EQ(SingleArrayElement("{t}"), std::optional<std::string>("t"));
  EXPECT_EQ(SingleArrayElement("{\"\"}"), std::optional<std::string>(""));
  EXPECT_EQ(SingleArrayElement("{\"NULL\"}"), std::optional<std::string>("NULL"));
  EXPECT_EQ(SingleArrayElement("{\"a \\\"b\\\" \\\\ c,{}\"}"), std::optional<std::string>("a \"b\" \\ c,{}"));
  EXPECT_EQ(SingleArrayElement("{\"\\\\x00ff\"}"), std::optional<std::string>("\\x00ff"));  // bytea, hex output
  EXPECT_EQ(SingleArrayElement("{\"2026-12-04 18:08:47.185268+00\"}"), std::optional<std::string>("2026-12-04 18:08:47.185268+00"));
  EXPECT_EQ(SingleArrayElement("{\"1 day -02:00:00\"}"), std::optional<std::string>("1 day -02:00:00"));
  // Array and JSON columns: the element is the value's own text.
  EXPECT_EQ(SingleArrayElement("{\"{1,2}\"}"), std::optional<std::string>("{1,2}"));
  EXPECT_EQ(SingleArrayElement("{\"{\\\"a b\\\",NULL,c}\"}"), std::optional<std::string>("{\"a b\",NULL,c}"));
  EXPECT_EQ(SingleArrayElement("{\"{\\\"k\\\": [1, \\\"x\\\"]}\"}"), std::optional<std::string>("{\"k\": [1, \"x\"]}"));
  // Not one non-NULL element.
  EXPECT_EQ(SingleArrayElement("{}"), std::nullopt);
  EXPECT_EQ(SingleArrayElement("{NULL}"), std::nullopt);
  EXPECT_EQ(SingleArrayElement("{a,b}"), std::nullopt);
  EXPECT_EQ(SingleArrayElement("{\"a\",\"b\"}"), std::nullopt);
  EXPECT_EQ(SingleArrayElement("{\"a}"), std::nullopt);
  EXPECT_EQ(SingleArrayElement("free"), std::nullopt);
  EXPECT_EQ(SingleArrayElement(""), std::nullopt);
}

TEST(SourceCatalog, BackfillComesFromTheMissingValueOnly) {
  using Kind = ColumnBackfill::Kind;
  // ADD COLUMN … DEFAULT 'free' (later SET DEFAULT 'paid' keeps the missing value).
  auto value = DecideBackfill({{true, "{free}", true}});
  EXPECT_EQ(value.kind, Kind::kValue);
  EXPECT_EQ(value.value, "free");
  // Django's pattern: the default dropped right after ADD COLUMN; the rows keep the value.
  EXPECT_EQ(DecideBackfill({{true, "{free}", false}}).value, "free");
  // ADD COLUMN without a default.
  EXPECT_EQ(DecideBackfill({{false, "", false}}).kind, Kind::kNull);
  // A volatile default (the table rewritten with a value per row), or a default set later.
  auto unknown = DecideBackfill({{false, "", true}});
  EXPECT_EQ(unknown.kind, Kind::kUnknown);
  EXPECT_NE(unknown.reason.find("volatile"), std::string::npos);
  // Partitions: they must agree.
  EXPECT_EQ(DecideBackfill({{true, "{x}", true}, {true, "{x}", true}}).kind, Kind::kValue);
  EXPECT_EQ(DecideBackfill({{true, "{x}", true}, {true, "{y}", true}}).kind, Kind::kUnknown);
  EXPECT_EQ(DecideBackfill({{true, "{x}", true}, {false, "", true}}).kind, Kind::kUnknown);
  EXPECT_EQ(DecideBackfill({}).kind, Kind::kNull);  // a partitioned table without partitions has no rows
  EXPECT_EQ(DecideBackfill({{true, "{NULL}", true}}).kind, Kind::kUnknown);
}

TEST(PgTypeMap, LakeTypesNameTheSourceTypesTheyCameFrom) {
  EXPECT_EQ(PostgresTypeOfLakeType("int32"), std::optional<std::string>("integer"));
  EXPECT_EQ(PostgresTypeOfLakeType("int16"), std::optional<std::string>("smallint"));
  EXPECT_EQ(PostgresTypeOfLakeType("int64"), std::optional<std::string>("bigint"));
  EXPECT_EQ(PostgresTypeOfLakeType("decimal(10,2)"), std::optional<std::string>("numeric(10,2)"));
  EXPECT_EQ(PostgresTypeOfLakeType("varchar"), std::nullopt);
  // Also the column of an unconstrained numeric and of one wider than 38 digits.
  EXPECT_EQ(PostgresTypeOfLakeType("decimal(38,10)"), std::nullopt);
}

lake::LakeColumn LakeColumnOf(const std::string& name, const std::string& type) {
  lake::LakeColumn column;
  column.name = name;
  column.type = type;
  return column;
}

TEST(ColumnsOfLakeTable, ResumedColumnsCarryTheSourceTypesTheirLakeTypesCameFrom) {
  // While the pipe was away: amount (numeric(12,2)) renamed to total and widened to numeric(14,3);
  // w widened from integer to bigint; n is an unconstrained numeric; v unchanged.
  std::vector<lake::LakeColumn> lake = {LakeColumnOf("id", "int32"), LakeColumnOf("amount", "decimal(12,2)"),
                                        LakeColumnOf("w", "int32"), LakeColumnOf("n", "decimal(38,10)"),
                                        LakeColumnOf("v", "varchar"), LakeColumnOf("_mallard_op", "varchar"),
                                        LakeColumnOf("_mallard_lsn", "int64")};
  std::vector<SourceColumn> source = {Column("id", "integer", true), Column("total", "numeric(14,3)"),
                                      Column("w", "bigint"), Column("n", "numeric"), Column("v", "character varying(20)")};
  auto columns = ColumnsOfLakeTable(lake, source);
  ASSERT_EQ(columns.size(), 5u) << "the pipeline's own columns are not the table's";
  auto expect = [&](std::size_t i, const char* name, const char* pg_type, const char* duckdb_type, bool key) {
    SCOPED_TRACE(name);
    EXPECT_EQ(columns[i].name, name);
    EXPECT_EQ(columns[i].pg_type, pg_type);
    EXPECT_EQ(columns[i].type.duckdb_type, duckdb_type);
    EXPECT_EQ(columns[i].key, key);
    EXPECT_EQ(columns[i].attnum, 0) << "the current catalog's column of the name may be another one";
  };
  expect(0, "id", "integer", "INTEGER", true);
  expect(1, "amount", "numeric(12,2)", "DECIMAL(12,2)", false);  // no source column of the name
  expect(2, "w", "integer", "INTEGER", false);                   // the source's type is not the lake's
  expect(3, "n", "numeric", "DECIMAL(38,10)", false);            // the source's, of the same lake type
  expect(4, "v", "character varying(20)", "VARCHAR", false);
  // Compared with the stream's first description after the resume, a widening made while the pipe
  // was away is followed in place, as it would have been live (test_pipe_differential stopped a
  // table for numeric(12,2) -> numeric(14,3) of a column renamed meanwhile).
  EXPECT_EQ(ClassifyTypeChange(columns[1], Column("amount", "numeric(14,3)")), TypeChange::kPromote);
  EXPECT_EQ(ClassifyTypeChange(columns[1], Column("amount", "numeric(12,1)")), TypeChange::kIncompatible);
  EXPECT_EQ(ClassifyTypeChange(columns[2], Column("w", "bigint")), TypeChange::kPromote);
  EXPECT_EQ(ClassifyTypeChange(columns[2], Column("w", "smallint")), TypeChange::kIncompatible);
  // A key column renamed while away (the pipe differential test stopped a table: "the primary key
  // changed"): its key flag is unknown until the column it pairs with says.
  auto key_renamed = ColumnsOfLakeTable({LakeColumnOf("a", "int32"), LakeColumnOf("b", "varchar"), LakeColumnOf("n", "int64")},
                                        {Column("a", "integer", true), Column("r3", "text", true), Column("n", "bigint")});
  ASSERT_EQ(key_renamed.size(), 3u);
  EXPECT_TRUE(key_renamed[0].key);
  EXPECT_TRUE(key_renamed[1].key_unknown);
  EXPECT_FALSE(key_renamed[2].key_unknown);
  auto followed = DiffColumns(key_renamed, {Column("a", "integer", true), Column("r3", "text", true), Column("n", "bigint")});
  ASSERT_FALSE(followed.error) << *followed.error;
  ASSERT_EQ(followed.changes.size(), 1u);
  EXPECT_EQ(followed.changes[0].kind, ColumnChange::Kind::kRename);
  // The stream may describe the table by the old names first (changes made before the rename).
  auto old_names = DiffColumns(key_renamed, {Column("a", "integer", true), Column("b", "text", true), Column("n", "bigint")});
  ASSERT_FALSE(old_names.error) << *old_names.error;
  EXPECT_TRUE(old_names.changes.empty());
  // … and a key that really changed is still seen: the renamed column is no longer in the key.
  auto rekeyed = DiffColumns(key_renamed, {Column("a", "integer", true), Column("r3", "text"), Column("n", "bigint", true)});
  ASSERT_TRUE(rekeyed.error);
  // A change log's columns are no key, renamed or not.
  auto change_log = ColumnsOfLakeTable({LakeColumnOf("x", "varchar"), LakeColumnOf("_mallard_op", "varchar"),
                                        LakeColumnOf("_mallard_lsn", "int64")},
                                       {Column("y", "text")});
  ASSERT_EQ(change_log.size(), 1u);
  EXPECT_FALSE(change_log[0].key);
  EXPECT_FALSE(change_log[0].key_unknown);
  // A column of an unconstrained numeric renamed while away: its source type unknown, the lake type
  // compares, and the rename is recognised by it.
  auto unknown = ColumnsOfLakeTable({LakeColumnOf("id", "int32"), LakeColumnOf("n", "decimal(38,10)")},
                                    {Column("id", "integer", true), Column("m", "numeric")});
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[1].pg_type, "");
  auto diff = DiffColumns(unknown, {Column("id", "integer", true), Column("m", "numeric")});
  ASSERT_FALSE(diff.error) << *diff.error;
  ASSERT_EQ(diff.changes.size(), 1u);
  EXPECT_EQ(diff.changes[0].kind, ColumnChange::Kind::kRename);
}

// The lake's in-place type promotions (lake_types), used by the pipe for widened source columns.
TEST(LakeTypePromotion, OnlyLosslessWideningIsAllowed) {
  EXPECT_TRUE(lake::TypePromotionAllowed("int32", "int64"));
  EXPECT_TRUE(lake::TypePromotionAllowed("int8", "int16"));
  EXPECT_TRUE(lake::TypePromotionAllowed("int16", "int64"));
  EXPECT_TRUE(lake::TypePromotionAllowed("uint16", "int32"));
  EXPECT_TRUE(lake::TypePromotionAllowed("uint32", "uint64"));
  EXPECT_TRUE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(12,2)"));
  EXPECT_TRUE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(38,10)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("int64", "int32"));
  EXPECT_FALSE(lake::TypePromotionAllowed("int32", "int32"));
  EXPECT_FALSE(lake::TypePromotionAllowed("int32", "uint64"));
  EXPECT_FALSE(lake::TypePromotionAllowed("uint32", "int32"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(12,2)", "decimal(10,2)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(12,1)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(30,20)", "decimal(38,10)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("float32", "float64"));
  EXPECT_FALSE(lake::TypePromotionAllowed("int32", "varchar"));
  EXPECT_FALSE(lake::TypePromotionAllowed("varchar", "json"));
}

// A damaged catalog's decimal text: precision - scale overflowed an int (found by fuzz_lake_catalog
// in CI), and DuckDbTypeSql copied whatever followed "decimal(" into SQL.
TEST(LakeTypePromotion, DecimalTypesOutsideDuckLakeFormAreRefused) {
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(-2147483648,1)", "decimal(1,1)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(1,1)", "decimal(2147483647,-2147483648)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(39,2)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(12,2) "));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(12,+2)"));
  EXPECT_FALSE(lake::TypePromotionAllowed("decimal(10,2)", "decimal(12,3"));
  auto parsed = lake::ParseDecimalType("decimal(38,0)");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->precision, 38);
  EXPECT_EQ(parsed->scale, 0);
  EXPECT_FALSE(lake::ParseDecimalType("decimal(0,0)"));
  EXPECT_FALSE(lake::ParseDecimalType("decimal(4,5)"));
  EXPECT_FALSE(lake::ParseDecimalType("decimal(4,-0)"));
  EXPECT_FALSE(lake::ParseDecimalType("decimal(4,)"));
  EXPECT_FALSE(lake::ParseDecimalType("decimal(,4)"));

  lake::LakeColumn column;
  column.name = "amount";
  column.type = "decimal(12,2)";
  EXPECT_EQ(*lake::DuckDbTypeSql(column, false), "DECIMAL(12,2)");
  column.type = "decimal(12,2)); DROP TABLE t; --";
  auto refused = lake::DuckDbTypeSql(column, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not read"), std::string::npos);
}

// LakeTransaction::ChangeColumnType, the lake side of a widened source column (here rather than
// under tests/unit/lake, which another change owns).
TEST(LakeTypePromotion, ChangeColumnTypeWidensInPlaceAndOldSnapshotsKeepTheOldType) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("mallard-promote-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  lake::LakeOptions options;
  options.catalog = (dir / "catalog.duckdb").string();
  options.data_path = (dir / "data").string();
  auto opened = lake::Lake::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto lake = opened.value();
  auto database = duckdb::Database::Open({":memory:", 1, "256MB", (dir / "spill").string()});
  ASSERT_TRUE(database.ok());
  auto source = std::move(database.value()->Connect()).value();
  auto commit = [&](const std::function<lake::LakeStatus(lake::LakeTransaction&)>& work) -> lake::LakeResult<std::int64_t> {
    MALLARD_ASSIGN_OR_RETURN(auto transaction, lake->Begin());
    MALLARD_RETURN_IF_ERROR(work(*transaction));
    return transaction->Commit();
  };
  auto created = commit([&](lake::LakeTransaction& t) -> lake::LakeStatus {
    MALLARD_RETURN_IF_ERROR(t.CreateTable("main", "t", {{"id", "INTEGER", false}, {"amt", "DECIMAL(10,2)"}}));
    MALLARD_ASSIGN_OR_RETURN(auto rows, t.Insert("main", "t", source, "SELECT 1 AS id, 1.25::DECIMAL(10,2) AS amt"));
    (void)rows;
    return Done{};
  });
  ASSERT_TRUE(created.ok()) << created.error().message;
  auto promoted = commit([&](lake::LakeTransaction& t) -> lake::LakeStatus {
    MALLARD_RETURN_IF_ERROR(t.ChangeColumnType("main", "t", "id", "BIGINT"));
    MALLARD_RETURN_IF_ERROR(t.ChangeColumnType("main", "t", "amt", "DECIMAL(12,2)"));
    MALLARD_ASSIGN_OR_RETURN(auto rows, t.Insert("main", "t", source,
                                                 "SELECT 9000000000 AS id, 1234567890.12::DECIMAL(12,2) AS amt"));
    (void)rows;
    return Done{};
  });
  ASSERT_TRUE(promoted.ok()) << promoted.error().message;
  auto read = [&](std::optional<std::int64_t> snapshot) {
    auto sql = lake->ScanSql("main", "t", snapshot);
    EXPECT_TRUE(sql.ok());
    auto rows = lake::QueryText(source, "SELECT id::VARCHAR || ',' || amt::VARCHAR || ',' || typeof(id) FROM (" + *sql +
                                            ") ORDER BY id");
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    std::vector<std::string> out;
    for (const auto& row : *rows) out.push_back(row[0]);
    return out;
  };
  EXPECT_EQ(read(std::nullopt), (std::vector<std::string>{"1,1.25,BIGINT", "9000000000,1234567890.12,BIGINT"}));
  EXPECT_EQ(read(*created), (std::vector<std::string>{"1,1.25,INTEGER"}));
  auto table = lake->DescribeTable("main", "t");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->columns[0].type, "int64");
  EXPECT_FALSE(table->columns[0].nulls_allowed);
  EXPECT_EQ(table->columns[0].column_id, 1);
  EXPECT_EQ(table->columns[1].type, "decimal(12,2)");
  // Narrowing and other casts are refused, and nothing is committed.
  auto narrowed = commit([&](lake::LakeTransaction& t) { return t.ChangeColumnType("main", "t", "id", "INTEGER"); });
  ASSERT_FALSE(narrowed.ok());
  EXPECT_EQ(narrowed.error().code, lake::LakeErrorCode::kInvalid);
  EXPECT_FALSE(commit([&](lake::LakeTransaction& t) { return t.ChangeColumnType("main", "t", "amt", "VARCHAR"); }).ok());
  EXPECT_EQ(commit([&](lake::LakeTransaction& t) { return t.ChangeColumnType("main", "t", "nope", "BIGINT"); }).error().code,
            lake::LakeErrorCode::kNotFound);
  lake.reset();
  fs::remove_all(dir);
}

TEST(TableName, Parses) {
  EXPECT_EQ(TableName::Parse("items")->Label(), "public.items");
  EXPECT_EQ(TableName::Parse("sales.orders")->Label(), "sales.orders");
  EXPECT_EQ(TableName::Parse("sales.orders")->Qualified(), "\"sales\".\"orders\"");
  EXPECT_FALSE(TableName::Parse(""));
  EXPECT_FALSE(TableName::Parse("a.b.c"));
  EXPECT_FALSE(TableName::Parse(".b"));
}

TEST(TableQueue, CountsBytesAgainstTheSharedBudget) {
  auto budget = std::make_shared<QueueBudget>(1000);
  TableQueue first(budget), second(budget);
  QueueItem item;
  item.values = {std::string(300, 'x')};
  first.Push(item);
  EXPECT_FALSE(budget->Exhausted());
  second.Push(item);
  second.Push(item);
  EXPECT_TRUE(budget->Exhausted());
  auto drained = second.Drain(10, std::chrono::milliseconds(0));
  EXPECT_EQ(drained.size(), 2u);
  EXPECT_FALSE(budget->Exhausted());
  EXPECT_EQ(budget->Used(), first.Bytes());
  // A waiting reader wakes when room appears.
  second.Push(item);
  second.Push(item);
  ASSERT_TRUE(budget->Exhausted());
  std::thread drainer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    (void)second.Drain(10, std::chrono::milliseconds(0));
  });
  auto started = std::chrono::steady_clock::now();
  budget->WaitForRoom(std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  drainer.join();
  EXPECT_FALSE(budget->Exhausted());
}

TEST(FlushGate, BoundsConcurrency) {
  FlushGate gate(2);
  std::atomic<int> running{0}, peak{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      FlushGate::Ticket ticket(gate);
      int now = ++running;
      int seen = peak.load();
      while (now > seen && !peak.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      --running;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(peak.load(), 2);
  EXPECT_EQ(gate.Active(), 0);
}

}  // namespace
}  // namespace mallard::cdc

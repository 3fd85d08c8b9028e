// The pipeline's pure parts: PostgreSQL type mapping and text casts, relation diffs (DDL →
// lake column changes), table names, the queue budget and the flush gate.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "cdc/change_queue.hpp"
#include "cdc/flush_settings.hpp"
#include "cdc/pg_type_map.hpp"
#include "cdc/table_schema.hpp"
#include "lake/catalog_store.hpp"
#include "duckdb/duckdb_wrapper.hpp"
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

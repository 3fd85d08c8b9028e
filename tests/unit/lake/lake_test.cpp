// DuckLake writer/reader: every operation, read back at every snapshot, and the catalog rows
// checked against the spec (ids, counters, paths, statistics) table by table. The same suite
// runs on a DuckDB-file catalog and, when the harness provides one (tests/support/with_postgres.sh
// sets MALLARD_TEST_PG), on a PostgreSQL catalog. What the ducklake extension writes that Mallard
// does not (inlined data, merged files) is in lake_extension_shapes_test.cpp.
#include "lake_test_fixture.hpp"

namespace mallard::lake {
namespace {

TEST_P(LakeTest, NewLakeHasTheSpecsInitialRows) {
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'ducklake_%'"), "28");
  EXPECT_EQ(Catalog("SELECT snapshot_id, schema_version, next_catalog_id, next_file_id FROM ducklake_snapshot"),
            (Rows{{"0", "0", "1", "0"}}));
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = 0"), "created_schema:\"main\"");
  EXPECT_EQ(Catalog("SELECT schema_id, begin_snapshot, end_snapshot, schema_name, path, path_is_relative::VARCHAR "
                    "FROM ducklake_schema"),
            (Rows{{"0", "0", "NULL", "main", "main/", "true"}}));
  auto metadata = Catalog("SELECT key, value FROM ducklake_metadata WHERE scope IS NULL ORDER BY key");
  ASSERT_EQ(metadata.size(), 4u);
  EXPECT_EQ(metadata[0][0], "created_by");
  EXPECT_EQ(metadata[1], (std::vector<std::string>{"data_path", lake_->DataPath()}));
  EXPECT_EQ(metadata[2], (std::vector<std::string>{"encrypted", "false"}));
  EXPECT_EQ(metadata[3], (std::vector<std::string>{"version", "1.0"}));
  EXPECT_EQ(lake_->DataPath().back(), '/');
  // Opening again finds the lake rather than creating another.
  Reopen();
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_snapshot"), "1");
}

TEST_P(LakeTest, CreateTableWritesColumnsPreOrderWithDuckLakeTypes) {
  auto transaction = Begin();
  ASSERT_TRUE(transaction->CreateTable("main", "every_type", {
      {"b", "BOOLEAN"}, {"i8", "TINYINT"}, {"i16", "SMALLINT"}, {"i32", "INTEGER"}, {"i64", "BIGINT", false},
      {"i128", "DECIMAL(38,0)"}, {"u8", "UTINYINT"}, {"u64", "UBIGINT"}, {"f32", "FLOAT"}, {"f64", "DOUBLE"},
      {"d", "DECIMAL(18,3)"}, {"s", "VARCHAR"}, {"bl", "BLOB"}, {"dt", "DATE"}, {"t", "TIME"},
      {"ts", "TIMESTAMP"}, {"tstz", "TIMESTAMPTZ"}, {"iv", "INTERVAL"}, {"u", "UUID"}, {"j", "JSON"},
      {"l", "INTEGER[]"}, {"st", "STRUCT(x INTEGER, y VARCHAR)"}, {"m", "MAP(VARCHAR, BIGINT)"}}).ok());
  EXPECT_EQ(Commit(*transaction), 1);
  EXPECT_EQ(Catalog("SELECT snapshot_id, schema_version, next_catalog_id, next_file_id FROM ducklake_snapshot WHERE snapshot_id = 1"),
            (Rows{{"1", "1", "2", "0"}}));
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = 1"),
            "created_table:\"main\".\"every_type\"");
  EXPECT_EQ(Catalog("SELECT table_id, schema_id, table_name, path, begin_snapshot FROM ducklake_table"),
            (Rows{{"1", "0", "every_type", "every_type/", "1"}}));
  EXPECT_EQ(Catalog("SELECT begin_snapshot, schema_version, table_id FROM ducklake_schema_versions"), (Rows{{"1", "1", "1"}}));
  auto columns = Catalog("SELECT column_id, column_order, column_name, column_type, parent_column, nulls_allowed::VARCHAR, "
                         "default_value, default_value_type, default_value_dialect FROM ducklake_column ORDER BY column_id");
  std::vector<std::vector<std::string>> expected_types = {
      {"1", "b", "boolean", "NULL"}, {"2", "i8", "int8", "NULL"}, {"3", "i16", "int16", "NULL"},
      {"4", "i32", "int32", "NULL"}, {"5", "i64", "int64", "NULL"}, {"6", "i128", "decimal(38,0)", "NULL"},
      {"7", "u8", "uint8", "NULL"}, {"8", "u64", "uint64", "NULL"}, {"9", "f32", "float32", "NULL"},
      {"10", "f64", "float64", "NULL"}, {"11", "d", "decimal(18,3)", "NULL"}, {"12", "s", "varchar", "NULL"},
      {"13", "bl", "blob", "NULL"}, {"14", "dt", "date", "NULL"}, {"15", "t", "time", "NULL"},
      {"16", "ts", "timestamp", "NULL"}, {"17", "tstz", "timestamptz", "NULL"}, {"18", "iv", "interval", "NULL"},
      {"19", "u", "uuid", "NULL"}, {"20", "j", "json", "NULL"}, {"21", "l", "list", "NULL"},
      {"22", "element", "int32", "21"}, {"23", "st", "struct", "NULL"}, {"24", "x", "int32", "23"},
      {"25", "y", "varchar", "23"}, {"26", "m", "map", "NULL"}, {"27", "key", "varchar", "26"},
      {"28", "value", "int64", "26"}};
  ASSERT_EQ(columns.size(), expected_types.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    EXPECT_EQ(columns[i][0], expected_types[i][0]);
    EXPECT_EQ(columns[i][1], expected_types[i][0]) << "column_order = column_id";
    EXPECT_EQ(columns[i][2], expected_types[i][1]);
    EXPECT_EQ(columns[i][3], expected_types[i][2]);
    EXPECT_EQ(columns[i][4], expected_types[i][3]);
    EXPECT_EQ(columns[i][6], "NULL") << "the 1.0 extension writes the string 'NULL' for no default";
    EXPECT_EQ(columns[i][7], "literal");
    EXPECT_EQ(columns[i][8], "duckdb");
  }
  EXPECT_EQ(columns[4][5], "false") << "i64 was declared NOT NULL";

  // Every type survives a write and a read.
  auto insert = Begin();
  auto written = insert->Insert("main", "every_type", *source_,
      "SELECT true AS b, -8::TINYINT AS i8, 16::SMALLINT AS i16, 32 AS i32, 64::BIGINT AS i64, "
      "99999999999999999999999999999999999999::DECIMAL(38,0) AS i128, 255::UTINYINT AS u8, 18446744073709551615::UBIGINT AS u64, "
      "1.5::FLOAT AS f32, 2.25::DOUBLE AS f64, 123456789012345.678::DECIMAL(18,3) AS d, 'héllo' AS s, '\\x00\\xFF'::BLOB AS bl, "
      "DATE '2024-02-29' AS dt, TIME '12:34:56.789' AS t, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, "
      "TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tstz, INTERVAL '1 year 2 days 3 seconds' AS iv, "
      "'9b2f3c1e-0a4d-4d1e-8a51-93a1f8c0b7d2'::UUID AS u, '{\"k\": [1, 2]}'::JSON AS j, [1, NULL, 3] AS l, "
      "{'x': 7, 'y': 'z'} AS st, MAP {'a': 1, 'b': 2} AS m");
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(*written, 1);
  Commit(*insert);
  auto sql = lake_->ScanSql("main", "every_type");
  ASSERT_TRUE(sql.ok()) << sql.error().message;
  auto row = Query("SELECT * FROM (" + *sql + ")");
  ASSERT_EQ(row.size(), 1u);
  EXPECT_EQ(row[0], (std::vector<std::string>{
      "true", "-8", "16", "32", "64", "99999999999999999999999999999999999999", "255", "18446744073709551615",
      "1.5", "2.25", "123456789012345.678", "héllo", "\\x00\\xFF", "2024-02-29", "12:34:56.789",
      "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05+00", "1 year 2 days 00:00:03",
      "9b2f3c1e-0a4d-4d1e-8a51-93a1f8c0b7d2", "{\"k\": [1, 2]}", "[1, NULL, 3]", "{'x': 7, 'y': z}", "{a=1, b=2}"}));
  // The typed relation keeps its types: JSON stays JSON, the decimal its scale.
  auto types = Query("SELECT typeof(j), typeof(d), typeof(st) FROM (" + *sql + ")");
  EXPECT_EQ(types, (Rows{{"JSON", "DECIMAL(18,3)", "STRUCT(x INTEGER, y VARCHAR)"}}));
}

// DuckDB's Parquet writer drops a TIMETZ's offset; the lake stores the instant, in UTC.
TEST_P(LakeTest, TimeWithTimeZoneKeepsItsInstant) {
  auto transaction = Begin();
  ASSERT_TRUE(transaction->CreateTable("main", "clock", {{"t", "TIMETZ"}}).ok());
  ASSERT_TRUE(transaction->Insert("main", "clock", *source_, "SELECT TIMETZ '10:00:00+02' AS t").ok());
  Commit(*transaction);
  EXPECT_EQ(Scan("clock"), (Rows{{"08:00:00+00"}}));
}

TEST_P(LakeTest, InsertRegistersFilesWithFieldIdsAndExactStatistics) {
  CreateItems();
  EXPECT_EQ(InsertItems("SELECT range AS id, 'n' || range AS name, (range * 1.5)::DECIMAL(10,2) AS price FROM range(1, 1001)"), 2);
  auto file = Catalog("SELECT data_file_id, table_id, begin_snapshot, end_snapshot, file_order, path_is_relative::VARCHAR, "
                      "file_format, record_count, row_id_start, partition_id, encryption_key, mapping_id, partial_max, "
                      "path, file_size_bytes, footer_size FROM ducklake_data_file");
  ASSERT_EQ(file.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(file[0].begin(), file[0].begin() + 13),
            (std::vector<std::string>{"0", "1", "2", "NULL", "NULL", "true", "parquet", "1000", "0", "NULL", "NULL",
                                      "NULL", "NULL"}));
  std::string path = lake_->DataPath() + "main/items/" + file[0][13];
  EXPECT_TRUE(file[0][13].rfind("ducklake-", 0) == 0);
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(std::to_string(fs::file_size(path)), file[0][14]);
  EXPECT_NE(file[0][15], "0");
  EXPECT_EQ(Query("SELECT name, field_id FROM parquet_schema('" + path + "') WHERE field_id IS NOT NULL ORDER BY field_id"),
            (Rows{{"id", "1"}, {"name", "2"}, {"price", "3"}}));
  EXPECT_EQ(Catalog("SELECT column_id, value_count, null_count, min_value, max_value FROM ducklake_file_column_stats "
                    "ORDER BY column_id"),
            (Rows{{"1", "1000", "0", "1", "1000"}, {"2", "1000", "0", "n1", "n999"}, {"3", "1000", "0", "1.50", "1500.00"}}));
  EXPECT_EQ(Catalog("SELECT record_count, next_row_id, file_size_bytes FROM ducklake_table_stats WHERE table_id = 1"),
            (Rows{{"1000", "1000", file[0][14]}}));
  EXPECT_EQ(Catalog("SELECT snapshot_id, next_file_id, schema_version FROM ducklake_snapshot WHERE snapshot_id = 2"),
            (Rows{{"2", "1", "1"}}));
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = 2"), "inserted_into_table:1");

  // A second file continues the row ids and widens the table statistics numerically (not as text).
  InsertItems("SELECT * FROM (VALUES (-5, NULL, 99999.99), (2000, 'a', -1)) AS v(id, name, price)");
  EXPECT_EQ(Catalog("SELECT data_file_id, row_id_start, record_count FROM ducklake_data_file ORDER BY data_file_id"),
            (Rows{{"0", "0", "1000"}, {"1", "1000", "2"}}));
  EXPECT_EQ(Catalog("SELECT column_id, contains_null::VARCHAR, min_value, max_value FROM ducklake_table_column_stats "
                    "ORDER BY column_id"),
            (Rows{{"1", "false", "-5", "2000"}, {"2", "true", "a", "n999"}, {"3", "false", "-1.00", "99999.99"}}));
  EXPECT_EQ(Catalog("SELECT record_count, next_row_id FROM ducklake_table_stats"), (Rows{{"1002", "1002"}}));
  EXPECT_EQ(Query("SELECT count(*), sum(id) FROM (" + *lake_->ScanSql("main", "items") + ")"), (Rows{{"1002", "502495"}}));
  // An empty insert writes nothing and commits no snapshot.
  auto empty = Begin();
  EXPECT_EQ(*empty->Insert("main", "items", *source_, "SELECT 1 AS id, 'x' AS name, 1 AS price WHERE false"), 0);
  EXPECT_EQ(Commit(*empty), 3);
  EXPECT_EQ(CatalogOne("SELECT max(snapshot_id) FROM ducklake_snapshot"), "3");
}

TEST_P(LakeTest, DeletesAreCumulativePositionalFilesAndTimeTravelSeesEverySnapshot) {
  CreateItems();
  std::int64_t s_insert = InsertItems("SELECT range AS id, 'n' || range AS name, 1 AS price FROM range(10)");
  std::int64_t s_delete1 = DeleteItems("2, 5, 42");
  auto deletes = Catalog("SELECT delete_file_id, table_id, begin_snapshot, end_snapshot, data_file_id, format, delete_count, "
                         "path_is_relative::VARCHAR, partial_max, path FROM ducklake_delete_file");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(deletes[0].begin(), deletes[0].begin() + 9),
            (std::vector<std::string>{"1", "1", std::to_string(s_delete1), "NULL", "0", "parquet", "2", "true", "NULL"}));
  std::string delete_path = lake_->DataPath() + "main/items/" + deletes[0][9];
  EXPECT_NE(deletes[0][9].find("-delete.parquet"), std::string::npos);
  EXPECT_EQ(Query("SELECT pos FROM read_parquet('" + delete_path + "') ORDER BY pos"), (Rows{{"2"}, {"5"}}));
  EXPECT_EQ(Query("SELECT name, field_id FROM parquet_schema('" + delete_path + "') WHERE field_id IS NOT NULL"),
            (Rows{{"file_path", "2147483546"}, {"pos", "2147483545"}}));
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " + std::to_string(s_delete1)),
            "deleted_from_table:1");
  // Statistics are not touched by deletes.
  EXPECT_EQ(Catalog("SELECT record_count FROM ducklake_table_stats"), (Rows{{"10"}}));

  std::int64_t s_delete2 = DeleteItems("5, 7");
  EXPECT_EQ(Catalog("SELECT delete_file_id, begin_snapshot, end_snapshot, delete_count FROM ducklake_delete_file "
                    "ORDER BY delete_file_id"),
            (Rows{{"1", std::to_string(s_delete1), std::to_string(s_delete2), "2"}, {"2", std::to_string(s_delete2), "NULL", "3"}}));
  auto ids = [&](std::optional<std::int64_t> snapshot) {
    Rows out;
    for (auto& row : Scan("items", snapshot)) out.push_back({row[0]});
    return out;
  };
  EXPECT_EQ(ids(s_insert).size(), 10u);
  EXPECT_EQ(ids(s_delete1).size(), 8u);
  EXPECT_EQ(ids(std::nullopt), (Rows{{"0"}, {"1"}, {"3"}, {"4"}, {"6"}, {"8"}, {"9"}}));
  EXPECT_EQ(ids(1).size(), 0u) << "the table existed empty at snapshot 1";
  EXPECT_FALSE(lake_->ScanSql("main", "items", 0).ok()) << "no table at snapshot 0";
  EXPECT_FALSE(lake_->ScanSql("main", "items", 99).ok());

  // Deleting every remaining row of a file retires the data file instead of writing a delete file.
  std::int64_t s_all = DeleteItems("0, 1, 3, 4, 6, 8, 9");
  EXPECT_EQ(Catalog("SELECT end_snapshot FROM ducklake_data_file"), (Rows{{std::to_string(s_all)}}));
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_delete_file WHERE begin_snapshot = " + std::to_string(s_all)), "0");
  EXPECT_TRUE(Scan("items").empty());
  EXPECT_EQ(ids(s_delete2).size(), 7u);
}

TEST_P(LakeTest, UpdateIsDeletePlusInsertInOneSnapshot) {
  CreateItems();
  InsertItems("SELECT range AS id, 'old' AS name, 1 AS price FROM range(5)");
  auto transaction = Begin();
  (void)source_->Execute("CREATE TEMP TABLE changes AS SELECT * FROM (VALUES (1, 'new', 2.5), (3, 'new', 3.5)) v(id, name, price)");
  EXPECT_EQ(*transaction->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT id FROM changes"), 2);
  EXPECT_EQ(*transaction->Insert("main", "items", *source_, "SELECT * FROM changes"), 2);
  std::int64_t snapshot = Commit(*transaction);
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " + std::to_string(snapshot)),
            "deleted_from_table:1,inserted_into_table:1");
  EXPECT_EQ(Scan("items"), (Rows{{"0", "old", "1.00"}, {"1", "new", "2.50"}, {"2", "old", "1.00"}, {"3", "new", "3.50"},
                                 {"4", "old", "1.00"}}));
  // A composite key deletes only exact matches.
  auto pair = Begin();
  ASSERT_TRUE(pair->CreateTable("main", "pairs", {{"a", "INTEGER"}, {"b", "VARCHAR"}}).ok());
  ASSERT_TRUE(pair->Insert("main", "pairs", *source_, "SELECT * FROM (VALUES (1, 'x'), (1, 'y'), (2, 'x')) v(a, b)").ok());
  ASSERT_TRUE(pair->DeleteByKeys("main", "pairs", {"a", "b"}, *source_, "SELECT 1 AS a, 'y' AS b").ok());
  Commit(*pair);
  EXPECT_EQ(Scan("pairs"), (Rows{{"1", "x"}, {"2", "x"}}));
}

// A delete builds its join on the batch's keys, not on the table (which DuckDB would pick, having
// no row count for the data files): the caller's connection keeps its own optimizer settings.
TEST_P(LakeTest, DeleteByKeysLeavesTheCallersOptimizerSettingsAsTheyWere) {
  CreateItems();
  InsertItems("SELECT range AS id, 'x' AS name, 1 AS price FROM range(1000)");
  auto setting = [&] { return QueryText(*source_, "SELECT current_setting('disabled_optimizers')"); };
  int round = 0;
  for (std::string mine : {"", "join_order"}) {
    ASSERT_TRUE(RunStatement(*source_, "SET disabled_optimizers = '" + mine + "'").ok());
    auto transaction = Begin();
    EXPECT_EQ(*transaction->DeleteByKeys("main", "items", {"id"}, *source_,
                                         "SELECT range * 7 + " + std::to_string(round++) + " AS id FROM range(50)"),
              50);
    Commit(*transaction);
    auto after = setting();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ((*after)[0][0], mine);
    // A delete that fails midway (no such key column) restores it too.
    auto failing = Begin();
    EXPECT_FALSE(failing->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT 'x' AS nope").ok());
    after = setting();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ((*after)[0][0], mine);
  }
  EXPECT_EQ(Scan("items").size(), 900u);
}

// The reproduction from the issue "The lake and the pipe lose no row": a delete that empties one
// data file and touches the next one deleted the row at the same position in the file after it
// (entries of the working file list moved when the emptied file was erased from it).
TEST_P(LakeTest, DeleteThatEmptiesOneFileAndTouchesTheNextDeletesExactlyItsKeys) {
  // Each variant: a table with ids 1..10 in one file and 11-12, 13-14, 15-16 in three more, then
  // updates (delete + insert in one transaction) of the given keys, one transaction each.
  std::vector<std::vector<std::vector<int>>> variants = {{{11, 12, 13}, {14, 15}}, {{11, 12, 13, 15}, {14}}};
  for (std::size_t v = 0; v < variants.size(); ++v) {
    std::string table = "items" + std::to_string(v);
    auto create = Begin();
    ASSERT_TRUE(create->CreateTable("main", table, {{"id", "BIGINT", false}, {"name", "VARCHAR"}, {"price", "DECIMAL(10,2)"}}).ok());
    Commit(*create);
    for (auto [first, last] : std::vector<std::pair<int, int>>{{1, 10}, {11, 12}, {13, 14}, {15, 16}}) {
      auto insert = Begin();
      ASSERT_TRUE(insert->Insert("main", table, *source_, "SELECT range AS id, 'a' AS name, 0 AS price FROM range(" +
                                 std::to_string(first) + ", " + std::to_string(last + 1) + ")").ok());
      Commit(*insert);
    }
    std::set<int> updated;
    for (const auto& keys : variants[v]) {
      std::string list;
      for (int key : keys) {
        list += (list.empty() ? "" : ", ") + std::to_string(key);
        updated.insert(key);
      }
      auto transaction = Begin();
      (void)source_->Execute("CREATE OR REPLACE TEMP TABLE changes AS SELECT id, 'b' AS name, 1 AS price FROM "
                             "(SELECT unnest([" + list + "]) AS id)");
      auto deleted = transaction->DeleteByKeys("main", table, {"id"}, *source_, "SELECT id FROM changes");
      ASSERT_TRUE(deleted.ok()) << deleted.error().message;
      EXPECT_EQ(*deleted, static_cast<std::int64_t>(keys.size())) << list;
      ASSERT_TRUE(transaction->Insert("main", table, *source_, "SELECT * FROM changes").ok());
      ASSERT_GT(Commit(*transaction), 0) << list;
    }
    Rows expected;
    for (int id = 1; id <= 16; ++id) {
      bool was_updated = updated.count(id) > 0;
      expected.push_back({std::to_string(id), was_updated ? "b" : "a", was_updated ? "1.00" : "0.00"});
    }
    EXPECT_EQ(Scan(table), expected) << table;
    // Later deletes of the same table still commit (the faulty delete had ended one file twice).
    auto later = Begin();
    ASSERT_TRUE(later->DeleteByKeys("main", table, {"id"}, *source_, "SELECT 16 AS id").ok());
    ASSERT_GT(Commit(*later), 0);
    EXPECT_EQ(Scan(table).size(), 15u);
  }
}

TEST_P(LakeTest, ColumnChangesReadOldFilesByFieldId) {
  CreateItems();
  std::int64_t s1 = InsertItems("SELECT 1 AS id, 'a' AS name, 1 AS price");
  auto add = Begin();
  ASSERT_TRUE(add->AddColumn("main", "items", {"stock", "INTEGER", true, "7"}).ok());
  std::int64_t s_add = Commit(*add);
  EXPECT_EQ(Catalog("SELECT column_id, column_name, initial_default, default_value FROM ducklake_column WHERE column_id = 4"),
            (Rows{{"4", "stock", "7", "7"}}));
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " + std::to_string(s_add)),
            "altered_table:1");
  EXPECT_EQ(Catalog("SELECT begin_snapshot, table_id FROM ducklake_schema_versions ORDER BY begin_snapshot"),
            (Rows{{"1", "1"}, {std::to_string(s_add), "1"}}));
  InsertItems("SELECT 2 AS id, 'b' AS name, 2 AS price, 9 AS stock");
  EXPECT_EQ(Scan("items"), (Rows{{"1", "a", "1.00", "7"}, {"2", "b", "2.00", "9"}}));

  auto rename = Begin();
  ASSERT_TRUE(rename->RenameColumn("main", "items", "name", "label").ok());
  std::int64_t s_rename = Commit(*rename);
  EXPECT_EQ(Catalog("SELECT column_id, column_name, begin_snapshot, end_snapshot FROM ducklake_column WHERE column_id = 2 "
                    "ORDER BY begin_snapshot"),
            (Rows{{"2", "name", "1", std::to_string(s_rename)}, {"2", "label", std::to_string(s_rename), "NULL"}}));
  auto drop = Begin();
  ASSERT_TRUE(drop->DropColumn("main", "items", "price").ok());
  std::int64_t s_drop = Commit(*drop);
  EXPECT_EQ(Scan("items"), (Rows{{"1", "a", "7"}, {"2", "b", "9"}}));
  auto described = lake_->DescribeTable("main", "items");
  ASSERT_TRUE(described.ok());
  ASSERT_EQ(described->columns.size(), 3u);
  EXPECT_EQ(described->columns[1].name, "label");
  // Each snapshot reads with the columns it had.
  EXPECT_EQ(Scan("items", s1), (Rows{{"1", "a", "1.00"}}));
  EXPECT_EQ(Scan("items", s_rename), (Rows{{"1", "a", "1.00", "7"}, {"2", "b", "2.00", "9"}}));
  // A column id is never reused, even after a drop.
  auto again = Begin();
  ASSERT_TRUE(again->AddColumn("main", "items", {"price", "DOUBLE"}).ok());
  Commit(*again);
  EXPECT_EQ(CatalogOne("SELECT max(column_id) FROM ducklake_column"), "5");
  EXPECT_EQ(Scan("items"), (Rows{{"1", "a", "7", "NULL"}, {"2", "b", "9", "NULL"}}));
  (void)s_drop;
  // Refusals leave the catalog alone.
  auto bad = Begin();
  EXPECT_EQ(bad->AddColumn("main", "items", {"label", "INTEGER"}).error().code, LakeErrorCode::kAlreadyExists);
  EXPECT_EQ(bad->DropColumn("main", "items", "nope").error().code, LakeErrorCode::kNotFound);
  EXPECT_EQ(bad->AddColumn("main", "items", {"e", "ENUM('a', 'b')"}).error().code, LakeErrorCode::kInvalid);
  EXPECT_EQ(bad->AddColumn("main", "items", {"e", "NOT_A_TYPE"}).error().code, LakeErrorCode::kInvalid);
  EXPECT_EQ(bad->AddColumn("main", "items", {"h", "HUGEINT"}).error().code, LakeErrorCode::kInvalid);
}

TEST_P(LakeTest, SchemasAndTablesCreateRenameDrop) {
  auto transaction = Begin();
  ASSERT_TRUE(transaction->CreateSchema("sales").ok());
  ASSERT_TRUE(transaction->CreateTable("sales", "orders", {{"id", "INTEGER"}}).ok());
  ASSERT_TRUE(transaction->Insert("sales", "orders", *source_, "SELECT 1 AS id").ok());
  std::int64_t s1 = Commit(*transaction);
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " + std::to_string(s1)),
            "created_schema:\"sales\",created_table:\"sales\".\"orders\",inserted_into_table:2");
  EXPECT_EQ(Catalog("SELECT schema_id, schema_name, path FROM ducklake_schema WHERE schema_id = 1"), (Rows{{"1", "sales", "sales/"}}));
  EXPECT_EQ(Catalog("SELECT next_catalog_id, next_file_id, schema_version FROM ducklake_snapshot WHERE snapshot_id = 1"),
            (Rows{{"3", "1", "1"}}));
  EXPECT_TRUE(fs::exists(lake_->DataPath() + "sales/orders/"));
  // A name with characters other than [A-Za-z0-9_-] gets its uuid as directory.
  auto odd = Begin();
  ASSERT_TRUE(odd->CreateTable("sales", "odd name/x", {{"v", "INTEGER"}}).ok());
  Commit(*odd);
  EXPECT_EQ(CatalogOne("SELECT CAST(path = CAST(table_uuid AS VARCHAR) || '/' AS VARCHAR) FROM ducklake_table WHERE table_name = 'odd name/x'"),
            "true");

  auto rename = Begin();
  ASSERT_TRUE(rename->RenameTable("sales", "orders", "orders_v2").ok());
  std::int64_t s_rename = Commit(*rename);
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " + std::to_string(s_rename)),
            "created_table:\"sales\".\"orders_v2\"");
  EXPECT_EQ(Catalog("SELECT table_id, table_name, path, end_snapshot FROM ducklake_table WHERE table_id = 2 ORDER BY begin_snapshot"),
            (Rows{{"2", "orders", "orders/", std::to_string(s_rename)}, {"2", "orders_v2", "orders/", "NULL"}}));
  EXPECT_EQ(Scan("orders_v2", std::nullopt, "sales"), (Rows{{"1"}}));
  EXPECT_EQ(Scan("orders", s1, "sales"), (Rows{{"1"}}));

  auto drop_nonempty = Begin();
  EXPECT_EQ(drop_nonempty->DropSchema("sales").error().code, LakeErrorCode::kInvalid);
  auto drop = Begin();
  ASSERT_TRUE(drop->DropTable("sales", "orders_v2").ok());
  ASSERT_TRUE(drop->DropTable("sales", "odd name/x").ok());
  ASSERT_TRUE(drop->DropSchema("sales").ok());
  std::int64_t s_drop = Commit(*drop);
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " + std::to_string(s_drop)),
            "dropped_table:2,dropped_table:3,dropped_schema:1");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_data_file WHERE end_snapshot IS NULL"), "0");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_column WHERE end_snapshot IS NULL"), "0");
  EXPECT_EQ(lake_->ListTables()->size(), 0u);
  EXPECT_EQ(lake_->ListTables(s_rename)->size(), 2u);
  // CREATE SCHEMA IF NOT EXISTS: committed by one of two concurrent transactions, a no-op in the other.
  auto first_maker = Begin();
  auto second_maker = Begin();
  ASSERT_TRUE(first_maker->CreateSchema("shared", true).ok());
  ASSERT_TRUE(second_maker->CreateSchema("shared", true).ok());
  ASSERT_TRUE(second_maker->CreateTable("shared", "t2", {{"v", "INTEGER"}}).ok());
  Commit(*first_maker);
  Commit(*second_maker);
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_schema WHERE schema_name = 'shared'"), "1");
  EXPECT_EQ(lake_->DescribeTable("shared", "t2")->name, "t2");
  auto taken = Begin();
  ASSERT_TRUE(taken->CreateTable("main", "t", {{"v", "INTEGER"}}).ok());
  EXPECT_EQ(taken->CreateTable("main", "t", {{"v", "INTEGER"}}).error().code, LakeErrorCode::kAlreadyExists);
  EXPECT_EQ(taken->CreateTable("nope", "t", {{"v", "INTEGER"}}).error().code, LakeErrorCode::kNotFound);
  EXPECT_EQ(taken->CreateTable("main", "u", {}).error().code, LakeErrorCode::kInvalid);
}

TEST_P(LakeTest, TruncateEndsEveryFile) {
  CreateItems();
  InsertItems("SELECT range AS id, 'a' AS name, 1 AS price FROM range(3)");
  DeleteItems("1");
  InsertItems("SELECT 10 AS id, 'b' AS name, 1 AS price");
  auto transaction = Begin();
  ASSERT_TRUE(transaction->Truncate("main", "items").ok());
  ASSERT_TRUE(transaction->Insert("main", "items", *source_, "SELECT 99 AS id, 'after' AS name, 1 AS price").ok());
  std::int64_t snapshot = Commit(*transaction);
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_data_file WHERE end_snapshot = " + std::to_string(snapshot)), "2");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_delete_file WHERE end_snapshot = " + std::to_string(snapshot)), "1");
  EXPECT_EQ(Scan("items"), (Rows{{"99", "after", "1.00"}}));
  EXPECT_EQ(Scan("items", snapshot - 1).size(), 3u);
}

TEST_P(LakeTest, CompactionExpiryAndCleanup) {
  CreateItems();
  for (int i = 0; i < 4; ++i) {
    InsertItems("SELECT range + " + std::to_string(i * 10) + " AS id, 'x' AS name, 1 AS price FROM range(10)");
  }
  std::int64_t s_before = DeleteItems("0, 11, 22, 33");
  Rows before = Scan("items");
  ASSERT_EQ(before.size(), 36u);
  auto compacted = lake_->CompactTable("main", "items");
  ASSERT_TRUE(compacted.ok()) << compacted.error().message;
  EXPECT_EQ(compacted->files_rewritten, 4);
  EXPECT_EQ(CatalogOne("SELECT changes_made FROM ducklake_snapshot_changes WHERE snapshot_id = " +
                       std::to_string(compacted->snapshot_id)),
            "compacted_table:1");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_data_file WHERE end_snapshot IS NULL"), "1");
  EXPECT_EQ(CatalogOne("SELECT record_count FROM ducklake_data_file WHERE end_snapshot IS NULL"), "36");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_delete_file WHERE end_snapshot IS NULL"), "0");
  EXPECT_EQ(Scan("items"), before);
  EXPECT_EQ(Scan("items", s_before), before) << "older snapshots still read the old files";
  EXPECT_EQ(Catalog("SELECT record_count, next_row_id FROM ducklake_table_stats"), (Rows{{"40", "76"}}));
  // Nothing to do on one clean file.
  EXPECT_EQ(lake_->CompactTable("main", "items")->files_rewritten, 0);

  std::int64_t files_before = 0;
  for (auto& entry : fs::recursive_directory_iterator(lake_->DataPath())) files_before += entry.is_regular_file();
  auto expired = lake_->ExpireSnapshots(std::nullopt, 1);
  ASSERT_TRUE(expired.ok()) << expired.error().message;
  EXPECT_EQ(expired->snapshots_expired, compacted->snapshot_id);
  EXPECT_EQ(expired->files_scheduled, 4 + 4) << "four data files and the four delete files";
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_snapshot"), "1");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_data_file"), "1");
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_files_scheduled_for_deletion"), "8");
  EXPECT_FALSE(lake_->ScanSql("main", "items", s_before).ok()) << "an expired snapshot is gone";
  // Files scheduled a moment ago are kept by an age limit, deleted without one.
  EXPECT_EQ(lake_->CleanupFiles(3600)->files_deleted, 0);
  auto cleaned = lake_->CleanupFiles(0);
  ASSERT_TRUE(cleaned.ok()) << cleaned.error().message;
  EXPECT_EQ(cleaned->files_deleted, 8);
  std::int64_t files_after = 0;
  for (auto& entry : fs::recursive_directory_iterator(lake_->DataPath())) files_after += entry.is_regular_file();
  EXPECT_EQ(files_after, files_before - 8);
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_files_scheduled_for_deletion"), "0");
  EXPECT_EQ(Scan("items"), before);
}

TEST_P(LakeTest, ConcurrentTransactionsRebaseInsertsAndConflictOnTheSameFile) {
  CreateItems();
  InsertItems("SELECT range AS id, 'a' AS name, 1 AS price FROM range(10)");
  auto first = Begin();
  auto second = Begin();
  ASSERT_TRUE(first->Insert("main", "items", *source_, "SELECT 100 AS id, 'f' AS name, 1 AS price").ok());
  ASSERT_TRUE(second->Insert("main", "items", *source_, "SELECT 200 AS id, 's' AS name, 1 AS price").ok());
  std::int64_t a = Commit(*first);
  std::int64_t b = Commit(*second);
  EXPECT_EQ(b, a + 1) << "the second committer takes the next snapshot";
  EXPECT_EQ(Catalog("SELECT data_file_id, row_id_start FROM ducklake_data_file ORDER BY data_file_id"),
            (Rows{{"0", "0"}, {"1", "10"}, {"2", "11"}}));
  EXPECT_EQ(Scan("items").size(), 12u);

  auto d1 = Begin();
  auto d2 = Begin();
  ASSERT_TRUE(d1->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT 1 AS id").ok());
  ASSERT_TRUE(d2->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT 2 AS id").ok());
  Commit(*d1);
  auto conflict = d2->Commit();
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, LakeErrorCode::kConflict);
  EXPECT_EQ(Scan("items").size(), 11u) << "the refused delete changed nothing";

  auto alter = Begin();
  auto insert = Begin();
  ASSERT_TRUE(insert->Insert("main", "items", *source_, "SELECT 300 AS id, 'x' AS name, 1 AS price").ok());
  ASSERT_TRUE(alter->AddColumn("main", "items", {"extra", "INTEGER"}).ok());
  Commit(*alter);
  auto altered = insert->Commit();
  ASSERT_FALSE(altered.ok());
  EXPECT_EQ(altered.error().code, LakeErrorCode::kConflict);

  // Threads committing at once lose nothing and number snapshots without gaps.
  std::int64_t start = lake_->CurrentSnapshot()->snapshot_id;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto database = duckdb::Database::Open({":memory:", 1, "128MB", ""});
      auto connection = std::move(database.value()->Connect()).value();
      for (int i = 0; i < 5; ++i) {
        auto transaction = lake_->Begin();
        if (!transaction.ok()) { ++failures; continue; }
        auto id = std::to_string(1000 + t * 100 + i);
        if (!(*transaction)->Insert("main", "items", connection, "SELECT " + id + " AS id, 't' AS name, 1 AS price, 0 AS extra").ok() ||
            !(*transaction)->Commit().ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(lake_->CurrentSnapshot()->snapshot_id, start + 20);
  EXPECT_EQ(Query("SELECT count(*) FROM (" + *lake_->ScanSql("main", "items") + ") WHERE id >= 1000"), (Rows{{"20"}}));
  EXPECT_EQ(CatalogOne("SELECT count(DISTINCT row_id_start) FROM ducklake_data_file"),
            CatalogOne("SELECT count(*) FROM ducklake_data_file"));
}

// Two writers with their own catalog connections (on PostgreSQL: two Lake instances, as two
// processes would be) commit at once: the loser of each snapshot id retries on the key conflict.
TEST_P(LakeTest, IndependentWritersRetryOnSnapshotConflicts) {
  CreateItems();
  std::shared_ptr<Lake> other = lake_;
  if (GetParam() == CatalogKind::kPostgres) {
    auto opened = Lake::Open(options_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    other = opened.value();
  }
  std::atomic<int> failures{0};
  auto writer = [&](std::shared_ptr<Lake> lake, int base) {
    auto database = duckdb::Database::Open({":memory:", 1, "128MB", ""});
    auto connection = std::move(database.value()->Connect()).value();
    for (int i = 0; i < 10; ++i) {
      auto transaction = lake->Begin();
      if (!transaction.ok()) { ++failures; continue; }
      std::string id = std::to_string(base + i);
      if (!(*transaction)->Insert("main", "items", connection, "SELECT " + id + " AS id, 'w' AS name, 1 AS price").ok()) {
        ++failures;
        continue;
      }
      if (auto committed = (*transaction)->Commit(); !committed.ok()) {
        ADD_FAILURE() << committed.error().message;
        ++failures;
      }
    }
  };
  std::thread a(writer, lake_, 0), b(writer, other, 100);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(CatalogOne("SELECT count(*) FROM ducklake_snapshot"), "22");
  EXPECT_EQ(CatalogOne("SELECT max(snapshot_id) FROM ducklake_snapshot"), "21");
  EXPECT_EQ(CatalogOne("SELECT count(DISTINCT row_id_start) FROM ducklake_data_file"), "20");
  EXPECT_EQ(CatalogOne("SELECT count(DISTINCT data_file_id) FROM ducklake_data_file"), "20");
  EXPECT_EQ(CatalogOne("SELECT max(next_file_id) FROM ducklake_snapshot"), "20");
  EXPECT_EQ(Catalog("SELECT record_count, next_row_id FROM ducklake_table_stats"), (Rows{{"20", "20"}}));
  EXPECT_EQ(Scan("items").size(), 20u);
}

TEST_P(LakeTest, AbortRemovesWrittenFilesAndCommitInfoIsRecorded) {
  CreateItems();
  {
    auto transaction = Begin();
    ASSERT_TRUE(transaction->Insert("main", "items", *source_, "SELECT 1 AS id, 'a' AS name, 1 AS price").ok());
    EXPECT_EQ(std::distance(fs::directory_iterator(lake_->DataPath() + "main/items/"), fs::directory_iterator()), 1);
  }  // destroyed uncommitted
  EXPECT_EQ(std::distance(fs::directory_iterator(lake_->DataPath() + "main/items/"), fs::directory_iterator()), 0);
  auto transaction = Begin();
  ASSERT_TRUE(transaction->Insert("main", "items", *source_, "SELECT 1 AS id, 'a' AS name, 1 AS price").ok());
  transaction->SetCommitInfo(std::string("pipe"), std::string("batch 7"), std::string("{\"lsn\":\"0/16B3748\"}"));
  transaction->AddCatalogStatement("CREATE TABLE IF NOT EXISTS mallard_progress(source VARCHAR, lsn VARCHAR)");
  transaction->AddCatalogStatement("INSERT INTO mallard_progress VALUES ('items', '0/16B3748')");
  std::int64_t snapshot = Commit(*transaction);
  EXPECT_EQ(Catalog("SELECT author, commit_message, commit_extra_info FROM ducklake_snapshot_changes WHERE snapshot_id = " +
                    std::to_string(snapshot)),
            (Rows{{"pipe", "batch 7", "{\"lsn\":\"0/16B3748\"}"}}));
  EXPECT_EQ(Catalog("SELECT source, lsn FROM mallard_progress"), (Rows{{"items", "0/16B3748"}}));
  auto info = lake_->Snapshots();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->back().commit_extra_info.value_or(""), "{\"lsn\":\"0/16B3748\"}");
}

// A writer killed between writing its Parquet file and committing leaves the lake readable at
// its last snapshot; the orphaned file is removed by cleanup.
TEST_P(LakeTest, CrashBetweenWritingAndCommittingLeavesTheLastSnapshot) {
  CreateItems();
  InsertItems("SELECT 1 AS id, 'kept' AS name, 1 AS price");
  std::int64_t last = lake_->CurrentSnapshot()->snapshot_id;
  lake_.reset();  // the child takes the catalog (a DuckDB file has one writer process)
  source_.reset();
  source_db_.reset();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lake = Lake::Open(options_);
    if (!lake.ok()) _exit(2);
    auto database = duckdb::Database::Open({":memory:", 1, "128MB", ""});
    auto connection = std::move(database.value()->Connect()).value();
    auto transaction = (*lake)->Begin();
    if (!transaction.ok()) _exit(3);
    if (!(*transaction)->Insert("main", "items", connection, "SELECT 2 AS id, 'lost' AS name, 1 AS price").ok()) _exit(4);
    (*transaction)->SetBeforeCommitHookForTesting([] { kill(getpid(), SIGKILL); });
    (void)(*transaction)->Commit();
    _exit(5);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
  Reopen();
  auto database = duckdb::Database::Open({":memory:", 1, "256MB", ""});
  source_db_ = database.value();
  source_ = std::make_unique<duckdb::Connection>(std::move(source_db_->Connect()).value());
  EXPECT_EQ(lake_->CurrentSnapshot()->snapshot_id, last);
  EXPECT_EQ(Scan("items"), (Rows{{"1", "kept", "1.00"}}));
  EXPECT_EQ(std::distance(fs::directory_iterator(lake_->DataPath() + "main/items/"), fs::directory_iterator()), 2)
      << "the committed file and the orphan";
  EXPECT_EQ(lake_->CleanupFiles(3600)->files_deleted, 0) << "a young orphan may be an in-flight write";
  EXPECT_EQ(lake_->CleanupFiles(0)->files_deleted, 1);
  EXPECT_EQ(Scan("items"), (Rows{{"1", "kept", "1.00"}}));
  // The lake keeps working after the crash.
  InsertItems("SELECT 3 AS id, 'after' AS name, 1 AS price");
  EXPECT_EQ(Scan("items").size(), 2u);
}

// DuckDB admits one process per database file: while a pipe writes a file catalog, readers get a
// consistent private copy and writers an error that names what works.
TEST_P(LakeTest, AFileCatalogInUseIsReadFromACopyAndWritersAreToldWhatWorks) {
  if (GetParam() == CatalogKind::kPostgres) return;  // any number of processes share a PostgreSQL catalog
  CreateItems();
  lake_.reset();
  source_.reset();
  source_db_.reset();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The writer: one row per commit, ids 1, 2, 3, ..., until it is killed.
    auto lake = Lake::Open(options_);
    if (!lake.ok()) _exit(2);
    auto database = duckdb::Database::Open({":memory:", 1, "128MB", ""});
    auto connection = std::move(database.value()->Connect()).value();
    for (int id = 1; id < 100000; ++id) {
      auto transaction = (*lake)->Begin();
      if (!transaction.ok()) _exit(3);
      if (!(*transaction)->Insert("main", "items", connection, "SELECT " + std::to_string(id) +
                                  " AS id, 'row' AS name, 1 AS price").ok()) {
        _exit(4);
      }
      if (!(*transaction)->Commit().ok()) _exit(5);
      if (id == 3) (void)!write(ready[1], "x", 1);
    }
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  auto database = duckdb::Database::Open({":memory:", 1, "256MB", ""});
  source_db_ = database.value();
  source_ = std::make_unique<duckdb::Connection>(std::move(source_db_->Connect()).value());
  LakeOptions reader = options_;
  reader.read_only = true;
  std::int64_t previous = 0;
  for (int round = 0; round < 5; ++round) {
    auto lake = Lake::Open(reader);
    ASSERT_TRUE(lake.ok()) << lake.error().message;
    lake_ = *lake;
    // A consistent state: ids 1..k without a gap, one snapshot per row after the table's.
    auto rows = Query("SELECT count(*), coalesce(max(id), 0), count(DISTINCT id) FROM (" + *lake_->ScanSql("main", "items") + ")");
    ASSERT_EQ(rows.size(), 1u);
    std::int64_t count = std::stoll(rows[0][0]);
    EXPECT_GE(count, 3);
    EXPECT_GE(count, previous) << "a later copy is not older";
    EXPECT_EQ(rows[0][1], rows[0][0]);
    EXPECT_EQ(rows[0][2], rows[0][0]);
    EXPECT_EQ(lake_->CurrentSnapshot()->snapshot_id, 1 + count);
    previous = count;
    lake_.reset();
  }
  auto writer = Lake::Open(options_);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.error().message.find("in use by another process"), std::string::npos) << writer.error().message;
  EXPECT_NE(writer.error().message.find("mallard serve"), std::string::npos) << writer.error().message;
  EXPECT_NE(writer.error().message.find("PostgreSQL"), std::string::npos) << writer.error().message;
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "the writer ended early with status " << status;
  // No copy is left behind.
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
    EXPECT_EQ(entry.path().filename().string().rfind("mallard-catalog-copy-", 0), std::string::npos) << entry.path();
  }
  Reopen();
  EXPECT_GE(lake_->CurrentSnapshot()->snapshot_id, 1 + previous);
}

// Found by the differential soak: expiry removed a dropped column's catalog rows, the next added
// column took its id, and files written before the drop served the dropped values as the new
// column's (or failed to cast them).
TEST_P(LakeTest, AColumnAddedAfterExpiryNeverTakesTheIdOfADroppedColumn) {
  CreateItems();
  InsertItems("SELECT 1 AS id, 'kept' AS name, 2.5 AS price");
  auto drop = Begin();
  ASSERT_TRUE(drop->DropColumn("main", "items", "price").ok());
  Commit(*drop);
  ASSERT_TRUE(lake_->ExpireSnapshots(std::nullopt, 1).ok());
  Reopen();
  auto add = Begin();
  ASSERT_TRUE(add->AddColumn("main", "items", {"added", "DECIMAL(10,2)", true, std::string("7.25")}).ok());
  Commit(*add);
  EXPECT_EQ(CatalogOne("SELECT column_id FROM ducklake_column WHERE column_name = 'added'"), "4");
  EXPECT_EQ(Scan("items"), (Rows{{"1", "kept", "7.25"}}));
  // And on a lake whose expiry already lost the rows: the files' statistics still know the id.
  auto drop_added = Begin();
  ASSERT_TRUE(drop_added->DropColumn("main", "items", "added").ok());
  Commit(*drop_added);
  ASSERT_TRUE(lake_->QueryCatalog("DELETE FROM ducklake_column WHERE end_snapshot IS NOT NULL RETURNING column_id").ok());
  InsertItems("SELECT 2 AS id, 'new' AS name");
  auto again = Begin();
  ASSERT_TRUE(again->AddColumn("main", "items", {"again", "VARCHAR"}).ok());
  Commit(*again);
  EXPECT_EQ(CatalogOne("SELECT column_id FROM ducklake_column WHERE column_name = 'again'"), "4")
      << "the largest id in the files' statistics is 3 (price's rows are gone, 'added' was never written)";
  EXPECT_EQ(Scan("items"), (Rows{{"1", "kept", "NULL"}, {"2", "new", "NULL"}}));
}

TEST_P(LakeTest, SnapshotAsOf) {
  CreateItems();
  InsertItems("SELECT 1 AS id, 'a' AS name, 1 AS price");
  auto now = lake_->SnapshotAsOf("2999-01-01 00:00:00+00");
  ASSERT_TRUE(now.ok()) << now.error().message;
  EXPECT_EQ(*now, lake_->CurrentSnapshot()->snapshot_id);
  EXPECT_EQ(lake_->SnapshotAsOf("1999-01-01 00:00:00+00").error().code, LakeErrorCode::kNotFound);
}

// Runs SQL on the catalog as another writer (the ducklake extension) would; a DuckDB-file catalog
// is released by the lake meanwhile.
TEST_P(LakeTest, CatalogFormatVersionIsChecked) {
  lake_.reset();
  {
    auto store = OpenCatalogStore(catalog_);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Execute("UPDATE ducklake_metadata SET value = '0.3' WHERE key = 'version'").ok());
  }
  auto opened = Lake::Open(options_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, LakeErrorCode::kUnsupported);
  EXPECT_NE(opened.error().message.find("0.3"), std::string::npos);
}

std::vector<CatalogKind> CatalogKinds() {
  std::vector<CatalogKind> kinds{CatalogKind::kDuckDb};
  if (std::getenv("MALLARD_TEST_PG")) kinds.push_back(CatalogKind::kPostgres);
  return kinds;
}

INSTANTIATE_TEST_SUITE_P(Catalogs, LakeTest, testing::ValuesIn(CatalogKinds()), KindName);

TEST(LakeTypes, StatisticsCompareByValue) {
  EXPECT_LT(CompareStatValues("int64", "-5", "3"), 0);
  EXPECT_GT(CompareStatValues("int64", "10", "9"), 0);
  EXPECT_LT(CompareStatValues("decimal(10,2)", "-1.50", "-1.25"), 0);
  EXPECT_EQ(CompareStatValues("decimal(10,2)", "2.50", "2.5"), 0);
  EXPECT_GT(CompareStatValues("uint64", "18446744073709551615", "9223372036854775807"), 0);
  EXPECT_LT(CompareStatValues("float64", "-inf", "-1e300"), 0);
  EXPECT_GT(CompareStatValues("float32", "1e10", "9.5"), 0);
  EXPECT_LT(CompareStatValues("date", "-infinity", "0001-01-01"), 0);
  EXPECT_GT(CompareStatValues("timestamp", "infinity", "9999-12-31 00:00:00"), 0);
  EXPECT_LT(CompareStatValues("varchar", "B", "a"), 0) << "strings compare byte-wise";
}

}  // namespace
}  // namespace mallard::lake

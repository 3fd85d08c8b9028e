// What the ducklake extension writes and Mallard reads but does not write itself: data inlined in
// the catalog, files merged from several snapshots, snapshot-tagged delete files, name-mapped
// files. The catalogs are built the way the extension builds them (its DDL and values).
#include "lake_test_fixture.hpp"

namespace mallard::lake {
namespace {

void RunOnCatalog(LakeTest& test, const std::string& catalog, bool duckdb_file, const std::string& sql,
                  const std::function<void()>& reopen, const std::function<void()>& release) {
  if (duckdb_file) release();
  {
    auto store = OpenCatalogStore(catalog);
    ASSERT_TRUE(store.ok()) << store.error().message;
    auto done = (*store)->Execute(sql);
    ASSERT_TRUE(done.ok()) << done.error().message << "\n" << sql;
  }
  if (duckdb_file) reopen();
}

// One snapshot of another writer: the next snapshot row (schema version bumped when asked) and
// its changes row, then `body` with {S} standing for the new snapshot id.
std::string ExtensionCommit(std::int64_t snapshot, bool new_schema_version, const std::string& changes, std::string body) {
  for (std::size_t at; (at = body.find("{S}")) != std::string::npos;) body.replace(at, 3, std::to_string(snapshot));
  return "INSERT INTO ducklake_snapshot (snapshot_id, snapshot_time, schema_version, next_catalog_id, next_file_id) "
         "SELECT " + std::to_string(snapshot) + ", now(), schema_version" + (new_schema_version ? " + 1" : "") +
         ", next_catalog_id, next_file_id + 1 FROM ducklake_snapshot WHERE snapshot_id = " + std::to_string(snapshot - 1) +
         ";INSERT INTO ducklake_snapshot_changes VALUES (" + std::to_string(snapshot) + ", " + SqlString(changes) +
         ", NULL, NULL, NULL);" + body;
}

TEST_P(LakeTest, RowsAndDeletesInlinedInTheCatalogAreReadAtEverySnapshot) {
  const bool duckdb_file = GetParam() == CatalogKind::kDuckDb;
  auto reopen = [this] { Reopen(); };
  auto release = [this] { lake_.reset(); };
  CreateItems();
  const std::int64_t parquet = InsertItems("SELECT * FROM (VALUES (1, 'one', 1.5), (2, 'two', 2.5)) t(id, name, price)");
  const std::string table_id = CatalogOne("SELECT table_id FROM ducklake_table WHERE table_name = 'items'");
  const std::string file_id = CatalogOne("SELECT data_file_id FROM ducklake_data_file WHERE table_id = " + table_id);
  const std::int64_t version = std::stoll(CatalogOne("SELECT schema_version FROM ducklake_snapshot WHERE snapshot_id = " +
                                                     std::to_string(parquet))) + 1;
  const std::string inlined = "ducklake_inlined_data_" + table_id + "_" + std::to_string(version);
  const std::string deletes = "ducklake_inlined_delete_" + table_id;
  // As the extension inlines a small insert (a new inlined table for the current columns, schema
  // version bumped) and a small delete of a Parquet row, in one snapshot.
  const std::int64_t inlined_at = parquet + 1;
  RunOnCatalog(*this, catalog_, duckdb_file,
               ExtensionCommit(inlined_at, true, "inlined_insert:" + table_id + ",inlined_delete:" + table_id,
                               "CREATE TABLE " + inlined + "(row_id BIGINT, begin_snapshot BIGINT, end_snapshot BIGINT, "
                               "id BIGINT, name VARCHAR, price DECIMAL(10,2));"
                               "INSERT INTO ducklake_inlined_data_tables VALUES (" + table_id + ", '" + inlined + "', " +
                               std::to_string(version) + ");"
                               "INSERT INTO " + inlined + " VALUES (2, {S}, NULL, 3, 'three', 3.5), "
                               "(3, {S}, NULL, 4, 'it''s four', NULL);"
                               "CREATE TABLE " + deletes + "(file_id BIGINT, row_id BIGINT, begin_snapshot BIGINT);"
                               "INSERT INTO " + deletes + " VALUES (" + file_id + ", 0, {S});"
                               "UPDATE ducklake_table_stats SET record_count = 3, next_row_id = 4 WHERE table_id = " +
                               table_id + ";"),
               reopen, release);
  EXPECT_EQ(Scan("items", parquet), (Rows{{"1", "one", "1.50"}, {"2", "two", "2.50"}}));
  EXPECT_EQ(Scan("items"), (Rows{{"2", "two", "2.50"}, {"3", "three", "3.50"}, {"4", "it's four", "NULL"}}));

  // Renamed and added columns: inlined values follow their column ids; an added column reads as
  // its initial default, as for older Parquet files.
  {
    auto alter = Begin();
    ASSERT_TRUE(alter->RenameColumn("main", "items", "name", "label").ok());
    ASSERT_TRUE(alter->AddColumn("main", "items", {"stock", "INTEGER", true, "7"}).ok());
    Commit(*alter);
  }
  EXPECT_EQ(Scan("items"), (Rows{{"2", "two", "2.50", "7"}, {"3", "three", "3.50", "7"}, {"4", "it's four", "NULL", "7"}}));
  auto labels = Query("SELECT label FROM (" + *lake_->ScanSql("main", "items") + ") ORDER BY id");
  EXPECT_EQ(labels, (Rows{{"two"}, {"three"}, {"it's four"}}));

  // The extension deletes an inlined row by ending it.
  const std::int64_t before_delete = lake_->CurrentSnapshot()->snapshot_id;
  RunOnCatalog(*this, catalog_, duckdb_file,
               ExtensionCommit(before_delete + 1, false, "inlined_delete:" + table_id,
                               "UPDATE " + inlined + " SET end_snapshot = {S} WHERE row_id = 2;"),
               reopen, release);
  EXPECT_EQ(Scan("items").size(), 2u);
  EXPECT_EQ(Scan("items", before_delete).size(), 3u);
  EXPECT_EQ(Scan("items", inlined_at - 1).size(), 2u) << "before the inlined commit";

  // Inserts go on (to Parquet); what must see every row is refused clearly.
  InsertItems("SELECT 9 AS id, 'nine' AS label, 9 AS price, 1 AS stock");
  EXPECT_EQ(Scan("items").size(), 3u);
  auto transaction = Begin();
  auto refused = transaction->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT 2 AS id");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, LakeErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("inlined"), std::string::npos) << refused.error().message;
  EXPECT_EQ(transaction->Truncate("main", "items").error().code, LakeErrorCode::kUnsupported);
}

TEST_P(LakeTest, InlinedValuesOfEveryKindReadBackTyped) {
  const bool duckdb_file = GetParam() == CatalogKind::kDuckDb;
  {
    auto create = Begin();
    ASSERT_TRUE(create->CreateTable("main", "kinds", {{"id", "BIGINT"}, {"b", "BLOB"}, {"s", "STRUCT(a INTEGER, t VARCHAR)"},
                                                      {"l", "INTEGER[]"}, {"ts", "TIMESTAMPTZ"}, {"d", "DOUBLE"},
                                                      {"day", "DATE"}, {"ok", "BOOLEAN"}}).ok());
    Commit(*create);
  }
  const std::int64_t created = lake_->CurrentSnapshot()->snapshot_id;
  const std::string table_id = CatalogOne("SELECT table_id FROM ducklake_table WHERE table_name = 'kinds'");
  const std::string version = CatalogOne("SELECT schema_version FROM ducklake_snapshot WHERE snapshot_id = " +
                                         std::to_string(created));
  const std::string inlined = "ducklake_inlined_data_" + table_id + "_" + version;
  // Native types where the catalog database has them; nested ones as the extension's text.
  const std::string types = duckdb_file
      ? "id BIGINT, b BLOB, s STRUCT(a INTEGER, t VARCHAR), l INTEGER[], ts TIMESTAMPTZ, d DOUBLE, day DATE, ok BOOLEAN"
      : "id BIGINT, b BYTEA, s VARCHAR, l VARCHAR, ts TIMESTAMPTZ, d DOUBLE PRECISION, day DATE, ok BOOLEAN";
  const std::string blob = duckdb_file ? "'\\x00\\xFFab'::BLOB" : "'\\x00ff6162'::BYTEA";
  const std::string values =
      duckdb_file ? "(0, {S}, NULL, 1, " + blob + ", {'a': 5, 't': 'x, y'}, [1, 2, NULL], "
                    "'2026-01-02 03:04:05.123456+00', 0.1, '2026-12-01', true)"
                  : "(0, {S}, NULL, 1, " + blob + ", '{''a'': 5, ''t'': ''x, y''}', '[1, 2, NULL]', "
                    "'2026-01-02 03:04:05.123456+00', 0.1, '2026-12-01', true)";
  RunOnCatalog(*this, catalog_, duckdb_file,
               ExtensionCommit(created + 1, false, "inlined_insert:" + table_id,
                               "CREATE TABLE " + inlined + "(row_id BIGINT, begin_snapshot BIGINT, end_snapshot BIGINT, " +
                               types + ");INSERT INTO ducklake_inlined_data_tables VALUES (" + table_id + ", '" +
                               inlined + "', " + version + ");INSERT INTO " + inlined + " VALUES " + values +
                               ", (1, {S}, NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL);"),
               [this] { Reopen(); }, [this] { lake_.reset(); });
  auto sql = lake_->ScanSql("main", "kinds");
  ASSERT_TRUE(sql.ok()) << sql.error().message;
  auto rows = Query("SELECT hex(b), s.a, s.t, l[2], len(l), epoch_us(ts), d = 0.1, day, ok, typeof(s), typeof(ts) FROM (" +
                    *sql + ") ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"00FF6162", "5", "x, y", "2", "3", "1767323045123456", "true",
                                               "2026-12-01", "true", "STRUCT(a INTEGER, t VARCHAR)",
                                               "TIMESTAMP WITH TIME ZONE"}));
  EXPECT_EQ(Query("SELECT count(*) FROM (" + *sql + ") WHERE id = 2 AND b IS NULL AND s IS NULL AND l IS NULL AND "
                  "ts IS NULL AND d IS NULL AND day IS NULL AND ok IS NULL"),
            (Rows{{"1"}}));
}

TEST_P(LakeTest, MergedFilesAndSnapshotTaggedDeletesOfTheExtensionTimeTravel) {
  const bool duckdb_file = GetParam() == CatalogKind::kDuckDb;
  auto reopen = [this] { Reopen(); };
  auto release = [this] { lake_.reset(); };
  CreateItems();
  const std::int64_t first = InsertItems("SELECT 1 AS id, 'a' AS name, 1 AS price");
  const std::int64_t second = InsertItems("SELECT * FROM (VALUES (2, 'b', 2), (4, 'd', 4)) t(id, name, price)");
  const std::string table_id = CatalogOne("SELECT table_id FROM ducklake_table WHERE table_name = 'items'");
  const std::string directory = lake_->DataPath() + "main/items/";
  // As merge_adjacent_files does: one file holding both inserts, each row tagged with the snapshot
  // that inserted it, registered from the first one (partial_max = the last); the sources go. The
  // internal columns carry the field ids Iceberg reserves for row lineage, as DuckDB's writer does.
  const std::string merged = directory + "merged.parquet";
  Write("COPY (SELECT * FROM (VALUES (1::BIGINT, 'a', 1.00::DECIMAL(10,2), " + std::to_string(first) + "::BIGINT, 0::BIGINT), "
        "(2, 'b', 2.00, " + std::to_string(second) + ", 1), (4, 'd', 4.00, " + std::to_string(second) + ", 2)) "
        "t(id, name, price, _ducklake_internal_snapshot_id, _ducklake_internal_row_id)) TO " + SqlString(merged) +
        " (FORMAT parquet, FIELD_IDS {id: 1, name: 2, price: 3, _ducklake_internal_snapshot_id: 2147483539, "
        "_ducklake_internal_row_id: 2147483540})");
  const std::int64_t merge = second + 1;
  RunOnCatalog(*this, catalog_, duckdb_file,
               ExtensionCommit(merge, false, "compacted_table:" + table_id,
                               "DELETE FROM ducklake_data_file WHERE table_id = " + table_id + ";"
                               "INSERT INTO ducklake_data_file (data_file_id, table_id, begin_snapshot, end_snapshot, "
                               "file_order, path, path_is_relative, file_format, record_count, file_size_bytes, "
                               "footer_size, row_id_start, partition_id, encryption_key, mapping_id, partial_max) VALUES "
                               "(100, " + table_id + ", " + std::to_string(first) + ", NULL, NULL, 'merged.parquet', "
                               "true, 'parquet', 3, " + std::to_string(fs::file_size(merged)) + ", 0, 0, NULL, NULL, "
                               "NULL, " + std::to_string(second) + ");"),
               reopen, release);
  EXPECT_EQ(Scan("items", first), (Rows{{"1", "a", "1.00"}})) << "rows of later snapshots are left out";
  EXPECT_EQ(Scan("items", second).size(), 3u);
  EXPECT_EQ(Scan("items").size(), 3u);

  // Deletes as 1.5 writes them: a first one as a plain delete file, the next one as a single
  // snapshot-tagged file replacing it, back-dated to the first deletion.
  const std::int64_t delete_one = merge + 1, delete_two = merge + 2;
  Write("COPY (SELECT 'x' AS file_path, 0::BIGINT AS pos) TO " + SqlString(directory + "d1.parquet") + " (FORMAT parquet)");
  Write("COPY (SELECT * FROM (VALUES ('x', 0::BIGINT, " + std::to_string(delete_one) + "::BIGINT), ('x', 1, " +
        std::to_string(delete_two) + ")) t(file_path, pos, _ducklake_internal_snapshot_id)) TO " +
        SqlString(directory + "d2.parquet") + " (FORMAT parquet)");
  const std::string delete_columns = "INSERT INTO ducklake_delete_file (delete_file_id, table_id, begin_snapshot, "
                                     "end_snapshot, data_file_id, path, path_is_relative, format, delete_count, "
                                     "file_size_bytes, footer_size, encryption_key, partial_max) VALUES ";
  RunOnCatalog(*this, catalog_, duckdb_file,
               ExtensionCommit(delete_one, false, "deleted_from_table:" + table_id,
                               delete_columns + "(101, " + table_id + ", {S}, NULL, 100, 'd1.parquet', true, 'parquet', "
                               "1, 0, 0, NULL, NULL);") +
                   ExtensionCommit(delete_two, false, "deleted_from_table:" + table_id,
                                   "DELETE FROM ducklake_delete_file WHERE delete_file_id = 101;" + delete_columns +
                                   "(102, " + table_id + ", " + std::to_string(delete_one) +
                                   ", NULL, 100, 'd2.parquet', true, 'parquet', 2, 0, 0, NULL, {S});"),
               reopen, release);
  EXPECT_EQ(Scan("items"), (Rows{{"4", "d", "4.00"}}));
  EXPECT_EQ(Scan("items", delete_one), (Rows{{"2", "b", "2.00"}, {"4", "d", "4.00"}}));
  EXPECT_EQ(Scan("items", merge).size(), 3u);
  EXPECT_EQ(Scan("items", first), (Rows{{"1", "a", "1.00"}}));

  // Mallard deletes from the merged file too, on top of the tagged delete file.
  EXPECT_EQ(DeleteItems("4, 1"), delete_two + 1);
  EXPECT_TRUE(Scan("items").empty());
  EXPECT_EQ(Scan("items", delete_two), (Rows{{"4", "d", "4.00"}}));
  EXPECT_EQ(Scan("items", delete_one).size(), 2u);
}

TEST_P(LakeTest, FilesRegisteredWithANameMappingAreRefusedClearly) {
  CreateItems();
  InsertItems("SELECT 1 AS id, 'a' AS name, 1 AS price");
  RunOnCatalog(*this, catalog_, GetParam() == CatalogKind::kDuckDb,
               "UPDATE ducklake_data_file SET mapping_id = 1", [this] { Reopen(); }, [this] { lake_.reset(); });
  auto refused = lake_->ScanSql("main", "items");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, LakeErrorCode::kUnsupported);
  EXPECT_NE(refused.error().message.find("name mapping"), std::string::npos) << refused.error().message;
  auto transaction = Begin();
  EXPECT_EQ(transaction->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT 1 AS id").error().code,
            LakeErrorCode::kUnsupported);
}

// Answers each catalog query with the next canned result (fuzz/targets/fuzz_lake_catalog.cpp does
// the same with fuzzed rows).
class CannedCatalogStore final : public CatalogStore {
 public:
  explicit CannedCatalogStore(std::vector<std::vector<CatalogRow>> results) : results_(std::move(results)) {}
  std::string Dialect() const override { return "duckdb"; }
  LakeStatus Execute(const std::string&) override { return Done{}; }
  LakeResult<std::vector<CatalogRow>> Query(const std::string&) override {
    return next_ < results_.size() ? results_[next_++] : std::vector<CatalogRow>{};
  }
  LakeStatus Begin() override { return Done{}; }
  LakeStatus Commit() override { return Done{}; }
  void Rollback() override {}

 private:
  std::vector<std::vector<CatalogRow>> results_;
  std::size_t next_ = 0;
};

// Found by fuzz_lake_catalog: a column row naming itself as parent_column moved the column into its
// own children (heap-use-after-free). Another writer's catalog may be damaged; it must be an error.
TEST(CatalogViewTest, AColumnThatIsItsOwnParentIsAnErrorNotACrash) {
  const CatalogValue null;
  CannedCatalogStore store({
      {{"0", "main", "main/", "true"}},                                                       // schemas
      {{"1", "0", "0190a0b0-0000-7000-8000-000000000001", "t", "t/", "true"}},                 // tables
      {{"1", "1", "0", "id", "int64", null, null, "true", null},                             // columns
       {"1", "2", "1", "s", "struct", null, null, "true", "2"}},
      {{"1", "2"}},                                                                            // max ids
  });
  SnapshotRow snapshot;
  snapshot.snapshot_id = 1;
  auto view = LoadCatalogView(store, snapshot, "/lake/");
  ASSERT_FALSE(view.ok());
  EXPECT_EQ(view.error().code, LakeErrorCode::kInvalid);
  EXPECT_NE(view.error().message.find("its own parent"), std::string::npos) << view.error().message;
}

}  // namespace
}  // namespace mallard::lake

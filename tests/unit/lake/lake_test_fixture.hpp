#pragma once
// The DuckLake test fixture: a lake on a DuckDB-file catalog or, under tests/support/with_postgres.sh
// (MALLARD_TEST_PG), on a PostgreSQL one, plus a DuckDB connection to feed and read it.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/ids.hpp"
#include "lake/catalog_schema.hpp"
#include "lake/lake.hpp"
#include "lake/lake_transaction.hpp"
#include "lake/parquet_files.hpp"

namespace mallard::lake {

namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

enum class CatalogKind { kDuckDb, kPostgres };

inline std::string KindName(const testing::TestParamInfo<CatalogKind>& info) {
  return info.param == CatalogKind::kDuckDb ? "DuckDbCatalog" : "PostgresCatalog";
}

class LakeTest : public testing::TestWithParam<CatalogKind> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mallard-lake-test-" + RandomAlnum(10));
    fs::create_directories(dir_);
    if (GetParam() == CatalogKind::kPostgres) {
      const char* conninfo = std::getenv("MALLARD_TEST_PG");
      ASSERT_NE(conninfo, nullptr) << "PostgreSQL catalog tests run under tests/support/with_postgres.sh";
      // A fresh database per test keeps the catalogs apart.
      std::string database = "lake_" + RandomAlnum(10);
      std::transform(database.begin(), database.end(), database.begin(), ::tolower);
      auto admin = OpenCatalogStore(std::string("postgres:") + conninfo);
      ASSERT_TRUE(admin.ok()) << admin.error().message;
      ASSERT_TRUE((*admin)->Execute("CREATE DATABASE " + database).ok());
      catalog_ = std::string("postgres:") + conninfo + " dbname=" + database;
    } else {
      catalog_ = (dir_ / "catalog.duckdb").string();
    }
    options_.catalog = catalog_;
    options_.data_path = (dir_ / "data").string();
    Reopen();
    auto database = duckdb::Database::Open({":memory:", 1, "256MB", (dir_ / "spill").string()});
    ASSERT_TRUE(database.ok());
    source_db_ = database.value();
    source_ = std::make_unique<duckdb::Connection>(std::move(source_db_->Connect()).value());
  }
  void TearDown() override {
    source_.reset();
    lake_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  void Reopen() {
    lake_.reset();
    auto lake = Lake::Open(options_);
    ASSERT_TRUE(lake.ok()) << lake.error().message;
    lake_ = lake.value();
  }

  Rows Catalog(const std::string& sql) {
    auto rows = lake_->QueryCatalog(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.error().message;
    Rows out;
    if (!rows.ok()) return out;
    for (const auto& row : *rows) {
      std::vector<std::string> text;
      for (const auto& value : row) text.push_back(value.value_or("NULL"));
      out.push_back(text);
    }
    return out;
  }
  std::string CatalogOne(const std::string& sql) {
    auto rows = Catalog(sql);
    return rows.empty() || rows[0].empty() ? "<none>" : rows[0][0];
  }

  Rows Query(const std::string& sql) {
    auto rows = QueryText(*source_, sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.error().message;
    return rows.ok() ? *rows : Rows{};
  }
  // The table's rows at a snapshot, sorted, as text.
  Rows Scan(const std::string& table, std::optional<std::int64_t> snapshot = std::nullopt,
            const std::string& schema = "main") {
    auto sql = lake_->ScanSql(schema, table, snapshot);
    EXPECT_TRUE(sql.ok()) << sql.error().message;
    if (!sql.ok()) return {};
    return Query("SELECT coalesce(COLUMNS(*)::VARCHAR, 'NULL') FROM (SELECT * FROM (" + *sql + ") ORDER BY ALL)");
  }

  std::unique_ptr<LakeTransaction> Begin() {
    auto transaction = lake_->Begin();
    EXPECT_TRUE(transaction.ok()) << transaction.error().message;
    return transaction.ok() ? std::move(transaction).value() : nullptr;
  }
  std::int64_t Commit(LakeTransaction& transaction) {
    auto snapshot = transaction.Commit();
    EXPECT_TRUE(snapshot.ok()) << snapshot.error().message;
    return snapshot.ok() ? *snapshot : -1;
  }

  // Creates main.items(id BIGINT, name VARCHAR, price DECIMAL(10,2)) and returns the snapshot.
  std::int64_t CreateItems() {
    auto transaction = Begin();
    EXPECT_TRUE(transaction->CreateTable("main", "items", {{"id", "BIGINT", false}, {"name", "VARCHAR"},
                                                            {"price", "DECIMAL(10,2)"}}).ok());
    return Commit(*transaction);
  }
  std::int64_t InsertItems(const std::string& values_sql) {
    auto transaction = Begin();
    auto rows = transaction->Insert("main", "items", *source_, values_sql);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return Commit(*transaction);
  }
  // Runs a statement (e.g. a COPY writing a file as another writer would) on the test's DuckDB.
  void Write(const std::string& sql) {
    auto done = RunStatement(*source_, sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done.error().message;
  }
  std::int64_t DeleteItems(const std::string& ids) {
    auto transaction = Begin();
    auto rows = transaction->DeleteByKeys("main", "items", {"id"}, *source_, "SELECT unnest([" + ids + "]) AS id");
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return Commit(*transaction);
  }

  fs::path dir_;
  std::string catalog_;
  LakeOptions options_;
  std::shared_ptr<Lake> lake_;
  std::shared_ptr<duckdb::Database> source_db_;
  std::unique_ptr<duckdb::Connection> source_;
};

}  // namespace mallard::lake

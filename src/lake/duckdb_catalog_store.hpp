#pragma once
// A DuckLake catalog in a DuckDB database file (the ducklake extension's default catalog kind).
#include <memory>
#include <string>

#include "duckdb/duckdb_wrapper.hpp"
#include "lake/catalog_store.hpp"

namespace mallard::lake {

class DuckDbCatalogStore final : public CatalogStore {
 public:
  // `path` ":memory:" gives a catalog that lives as long as this object.
  static LakeResult<std::unique_ptr<DuckDbCatalogStore>> Open(const std::string& path);

  std::string Dialect() const override { return "duckdb"; }
  LakeStatus Execute(const std::string& sql) override;
  LakeResult<std::vector<CatalogRow>> Query(const std::string& sql) override;
  LakeStatus Begin() override { return Execute("BEGIN TRANSACTION"); }
  LakeStatus Commit() override { return Execute("COMMIT"); }
  void Rollback() override;

 private:
  DuckDbCatalogStore(std::shared_ptr<duckdb::Database> database, duckdb::Connection connection)
      : database_(std::move(database)), connection_(std::move(connection)) {}
  std::shared_ptr<duckdb::Database> database_;
  duckdb::Connection connection_;
};

}  // namespace mallard::lake

#pragma once
// A DuckLake catalog in a DuckDB database file (the ducklake extension's default catalog kind).
#include <memory>
#include <string>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/catalog_store.hpp"

namespace mallard::lake {

class DuckDbCatalogStore final : public CatalogStore {
 public:
  // `path` ":memory:" gives a catalog that lives as long as this object. DuckDB admits one process
  // per database file: when another process holds `path`, a reader (`read_only`) gets a private
  // copy of the file taken while it did not change (a consistent snapshot of the catalog, which
  // the copy never writes back); a writer gets an error that says what works instead.
  static LakeResult<std::unique_ptr<DuckDbCatalogStore>> Open(const std::string& path, bool read_only = false);
  // Set when the catalog is a private copy of a file another process holds.
  bool IsCopy() const { return !copy_directory_.path.empty(); }

  std::string Dialect() const override { return "duckdb"; }
  LakeStatus Execute(const std::string& sql) override;
  LakeResult<std::vector<CatalogRow>> Query(const std::string& sql) override;
  LakeStatus Begin() override { return Execute("BEGIN TRANSACTION"); }
  LakeStatus Commit() override { return Execute("COMMIT"); }
  void Rollback() override;

 private:
  DuckDbCatalogStore(std::shared_ptr<duckdb::Database> database, duckdb::Connection connection)
      : database_(std::move(database)), connection_(std::move(connection)) {}
  static LakeResult<std::unique_ptr<DuckDbCatalogStore>> OpenCopy(const std::string& path);
  // Declared first so that it is destroyed last, after the database that has the copy open.
  struct RemovedDirectory {
    std::string path;
    ~RemovedDirectory();
  } copy_directory_;
  std::shared_ptr<duckdb::Database> database_;
  duckdb::Connection connection_;
};

// The message for a catalog file another process holds (DuckDB's lock error appended).
std::string CatalogInUseMessage(const std::string& path, const std::string& duckdb_message);

}  // namespace mallard::lake

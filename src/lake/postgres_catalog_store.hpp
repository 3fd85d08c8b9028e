#pragma once
// A DuckLake catalog in PostgreSQL, through libpq: the catalog kind for several writers or
// machines sharing one lake. Synchronous libpq; the lake is called from worker threads only.
#include <memory>
#include <string>

#include "lake/catalog_store.hpp"

typedef struct pg_conn PGconn;

namespace mallard::lake {

class PostgresCatalogStore final : public CatalogStore {
 public:
  // `conninfo` is a libpq connection string or URI.
  static LakeResult<std::unique_ptr<PostgresCatalogStore>> Open(const std::string& conninfo);
  ~PostgresCatalogStore() override;

  std::string Dialect() const override { return "postgres"; }
  LakeStatus Execute(const std::string& sql) override;
  LakeResult<std::vector<CatalogRow>> Query(const std::string& sql) override;
  LakeStatus Begin() override { return Execute("BEGIN ISOLATION LEVEL REPEATABLE READ"); }
  LakeStatus Commit() override { return Execute("COMMIT"); }
  void Rollback() override;

 private:
  PostgresCatalogStore(PGconn* connection, std::string conninfo)
      : connection_(connection), conninfo_(std::move(conninfo)) {}
  // A dropped connection is re-established once before a statement outside a transaction.
  LakeStatus EnsureConnected();
  PGconn* connection_;
  std::string conninfo_;
  bool in_transaction_ = false;
};

}  // namespace mallard::lake

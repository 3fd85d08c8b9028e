#pragma once
// CatalogStore: the SQL database that holds a DuckLake's `ducklake_*` tables. The lake speaks
// plain SQL to it (the statements are portable between DuckDB and PostgreSQL) and reads every
// value back as text, so a new catalog database is one more implementation of this interface.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lake/lake_error.hpp"

namespace mallard::lake {

using CatalogValue = std::optional<std::string>;  // std::nullopt is SQL NULL
using CatalogRow = std::vector<CatalogValue>;

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;
  // "duckdb" or "postgres": the dialect differences the lake must know about are few (boolean
  // text, upserts), and are keyed on this.
  virtual std::string Dialect() const = 0;
  // Runs statements whose result is not needed; several may be separated by ';'.
  virtual LakeStatus Execute(const std::string& sql) = 0;
  // Runs one query; every value comes back as text.
  virtual LakeResult<std::vector<CatalogRow>> Query(const std::string& sql) = 0;
  virtual LakeStatus Begin() = 0;
  virtual LakeStatus Commit() = 0;
  virtual void Rollback() = 0;
};

// "postgres://…", "postgresql://…", "postgres:<libpq key=value string>" or a bare libpq keyword
// string ("host=… dbname=…") → PostgreSQL; a spec that begins like a keyword string but does not
// parse is refused (never taken as a file name); anything else is a DuckDB database file path (":memory:" for a throw-away catalog).
// `read_only`: the caller only reads, so a DuckDB file another process holds is read from a copy.
LakeResult<std::unique_ptr<CatalogStore>> OpenCatalogStore(const std::string& spec, bool read_only = false);
bool IsPostgresCatalogSpec(const std::string& spec);
// The spec begins with `keyword =` for a keyword libpq knows (host, dbname, password, …): meant as
// a connection string, whether or not the rest parses; never a file name.
bool StartsWithLibpqKeyword(const std::string& spec);

// SQL text helpers shared by every statement the lake builds.
std::string SqlString(const std::string& value);         // 'it''s'
std::string SqlIdentifier(const std::string& name);       // "a""b"
std::string SqlOptString(const CatalogValue& value);      // NULL or a quoted string
bool CatalogBool(const CatalogValue& value);              // t/true/1 → true
std::int64_t CatalogInt(const CatalogValue& value, std::int64_t if_null = 0);

}  // namespace mallard::lake

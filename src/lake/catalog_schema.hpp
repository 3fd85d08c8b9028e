#pragma once
// The DuckLake 1.0 catalog: its 28 tables and the rows a new lake starts with.
#include <string>
#include <vector>

#include "lake/catalog_store.hpp"

namespace mallard::lake {

inline constexpr const char* kDuckLakeFormatVersion = "1.0";

// CREATE TABLE statements for every `ducklake_*` table, in the extension's column order (readers
// and other writers use explicit column lists, but keeping the order avoids surprises).
const std::vector<std::string>& CatalogTableStatements();

// True when the catalog already holds a lake (`ducklake_metadata` exists).
LakeResult<bool> CatalogExists(CatalogStore& store);
// Creates the tables and snapshot 0 (schema `main`) in one transaction.
LakeStatus InitializeCatalog(CatalogStore& store, const std::string& data_path, const std::string& created_by);

}  // namespace mallard::lake

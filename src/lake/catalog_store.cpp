#include "lake/catalog_store.hpp"

#include "lake/duckdb_catalog_store.hpp"
#include "lake/postgres_catalog_store.hpp"

namespace mallard::lake {

const char* LakeErrorCodeName(LakeErrorCode code) {
  switch (code) {
    case LakeErrorCode::kNotFound: return "NotFound";
    case LakeErrorCode::kAlreadyExists: return "AlreadyExists";
    case LakeErrorCode::kInvalid: return "Invalid";
    case LakeErrorCode::kConflict: return "Conflict";
    case LakeErrorCode::kCatalog: return "Catalog";
    case LakeErrorCode::kIo: return "Io";
    case LakeErrorCode::kUnsupported: return "Unsupported";
  }
  return "Unknown";
}

bool IsPostgresCatalogSpec(const std::string& spec) {
  return spec.rfind("postgres://", 0) == 0 || spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres:", 0) == 0;
}

LakeResult<std::unique_ptr<CatalogStore>> OpenCatalogStore(const std::string& spec, bool read_only) {
  if (IsPostgresCatalogSpec(spec)) {
    bool uri = spec.rfind("postgres://", 0) == 0 || spec.rfind("postgresql://", 0) == 0;
    MALLARD_ASSIGN_OR_RETURN(auto store, PostgresCatalogStore::Open(uri ? spec : spec.substr(9)));
    return std::unique_ptr<CatalogStore>(std::move(store));
  }
  if (spec.empty()) return LakeFail(LakeErrorCode::kInvalid, "the DuckLake catalog is not set");
  MALLARD_ASSIGN_OR_RETURN(auto store, DuckDbCatalogStore::Open(spec, read_only));
  return std::unique_ptr<CatalogStore>(std::move(store));
}

std::string SqlString(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string SqlIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string SqlOptString(const CatalogValue& value) { return value ? SqlString(*value) : "NULL"; }

bool CatalogBool(const CatalogValue& value) {
  return value && (*value == "t" || *value == "true" || *value == "1" || *value == "TRUE");
}

std::int64_t CatalogInt(const CatalogValue& value, std::int64_t if_null) {
  return value ? std::stoll(*value) : if_null;
}

}  // namespace mallard::lake

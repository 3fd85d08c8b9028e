#include "lake/catalog_store.hpp"

#include <libpq-fe.h>

#include <cctype>

#include "infra/libpq/pq_library.hpp"
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

bool StartsWithLibpqKeyword(const std::string& spec) {
  std::size_t start = spec.find_first_not_of(" \t");
  if (start == std::string::npos) return false;
  std::size_t end = start;
  while (end < spec.size() && (std::isalnum(static_cast<unsigned char>(spec[end])) || spec[end] == '_')) ++end;
  std::size_t equals = spec.find_first_not_of(" \t", end);
  if (end == start || equals == std::string::npos || spec[equals] != '=') return false;
  std::string keyword = spec.substr(start, end - start);
  // Without libpq no keyword is known, and the spec is taken for a file path.
  if (!libpq::LoadLibPq().empty()) return false;
  bool known = false;
  PQconninfoOption* defaults = PQconndefaults();
  for (PQconninfoOption* option = defaults; option && option->keyword; ++option) known |= keyword == option->keyword;
  PQconninfoFree(defaults);
  return known;
}

namespace {

// A libpq keyword/value connection string ("host=db dbname=lake user=u password=…").
bool IsLibpqKeywordString(const std::string& spec) {
  if (!StartsWithLibpqKeyword(spec)) return false;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(spec.c_str(), &error);
  if (error) PQfreemem(error);
  if (!options) return false;
  PQconninfoFree(options);
  return true;
}

}  // namespace

bool IsPostgresCatalogSpec(const std::string& spec) {
  return spec.rfind("postgres://", 0) == 0 || spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres:", 0) == 0 ||
         IsLibpqKeywordString(spec);
}

LakeResult<std::unique_ptr<CatalogStore>> OpenCatalogStore(const std::string& spec, bool read_only) {
  if (IsPostgresCatalogSpec(spec)) {
    bool prefixed = spec.rfind("postgres:", 0) == 0 && spec.rfind("postgres://", 0) != 0;
    MALLARD_ASSIGN_OR_RETURN(auto store, PostgresCatalogStore::Open(prefixed ? spec.substr(9) : spec));
    return std::unique_ptr<CatalogStore>(std::move(store));
  }
  if (spec.empty()) return LakeFail(LakeErrorCode::kInvalid, "the DuckLake catalog is not set");
  // Not a file name: the spec would be echoed in logs and become a file named after a password.
  if (StartsWithLibpqKeyword(spec)) {
    return LakeFail(LakeErrorCode::kInvalid,
                    "the DuckLake catalog looks like a PostgreSQL connection string but libpq cannot parse it; "
                    "accepted: a DuckDB file path, postgres://USER:PASSWORD@HOST:PORT/DB, or libpq keywords "
                    "such as 'host=HOST port=5432 dbname=DB user=USER password=…'");
  }
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

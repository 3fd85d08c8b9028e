#pragma once
// DuckLake column trees and their types: DuckDB types in, DuckLake type names in the catalog,
// DuckDB type SQL back out for reading, and the Parquet field-id maps that tie files to columns.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "lake/catalog_store.hpp"

namespace mallard::lake {

struct LakeColumn {
  std::int64_t column_id = 0;
  std::string name;
  // DuckLake type name: "int64", "decimal(18,3)", "varchar", "list", "struct", "map", ...
  std::string type;
  bool nulls_allowed = true;
  CatalogValue initial_default;  // value for files written before the column existed (NULL: none)
  CatalogValue default_value;    // value for inserts that omit the column (NULL: none)
  std::vector<LakeColumn> children;  // list: element; map: key, value; struct: its fields
};

// What a caller asks for: a name and a DuckDB type expression ("DECIMAL(10,2)", "INTEGER[]",
// "STRUCT(a INTEGER, b VARCHAR)", "MAP(VARCHAR, BIGINT)", "JSON", ...).
struct ColumnSpec {
  ColumnSpec() = default;
  ColumnSpec(std::string name, std::string type, bool nullable = true,
             std::optional<std::string> default_value = std::nullopt)
      : name(std::move(name)), type(std::move(type)), nullable(nullable), default_value(std::move(default_value)) {}
  std::string name;
  std::string type;
  bool nullable = true;
  // A SQL literal (e.g. "0", "'n/a'"): for ADD COLUMN, the value rows of older files read as.
  std::optional<std::string> default_value;
};

// Resolves `spec.type` with DuckDB (so every spelling DuckDB accepts works) and maps it to a
// DuckLake column tree. ENUM, ARRAY, UNION and BIT have no DuckLake type and are refused.
LakeResult<LakeColumn> ColumnFromSpec(duckdb::Connection& connection, const ColumnSpec& spec);
// Maps a DuckDB logical type to a DuckLake column tree (ids unassigned).
LakeResult<LakeColumn> ColumnFromDuckDbType(const std::string& name, const duckdb::LogicalType& type);

// Numbers columns pre-order, depth first (parent before children), starting at `next_id`, which
// is left one past the last id used — the extension's numbering.
void AssignColumnIds(std::vector<LakeColumn>& columns, std::int64_t& next_id);
void AssignColumnIds(LakeColumn& column, std::int64_t& next_id);
std::int64_t MaxColumnId(const std::vector<LakeColumn>& columns);

// DuckLake type tree → DuckDB type SQL ("DECIMAL(18,3)", "STRUCT(\"a\" INTEGER)[]").
// `json_as_varchar`: read_parquet's schema argument cannot name JSON, so scans read JSON as
// VARCHAR and cast afterwards.
LakeResult<std::string> DuckDbTypeSql(const LakeColumn& column, bool json_as_varchar = false);
bool ContainsJson(const LakeColumn& column);
// The FIELD_IDS option of COPY ... TO (FORMAT parquet) for these columns.
std::string FieldIdsOption(const std::vector<LakeColumn>& columns);
// The `schema` argument of read_parquet: field id → {name, type, default_value}.
LakeResult<std::string> ReadSchemaArgument(const std::vector<LakeColumn>& columns);

// Leaves of the tree with their stats key as COPY ... RETURN_STATS names them.
struct LeafColumn {
  const LakeColumn* column;
  std::string stats_key;
  bool top_level;
};
std::vector<LeafColumn> LeafColumns(const std::vector<LakeColumn>& columns);

// A DuckLake "decimal(P,S)" type: 1 <= P <= 38 (DuckDB's widest decimal), 0 <= S <= P.
inline constexpr int kMaxDecimalPrecision = 38;
struct DecimalType {
  int precision = 0;
  int scale = 0;
};
// Parses exactly "decimal(P,S)"; anything else, out of range included, is nullopt.
std::optional<DecimalType> ParseDecimalType(std::string_view type);

// Whether a primitive column of DuckLake type `from` may become `to` in place (old files read as
// the new type, their statistics still valid): integer widening (int8 → int16 → int32 → int64,
// uintN → uintM or intM with M > N) and decimal(p,s) → decimal(p',s') with no fewer integer
// digits and no smaller scale. float32 → float64 is not: a float's statistics text read as a
// double is not the value the promoted float reads as, so min/max pruning would drop rows.
bool TypePromotionAllowed(const std::string& from, const std::string& to);

// A stable text of the column tree (ids, names, types): two equal fingerprints read the same files.
std::string ColumnsFingerprint(const std::vector<LakeColumn>& columns);

// Compares two statistics strings of a column of DuckLake type `type` by value (numbers
// numerically, temporal values in order, strings byte-wise). <0, 0, >0.
int CompareStatValues(const std::string& type, const std::string& left, const std::string& right);

}  // namespace mallard::lake

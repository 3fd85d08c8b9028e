#pragma once
// Turns DuckDB result chunks into engine-neutral typed values: column types are read once from the
// result schema, then each chunk's vectors are read directly (fixed-width data, string_t, list
// entries, struct children, validity masks) — no per-value string conversion.
#include <memory>
#include <vector>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "sqlengine/sql_types.hpp"

namespace mallard::duckdb {

// How to read one column (and, recursively, its children), prepared from its logical type.
struct ColumnDecoder {
  duckdb_type id = DUCKDB_TYPE_INVALID;
  duckdb_type storage = DUCKDB_TYPE_INVALID;  // DECIMAL/ENUM physical type
  std::uint8_t scale = 0;
  std::size_t array_size = 0;
  std::vector<std::string> enum_values;
  std::vector<ColumnDecoder> children;
};

sqlengine::SqlType ToSqlType(const LogicalType& type);
ColumnDecoder MakeDecoder(const LogicalType& type);
sqlengine::SqlValue ReadValue(const ColumnDecoder& decoder, const Vector& vector, std::size_t row);
// Rough in-memory size of a value, for the APIs' result-size fields.
std::int64_t ApproximateSize(const sqlengine::SqlValue& value);

}  // namespace mallard::duckdb

#pragma once
// PostgreSQL column types → DuckLake (DuckDB) types, and the SQL that turns PostgreSQL's text
// output of a value (what pgoutput and COPY send) into the DuckDB value.
//
// | PostgreSQL                                   | DuckLake / DuckDB                         |
// |----------------------------------------------|-------------------------------------------|
// | smallint, integer, bigint                    | int16, int32, int64                       |
// | oid                                          | uint32                                    |
// | numeric(p,s) (p <= 38)                       | decimal(p,s)                              |
// | numeric (no precision, or p > 38)            | decimal(38,10) (values it would round fail)|
// | real, double precision                       | float32, float64                          |
// | text, varchar(n), char(n), name, citext, enums| varchar                                  |
// | boolean                                      | boolean                                   |
// | bytea                                        | blob                                      |
// | date, time, timetz, timestamp, timestamptz   | date, time, timetz (as UTC), timestamp, timestamptz|
// | interval (Parquet holds no negative months/days/time) | interval                          |
// | uuid                                         | uuid                                      |
// | json, jsonb                                  | json                                      |
// | T[] of any type above                        | list of T                                 |
// | inet, cidr, macaddr, money, xml, bit, tsvector, point, … | varchar (their text form)     |
// | composite, range and multirange types        | not supported: the table goes to ERROR    |
#include <optional>
#include <string>

namespace mallard::cdc {

struct ColumnType {
  std::string duckdb_type;  // e.g. "DECIMAL(10,2)", "INTEGER[]"
  bool supported = true;
  std::string unsupported_reason;
};

// `format_type` is PostgreSQL's format_type(oid, typmod) of the column (of the base type for a
// domain); `type_kind` its pg_type.typtype ('b' base, 'e' enum, 'c' composite, 'r' range, 'm'
// multirange, 'p' pseudo); for arrays, `element_kind` is the element type's typtype.
ColumnType MapPostgresType(const std::string& format_type, char type_kind, char element_kind);

// The PostgreSQL type a lake column of DuckLake type `lake_type` was made from, where that is
// one type whose changes the pipeline follows (int16/32/64, decimal(p,s) but decimal(38,10), the
// column of numeric(38,10), of an unconstrained numeric and of one wider than 38 digits); none
// otherwise.
std::optional<std::string> PostgresTypeOfLakeType(const std::string& lake_type);

// A DuckDB expression turning `text_expression` (VARCHAR holding PostgreSQL's text output, with
// TimeZone UTC, DateStyle ISO, IntervalStyle postgres) into a value of `type`.
std::string CastFromPostgresText(const ColumnType& type, const std::string& text_expression);

// Session settings under which PostgreSQL's text output is what CastFromPostgresText expects.
inline constexpr const char* kPostgresSessionOptions =
    "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex";

}  // namespace mallard::cdc

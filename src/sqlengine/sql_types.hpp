#pragma once
// The engine-neutral shape of SQL results shared by Athena and Redshift Data: column types as the
// engine reports them and cell values that keep their type (so each service renders them in its
// own API's format), plus what a query asks for and what it produced.
#include <cstdint>
#include <string>
#include <vector>

namespace mallard::sqlengine {

enum class SqlTypeKind : std::uint8_t {
  Null,  // the type of a bare NULL literal
  Boolean,
  TinyInt, SmallInt, Integer, BigInt, HugeInt,
  UTinyInt, USmallInt, UInteger, UBigInt, UHugeInt,
  Float, Double,
  Decimal,
  Varchar, Enum, Json, Uuid, Bit,
  Blob,
  Date, Time, TimeTz, Timestamp, TimestampTz,
  Interval,
  List, Array, Struct, Map, Union,
  Other,
};

struct SqlType {
  SqlTypeKind kind = SqlTypeKind::Other;
  std::uint8_t precision = 0;  // DECIMAL width
  std::uint8_t scale = 0;      // DECIMAL scale
  std::vector<std::string> field_names;  // STRUCT fields / UNION members
  std::vector<SqlType> children;         // LIST/ARRAY: element; MAP: key, value; STRUCT/UNION: fields
  std::string engine_name;               // the engine's own spelling ("DECIMAL(10,2)", "INTEGER[]")
};

struct SqlColumn {
  std::string name;
  SqlType type;
};

// One cell. Scalars that must stay exact (DECIMAL, HUGEINT, UBIGINT beyond int64) travel as their
// exact decimal text; temporal values travel as numbers so each API formats them its own way.
struct SqlValue {
  enum class Kind : std::uint8_t {
    Null, Boolean, Integer, Double, Exact, Text, Blob,
    Date,         // integer = days since 1970-01-01
    Time,         // integer = microseconds since midnight
    TimeTz,       // integer = microseconds since midnight, offset_seconds
    Timestamp,    // integer = microseconds since the epoch
    TimestampTz,  // integer = microseconds since the epoch, UTC
    Interval,     // months, days, integer = microseconds
    List, Struct, Map,  // items (MAP: key, value, key, value, ...); STRUCT names come from the type
  };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int32_t offset_seconds = 0;
  std::string text;  // Exact, Text, Blob (raw bytes)
  std::vector<SqlValue> items;
};

using SqlRow = std::vector<SqlValue>;

// What a statement did, for the APIs' statement-type fields.
enum class StatementKind : std::uint8_t { Query, Dml, Ddl, Utility };

struct QueryOutcome {
  bool succeeded = false;
  bool cancelled = false;
  std::string error_message;  // the engine's message, verbatim
  bool user_error = true;     // syntax/catalog/constraint problems vs. engine failures
  bool has_result_set = false;
  StatementKind statement_kind = StatementKind::Query;
  std::vector<SqlColumn> columns;
  std::vector<SqlRow> rows;
  std::int64_t rows_affected = -1;  // DML only
  std::int64_t result_bytes = 0;     // approximate size of the result data
  std::int64_t engine_millis = 0;
  std::int64_t planning_millis = 0;
};

// A positional or named parameter value, typed from how the API passed it.
struct SqlParameter {
  enum class Kind : std::uint8_t { Null, Boolean, Integer, Double, Text } kind = Kind::Text;
  std::string name;  // Redshift ":name"; empty for positional
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
};

struct QueryRequest {
  std::vector<std::string> statements;  // run in order; the last one's result is returned
  bool single_transaction = false;      // all statements commit or none (Redshift batches)
  std::string schema;                   // default schema for unqualified names; empty = engine default
  std::vector<SqlParameter> parameters;
  // Indexes of statements Mallard built itself to write files into the S3 file store (Athena's
  // CTAS, INSERT INTO an external table, UNLOAD): the sandbox lets each through when it is exactly
  // one COPY … TO; DuckDB's allowed_directories still confine where it writes. Client SQL never
  // sets this.
  std::vector<std::size_t> service_copies;
};

// Catalogue entries as the engine names them.
struct TableInfo {
  std::string schema;
  std::string name;
  bool is_view = false;
  std::string storage_format;  // set for a table kept outside the engine's own storage, e.g. "DUCKLAKE"
  std::vector<SqlColumn> columns;
  std::vector<bool> column_nullable;
  std::int64_t estimated_rows = 0;
};

}  // namespace mallard::sqlengine

#pragma once
// A small RAII layer over DuckDB's C API (duckdb.h): database, connection, extracted and prepared
// statements, streaming results, data chunks, logical types and the appender. Every handle frees
// itself; every fallible call returns Result<T, DuckDbError> carrying DuckDB's own message.
//
// DuckDB rules this layer makes explicit:
//   * a connection runs one statement at a time, and starting a second statement on it silently
//     ends an open streaming result, so callers use one connection per running query;
//   * Interrupt() is the one call that is safe from another thread while a statement runs, and
//     DuckDB forgets it when the next statement starts (see ExecuteStreamingUnlessInterrupted);
//   * results are read chunk by chunk (vectors), never through the per-value accessors.
#include <duckdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace mallard::duckdb {

struct DuckDbError {
  std::string message;
  duckdb_error_type type = DUCKDB_ERROR_INVALID;
  bool Interrupted() const { return type == DUCKDB_ERROR_INTERRUPT; }
};

template <typename T>
using DuckResult = Result<T, DuckDbError>;
using DuckStatus = Result<Done, DuckDbError>;

struct DatabaseOptions {
  std::string path = ":memory:";  // a file path persists the catalogue
  unsigned threads = 0;             // 0 = the machine's hardware threads
  std::string memory_limit = "";    // e.g. "2GB"; empty = DuckDB's default (80% of RAM)
  std::string temp_directory = "";  // where larger-than-memory operators spill; empty = DuckDB's default
  // false lets results without ORDER BY come in any order, which lets Parquet writes bound their
  // row groups by bytes (ROW_GROUP_SIZE_BYTES) instead of buffering 122,880 rows of any width.
  bool preserve_insertion_order = true;
};

// An owned duckdb_logical_type.
class LogicalType {
 public:
  explicit LogicalType(duckdb_logical_type type) : type_(type) {}
  LogicalType(LogicalType&& other) noexcept : type_(std::exchange(other.type_, nullptr)) {}
  LogicalType& operator=(LogicalType&& other) noexcept;
  LogicalType(const LogicalType&) = delete;
  LogicalType& operator=(const LogicalType&) = delete;
  ~LogicalType();

  duckdb_logical_type get() const { return type_; }
  duckdb_type Id() const { return duckdb_get_type_id(type_); }
  // DECIMAL
  std::uint8_t DecimalWidth() const { return duckdb_decimal_width(type_); }
  std::uint8_t DecimalScale() const { return duckdb_decimal_scale(type_); }
  duckdb_type DecimalInternalType() const { return duckdb_decimal_internal_type(type_); }
  // ENUM
  duckdb_type EnumInternalType() const { return duckdb_enum_internal_type(type_); }
  std::vector<std::string> EnumDictionary() const;
  // LIST / ARRAY / MAP / STRUCT / UNION
  LogicalType ListChild() const { return LogicalType(duckdb_list_type_child_type(type_)); }
  LogicalType ArrayChild() const { return LogicalType(duckdb_array_type_child_type(type_)); }
  std::size_t ArraySize() const { return duckdb_array_type_array_size(type_); }
  LogicalType MapKey() const { return LogicalType(duckdb_map_type_key_type(type_)); }
  LogicalType MapValue() const { return LogicalType(duckdb_map_type_value_type(type_)); }
  std::size_t StructChildCount() const { return duckdb_struct_type_child_count(type_); }
  std::string StructChildName(std::size_t index) const;
  LogicalType StructChild(std::size_t index) const { return LogicalType(duckdb_struct_type_child_type(type_, index)); }
  std::size_t UnionMemberCount() const { return duckdb_union_type_member_count(type_); }
  std::string UnionMemberName(std::size_t index) const;
  LogicalType UnionMember(std::size_t index) const { return LogicalType(duckdb_union_type_member_type(type_, index)); }

 private:
  duckdb_logical_type type_;
};

// A borrowed vector of a data chunk (valid while the chunk lives).
class Vector {
 public:
  explicit Vector(duckdb_vector vector) : vector_(vector) {}
  template <typename T>
  const T* Data() const { return static_cast<const T*>(duckdb_vector_get_data(vector_)); }
  bool IsValid(std::size_t row) const {
    std::uint64_t* validity = duckdb_vector_get_validity(vector_);
    return validity == nullptr || duckdb_validity_row_is_valid(validity, row);
  }
  LogicalType Type() const { return LogicalType(duckdb_vector_get_column_type(vector_)); }
  Vector ListChild() const { return Vector(duckdb_list_vector_get_child(vector_)); }
  Vector ArrayChild() const { return Vector(duckdb_array_vector_get_child(vector_)); }
  Vector StructChild(std::size_t index) const { return Vector(duckdb_struct_vector_get_child(vector_, index)); }
  duckdb_vector get() const { return vector_; }

 private:
  duckdb_vector vector_;
};

// Reads a VARCHAR/BLOB/BIT cell without copying.
inline std::string_view StringAt(const Vector& vector, std::size_t row) {
  auto* strings = const_cast<duckdb_string_t*>(vector.Data<duckdb_string_t>());
  return {duckdb_string_t_data(&strings[row]), duckdb_string_t_length(strings[row])};
}

// An owned data chunk.
class DataChunk {
 public:
  explicit DataChunk(duckdb_data_chunk chunk) : chunk_(chunk) {}
  DataChunk(DataChunk&& other) noexcept : chunk_(std::exchange(other.chunk_, nullptr)) {}
  DataChunk(const DataChunk&) = delete;
  DataChunk& operator=(const DataChunk&) = delete;
  ~DataChunk();

  std::size_t Size() const { return duckdb_data_chunk_get_size(chunk_); }
  std::size_t ColumnCount() const { return duckdb_data_chunk_get_column_count(chunk_); }
  Vector Column(std::size_t index) const { return Vector(duckdb_data_chunk_get_vector(chunk_, index)); }

 private:
  duckdb_data_chunk chunk_;
};

// The result of one statement. Streaming results are consumed with NextChunk().
class QueryResult {
 public:
  QueryResult() = default;
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&& other) noexcept;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult();

  std::size_t ColumnCount() { return duckdb_column_count(&result_); }
  std::string ColumnName(std::size_t index) { return duckdb_column_name(&result_, index); }
  LogicalType ColumnType(std::size_t index) { return LogicalType(duckdb_column_logical_type(&result_, index)); }
  duckdb_result_type ReturnType() const { return duckdb_result_return_type(result_); }
  duckdb_statement_type StatementType() const { return duckdb_result_statement_type(result_); }
  // The next chunk, std::nullopt at the end, or the error that ended the stream (an interrupt too).
  DuckResult<std::optional<DataChunk>> NextChunk();

 private:
  friend class PreparedStatement;
  friend class Connection;
  duckdb_result result_{};
  bool owned_ = false;
};

class PreparedStatement {
 public:
  explicit PreparedStatement(duckdb_prepared_statement statement) : statement_(statement) {}
  PreparedStatement(PreparedStatement&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;
  ~PreparedStatement();

  std::size_t ParameterCount() const { return duckdb_nparams(statement_); }
  // The name of parameter `index` (1-based): "1" for `?`/`$1`, "name" for `$name`.
  std::string ParameterName(std::size_t index) const;
  duckdb_statement_type StatementType() const { return duckdb_prepared_statement_type(statement_); }
  DuckStatus BindNull(std::size_t index);
  DuckStatus BindBool(std::size_t index, bool value);
  DuckStatus BindInt64(std::size_t index, std::int64_t value);
  DuckStatus BindDouble(std::size_t index, double value);
  DuckStatus BindVarchar(std::size_t index, std::string_view value);
  // Runs the statement; the result streams chunk by chunk.
  DuckResult<QueryResult> ExecuteStreaming();
  // The same, for a statement another thread may interrupt. DuckDB clears a connection's interrupt
  // flag when a statement starts, so an Interrupt() that lands between the caller's last look at
  // its own flag and that start is lost and the statement runs to its end. This starts the
  // statement first (DuckDB's pending result), then asks `interrupted`: a later Interrupt() stays
  // set, an earlier one is seen here, and the statement is not run (an INTERRUPT error).
  DuckResult<QueryResult> ExecuteStreamingUnlessInterrupted(const std::function<bool()>& interrupted);

 private:
  DuckStatus Check(duckdb_state state, std::size_t index);
  duckdb_prepared_statement statement_;
};

// The statements of one SQL text, each prepared only when asked: a statement may name what an
// earlier one of the same text creates (`CREATE SEQUENCE s; CREATE TABLE t (id BIGINT DEFAULT
// nextval('s'))`, `SET search_path = …; SELECT …`), which DuckDB binds only once that one ran.
class ExtractedStatements {
 public:
  ExtractedStatements(ExtractedStatements&& other) noexcept
      : connection_(other.connection_), statements_(std::exchange(other.statements_, nullptr)), count_(other.count_) {}
  ExtractedStatements(const ExtractedStatements&) = delete;
  ExtractedStatements& operator=(const ExtractedStatements&) = delete;
  ~ExtractedStatements();

  std::size_t Count() const { return count_; }
  // Prepares statement `index` (0-based) against the catalogue as it is now.
  DuckResult<PreparedStatement> Prepare(std::size_t index);

 private:
  friend class Connection;
  ExtractedStatements(duckdb_connection connection, duckdb_extracted_statements statements, std::size_t count)
      : connection_(connection), statements_(statements), count_(count) {}
  duckdb_connection connection_;
  duckdb_extracted_statements statements_;
  std::size_t count_;
};

class Connection {
 public:
  explicit Connection(duckdb_connection connection) : connection_(connection) {}
  Connection(Connection&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Splits a SQL text into its statements and prepares each.
  DuckResult<std::vector<PreparedStatement>> PrepareAll(const std::string& sql);
  // Splits a SQL text into its statements, to be prepared and run one after the other.
  DuckResult<ExtractedStatements> Extract(const std::string& sql);
  DuckResult<PreparedStatement> Prepare(const std::string& sql);
  // Runs statements whose result is not needed (SET, BEGIN, DDL).
  DuckStatus Execute(const std::string& sql);
  // Safe from any thread: makes the running statement fail with an INTERRUPT error.
  void Interrupt() { duckdb_interrupt(connection_); }
  duckdb_connection get() const { return connection_; }

 private:
  duckdb_connection connection_;
};

class Appender {
 public:
  static DuckResult<Appender> Create(Connection& connection, const std::string& schema, const std::string& table);
  Appender(Appender&& other) noexcept : appender_(std::exchange(other.appender_, nullptr)) {}
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;
  ~Appender();

  DuckStatus AppendNull() { return Check(duckdb_append_null(appender_)); }
  DuckStatus AppendBool(bool value) { return Check(duckdb_append_bool(appender_, value)); }
  DuckStatus AppendInt64(std::int64_t value) { return Check(duckdb_append_int64(appender_, value)); }
  DuckStatus AppendDouble(double value) { return Check(duckdb_append_double(appender_, value)); }
  DuckStatus AppendVarchar(std::string_view value) {
    return Check(duckdb_append_varchar_length(appender_, value.data(), value.size()));
  }
  DuckStatus AppendBlob(std::string_view value) {
    return Check(duckdb_append_blob(appender_, value.data(), value.size()));
  }
  DuckStatus EndRow() { return Check(duckdb_appender_end_row(appender_)); }
  DuckStatus Flush() { return Check(duckdb_appender_flush(appender_)); }

 private:
  explicit Appender(duckdb_appender appender) : appender_(appender) {}
  DuckStatus Check(duckdb_state state);
  duckdb_appender appender_;
};

class Database {
 public:
  static DuckResult<std::shared_ptr<Database>> Open(const DatabaseOptions& options);
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  DuckResult<Connection> Connect();
  const std::string& Path() const { return path_; }

 private:
  Database(duckdb_database database, std::string path) : database_(database), path_(std::move(path)) {}
  duckdb_database database_;
  std::string path_;
};

}  // namespace mallard::duckdb

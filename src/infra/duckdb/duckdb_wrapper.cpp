#include "infra/duckdb/duckdb_wrapper.hpp"

#include "infra/duckdb/duckdb_library.hpp"

#include <thread>

namespace mallard::duckdb {
namespace {

std::string TakeCString(char* text) {
  if (text == nullptr) return {};
  std::string copy(text);
  duckdb_free(text);
  return copy;
}

DuckDbError ResultError(duckdb_result& result) {
  const char* message = duckdb_result_error(&result);
  return DuckDbError{message != nullptr ? message : "unknown DuckDB error", duckdb_result_error_type(&result)};
}

}  // namespace

// ---- LogicalType -----------------------------------------------------------------------------

LogicalType& LogicalType::operator=(LogicalType&& other) noexcept {
  if (this != &other) {
    if (type_ != nullptr) duckdb_destroy_logical_type(&type_);
    type_ = std::exchange(other.type_, nullptr);
  }
  return *this;
}

LogicalType::~LogicalType() {
  if (type_ != nullptr) duckdb_destroy_logical_type(&type_);
}

std::vector<std::string> LogicalType::EnumDictionary() const {
  std::vector<std::string> values(duckdb_enum_dictionary_size(type_));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = TakeCString(duckdb_enum_dictionary_value(type_, i));
  return values;
}

std::string LogicalType::StructChildName(std::size_t index) const {
  return TakeCString(duckdb_struct_type_child_name(type_, index));
}

std::string LogicalType::UnionMemberName(std::size_t index) const {
  return TakeCString(duckdb_union_type_member_name(type_, index));
}

// ---- DataChunk / QueryResult ---------------------------------------------------------------

DataChunk::~DataChunk() {
  if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
}

QueryResult::QueryResult(QueryResult&& other) noexcept : result_(other.result_), owned_(other.owned_) {
  other.owned_ = false;
  other.result_ = {};
}

QueryResult& QueryResult::operator=(QueryResult&& other) noexcept {
  if (this != &other) {
    if (owned_) duckdb_destroy_result(&result_);
    result_ = other.result_;
    owned_ = std::exchange(other.owned_, false);
    other.result_ = {};
  }
  return *this;
}

QueryResult::~QueryResult() {
  if (owned_) duckdb_destroy_result(&result_);
}

DuckResult<std::optional<DataChunk>> QueryResult::NextChunk() {
  duckdb_data_chunk chunk = duckdb_fetch_chunk(result_);
  if (chunk != nullptr) return std::optional<DataChunk>(DataChunk(chunk));
  // A null chunk is either the end of the stream or an error raised while producing it.
  if (duckdb_result_error(&result_) != nullptr) return Fail(ResultError(result_));
  return std::optional<DataChunk>();
}

// ---- PreparedStatement ---------------------------------------------------------------------

PreparedStatement::~PreparedStatement() {
  if (statement_ != nullptr) duckdb_destroy_prepare(&statement_);
}

std::string PreparedStatement::ParameterName(std::size_t index) const {
  const char* name = duckdb_parameter_name(statement_, index);
  std::string copy = name != nullptr ? name : "";
  duckdb_free(const_cast<char*>(name));
  return copy;
}

DuckStatus PreparedStatement::Check(duckdb_state state, std::size_t index) {
  if (state == DuckDBSuccess) return Done{};
  const char* message = duckdb_prepare_error(statement_);
  return Fail(DuckDbError{message != nullptr ? std::string(message)
                                             : "Cannot bind parameter " + std::to_string(index),
                          DUCKDB_ERROR_INVALID_INPUT});
}

DuckStatus PreparedStatement::BindNull(std::size_t index) { return Check(duckdb_bind_null(statement_, index), index); }
DuckStatus PreparedStatement::BindBool(std::size_t index, bool value) {
  return Check(duckdb_bind_boolean(statement_, index, value), index);
}
DuckStatus PreparedStatement::BindInt64(std::size_t index, std::int64_t value) {
  return Check(duckdb_bind_int64(statement_, index, value), index);
}
DuckStatus PreparedStatement::BindDouble(std::size_t index, double value) {
  return Check(duckdb_bind_double(statement_, index, value), index);
}
DuckStatus PreparedStatement::BindVarchar(std::size_t index, std::string_view value) {
  return Check(duckdb_bind_varchar_length(statement_, index, value.data(), value.size()), index);
}

DuckResult<QueryResult> PreparedStatement::ExecuteStreaming() {
  QueryResult result;
  duckdb_state state = duckdb_execute_prepared_streaming(statement_, &result.result_);
  result.owned_ = true;
  if (state != DuckDBSuccess) return Fail(ResultError(result.result_));
  return result;
}

DuckResult<QueryResult> PreparedStatement::ExecuteStreamingUnlessInterrupted(const std::function<bool()>& interrupted) {
  duckdb_pending_result pending = nullptr;
  struct PendingGuard {
    duckdb_pending_result* pending;
    ~PendingGuard() { duckdb_destroy_pending(pending); }
  } guard{&pending};
  if (duckdb_pending_prepared_streaming(statement_, &pending) != DuckDBSuccess) {
    // A pending result's error has a message but no type; running the statement directly repeats
    // the same failure with its type (user error or engine error, which callers tell apart).
    duckdb_destroy_pending(&pending);
    if (interrupted()) return Fail(DuckDbError{"INTERRUPT Error: Interrupted!", DUCKDB_ERROR_INTERRUPT});
    return ExecuteStreaming();
  }
  if (interrupted()) return Fail(DuckDbError{"INTERRUPT Error: Interrupted!", DUCKDB_ERROR_INTERRUPT});
  QueryResult result;
  duckdb_state state = duckdb_execute_pending(pending, &result.result_);
  result.owned_ = true;
  if (state != DuckDBSuccess) return Fail(ResultError(result.result_));
  return result;
}

// ---- Connection ----------------------------------------------------------------------------

Connection::~Connection() {
  if (connection_ != nullptr) duckdb_disconnect(&connection_);
}

DuckResult<std::vector<PreparedStatement>> Connection::PrepareAll(const std::string& sql) {
  duckdb_extracted_statements extracted = nullptr;
  idx_t count = duckdb_extract_statements(connection_, sql.c_str(), &extracted);
  struct Guard {
    duckdb_extracted_statements* statements;
    ~Guard() { duckdb_destroy_extracted(statements); }
  } guard{&extracted};
  if (count == 0) {
    const char* message = extracted != nullptr ? duckdb_extract_statements_error(extracted) : nullptr;
    if (message == nullptr) return std::vector<PreparedStatement>{};  // only whitespace or comments
    return Fail(DuckDbError{message, DUCKDB_ERROR_PARSER});
  }
  std::vector<PreparedStatement> statements;
  statements.reserve(count);
  for (idx_t i = 0; i < count; ++i) {
    duckdb_prepared_statement prepared = nullptr;
    duckdb_state state = duckdb_prepare_extracted_statement(connection_, extracted, i, &prepared);
    PreparedStatement statement(prepared);
    if (state != DuckDBSuccess) {
      const char* message = duckdb_prepare_error(prepared);
      return Fail(DuckDbError{message != nullptr ? message : "cannot prepare statement", DUCKDB_ERROR_INVALID_INPUT});
    }
    statements.push_back(std::move(statement));
  }
  return statements;
}

DuckResult<ExtractedStatements> Connection::Extract(const std::string& sql) {
  duckdb_extracted_statements extracted = nullptr;
  idx_t count = duckdb_extract_statements(connection_, sql.c_str(), &extracted);
  ExtractedStatements statements(connection_, extracted, count);
  if (count == 0 && extracted != nullptr) {
    const char* message = duckdb_extract_statements_error(extracted);
    if (message != nullptr) return Fail(DuckDbError{message, DUCKDB_ERROR_PARSER});
  }
  return statements;
}

ExtractedStatements::~ExtractedStatements() {
  if (statements_ != nullptr) duckdb_destroy_extracted(&statements_);
}

DuckResult<PreparedStatement> ExtractedStatements::Prepare(std::size_t index) {
  duckdb_prepared_statement prepared = nullptr;
  duckdb_state state = duckdb_prepare_extracted_statement(connection_, statements_, index, &prepared);
  PreparedStatement statement(prepared);
  if (state != DuckDBSuccess) {
    const char* message = duckdb_prepare_error(prepared);
    return Fail(DuckDbError{message != nullptr ? message : "cannot prepare statement", DUCKDB_ERROR_INVALID_INPUT});
  }
  return statement;
}

DuckResult<PreparedStatement> Connection::Prepare(const std::string& sql) {
  duckdb_prepared_statement prepared = nullptr;
  duckdb_state state = duckdb_prepare(connection_, sql.c_str(), &prepared);
  PreparedStatement statement(prepared);
  if (state != DuckDBSuccess) {
    const char* message = duckdb_prepare_error(prepared);
    return Fail(DuckDbError{message != nullptr ? message : "cannot prepare statement", DUCKDB_ERROR_INVALID_INPUT});
  }
  return statement;
}

DuckStatus Connection::Execute(const std::string& sql) {
  duckdb_result result{};
  duckdb_state state = duckdb_query(connection_, sql.c_str(), &result);
  DuckStatus status = Done{};
  if (state != DuckDBSuccess) status = Fail(ResultError(result));
  duckdb_destroy_result(&result);
  return status;
}

// ---- Appender ------------------------------------------------------------------------------

DuckResult<Appender> Appender::Create(Connection& connection, const std::string& schema, const std::string& table) {
  duckdb_appender appender = nullptr;
  duckdb_state state = duckdb_appender_create(connection.get(), schema.c_str(), table.c_str(), &appender);
  Appender owned(appender);
  if (state != DuckDBSuccess) {
    const char* message = appender != nullptr ? duckdb_appender_error(appender) : nullptr;
    return Fail(DuckDbError{message != nullptr ? message : "cannot create appender", DUCKDB_ERROR_CATALOG});
  }
  return owned;
}

Appender::~Appender() {
  if (appender_ != nullptr) duckdb_appender_destroy(&appender_);  // flushes and closes
}

DuckStatus Appender::Check(duckdb_state state) {
  if (state == DuckDBSuccess) return Done{};
  const char* message = duckdb_appender_error(appender_);
  return Fail(DuckDbError{message != nullptr ? message : "append failed", DUCKDB_ERROR_INVALID_INPUT});
}

// ---- Database ------------------------------------------------------------------------------

DuckResult<std::shared_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  // Every path into DuckDB starts here, so a library that cannot be loaded is an error value here
  // instead of an abort in whichever C API call came first.
  if (const std::string& error = LoadDuckDbLibrary(); !error.empty()) {
    return Fail(DuckDbError{error, DUCKDB_ERROR_IO});
  }
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) {
    return Fail(DuckDbError{"cannot allocate a DuckDB configuration", DUCKDB_ERROR_OUT_OF_MEMORY});
  }
  struct ConfigGuard {
    duckdb_config* config;
    ~ConfigGuard() { duckdb_destroy_config(config); }
  } guard{&config};
  unsigned threads = options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  // Set explicitly rather than inherited from DuckDB's defaults: Mallard never downloads
  // extensions at run time, and the thread count, memory ceiling and spill directory are the
  // operator's choice, not the library's.
  std::vector<std::pair<std::string, std::string>> settings = {
      {"threads", std::to_string(threads)},
      {"autoinstall_known_extensions", "false"},
      {"autoload_known_extensions", "false"},
  };
  if (!options.memory_limit.empty()) settings.emplace_back("memory_limit", options.memory_limit);
  if (!options.temp_directory.empty()) settings.emplace_back("temp_directory", options.temp_directory);
  if (!options.preserve_insertion_order) settings.emplace_back("preserve_insertion_order", "false");
  for (const auto& [name, value] : settings) {
    if (duckdb_set_config(config, name.c_str(), value.c_str()) != DuckDBSuccess) {
      return Fail(DuckDbError{"invalid DuckDB setting " + name + "=" + value, DUCKDB_ERROR_SETTINGS});
    }
  }
  duckdb_database database = nullptr;
  char* error = nullptr;
  const char* path = options.path == ":memory:" || options.path.empty() ? nullptr : options.path.c_str();
  if (duckdb_open_ext(path, &database, config, &error) != DuckDBSuccess) {
    std::string message = error != nullptr ? error : "cannot open DuckDB database " + options.path;
    duckdb_free(error);
    return Fail(DuckDbError{message, DUCKDB_ERROR_IO});
  }
  return std::shared_ptr<Database>(new Database(database, options.path.empty() ? ":memory:" : options.path));
}

Database::~Database() { duckdb_close(&database_); }

DuckResult<Connection> Database::Connect() {
  duckdb_connection connection = nullptr;
  if (duckdb_connect(database_, &connection) != DuckDBSuccess) {
    return Fail(DuckDbError{"cannot connect to DuckDB database " + path_, DUCKDB_ERROR_CONNECTION});
  }
  return Connection(connection);
}

}  // namespace mallard::duckdb

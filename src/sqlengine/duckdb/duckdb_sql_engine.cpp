#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>

#include "sqlengine/dialect/athena_functions.hpp"
#include "sqlengine/dialect/redshift_functions.hpp"
#include "sqlengine/duckdb/duckdb_result_reader.hpp"

namespace mallard::duckdb {
using sqlengine::QueryOutcome;
using sqlengine::SqlParameter;
using sqlengine::SqlValue;
using sqlengine::StatementKind;

namespace {

std::int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string QuoteLiteral(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted.push_back(c);
    if (c == '\'') quoted.push_back('\'');
  }
  quoted.push_back('\'');
  return quoted;
}

StatementKind KindOf(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
    case DUCKDB_STATEMENT_TYPE_PRAGMA:
    case DUCKDB_STATEMENT_TYPE_CALL:
    case DUCKDB_STATEMENT_TYPE_RELATION: return StatementKind::Query;
    case DUCKDB_STATEMENT_TYPE_INSERT:
    case DUCKDB_STATEMENT_TYPE_UPDATE:
    case DUCKDB_STATEMENT_TYPE_DELETE:
    case DUCKDB_STATEMENT_TYPE_COPY: return StatementKind::Dml;
    case DUCKDB_STATEMENT_TYPE_CREATE:
    case DUCKDB_STATEMENT_TYPE_CREATE_FUNC:
    case DUCKDB_STATEMENT_TYPE_DROP:
    case DUCKDB_STATEMENT_TYPE_ALTER: return StatementKind::Ddl;
    default: return StatementKind::Utility;
  }
}

// Engine failures (as opposed to problems with the query the user wrote).
bool IsSystemError(duckdb_error_type type) {
  switch (type) {
    case DUCKDB_ERROR_INTERNAL:
    case DUCKDB_ERROR_FATAL:
    case DUCKDB_ERROR_IO:
    case DUCKDB_ERROR_OUT_OF_MEMORY:
    case DUCKDB_ERROR_CONNECTION:
    case DUCKDB_ERROR_SERIALIZATION: return true;
    default: return false;
  }
}

QueryOutcome Failure(const DuckDbError& error) {
  QueryOutcome outcome;
  outcome.cancelled = error.Interrupted();
  outcome.error_message = error.message;
  outcome.user_error = !IsSystemError(error.type);
  return outcome;
}

DuckStatus BindParameters(PreparedStatement& statement, const std::vector<SqlParameter>& parameters) {
  std::vector<const SqlParameter*> positional;
  for (const auto& parameter : parameters) {
    if (parameter.name.empty()) positional.push_back(&parameter);
  }
  for (std::size_t index = 1; index <= statement.ParameterCount(); ++index) {
    std::string name = statement.ParameterName(index);
    const SqlParameter* value = nullptr;
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      std::size_t position = std::stoul(name);
      if (position >= 1 && position <= positional.size()) value = positional[position - 1];
    } else {
      for (const auto& parameter : parameters) {
        if (parameter.name == name) value = &parameter;
      }
    }
    if (value == nullptr) {
      return Fail(DuckDbError{"No value was supplied for query parameter " + (name.empty() ? std::to_string(index) : name),
                              DUCKDB_ERROR_INVALID_INPUT});
    }
    DuckStatus bound = Done{};
    switch (value->kind) {
      case SqlParameter::Kind::Null: bound = statement.BindNull(index); break;
      case SqlParameter::Kind::Boolean: bound = statement.BindBool(index, value->boolean); break;
      case SqlParameter::Kind::Integer: bound = statement.BindInt64(index, value->integer); break;
      case SqlParameter::Kind::Double: bound = statement.BindDouble(index, value->real); break;
      case SqlParameter::Kind::Text: bound = statement.BindVarchar(index, value->text); break;
    }
    if (!bound.ok()) return bound;
  }
  return Done{};
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// The position of the first character after `position` that is neither white space nor part of a
// comment (`-- …` or `/* … */`).
std::size_t SkipSpaceAndComments(std::string_view sql, std::size_t position) {
  while (position < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[position]))) {
      ++position;
    } else if (sql.substr(position, 2) == "--") {
      auto end = sql.find('\n', position);
      position = end == std::string_view::npos ? sql.size() : end + 1;
    } else if (sql.substr(position, 2) == "/*") {
      auto end = sql.find("*/", position + 2);
      position = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  return position;
}

// Why a prepared statement of `type` is refused under `policy`, or "".
std::string RefusedStatementType(const StatementPolicy& policy, duckdb_statement_type type) {
  if (policy.locked && type == DUCKDB_STATEMENT_TYPE_LOAD) {
    return "INSTALL and LOAD are not available: the SQL engine loads no extensions at run time";
  }
  // Informational pragmas (table_info, version, show_tables, database_size) are planned as
  // SELECTs; what remains of type PRAGMA changes state past lock_configuration: enable_profiling
  // prints every later query of the connection to the server's stdout (forged log lines),
  // enable_verification/disable_optimizer slow queries down, enable_checkpoint_on_shutdown and
  // disable_object_cache are engine-wide.
  if (policy.locked && type == DUCKDB_STATEMENT_TYPE_PRAGMA) {
    return "This PRAGMA is not available: it changes the SQL engine's behaviour (informational pragmas such as "
           "table_info, show_tables and version work)";
  }
  if (policy.files_confined) {
    switch (type) {
      case DUCKDB_STATEMENT_TYPE_COPY:
      case DUCKDB_STATEMENT_TYPE_EXPORT:
      case DUCKDB_STATEMENT_TYPE_ATTACH:
      case DUCKDB_STATEMENT_TYPE_DETACH:
        return "COPY, EXPORT, ATTACH and DETACH are not available: the SQL engine reads only the lake's files "
               "(start mallard with --sql-allow-host-files to use files of the host)";
      default: break;
    }
  }
  return {};
}

}  // namespace

// The database behind the engine and the statements that set it up (the dialects' macros, the
// sandbox), opened by whichever comes first: Open (OpenWhen::Now) or the first Connect. Opening
// and setting up happen under one lock, so no statement ever sees a database that is open but not
// yet set up or locked.
class EngineDatabase {
 public:
  explicit EngineDatabase(DatabaseOptions options) : options_(std::move(options)) {}

  DuckResult<Connection> Connect() {
    if (Database* database = open_.load(std::memory_order_acquire)) return database->Connect();
    std::lock_guard lock(mutex_);
    if (auto opened = OpenLocked(); !opened.ok()) return Fail(opened.error());
    return database_->Connect();
  }

  // Runs `statements` in order: now when the database is open, else as part of its opening.
  DuckStatus AddSetup(const std::vector<std::string>& statements) {
    std::lock_guard lock(mutex_);
    if (!database_) {
      setup_.insert(setup_.end(), statements.begin(), statements.end());
      return Done{};
    }
    return RunSetup(*database_, statements);
  }

  bool IsOpen() const { return open_.load(std::memory_order_acquire) != nullptr; }

 private:
  DuckStatus OpenLocked() {
    if (database_) return Done{};
    auto started = std::chrono::steady_clock::now();
    auto database = Database::Open(options_);
    if (!database.ok()) return Fail(database.error());
    // A failed set-up drops this database: the next statement tries again from the start.
    MALLARD_RETURN_IF_ERROR(RunSetup(*database.value(), setup_));
    database_ = std::move(database).value();
    open_.store(database_.get(), std::memory_order_release);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    spdlog::info("SQL engine: DuckDB database {} opened and set up in {} ms", options_.path, took.count());
    return Done{};
  }

  static DuckStatus RunSetup(Database& database, const std::vector<std::string>& statements) {
    auto connection = database.Connect();
    if (!connection.ok()) return Fail(connection.error());
    for (const auto& statement : statements) {
      if (auto ran = connection->Execute(statement); !ran.ok()) {
        return Fail(DuckDbError{"SQL engine set-up failed on `" + statement.substr(0, 120) + "`: " + ran.error().message,
                                ran.error().type});
      }
    }
    return Done{};
  }

  const DatabaseOptions options_;
  std::mutex mutex_;
  std::vector<std::string> setup_;     // run when the database opens
  std::shared_ptr<Database> database_;  // set once, under mutex_
  std::atomic<Database*> open_{nullptr};
};

namespace {

class DuckDbRunningQuery final : public sqlengine::RunningQuery {
 public:
  DuckDbRunningQuery(std::shared_ptr<EngineDatabase> database, sqlengine::QueryRequest request,
                     std::shared_ptr<DuckDbSqlEngine::StatementRewriter> rewriter = nullptr,
                     StatementPolicy policy = {})
      : database_(std::move(database)),
        request_(std::move(request)),
        rewriter_(std::move(rewriter)),
        policy_(policy) {}

  std::vector<QueryOutcome> Run() override {
    std::vector<QueryOutcome> outcomes;
    auto connected = database_->Connect();
    if (!connected.ok()) {
      outcomes.push_back(Failure(connected.error()));
      return outcomes;
    }
    {
      std::lock_guard lock(mutex_);
      connection_ = &connected.value();
    }
    RunOn(connected.value(), outcomes);
    std::lock_guard lock(mutex_);
    connection_ = nullptr;
    return outcomes;
  }

  void Interrupt() override {
    interrupted_ = true;
    std::lock_guard lock(mutex_);
    if (connection_ != nullptr) connection_->Interrupt();
  }

 private:
  QueryOutcome Cancelled() {
    QueryOutcome outcome;
    outcome.cancelled = true;
    outcome.error_message = "Query was cancelled";
    return outcome;
  }

  void RunOn(Connection& connection, std::vector<QueryOutcome>& outcomes) {
    if (interrupted_) {
      outcomes.push_back(Cancelled());
      return;
    }
    if (!request_.schema.empty()) {
      if (auto set = connection.Execute("SET schema = " + QuoteLiteral(request_.schema)); !set.ok()) {
        outcomes.push_back(Failure(set.error()));
        return;
      }
    }
    if (request_.single_transaction) {
      if (auto begin = connection.Execute("BEGIN TRANSACTION"); !begin.ok()) {
        outcomes.push_back(Failure(begin.error()));
        return;
      }
    }
    bool failed = false;
    for (std::size_t index = 0; index < request_.statements.size(); ++index) {
      const bool service_copy = std::find(request_.service_copies.begin(), request_.service_copies.end(), index) !=
                                request_.service_copies.end();
      outcomes.push_back(RunStatement(connection, request_.statements[index], service_copy));
      if (!outcomes.back().succeeded) {
        failed = true;
        break;
      }
    }
    if (request_.single_transaction) {
      auto end = connection.Execute(failed ? "ROLLBACK" : "COMMIT");
      if (!end.ok() && !failed) outcomes.push_back(Failure(end.error()));
    }
  }

  QueryOutcome RunStatement(Connection& connection, const std::string& original_sql, bool service_copy = false) {
    std::int64_t started = SteadyMillis();
    if (auto refused = RefusedByPolicy(policy_, original_sql); !refused.empty()) {
      return Failure(DuckDbError{refused, DUCKDB_ERROR_PERMISSION});
    }
    std::string sql = original_sql;
    if (rewriter_) {
      auto rewritten = (*rewriter_)(original_sql);
      if (!rewritten.ok()) return Failure(DuckDbError{rewritten.error(), DUCKDB_ERROR_BINDER});
      sql = std::move(rewritten).value();
    }
    auto shim_use = ReadOnlyCatalogUse(policy_, sql);
    if (!shim_use.refused.empty()) return Failure(DuckDbError{shim_use.refused, DUCKDB_ERROR_PERMISSION});
    auto extracted = connection.Extract(sql);
    if (!extracted.ok()) return Failure(extracted.error());
    std::int64_t planned = 0;
    QueryOutcome outcome;
    outcome.succeeded = true;
    outcome.statement_kind = StatementKind::Utility;
    // A text with several statements behaves as one: the last statement's result is the result.
    // Each is prepared (and checked against the policy) only after the ones before it ran, so it
    // may use what they created; a refused statement still never runs.
    for (std::size_t index = 0; index < extracted->Count(); ++index) {
      if (interrupted_) return Cancelled();
      auto statement = extracted->Prepare(index);
      if (!statement.ok()) return Failure(statement.error());
      // Mallard's own COPY … TO into the S3 store (QueryRequest::service_copies): one statement only.
      const bool allowed_copy =
          service_copy && extracted->Count() == 1 && statement->StatementType() == DUCKDB_STATEMENT_TYPE_COPY;
      if (auto refused = RefusedStatementType(policy_, statement->StatementType()); !refused.empty() && !allowed_copy) {
        return Failure(DuckDbError{refused, DUCKDB_ERROR_PERMISSION});
      }
      // CREATE [OR REPLACE] MACRO is a statement of type CREATE, as CREATE TABLE … AS SELECT is.
      if (shim_use.named && (!MayCallShimFunctions(statement->StatementType()) ||
                             (statement->StatementType() == DUCKDB_STATEMENT_TYPE_CREATE && shim_use.creates_function))) {
        return Failure(DuckDbError{"Access denied: the SQL dialects' function catalogs are read-only", DUCKDB_ERROR_PERMISSION});
      }
      if (index == 0) planned = SteadyMillis();
      if (auto bound = BindParameters(statement.value(), request_.parameters); !bound.ok()) return Failure(bound.error());
      auto executed = statement->ExecuteStreamingUnlessInterrupted([this] { return interrupted_.load(); });
      if (!executed.ok()) return interrupted_ ? Cancelled() : Failure(executed.error());
      outcome = QueryOutcome{};
      outcome.succeeded = true;
      if (auto read = ReadResult(executed.value(), outcome); !read.ok()) {
        return interrupted_ ? Cancelled() : Failure(read.error());
      }
      if (interrupted_) return Cancelled();
    }
    if (planned == 0) planned = SteadyMillis();
    outcome.planning_millis = planned - started;
    outcome.engine_millis = SteadyMillis() - started;
    return outcome;
  }

  DuckStatus ReadResult(QueryResult& result, QueryOutcome& outcome) {
    outcome.statement_kind = KindOf(result.StatementType());
    duckdb_result_type type = result.ReturnType();
    if (type == DUCKDB_RESULT_TYPE_NOTHING) return Done{};
    if (type == DUCKDB_RESULT_TYPE_CHANGED_ROWS) {
      // DML answers with one row holding the count of changed rows.
      outcome.rows_affected = 0;
      while (true) {
        MALLARD_ASSIGN_OR_RETURN(auto chunk, result.NextChunk());
        if (!chunk) break;
        if (chunk->Size() > 0 && chunk->ColumnCount() > 0) {
          SqlValue count = ReadValue(MakeDecoder(chunk->Column(0).Type()), chunk->Column(0), 0);
          if (count.kind == SqlValue::Kind::Integer) outcome.rows_affected += count.integer;
        }
      }
      return Done{};
    }
    outcome.has_result_set = true;
    std::size_t column_count = result.ColumnCount();
    std::vector<ColumnDecoder> decoders;
    decoders.reserve(column_count);
    for (std::size_t i = 0; i < column_count; ++i) {
      LogicalType type_of_column = result.ColumnType(i);
      outcome.columns.push_back({result.ColumnName(i), ToSqlType(type_of_column)});
      decoders.push_back(MakeDecoder(type_of_column));
    }
    while (true) {
      MALLARD_ASSIGN_OR_RETURN(auto chunk, result.NextChunk());
      if (!chunk) break;
      if (interrupted_) return Fail(DuckDbError{"Interrupted", DUCKDB_ERROR_INTERRUPT});
      std::size_t size = chunk->Size();
      std::size_t first = outcome.rows.size();
      outcome.rows.resize(first + size);
      for (auto row = first; row < first + size; ++row) outcome.rows[row].resize(column_count);
      for (std::size_t column = 0; column < column_count; ++column) {
        Vector vector = chunk->Column(column);
        for (std::size_t row = 0; row < size; ++row) {
          SqlValue& cell = outcome.rows[first + row][column];
          cell = ReadValue(decoders[column], vector, row);
          outcome.result_bytes += ApproximateSize(cell);
        }
      }
    }
    return Done{};
  }

  std::shared_ptr<EngineDatabase> database_;
  sqlengine::QueryRequest request_;
  std::shared_ptr<DuckDbSqlEngine::StatementRewriter> rewriter_;
  StatementPolicy policy_;
  std::atomic<bool> interrupted_{false};
  std::mutex mutex_;
  Connection* connection_ = nullptr;
};

std::string ListLiteral(const std::vector<std::string>& items) {
  std::string list = "[";
  for (const auto& item : items) {
    if (list.size() > 1) list += ", ";
    list += QuoteLiteral(item);
  }
  return list + "]::VARCHAR[]";
}

}  // namespace

std::string RefusedByPolicy(const StatementPolicy& policy, std::string_view sql) {
  if (!policy.locked) return {};
  // Engine-wide state that lock_configuration does not cover: CALL enable_logging(storage =>
  // 'file', storage_path => '/x') makes every later statement of every client fail.
  static constexpr std::string_view kEngineWide[] = {"enable_logging", "disable_logging", "truncate_duckdb_logs"};
  // SQL assembled from strings at run time ('enable' || '_logging') would pass the check above.
  static constexpr std::string_view kDynamicSql[] = {"query", "json_execute_serialized_sql"};
  std::size_t position = 0;
  while (position < sql.size()) {
    if (!IsWordChar(sql[position])) {
      ++position;
      continue;
    }
    std::size_t start = position;
    while (position < sql.size() && IsWordChar(sql[position])) ++position;
    std::string word(sql.substr(start, position - start));
    for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto name : kEngineWide) {
      if (word == name) return "Access denied: " + word + " changes the SQL engine for every client and is not available";
    }
    for (auto name : kDynamicSql) {
      if (word != name) continue;
      std::size_t next = SkipSpaceAndComments(sql, position);
      if (next < sql.size() && sql[next] == '(') {
        return "Access denied: " + word + "() runs SQL built at run time and is not available";
      }
    }
  }
  return {};
}

ShimCatalogUse ReadOnlyCatalogUse(const StatementPolicy& policy, std::string_view sql) {
  ShimCatalogUse use;
  if (!policy.locked || policy.read_only_catalogs.empty()) return use;
  auto word_end = [&](std::size_t at) {
    while (at < sql.size() && IsWordChar(sql[at])) ++at;
    return at;
  };
  std::size_t position = 0;
  while (position < sql.size()) {
    if (!IsWordChar(sql[position])) {
      ++position;
      continue;
    }
    std::size_t start = position;
    position = word_end(position);
    std::string word(sql.substr(start, position - start));
    for (auto& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    use.creates_function = use.creates_function || word == "macro" || word == "function";
    bool protected_name = false;
    for (const auto& name : policy.read_only_catalogs) protected_name = protected_name || word == name;
    if (!protected_name) continue;
    use.named = true;
    // Only `catalog.schema.function(`, the shape the dialect translators write, may follow.
    std::size_t at = position;
    bool call = at < sql.size() && sql[at] == '.';
    if (call) {
      std::size_t schema_end = word_end(at + 1);
      call = schema_end > at + 1 && schema_end < sql.size() && sql[schema_end] == '.';
      if (call) {
        std::size_t function_end = word_end(schema_end + 1);
        call = function_end > schema_end + 1 && SkipSpaceAndComments(sql, function_end) < sql.size() &&
               sql[SkipSpaceAndComments(sql, function_end)] == '(';
      }
    }
    if (!call) {
      use.refused = "Access denied: " + word + " holds the SQL dialects' functions and is read-only";
      return use;
    }
  }
  return use;
}

bool MayCallShimFunctions(duckdb_statement_type type) {
  switch (type) {
    case DUCKDB_STATEMENT_TYPE_SELECT:
    case DUCKDB_STATEMENT_TYPE_INSERT:
    case DUCKDB_STATEMENT_TYPE_UPDATE:
    case DUCKDB_STATEMENT_TYPE_DELETE:
    case DUCKDB_STATEMENT_TYPE_EXPLAIN:
    case DUCKDB_STATEMENT_TYPE_CREATE:  // CREATE TABLE … AS SELECT; a macro is CREATE_FUNC
    case DUCKDB_STATEMENT_TYPE_COPY:
    case DUCKDB_STATEMENT_TYPE_RELATION: return true;
    default: return false;
  }
}

std::string QuoteIdentifier(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    quoted.push_back(c);
    if (c == '"') quoted.push_back('"');
  }
  quoted.push_back('"');
  return quoted;
}

Result<std::shared_ptr<DuckDbSqlEngine>, std::string> DuckDbSqlEngine::Open(const DatabaseOptions& options,
                                                                              OpenWhen when) {
  if (when == OpenWhen::OnFirstUse && options.path != ":memory:") {
    return Fail("only an in-memory database opens on first use, not '" + options.path + "'");
  }
  auto database = std::make_shared<EngineDatabase>(options);
  // Both dialects divide integers as integers (Trino: 7 / 2 = 3, -7 / 2 = -3; Redshift, as
  // PostgreSQL, the same); DuckDB's `/` would give 3.5. Then each SQL dialect's set-up (shim
  // macros in the catalog mallard_dialect, the UTC session zone), before Lock: one line per dialect.
  std::vector<std::string> setup = {"SET GLOBAL integer_division = true"};
  for (const auto* dialect : {&sqlengine::dialect::AthenaEngineSetup(), &sqlengine::dialect::RedshiftEngineSetup()}) {
    setup.insert(setup.end(), dialect->begin(), dialect->end());
  }
  if (auto added = database->AddSetup(setup); !added.ok()) return Fail(added.error().message);
  // DuckDB names an in-memory database "memory" and a file database after the file's stem.
  auto engine = std::shared_ptr<DuckDbSqlEngine>(new DuckDbSqlEngine(database, "memory"));
  engine->policy_.read_only_catalogs.emplace_back(sqlengine::dialect::kDialectCatalog);
  engine->policy_.read_only_catalogs.emplace_back(sqlengine::dialect::kRedshiftCatalog);
  if (when == OpenWhen::Now) {
    auto rows = engine->Select("SELECT current_database()", {});
    if (!rows.ok()) return Fail(rows.error());
    if (!rows->empty() && rows->front().size() == 1) engine->database_name_ = rows->front()[0].text;
  }
  return engine;
}

bool DuckDbSqlEngine::Started() const { return database_->IsOpen(); }

std::unique_ptr<sqlengine::RunningQuery> DuckDbSqlEngine::Prepare(sqlengine::QueryRequest request) {
  return std::make_unique<DuckDbRunningQuery>(database_, std::move(request), rewriter_, policy_);
}

Result<Done, std::string> DuckDbSqlEngine::Lock(const SandboxOptions& options) {
  // Order matters: allowed_* can only be set while external access is on, and nothing at all
  // once lock_configuration is true. Storage, WAL and spill files of the engine itself do not go
  // through this check (verified with DuckDB 1.4.4), so they need no entry.
  std::string sql = "SET allow_persistent_secrets = false;\n";
  if (!options.allow_host_files) {
    sql += "SET allowed_directories = " + ListLiteral(options.allowed_directories) + ";\n";
    sql += "SET allowed_paths = " + ListLiteral(options.allowed_paths) + ";\n";
    sql += "SET enable_external_access = false;\n";
  }
  sql += "SET lock_configuration = true;";
  if (auto added = database_->AddSetup({sql}); !added.ok()) return Fail(added.error().message);
  policy_.locked = true;
  policy_.files_confined = !options.allow_host_files;
  return Done{};
}

Result<Done, std::string> DuckDbSqlEngine::ExecuteAdmin(const std::string& sql) {
  auto connection = database_->Connect();
  if (!connection.ok()) return Fail(connection.error().message);
  auto status = connection->Execute(sql);
  if (!status.ok()) return Fail(status.error().message);
  return Done{};
}

Result<std::vector<sqlengine::SqlRow>, std::string> DuckDbSqlEngine::Select(
    const std::string& sql, const std::vector<std::string>& parameters) {
  sqlengine::QueryRequest request;
  request.statements.push_back(sql);
  for (const auto& text : parameters) request.parameters.push_back(SqlParameter{SqlParameter::Kind::Text, "", false, 0, 0, text});
  DuckDbRunningQuery query(database_, std::move(request));
  auto outcomes = query.Run();
  if (outcomes.empty() || !outcomes.back().succeeded) {
    return Fail(outcomes.empty() ? std::string("no result") : outcomes.back().error_message);
  }
  return std::move(outcomes.back().rows);
}

Result<std::vector<std::string>, std::string> DuckDbSqlEngine::ListSchemas() {
  // Schemas named `_mallard_…` hold Mallard's own bookkeeping (Athena's external-table metadata):
  // not a database of any API.
  MALLARD_ASSIGN_OR_RETURN(auto rows, Select("SELECT schema_name FROM duckdb_schemas() WHERE database_name = "
                                             "current_database() AND NOT internal AND NOT starts_with(schema_name, "
                                             "'_mallard_') ORDER BY schema_name",
                                             {}));
  std::vector<std::string> names;
  names.push_back(DefaultSchema());
  for (const auto& row : rows) {
    if (row[0].text != DefaultSchema()) names.push_back(row[0].text);
  }
  return names;
}

Result<std::vector<sqlengine::SqlColumn>, std::string> DuckDbSqlEngine::ColumnsOf(Connection& connection,
                                                                                     const std::string& schema,
                                                                                     const std::string& table) {
  // The exact logical types come from the result schema of an empty scan.
  auto prepared = connection.Prepare("SELECT * FROM " + QuoteIdentifier(schema) + "." + QuoteIdentifier(table) +
                                     " LIMIT 0");
  if (!prepared.ok()) return Fail(prepared.error().message);
  auto result = prepared->ExecuteStreaming();
  if (!result.ok()) return Fail(result.error().message);
  std::vector<sqlengine::SqlColumn> columns;
  for (std::size_t i = 0; i < result->ColumnCount(); ++i) {
    columns.push_back({result->ColumnName(i), ToSqlType(result->ColumnType(i))});
  }
  return columns;
}

Result<std::vector<sqlengine::TableInfo>, std::string> DuckDbSqlEngine::ListTables(const std::string& schema) {
  MALLARD_ASSIGN_OR_RETURN(
      auto rows,
      Select("SELECT schema_name, table_name, false AS is_view, estimated_size, '' FROM duckdb_tables() "
             "WHERE database_name = current_database() AND NOT internal AND (? = '' OR schema_name = ?) "
             "AND NOT starts_with(schema_name, '_mallard_') "
             "UNION ALL SELECT schema_name, view_name, true, 0, coalesce(comment, '') FROM duckdb_views() "
             "WHERE database_name = current_database() AND NOT internal AND NOT temporary AND (? = '' OR schema_name = ?) "
             "AND NOT starts_with(schema_name, '_mallard_') "
             "ORDER BY 1, 2",
             {schema, schema, schema, schema}));
  auto connection = database_->Connect();
  if (!connection.ok()) return Fail(connection.error().message);
  std::vector<sqlengine::TableInfo> tables;
  for (const auto& row : rows) {
    sqlengine::TableInfo info;
    info.schema = row[0].text;
    info.name = row[1].text;
    info.is_view = row[2].boolean;
    info.estimated_rows = row[3].integer;
    if (info.is_view && row[4].text.starts_with(kStorageViewComment)) {
      info.is_view = false;
      info.storage_format = row[4].text.substr(kStorageViewComment.size());
      // A view has no estimated size of its own: a lake table's row count is the lake's (DuckLake
      // answers count(*) from its file statistics, without reading the data).
      if (info.storage_format == "DUCKLAKE") {
        auto counted = Select("SELECT count(*) FROM " + QuoteIdentifier(info.schema) + "." + QuoteIdentifier(info.name), {});
        if (counted.ok() && !counted->empty() && !counted->front().empty()) info.estimated_rows = counted->front()[0].integer;
      }
    }
    // A view that no longer binds (its table dropped; an Athena external table whose files moved
    // since its view was built) is listed without columns rather than failing every listing.
    auto columns = ColumnsOf(connection.value(), info.schema, info.name);
    if (!columns.ok() && !row[2].boolean) return Fail(columns.error());
    if (columns.ok()) info.columns = std::move(columns).value();
    MALLARD_ASSIGN_OR_RETURN(auto nullable_rows,
                             Select("SELECT is_nullable FROM duckdb_columns() WHERE database_name = current_database() "
                                    "AND schema_name = ? AND table_name = ? ORDER BY column_index",
                                    {info.schema, info.name}));
    for (const auto& nullable : nullable_rows) info.column_nullable.push_back(nullable[0].boolean);
    info.column_nullable.resize(info.columns.size(), true);
    tables.push_back(std::move(info));
  }
  return tables;
}

Result<std::optional<sqlengine::TableInfo>, std::string> DuckDbSqlEngine::DescribeTable(const std::string& schema,
                                                                                           const std::string& table) {
  MALLARD_ASSIGN_OR_RETURN(auto tables, ListTables(schema));
  for (auto& info : tables) {
    if (info.name == table) return std::optional<sqlengine::TableInfo>(std::move(info));
  }
  return std::optional<sqlengine::TableInfo>();
}

void DuckDbSqlEngine::Reset() {
  if (!Started()) return;  // nothing has been created yet, and a reset need not open DuckDB
  auto schemas = Select("SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() "
                        "AND NOT internal AND schema_name <> 'main'",
                        {});
  auto objects = Select("SELECT 'VIEW', view_name FROM duckdb_views() WHERE database_name = current_database() "
                        "AND schema_name = 'main' AND NOT internal AND NOT temporary "
                        "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE database_name = "
                        "current_database() AND schema_name = 'main' AND NOT internal "
                        "UNION ALL SELECT 'SEQUENCE', sequence_name FROM duckdb_sequences() WHERE database_name = "
                        "current_database() AND schema_name = 'main' AND NOT temporary "
                        "UNION ALL SELECT 'MACRO', function_name FROM duckdb_functions() WHERE database_name = "
                        "current_database() AND schema_name = 'main' AND NOT internal AND function_type = 'macro' "
                        "UNION ALL SELECT 'TYPE', type_name FROM duckdb_types() WHERE database_name = "
                        "current_database() AND schema_name = 'main' AND NOT internal",
                        {});
  auto connection = database_->Connect();
  if (!connection.ok() || !schemas.ok() || !objects.ok()) {
    spdlog::warn("sqlengine: reset could not read the DuckDB catalogue");
    return;
  }
  for (const auto& row : schemas.value()) {
    (void)connection->Execute("DROP SCHEMA IF EXISTS " + QuoteIdentifier(row[0].text) + " CASCADE");
  }
  for (const auto& row : objects.value()) {
    (void)connection->Execute("DROP " + row[0].text + " IF EXISTS main." + QuoteIdentifier(row[1].text) + " CASCADE");
  }
}

}  // namespace mallard::duckdb

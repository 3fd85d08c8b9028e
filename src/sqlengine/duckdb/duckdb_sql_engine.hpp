#pragma once
// DuckDbSqlEngine: Athena's and Redshift Data's SQL engine on one DuckDB database. Each query
// gets its own connection (a second statement on a connection would end an open streaming result,
// and duckdb_interrupt acts per connection), and reads its result chunk by chunk.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "infra/duckdb/duckdb_wrapper.hpp"
#include "sqlengine/sql_engine.hpp"

namespace mallard::duckdb {

// What client SQL may touch once the engine is locked (DuckDbSqlEngine::Lock).
struct SandboxOptions {
  // Directories (with a trailing '/') and single files client SQL may read; DuckDB grants write
  // access to the same set, so COPY/EXPORT/ATTACH are refused at the statement level as well.
  std::vector<std::string> allowed_directories;
  std::vector<std::string> allowed_paths;
  // Leaves host file access open (the user's own CSV/Parquet files); settings are locked anyway.
  bool allow_host_files = false;
};

// The statement-level part of the sandbox, shared with every running query.
struct StatementPolicy {
  bool locked = false;           // no INSTALL/LOAD, no engine-wide logging, no dynamic SQL
  bool files_confined = false;   // no COPY, EXPORT, ATTACH, DETACH
  // Catalogs of a dialect's shim macros (e.g. Athena's mallard_dialect): once locked, client SQL
  // may only call their functions (catalog.schema.function(…)) in queries and DML, never name
  // them otherwise, so no client can replace or drop the functions every client's queries call.
  std::vector<std::string> read_only_catalogs;
};

// Why client SQL `sql` is refused under `policy`, or "" when it may run. Looks for the table
// functions that change engine-wide state despite lock_configuration (enable_logging & co.) and
// the ones that run SQL built from strings at run time (query(), json_execute_serialized_sql()),
// which would hide those names from this check. Conservative: a name inside a string literal or
// comment is refused too.
std::string RefusedByPolicy(const StatementPolicy& policy, std::string_view sql);
// Whether `sql` names one of the policy's read-only catalogs (a word, ignoring case), and why it is
// refused ("" when every mention is a function call `catalog.schema.function(`).
struct ShimCatalogUse {
  bool named = false;
  bool creates_function = false;  // the words MACRO or FUNCTION appear (a CREATE of either is refused)
  std::string refused;
};
ShimCatalogUse ReadOnlyCatalogUse(const StatementPolicy& policy, std::string_view sql);
// Statement types that may call a read-only catalog's functions: queries, DML, CREATE TABLE … AS
// (a CREATE that holds the word MACRO or FUNCTION is refused).
bool MayCallShimFunctions(duckdb_statement_type type);

// The engine's one DuckDB database with its set-up statements (dialects, sandbox), opened by
// Open or by the first statement that needs it (duckdb_sql_engine.cpp).
class EngineDatabase;

// When DuckDbSqlEngine::Open opens the database.
enum class OpenWhen {
  // At Open: a file that cannot be opened (locked by another process, unreadable) stops the start.
  Now,
  // At the first statement, catalogue read or administrative SQL, on the thread that runs it: a
  // server whose clients never run SQL never pays DuckDB's start-up (~100 ms) or its memory
  // (~20 MB). In-memory databases only, where opening fails only when the machine is out of memory.
  OnFirstUse,
};

class DuckDbSqlEngine final : public sqlengine::SqlEngine {
 public:
  // Opens (or creates) the database; `options.path` ":memory:" keeps nothing across restarts.
  static Result<std::shared_ptr<DuckDbSqlEngine>, std::string> Open(const DatabaseOptions& options,
                                                                    OpenWhen when = OpenWhen::Now);
  // Whether the database is open (OpenWhen::OnFirstUse: whether anything has needed it yet).
  bool Started() const;

  std::string Name() const override { return "duckdb"; }
  std::string DatabaseName() const override { return database_name_; }
  std::string DefaultSchema() const override { return "main"; }
  std::unique_ptr<sqlengine::RunningQuery> Prepare(sqlengine::QueryRequest request) override;
  Result<std::vector<std::string>, std::string> ListSchemas() override;
  Result<std::vector<sqlengine::TableInfo>, std::string> ListTables(const std::string& schema) override;
  Result<std::optional<sqlengine::TableInfo>, std::string> DescribeTable(const std::string& schema,
                                                                         const std::string& table) override;
  void Reset() override;
  sqlengine::EngineRefreshers* Refreshers() override { return &refreshers_; }

  // Rewrites each statement's text before DuckDB sees it (e.g. lake time travel). Set before the
  // server starts; an error fails the statement with that message.
  using StatementRewriter = std::function<Result<std::string, std::string>(const std::string&)>;
  void SetStatementRewriter(StatementRewriter rewriter) { rewriter_ = std::make_shared<StatementRewriter>(std::move(rewriter)); }
  // Confines client SQL to `options` and locks the engine's configuration (memory_limit, threads,
  // enable_external_access, ... can no longer be SET by anyone). Call once, after the lake is
  // attached and before the server starts; administrative SQL keeps working. A database not open
  // yet is locked as it opens, before any client statement runs.
  Result<Done, std::string> Lock(const SandboxOptions& options);
  const StatementPolicy& Policy() const { return policy_; }
  // Runs administrative SQL (views over attached storage) on a connection of its own.
  Result<Done, std::string> ExecuteAdmin(const std::string& sql);
  // A view whose comment is `kStorageViewComment + FORMAT` stands for a table kept in other storage
  // (e.g. a DuckLake table): the catalogue lists it as a table of that format, not as a view.
  static constexpr std::string_view kStorageViewComment = "mallard-storage-table:";
  Result<std::vector<sqlengine::SqlRow>, std::string> SelectAdmin(const std::string& sql) { return Select(sql, {}); }

 private:
  sqlengine::EngineRefreshers refreshers_;
  DuckDbSqlEngine(std::shared_ptr<EngineDatabase> database, std::string database_name)
      : database_(std::move(database)), database_name_(std::move(database_name)) {}
  // Runs a catalogue query and returns its rows (every column as typed values).
  Result<std::vector<sqlengine::SqlRow>, std::string> Select(const std::string& sql,
                                                              const std::vector<std::string>& parameters);
  Result<std::vector<sqlengine::SqlColumn>, std::string> ColumnsOf(Connection& connection, const std::string& schema,
                                                                   const std::string& table);

  std::shared_ptr<EngineDatabase> database_;
  std::string database_name_;
  std::shared_ptr<StatementRewriter> rewriter_;
  StatementPolicy policy_;
};

// Quotes an identifier for DuckDB ("a""b").
std::string QuoteIdentifier(const std::string& name);

}  // namespace mallard::duckdb

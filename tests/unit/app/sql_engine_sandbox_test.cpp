// The SQL engine's sandbox: once locked, client SQL reads only the allowed directories, writes no
// files, loads no extensions, changes no settings and cannot switch on engine-wide logging, while
// administrative SQL (the lake's views) keeps working.
#include <gtest/gtest.h>

#include "app/sql_engine_setup.hpp"

#ifdef MALLARD_HAVE_DUCKDB
#include <filesystem>
#include <fstream>
#include <vector>

#include <unistd.h>

#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

namespace mallard::app {
namespace {

namespace fs = std::filesystem;

sqlengine::QueryOutcome RunClientSql(duckdb::DuckDbSqlEngine& backend, const std::string& sql) {
  sqlengine::QueryRequest request;
  request.statements.push_back(sql);
  auto outcomes = backend.Prepare(std::move(request))->Run();
  return outcomes.empty() ? sqlengine::QueryOutcome{} : outcomes.back();
}

class SqlEngineSandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("mallard_sandbox_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "lake");
    fs::create_directories(root_ / "host");
    std::ofstream(root_ / "host" / "secret.csv") << "line\nsecret\n";
    std::string error;
    auto backend = MakeSqlEngine(":memory:", error);
    ASSERT_NE(backend, nullptr) << error;
    duck_ = std::dynamic_pointer_cast<duckdb::DuckDbSqlEngine>(backend);
    ASSERT_NE(duck_, nullptr);
    ASSERT_TRUE(duck_->ExecuteAdmin("COPY (SELECT 7 AS x) TO '" + Lake() + "a.parquet'").ok());
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Lake() const { return (root_ / "lake").string() + "/"; }
  std::string Host() const { return (root_ / "host").string() + "/"; }

  fs::path root_;
  std::shared_ptr<duckdb::DuckDbSqlEngine> duck_;
};

TEST_F(SqlEngineSandboxTest, UnlockedEngineReadsHostFiles) {
  // What the lock takes away (and what every client could do before it).
  auto read = RunClientSql(*duck_, "SELECT line FROM read_csv('" + Host() + "secret.csv')");
  ASSERT_TRUE(read.succeeded) << read.error_message;
  EXPECT_TRUE(RunClientSql(*duck_, "SET memory_limit = '1GB'").succeeded);
}

TEST_F(SqlEngineSandboxTest, LockedEngineReadsOnlyTheLake) {
  duckdb::SandboxOptions options;
  options.allowed_directories.push_back(Lake());
  ASSERT_TRUE(duck_->Lock(options).ok());

  auto lake = RunClientSql(*duck_, "SELECT x FROM read_parquet('" + Lake() + "a.parquet')");
  ASSERT_TRUE(lake.succeeded) << lake.error_message;
  ASSERT_EQ(lake.rows.size(), 1u);
  // The lake's views are (re)created by administrative SQL after the lock.
  ASSERT_TRUE(duck_->ExecuteAdmin("CREATE SCHEMA lake; CREATE VIEW lake.t AS SELECT * FROM read_parquet('" + Lake() +
                                  "a.parquet')")
                  .ok());
  EXPECT_TRUE(RunClientSql(*duck_, "SELECT * FROM lake.t").succeeded);

  for (const std::string& sql : std::vector<std::string>{
           "SELECT line FROM read_csv('" + Host() + "secret.csv')",
           "SELECT * FROM read_text('/etc/passwd')",
           "SELECT * FROM glob('" + Host() + "*')",
           "SELECT * FROM read_parquet('" + Lake() + "../host/secret.csv')",
           "COPY (SELECT 1) TO '" + Host() + "out.csv'",
           "COPY (SELECT 1) TO '" + Lake() + "b.parquet'",  // lake files are read, never written
           "ATTACH '" + Host() + "x.duckdb' AS x",
           "ATTACH ':memory:' AS scratch",
           "INSTALL httpfs",
           "LOAD httpfs",
           "SET enable_external_access = true",
           "SET memory_limit = '1MB'",
           "SET GLOBAL threads = 1",
           "PRAGMA memory_limit = '1MB'",
           "SET allowed_directories = ['/']",
           "SET lock_configuration = false",
           "RESET lock_configuration",
           "CALL enable_logging(storage => 'stdout')",
           "SELECT * FROM query('SELECT * FROM enable' || '_logging()')",
           "PRAGMA enable_profiling",
           "PRAGMA enable_verification",
           "PRAGMA disable_optimizer",
           "PRAGMA enable_checkpoint_on_shutdown",
       }) {
    auto outcome = RunClientSql(*duck_, sql);
    EXPECT_FALSE(outcome.succeeded) << sql;
    EXPECT_TRUE(outcome.user_error) << sql << ": " << outcome.error_message;
  }
  EXPECT_FALSE(fs::exists(root_ / "host" / "out.csv"));
  EXPECT_FALSE(fs::exists(root_ / "lake" / "b.parquet"));
  // Informational pragmas are SELECTs and still work.
  EXPECT_TRUE(RunClientSql(*duck_, "PRAGMA version").succeeded);
  EXPECT_TRUE(RunClientSql(*duck_, "PRAGMA show_tables").succeeded);
  // Per-query settings a client's own connection needs still work.
  EXPECT_TRUE(RunClientSql(*duck_, "SET search_path = 'main'").succeeded);
  auto setting = RunClientSql(*duck_, "SELECT current_setting('memory_limit') <> '1.0 MiB'");
  ASSERT_TRUE(setting.succeeded);
}

TEST_F(SqlEngineSandboxTest, HostFilesModeReadsHostFilesButSettingsStayLocked) {
  duckdb::SandboxOptions options;
  options.allow_host_files = true;
  ASSERT_TRUE(duck_->Lock(options).ok());
  EXPECT_TRUE(RunClientSql(*duck_, "SELECT line FROM read_csv('" + Host() + "secret.csv')").succeeded);
  EXPECT_TRUE(RunClientSql(*duck_, "COPY (SELECT 1) TO '" + Host() + "out.csv'").succeeded);
  EXPECT_FALSE(RunClientSql(*duck_, "SET memory_limit = '1MB'").succeeded);
  EXPECT_FALSE(RunClientSql(*duck_, "INSTALL httpfs").succeeded);  // no download from the network
  EXPECT_FALSE(RunClientSql(*duck_, "CALL enable_logging()").succeeded);
}

TEST(SqlEnginePolicyTest, RefusesEngineWideAndDynamicSqlByName) {
  duckdb::StatementPolicy locked{true, true};
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "CALL enable_logging()"), "");
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "select * from \"ENABLE_LOGGING\"()"), "");
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "CALL system.main.disable_logging()"), "");
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "CALL truncate_duckdb_logs()"), "");
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "FROM query /* c */ ('SELECT 1')"), "");
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "FROM query -- c\n('SELECT 1')"), "");
  EXPECT_NE(duckdb::RefusedByPolicy(locked, "FROM json_execute_serialized_sql('{}')"), "");
  // A column or table named query is fine; so is everything when the engine is not locked.
  EXPECT_EQ(duckdb::RefusedByPolicy(locked, "SELECT query, count(query) FROM log GROUP BY query"), "");
  EXPECT_EQ(duckdb::RefusedByPolicy(locked, "SELECT enable_logging_x FROM t"), "");
  EXPECT_EQ(duckdb::RefusedByPolicy(duckdb::StatementPolicy{}, "CALL enable_logging()"), "");
}

// Athena's CTAS/INSERT/UNLOAD: a COPY … TO that Mallard built and marked in
// QueryRequest::service_copies passes the sandbox's COPY refusal — only as the one statement of its
// text, only at its own index, and still only into an allowed directory.
TEST_F(SqlEngineSandboxTest, ServiceCopiesWriteOnlyWhereAllowed) {
  duckdb::SandboxOptions options;
  options.allowed_directories = {Lake()};
  ASSERT_TRUE(duck_->Lock(options).ok());
  auto run = [&](std::vector<std::string> statements, std::vector<std::size_t> service_copies) {
    sqlengine::QueryRequest request;
    request.statements = std::move(statements);
    request.service_copies = std::move(service_copies);
    auto outcomes = duck_->Prepare(std::move(request))->Run();
    return outcomes.empty() ? sqlengine::QueryOutcome{} : outcomes.back();
  };
  const std::string copy = "COPY (SELECT 1 AS x) TO '" + Lake() + "out.csv'";
  EXPECT_FALSE(run({copy}, {}).succeeded);  // client SQL: refused
  EXPECT_FALSE(fs::exists(root_ / "lake" / "out.csv"));
  auto marked = run({copy}, {0});
  EXPECT_TRUE(marked.succeeded) << marked.error_message;
  EXPECT_TRUE(fs::exists(root_ / "lake" / "out.csv"));
  // The mark is per index, and a text of two statements is refused even when marked.
  EXPECT_FALSE(run({"SELECT 1", "COPY (SELECT 2) TO '" + Lake() + "second.csv'"}, {0}).succeeded);
  EXPECT_FALSE(run({"COPY (SELECT 3) TO '" + Lake() + "x.csv'; COPY (SELECT 4) TO '" + Lake() + "y.csv'"}, {0}).succeeded);
  EXPECT_FALSE(fs::exists(root_ / "lake" / "second.csv"));
  EXPECT_FALSE(fs::exists(root_ / "lake" / "x.csv"));
  // Outside the allowed directories DuckDB's own file check refuses it.
  EXPECT_FALSE(run({"COPY (SELECT 1) TO '" + Host() + "escape.csv'"}, {0}).succeeded);
  EXPECT_FALSE(fs::exists(root_ / "host" / "escape.csv"));
}

TEST(SqlEngineSandboxSetupTest, ServeLocksTheEngineWithoutALake) {
  std::string error;
  auto backend = MakeSqlEngine(":memory:", error);
  ASSERT_NE(backend, nullptr);
  ServeConfig config;
  ASSERT_EQ(SandboxSqlEngine(config, backend, nullptr, {}), "");
  auto duck = std::dynamic_pointer_cast<duckdb::DuckDbSqlEngine>(backend);
  EXPECT_TRUE(duck->Policy().locked);
  EXPECT_TRUE(duck->Policy().files_confined);
  EXPECT_FALSE(RunClientSql(*duck, "SELECT * FROM read_text('/etc/hostname')").succeeded);
  // The in-memory engine (DuckDB off) has nothing to lock.
  auto off = MakeSqlEngine("off", error);
  EXPECT_EQ(SandboxSqlEngine(config, off, nullptr, {}), "");
}

}  // namespace
}  // namespace mallard::app
#endif

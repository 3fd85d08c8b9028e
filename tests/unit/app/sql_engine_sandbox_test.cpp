// The SQL engine's sandbox: once locked, client SQL reads only the allowed directories, writes no
// files, loads no extensions, changes no settings and cannot switch on engine-wide logging, while
// administrative SQL (the lake's views) keeps working.
#include <gtest/gtest.h>

#include "app/sql_engine_setup.hpp"

#ifdef MALLARD_HAVE_DUCKDB
#include <filesystem>
#include <fstream>
#include <thread>
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

// serve's in-memory engine opens DuckDB on first use; everything set before that (the dialects,
// the sandbox) must hold from its first statement, and one database must serve every thread.
TEST(SqlEngineOpenOnFirstUseTest, AnEngineLockedBeforeItOpensIsLockedAndSetUpWhenItOpens) {
  std::string error;
  auto duck = std::dynamic_pointer_cast<duckdb::DuckDbSqlEngine>(MakeSqlEngine(":memory:", error));
  ASSERT_NE(duck, nullptr) << error;
  EXPECT_FALSE(duck->Started());
  ServeConfig config;
  ASSERT_EQ(SandboxSqlEngine(config, duck, nullptr, {}), "");
  duck->Reset();  // the reset endpoint has nothing to drop and opens nothing
  EXPECT_FALSE(duck->Started());

  auto divided = RunClientSql(*duck, "SELECT 7 / 2 AS q, current_database() AS db");  // the first statement opens it
  EXPECT_TRUE(duck->Started());
  ASSERT_TRUE(divided.succeeded) << divided.error_message;
  ASSERT_EQ(divided.rows.size(), 1u);
  EXPECT_EQ(divided.rows[0][0].integer, 3) << "the dialects' integer division was not set up";
  EXPECT_EQ(divided.rows[0][1].text, duck->DatabaseName());
  EXPECT_FALSE(RunClientSql(*duck, "SET memory_limit = '1GB'").succeeded) << "configuration not locked";
  EXPECT_FALSE(RunClientSql(*duck, "SELECT * FROM read_text('/etc/hostname')").succeeded) << "files not confined";
}

TEST(SqlEngineOpenOnFirstUseTest, ThreadsRacingToTheFirstStatementShareOneDatabase) {
  std::string error;
  auto duck = std::dynamic_pointer_cast<duckdb::DuckDbSqlEngine>(MakeSqlEngine(":memory:", error));
  ASSERT_NE(duck, nullptr) << error;
  ASSERT_FALSE(duck->Started());
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::vector<sqlengine::QueryOutcome> outcomes(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      outcomes[i] = RunClientSql(*duck, "CREATE TABLE IF NOT EXISTS seen (thread INTEGER); INSERT INTO seen VALUES (" +
                                            std::to_string(i) + ")");
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& outcome : outcomes) {
    // Two threads creating the table at once may conflict; the insert must not land elsewhere.
    if (!outcome.succeeded) {
      EXPECT_NE(outcome.error_message.find("onflict"), std::string::npos) << outcome.error_message;
    }
  }
  int succeeded = 0;
  for (const auto& outcome : outcomes) succeeded += outcome.succeeded ? 1 : 0;
  auto counted = RunClientSql(*duck, "SELECT count(*) FROM seen");
  ASSERT_TRUE(counted.succeeded) << counted.error_message;
  EXPECT_EQ(counted.rows[0][0].integer, succeeded) << "an insert went to a second database";
  EXPECT_GT(succeeded, 0);
}

TEST(SqlEngineOpenOnFirstUseTest, OnlyAnInMemoryDatabaseWaitsForItsFirstUse) {
  duckdb::DatabaseOptions options;
  options.path = (fs::path(::testing::TempDir()) / ("mallard_first_use_" + std::to_string(::getpid()) + ".duckdb")).string();
  auto refused = duckdb::DuckDbSqlEngine::Open(options, duckdb::OpenWhen::OnFirstUse);
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(fs::exists(options.path));
  auto opened = duckdb::DuckDbSqlEngine::Open(options, duckdb::OpenWhen::Now);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_TRUE((*opened)->Started());
  EXPECT_EQ((*opened)->DatabaseName(), fs::path(options.path).stem().string());
  opened = Fail(std::string("closed"));
  fs::remove(options.path);
  fs::remove(options.path + ".wal");
}

}  // namespace
}  // namespace mallard::app
#endif

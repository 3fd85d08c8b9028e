// The SQL engine layer: SQL text handling, value formatting, the query runner on both engines,
// Redshift Data's size-bounded result pages, and the README's operation tables.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "app/config.hpp"
#include "app/sql_engine_setup.hpp"
#include "sqlengine/memory/memory_sql_engine.hpp"
#include "services/athena/athena_service.hpp"
#include "services/redshift_data/redshift_data_service.hpp"
#include "sqlengine/query_runner.hpp"
#include "sqlengine/sql_format.hpp"
#include "sqlengine/sql_text.hpp"
#ifdef MALLARD_HAVE_DUCKDB
#include "sqlengine/duckdb/duckdb_sql_engine.hpp"
#endif

namespace mallard::sqlengine {
namespace {

using namespace std::chrono_literals;

TEST(SqlTextTest, LiteralsBecomeTypedParameters) {
  auto text = ParseSqlLiteral("'it''s'");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->value.kind, SqlParameter::Kind::Text);
  EXPECT_EQ(text->value.text, "it's");
  EXPECT_EQ(text->placeholder, "?");
  auto number = ParseSqlLiteral(" -42 ");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->value.kind, SqlParameter::Kind::Integer);
  EXPECT_EQ(number->value.integer, -42);
  auto decimal = ParseSqlLiteral("12.50");
  ASSERT_TRUE(decimal.ok());
  EXPECT_EQ(decimal->placeholder, "CAST(? AS DECIMAL(4,2))");
  auto date = ParseSqlLiteral("DATE '2024-01-31'");
  ASSERT_TRUE(date.ok());
  EXPECT_EQ(date->placeholder, "CAST(? AS DATE)");
  EXPECT_EQ(date->value.text, "2024-01-31");
  EXPECT_EQ(ParseSqlLiteral("NULL")->value.kind, SqlParameter::Kind::Null);
  EXPECT_TRUE(ParseSqlLiteral("1e3")->value.kind == SqlParameter::Kind::Double);
  EXPECT_FALSE(ParseSqlLiteral("1; DROP TABLE t").ok());
  EXPECT_FALSE(ParseSqlLiteral("'unterminated").ok());
}

TEST(SqlTextTest, PlaceholdersOutsideLiteralsAndComments) {
  std::vector<BoundLiteral> values = {*ParseSqlLiteral("1"), *ParseSqlLiteral("DATE '2024-01-01'")};
  auto sql = SubstitutePlaceholders("SELECT '?', \"a?\", ? -- ?\n, ? /* ? */", values);
  ASSERT_TRUE(sql.ok());
  EXPECT_EQ(*sql, "SELECT '?', \"a?\", ? -- ?\n, CAST(? AS DATE) /* ? */");
  EXPECT_FALSE(SubstitutePlaceholders("SELECT ?", {}).ok());
}

TEST(SqlTextTest, NamedParametersSkipCastsAndLiterals) {
  std::vector<std::string> names;
  EXPECT_EQ(RewriteNamedParameters("SELECT :a::int, ':b', x = :a AND :c_2", &names),
            "SELECT $a::int, ':b', x = $a AND $c_2");
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c_2"}));
  std::string rest;
  EXPECT_EQ(LeadingWords("  EXECUTE stmt USING 1, 'a,b'", 2, &rest), (std::vector<std::string>{"EXECUTE", "stmt"}));
  EXPECT_EQ(rest, "USING 1, 'a,b'");
  EXPECT_EQ(SplitLiteralList("1, 'a,b' ,DATE '2024-01-01'"),
            (std::vector<std::string>{"1", "'a,b'", "DATE '2024-01-01'"}));
  EXPECT_EQ(LeadingKeyword("/* c */ -- x\n  select 1"), "SELECT");
}

TEST(NamePatternTest, LikePatterns) {
  using sqlengine::MatchesLikePattern;
  EXPECT_TRUE(MatchesLikePattern("orders", "orders"));
  EXPECT_TRUE(MatchesLikePattern("orders", "ord%"));
  EXPECT_TRUE(MatchesLikePattern("orders", "%der%"));
  EXPECT_TRUE(MatchesLikePattern("orders", "o_ders"));
  EXPECT_TRUE(MatchesLikePattern("caf\xC3\xA9", "caf_"));  // one character, two bytes
  EXPECT_TRUE(MatchesLikePattern("a_b", "a\\_b"));
  EXPECT_FALSE(MatchesLikePattern("axb", "a\\_b"));
  EXPECT_FALSE(MatchesLikePattern("orders", "Orders"));
  EXPECT_FALSE(MatchesLikePattern("orders", "order"));
  EXPECT_TRUE(MatchesLikePattern("", "%"));
  EXPECT_FALSE(MatchesLikePattern("", "_"));
}

TEST(NamePatternTest, HivePatterns) {
  using sqlengine::MatchesHivePattern;
  EXPECT_TRUE(MatchesHivePattern("orders", "ord*"));
  EXPECT_TRUE(MatchesHivePattern("orders", "ORD*"));
  EXPECT_TRUE(MatchesHivePattern("orders", "orders.*"));
  EXPECT_TRUE(MatchesHivePattern("orders", "ord.rs"));
  EXPECT_TRUE(MatchesHivePattern("orders", "x|orders|y"));
  EXPECT_TRUE(MatchesHivePattern("orders", "*"));
  EXPECT_FALSE(MatchesHivePattern("orders", "ord"));
  EXPECT_FALSE(MatchesHivePattern("orders", "x|y"));
  EXPECT_FALSE(MatchesHivePattern("orders", "a*"));
}

// std::regex and the recursive LIKE matcher overflowed the stack (or ran for ever) on long names.
TEST(NamePatternTest, LongNamesNeitherOverflowNorTakeLong) {
  const std::string name(200000, 'a');
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(sqlengine::MatchesHivePattern(name, "a*"));
  EXPECT_FALSE(sqlengine::MatchesHivePattern(name, std::string(100, '*') + "b"));
  EXPECT_TRUE(sqlengine::MatchesLikePattern(name, "%a%a%"));
  EXPECT_FALSE(sqlengine::MatchesLikePattern(name, std::string(40, '%') + "b"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

TEST(SqlFormatTest, DatesTimesAndDoubles) {
  EXPECT_EQ(FormatDate(0), "1970-01-01");
  EXPECT_EQ(FormatDate(19782), "2024-02-29");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatTimestamp(-1, 6), "1969-12-31 23:59:59.999999");
  EXPECT_EQ(FormatTimeOfDay(3'723'500'000, -1), "01:02:03.5");
  EXPECT_EQ(FormatTimeOfDay(3'723'000'000, 3), "01:02:03.000");
  EXPECT_EQ(FormatOffset(-5 * 3600 - 1800, true), "-05:30");
  EXPECT_EQ(FormatJavaDouble(1.5, false), "1.5");
  EXPECT_EQ(FormatJavaDouble(100.0, false), "100.0");
  EXPECT_EQ(FormatJavaDouble(1e20, false), "1.0E20");
  EXPECT_EQ(FormatJavaDouble(1.25e-5, false), "1.25E-5");
  EXPECT_EQ(FormatJavaDouble(0.001, false), "0.001");
  EXPECT_EQ(FormatJavaDouble(1e7, false), "1.0E7");
  EXPECT_EQ(FormatJavaDouble(-0.5, false), "-0.5");
  EXPECT_EQ(FormatJavaDouble(0.1f, true), "0.1");
  EXPECT_EQ(HexBytes("\x01\xab", true), "01 ab");
}

QueryJob::Snapshot WaitFinished(QueryJob& job) {
  for (int i = 0; i < 3000; ++i) {
    auto snapshot = job.Read();
    if (snapshot.completed_ms != 0) return snapshot;
    std::this_thread::sleep_for(5ms);
  }
  ADD_FAILURE() << "query did not finish";
  return job.Read();
}

// The engine's refreshers: every owner's statements in owner order, the first error, a second
// registration under one owner replacing the first; the memory engine keeps none.
TEST(EngineRefreshersTest, CollectsStatementsAndStopsAtTheFirstError) {
  EngineRefreshers refreshers;
  EXPECT_TRUE(refreshers.StatementsFor("SELECT 1")->empty());
  refreshers.Register("b", [](std::string_view sql) -> Result<std::vector<std::string>, std::string> {
    return std::vector<std::string>{"b:" + std::string(sql)};
  });
  refreshers.Register("a", [](std::string_view) -> Result<std::vector<std::string>, std::string> {
    return std::vector<std::string>{"a1", "a2"};
  });
  EXPECT_EQ(refreshers.StatementsFor("q").value(), (std::vector<std::string>{"a1", "a2", "b:q"}));
  refreshers.Register("a", [](std::string_view) -> Result<std::vector<std::string>, std::string> {
    return Fail(std::string("bucket gone"));
  });
  auto failed = refreshers.StatementsFor("q");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), "bucket gone");
  EXPECT_EQ(MemorySqlEngine().Refreshers(), nullptr);
}

TEST(QueryRunnerTest, MemoryEngineRecordsAndAnswersEmpty) {
  auto engine = std::make_shared<MemorySqlEngine>();
  QueryRunner runner(engine, 1, SystemClock());
  QueryRequest request;
  request.statements = {"SELECT whatever"};
  auto job = runner.Submit(request);
  auto snapshot = WaitFinished(*job);
  EXPECT_EQ(snapshot.state, JobState::Succeeded);
  ASSERT_EQ(snapshot.outcomes->size(), 1u);
  EXPECT_TRUE(snapshot.outcomes->front().rows.empty());
  EXPECT_EQ(engine->RecordedStatements(), std::vector<std::string>{"SELECT whatever"});
}

#ifdef MALLARD_HAVE_DUCKDB
std::shared_ptr<SqlEngine> OpenDuckDb() {
  duckdb::DatabaseOptions options;
  options.threads = 2;
  auto engine = duckdb::DuckDbSqlEngine::Open(options);
  EXPECT_TRUE(engine.ok());
  return engine.value();
}

TEST(QueryRunnerTest, DuckDbResultsAreTypedFromChunks) {
  QueryRunner runner(OpenDuckDb(), 2, SystemClock());
  QueryRequest request;
  request.statements = {"SELECT range AS n, range::DECIMAL(6,2) + 0.25 AS q, [range, NULL] AS l FROM range(3000)"};
  auto snapshot = WaitFinished(*runner.Submit(request));
  ASSERT_EQ(snapshot.state, JobState::Succeeded);
  const auto& outcome = snapshot.outcomes->back();
  ASSERT_EQ(outcome.columns.size(), 3u);
  EXPECT_EQ(outcome.columns[0].type.kind, SqlTypeKind::BigInt);
  EXPECT_EQ(outcome.columns[1].type.kind, SqlTypeKind::Decimal);
  EXPECT_EQ(outcome.columns[2].type.kind, SqlTypeKind::List);
  ASSERT_EQ(outcome.rows.size(), 3000u);  // more than one 2048-row chunk
  EXPECT_EQ(outcome.rows[2999][0].integer, 2999);
  EXPECT_EQ(outcome.rows[3][1].text, "3.25");
  EXPECT_EQ(outcome.rows[5][2].items.size(), 2u);
  EXPECT_EQ(outcome.rows[5][2].items[1].kind, SqlValue::Kind::Null);
}

TEST(QueryRunnerTest, CancelInterruptsARunningDuckDbQuery) {
  QueryRunner runner(OpenDuckDb(), 1, SystemClock());
  QueryRequest request;
  request.statements = {"SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"};
  auto job = runner.Submit(request);
  for (int i = 0; i < 2000 && job->Read().state != JobState::Running; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(job->Read().state, JobState::Running);
  EXPECT_TRUE(job->Cancel(SystemClock()));
  EXPECT_EQ(WaitFinished(*job).state, JobState::Cancelled);
}

// DuckDB clears a connection's interrupt flag when a statement starts. An interrupt that lands just
// after the start must stay set, and one seen before running must keep the statement from running;
// a cancel lost in between once left a Stop waiting for a query that never ends.
TEST(QueryRunnerTest, AnInterruptRightAfterAStatementStartsIsNotLost) {
  duckdb::DatabaseOptions options;
  options.threads = 1;
  auto database = duckdb::Database::Open(options);
  ASSERT_TRUE(database.ok());
  auto connection = database.value()->Connect();
  ASSERT_TRUE(connection.ok());
  const std::string endless = "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b";

  connection->Interrupt();  // before the statement: DuckDB forgets it, so the check below must catch it
  auto statement = connection->Prepare(endless);
  ASSERT_TRUE(statement.ok());
  bool interrupted = true;
  auto refused = statement->ExecuteStreamingUnlessInterrupted([&] { return interrupted; });
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().Interrupted());

  // An interrupt arriving once the statement has started (here: from inside the check) ends it.
  auto again = connection->Prepare(endless);
  ASSERT_TRUE(again.ok());
  auto started = again->ExecuteStreamingUnlessInterrupted([&] {
    connection->Interrupt();
    return false;
  });
  ASSERT_FALSE(started.ok());
  EXPECT_TRUE(started.error().Interrupted());

  // The connection still works, and a failure before the start keeps its type.
  auto broken = connection->Prepare("SELECT $1::INTEGER");
  ASSERT_TRUE(broken.ok());
  auto unbound = broken->ExecuteStreamingUnlessInterrupted([] { return false; });
  ASSERT_FALSE(unbound.ok());
  EXPECT_EQ(unbound.error().type, DUCKDB_ERROR_INVALID_INPUT) << unbound.error().message;
  auto fine = connection->Prepare("SELECT 42");
  ASSERT_TRUE(fine.ok());
  auto answered = fine->ExecuteStreamingUnlessInterrupted([] { return false; });
  ASSERT_TRUE(answered.ok()) << answered.error().message;
  auto chunk = answered->NextChunk();
  ASSERT_TRUE(chunk.ok());
  ASSERT_TRUE(chunk->has_value());
  EXPECT_EQ((*chunk)->Size(), 1u);
}

// A reset must not race a cancelled statement: CancelAllAndWait returns only once every job has
// settled, its on_finished included (Athena writes result files there), or says it gave up.
TEST(QueryRunnerTest, CancelAllAndWaitReturnsOnceCancelledJobsHaveSettled) {
  QueryRunner runner(OpenDuckDb(), 2, SystemClock());
  QueryRequest request;
  request.statements = {"SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b"};
  std::atomic<int> settled{0};
  auto slow_finish = [&settled](const QueryJob&) {
    std::this_thread::sleep_for(300ms);  // still busy after the interrupt took effect
    settled.fetch_add(1);
  };
  auto first = runner.Submit(request, slow_finish);
  auto second = runner.Submit(request, slow_finish);
  for (int i = 0; i < 2000 && (first->Read().state != JobState::Running || second->Read().state != JobState::Running); ++i) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(first->Read().state, JobState::Running);
  EXPECT_TRUE(runner.CancelAllAndWait(30s));
  EXPECT_EQ(settled.load(), 2);
  EXPECT_EQ(first->Read().state, JobState::Cancelled);
  EXPECT_EQ(second->Read().state, JobState::Cancelled);

  // A limit shorter than the jobs take: it says so instead of blocking.
  auto third = runner.Submit(request, slow_finish);
  for (int i = 0; i < 2000 && third->Read().state != JobState::Running; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(runner.CancelAllAndWait(10ms));
  EXPECT_TRUE(runner.CancelAllAndWait(30s));
  EXPECT_EQ(settled.load(), 3);
  // Nothing unfinished: returns at once.
  EXPECT_TRUE(runner.CancelAllAndWait(0ms));
}

TEST(QueryRunnerTest, FailedBatchRollsBack) {
  auto engine = OpenDuckDb();
  QueryRunner runner(engine, 1, SystemClock());
  QueryRequest batch;
  batch.single_transaction = true;
  batch.statements = {"CREATE TABLE t (x INTEGER)", "INSERT INTO t VALUES ('nope')"};
  auto snapshot = WaitFinished(*runner.Submit(batch));
  EXPECT_EQ(snapshot.state, JobState::Failed);
  EXPECT_EQ(snapshot.outcomes->size(), 2u);
  auto tables = engine->ListTables("");
  ASSERT_TRUE(tables.ok());
  EXPECT_TRUE(tables->empty());
}

boost::json::object Call(services::Service& service, const std::string& operation, boost::json::object input) {
  protocol::OperationRequest request;
  request.context.account_id = "000000000000";
  request.context.region = "us-east-1";
  request.operation = operation;
  request.input = std::move(input);
  std::promise<protocol::OperationResult> promise;
  service.Invoke(std::move(request), [&](protocol::OperationResult result) { promise.set_value(std::move(result)); });
  auto result = promise.get_future().get();
  EXPECT_TRUE(result.ok()) << operation << ": " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : boost::json::object{};
}

TEST(RedshiftDataPagingTest, ResultPagesStayUnderTheByteBound) {
  redshift_data::RedshiftDataService service(OpenDuckDb(), services::ServiceContext{}, 1, 4096);
  auto started = Call(service, "ExecuteStatement",
                      {{"Sql", "SELECT range AS n, repeat('x', 100) AS pad FROM range(500)"},
                       {"WorkgroupName", "w"},
                       {"Database", "dev"}});
  std::string id(started.at("Id").as_string());
  for (int i = 0; i < 2000; ++i) {
    if (Call(service, "DescribeStatement", {{"Id", id}}).at("Status").as_string() == "FINISHED") break;
    std::this_thread::sleep_for(5ms);
  }
  std::vector<std::int64_t> seen;
  int pages = 0;
  boost::json::object input{{"Id", id}};
  while (true) {
    auto page = Call(service, "GetStatementResult", input);
    ++pages;
    EXPECT_LE(boost::json::serialize(page.at("Records")).size(), 4096u * 2);
    for (const auto& record : page.at("Records").as_array()) {
      seen.push_back(record.as_array()[0].as_object().at("longValue").as_int64());
    }
    if (!page.contains("NextToken")) break;
    input["NextToken"] = page.at("NextToken");
  }
  EXPECT_GT(pages, 1);
  ASSERT_EQ(seen.size(), 500u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<std::int64_t>(i));
}
#endif

// --sqlengine-duckdb: flag over MALLARD_SQLENGINE_DUCKDB over [backends] sqlengine_duckdb.
TEST(SqlEngineConfigTest, LayersAndBuildsTheBackend) {
  std::string path = ::testing::TempDir() + "/mallard_sqlengine_config.toml";
  {
    std::ofstream toml(path);
    toml << "[backends]\nsqlengine_duckdb = \"off\"\n";
  }
  {
    CLI::App command;
    app::ServeConfig config;
    app::AddServeOptions(command, config);
    command.parse(std::vector<std::string>{path, "--config"});
    ASSERT_EQ(app::ApplyConfigFile(command, config), "");
    EXPECT_EQ(config.sqlengine_duckdb, "off");
  }
  {
    ::setenv("MALLARD_SQLENGINE_DUCKDB", ":memory:", 1);
    CLI::App command;
    app::ServeConfig config;
    app::AddServeOptions(command, config);
    command.parse(std::vector<std::string>{path, "--config"});
    ASSERT_EQ(app::ApplyConfigFile(command, config), "");
    ::unsetenv("MALLARD_SQLENGINE_DUCKDB");
    EXPECT_EQ(config.sqlengine_duckdb, ":memory:");
  }
  std::string error;
  auto off = app::MakeSqlEngine("off", error);
  ASSERT_NE(off, nullptr);
  EXPECT_EQ(off->Name(), "memory");
#ifdef MALLARD_HAVE_DUCKDB
  EXPECT_EQ(app::DefaultSqlEngineSpec(), ":memory:");
  auto duck = app::MakeSqlEngine(":memory:", error);
  ASSERT_NE(duck, nullptr) << error;
  EXPECT_EQ(duck->Name(), "duckdb");
  EXPECT_EQ(app::MakeSqlEngine("/nonexistent-dir/x/y.duckdb", error), nullptr);
  EXPECT_NE(error, "");
#else
  EXPECT_EQ(app::DefaultSqlEngineSpec(), "off");
  EXPECT_EQ(app::MakeSqlEngine(":memory:", error), nullptr);
#endif
}

TEST(SqlEngineReadmeTest, EveryAthenaAndRedshiftDataOperationIsListed) {
  std::ifstream file(MALLARD_SOURCE_DIR "/README.md");
  ASSERT_TRUE(file.good());
  std::stringstream readme;
  readme << file.rdbuf();
  auto engine = std::make_shared<MemorySqlEngine>();
  athena::AthenaService athena(engine, services::ServiceContext{}, 1);
  redshift_data::RedshiftDataService redshift(engine, services::ServiceContext{}, 1);
  for (const services::Service* service : {static_cast<services::Service*>(&athena), static_cast<services::Service*>(&redshift)}) {
    for (const auto& operation : service->Descriptor().operations) {
      EXPECT_NE(readme.str().find(operation), std::string::npos) << operation << " is missing from README.md";
    }
  }
}

}  // namespace
}  // namespace mallard::sqlengine

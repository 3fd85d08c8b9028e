// Athena in snapshots: seeded random work groups, named queries, prepared statements, catalogs,
// tags and query executions (typed results, failures) made through the API on a real DuckDB
// engine; save → clear → load must answer the APIs exactly as before and save again to the same
// records. MALLARD_STATE_SEED=n replays one seed.
#include "services/athena/athena_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

namespace mallard::athena {
namespace {

namespace json = boost::json;

std::uint64_t Seed() {
  const char* text = std::getenv("MALLARD_STATE_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 20261206;
}

class AthenaStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = mallard::duckdb::DuckDbSqlEngine::Open(mallard::duckdb::DatabaseOptions{});
    ASSERT_TRUE(opened.ok()) << opened.error();
    service_ = std::make_shared<AthenaService>(*opened, services::ServiceContext{}, 2);
  }

  protocol::OperationResult Raw(const std::string& operation, json::object input) {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = std::move(input);
    request.context.account_id = "123456789012";
    request.context.region = "us-east-1";
    std::optional<protocol::OperationResult> out;
    service_->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
    EXPECT_TRUE(out.has_value()) << operation;
    return out ? std::move(*out) : protocol::OperationResult(json::object{});
  }
  std::string Answer(const std::string& operation, json::object input) {
    auto result = Raw(operation, std::move(input));
    return result.ok() ? json::serialize(*result) : result.error().code + ": " + result.error().message;
  }
  std::vector<services::StateRecord> SaveAll(const services::StateScope& scope) {
    std::vector<services::StateRecord> records;
    auto saved = service_->State()->Save(scope, [&](services::StateRecord record) -> Status<std::string> {
      record.body = json::parse(json::serialize(record.body)).as_object();  // through text, as the file holds it
      records.push_back(std::move(record));
      return Done{};
    });
    EXPECT_TRUE(saved.ok()) << (saved.ok() ? "" : saved.error());
    return records;
  }
  Status<std::string> LoadAll(const services::StateScope& scope, const std::vector<services::StateRecord>& records,
                              int version = 1) {
    std::size_t next = 0;
    return service_->State()->Load(scope, version, [&]() -> Result<std::optional<services::StateRecord>, std::string> {
      if (next == records.size()) return std::optional<services::StateRecord>{};
      return std::optional<services::StateRecord>{records[next++]};
    });
  }

  std::shared_ptr<AthenaService> service_;
};

std::string RandomSelect(std::mt19937_64& random) {
  static const char* kExpressions[] = {"42", "CAST(-7 AS BIGINT)", "CAST(3.25 AS DOUBLE)", "'text é'", "NULL", "TRUE",
                                       "CAST(12345.6789 AS DECIMAL(12,4))", "DATE '2024-02-29'",
                                       "TIMESTAMP '2021-03-04 05:06:07.123'", "ARRAY[1, 2]"};
  int columns = 1 + static_cast<int>(random() % 3);
  std::string sql = "SELECT ";
  for (int c = 0; c < columns; ++c) {
    sql += std::string(c ? ", " : "") + kExpressions[random() % std::size(kExpressions)] + " AS c" + std::to_string(c);
  }
  return sql;
}

TEST_F(AthenaStateTest, SaveClearLoadAnswersTheSame) {
  const std::uint64_t seed = Seed();
  SCOPED_TRACE("MALLARD_STATE_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  std::vector<std::string> groups = {"primary"};
  for (int i = 0; i < 3; ++i) {
    std::string name = "wg" + std::to_string(i);
    json::object input{{"Name", name}, {"Description", "group " + std::to_string(random() % 100)},
                       {"Configuration", {{"EnforceWorkGroupConfiguration", random() % 2 == 0}}}};
    if (random() % 2) input["Tags"] = json::array{json::object{{"Key", "k" + std::to_string(i)}, {"Value", "v"}}};
    ASSERT_TRUE(Raw("CreateWorkGroup", input).ok()) << Answer("CreateWorkGroup", input);
    groups.push_back(name);
  }
  std::vector<std::string> named, executions;
  for (int i = 0; i < 12; ++i) {
    const std::string& group = groups[random() % groups.size()];
    json::object input{{"Name", "q" + std::to_string(i)}, {"Database", "default"}, {"QueryString", RandomSelect(random)},
                       {"WorkGroup", group}};
    if (random() % 3 == 0) input["ClientRequestToken"] = "named-token-000000000000000000000" + std::to_string(i);
    auto created = Raw("CreateNamedQuery", input);
    ASSERT_TRUE(created.ok()) << Answer("CreateNamedQuery", input);
    named.emplace_back(created->at("NamedQueryId").as_string());
  }
  for (int i = 0; i < 4; ++i) {
    json::object input{{"StatementName", "ps" + std::to_string(i)}, {"WorkGroup", groups[random() % groups.size()]},
                       {"QueryStatement", "SELECT ?"}, {"Description", "d"}};
    ASSERT_TRUE(Raw("CreatePreparedStatement", input).ok()) << Answer("CreatePreparedStatement", input);
  }
  json::object catalog{{"Name", "cat1"}, {"Type", "HIVE"}, {"Parameters", {{"metadata-function", "arn:aws:lambda:us-east-1:123456789012:function:f"}}}};
  ASSERT_TRUE(Raw("CreateDataCatalog", catalog).ok()) << Answer("CreateDataCatalog", catalog);
  for (int i = 0; i < 20; ++i) {
    std::string sql = random() % 4 == 0 ? "SELECT * FROM missing_table_" + std::to_string(i) : RandomSelect(random);
    json::object input{{"QueryString", sql}, {"WorkGroup", groups[random() % groups.size()]},
                       {"ResultConfiguration", {{"OutputLocation", "s3://bucket/out/"}}}};
    if (random() % 3 == 0) input["ClientRequestToken"] = "exec-token-0000000000000000000000" + std::to_string(i);
    auto started = Raw("StartQueryExecution", input);
    ASSERT_TRUE(started.ok()) << Answer("StartQueryExecution", input);
    executions.emplace_back(started->at("QueryExecutionId").as_string());
  }
  for (const auto& id : executions) {
    for (int i = 0; i < 2000; ++i) {
      auto answer = Raw("GetQueryExecution", {{"QueryExecutionId", id}});
      ASSERT_TRUE(answer.ok());
      auto state = answer->at("QueryExecution").at("Status").at("State").as_string();
      if (state != "QUEUED" && state != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  auto answers = [&] {
    std::vector<std::string> out;
    for (const auto& group : groups) {
      out.push_back(Answer("GetWorkGroup", {{"WorkGroup", group}}));
      out.push_back(Answer("ListNamedQueries", {{"WorkGroup", group}}));
      out.push_back(Answer("ListPreparedStatements", {{"WorkGroup", group}}));
      out.push_back(Answer("ListQueryExecutions", {{"WorkGroup", group}}));
      out.push_back(Answer("ListTagsForResource", {{"ResourceARN", "arn:aws:athena:us-east-1:123456789012:workgroup/" + group}}));
    }
    out.push_back(Answer("ListWorkGroups", {}));
    out.push_back(Answer("ListDataCatalogs", {}));
    out.push_back(Answer("GetDataCatalog", {{"Name", "cat1"}}));
    for (const auto& id : named) out.push_back(Answer("GetNamedQuery", {{"NamedQueryId", id}}));
    for (const auto& id : executions) {
      out.push_back(Answer("GetQueryExecution", {{"QueryExecutionId", id}}));
      out.push_back(Answer("GetQueryResults", {{"QueryExecutionId", id}}));
    }
    return out;
  };
  const auto before = answers();
  services::StateScope scope{"123456789012", "us-east-1"};
  auto saved = SaveAll(scope);
  ASSERT_TRUE(service_->State()->Clear(scope).ok());
  EXPECT_FALSE(Raw("GetQueryExecution", {{"QueryExecutionId", executions[0]}}).ok());
  auto loaded = LoadAll(scope, saved);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  const auto after = answers();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i], before[i]) << "answer " << i;
  auto again = SaveAll(scope);
  ASSERT_EQ(again.size(), saved.size());
  for (std::size_t r = 0; r < again.size(); ++r) {
    EXPECT_EQ(again[r].kind, saved[r].kind);
    EXPECT_EQ(json::serialize(again[r].body), json::serialize(saved[r].body));
  }
}

TEST_F(AthenaStateTest, LoadRefusesNewerVersionsAndUnknownKindsAndFailsRunningQueries) {
  services::StateScope scope{"123456789012", "us-east-1"};
  auto newer = LoadAll(scope, {}, 2);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().find("record version 2"), std::string::npos) << newer.error();
  auto unknown = LoadAll(scope, {{"spaceship", json::object{}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("\"spaceship\""), std::string::npos) << unknown.error();
  json::object running{{"QueryExecutionId", "11111111-2222-3333-4444-555555555555"}, {"Query", "SELECT 1"},
                       {"WorkGroup", "primary"}, {"State", "RUNNING"}, {"SubmissionDateTime", 1700000000000},
                       {"StatementType", "DML"}};
  ASSERT_TRUE(LoadAll(scope, {{"query_execution", running}}).ok());
  auto status = Raw("GetQueryExecution", {{"QueryExecutionId", "11111111-2222-3333-4444-555555555555"}});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->at("QueryExecution").at("Status").at("State"), "FAILED");
  EXPECT_NE(json::serialize(status->at("QueryExecution").at("Status")).find("snapshot"), std::string::npos);
  auto token = LoadAll(scope, {{"client_request_token", {{"ClientRequestToken", "t"}, {"QueryExecutionId", "nope"}}}});
  EXPECT_FALSE(token.ok());
  // A row wider than its columns is refused at load, not read past the columns later.
  json::object wide = running;
  wide["QueryExecutionId"] = "11111111-2222-3333-4444-666666666666";
  wide["State"] = "SUCCEEDED";
  wide["outcomes"] = json::parse(R"([{"succeeded":true,"has_result_set":true,"columns":[{"name":"a","type":{"kind":4}}],
                                      "rows":[[{"k":2,"i":1},{"k":2,"i":2}]]}])");
  auto refused = LoadAll(scope, {{"query_execution", wide}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("2 cells for 1 columns"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace mallard::athena

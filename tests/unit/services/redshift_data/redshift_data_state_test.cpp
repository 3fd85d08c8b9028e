// Redshift Data in snapshots: seeded random statements (typed results, batches, failures, refused
// databases, names, client tokens) run on a real DuckDB engine; save → clear → load must answer
// DescribeStatement, GetStatementResult and ListStatements exactly as before, and saving again must
// give the same records. MALLARD_STATE_SEED=n replays one seed.
#include "services/redshift_data/redshift_data_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "sqlengine/duckdb/duckdb_sql_engine.hpp"

namespace mallard::redshift_data {
namespace {

namespace json = boost::json;

std::uint64_t Seed() {
  const char* text = std::getenv("MALLARD_STATE_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 20261206;
}

class RedshiftDataStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = mallard::duckdb::DuckDbSqlEngine::Open(mallard::duckdb::DatabaseOptions{});
    ASSERT_TRUE(opened.ok()) << opened.error();
    engine_ = *opened;
    service_ = std::make_shared<RedshiftDataService>(engine_, services::ServiceContext{}, 2);
  }

  protocol::OperationResult Raw(const std::string& operation, json::object input, const std::string& region = "us-east-1") {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = std::move(input);
    request.context.account_id = "123456789012";
    request.context.region = region;
    std::optional<protocol::OperationResult> out;
    service_->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
    EXPECT_TRUE(out.has_value()) << operation;
    return out ? std::move(*out) : protocol::OperationResult(json::object{});
  }
  json::object Call(const std::string& operation, json::object input, const std::string& region = "us-east-1") {
    auto result = Raw(operation, std::move(input), region);
    EXPECT_TRUE(result.ok()) << operation << ": " << (result.ok() ? "" : result.error().message);
    return result.ok() ? std::move(result).value() : json::object{};
  }
  void WaitSettled(const std::string& id, const std::string& region) {
    for (int i = 0; i < 2000; ++i) {
      auto status = Call("DescribeStatement", {{"Id", id}}, region).at("Status").as_string();
      if (status != "SUBMITTED" && status != "PICKED" && status != "STARTED") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    FAIL() << "statement " << id << " never settled";
  }

  std::vector<services::StateRecord> SaveAll(const services::StateScope& scope) {
    std::vector<services::StateRecord> records;
    auto saved = service_->State()->Save(scope, [&](services::StateRecord record) -> Status<std::string> {
      // Through text, as the snapshot file carries it.
      record.body = json::parse(json::serialize(record.body)).as_object();
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

  std::shared_ptr<mallard::duckdb::DuckDbSqlEngine> engine_;
  std::shared_ptr<RedshiftDataService> service_;
};

std::string RandomSelect(std::mt19937_64& random) {
  static const char* kExpressions[] = {
      "42", "-7::BIGINT", "3.25::DOUBLE", "'text ' || 'é'", "NULL", "TRUE", "12345.6789::DECIMAL(12,4)",
      "DATE '2024-02-29'", "TIMESTAMP '2021-03-04 05:06:07.123456'", "'\\x00\\xff'::BLOB", "[1, 2, NULL]",
      "{'a': 1, 'b': 'x'}", "INTERVAL 3 DAY", "'nan'::DOUBLE", "170141183460469231731687303715884105727::HUGEINT"};
  std::uniform_int_distribution<std::size_t> pick(0, std::size(kExpressions) - 1);
  int columns = 1 + static_cast<int>(random() % 4);
  std::string sql = "SELECT ";
  for (int c = 0; c < columns; ++c) sql += std::string(c ? ", " : "") + kExpressions[pick(random)] + " AS c" + std::to_string(c);
  sql += " FROM range(" + std::to_string(random() % 5) + ")";
  return sql;
}

TEST_F(RedshiftDataStateTest, SaveClearLoadAnswersTheSame) {
  const std::uint64_t seed = Seed();
  SCOPED_TRACE("MALLARD_STATE_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  const std::vector<std::string> regions = {"us-east-1", "eu-west-1"};
  std::vector<std::pair<std::string, std::string>> ids;  // region, id
  Call("ExecuteStatement", {{"Sql", "CREATE TABLE t_state (a INTEGER, b VARCHAR)"}, {"Database", "dev"}, {"WorkgroupName", "wg"}});
  for (int i = 0; i < 40; ++i) {
    const std::string& region = regions[random() % regions.size()];
    json::object input{{"Database", random() % 10 == 0 ? "nodb" : "dev"}};
    if (random() % 2) input["WorkgroupName"] = "wg" + std::to_string(random() % 3);
    else {
      input["ClusterIdentifier"] = "cluster-1";
      input["DbUser"] = "awsuser";
    }
    if (random() % 3 == 0) input["StatementName"] = "name" + std::to_string(random() % 4);
    if (random() % 4 == 0) input["ClientToken"] = "token-" + std::to_string(i);
    if (random() % 3 == 0) input["ResultFormat"] = "CSV";
    std::string operation = "ExecuteStatement";
    switch (random() % 4) {
      case 0: {
        operation = "BatchExecuteStatement";
        input["Sqls"] = json::array{"INSERT INTO t_state VALUES (" + std::to_string(i) + ", 'x')", RandomSelect(random)};
        break;
      }
      case 1: input["Sql"] = "SELECT * FROM missing_table_" + std::to_string(i); break;
      default: input["Sql"] = RandomSelect(random);
    }
    auto result = Raw(operation, input, region);
    ASSERT_TRUE(result.ok()) << json::serialize(input) << (result.ok() ? "" : result.error().message);
    ids.emplace_back(region, std::string(result->at("Id").as_string()));
  }
  for (const auto& [region, id] : ids) WaitSettled(id, region);

  auto answers = [&] {
    std::vector<std::string> out;
    for (const auto& region : regions) out.push_back(json::serialize(Call("ListStatements", {{"Status", "ALL"}}, region)));
    for (const auto& [region, id] : ids) {
      auto described = Call("DescribeStatement", {{"Id", id}}, region);
      out.push_back(json::serialize(described));
      std::vector<std::string> result_ids = {id};
      if (const auto* subs = described.if_contains("SubStatements")) {
        for (const auto& sub : subs->as_array()) result_ids.emplace_back(sub.at("Id").as_string());
      }
      for (const auto& result_id : result_ids) {
        auto result = Raw("GetStatementResult", {{"Id", result_id}}, region);
        out.push_back(result.ok() ? json::serialize(*result) : result.error().code + ": " + result.error().message);
      }
    }
    return out;
  };
  const auto before = answers();
  std::vector<std::vector<services::StateRecord>> saved;
  auto scopes = service_->State()->Scopes();
  ASSERT_TRUE(scopes.ok());
  ASSERT_EQ(scopes->size(), 2u);
  for (const auto& scope : *scopes) saved.push_back(SaveAll(scope));
  for (const auto& scope : *scopes) ASSERT_TRUE(service_->State()->Clear(scope).ok());
  EXPECT_FALSE(Raw("DescribeStatement", {{"Id", ids[0].second}}, ids[0].first).ok());
  for (std::size_t i = 0; i < scopes->size(); ++i) {
    auto loaded = LoadAll((*scopes)[i], saved[i]);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
  }
  EXPECT_EQ(answers(), before);
  for (std::size_t i = 0; i < scopes->size(); ++i) {
    auto again = SaveAll((*scopes)[i]);
    ASSERT_EQ(again.size(), saved[i].size());
    for (std::size_t r = 0; r < again.size(); ++r) {
      EXPECT_EQ(again[r].kind, saved[i][r].kind);
      EXPECT_EQ(json::serialize(again[r].body), json::serialize(saved[i][r].body));
    }
  }
  // A client token from before the snapshot still answers with its statement.
  for (const auto& record : saved[0]) {
    if (record.kind != "client_token") continue;
    auto again = Call("ExecuteStatement", {{"Sql", "SELECT 1"}, {"Database", "dev"}, {"WorkgroupName", "wg0"},
                                           {"ClientToken", record.body.at("ClientToken")}}, std::string((*scopes)[0].region));
    EXPECT_EQ(again.at("Id"), record.body.at("Id"));
  }
}

TEST_F(RedshiftDataStateTest, LoadRefusesNewerVersionsUnknownKindsAndBadRecords) {
  services::StateScope scope{"123456789012", "us-east-1"};
  auto newer = LoadAll(scope, {}, 2);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().find("record version 2"), std::string::npos) << newer.error();
  auto unknown = LoadAll(scope, {{"cluster", json::object{}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("\"cluster\""), std::string::npos) << unknown.error();
  auto bad = LoadAll(scope, {{"statement", json::object{{"Id", "not-an-id"}, {"QueryStrings", json::array{"x"}}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("record 1"), std::string::npos) << bad.error();
  auto deep = json::object{{"k", 11}, {"items", json::array{}}};
  for (int i = 0; i < 200; ++i) deep = json::object{{"k", 15}, {"items", json::array{deep}}};
  json::object body{{"Id", "01234567-89ab-cdef-0123-456789abcdef"}, {"QueryStrings", json::array{"SELECT 1"}},
                    {"ResultFormat", "JSON"}, {"Status", "FINISHED"},
                    {"outcomes", json::array{json::object{{"rows", json::array{json::array{deep}}}}}}};
  auto too_deep = LoadAll(scope, {{"statement", body}});
  ASSERT_FALSE(too_deep.ok());
  EXPECT_NE(too_deep.error().find("too deeply"), std::string::npos) << too_deep.error();
  EXPECT_FALSE(Raw("DescribeStatement", {{"Id", "01234567-89ab-cdef-0123-456789abcdef"}}).ok());
}

TEST_F(RedshiftDataStateTest, StatementRunningAtSaveLoadsFailedWithReason) {
  services::StateScope scope{"123456789012", "us-east-1"};
  json::object body{{"Id", "01234567-89ab-cdef-0123-456789abcdef"}, {"QueryStrings", json::array{"SELECT 1"}},
                    {"Database", "dev"}, {"ResultFormat", "JSON"}, {"Status", "STARTED"},
                    {"CreatedAt", 1700000000000}, {"started_ms", 1700000000500}};
  ASSERT_TRUE(LoadAll(scope, {{"statement", body}}).ok());
  auto described = Call("DescribeStatement", {{"Id", "01234567-89ab-cdef-0123-456789abcdef"}});
  EXPECT_EQ(described.at("Status"), "FAILED");
  EXPECT_NE(std::string(described.at("Error").as_string()).find("snapshot"), std::string::npos);
  // Loading the same Id again replaces it whole.
  body["Status"] = "ABORTED";
  ASSERT_TRUE(LoadAll(scope, {{"statement", body}}).ok());
  EXPECT_EQ(Call("DescribeStatement", {{"Id", "01234567-89ab-cdef-0123-456789abcdef"}}).at("Status"), "ABORTED");
  EXPECT_EQ(Call("ListStatements", {{"Status", "ALL"}}).at("Statements").as_array().size(), 1u);
}

}  // namespace
}  // namespace mallard::redshift_data

// PartiQL parser errors and the three executors, run against a fake OperationRunner.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>
#include <vector>

#include "services/dynamodb/partiql/ddb_partiql.hpp"
#include "services/dynamodb/partiql/ddb_partiql_ast.hpp"

namespace mallard::dynamodb::partiql {
namespace {

namespace json = boost::json;

std::string ParseError(const std::string& text) {
  Result<Statement> statement = ParseStatement(text);
  EXPECT_FALSE(statement.ok()) << text;
  return statement.ok() ? "" : statement.error().message;
}

TEST(PartiqlParser, UnexpectedCharacterIsQuotedWhole) {
  // One byte of a multi-byte character made the error message (and its JSON response) invalid UTF-8.
  EXPECT_EQ(ParseError("SELECT * FROM t WHERE a = \xC3\xA9"),
            "Statement wasn't well formed, can't be processed: unexpected character '\xC3\xA9'");
  EXPECT_EQ(ParseError("SELECT * FROM t WHERE a = \xF0\x9F\x98\x80"),
            "Statement wasn't well formed, can't be processed: unexpected character '\xF0\x9F\x98\x80'");
}

TEST(PartiqlParser, SyntaxErrorsAreNotWellFormed) {
  const std::string prefix = "Statement wasn't well formed, can't be processed: ";
  for (const char* text : {"SELEC * FROM t", "SELECT * FROM", "SELECT * FROM t WHERE", "SELECT * FROM t WHERE a = 'x",
                           "SELECT * FROM t WHERE (a = 1", "UPDATE t WHERE a = 1", "DELETE t WHERE a = 1",
                           "INSERT INTO t VALUE", "SELECT * FROM t WHERE a = 1 b", "SELECT * FROM t WHERE a # 1", ""}) {
    EXPECT_EQ(ParseError(text).rfind(prefix, 0), 0u) << text << " -> " << ParseError(text);
  }
  EXPECT_EQ(ParseError("SELECT * FROM t junk = 1"), "Aliasing is not supported");
  EXPECT_EQ(ParseError("SELECT a AS b FROM t"), "Aliasing is not supported");
  EXPECT_EQ(ParseError("SELECT *, a FROM t"), "Other attributes should not be present in the projection when '*' is used.");
  EXPECT_EQ(ParseError("SELECT VALUE a FROM t"), "Select projection doesn't support value or pivot keywords");
  EXPECT_EQ(ParseError("SELECT * FROM a, b"), "Only select from a single table or index is supported.");
  EXPECT_EQ(ParseError("SELECT * FROM a.b.c"), "A path may contain at most 2 components in the FROM clause");
  EXPECT_EQ(ParseError("SELECT * FROM t WHERE a[*].b = 1"), "Wildcard path component like a[*].b are not supported");
  EXPECT_EQ(ParseError("SELECT * FROM t WHERE a.*.b = 1"), "Unpivot path component like a.*.b are not supported");
  EXPECT_EQ(ParseError("SELECT * FROM t WHERE a = `{a: 1}`"), "Ion Literals are not supported: `{a: 1}`");
  EXPECT_EQ(ParseError("SELECT * FROM t; SELECT * FROM t"), "Only one operation is allowed in a statement.");
  EXPECT_EQ(ParseError("INSERT INTO t VALUES {'a': 1}"),
            "Unsupported operation: Inserting multiple items in a single statement is not supported, use \"INSERT INTO "
            "tableName VALUE item\" instead");
  EXPECT_EQ(ParseError("INSERT INTO t VALUE {'a': 1} RETURNING ALL OLD *"), "RETURNING is not supported in INSERT");
  EXPECT_EQ(ParseError("UPDATE t ADD a 1 WHERE pk = 1"), "Only SET and REMOVE are supported in update expressions at this time");
  EXPECT_EQ(ParseError("UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL NEW"),
            "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause");
  EXPECT_EQ(ParseError("UPDATE t SET a = 1 WHERE pk = 1 RETURNING ALL NEW *, a"),
            "Invalid syntax with multiple returning elements in RETURNING clause");
  EXPECT_EQ(ParseError("SELECT * FROM t WHERE EXISTS(SELECT * FROM t)"), "EXISTS can only be used in ExecuteTransaction write requests.");
  EXPECT_EQ(ParseError("SELECT * FROM \"\""), "Path component cannot be an empty string");
}

TEST(PartiqlParser, LiteralsAndIdentifiers) {
  Result<Statement> statement = ParseStatement(
      "select * from \"My\"\"Table\" where \"a\".b['c d'][2] = 'it''s' -- trailing comment\n and x = -.5 /* block */;");
  ASSERT_TRUE(statement.ok()) << statement.error().message;
  EXPECT_EQ(statement->table, "My\"Table");
  const Expr& first = statement->where->children[0];
  ASSERT_EQ(first.children[0].path.size(), 4u);
  EXPECT_EQ(first.children[0].path[2].name, "c d");
  EXPECT_EQ(first.children[0].path[3].index, 2u);
  EXPECT_EQ(first.children[1].literal, json::parse(R"J({"S":"it's"})J"));
  EXPECT_EQ(statement->where->children[1].children[1].literal, json::parse(R"J({"N":"-.5"})J"));
}

TEST(PartiqlParser, HostileInputNeverCrashes) {
  EXPECT_FALSE(ParseStatement("SELECT * FROM t WHERE " + std::string(100000, '(') + "a = 1").ok());
  EXPECT_FALSE(ParseStatement("SELECT * FROM t WHERE a = " + std::string(50000, '[')).ok());
  EXPECT_TRUE(ParseStatement("SELECT * FROM t WHERE " + std::string(20000, 'N')).ok());  // a long name parses
  std::string nots = "SELECT * FROM t WHERE ";
  for (int i = 0; i < 20000; ++i) nots += "NOT ";
  EXPECT_FALSE(ParseStatement(nots + "a = 1").ok());
  std::string ands = "SELECT * FROM t WHERE a = 1";
  for (int i = 0; i < 5000; ++i) ands += " AND a = 1";
  EXPECT_TRUE(ParseStatement(ands).ok());  // long but flat: fine
  for (unsigned char c = 1; c < 128; ++c) {
    (void)ParseStatement(std::string("SELECT * FROM t WHERE a = ") + static_cast<char>(c));
  }
  EXPECT_FALSE(ParseStatement("SELECT * FROM t WHERE a[99999999999999999999] = 1").ok());
}

// ------------------------------------------------------------------------------------------------
// A fake service: records every call, answers from a queue of canned results.
struct FakeService {
  std::vector<std::pair<std::string, json::object>> calls;
  std::vector<Result<json::object>> answers;

  OperationRunner Runner() {
    return [this](const std::string& operation, json::object input) -> Result<json::object> {
      calls.emplace_back(operation, std::move(input));
      if (answers.empty()) return json::object{};
      Result<json::object> answer = answers.front();
      answers.erase(answers.begin());
      return answer;
    };
  }
};

std::optional<KeyNames> Keys(const std::string& table, const std::string& index) {
  if (table == "Users" && index.empty()) return KeyNames{"pk", std::nullopt};
  if (table == "Music" && index.empty()) return KeyNames{"Artist", std::string("SongTitle")};
  return std::nullopt;
}

json::object Obj(const std::string& text) { return json::parse(text).as_object(); }

AwsError Error(const std::string& code, const std::string& message) { return AwsError::Make(code, 400, message); }

TEST(PartiqlExecute, SelectReturnsItemsAndPagesWithNextToken) {
  FakeService service;
  service.answers.push_back(Obj(R"J({"Items":[{"pk":{"S":"a"}}],"LastEvaluatedKey":{"pk":{"S":"a"}},"Count":1})J"));
  Result<json::object> first = ExecuteStatement(Obj(R"J({"Statement":"SELECT * FROM Users","Limit":1,"ConsistentRead":true})J"),
                                                Keys, service.Runner());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->at("Items"), json::parse(R"J([{"pk":{"S":"a"}}])J"));
  EXPECT_EQ(first->at("LastEvaluatedKey"), json::parse(R"J({"pk":{"S":"a"}})J"));
  ASSERT_TRUE(first->contains("NextToken"));
  EXPECT_EQ(service.calls[0].first, "Scan");
  EXPECT_EQ(json::value(service.calls[0].second), json::parse(R"J({"TableName":"Users","ConsistentRead":true,"Limit":1})J"));

  json::object again = Obj(R"J({"Statement":"SELECT * FROM Users","Limit":1})J");
  again["NextToken"] = first->at("NextToken");
  service.answers.push_back(Obj(R"J({"Items":[]})J"));
  Result<json::object> second = ExecuteStatement(again, Keys, service.Runner());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(service.calls[1].second.at("ExclusiveStartKey"), json::parse(R"J({"pk":{"S":"a"}})J"));
  EXPECT_FALSE(second->contains("NextToken"));

  json::object other = Obj(R"J({"Statement":"SELECT * FROM Users WHERE x = 1"})J");
  other["NextToken"] = first->at("NextToken");
  Result<json::object> mismatch = ExecuteStatement(other, Keys, service.Runner());
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().message, "NextToken does not match request");
  Result<json::object> garbage = ExecuteStatement(Obj(R"J({"Statement":"SELECT * FROM Users","NextToken":"!!"})J"), Keys, service.Runner());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().message, "Invalid NextToken");
}

TEST(PartiqlExecute, GetItemAndProjection) {
  FakeService service;
  service.answers.push_back(Obj(R"J({"Item":{"pk":{"S":"a"},"m":{"M":{"n":{"N":"1"}}}}})J"));
  Result<json::object> found = ExecuteStatement(Obj(R"J({"Statement":"SELECT m.n FROM Users WHERE pk = ?","Parameters":[{"S":"a"}]})J"),
                                                Keys, service.Runner());
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_EQ(found->at("Items"), json::parse(R"J([{"n":{"N":"1"}}])J"));
  EXPECT_EQ(service.calls[0].first, "GetItem");
  service.answers.push_back(Obj("{}"));
  Result<json::object> missing = ExecuteStatement(Obj(R"J({"Statement":"SELECT * FROM Users WHERE pk = 'zz'"})J"), Keys, service.Runner());
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->at("Items"), json::array{});
}

TEST(PartiqlExecute, InsertDuplicateBecomesDuplicateItemException) {
  FakeService service;
  service.answers.push_back(Fail(Error("ConditionalCheckFailedException", "The conditional request failed")));
  Result<json::object> result = ExecuteStatement(Obj(R"J({"Statement":"INSERT INTO Users VALUE {'pk': 'a'}"})J"), Keys, service.Runner());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "DuplicateItemException");
  EXPECT_EQ(result.error().message, "Duplicate primary key exists in table");
  Result<json::object> ok = ExecuteStatement(Obj(R"J({"Statement":"INSERT INTO Users VALUE {'pk': 'b'}"})J"), Keys, service.Runner());
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(json::value(*ok), json::parse(R"J({"Items":[]})J"));
}

TEST(PartiqlExecute, UpdateReturningAndConditionFailure) {
  FakeService service;
  service.answers.push_back(Obj(R"J({"Attributes":{"a":{"N":"2"}}})J"));
  Result<json::object> result = ExecuteStatement(
      Obj(R"J({"Statement":"UPDATE Users SET a = 2 WHERE pk = 'p' RETURNING MODIFIED NEW *","ReturnConsumedCapacity":"TOTAL",
              "ReturnValuesOnConditionCheckFailure":"ALL_OLD"})J"),
      Keys, service.Runner());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->at("Items"), json::parse(R"J([{"a":{"N":"2"}}])J"));
  EXPECT_EQ(service.calls[0].second.at("ReturnConsumedCapacity"), "TOTAL");
  EXPECT_EQ(service.calls[0].second.at("ReturnValuesOnConditionCheckFailure"), "ALL_OLD");
  // A missing item fails the attribute_exists condition: the service's error passes through.
  service.answers.push_back(Fail(Error("ConditionalCheckFailedException", "The conditional request failed")));
  Result<json::object> missing = ExecuteStatement(Obj(R"J({"Statement":"UPDATE Users SET a = 2 WHERE pk = 'zz'"})J"), Keys, service.Runner());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "ConditionalCheckFailedException");
}

TEST(PartiqlExecute, RequestValidation) {
  FakeService service;
  auto error = [&](const std::string& input) {
    Result<json::object> result = ExecuteStatement(Obj(input), Keys, service.Runner());
    return result.ok() ? std::string() : result.error().message;
  };
  EXPECT_EQ(error("{}"), "1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null");
  EXPECT_EQ(error(R"J({"Statement":"SELECT * FROM Users","Parameters":[]})J"),
            "1 validation error detected: Value [] at 'parameters' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
  EXPECT_NE(error("{\"Statement\":\"" + std::string(8193, 'x') + "\"}").find("Member must have length less than or equal to 8192"),
            std::string::npos);
  EXPECT_TRUE(service.calls.empty());
}

// ------------------------------------------------------------------------------------------------
TEST(PartiqlBatch, PerStatementResultsAndErrors) {
  FakeService service;
  service.answers.push_back(Obj(R"J({"Item":{"pk":{"S":"a"}}})J"));
  service.answers.push_back(Fail(Error("ResourceNotFoundException", "Requested resource not found")));
  Result<json::object> result = BatchExecuteStatement(
      Obj(R"J({"Statements":[
            {"Statement":"SELECT * FROM Users WHERE pk = 'a'","ConsistentRead":true},
            {"Statement":"SELECT * FROM Users WHERE pk = 'b'"},
            {"Statement":"SELECT * FROM Users WHERE x = 1"},
            {"Statement":"SELEC oops"},
            {"Statement":"SELECT * FROM Nope WHERE pk = 'a'"}]})J"),
      Keys, service.Runner());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->at("Responses"), json::parse(R"J([
      {"TableName":"Users","Item":{"pk":{"S":"a"}}},
      {"TableName":"Users","Error":{"Code":"ResourceNotFound","Message":"Requested resource not found"}},
      {"TableName":"Users","Error":{"Code":"ValidationError","Message":"Where clause does not contain a mandatory equality on all key attributes"}},
      {"Error":{"Code":"ValidationError","Message":"Statement wasn't well formed, can't be processed: Expected data manipulation"}},
      {"TableName":"Nope","Error":{"Code":"ResourceNotFound","Message":"Requested resource not found"}}])J"));
  ASSERT_EQ(service.calls.size(), 2u);
  EXPECT_EQ(service.calls[0].second.at("ConsistentRead"), true);
  EXPECT_FALSE(service.calls[1].second.contains("ConsistentRead"));
}

TEST(PartiqlBatch, WritesMapErrorCodes) {
  FakeService service;
  service.answers.push_back(Fail(Error("ConditionalCheckFailedException", "The conditional request failed")));
  service.answers.push_back(Fail(Error("ConditionalCheckFailedException", "The conditional request failed")));
  service.answers.push_back(Obj("{}"));
  Result<json::object> result = BatchExecuteStatement(
      Obj(R"J({"Statements":[
            {"Statement":"INSERT INTO Users VALUE {'pk': 'a'}"},
            {"Statement":"UPDATE Users SET x = 1 WHERE pk = 'b'"},
            {"Statement":"DELETE FROM Users WHERE pk = ?","Parameters":[{"S":"c"}]},
            {"Statement":"EXISTS(SELECT * FROM Users WHERE pk = 'a')"}]})J"),
      Keys, service.Runner());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->at("Responses"), json::parse(R"J([
      {"TableName":"Users","Error":{"Code":"DuplicateItem","Message":"Duplicate primary key exists in table"}},
      {"TableName":"Users","Error":{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}},
      {"TableName":"Users"},
      {"Error":{"Code":"ValidationError","Message":"EXISTS can only be used in ExecuteTransaction write requests."}}])J"));
}

TEST(PartiqlBatch, WholeRequestErrors) {
  FakeService service;
  auto error = [&](const std::string& input) {
    Result<json::object> result = BatchExecuteStatement(Obj(input), Keys, service.Runner());
    return result.ok() ? std::string() : result.error().message;
  };
  EXPECT_EQ(error(R"J({"Statements":[{"Statement":"SELECT * FROM Users WHERE pk = 'a'"},{"Statement":"DELETE FROM Users WHERE pk = 'a'"}]})J"),
            "Read and write requests together in the same batch is not supported.");
  EXPECT_EQ(error(R"J({"Statements":[]})J"),
            "1 validation error detected: Value [] at 'statements' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
  json::array many;
  for (int i = 0; i < 26; ++i) many.push_back(json::object{{"Statement", "SELECT * FROM Users WHERE pk = 'a'"}});
  Result<json::object> too_many = BatchExecuteStatement(json::object{{"Statements", many}}, Keys, service.Runner());
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("Member must have length less than or equal to 25"), std::string::npos);
  EXPECT_TRUE(service.calls.empty());
}

// ------------------------------------------------------------------------------------------------
TEST(PartiqlTransaction, ReadsBecomeTransactGetItems) {
  FakeService service;
  service.answers.push_back(Obj(R"J({"Responses":[{"Item":{"pk":{"S":"a"},"v":{"N":"1"}}},{}]})J"));
  Result<json::object> result = ExecuteTransaction(
      Obj(R"J({"TransactStatements":[{"Statement":"SELECT v FROM Users WHERE pk = 'a'"},
                                    {"Statement":"SELECT * FROM Music WHERE Artist = ? AND SongTitle = ?",
                                     "Parameters":[{"S":"x"},{"S":"y"}]}],
              "ReturnConsumedCapacity":"TOTAL"})J"),
      Keys, service.Runner());
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->at("Responses"), json::parse(R"J([{"Item":{"v":{"N":"1"}}},{}])J"));
  ASSERT_EQ(service.calls.size(), 1u);
  EXPECT_EQ(service.calls[0].first, "TransactGetItems");
  EXPECT_EQ(json::value(service.calls[0].second), json::parse(R"J({"TransactItems":[
      {"Get":{"TableName":"Users","Key":{"pk":{"S":"a"}},"ProjectionExpression":"#n0","ExpressionAttributeNames":{"#n0":"v"}}},
      {"Get":{"TableName":"Music","Key":{"Artist":{"S":"x"},"SongTitle":{"S":"y"}}}}],"ReturnConsumedCapacity":"TOTAL"})J"));
}

TEST(PartiqlTransaction, WritesBecomeTransactWriteItems) {
  FakeService service;
  Result<json::object> result = ExecuteTransaction(
      Obj(R"J({"TransactStatements":[
            {"Statement":"EXISTS(SELECT * FROM Users WHERE pk = 'a' AND v = 1)"},
            {"Statement":"INSERT INTO Users VALUE {'pk': 'b'}"},
            {"Statement":"UPDATE Users SET v = v + 1 WHERE pk = 'c'","ReturnValuesOnConditionCheckFailure":"ALL_OLD"},
            {"Statement":"DELETE FROM Users WHERE pk = 'd'"}],
          "ClientRequestToken":"tok"})J"),
      Keys, service.Runner());
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(service.calls.size(), 1u);
  EXPECT_EQ(service.calls[0].first, "TransactWriteItems");
  const json::object& request = service.calls[0].second;
  EXPECT_EQ(request.at("ClientRequestToken"), "tok");
  const json::array& items = request.at("TransactItems").as_array();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_TRUE(items[0].as_object().contains("ConditionCheck"));
  EXPECT_TRUE(items[1].as_object().contains("Put"));
  EXPECT_EQ(items[2].at("Update").at("ReturnValuesOnConditionCheckFailure"), "ALL_OLD");
  EXPECT_TRUE(items[3].as_object().contains("Delete"));
}

// AwsError::extra_json is landing in common/ concurrently; the structured half of this test runs
// once it has.
template <typename E>
void CheckCancellationOfAnInsert(E canceled) {
  FakeService service;
  constexpr bool kHasExtra = requires { canceled.extra_json; };
  if constexpr (kHasExtra) {
    canceled.extra_json =
        R"J({"CancellationReasons":[{"Code":"None"},{"Code":"ConditionalCheckFailed","Message":"The conditional request failed"}]})J";
  }
  service.answers.push_back(Fail(canceled));
  Result<json::object> result = ExecuteTransaction(
      Obj(R"J({"TransactStatements":[{"Statement":"UPDATE Users SET v = 1 WHERE pk = 'a'"},
                                    {"Statement":"INSERT INTO Users VALUE {'pk': 'b'}"}]})J"),
      Keys, service.Runner());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "TransactionCanceledException");
  EXPECT_EQ(result.error().message, "Transaction cancelled, please refer cancellation reasons for specific reasons [None, DuplicateItem]");
  if constexpr (kHasExtra) {
    const E& error = result.error();  // dependent on E, so checked only when extra_json exists
    EXPECT_EQ(json::parse(error.extra_json),
              json::parse(R"J({"CancellationReasons":[{"Code":"None"},{"Code":"DuplicateItem","Message":"Duplicate primary key exists in table"}]})J"));
  }
}

TEST(PartiqlTransaction, CancellationOfAnInsertIsDuplicateItem) {
  CheckCancellationOfAnInsert(Error("TransactionCanceledException",
                                    "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"));
}

TEST(PartiqlTransaction, RequestErrors) {
  FakeService service;
  auto error = [&](const std::string& input) {
    Result<json::object> result = ExecuteTransaction(Obj(input), Keys, service.Runner());
    return result.ok() ? std::string() : result.error().code + ": " + result.error().message;
  };
  EXPECT_EQ(error(R"J({"TransactStatements":[{"Statement":"SELECT * FROM Users WHERE pk = 'a'"},{"Statement":"DELETE FROM Users WHERE pk = 'a'"}]})J"),
            "ValidationException: ExecuteTransaction API does not support both read and write operations in the same request.");
  EXPECT_EQ(error(R"J({"TransactStatements":[{"Statement":"SELECT * FROM Users WHERE pk = 'a'"},{"Statement":"EXISTS(SELECT * FROM Users WHERE pk = 'a')"}]})J"),
            "ValidationException: ExecuteTransaction API does not support both read and write operations in the same request.");
  EXPECT_EQ(error(R"J({"TransactStatements":[{"Statement":"UPDATE Users SET a = 1 WHERE pk = 'a' RETURNING ALL NEW *"}]})J"),
            "ValidationException: Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.");
  EXPECT_EQ(error(R"J({"TransactStatements":[{"Statement":"DELETE FROM Users WHERE a = 1"}]})J"),
            "ValidationException: Where clause does not contain a mandatory equality on all key attributes");
  EXPECT_EQ(error(R"J({"TransactStatements":[{"Statement":"DELETE FROM Nope WHERE a = 1"}]})J"),
            "ResourceNotFoundException: Requested resource not found");
  EXPECT_EQ(error(R"J({"TransactStatements":[]})J"),
            "ValidationException: 1 validation error detected: Value [] at 'transactStatements' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1");
  EXPECT_TRUE(service.calls.empty());
}

}  // namespace
}  // namespace mallard::dynamodb::partiql

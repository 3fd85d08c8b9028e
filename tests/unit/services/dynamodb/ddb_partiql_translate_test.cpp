// PartiQL -> native request translation: which operation runs and the exact request document.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <string>

#include "services/dynamodb/partiql/ddb_partiql_translate.hpp"

namespace mallard::dynamodb::partiql {
namespace {

namespace json = boost::json;

// Tables: "Music" (Artist, SongTitle) with index "ByAlbum" (Album, Year); "Users" (pk only).
std::optional<KeyNames> Keys(const std::string& table, const std::string& index) {
  if (table == "Music" && index.empty()) return KeyNames{"Artist", std::string("SongTitle")};
  if (table == "Music" && index == "ByAlbum") return KeyNames{"Album", std::string("Year")};
  if (table == "Users" && index.empty()) return KeyNames{"pk", std::nullopt};
  return std::nullopt;
}

Result<NativeRequest> Run(const std::string& text, const std::string& parameters = "[]", Context context = Context::Single) {
  Result<Statement> statement = ParseStatement(text);
  if (!statement.ok()) return Fail(statement.error());
  return Translate(*statement, json::parse(parameters).as_array(), Keys, context);
}

NativeRequest Ok(const std::string& text, const std::string& parameters = "[]", Context context = Context::Single) {
  Result<NativeRequest> request = Run(text, parameters, context);
  EXPECT_TRUE(request.ok()) << text << " -> " << (request.ok() ? "" : request.error().message);
  return request.ok() ? *request : NativeRequest{};
}

std::string ErrorOf(const std::string& text, const std::string& parameters = "[]", Context context = Context::Single) {
  Result<NativeRequest> request = Run(text, parameters, context);
  EXPECT_FALSE(request.ok()) << text;
  return request.ok() ? "" : request.error().code + ": " + request.error().message;
}

void ExpectInput(const NativeRequest& request, const std::string& operation, const std::string& expected) {
  EXPECT_EQ(request.operation, operation);
  EXPECT_EQ(json::value(request.input), json::parse(expected)) << json::serialize(request.input);
}

// ------------------------------------------------------------------------------------------------
TEST(PartiqlTranslate, SelectWholeKeyIsGetItem) {
  ExpectInput(Ok("SELECT * FROM Music WHERE Artist = 'Acme' AND SongTitle = 'PartiQL Rocks'"), "GetItem",
              R"J({"TableName":"Music","Key":{"Artist":{"S":"Acme"},"SongTitle":{"S":"PartiQL Rocks"}}})J");
  ExpectInput(Ok(R"(SELECT * FROM "Users" WHERE ? = pk)", R"J([{"S":"u1"}])J"), "GetItem",
              R"J({"TableName":"Users","Key":{"pk":{"S":"u1"}}})J");
}

TEST(PartiqlTranslate, SelectProjectionUsesPlaceholders) {
  NativeRequest request = Ok("SELECT name, address.city, tags[1] FROM Users WHERE pk = 1");
  ExpectInput(request, "GetItem",
              R"J({"TableName":"Users","Key":{"pk":{"N":"1"}},"ProjectionExpression":"#n0, #n1.#n2, #n3[1]",
                  "ExpressionAttributeNames":{"#n0":"name","#n1":"address","#n2":"city","#n3":"tags"}})J");
  ASSERT_EQ(request.projection.size(), 3u);
}

TEST(PartiqlTranslate, SelectPartitionKeyIsQuery) {
  ExpectInput(Ok("SELECT * FROM Music WHERE Artist = 'Acme'"), "Query",
              R"J({"TableName":"Music","KeyConditionExpression":"#n0 = :v0",
                  "ExpressionAttributeNames":{"#n0":"Artist"},"ExpressionAttributeValues":{":v0":{"S":"Acme"}}})J");
}

TEST(PartiqlTranslate, SelectSortConditionAndFilter) {
  ExpectInput(Ok("SELECT * FROM Music WHERE Artist = ? AND SongTitle > 'B' AND Awards >= 2", R"J([{"S":"Acme"}])J"), "Query",
              R"J({"TableName":"Music","KeyConditionExpression":"#n0 = :v0 AND #n1 > :v1","FilterExpression":"(#n2 >= :v2)",
                  "ExpressionAttributeNames":{"#n0":"Artist","#n1":"SongTitle","#n2":"Awards"},
                  "ExpressionAttributeValues":{":v0":{"S":"Acme"},":v1":{"S":"B"},":v2":{"N":"2"}}})J");
  // value op key is flipped so the key comes first.
  EXPECT_EQ(Ok("SELECT * FROM Music WHERE Artist = 'a' AND 'B' < SongTitle").input.at("KeyConditionExpression"), "#n0 = :v0 AND #n1 > :v1");
  EXPECT_EQ(Ok("SELECT * FROM Music WHERE Artist = 'a' AND SongTitle BETWEEN 'a' AND 'c'").input.at("KeyConditionExpression"),
            "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
  EXPECT_EQ(Ok("SELECT * FROM Music WHERE Artist = 'a' AND begins_with(SongTitle, 'P')").input.at("KeyConditionExpression"),
            "#n0 = :v0 AND begins_with(#n1, :v1)");
}

TEST(PartiqlTranslate, SelectWholeKeyWithPredicateIsQueryWithFilter) {
  NativeRequest request = Ok("SELECT * FROM Music WHERE Artist = 'a' AND SongTitle = 's' AND Price < 10");
  EXPECT_EQ(request.operation, "Query");
  EXPECT_EQ(request.input.at("KeyConditionExpression"), "#n0 = :v0 AND #n1 = :v1");
  EXPECT_EQ(request.input.at("FilterExpression"), "(#n2 < :v2)");
}

TEST(PartiqlTranslate, SelectWithoutPartitionEqualityIsScan) {
  ExpectInput(Ok("SELECT * FROM Music"), "Scan", R"J({"TableName":"Music"})J");
  ExpectInput(Ok("SELECT * FROM Music WHERE Artist = 'a' OR Artist = 'b'"), "Scan",
              R"J({"TableName":"Music","FilterExpression":"(#n0 = :v0) OR (#n0 = :v1)",
                  "ExpressionAttributeNames":{"#n0":"Artist"},"ExpressionAttributeValues":{":v0":{"S":"a"},":v1":{"S":"b"}}})J");
  ExpectInput(Ok("SELECT * FROM Music WHERE Artist IN ['a', 'b']"), "Scan",
              R"J({"TableName":"Music","FilterExpression":"#n0 IN (:v0, :v1)",
                  "ExpressionAttributeNames":{"#n0":"Artist"},"ExpressionAttributeValues":{":v0":{"S":"a"},":v1":{"S":"b"}}})J");
  // A second condition on a key cannot go into a Query filter, so the whole WHERE filters a Scan.
  EXPECT_EQ(Ok("SELECT * FROM Music WHERE Artist = 'a' AND SongTitle > 'a' AND SongTitle < 'z'").operation, "Scan");
  EXPECT_EQ(Ok("SELECT * FROM Music WHERE Artist = 'a' AND SongTitle <> 'x'").operation, "Scan");
}

TEST(PartiqlTranslate, SelectFromIndex) {
  ExpectInput(Ok(R"(SELECT * FROM "Music"."ByAlbum" WHERE Album = 'X' ORDER BY "Year" DESC)"), "Query",
              R"J({"TableName":"Music","IndexName":"ByAlbum","KeyConditionExpression":"#n0 = :v0","ScanIndexForward":false,
                  "ExpressionAttributeNames":{"#n0":"Album"},"ExpressionAttributeValues":{":v0":{"S":"X"}}})J");
  // The index's whole key is still a Query (GetItem cannot read indexes).
  EXPECT_EQ(Ok(R"(SELECT * FROM "Music"."ByAlbum" WHERE Album = 'X' AND "Year" = 1999)").operation, "Query");
  ExpectInput(Ok(R"(SELECT * FROM "Music"."ByAlbum")"), "Scan", R"J({"TableName":"Music","IndexName":"ByAlbum"})J");
  EXPECT_EQ(ErrorOf(R"(SELECT * FROM "Music"."Nope")"), "ValidationException: The table does not have the specified index: Nope");
}

TEST(PartiqlTranslate, OrderByRules) {
  EXPECT_FALSE(Ok("SELECT * FROM Music WHERE Artist = 'a' ORDER BY SongTitle ASC").input.contains("ScanIndexForward"));
  EXPECT_EQ(Ok("SELECT * FROM Music WHERE Artist = 'a' ORDER BY Artist, SongTitle DESC").input.at("ScanIndexForward"), false);
  EXPECT_EQ(ErrorOf("SELECT * FROM Music ORDER BY SongTitle"),
            "ValidationException: Must have WHERE clause in the statement when using ORDER BY clause.");
  EXPECT_EQ(ErrorOf("SELECT * FROM Music WHERE Artist = 'a' ORDER BY Price"),
            "ValidationException: Variable reference Price in ORDER BY clause must be part of the primary key");
  EXPECT_EQ(ErrorOf("SELECT * FROM Music WHERE Price = 1 ORDER BY SongTitle"),
            "ValidationException: Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause.");
}

TEST(PartiqlTranslate, PredicatesBecomeConditionExpressions) {
  auto filter = [](const std::string& where, const std::string& parameters = "[]") {
    NativeRequest request = Ok("SELECT * FROM Users WHERE " + where, parameters);
    return request.input.contains("FilterExpression") ? std::string(request.input.at("FilterExpression").as_string()) : "";
  };
  EXPECT_EQ(filter("a <> 1 AND b != 2"), "(#n0 <> :v0) AND (#n1 <> :v1)");
  EXPECT_EQ(filter("NOT a = 1 OR b BETWEEN 1 AND 5"), "(NOT (#n0 = :v0)) OR (#n1 BETWEEN :v1 AND :v2)");
  EXPECT_EQ(filter("a IS MISSING AND b IS NOT MISSING"), "(attribute_not_exists(#n0)) AND (attribute_exists(#n1))");
  EXPECT_EQ(filter("a IS NULL"), "attribute_type(#n0, :v0)");
  EXPECT_EQ(filter("a IS NOT STRING"), "NOT attribute_type(#n0, :v0)");
  EXPECT_EQ(filter("begins_with(a, 'x') AND contains(\"b\", 3)"), "(begins_with(#n0, :v0)) AND (contains(#n1, :v1))");
  EXPECT_EQ(filter("attribute_type(a, 'N')"), "attribute_type(#n0, :v0)");
  EXPECT_EQ(filter("size(a) > 3"), "size(#n0) > :v0");
  EXPECT_EQ(filter("a.b[2].c = a.d"), "#n0.#n1[2].#n2 = #n0.#n3");
  EXPECT_EQ(filter("a IN ?", R"J([{"L":[{"S":"x"},{"N":"1"}]}])J"), "#n0 IN (:v0, :v1)");
  EXPECT_EQ(filter("a NOT IN (1, 2)"), "NOT (#n0 IN (:v0, :v1))");
  EXPECT_EQ(filter("a IN (?)", R"J([{"S":"x"}])J"), "#n0 IN (:v0)");  // a one-element list, not a list parameter
  EXPECT_EQ(filter("a = {'k': [1, <<'x', 'y'>>]}"), "#n0 = :v0");
  NativeRequest request = Ok("SELECT * FROM Users WHERE a = {'k': [1, <<'x', 'y'>>, NULL, TRUE]}");
  EXPECT_EQ(request.input.at("ExpressionAttributeValues"),
            json::parse(R"J({":v0":{"M":{"k":{"L":[{"N":"1"},{"SS":["x","y"]},{"NULL":true},{"BOOL":true}]}}}})J"));
  // Reserved words are fine: every name is a placeholder.
  EXPECT_EQ(filter("\"select\" = 1 AND \"size\".\"value\" = 2"), "(#n0 = :v0) AND (#n1.#n2 = :v1)");
}

TEST(PartiqlTranslate, PredicateErrors) {
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a = MISSING"), "ValidationException: MISSING must be compared using IS operator");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a"),
            "ValidationException: WHERE clause must contain an expression that resolves to a boolean");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE lower(a) = 'x'"), "ValidationException: Unrecognized function: lower");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a IS WIDGET"),
            "ValidationException: Unsupported data type for IS operator: WIDGET. Supported data types are [MISSING, NULL, "
            "BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a IN []"),
            "ValidationException: IN operator must have a left hand argument of type Variable Reference and right hand "
            "argument of type Seq with at least one member");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a + 1 = 2"), "ValidationException: Unsupported operator in Condition Expression. Operator: +");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a = <<>>"), "ValidationException: Empty bags are not supported");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE a = <<[1]>>"),
            "ValidationException: Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags");
  EXPECT_NE(ErrorOf("SELECT * FROM Users WHERE a = <<1, 'x'>>").find("Unexpected data type STRING in Number Set"), std::string::npos);
}

TEST(PartiqlTranslate, Parameters) {
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE pk = ?"),
            "ValidationException: Number of parameters in request and statement don't match.");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE pk = 1", R"J([{"S":"x"}])J"),
            "ValidationException: Number of parameters in request and statement don't match.");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE pk = ?", R"J([{}])J"),
            "ValidationException: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE pk = ?", R"J([{"S":"a","N":"1"}])J"),
            "ValidationException: Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
            "supported datatypes");
  ExpectInput(Ok("SELECT * FROM Users WHERE pk = ? AND a = <<?, ?>>", R"J([{"S":"k"},{"N":"1"},{"N":"2"}])J"), "Query",
              R"J({"TableName":"Users","KeyConditionExpression":"#n0 = :v0","FilterExpression":"(#n1 = :v1)",
                  "ExpressionAttributeNames":{"#n0":"pk","#n1":"a"},
                  "ExpressionAttributeValues":{":v0":{"S":"k"},":v1":{"NS":["1","2"]}}})J");
}

TEST(PartiqlTranslate, UnknownTable) {
  EXPECT_EQ(ErrorOf("SELECT * FROM Nope"), "ResourceNotFoundException: Requested resource not found");
  EXPECT_EQ(ErrorOf("INSERT INTO Nope VALUE {'a': 1}"), "ResourceNotFoundException: Requested resource not found");
}

// ------------------------------------------------------------------------------------------------
TEST(PartiqlTranslate, InsertIsConditionalPut) {
  ExpectInput(Ok("INSERT INTO Music VALUE {'Artist': ?, 'SongTitle': 'x', 'Tags': <<'a','b'>>, 'Gone': MISSING, 'Map': {'n': -1.5e3}}",
                 R"J([{"S":"Acme"}])J"),
              "PutItem",
              R"J({"TableName":"Music","Item":{"Artist":{"S":"Acme"},"SongTitle":{"S":"x"},"Tags":{"SS":["a","b"]},
                  "Map":{"M":{"n":{"N":"-1.5e3"}}}},
                  "ConditionExpression":"attribute_not_exists(#n0)","ExpressionAttributeNames":{"#n0":"Artist"}})J");
  ExpectInput(Ok("INSERT INTO Users VALUE ?", R"J([{"M":{"pk":{"S":"p"}}}])J"), "PutItem",
              R"J({"TableName":"Users","Item":{"pk":{"S":"p"}},"ConditionExpression":"attribute_not_exists(#n0)",
                  "ExpressionAttributeNames":{"#n0":"pk"}})J");
}

TEST(PartiqlTranslate, InsertErrors) {
  EXPECT_EQ(ErrorOf("INSERT INTO Music VALUE {'Artist': 'a'}"),
            "ValidationException: Key attribute should be present in the item: Key SongTitle");
  EXPECT_EQ(ErrorOf("INSERT INTO Users VALUE [1]"),
            "ValidationException: Unsupported format in item expression. Please use struct format {...} to express item values "
            "for insert statement.");
  EXPECT_EQ(ErrorOf("INSERT INTO Users VALUE {'pk': 1, 'pk': 2}"), "ValidationException: Duplicate keys in tuple. Key: pk under item");
  EXPECT_EQ(ErrorOf("INSERT INTO Users VALUE {1: 1}"),
            "ValidationException: Tuple keys must be of type String. Actual type: DECIMAL under item");
  EXPECT_EQ(ErrorOf(R"(INSERT INTO "Music"."ByAlbum" VALUE {'pk': 1})"),
            "ValidationException: FROM clause may only contain a single table name in data manipulation statements");
}

TEST(PartiqlTranslate, UpdateIsConditionalUpdateItem) {
  ExpectInput(Ok("UPDATE Music SET Awards = Awards + 1 SET \"Tags\" = list_append(Tags, [?]) REMOVE Old, x.y[0] "
                 "WHERE Artist = 'a' AND SongTitle = 's' RETURNING MODIFIED NEW *",
                 R"J([{"S":"t"}])J"),
              "UpdateItem",
              R"J({"TableName":"Music","Key":{"Artist":{"S":"a"},"SongTitle":{"S":"s"}},
                  "UpdateExpression":"SET #n0 = #n0 + :v0, #n1 = list_append(#n1, :v1) REMOVE #n2, #n3.#n4[0]",
                  "ConditionExpression":"attribute_exists(#n5)","ReturnValues":"UPDATED_NEW",
                  "ExpressionAttributeNames":{"#n0":"Awards","#n1":"Tags","#n2":"Old","#n3":"x","#n4":"y","#n5":"Artist"},
                  "ExpressionAttributeValues":{":v0":{"N":"1"},":v1":{"L":[{"S":"t"}]}}})J");
}

TEST(PartiqlTranslate, UpdateSetFunctionsAndExtraPredicates) {
  ExpectInput(Ok("UPDATE Users SET s = set_add(s, <<'a'>>), n = set_delete(n, <<1>>), c = if_not_exists(c, 0) "
                 "WHERE pk = 'p' AND v = 3 RETURNING ALL OLD *"),
              "UpdateItem",
              R"J({"TableName":"Users","Key":{"pk":{"S":"p"}},
                  "UpdateExpression":"SET #n2 = if_not_exists(#n2, :v2) ADD #n0 :v0 DELETE #n1 :v1",
                  "ConditionExpression":"attribute_exists(#n3) AND (#n4 = :v3)","ReturnValues":"ALL_OLD",
                  "ExpressionAttributeNames":{"#n0":"s","#n1":"n","#n2":"c","#n3":"pk","#n4":"v"},
                  "ExpressionAttributeValues":{":v0":{"SS":["a"]},":v1":{"NS":["1"]},":v2":{"N":"0"},":v3":{"N":"3"}}})J");
  EXPECT_EQ(Ok("UPDATE Users SET a = 1 WHERE pk = 'p' RETURNING ALL NEW *").input.at("ReturnValues"), "ALL_NEW");
  EXPECT_EQ(Ok("UPDATE Users SET a = 1 WHERE pk = 'p' RETURNING MODIFIED OLD *").input.at("ReturnValues"), "UPDATED_OLD");
  EXPECT_FALSE(Ok("UPDATE Users SET a = 1 WHERE pk = 'p'").input.contains("ReturnValues"));
}

TEST(PartiqlTranslate, UpdateErrors) {
  const std::string incomplete = "ValidationException: Where clause does not contain a mandatory equality on all key attributes";
  EXPECT_EQ(ErrorOf("UPDATE Music SET a = 1 WHERE Artist = 'a'"), incomplete);
  EXPECT_EQ(ErrorOf("UPDATE Music SET a = 1"), incomplete);
  EXPECT_EQ(ErrorOf("UPDATE Music SET a = 1 WHERE Artist = 'a' OR SongTitle = 's'"), incomplete);
  EXPECT_EQ(ErrorOf("UPDATE Music SET a = 1 WHERE Artist > 'a' AND SongTitle = 's'"), incomplete);
  EXPECT_EQ(ErrorOf("UPDATE Users SET a = 1 WHERE pk = 'a' AND pk = 'b'"),
            "ValidationException: Multiple conditions on same key pk. Only single item Update/Insert/Delete are supported");
  EXPECT_EQ(ErrorOf("UPDATE Users SET s = set_add(t, <<1>>) WHERE pk = 'a'"),
            "ValidationException: The first argument to SET_ADD must equal the assignment value");
  EXPECT_EQ(ErrorOf("UPDATE Users SET s = set_delete(s, [1]) WHERE pk = 'a'"),
            "ValidationException: The second argument to SET_DELETE must be a value with type SET");
  EXPECT_EQ(ErrorOf("UPDATE Users SET s = set_add(s) WHERE pk = 'a'"), "ValidationException: SET_ADD must have exactly two arguments");
  EXPECT_EQ(ErrorOf("UPDATE Users SET s = upper(s) WHERE pk = 'a'"), "ValidationException: Unrecognized function: upper");
  // The same key value twice is one condition.
  EXPECT_EQ(Ok("UPDATE Users SET a = 1 WHERE pk = 'a' AND 'a' = pk").input.at("ConditionExpression"), "attribute_exists(#n1)");
}

TEST(PartiqlTranslate, DeleteIsDeleteItem) {
  ExpectInput(Ok("DELETE FROM Music WHERE Artist = 'a' AND SongTitle = ? RETURNING ALL OLD *", R"J([{"S":"s"}])J"), "DeleteItem",
              R"J({"TableName":"Music","Key":{"Artist":{"S":"a"},"SongTitle":{"S":"s"}},"ReturnValues":"ALL_OLD"})J");
  // Extra predicates must hold on an existing item; a missing item stays a silent no-op.
  ExpectInput(Ok("DELETE FROM Users WHERE pk = 'p' AND \"name\" = 'x'"), "DeleteItem",
              R"J({"TableName":"Users","Key":{"pk":{"S":"p"}},
                  "ConditionExpression":"attribute_not_exists(#n1) OR ((#n0 = :v0))",
                  "ExpressionAttributeNames":{"#n0":"name","#n1":"pk"},"ExpressionAttributeValues":{":v0":{"S":"x"}}})J");
  EXPECT_EQ(ErrorOf("DELETE FROM Users WHERE pk = 'p' RETURNING MODIFIED OLD *"),
            "ValidationException: Invalid returning clause: RETURNING MODIFIED OLD *. Only RETURNING ALL OLD * is allowed in "
            "DELETE statements.");
  EXPECT_EQ(ErrorOf("DELETE FROM Users WHERE \"name\" = 'x'"),
            "ValidationException: Where clause does not contain a mandatory equality on all key attributes");
}

// ------------------------------------------------------------------------------------------------
TEST(PartiqlTranslate, ContextRules) {
  EXPECT_EQ(ErrorOf("EXISTS(SELECT * FROM Users WHERE pk = 'p')"),
            "ValidationException: EXISTS can only be used in ExecuteTransaction write requests.");
  ExpectInput(Ok("EXISTS(SELECT * FROM Users WHERE pk = 'p' AND a IS MISSING)", "[]", Context::Transaction), "ConditionCheck",
              R"J({"TableName":"Users","Key":{"pk":{"S":"p"}},
                  "ConditionExpression":"attribute_exists(#n0) AND (attribute_not_exists(#n1))",
                  "ExpressionAttributeNames":{"#n0":"pk","#n1":"a"}})J");
  EXPECT_EQ(ErrorOf("EXISTS(SELECT * FROM Music WHERE Artist = 'a')", "[]", Context::Transaction),
            "ValidationException: EXISTS() must contain a single item read with additional condition");
  EXPECT_EQ(ErrorOf("SELECT * FROM Music WHERE Artist = 'a'", "[]", Context::Transaction),
            "ValidationException: Select statements within ExecuteTransaction must specify the primary key in the where clause.");
  EXPECT_EQ(ErrorOf(R"(SELECT * FROM "Music"."ByAlbum" WHERE Album = 'a' AND "Year" = 1)", "[]", Context::Transaction),
            "ValidationException: Reads on indices are not supported within transactions.");
  EXPECT_EQ(ErrorOf("UPDATE Users SET a = 1 WHERE pk = 'p' RETURNING ALL NEW *", "[]", Context::Transaction),
            "ValidationException: RETURNING clause is not supported in ExecuteTransaction.");
  EXPECT_EQ(ErrorOf("SELECT * FROM Music WHERE Artist = 'a'", "[]", Context::Batch),
            "ValidationException: Where clause does not contain a mandatory equality on all key attributes");
  EXPECT_EQ(ErrorOf("SELECT * FROM Users WHERE pk = 'a' AND x = 1", "[]", Context::Batch),
            "ValidationException: Only single item select is supported");
  EXPECT_EQ(Ok("SELECT * FROM Users WHERE pk = 'a'", "[]", Context::Batch).operation, "GetItem");
}

TEST(PartiqlTranslate, ReshapeNamesProjectedValuesAfterTheirLastStep) {
  Result<Statement> statement = ParseStatement("SELECT a.b, tags[3], tags[1], c FROM Users");
  ASSERT_TRUE(statement.ok());
  // What DynamoDB returns for ProjectionExpression a.b, tags[3], tags[1], c: list elements packed.
  json::object projected = json::parse(R"J({"a":{"M":{"b":{"S":"deep"}}},"tags":{"L":[{"S":"one"},{"S":"three"}]}})J").as_object();
  EXPECT_EQ(json::value(ReshapeItem(projected, statement->projection)),
            json::parse(R"J({"b":{"S":"deep"},"_2":{"S":"three"},"_3":{"S":"one"}})J"));
  EXPECT_EQ(ErrorOf("SELECT a.x, b.x FROM Users"), "ValidationException: Duplicate identifiers in select clause: x");
}

}  // namespace
}  // namespace mallard::dynamodb::partiql

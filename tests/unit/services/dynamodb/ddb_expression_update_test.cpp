// UpdateExpression: validation messages and application to items, as tables of cases.
#include <gtest/gtest.h>

#include "ddb_expression_test_util.hpp"
#include "services/dynamodb/expression/ddb_expression.hpp"

namespace mallard::dynamodb {
namespace {

using testing::InputsOf;
using testing::JsonOf;
using testing::MapOf;

const char* kNames = R"({"#l": "lst", "#n": "name"})";
const char* kValues = R"({":s": {"S": "x"}, ":n": {"N": "2"}, ":big": {"N": "9.9999999999999999999999999999999999999e125"},
  ":ss": {"SS": ["b", "c"]}, ":ns": {"NS": ["1"]}, ":l": {"L": [{"S": "z"}]}, ":m": {"M": {"k": {"S": "v"}}},
  ":b": {"BOOL": true}, ":del": {"SS": ["a", "b"]}})";
const char* kItem = R"({"pk": {"S": "k"}, "num": {"N": "10"}, "str": {"S": "s"}, "set": {"SS": ["a", "b"]},
  "lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]}, "mp": {"M": {"x": {"N": "1"}, "inl": {"L": [{"N": "1"}]}}}})";

struct ApplyCase {
  const char* expression;
  const char* expected;  // JSON of the new item, or the error message
  bool error = false;
};

class UpdateApply : public ::testing::TestWithParam<ApplyCase> {};

TEST_P(UpdateApply, Result) {
  const ApplyCase& c = GetParam();
  auto inputs = InputsOf(kNames, kValues);
  auto update = ParseUpdate(c.expression, inputs);
  ASSERT_TRUE(update.ok()) << c.expression << ": " << update.error().message;
  Item old_item = MapOf(kItem);
  auto result = update->Apply(&old_item, MapOf(R"({"pk": {"S": "k"}})"));
  if (c.error) {
    ASSERT_FALSE(result.ok()) << c.expression;
    EXPECT_EQ(result.error().message, c.expected) << c.expression;
    EXPECT_EQ(result.error().code, "ValidationException");
  } else {
    ASSERT_TRUE(result.ok()) << c.expression << ": " << result.error().message;
    // Only the attributes the case names are compared, plus everything else unchanged.
    Item expected = old_item;
    for (auto& [name, value] : MapOf(c.expected)) expected[name] = value;
    for (auto it = expected.begin(); it != expected.end();) {
      if (it->second.type == AttrType::NUL) it = expected.erase(it);  // {"NULL": true} marks a removed attribute
      else ++it;
    }
    EXPECT_EQ(JsonOf(*result), JsonOf(expected)) << c.expression;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, UpdateApply,
    ::testing::Values(
        ApplyCase{"SET a = :s", R"({"a": {"S": "x"}})"},
        ApplyCase{"set a = :s, b = num", R"({"a": {"S": "x"}, "b": {"N": "10"}})"},
        ApplyCase{"SET num = num + :n", R"({"num": {"N": "12"}})"},
        ApplyCase{"SET num = :n - num", R"({"num": {"N": "-8"}})"},
        ApplyCase{"SET a = num, num = :n", R"({"a": {"N": "10"}, "num": {"N": "2"}})"},
        ApplyCase{"SET num = :n, a = num", R"({"a": {"N": "10"}, "num": {"N": "2"}})"},
        ApplyCase{"SET a = if_not_exists(a, :n)", R"({"a": {"N": "2"}})"},
        ApplyCase{"SET num = if_not_exists(num, :n) + :n", R"({"num": {"N": "12"}})"},
        ApplyCase{"SET lst = list_append(lst, :l)",
                  R"({"lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}, {"S": "z"}]}})"},
        ApplyCase{"SET lst = list_append(:l, #l)",
                  R"({"lst": {"L": [{"S": "z"}, {"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]}})"},
        ApplyCase{"SET a = list_append(if_not_exists(a, :l), :l)", R"({"a": {"L": [{"S": "z"}, {"S": "z"}]}})"},
        ApplyCase{"SET #l[1] = :s", R"({"lst": {"L": [{"S": "a"}, {"S": "x"}, {"S": "c"}, {"S": "d"}]}})"},
        ApplyCase{"SET #l[10] = :s", R"({"lst": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}, {"S": "x"}]}})"},
        ApplyCase{"SET mp.y = :s, mp.inl[0] = :n", R"({"mp": {"M": {"x": {"N": "1"}, "y": {"S": "x"}, "inl": {"L": [{"N": "2"}]}}}})"},
        ApplyCase{"SET mp.x = mp.x + :n", R"({"mp": {"M": {"x": {"N": "3"}, "inl": {"L": [{"N": "1"}]}}}})"},
        ApplyCase{"SET a = (num + :n)", R"({"a": {"N": "12"}})"},
        ApplyCase{"SET a = (num) - (:n)", R"({"a": {"N": "8"}})"},
        ApplyCase{"REMOVE str, nope", R"({"str": {"NULL": true}})"},
        ApplyCase{"REMOVE #l[1]", R"({"lst": {"L": [{"S": "a"}, {"S": "c"}, {"S": "d"}]}})"},
        ApplyCase{"REMOVE #l[1], #l[2]", R"({"lst": {"L": [{"S": "a"}, {"S": "d"}]}})"},
        ApplyCase{"REMOVE #l[2], #l[0]", R"({"lst": {"L": [{"S": "b"}, {"S": "d"}]}})"},
        ApplyCase{"REMOVE #l[9]", "{}"},
        ApplyCase{"REMOVE mp.x", R"({"mp": {"M": {"inl": {"L": [{"N": "1"}]}}}})"},
        ApplyCase{"SET #l[0] = :s REMOVE #l[1]", R"({"lst": {"L": [{"S": "x"}, {"S": "c"}, {"S": "d"}]}})"},
        ApplyCase{"ADD num :n", R"({"num": {"N": "12"}})"},
        ApplyCase{"ADD newnum :n, newset :ss", R"({"newnum": {"N": "2"}, "newset": {"SS": ["b", "c"]}})"},
        ApplyCase{"ADD #n :ss", R"({"name": {"SS": ["b", "c"]}})"},
        ApplyCase{"DELETE nope :ss", "{}"},
        ApplyCase{"SET a = :s REMOVE str ADD num :n", R"({"a": {"S": "x"}, "str": {"NULL": true}, "num": {"N": "12"}})"},
        // runtime errors
        ApplyCase{"SET a = nope", "The provided expression refers to an attribute that does not exist in the item", true},
        ApplyCase{"SET a = str + :n", "An operand in the update expression has an incorrect data type", true},
        ApplyCase{"SET a = list_append(str, :l)", "An operand in the update expression has an incorrect data type", true},
        ApplyCase{"SET nope.x = :s", "The document path provided in the update expression is invalid for update", true},
        ApplyCase{"SET str[0] = :s", "The document path provided in the update expression is invalid for update", true},
        ApplyCase{"SET mp[0] = :s", "The document path provided in the update expression is invalid for update", true},
        ApplyCase{"ADD str :n", "An operand in the update expression has an incorrect data type", true},
        ApplyCase{"ADD num :ss", "An operand in the update expression has an incorrect data type", true},
        ApplyCase{"DELETE num :ss", "An operand in the update expression has an incorrect data type", true},
        ApplyCase{"SET num = :big + :big",
                  "Number overflow. Attempting to store a number with magnitude larger than supported range", true}));

TEST(UpdateApplyTest, SetUnionDeleteAndEmptySetRemoval) {
  auto inputs = InputsOf("", R"({":add": {"SS": ["b", "c"]}, ":del": {"SS": ["a", "b"]}, ":all": {"SS": ["a", "b", "c", "q"]},
                                 ":ns": {"NS": ["1.0", "3"]}})");
  Item item = MapOf(R"({"pk": {"S": "k"}, "s": {"SS": ["a", "b"]}, "n": {"NS": ["1", "2"]}})");
  auto add = ParseUpdate("ADD s :add, n :ns", inputs);
  ASSERT_TRUE(add.ok());
  auto added = add->Apply(&item, {});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ((*added)["s"].byte_set, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ((*added)["n"].number_set.size(), 3u);
  auto del = ParseUpdate("DELETE s :del", inputs);
  ASSERT_TRUE(del.ok());
  auto deleted = del->Apply(&*added, {});
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ((*deleted)["s"].byte_set, (std::vector<std::string>{"c"}));
  auto all = ParseUpdate("DELETE s :all", inputs);
  ASSERT_TRUE(all.ok());
  auto emptied = all->Apply(&*deleted, {});
  ASSERT_TRUE(emptied.ok());
  EXPECT_EQ(emptied->count("s"), 0u);
}

TEST(UpdateApplyTest, NewItemStartsFromKeyAndUpdatedProjection) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}, ":one": {"N": "1"}})");
  auto update = ParseUpdate("SET a.b = :v", inputs);
  ASSERT_TRUE(update.ok());
  auto missing_parent = update->Apply(nullptr, MapOf(R"({"pk": {"S": "k"}})"));
  ASSERT_FALSE(missing_parent.ok());
  EXPECT_EQ(missing_parent.error().message, "The document path provided in the update expression is invalid for update");

  auto counter = ParseUpdate("ADD hits :one SET cp = pk, m.q = :v", inputs);
  ASSERT_TRUE(counter.ok());
  Item old_item = MapOf(R"({"pk": {"S": "k"}, "m": {"M": {"q": {"S": "old"}, "keep": {"S": "k"}}}, "other": {"N": "1"}})");
  auto created = counter->Apply(nullptr, MapOf(R"({"pk": {"S": "k"}, "m": {"M": {}}})"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(JsonOf(*created), JsonOf(MapOf(R"({"pk": {"S": "k"}, "hits": {"N": "1"}, "cp": {"S": "k"}, "m": {"M": {"q": {"S": "x"}}}})")));
  EXPECT_EQ(counter->TopLevelNames(), (std::vector<std::string>{"hits", "cp", "m"}));
  EXPECT_EQ(JsonOf(counter->ProjectUpdated(old_item)), JsonOf(MapOf(R"({"m": {"M": {"q": {"S": "old"}}}})")));
}

struct UpdateErrorCase {
  const char* expression;
  const char* message;
};

class UpdateErrors : public ::testing::TestWithParam<UpdateErrorCase> {};

TEST_P(UpdateErrors, AwsMessage) {
  const UpdateErrorCase& c = GetParam();
  auto inputs = InputsOf(R"({"#a": "a"})", R"({":v": {"S": "x"}, ":n": {"N": "1"}, ":l": {"L": []}, ":ss": {"SS": ["a"]},
                                             ":b": {"BOOL": false}, ":m": {"M": {}}})");
  auto update = ParseUpdate(c.expression, inputs);
  ASSERT_FALSE(update.ok()) << c.expression;
  EXPECT_EQ(update.error().message, c.message) << c.expression;
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, UpdateErrors,
    ::testing::Values(
        UpdateErrorCase{"INVALID SYNTAX HERE", "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""},
        UpdateErrorCase{"SET", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\""},
        UpdateErrorCase{"SET a = b +", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"+\""},
        UpdateErrorCase{"SET a = b / :v", "Invalid UpdateExpression: Syntax error; token: \"/\", near: \"b / :v\""},
        UpdateErrorCase{"SET a = :v,", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\""},
        UpdateErrorCase{"REMOVE a = :v", "Invalid UpdateExpression: Syntax error; token: \"=\", near: \"a = :v\""},
        UpdateErrorCase{"ADD a", "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"a\""},
        UpdateErrorCase{"", "Invalid UpdateExpression: The expression can not be empty;"},
        UpdateErrorCase{"SET a = :v SET b = :v", "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"},
        UpdateErrorCase{"remove a REMOVE b", "Invalid UpdateExpression: The \"REMOVE\" section can only be used once in an update expression;"},
        UpdateErrorCase{"SET name = :v", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"},
        UpdateErrorCase{"SET a = :x", "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :x"},
        UpdateErrorCase{"SET #x = :v", "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
        UpdateErrorCase{"SET a = :v, a = :n", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
        UpdateErrorCase{"SET a.b = :v REMOVE #a", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"},
        UpdateErrorCase{"SET a.b = :v REMOVE a[0]", "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a, [0]]"},
        UpdateErrorCase{"ADD a :v", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
        UpdateErrorCase{"ADD a :l", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: LIST"},
        UpdateErrorCase{"DELETE a :n", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
        UpdateErrorCase{"DELETE a :b", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: BOOLEAN"},
        UpdateErrorCase{"SET a = :v + :n", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
        UpdateErrorCase{"SET a = list_append(:m, b)", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: M"},
        UpdateErrorCase{"SET a = if_not_exists(:v, b)", "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"},
        UpdateErrorCase{"SET a = if_not_exists(b)", "Invalid UpdateExpression: Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1"},
        UpdateErrorCase{"SET a = foo(b)", "Invalid UpdateExpression: Invalid function name; function: foo"},
        UpdateErrorCase{"SET a = size(b)", "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"},
        UpdateErrorCase{"SET name = foo(b)", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"}));

TEST(UpdateLimitsTest, HostileInputsNeverCrash) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}})");
  std::string deep = "SET a = " + std::string(2000, '(') + ":v" + std::string(2000, ')');
  std::string nested = "SET a = ";
  for (int i = 0; i < 500; ++i) nested += "list_append(";
  EXPECT_FALSE(ParseUpdate(deep, inputs).ok());
  EXPECT_FALSE(ParseUpdate(nested, inputs).ok());
  EXPECT_FALSE(ParseUpdate(std::string(5000, 'a'), inputs).ok());
  std::string many = "SET a0=b+:v";
  for (int i = 1; i < 301; ++i) many += ",a" + std::to_string(i) + "=b+:v";
  ASSERT_LT(many.size(), 4096u);
  auto result = ParseUpdate(many, inputs);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "Invalid UpdateExpression: The expression contains too many operators; operator count: 301");
}

}  // namespace
}  // namespace mallard::dynamodb

// Condition / filter / projection / key-condition expressions: parsing, AWS's validation messages
// and evaluation, as tables of cases.
#include "services/dynamodb/expression/ddb_expression.hpp"

#include <gtest/gtest.h>

#include "ddb_expression_test_util.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"

namespace mallard::dynamodb {
namespace {

using testing::InputsOf;
using testing::JsonOf;
using testing::MapOf;

const char* kItem = R"({
  "pk": {"S": "p1"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": "AQID"}, "t": {"BOOL": true}, "z": {"NULL": true},
  "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.50"]}, "bs": {"BS": ["AQ=="]},
  "l": {"L": [{"S": "a"}, {"N": "1"}, {"L": [{"S": "deep"}]}]},
  "m": {"M": {"k": {"S": "v"}, "child": {"M": {"x": {"N": "10"}}}, "lst": {"L": [{"N": "7"}]}}},
  "u": {"S": "\u00e9\ud834\udd1e"}, "name": {"S": "reserved"}, "dot.ted": {"S": "literal"}
})";

const char* kNames = R"({"#n": "name", "#d": "dot.ted", "#m": "m", "#k": "k", "#missing": "nope"})";
const char* kValues = R"({":s": {"S": "hello"}, ":n": {"N": "5"}, ":n5": {"N": "5.0"}, ":n1": {"N": "1"}, ":n10": {"N": "10"},
  ":he": {"S": "he"}, ":x": {"S": "x"}, ":a": {"S": "a"}, ":ell": {"S": "ell"}, ":bin": {"B": "AQ=="}, ":tS": {"S": "S"},
  ":tSS": {"S": "SS"}, ":tM": {"S": "M"}, ":tbad": {"S": "STRING"}, ":true": {"BOOL": true}, ":l": {"L": [{"S": "a"}]},
  ":m": {"M": {"k": {"S": "v"}}}, ":ss": {"SS": ["y", "x"]}, ":n3": {"N": "3"}, ":n2": {"N": "2.5"}, ":deep": {"L": [{"S": "deep"}]},
  ":zero": {"N": "0"}, ":big": {"N": "1e5"}})";

struct EvalCase {
  const char* expression;
  bool expected;
};

class ConditionEval : public ::testing::TestWithParam<EvalCase> {};

TEST_P(ConditionEval, MatchesItem) {
  const EvalCase& c = GetParam();
  auto inputs = InputsOf(kNames, kValues);
  auto condition = ParseCondition(c.expression, ExpressionKind::Condition, inputs);
  ASSERT_TRUE(condition.ok()) << c.expression << ": " << condition.error().message;
  Item item = MapOf(kItem);
  auto result = condition->Evaluate(&item);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, c.expected) << c.expression;
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, ConditionEval,
    ::testing::Values(
        EvalCase{"s = :s", true}, EvalCase{"s <> :s", false}, EvalCase{"n = :n5", true}, EvalCase{"n > :n1", true},
        EvalCase{"n >= :n", true}, EvalCase{"n < :n10", true}, EvalCase{"n <= :n1", false}, EvalCase{":n10 > n", true},
        EvalCase{"s > :he", true}, EvalCase{"s = :n", false}, EvalCase{"s < :n", false}, EvalCase{"s <> :n", true},
        EvalCase{"nope = :s", false}, EvalCase{"nope <> :s", true}, EvalCase{"nope < :s", false},
        EvalCase{"n BETWEEN :n1 AND :n10", true}, EvalCase{"n BETWEEN :n AND :n10", true}, EvalCase{"n BETWEEN :zero AND :n3", false},
        EvalCase{"s BETWEEN :n1 AND :n10", false}, EvalCase{"n IN (:n1, :n5)", true}, EvalCase{"n IN (:n1)", false},
        EvalCase{"s IN (:a, :s)", true}, EvalCase{"nope IN (:a)", false}, EvalCase{"ss = :ss", true},
        EvalCase{"m.k = :ss", false}, EvalCase{"m.k = :a", false}, EvalCase{"#m.#k = :s", false}, EvalCase{"m = :m", false},
        EvalCase{"m.child.x = :n10", true}, EvalCase{"m.lst[0] > :n5", true}, EvalCase{"l[0] = :a", true},
        EvalCase{"l[2][0] = :deep", false}, EvalCase{"l[2] = :deep", true}, EvalCase{"l[3] = :a", false},
        EvalCase{"l.x = :a", false}, EvalCase{"m[0] = :a", false}, EvalCase{"#n = :s", false}, EvalCase{"#d = :s", false},
        EvalCase{"attribute_exists(#d)", true}, EvalCase{"attribute_exists(dot.ted)", false},
        EvalCase{"attribute_exists(s)", true}, EvalCase{"attribute_exists(m.child.x)", true},
        EvalCase{"attribute_not_exists(nope)", true}, EvalCase{"attribute_not_exists(m.k)", false},
        EvalCase{"attribute_exists(#missing)", false},
        EvalCase{"attribute_type(s, :tS)", true}, EvalCase{"attribute_type(ss, :tSS)", true}, EvalCase{"attribute_type(m, :tM)", true},
        EvalCase{"attribute_type(s, :tM)", false}, EvalCase{"attribute_type(nope, :tS)", false},
        EvalCase{"begins_with(s, :he)", true}, EvalCase{"begins_with(s, :ell)", false}, EvalCase{"begins_with(b, :bin)", true},
        EvalCase{"begins_with(n, :he)", false}, EvalCase{"contains(s, :ell)", true}, EvalCase{"contains(s, :x)", false},
        EvalCase{"contains(ss, :x)", true}, EvalCase{"contains(ss, :a)", false}, EvalCase{"contains(ns, :n2)", true},
        EvalCase{"contains(ns, :n3)", false}, EvalCase{"contains(bs, :bin)", true}, EvalCase{"contains(b, :bin)", true},
        EvalCase{"contains(l, :a)", true}, EvalCase{"contains(l, :n1)", true}, EvalCase{"contains(l, :deep)", true},
        EvalCase{"contains(l, :x)", false}, EvalCase{"contains(n, :n)", false}, EvalCase{"contains(ss, s)", false},
        EvalCase{"size(s) = :n", true}, EvalCase{"size(b) = :n3", true}, EvalCase{"size(ss) < :n3", true},
        EvalCase{"size(l) = :n3", true}, EvalCase{"size(m) = :n3", true}, EvalCase{"size(u) = :n3", true},
        EvalCase{"size(n) = :n1", false}, EvalCase{"size(nope) = :zero", false}, EvalCase{"size(s) > size(ss)", true},
        EvalCase{"size(s) BETWEEN :n1 AND :n10", true}, EvalCase{"n = s", false}, EvalCase{"n = m.lst[0]", false},
        EvalCase{"NOT s = :s", false}, EvalCase{"not (s = :s)", false}, EvalCase{"NOT NOT s = :s", true},
        EvalCase{"s = :s AND n = :n", true}, EvalCase{"s = :s and n = :n1", false}, EvalCase{"s = :x OR n = :n", true},
        EvalCase{"s = :x OR n = :n1 AND s = :s", false}, EvalCase{"s = :s OR n = :n1 AND s = :x", true},
        EvalCase{"(s = :s OR n = :n1) AND s = :x", false}, EvalCase{"NOT s = :x AND n = :n", true},
        EvalCase{"NOT (s = :x OR n = :n)", false}, EvalCase{"(s) = :s", true}, EvalCase{"s=:s AND(n=:n)", true},
        EvalCase{"n = :big", false}, EvalCase{"t = :true", true}, EvalCase{"attribute_type(z, :tS)", false}));

TEST(ConditionEvalTest, MissingItem) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}})");
  for (auto [text, expected] : std::vector<std::pair<const char*, bool>>{
           {"attribute_not_exists(pk)", true}, {"attribute_exists(pk)", false}, {"a = :v", false}, {"a <> :v", true},
           {"NOT contains(a, :v)", true}, {"size(a) < :v", false}}) {
    auto condition = ParseCondition(text, ExpressionKind::Condition, inputs);
    ASSERT_TRUE(condition.ok()) << text << ": " << condition.error().message;
    EXPECT_EQ(*condition->Evaluate(nullptr), expected) << text;
  }
}

struct ErrorCase {
  const char* expression;
  const char* names;
  const char* values;
  const char* message;
};

class ConditionErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConditionErrors, AwsMessage) {
  const ErrorCase& c = GetParam();
  auto inputs = InputsOf(c.names, c.values);
  auto condition = ParseCondition(c.expression, ExpressionKind::Condition, inputs);
  ASSERT_FALSE(condition.ok()) << c.expression;
  EXPECT_EQ(condition.error().code, "ValidationException");
  EXPECT_EQ(condition.error().http_status, 400);
  EXPECT_EQ(condition.error().message, c.message) << c.expression;
}

const char* kV = R"({":v": {"S": "x"}, ":w": {"S": "y"}, ":n": {"N": "1"}, ":n2": {"N": "2"}, ":b": {"BOOL": true},
  ":m": {"M": {"a": {"S": "b"}}}, ":type": {"S": "STRING"}, ":bin": {"B": "AQ=="}})";

INSTANTIATE_TEST_SUITE_P(
    Expressions, ConditionErrors,
    ::testing::Values(
        ErrorCase{"a =", "", kV, "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"=\""},
        ErrorCase{"a = :v b", "", kV, "Invalid ConditionExpression: Syntax error; token: \"b\", near: \":v b\""},
        ErrorCase{"a = = :v", "", kV, "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = :v\""},
        ErrorCase{"a ! :v", "", kV, "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a ! :v\""},
        ErrorCase{"a = 5", "", kV, "Invalid ConditionExpression: Syntax error; token: \"5\", near: \"= 5\""},
        ErrorCase{"a AND b", "", kV, "Invalid ConditionExpression: Syntax error; token: \"AND\", near: \"a AND b\""},
        ErrorCase{"(a = :v", "", kV, "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":v\""},
        ErrorCase{"a BETWEEN :n", "", kV, "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \":n\""},
        ErrorCase{"a IN :v", "", kV, "Invalid ConditionExpression: Syntax error; token: \":v\", near: \"IN :v\""},
        ErrorCase{"a[x] = :v", "", kV, "Invalid ConditionExpression: Syntax error; token: \"x\", near: \"[x]\""},
        ErrorCase{"", "", kV, "Invalid ConditionExpression: The expression can not be empty;"},
        ErrorCase{"   ", "", kV, "Invalid ConditionExpression: The expression can not be empty;"},
        ErrorCase{"name = :v", "", kV, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
        ErrorCase{"a.Size = :v", "", kV, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Size"},
        ErrorCase{"a = :nope", "", kV,
                  "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"},
        ErrorCase{"#a = :v", "", kV,
                  "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #a"},
        ErrorCase{"a = :nope AND begins_with(b, :n)", "", kV,
                  "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"},
        ErrorCase{"begins_with(b, :n) AND a = :nope", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
        ErrorCase{"begins_with(b, :b)", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: BOOL"},
        ErrorCase{"a < :b", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"},
        ErrorCase{":m >= a", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: M"},
        ErrorCase{"a BETWEEN :b AND :b", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: BETWEEN, operand type: BOOL"},
        ErrorCase{"a BETWEEN :n2 AND :n", "", kV,
                  "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                  "lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"},
        ErrorCase{"a BETWEEN :n AND :v", "", kV,
                  "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; "
                  "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}"},
        ErrorCase{"a = a", "", kV,
                  "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; "
                  "operator: =, first operand: [a]"},
        ErrorCase{"contains(a.b[1], a.b[1])", "", kV,
                  "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; "
                  "operator: contains, first operand: [a, b, [1]]"},
        ErrorCase{"attribute_exists(a, b)", "", kV,
                  "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
        ErrorCase{"attribute_exists()", "", kV,
                  "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 0"},
        ErrorCase{"attribute_exists(:v)", "", kV,
                  "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"},
        ErrorCase{"attribute_type(a, :n)", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N"},
        ErrorCase{"attribute_type(a, :type)", "", kV,
                  "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"},
        ErrorCase{"size(:n) = :n", "", kV,
                  "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: size, operand type: N"},
        ErrorCase{"foo(a)", "", kV, "Invalid ConditionExpression: Invalid function name; function: foo"},
        ErrorCase{"ATTRIBUTE_EXISTS(a)", "", kV, "Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS"},
        ErrorCase{"if_not_exists(a, :v) = :v", "", kV,
                  "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"},
        ErrorCase{"size(a)", "", kV,
                  "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"},
        ErrorCase{"size(a) AND b = :v", "", kV,
                  "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"},
        ErrorCase{"attribute_exists(a) = :v", "", kV,
                  "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
        ErrorCase{"((a = :v))", "", kV, "Invalid ConditionExpression: The expression has redundant parentheses;"},
        ErrorCase{"((a)) = :v", "", kV, "Invalid ConditionExpression: The expression has redundant parentheses;"},
        ErrorCase{"((a = :nope))", "", kV, "Invalid ConditionExpression: The expression has redundant parentheses;"},
        ErrorCase{"name = :nope", "", kV, "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
        ErrorCase{"foo(name)", "", kV, "Invalid ConditionExpression: Invalid function name; function: foo"}));

TEST(ConditionLimitsTest, ExpressionSize) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}})");
  std::string at_limit = "a = :v AND " + std::string(4096 - 17, ' ') + "b = :v";
  ASSERT_EQ(at_limit.size(), 4096u);
  EXPECT_TRUE(ParseCondition(at_limit, ExpressionKind::Condition, inputs).ok());
  auto over = ParseCondition(at_limit + " ", ExpressionKind::Filter, inputs);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097");
}

TEST(ConditionLimitsTest, OperatorCount) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}})");
  auto build = [](int comparisons) {
    std::string text;
    for (int i = 0; i < comparisons; ++i) text += (i ? " OR a<:v" : "a<:v");
    return text;
  };
  EXPECT_TRUE(ParseCondition(build(150), ExpressionKind::Condition, inputs).ok());  // 150 + 149 = 299
  auto over = ParseCondition(build(400), ExpressionKind::Condition, inputs);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, "Invalid ConditionExpression: The expression contains too many operators; operator count: 301");
}

TEST(ConditionLimitsTest, HostileInputsNeverCrash) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}})");
  std::vector<std::string> hostile = {std::string(4000, '('), std::string(2000, '(') + "a" + std::string(2000, ')'),
                                      std::string(1300, 'N') + " ", "NOT " + std::string(1000, '(') + "NOT",
                                      std::string(4000, '['), "a" + std::string(1300, '.') , std::string("\xff\xfe\x80", 3),
                                      "a[99999999999999999999] = :v", "a IN (" + std::string(1000, ',') + ")"};
  for (int i = 0; i < 1000; ++i) hostile.back() += " NOT";
  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "NOT ";
  hostile.push_back(nots + "a = :v");
  for (const std::string& text : hostile) {
    auto result = ParseCondition(text, ExpressionKind::Condition, inputs);
    EXPECT_FALSE(result.ok()) << text.substr(0, 40);
  }
}

TEST(ConditionLimitsTest, ListIndexPastInt32IsARangeError) {
  // AWS's message (ScyllaDB's test_projection_expression_path, run against AWS); it was a syntax error.
  auto inputs = InputsOf("", "");
  auto projection = ParseProjection("a[99999999999999]", inputs);
  ASSERT_FALSE(projection.ok());
  EXPECT_EQ(projection.error().message,
            "Invalid ProjectionExpression: List index is not within the allowable range; index: [99999999999999]");
  EXPECT_TRUE(ParseProjection("a[2147483647]", inputs).ok());
  EXPECT_FALSE(ParseProjection("a[2147483648]", inputs).ok());
}

TEST(ConditionLimitsTest, InOperandCount) {
  auto inputs = InputsOf("", R"({":v": {"S": "x"}})");
  std::string text = "a IN (:v";
  for (int i = 1; i < 100; ++i) text += ", :v";
  EXPECT_TRUE(ParseCondition(text + ")", ExpressionKind::Condition, inputs).ok());
  auto over = ParseCondition(text + ", :v)", ExpressionKind::Condition, inputs);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().message, "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101");
}

// ---------------------------------------------------------------- inputs ----------------------

TEST(ExpressionInputsTest, UnusedAndEmpty) {
  auto inputs = InputsOf(R"({"#a": "a", "#unused": "x"})", R"({":v": {"S": "x"}, ":b": {"S": "y"}})");
  ASSERT_TRUE(ParseCondition("#a = :v", ExpressionKind::Condition, inputs).ok());
  auto unused_name = inputs.CheckAllUsed();
  ASSERT_FALSE(unused_name.ok());
  EXPECT_EQ(unused_name.error().message, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}");

  auto values = InputsOf("", R"({":v": {"S": "x"}, ":b": {"S": "y"}, ":c": {"S": "z"}})");
  ASSERT_TRUE(ParseCondition("a = :v", ExpressionKind::Condition, values).ok());
  auto unused_value = values.CheckAllUsed();
  ASSERT_FALSE(unused_value.ok());
  EXPECT_EQ(unused_value.error().message, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b, :c}");
  ASSERT_TRUE(ParseProjection("a", values).ok());
  ASSERT_TRUE(ParseCondition("b IN (:b, :c)", ExpressionKind::Filter, values).ok());
  EXPECT_TRUE(values.CheckAllUsed().ok());

  boost::json::object empty_names;
  auto empty = ExpressionInputs::Make(&empty_names, std::nullopt);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "ExpressionAttributeNames must not be empty");
  auto empty_values = ExpressionInputs::Make(nullptr, AttributeMap{});
  ASSERT_FALSE(empty_values.ok());
  EXPECT_EQ(empty_values.error().message, "ExpressionAttributeValues must not be empty");
  boost::json::object bad_key = {{"a", "b"}};
  auto bad = ExpressionInputs::Make(&bad_key, std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\"");
}

TEST(ExpressionInputsTest, ParameterStyle) {
  auto check = [](const char* request, std::vector<std::string_view> expressions, std::vector<std::string_view> legacy) {
    auto status = CheckParameterStyle(boost::json::parse(request).as_object(), expressions, legacy);
    return status.ok() ? std::string() : status.error().message;
  };
  EXPECT_EQ(check(R"({"ConditionExpression": "a = :v", "Expected": {}})", {"ConditionExpression"}, {"Expected", "ConditionalOperator"}),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} "
            "Expression parameters: {ConditionExpression}");
  EXPECT_EQ(check(R"({"ExpressionAttributeValues": {":v": {"S": "x"}}})", {"ConditionExpression"}, {"Expected"}),
            "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null");
  EXPECT_EQ(check(R"({"ExpressionAttributeValues": {":v": {"S": "x"}}})", {"UpdateExpression", "ConditionExpression"}, {}),
            "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null");
  EXPECT_EQ(check(R"({"ExpressionAttributeNames": {"#a": "a"}})", {"ConditionExpression"}, {"Expected"}),
            "ExpressionAttributeNames can only be specified when using expressions");
  EXPECT_EQ(check(R"({"KeyConditions": {}, "FilterExpression": "a = :v"})",
                  {"ProjectionExpression", "FilterExpression", "KeyConditionExpression"},
                  {"AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"}),
            "");
  EXPECT_EQ(check(R"({"ProjectionExpression": "a", "ExpressionAttributeValues": {":v": {"S": "x"}}})", {"ProjectionExpression"}, {}), "");
}

// ---------------------------------------------------------------- projection ------------------

TEST(ProjectionTest, AppliesNestedPathsAndCompactsLists) {
  auto inputs = InputsOf(R"({"#n": "name"})", "");
  auto projection = ParseProjection("pk, m.child, l[2], l[0], #n, m.lst[5], nope, s.x", inputs);
  ASSERT_TRUE(projection.ok()) << projection.error().message;
  EXPECT_EQ(JsonOf(projection->Apply(MapOf(kItem))),
            JsonOf(MapOf(R"({"pk": {"S": "p1"}, "name": {"S": "reserved"}, "m": {"M": {"child": {"M": {"x": {"N": "10"}}}}},
                             "l": {"L": [{"S": "a"}, {"L": [{"S": "deep"}]}]}})")));
  EXPECT_EQ(projection->TopLevelNames(), (std::vector<std::string>{"pk", "m", "l", "name", "nope", "s"}));
}

TEST(ProjectionTest, Errors) {
  auto check = [](const char* text, const char* names = "") {
    auto inputs = InputsOf(names, "");
    auto projection = ParseProjection(text, inputs);
    return projection.ok() ? std::string() : projection.error().message;
  };
  EXPECT_EQ(check("a.b, a"), "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of "
                             "these paths; path one: [a, b], path two: [a]");
  EXPECT_EQ(check("a, a"), "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of "
                           "these paths; path one: [a], path two: [a]");
  EXPECT_EQ(check("a.b, a[0]"), "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one "
                                "of these paths; path one: [a, b], path two: [a, [0]]");
  EXPECT_EQ(check("a.b, a.c, a[1].d"), "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or "
                                       "rewrite one of these paths; path one: [a, b], path two: [a, [1], d]");
  EXPECT_EQ(check("a, name"), "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name");
  EXPECT_EQ(check("a, #x"), "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
                            "attribute name: #x");
  EXPECT_EQ(check("a b"), "Invalid ProjectionExpression: Syntax error; token: \"b\", near: \"a b\"");
  EXPECT_EQ(check("a,"), "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\"");
  EXPECT_EQ(check(""), "Invalid ProjectionExpression: The expression can not be empty;");
  EXPECT_EQ(check("a.b, a.c, b[0], b[1]"), "");
}

// ---------------------------------------------------------------- key conditions --------------

struct KeyCase {
  const char* expression;
  const char* message;  // "" = valid
};

class KeyConditions : public ::testing::TestWithParam<KeyCase> {};

TEST_P(KeyConditions, Validation) {
  const KeyCase& c = GetParam();
  auto inputs = InputsOf(R"({"#p": "pk"})", R"({":p": {"S": "q"}, ":n": {"N": "1"}, ":n5": {"N": "5"}, ":s": {"S": "a"},
                                              ":b": {"BOOL": true}, ":bin": {"B": "AQ=="}})");
  KeySchemaInfo schema{"pk", AttrType::S, std::string("sk"), AttrType::N};
  auto key = ParseKeyCondition(c.expression, inputs, schema);
  EXPECT_EQ(key.ok() ? std::string() : key.error().message, c.message) << c.expression;
}

INSTANTIATE_TEST_SUITE_P(
    Expressions, KeyConditions,
    ::testing::Values(
        KeyCase{"pk = :p", ""}, KeyCase{"#p = :p AND sk > :n", ""}, KeyCase{":n <= sk AND pk = :p", ""},
        KeyCase{"pk = :p AND sk BETWEEN :n AND :n5", ""},
        KeyCase{"pk = :p AND begins_with(sk, :n)",
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
        KeyCase{"pk = :p AND begins_with(sk, :s)", "One or more parameter values were invalid: Condition parameter type does not match schema type"},
        KeyCase{"pk = :p AND sk < :b",
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"},
        KeyCase{"pk = :p AND :b >= sk",
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: >=, operand type: BOOL"},
        KeyCase{"pk = :p AND sk = :b", "One or more parameter values were invalid: Condition parameter type does not match schema type"},
        KeyCase{"pk = :n", "One or more parameter values were invalid: Condition parameter type does not match schema type"},
        KeyCase{"pk = :p AND sk > :n AND sk < :n5", "KeyConditionExpressions must only contain one condition per key"},
        KeyCase{"pk = :p AND sk > :n AND extra = :n5",
                "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"},
        KeyCase{"sk = :n", "Query condition missed key schema element: pk"},
        KeyCase{"pk = :p AND attr1 = :n", "Query condition missed key schema element: sk"},
        // AWS reports operators a key condition cannot use without the usual prefix (users quote
        // "Invalid operator used in KeyConditionExpression: IN").
        KeyCase{"pk > :p", "Query key condition not supported"},
        KeyCase{"pk = :p OR sk = :n", "Invalid operator used in KeyConditionExpression: OR"},
        KeyCase{"NOT pk = :p", "Invalid operator used in KeyConditionExpression: NOT"},
        KeyCase{"pk IN (:p)", "Invalid operator used in KeyConditionExpression: IN"},
        KeyCase{"pk = :p AND attribute_exists(sk)",
                "Invalid operator used in KeyConditionExpression: attribute_exists"},
        KeyCase{"pk = :p AND size(sk) = :n", "KeyConditionExpressions cannot contain nested operations"},
        KeyCase{"pk.x = :p", "KeyConditionExpressions cannot have conditions on nested attributes"},
        KeyCase{"pk = sk", "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"},
        KeyCase{":p = :s", "Invalid condition in KeyConditionExpression: No key attribute specified"},
        // The key-schema checks carry no "Invalid KeyConditionExpression: " prefix, and the key-first
        // rule of BETWEEN / begins_with comes before nested operations (dynalite's query tests quote AWS).
        KeyCase{":n BETWEEN size(sk) AND size(pk) AND pk = :p",
                "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand"},
        KeyCase{"begins_with(:s, sk) AND pk = :p",
                "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"},
        KeyCase{"pk = :p AND sk BETWEEN size(pk) AND :n", "KeyConditionExpressions cannot contain nested operations"},
        KeyCase{"pk = :missing AND begins_with(sk, :n)",
                "Invalid KeyConditionExpression: An expression attribute value used in expression is not defined; attribute value: :missing"},
        KeyCase{"begins_with(sk, :n) AND pk = :missing",
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"}));

TEST(KeyConditionTest, ExtractsValuesAndMatchesSortKeys) {
  auto inputs = InputsOf("", R"({":p": {"S": "q"}, ":lo": {"N": "2"}, ":hi": {"N": "5"}, ":pre": {"S": "ab"}})");
  KeySchemaInfo numeric{"pk", AttrType::S, std::string("sk"), AttrType::N};
  auto between = ParseKeyCondition("sk BETWEEN :lo AND :hi AND pk = :p", inputs, numeric);
  ASSERT_TRUE(between.ok()) << between.error().message;
  EXPECT_EQ(between->partition_value.bytes, "q");
  ASSERT_TRUE(between->sort.has_value());
  EXPECT_EQ(between->sort->op, SortKeyCondition::Op::Between);
  auto number = [](const char* text) { return AttributeValue::Number(*Decimal::Parse(text)); };
  EXPECT_TRUE(between->sort->Matches(number("2")));
  EXPECT_TRUE(between->sort->Matches(number("5.0")));
  EXPECT_FALSE(between->sort->Matches(number("5.01")));
  auto flipped = ParseKeyCondition("pk = :p AND :lo < sk", inputs, numeric);
  ASSERT_TRUE(flipped.ok());
  EXPECT_EQ(flipped->sort->op, SortKeyCondition::Op::Gt);
  KeySchemaInfo text{"pk", AttrType::S, std::string("sk"), AttrType::S};
  auto prefix = ParseKeyCondition("pk = :p AND begins_with(sk, :pre)", inputs, text);
  ASSERT_TRUE(prefix.ok());
  EXPECT_TRUE(prefix->sort->Matches(AttributeValue::String("abc")));
  EXPECT_FALSE(prefix->sort->Matches(AttributeValue::String("a")));
  KeySchemaInfo hash_only{"pk", AttrType::S, std::nullopt, AttrType::S};
  auto extra = ParseKeyCondition("pk = :p AND sk > :lo", inputs, hash_only);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.error().message, "The number of query conditions (2) exceeds the number of key attributes defined in the schema (1)");
}

TEST(ReservedWordsTest, CaseInsensitive) {
  EXPECT_TRUE(IsReservedWord("name"));
  EXPECT_TRUE(IsReservedWord("Status"));
  EXPECT_TRUE(IsReservedWord("ABORT"));
  EXPECT_TRUE(IsReservedWord("zone"));
  EXPECT_TRUE(IsReservedWord("FLATTERN"));
  EXPECT_FALSE(IsReservedWord("names2"));
  EXPECT_FALSE(IsReservedWord("pk"));
  EXPECT_FALSE(IsReservedWord(""));
}

}  // namespace
}  // namespace mallard::dynamodb

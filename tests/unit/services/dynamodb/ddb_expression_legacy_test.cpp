// Legacy parameters (Expected, QueryFilter/ScanFilter, KeyConditions, AttributesToGet,
// AttributeUpdates) converted to the shared ASTs.
#include "services/dynamodb/expression/ddb_legacy_conditions.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "ddb_expression_test_util.hpp"

namespace mallard::dynamodb {
namespace {

using testing::JsonOf;
using testing::MapOf;

const char* kItem = R"({"pk": {"S": "k"}, "n": {"N": "5"}, "s": {"S": "hello"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}})";

struct FilterCase {
  const char* filter;
  const char* op;
  const char* expected;  // "true" / "false" / error message
};

class LegacyFilters : public ::testing::TestWithParam<FilterCase> {};

TEST_P(LegacyFilters, EvaluateOrReject) {
  const FilterCase& c = GetParam();
  auto condition = ConvertFilter(boost::json::parse(c.filter).as_object(), c.op);
  Item item = MapOf(kItem);
  std::string outcome = condition.ok() ? (condition->Matches(&item) ? "true" : "false") : condition.error().message;
  EXPECT_EQ(outcome, c.expected) << c.filter;
}

INSTANTIATE_TEST_SUITE_P(
    Legacy, LegacyFilters,
    ::testing::Values(
        FilterCase{R"({"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5.0"}]}})", "", "true"},
        FilterCase{R"({"n": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}})", "", "false"},
        FilterCase{R"({"x": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}})", "", "true"},
        FilterCase{R"({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "4"}]}})", "", "true"},
        FilterCase{R"({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "4"}]}})", "", "false"},
        FilterCase{R"({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]}})", "", "true"},
        FilterCase{R"({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}})", "", "true"},
        FilterCase{R"({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}})", "", "true"},
        FilterCase{R"({"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "ll"}]}})", "", "true"},
        FilterCase{R"({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "b"}]}})", "", "true"},
        FilterCase{R"({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "b"}]}})", "", "false"},
        // A missing attribute fails NOT_CONTAINS as it fails CONTAINS (ScyllaDB's
        // test_update_expected_1_not_contains, run against AWS).
        FilterCase{R"({"x": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "b"}]}})", "", "false"},
        FilterCase{R"({"l": {"ComparisonOperator": "EQ", "AttributeValueList": [{"L": [{"N": "1"}]}]}})", "", "true"},  // any type
        FilterCase{R"({"s": {"ComparisonOperator": "NOT_NULL"}, "x": {"ComparisonOperator": "NULL"}})", "AND", "true"},
        FilterCase{R"({"s": {"ComparisonOperator": "NULL"}, "n": {"ComparisonOperator": "NOT_NULL"}})", "OR", "true"},
        FilterCase{R"({"s": {"ComparisonOperator": "NULL"}, "n": {"ComparisonOperator": "NOT_NULL"}})", "AND", "false"},
        FilterCase{R"({"n": {"ComparisonOperator": "EQ"}})", "",
                   "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"},
        FilterCase{R"({"n": {"ComparisonOperator": "NULL", "AttributeValueList": [{"N": "1"}]}})", "",
                   "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"},
        FilterCase{R"({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}})", "",
                   "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"},
        FilterCase{R"({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"S": "x"}]}})", "",
                   "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"},
        FilterCase{R"({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["a"]}]}})", "",
                   "One or more parameter values were invalid: ComparisonOperator LT is not valid for SS AttributeValue type"},
        FilterCase{R"({"n": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}})", "",
                   "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"},
        FilterCase{R"({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "9"}, {"N": "1"}]}})", "",
                   "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"}));

TEST(LegacyExpectedTest, ValueExistsAndErrors) {
  auto check = [](const char* expected, const char* op = "") {
    auto condition = ConvertExpected(boost::json::parse(expected).as_object(), op);
    Item item = MapOf(kItem);
    return condition.ok() ? std::string(condition->Matches(&item) ? "true" : "false") : condition.error().message;
  };
  EXPECT_EQ(check(R"({"s": {"Value": {"S": "hello"}}})"), "true");
  EXPECT_EQ(check(R"({"s": {"Value": {"S": "x"}, "Exists": true}})"), "false");
  EXPECT_EQ(check(R"({"x": {"Exists": false}})"), "true");
  EXPECT_EQ(check(R"({"s": {"Exists": false}})"), "false");
  EXPECT_EQ(check(R"({"n": {"ComparisonOperator": "GT", "Value": {"N": "1"}}})"), "true");
  EXPECT_EQ(check(R"({"s": {"Exists": false}, "n": {"Value": {"N": "5"}}})", "OR"), "true");
  EXPECT_EQ(check(R"({"s": {}})"), "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: s");
  EXPECT_EQ(check(R"({"s": {"Exists": true}})"), "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: s");
  EXPECT_EQ(check(R"({"s": {"Exists": false, "Value": {"S": "x"}}})"),
            "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: s");
  EXPECT_EQ(check(R"({"s": {"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}})"),
            "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: s");
  EXPECT_EQ(check(R"({"s": {"ComparisonOperator": "EQ", "Exists": true}})"),
            "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: s");
  EXPECT_EQ(check(R"({"s": {"ComparisonOperator": "EQ"}})"),
            "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: s");
  EXPECT_EQ(check(R"({"s": {"AttributeValueList": [{"S": "x"}]}})"),
            "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: s");
  auto missing = ConvertExpected(boost::json::parse(R"({"s": {"Exists": false}})").as_object(), "");
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->Matches(nullptr));
}

TEST(LegacyKeyConditionsTest, SchemaChecks) {
  KeySchemaInfo schema{"pk", AttrType::S, std::string("sk"), AttrType::N};
  auto check = [&](const char* conditions) {
    auto key = ConvertKeyConditions(boost::json::parse(conditions).as_object(), schema);
    return key.ok() ? std::string() : key.error().message;
  };
  EXPECT_EQ(check(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                      "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}})"), "");
  EXPECT_EQ(check(R"({})"), "Conditions can be of length 1 or 2 only");
  EXPECT_EQ(check(R"({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})"),
            "Query condition missed key schema element: pk");
  EXPECT_EQ(check(R"({"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}})"), "Query key condition not supported");
  EXPECT_EQ(check(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})"),
            "One or more parameter values were invalid: Condition parameter type does not match schema type");
  EXPECT_EQ(check(R"({"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "a"}]}})"),
            "Attempted conditional constraint is not an indexable operation");
  EXPECT_EQ(check(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                      "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}})"),
            "Query condition missed key schema element: sk");
  auto key = ConvertKeyConditions(boost::json::parse(R"({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
      "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "3"}]}})").as_object(), schema);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->partition_value.bytes, "a");
  EXPECT_TRUE(key->sort->Matches(AttributeValue::Number(Decimal::FromInt(3))));
  EXPECT_FALSE(key->sort->Matches(AttributeValue::Number(Decimal::FromInt(2))));
}

TEST(LegacyProjectionTest, AttributesToGet) {
  auto projection = ConvertAttributesToGet(boost::json::parse(R"(["s", "nope", "n"])").as_array());
  ASSERT_TRUE(projection.ok());
  EXPECT_EQ(JsonOf(projection->Apply(MapOf(kItem))), JsonOf(MapOf(R"({"s": {"S": "hello"}, "n": {"N": "5"}})")));
  auto duplicate = ConvertAttributesToGet(boost::json::parse(R"(["s", "s"])").as_array());
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().message, "One or more parameter values were invalid: Duplicate value in attribute name: s");
}

TEST(LegacyUpdatesTest, PutAddDelete) {
  auto updates = ConvertAttributeUpdates(boost::json::parse(R"({
      "s": {"Action": "PUT", "Value": {"S": "new"}}, "n": {"Action": "ADD", "Value": {"N": "-5"}},
      "ss": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}}, "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}},
      "c": {"Action": "ADD", "Value": {"N": "1"}}, "pk2": {"Action": "DELETE"}})").as_object());
  ASSERT_TRUE(updates.ok()) << updates.error().message;
  Item old_item = MapOf(kItem);
  auto item = updates->Apply(&old_item, {});
  ASSERT_TRUE(item.ok()) << item.error().message;
  EXPECT_EQ(JsonOf(*item), JsonOf(MapOf(R"({"pk": {"S": "k"}, "n": {"N": "0"}, "s": {"S": "new"}, "c": {"N": "1"},
                                             "l": {"L": [{"N": "1"}, {"N": "2"}]}})")));
  EXPECT_EQ(JsonOf(updates->ProjectUpdated(old_item)),
            JsonOf(MapOf(R"({"s": {"S": "hello"}, "n": {"N": "5"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}})")));

  auto mismatch = ConvertAttributeUpdates(boost::json::parse(R"({"s": {"Action": "ADD", "Value": {"N": "1"}}})").as_object());
  ASSERT_TRUE(mismatch.ok());
  auto failed = mismatch->Apply(&old_item, {});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "Type mismatch for attribute to update");
  auto no_value = ConvertAttributeUpdates(boost::json::parse(R"({"s": {"Action": "PUT"}})").as_object());
  ASSERT_FALSE(no_value.ok());
}

}  // namespace
}  // namespace mallard::dynamodb

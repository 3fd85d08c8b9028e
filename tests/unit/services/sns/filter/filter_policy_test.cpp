// SNS filter policies: AWS's recorded validation errors (exact text and Jackson location), the
// limits, every operator on message attributes and on the message body, the documentation's
// examples, and a seeded randomised comparison against a small reference model written here
// independently (MALLARD_SNS_FILTER_SEED=n replays a run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "services/sns/filter/filter_policy.hpp"
#include "services/sns/filter/policy_text.hpp"

namespace mallard::sns {
namespace {

using Attributes = std::map<std::string, FilterAttribute, std::less<>>;
constexpr auto kAttributes = FilterPolicyScope::MessageAttributes;
constexpr auto kBody = FilterPolicyScope::MessageBody;

FilterPolicy MustParse(std::string_view policy, FilterPolicyScope scope = kAttributes) {
  auto parsed = FilterPolicy::Parse(policy, scope);
  EXPECT_TRUE(parsed.ok()) << policy << " -> " << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) return *FilterPolicy::Parse("{}", scope);
  return std::move(parsed).value();
}

// SetSubscriptionAttributes' message for a refused policy ("" if accepted).
std::string ErrorOf(std::string_view policy, FilterPolicyScope scope = kAttributes) {
  auto parsed = FilterPolicy::Parse(policy, scope);
  if (parsed.ok()) return "";
  EXPECT_EQ(parsed.error().code, "InvalidParameter");
  return parsed.error().message;
}

std::string SubscribeErrorOf(std::string_view policy, FilterPolicyScope scope = kAttributes) {
  auto parsed = FilterPolicy::Parse(policy, scope);
  return parsed.ok() ? "" : parsed.error().subscribe_message;
}

std::string Located(std::string_view reason, std::string_view source, int column) {
  return "Invalid parameter: Attributes Reason: FilterPolicy: " + std::string(reason) + "\n at [Source: (String)\"" +
         std::string(source) + "\"; line: 1, column: " + std::to_string(column) + "]";
}

Attributes Attrs(std::initializer_list<std::tuple<std::string, std::string, std::string>> list) {
  Attributes attributes;
  for (const auto& [name, type, value] : list) attributes[name] = FilterAttribute{type, value};
  return attributes;
}

// ---- AWS's recorded answers (Subscribe with Attributes, May 2024) ----

struct RecordedError {
  const char* policy;
  const char* reason;
  int column;
};

TEST(FilterPolicyValidation, AwsRecordedErrorsWithJacksonLocations) {
  const RecordedError cases[] = {
      {R"({"key":[["value"]]})", "Match value must be String, number, true, false, or null", 10},
      {R"({"key":[{"wrong-operator":true}]})", "Unrecognized match type wrong-operator", 31},
      {R"({"key":[{"suffix":"value","prefix":"value2"}]})", "Only one key allowed in match expression", 37},
      {R"({"key":[{"suffix":100}]})", "suffix match pattern must be a string", 22},
      {R"({"key":[{"suffix":null}]})", "suffix match pattern must be a string", 23},
      {R"({"key":{"suffix":"value"}})", "\"suffix\" must be an object or an array", 19},
      {R"({"key":[{"suffix":[]}]})", "suffix match pattern must be a string", 20},
      {R"({"key":[{"suffix":["test","test2"]}]})", "suffix match pattern must be a string", 20},
      {R"({"key":{"suffix":"value","prefix":"value"}})", "\"suffix\" must be an object or an array", 19},
      {R"({"key":{"not-an-operator":"value"}})", "\"not-an-operator\" must be an object or an array", 28},
      {R"({"key":[{"numeric":[]}]})", "Invalid member in numeric match: ]", 22},
      {R"({"key":[{"numeric":["operator"]}]})", "Unrecognized numeric range operator: operator", 32},
      {R"({"key":[{"numeric":[1,"<="]}]})", "Invalid member in numeric match: 1", 22},
      {R"({"key":[{"numeric":["=","000"]}]})", "Value of equals must be numeric", 26},
      {R"({"key":[{"numeric":[">="]}]})", "Value of >= must be numeric", 26},
      {R"({"key":[{"numeric":["<",100,">",10]}]})", "Too many elements in numeric expression", 30},
      {R"({"key":[{"numeric":[">=",1,">",2]}]})", "Bad numeric range operator: >", 31},
      {R"({"key":[{"numeric":[">",3,"<",1]}]})", "Bottom must be less than top", 33},
      {R"({"key":[{"numeric":[">",20,"<="]}]})", "Value of <= must be numeric", 33},
      {R"({"key":[{"numeric":[">",20,30]}]})", "Bad value in numeric range: 30", 30},
      {R"({"key":[{"numeric":[">",20,"test"]}]})", "Bad numeric range operator: test", 34},
      {R"({"key":[{"numeric":[">","20","<","30"]}]})", "Value of > must be numeric", 26},
      {R"({"key":[{"numeric":[">",20,"<","30"]}]})", "Value of < must be numeric", 33},
      {R"({"key":[{"numeric":[">",20,"<",30,"<",50]}]})", "Too many terms in numeric range expression", 36},
      {R"({"key":[{"exists":null}]})", "exists match pattern must be either true or false.", 23},
      {R"({"key":[{"exists":"no"}]})", "exists match pattern must be either true or false.", 20},
  };
  for (const auto& recorded : cases) {
    EXPECT_EQ(SubscribeErrorOf(recorded.policy), Located(recorded.reason, recorded.policy, recorded.column))
        << recorded.policy;
  }
}

TEST(FilterPolicyValidation, LocationsCountInTheCompactTextAwsRecompiles) {
  // The recorded errors were sent as Python's json.dumps output, with spaces; AWS quotes and
  // counts the compact form.
  EXPECT_EQ(SubscribeErrorOf(R"({"key": [["value"]]})"),
            Located("Match value must be String, number, true, false, or null", R"({"key":[["value"]]})", 10));
  EXPECT_EQ(SubscribeErrorOf("{\n  \"key\" : [ { \"suffix\" : 100 } ]\n}"),
            Located("suffix match pattern must be a string", R"({"key":[{"suffix":100}]})", 22));
  // Numbers are respelled as Java does: 20.50 -> 20.5, 1e2 -> 100.0.
  EXPECT_EQ(SubscribeErrorOf(R"({"key":[{"numeric":[">", 20.50, 1e2]}]})"),
            Located("Bad value in numeric range: 100.0", R"({"key":[{"numeric":[">",20.5,100.0]}]})", 35));
}

TEST(FilterPolicyValidation, SetSubscriptionAttributesForm) {
  EXPECT_EQ(ErrorOf(R"({"key_a": "value_one"})", kBody),
            "Invalid parameter: FilterPolicy: \"key_a\" must be an object or an array\n at [Source: (String)"
            "\"{\"key_a\":\"value_one\"}\"; line: 1, column: 11]");
  EXPECT_EQ(ErrorOf("{invalidjson}"), "Invalid parameter: FilterPolicy: failed to parse JSON.");
  EXPECT_EQ(ErrorOf(R"({"a":["x"]} trailing)"), "Invalid parameter: FilterPolicy: failed to parse JSON.");
  EXPECT_EQ(ErrorOf(""), "Invalid parameter: FilterPolicy: failed to parse JSON.");
  EXPECT_EQ(SubscribeErrorOf("{invalidjson}"), "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON.");
}

TEST(FilterPolicyValidation, StructureErrors) {
  EXPECT_EQ(SubscribeErrorOf("[1]"), Located("Filter is not an object", "[1]", 2));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[]})"), Located("Empty arrays are not allowed", R"({"a":[]})", 8));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":{}})", kBody), Located("Empty objects are not allowed", R"({"a":{}})", 8));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{}]})"), Located("Match expression name not found", R"({"a":[{}]})", 9));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":5})"), Located("\"a\" must be an object or an array", R"({"a":5})", 7));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"numeric":5}]})"),
            Located("Value of numeric must be an array.", R"({"a":[{"numeric":5}]})", 19));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"exists":true,"prefix":"x"}]})"),
            Located("Only one key allowed in match expression", R"({"a":[{"exists":true,"prefix":"x"}]})", 32));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"wildcard":"x*"}]})"),
            Located("Unrecognized match type wildcard", R"({"a":[{"wildcard":"x*"}]})", 20));
}

TEST(FilterPolicyValidation, AnythingButErrors) {
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":true}]})"),
            Located("Value of anything-but must be an array or single string/number value.",
                    R"({"a":[{"anything-but":true}]})", 27));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":["x",1]}]})"),
            Located("Inside anything but list, either all values are number or string, mixed type is not supported",
                    R"({"a":[{"anything-but":["x",1]}]})", 30));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":[]}]})"),
            Located("Inside anything but list, either all values are number or string, mixed type is not supported",
                    R"({"a":[{"anything-but":[]}]})", 25));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":[null]}]})"),
            Located("Inside anything but list, start|null|boolean is not supported.",
                    R"({"a":[{"anything-but":[null]}]})", 28));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":{"numeric":[">",1]}}]})"),
            Located("Unsupported anything-but pattern: numeric", R"({"a":[{"anything-but":{"numeric":[">",1]}}]})", 35));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":{"prefix":""}}]})"),
            Located("Null prefix/suffix not allowed", R"({"a":[{"anything-but":{"prefix":""}}]})", 35));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":{"suffix":5}}]})"),
            Located("prefix/suffix match pattern must be a string", R"({"a":[{"anything-but":{"suffix":5}}]})", 34));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":{"equals-ignore-case":[1]}}]})"),
            Located("Inside anything-but/ignore-case list, nummeric|start|null|boolean is not supported.",
                    R"({"a":[{"anything-but":{"equals-ignore-case":[1]}}]})", 47));
  EXPECT_EQ(SubscribeErrorOf(R"({"a":[{"anything-but":"x","prefix":"y"}]})"),
            Located("Too many elements in numeric expression", R"({"a":[{"anything-but":"x","prefix":"y"}]})", 37));
}

TEST(FilterPolicyValidation, NumericRangeAndCidrErrors) {
  EXPECT_EQ(SubscribeErrorOf(R"({"n":[{"numeric":[">",1000000001]}]})"),
            Located("Value must be between -1.0E9 and 1.0E9, inclusive", R"({"n":[{"numeric":[">",1000000001]}]})", 34));
  EXPECT_EQ(ErrorOf(R"({"n":[{"numeric":["<=",1000000000]}]})"), "");
  EXPECT_EQ(ErrorOf(R"({"n":[{"numeric":[">=",-1000000000]}]})"), "");
  EXPECT_EQ(ErrorOf(R"({"n":[12345678901234]})"), "");  // an exact number outside the range matches by text
  const std::pair<const char*, const char*> cidr_cases[] = {
      {"10.0.0.0", "Malformed CIDR, one '/' required"},
      {"10.0.0.0/", "Malformed CIDR, one '/' required"},
      {"10.0.0.0/8/8", "Malformed CIDR, one '/' required"},
      {"10.0.0.0/x", "Malformed CIDR, mask bits must be an integer"},
      {"10.0.0.0/-1", "Malformed CIDR, mask bits must not be negative"},
      {"10.0.0.0/32", "IPv4 mask bits must be < 32"},
      {"::/128", "IPv6 mask bits must be < 128"},
      {"10.0.0.256/8", "Nonstandard IP address: 10.0.0.256"},
      {"example.com/8", "Nonstandard IP address: example.com"},
  };
  for (const auto& [cidr, reason] : cidr_cases) {
    EXPECT_EQ(ErrorOf(std::string(R"({"ip":[{"cidr":")") + cidr + "\"}]}"),
              std::string("Invalid parameter: FilterPolicy: ") + reason)
        << cidr;
  }
  EXPECT_EQ(SubscribeErrorOf(R"({"ip":[{"cidr":24}]})"),
            Located("prefix match pattern must be a string", R"({"ip":[{"cidr":24}]})", 18));
}

// ---- Limits ----

TEST(FilterPolicyLimits, KeysCombinationsSizeAndScope) {
  EXPECT_EQ(ErrorOf(R"({"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]})"),
            "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  EXPECT_EQ(ErrorOf(R"({"a":[1],"b":[1],"c":[1],"d":[1],"e":[1]})"), "");
  // 5 x 5 x 6 = 150 is allowed, 151+ is not.
  EXPECT_EQ(ErrorOf(R"({"a":[1,2,3,4,5],"b":[1,2,3,4,5],"c":[1,2,3,4,5,6]})"), "");
  EXPECT_EQ(ErrorOf(R"({"a":[1,2,3,4,5],"b":[1,2,3,4,5],"c":[1,2,3,4,5,6,7]})"),
            "Invalid parameter: FilterPolicy: Filter policy is too complex");
  // AWS's nested example: 3 x 4 x 2 x 3 x 1 x 3 = 216.
  EXPECT_EQ(ErrorOf(R"({"key_a":{"key_b":{"key_c":["value_one","value_two","value_three","value_four"]}},)"
                    R"("key_d":{"key_e":["value_one","value_two","value_three"]},"key_f":["value_one","value_two","value_three"]})",
                    kBody),
            "Invalid parameter: FilterPolicy: Filter policy is too complex");
  // MessageBody counts top-level keys only (AWS's key-counting example: four top-level keys).
  EXPECT_EQ(ErrorOf(R"({"state":["SUCCESS"],"severity":[{"exists":true}],"message":[{"exists":true}],)"
                    R"("finding":{"standard_control":[{"exists":true}],"region":[{"exists":true}],"account":[{"exists":true}]}})",
                    kBody),
            "");
  EXPECT_EQ(ErrorOf(R"({"a":{"x":[1]},"b":[1],"c":[1],"d":[1],"e":[1],"f":{"y":[1]}})", kBody),
            "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  // $or alternatives are counted separately: each has its own keys, their combinations add up.
  EXPECT_EQ(ErrorOf(R"({"a":[1],"$or":[{"b":[1],"c":[1],"d":[1],"e":[1]},{"f":[1]}]})"), "");
  EXPECT_EQ(ErrorOf(R"({"a":[1],"$or":[{"b":[1],"c":[1],"d":[1],"e":[1],"g":[1]},{"f":[1]}]})"),
            "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  EXPECT_EQ(ErrorOf(R"({"a":[1,2,3,4,5,6,7,8,9,10],"$or":[{"b":[1,2,3,4,5,6,7,8]},{"c":[1,2,3,4,5,6,7,8]}]})"),
            "Invalid parameter: FilterPolicy: Filter policy is too complex");
  EXPECT_EQ(ErrorOf(R"({"object":{"key":[{"prefix":"auto-"}]}})"),
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy");
  EXPECT_EQ(SubscribeErrorOf(R"({"object":{"key":[{"prefix":"auto-"}]}})"),
            "Invalid parameter: Attributes Reason: Filter policy scope MessageAttributes does not support nested filter policy");
  EXPECT_EQ(ErrorOf(R"({"object":{"key":[{"prefix":"auto-"}]}})", kBody), "");
  std::string big = R"({"a":[")" + std::string(kMaxFilterPolicyBytes, 'x') + "\"]}";
  EXPECT_NE(ErrorOf(big), "");
  EXPECT_TRUE(MustParse("{}").matches_everything());
  EXPECT_TRUE(MustParse("{}", kBody).MatchesBody("not json"));
}

// ---- Matching message attributes (AWS's example message) ----

Attributes ExampleMessage() {
  return Attrs({{"customer_interests", "String.Array", R"(["soccer", "rugby", "hockey"])"},
                {"store", "String", "example_corp"},
                {"event", "String", "order_placed"},
                {"price_usd", "Number", "210.75"}});
}

bool MatchesExample(std::string_view policy) { return MustParse(policy).Matches(ExampleMessage()); }

TEST(FilterPolicyAttributes, DocumentationExamples) {
  EXPECT_TRUE(MatchesExample(R"({"store":["example_corp"],"event":[{"anything-but":"order_cancelled"}],)"
                             R"("customer_interests":["rugby","football","baseball"],"price_usd":[{"numeric":[">=",100]}]})"));
  EXPECT_TRUE(MatchesExample(R"({"customer_interests":["rugby","football","baseball"]})"));
  EXPECT_FALSE(MatchesExample(R"({"customer_interests":["football","baseball"]})"));
  EXPECT_TRUE(MatchesExample(R"({"customer_interests":[{"prefix":"hoc"}]})"));
  EXPECT_FALSE(MatchesExample(R"({"customer_interests":[{"prefix":"bas"}]})"));
  EXPECT_TRUE(MatchesExample(R"({"event":[{"suffix":"_placed"}]})"));
  EXPECT_FALSE(MatchesExample(R"({"price_usd":[{"numeric":[">",100,"<=",200]}]})"));
  EXPECT_TRUE(MatchesExample(R"({"price_usd":[{"numeric":[">",100,"<=",210.75]}]})"));
  EXPECT_FALSE(MatchesExample(R"({"price_usd":[{"numeric":[">",100,"<",210.75]}]})"));
  EXPECT_TRUE(MatchesExample(R"({"price_usd":[{"numeric":["=",210.75]}]})"));
  EXPECT_TRUE(MatchesExample(R"({"price_usd":[210.75]})"));
  EXPECT_FALSE(MatchesExample(R"({"price_usd":["210.75"]})"));  // a string never equals a Number attribute
  EXPECT_FALSE(MatchesExample(R"({"store":[{"exists":false}]})"));
  EXPECT_TRUE(MatchesExample(R"({"store":[{"exists":true}]})"));
  EXPECT_TRUE(MatchesExample(R"({"coupon":[{"exists":false}]})"));
  // "exists": false "only matches if at least one attribute is present".
  EXPECT_FALSE(MustParse(R"({"coupon":[{"exists":false}]})").Matches({}));
  EXPECT_TRUE(MustParse(R"({"coupon":[{"exists":false}]})").Matches(Attrs({{"b", "Binary", "AAEC"}})));
  EXPECT_FALSE(MatchesExample(R"({"coupon":[{"exists":true}]})"));
  EXPECT_TRUE(MatchesExample(R"({"event":[{"anything-but":["order_cancelled","order_failed"]}]})"));
  EXPECT_FALSE(MatchesExample(R"({"event":[{"anything-but":["order_placed","order_failed"]}]})"));
  EXPECT_FALSE(MatchesExample(R"({"event":[{"anything-but":{"prefix":"order"}}]})"));
  EXPECT_TRUE(MatchesExample(R"({"event":[{"anything-but":{"prefix":"order_c"}}]})"));
  EXPECT_FALSE(MatchesExample(R"({"event":[{"anything-but":{"suffix":"placed"}}]})"));
  EXPECT_TRUE(MatchesExample(R"({"store":[{"equals-ignore-case":"EXAMPLE_Corp"}]})"));
  EXPECT_FALSE(MatchesExample(R"({"store":[{"anything-but":{"equals-ignore-case":["EXAMPLE_CORP"]}}]})"));
  EXPECT_TRUE(MatchesExample(R"({"store":[{"anything-but":{"equals-ignore-case":"other"}}]})"));
  EXPECT_FALSE(MatchesExample(R"({"coupon":[{"anything-but":"x"}]})"));  // anything-but needs the key
  EXPECT_FALSE(MatchesExample(R"({"store":["Example_Corp"]})"));         // case-sensitive
  // AND across keys: one failing key fails the policy.
  EXPECT_FALSE(MatchesExample(R"({"store":["example_corp"],"event":["order_cancelled"]})"));
}

TEST(FilterPolicyAttributes, OrOperator) {
  const char* policy = R"({"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]})";
  EXPECT_TRUE(MustParse(policy).Matches(Attrs({{"source", "String", "aws.cloudwatch"}, {"metricName", "String", "CPUUtilization"}})));
  EXPECT_TRUE(MustParse(policy).Matches(Attrs({{"source", "String", "aws.cloudwatch"}, {"namespace", "String", "AWS/EC2"}})));
  EXPECT_FALSE(MustParse(policy).Matches(Attrs({{"source", "String", "aws.cloudwatch"}, {"namespace", "String", "AWS/ES"}})));
  EXPECT_FALSE(MustParse(policy).Matches(Attrs({{"metricName", "String", "CPUUtilization"}})));
  const char* nested = R"({"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},)"
                       R"({"metricType":["MetricType"],"$or":[{"metricId":[1234,4321]},{"spaceId":[1000,2000,3000]}]}]})";
  auto parsed = MustParse(nested);
  EXPECT_TRUE(parsed.Matches(Attrs({{"source", "String", "aws.cloudwatch"}, {"metricType", "String", "MetricType"},
                                    {"spaceId", "Number", "2000"}})));
  EXPECT_FALSE(parsed.Matches(Attrs({{"source", "String", "aws.cloudwatch"}, {"metricType", "String", "MetricType"}})));
  // Not an OR: one alternative only, or reserved keywords inside.
  EXPECT_EQ(SubscribeErrorOf(R"({"$or":[{"a":["x"]}]})"), Located("Unrecognized match type a", R"({"$or":[{"a":["x"]}]})", 15));
  EXPECT_EQ(SubscribeErrorOf(R"({"$or":[{"numeric":123},{"prefix":"abc"}]})"),
            Located("Value of numeric must be an array.", R"({"$or":[{"numeric":123},{"prefix":"abc"}]})", 23));
  EXPECT_TRUE(MustParse(R"({"$or":["x"]})").Matches(Attrs({{"$or", "String", "x"}})));
}

TEST(FilterPolicyAttributes, TypesNumbersArraysAndIps) {
  // Numbers compare by value with five decimals, within -1e9..1e9.
  EXPECT_TRUE(MustParse(R"({"n":[5]})").Matches(Attrs({{"n", "Number", "5.0"}})));
  EXPECT_TRUE(MustParse(R"({"n":[5]})").Matches(Attrs({{"n", "Number", "5.000001"}})));
  EXPECT_FALSE(MustParse(R"({"n":[5]})").Matches(Attrs({{"n", "Number", "5.00001"}})));
  EXPECT_FALSE(MustParse(R"({"n":[5]})").Matches(Attrs({{"n", "String", "5"}})));
  EXPECT_FALSE(MustParse(R"({"n":["5"]})").Matches(Attrs({{"n", "Number", "5"}})));
  EXPECT_TRUE(MustParse(R"({"n":[12345678901234]})").Matches(Attrs({{"n", "Number", "12345678901234"}})));
  EXPECT_FALSE(MustParse(R"({"n":[{"numeric":[">",0]}]})").Matches(Attrs({{"n", "String", "5"}})));
  EXPECT_FALSE(MustParse(R"({"n":[{"numeric":[">",0]}]})").Matches(Attrs({{"n", "Number", "2000000000"}})));
  EXPECT_TRUE(MustParse(R"({"n":[{"numeric":["<",0]}]})").Matches(Attrs({{"n", "Number", "-1e3"}})));
  EXPECT_TRUE(MustParse(R"({"n":[{"anything-but":[1,2]}]})").Matches(Attrs({{"n", "Number", "3"}})));
  EXPECT_FALSE(MustParse(R"({"n":[{"anything-but":[1,2]}]})").Matches(Attrs({{"n", "Number", "2.0"}})));
  EXPECT_FALSE(MustParse(R"({"n":[{"anything-but":[1,2]}]})").Matches(Attrs({{"n", "String", "3"}})));
  EXPECT_TRUE(MustParse(R"({"n":[{"anything-but":"x"}]})").Matches(Attrs({{"n", "Number", "3"}})));
  // Custom type suffixes keep the base type; Binary is ignored.
  EXPECT_TRUE(MustParse(R"({"s":["a"]})").Matches(Attrs({{"s", "String.custom", "a"}})));
  EXPECT_TRUE(MustParse(R"({"n":[{"numeric":[">",1]}]})").Matches(Attrs({{"n", "Number.float", "1.5"}})));
  EXPECT_FALSE(MustParse(R"({"b":[{"exists":true}]})").Matches(Attrs({{"b", "Binary", "AAEC"}})));
  EXPECT_TRUE(MustParse(R"({"b":[{"exists":false}]})").Matches(Attrs({{"b", "Binary", "AAEC"}})));
  // String.Array: any element; elements keep their JSON types.
  auto array = Attrs({{"a", "String.Array", R"(["x", 7, true, null])"}});
  EXPECT_TRUE(MustParse(R"({"a":["x"]})").Matches(array));
  EXPECT_TRUE(MustParse(R"({"a":[{"numeric":[">",6,"<",8]}]})").Matches(array));
  EXPECT_TRUE(MustParse(R"({"a":[true]})").Matches(array));
  EXPECT_TRUE(MustParse(R"({"a":[null]})").Matches(array));
  EXPECT_FALSE(MustParse(R"({"a":["7"]})").Matches(array));
  EXPECT_FALSE(MustParse(R"({"a":[{"exists":true}]})").Matches(Attrs({{"a", "String.Array", "[]"}})));
  // IP addresses: cidr ranges, and exact addresses in any spelling.
  auto ip = [](const char* value) { return Attrs({{"ip", "String", value}}); };
  auto v4 = MustParse(R"({"ip":[{"cidr":"10.0.0.0/24"}]})");
  EXPECT_TRUE(v4.Matches(ip("10.0.0.0")));
  EXPECT_TRUE(v4.Matches(ip("10.0.0.255")));
  EXPECT_FALSE(v4.Matches(ip("10.0.1.0")));
  EXPECT_FALSE(v4.Matches(ip("not an ip")));
  auto v6 = MustParse(R"({"ip":[{"cidr":"2001:db8::/32"}]})");
  EXPECT_TRUE(v6.Matches(ip("2001:db8:ffff::1")));
  EXPECT_FALSE(v6.Matches(ip("2001:db9::1")));
  EXPECT_FALSE(v6.Matches(ip("10.0.0.1")));
  EXPECT_TRUE(MustParse(R"({"ip":["::1"]})").Matches(ip("0:0:0:0:0:0:0:1")));
  // An IPv4-mapped IPv6 address is its IPv4 address (Java's InetAddress reads it so).
  EXPECT_TRUE(MustParse(R"({"ip":[{"cidr":"::ffff:10.0.0.0/24"}]})").Matches(ip("10.0.0.9")));
  EXPECT_TRUE(v4.Matches(ip("::ffff:10.0.0.9")));
  EXPECT_TRUE(v4.Matches(ip("::FFFF:a00:9")));
  EXPECT_EQ(ErrorOf(R"({"ip":[{"cidr":"::ffff:10.0.0.0/120"}]})"), "Invalid parameter: FilterPolicy: IPv4 mask bits must be < 32");
  EXPECT_TRUE(MustParse(R"({"ip":["10.0.0.9"]})").Matches(ip("::ffff:10.0.0.9")));
  EXPECT_FALSE(MustParse(R"({"ip":["10.0.0.9"]})").Matches(ip("10.0.0.10")));
}

TEST(FilterPolicyValidation, CompactTextAsJacksonWritesIt) {
  using filter_detail::JavaDoubleToString;
  // Java's Double.toString: decimal between 1e-3 and 1e7, computerized notation outside.
  EXPECT_EQ(JavaDoubleToString(100.0), "100.0");
  EXPECT_EQ(JavaDoubleToString(1.5), "1.5");
  EXPECT_EQ(JavaDoubleToString(-0.5), "-0.5");
  EXPECT_EQ(JavaDoubleToString(0.001), "0.001");
  EXPECT_EQ(JavaDoubleToString(0.0001), "1.0E-4");
  EXPECT_EQ(JavaDoubleToString(9999999.0), "9999999.0");
  EXPECT_EQ(JavaDoubleToString(1e7), "1.0E7");
  EXPECT_EQ(JavaDoubleToString(12345678.9), "1.23456789E7");
  EXPECT_EQ(JavaDoubleToString(1.5e-7), "1.5E-7");
  EXPECT_EQ(JavaDoubleToString(1e21), "1.0E21");
  EXPECT_EQ(JavaDoubleToString(123.456), "123.456");
  EXPECT_EQ(JavaDoubleToString(0.0), "0.0");
  EXPECT_EQ(JavaDoubleToString(-0.0), "-0.0");
  EXPECT_EQ(filter_detail::JacksonCompactText(boost::json::parse(
                R"({ "a" : [ "q\"\\/\u0001\u00e9", 1, -2, 2.50, 1e400, true, null ], "b": {} })")),
            R"({"a":["q\"\\/\u0001)" "\xC3\xA9" R"(",1,-2,2.5,"Infinity",true,null],"b":{}})");
}

// ---- Matching the message body ----

TEST(FilterPolicyBody, NestedKeysArraysAndTypes) {
  auto nested = MustParse(R"({"object":{"key":[{"prefix":"auto-"}]}})", kBody);
  EXPECT_TRUE(nested.MatchesBody(R"({"object":{"key":"auto-123"}})"));
  EXPECT_FALSE(nested.MatchesBody(R"({"object":{"key":"manual"}})"));
  EXPECT_FALSE(nested.MatchesBody(R"({"key":"auto-123"})"));
  EXPECT_FALSE(nested.MatchesBody("auto-123"));
  EXPECT_FALSE(nested.MatchesBody(R"([{"object":{"key":"auto-123"}}])"));

  auto example = MustParse(R"({"store":["example_corp"],"price_usd":[{"numeric":[">=",100]}],"customer_interests":["rugby"]})", kBody);
  EXPECT_TRUE(example.MatchesBody(
      R"({"store":"example_corp","event":"order_placed","customer_interests":["soccer","rugby","hockey"],"price_usd":210.75})"));
  EXPECT_FALSE(example.MatchesBody(R"({"store":"example_corp","customer_interests":["soccer"],"price_usd":210.75})"));
  EXPECT_FALSE(example.MatchesBody(R"({"store":"example_corp","customer_interests":["rugby"],"price_usd":"210.75"})"));

  // An array of objects matches when one element matches the whole nested policy.
  auto orders = R"({"orders":[{"id":1,"state":"new"},{"id":2,"state":"done"}]})";
  EXPECT_TRUE(MustParse(R"({"orders":{"id":[2],"state":["done"]}})", kBody).MatchesBody(orders));
  EXPECT_FALSE(MustParse(R"({"orders":{"id":[2],"state":["new"]}})", kBody).MatchesBody(orders));
  EXPECT_TRUE(MustParse(R"({"orders":{"state":[{"anything-but":"done"}]}})", kBody).MatchesBody(orders));

  EXPECT_TRUE(MustParse(R"({"a":[null]})", kBody).MatchesBody(R"({"a":null})"));
  // "exists": true needs a non-null, non-empty value (AWS "Key matching").
  EXPECT_FALSE(MustParse(R"({"a":[{"exists":true}]})", kBody).MatchesBody(R"({"a":null})"));
  EXPECT_FALSE(MustParse(R"({"a":[{"exists":true}]})", kBody).MatchesBody(R"({"a":""})"));
  EXPECT_TRUE(MustParse(R"({"a":[{"exists":false}]})", kBody).MatchesBody(R"({"a":null})"));
  EXPECT_TRUE(MustParse(R"({"a":[{"exists":true}]})", kBody).MatchesBody(R"({"a":[null,0]})"));
  EXPECT_FALSE(MustParse(R"({"a":[{"exists":true}]})", kBody).MatchesBody(R"({"a":{"b":1}})"));
  EXPECT_FALSE(MustParse(R"({"a":[{"anything-but":"x"}]})", kBody).MatchesBody(R"({"a":null})"));
  EXPECT_TRUE(MustParse(R"({"a":{"b":[{"exists":false}]}})", kBody).MatchesBody("{}"));
  EXPECT_TRUE(MustParse(R"({"flag":[true]})", kBody).MatchesBody(R"({"flag":true})"));
  EXPECT_FALSE(MustParse(R"({"flag":[true]})", kBody).MatchesBody(R"({"flag":"true"})"));
  EXPECT_TRUE(MustParse(R"({"n":[1.5]})", kBody).MatchesBody(R"({"n":1.50})"));
  EXPECT_TRUE(MustParse(R"({"n":[{"numeric":["=",3]}]})", kBody).MatchesBody(R"({"n":[1,[2,[3]]]})"));
  EXPECT_TRUE(MustParse(R"({"$or":[{"a":["x"]},{"b":{"c":["y"]}}]})", kBody).MatchesBody(R"({"b":{"c":"y"}})"));
  // A MessageBody policy does not apply to attributes, nor the reverse.
  EXPECT_FALSE(MustParse(R"({"a":["x"]})", kBody).Matches(Attrs({{"a", "String", "x"}})));
  EXPECT_FALSE(MustParse(R"({"a":["x"]})").MatchesBody(R"({"a":"x"})"));
  EXPECT_TRUE(MustParse(R"({"a":["x"]})", kBody).MatchesParsedBody(boost::json::parse(R"({"a":["y","x"]})")));
  EXPECT_FALSE(MustParse(R"({"a":["x"]})", kBody).MatchesParsedBody(boost::json::parse(R"(["x"])")));
}

// ---- Seeded randomised comparison against a reference model ----

// The reference: one key, one condition kind, evaluated the obvious way over the attribute's
// values. Written from the AWS documentation's wording, not from the implementation.
struct RefValue {
  bool is_number;
  std::string text;  // string value, or the number as written
  double number;
};

struct RefCondition {
  int kind;  // 0 exact strings, 1 exact numbers, 2 prefix, 3 suffix, 4 anything-but strings,
             // 5 numeric range, 6 exists, 7 anything-but numbers, 8 equals-ignore-case
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::string op1, op2;
  double bound1 = 0, bound2 = 0;
  bool exists = false;
};

bool Compare(const std::string& op, double value, double bound) {
  if (op == "=") return value == bound;
  if (op == "<") return value < bound;
  if (op == "<=") return value <= bound;
  if (op == ">") return value > bound;
  return value >= bound;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool ReferenceMatches(const RefCondition& condition, const std::vector<RefValue>& values, bool no_attributes) {
  if (condition.kind == 6) {
    // A key exists when it has a non-empty value; "exists": false needs some attribute present.
    bool present = std::any_of(values.begin(), values.end(), [](const RefValue& v) { return v.is_number || !v.text.empty(); });
    return condition.exists ? present : !present && !no_attributes;
  }
  for (const auto& value : values) {
    auto contains = [](const auto& list, const auto& item) { return std::find(list.begin(), list.end(), item) != list.end(); };
    switch (condition.kind) {
      case 0: if (!value.is_number && contains(condition.strings, value.text)) return true; break;
      case 1: if (value.is_number && contains(condition.numbers, value.number)) return true; break;
      case 2: if (!value.is_number && value.text.rfind(condition.strings[0], 0) == 0) return true; break;
      case 3:
        if (!value.is_number && value.text.size() >= condition.strings[0].size() &&
            value.text.compare(value.text.size() - condition.strings[0].size(), std::string::npos, condition.strings[0]) == 0)
          return true;
        break;
      case 4: if (value.is_number || !contains(condition.strings, value.text)) return true; break;
      case 5:
        if (value.is_number && Compare(condition.op1, value.number, condition.bound1) &&
            (condition.op2.empty() || Compare(condition.op2, value.number, condition.bound2)))
          return true;
        break;
      case 7: if (value.is_number && !contains(condition.numbers, value.number)) return true; break;
      case 8: if (!value.is_number && Lower(value.text) == Lower(condition.strings[0])) return true; break;
    }
  }
  return false;
}

std::string Quote(const std::string& text) { return "\"" + text + "\""; }

std::string NumberText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

std::string PolicyJson(const RefCondition& condition, std::mt19937& random) {
  // Random whitespace: AWS recompiles the compact form, so spacing must not matter.
  std::string sp = random() % 2 ? " " : "";
  auto join = [&](const auto& items, auto render) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," + sp : "") + render(items[i]);
    return out;
  };
  auto quote_all = [&](const std::vector<std::string>& items) { return join(items, Quote); };
  auto numbers_all = [&](const std::vector<double>& items) { return join(items, NumberText); };
  std::string list;
  switch (condition.kind) {
    case 0: list = quote_all(condition.strings); break;
    case 1: list = numbers_all(condition.numbers); break;
    case 2: list = "{\"prefix\":" + sp + Quote(condition.strings[0]) + "}"; break;
    case 3: list = "{\"suffix\":" + Quote(condition.strings[0]) + "}"; break;
    case 4: list = "{\"anything-but\":" + sp + "[" + quote_all(condition.strings) + "]}"; break;
    case 5:
      list = "{\"numeric\":[" + Quote(condition.op1) + "," + sp + NumberText(condition.bound1) +
             (condition.op2.empty() ? "" : "," + Quote(condition.op2) + "," + NumberText(condition.bound2)) + "]}";
      break;
    case 6: list = std::string("{\"exists\":") + (condition.exists ? "true" : "false") + "}"; break;
    case 7: list = "{\"anything-but\":[" + numbers_all(condition.numbers) + "]}"; break;
    case 8: list = "{\"equals-ignore-case\":" + Quote(condition.strings[0]) + "}"; break;
  }
  return "{" + sp + "\"k\":" + sp + "[" + sp + list + sp + "]" + sp + "}";
}

TEST(FilterPolicyRandomised, SingleKeyPoliciesAgainstReference) {
  unsigned seed = std::random_device{}();
  if (const char* replay = std::getenv("MALLARD_SNS_FILTER_SEED")) seed = static_cast<unsigned>(std::strtoul(replay, nullptr, 10));
  std::cout << "filter policy randomised test seed " << seed << " (MALLARD_SNS_FILTER_SEED=" << seed << " replays)\n";
  std::mt19937 random(seed);
  const std::vector<std::string> words = {"a", "ab", "abc", "b", "ba", "Ab", "ABC", "xa", "", "order_1"};
  auto word = [&] { return words[random() % words.size()]; };
  // Numbers with two decimals in a small range, so collisions and boundaries are frequent.
  auto number = [&] { return static_cast<double>(static_cast<int>(random() % 41) - 20) / 4.0; };
  const char* lower_ops[] = {"=", "<", "<=", ">", ">="};
  for (int iteration = 0; iteration < 20000; ++iteration) {
    RefCondition condition;
    condition.kind = static_cast<int>(random() % 9);
    switch (condition.kind) {
      case 0: case 4:
        for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) condition.strings.push_back(word());
        break;
      case 2: case 3: case 8: condition.strings.push_back(word()); break;
      case 1: case 7:
        for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) condition.numbers.push_back(number());
        break;
      case 5:
        condition.op1 = lower_ops[random() % 5];
        condition.bound1 = number();
        if ((condition.op1 == ">" || condition.op1 == ">=") && random() % 2) {
          condition.op2 = random() % 2 ? "<" : "<=";
          condition.bound2 = condition.bound1 + 0.25 * (1 + random() % 8);
        }
        break;
      case 6: condition.exists = random() % 2; break;
    }
    std::string policy_text = PolicyJson(condition, random);
    auto policy = FilterPolicy::Parse(policy_text, kAttributes);
    if (!policy.ok()) {
      // The only refusal the generator can produce: a prefix/suffix of "" is fine, so none.
      ADD_FAILURE() << "seed " << seed << " iteration " << iteration << ": refused " << policy_text << ": "
                    << policy.error().message;
      continue;
    }
    // The message: the key absent, a String, a Number, or a String.Array of both.
    Attributes attributes;
    std::vector<RefValue> values;
    int shape = static_cast<int>(random() % 4);
    if (shape == 1) {
      std::string text = word();
      attributes["k"] = {"String", text};
      values.push_back({false, text, 0});
    } else if (shape == 2) {
      double value = number();
      attributes["k"] = {"Number", NumberText(value)};
      values.push_back({true, NumberText(value), value});
    } else if (shape == 3) {
      std::string array = "[";
      for (int i = 0, n = static_cast<int>(random() % 3); i < n; ++i) {
        if (i) array += ",";
        if (random() % 2) {
          std::string text = word();
          array += Quote(text);
          values.push_back({false, text, 0});
        } else {
          double value = number();
          array += NumberText(value);
          values.push_back({true, NumberText(value), value});
        }
      }
      attributes["k"] = {"String.Array", array + "]"};
    }
    if (random() % 3 == 0) attributes["other"] = {"String", word()};
    bool expected = ReferenceMatches(condition, values, attributes.empty());
    bool actual = policy->Matches(attributes);
    if (expected != actual) {
      std::string message_text;
      for (const auto& [name, attribute] : attributes) message_text += name + "=" + attribute.data_type + ":" + attribute.value + " ";
      ADD_FAILURE() << "seed " << seed << " iteration " << iteration << ": policy " << policy_text << " message "
                    << message_text << " expected " << expected << " got " << actual;
      break;
    }
  }
}


// ---- Body scope: random nested policies and bodies against a record-based reference ----

// The reference flattens the body into records, one per choice of element in every array of
// objects (scalars in arrays stay multi-valued leaves), and matches when one record satisfies
// every key path of one $or alternative — the "same element" rule stated another way.
struct BodyValue {
  enum Kind { String, Number, Null, Object, Array } kind = Null;
  std::string text;
  double number = 0;
  std::vector<std::pair<std::string, BodyValue>> members;
  std::vector<BodyValue> elements;
};

std::string BodyJson(const BodyValue& value) {
  switch (value.kind) {
    case BodyValue::String: return Quote(value.text);
    case BodyValue::Number: return NumberText(value.number);
    case BodyValue::Null: return "null";
    case BodyValue::Object: {
      std::string out = "{";
      for (std::size_t i = 0; i < value.members.size(); ++i) {
        out += (i ? "," : "") + Quote(value.members[i].first) + ":" + BodyJson(value.members[i].second);
      }
      return out + "}";
    }
    case BodyValue::Array: {
      std::string out = "[";
      for (std::size_t i = 0; i < value.elements.size(); ++i) out += (i ? "," : "") + BodyJson(value.elements[i]);
      return out + "]";
    }
  }
  return "null";
}

struct LeafValue {
  bool is_null, is_number;
  std::string text;
  double number;
};
using Record = std::map<std::string, std::vector<LeafValue>>;

std::vector<Record> Cross(const std::vector<Record>& left, const std::vector<Record>& right) {
  std::vector<Record> out;
  for (const auto& a : left) {
    for (const auto& b : right) {
      Record joined = a;
      for (const auto& [path, values] : b) joined[path].insert(joined[path].end(), values.begin(), values.end());
      out.push_back(std::move(joined));
    }
  }
  return out;
}

std::vector<Record> Flatten(const BodyValue& object, const std::string& prefix);

// The records one member value contributes at `path`.
std::vector<Record> FlattenValue(const BodyValue& value, const std::string& path) {
  switch (value.kind) {
    case BodyValue::Object: return Flatten(value, path + ".");
    case BodyValue::Array: {
      std::vector<Record> scalars(1);
      std::vector<Record> objects;
      std::vector<const BodyValue*> pending;
      for (const auto& element : value.elements) pending.push_back(&element);
      for (std::size_t i = 0; i < pending.size(); ++i) {
        const BodyValue& element = *pending[i];
        if (element.kind == BodyValue::Array) {
          for (const auto& inner : element.elements) pending.push_back(&inner);
        } else if (element.kind == BodyValue::Object) {
          auto records = Flatten(element, path + ".");
          objects.insert(objects.end(), records.begin(), records.end());
        } else {
          auto leaf = FlattenValue(element, path);
          scalars = Cross(scalars, leaf);
        }
      }
      return objects.empty() ? scalars : Cross(scalars, objects);
    }
    default: {
      Record record;
      record[path].push_back({value.kind == BodyValue::Null, value.kind == BodyValue::Number, value.text, value.number});
      return {record};
    }
  }
}

std::vector<Record> Flatten(const BodyValue& object, const std::string& prefix) {
  std::vector<Record> records(1);
  for (const auto& [name, value] : object.members) records = Cross(records, FlattenValue(value, prefix + name));
  return records;
}

// A policy alternative: key path -> condition (one condition per key keeps the reference plain).
using PolicyPaths = std::vector<std::pair<std::string, RefCondition>>;

bool LeafMatches(const RefCondition& condition, const std::vector<LeafValue>& leaf) {
  std::vector<RefValue> values;
  bool has_null = false;
  for (const auto& value : leaf) {
    if (value.is_null) {
      has_null = true;
    } else {
      values.push_back({value.is_number, value.text, value.number});
    }
  }
  if (condition.kind == 9) return has_null;  // exact null
  return ReferenceMatches(condition, values, false);
}

bool ReferenceBodyMatches(const std::vector<PolicyPaths>& alternatives, const BodyValue& body) {
  auto records = Flatten(body, "");
  for (const auto& alternative : alternatives) {
    for (const auto& record : records) {
      bool all = true;
      for (const auto& [path, condition] : alternative) {
        auto found = record.find(path);
        if (!LeafMatches(condition, found == record.end() ? std::vector<LeafValue>{} : found->second)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
  }
  return false;
}

TEST(FilterPolicyRandomised, NestedBodyPoliciesAgainstReference) {
  unsigned seed = std::random_device{}();
  if (const char* replay = std::getenv("MALLARD_SNS_FILTER_SEED")) seed = static_cast<unsigned>(std::strtoul(replay, nullptr, 10));
  std::cout << "filter policy body test seed " << seed << " (MALLARD_SNS_FILTER_SEED=" << seed << " replays)\n";
  std::mt19937 random(seed);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<std::string> words = {"x", "xy", "y", ""};
  auto number = [&] { return static_cast<double>(static_cast<int>(random() % 9) - 4) / 2.0; };
  std::function<BodyValue(int)> scalar = [&](int) {
    BodyValue value;
    switch (random() % 3) {
      case 0: value.kind = BodyValue::String; value.text = words[random() % words.size()]; break;
      case 1: value.kind = BodyValue::Number; value.number = number(); value.text = NumberText(value.number); break;
      default: value.kind = BodyValue::Null; break;
    }
    return value;
  };
  std::function<BodyValue(int)> object = [&](int depth) {
    BodyValue value;
    value.kind = BodyValue::Object;
    for (const auto& name : names) {
      int pick = static_cast<int>(random() % 5);
      if (pick == 0) continue;  // absent
      if (pick == 1 && depth < 2) {
        value.members.emplace_back(name, object(depth + 1));
      } else if (pick == 2) {
        BodyValue array;
        array.kind = BodyValue::Array;
        for (int i = 0, n = static_cast<int>(random() % 3); i < n; ++i) {
          array.elements.push_back(depth < 2 && random() % 2 ? object(depth + 1) : scalar(depth));
        }
        value.members.emplace_back(name, array);
      } else {
        value.members.emplace_back(name, scalar(depth));
      }
    }
    return value;
  };
  auto condition = [&](std::string& json) {
    RefCondition c;
    c.kind = std::vector<int>{0, 1, 2, 4, 5, 6, 9}[random() % 7];
    switch (c.kind) {
      case 0: c.strings = {words[random() % words.size()]}; json = Quote(c.strings[0]); break;
      case 1: c.numbers = {number()}; json = NumberText(c.numbers[0]); break;
      case 2: c.strings = {words[random() % 3]}; json = "{\"prefix\":" + Quote(c.strings[0]) + "}"; break;
      case 4: c.strings = {words[random() % words.size()]}; json = "{\"anything-but\":" + Quote(c.strings[0]) + "}"; break;
      case 5: c.op1 = ">="; c.bound1 = number(); json = "{\"numeric\":[\">=\"," + NumberText(c.bound1) + "]}"; break;
      case 6: c.exists = random() % 2; json = std::string("{\"exists\":") + (c.exists ? "true" : "false") + "}"; break;
      default: json = "null"; break;
    }
    return c;
  };
  // A policy object over `names` at `path`, appending its leaves to `paths`.
  std::function<std::string(const std::string&, int, PolicyPaths&)> policy_object = [&](const std::string& path, int depth,
                                                                                          PolicyPaths& paths) {
    std::string json = "{";
    int keys = 0;
    for (const auto& name : names) {
      if (random() % 2 && !(keys == 0 && &name == &names.back())) continue;
      json += (keys++ ? "," : "") + Quote(name) + ":";
      if (depth < 2 && random() % 3 == 0) {
        json += policy_object(path + name + ".", depth + 1, paths);
      } else {
        std::string text;
        paths.emplace_back(path + name, condition(text));
        json += "[" + text + "]";
      }
    }
    return json + "}";
  };
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::vector<PolicyPaths> alternatives;
    std::string policy_text;
    if (random() % 4 == 0) {
      PolicyPaths first, second;
      std::string one = policy_object("", 1, first), two = policy_object("", 1, second);
      policy_text = "{\"$or\":[" + one + "," + two + "]}";
      alternatives = {first, second};
    } else {
      alternatives.emplace_back();
      policy_text = policy_object("", 1, alternatives.back());
    }
    auto policy = FilterPolicy::Parse(policy_text, kBody);
    if (!policy.ok()) continue;  // over a limit: not what this test is about
    BodyValue body = object(1);
    bool expected = ReferenceBodyMatches(alternatives, body);
    bool actual = policy->MatchesBody(BodyJson(body));
    if (expected != actual) {
      ADD_FAILURE() << "seed " << seed << " iteration " << iteration << ": policy " << policy_text << " body "
                    << BodyJson(body) << " expected " << expected << " got " << actual;
      break;
    }
  }
}

}  // namespace
}  // namespace mallard::sns

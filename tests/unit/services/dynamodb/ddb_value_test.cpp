#include "services/dynamodb/model/ddb_value.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <string>

#include "common/encoding.hpp"

namespace mallard::dynamodb {
namespace {

namespace json = boost::json;

// The request codec allows deeper documents than Boost.JSON's default of 32 levels.
json::value Parse(const std::string& wire) {
  json::parse_options options;
  options.max_depth = 256;
  return json::parse(wire, {}, options);
}

const std::string kPrefix = "One or more parameter values were invalid: ";
const std::string kEmpty = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes";
const std::string kMultiple =
    "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes";
const std::string kNesting =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

AttributeValue Decoded(const std::string& wire) {
  auto value = ValueFromJson(Parse(wire));
  EXPECT_TRUE(value.ok()) << wire << ": " << (value.ok() ? "" : value.error());
  return value.ok() ? *value : AttributeValue();
}

// "<code>: <message>" of DecodeValue's failure.
std::string Failure(const std::string& wire) {
  auto value = DecodeValue(Parse(wire));
  EXPECT_FALSE(value.ok()) << wire;
  return value.ok() ? std::string() : value.error().code + ": " + value.error().message;
}

std::string Validation(const std::string& message) { return "ValidationException: " + message; }
std::string Serialization(const std::string& message) { return "SerializationException: " + message; }

std::string RoundTrip(const std::string& wire) { return json::serialize(ValueToJson(Decoded(wire))); }

TEST(ValueTest, TypeTagsRoundTrip) {
  for (AttrType type : {AttrType::S, AttrType::N, AttrType::B, AttrType::BOOL, AttrType::NUL, AttrType::SS,
                        AttrType::NS, AttrType::BS, AttrType::L, AttrType::M}) {
    AttrType parsed;
    ASSERT_TRUE(ParseTypeTag(TypeTag(type), parsed));
    EXPECT_EQ(parsed, type);
  }
  AttrType unused;
  EXPECT_FALSE(ParseTypeTag("s", unused));
  EXPECT_FALSE(ParseTypeTag("NUL", unused));
  EXPECT_EQ(TypeTag(AttrType::NUL), "NULL");
}

TEST(ValueTest, DecodesEveryType) {
  EXPECT_EQ(Decoded(R"({"S":"héllo"})").bytes, "héllo");
  EXPECT_EQ(Decoded(R"({"S":""})").bytes, "");
  EXPECT_EQ(Decoded(R"({"N":"1.50e2"})").number.ToString(), "150");
  auto binary = Decoded(R"({"B":"AAEC/w=="})");
  EXPECT_EQ(binary.type, AttrType::B);
  EXPECT_EQ(binary.bytes, std::string("\x00\x01\x02\xff", 4));
  EXPECT_TRUE(Decoded(R"({"BOOL":true})").boolean);
  EXPECT_FALSE(Decoded(R"({"BOOL":false})").boolean);
  EXPECT_EQ(Decoded(R"({"NULL":true})").type, AttrType::NUL);
  auto strings = Decoded(R"({"SS":["b","a"]})");
  EXPECT_EQ(strings.byte_set, (std::vector<std::string>{"b", "a"}));
  auto numbers = Decoded(R"({"NS":["1","2.5"]})");
  ASSERT_EQ(numbers.number_set.size(), 2u);
  EXPECT_EQ(numbers.number_set[1].ToString(), "2.5");
  EXPECT_EQ(Decoded(R"({"BS":["YQ==","Yg=="]})").byte_set, (std::vector<std::string>{"a", "b"}));
  auto list = Decoded(R"({"L":[{"S":"x"},{"N":"1"},{"L":[]}]})");
  ASSERT_EQ(list.list.size(), 3u);
  EXPECT_EQ(list.list[2].type, AttrType::L);
  auto map = Decoded(R"({"M":{"a":{"M":{"b":{"NULL":true}}}}})");
  EXPECT_EQ(map.map.at("a").map.at("b").type, AttrType::NUL);
  // Null members are absent and unknown members ignored, as AWS's deserializer treats them.
  EXPECT_EQ(Decoded(R"({"S":"x","N":null})").type, AttrType::S);
  EXPECT_EQ(Decoded(R"({"S":"x","Extra":5})").type, AttrType::S);
}

TEST(ValueTest, RendersCanonically) {
  EXPECT_EQ(RoundTrip(R"({"N":"0.00100"})"), R"({"N":"0.001"})");
  EXPECT_EQ(RoundTrip(R"({"N":"-0"})"), R"({"N":"0"})");
  EXPECT_EQ(RoundTrip(R"({"NS":["1E+2","-5.0"]})"), R"({"NS":["100","-5"]})");
  EXPECT_EQ(RoundTrip(R"({"B":"AAEC/w=="})"), R"({"B":"AAEC/w=="})");
  EXPECT_EQ(RoundTrip(R"({"BS":["YQ=="]})"), R"({"BS":["YQ=="]})");
  EXPECT_EQ(RoundTrip(R"({"NULL":true})"), R"({"NULL":true})");
  EXPECT_EQ(RoundTrip(R"({"BOOL":false})"), R"({"BOOL":false})");
  EXPECT_EQ(RoundTrip(R"({"L":[{"S":"a"},{"M":{"k":{"N":"1.0"}}}]})"), R"({"L":[{"S":"a"},{"M":{"k":{"N":"1"}}}]})");
  auto item = MapFromJson(Parse(R"({"pk":{"S":"a"},"n":{"N":"010"}})").as_object());
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(json::serialize(MapToJson(*item)), R"({"n":{"N":"10"},"pk":{"S":"a"}})");
}

TEST(ValueTest, EmptyAndMultiTypedValues) {
  for (const char* wire : {R"({})", R"({"a":""})", R"({"S":null})", R"(null)"}) {
    EXPECT_EQ(Failure(wire), Validation(kEmpty)) << wire;
  }
  EXPECT_EQ(Failure(R"({"M":{"a":{}}})"), Validation(kEmpty));
  EXPECT_EQ(Failure(R"({"L":[{}]})"), Validation(kEmpty));
  EXPECT_EQ(Failure(R"({"L":[{"a":{}}]})"), Validation(kEmpty));
  EXPECT_EQ(Failure(R"({"S":"a","N":"1"})"), Validation(kMultiple));
  // Content errors are reported before the datatype count.
  EXPECT_EQ(Failure(R"({"S":"a","N":"b"})"), Validation("The parameter cannot be converted to a numeric value: b"));
  EXPECT_EQ(Failure(R"({"S":"","N":""})"), Validation("The parameter cannot be converted to a numeric value"));
}

TEST(ValueTest, SetValidationMessages) {
  EXPECT_EQ(Failure(R"({"SS":[]})"), Validation(kPrefix + "An string set  may not be empty"));
  EXPECT_EQ(Failure(R"({"NS":[]})"), Validation(kPrefix + "An number set  may not be empty"));
  EXPECT_EQ(Failure(R"({"BS":[]})"), Validation(kPrefix + "Binary sets should not be empty"));
  EXPECT_EQ(Failure(R"({"SS":["a","a"]})"), Validation(kPrefix + "Input collection [a, a] contains duplicates."));
  EXPECT_EQ(Failure(R"({"SS":["a","b","a"]})"),
            Validation(kPrefix + "Input collection [a, b, a] contains duplicates."));
  EXPECT_EQ(Failure(R"({"BS":["Yg==","Yg=="]})"),
            Validation(kPrefix + "Input collection [Yg==, Yg==]of type BS contains duplicates."));
  EXPECT_EQ(Failure(R"({"NS":["1","1"]})"), Validation("Input collection contains duplicates"));
  // Numbers are compared numerically.
  EXPECT_EQ(Failure(R"({"NS":["1","1.0"]})"), Validation("Input collection contains duplicates"));
  EXPECT_EQ(Failure(R"({"NS":["100","1e2"]})"), Validation("Input collection contains duplicates"));
  EXPECT_EQ(Failure(R"({"NS":["-0","0"]})"), Validation("Input collection contains duplicates"));
  EXPECT_EQ(Failure(R"({"NS":["1",""]})"), Validation("The parameter cannot be converted to a numeric value"));
  EXPECT_EQ(Failure(R"({"NS":["1","b"]})"), Validation("The parameter cannot be converted to a numeric value: b"));
  EXPECT_EQ(Failure(R"({"NULL":false})"), Validation(kPrefix + "Null attribute value types must have the value of true"));
  // Distinct values pass, including ones that differ only after many members.
  std::string many = R"({"SS":[)";
  for (int i = 0; i < 40; ++i) many += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  EXPECT_EQ(Decoded(many + "]}").byte_set.size(), 40u);
  EXPECT_EQ(Failure(many + R"(,"7"]})").rfind(Validation(kPrefix + "Input collection [0, 1,"), 0), 0u);
  std::string many_numbers = R"({"NS":[)";
  for (int i = 0; i < 40; ++i) many_numbers += (i ? ",\"" : "\"") + std::to_string(i) + ".0\"";
  EXPECT_EQ(Decoded(many_numbers + "]}").number_set.size(), 40u);
  EXPECT_EQ(Failure(many_numbers + R"(,"7e0"]})"), Validation("Input collection contains duplicates"));
}

TEST(ValueTest, NumberErrorsPassThrough) {
  EXPECT_EQ(Failure(R"({"N":"abc"})"), Validation("The parameter cannot be converted to a numeric value: abc"));
  EXPECT_EQ(Failure(R"({"N":"123456789012345678901234567890123456789"})"),
            Validation("Attempting to store more than 38 significant digits in a Number"));
  EXPECT_EQ(Failure(R"({"N":"1e126"})"),
            Validation("Number overflow. Attempting to store a number with magnitude larger than supported range"));
  EXPECT_EQ(Failure(R"({"N":"-1e-131"})"),
            Validation("Number underflow. Attempting to store a number with magnitude smaller than supported range"));
  auto plain = ValueFromJson(Parse(R"({"N":"abc"})"));
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error(), "The parameter cannot be converted to a numeric value: abc");
  auto unprefixed = ValueFromJson(Parse(R"({"SS":[]})"));
  ASSERT_FALSE(unprefixed.ok());
  EXPECT_EQ(unprefixed.error(), "An string set  may not be empty");
}

TEST(ValueTest, WireTypeMismatchesAreSerializationErrors) {
  EXPECT_EQ(Failure(R"({"S":123})"), Serialization("NUMBER_VALUE cannot be converted to String"));
  EXPECT_EQ(Failure(R"({"N":123})"), Serialization("NUMBER_VALUE cannot be converted to String"));
  EXPECT_EQ(Failure(R"({"S":true})"), Serialization("BOOLEAN_VALUE cannot be converted to String"));
  EXPECT_EQ(Failure(R"({"BOOL":"yes"})"), Serialization("STRING_VALUE cannot be converted to Boolean"));
  EXPECT_EQ(Failure(R"({"NULL":1})"), Serialization("NUMBER_VALUE cannot be converted to Boolean"));
  EXPECT_EQ(Failure(R"({"S":{}})"), Serialization("Start of structure or map found where not expected."));
  EXPECT_EQ(Failure(R"({"S":[]})"), Serialization("Start of list found where not expected"));
  EXPECT_EQ(Failure(R"({"SS":"a"})"), Serialization("Unexpected field type"));
  EXPECT_EQ(Failure(R"({"SS":[1]})"), Serialization("NUMBER_VALUE cannot be converted to String"));
  EXPECT_EQ(Failure(R"({"L":{}})"), Serialization("Start of structure or map found where not expected."));
  EXPECT_EQ(Failure(R"({"M":[]})"), Serialization("Start of list found where not expected"));
  EXPECT_EQ(Failure(R"({"M":"x"})"), Serialization("Unexpected field type"));
  EXPECT_EQ(Failure(R"("x")"), Serialization("Unexpected field type"));
  EXPECT_EQ(Failure(R"([])"), Serialization("Start of list found where not expected"));
  EXPECT_EQ(Failure(R"({"L":["x"]})"), Serialization("Unexpected field type"));
  // Deserialization covers the whole value before any validation is reported.
  EXPECT_EQ(Failure(R"({"L":[{"NS":[]},{"S":5}]})"), Serialization("NUMBER_VALUE cannot be converted to String"));
  auto map = DecodeMap(Parse(R"({"a":{"SS":[]},"b":{"BOOL":"x"}})").as_object());
  ASSERT_FALSE(map.ok());
  EXPECT_EQ(map.error().code, "SerializationException");
}

TEST(ValueTest, Base64IsStrict) {
  EXPECT_EQ(Failure(R"({"B":"YQ="})"),
            Serialization("'YQ=' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 "
                          "bytes but found: 3"));
  EXPECT_EQ(Failure(R"({"B":"Y$=="})"), Serialization("'Y$==' can not be converted to a Blob: Invalid Base64 character: '$'"));
  EXPECT_EQ(Failure(R"({"B":"Y=Q="})"), Serialization("'Y=Q=' can not be converted to a Blob: Invalid Base64 character: '='"));
  EXPECT_EQ(Failure(R"({"B":"YR=="})"),
            Serialization("'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"));
  EXPECT_EQ(Failure(R"({"BS":["YQ==","a-b_"]})"),
            Serialization("'a-b_' can not be converted to a Blob: Invalid Base64 character: '-'"));
  EXPECT_EQ(Decoded(R"({"B":""})").bytes, "");
  EXPECT_EQ(Base64DecodeStrict("YWJj").value(), "abc");
  EXPECT_EQ(Base64DecodeStrict("YWI=").value(), "ab");
  EXPECT_FALSE(Base64DecodeStrict("YWI").has_value());
  EXPECT_FALSE(Base64DecodeStrict("YWJ=").has_value());
  EXPECT_FALSE(Base64DecodeStrict("====").has_value());
  std::string bytes;
  for (int length = 0; length < 40; ++length) {
    ASSERT_EQ(Base64DecodeStrict(Base64Encode(bytes)).value(), bytes);
    bytes += static_cast<char>(length * 53);
  }
}

std::string Nested(int containers, const std::string& leaf) {
  std::string wire;
  for (int i = 0; i < containers; ++i) wire += (i % 2 == 0) ? R"({"L":[)" : R"({"M":{"k":)";
  wire += leaf;
  for (int i = containers - 1; i >= 0; --i) wire += (i % 2 == 0) ? "]}" : "}}";
  return wire;
}

TEST(ValueTest, NestingIsBoundedAtThirtyTwoLevels) {
  EXPECT_EQ(Decoded(Nested(kMaxNestingLevels, R"({"S":"leaf"})")).type, AttrType::L);
  EXPECT_EQ(Failure(Nested(kMaxNestingLevels + 1, R"({"S":"leaf"})")), Validation(kNesting));
  EXPECT_EQ(Failure(Nested(kMaxNestingLevels, R"({"M":{}})")), Validation(kNesting));
  // An empty container still counts as a level.
  EXPECT_TRUE(ValueFromJson(Parse(Nested(kMaxNestingLevels - 1, R"({"M":{}})"))).ok());
}

TEST(ValueTest, EqualityIsSetAwareAndNumeric) {
  EXPECT_TRUE(Equals(Decoded(R"({"N":"1.0"})"), Decoded(R"({"N":"1"})")));
  EXPECT_FALSE(Equals(Decoded(R"({"N":"1"})"), Decoded(R"({"S":"1"})")));
  EXPECT_FALSE(Equals(Decoded(R"({"S":"a"})"), Decoded(R"({"B":"YQ=="})")));
  EXPECT_TRUE(Equals(Decoded(R"({"SS":["a","b"]})"), Decoded(R"({"SS":["b","a"]})")));
  EXPECT_FALSE(Equals(Decoded(R"({"SS":["a","b"]})"), Decoded(R"({"SS":["a","c"]})")));
  EXPECT_FALSE(Equals(Decoded(R"({"SS":["a"]})"), Decoded(R"({"SS":["a","b"]})")));
  EXPECT_TRUE(Equals(Decoded(R"({"NS":["1","20"]})"), Decoded(R"({"NS":["2e1","1.00"]})")));
  EXPECT_TRUE(Equals(Decoded(R"({"BS":["YQ==","Yg=="]})"), Decoded(R"({"BS":["Yg==","YQ=="]})")));
  EXPECT_FALSE(Equals(Decoded(R"({"SS":["a"]})"), Decoded(R"({"BS":["YQ=="]})")));
  EXPECT_FALSE(Equals(Decoded(R"({"L":[{"S":"a"},{"S":"b"}]})"), Decoded(R"({"L":[{"S":"b"},{"S":"a"}]})")));
  EXPECT_TRUE(Equals(Decoded(R"({"L":[{"N":"5"},{"M":{}}]})"), Decoded(R"({"L":[{"N":"5.0"},{"M":{}}]})")));
  EXPECT_TRUE(Equals(Decoded(R"({"M":{"a":{"N":"1"},"b":{"BOOL":true}}})"),
                     Decoded(R"({"M":{"b":{"BOOL":true},"a":{"N":"1.0"}}})")));
  EXPECT_FALSE(Equals(Decoded(R"({"M":{"a":{"N":"1"}}})"), Decoded(R"({"M":{"b":{"N":"1"}}})")));
  EXPECT_FALSE(Equals(Decoded(R"({"BOOL":true})"), Decoded(R"({"BOOL":false})")));
  EXPECT_TRUE(Equals(Decoded(R"({"NULL":true})"), AttributeValue::Null()));
  std::string big_a = R"({"SS":[)", big_b = R"({"SS":[)";
  for (int i = 0; i < 30; ++i) {
    big_a += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
    big_b += (i ? ",\"" : "\"") + std::to_string(29 - i) + "\"";
  }
  EXPECT_TRUE(Equals(Decoded(big_a + "]}"), Decoded(big_b + "]}")));
}

TEST(ValueTest, ScalarOrderingAndKeyBytesAgree) {
  const std::vector<std::string> ordered_strings = {"", "A", "Z", "a", "ab", "b", "\xc3\xa9", "\xf0\x9f\x98\x80"};
  const std::vector<std::string> ordered_numbers = {"-1e125", "-10", "-9.5", "-1e-130", "0", "1e-130", "0.5", "2", "10",
                                                    "1e125"};
  const std::vector<std::string> ordered_binaries = {std::string(), std::string(1, '\0'), std::string("\x00\x01", 2),
                                                     "\x7f", "\x80", "\xff"};
  auto check = [](const std::vector<AttributeValue>& values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      for (std::size_t j = 0; j < values.size(); ++j) {
        const int expected = (i > j) - (i < j);
        EXPECT_EQ(CompareScalar(values[i], values[j]), expected) << i << " " << j;
        const int by_key = OrderedKeyBytes(values[i]).compare(OrderedKeyBytes(values[j]));
        EXPECT_EQ((by_key > 0) - (by_key < 0), expected) << i << " " << j;
      }
    }
  };
  std::vector<AttributeValue> strings, numbers, binaries;
  for (const auto& s : ordered_strings) strings.push_back(AttributeValue::String(s));
  for (const auto& n : ordered_numbers) numbers.push_back(AttributeValue::Number(Decimal::Parse(n).value()));
  for (const auto& b : ordered_binaries) binaries.push_back(AttributeValue::Binary(b));
  check(strings);
  check(numbers);
  check(binaries);
  EXPECT_EQ(CompareScalar(AttributeValue::Number(Decimal::Parse("1.0").value()), AttributeValue::Number(Decimal::FromInt(1))), 0);
}

std::size_t SizeOf(const std::string& wire) {
  auto item = MapFromJson(Parse(wire).as_object());
  EXPECT_TRUE(item.ok()) << wire;
  return item.ok() ? ItemSize(*item) : 0;
}

TEST(ValueTest, SizesFollowTheDeveloperGuide) {
  EXPECT_EQ(SizeOf(R"({"id":{"S":"abc"}})"), 2u + 3u);
  EXPECT_EQ(SizeOf(R"({"name":{"S":"héllo"}})"), 4u + 6u);  // UTF-8 bytes, not characters
  EXPECT_EQ(SizeOf(R"({"né":{"S":"x"}})"), 3u + 1u);
  EXPECT_EQ(SizeOf(R"({"n":{"N":"12345"}})"), 1u + 4u);
  EXPECT_EQ(SizeOf(R"({"n":{"N":"-12345"}})"), 1u + 5u);
  EXPECT_EQ(SizeOf(R"({"n":{"N":"0"}})"), 1u + 1u);
  EXPECT_EQ(SizeOf(R"({"b":{"B":"AAEC/w=="}})"), 1u + 4u);  // raw bytes, not base64 text
  EXPECT_EQ(SizeOf(R"({"flag":{"BOOL":true}})"), 4u + 1u);
  EXPECT_EQ(SizeOf(R"({"z":{"NULL":true}})"), 1u + 1u);
  EXPECT_EQ(SizeOf(R"({"l":{"L":[]}})"), 1u + 3u);
  EXPECT_EQ(SizeOf(R"({"m":{"M":{}}})"), 1u + 3u);
  EXPECT_EQ(SizeOf(R"({"l":{"L":[{"S":"xy"}]}})"), 1u + 3u + 1u + 2u);
  EXPECT_EQ(SizeOf(R"({"l":{"L":[{"S":"xy"},{"N":"1"}]}})"), 1u + 3u + (1u + 2u) + (1u + 2u));
  EXPECT_EQ(SizeOf(R"({"m":{"M":{"ab":{"S":"xyz"}}}})"), 1u + 3u + (1u + 2u + 3u));
  EXPECT_EQ(SizeOf(R"({"m":{"M":{"a":{"L":[{"NULL":true}]}}}})"), 1u + 3u + (1u + 1u + (3u + 1u + 1u)));
  EXPECT_EQ(SizeOf(R"({"s":{"SS":["ab","c"]}})"), 1u + 3u);
  EXPECT_EQ(SizeOf(R"({"s":{"NS":["1","12345"]}})"), 1u + 2u + 4u);
  EXPECT_EQ(SizeOf(R"({"s":{"BS":["YQ==","YWI="]}})"), 1u + 3u);
  EXPECT_EQ(SizeOf(R"({"id":{"S":"abc"},"n":{"N":"12345"},"flag":{"BOOL":true},"l":{"L":[{"S":"xy"}]}})"), 22u);
  // AWS's 400 KB boundary with a 38-digit number at the top of the range (20 bytes).
  EXPECT_EQ(SizeOf(R"({"c":{"N":")" + std::string(38, '1') + std::string(88, '0') + R"("}})"), 1u + 20u);
  EXPECT_EQ(kMaxItemSize, 409600u);
}

}  // namespace
}  // namespace mallard::dynamodb

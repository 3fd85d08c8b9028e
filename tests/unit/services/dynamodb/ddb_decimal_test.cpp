#include "services/dynamodb/model/ddb_decimal.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace mallard::dynamodb {
namespace {

const std::string kOverflow = "Number overflow. Attempting to store a number with magnitude larger than supported range";
const std::string kUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range";
const std::string kTooManyDigits = "Attempting to store more than 38 significant digits in a Number";

Decimal D(const std::string& text) {
  auto parsed = Decimal::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text << ": " << (parsed.ok() ? "" : parsed.error());
  return parsed.ok() ? *parsed : Decimal::Zero();
}

std::string Canonical(const std::string& text) { return D(text).ToString(); }

std::string ParseError(const std::string& text) {
  auto parsed = Decimal::Parse(text);
  EXPECT_FALSE(parsed.ok()) << text << " parsed as " << (parsed.ok() ? parsed->ToString() : "");
  return parsed.ok() ? std::string() : parsed.error();
}

std::string Sum(const std::string& a, const std::string& b) {
  auto result = D(a).Add(D(b));
  return result.ok() ? result->ToString() : "error: " + result.error();
}

std::string Difference(const std::string& a, const std::string& b) {
  auto result = D(a).Subtract(D(b));
  return result.ok() ? result->ToString() : "error: " + result.error();
}

TEST(DecimalTest, CanonicalRendering) {
  EXPECT_EQ(Canonical("1.50e2"), "150");
  EXPECT_EQ(Canonical("-0"), "0");
  EXPECT_EQ(Canonical("-0.000"), "0");
  EXPECT_EQ(Canonical("0.00100"), "0.001");
  EXPECT_EQ(Canonical("1E+30"), "1000000000000000000000000000000");
  EXPECT_EQ(Canonical("+3"), "3");
  EXPECT_EQ(Canonical(".123"), "0.123");
  EXPECT_EQ(Canonical("0001.23"), "1.23");
  EXPECT_EQ(Canonical("1e+5"), "100000");
  EXPECT_EQ(Canonical("0e1000"), "0");
  EXPECT_EQ(Canonical("-17e5"), "-1700000");
  EXPECT_EQ(Canonical("-17.4E37"), "-174000000000000000000000000000000000000");
  EXPECT_EQ(Canonical("-7.1234"), "-7.1234");
  EXPECT_EQ(Canonical("1."), "1");
  EXPECT_EQ(Canonical("12.340"), "12.34");
  EXPECT_EQ(Canonical("1234.5e-2"), "12.345");
  EXPECT_EQ(Canonical("0.5e1"), "5");
  EXPECT_EQ(Canonical("100"), "100");
  EXPECT_EQ(Canonical("-100.0e-3"), "-0.1");
  EXPECT_EQ(Canonical("1e-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Canonical("-1e-130"), "-0." + std::string(129, '0') + "1");
  EXPECT_EQ(Canonical("1e125"), "1" + std::string(125, '0'));
  EXPECT_EQ(Canonical("9.9999999999999999999999999999999999999E+125"),
            std::string(38, '9') + std::string(88, '0'));
}

TEST(DecimalTest, RejectsTextThatIsNotANumber) {
  for (const char* text : {"abc", "NaN", "Infinity", "-Infinity", "-NaN", "dog", "-dog", " 1", "1 ", ".", "-", "+",
                           "e5", "1e", "1e+", "1.2.3", "1e5.5", "0x10", "1,5", "--1", "+-1", "1e1e1", "١"}) {
    EXPECT_EQ(ParseError(text), std::string("The parameter cannot be converted to a numeric value: ") + text);
  }
  EXPECT_EQ(ParseError(""), "The parameter cannot be converted to a numeric value");
  EXPECT_EQ(ParseError("1e99999999999"), "The parameter cannot be converted to a numeric value: 1e99999999999");
}

TEST(DecimalTest, RangeLimitsExactlyAtTheBoundaries) {
  EXPECT_TRUE(Decimal::Parse("1e125").ok());
  EXPECT_TRUE(Decimal::Parse("-1e125").ok());
  EXPECT_TRUE(Decimal::Parse("9.9999999999999999999999999999999999999e125").ok());
  EXPECT_TRUE(Decimal::Parse("1e-130").ok());
  EXPECT_TRUE(Decimal::Parse("-1e-130").ok());
  EXPECT_TRUE(Decimal::Parse("10e-131").ok());
  EXPECT_TRUE(Decimal::Parse("0.1e126").ok());
  EXPECT_EQ(ParseError("1e126"), kOverflow);
  EXPECT_EQ(ParseError("-1e126"), kOverflow);
  EXPECT_EQ(ParseError("11e125"), kOverflow);
  EXPECT_EQ(ParseError("1" + std::string(126, '0')), kOverflow);
  EXPECT_EQ(ParseError("1e-131"), kUnderflow);
  EXPECT_EQ(ParseError("-1e-131"), kUnderflow);
  EXPECT_EQ(ParseError("0.9e-130"), kUnderflow);
  EXPECT_EQ(ParseError("0." + std::string(130, '0') + "1"), kUnderflow);
  EXPECT_EQ(Canonical("0." + std::string(129, '0') + "1"), "0." + std::string(129, '0') + "1");
}

TEST(DecimalTest, ThirtyEightSignificantDigitsAndNoMore) {
  EXPECT_EQ(Canonical("12345678901234567890123456789012345678"), "12345678901234567890123456789012345678");
  EXPECT_EQ(Canonical("3.1415926535897932384626433832795028841"), "3.1415926535897932384626433832795028841");
  EXPECT_EQ(Canonical("31415926535897932384626433832795028841e30"),
            "31415926535897932384626433832795028841" + std::string(30, '0'));
  EXPECT_EQ(ParseError("123456789012345678901234567890123456789"), kTooManyDigits);
  EXPECT_EQ(ParseError("-1.23456789012345678901234567890123456789"), kTooManyDigits);
  EXPECT_EQ(ParseError("3.14159265358979323846264338327950288419"), kTooManyDigits);
  EXPECT_EQ(ParseError("314159265358979323846264338327950288419e30"), kTooManyDigits);
  // Trailing and leading zeros are not significant.
  EXPECT_EQ(Canonical("1000000000000000000000000000000000000000000"), "1000000000000000000000000000000000000000000");
  EXPECT_EQ(Canonical("000000000000000000000000000000000000000000001"), "1");
  EXPECT_EQ(Canonical("1.000000000000000000000000000000000000000000000"), "1");
  EXPECT_EQ(Canonical("0.00000000000000000000000000000000000000000012"), "0.00000000000000000000000000000000000000000012");
  // Zeros between non-zero digits are.
  EXPECT_EQ(ParseError("1" + std::string(37, '0') + "1"), kTooManyDigits);
  EXPECT_EQ(Canonical("1" + std::string(36, '0') + "1"), "1" + std::string(36, '0') + "1");
  EXPECT_EQ(ParseError("0.1" + std::string(37, '0') + "1"), kTooManyDigits);
}

TEST(DecimalTest, OverflowIsReportedBeforeDigits) {
  EXPECT_EQ(ParseError("1.23456789012345678901234567890123456789e126"), kOverflow);
  EXPECT_EQ(ParseError("1.23456789012345678901234567890123456789e-131"), kUnderflow);
}

TEST(DecimalTest, ExactAdditionAndSubtraction) {
  EXPECT_EQ(Sum("12345678901234567890123456789012345678", "1"), "12345678901234567890123456789012345679");
  EXPECT_EQ(Sum("1", "10000000000000000000000"), "10000000000000000000001");
  EXPECT_EQ(Difference("10000000000000000000000", "1"), "9999999999999999999999");
  EXPECT_EQ(Sum("0.1", "0.2"), "0.3");
  EXPECT_EQ(Sum("0.9", "0.1"), "1");
  EXPECT_EQ(Sum("99.99", "0.01"), "100");
  EXPECT_EQ(Sum("9.999", "0.0011"), "10.0001");
  EXPECT_EQ(Difference("100", "0.001"), "99.999");
  EXPECT_EQ(Difference("1", "0.9999999999999999999999999999999999999"), "0.0000000000000000000000000000000000001");
  EXPECT_EQ(Difference("1.5", "1.5"), "0");
  EXPECT_EQ(Sum("-1.5", "1.5"), "0");
  EXPECT_TRUE(D("1.5").Subtract(D("1.50")).value().IsZero());
  EXPECT_FALSE(D("1.5").Subtract(D("1.50")).value().IsNegative());
  EXPECT_EQ(Sum("5", "-7"), "-2");
  EXPECT_EQ(Sum("-5", "7"), "2");
  EXPECT_EQ(Sum("-5", "-7"), "-12");
  EXPECT_EQ(Difference("-5", "-7"), "2");
  EXPECT_EQ(Difference("0.001", "1000"), "-999.999");
  EXPECT_EQ(Sum("0", "-3.25"), "-3.25");
  EXPECT_EQ(Sum("-3.25", "0"), "-3.25");
  EXPECT_EQ(Difference("0", "-3.25"), "3.25");
  EXPECT_EQ(Difference("0", "0"), "0");
  EXPECT_EQ(Sum("1e125", "1e125"), "2" + std::string(125, '0'));
  EXPECT_EQ(Sum("1e-130", "1e-130"), "0." + std::string(129, '0') + "2");
  EXPECT_EQ(Difference("2e-130", "1e-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Sum("99999999999999999999999999999999999999", "1"), "100000000000000000000000000000000000000");
}

TEST(DecimalTest, ArithmeticBeyondTheLimitsFailsAsAwsDoes) {
  EXPECT_EQ(Sum("9e125", "9e125"), "error: " + kOverflow);
  EXPECT_EQ(Difference("9e125", "-9e125"), "error: " + kOverflow);
  // AWS reports lost precision as an overflow too.
  EXPECT_EQ(Sum("1e50", "1"), "error: " + kOverflow);
  EXPECT_EQ(Difference("1e50", "1"), "error: " + kOverflow);
  EXPECT_EQ(Sum("99999999999999999999999999999999999999", "0.1"), "error: " + kOverflow);
  EXPECT_EQ(Sum("1", "1e-40"), "error: " + kOverflow);
  // 38 nines + 1 needs only one digit.
  EXPECT_EQ(Sum("9.9999999999999999999999999999999999999e125", "1e88"), "error: " + kOverflow);
}

TEST(DecimalTest, ComparesNumericallyAcrossExponents) {
  EXPECT_EQ(D("1.0").Compare(D("1")), 0);
  EXPECT_EQ(D("100").Compare(D("1e2")), 0);
  EXPECT_EQ(D("0").Compare(D("-0")), 0);
  EXPECT_LT(D("9").Compare(D("10")), 0);
  EXPECT_LT(D("0.99").Compare(D("1")), 0);
  EXPECT_LT(D("1").Compare(D("1.0000000000000000000000000000000000001")), 0);
  EXPECT_LT(D("-10").Compare(D("-9")), 0);
  EXPECT_LT(D("-1").Compare(D("0")), 0);
  EXPECT_LT(D("0").Compare(D("1e-130")), 0);
  EXPECT_LT(D("-1e-130").Compare(D("0")), 0);
  EXPECT_GT(D("1e125").Compare(D("9.9e124")), 0);
  EXPECT_LT(D("-1e125").Compare(D("-9.9e124")), 0);
  EXPECT_GT(D("12.5").Compare(D("12.45")), 0);
  EXPECT_TRUE(D("2") == D("2.000"));
  EXPECT_TRUE(D("2") < D("2.001"));
}

TEST(DecimalTest, FromIntMatchesParse) {
  for (std::int64_t value : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{10}, std::int64_t{-1200},
                             std::int64_t{9223372036854775807LL}, std::int64_t{-9223372036854775807LL - 1}}) {
    EXPECT_EQ(Decimal::FromInt(value).ToString(), std::to_string(value));
    EXPECT_EQ(Decimal::FromInt(value), D(std::to_string(value)));
  }
}

TEST(DecimalTest, StorageSizeFollowsBaseHundredPairs) {
  EXPECT_EQ(D("0").StorageSize(), 1u);
  EXPECT_EQ(D("1").StorageSize(), 2u);
  EXPECT_EQ(D("12345").StorageSize(), 4u);
  EXPECT_EQ(D("-12345").StorageSize(), 5u);
  // The boundaries AWS enforces on item size with numbers at exponent 125.
  EXPECT_EQ(D("1" + std::string(125, '0')).StorageSize(), 2u);
  EXPECT_EQ(D("11" + std::string(124, '0')).StorageSize(), 2u);
  EXPECT_EQ(D("11111" + std::string(121, '0')).StorageSize(), 4u);
  EXPECT_EQ(D("111111" + std::string(120, '0')).StorageSize(), 4u);
  EXPECT_EQ(D("1111111" + std::string(119, '0')).StorageSize(), 5u);
  EXPECT_EQ(D(std::string(38, '1') + std::string(88, '0')).StorageSize(), 20u);
  // An even digit count starting on an even power spans one extra pair.
  EXPECT_EQ(D("11").StorageSize(), 2u);
  EXPECT_EQ(D("110").StorageSize(), 3u);
  EXPECT_EQ(D("0.11").StorageSize(), 2u);
  EXPECT_EQ(D("0.011").StorageSize(), 3u);
}

TEST(DecimalTest, EqualValuesHashEqually) {
  EXPECT_EQ(D("1.50").Hash(), D("15e-1").Hash());
  EXPECT_EQ(D("-0").Hash(), D("0").Hash());
  std::unordered_set<Decimal, DecimalHash> values{D("1"), D("1.0"), D("2"), D("-1")};
  EXPECT_EQ(values.size(), 3u);
}

std::string RandomNumber(std::mt19937_64& random) {
  std::uniform_int_distribution<int> length(1, 38);
  std::uniform_int_distribution<int> digit(0, 9);
  std::uniform_int_distribution<int> exponent(-160, 87);
  std::uniform_int_distribution<int> coin(0, 3);
  std::string text;
  if (coin(random) == 0) text.push_back('-');
  const int count = length(random);
  for (int k = 0; k < count; ++k) text.push_back(static_cast<char>('0' + digit(random)));
  const int scale = coin(random) == 0 ? std::uniform_int_distribution<int>(-3, 3)(random) : exponent(random);
  text.push_back('e');
  text.append(std::to_string(scale));
  return text;
}

TEST(DecimalTest, OrderPreservingKeysSortLikeCompare) {
  std::mt19937_64 random(20240601);
  std::vector<Decimal> values;
  for (const char* fixed : {"0", "-0", "1", "-1", "1e125", "-1e125", "1e-130", "-1e-130", "10", "9", "-10", "-9", "1.1",
                            "1.01", "-1.1", "-1.01", "2", "-2"}) {
    values.push_back(D(fixed));
  }
  while (values.size() < 600) {
    auto parsed = Decimal::Parse(RandomNumber(random));
    if (parsed.ok()) values.push_back(*parsed);
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (std::size_t j = i; j < values.size(); j += 7) {
      const int by_value = values[i].Compare(values[j]);
      const int by_key = values[i].OrderPreservingKey().compare(values[j].OrderPreservingKey());
      ASSERT_EQ(by_value, (by_key > 0) - (by_key < 0)) << values[i].ToString() << " vs " << values[j].ToString();
      if (by_value == 0) {
        ASSERT_EQ(values[i].Hash(), values[j].Hash());
      }
    }
  }
  auto by_key = values;
  std::sort(by_key.begin(), by_key.end(), [](const Decimal& a, const Decimal& b) {
    return a.OrderPreservingKey() < b.OrderPreservingKey();
  });
  EXPECT_TRUE(std::is_sorted(by_key.begin(), by_key.end()));
}

TEST(DecimalTest, RandomSumsRoundTripThroughSubtraction) {
  std::mt19937_64 random(7);
  int checked = 0;
  for (int round = 0; round < 2000; ++round) {
    auto a = Decimal::Parse(RandomNumber(random));
    auto b = Decimal::Parse(RandomNumber(random));
    if (!a.ok() || !b.ok()) continue;
    auto sum = a->Add(*b);
    if (!sum.ok()) continue;
    auto back = sum->Subtract(*b);
    if (!back.ok()) continue;
    ASSERT_EQ(back->Compare(*a), 0) << a->ToString() << " + " << b->ToString() << " = " << sum->ToString();
    auto reparsed = Decimal::Parse(sum->ToString());
    ASSERT_TRUE(reparsed.ok());
    ASSERT_EQ(reparsed->Compare(*sum), 0);
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace mallard::dynamodb

#include "common/time_format.hpp"

#include <gtest/gtest.h>

#include <random>

namespace mallard {
namespace {

TEST(TimeFormat, WritesIsoWithMillisAndHttpDates) {
  EXPECT_EQ(FormatIso8601Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Millis(1765000000123), "2025-12-06T05:46:40.123Z");
  EXPECT_EQ(FormatHttpDate(784111777000), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(TimeFormat, ReadsTheThreeHttpFormsAndIso) {
  const std::int64_t expected = 784111777000;
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), expected);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), expected);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), expected);
  EXPECT_EQ(ParseHttpDate("1994-11-06T08:49:37Z"), expected);
  EXPECT_EQ(ParseHttpDate("1994-11-06T08:49:37.5Z"), expected + 500);
}

TEST(TimeFormat, RefusesWhatIsNotADate) {
  for (const char* text : {"", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 6 Nov 1994 08:49:37 GMT",
                           "Sun, 06 Foo 1994 08:49:37 GMT", "1994-11-06 08:49:37Z", "1994-13-06T08:49:37Z",
                           "Sun, 06 Nov 1994 25:49:37 GMT", "1994-11-06T08:49:37.Z"}) {
    EXPECT_EQ(ParseHttpDate(text), std::nullopt) << text;
  }
}

// Both writers' output reads back to the same second (a seeded sweep over 1970..2200).
TEST(TimeFormat, RoundTripsSeeded) {
  std::mt19937_64 random(20261206);
  std::uniform_int_distribution<std::int64_t> when(0, 7258118400000);
  for (int i = 0; i < 5000; ++i) {
    std::int64_t millis = when(random);
    EXPECT_EQ(ParseHttpDate(FormatIso8601Millis(millis)), millis);
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(millis)), millis - millis % 1000);
  }
}

}  // namespace
}  // namespace mallard

// S3 Range headers and entity-tag lists against an independent reference: a seeded stream of
// well-formed, edge and malformed headers (MALLARD_S3_RANGE_SEED replays a run).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "services/s3/s3_conditions.hpp"

namespace mallard::s3 {
namespace {

enum class Outcome { kWhole, kUnsatisfiable, kRange };
struct Expected {
  Outcome outcome = Outcome::kWhole;
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

// RFC 9110 14.1.2 as S3 applies it to one range; anything else S3 ignores (the whole object).
Expected Reference(const std::string& header, std::uint64_t size) {
  std::string text = header;
  auto trim = [](std::string s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(0, 1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    return s;
  };
  text = trim(text);
  if (text.rfind("bytes=", 0) != 0) return {};
  text = text.substr(6);
  if (text.find(',') != std::string::npos) return {};
  auto dash = text.find('-');
  if (dash == std::string::npos) return {};
  std::string a = trim(text.substr(0, dash)), b = trim(text.substr(dash + 1));
  auto number = [](const std::string& s) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 19) return std::nullopt;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    return std::stoull(s);
  };
  if (a.empty()) {
    auto n = number(b);
    if (!n) return {};
    if (*n == 0 || size == 0) return {Outcome::kUnsatisfiable};
    std::uint64_t length = std::min(*n, size);
    return {Outcome::kRange, size - length, length};
  }
  auto first = number(a);
  if (!first) return {};
  std::optional<std::uint64_t> last;
  if (!b.empty()) {
    last = number(b);
    if (!last) return {};
    if (*last < *first) return {};
  }
  if (*first >= size) return {Outcome::kUnsatisfiable};
  std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return {Outcome::kRange, *first, end - *first + 1};
}

std::string RandomHeader(std::mt19937_64& random, std::uint64_t size) {
  auto pick = [&](std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n)(random); };
  auto number = [&]() -> std::string {
    switch (pick(5)) {
      case 0: return "0";
      case 1: return std::to_string(size);
      case 2: return std::to_string(size == 0 ? 0 : size - 1);
      case 3: return std::string(20, '9');  // past 64 bits
      case 4: return "1x";
      default: return std::to_string(pick(size + 10));
    }
  };
  std::string prefix = pick(10) == 0 ? (pick(1) ? "Bytes=" : "items=") : "bytes=";
  std::string spaces = pick(6) == 0 ? " " : "";
  switch (pick(6)) {
    case 0: return prefix + "-" + number();
    case 1: return prefix + number() + "-";
    case 2: return prefix + number() + "-" + number() + "," + number() + "-";
    case 3: return prefix + number();
    case 4: return spaces + prefix + number() + spaces + "-" + spaces + number() + spaces;
    default: return prefix + number() + "-" + number();
  }
}

TEST(S3Conditions, RangeHeadersMatchAnIndependentReference) {
  std::uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_S3_RANGE_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  SCOPED_TRACE("MALLARD_S3_RANGE_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  for (int i = 0; i < 20000; ++i) {
    std::uint64_t size = std::uniform_int_distribution<std::uint64_t>(0, 3)(random) == 0
                             ? std::uniform_int_distribution<std::uint64_t>(0, 2)(random)
                             : std::uniform_int_distribution<std::uint64_t>(0, 1 << 20)(random);
    std::string header = RandomHeader(random, size);
    Expected expected = Reference(header, size);
    auto parsed = ParseRange(header, size);
    SCOPED_TRACE("Range: " + header + " size " + std::to_string(size));
    if (expected.outcome == Outcome::kUnsatisfiable) {
      ASSERT_FALSE(parsed.ok());
      EXPECT_EQ(parsed.error().code, "InvalidRange");
      EXPECT_EQ(parsed.error().http_status, 416);
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    if (expected.outcome == Outcome::kWhole) {
      EXPECT_FALSE(parsed.value().has_value());
      continue;
    }
    ASSERT_TRUE(parsed.value().has_value());
    EXPECT_EQ(parsed.value()->first, expected.first);
    EXPECT_EQ(parsed.value()->length, expected.length);
    EXPECT_LE(parsed.value()->first + parsed.value()->length, size);
  }
}

TEST(S3Conditions, EntityTagListsMatchWithOrWithoutQuotes) {
  const std::string etag = "\"0cc175b9c0f1b6a831c399e269772661\"";
  for (const char* value : {"*", "\"0cc175b9c0f1b6a831c399e269772661\"", "0cc175b9c0f1b6a831c399e269772661",
                            "\"x\", \"0cc175b9c0f1b6a831c399e269772661\"", " W/\"0cc175b9c0f1b6a831c399e269772661\" "}) {
    EXPECT_TRUE(EtagMatches(value, etag)) << value;
  }
  for (const char* value : {"", "\"x\"", "0cc175b9", "\"0cc175b9c0f1b6a831c399e269772661-1\""}) {
    EXPECT_FALSE(EtagMatches(value, etag)) << value;
  }
}

}  // namespace
}  // namespace mallard::s3

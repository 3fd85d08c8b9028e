#include "common/encoding.hpp"
#include "common/ids.hpp"

#include <gtest/gtest.h>

namespace mallard {

TEST(EncodingTest, Md5HexMatchesKnownDigest) { EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592"); }

TEST(EncodingTest, Sha256HexMatchesKnownDigest) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The ids are stable across versions (SenderId, STS role ids): values computed outside Mallard
// (Python's hashlib: base32 letter of each of the first 17 digest bytes mod 32). Asked twice and
// interleaved, as the per-thread memo of the last key must not mix keys up.
TEST(EncodingTest, UserIdsForAccessKeysAreStable) {
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(UserIdForAccessKey("AKIDEXAMPLE"), "AIDA7B33BXWAL4O4XT7BP");
    EXPECT_EQ(UserIdForAccessKey("test"), "AIDAWHCOIKAT2X6LSG6V7");
    EXPECT_EQ(UserIdForAccessKey("test"), "AIDAWHCOIKAT2X6LSG6V7");
    EXPECT_EQ(UserIdForAccessKey("000000000000"), "AIDA4GU2OCCNTJ6K2S4CP");
  }
}

TEST(EncodingTest, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int length = 0; length < 40; ++length) {
    auto decoded = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(length * 37);
  }
  EXPECT_EQ(Base64Encode(std::string("\x00\x01", 2)), "AAE=");
  EXPECT_FALSE(Base64Decode("a$b=").has_value());
}

TEST(EncodingTest, FormUrlDecodeHandlesPlusAndEscapes) {
  EXPECT_EQ(FormUrlDecode("a+b%20c%2F").value(), "a b c/");
  EXPECT_FALSE(FormUrlDecode("%zz").has_value());
  EXPECT_FALSE(FormUrlDecode("abc%4").has_value());
}

TEST(EncodingTest, XmlEscaping) {
  std::string out;
  AppendXmlEscaped(out, "<a href=\"x\">&'</a>");
  EXPECT_EQ(out, "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
}

}  // namespace mallard

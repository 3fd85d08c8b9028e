#include "common/encoding.hpp"

#include <gtest/gtest.h>

namespace mallard {

TEST(EncodingTest, Md5HexMatchesKnownDigest) { EXPECT_EQ(Md5Hex("hello"), "5d41402abc4b2a76b9719d911017c592"); }

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

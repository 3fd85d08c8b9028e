#include "cdc/pg/lsn.hpp"

#include <gtest/gtest.h>

namespace mallard::cdc::pg {
namespace {

TEST(LsnTest, PrintsLikeTheServer) {
  EXPECT_EQ(Lsn{0}.ToString(), "0/0");
  EXPECT_EQ(Lsn{0x16B374D848ull}.ToString(), "16/B374D848");
  EXPECT_EQ(Lsn{0x1000000ull}.ToString(), "0/1000000");
  EXPECT_EQ(Lsn{~0ull}.ToString(), "FFFFFFFF/FFFFFFFF");
}

TEST(LsnTest, ParsesWhatTheServerAccepts) {
  EXPECT_EQ(Lsn::Parse("16/B374D848"), Lsn{0x16B374D848ull});
  EXPECT_EQ(Lsn::Parse("16/b374d848"), Lsn{0x16B374D848ull});
  EXPECT_EQ(Lsn::Parse("0/0"), Lsn{0});
  EXPECT_EQ(Lsn::Parse("00000000/00000001"), Lsn{1});
  EXPECT_EQ(Lsn::Parse("FFFFFFFF/FFFFFFFF"), Lsn{~0ull});
}

TEST(LsnTest, RejectsMalformedText) {
  for (const char* text : {"", "/", "1/", "/1", "1", "123456789/0", "0/123456789", "G/0", "1/2/3", " 1/2", "1/2 ",
                           "-1/2", "+1/2", "0x1/2"}) {
    EXPECT_FALSE(Lsn::Parse(text).has_value()) << text;
  }
}

TEST(LsnTest, RoundTripsAndOrders) {
  for (std::uint64_t value : {0ull, 1ull, 0xFFFFFFFFull, 0x100000000ull, 0xDEADBEEFCAFEull, ~0ull}) {
    EXPECT_EQ(Lsn::Parse(Lsn{value}.ToString()), Lsn{value});
  }
  // Ordering is numeric, not textual: "9/0" < "10/0" although "1" < "9" as text.
  EXPECT_LT(*Lsn::Parse("9/0"), *Lsn::Parse("10/0"));
  EXPECT_LT(*Lsn::Parse("0/FFFFFFFF"), *Lsn::Parse("1/0"));
  EXPECT_GE(Lsn{5}, Lsn{5});
  EXPECT_NE(Lsn{5}, Lsn{6});
  EXPECT_TRUE(Lsn{}.IsZero());
}

}  // namespace
}  // namespace mallard::cdc::pg

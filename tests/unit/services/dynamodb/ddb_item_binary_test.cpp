// The memory store's compact item form (model/ddb_item_binary.hpp) against DynamoDB's JSON form,
// which shares no code with it: seeded random items of every type and nesting round-trip to the
// same JSON text (exact digits, set order, names), and damaged encodings are refused or decode to
// an item, never crash. MALLARD_ITEM_BINARY_SEED=n replays a run.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <random>

#include "services/dynamodb/model/ddb_item_binary.hpp"

namespace mallard::dynamodb {
namespace {

class RandomItems {
 public:
  explicit RandomItems(std::uint64_t seed) : random_(seed) {}

  Item NextItem(int depth = 0) {
    Item item;
    const int count = Below(depth == 0 ? 12 : 5);
    for (int i = 0; i < count; ++i) item.insert_or_assign(Text(1 + Below(20)), Value(depth));
    return item;
  }

  int Below(int bound) { return static_cast<int>(random_() % static_cast<std::uint64_t>(bound)); }

 private:
  std::string Text(int length) {
    static const std::string kAlphabet = std::string("abcXYZ019 _-.#:\n\"\\\0", 20) + "é€𝄞";
    std::string text;
    for (int i = 0; i < length; ++i) {
      // Whole UTF-8 sequences: S and SS must stay valid text for the JSON reference.
      int pick = Below(23);
      if (pick < 20) {
        text.push_back(kAlphabet[static_cast<std::size_t>(pick)]);
      } else if (pick == 20) {
        text += "é";
      } else if (pick == 21) {
        text += "€";
      } else {
        text += "𝄞";
      }
    }
    return text;
  }

  std::string Bytes(int length) {
    std::string bytes;
    for (int i = 0; i < length; ++i) bytes.push_back(static_cast<char>(Below(256)));
    return bytes;
  }

  Decimal Number() {
    // Up to 38 significant digits anywhere in DynamoDB's range, zero included, either sign.
    std::string text = Below(2) ? "-" : "";
    const int digits = 1 + Below(38);
    for (int i = 0; i < digits; ++i) text.push_back(static_cast<char>('0' + Below(10)));
    text += "e" + std::to_string(Below(240) - 125 - digits);
    auto parsed = Decimal::Parse(text);
    return parsed.ok() ? parsed.value() : Decimal::FromInt(Below(1000) - 500);
  }

  // An SS or BS of one to six members, each made by `member(i)` (the index keeps them distinct).
  template <typename Member>
  AttributeValue ByteSet(AttrType type, Member member) {
    AttributeValue set;
    set.type = type;
    for (int i = 0, n = 1 + Below(6); i < n; ++i) set.byte_set.push_back(member(i));
    return set;
  }

  AttributeValue Value(int depth) {
    const int kind = Below(depth >= 4 ? 8 : 10);
    switch (kind) {
      case 0: return AttributeValue::String(Text(Below(60)));
      case 1: return AttributeValue::Number(Number());
      case 2: return AttributeValue::Binary(Bytes(Below(300)));
      case 3: return AttributeValue::Bool(Below(2) == 1);
      case 4: return AttributeValue::Null();
      case 5: return ByteSet(AttrType::SS, [&](int i) { return Text(1 + Below(10)) + std::to_string(i); });
      case 6: {
        AttributeValue set;
        set.type = AttrType::NS;
        for (int i = 0, n = 1 + Below(6); i < n; ++i) set.number_set.push_back(Number());
        return set;
      }
      case 7: return ByteSet(AttrType::BS, [&](int i) { return Bytes(1 + Below(10)) + std::to_string(i); });
      case 8: {
        std::vector<AttributeValue> list;
        for (int i = 0, n = Below(5); i < n; ++i) list.push_back(Value(depth + 1));
        return AttributeValue::List(std::move(list));
      }
      default: return AttributeValue::Map(NextItem(depth + 1));
    }
  }

  std::mt19937_64 random_;
};

std::uint64_t Seed() {
  const char* text = std::getenv("MALLARD_ITEM_BINARY_SEED");
  return text ? std::strtoull(text, nullptr, 10) : std::random_device{}();
}

std::string Json(const Item& item) { return boost::json::serialize(MapToJson(item)); }

TEST(ItemBinaryTest, RandomItemsRoundTripExactly) {
  const std::uint64_t seed = Seed();
  SCOPED_TRACE("MALLARD_ITEM_BINARY_SEED=" + std::to_string(seed));
  RandomItems items(seed);
  std::size_t encoded_bytes = 0;
  std::size_t item_bytes = 0;
  for (int i = 0; i < 3000; ++i) {
    Item item = items.NextItem();
    std::string bytes = EncodeItemBinary(item);
    auto decoded = DecodeItemBinary(bytes);
    ASSERT_TRUE(decoded.ok()) << "item " << i << ": " << decoded.error() << "\n" << Json(item);
    ASSERT_EQ(Json(*decoded), Json(item)) << "item " << i;
    ASSERT_EQ(ItemSize(*decoded), ItemSize(item));
    encoded_bytes += bytes.size();
    item_bytes += ItemSize(item);
  }
  // What the form is for: about the item's own size (DynamoDB's count of it), not several times it.
  EXPECT_LT(encoded_bytes, item_bytes * 3 / 2) << encoded_bytes << " encoded vs " << item_bytes << " item bytes";
}

TEST(ItemBinaryTest, NumbersKeepEveryDigitAndTheirRangeEnds) {
  for (const char* text : {"0", "-1", "1e125", "9.9999999999999999999999999999999999999e125", "1e-130",
                           "-1e-130", "12345678901234567890123456789012345678", "0.000123", "-98765.4321e-3"}) {
    auto number = Decimal::Parse(text);
    ASSERT_TRUE(number.ok()) << text;
    Item item{{"n", AttributeValue::Number(*number)}};
    auto decoded = DecodeItemBinary(EncodeItemBinary(item));
    ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.error();
    EXPECT_EQ(decoded->at("n").number.ToString(), number->ToString()) << text;
  }
}

TEST(ItemBinaryTest, DamagedEncodingsAreRefusedOrReadNeverOverrun) {
  const std::uint64_t seed = Seed();
  SCOPED_TRACE("MALLARD_ITEM_BINARY_SEED=" + std::to_string(seed));
  RandomItems items(seed);
  std::mt19937_64 damage(seed ^ 0x5eed);
  for (int i = 0; i < 500; ++i) {
    const std::string bytes = EncodeItemBinary(items.NextItem());
    // Every strict prefix lacks bytes the counts promise; every extension has bytes after the item.
    for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 16) {
      EXPECT_FALSE(DecodeItemBinary(std::string_view(bytes).substr(0, cut)).ok()) << "prefix " << cut;
    }
    EXPECT_FALSE(DecodeItemBinary(bytes + '\0').ok());
    // A flipped byte may still spell an item; whatever decodes must encode and decode again to itself.
    std::string flipped = bytes;
    if (!flipped.empty()) flipped[damage() % flipped.size()] ^= static_cast<char>(1 + damage() % 255);
    if (auto decoded = DecodeItemBinary(flipped); decoded.ok()) {
      auto again = DecodeItemBinary(EncodeItemBinary(*decoded));
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(Json(*again), Json(*decoded));
    }
  }
}

TEST(ItemBinaryTest, NestingBeyondAnyItemIsRefusedWithoutRecursingForever) {
  // 100,000 nested one-element lists: DynamoDB allows 32 levels, and this must not take the stack.
  std::string bytes = "\x01\x01n";
  for (int i = 0; i < 100000; ++i) bytes += std::string{static_cast<char>(AttrType::L), '\x01'};
  bytes.push_back(static_cast<char>(AttrType::NUL));
  auto decoded = DecodeItemBinary(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("nested"), std::string::npos) << decoded.error();
}

}  // namespace
}  // namespace mallard::dynamodb

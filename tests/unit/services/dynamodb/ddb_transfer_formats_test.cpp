// The export/import file formats: seeded random items of every attribute type written as DynamoDB
// JSON lines and as Ion text, gzip'd, and read back must equal the originals (Equals: sets
// order-free, numbers numerically); CSV quoting and key typing; malformed input is an error value.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include <random>

#include "services/dynamodb/transfer/ddb_transfer_formats.hpp"

namespace mallard::dynamodb::transfer {
namespace {

class RandomItems {
 public:
  explicit RandomItems(unsigned seed) : rng_(seed) {}

  Item Next(int index) {
    Item item;
    item["pk"] = AttributeValue::String("p" + std::to_string(index) + Text());
    for (int i = 0, n = Int(0, 7); i < n; ++i) item[Name()] = Value(0);
    return item;
  }

 private:
  int Int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  std::string Text() {
    static const std::vector<std::string> pieces = {"a", "Z", " ", "\"", "'", "\\", "\n", "\t", ",", "{", "}", "::",
                                                    "$ion_1_0", "é", "日本", "🙂", "\x01", "'''", "//", "/*"};
    std::string text;
    for (int i = 0, n = Int(1, 8); i < n; ++i) text += pieces[Int(0, static_cast<int>(pieces.size()) - 1)];
    return text;
  }

  std::string Name() {
    static const std::vector<std::string> names = {"a", "b_c", "$d", "true", "null", "with space", "1x", "é", "x'y",
                                                   "Item", "nan", "q\"r"};
    return names[Int(0, static_cast<int>(names.size()) - 1)];
  }

  std::string Bytes() {
    std::string bytes;
    for (int i = 0, n = Int(1, 12); i < n; ++i) bytes += static_cast<char>(Int(0, 255));
    return bytes;
  }

  Decimal Number() {
    std::string text = (Int(0, 1) ? "-" : "") + std::to_string(Int(0, 999999));
    if (Int(0, 1)) text += "." + std::to_string(Int(0, 9999));
    if (Int(0, 3) == 0) text += "e" + std::to_string(Int(-20, 20));
    return Decimal::Parse(text).value();
  }

  AttributeValue Value(int depth) {
    switch (Int(0, depth < 4 ? 9 : 7)) {
      case 0: return AttributeValue::String(Text());
      case 1: return AttributeValue::Number(Number());
      case 2: return AttributeValue::Binary(Bytes());
      case 3: return AttributeValue::Bool(Int(0, 1) == 1);
      case 4: return AttributeValue::Null();
      case 5: {
        AttributeValue set;
        set.type = Int(0, 1) ? AttrType::SS : AttrType::BS;
        for (int i = 0, n = Int(1, 4); i < n; ++i) set.byte_set.push_back(std::to_string(i) + (set.type == AttrType::SS ? Text() : Bytes()));
        return set;
      }
      case 6: {
        AttributeValue set;
        set.type = AttrType::NS;
        for (int i = 0, n = Int(1, 4); i < n; ++i) set.number_set.push_back(Decimal::FromInt(i * 1000 + Int(0, 999)));
        return set;
      }
      case 7: return AttributeValue::String("");
      case 8: {
        std::vector<AttributeValue> list;
        for (int i = 0, n = Int(0, 3); i < n; ++i) list.push_back(Value(depth + 1));
        return AttributeValue::List(std::move(list));
      }
      default: {
        AttributeMap map;
        for (int i = 0, n = Int(0, 3); i < n; ++i) map[Name()] = Value(depth + 1);
        return AttributeValue::Map(std::move(map));
      }
    }
  }

  std::mt19937 rng_;
};

void ExpectSameItems(const std::vector<Item>& expected, const std::vector<Item>& actual, const std::string& text) {
  ASSERT_EQ(expected.size(), actual.size()) << text.substr(0, 2000);
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_TRUE(Equals(AttributeValue::Map(expected[i]), AttributeValue::Map(actual[i])))
        << "item " << i << ": " << boost::json::serialize(MapToJson(expected[i])) << " vs "
        << boost::json::serialize(MapToJson(actual[i]));
}

TEST(TransferFormats, DynamoDbJsonRoundTripsSeededRandomItems) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    RandomItems random(seed);
    std::vector<Item> items;
    std::string text;
    for (int i = 0; i < 50; ++i) {
      items.push_back(random.Next(i));
      AppendDynamoDbJsonLine(items.back(), text);
    }
    auto inflated = GzipDecompress(GzipCompress(text), 1 << 26);
    ASSERT_TRUE(inflated);
    ASSERT_EQ(inflated.value(), text);
    std::vector<Item> read;
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      auto item = ParseDynamoDbJsonLine(std::string_view(text).substr(start, end - start));
      ASSERT_TRUE(item) << item.error();
      read.push_back(std::move(item).value());
      start = end + 1;
    }
    ExpectSameItems(items, read, text);
  }
}

TEST(TransferFormats, IonRoundTripsSeededRandomItems) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    RandomItems random(seed * 7919);
    std::vector<Item> items;
    std::string text;
    for (int i = 0; i < 50; ++i) {
      items.push_back(random.Next(i));
      AppendIonLine(items.back(), text);
    }
    auto document = ParseIonItems(text);
    ASSERT_EQ(document.errors, 0u) << document.error.value_or("") << "\n" << text.substr(0, 2000);
    ExpectSameItems(items, document.items, text);
  }
}

TEST(TransferFormats, IonReadsWhatDynamoDbWrites) {
  // As DynamoDB's documentation shows an Ion export line, plus comments, a long string and typed null.
  auto document = ParseIonItems(
      "$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],Id:103.,Price:2d3,'In Print':false,"
      "Cover:{{aGVsbG8=}},Notes:null.string,Long:'''ab''' '''cd''',Tags:[1,\"x\"] /* c */}} // end\n"
      "{Item:{Id:1.5e0}}");
  ASSERT_EQ(document.errors, 0u) << *document.error;
  ASSERT_EQ(document.items.size(), 2u);
  const Item& item = document.items[0];
  EXPECT_EQ(item.at("Authors").type, AttrType::SS);
  EXPECT_EQ(item.at("Id").number.ToString(), "103");
  EXPECT_EQ(item.at("Price").number.ToString(), "2000");
  EXPECT_FALSE(item.at("In Print").boolean);
  EXPECT_EQ(item.at("Cover").bytes, "hello");
  EXPECT_EQ(item.at("Notes").type, AttrType::NUL);
  EXPECT_EQ(item.at("Long").bytes, "abcd");
  EXPECT_EQ(item.at("Tags").list.size(), 2u);
}

TEST(TransferFormats, MalformedInputIsAnErrorNotACrash) {
  for (std::string_view text : {"{Item:{a:\"unterminated}}", "{Item:{a:[1,2}}", "{Item:{a:{{!!}}}}", "{Item:{a:1.2.3}}",
                                "{{", "[", "{Item:", "{Other:{a:1}}", "{Item:{a:$dynamodb_SS::[]}}",
                                "{Item:{a:$dynamodb_NS::[\"x\"]}}"}) {
    auto document = ParseIonItems(text);
    EXPECT_GE(document.errors, 1u) << text;
  }
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += '[';
  EXPECT_GE(ParseIonItems("{Item:{a:" + deep).errors, 1u);
  EXPECT_FALSE(ParseDynamoDbJsonLine("{\"Item\":{\"a\":{\"S\":1}}}"));
  EXPECT_FALSE(ParseDynamoDbJsonLine("{\"Item\":{\"a\":{\"SS\":[]}}}"));
  EXPECT_FALSE(ParseDynamoDbJsonLine("[1]"));
  EXPECT_FALSE(ParseDynamoDbJsonLine(std::string(200000, '[')));
  EXPECT_FALSE(GzipDecompress("not gzip", 1 << 20));
  EXPECT_FALSE(GzipDecompress(GzipCompress(std::string(1 << 20, 'x')), 1000));  // over the limit
}

TEST(TransferFormats, ZstdRoundTripsConcatenatedFramesAndRefusesDamage) {
  std::mt19937 rng(19);
  for (int round = 0; round < 20; ++round) {
    std::string first, second;
    for (int i = 0, n = static_cast<int>(rng() % 300000); i < n; ++i) first += static_cast<char>('a' + rng() % (1 + round));
    for (int i = 0, n = static_cast<int>(rng() % 1000); i < n; ++i) second += static_cast<char>(rng());
    std::string frames = ZstdCompress(first) + ZstdCompress(second);
    auto inflated = ZstdDecompress(frames, 1 << 26);
    ASSERT_TRUE(inflated) << inflated.error();
    EXPECT_EQ(inflated.value(), first + second);
    if (frames.size() > 8) EXPECT_FALSE(ZstdDecompress(frames.substr(0, frames.size() - 3), 1 << 26));
  }
  EXPECT_FALSE(ZstdDecompress("not zstd at all", 1 << 20));
  EXPECT_FALSE(ZstdDecompress(ZstdCompress(std::string(1 << 20, 'x')), 1000));
}

TEST(TransferFormats, CsvQuotingHeadersAndKeyTypes) {
  TableDefinition table;
  table.keys.partition = {"id", AttrType::S};
  table.keys.sort = KeyElement{"n", AttrType::N};
  auto rows = ParseCsvItems("id,n,text\r\nu1,7,\"a,\"\"b\"\"\nc\"\nu2,x,y\n\nu3,1\nu4,2,z,extra\n,3,z\n", {}, table);
  EXPECT_EQ(rows.rows, 5u);
  ASSERT_EQ(rows.items.size(), 2u);
  EXPECT_EQ(rows.items[0].at("text").bytes, "a,\"b\"\nc");
  EXPECT_EQ(rows.items[0].at("n").number.ToString(), "7");
  EXPECT_FALSE(rows.items[1].contains("text"));
  EXPECT_EQ(rows.errors.size(), 3u);  // u2: n is not a number; u4: extra column; empty id
  CsvOptions options;
  options.delimiter = '|';
  options.header = {"id", "n"};
  auto headed = ParseCsvItems("a|1\nb|2", options, table);
  ASSERT_EQ(headed.items.size(), 2u);
  EXPECT_EQ(headed.items[1].at("id").bytes, "b");
}

}  // namespace
}  // namespace mallard::dynamodb::transfer

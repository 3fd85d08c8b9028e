// PackedMessage must give back exactly the message it packed, whatever its texts look like: the
// packed forms (hex, UUID) are chosen per text, so near-misses (upper case, odd length, a hyphen
// out of place) are what can go wrong. MALLARD_PACKED_MESSAGE_SEED=n replays a run.
#include "services/sqs/memory/packed_message.hpp"
#include "test_seed.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

namespace mallard::sqs {
namespace {

using Packed = PackedMessagePtr;

Packed Pack(const StoredMessage& message, std::uint64_t sequence = 7) { return PackedMessage::Create(message, sequence); }

// Every field, one per line, so a failure names the field that differs.
std::string Describe(const StoredMessage& m) {
  std::ostringstream out;
  auto text = [&](const char* name, const std::string& value) {
    out << name << "=" << value.size() << ":";
    for (unsigned char c : value) out << (c >= 32 && c < 127 ? static_cast<char>(c) : '?');
    out << "\n";
  };
  auto attributes = [&](const char* name, const MessageAttributes& values) {
    out << name << " " << values.size() << "\n";
    for (const auto& [key, value] : values) {
      text("  name", key);
      text("  type", value.data_type);
      text("  string", value.string_value);
      text("  binary", value.binary_value);
    }
  };
  text("message_id", m.message_id);
  text("body", m.content.body);
  attributes("attributes", m.content.attributes);
  attributes("system_attributes", m.content.system_attributes);
  text("md5_of_body", m.content.md5_of_body);
  text("md5_of_attributes", m.content.md5_of_attributes);
  text("md5_of_system_attributes", m.content.md5_of_system_attributes);
  text("sender_id", m.content.sender_id);
  out << "delay_seconds=" << m.content.delay_seconds << "\n";
  text("group_id", m.content.group_id);
  text("deduplication_id", m.content.deduplication_id);
  text("dead_letter_source_arn", m.content.dead_letter_source_arn);
  out << "sent=" << m.sent_millis << " retention=" << m.retention_start_millis << " visible=" << m.visible_at_millis
      << " first=" << m.first_receive_millis << " last=" << m.last_receive_millis << " count=" << m.receive_count
      << "\n";
  text("sequence_number", m.sequence_number);
  text("receipt_token", m.receipt_token);
  return out.str();
}

class TextMaker {
 public:
  explicit TextMaker(std::mt19937_64& random) : random_(random) {}
  int Pick(int bound) { return static_cast<int>(random_() % static_cast<std::uint64_t>(bound)); }
  std::string Hex(std::size_t size, const char* digits = "0123456789abcdef") {
    std::string text(size, '0');
    for (auto& c : text) c = digits[Pick(16)];
    return text;
  }
  std::string Uuid() {
    auto text = Hex(36);
    for (std::size_t i : {8, 13, 18, 23}) text[i] = '-';
    return text;
  }
  std::string Bytes(std::size_t size) {
    std::string text(size, '\0');
    for (auto& c : text) c = static_cast<char>(random_() & 0xFF);
    return text;
  }
  // A text near the packed forms as often as far from them.
  std::string Any() {
    switch (Pick(12)) {
      case 0: return "";
      case 1: return Uuid();
      case 2: {  // a UUID one step off: upper case, a hyphen moved, one character short or long
        auto text = Uuid();
        switch (Pick(4)) {
          case 0: text[Pick(36)] = 'A'; break;
          case 1: std::swap(text[8], text[9]); break;
          case 2: text.pop_back(); break;
          default: text += "0";
        }
        return text;
      }
      case 3: return Hex(2 * (1 + Pick(40)));
      case 4: return Hex(1 + 2 * Pick(20));                      // odd length
      case 5: return Hex(2 * (1 + Pick(20)), "0123456789ABCDEF");  // upper case
      case 6: return Hex(36, "0123456789abcdef");                  // UUID length, no hyphens
      case 7: return Bytes(Pick(300));
      case 8: return std::string(Pick(3) == 0 ? 200 : 1, '-');
      case 9: return Hex(32) + "g";
      case 10: return Bytes(static_cast<std::size_t>(130 + Pick(3000)));  // lengths past one varint byte
      default: return "arn:aws:sqs:us-east-1:000000000000:q" + std::to_string(Pick(1000));
    }
  }
  MessageAttributes Attributes() {
    MessageAttributes attributes;
    for (int i = Pick(4) == 0 ? Pick(11) : 0; i > 0; --i) {
      MessageAttributeValue value{Pick(2) ? "String" : "Binary.custom", Any(), Pick(2) ? Bytes(Pick(40)) : ""};
      attributes[Any()] = value;
    }
    return attributes;
  }
  std::int64_t Number() {
    switch (Pick(4)) {
      case 0: return 0;
      case 1: return static_cast<std::int64_t>(random_());  // any sign, any size
      case 2: return -Pick(1000);
      default: return 1'700'000'000'000 + Pick(1'000'000);
    }
  }

 private:
  std::mt19937_64& random_;
};

StoredMessage RandomMessage(TextMaker& make) {
  StoredMessage m;
  m.message_id = make.Any();
  m.content.body = make.Any();
  m.content.attributes = make.Attributes();
  m.content.system_attributes = make.Attributes();
  m.content.md5_of_body = make.Any();
  m.content.md5_of_attributes = make.Any();
  m.content.md5_of_system_attributes = make.Any();
  m.content.sender_id = make.Any();
  m.content.delay_seconds = make.Number();
  m.content.group_id = make.Any();
  m.content.deduplication_id = make.Any();
  m.content.dead_letter_source_arn = make.Any();
  m.sent_millis = make.Number();
  m.retention_start_millis = make.Number();
  m.visible_at_millis = make.Number();
  m.first_receive_millis = make.Number();
  m.last_receive_millis = make.Number();
  m.receive_count = make.Number();
  m.sequence_number = make.Any();
  // Tokens around the inline slot's size, and a snapshot's longer ones.
  m.receipt_token = make.Pick(3) == 0 ? make.Any() : std::string(make.Pick(18), 'k');
  return m;
}

TEST(PackedMessage, RandomMessagesUnpackToWhatWasPacked) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_PACKED_MESSAGE_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  TextMaker make(random);
  for (int round = 0; round < 3000; ++round) {
    auto message = RandomMessage(make);
    auto sequence = random();
    auto packed = Pack(message, sequence);
    ASSERT_EQ(Describe(packed->Unpack()), Describe(message)) << "round " << round;
    EXPECT_EQ(packed->sequence(), sequence);
    EXPECT_EQ(packed->MessageId(), message.message_id);
    EXPECT_EQ(packed->GroupId(), message.content.group_id);
    EXPECT_EQ(packed->ReceiptToken(), message.receipt_token);
    // A clone is the same message in its own allocation, its size walked from its content.
    Packed clone = packed->Clone();
    ASSERT_EQ(Describe(clone->Unpack()), Describe(message)) << "round " << round << ", clone";
    EXPECT_EQ(clone->PackedSize(), packed->PackedSize());
    EXPECT_EQ(clone->sequence(), sequence);
    // A receive replaces the token; nothing else changes.
    auto token = make.Hex(make.Pick(PackedMessage::kReceiptTokenSize + 1));
    packed->SetReceiptToken(token);
    message.receipt_token = token;
    ASSERT_EQ(Describe(packed->Unpack()), Describe(message)) << "round " << round << ", new token";
  }
}

StoredMessage TypicalStandardMessage() {
  StoredMessage m;
  m.message_id = "3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
  m.content.body = std::string(256, 'x');
  m.content.md5_of_body = "0123456789abcdef0123456789abcdef";
  m.content.sender_id = "AIDAIENQZJOLO23YVJ4VO";
  m.sent_millis = m.retention_start_millis = m.visible_at_millis = 1'765'000'000'000;
  return m;
}

TEST(PackedMessage, TypicalMessageTakesItsBodyAndAboutTwoHundredBytes) {
  // 256-byte body, a UUID, an MD5 and a sender id: what the issue counts a message as (the
  // memory store's goal is twice the body, allocator overhead included, for the whole queue).
  auto packed = Pack(TypicalStandardMessage());
  EXPECT_LE(packed->PackedSize(), 256u + 230u);
  std::cout << "a typical 256-byte message packs into " << packed->PackedSize() << " bytes\n";
  // The texts in packed form: the UUID and MD5 as 16 bytes each, not 36 and 32 (whose lengths
  // also take a second byte).
  auto longer = TypicalStandardMessage();
  longer.message_id[0] = 'G';  // not hex: kept as text
  longer.content.md5_of_body[0] = 'G';
  EXPECT_EQ(Pack(longer)->PackedSize(), packed->PackedSize() + (20 + 1) + (16 + 1));
}

TEST(PackedMessage, IndexesOrderByKeyThenSendOrder) {
  auto early = TypicalStandardMessage();
  auto late = early;
  late.visible_at_millis += 1;
  auto a = Pack(late, 1), b = Pack(early, 2), c = Pack(early, 3);
  MessagesByVisibility by_visibility;
  by_visibility.insert(*a);
  by_visibility.insert(*c);
  by_visibility.insert(*b);
  std::vector<std::uint64_t> order;
  for (const auto& message : by_visibility) order.push_back(message.sequence());
  EXPECT_EQ(order, (std::vector<std::uint64_t>{2, 3, 1}));
  EXPECT_EQ(by_visibility.upper_bound(ByVisibility::KeyOf(*b), ByVisibility())->sequence(), 3u);
  by_visibility.clear();
}

}  // namespace
}  // namespace mallard::sqs

#include "services/sqs/memory/packed_message.hpp"

#include <cstring>
#include <new>
#include <stdexcept>

namespace mallard::sqs {
namespace {

// The content, in this order: message id, the three MD5 digests, sender id, group id,
// deduplication id, dead-letter source ARN, FIFO sequence number, a receipt token too long to keep
// inline, the body, DelaySeconds, then the message attributes and the system attributes.
// A text is a varint (size << 2 | form) and its bytes; form says how it was packed.
enum TextForm : std::uint64_t { kRaw = 0, kHex = 1, kUuid = 2 };

constexpr std::size_t kUuidTextSize = 36;
constexpr std::size_t kUuidBytes = 16;

bool IsUuidHyphen(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

int LowerHexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsLowerHex(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return false;
  for (char c : text) {
    if (LowerHexDigit(c) < 0) return false;
  }
  return true;
}

bool IsLowerUuid(std::string_view text) {
  if (text.size() != kUuidTextSize) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsUuidHyphen(i) ? text[i] != '-' : LowerHexDigit(text[i]) < 0) return false;
  }
  return true;
}

constexpr char kHexDigits[] = "0123456789abcdef";

// Counts the bytes Encode writes, so the message is allocated once at its exact size.
struct SizeCounter {
  std::size_t size = 0;
  void Byte(std::uint8_t) { ++size; }
  void Bytes(const void*, std::size_t n) { size += n; }
};

struct ByteWriter {
  std::byte* out;
  void Byte(std::uint8_t b) { *out++ = static_cast<std::byte>(b); }
  void Bytes(const void* data, std::size_t n) {
    if (n != 0) std::memcpy(out, data, n);
    out += n;
  }
};

template <typename Out>
void Varint(Out& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.Byte(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.Byte(static_cast<std::uint8_t>(value));
}

template <typename Out>
void RawText(Out& out, std::string_view text) {
  Varint(out, static_cast<std::uint64_t>(text.size()) << 2 | kRaw);
  out.Bytes(text.data(), text.size());
}

// For texts that are usually hex or a UUID; anything else is kept raw.
template <typename Out>
void PackableText(Out& out, std::string_view text) {
  if (IsLowerUuid(text)) {
    Varint(out, kUuidBytes << 2 | kUuid);
    for (std::size_t i = 0; i < text.size(); i += 2) {
      if (IsUuidHyphen(i)) ++i;
      out.Byte(static_cast<std::uint8_t>(LowerHexDigit(text[i]) << 4 | LowerHexDigit(text[i + 1])));
    }
  } else if (IsLowerHex(text)) {
    Varint(out, static_cast<std::uint64_t>(text.size() / 2) << 2 | kHex);
    for (std::size_t i = 0; i < text.size(); i += 2) {
      out.Byte(static_cast<std::uint8_t>(LowerHexDigit(text[i]) << 4 | LowerHexDigit(text[i + 1])));
    }
  } else {
    RawText(out, text);
  }
}

template <typename Out>
void Attributes(Out& out, const MessageAttributes& attributes) {
  Varint(out, attributes.size());
  for (const auto& [name, value] : attributes) {
    RawText(out, name);
    RawText(out, value.data_type);
    RawText(out, value.string_value);
    RawText(out, value.binary_value);
  }
}

template <typename Out>
void Encode(Out& out, const StoredMessage& message, bool long_token) {
  const auto& content = message.content;
  PackableText(out, message.message_id);
  PackableText(out, content.md5_of_body);
  PackableText(out, content.md5_of_attributes);
  PackableText(out, content.md5_of_system_attributes);
  RawText(out, content.sender_id);
  RawText(out, content.group_id);
  PackableText(out, content.deduplication_id);
  RawText(out, content.dead_letter_source_arn);
  PackableText(out, message.sequence_number);
  RawText(out, long_token ? std::string_view(message.receipt_token) : std::string_view());
  RawText(out, content.body);
  // Zigzag, so a negative delay from a hand-edited snapshot survives too.
  auto delay = static_cast<std::uint64_t>(content.delay_seconds);
  Varint(out, (delay << 1) ^ static_cast<std::uint64_t>(content.delay_seconds >> 63));
  Attributes(out, content.attributes);
  Attributes(out, content.system_attributes);
}

class ContentReader {
 public:
  explicit ContentReader(const std::byte* at) : at_(reinterpret_cast<const unsigned char*>(at)) {}

  std::uint64_t Varint() {
    std::uint64_t value = 0;
    for (int shift = 0;; shift += 7) {
      auto byte = *at_++;
      value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
  }
  std::string Text() {
    auto head = Varint();
    auto size = static_cast<std::size_t>(head >> 2);
    std::string text;
    switch (head & 3) {
      case kUuid:
        text.resize(kUuidTextSize);
        for (std::size_t i = 0, b = 0; i < kUuidTextSize; i += 2, ++b) {
          if (IsUuidHyphen(i)) text[i++] = '-';
          text[i] = kHexDigits[at_[b] >> 4];
          text[i + 1] = kHexDigits[at_[b] & 0xF];
        }
        break;
      case kHex:
        text.resize(size * 2);
        for (std::size_t b = 0; b < size; ++b) {
          text[2 * b] = kHexDigits[at_[b] >> 4];
          text[2 * b + 1] = kHexDigits[at_[b] & 0xF];
        }
        break;
      default:
        text.assign(reinterpret_cast<const char*>(at_), size);
    }
    at_ += size;
    return text;
  }
  // A text written with RawText.
  std::string_view RawView() {
    auto size = static_cast<std::size_t>(Varint() >> 2);
    std::string_view view(reinterpret_cast<const char*>(at_), size);
    at_ += size;
    return view;
  }
  void Skip() { at_ += static_cast<std::size_t>(Varint() >> 2); }
  void SkipAttributes() {
    for (auto count = Varint(); count > 0; --count) {
      for (int text = 0; text < 4; ++text) Skip();
    }
  }
  const unsigned char* Position() const { return at_; }
  MessageAttributes Attributes() {
    MessageAttributes attributes;
    for (auto count = Varint(); count > 0; --count) {
      std::string name(RawView());
      MessageAttributeValue value;
      value.data_type = std::string(RawView());
      value.string_value = std::string(RawView());
      value.binary_value = std::string(RawView());
      attributes.emplace_hint(attributes.end(), std::move(name), std::move(value));
    }
    return attributes;
  }

 private:
  const unsigned char* at_;
};

}  // namespace

// Three 24-byte links, seven 8-byte fields and the inline token: a header a byte larger would
// round up to 152 and cost the typical message its allocator size class.
static_assert(sizeof(void*) != 8 || sizeof(PackedMessage) <= 144);

PackedMessagePtr PackedMessage::Create(const StoredMessage& message, std::uint64_t sequence) {
  bool long_token = message.receipt_token.size() > kReceiptTokenSize;
  SizeCounter counter;
  Encode(counter, message, long_token);
  void* memory = ::operator new(sizeof(PackedMessage) + counter.size);
  PackedMessagePtr packed(new (memory) PackedMessage());
  ByteWriter writer{packed->Content()};
  Encode(writer, message, long_token);
  packed->sequence_ = sequence;
  packed->sent_millis_ = message.sent_millis;
  packed->visible_at_millis = message.visible_at_millis;
  packed->retention_start_millis = message.retention_start_millis;
  packed->first_receive_millis = message.first_receive_millis;
  packed->last_receive_millis = message.last_receive_millis;
  packed->receive_count = message.receive_count;
  if (long_token) {
    packed->token_size_ = kLongToken;
  } else {
    packed->SetReceiptToken(message.receipt_token);
  }
  return packed;
}

void DestroyPackedMessage(PackedMessage* message) {
  message->~PackedMessage();
  ::operator delete(message);
}

StoredMessage PackedMessage::Unpack() const {
  StoredMessage message;
  auto& content = message.content;
  ContentReader reader(Content());
  message.message_id = reader.Text();
  content.md5_of_body = reader.Text();
  content.md5_of_attributes = reader.Text();
  content.md5_of_system_attributes = reader.Text();
  content.sender_id = reader.Text();
  content.group_id = reader.Text();
  content.deduplication_id = reader.Text();
  content.dead_letter_source_arn = reader.Text();
  message.sequence_number = reader.Text();
  message.receipt_token = reader.Text();
  if (token_size_ != kLongToken) message.receipt_token.assign(token_, token_size_);
  content.body = reader.Text();
  auto delay = reader.Varint();
  content.delay_seconds = static_cast<std::int64_t>(delay >> 1) ^ -static_cast<std::int64_t>(delay & 1);
  content.attributes = reader.Attributes();
  content.system_attributes = reader.Attributes();
  message.sent_millis = sent_millis_;
  message.retention_start_millis = retention_start_millis;
  message.visible_at_millis = visible_at_millis;
  message.first_receive_millis = first_receive_millis;
  message.last_receive_millis = last_receive_millis;
  message.receive_count = receive_count;
  return message;
}

std::size_t PackedMessage::PackedSize() const {
  // Walks the content in Encode's order: eleven texts, the delay, two attribute maps.
  ContentReader reader(Content());
  for (int text = 0; text < 11; ++text) reader.Skip();
  (void)reader.Varint();
  reader.SkipAttributes();
  reader.SkipAttributes();
  return sizeof(PackedMessage) +
         static_cast<std::size_t>(reader.Position() - reinterpret_cast<const unsigned char*>(Content()));
}

PackedMessagePtr PackedMessage::Clone() const {
  std::size_t content_size = PackedSize() - sizeof(PackedMessage);
  void* memory = ::operator new(sizeof(PackedMessage) + content_size);
  PackedMessagePtr copy(new (memory) PackedMessage());
  std::memcpy(copy->Content(), Content(), content_size);
  copy->sequence_ = sequence_;
  copy->sent_millis_ = sent_millis_;
  copy->visible_at_millis = visible_at_millis;
  copy->retention_start_millis = retention_start_millis;
  copy->first_receive_millis = first_receive_millis;
  copy->last_receive_millis = last_receive_millis;
  copy->receive_count = receive_count;
  copy->token_size_ = token_size_;
  std::memcpy(copy->token_, token_, sizeof token_);
  return copy;
}

std::string PackedMessage::MessageId() const { return ContentReader(Content()).Text(); }

std::string_view PackedMessage::GroupId() const {
  ContentReader reader(Content());
  for (int skipped = 0; skipped < 5; ++skipped) reader.Skip();  // message id, three digests, sender
  return reader.RawView();
}

std::string PackedMessage::ReceiptToken() const {
  if (token_size_ != kLongToken) return std::string(token_, token_size_);
  ContentReader reader(Content());
  for (int skipped = 0; skipped < 9; ++skipped) reader.Skip();  // up to the long token
  return reader.Text();
}

void PackedMessage::SetReceiptToken(std::string_view token) {
  if (token.size() > kReceiptTokenSize) throw std::invalid_argument("receipt token longer than the inline slot");
  std::memcpy(token_, token.data(), token.size());
  token_size_ = static_cast<std::uint8_t>(token.size());
}

}  // namespace mallard::sqs

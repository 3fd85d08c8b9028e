#pragma once
// A stored message as the memory store keeps it: one allocation holding the links of the queue's
// three indexes (by send order, by visibility, by retention start), the fields a receive changes,
// and everything else packed into bytes after them. A StoredMessage with its strings, two maps and
// three index nodes took ~1,100 bytes for a 256-byte body; this takes the body plus ~220.
//
// Packing is lossless: Unpack() gives back exactly the StoredMessage that was packed. Texts that
// are lowercase hex (message ids, MD5 digests, content-based deduplication ids, FIFO sequence
// numbers) are kept as the bytes they spell, and a canonical UUID as its 16 bytes; any other text is
// kept as it is.
#include <boost/intrusive/set.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "services/sqs/model/sqs_model.hpp"

namespace mallard::sqs {

class PackedMessage;
void DestroyPackedMessage(PackedMessage* message);
// A message owned alone, linked into no queue (a queue that links one takes it with release()).
struct PackedMessageDeleter {
  void operator()(PackedMessage* message) const { DestroyPackedMessage(message); }
};
using PackedMessagePtr = std::unique_ptr<PackedMessage, PackedMessageDeleter>;

class PackedMessage {
 public:
  // Links only: the containers below never own or copy a message; a queue frees its messages
  // through DestroyPackedMessage once they are unlinked.
  using Hook = boost::intrusive::set_member_hook<boost::intrusive::link_mode<boost::intrusive::normal_link>,
                                                 boost::intrusive::optimize_size<true>>;

  // The receipt token every receive sets: RandomAlnum(kReceiptTokenSize), kept inline. It only
  // tells one receive of a message from another (71 random bits); 12 characters keep the header at
  // 144 bytes.
  static constexpr std::size_t kReceiptTokenSize = 12;

  // One allocation: this header, then the packed content.
  static PackedMessagePtr Create(const StoredMessage& message, std::uint64_t sequence);
  // The same message in a new allocation, linked nowhere: one copy of its bytes, so a snapshot
  // can take a queue's messages under its lock in a fraction of the time unpacking them takes.
  PackedMessagePtr Clone() const;
  StoredMessage Unpack() const;
  // Bytes this message takes, before the allocator's own overhead.
  std::size_t PackedSize() const;

  std::uint64_t sequence() const { return sequence_; }
  std::string MessageId() const;
  std::string_view GroupId() const;  // FIFO; empty for standard queues
  std::string ReceiptToken() const;
  // A receive's new token, kReceiptTokenSize characters.
  void SetReceiptToken(std::string_view token);

  // Changed in place by receives and visibility changes (visible_at only through the queue, which
  // re-indexes it).
  std::int64_t visible_at_millis = 0;
  std::int64_t retention_start_millis = 0;
  std::int64_t first_receive_millis = 0;
  std::int64_t last_receive_millis = 0;
  std::int64_t receive_count = 0;

  Hook by_sequence_hook;
  Hook by_visibility_hook;
  Hook by_retention_hook;

 private:
  PackedMessage() = default;
  const std::byte* Content() const { return reinterpret_cast<const std::byte*>(this + 1); }
  std::byte* Content() { return reinterpret_cast<std::byte*>(this + 1); }

  std::uint64_t sequence_ = 0;
  std::int64_t sent_millis_ = 0;
  // kLongToken: the token did not fit inline (a restored snapshot's token of another length); it
  // is in the content until the next receive sets a new one.
  std::uint8_t token_size_ = 0;
  char token_[kReceiptTokenSize] = {};
  static constexpr std::uint8_t kLongToken = 0xFF;

  friend void DestroyPackedMessage(PackedMessage* message);
};

// Orders of the three indexes. Send order is unique, so every key here is too.
struct BySequence {
  bool operator()(const PackedMessage& a, const PackedMessage& b) const { return a.sequence() < b.sequence(); }
  bool operator()(const PackedMessage& a, std::uint64_t b) const { return a.sequence() < b; }
  bool operator()(std::uint64_t a, const PackedMessage& b) const { return a < b.sequence(); }
};
using TimeAndSequence = std::pair<std::int64_t, std::uint64_t>;
template <std::int64_t PackedMessage::*Time>
struct ByTime {
  static TimeAndSequence KeyOf(const PackedMessage& m) { return {m.*Time, m.sequence()}; }
  bool operator()(const PackedMessage& a, const PackedMessage& b) const { return KeyOf(a) < KeyOf(b); }
  bool operator()(const PackedMessage& a, const TimeAndSequence& b) const { return KeyOf(a) < b; }
  bool operator()(const TimeAndSequence& a, const PackedMessage& b) const { return a < KeyOf(b); }
};
using ByVisibility = ByTime<&PackedMessage::visible_at_millis>;
using ByRetentionStart = ByTime<&PackedMessage::retention_start_millis>;

using MessagesBySequence = boost::intrusive::set<
    PackedMessage, boost::intrusive::member_hook<PackedMessage, PackedMessage::Hook, &PackedMessage::by_sequence_hook>,
    boost::intrusive::compare<BySequence>>;
using MessagesByVisibility = boost::intrusive::set<
    PackedMessage,
    boost::intrusive::member_hook<PackedMessage, PackedMessage::Hook, &PackedMessage::by_visibility_hook>,
    boost::intrusive::compare<ByVisibility>>;
using MessagesByRetentionStart = boost::intrusive::set<
    PackedMessage, boost::intrusive::member_hook<PackedMessage, PackedMessage::Hook, &PackedMessage::by_retention_hook>,
    boost::intrusive::compare<ByRetentionStart>>;

}  // namespace mallard::sqs

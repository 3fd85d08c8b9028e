#pragma once
// SQS state as the service and every store see it. Plain values: a store may keep them in
// memory, serialise them to Redis hashes, or snapshot them to JSON.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mallard::sqs {

// Queues are partitioned by account and region.
struct QueueKey {
  std::string account_id;
  std::string region;
  std::string name;
  auto operator<=>(const QueueKey&) const = default;
  std::string Arn() const { return "arn:aws:sqs:" + region + ":" + account_id + ":" + name; }
};

struct QueueRecord {
  QueueKey key;
  bool fifo = false;
  // Settable attributes exactly as AWS names and prints them ("VisibilityTimeout" -> "30"),
  // already validated by the service. Computed attributes (counts, ARN, timestamps) are not here.
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> tags;
  std::int64_t created_seconds = 0;
  std::int64_t last_modified_seconds = 0;
  std::int64_t last_purge_millis = 0;
};

struct MessageAttributeValue {
  std::string data_type;     // "String", "Number", "Binary", optionally with ".custom" suffix
  std::string string_value;  // String and Number
  std::string binary_value;  // raw bytes for Binary
  auto operator<=>(const MessageAttributeValue&) const = default;
};
using MessageAttributes = std::map<std::string, MessageAttributeValue>;

struct NewMessage {
  std::string body;
  MessageAttributes attributes;
  MessageAttributes system_attributes;  // AWSTraceHeader
  std::string md5_of_body;
  std::string md5_of_attributes;         // empty when there are none
  std::string md5_of_system_attributes;  // empty when there are none
  std::string sender_id;
  std::int64_t delay_seconds = 0;
  std::string group_id;          // FIFO
  std::string deduplication_id;  // FIFO: explicit or content-based, resolved by the service
  std::string dead_letter_source_arn;  // set when the message was redriven into a DLQ
};

struct StoredMessage {
  std::string message_id;
  NewMessage content;
  std::int64_t sent_millis = 0;
  // What the retention period counts from: the send, except that a move into a FIFO dead-letter
  // queue starts it again (a standard queue's DLQ keeps the original enqueue time, as AWS does).
  std::int64_t retention_start_millis = 0;
  std::int64_t visible_at_millis = 0;  // delayed or in flight until then
  std::int64_t first_receive_millis = 0;
  std::int64_t last_receive_millis = 0;  // visibility may extend at most 12 h past this
  std::int64_t receive_count = 0;
  std::string sequence_number;         // FIFO
  std::string receipt_token;           // changes on every receive; empty before the first
};

struct ReceivedMessage {
  StoredMessage message;  // state after this receive (count, first receive time)
  std::string receipt_handle;
};

struct SendResult {
  std::string message_id;
  std::string sequence_number;  // FIFO only
};

struct QueueCounts {
  std::int64_t visible = 0;
  std::int64_t in_flight = 0;
  std::int64_t delayed = 0;
};

struct MoveTask {
  std::string task_handle;
  std::string source_arn;
  std::string destination_arn;  // empty = each message back to its original source
  std::int64_t max_per_second = 0;  // 0 = as fast as possible
  std::string status = "RUNNING";   // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
  std::int64_t started_millis = 0;
  std::int64_t moved = 0;
  std::int64_t to_move = 0;  // ApproximateNumberOfMessagesToMove at start
  std::string failure_reason;
  // The server running the task and when it last reported: a RUNNING task whose runner stopped
  // reporting (its server died) is taken over by another server, or by the restarted one.
  std::string runner;
  std::int64_t heartbeat_millis = 0;
};

}  // namespace mallard::sqs

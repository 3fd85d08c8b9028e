#pragma once
// S3 event notifications: after a write or delete succeeded, the bucket's notification
// configuration decides which queues (SQS) and topics (SNS) hear of it, in AWS's event JSON.
// Delivery goes through the peer directory (never another service's store) and never delays the
// answer to the client.
//
// The configuration (Put/GetBucketNotificationConfiguration, s3_notification_config.cpp) is kept
// in the bucket record under "notification" as the XML document GET returns; delivery parses it
// back with the same parser (cached by the document's text, so a PutObject does not re-parse).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pugixml.hpp>

#include "common/aws_error.hpp"
#include "common/result.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class S3Call;

// `event_name` without the "s3:" prefix: "ObjectCreated:Put", "ObjectCreated:Post",
// "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete",
// "ObjectRemoved:DeleteMarkerCreated", "ObjectTagging:Put", "ObjectTagging:Delete",
// "LifecycleExpiration:Delete", "LifecycleExpiration:DeleteMarkerCreated". `record` is the
// version written, removed or marked (key, size, ETag, version id).
void NotifyObjectEvent(const S3Call& call, std::string_view event_name, const ObjectRecord& record);

// One destination of a bucket's notification configuration.
struct NotificationTarget {
  enum class Kind : unsigned char { Queue, Topic, Function };
  Kind kind = Kind::Queue;
  std::string id;
  std::string arn;
  std::vector<std::string> events;  // as configured, with "s3:" ("s3:ObjectCreated:*")
  std::optional<std::string> prefix;
  std::optional<std::string> suffix;
};

struct NotificationConfig {
  std::vector<NotificationTarget> targets;
  bool event_bridge = false;
};

// Parses and validates a <NotificationConfiguration> (S3's InvalidArgument / MalformedXML); an
// absent Id gets a generated one. Overlap between configurations is checked here too.
Result<NotificationConfig, AwsError> ParseNotificationConfiguration(pugi::xml_node root);
// The document GET returns (S3's element order).
std::string RenderNotificationConfiguration(const NotificationConfig& config);

// Whether a configured event ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete") covers an event
// that happened ("ObjectCreated:Put", no "s3:").
bool EventCovers(std::string_view configured, std::string_view event_name);
// Whether the key passes the target's prefix and suffix rules (case-sensitive, as S3 compares).
bool KeyPasses(const NotificationTarget& target, std::string_view key);
// An object key as S3 writes it in event JSON: URL-encoded, spaces as '+'.
std::string EncodeEventKey(std::string_view key);

// What goes into one event record (everything NotifyObjectEvent knows at the time).
struct EventFacts {
  std::string event_name;  // without "s3:"
  std::string region;
  std::int64_t event_millis = 0;
  std::string principal_id;
  std::string source_ip;
  std::string request_id;
  std::string host_id;
  std::string configuration_id;
  std::string bucket;
  std::string bucket_owner;
  std::string sequencer;
  ObjectRecord record;
};
// AWS's event JSON ({"Records":[...]}); removed events carry no size and no eTag.
std::string EventJson(const EventFacts& facts);
// The s3:TestEvent S3 sends to each destination after a configuration is put.
std::string TestEventJson(std::string_view bucket, std::string_view request_id, std::string_view host_id,
                          std::int64_t now_millis);

// Sends `message` to a queue (SQS SendMessage) or a topic (SNS Publish) through the peer
// directory as `account`; failures are logged, never returned.
void DeliverNotification(const S3Call& call, const NotificationTarget& target, std::string account,
                         std::string message);

}  // namespace mallard::s3

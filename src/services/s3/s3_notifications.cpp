// S3 event notifications (see s3_notifications.hpp): matching an event against the bucket's
// configuration, AWS's event JSON, and delivery to SQS and SNS through the peer directory.
#include "services/s3/s3_notifications.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "common/time_format.hpp"
#include "services/kit/executor_directory.hpp"
#include "services/kit/peer_directory.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {

namespace json = boost::json;

// Parsed configurations by their document's text: a PutObject in a configured bucket parses
// nothing, and a changed document (a new Put, a bucket deleted and made again) is simply another
// key, so there is nothing to invalidate. Bounded: cleared when it grows past the limit.
class ParsedConfigurations {
 public:
  std::shared_ptr<const NotificationConfig> Get(const std::string& document) {
    {
      std::lock_guard lock(mutex_);
      if (auto found = by_document_.find(document); found != by_document_.end()) return found->second;
    }
    auto parsed_document = ParseXml(document);
    if (!parsed_document) return nullptr;
    auto parsed = ParseNotificationConfiguration(parsed_document.value().Root());
    if (!parsed) return nullptr;
    auto config = std::make_shared<const NotificationConfig>(std::move(parsed).value());
    std::lock_guard lock(mutex_);
    if (by_document_.size() >= kLimit) by_document_.clear();
    by_document_.emplace(document, config);
    return config;
  }

 private:
  static constexpr std::size_t kLimit = 1024;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const NotificationConfig>, std::less<>> by_document_;
};

ParsedConfigurations& Cache() {
  static ParsedConfigurations cache;
  return cache;
}

// Increasing across the process, so events for one key order by it as S3's sequencer does.
std::string NextSequencer(std::int64_t now_millis) {
  static std::atomic<std::uint64_t> last{0};
  std::uint64_t candidate = static_cast<std::uint64_t>(std::max<std::int64_t>(now_millis, 0)) << 16;
  std::uint64_t previous = last.load();
  std::uint64_t next = 0;
  do {
    next = std::max(candidate, previous + 1);
  } while (!last.compare_exchange_weak(previous, next));
  char text[24];
  std::snprintf(text, sizeof text, "00%016llX", static_cast<unsigned long long>(next));
  return text;
}

std::string WithoutQuotes(const std::string& etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag.substr(1, etag.size() - 2);
  return etag;
}

bool IsRemoval(std::string_view event_name) {
  return event_name.rfind("ObjectRemoved:", 0) == 0 || event_name.rfind("LifecycleExpiration:", 0) == 0;
}

}  // namespace

bool EventCovers(std::string_view configured, std::string_view event_name) {
  if (configured.rfind("s3:", 0) != 0) return false;
  configured.remove_prefix(3);
  if (configured.size() >= 2 && configured.substr(configured.size() - 2) == ":*") {
    std::string_view family = configured.substr(0, configured.size() - 1);  // "ObjectCreated:"
    return event_name.size() > family.size() && event_name.substr(0, family.size()) == family;
  }
  return configured == event_name;
}

bool KeyPasses(const NotificationTarget& target, std::string_view key) {
  if (target.prefix && key.substr(0, target.prefix->size()) != *target.prefix) return false;
  if (target.suffix) {
    if (key.size() < target.suffix->size()) return false;
    if (key.substr(key.size() - target.suffix->size()) != *target.suffix) return false;
  }
  return true;
}

std::string EncodeEventKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(key.size());
  for (unsigned char c : key) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '*' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string EventJson(const EventFacts& facts) {
  json::object object{{"key", EncodeEventKey(facts.record.key)}};
  if (!IsRemoval(facts.event_name) && !facts.record.delete_marker) {
    object["size"] = facts.record.size;
    object["eTag"] = WithoutQuotes(facts.record.etag);
  }
  if (!facts.record.version_id.empty() && facts.record.version_id != kNullVersionId) {
    object["versionId"] = facts.record.version_id;
  }
  object["sequencer"] = facts.sequencer;
  json::object s3{{"s3SchemaVersion", "1.0"},
                  {"configurationId", facts.configuration_id},
                  {"bucket", json::object{{"name", facts.bucket},
                                          {"ownerIdentity", json::object{{"principalId", facts.bucket_owner}}},
                                          {"arn", "arn:aws:s3:::" + facts.bucket}}},
                  {"object", std::move(object)}};
  json::object record{{"eventVersion", "2.1"},
                      {"eventSource", "aws:s3"},
                      {"awsRegion", facts.region},
                      {"eventTime", FormatIso8601Millis(facts.event_millis)},
                      {"eventName", facts.event_name},
                      {"userIdentity", json::object{{"principalId", facts.principal_id}}},
                      {"requestParameters", json::object{{"sourceIPAddress", facts.source_ip}}},
                      {"responseElements",
                       json::object{{"x-amz-request-id", facts.request_id}, {"x-amz-id-2", facts.host_id}}},
                      {"s3", std::move(s3)}};
  return json::serialize(json::object{{"Records", json::array{std::move(record)}}});
}

std::string TestEventJson(std::string_view bucket, std::string_view request_id, std::string_view host_id,
                          std::int64_t now_millis) {
  return json::serialize(json::object{{"Service", "Amazon S3"},
                                      {"Event", "s3:TestEvent"},
                                      {"Time", FormatIso8601Millis(now_millis)},
                                      {"Bucket", bucket},
                                      {"RequestId", request_id},
                                      {"HostId", host_id}});
}

void DeliverNotification(const S3Call& call, const NotificationTarget& target, std::string account,
                         std::string message) {
  const services::ServiceContext& context = call.service().context();
  const services::PeerDirectory* peers = context.peers;
  std::string_view peer = target.kind == NotificationTarget::Kind::Topic ? "sns" : "sqs";
  if (target.kind == NotificationTarget::Kind::Function) return;  // Mallard has no Lambda
  if (peers == nullptr || !peers->Has(peer)) {
    spdlog::warn("s3 notification for bucket {}: {} is not served here; {} receives nothing", call.bucket(), peer, target.arn);
    return;
  }
  // arn:aws:<service>:<region>:<account>:<name>
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = target.arn.find(':', start);
    if (colon == std::string::npos) return;
    parts.push_back(target.arn.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(target.arn.substr(start));
  RequestContext caller = call.context();
  caller.account_id = std::move(account);
  caller.caller_arn = "arn:aws:iam::" + caller.account_id + ":root";
  if (!parts[3].empty()) caller.region = parts[3];
  json::object input;
  std::string operation;
  if (target.kind == NotificationTarget::Kind::Queue) {
    operation = "SendMessage";
    input = {{"QueueUrl", "/" + parts[4] + "/" + parts[5]}, {"MessageBody", std::move(message)}};
  } else {
    operation = "Publish";
    input = {{"TopicArn", target.arn}, {"Message", std::move(message)}, {"Subject", "Amazon S3 Notification"}};
  }
  auto send = [peers, peer = std::string(peer), operation = std::move(operation), input = std::move(input),
               caller = std::move(caller), arn = target.arn, bucket = call.bucket()]() mutable {
    peers->Invoke(peer, operation, std::move(input), caller, [arn, bucket](protocol::OperationResult result) {
      if (!result) {
        spdlog::warn("s3 notification for bucket {} not delivered to {}: {}: {}", bucket, arn, result.error().code,
                     result.error().message);
      }
    });
  };
  // Off the request's path: one thread keeps a bucket's events in the order they happened.
  if (context.executors != nullptr) {
    boost::asio::post(context.executors->Pool("s3-notifications", 1), std::move(send));
  } else {
    send();
  }
}

void NotifyObjectEvent(const S3Call& call, std::string_view event_name, const ObjectRecord& record) {
  auto bucket = call.store().GetBucket(call.bucket());
  if (!bucket) return;
  const std::string* document = bucket.value().Configuration("notification");
  if (document == nullptr || document->empty()) return;
  auto config = Cache().Get(*document);
  if (config == nullptr) return;
  const bool lifecycle = call.operation() == "LifecycleExpiration";
  std::string host_id;
  for (const auto& target : config->targets) {
    if (target.kind == NotificationTarget::Kind::Function) continue;
    bool covered = std::any_of(target.events.begin(), target.events.end(),
                               [&](const std::string& configured) { return EventCovers(configured, event_name); });
    if (!covered || !KeyPasses(target, record.key)) continue;
    if (host_id.empty()) host_id = RandomHex(32);
    EventFacts facts;
    facts.event_name = std::string(event_name);
    facts.region = bucket.value().region.empty() ? call.context().region : bucket.value().region;
    facts.event_millis = call.NowMillis();
    facts.principal_id = lifecycle ? "s3.amazonaws.com" : "AWS:" + call.context().account_id;
    facts.source_ip = lifecycle ? "s3.amazonaws.com"
                                : (call.http().remote_address.empty() ? "127.0.0.1" : call.http().remote_address);
    facts.request_id = call.context().request_id;
    facts.host_id = host_id;
    facts.configuration_id = target.id;
    facts.bucket = call.bucket();
    facts.bucket_owner = bucket.value().owner_account;
    facts.sequencer = NextSequencer(facts.event_millis);
    facts.record = record;
    DeliverNotification(call, target, bucket.value().owner_account, EventJson(facts));
  }
}

}  // namespace mallard::s3

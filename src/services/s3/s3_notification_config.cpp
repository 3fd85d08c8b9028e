// Put/GetBucketNotificationConfiguration: queues (SQS), topics (SNS), Lambda functions (which
// Mallard does not serve: AWS's "Unable to validate" unless validation is skipped) and
// EventBridge, validated as S3 validates them — ARNs, event names, prefix/suffix rules,
// configurations that overlap, and destinations that must exist (asked through the peer
// directory). After a successful put, each queue and topic receives S3's s3:TestEvent.
#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "services/kit/peer_directory.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_configuration_common.hpp"
#include "services/s3/s3_notifications.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {

namespace json = boost::json;

// The events S3 accepts in a notification configuration (AWS's list of supported event types).
constexpr std::array<std::string_view, 28> kSupportedEvents = {
    "s3:ReducedRedundancyLostObject",
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationNotTracked",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
    "s3:TestEvent",
};

bool IsSupportedEvent(std::string_view event) {
  if (event == "s3:TestEvent") return false;  // sent by S3, never subscribed to
  return std::find(kSupportedEvents.begin(), kSupportedEvents.end(), event) != kSupportedEvents.end();
}

struct TargetShape {
  std::string_view element;      // the configuration element
  std::string_view arn_element;  // its ARN child
  std::string_view service;      // the ARN's service
  NotificationTarget::Kind kind;
};

constexpr std::array<TargetShape, 4> kShapes = {{
    {"TopicConfiguration", "Topic", "sns", NotificationTarget::Kind::Topic},
    {"QueueConfiguration", "Queue", "sqs", NotificationTarget::Kind::Queue},
    {"CloudFunctionConfiguration", "CloudFunction", "lambda", NotificationTarget::Kind::Function},
    // The REST API's newer spelling of the same thing.
    {"LambdaFunctionConfiguration", "CloudFunction", "lambda", NotificationTarget::Kind::Function},
}};

struct ArnParts {
  std::string service;
  std::string region;
  std::string account;
  std::string resource;
};

std::optional<ArnParts> SplitArn(std::string_view arn) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(arn.substr(start));
  if (parts[0] != "arn" || parts[1].rfind("aws", 0) != 0 || parts[2].empty() || parts[5].empty()) return std::nullopt;
  return ArnParts{std::string(parts[2]), std::string(parts[3]), std::string(parts[4]), std::string(parts[5])};
}

std::string_view KindArgument(NotificationTarget::Kind kind) {
  switch (kind) {
    case NotificationTarget::Kind::Topic: return "Topic";
    case NotificationTarget::Kind::Queue: return "Queue";
    case NotificationTarget::Kind::Function: return "CloudFunction";
  }
  return "Queue";
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The family of an event ("s3:ObjectCreated:*" → "s3:ObjectCreated"), for overlap.
bool EventsShare(std::string_view a, std::string_view b) {
  auto family = [](std::string_view e) {
    auto last = e.rfind(':');
    return last == 2 ? e : e.substr(0, last);  // "s3:X" has one colon after "s3"
  };
  if (a == b) return true;
  bool a_wild = a.size() > 2 && a.substr(a.size() - 2) == ":*";
  bool b_wild = b.size() > 2 && b.substr(b.size() - 2) == ":*";
  if (!a_wild && !b_wild) return false;
  return family(a) == family(b);
}

bool PrefixesOverlap(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  std::string_view x = a ? std::string_view(*a) : std::string_view();
  std::string_view y = b ? std::string_view(*b) : std::string_view();
  return x.substr(0, std::min(x.size(), y.size())) == y.substr(0, std::min(x.size(), y.size()));
}

bool SuffixesOverlap(const std::optional<std::string>& a, const std::optional<std::string>& b) {
  std::string_view x = a ? std::string_view(*a) : std::string_view();
  std::string_view y = b ? std::string_view(*b) : std::string_view();
  std::size_t n = std::min(x.size(), y.size());
  return x.substr(x.size() - n) == y.substr(y.size() - n);
}

Result<NotificationTarget, AwsError> ParseTarget(pugi::xml_node node, const TargetShape& shape) {
  NotificationTarget target;
  target.kind = shape.kind;
  target.id = ChildText(node, "Id").value_or("");
  if (target.id.empty()) target.id = NewUuid();
  auto arn = ChildText(node, shape.arn_element);
  if (!arn && shape.kind == NotificationTarget::Kind::Function) arn = ChildText(node, "LambdaFunctionArn");
  if (!arn) return Fail(errors::MalformedXml());
  auto parts = SplitArn(*arn);
  if (!parts || parts->service != shape.service) {
    return Fail(errors::InvalidArgument("The ARN could not be parsed", KindArgument(shape.kind), *arn));
  }
  target.arn = *arn;
  for (pugi::xml_node event : Children(node, "Event")) {
    std::string name = event.text().get();
    if (!IsSupportedEvent(name)) {
      return Fail(errors::InvalidArgument("The event is not supported for notifications", "Event", name));
    }
    if (std::find(target.events.begin(), target.events.end(), name) == target.events.end()) target.events.push_back(name);
  }
  if (target.events.empty()) return Fail(errors::MalformedXml());
  if (auto filters = Children(node, "Filter"); !filters.empty()) {
    if (filters.size() > 1) return Fail(errors::MalformedXml());
    for (pugi::xml_node key : Children(filters.front(), "S3Key")) {
      for (pugi::xml_node rule : Children(key, "FilterRule")) {
        auto name = ChildText(rule, "Name");
        auto value = ChildText(rule, "Value");
        if (!name || !value) return Fail(errors::MalformedXml());
        std::string lowered = Lower(*name);
        if (lowered != "prefix" && lowered != "suffix") {
          return Fail(errors::InvalidArgument("filter rule name must be either prefix or suffix", "FilterRule.Name", *name));
        }
        auto& slot = lowered == "prefix" ? target.prefix : target.suffix;
        if (slot) {
          return Fail(errors::InvalidArgument("Cannot specify more than one " + lowered + " rule in a filter.",
                                              "FilterRule.Name", *name));
        }
        slot = *value;
      }
    }
  }
  return target;
}

Result<void, AwsError> CheckOverlaps(const std::vector<NotificationTarget>& targets) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = targets[i];
      const auto& b = targets[j];
      bool share = false;
      for (const auto& x : a.events) {
        for (const auto& y : b.events) share = share || EventsShare(x, y);
      }
      if (!share || !PrefixesOverlap(a.prefix, b.prefix) || !SuffixesOverlap(a.suffix, b.suffix)) continue;
      bool filtered = a.prefix || a.suffix || b.prefix || b.suffix;
      if (!filtered) {
        return Fail(errors::InvalidArgument(
            "Configurations overlap. Configurations on the same bucket cannot share a common event type.", "Event",
            a.events.front()));
      }
      return Fail(errors::InvalidArgument(
          "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are "
          "overlapping for the same event type.",
          "Event", a.events.front()));
    }
  }
  return {};
}

// A destination that could not be validated: its ArgumentName and ArgumentValue.
struct Unvalidated {
  std::string name;
  std::string reason;
};

// Asks the peers whether each queue and topic exists; completes `done` once with those that failed
// (in configuration order). Lambda is not served: every function fails, as AWS answers when it may
// not invoke one.
void ValidateDestinations(const S3Call& call, const NotificationConfig& config,
                          std::function<void(std::vector<Unvalidated>)> done) {
  struct Pending {
    std::mutex mutex;
    std::vector<std::optional<Unvalidated>> results;
    std::atomic<std::size_t> left{0};
    std::function<void(std::vector<Unvalidated>)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->results.resize(config.targets.size());
  pending->left = config.targets.size() + 1;  // +1: released after the loop, so done runs once
  pending->done = std::move(done);
  auto finish = [pending] {
    if (pending->left.fetch_sub(1) != 1) return;
    std::vector<Unvalidated> failed;
    for (auto& result : pending->results) {
      if (result) failed.push_back(std::move(*result));
    }
    pending->done(std::move(failed));
  };
  auto record = [pending, finish](std::size_t index, Unvalidated failure) {
    {
      std::lock_guard lock(pending->mutex);
      pending->results[index] = std::move(failure);
    }
    finish();
  };
  const services::PeerDirectory* peers = call.service().context().peers;
  for (std::size_t index = 0; index < config.targets.size(); ++index) {
    const NotificationTarget& target = config.targets[index];
    auto parts = SplitArn(target.arn);
    RequestContext caller = call.context();
    if (parts && !parts->region.empty()) caller.region = parts->region;
    switch (target.kind) {
      case NotificationTarget::Kind::Function:
        record(index, {target.arn + ", null", "Not authorized to invoke function [" + target.arn + "]"});
        break;
      case NotificationTarget::Kind::Queue: {
        Unvalidated missing{target.arn, "The destination queue does not exist"};
        if (parts->resource.size() > 5 && parts->resource.compare(parts->resource.size() - 5, 5, ".fifo") == 0) {
          // AWS does not deliver S3 events to FIFO queues.
          record(index, {target.arn, "FIFO SQS queues are not supported as a destination"});
          break;
        }
        if (peers == nullptr || !peers->Has("sqs")) {
          record(index, missing);
          break;
        }
        json::object ask{{"QueueUrl", "/" + parts->account + "/" + parts->resource},
                         {"AttributeNames", json::array{"QueueArn"}}};
        peers->Invoke("sqs", "GetQueueAttributes", std::move(ask), caller,
                      [record, finish, index, missing](protocol::OperationResult result) {
                        if (result) return finish();
                        record(index, missing);
                      });
        break;
      }
      case NotificationTarget::Kind::Topic: {
        Unvalidated missing{target.arn, "The destination topic does not exist"};
        if (peers == nullptr || !peers->Has("sns")) {
          record(index, missing);
          break;
        }
        peers->Invoke("sns", "GetTopicAttributes", json::object{{"TopicArn", target.arn}}, caller,
                      [record, finish, index, missing](protocol::OperationResult result) {
                        if (result) return finish();
                        record(index, missing);
                      });
        break;
      }
    }
  }
  finish();
}

AwsError UnableToValidate(const std::vector<Unvalidated>& failed) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (std::size_t i = 0; i < failed.size(); ++i) {
    fields.emplace_back("ArgumentName" + std::to_string(i + 1), failed[i].name);
    fields.emplace_back("ArgumentValue" + std::to_string(i + 1), failed[i].reason);
  }
  return S3Error("InvalidArgument", 400, "Unable to validate the following destination configurations", std::move(fields));
}

void StoreAndAnswer(const std::shared_ptr<S3Call>& call, NotificationConfig config, bool send_test_events) {
  call->Run([call, config = std::move(config), send_test_events] {
    std::string document = RenderNotificationConfiguration(config);
    auto updated = call->store().UpdateBucket(call->bucket(), [&](BucketRecord& bucket) {
      if (config.targets.empty() && !config.event_bridge) {
        bucket.RemoveConfiguration("notification");
      } else {
        bucket.SetConfiguration("notification", document);
      }
    });
    if (!updated) return call->Fail(updated.error());
    call->ReplyEmpty(200);
    if (!send_test_events) return;
    std::string test_event =
        TestEventJson(call->bucket(), call->context().request_id, RandomHex(32), call->NowMillis());
    for (const auto& target : config.targets) {
      if (target.kind == NotificationTarget::Kind::Function) continue;
      DeliverNotification(*call, target, call->context().account_id, test_event);
    }
  });
}

void PutBucketNotificationConfiguration(const std::shared_ptr<S3Call>& call) {
  auto document = config::ParseRoot(*call, "NotificationConfiguration");
  if (!document) return call->Fail(document.error());
  auto parsed = ParseNotificationConfiguration(document.value().Root());
  if (!parsed) return call->Fail(parsed.error());
  const std::string* skip = call->Header("x-amz-skip-destination-validation");
  bool skip_validation = skip != nullptr && Lower(*skip) == "true";
  call->Run([call, config = std::move(parsed).value(), skip_validation]() mutable {
    // A missing bucket is NoSuchBucket before any destination is asked about.
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    if (skip_validation) return StoreAndAnswer(call, std::move(config), false);
    auto shared = std::make_shared<NotificationConfig>(std::move(config));
    ValidateDestinations(*call, *shared, [call, shared](std::vector<Unvalidated> failed) {
      if (!failed.empty()) return call->Fail(UnableToValidate(failed));
      StoreAndAnswer(call, std::move(*shared), true);
    });
  });
}

void GetBucketNotificationConfiguration(const std::shared_ptr<S3Call>& call) {
  call->Run([call] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) return call->Fail(bucket.error());
    const std::string* stored = bucket.value().Configuration("notification");
    // Never configured is an empty configuration, not an error.
    call->ReplyXml(stored != nullptr && !stored->empty() ? *stored : RenderNotificationConfiguration({}));
  });
}

}  // namespace

Result<NotificationConfig, AwsError> ParseNotificationConfiguration(pugi::xml_node root) {
  NotificationConfig config;
  for (pugi::xml_node child = root.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    std::string_view name = LocalName(child);
    if (name == "EventBridgeConfiguration") {
      config.event_bridge = true;
      continue;
    }
    const TargetShape* shape = nullptr;
    for (const auto& candidate : kShapes) {
      if (candidate.element == name) shape = &candidate;
    }
    if (shape == nullptr) return Fail(errors::MalformedXml());
    MALLARD_ASSIGN_OR_RETURN(auto target, ParseTarget(child, *shape));
    config.targets.push_back(std::move(target));
  }
  for (std::size_t i = 0; i < config.targets.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (config.targets[i].id == config.targets[j].id) {
        return Fail(errors::InvalidArgument("Duplicate notification configuration Id", "Id", config.targets[i].id));
      }
    }
  }
  if (auto checked = CheckOverlaps(config.targets); !checked) return Fail(checked.error());
  return config;
}

std::string RenderNotificationConfiguration(const NotificationConfig& config) {
  XmlWriter xml("NotificationConfiguration");
  // S3's order: topics, queues, functions, then EventBridge.
  for (auto kind : {NotificationTarget::Kind::Topic, NotificationTarget::Kind::Queue, NotificationTarget::Kind::Function}) {
    for (const auto& target : config.targets) {
      if (target.kind != kind) continue;
      xml.Open(kind == NotificationTarget::Kind::Topic   ? "TopicConfiguration"
               : kind == NotificationTarget::Kind::Queue ? "QueueConfiguration"
                                                         : "CloudFunctionConfiguration");
      xml.Element("Id", target.id);
      xml.Element(KindArgument(kind), target.arn);
      for (const auto& event : target.events) xml.Element("Event", event);
      if (target.prefix || target.suffix) {
        xml.Open("Filter");
        xml.Open("S3Key");
        if (target.prefix) {
          xml.Open("FilterRule");
          xml.Element("Name", "Prefix");
          xml.Element("Value", *target.prefix);
          xml.Close();
        }
        if (target.suffix) {
          xml.Open("FilterRule");
          xml.Element("Name", "Suffix");
          xml.Element("Value", *target.suffix);
          xml.Close();
        }
        xml.Close();
        xml.Close();
      }
      xml.Close();
    }
  }
  if (config.event_bridge) {
    xml.Open("EventBridgeConfiguration");
    xml.Close();
  }
  return xml.Finish();
}

std::vector<S3Operation> NotificationOperations() {
  return {{"PutBucketNotificationConfiguration", PutBucketNotificationConfiguration},
          {"GetBucketNotificationConfiguration", GetBucketNotificationConfiguration}};
}

}  // namespace mallard::s3

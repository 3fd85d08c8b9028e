// Delivery: to SQS through the SQS service (the peer directory) — enveloped or raw, FIFO group and
// deduplication ids carried over — and to HTTP/HTTPS through the outbound client, as tasks in the
// store's delivery schedule: attempted on SNS's own pool, retried by the delivery policy, sent to
// the subscription's dead-letter queue when they fail for good, and taken over by another server
// on the same store when the one that claimed them stops. email, sms, application, lambda and
// firehose deliveries are recorded for the inspection endpoints, not sent.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "services/kit/peer_directory.hpp"
#include "services/kit/resource_policy.hpp"
#include "services/sns/model/delivery_policy.hpp"
#include "services/sns/model/sns_errors.hpp"
#include "services/sns/sns_delivery.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr std::size_t kClaimBatch = 64;
constexpr std::int64_t kHttpTimeoutMillis = 15000;  // AWS gives an HTTP/S endpoint 15 s

std::map<std::string, FilterAttribute, std::less<>> FilterAttributes(const MessageAttributes& attributes) {
  std::map<std::string, FilterAttribute, std::less<>> out;
  for (const auto& [name, attribute] : attributes) out.emplace(name, FilterAttribute{attribute.data_type, attribute.Value()});
  return out;
}

int SignatureVersionOf(const TopicRecord& topic) { return topic.Attribute("SignatureVersion", "1") == "2" ? 2 : 1; }

std::string TextMember(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace

void SnsService::DeliverToSubscribers(std::shared_ptr<FanoutJob> job, std::function<void()> done) {
  // Completes `done` when every queue has its messages: one count per queue subscription, plus
  // one for this loop, released at its end (so a delivery completing synchronously cannot finish
  // the job early). A queue gets a job's messages one after another, each once the previous one
  // is stored, so a batch keeps its order in the queue whatever the SQS store (Redis runs sends on
  // a pool, where independent sends may overtake each other).
  auto remaining = std::make_shared<std::atomic<std::size_t>>(1);
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  std::function<void()> one_done = [remaining, finish] {
    if (remaining->fetch_sub(1) == 1) (*finish)();
  };
  std::vector<std::map<std::string, FilterAttribute, std::less<>>> filter_attributes;
  for (const auto& message : job->messages) filter_attributes.push_back(FilterAttributes(message.attributes));
  // MessageBody policies read the body as JSON: parsed once per text, whatever the number of
  // subscriptions (nullopt: not JSON, which only an empty policy matches).
  std::map<const std::string*, std::optional<json::value>> parsed_bodies;
  auto body_matches = [&](const FilterPolicy& policy, const std::string& text) {
    auto found = parsed_bodies.find(&text);
    if (found == parsed_bodies.end()) found = parsed_bodies.emplace(&text, FilterPolicy::ParseBody(text)).first;
    return found->second ? policy.MatchesParsedBody(*found->second) : policy.MatchesBody(text);
  };
  for (std::size_t s = 0; s < job->subscriptions.size(); ++s) {
    const SubscriptionRecord& subscription = job->subscriptions[s];
    if (subscription.pending) continue;
    std::shared_ptr<const FilterPolicy> policy;
    if (!subscription.Attribute("FilterPolicy").empty()) {
      policy = FilterOf(subscription);
      if (!policy) continue;  // a stored policy that no longer parses lets nothing through
    }
    auto matching = std::make_shared<std::vector<std::size_t>>();
    for (std::size_t m = 0; m < job->messages.size(); ++m) {
      const OutgoingMessage& message = job->messages[m];
      bool matches = policy == nullptr ||
                     (policy->scope() == FilterPolicyScope::MessageBody ? body_matches(*policy, message.TextFor(subscription.protocol))
                                                                       : policy->Matches(filter_attributes[m]));
      if (matches) matching->push_back(m);
    }
    if (matching->empty()) continue;
    if (subscription.protocol != "sqs") {
      for (std::size_t m : *matching) DeliverOne(job, subscription, job->messages[m], [] {});
      continue;
    }
    remaining->fetch_add(1);
    DeliverInOrder(job, s, std::move(matching), 0, one_done);
  }
  one_done();
}

void SnsService::DeliverInOrder(const std::shared_ptr<FanoutJob>& job, std::size_t subscription,
                                std::shared_ptr<const std::vector<std::size_t>> messages, std::size_t next,
                                std::function<void()> done) {
  if (next == messages->size()) return done();
  auto self = weak_from_this();
  DeliverOne(job, job->subscriptions[subscription], job->messages[(*messages)[next]],
             [self, job, subscription, messages, next, done]() mutable {
               auto service = self.lock();
               if (!service) return done();
               service->DeliverInOrder(job, subscription, std::move(messages), next + 1, std::move(done));
             });
}

void SnsService::DeliverOne(const std::shared_ptr<FanoutJob>& job, const SubscriptionRecord& subscription,
                            const OutgoingMessage& message, std::function<void()> delivered) {
  const TopicRecord& topic = job->topic;
  const std::string& protocol = subscription.protocol;
  const std::string& text = message.TextFor(protocol);
  auto envelope = [&] {
    EnvelopeFields fields;
    fields.type = "Notification";
    fields.message_id = message.message_id;
    fields.topic_arn = topic.arn;
    fields.subject = message.subject;
    fields.message = text;
    fields.timestamp = message.timestamp;
    fields.signatures = &job->signatures;
    fields.unsubscribe_url = job->caller.endpoint_base + "/?Action=Unsubscribe&SubscriptionArn=" + subscription.arn;
    fields.sequence_number = message.sequence_number;
    fields.attributes = &message.attributes;
    fields.signature_version = SignatureVersionOf(topic);
    fields.endpoint_base = job->caller.endpoint_base;
    return Envelope(fields);
  };
  bool raw = subscription.RawMessageDelivery();
  if (protocol == "sqs") {
    Json send{{"MessageBody", raw ? text : envelope()}};
    if (raw && !message.attributes.empty()) send["MessageAttributes"] = SqsMessageAttributes(message.attributes);
    bool fifo_queue = subscription.endpoint.size() > 5 && subscription.endpoint.compare(subscription.endpoint.size() - 5, 5, ".fifo") == 0;
    if (!message.group_id.empty()) send["MessageGroupId"] = message.group_id;
    if (fifo_queue && !message.deduplication_id.empty()) send["MessageDeduplicationId"] = message.deduplication_id;
    std::string dlq_body = send.at("MessageBody").as_string().c_str();
    auto self = weak_from_this();
    SubscriptionRecord copy = subscription;
    DeliverToQueue(subscription.endpoint, std::move(send), topic.account, topic.arn, job->caller,
                   [self, copy, dlq_body, delivered](bool stored, std::string error) {
                     if (!stored) {
                       spdlog::info("sns: delivery to {} failed: {}", copy.endpoint, error);
                       if (auto service = self.lock()) service->SendToDeadLetterQueue(copy, dlq_body, error);
                     } else if (auto service = self.lock()) {
                       service->CountDelivery("sqs", "succeeded");
                     }
                     delivered();
                   });
    return;
  }
  if (protocol == "http" || protocol == "https") {
    ScheduleHttpDelivery(subscription, topic, "Notification", message.message_id, raw ? text : envelope(), raw);
    return;
  }
  if (protocol == "sms") {
    auto sent = PublishToPhone(Request{job->caller, "Publish", {}, protocol::WireProtocol::AwsQuery, {}},
                               subscription.endpoint, text, message.attributes, topic.arn, subscription.arn);
    CountDelivery(protocol, sent ? "succeeded" : "failed");
    return;
  }
  if (protocol == "application") {
    Request request{job->caller, "Publish", {}, protocol::WireProtocol::AwsQuery, {}};
    auto sent = PublishToEndpoint(request, subscription.endpoint, message.message, message.json_structure ? "json" : "",
                                  message.attributes);
    if (!sent) spdlog::info("sns: delivery to {} failed: {}", subscription.endpoint, sent.error().message);
    CountDelivery(protocol, sent ? "succeeded" : "failed");
    return;
  }
  // email, email-json, lambda, firehose: recorded as they would be sent.
  Json record{{"SubscriptionArn", subscription.arn}, {"TopicArn", topic.arn}, {"Endpoint", subscription.endpoint},
              {"Protocol", protocol}, {"MessageId", message.message_id}, {"Subject", message.subject},
              {"Timestamp", SnsTimestamp(WallClockMillis())}, {"AccountId", topic.account}, {"Region", topic.region}};
  record["Message"] = protocol == "email" ? text : envelope();
  if (protocol == "firehose" && raw) record["Message"] = text;
  RecordSent(protocol == "email-json" ? "email" : protocol, std::move(record));
  CountDelivery(protocol, "succeeded");
}

void SnsService::DeliverToQueue(const std::string& queue_arn, Json send_input, const std::string& owner_account,
                                const std::string& source_arn, const RequestContext& caller,
                                std::function<void(bool, std::string)> done) const {
  auto arn = ParseArn(queue_arn, "Endpoint");
  if (!arn || arn->service != "sqs") return done(false, "not an SQS queue ARN: " + queue_arn);
  if (context_.peers == nullptr || !context_.peers->Has("sqs")) return done(false, "SQS is not served by this server");
  RequestContext as_topic = caller;
  as_topic.account_id = owner_account;
  as_topic.caller_arn = "arn:aws:iam::" + owner_account + ":root";
  as_topic.region = arn->region;
  send_input["QueueUrl"] = "/" + arn->account + "/" + arn->resource;
  const services::PeerDirectory* peers = context_.peers;
  auto send = [peers, send_input, as_topic, done]() mutable {
    peers->Invoke("sqs", "SendMessage", std::move(send_input), as_topic, [done](protocol::OperationResult result) {
      if (result) return done(true, {});
      done(false, result.error().code + ": " + result.error().message);
    });
  };
  if (!options_.strict_queue_policy) return send();
  // Strict: the queue's policy must allow this topic (the SNS service principal, with the topic as
  // aws:SourceArn) to send, as AWS requires; a queue without a policy receives nothing.
  Json ask{{"QueueUrl", send_input.at("QueueUrl")}, {"AttributeNames", json::array{"Policy"}}};
  peers->Invoke("sqs", "GetQueueAttributes", std::move(ask), as_topic,
                [send, done, queue_arn, owner_account, source_arn](protocol::OperationResult result) mutable {
                  if (!result) return done(false, result.error().code + ": " + result.error().message);
                  std::string text;
                  if (const json::value* attributes = result->if_contains("Attributes"); attributes && attributes->is_object()) {
                    text = TextMember(attributes->get_object(), "Policy");
                  }
                  services::kit::PolicyRequest request;
                  request.service_principal = "sns.amazonaws.com";
                  request.action = "sqs:SendMessage";
                  request.resource = queue_arn;
                  request.context["aws:SourceArn"] = source_arn;
                  request.context["aws:SourceAccount"] = owner_account;
                  auto policy = services::kit::ResourcePolicy::Parse(text);
                  if (text.empty() || !policy || policy->Evaluate(request) != services::kit::PolicyDecision::Allow) {
                    return done(false, "the queue's policy does not allow " + source_arn + " to send to it");
                  }
                  send();
                });
}

void SnsService::SendToDeadLetterQueue(const SubscriptionRecord& subscription, const std::string& body,
                                       const std::string& error) const {
  // HTTP/S deliveries given up by the schedule come with the protocol of their URL.
  std::string protocol = subscription.protocol.empty() ? "http" : subscription.protocol;
  std::string redrive = subscription.Attribute("RedrivePolicy");
  if (redrive.empty()) return CountDelivery(protocol, "failed");
  auto parsed = ParseJson(redrive);
  if (!parsed || !parsed->is_object()) return CountDelivery(protocol, "failed");
  std::string dlq = TextMember(parsed->get_object(), "deadLetterTargetArn");
  auto topic_arn = ParseArn(subscription.topic_arn, "TopicArn");
  if (!topic_arn) return CountDelivery(protocol, "failed");
  Json send{{"MessageBody", body}};
  if (dlq.size() > 5 && dlq.compare(dlq.size() - 5, 5, ".fifo") == 0) {
    send["MessageGroupId"] = subscription.arn.substr(subscription.arn.rfind(':') + 1);
    send["MessageDeduplicationId"] = NewUuid();
  }
  RequestContext caller;
  caller.request_id = NewUuid();
  caller.region = topic_arn->region;
  DeliverToQueue(dlq, std::move(send), topic_arn->account, subscription.topic_arn, caller,
                 [self = weak_from_this(), protocol, dlq, error](bool delivered, std::string why) {
                   if (!delivered) spdlog::warn("sns: dead-letter queue {} refused a message ({}): {}", dlq, error, why);
                   if (auto service = self.lock()) service->CountDelivery(protocol, delivered ? "dead_lettered" : "failed");
                 });
}

void SnsService::RecordSent(const std::string& channel, Json record) const {
  auto appended = store_->AppendSent(channel, json::serialize(record));
  if (!appended) spdlog::warn("sns: recording a {} message failed: {}", channel, appended.error().detail);
}

void SnsService::SendSubscriptionConfirmation(const Request& request, const SubscriptionRecord& subscription,
                                              const TopicRecord& topic, const std::string& token, bool unsubscribe) {
  EnvelopeFields fields;
  fields.type = unsubscribe ? "UnsubscribeConfirmation" : "SubscriptionConfirmation";
  fields.message_id = NewUuid();
  fields.token = token;
  fields.topic_arn = topic.arn;
  fields.message = unsubscribe ? "You have chosen to deactivate subscription " + subscription.arn +
                                     ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL "
                                     "included in this message."
                               : "You have chosen to subscribe to the topic " + topic.arn +
                                     ".\nTo confirm the subscription, visit the SubscribeURL included in this message.";
  fields.subscribe_url = request.context.endpoint_base + "/?Action=ConfirmSubscription&TopicArn=" + topic.arn + "&Token=" + token;
  fields.timestamp = SnsTimestamp(WallClockMillis());
  fields.signature_version = SignatureVersionOf(topic);
  fields.endpoint_base = request.context.endpoint_base;
  std::string body = Envelope(fields);
  const std::string& protocol = subscription.protocol;
  if (protocol == "http" || protocol == "https") {
    ScheduleHttpDelivery(subscription, topic, fields.type, fields.message_id, body, false);
  } else if (protocol == "sqs") {
    DeliverToQueue(subscription.endpoint, Json{{"MessageBody", body}}, topic.account, topic.arn, request.context,
                   [endpoint = subscription.endpoint](bool delivered, std::string error) {
                     if (!delivered) spdlog::info("sns: confirmation to {} failed: {}", endpoint, error);
                   });
  } else {
    RecordSent("email", Json{{"SubscriptionArn", subscription.arn}, {"TopicArn", topic.arn}, {"Endpoint", subscription.endpoint},
                             {"Protocol", protocol}, {"Type", fields.type}, {"Token", token},
                             {"SubscribeURL", fields.subscribe_url}, {"Message", body}, {"AccountId", topic.account},
                             {"Region", topic.region}});
  }
}

// ---- HTTP/S: the delivery schedule -------------------------------------------------------------

void SnsService::ScheduleHttpDelivery(const SubscriptionRecord& subscription, const TopicRecord& topic,
                                      const std::string& message_type, const std::string& message_id,
                                      const std::string& body, bool raw) {
  Json document{{"subscription", subscription.arn},
                {"topic", topic.arn},
                {"url", subscription.endpoint},
                {"type", message_type},
                {"message_id", message_id},
                {"body", body},
                {"raw", raw},
                {"attempt", 1},
                {"topic_policy", topic.Attribute("DeliveryPolicy")},
                {"subscription_policy", subscription.Attribute("DeliveryPolicy")},
                {"redrive", subscription.Attribute("RedrivePolicy")}};
  DeliveryTask task{NewUuid(), json::serialize(document), Now()};
  auto scheduled = store_->ScheduleDelivery(std::move(task));
  if (!scheduled) {
    spdlog::warn("sns: scheduling a delivery to {} failed: {}", subscription.endpoint, scheduled.error().detail);
    return;
  }
  KickScheduler();
}

void SnsService::Start() {
  if (!context_.timers) return;
  tick_ = std::make_shared<boost::asio::steady_timer>(context_.timers);
  ScheduleTick();
}

void SnsService::ScheduleTick() {
  if (!tick_ || !alive_->load()) return;
  // Retries come due on their own; tasks of a server that stopped come due when their lease ends.
  tick_->expires_after(std::chrono::milliseconds(options_.store_in_process ? 100 : 500));
  auto self = weak_from_this();
  tick_->async_wait([self](const boost::system::error_code& error) {
    if (error) return;
    auto service = self.lock();
    if (!service || !service->alive_->load()) return;
    service->KickScheduler();
    service->ScheduleTick();
  });
}

void SnsService::KickScheduler() {
  // One claim runs at a time; a kick during it asks for another round when it ends.
  if (claim_running_.exchange(true)) {
    claim_again_.store(true);
    return;
  }
  auto self = weak_from_this();
  RunDeliveryWork([self] {
    auto service = self.lock();
    if (!service) return;
    service->RunDueDeliveries();
  });
}

void SnsService::RunDueDeliveries() {
  do {
    claim_again_.store(false);
    if (!alive_->load()) break;
    auto claimed = store_->ClaimDueDeliveries(Now(), options_.delivery_lease_millis, kClaimBatch);
    if (!claimed) {
      spdlog::warn("sns: claiming deliveries failed: {}", claimed.error().detail);
      break;
    }
    for (auto& task : *claimed) AttemptDelivery(std::move(task));
    if (claimed->size() == kClaimBatch) claim_again_.store(true);
  } while (claim_again_.load());
  claim_running_.store(false);
  if (claim_again_.exchange(false)) KickScheduler();
}

void SnsService::AttemptDelivery(DeliveryTask task) {
  auto parsed = ParseJson(task.document);
  if (!parsed || !parsed->is_object()) {
    (void)store_->CompleteDelivery(task.id);
    return;
  }
  const json::object& document = parsed->get_object();
  std::string subscription_arn = TextMember(document, "subscription");
  HttpDeliveryPolicy policy =
      EffectiveDeliveryPolicy(TextMember(document, "topic_policy"), TextMember(document, "subscription_policy"));
  // The throttle: at most maxReceivesPerSecond deliveries per subscription (this server's share).
  if (policy.max_receives_per_second) {
    std::int64_t now = Now();
    std::lock_guard lock(throttle_mutex_);
    std::int64_t& next = next_allowed_millis_[subscription_arn];
    if (next > now) {
      task.due_millis = next;
      (void)store_->ScheduleDelivery(task);
      return;
    }
    next = now + std::max<std::int64_t>(1, 1000 / *policy.max_receives_per_second);
  }
  std::string type = TextMember(document, "type");
  OutboundRequest outbound;
  outbound.method = "POST";
  outbound.url = TextMember(document, "url");
  outbound.body = TextMember(document, "body");
  outbound.timeout = std::chrono::milliseconds(std::min(kHttpTimeoutMillis, options_.delivery_lease_millis / 2));
  outbound.headers = {{"Content-Type", policy.content_type},
                      {"x-amz-sns-message-type", type},
                      {"x-amz-sns-message-id", TextMember(document, "message_id")},
                      {"x-amz-sns-topic-arn", TextMember(document, "topic")},
                      {"User-Agent", "Amazon Simple Notification Service Agent"}};
  if (type != "SubscriptionConfirmation") outbound.headers.emplace_back("x-amz-sns-subscription-arn", subscription_arn);
  if (const json::value* raw = document.if_contains("raw"); raw != nullptr && raw->is_bool() && raw->get_bool()) {
    outbound.headers.emplace_back("x-amz-sns-rawdelivery", "true");
  }
  if (!options_.http) return FinishAttempt(std::move(task), Fail(std::string("no outbound HTTP client")));
  auto self = weak_from_this();
  options_.http->Send(std::move(outbound), [self, task = std::move(task)](Result<OutboundResponse, std::string> outcome) mutable {
    auto service = self.lock();
    if (!service) return;
    // Off the client's thread: the bookkeeping may wait on the store.
    service->RunDeliveryWork([self, task = std::move(task), outcome = std::move(outcome)]() mutable {
      if (auto service = self.lock()) service->FinishAttempt(std::move(task), std::move(outcome));
    });
  });
}

void SnsService::FinishAttempt(DeliveryTask task, Result<OutboundResponse, std::string> outcome) {
  auto parsed = ParseJson(task.document);
  if (!parsed || !parsed->is_object()) {
    (void)store_->CompleteDelivery(task.id);
    return;
  }
  json::object document = std::move(parsed->get_object());
  int status = outcome ? outcome->status : 0;
  std::string url = TextMember(document, "url");
  std::string protocol = url.rfind("https:", 0) == 0 ? "https" : "http";
  // Deliveries of messages are counted; subscription confirmations are not.
  const bool notification = TextMember(document, "type") == "Notification";
  if (status >= 200 && status < 300) {
    if (notification) CountDelivery(protocol, "succeeded");
    (void)store_->CompleteDelivery(task.id);
    return;
  }
  std::string why = outcome ? "HTTP " + std::to_string(status) : outcome.error();
  // Server-side trouble (5xx, 429, no answer) is retried by the policy; any other answer is the
  // endpoint refusing the message, which no retry changes.
  bool retryable = !outcome || status >= 500 || status == 429;
  int attempt = document.contains("attempt") && document.at("attempt").is_int64() ? static_cast<int>(document.at("attempt").get_int64()) : 1;
  HttpDeliveryPolicy policy =
      EffectiveDeliveryPolicy(TextMember(document, "topic_policy"), TextMember(document, "subscription_policy"));
  if (retryable) {
    if (auto delay = policy.retry.DelayBeforeRetry(attempt)) {
      document["attempt"] = attempt + 1;
      task.document = json::serialize(document);
      task.due_millis = Now() + static_cast<std::int64_t>(*delay) * 1000;
      auto rescheduled = store_->ScheduleDelivery(task);
      if (!rescheduled) spdlog::warn("sns: rescheduling a delivery failed: {}", rescheduled.error().detail);
      if (notification) CountDelivery(protocol, "retried");
      return;
    }
  }
  spdlog::info("sns: delivery of {} to {} failed for good after {} attempt(s): {}", TextMember(document, "message_id"),
               TextMember(document, "url"), attempt, why);
  if (TextMember(document, "type") == "Notification") {
    SubscriptionRecord subscription;
    subscription.arn = TextMember(document, "subscription");
    subscription.topic_arn = TextMember(document, "topic");
    if (!TextMember(document, "redrive").empty()) subscription.attributes["RedrivePolicy"] = TextMember(document, "redrive");
    subscription.protocol = protocol;
    SendToDeadLetterQueue(subscription, TextMember(document, "body"), why);
  }
  (void)store_->CompleteDelivery(task.id);
}

}  // namespace mallard::sns

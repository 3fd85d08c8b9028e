#pragma once
// SnsService: the whole SNS API on an SnsStore — topics, subscriptions, publishing, SMS and mobile
// push records — and real delivery: to SQS queues of this server through the SQS service itself
// (the peer directory), to HTTP/HTTPS endpoints through the outbound client on SNS's own pool with
// the delivery policy's retries and the subscription's dead-letter queue, signed with a key whose
// certificate this server serves. Validation and AWS semantics live here; state in the store; the
// wire format in the awsQuery codec.
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/outbound_http.hpp"
#include "services/kit/operation_executor.hpp"
#include "services/kit/operation_table.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"
#include "services/sns/filter/filter_policy.hpp"
#include "services/sns/model/message_attributes.hpp"
#include "services/sns/model/sns_records.hpp"
#include "services/sns/model/sns_store.hpp"
#include "services/sns/signing/message_signer.hpp"
#include "services/sns/sns_state.hpp"

namespace mallard::sns {

struct FanoutJob;
struct OutgoingMessage;

// One page of a store listing and the token of the page after it (SnsService::ListPage).
struct ListingPage {
  std::vector<StoredRecord> records;
  std::optional<std::string> next_token;
};

struct SnsOptions {
  // HTTP/HTTPS deliveries go through this client; null: they fail as unreachable (and retry).
  std::shared_ptr<OutboundHttp> http;
  // Signs every message SNS sends; its certificate is served at the SigningCertURL.
  std::shared_ptr<MessageSigner> signer;
  // Honour SQS queue policies (AWS's behaviour: a queue whose policy does not allow the topic does
  // not receive). Off by default, as other emulators: local queues rarely carry policies.
  bool strict_queue_policy = false;
  // The store answers without I/O (memory): store work runs inline; otherwise on the pool.
  bool store_in_process = true;
  // Threads of the pool that runs HTTP delivery bookkeeping (the requests themselves are async).
  unsigned delivery_threads = 2;
  // How long a claimed HTTP/S delivery stays this server's; a server that stops mid-attempt loses
  // it to another server on the same store after this long. An attempt's timeout is at most half
  // of it (and AWS's 15 s), so a live server's attempt ends before anyone else may take it.
  std::int64_t delivery_lease_millis = 60000;
};

// Where SNS serves its signing certificate (SigningCertURL): this prefix, a hash of the
// certificate, ".pem" (SnsService::CertificatePath).
inline constexpr std::string_view kCertificatePathPrefix = "/_aws/sns/SimpleNotificationService-";

class SnsService final : public services::Service, public std::enable_shared_from_this<SnsService> {
 public:
  SnsService(std::shared_ptr<SnsStore> store, services::ServiceContext context, SnsOptions options);
  ~SnsService() override;

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view operation) const override;
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override;
  std::string StoreName() const override { return store_->Name(); }
  services::ServiceState* State() override { return &state_; }
  void Shutdown() override;
  // Deliveries by protocol and outcome (sns_metrics.cpp).
  void CollectMetrics(observability::MetricsSink& sink) const override;
  bool AnswersPath(std::string_view path) const override;
  void HandleHttp(const http::HttpRequest& request, http::Responder respond) override;

  // Starts the delivery scheduler (retries, deliveries taken over from another server).
  void Start();
  // Attempts the deliveries that are due now (the scheduler's tick does this; tests call it with
  // their own clock).
  void KickScheduler();

 private:
  using Json = boost::json::object;
  using Request = protocol::OperationRequest;
  using Result_ = protocol::OperationResult;

  static const services::kit::OperationTable<SnsService>& Operations();

  // Topics (sns_topics.cpp).
  Result_ CreateTopic(const Request& request);
  Result_ DeleteTopic(const Request& request);
  Result_ GetTopicAttributes(const Request& request);
  Result_ SetTopicAttributes(const Request& request);
  Result_ ListTopics(const Request& request);
  Result_ AddPermission(const Request& request);
  Result_ RemovePermission(const Request& request);
  Result_ TagResource(const Request& request);
  Result_ UntagResource(const Request& request);
  Result_ ListTagsForResource(const Request& request);
  Result_ GetDataProtectionPolicy(const Request& request);
  Result_ PutDataProtectionPolicy(const Request& request);

  // Subscriptions (sns_subscriptions.cpp).
  Result_ Subscribe(const Request& request);
  Result_ ConfirmSubscription(const Request& request);
  Result_ Unsubscribe(const Request& request);
  Result_ ListSubscriptions(const Request& request);
  Result_ ListSubscriptionsByTopic(const Request& request);
  Result_ GetSubscriptionAttributes(const Request& request);
  Result_ SetSubscriptionAttributes(const Request& request);

  // Publishing (sns_publish.cpp).
  void Publish(Request request, protocol::OperationCallback done);
  void PublishBatch(Request request, protocol::OperationCallback done);

  // SMS and mobile push (sns_mobile.cpp).
  Result_ CheckIfPhoneNumberIsOptedOut(const Request& request);
  Result_ ListPhoneNumbersOptedOut(const Request& request);
  Result_ OptInPhoneNumber(const Request& request);
  Result_ GetSMSAttributes(const Request& request);
  Result_ SetSMSAttributes(const Request& request);
  Result_ GetSMSSandboxAccountStatus(const Request& request);
  Result_ CreateSMSSandboxPhoneNumber(const Request& request);
  Result_ DeleteSMSSandboxPhoneNumber(const Request& request);
  Result_ VerifySMSSandboxPhoneNumber(const Request& request);
  Result_ ListSMSSandboxPhoneNumbers(const Request& request);
  Result_ ListOriginationNumbers(const Request& request);
  Result_ CreatePlatformApplication(const Request& request);
  Result_ GetPlatformApplicationAttributes(const Request& request);
  Result_ SetPlatformApplicationAttributes(const Request& request);
  Result_ ListPlatformApplications(const Request& request);
  Result_ DeletePlatformApplication(const Request& request);
  Result_ CreatePlatformEndpoint(const Request& request);
  Result_ GetEndpointAttributes(const Request& request);
  Result_ SetEndpointAttributes(const Request& request);
  Result_ ListEndpointsByPlatformApplication(const Request& request);
  Result_ DeleteEndpoint(const Request& request);
 public:
  // Publish to a platform endpoint or a phone number (sns_mobile.cpp); returns the message id.
  Result<std::string> PublishToEndpoint(const Request& request, const std::string& endpoint_arn, const std::string& message,
                                        const std::string& message_structure, const MessageAttributes& attributes);
  Result<std::string> PublishToPhone(const Request& request, const std::string& phone_number, const std::string& message,
                                     const MessageAttributes& attributes, const std::string& topic_arn,
                                     const std::string& subscription_arn);

 private:
  // Shared helpers (sns_service.cpp).
  Result<TopicRecord> LoadTopic(const std::string& topic_arn) const;
  // The topic as the caller may act on it: its ARN checked, found, the caller allowed `action` by
  // the topic's policy (always, for the owner's account).
  Result<std::pair<TopicRecord, std::uint64_t>> TopicForAction(const Request& request, const std::string& arn_member,
                                                               const std::string& action) const;
  Result<std::pair<SubscriptionRecord, std::uint64_t>> LoadSubscription(const std::string& subscription_arn) const;
  // Changes a topic with optimistic retries (a concurrent change is re-read and re-applied).
  Result<TopicRecord> UpdateTopic(const std::string& topic_arn, const std::function<Status<>(TopicRecord&)>& change);
  Result<SubscriptionRecord> UpdateSubscription(const std::string& arn,
                                                const std::function<Status<>(SubscriptionRecord&)>& change);
  Result<std::vector<SubscriptionRecord>> SubscriptionsOf(const std::string& topic_arn) const;
  // One page of a listing, as every SNS List* pages: the records under `prefix` after the request's
  // token (`token_member`, opaque: the last key, base64), at most `limit`, and the next page's token.
  Result<ListingPage> ListPage(Collection collection, const std::string& prefix, const Json& input,
                               const char* token_member = "NextToken", std::size_t limit = 100) const;
  // Rewrites the JSON document under `key` with optimistic retries: `change` gets the document read
  // (nullopt when there is none) and returns the one to write, or the error to answer.
  Status<> UpdateDocument(Collection collection, const std::string& key,
                          const std::function<Result<Json>(std::optional<Json>)>& change);
  std::int64_t Now() const { return context_.clock(); }
  // The filter policy of a subscription, parsed once per (subscription, text).
  std::shared_ptr<const FilterPolicy> FilterOf(const SubscriptionRecord& subscription) const;

  // Delivery (sns_delivery.cpp).
  // Delivers one message to every subscriber of `topic`; completes `done` once every SQS delivery
  // (in-process, fast) has answered; HTTP deliveries are scheduled and complete later.
  void DeliverToSubscribers(std::shared_ptr<FanoutJob> job, std::function<void()> done);
  // Messages `messages[next…]` of the job to one queue subscriber, each once the previous one is
  // stored (so the queue keeps their order); `done` runs after the last.
  void DeliverInOrder(const std::shared_ptr<FanoutJob>& job, std::size_t subscription,
                      std::shared_ptr<const std::vector<std::size_t>> messages, std::size_t next,
                      std::function<void()> done);
  // One message to one subscriber; `delivered` runs once it is handed over (for a queue: stored).
  void DeliverOne(const std::shared_ptr<FanoutJob>& job, const SubscriptionRecord& subscription,
                  const OutgoingMessage& message, std::function<void()> delivered);
  // Sends to an SQS queue through the SQS service, as the topic's owner; in strict mode only when
  // the queue's policy allows the topic (`source_arn`).
  void DeliverToQueue(const std::string& queue_arn, Json send_input, const std::string& owner_account,
                      const std::string& source_arn, const RequestContext& caller,
                      std::function<void(bool delivered, std::string error)> done) const;
  // Queues an HTTP/S delivery (a notification or a confirmation) for the scheduler.
  void ScheduleHttpDelivery(const SubscriptionRecord& subscription, const TopicRecord& topic, const std::string& message_type,
                            const std::string& message_id, const std::string& body, bool raw);
  void SendSubscriptionConfirmation(const Request& request, const SubscriptionRecord& subscription,
                                    const TopicRecord& topic, const std::string& token, bool unsubscribe);
  void RecordSent(const std::string& channel, Json record) const;
  void SendToDeadLetterQueue(const SubscriptionRecord& subscription, const std::string& body,
                             const std::string& error) const;
  void RunDueDeliveries();
  void ScheduleTick();
  void AttemptDelivery(DeliveryTask task);
  void FinishAttempt(DeliveryTask task, Result<OutboundResponse, std::string> outcome);
  void RunDeliveryWork(std::function<void()> work) const;

  // Messages SNS writes (sns_envelope.cpp).
 public:
  struct EnvelopeFields {
    std::string type;  // Notification, SubscriptionConfirmation, UnsubscribeConfirmation
    std::string message_id;
    std::string topic_arn;
    std::string subject;  // Notification only; empty = none
    std::string message;
    std::string timestamp;
    std::string token;          // confirmations
    std::string subscribe_url;  // confirmations
    std::string unsubscribe_url;  // notifications
    std::string sequence_number;  // FIFO notifications
    const MessageAttributes* attributes = nullptr;
    int signature_version = 1;
    std::string endpoint_base;  // where the certificate is served
    // Signatures made earlier for the same canonical string (reused, and filled); may be null.
    std::map<std::string, std::string>* signatures = nullptr;
  };
  // AWS's JSON envelope, signed (exactly AWS's layout: one member per line, " : ").
  std::string Envelope(const EnvelopeFields& fields) const;
  std::string CertificatePath() const;  // kCertificatePathPrefix + a hash of the certificate + ".pem"

 private:
  std::shared_ptr<SnsStore> store_;
  SnsState state_{store_};  // after store_: built from it
  services::ServiceContext context_;
  // Delivery outcomes for the metrics page (sns_metrics.cpp): succeeded, retried (an HTTP/S attempt
  // failed and another is scheduled), dead_lettered (given up and moved to the subscription's DLQ)
  // and failed (given up with no DLQ, or the DLQ refused it).
  std::unique_ptr<observability::Registry> metrics_ = std::make_unique<observability::Registry>();
  observability::CounterFamily& deliveries_ =
      metrics_->AddCounter("mallard_sns_deliveries_total", "SNS deliveries to subscribers by protocol and outcome.",
                           {"protocol", "outcome"});
  void CountDelivery(std::string_view protocol, std::string_view outcome) const {
    deliveries_.With({protocol, outcome}).Add();
  }
  SnsOptions options_;
  services::kit::OperationExecutor executor_;
  boost::asio::thread_pool* delivery_pool_ = nullptr;
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
  std::shared_ptr<boost::asio::steady_timer> tick_;
  std::atomic<bool> claim_running_{false};
  std::atomic<bool> claim_again_{false};
  // Parsed filter policies by subscription ARN, with the text and scope they were parsed from.
  // Read on every publish by every subscription: readers share the lock.
  struct CachedFilter {
    std::string scope;
    std::string text;
    std::shared_ptr<const FilterPolicy> policy;
  };
  // The signer's key never changes: its certificate's path is hashed once (CertificatePath).
  mutable std::once_flag certificate_path_once_;
  mutable std::string certificate_path_;
  mutable std::shared_mutex filter_mutex_;
  mutable std::map<std::string, CachedFilter, std::less<>> filters_;
  std::mutex throttle_mutex_;
  std::map<std::string, std::int64_t> next_allowed_millis_;  // by subscription: its throttle
};

}  // namespace mallard::sns

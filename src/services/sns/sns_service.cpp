#include "services/sns/sns_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "services/kit/executor_directory.hpp"
#include "services/kit/resource_policy.hpp"
#include "services/sns/model/sns_errors.hpp"
#include "services/sns/model/sns_shapes.hpp"

namespace mallard::sns {

namespace kit = services::kit;
using kit::RunOn;

namespace {

constexpr int kOptimisticAttempts = 20;
const std::string kAttributeScope = "MessageAttributes";  // a filter policy's scope when none is set  // a change lost to a concurrent one is re-read and re-applied

AwsError UnknownOperation(const std::string& operation) { return errors::InvalidAction(operation); }

}  // namespace

const kit::OperationTable<SnsService>& SnsService::Operations() {
  // Every row works on the store: inline on the memory store, on the pool on Redis.
  auto row = [](const char* name, kit::SyncHandler<SnsService> handler) {
    return kit::Operation<SnsService>(name, handler, RunOn::Store, *SnsShapes(name));
  };
  auto async_row = [](const char* name, kit::Operation<SnsService>::AsyncHandler handler) {
    return kit::Operation<SnsService>(name, handler, RunOn::Store, *SnsShapes(name));
  };
  static const kit::OperationTable<SnsService> table = {
      row("CreateTopic", &SnsService::CreateTopic),
      row("DeleteTopic", &SnsService::DeleteTopic),
      row("GetTopicAttributes", &SnsService::GetTopicAttributes),
      row("SetTopicAttributes", &SnsService::SetTopicAttributes),
      row("ListTopics", &SnsService::ListTopics),
      row("AddPermission", &SnsService::AddPermission),
      row("RemovePermission", &SnsService::RemovePermission),
      row("TagResource", &SnsService::TagResource),
      row("UntagResource", &SnsService::UntagResource),
      row("ListTagsForResource", &SnsService::ListTagsForResource),
      row("GetDataProtectionPolicy", &SnsService::GetDataProtectionPolicy),
      row("PutDataProtectionPolicy", &SnsService::PutDataProtectionPolicy),
      row("Subscribe", &SnsService::Subscribe),
      row("ConfirmSubscription", &SnsService::ConfirmSubscription),
      row("Unsubscribe", &SnsService::Unsubscribe),
      row("ListSubscriptions", &SnsService::ListSubscriptions),
      row("ListSubscriptionsByTopic", &SnsService::ListSubscriptionsByTopic),
      row("GetSubscriptionAttributes", &SnsService::GetSubscriptionAttributes),
      row("SetSubscriptionAttributes", &SnsService::SetSubscriptionAttributes),
      async_row("Publish", &SnsService::Publish),
      async_row("PublishBatch", &SnsService::PublishBatch),
      row("CheckIfPhoneNumberIsOptedOut", &SnsService::CheckIfPhoneNumberIsOptedOut),
      row("ListPhoneNumbersOptedOut", &SnsService::ListPhoneNumbersOptedOut),
      row("OptInPhoneNumber", &SnsService::OptInPhoneNumber),
      row("GetSMSAttributes", &SnsService::GetSMSAttributes),
      row("SetSMSAttributes", &SnsService::SetSMSAttributes),
      row("GetSMSSandboxAccountStatus", &SnsService::GetSMSSandboxAccountStatus),
      row("CreateSMSSandboxPhoneNumber", &SnsService::CreateSMSSandboxPhoneNumber),
      row("DeleteSMSSandboxPhoneNumber", &SnsService::DeleteSMSSandboxPhoneNumber),
      row("VerifySMSSandboxPhoneNumber", &SnsService::VerifySMSSandboxPhoneNumber),
      row("ListSMSSandboxPhoneNumbers", &SnsService::ListSMSSandboxPhoneNumbers),
      row("ListOriginationNumbers", &SnsService::ListOriginationNumbers),
      row("CreatePlatformApplication", &SnsService::CreatePlatformApplication),
      row("GetPlatformApplicationAttributes", &SnsService::GetPlatformApplicationAttributes),
      row("SetPlatformApplicationAttributes", &SnsService::SetPlatformApplicationAttributes),
      row("ListPlatformApplications", &SnsService::ListPlatformApplications),
      row("DeletePlatformApplication", &SnsService::DeletePlatformApplication),
      row("CreatePlatformEndpoint", &SnsService::CreatePlatformEndpoint),
      row("GetEndpointAttributes", &SnsService::GetEndpointAttributes),
      row("SetEndpointAttributes", &SnsService::SetEndpointAttributes),
      row("ListEndpointsByPlatformApplication", &SnsService::ListEndpointsByPlatformApplication),
      row("DeleteEndpoint", &SnsService::DeleteEndpoint),
  };
  return table;
}

SnsService::SnsService(std::shared_ptr<SnsStore> store, services::ServiceContext context, SnsOptions options)
    : store_(std::move(store)),
      context_(std::move(context)),
      options_(std::move(options)),
      executor_("sns", context_, errors::InternalError(""), options_.store_in_process) {
  if (context_.executors != nullptr) delivery_pool_ = &context_.executors->Pool("sns-delivery", options_.delivery_threads);
}

SnsService::~SnsService() { alive_->store(false); }

const services::ServiceDescriptor& SnsService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "sns";
    d.signing_name = "sns";
    d.query_xmlns = "http://sns.amazonaws.com/doc/2010-03-31/";
    d.operations = Operations().Names();
    return d;
  }();
  return descriptor;
}

const protocol::OperationShapes* SnsService::QueryShapes(std::string_view operation) const {
  return Operations().Shapes(operation);
}

void SnsService::Invoke(protocol::OperationRequest request, protocol::OperationCallback done) {
  done = state_.Journal().Wrap(request, std::move(done));
  executor_.Dispatch(*this, Operations(), std::move(request), &UnknownOperation, std::move(done));
}

void SnsService::Reset() {
  state_.Journal().Reset([this] {
    store_->Reset();
    std::unique_lock lock(filter_mutex_);
    filters_.clear();
  });
}

void SnsService::Shutdown() {
  alive_->store(false);
  if (tick_) tick_->cancel();
  // A key still being made at a stop right after the start: its thread must end before the process
  // does (the previous background key crashed at exit, OpenSSL freeing what the search used).
  if (options_.signer) options_.signer->Abandon();
}

Result<TopicRecord> SnsService::LoadTopic(const std::string& topic_arn) const {
  auto record = store_->Get(Collection::Topic, topic_arn);
  if (!record) return Fail(errors::FromStore(record.error()));
  if (!*record) return Fail(errors::TopicNotFound());
  auto topic = TopicFromDocument((*record)->document);
  if (!topic) return Fail(errors::InternalError("unreadable topic record"));
  return std::move(*topic);
}

Result<std::pair<TopicRecord, std::uint64_t>> SnsService::TopicForAction(const Request& request,
                                                                        const std::string& arn_member,
                                                                        const std::string& action) const {
  auto text = request.input.if_contains(arn_member);
  std::string arn = text != nullptr && text->is_string() ? std::string(text->get_string()) : std::string();
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, arn_member));
  if (parsed.service != "sns" || parsed.region != request.context.region) {
    return Fail(errors::InvalidParameter("Invalid parameter: " + arn_member));
  }
  auto record = store_->Get(Collection::Topic, arn);
  if (!record) return Fail(errors::FromStore(record.error()));
  if (!*record) return Fail(errors::TopicNotFound());
  auto topic = TopicFromDocument((*record)->document);
  if (!topic) return Fail(errors::InternalError("unreadable topic record"));
  // The owner's account acts under its own IAM permissions; another account only as the topic's
  // policy allows it.
  if (request.context.account_id != topic->account) {
    kit::PolicyRequest ask;
    ask.principal_account = request.context.account_id;
    ask.principal_arn = request.context.caller_arn;
    ask.action = "SNS:" + action;
    ask.resource = arn;
    ask.context["aws:PrincipalAccount"] = request.context.account_id;
    std::string policy_text = topic->Attribute("Policy", DefaultTopicPolicy(arn, topic->account));
    auto policy = kit::ResourcePolicy::Parse(policy_text);
    auto decision = policy ? policy->Evaluate(ask) : kit::PolicyDecision::ImplicitDeny;
    if (decision != kit::PolicyDecision::Allow) {
      // AWS's wording names why: an explicit deny, or no statement allowing it.
      std::string why = decision == kit::PolicyDecision::ExplicitDeny
                            ? " with an explicit deny in a resource-based policy"
                            : " because no resource-based policy allows the SNS:" + action + " action";
      return Fail(errors::AuthorizationError("User: " + request.context.caller_arn + " is not authorized to perform: SNS:" +
                                             action + " on resource: " + arn + why));
    }
  }
  return std::make_pair(std::move(*topic), (*record)->version);
}

Result<std::pair<SubscriptionRecord, std::uint64_t>> SnsService::LoadSubscription(const std::string& subscription_arn) const {
  auto record = store_->Get(Collection::Subscription, subscription_arn);
  if (!record) return Fail(errors::FromStore(record.error()));
  if (!*record) return Fail(errors::SubscriptionNotFound());
  auto subscription = SubscriptionFromDocument((*record)->document);
  if (!subscription) return Fail(errors::InternalError("unreadable subscription record"));
  return std::make_pair(std::move(*subscription), (*record)->version);
}

Result<TopicRecord> SnsService::UpdateTopic(const std::string& topic_arn,
                                            const std::function<Status<>(TopicRecord&)>& change) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    auto record = store_->Get(Collection::Topic, topic_arn);
    if (!record) return Fail(errors::FromStore(record.error()));
    if (!*record) return Fail(errors::TopicNotFound());
    auto topic = TopicFromDocument((*record)->document);
    if (!topic) return Fail(errors::InternalError("unreadable topic record"));
    MALLARD_RETURN_IF_ERROR(change(*topic));
    auto put = store_->Put(Collection::Topic, topic_arn, ToDocument(*topic), (*record)->version);
    if (put) return std::move(*topic);
    if (put.error().code == StoreErrc::NotFound) return Fail(errors::TopicNotFound());
    if (put.error().code != StoreErrc::Conflict) return Fail(errors::FromStore(put.error()));
  }
  return Fail(errors::FromStore(StoreError{StoreErrc::Conflict, {}}));
}

Result<SubscriptionRecord> SnsService::UpdateSubscription(const std::string& arn,
                                                          const std::function<Status<>(SubscriptionRecord&)>& change) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    MALLARD_ASSIGN_OR_RETURN(auto loaded, LoadSubscription(arn));
    auto& [subscription, version] = loaded;
    MALLARD_RETURN_IF_ERROR(change(subscription));
    auto put = store_->Put(Collection::Subscription, arn, ToDocument(subscription), version);
    if (put) return std::move(subscription);
    if (put.error().code == StoreErrc::NotFound) return Fail(errors::SubscriptionNotFound());
    if (put.error().code != StoreErrc::Conflict) return Fail(errors::FromStore(put.error()));
  }
  return Fail(errors::FromStore(StoreError{StoreErrc::Conflict, {}}));
}

Result<std::vector<SubscriptionRecord>> SnsService::SubscriptionsOf(const std::string& topic_arn) const {
  std::vector<SubscriptionRecord> out;
  std::string after;
  const std::string prefix = topic_arn + ":";
  while (true) {
    auto page = store_->List(Collection::Subscription, prefix, after, 1000);
    if (!page) return Fail(errors::FromStore(page.error()));
    for (const auto& record : *page) {
      if (auto subscription = SubscriptionFromDocument(record.document)) out.push_back(std::move(*subscription));
    }
    if (page->size() < 1000) break;
    after = page->back().key;
  }
  return out;
}

Result<ListingPage> SnsService::ListPage(Collection collection, const std::string& prefix, const Json& input,
                                                    const char* token_member, std::size_t limit) const {
  std::string after;
  if (const auto* token = input.if_contains(token_member); token != nullptr && token->is_string() && !token->get_string().empty()) {
    auto decoded = Base64Decode(std::string_view(token->get_string()));
    if (!decoded) return Fail(errors::InvalidParameter(std::string("Invalid parameter: ") + token_member));
    after = std::move(*decoded);
  }
  auto records = store_->List(collection, prefix, after, limit + 1);
  if (!records) return Fail(errors::FromStore(records.error()));
  ListingPage page;
  page.records = std::move(records).value();
  if (page.records.size() > limit) {
    page.records.resize(limit);
    page.next_token = Base64Encode(page.records.back().key);
  }
  return page;
}

Status<> SnsService::UpdateDocument(Collection collection, const std::string& key,
                                    const std::function<Result<Json>(std::optional<Json>)>& change) {
  for (int attempt = 0; attempt < kOptimisticAttempts; ++attempt) {
    auto found = store_->Get(collection, key);
    if (!found) return Fail(errors::FromStore(found.error()));
    std::optional<Json> current;
    if (*found) {
      auto parsed = ParseJson((*found)->document);
      current = parsed && parsed->is_object() ? std::move(parsed->get_object()) : Json{};
    }
    MALLARD_ASSIGN_OR_RETURN(auto updated, change(std::move(current)));
    auto put = store_->Put(collection, key, boost::json::serialize(updated), *found ? (*found)->version : 0);
    if (put) return Done{};
    // A concurrent change (or creation) won: read again and re-apply.
    if (put.error().code != StoreErrc::Conflict && put.error().code != StoreErrc::AlreadyExists &&
        put.error().code != StoreErrc::NotFound) {
      return Fail(errors::FromStore(put.error()));
    }
  }
  return Fail(errors::FromStore(StoreError{StoreErrc::Conflict, {}}));
}

std::shared_ptr<const FilterPolicy> SnsService::FilterOf(const SubscriptionRecord& subscription) const {
  const auto policy_text = subscription.attributes.find("FilterPolicy");
  if (policy_text == subscription.attributes.end() || policy_text->second.empty()) return nullptr;
  const auto scope_text = subscription.attributes.find("FilterPolicyScope");
  const std::string& scope = scope_text == subscription.attributes.end() ? kAttributeScope : scope_text->second;
  {
    // The common case, on every publish: the policy parsed before, found without copying its text.
    std::shared_lock lock(filter_mutex_);
    auto found = filters_.find(subscription.arn);
    if (found != filters_.end() && found->second.scope == scope && found->second.text == policy_text->second) {
      return found->second.policy;
    }
  }
  auto parsed = FilterPolicy::Parse(policy_text->second, scope == "MessageBody" ? FilterPolicyScope::MessageBody
                                                                                : FilterPolicyScope::MessageAttributes);
  // A stored policy was valid when set; one that no longer parses matches nothing rather than everything.
  std::shared_ptr<const FilterPolicy> policy =
      parsed ? std::make_shared<const FilterPolicy>(std::move(parsed).value()) : nullptr;
  if (!policy) spdlog::warn("sns: subscription {} has a filter policy that does not parse", subscription.arn);
  std::unique_lock lock(filter_mutex_);
  if (filters_.size() > 100000) filters_.clear();
  filters_[subscription.arn] = CachedFilter{scope, policy_text->second, policy};
  return policy;
}

void SnsService::RunDeliveryWork(std::function<void()> work) const {
  if (delivery_pool_ == nullptr) return work();
  boost::asio::post(*delivery_pool_, std::move(work));
}

}  // namespace mallard::sns

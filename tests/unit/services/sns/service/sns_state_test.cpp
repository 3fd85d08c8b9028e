// SnsState (sns_state.hpp): a seeded random SNS state built through the API (topics with
// attributes, tags and FIFO settings, confirmed and pending subscriptions with filter policies,
// platform applications and endpoints, SMS attributes, sandbox numbers, sent SMS), saved, cleared
// and loaded: saving again gives the same records and the API answers the same; a pending
// subscription is confirmed with its token after the load. With MALLARD_TEST_REDIS (ctest's
// sns_state_redis, under with_redis.sh) the state also goes memory → Redis → memory.
// MALLARD_SNS_STATE_SEED=n replays a run.
#include "services/sns/sns_state.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>

#include "common/ids.hpp"
#include "infra/redis/redis_store_opening.hpp"
#include "services/sns/memory/memory_sns_store.hpp"
#include "services/sns/redis/redis_sns_store.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

namespace {

const std::string kAccounts[] = {"111111111111", "222222222222"};
const std::string kRegions[] = {"us-east-1", "eu-west-1"};

struct Harness {
  std::int64_t now = 1700000000000;
  std::shared_ptr<SnsStore> store;
  std::shared_ptr<SnsService> service;

  explicit Harness(std::shared_ptr<SnsStore> s) : store(std::move(s)) {
    services::ServiceContext context;
    context.clock = [this] { return now; };
    SnsOptions options;
    options.signer = MessageSigner::Generate().value();
    service = std::make_shared<SnsService>(store, context, options);
  }
  ~Harness() {
    store->Reset();
    service->Shutdown();
  }

  protocol::OperationResult Call(const std::string& operation, json::object input, const std::string& account,
                                 const std::string& region) {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = std::move(input);
    request.protocol = protocol::WireProtocol::AwsQuery;
    request.context.account_id = account;
    request.context.caller_arn = "arn:aws:iam::" + account + ":root";
    request.context.region = region;
    request.context.endpoint_base = "http://localhost:4566";
    request.context.request_id = "r";
    std::optional<protocol::OperationResult> out;
    service->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
    return out ? std::move(*out) : protocol::OperationResult(Fail(AwsError::Make("Incomplete", 500, "")));
  }
  // The answer as text (an error as its code and message), for comparing before and after.
  std::string Answer(const std::string& operation, json::object input, const std::string& account,
                     const std::string& region) {
    auto result = Call(operation, std::move(input), account, region);
    if (!result.ok()) return "error " + result.error().code + ": " + result.error().message;
    return json::serialize(*result);
  }
};

using Saved = std::vector<std::pair<StateScope, std::vector<std::string>>>;

Saved SaveAll(services::ServiceState& state) {
  Saved saved;
  auto scopes = state.Scopes();
  EXPECT_TRUE(scopes.ok()) << (scopes.ok() ? "" : scopes.error());
  if (!scopes.ok()) return saved;
  for (const auto& scope : *scopes) {
    std::vector<std::string> records;
    auto done = state.Save(scope, [&](StateRecord record) -> Status<std::string> {
      records.push_back(record.kind + " " + json::serialize(record.body));
      return Done{};
    });
    EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error());
    saved.emplace_back(scope, std::move(records));
  }
  return saved;
}

void LoadAll(services::ServiceState& state, const Saved& saved) {
  for (const auto& [scope, records] : saved) {
    std::size_t next = 0;
    auto loaded = state.Load(scope, 1, [&]() -> Result<std::optional<StateRecord>, std::string> {
      if (next == records.size()) return std::optional<StateRecord>();
      const std::string& line = records[next++];
      auto space = line.find(' ');
      return std::optional<StateRecord>(StateRecord{line.substr(0, space), json::parse(line.substr(space + 1)).as_object()});
    });
    ASSERT_TRUE(loaded.ok()) << loaded.error();
  }
}

std::string Text(const json::object& object, const char* name) { return std::string(object.at(name).as_string()); }

// Everything the API tells about the state, as text.
std::string ApiView(Harness& harness) {
  std::string view;
  for (const auto& account : kAccounts) {
    for (const auto& region : kRegions) {
      auto topics = harness.Call("ListTopics", {}, account, region);
      view += harness.Answer("ListTopics", {}, account, region) + "\n";
      if (topics.ok()) {
        for (const auto& topic : topics->at("Topics").as_array()) {
          const auto& arn = topic.at("TopicArn").as_string();
          view += harness.Answer("GetTopicAttributes", {{"TopicArn", arn}}, account, region) + "\n";
          view += harness.Answer("ListTagsForResource", {{"ResourceArn", arn}}, account, region) + "\n";
        }
      }
      auto subscriptions = harness.Call("ListSubscriptions", {}, account, region);
      view += harness.Answer("ListSubscriptions", {}, account, region) + "\n";
      if (subscriptions.ok()) {
        for (const auto& subscription : subscriptions->at("Subscriptions").as_array()) {
          const auto& arn = subscription.at("SubscriptionArn").as_string();
          if (arn == "PendingConfirmation") continue;
          view += harness.Answer("GetSubscriptionAttributes", {{"SubscriptionArn", arn}}, account, region) + "\n";
        }
      }
      view += harness.Answer("GetSMSAttributes", {}, account, region) + "\n";
      view += harness.Answer("ListSMSSandboxPhoneNumbers", {}, account, region) + "\n";
      view += harness.Answer("ListPhoneNumbersOptedOut", {}, account, region) + "\n";
      auto applications = harness.Call("ListPlatformApplications", {}, account, region);
      view += harness.Answer("ListPlatformApplications", {}, account, region) + "\n";
      if (applications.ok()) {
        for (const auto& application : applications->at("PlatformApplications").as_array()) {
          view += harness.Answer("ListEndpointsByPlatformApplication",
                                 {{"PlatformApplicationArn", application.at("PlatformApplicationArn")}}, account, region) +
                  "\n";
        }
      }
    }
  }
  // The inspection endpoints read a scope's sent messages in order; scopes are not ordered among
  // each other (a load appends its scope's messages after the others').
  auto sent = harness.store->ReadSent("sms");
  std::map<std::string, std::string> sent_by_scope;
  if (sent.ok()) {
    for (const auto& document : *sent) {
      auto parsed = json::parse(document).as_object();
      sent_by_scope[Text(parsed, "AccountId") + ":" + Text(parsed, "Region")] += document + "\n";
    }
  }
  for (const auto& [scope, documents] : sent_by_scope) view += scope + "\n" + documents;
  return view;
}

// Random state through the API; errors are part of the game (a random call may be refused).
void Populate(Harness& harness, std::mt19937_64& random) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::vector<std::tuple<std::string, std::string, std::string>> topics;  // arn, account, region
  for (int step = 0; step < 60; ++step) {
    const std::string& account = kAccounts[pick(2)];
    const std::string& region = kRegions[pick(2)];
    switch (pick(7)) {
      case 0: case 1: {
        bool fifo = pick(3) == 0;
        std::string name = "topic" + std::to_string(pick(8)) + (fifo ? ".fifo" : "");
        json::object attributes{{"DisplayName", "shown " + std::to_string(pick(100))}};
        if (fifo) attributes["FifoTopic"] = "true";
        if (fifo && pick(2)) attributes["ContentBasedDeduplication"] = "true";
        auto created = harness.Call("CreateTopic", {{"Name", name}, {"Attributes", attributes},
                                                    {"Tags", json::array{json::object{{"Key", "k" + std::to_string(pick(3))}, {"Value", "v"}}}}},
                                    account, region);
        if (created.ok()) topics.emplace_back(std::string(created->at("TopicArn").as_string()), account, region);
        break;
      }
      case 2: case 3: {
        if (topics.empty()) break;
        auto [arn, topic_account, topic_region] = topics[pick(topics.size())];
        json::object input{{"TopicArn", arn}, {"ReturnSubscriptionArn", true}};
        if (pick(2)) {
          input["Protocol"] = "sqs";
          input["Endpoint"] = "arn:aws:sqs:" + topic_region + ":" + topic_account + ":queue" + std::to_string(pick(5));
          input["Attributes"] = json::object{{"RawMessageDelivery", pick(2) ? "true" : "false"},
                                             {"FilterPolicy", R"({"kind":["a","b"]})"}};
        } else {
          input["Protocol"] = "http";  // pending until confirmed
          input["Endpoint"] = "http://127.0.0.1:9/hook" + std::to_string(pick(5));
        }
        (void)harness.Call("Subscribe", input, topic_account, topic_region);
        break;
      }
      case 4:
        (void)harness.Call("SetSMSAttributes", {{"attributes", json::object{{"DefaultSenderID", "S" + std::to_string(pick(9))}}}},
                           account, region);
        (void)harness.Call("CreateSMSSandboxPhoneNumber", {{"PhoneNumber", "+1206555" + std::to_string(1000 + pick(9000))}},
                           account, region);
        break;
      case 5: {
        auto application = harness.Call("CreatePlatformApplication",
                                        {{"Name", "app" + std::to_string(pick(3))}, {"Platform", "GCM"},
                                         {"Attributes", json::object{{"PlatformCredential", "key"}}}},
                                        account, region);
        if (application.ok()) {
          (void)harness.Call("CreatePlatformEndpoint", {{"PlatformApplicationArn", application->at("PlatformApplicationArn")},
                                                        {"Token", "device" + std::to_string(pick(20))}},
                             account, region);
        }
        break;
      }
      case 6:
        if (!topics.empty() && pick(2)) {
          auto [arn, topic_account, topic_region] = topics[pick(topics.size())];
          (void)harness.Call("Publish", {{"TopicArn", arn}, {"Message", "m"}, {"MessageGroupId", "g"},
                                         {"MessageDeduplicationId", std::to_string(pick(1000))}},
                             topic_account, topic_region);
        } else {
          (void)harness.Call("Publish", {{"PhoneNumber", "+1206555" + std::to_string(1000 + pick(9000))}, {"Message", "hi"}},
                             account, region);
        }
        break;
    }
  }
}

std::uint64_t Seed() {
  const char* text = std::getenv("MALLARD_SNS_STATE_SEED");
  return text ? std::strtoull(text, nullptr, 10) : std::random_device{}();
}

std::shared_ptr<SnsStore> RedisStore() {
  const char* url = std::getenv("MALLARD_TEST_REDIS");
  if (url == nullptr) return nullptr;
  auto endpoint = redis::ParseRedisUrl(url);
  if (!endpoint) return nullptr;
  endpoint->key_prefix = "test-" + RandomHex(8) + ":";
  return std::make_shared<RedisSnsStore>(*endpoint);
}

// Saves, clears every scope (nothing is left), loads: the same records and the same answers.
void RoundTrip(Harness& harness, std::uint64_t seed) {
  SCOPED_TRACE("MALLARD_SNS_STATE_SEED=" + std::to_string(seed));
  auto* state = harness.service->State();
  ASSERT_NE(state, nullptr);
  Saved before = SaveAll(*state);
  std::string view = ApiView(harness);
  std::set<std::string> kinds;
  for (const auto& [scope, records] : before) {
    for (const auto& line : records) kinds.insert(line.substr(0, line.find(' ')));
  }
  if (!before.empty()) {  // a random state holds most kinds (the empty Redis store at first holds none)
    EXPECT_TRUE(kinds.count("topic") && kinds.count("subscription") && kinds.count("sent_message")) << kinds.size();
  }
  for (const auto& [scope, records] : before) ASSERT_TRUE(state->Clear(scope).ok());
  EXPECT_TRUE(state->Scopes()->empty());
  LoadAll(*state, before);
  EXPECT_EQ(SaveAll(*state), before);
  EXPECT_EQ(ApiView(harness), view);
  // Loading on top of the same state replaces same-named resources: nothing changes.
  LoadAll(*state, before);
  EXPECT_EQ(SaveAll(*state), before);
}

// Journaling: a call naming another account's topic (Subscribe under its policy) changes that
// account's scope, which is journaled with the caller's; strings that are not SNS ARNs name none.
TEST(SnsStateTest, ACallNamingAnotherAccountsTopicJournalsThatScopeToo) {
  RequestContext caller;
  caller.account_id = "111111111111";
  caller.region = "us-east-1";
  json::object input{{"TopicArn", "arn:aws:sns:eu-west-1:222222222222:orders"},
                     {"Endpoint", "arn:aws:sqs:eu-west-1:333333333333:q"},
                     {"SubscriptionArn", "arn:aws-cn:sns:cn-north-1:444444444444:t:abc"},
                     {"Protocol", "sqs"}, {"Bad", "arn:aws:sns::555555555555:x"}, {"Short", "arn:aws:sns"},
                     {"Same", "arn:aws:sns:us-east-1:111111111111:mine"}, {"Number", 5}};
  const auto scopes = SnsState::ScopesChangedBy(caller, input);
  const std::set<services::StateScope> expected{{"111111111111", "us-east-1"},
                                                {"222222222222", "eu-west-1"},
                                                {"444444444444", "cn-north-1"}};
  EXPECT_EQ(std::set<services::StateScope>(scopes.begin(), scopes.end()), expected);
  EXPECT_EQ(scopes.size(), expected.size());  // no scope twice
  EXPECT_EQ(scopes.front(), (services::StateScope{"111111111111", "us-east-1"}));
}

TEST(SnsStateTest, RandomStateRoundTripsThroughTheMemoryStore) {
  for (int run = 0; run < 10; ++run) {
    auto seed = Seed() + run;
    std::mt19937_64 random(seed);
    Harness harness(std::make_shared<MemorySnsStore>());
    Populate(harness, random);
    RoundTrip(harness, seed);
  }
}

TEST(SnsStateTest, RandomStateRoundTripsThroughTheRedisStoreAndAcrossStores) {
  if (!RedisStore()) GTEST_SKIP() << "MALLARD_TEST_REDIS is not set (ctest's sns_state_redis sets it)";
  for (int run = 0; run < 5; ++run) {
    auto seed = Seed() + run;
    SCOPED_TRACE("MALLARD_SNS_STATE_SEED=" + std::to_string(seed));
    std::mt19937_64 random(seed);
    Harness memory(std::make_shared<MemorySnsStore>());
    Populate(memory, random);
    Saved saved = SaveAll(*memory.service->State());
    std::string view = ApiView(memory);
    Harness shared(RedisStore());
    RoundTrip(shared, seed);  // empty: trivially
    LoadAll(*shared.service->State(), saved);
    EXPECT_EQ(SaveAll(*shared.service->State()), saved);
    EXPECT_EQ(ApiView(shared), view);
    RoundTrip(shared, seed);
    Harness back(std::make_shared<MemorySnsStore>());
    LoadAll(*back.service->State(), SaveAll(*shared.service->State()));
    EXPECT_EQ(SaveAll(*back.service->State()), saved);
    EXPECT_EQ(ApiView(back), view);
  }
}

TEST(SnsStateTest, APendingSubscriptionIsConfirmedWithItsTokenAfterALoad) {
  Harness harness(std::make_shared<MemorySnsStore>());
  const std::string account = kAccounts[0], region = kRegions[0];
  auto topic = harness.Call("CreateTopic", {{"Name", "t"}}, account, region);
  ASSERT_TRUE(topic.ok());
  std::string topic_arn(topic->at("TopicArn").as_string());
  ASSERT_TRUE(harness.Call("Subscribe", {{"TopicArn", topic_arn}, {"Protocol", "http"}, {"Endpoint", "http://127.0.0.1:9/x"}},
                           account, region).ok());
  Saved saved = SaveAll(*harness.service->State());
  std::string token;
  for (const auto& line : saved.at(0).second) {
    if (line.rfind("confirmation_token ", 0) == 0) token = std::string(json::parse(line.substr(19)).at("Token").as_string());
  }
  ASSERT_FALSE(token.empty()) << "the pending subscription's token is saved";
  Harness other(std::make_shared<MemorySnsStore>());
  LoadAll(*other.service->State(), saved);
  auto confirmed = other.Call("ConfirmSubscription", {{"TopicArn", topic_arn}, {"Token", token}}, account, region);
  ASSERT_TRUE(confirmed.ok()) << confirmed.error().code << " " << confirmed.error().message;
  EXPECT_NE(confirmed->at("SubscriptionArn").as_string(), "PendingConfirmation");
}

TEST(SnsStateTest, LoadRefusesNewerVersionsUnknownKindsAndOtherScopes) {
  Harness harness(std::make_shared<MemorySnsStore>());
  auto* state = harness.service->State();
  StateScope scope{kAccounts[0], kRegions[0]};
  auto none = []() -> Result<std::optional<StateRecord>, std::string> { return std::optional<StateRecord>(); };
  auto newer = state->Load(scope, 2, none);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().find("newer"), std::string::npos) << newer.error();
  auto one = [](StateRecord record) {
    return [record, given = false]() mutable -> Result<std::optional<StateRecord>, std::string> {
      if (given) return std::optional<StateRecord>();
      given = true;
      return std::optional<StateRecord>(record);
    };
  };
  auto unknown = state->Load(scope, 1, one(StateRecord{"gadget", json::object{{"record", json::object{}}}}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("gadget"), std::string::npos) << unknown.error();
  auto foreign = state->Load(scope, 1, one(StateRecord{"phone_opt_out", json::object{{"phoneNumber", "+12065550100"},
                                                                                      {"record", json::object{}}}}));
  EXPECT_TRUE(foreign.ok()) << foreign.error();  // scope-keyed: it goes into the loaded scope
  auto elsewhere = state->Load(scope, 1, one(StateRecord{"platform_application",
                                                        json::object{{"PlatformApplicationArn", "arn:aws:sns:eu-west-1:999999999999:app/GCM/a"},
                                                                     {"record", json::object{}}}}));
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_NE(elsewhere.error().find("not in account"), std::string::npos) << elsewhere.error();
}

}  // namespace
}  // namespace mallard::sns

// SnsService against the in-memory store, with a stand-in SQS service behind the peer directory
// (it records every SendMessage), a scripted outbound HTTP client and a clock the tests move.
// Besides targeted cases, a seeded random sequence of Subscribe / Unsubscribe / attribute changes /
// Publish is checked against a plain model of who must receive what (MALLARD_SNS_SERVICE_SEED=n
// replays a run).
#include "services/sns/sns_service.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "common/encoding.hpp"
#include "services/kit/peer_directory.hpp"
#include "services/sns/memory/memory_sns_store.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

// Records what SNS sends to SQS; every queue exists unless its name starts with "missing".
class RecordingSqs final : public services::Service {
 public:
  struct Sent {
    std::string queue_url;
    json::object input;
    RequestContext caller;
  };
  const services::ServiceDescriptor& Descriptor() const override {
    static const services::ServiceDescriptor descriptor = [] {
      services::ServiceDescriptor d;
      d.name = "sqs";
      return d;
    }();
    return descriptor;
  }
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override {
    std::string url(request.input.at("QueueUrl").as_string());
    if (url.find("/missing") != std::string::npos) {
      return done(Fail(AwsError::Make("AWS.SimpleQueueService.NonExistentQueue", 400, "no such queue")));
    }
    if (request.operation == "GetQueueAttributes") {
      json::object attributes;
      if (auto found = policies.find(url); found != policies.end()) attributes["Policy"] = found->second;
      return done(json::object{{"Attributes", attributes}});
    }
    sent.push_back({url, request.input, request.context});
    done(json::object{{"MessageId", "m"}});
  }
  void Reset() override { sent.clear(); }
  std::string StoreName() const override { return "test"; }

  std::vector<Sent> sent;
  std::map<std::string, std::string> policies;  // queue URL → policy
};

// Answers each request with the next scripted status (200 once the script is spent).
class ScriptedHttp final : public OutboundHttp {
 public:
  void Send(OutboundRequest request, std::function<void(Result<OutboundResponse, std::string>)> done) override {
    requests.push_back(request);
    if (script.empty()) return done(OutboundResponse{200, {}, ""});
    int status = script.front();
    script.pop_front();
    if (status == 0) return done(Fail(std::string("connection refused")));
    done(OutboundResponse{status, {}, ""});
  }
  std::vector<OutboundRequest> requests;
  std::deque<int> script;
};

std::string HeaderOf(const OutboundRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return {};
}

class SnsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqs_ = std::make_shared<RecordingSqs>();
    peers_.Add(sqs_);
    http_ = std::make_shared<ScriptedHttp>();
    auto signer = MessageSigner::Generate();
    ASSERT_TRUE(signer.ok()) << signer.error();
    signer_ = std::move(signer).value();
    Build(false);
  }

  void Build(bool strict) {
    services::ServiceContext context;
    context.clock = [this] { return now_; };
    context.peers = &peers_;
    SnsOptions options;
    options.http = http_;
    options.signer = signer_;
    options.strict_queue_policy = strict;
    service_ = std::make_shared<SnsService>(std::make_shared<MemorySnsStore>(), context, options);
  }

  protocol::OperationResult Call(const std::string& operation, json::object input,
                                 const std::string& account = "111111111111") {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = std::move(input);
    request.protocol = protocol::WireProtocol::AwsQuery;
    request.context.account_id = account;
    request.context.caller_arn = "arn:aws:iam::" + account + ":root";
    request.context.region = "us-east-1";
    request.context.endpoint_base = "http://localhost:4566";
    request.context.request_id = "r";
    std::optional<protocol::OperationResult> out;
    service_->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
    EXPECT_TRUE(out.has_value()) << operation << " did not complete synchronously";
    return out ? std::move(*out) : protocol::OperationResult(Fail(AwsError::Make("Incomplete", 500, "")));
  }

  json::object Ok(const std::string& operation, json::object input, const std::string& account = "111111111111") {
    auto result = Call(operation, std::move(input), account);
    EXPECT_TRUE(result.ok()) << operation << ": " << (result.ok() ? "" : result.error().code + " " + result.error().message);
    return result.ok() ? std::move(result).value() : json::object{};
  }

  std::string Topic(const std::string& name, json::object attributes = {}) {
    json::object input{{"Name", name}};
    if (!attributes.empty()) input["Attributes"] = std::move(attributes);
    return std::string(Ok("CreateTopic", std::move(input)).at("TopicArn").as_string());
  }

  std::string Subscribe(const std::string& topic, const std::string& protocol, const std::string& endpoint,
                        json::object attributes = {}) {
    json::object input{{"TopicArn", topic}, {"Protocol", protocol}, {"Endpoint", endpoint}, {"ReturnSubscriptionArn", true}};
    if (!attributes.empty()) input["Attributes"] = std::move(attributes);
    return std::string(Ok("Subscribe", std::move(input)).at("SubscriptionArn").as_string());
  }

  std::int64_t now_ = 1700000000000;
  services::PeerDirectory peers_;
  std::shared_ptr<RecordingSqs> sqs_;
  std::shared_ptr<ScriptedHttp> http_;
  std::shared_ptr<MessageSigner> signer_;
  std::shared_ptr<SnsService> service_;
};

// Verifies an envelope's signature with OpenSSL against the signer's certificate, over AWS's
// canonical string built here from the documented rules (not the service's code).
bool SignatureVerifies(const json::object& envelope, const std::string& certificate_pem) {
  std::string type(envelope.at("Type").as_string());
  std::vector<std::string> keys = type == "Notification"
                                      ? std::vector<std::string>{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
                                      : std::vector<std::string>{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"};
  std::string canonical;
  for (const auto& key : keys) {
    if (!envelope.contains(key)) continue;
    canonical += key + "\n" + std::string(envelope.at(key).as_string()) + "\n";
  }
  auto signature = Base64Decode(std::string(envelope.at("Signature").as_string()));
  if (!signature) return false;
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (certificate == nullptr) return false;
  EVP_PKEY* key = X509_get_pubkey(certificate);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const EVP_MD* digest = envelope.at("SignatureVersion").as_string() == "2" ? EVP_sha256() : EVP_sha1();
  bool ok = EVP_DigestVerifyInit(context, nullptr, digest, nullptr, key) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                             reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size()) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  X509_free(certificate);
  return ok;
}

TEST_F(SnsServiceTest, PublishDeliversASignedEnvelopeToEverySubscribedQueue) {
  auto topic = Topic("orders", {{"SignatureVersion", "2"}});
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:a");
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:b");
  auto output = Ok("Publish", {{"TopicArn", topic}, {"Message", "hello"}, {"Subject", "greeting"},
                               {"MessageAttributes", json::object{{"n", json::object{{"DataType", "Number"}, {"StringValue", "5"}}}}}});
  ASSERT_EQ(sqs_->sent.size(), 2u);
  std::set<std::string> urls;
  for (const auto& sent : sqs_->sent) {
    urls.insert(sent.queue_url);
    EXPECT_EQ(sent.caller.account_id, "111111111111");
    auto envelope = json::parse(sent.input.at("MessageBody").as_string()).as_object();
    EXPECT_EQ(envelope.at("Type"), "Notification");
    EXPECT_EQ(envelope.at("MessageId"), output.at("MessageId"));
    EXPECT_EQ(envelope.at("Message"), "hello");
    EXPECT_EQ(envelope.at("Subject"), "greeting");
    EXPECT_EQ(envelope.at("SignatureVersion"), "2");
    EXPECT_EQ(envelope.at("MessageAttributes").at("n").at("Type"), "Number");
    EXPECT_TRUE(SignatureVerifies(envelope, signer_->CertificatePem()));
    envelope["Message"] = "tampered";
    EXPECT_FALSE(SignatureVerifies(envelope, signer_->CertificatePem()));
    EXPECT_FALSE(sent.input.contains("MessageAttributes")) << "enveloped messages carry attributes inside";
  }
  EXPECT_EQ(urls, (std::set<std::string>{"/111111111111/a", "/111111111111/b"}));
}

TEST_F(SnsServiceTest, RawDeliveryCarriesAttributesAsQueueAttributes) {
  auto topic = Topic("raw");
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:q", {{"RawMessageDelivery", "true"}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "{\"a\":1}"},
                 {"MessageAttributes", json::object{{"s", json::object{{"DataType", "String"}, {"StringValue", "v"}}}}}});
  ASSERT_EQ(sqs_->sent.size(), 1u);
  EXPECT_EQ(sqs_->sent[0].input.at("MessageBody"), "{\"a\":1}");
  EXPECT_EQ(sqs_->sent[0].input.at("MessageAttributes").at("s").at("StringValue"), "v");
}

TEST_F(SnsServiceTest, FifoTopicDeduplicatesAndNumbersMessagesAndPassesGroupsToFifoQueues) {
  auto topic = Topic("t.fifo", {{"FifoTopic", "true"}, {"ContentBasedDeduplication", "true"}});
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:q.fifo");
  auto first = Ok("Publish", {{"TopicArn", topic}, {"Message", "m1"}, {"MessageGroupId", "g"}});
  auto again = Ok("Publish", {{"TopicArn", topic}, {"Message", "m1"}, {"MessageGroupId", "g"}});
  auto second = Ok("Publish", {{"TopicArn", topic}, {"Message", "m2"}, {"MessageGroupId", "g"}});
  EXPECT_EQ(first.at("MessageId"), again.at("MessageId"));
  EXPECT_LT(std::string(first.at("SequenceNumber").as_string()), std::string(second.at("SequenceNumber").as_string()));
  ASSERT_EQ(sqs_->sent.size(), 2u) << "the duplicate is delivered to no one";
  EXPECT_EQ(sqs_->sent[0].input.at("MessageGroupId"), "g");
  EXPECT_TRUE(sqs_->sent[0].input.contains("MessageDeduplicationId"));
  now_ += 5 * 60 * 1000 + 1;  // past the window: a new message
  auto later = Ok("Publish", {{"TopicArn", topic}, {"Message", "m1"}, {"MessageGroupId", "g"}});
  EXPECT_NE(later.at("MessageId"), first.at("MessageId"));
  auto missing_group = Call("Publish", {{"TopicArn", topic}, {"Message", "x"}});
  ASSERT_FALSE(missing_group.ok());
  EXPECT_EQ(missing_group.error().message, "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
}

TEST_F(SnsServiceTest, FilterPoliciesChooseSubscribers) {
  auto topic = Topic("filtered");
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:red",
            {{"FilterPolicy", "{\"colour\":[\"red\"]}"}});
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:big",
            {{"FilterPolicy", "{\"size\":[{\"numeric\":[\">\",10]}]}"}, {"FilterPolicyScope", "MessageBody"}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "{\"size\":3}"},
                 {"MessageAttributes", json::object{{"colour", json::object{{"DataType", "String"}, {"StringValue", "red"}}}}}});
  Ok("Publish", {{"TopicArn", topic}, {"Message", "{\"size\":30}"}});
  ASSERT_EQ(sqs_->sent.size(), 2u);
  EXPECT_EQ(sqs_->sent[0].queue_url, "/111111111111/red");
  EXPECT_EQ(sqs_->sent[1].queue_url, "/111111111111/big");
}

TEST_F(SnsServiceTest, HttpDeliveryConfirmsRetriesByPolicyAndEndsInTheDeadLetterQueue) {
  auto topic = Topic("web");
  auto arn = Subscribe(topic, "http", "http://127.0.0.1:9/hook",
                       {{"DeliveryPolicy", R"({"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":2}})"},
                        {"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:111111111111:dlq"})"}});
  // The confirmation went out first; confirm with its token.
  ASSERT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(HeaderOf(http_->requests[0], "x-amz-sns-message-type"), "SubscriptionConfirmation");
  auto confirmation = json::parse(http_->requests[0].body).as_object();
  EXPECT_TRUE(SignatureVerifies(confirmation, signer_->CertificatePem()));
  Ok("ConfirmSubscription", {{"TopicArn", topic}, {"Token", confirmation.at("Token")}});
  auto attributes = Ok("GetSubscriptionAttributes", {{"SubscriptionArn", arn}});
  EXPECT_EQ(attributes.at("Attributes").at("PendingConfirmation"), "false");

  http_->script = {500, 0, 503};  // fails three times: the first attempt and both retries
  Ok("Publish", {{"TopicArn", topic}, {"Message", "payload"}});
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(HeaderOf(http_->requests[1], "x-amz-sns-subscription-arn"), arn);
  service_->KickScheduler();
  EXPECT_EQ(http_->requests.size(), 2u) << "the retry waits for minDelayTarget";
  now_ += 2000;
  service_->KickScheduler();
  ASSERT_EQ(http_->requests.size(), 3u);
  EXPECT_TRUE(sqs_->sent.empty());
  now_ += 2000;
  service_->KickScheduler();
  ASSERT_EQ(http_->requests.size(), 4u);
  ASSERT_EQ(sqs_->sent.size(), 1u) << "the policy is spent: the message goes to the DLQ";
  EXPECT_EQ(sqs_->sent[0].queue_url, "/111111111111/dlq");
  EXPECT_EQ(sqs_->sent[0].input.at("MessageBody"), json::string(http_->requests[1].body));
  now_ += 60000;
  service_->KickScheduler();
  EXPECT_EQ(http_->requests.size(), 4u) << "nothing is attempted after the task ended";
}

TEST_F(SnsServiceTest, AClientErrorIsNotRetried) {
  auto topic = Topic("web4xx");
  Subscribe(topic, "http", "http://127.0.0.1:9/hook");
  auto token = json::parse(http_->requests.at(0).body).as_object().at("Token");
  Ok("ConfirmSubscription", {{"TopicArn", topic}, {"Token", token}});
  http_->script = {404};
  Ok("Publish", {{"TopicArn", topic}, {"Message", "x"}});
  now_ += 3600 * 1000;
  service_->KickScheduler();
  EXPECT_EQ(http_->requests.size(), 2u);
}

TEST_F(SnsServiceTest, StrictQueuePolicyDeliversOnlyWhereTheQueueAllowsTheTopic) {
  Build(true);
  auto topic = Topic("strict");
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:open");
  Subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:111111111111:closed");
  sqs_->policies["/111111111111/open"] =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:open","Condition":{"ArnEquals":{"aws:SourceArn":")" +
      topic + R"("}}}]})";
  Ok("Publish", {{"TopicArn", topic}, {"Message", "x"}});
  ASSERT_EQ(sqs_->sent.size(), 1u);
  EXPECT_EQ(sqs_->sent[0].queue_url, "/111111111111/open");
}

TEST_F(SnsServiceTest, AnotherAccountPublishesOnlyWhenThePolicyAllowsIt) {
  auto topic = Topic("shared");
  auto refused = Call("Publish", {{"TopicArn", topic}, {"Message", "x"}}, "222222222222");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "AuthorizationError");
  Ok("AddPermission", {{"TopicArn", topic}, {"Label", "l"}, {"AWSAccountId", json::array{"222222222222"}},
                       {"ActionName", json::array{"Publish"}}});
  EXPECT_TRUE(Call("Publish", {{"TopicArn", topic}, {"Message", "x"}}, "222222222222").ok());
}

// The model: which queues hold a confirmed subscription, raw or not; a publish reaches each once.
TEST_F(SnsServiceTest, RandomSubscriptionChangesAndPublishesMatchAModel) {
  unsigned seed = std::random_device{}();
  if (const char* replay = std::getenv("MALLARD_SNS_SERVICE_SEED")) seed = static_cast<unsigned>(std::strtoul(replay, nullptr, 10));
  SCOPED_TRACE("MALLARD_SNS_SERVICE_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  auto topic = Topic("random");
  std::map<std::string, std::pair<std::string, bool>> model;  // queue → (subscription arn, raw)
  const std::vector<std::string> queues = {"q0", "q1", "q2", "q3", "q4"};
  for (int step = 0; step < 400; ++step) {
    const std::string& queue = queues[random() % queues.size()];
    std::string queue_arn = "arn:aws:sqs:us-east-1:111111111111:" + queue;
    switch (random() % 4) {
      case 0: {
        auto arn = Subscribe(topic, "sqs", queue_arn);
        if (model.count(queue)) {
          EXPECT_EQ(arn, model[queue].first) << "subscribing again answers the same subscription";
        } else {
          model[queue] = {arn, false};
        }
        break;
      }
      case 1:
        if (model.count(queue)) {
          Ok("Unsubscribe", {{"SubscriptionArn", model[queue].first}});
          model.erase(queue);
        }
        break;
      case 2:
        if (model.count(queue)) {
          bool raw = random() % 2 == 0;
          Ok("SetSubscriptionAttributes", {{"SubscriptionArn", model[queue].first}, {"AttributeName", "RawMessageDelivery"},
                                           {"AttributeValue", raw ? "true" : "false"}});
          model[queue].second = raw;
        }
        break;
      default: {
        sqs_->sent.clear();
        std::string text = "m" + std::to_string(step);
        Ok("Publish", {{"TopicArn", topic}, {"Message", text}});
        std::map<std::string, bool> got;
        for (const auto& sent : sqs_->sent) {
          std::string name = sent.queue_url.substr(sent.queue_url.rfind('/') + 1);
          EXPECT_EQ(got.count(name), 0u) << name << " received twice";
          std::string body(sent.input.at("MessageBody").as_string());
          got[name] = body == text;
        }
        std::map<std::string, bool> expected;
        for (const auto& [name, subscription] : model) expected[name] = subscription.second;
        ASSERT_EQ(got, expected) << "at step " << step;
      }
    }
  }
  auto listed = Ok("ListSubscriptionsByTopic", {{"TopicArn", topic}});
  EXPECT_EQ(listed.at("Subscriptions").as_array().size(), model.size());
}

// Paging (ListTopics, ListSubscriptionsByTopic): random creations and deletions, then every page
// followed by its NextToken, against a plain set — nothing missed, nothing twice, 100 a page.
TEST_F(SnsServiceTest, PagedListingsMatchAModelOfRandomChanges) {
  unsigned seed = std::random_device{}();
  if (const char* replay = std::getenv("MALLARD_SNS_SERVICE_SEED")) seed = static_cast<unsigned>(std::strtoul(replay, nullptr, 10));
  SCOPED_TRACE("MALLARD_SNS_SERVICE_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  std::set<std::string> topics;
  std::set<std::string> subscriptions;
  std::string hub = Topic("hub");
  topics.insert(hub);
  int steps = 150 + static_cast<int>(random() % 300);
  for (int step = 0; step < steps; ++step) {
    switch (random() % 4) {
      case 0:
      case 1:
        topics.insert(Topic("t" + std::to_string(random() % 400)));
        break;
      case 2:
        subscriptions.insert(Subscribe(hub, "sqs", "arn:aws:sqs:us-east-1:111111111111:q" + std::to_string(random() % 300)));
        break;
      default:
        if (!subscriptions.empty()) {
          auto victim = std::next(subscriptions.begin(), static_cast<long>(random() % subscriptions.size()));
          Ok("Unsubscribe", {{"SubscriptionArn", *victim}});
          subscriptions.erase(victim);
        } else if (topics.size() > 1) {
          auto victim = std::next(topics.begin(), static_cast<long>(random() % topics.size()));
          if (*victim != hub) {
            Ok("DeleteTopic", {{"TopicArn", *victim}});
            topics.erase(victim);
          }
        }
    }
  }
  auto collect = [&](const std::string& operation, json::object input, const char* list, const char* member) {
    std::vector<std::string> seen;
    for (int page = 0; page < 100; ++page) {
      auto output = Ok(operation, input);
      EXPECT_LE(output.at(list).as_array().size(), 100u);
      for (const auto& item : output.at(list).as_array()) seen.emplace_back(item.at(member).as_string());
      if (!output.contains("NextToken")) break;
      input["NextToken"] = output.at("NextToken");
    }
    return seen;
  };
  auto listed_topics = collect("ListTopics", {}, "Topics", "TopicArn");
  EXPECT_EQ(std::set<std::string>(listed_topics.begin(), listed_topics.end()), topics);
  EXPECT_EQ(listed_topics.size(), topics.size()) << "a topic listed twice";
  auto listed_subscriptions = collect("ListSubscriptionsByTopic", {{"TopicArn", hub}}, "Subscriptions", "SubscriptionArn");
  EXPECT_EQ(std::set<std::string>(listed_subscriptions.begin(), listed_subscriptions.end()), subscriptions);
  EXPECT_EQ(listed_subscriptions.size(), subscriptions.size());
  auto refused = Call("ListTopics", {{"NextToken", "not base64!"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "Invalid parameter: NextToken");
}

}  // namespace
}  // namespace mallard::sns

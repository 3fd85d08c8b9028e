// S3 event notifications through HandleRest, with stand-in SQS and SNS services behind the peer
// directory (they record what S3 sends; a queue or topic whose name starts with "missing" does not
// exist): configuration round trip and S3's validation errors, the s3:TestEvent, events for put,
// delete, delete marker, copy and tagging with prefix/suffix filters, AWS's event JSON, and a
// seeded random check of filter matching against an independent matcher
// (MALLARD_S3_NOTIFY_SEED=n replays a run).
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "s3_service_harness.hpp"
#include "services/kit/peer_directory.hpp"
#include "services/s3/s3_notifications.hpp"

namespace mallard::s3 {
namespace {

namespace json = boost::json;
using testing::S3Harness;

// Records SendMessage / Publish; answers GetQueueAttributes / GetTopicAttributes.
class RecordingPeer final : public services::Service {
 public:
  struct Sent {
    std::string operation;
    json::object input;
    RequestContext caller;
  };
  explicit RecordingPeer(std::string name) : name_(std::move(name)) {}
  const services::ServiceDescriptor& Descriptor() const override {
    if (descriptor_.name.empty()) descriptor_.name = name_;
    return descriptor_;
  }
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override {
    std::string target = request.input.contains("QueueUrl") ? std::string(request.input.at("QueueUrl").as_string())
                                                             : std::string(request.input.at("TopicArn").as_string());
    if (target.find("missing") != std::string::npos) {
      return done(Fail(AwsError::Make(name_ == "sqs" ? "AWS.SimpleQueueService.NonExistentQueue" : "NotFound", 400,
                                      "does not exist")));
    }
    if (request.operation == "GetQueueAttributes" || request.operation == "GetTopicAttributes") {
      ++asked;
      return done(json::object{{"Attributes", json::object{}}});
    }
    sent.push_back({request.operation, request.input, request.context});
    done(json::object{{"MessageId", "m"}});
  }
  void Reset() override { sent.clear(); }
  std::string StoreName() const override { return "test"; }

  std::vector<Sent> sent;
  int asked = 0;

 private:
  std::string name_;
  mutable services::ServiceDescriptor descriptor_;
};

const std::string kQueue = "arn:aws:sqs:us-east-1:000000000000:events";
const std::string kTopic = "arn:aws:sns:us-east-1:000000000000:topic";

std::string QueueConfig(const std::string& arn, const std::vector<std::string>& events, const std::string& filter = {},
                        const std::string& id = {}) {
  std::string xml = "<QueueConfiguration>";
  if (!id.empty()) xml += "<Id>" + id + "</Id>";
  xml += "<Queue>" + arn + "</Queue>";
  for (const auto& event : events) xml += "<Event>" + event + "</Event>";
  if (!filter.empty()) xml += "<Filter><S3Key>" + filter + "</S3Key></Filter>";
  return xml + "</QueueConfiguration>";
}

std::string Rule(const std::string& name, const std::string& value) {
  return "<FilterRule><Name>" + name + "</Name><Value>" + value + "</Value></FilterRule>";
}

std::string Document(const std::string& inner) {
  return "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + inner +
         "</NotificationConfiguration>";
}

class NotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sqs = std::make_shared<RecordingPeer>("sqs");
    sns = std::make_shared<RecordingPeer>("sns");
    peers.Add(sqs);
    peers.Add(sns);
    services::ServiceContext context;
    context.clock = [this] { return s3.now_millis.load(); };
    context.peers = &peers;
    S3Options options;
    options.store_in_process = true;
    s3.service = std::make_shared<S3Service>(s3.store, context, options);
    s3.CreateBucket("bucket");
  }

  http::HttpResponse Configure(const std::string& inner, testing::Headers headers = {}) {
    return s3.Send("PUT", "/bucket?notification", Document(inner), std::move(headers));
  }
  void ConfigureOk(const std::string& inner) {
    auto answer = Configure(inner);
    ASSERT_EQ(answer.status, 200) << answer.body;
    sqs->sent.clear();
    sns->sent.clear();
  }
  // The event records S3 sent to the queue since the last call (Records[0] of each message).
  std::vector<json::object> Events() {
    std::vector<json::object> out;
    for (const auto& sent : sqs->sent) {
      EXPECT_EQ(sent.operation, "SendMessage");
      auto body = json::parse(sent.input.at("MessageBody").as_string());
      out.push_back(body.at("Records").at(0).as_object());
    }
    sqs->sent.clear();
    return out;
  }
  static std::string Text(const json::value& value) { return std::string(value.as_string()); }

  S3Harness s3;
  services::PeerDirectory peers;
  std::shared_ptr<RecordingPeer> sqs;
  std::shared_ptr<RecordingPeer> sns;
};

TEST_F(NotificationsTest, UnconfiguredBucketAnswersAnEmptyConfiguration) {
  auto got = s3.Send("GET", "/bucket?notification");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_NE(got.body.find("<NotificationConfiguration"), std::string::npos);
  EXPECT_EQ(got.body.find("<QueueConfiguration"), std::string::npos) << got.body;
  EXPECT_EQ(got.body.find("<TopicConfiguration"), std::string::npos) << got.body;
  EXPECT_EQ(s3.Send("GET", "/nobucket?notification").status, 404);
}

TEST_F(NotificationsTest, RoundTripKeepsS3OrderGeneratesIdsAndNormalisesRuleNames) {
  std::string inner = QueueConfig(kQueue, {"s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"},
                                  Rule("prefix", "in/") + Rule("SUFFIX", ".csv"), "q1") +
                      "<TopicConfiguration><Topic>" + kTopic + "</Topic><Event>s3:ObjectTagging:*</Event></TopicConfiguration>" +
                      "<EventBridgeConfiguration/>";
  auto put = Configure(inner);
  ASSERT_EQ(put.status, 200) << put.body;
  auto got = s3.Send("GET", "/bucket?notification");
  ASSERT_EQ(got.status, 200);
  const std::string& body = got.body;
  auto topic = body.find("<TopicConfiguration>");
  auto queue = body.find("<QueueConfiguration>");
  auto bridge = body.find("<EventBridgeConfiguration");
  ASSERT_NE(topic, std::string::npos) << body;
  ASSERT_NE(queue, std::string::npos) << body;
  ASSERT_NE(bridge, std::string::npos) << body;
  EXPECT_LT(topic, queue);
  EXPECT_LT(queue, bridge);
  EXPECT_NE(body.find("<Id>q1</Id><Queue>" + kQueue + "</Queue><Event>s3:ObjectCreated:*</Event>"
                      "<Event>s3:ObjectRemoved:Delete</Event><Filter><S3Key><FilterRule><Name>Prefix</Name>"
                      "<Value>in/</Value></FilterRule><FilterRule><Name>Suffix</Name><Value>.csv</Value>"
                      "</FilterRule></S3Key></Filter>"),
            std::string::npos)
      << body;
  std::string topic_id = S3Harness::Element(body.substr(topic), "Id");
  EXPECT_FALSE(topic_id.empty()) << "an absent Id is generated";
  // The stored document is what GET answers, unchanged by a second GET.
  EXPECT_EQ(s3.Send("GET", "/bucket?notification").body, body);
  // An empty configuration removes everything.
  ASSERT_EQ(Configure("").status, 200);
  EXPECT_EQ(s3.Send("GET", "/bucket?notification").body.find("<QueueConfiguration>"), std::string::npos);
}

TEST_F(NotificationsTest, ValidationErrorsAreS3s) {
  struct Case {
    std::string inner;
    std::string message;
    std::string argument_name;
    std::string argument_value;
  };
  std::vector<Case> cases = {
      {QueueConfig("invalid-queue", {"s3:ObjectCreated:*"}), "The ARN could not be parsed", "Queue", "invalid-queue"},
      {QueueConfig(kTopic, {"s3:ObjectCreated:*"}), "The ARN could not be parsed", "Queue", kTopic},
      {"<TopicConfiguration><Topic>nope</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration>",
       "The ARN could not be parsed", "Topic", "nope"},
      {QueueConfig(kQueue, {"s3:ObjectCreated:Nope"}), "The event is not supported for notifications", "Event",
       "s3:ObjectCreated:Nope"},
      {QueueConfig(kQueue, {"s3:TestEvent"}), "The event is not supported for notifications", "Event", "s3:TestEvent"},
      {QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("middle", "x")), "filter rule name must be either prefix or suffix",
       "FilterRule.Name", "middle"},
      {QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "a") + Rule("prefix", "b")),
       "Cannot specify more than one prefix rule in a filter.", "FilterRule.Name", "prefix"},
      {QueueConfig(kQueue, {"s3:ObjectCreated:*"}) + QueueConfig(kQueue, {"s3:ObjectCreated:Put"}),
       "Configurations overlap. Configurations on the same bucket cannot share a common event type.", "", ""},
      {QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "a/")) +
           QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "a/b")),
       "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules if the prefixes are "
       "overlapping for the same event type.",
       "", ""},
  };
  for (const auto& c : cases) {
    auto answer = Configure(c.inner);
    EXPECT_EQ(answer.status, 400) << c.inner;
    EXPECT_EQ(S3Harness::ErrorCode(answer), "InvalidArgument") << answer.body;
    EXPECT_EQ(S3Harness::Element(answer.body, "Message"), c.message) << answer.body;
    if (!c.argument_name.empty()) {
      EXPECT_EQ(S3Harness::Element(answer.body, "ArgumentName"), c.argument_name) << answer.body;
      EXPECT_EQ(S3Harness::Element(answer.body, "ArgumentValue"), c.argument_value) << answer.body;
    }
  }
  EXPECT_EQ(S3Harness::ErrorCode(Configure("<QueueConfiguration><Queue>" + kQueue + "</Queue></QueueConfiguration>")),
            "MalformedXML");
  EXPECT_EQ(S3Harness::ErrorCode(Configure("<Bogus/>")), "MalformedXML");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/bucket?notification", "<Other/>")), "MalformedXML");
  // Nothing was stored by any of them.
  EXPECT_EQ(s3.Send("GET", "/bucket?notification").body.find("<QueueConfiguration>"), std::string::npos);
}

TEST_F(NotificationsTest, DisjointFiltersAndDifferentEventsMayShareABucket) {
  ConfigureOk(QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "a/")) +
              QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "b/")) +
              QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "c/") + Rule("Suffix", ".csv")) +
              QueueConfig(kQueue, {"s3:ObjectCreated:*"}, Rule("Prefix", "c/") + Rule("Suffix", ".json")) +
              QueueConfig(kQueue, {"s3:ObjectRemoved:*"}));
}

TEST_F(NotificationsTest, DestinationsMustExistUnlessValidationIsSkipped) {
  const std::string missing1 = "arn:aws:sqs:us-east-1:000000000000:missing-1";
  const std::string missing2 = "arn:aws:sqs:us-east-1:000000000000:missing-2";
  auto answer = Configure(QueueConfig(missing1, {"s3:ObjectCreated:*"}) + QueueConfig(missing2, {"s3:ObjectRemoved:*"}));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(S3Harness::Element(answer.body, "Message"), "Unable to validate the following destination configurations");
  EXPECT_EQ(S3Harness::Element(answer.body, "ArgumentName1"), missing1);
  EXPECT_EQ(S3Harness::Element(answer.body, "ArgumentValue1"), "The destination queue does not exist");
  EXPECT_EQ(S3Harness::Element(answer.body, "ArgumentName2"), missing2);

  auto topic = Configure("<TopicConfiguration><Topic>arn:aws:sns:us-east-1:000000000000:missing</Topic>"
                         "<Event>s3:ObjectCreated:*</Event></TopicConfiguration>");
  EXPECT_EQ(S3Harness::Element(topic.body, "ArgumentValue1"), "The destination topic does not exist") << topic.body;

  const std::string lambda = "arn:aws:lambda:us-east-1:000000000000:function:f";
  std::string function = "<CloudFunctionConfiguration><CloudFunction>" + lambda +
                         "</CloudFunction><Event>s3:ObjectCreated:*</Event></CloudFunctionConfiguration>";
  auto refused = Configure(function);
  EXPECT_EQ(S3Harness::ErrorCode(refused), "InvalidArgument");
  EXPECT_EQ(S3Harness::Element(refused.body, "ArgumentName1"), lambda + ", null") << refused.body;
  EXPECT_EQ(S3Harness::Element(refused.body, "ArgumentValue1"), "Not authorized to invoke function [" + lambda + "]");

  auto fifo = Configure(QueueConfig("arn:aws:sqs:us-east-1:000000000000:events.fifo", {"s3:ObjectCreated:*"}));
  EXPECT_EQ(S3Harness::Element(fifo.body, "Message"), "Unable to validate the following destination configurations");

  EXPECT_TRUE(sqs->sent.empty()) << "a refused configuration sends no test event";
  // Skipped validation: stored as given, nothing asked and nothing sent.
  int asked = sqs->asked;
  auto skipped = Configure(QueueConfig(missing1, {"s3:ObjectRemoved:*"}) + function,
                           {{"x-amz-skip-destination-validation", "true"}});
  ASSERT_EQ(skipped.status, 200) << skipped.body;
  EXPECT_EQ(sqs->asked, asked);
  EXPECT_TRUE(sqs->sent.empty());
  auto got = s3.Send("GET", "/bucket?notification").body;
  EXPECT_NE(got.find("<CloudFunction>" + lambda + "</CloudFunction>"), std::string::npos) << got;
  EXPECT_NE(got.find(missing1), std::string::npos);

  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("PUT", "/nobucket?notification", Document(QueueConfig(kQueue, {"s3:ObjectCreated:*"})))),
            "NoSuchBucket");
}

TEST_F(NotificationsTest, APutSendsTheTestEventToEachQueueAndTopic) {
  auto answer = Configure(QueueConfig(kQueue, {"s3:ObjectCreated:*"}) + "<TopicConfiguration><Topic>" + kTopic +
                          "</Topic><Event>s3:ObjectRemoved:*</Event></TopicConfiguration>");
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(sqs->sent.size(), 1u);
  EXPECT_EQ(Text(sqs->sent[0].input.at("QueueUrl")), "/000000000000/events");
  auto test_event = json::parse(sqs->sent[0].input.at("MessageBody").as_string()).as_object();
  EXPECT_EQ(Text(test_event.at("Service")), "Amazon S3");
  EXPECT_EQ(Text(test_event.at("Event")), "s3:TestEvent");
  EXPECT_EQ(Text(test_event.at("Bucket")), "bucket");
  EXPECT_EQ(Text(test_event.at("Time")), "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE(Text(test_event.at("RequestId")).empty());
  EXPECT_FALSE(Text(test_event.at("HostId")).empty());
  ASSERT_EQ(sns->sent.size(), 1u);
  EXPECT_EQ(sns->sent[0].operation, "Publish");
  EXPECT_EQ(Text(sns->sent[0].input.at("TopicArn")), kTopic);
  EXPECT_EQ(Text(sns->sent[0].input.at("Subject")), "Amazon S3 Notification");
  EXPECT_NE(Text(sns->sent[0].input.at("Message")).find("s3:TestEvent"), std::string::npos);
}

TEST_F(NotificationsTest, PutEventHasAwsShape) {
  ConfigureOk(QueueConfig(kQueue, {"s3:ObjectCreated:*"}, {}, "cfg"));
  s3.now_millis = 1'767'225'600'123;
  ASSERT_EQ(s3.Send("PUT", "/bucket/dir/a%20b%2Bc%3D.txt", "hello").status, 200);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  const auto& record = events[0];
  EXPECT_EQ(Text(record.at("eventVersion")), "2.1");
  EXPECT_EQ(Text(record.at("eventSource")), "aws:s3");
  EXPECT_EQ(Text(record.at("awsRegion")), "us-east-1");
  EXPECT_EQ(Text(record.at("eventTime")), "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(Text(record.at("eventName")), "ObjectCreated:Put");
  EXPECT_FALSE(Text(record.at("userIdentity").at("principalId")).empty());
  EXPECT_TRUE(record.at("requestParameters").as_object().contains("sourceIPAddress"));
  EXPECT_FALSE(Text(record.at("responseElements").at("x-amz-request-id")).empty());
  EXPECT_FALSE(Text(record.at("responseElements").at("x-amz-id-2")).empty());
  const auto& s3_part = record.at("s3").as_object();
  EXPECT_EQ(Text(s3_part.at("s3SchemaVersion")), "1.0");
  EXPECT_EQ(Text(s3_part.at("configurationId")), "cfg");
  EXPECT_EQ(Text(s3_part.at("bucket").at("name")), "bucket");
  EXPECT_EQ(Text(s3_part.at("bucket").at("ownerIdentity").at("principalId")), "000000000000");
  EXPECT_EQ(Text(s3_part.at("bucket").at("arn")), "arn:aws:s3:::bucket");
  const auto& object = s3_part.at("object").as_object();
  EXPECT_EQ(Text(object.at("key")), "dir/a+b%2Bc%3D.txt");
  EXPECT_EQ(object.at("size").to_number<std::int64_t>(), 5);
  EXPECT_EQ(Text(object.at("eTag")), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_FALSE(object.contains("versionId")) << "unversioned buckets have none";
  std::string sequencer = Text(object.at("sequencer"));
  EXPECT_FALSE(sequencer.empty());
  EXPECT_EQ(sequencer.find_first_not_of("0123456789ABCDEF"), std::string::npos);

  // Sequencers increase, also within one millisecond.
  ASSERT_EQ(s3.Send("PUT", "/bucket/dir/a%20b%2Bc%3D.txt", "again").status, 200);
  auto later = Events();
  ASSERT_EQ(later.size(), 1u);
  std::string next = Text(later[0].at("s3").at("object").at("sequencer"));
  EXPECT_EQ(next.size(), sequencer.size());
  EXPECT_GT(next, sequencer);
}

TEST_F(NotificationsTest, DeleteMarkerCopyAndTaggingEvents) {
  ConfigureOk(QueueConfig(kQueue, {"s3:ObjectCreated:*"}, {}, "created") +
              QueueConfig(kQueue, {"s3:ObjectRemoved:*"}, {}, "removed") +
              QueueConfig(kQueue, {"s3:ObjectTagging:Put"}, {}, "tagged"));
  ASSERT_EQ(s3.Send("PUT", "/bucket/k", "data").status, 200);
  ASSERT_EQ(s3.Send("PUT", "/bucket/copy", {}, {{"x-amz-copy-source", "/bucket/k"}}).status, 200);
  ASSERT_EQ(s3.Send("PUT", "/bucket/k?tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>").status,
            200);
  ASSERT_EQ(s3.Send("DELETE", "/bucket/k").status, 204);
  auto events = Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(Text(events[0].at("eventName")), "ObjectCreated:Put");
  EXPECT_EQ(Text(events[1].at("eventName")), "ObjectCreated:Copy");
  EXPECT_EQ(Text(events[1].at("s3").at("configurationId")), "created");
  EXPECT_EQ(Text(events[2].at("eventName")), "ObjectTagging:Put");
  EXPECT_EQ(Text(events[3].at("eventName")), "ObjectRemoved:Delete");
  EXPECT_EQ(Text(events[3].at("s3").at("configurationId")), "removed");
  EXPECT_FALSE(events[3].at("s3").at("object").as_object().contains("size"));
  EXPECT_FALSE(events[3].at("s3").at("object").as_object().contains("eTag"));

  // Versioned: a delete without a version id leaves a marker.
  ASSERT_EQ(s3.Send("PUT", "/bucket?versioning",
                    "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
                .status,
            200);
  ASSERT_EQ(s3.Send("PUT", "/bucket/v", "one").status, 200);
  ASSERT_EQ(s3.Send("DELETE", "/bucket/v").status, 204);
  events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].at("s3").at("object").as_object().contains("versionId"));
  EXPECT_EQ(Text(events[1].at("eventName")), "ObjectRemoved:DeleteMarkerCreated");
  EXPECT_TRUE(events[1].at("s3").at("object").as_object().contains("versionId"));

  // A failed write sends nothing.
  ASSERT_EQ(s3.Send("PUT", "/bucket/v2", "x").status, 200);
  ASSERT_EQ(s3.Send("PUT", "/bucket/v2", "x", {{"if-none-match", "*"}}).status, 412);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(NotificationsTest, PrefixAndSuffixFiltersAndTopics) {
  ConfigureOk(QueueConfig(kQueue, {"s3:ObjectCreated:Put"}, Rule("Prefix", "in/") + Rule("Suffix", ".csv")) +
              "<TopicConfiguration><Topic>" + kTopic + "</Topic><Event>s3:ObjectCreated:Put</Event><Filter><S3Key>" +
              Rule("Prefix", "out/") + "</S3Key></Filter></TopicConfiguration>");
  for (const char* key : {"in/a.csv", "in/a.json", "out/a.csv", "In/a.csv", "in/.csv", "a.csv", "in/x/y.csv"}) {
    ASSERT_EQ(s3.Send("PUT", std::string("/bucket/") + key, "x").status, 200) << key;
  }
  std::vector<std::string> keys;
  for (const auto& event : Events()) keys.push_back(Text(event.at("s3").at("object").at("key")));
  EXPECT_EQ(keys, (std::vector<std::string>{"in/a.csv", "in/.csv", "in/x/y.csv"}));
  ASSERT_EQ(sns->sent.size(), 1u);
  auto published = json::parse(sns->sent[0].input.at("Message").as_string());
  EXPECT_EQ(Text(published.at("Records").at(0).at("s3").at("object").at("key")), "out/a.csv");
}

// The matcher the test trusts: characters compared one by one from each end.
bool ReferenceMatches(const std::string& key, const std::string* prefix, const std::string* suffix) {
  if (prefix != nullptr) {
    if (prefix->size() > key.size()) return false;
    for (std::size_t i = 0; i < prefix->size(); ++i) {
      if ((*prefix)[i] != key[i]) return false;
    }
  }
  if (suffix != nullptr) {
    if (suffix->size() > key.size()) return false;
    for (std::size_t i = 1; i <= suffix->size(); ++i) {
      if ((*suffix)[suffix->size() - i] != key[key.size() - i]) return false;
    }
  }
  return true;
}

TEST_F(NotificationsTest, RandomFiltersMatchAnIndependentMatcher) {
  unsigned seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_S3_NOTIFY_SEED")) seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
  SCOPED_TRACE("MALLARD_S3_NOTIFY_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  auto text = [&](std::size_t max) {
    static const std::string alphabet = "ab/.A";
    std::string out;
    std::size_t length = random() % (max + 1);
    for (std::size_t i = 0; i < length; ++i) out.push_back(alphabet[random() % alphabet.size()]);
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> events = {
      {"s3:ObjectCreated:*", "put"}, {"s3:ObjectCreated:Put", "put"}, {"s3:ObjectCreated:Copy", "none"},
      {"s3:ObjectRemoved:*", "delete"}, {"s3:ObjectRemoved:Delete", "delete"},
      {"s3:ObjectRemoved:DeleteMarkerCreated", "none"}};
  for (int round = 0; round < 300; ++round) {
    std::string prefix = text(3);
    std::string suffix = text(3);
    bool has_prefix = random() % 2 == 0;
    bool has_suffix = random() % 2 == 0;
    const auto& [event, fires_on] = events[random() % events.size()];
    std::string rules = (has_prefix ? Rule("Prefix", prefix) : "") + (has_suffix ? Rule("Suffix", suffix) : "");
    ConfigureOk(QueueConfig(kQueue, {event}, rules));
    std::string key = text(6);
    if (key.empty() || key.find("//") != std::string::npos || key.front() == '/' || key == "." || key == "..") key = "k" + key;
    bool matches = ReferenceMatches(key, has_prefix ? &prefix : nullptr, has_suffix ? &suffix : nullptr);
    std::string path = "/bucket/" + key;
    ASSERT_EQ(s3.Send("PUT", path, "x").status, 200) << key;
    auto put_events = Events();
    EXPECT_EQ(put_events.size(), matches && fires_on == "put" ? 1u : 0u)
        << "key " << key << " prefix " << (has_prefix ? prefix : "-") << " suffix " << (has_suffix ? suffix : "-")
        << " event " << event;
    ASSERT_EQ(s3.Send("DELETE", path).status, 204);
    auto delete_events = Events();
    EXPECT_EQ(delete_events.size(), matches && fires_on == "delete" ? 1u : 0u) << "key " << key << " event " << event;
  }
}

TEST(NotificationPieces, EventCoversWildcardsOnlyWithinTheirFamily) {
  EXPECT_TRUE(EventCovers("s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload"));
  EXPECT_TRUE(EventCovers("s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated"));
  EXPECT_FALSE(EventCovers("s3:ObjectRemoved:*", "LifecycleExpiration:Delete"));
  EXPECT_TRUE(EventCovers("s3:LifecycleExpiration:*", "LifecycleExpiration:DeleteMarkerCreated"));
  EXPECT_FALSE(EventCovers("s3:ObjectCreated:Put", "ObjectCreated:Post"));
  EXPECT_FALSE(EventCovers("ObjectCreated:Put", "ObjectCreated:Put"));
  EXPECT_FALSE(EventCovers("s3:Object*", "ObjectCreated:Put"));
}

TEST(NotificationPieces, KeysAreEncodedAsS3Does) {
  EXPECT_EQ(EncodeEventKey("a b/c"), "a+b/c");
  EXPECT_EQ(EncodeEventKey("x+y=z&?"), "x%2By%3Dz%26%3F");
  EXPECT_EQ(EncodeEventKey("é"), "%C3%A9");
  EXPECT_EQ(EncodeEventKey("A-Z_a.z*0/9"), "A-Z_a.z*0/9");
}

}  // namespace
}  // namespace mallard::s3

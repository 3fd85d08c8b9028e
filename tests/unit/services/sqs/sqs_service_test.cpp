// SqsService behaviour against the in-memory store, with a clock the tests move by hand.
#include "services/sqs/sqs_service.hpp"

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <vector>
#include <future>
#include <thread>

#include "services/sqs/memory/memory_sqs_store.hpp"

namespace mallard::sqs {
namespace json = boost::json;
namespace asio = boost::asio;

class SqsServiceTest : public ::testing::Test {
 protected:
  SqsServiceTest()
      : work_(asio::make_work_guard(io_)),
        service_(std::make_unique<MemorySqsStore>(),
                 services::ServiceContext{io_.get_executor(), nullptr, [this] { return now_.load(); }}) {
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SqsServiceTest() override {
    service_.Shutdown();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  protocol::OperationResult Call(const std::string& operation, const std::string& input) {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = json::parse(input).as_object();
    request.context.account_id = "000000000000";
    request.context.region = "us-east-1";
    request.context.endpoint_base = "http://h";
    request.context.access_key_id = "AKIATEST";
    std::promise<protocol::OperationResult> promise;
    auto future = promise.get_future();
    service_.Invoke(std::move(request), [&promise](protocol::OperationResult result) { promise.set_value(std::move(result)); });
    return future.get();
  }
  json::object Ok(const std::string& operation, const std::string& input) {
    auto result = Call(operation, input);
    EXPECT_TRUE(result.ok()) << operation << ": " << (result.ok() ? "" : result.error().code + " " + result.error().message);
    return result.ok() ? result.value() : json::object();
  }
  std::string Error(const std::string& operation, const std::string& input) {
    auto result = Call(operation, input);
    return result.ok() ? "OK" : result.error().code;
  }
  json::array Receive(const std::string& url, int max = 10, const std::string& extra = "") {
    auto output = Ok("ReceiveMessage", R"({"QueueUrl":")" + url + R"(","MaxNumberOfMessages":)" + std::to_string(max) +
                                           R"(,"AttributeNames":["All"])" + extra + "}");
    return output.contains("Messages") ? output["Messages"].as_array() : json::array();
  }
  std::string Create(const std::string& name, const std::string& attributes = "{}") {
    return std::string(
        Ok("CreateQueue", R"({"QueueName":")" + name + R"(","Attributes":)" + attributes + "}")["QueueUrl"].as_string());
  }
  void Send(const std::string& url, const std::string& body, const std::string& extra = "") {
    Ok("SendMessage", R"({"QueueUrl":")" + url + R"(","MessageBody":")" + body + "\"" + extra + "}");
  }
  void Advance(std::int64_t millis) { now_ += millis; }

  std::atomic<std::int64_t> now_{1'700'000'000'000};
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  SqsService service_;
  std::thread thread_;
};

TEST_F(SqsServiceTest, CreateIsIdempotentOnlyForMatchingAttributes) {
  auto url = Create("q", R"({"VisibilityTimeout":"10"})");
  EXPECT_EQ(url, "http://h/000000000000/q");
  EXPECT_EQ(Create("q", R"({"VisibilityTimeout":"10"})"), url);
  EXPECT_EQ(Error("CreateQueue", R"({"QueueName":"q","Attributes":{"VisibilityTimeout":"11"}})"), "QueueNameExists");
  EXPECT_EQ(Error("CreateQueue", R"({"QueueName":"q2","Attributes":{"VisibilityTimeout":"43201"}})"), "InvalidAttributeValue");
  EXPECT_EQ(Error("CreateQueue", R"({"QueueName":"q2","Attributes":{"Bogus":"1"}})"), "InvalidAttributeName");
  EXPECT_EQ(Error("CreateQueue", R"({"QueueName":"q3","Attributes":{"FifoQueue":"true"}})"), "InvalidParameterValueException");
}

TEST_F(SqsServiceTest, VisibilityTimeoutHidesAndThenRevealsAMessage) {
  auto url = Create("q", R"({"VisibilityTimeout":"5"})");
  Send(url, "m1");
  auto first = Receive(url);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(Receive(url).empty());
  Advance(5000);
  auto again = Receive(url);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].at("Attributes").at("ApproximateReceiveCount"), "2");
  // The earlier receipt no longer deletes the message; the current one does.
  Ok("DeleteMessage", R"({"QueueUrl":")" + url + R"(","ReceiptHandle":")" +
                          std::string(first[0].at("ReceiptHandle").as_string()) + "\"}");
  Ok("ChangeMessageVisibility", R"({"QueueUrl":")" + url + R"(","VisibilityTimeout":0,"ReceiptHandle":")" +
                                    std::string(again[0].at("ReceiptHandle").as_string()) + "\"}");
  auto third = Receive(url);
  ASSERT_EQ(third.size(), 1u);
  Ok("DeleteMessage", R"({"QueueUrl":")" + url + R"(","ReceiptHandle":")" +
                          std::string(third[0].at("ReceiptHandle").as_string()) + "\"}");
  Advance(60000);
  EXPECT_TRUE(Receive(url).empty());
  EXPECT_EQ(Error("DeleteMessage", R"({"QueueUrl":")" + url + R"(","ReceiptHandle":"garbage"})"), "ReceiptHandleIsInvalid");
}

TEST_F(SqsServiceTest, VisibilityCannotExtendPastTwelveHoursFromTheReceive) {
  auto url = Create("q");
  Send(url, "long job");
  auto received = Receive(url, 1);
  ASSERT_EQ(received.size(), 1u);
  std::string change = R"({"QueueUrl":")" + url + R"(","ReceiptHandle":")" +
                       std::string(received[0].at("ReceiptHandle").as_string()) + R"(","VisibilityTimeout":)";
  Advance(20000);
  Ok("ChangeMessageVisibility", change + "43180}");
  EXPECT_EQ(Error("ChangeMessageVisibility", change + "43181}"), "InvalidParameterValueException");
}

TEST_F(SqsServiceTest, DelayAndCounts) {
  auto url = Create("q", R"({"DelaySeconds":"10"})");
  Send(url, "delayed");
  Send(url, "now", R"(,"DelaySeconds":0)");
  auto attributes = Ok("GetQueueAttributes", R"({"QueueUrl":")" + url + R"(","AttributeNames":["All"]})")["Attributes"];
  EXPECT_EQ(attributes.at("ApproximateNumberOfMessages"), "1");
  EXPECT_EQ(attributes.at("ApproximateNumberOfMessagesDelayed"), "1");
  auto received = Receive(url);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].at("Body"), "now");
  attributes = Ok("GetQueueAttributes", R"({"QueueUrl":")" + url + R"(","AttributeNames":["ApproximateNumberOfMessagesNotVisible"]})")["Attributes"];
  EXPECT_EQ(attributes.as_object().size(), 1u);
  EXPECT_EQ(attributes.at("ApproximateNumberOfMessagesNotVisible"), "1");
  Advance(10000);
  EXPECT_EQ(Receive(url).size(), 1u);
}

TEST_F(SqsServiceTest, RetentionDropsOldMessages) {
  auto url = Create("q", R"({"MessageRetentionPeriod":"60"})");
  Send(url, "old");
  Advance(60000);
  EXPECT_TRUE(Receive(url).empty());
}

TEST_F(SqsServiceTest, FifoKeepsGroupOrderLocksGroupsAndDeduplicates) {
  auto url = Create("q.fifo", R"({"FifoQueue":"true"})");
  EXPECT_EQ(Error("SendMessage", R"({"QueueUrl":")" + url + R"(","MessageBody":"x","MessageDeduplicationId":"d"})"),
            "MissingRequiredParameterException");
  EXPECT_EQ(Error("SendMessage", R"({"QueueUrl":")" + url + R"(","MessageBody":"x","MessageGroupId":"g"})"),
            "InvalidParameterValueException");
  for (const char* body : {"a1", "a2", "a3"}) {
    Send(url, body, std::string(R"(,"MessageGroupId":"A","MessageDeduplicationId":")") + body + "\"");
  }
  Send(url, "b1", R"(,"MessageGroupId":"B","MessageDeduplicationId":"b1")");
  Send(url, "a1-again", R"(,"MessageGroupId":"A","MessageDeduplicationId":"a1")");  // duplicate: dropped
  auto first = Receive(url, 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].at("Body"), "a1");
  // Group A is locked while a1 is in flight; only B is available.
  auto second = Receive(url, 10);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].at("Body"), "b1");
  Ok("DeleteMessage", R"({"QueueUrl":")" + url + R"(","ReceiptHandle":")" +
                          std::string(first[0].at("ReceiptHandle").as_string()) + "\"}");
  auto rest = Receive(url, 10);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].at("Body"), "a2");
  EXPECT_EQ(rest[1].at("Body"), "a3");
  EXPECT_LT(std::string(rest[0].at("Attributes").at("SequenceNumber").as_string()),
            std::string(rest[1].at("Attributes").at("SequenceNumber").as_string()));
}

TEST_F(SqsServiceTest, FifoRefusesAnExpiredReceipt) {
  auto url = Create("q.fifo", R"({"FifoQueue":"true","ContentBasedDeduplication":"true","VisibilityTimeout":"5"})");
  Send(url, "one", R"(,"MessageGroupId":"g")");
  auto first = Receive(url, 1);
  ASSERT_EQ(first.size(), 1u);
  Advance(5000);
  EXPECT_EQ(Error("DeleteMessage", R"({"QueueUrl":")" + url + R"(","ReceiptHandle":")" +
                                       std::string(first[0].at("ReceiptHandle").as_string()) + "\"}"),
            "InvalidParameterValueException");
  auto again = Receive(url, 1);
  ASSERT_EQ(again.size(), 1u);
  Ok("DeleteMessage", R"({"QueueUrl":")" + url + R"(","ReceiptHandle":")" +
                          std::string(again[0].at("ReceiptHandle").as_string()) + "\"}");
}

TEST_F(SqsServiceTest, FifoReceiveRetryWithAttemptIdReturnsTheSameMessages) {
  auto url = Create("q.fifo", R"({"FifoQueue":"true","ContentBasedDeduplication":"true"})");
  Send(url, "one", R"(,"MessageGroupId":"g")");
  Send(url, "two", R"(,"MessageGroupId":"h")");
  auto first = Receive(url, 1, R"(,"ReceiveRequestAttemptId":"attempt-1")");
  auto retried = Receive(url, 1, R"(,"ReceiveRequestAttemptId":"attempt-1")");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(retried.size(), 1u);
  EXPECT_EQ(retried[0].at("ReceiptHandle"), first[0].at("ReceiptHandle"));
  EXPECT_EQ(retried[0].at("Attributes").at("ApproximateReceiveCount"), "1");
  auto other = Receive(url, 1, R"(,"ReceiveRequestAttemptId":"attempt-2")");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].at("Body"), "two");
}

TEST_F(SqsServiceTest, RedriveMovesToDeadLetterQueueAndMoveTaskBringsItBack) {
  auto dlq = Create("dlq");
  auto source = Create("src", R"({"VisibilityTimeout":"1","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"2\"}"})");
  EXPECT_EQ(Error("SetQueueAttributes", R"({"QueueUrl":")" + source + R"(","Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:none\",\"maxReceiveCount\":2}"}})"),
            "InvalidParameterValueException");
  Send(source, "poison");
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_EQ(Receive(source).size(), 1u);
    Advance(1000);
  }
  EXPECT_TRUE(Receive(source).empty());
  auto dead = Receive(dlq);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].at("Attributes").at("DeadLetterQueueSourceArn"), "arn:aws:sqs:us-east-1:000000000000:src");
  auto sources = Ok("ListDeadLetterSourceQueues", R"({"QueueUrl":")" + dlq + "\"}");
  EXPECT_EQ(sources["queueUrls"].as_array().size(), 1u);

  Ok("ChangeMessageVisibility", R"({"QueueUrl":")" + dlq + R"(","VisibilityTimeout":0,"ReceiptHandle":")" +
                                    std::string(dead[0].at("ReceiptHandle").as_string()) + "\"}");
  Ok("StartMessageMoveTask", R"({"SourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq"})");
  json::array back;
  for (int wait = 0; wait < 100 && back.empty(); ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    back = Receive(source);
  }
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].at("Body"), "poison");
  auto tasks = Ok("ListMessageMoveTasks", R"({"SourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq"})");
  EXPECT_EQ(tasks["Results"].as_array()[0].at("Status"), "COMPLETED");
}

TEST_F(SqsServiceTest, LongPollWakesOnSend) {
  auto url = Create("q");
  auto future = std::async(std::launch::async, [&] { return Receive(url, 1, R"(,"WaitTimeSeconds":20)"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto started = std::chrono::steady_clock::now();
  Send(url, "wake");
  auto received = future.get();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].at("Body"), "wake");
}

TEST_F(SqsServiceTest, BatchReportsPerEntryFailures) {
  auto url = Create("q");
  auto output = Ok("SendMessageBatch", R"({"QueueUrl":")" + url +
                                           R"(","Entries":[{"Id":"a","MessageBody":"ok"},{"Id":"b","MessageBody":"x","DelaySeconds":901}]})");
  EXPECT_EQ(output["Successful"].as_array().size(), 1u);
  EXPECT_EQ(output["Failed"].as_array().size(), 1u);
  EXPECT_EQ(output["Failed"].as_array()[0].at("Id"), "b");
  EXPECT_EQ(Error("SendMessageBatch", R"({"QueueUrl":")" + url + R"(","Entries":[]})"), "EmptyBatchRequest");
  EXPECT_EQ(Error("SendMessageBatch", R"({"QueueUrl":")" + url + R"(","Entries":[{"Id":"a","MessageBody":"1"},{"Id":"a","MessageBody":"2"}]})"),
            "BatchEntryIdsNotDistinct");
  std::string many = R"({"QueueUrl":")" + url + R"(","Entries":[)";
  for (int i = 0; i < 11; ++i) many += std::string(i ? "," : "") + R"({"Id":"e)" + std::to_string(i) + R"(","MessageBody":"m"})";
  EXPECT_EQ(Error("SendMessageBatch", many + "]}"), "TooManyEntriesInBatchRequest");
}

TEST_F(SqsServiceTest, PurgeOncePerMinute) {
  auto url = Create("q");
  Send(url, "m");
  Ok("PurgeQueue", R"({"QueueUrl":")" + url + "\"}");
  EXPECT_TRUE(Receive(url).empty());
  EXPECT_EQ(Error("PurgeQueue", R"({"QueueUrl":")" + url + "\"}"), "PurgeQueueInProgress");
  Advance(60000);
  Ok("PurgeQueue", R"({"QueueUrl":")" + url + "\"}");
}

TEST_F(SqsServiceTest, ListQueuesPagesInNameOrder) {
  for (const char* name : {"c", "a", "b"}) Create(name);
  auto page = Ok("ListQueues", R"({"MaxResults":2})");
  ASSERT_EQ(page["QueueUrls"].as_array().size(), 2u);
  EXPECT_EQ(page["QueueUrls"].as_array()[0], "http://h/000000000000/a");
  auto next = Ok("ListQueues", R"({"MaxResults":2,"NextToken":")" + std::string(page["NextToken"].as_string()) + "\"}");
  ASSERT_EQ(next["QueueUrls"].as_array().size(), 1u);
  EXPECT_EQ(next["QueueUrls"].as_array()[0], "http://h/000000000000/c");
  EXPECT_FALSE(next.contains("NextToken"));
}


// ---- /_aws/sqs/messages (sqs_developer_api.cpp) ---------------------------------------------

namespace {
http::HttpResponse Answer(SqsService& service, const std::string& method, const std::string& target,
                          const std::string& accept = "") {
  http::HttpRequest request;
  request.method = method;
  request.target = target;
  auto question = target.find('?');
  request.path = target.substr(0, question);
  request.query = question == std::string::npos ? std::string() : target.substr(question + 1);
  if (!accept.empty()) request.headers.emplace_back("accept", accept);
  std::promise<http::HttpResponse> promise;
  auto future = promise.get_future();
  service.HandleHttp(request, [&promise](http::HttpResponse response) { promise.set_value(std::move(response)); });
  return future.get();
}

// The listed messages as (body, receive count, IsVisible or "-") from the JSON answer.
std::vector<std::string> Listed(const http::HttpResponse& response) {
  std::vector<std::string> listed;
  auto document = json::parse(response.body).as_object();
  const auto& result = document["ReceiveMessageResponse"].as_object()["ReceiveMessageResult"];
  if (result.is_null()) return listed;
  json::value messages = result.as_object().at("Message");
  if (!messages.is_array()) messages = json::array{messages};
  for (const auto& message : messages.as_array()) {
    std::map<std::string, std::string> attributes;
    for (const auto& attribute : message.as_object().at("Attribute").as_array()) {
      attributes[std::string(attribute.at("Name").as_string())] = std::string(attribute.at("Value").as_string());
    }
    listed.push_back(std::string(message.at("Body").as_string()) + "/" + attributes["ApproximateReceiveCount"] + "/" +
                     (attributes.count("IsVisible") ? attributes["IsVisible"] : "-"));
  }
  return listed;
}
}  // namespace

TEST_F(SqsServiceTest, DeveloperEndpointAnswersOnlyItsPaths) {
  for (const char* path : {"/_aws/sqs/messages", "/_aws/sqs/messages/us-east-1/000000000000/q"}) {
    EXPECT_TRUE(service_.AnswersPath(path)) << path;
  }
  for (const char* path : {"/_aws/sqs/messages/", "/_aws/sqs/messagesx", "/_aws/sqs/messages/us-east-1/000000000000",
                           "/_aws/sqs/messages/us-east-1//q", "/_aws/sqs/messages/a/b/c/d", "/_aws/sqs", "/_aws/sns/sms-messages"}) {
    EXPECT_FALSE(service_.AnswersPath(path)) << path;
  }
}

TEST_F(SqsServiceTest, DeveloperEndpointFollowsTheClockWithoutReceiving) {
  auto url = Create("peeked", R"({"MessageRetentionPeriod":"60"})");
  Send(url, "a");
  Send(url, "b");
  ASSERT_EQ(Receive(url, 1).size(), 1u);
  const std::string target = "/_aws/sqs/messages/us-east-1/000000000000/peeked?ShowInvisible=true";
  auto answer = Answer(service_, "GET", target, "application/json");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Listed(answer), (std::vector<std::string>{"a/1/false", "b/0/true"}));
  EXPECT_EQ(Listed(Answer(service_, "GET", "/_aws/sqs/messages?QueueUrl=" + url, "application/json")),
            (std::vector<std::string>{"b/0/-"}));
  // The visibility timeout ends: "a" is listed visible again, still received once.
  Advance(30'000);
  EXPECT_EQ(Listed(Answer(service_, "GET", target, "application/json")),
            (std::vector<std::string>{"a/1/true", "b/0/true"}));
  auto again = Receive(url, 10);
  ASSERT_EQ(again.size(), 2u);
  std::map<std::string, std::string> counts;
  for (const auto& message : again) {
    counts[std::string(message.at("Body").as_string())] =
        std::string(message.at("Attributes").at("ApproximateReceiveCount").as_string());
  }
  EXPECT_EQ(counts, (std::map<std::string, std::string>{{"a", "2"}, {"b", "1"}}));
  // Past the retention period the messages are gone, as for a receive.
  Advance(61'000);
  EXPECT_TRUE(Listed(Answer(service_, "GET", target, "application/json")).empty());
  // XML by default; a missing queue in awsQuery's words.
  auto xml = Answer(service_, "GET", target);
  EXPECT_NE(xml.body.find("<ReceiveMessageResponse"), std::string::npos) << xml.body;
  auto missing = Answer(service_, "GET", "/_aws/sqs/messages/us-east-1/000000000000/absent");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("AWS.SimpleQueueService.NonExistentQueue"), std::string::npos) << missing.body;
  EXPECT_EQ(Answer(service_, "DELETE", target).status, 405);
}

}  // namespace mallard::sqs

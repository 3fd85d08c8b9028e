// LocalStack's SQS developer endpoint, so that suites written against LocalStack work unchanged:
//   GET|POST /_aws/sqs/messages?QueueUrl=…[&ShowInvisible=true][&ShowDelayed=true]
//   GET      /_aws/sqs/messages/<region>/<account id>/<queue name>[?ShowInvisible=…&ShowDelayed=…]
// lists a queue's messages in ReceiveMessage's response shape without receiving them: no receive
// count, visibility or receipt handle changes (SqsStore::PeekMessages). Visible messages always;
// in-flight ones with ShowInvisible (each then carries the extra attribute IsVisible), delayed ones
// with ShowDelayed (IsDelayed). Every message carries all of its attributes, and the receipt handle
// LocalStack gives, "SQS/BACKDOOR/ACCESS" (not one that deletes anything).
//
// The answer is awsQuery XML; with `Accept: application/json`, the same document in the JSON form
// LocalStack derives from its XML (xmltodict: a repeated element is a list, a single one an object).
// The endpoint also serves as a boto client's endpoint_url: a form request must be
// Action=ReceiveMessage and an awsJson request AmazonSQS.ReceiveMessage (anything else is
// InvalidRequest), and the awsJson one is answered in awsJson. Listing order is send order (each
// FIFO group's order too); LocalStack lists in-flight messages first, which no test relies on.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <cctype>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "protocol/aws_json.hpp"
#include "protocol/aws_query.hpp"
#include "protocol/sigv4.hpp"
#include "services/sqs/model/sqs_attributes.hpp"
#include "services/sqs/model/sqs_errors.hpp"
#include "services/sqs/model/sqs_shapes.hpp"
#include "services/sqs/sqs_service.hpp"

namespace mallard::sqs {
namespace json = boost::json;

namespace {

constexpr std::string_view kMessagesPath = "/_aws/sqs/messages";
constexpr const char* kBackdoorReceipt = "SQS/BACKDOOR/ACCESS";

// How the answer is written: awsJson for an awsJson client, otherwise awsQuery's document as XML
// or (Accept: application/json) as LocalStack's JSON rendering of that XML.
enum class AnswerFormat : unsigned char { Xml, XmlAsJson, AwsJson };

struct PeekRequest {
  std::string region;  // empty: the request's SigV4 region, else the server's default
  std::string account_id;
  std::string queue_name;
  bool show_invisible = false;
  bool show_delayed = false;
};

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// The media type of a header value, lower-cased, without parameters ("text/xml; charset=…").
std::string MediaType(const std::string* header) {
  if (header == nullptr) return {};
  std::string_view value = *header;
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return Lower(value);
}

AnswerFormat FormatOf(const http::HttpRequest& request) {
  const std::string content_type = MediaType(request.Header("content-type"));
  if (content_type == "application/x-amz-json-1.0") return AnswerFormat::AwsJson;
  // LocalStack's serializer: the Accept header when it names a type, else the request's own
  // Content-Type; XML unless JSON is what is asked for.
  const std::string* accept = request.Header("accept");
  std::string wanted = accept != nullptr && MediaType(accept) != "*/*" ? Lower(*accept) : content_type;
  auto json_at = wanted.find("application/json");
  if (json_at == std::string::npos) return AnswerFormat::Xml;
  auto xml_at = std::min(wanted.find("text/xml"), wanted.find("application/xml"));
  return xml_at < json_at ? AnswerFormat::Xml : AnswerFormat::XmlAsJson;
}

bool IsTrue(const protocol::FormParameters& values, const char* name) {
  auto found = values.find(name);
  if (found == values.end()) return false;
  auto value = Lower(found->second);
  return value == "true" || value == "1";
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  while (true) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return parts;
    path.remove_prefix(slash + 1);
  }
}

// LocalStack's parse_queue_url: the queue URL of any of its endpoint strategies (standard
// "sqs.<region>.…/<account>/<name>", domain "<region>.queue.…/<account>/<name>", path
// "…/queue/<region>/<account>/<name>") or Mallard's "…/<account>/<name>", whose region is the
// request's. Anything else is not an address (nullopt).
std::optional<PeekRequest> ParseQueueUrl(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  url = url.substr(0, url.find_first_of("?#"));
  std::string_view host;
  std::string_view path = url;
  auto after_scheme = url.find("://");
  if (after_scheme != std::string_view::npos || url.substr(0, 2) == "//") {
    std::string_view rest = url.substr(after_scheme == std::string_view::npos ? 2 : after_scheme + 3);
    auto slash = rest.find('/');
    host = rest.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  auto parts = SplitPath(path);
  if (parts.size() != 2 && parts.size() != 4) return std::nullopt;
  PeekRequest peek;
  peek.account_id = PercentDecode(parts[parts.size() - 2]).value_or(std::string(parts[parts.size() - 2]));
  peek.queue_name = PercentDecode(parts.back()).value_or(std::string(parts.back()));
  std::vector<std::string> labels;  // the host's dot-separated labels
  for (std::size_t start = 0;;) {
    auto dot = host.find('.', start);
    labels.emplace_back(host.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() == 4) {
    if (parts[0] != "queue") return std::nullopt;
    peek.region = std::string(parts[1]);
  } else if (host.substr(0, 4) == "sqs.") {
    peek.region = labels.size() > 1 ? labels[1] : std::string();
  } else if (host.find(".queue.") != std::string_view::npos) {
    if (labels.size() < 2 || labels[1] != "queue") return std::nullopt;
    peek.region = labels[0];
  } else if (host.substr(0, 5) == "queue") {
    peek.region = "us-east-1";
  }
  return peek;
}

// The awsQuery document as LocalStack's xmltodict renders it: elements in the shape's order, a
// text-only element as its text (null when empty), a repeated element as a list, a single one as
// an object.
json::value Text(std::string_view text) { return text.empty() ? json::value(nullptr) : json::value(json::string(text)); }

json::value OneOrMany(json::array items) {
  if (items.size() == 1) return std::move(items[0]);
  return items;
}

json::object MessageAsXmlJson(const json::object& message) {
  json::object out;
  for (const char* name : {"MessageId", "ReceiptHandle", "MD5OfBody", "Body"}) {
    if (const auto* value = message.if_contains(name)) out[name] = Text(value->as_string());
  }
  if (const auto* attributes = message.if_contains("Attributes")) {
    json::array entries;
    for (const auto& [name, value] : attributes->as_object()) {
      entries.push_back(json::object{{"Name", Text(name)}, {"Value", Text(value.as_string())}});
    }
    if (!entries.empty()) out["Attribute"] = OneOrMany(std::move(entries));
  }
  if (const auto* md5 = message.if_contains("MD5OfMessageAttributes")) out["MD5OfMessageAttributes"] = Text(md5->as_string());
  if (const auto* attributes = message.if_contains("MessageAttributes")) {
    json::array entries;
    for (const auto& [name, value] : attributes->as_object()) {
      json::object typed;
      const auto& fields = value.as_object();
      for (const char* field : {"StringValue", "BinaryValue", "DataType"}) {
        if (const auto* text = fields.if_contains(field)) typed[field] = Text(text->as_string());
      }
      entries.push_back(json::object{{"Name", Text(name)}, {"Value", std::move(typed)}});
    }
    if (!entries.empty()) out["MessageAttribute"] = OneOrMany(std::move(entries));
  }
  return out;
}

http::HttpResponse JsonResponse(int status, const json::object& body) {
  http::HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", "application/json");
  response.body = protocol::SerializeJson(body);
  return response;
}

const std::string& QueryNamespace() {
  static const std::string xmlns = "http://queue.amazonaws.com/doc/2012-11-05/";
  return xmlns;
}

http::HttpResponse RenderError(AwsError error, AnswerFormat format, const std::string& request_id) {
  if (format == AnswerFormat::AwsJson) {
    return protocol::RenderJsonError(error, protocol::JsonErrorStyle{false, "com.amazonaws.sqs#", true}, request_id);
  }
  // SQS's awsQuery wording of a missing queue, as ReceiveMessage itself answers it.
  if (error.code == "QueueDoesNotExist") error.message = "The specified queue does not exist for this wsdl version.";
  if (format == AnswerFormat::Xml) return protocol::RenderQueryError(error, protocol::QueryStyle{QueryNamespace()}, request_id);
  json::object detail{{"Code", error.query_code.empty() ? error.code : error.query_code},
                      {"Message", Text(error.message)},
                      {"Type", error.fault == FaultSide::Sender ? "Sender" : "Receiver"}};
  return JsonResponse(error.http_status,
                      json::object{{"ErrorResponse", json::object{{"Error", std::move(detail)}, {"RequestId", request_id}}}});
}

http::HttpResponse RenderMessages(json::array messages, AnswerFormat format, const std::string& request_id) {
  if (format == AnswerFormat::AwsJson) {
    json::object output;
    if (!messages.empty()) output["Messages"] = std::move(messages);
    return protocol::RenderJsonResult(output, false, request_id);
  }
  if (format == AnswerFormat::Xml) {
    const auto* shapes = SqsOperationShapes("ReceiveMessage");
    json::object output;
    if (!messages.empty()) output["Messages"] = std::move(messages);
    return protocol::RenderQueryResult("ReceiveMessage", output, shapes->output, protocol::QueryStyle{QueryNamespace()},
                                       request_id);
  }
  json::array rendered;
  for (const auto& message : messages) rendered.push_back(MessageAsXmlJson(message.as_object()));
  json::value result = nullptr;  // <ReceiveMessageResult/>
  if (!rendered.empty()) result = json::object{{"Message", OneOrMany(std::move(rendered))}};
  json::object body{{"ReceiveMessageResponse",
                     json::object{{"ReceiveMessageResult", std::move(result)},
                                  {"ResponseMetadata", json::object{{"RequestId", request_id}}}}}};
  return JsonResponse(200, body);
}

AwsError InvalidRequest() {
  return AwsError::Make("InvalidRequest", 400, "This endpoint only accepts ReceiveMessage calls");
}

AwsError InvalidAddress() {
  return AwsError::Make("InvalidAddress", 404, "The address https://queue.amazonaws.com/ is not valid for this endpoint.");
}

// What the request asks for, or the error to answer.
Result<PeekRequest> ReadRequest(const http::HttpRequest& request, AnswerFormat format) {
  protocol::FormParameters values;  // LocalStack's request.values: query arguments, then a form body
  MALLARD_RETURN_IF_ERROR(protocol::ParseFormInto(request.query, values));
  const std::string content_type = MediaType(request.Header("content-type"));
  const bool form_body = content_type.find("x-www-form-urlencoded") != std::string::npos;
  if (form_body) MALLARD_RETURN_IF_ERROR(protocol::ParseFormInto(request.body, values));

  std::optional<PeekRequest> peek;
  if (request.path.size() > kMessagesPath.size()) {  // /_aws/sqs/messages/<region>/<account>/<name>
    auto parts = SplitPath(std::string_view(request.path).substr(kMessagesPath.size() + 1));
    peek = PeekRequest{};
    peek->region = PercentDecode(parts[0]).value_or(std::string(parts[0]));
    peek->account_id = PercentDecode(parts[1]).value_or(std::string(parts[1]));
    peek->queue_name = PercentDecode(parts[2]).value_or(std::string(parts[2]));
  } else {
    std::string queue_url;
    if (format == AnswerFormat::AwsJson || content_type.find("x-amz-") != std::string::npos || form_body) {
      // A request from an AWS client: only ReceiveMessage; its QueueUrl names the queue.
      if (format == AnswerFormat::AwsJson) {
        const std::string* target = request.Header("x-amz-target");
        if (target == nullptr || *target != "AmazonSQS.ReceiveMessage") return Fail(InvalidRequest());
        MALLARD_ASSIGN_OR_RETURN(auto body, protocol::DecodeJsonBody(request.body));
        if (const auto* url = body.if_contains("QueueUrl"); url != nullptr && url->is_string()) {
          queue_url = std::string(url->get_string());
        }
      } else {
        auto action = values.find("Action");
        if (action == values.end() || action->second != "ReceiveMessage") return Fail(InvalidRequest());
      }
    }
    if (format != AnswerFormat::AwsJson) {
      if (auto url = values.find("QueueUrl"); url != values.end()) queue_url = url->second;
    }
    if (queue_url.empty()) return Fail(errors::QueueDoesNotExist());
    peek = ParseQueueUrl(queue_url);
    if (!peek) return Fail(InvalidAddress());
  }
  peek->show_invisible = IsTrue(values, "ShowInvisible");
  peek->show_delayed = IsTrue(values, "ShowDelayed");
  return std::move(*peek);
}

}  // namespace

bool SqsService::AnswersPath(std::string_view path) const {
  if (path == kMessagesPath) return true;
  if (path.substr(0, kMessagesPath.size()) != kMessagesPath || path.size() <= kMessagesPath.size() ||
      path[kMessagesPath.size()] != '/') {
    return false;
  }
  // Exactly <region>/<account id>/<queue name>, none empty.
  auto parts = SplitPath(path.substr(kMessagesPath.size() + 1));
  return parts.size() == 3 && !parts[0].empty() && !parts[1].empty() && !parts[2].empty();
}

void SqsService::HandleHttp(const http::HttpRequest& request, http::Responder respond) {
  const AnswerFormat format = FormatOf(request);
  const std::string request_id = NewUuid();
  auto answer = [respond, request_id](http::HttpResponse response) {
    response.SetHeader("x-amzn-RequestId", request_id);
    respond(std::move(response));
  };
  if (request.method != "GET" && request.method != "POST" && request.method != "HEAD") {
    http::HttpResponse response = JsonResponse(405, json::object{{"error", "this endpoint takes GET or POST"}});
    response.SetHeader("Allow", "GET, POST, HEAD");
    return answer(std::move(response));
  }
  Result<PeekRequest> peek = ReadRequest(request, format);
  if (!peek) return answer(RenderError(std::move(peek).error(), format, request_id));
  if (peek->region.empty()) {
    auto scope = protocol::CredentialScopeOf(request);
    peek->region = scope && !scope->region.empty() ? scope->region : runtime_.default_region;
  }
  // The store reads run where store work runs (on the pool for Redis), never on this network thread.
  RunStoreWork([this, peek = std::move(peek).value(), format, request_id, answer]() {
    try {
      QueueKey key{peek.account_id, peek.region, peek.queue_name};
      auto record = store_->GetQueue(key);
      if (!record) return answer(RenderError(ToAwsError(record.error()), format, request_id));
      auto now = Now();
      // Messages past retention are gone for a receive too (GetQueueAttributes expires the same way).
      (void)store_->ExpireMessages(key, AttributeInt(record->attributes, "MessageRetentionPeriod", 345600), now);
      auto peeked = store_->PeekMessages(key, now);
      if (!peeked) return answer(RenderError(ToAwsError(peeked.error()), format, request_id));
      static const std::set<std::string> kAllSystemAttributes = {"All"};
      static const std::vector<std::string> kAllMessageAttributes = {"All"};
      json::array messages;
      for (auto& entry : *peeked) {
        const bool visible = entry.state == PeekedMessage::State::Visible;
        const bool delayed = entry.state == PeekedMessage::State::Delayed;
        if (entry.state == PeekedMessage::State::InFlight && !peek.show_invisible) continue;
        if (delayed && !peek.show_delayed) continue;
        json::object message = ReceivedMessageJson(ReceivedMessage{std::move(entry.message), kBackdoorReceipt},
                                                   kAllSystemAttributes, kAllMessageAttributes);
        auto& attributes = message["Attributes"].as_object();
        if (peek.show_invisible) attributes["IsVisible"] = visible ? "true" : "false";
        if (peek.show_delayed) attributes["IsDelayed"] = delayed ? "true" : "false";
        messages.push_back(std::move(message));
      }
      answer(RenderMessages(std::move(messages), format, request_id));
    } catch (const std::exception& e) {
      spdlog::error("sqs: {} failed: {}", kMessagesPath, e.what());
      answer(RenderError(errors::InternalFailure(""), format, request_id));
    }
  });
}

}  // namespace mallard::sqs

// What a test reads back (LocalStack's endpoints, so suites written for it work unchanged):
// GET/DELETE /_aws/sns/sms-messages and /_aws/sns/platform-endpoint-messages, GET
// /_aws/sns/subscription-tokens/{subscription arn}, POST /_aws/sns/phone-opt-outs; and the
// certificate that verifies this server's signatures, at the SigningCertURL of every message.
#include <boost/json.hpp>

#include "protocol/aws_query.hpp"
#include "services/sns/model/phone_numbers.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr std::string_view kSmsMessages = "/_aws/sns/sms-messages";
constexpr std::string_view kPlatformMessages = "/_aws/sns/platform-endpoint-messages";
constexpr std::string_view kSubscriptionTokens = "/_aws/sns/subscription-tokens/";
constexpr std::string_view kPhoneOptOuts = "/_aws/sns/phone-opt-outs";

http::HttpResponse JsonAnswer(int status, const json::value& body) {
  http::HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", "application/json");
  response.body = json::serialize(body);
  return response;
}

http::HttpResponse NoContent() {
  http::HttpResponse response;
  response.status = 204;
  return response;
}

std::string Param(const protocol::FormParameters& params, const char* name, const char* fallback) {
  auto found = params.find(name);
  return found == params.end() || found->second.empty() ? std::string(fallback) : found->second;
}

std::string Member(const json::object& object, const char* name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

}  // namespace

bool SnsService::AnswersPath(std::string_view path) const {
  // The certificate by its shape: the exact name hashes the certificate, which would make this
  // routing question (asked on a network thread) wait for the key.
  return path == kSmsMessages || path == kPlatformMessages || path == kPhoneOptOuts ||
         path.substr(0, kSubscriptionTokens.size()) == kSubscriptionTokens ||
         (path.starts_with(kCertificatePathPrefix) && path.ends_with(".pem"));
}

void SnsService::HandleHttp(const http::HttpRequest& request, http::Responder respond) {
  auto work = [self = shared_from_this(), request, respond]() {
    protocol::FormParameters params;
    (void)protocol::ParseFormInto(request.query, params);
    const std::string& path = request.path;
    auto method_not_allowed = [&](const char* allow) {
      http::HttpResponse response = JsonAnswer(405, json::object{{"error", std::string("this endpoint takes ") + allow}});
      response.SetHeader("Allow", allow);
      respond(std::move(response));
    };
    if (path == self->CertificatePath()) {
      if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET, HEAD");
      http::HttpResponse response;
      response.SetHeader("Content-Type", "application/x-x509-ca-cert");
      response.body = self->options_.signer ? self->options_.signer->CertificatePem() : std::string();
      return respond(std::move(response));
    }
    if (path.rfind(kSubscriptionTokens, 0) == 0) {
      if (request.method != "GET") return method_not_allowed("GET");
      std::string arn;
      protocol::FormParameters decoded;
      // The ARN is the rest of the path, percent-decoded as a form value would be.
      (void)protocol::ParseFormInto("arn=" + path.substr(kSubscriptionTokens.size()), decoded);
      arn = decoded["arn"];
      if (!ParseArn(arn, "SubscriptionArn")) {
        return respond(JsonAnswer(400, json::object{{"error", "The provided SubscriptionARN is invalid"},
                                                    {"subscription_arn", arn}}));
      }
      auto subscription = self->store_->Get(Collection::Subscription, arn);
      if (subscription && *subscription) {
        auto record = SubscriptionFromDocument((*subscription)->document);
        if (record && !record->token.empty()) {
          return respond(JsonAnswer(200, json::object{{"subscription_token", record->token}, {"subscription_arn", arn}}));
        }
      }
      return respond(JsonAnswer(404, json::object{{"error", "The provided SubscriptionARN is not found"},
                                                  {"subscription_arn", arn}}));
    }
    if (path == kPhoneOptOuts) {
      if (request.method != "POST") return method_not_allowed("POST");
      auto body = ParseJson(request.body);
      json::object data = body && body->is_object() ? body->get_object() : json::object{};
      std::string number = Member(data, "phoneNumber");
      if (number.empty() || !ValidE164(number)) {
        return respond(JsonAnswer(400, json::object{{"error", "phoneNumber must be an E.164 number"}}));
      }
      std::string account = Member(data, "accountId").empty() ? "000000000000" : Member(data, "accountId");
      std::string region = Member(data, "region").empty() ? "us-east-1" : Member(data, "region");
      std::string key = account + ":" + region + ":" + NormalizedPhoneNumber(number);
      auto existing = self->store_->Get(Collection::PhoneOptOut, key);
      if (existing && !*existing) (void)self->store_->Put(Collection::PhoneOptOut, key, "{}", 0);
      return respond(NoContent());
    }
    // The sent-message logs: sms by phone number, platform by endpoint ARN.
    bool sms = path == kSmsMessages;
    const char* channel = sms ? "sms" : "platform";
    const char* key_member = sms ? "PhoneNumber" : "TargetArn";
    std::string filter = Param(params, sms ? "phoneNumber" : "endpointArn", "");
    std::string account = Param(params, "accountId", "000000000000");
    std::string region = Param(params, "region", "us-east-1");
    if (!sms && !filter.empty()) {
      if (auto arn = ParseArn(filter, "endpointArn")) {
        account = arn->account;
        region = arn->region;
      }
    }
    if (request.method != "GET" && request.method != "DELETE") return method_not_allowed("GET, DELETE");
    auto sent = self->store_->ReadSent(channel);
    if (!sent) return respond(JsonAnswer(503, json::object{{"error", sent.error().detail}}));
    auto selected = [&](const json::object& record) {
      return Member(record, "AccountId") == account && Member(record, "Region") == region &&
             (filter.empty() || Member(record, key_member) == filter);
    };
    if (request.method == "DELETE") {
      std::vector<std::string> kept;
      for (const auto& text : *sent) {
        auto record = ParseJson(text);
        if (!record || !record->is_object() || !selected(record->get_object())) kept.push_back(text);
      }
      (void)self->store_->ClearSent(channel);
      for (auto& text : kept) (void)self->store_->AppendSent(channel, std::move(text));
      return respond(NoContent());
    }
    json::object by_key;
    if (!filter.empty()) by_key[filter] = json::array{};
    static const char* kSmsFields[] = {"PhoneNumber", "TopicArn", "SubscriptionArn", "MessageId", "Message",
                                       "MessageAttributes", "MessageStructure", "Subject"};
    static const char* kPlatformFields[] = {"TargetArn", "TopicArn", "Message", "MessageAttributes",
                                            "MessageStructure", "Subject", "MessageId"};
    for (const auto& text : *sent) {
      auto record = ParseJson(text);
      if (!record || !record->is_object() || !selected(record->get_object())) continue;
      json::object shown;
      const auto& fields = record->get_object();
      auto copy = [&](const char* name) {
        if (const json::value* value = fields.if_contains(name)) shown[name] = *value;
      };
      if (sms) {
        for (const char* name : kSmsFields) copy(name);
      } else {
        for (const char* name : kPlatformFields) copy(name);
      }
      json::value& list = by_key[Member(fields, key_member)];
      if (!list.is_array()) list = json::array{};
      list.get_array().push_back(std::move(shown));
    }
    respond(JsonAnswer(200, json::object{{sms ? "sms_messages" : "platform_endpoint_messages", std::move(by_key)},
                                         {"region", region}}));
  };
  // Inline only when nothing in it can wait: every path compares itself with the certificate's
  // name, which needs the key, still being made right after start.
  if (options_.store_in_process && (!options_.signer || options_.signer->KeyReady())) return work();
  RunDeliveryWork(std::move(work));
}

}  // namespace mallard::sns

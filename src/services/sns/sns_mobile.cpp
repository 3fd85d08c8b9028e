// SMS and mobile push, as records a test can read (nothing leaves the machine): SMS settings,
// opt-outs and the sandbox's destination numbers per account and region; platform applications
// and their endpoints; and what was "sent" to phones and devices, for the inspection endpoints.
#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "common/ids.hpp"
#include "services/sns/model/phone_numbers.hpp"
#include "services/sns/model/sns_errors.hpp"
#include "services/sns/sns_delivery.hpp"
#include "services/sns/sns_input.hpp"
#include "services/sns/sns_service.hpp"

namespace mallard::sns {
namespace json = boost::json;

namespace {

constexpr std::size_t kPageSize = 100;

std::string AccountScope(const RequestContext& context) { return context.account_id + ":" + context.region; }

const std::set<std::string>& Platforms() {
  static const std::set<std::string> platforms = {"ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "BAIDU",
                                                  "GCM", "MACOS", "MACOS_SANDBOX", "MPNS", "WNS"};
  return platforms;
}

const std::set<std::string>& SmsAttributeNames() {
  static const std::set<std::string> names = {"DefaultSenderID", "DefaultSMSType", "MonthlySpendLimit",
                                              "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate",
                                              "UsageReportS3Bucket"};
  return names;
}

json::object DocumentObject(const std::string& text) {
  auto parsed = ParseJson(text);
  return parsed && parsed->is_object() ? std::move(parsed->get_object()) : json::object{};
}

json::object AttributesOf(const json::object& document) {
  const json::value* attributes = document.if_contains("attributes");
  return attributes != nullptr && attributes->is_object() ? attributes->get_object() : json::object{};
}


AwsError InvalidPhoneFormat() {
  return errors::InvalidParameter("Invalid parameter: PhoneNumber Reason: input incorrectly formatted");
}

Status<> CheckPlatformAttributes(const AttributeMap& attributes) {
  if (attributes.count("PlatformPrincipal") && !attributes.count("PlatformCredential")) {
    return Fail(errors::InvalidParameter(
        "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"));
  }
  return Done{};
}

// "endpoint/PLATFORM/APP/ID": an endpoint ARN's relative part has exactly three slashes.
Result<Arn> ParseEndpointArn(const std::string& text) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, ParseArn(text, "EndpointArn"));
  if (std::count(arn.resource.begin(), arn.resource.end(), '/') != 3 || arn.resource.rfind("endpoint/", 0) != 0) {
    return Fail(errors::InvalidParameter("Invalid parameter: EndpointArn Reason: Wrong number of slashes in relative portion of the ARN."));
  }
  return arn;
}

Result<Arn> ParseApplicationArn(const std::string& text) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, ParseArn(text, "PlatformApplicationArn"));
  if (std::count(arn.resource.begin(), arn.resource.end(), '/') != 2 || arn.resource.rfind("app/", 0) != 0) {
    return Fail(errors::InvalidParameter(
        "Invalid parameter: PlatformApplicationArn Reason: Wrong number of slashes in relative portion of the ARN."));
  }
  return arn;
}

}  // namespace

// ---- SMS ----------------------------------------------------------------------------------------

protocol::OperationResult SnsService::CheckIfPhoneNumberIsOptedOut(const Request& request) {
  std::string number = input::TextOr(request.input, "phoneNumber");
  if (!ValidE164(number)) return Fail(InvalidPhoneFormat());
  auto found = store_->Get(Collection::PhoneOptOut, AccountScope(request.context) + ":" + NormalizedPhoneNumber(number));
  if (!found) return Fail(errors::FromStore(found.error()));
  return Json{{"isOptedOut", found->has_value()}};
}

protocol::OperationResult SnsService::ListPhoneNumbersOptedOut(const Request& request) {
  std::string prefix = AccountScope(request.context) + ":";
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::PhoneOptOut, prefix, request.input, "nextToken"));
  json::array numbers;
  for (const auto& record : page.records) numbers.emplace_back(record.key.substr(prefix.size()));
  Json output{{"phoneNumbers", std::move(numbers)}};
  if (page.next_token) output["nextToken"] = *page.next_token;
  return output;
}

protocol::OperationResult SnsService::OptInPhoneNumber(const Request& request) {
  std::string number = input::TextOr(request.input, "phoneNumber");
  if (!ValidE164(number)) return Fail(InvalidPhoneFormat());
  auto removed = store_->Delete(Collection::PhoneOptOut, AccountScope(request.context) + ":" + NormalizedPhoneNumber(number));
  if (!removed && removed.error().code != StoreErrc::NotFound) return Fail(errors::FromStore(removed.error()));
  return Json{};
}

protocol::OperationResult SnsService::GetSMSAttributes(const Request& request) {
  auto found = store_->Get(Collection::SmsSettings, AccountScope(request.context));
  if (!found) return Fail(errors::FromStore(found.error()));
  json::object stored = *found ? DocumentObject((*found)->document) : json::object{};
  std::set<std::string> wanted;
  if (const auto* list = input::List(request.input, "attributes")) {
    for (const auto& item : *list) if (item.is_string()) wanted.emplace(item.get_string());
  }
  Json attributes;
  for (const auto& [name, value] : stored) {
    if (wanted.empty() || wanted.count(std::string(name))) attributes[name] = value;
  }
  return Json{{"attributes", std::move(attributes)}};
}

protocol::OperationResult SnsService::SetSMSAttributes(const Request& request) {
  AttributeMap attributes = input::Map(request.input, "attributes");
  for (const auto& [name, value] : attributes) {
    if (SmsAttributeNames().count(name) == 0) return Fail(errors::InvalidParameter(name + " is not a valid attribute"));
    if (name == "DefaultSMSType" && value != "Promotional" && value != "Transactional") {
      return Fail(errors::InvalidParameter("DefaultSMSType is invalid"));
    }
    if (name == "DefaultSenderID") {
      bool letters = std::any_of(value.begin(), value.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
      bool alnum = std::all_of(value.begin(), value.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
      if (value.empty() || value.size() > 11 || !letters || !alnum) return Fail(errors::InvalidParameter("DefaultSenderID is invalid"));
    }
    if (name == "MonthlySpendLimit" || name == "DeliveryStatusSuccessSamplingRate") {
      bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || (name == "DeliveryStatusSuccessSamplingRate" && std::stoi(value.substr(0, 4)) > 100)) {
        return Fail(errors::InvalidParameter(name + " is invalid"));
      }
    }
  }
  MALLARD_RETURN_IF_ERROR(UpdateDocument(Collection::SmsSettings, AccountScope(request.context),
                                         [&](std::optional<Json> stored) -> Result<Json> {
                                           Json settings = stored ? std::move(*stored) : Json{};
                                           for (const auto& [name, value] : attributes) settings[name] = value;
                                           return settings;
                                         }));
  return Json{};
}

protocol::OperationResult SnsService::GetSMSSandboxAccountStatus(const Request&) {
  // Every account here may send to any number: a local server has no sandbox to leave.
  return Json{{"IsInSandbox", false}};
}

protocol::OperationResult SnsService::CreateSMSSandboxPhoneNumber(const Request& request) {
  std::string number = input::TextOr(request.input, "PhoneNumber");
  if (!ValidE164(number)) return Fail(InvalidPhoneFormat());
  std::string code = std::to_string(100000 + (std::hash<std::string>{}(NewUuid()) % 900000));
  json::object document{{"PhoneNumber", number}, {"Status", "Pending"}, {"OneTimePassword", code},
                        {"LanguageCode", input::TextOr(request.input, "LanguageCode", "en-US")}};
  std::string key = AccountScope(request.context) + ":" + number;
  auto existing = store_->Get(Collection::SandboxNumber, key);
  if (!existing) return Fail(errors::FromStore(existing.error()));
  auto put = store_->Put(Collection::SandboxNumber, key, json::serialize(document), *existing ? (*existing)->version : 0);
  if (!put) return Fail(errors::FromStore(put.error()));
  // The one-time password goes out by SMS: recorded where a test reads SMS messages.
  RecordSent("sms", Json{{"PhoneNumber", number}, {"Message", "Your verification code is " + code},
                         {"MessageId", NewUuid()}, {"AccountId", request.context.account_id},
                         {"Region", request.context.region}});
  return Json{};
}

protocol::OperationResult SnsService::DeleteSMSSandboxPhoneNumber(const Request& request) {
  std::string number = input::TextOr(request.input, "PhoneNumber");
  auto removed = store_->Delete(Collection::SandboxNumber, AccountScope(request.context) + ":" + number);
  if (!removed) {
    if (removed.error().code == StoreErrc::NotFound) {
      return Fail(AwsError::Make("ResourceNotFound", 404, "Can't find the requested resource"));
    }
    return Fail(errors::FromStore(removed.error()));
  }
  return Json{};
}

protocol::OperationResult SnsService::VerifySMSSandboxPhoneNumber(const Request& request) {
  std::string number = input::TextOr(request.input, "PhoneNumber");
  std::string password = input::TextOr(request.input, "OneTimePassword");
  std::string key = AccountScope(request.context) + ":" + number;
  auto found = store_->Get(Collection::SandboxNumber, key);
  if (!found) return Fail(errors::FromStore(found.error()));
  if (!*found) return Fail(AwsError::Make("ResourceNotFound", 404, "Can't find the requested resource"));
  json::object document = DocumentObject((*found)->document);
  if (!document.contains("OneTimePassword") || document.at("OneTimePassword") != password.c_str()) {
    return Fail(AwsError::Make("VerificationException", 400, "Invalid one-time password"));
  }
  document["Status"] = "Verified";
  auto put = store_->Put(Collection::SandboxNumber, key, json::serialize(document), (*found)->version);
  if (!put) return Fail(errors::FromStore(put.error()));
  return Json{};
}

protocol::OperationResult SnsService::ListSMSSandboxPhoneNumbers(const Request& request) {
  std::size_t limit = kPageSize;
  if (auto max = input::Text(request.input, "MaxResults")) {
    limit = static_cast<std::size_t>(std::clamp(std::atoi(max->c_str()), 1, 100));
  }
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::SandboxNumber, AccountScope(request.context) + ":",
                                               request.input, "NextToken", limit));
  json::array numbers;
  for (const auto& record : page.records) {
    json::object document = DocumentObject(record.document);
    numbers.push_back(Json{{"PhoneNumber", document["PhoneNumber"]}, {"Status", document["Status"]}});
  }
  Json output{{"PhoneNumbers", std::move(numbers)}};
  if (page.next_token) output["NextToken"] = *page.next_token;
  return output;
}

protocol::OperationResult SnsService::ListOriginationNumbers(const Request& request) {
  if (auto max = input::Text(request.input, "MaxResults")) {
    int value = std::atoi(max->c_str());
    if (value < 1 || value > 30) {
      return Fail(errors::ValidationError("1 validation error detected: Value '" + *max +
                                          "' at 'maxResults' failed to satisfy constraint: Member must have value less "
                                          "than or equal to 30"));
    }
  }
  // This server owns no origination numbers: the honest answer is an empty list.
  return Json{{"PhoneNumbers", json::array{}}};
}

Result<std::string> SnsService::PublishToPhone(const Request& request, const std::string& phone_number,
                                               const std::string& message, const MessageAttributes& attributes,
                                               const std::string& topic_arn, const std::string& subscription_arn) {
  std::string number = NormalizedPhoneNumber(phone_number);
  std::string message_id = NewUuid();
  auto opted_out = store_->Get(Collection::PhoneOptOut, AccountScope(request.context) + ":" + number);
  if (!opted_out) return Fail(errors::FromStore(opted_out.error()));
  // An opted-out number receives nothing; the publish still succeeds, as in AWS.
  if (*opted_out) return message_id;
  Json record{{"PhoneNumber", number}, {"Message", message}, {"MessageId", message_id},
              {"MessageAttributes", SqsMessageAttributes(attributes)}, {"AccountId", request.context.account_id},
              {"Region", request.context.region}, {"Timestamp", SnsTimestamp(WallClockMillis())}};
  if (!topic_arn.empty()) record["TopicArn"] = topic_arn;
  if (!subscription_arn.empty()) record["SubscriptionArn"] = subscription_arn;
  RecordSent("sms", std::move(record));
  return message_id;
}

// ---- Mobile push ----------------------------------------------------------------------------------

protocol::OperationResult SnsService::CreatePlatformApplication(const Request& request) {
  std::string name = input::TextOr(request.input, "Name");
  std::string platform = input::TextOr(request.input, "Platform");
  AttributeMap attributes = input::Map(request.input, "Attributes");
  std::string reason;
  if (name.empty()) {
    reason = "cannot be empty";
  } else if (name.size() > 256) {
    reason = "must be at most 256 characters long";
  } else if (!std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
             })) {
    reason = "must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'";
  }
  if (!reason.empty()) return Fail(errors::InvalidParameter("Invalid parameter: " + name + " Reason: " + reason));
  if (Platforms().count(platform) == 0) {
    return Fail(errors::InvalidParameter("Invalid parameter: Platform Reason: " + platform + " is not supported"));
  }
  if (attributes.empty()) return Fail(errors::MemberMustNotBeNull("attributes"));
  MALLARD_RETURN_IF_ERROR(CheckPlatformAttributes(attributes));
  if (attributes.count("PlatformCredential") && !attributes.count("PlatformPrincipal") &&
      (platform.rfind("APNS", 0) == 0 || platform.rfind("MACOS", 0) == 0)) {
    return Fail(errors::InvalidParameter(
        "Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal"));
  }
  std::string arn = "arn:aws:sns:" + request.context.region + ":" + request.context.account_id + ":app/" + platform + "/" + name;
  json::object stored;
  for (const auto& [key, value] : attributes) stored[key] = value;
  json::object document{{"arn", arn}, {"platform", platform}, {"name", name}, {"attributes", std::move(stored)}};
  auto existing = store_->Get(Collection::PlatformApplication, arn);
  if (!existing) return Fail(errors::FromStore(existing.error()));
  // Creating an application that exists replaces its attributes, as AWS does.
  auto put = store_->Put(Collection::PlatformApplication, arn, json::serialize(document), *existing ? (*existing)->version : 0);
  if (!put) return Fail(errors::FromStore(put.error()));
  return Json{{"PlatformApplicationArn", arn}};
}

protocol::OperationResult SnsService::GetPlatformApplicationAttributes(const Request& request) {
  std::string arn = input::TextOr(request.input, "PlatformApplicationArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "PlatformApplicationArn"));
  (void)parsed;
  auto found = store_->Get(Collection::PlatformApplication, arn);
  if (!found) return Fail(errors::FromStore(found.error()));
  if (!*found) return Fail(errors::NotFound("PlatformApplication does not exist"));
  json::object attributes = AttributesOf(DocumentObject((*found)->document));
  // Credentials go in, never out.
  attributes.erase("PlatformCredential");
  attributes.erase("PlatformPrincipal");
  if (!attributes.contains("Enabled")) attributes["Enabled"] = "true";
  return Json{{"Attributes", std::move(attributes)}};
}

protocol::OperationResult SnsService::SetPlatformApplicationAttributes(const Request& request) {
  std::string arn = input::TextOr(request.input, "PlatformApplicationArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "PlatformApplicationArn"));
  (void)parsed;
  AttributeMap attributes = input::Map(request.input, "Attributes");
  if (attributes.empty()) return Fail(errors::MemberMustNotBeNull("attributes"));
  MALLARD_RETURN_IF_ERROR(UpdateDocument(Collection::PlatformApplication, arn, [&](std::optional<Json> document) -> Result<Json> {
    if (!document) return Fail(errors::NotFound("PlatformApplication does not exist"));
    json::object stored = AttributesOf(*document);
    for (const auto& [key, value] : attributes) stored[key] = value;
    (*document)["attributes"] = std::move(stored);
    return std::move(*document);
  }));
  return Json{};
}

protocol::OperationResult SnsService::ListPlatformApplications(const Request& request) {
  std::string prefix = "arn:aws:sns:" + request.context.region + ":" + request.context.account_id + ":app/";
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::PlatformApplication, prefix, request.input));
  json::array applications;
  for (const auto& record : page.records) {
    json::object attributes = AttributesOf(DocumentObject(record.document));
    attributes.erase("PlatformCredential");
    attributes.erase("PlatformPrincipal");
    applications.push_back(Json{{"PlatformApplicationArn", record.key}, {"Attributes", std::move(attributes)}});
  }
  Json output{{"PlatformApplications", std::move(applications)}};
  if (page.next_token) output["NextToken"] = *page.next_token;
  return output;
}

protocol::OperationResult SnsService::DeletePlatformApplication(const Request& request) {
  std::string arn = input::TextOr(request.input, "PlatformApplicationArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "PlatformApplicationArn"));
  // Its endpoints go with it.
  std::string endpoint_prefix = "arn:aws:sns:" + parsed.region + ":" + parsed.account + ":endpoint/" +
                                parsed.resource.substr(std::string("app/").size()) + "/";
  while (true) {
    auto page = store_->List(Collection::PlatformEndpoint, endpoint_prefix, "", 1000);
    if (!page) return Fail(errors::FromStore(page.error()));
    for (const auto& record : *page) (void)store_->Delete(Collection::PlatformEndpoint, record.key);
    if (page->size() < 1000) break;
  }
  auto removed = store_->Delete(Collection::PlatformApplication, arn);
  if (!removed && removed.error().code != StoreErrc::NotFound) return Fail(errors::FromStore(removed.error()));
  return Json{};
}

protocol::OperationResult SnsService::CreatePlatformEndpoint(const Request& request) {
  std::string application_arn = input::TextOr(request.input, "PlatformApplicationArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(application_arn, "PlatformApplicationArn"));
  std::string token = input::TextOr(request.input, "Token");
  if (token.empty()) return Fail(errors::InvalidParameter("Invalid parameter: Token Reason: cannot be empty"));
  auto application = store_->Get(Collection::PlatformApplication, application_arn);
  if (!application) return Fail(errors::FromStore(application.error()));
  if (!*application) return Fail(errors::NotFound("PlatformApplication does not exist"));
  AttributeMap attributes = input::Map(request.input, "Attributes");
  for (const auto& [key, value] : attributes) {
    if (key != "CustomUserData" && key != "Enabled" && key != "Token") {
      return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: Invalid attribute name: " + key));
    }
  }
  if (auto custom = input::Text(request.input, "CustomUserData")) attributes["CustomUserData"] = *custom;
  if (attributes.count("CustomUserData") && attributes["CustomUserData"].size() > 2048) {
    return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: Invalid value for attribute: CustomUserData: "
                                         "must be at most 2048 bytes long in UTF-8 encoding"));
  }
  attributes["Token"] = token;
  if (!attributes.count("Enabled")) attributes["Enabled"] = "true";
  std::string prefix = "arn:aws:sns:" + parsed.region + ":" + parsed.account + ":endpoint/" +
                       parsed.resource.substr(std::string("app/").size()) + "/";
  // One endpoint per device token: creating it again answers the same ARN, unless the attributes differ.
  std::string after;
  while (true) {
    auto page = store_->List(Collection::PlatformEndpoint, prefix, after, 1000);
    if (!page) return Fail(errors::FromStore(page.error()));
    for (const auto& record : *page) {
      json::object existing = AttributesOf(DocumentObject(record.document));
      if (!existing.contains("Token") || existing.at("Token") != token.c_str()) continue;
      for (const auto& [key, value] : attributes) {
        if (!existing.contains(key) || existing.at(key) != value.c_str()) {
          return Fail(errors::InvalidParameter("Invalid parameter: Token Reason: Endpoint " + record.key +
                                               " already exists with the same Token, but different attributes."));
        }
      }
      return Json{{"EndpointArn", record.key}};
    }
    if (page->size() < 1000) break;
    after = page->back().key;
  }
  std::string arn = prefix + NewUuid();
  json::object stored;
  for (const auto& [key, value] : attributes) stored[key] = value;
  json::object document{{"arn", arn}, {"application", application_arn}, {"attributes", std::move(stored)}};
  auto put = store_->Put(Collection::PlatformEndpoint, arn, json::serialize(document), 0);
  if (!put) return Fail(errors::FromStore(put.error()));
  return Json{{"EndpointArn", arn}};
}

protocol::OperationResult SnsService::GetEndpointAttributes(const Request& request) {
  std::string arn = input::TextOr(request.input, "EndpointArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseEndpointArn(arn));
  (void)parsed;
  auto found = store_->Get(Collection::PlatformEndpoint, arn);
  if (!found) return Fail(errors::FromStore(found.error()));
  if (!*found) return Fail(errors::NotFound("Endpoint does not exist"));
  return Json{{"Attributes", AttributesOf(DocumentObject((*found)->document))}};
}

protocol::OperationResult SnsService::SetEndpointAttributes(const Request& request) {
  std::string arn = input::TextOr(request.input, "EndpointArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseEndpointArn(arn));
  (void)parsed;
  AttributeMap attributes = input::Map(request.input, "Attributes");
  for (const auto& [key, value] : attributes) {
    if (key != "CustomUserData" && key != "Enabled" && key != "Token") {
      return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: Invalid attribute name: " + key));
    }
    if (key == "CustomUserData" && value.size() > 2048) {
      return Fail(errors::InvalidParameter("Invalid parameter: Attributes Reason: Invalid value for attribute: CustomUserData: "
                                           "must be at most 2048 bytes long in UTF-8 encoding"));
    }
  }
  MALLARD_RETURN_IF_ERROR(UpdateDocument(Collection::PlatformEndpoint, arn, [&](std::optional<Json> document) -> Result<Json> {
    if (!document) return Fail(errors::NotFound("Endpoint does not exist"));
    json::object stored = AttributesOf(*document);
    for (const auto& [key, value] : attributes) stored[key] = value;
    (*document)["attributes"] = std::move(stored);
    return std::move(*document);
  }));
  return Json{};
}

protocol::OperationResult SnsService::ListEndpointsByPlatformApplication(const Request& request) {
  std::string application_arn = input::TextOr(request.input, "PlatformApplicationArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseApplicationArn(application_arn));
  auto application = store_->Get(Collection::PlatformApplication, application_arn);
  if (!application) return Fail(errors::FromStore(application.error()));
  if (!*application) return Fail(errors::NotFound("PlatformApplication does not exist"));
  std::string prefix = "arn:aws:sns:" + parsed.region + ":" + parsed.account + ":endpoint/" +
                       parsed.resource.substr(std::string("app/").size()) + "/";
  MALLARD_ASSIGN_OR_RETURN(auto page, ListPage(Collection::PlatformEndpoint, prefix, request.input));
  json::array endpoints;
  for (const auto& record : page.records) {
    endpoints.push_back(Json{{"EndpointArn", record.key}, {"Attributes", AttributesOf(DocumentObject(record.document))}});
  }
  Json output{{"Endpoints", std::move(endpoints)}};
  if (page.next_token) output["NextToken"] = *page.next_token;
  return output;
}

protocol::OperationResult SnsService::DeleteEndpoint(const Request& request) {
  std::string arn = input::TextOr(request.input, "EndpointArn");
  MALLARD_ASSIGN_OR_RETURN(auto parsed, ParseArn(arn, "EndpointArn"));
  (void)parsed;
  auto removed = store_->Delete(Collection::PlatformEndpoint, arn);
  if (!removed && removed.error().code != StoreErrc::NotFound) return Fail(errors::FromStore(removed.error()));
  return Json{};
}

Result<std::string> SnsService::PublishToEndpoint(const Request& request, const std::string& endpoint_arn,
                                                  const std::string& message, const std::string& message_structure,
                                                  const MessageAttributes& attributes) {
  auto parsed = ParseArn(endpoint_arn, "TargetArn");
  if (!parsed) return Fail(parsed.error());
  auto found = store_->Get(Collection::PlatformEndpoint, endpoint_arn);
  if (!found) return Fail(errors::FromStore(found.error()));
  if (!*found) {
    return Fail(errors::InvalidParameter("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"));
  }
  json::object attributes_of_endpoint = AttributesOf(DocumentObject((*found)->document));
  std::string enabled = attributes_of_endpoint.contains("Enabled") && attributes_of_endpoint.at("Enabled").is_string()
                            ? std::string(attributes_of_endpoint.at("Enabled").get_string())
                            : std::string("true");
  std::transform(enabled.begin(), enabled.end(), enabled.begin(), [](unsigned char c) { return std::tolower(c); });
  if (enabled != "true") return Fail(errors::EndpointDisabled());
  // The platform's own key of a MessageStructure=json message, else its default.
  std::string text = message;
  std::string platform = parsed->resource.substr(std::string("endpoint/").size());
  platform = platform.substr(0, platform.find('/'));
  if (message_structure == "json") {
    auto structure = ParseJson(message);
    if (structure && structure->is_object()) {
      const json::value* own = structure->get_object().if_contains(platform);
      const json::value* fallback = structure->get_object().if_contains("default");
      if (own != nullptr && own->is_string()) {
        text = std::string(own->get_string());
      } else if (fallback != nullptr && fallback->is_string()) {
        text = std::string(fallback->get_string());
      }
    }
  }
  std::string message_id = NewUuid();
  RecordSent("platform", Json{{"TargetArn", endpoint_arn}, {"Message", text}, {"MessageId", message_id},
                              {"MessageStructure", message_structure}, {"MessageAttributes", SqsMessageAttributes(attributes)},
                              {"AccountId", parsed->account}, {"Region", parsed->region},
                              {"Timestamp", SnsTimestamp(WallClockMillis())}});
  (void)request;
  return message_id;
}

}  // namespace mallard::sns

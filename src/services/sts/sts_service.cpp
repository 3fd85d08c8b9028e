#include "services/sts/sts_service.hpp"

#include <boost/json.hpp>

#include <ctime>
#include <map>

#include "common/ids.hpp"

namespace mallard::sts {
namespace json = boost::json;
using protocol::OperationResult;
using protocol::ShapeKind;

namespace {

AwsError ValidationError(std::string message) { return AwsError::Make("ValidationError", 400, std::move(message)); }
AwsError MissingParameter(const std::string& name) {
  return AwsError::Make("MissingParameter", 400, "The request must contain the parameter " + name + ".");
}

std::string Iso8601(std::int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::optional<std::string> StringMember(const json::object& input, const char* name) {
  const auto* value = input.if_contains(name);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

Result<std::int64_t> Duration(const json::object& input, std::int64_t fallback, std::int64_t max) {
  const auto* value = input.if_contains("DurationSeconds");
  if (!value || value->is_null()) return fallback;
  if (!value->is_int64() || value->get_int64() < 900 || value->get_int64() > max) {
    return Fail(ValidationError("1 validation error detected: Value at 'durationSeconds' failed to satisfy constraint: "
                                "Member must have value between 900 and " + std::to_string(max)));
  }
  return value->get_int64();
}

bool IsValidSessionName(const std::string& name) {
  if (name.size() < 2 || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("_+=,.@-").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

struct StsModel {
  protocol::ShapeArena arena;
  std::map<std::string, protocol::OperationShapes, std::less<>> operations;
  StsModel() {
    auto text = arena.Scalar(ShapeKind::String);
    auto integer = arena.Scalar(ShapeKind::Integer);
    auto credentials = arena.Structure({{"AccessKeyId", "", text},
                                        {"SecretAccessKey", "", text},
                                        {"SessionToken", "", text},
                                        {"Expiration", "", arena.Scalar(ShapeKind::Timestamp)}});
    auto tag = arena.Structure({{"Key", "", text}, {"Value", "", text}});
    operations["GetCallerIdentity"] = {arena.Structure({}),
                                       arena.Structure({{"UserId", "", text}, {"Account", "", text}, {"Arn", "", text}})};
    operations["AssumeRole"] = {
        arena.Structure({{"RoleArn", "", text},
                         {"RoleSessionName", "", text},
                         {"DurationSeconds", "", integer},
                         {"ExternalId", "", text},
                         {"Policy", "", text},
                         {"SerialNumber", "", text},
                         {"TokenCode", "", text},
                         {"SourceIdentity", "", text},
                         {"Tags", "", arena.List(tag)},
                         {"TransitiveTagKeys", "", arena.List(text)},
                         {"PolicyArns", "", arena.List(arena.Structure({{"arn", "", text}}))}}),
        arena.Structure({{"Credentials", "", credentials},
                         {"AssumedRoleUser", "", arena.Structure({{"AssumedRoleId", "", text}, {"Arn", "", text}})},
                         {"PackedPolicySize", "", integer},
                         {"SourceIdentity", "", text}})};
    operations["GetSessionToken"] = {
        arena.Structure({{"DurationSeconds", "", integer}, {"SerialNumber", "", text}, {"TokenCode", "", text}}),
        arena.Structure({{"Credentials", "", credentials}})};
    auto policy_arns = arena.List(arena.Structure({{"arn", "", text}}));
    auto assumed_role_user = arena.Structure({{"AssumedRoleId", "", text}, {"Arn", "", text}});
    operations["AssumeRoleWithWebIdentity"] = {
        arena.Structure({{"RoleArn", "", text},
                         {"RoleSessionName", "", text},
                         {"WebIdentityToken", "", text},
                         {"ProviderId", "", text},
                         {"PolicyArns", "", policy_arns},
                         {"Policy", "", text},
                         {"DurationSeconds", "", integer}}),
        arena.Structure({{"Credentials", "", credentials},
                         {"SubjectFromWebIdentityToken", "", text},
                         {"AssumedRoleUser", "", assumed_role_user},
                         {"PackedPolicySize", "", integer},
                         {"Provider", "", text},
                         {"Audience", "", text},
                         {"SourceIdentity", "", text}})};
    operations["AssumeRoleWithSAML"] = {
        arena.Structure({{"RoleArn", "", text},
                         {"PrincipalArn", "", text},
                         {"SAMLAssertion", "", text},
                         {"PolicyArns", "", policy_arns},
                         {"Policy", "", text},
                         {"DurationSeconds", "", integer}}),
        arena.Structure({{"Credentials", "", credentials},
                         {"AssumedRoleUser", "", assumed_role_user},
                         {"PackedPolicySize", "", integer},
                         {"Subject", "", text},
                         {"SubjectType", "", text},
                         {"Issuer", "", text},
                         {"Audience", "", text},
                         {"NameQualifier", "", text},
                         {"SourceIdentity", "", text}})};
    operations["GetFederationToken"] = {
        arena.Structure({{"Name", "", text},
                         {"Policy", "", text},
                         {"PolicyArns", "", policy_arns},
                         {"DurationSeconds", "", integer},
                         {"Tags", "", arena.List(tag)}}),
        arena.Structure({{"Credentials", "", credentials},
                         {"FederatedUser", "", arena.Structure({{"FederatedUserId", "", text}, {"Arn", "", text}})},
                         {"PackedPolicySize", "", integer}})};
    operations["DecodeAuthorizationMessage"] = {arena.Structure({{"EncodedMessage", "", text}}),
                                                arena.Structure({{"DecodedMessage", "", text}})};
    operations["GetAccessKeyInfo"] = {arena.Structure({{"AccessKeyId", "", text}}),
                                      arena.Structure({{"Account", "", text}})};
  }
};

const StsModel& Model() {
  static const StsModel model;
  return model;
}

// The awsQuery shapes of `operation` (every row of the operation table has them).
protocol::OperationShapes Shapes(const char* operation) { return Model().operations.at(operation); }

AwsError UnknownAction(const std::string& operation) {
  return AwsError::Make("InvalidAction", 400, "The action " + operation + " is not valid for this endpoint.");
}

}  // namespace

StsService::StsService(std::shared_ptr<CredentialRegistry> credentials, services::ServiceContext runtime,
                       AccountOfKey account_of_key)
    : credentials_(std::move(credentials)),
      runtime_(std::move(runtime)),
      executor_("sts", runtime_, common_errors::InternalFailure()),
      account_of_key_(std::move(account_of_key)) {}

const services::kit::OperationTable<StsService>& StsService::Operations() {
  using services::kit::RunOn;
  // Every STS operation works on in-process state (the credential registry): inline.
  static const services::kit::OperationTable<StsService> table = {
      {"GetCallerIdentity", &StsService::GetCallerIdentity, RunOn::Inline, Shapes("GetCallerIdentity")},
      {"AssumeRole", &StsService::AssumeRole, RunOn::Inline, Shapes("AssumeRole")},
      {"GetSessionToken", &StsService::GetSessionToken, RunOn::Inline, Shapes("GetSessionToken")},
      {"AssumeRoleWithWebIdentity", &StsService::AssumeRoleWithWebIdentity, RunOn::Inline, Shapes("AssumeRoleWithWebIdentity")},
      {"AssumeRoleWithSAML", &StsService::AssumeRoleWithSAML, RunOn::Inline, Shapes("AssumeRoleWithSAML")},
      {"GetFederationToken", &StsService::GetFederationToken, RunOn::Inline, Shapes("GetFederationToken")},
      {"DecodeAuthorizationMessage", &StsService::DecodeAuthorizationMessage, RunOn::Inline, Shapes("DecodeAuthorizationMessage")},
      {"GetAccessKeyInfo", &StsService::GetAccessKeyInfo, RunOn::Inline, Shapes("GetAccessKeyInfo")},
  };
  return table;
}

const services::ServiceDescriptor& StsService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "sts";
    d.signing_name = "sts";
    d.query_xmlns = "https://sts.amazonaws.com/doc/2011-06-15/";
    // STS's Smithy service name, for clients that speak awsJson to it.
    d.json_target_prefix = "AWSSecurityTokenServiceV20110615";
    d.json_error_namespace = "com.amazonaws.sts#";
    d.operations = Operations().Names();
    return d;
  }();
  return descriptor;
}

const protocol::OperationShapes* StsService::QueryShapes(std::string_view operation) const {
  return Operations().Shapes(operation);
}

void StsService::Invoke(protocol::OperationRequest request, protocol::OperationCallback done) {
  done = state_.Journal().Wrap(request, std::move(done));
  executor_.Dispatch(*this, Operations(), std::move(request), &UnknownAction, std::move(done));
}

json::object StsService::IssueCredentials(CallerIdentity identity, std::int64_t duration_seconds) {
  auto expires = runtime_.clock() + duration_seconds * 1000;
  identity.expires_millis = expires;
  std::string access_key = "ASIA" + RandomAlnum(16);
  for (auto& c : access_key) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // The secret and token are kept: --auth sigv4 verifies requests signed with them.
  identity.secret_access_key = RandomAlnum(40);
  identity.session_token = "FwoGZXIvYXdzE" + RandomAlnum(200);
  json::object credentials{{"AccessKeyId", access_key},
                           {"SecretAccessKey", identity.secret_access_key},
                           {"SessionToken", identity.session_token},
                           {"Expiration", Iso8601(expires)}};
  credentials_->Register(access_key, std::move(identity));
  return credentials;
}

OperationResult StsService::GetCallerIdentity(const protocol::OperationRequest& request) {
  const auto& context = request.context;
  return json::object{{"UserId", context.caller_identity_user_id}, {"Account", context.account_id}, {"Arn", context.caller_arn}};
}

OperationResult StsService::AssumeRole(const protocol::OperationRequest& request) {
  auto role_arn = StringMember(request.input, "RoleArn");
  auto session = StringMember(request.input, "RoleSessionName");
  if (!role_arn || role_arn->empty()) return Fail(MissingParameter("RoleArn"));
  if (!session || session->empty()) return Fail(MissingParameter("RoleSessionName"));
  // arn:aws:iam::ACCOUNT:role/PATH/NAME
  const std::string prefix = "arn:aws:iam::";
  auto role_marker = role_arn->find(":role/");
  if (role_arn->rfind(prefix, 0) != 0 || role_marker != prefix.size() + 12 || role_arn->size() <= role_marker + 6) {
    return Fail(ValidationError(*role_arn + " is invalid"));
  }
  std::string account = role_arn->substr(prefix.size(), 12);
  if (account.find_first_not_of("0123456789") != std::string::npos) return Fail(ValidationError(*role_arn + " is invalid"));
  if (!IsValidSessionName(*session)) {
    return Fail(ValidationError("1 validation error detected: Value '" + *session +
                                "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular "
                                "expression pattern: [\\w+=,.@-]*"));
  }
  MALLARD_ASSIGN_OR_RETURN(auto duration, Duration(request.input, 3600, 43200));
  std::string role_name = role_arn->substr(role_arn->rfind('/') + 1);
  std::string role_id = "AROA" + UserIdForAccessKey(*role_arn).substr(4);
  CallerIdentity identity{account, "arn:aws:sts::" + account + ":assumed-role/" + role_name + "/" + *session,
                          role_id + ":" + *session, 0};
  json::object output;
  output["AssumedRoleUser"] = json::object{{"AssumedRoleId", identity.user_id}, {"Arn", identity.arn}};
  output["Credentials"] = IssueCredentials(identity, duration);
  return output;
}

OperationResult StsService::GetSessionToken(const protocol::OperationRequest& request) {
  MALLARD_ASSIGN_OR_RETURN(auto duration, Duration(request.input, 43200, 129600));
  const auto& context = request.context;
  CallerIdentity identity{context.account_id, context.caller_arn, context.caller_identity_user_id, 0};
  return json::object{{"Credentials", IssueCredentials(identity, duration)}};
}

}  // namespace mallard::sts

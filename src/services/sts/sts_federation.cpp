// StsService's federation and key operations: AssumeRoleWithWebIdentity, AssumeRoleWithSAML,
// GetFederationToken, DecodeAuthorizationMessage, GetAccessKeyInfo. Tokens and assertions are read,
// not verified: there is no identity provider to trust here, so their signatures are not checked
// (README, Differences from AWS); what they claim shapes the response as AWS shapes it.
#include <boost/json.hpp>
#include <openssl/evp.h>

#include <ctime>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "services/sts/sts_input.hpp"
#include "services/sts/sts_service.hpp"

namespace mallard::sts {
namespace json = boost::json;
using protocol::OperationResult;

namespace {

// An error whose awsJson shape name differs from its awsQuery code (the model's error.code).
AwsError ModelError(std::string shape, std::string query_code, std::string message) {
  AwsError error = AwsError::Make(std::move(shape), 400, std::move(message));
  error.query_code = std::move(query_code);
  return error;
}

AwsError InvalidIdentityToken(std::string message) {
  return ModelError("InvalidIdentityTokenException", "InvalidIdentityToken", std::move(message));
}

// The base64url (unpadded) text of a JWT part, decoded.
std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string standard(text);
  for (auto& c : standard) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;
  }
  return Base64Decode(standard);
}

// The claims of a JWT (header.payload.signature); nullopt when the token is not one.
std::optional<json::object> JwtClaims(const std::string& token) {
  auto first = token.find('.');
  auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos) return std::nullopt;
  for (auto [from, to] : {std::pair{std::size_t{0}, first}, std::pair{first + 1, second}}) {
    auto decoded = Base64UrlDecode(std::string_view(token).substr(from, to - from));
    if (!decoded) return std::nullopt;
    boost::system::error_code error;
    auto parsed = json::parse(*decoded, error);
    if (error || !parsed.is_object()) return std::nullopt;
    if (from != 0) return std::move(parsed.as_object());
  }
  return std::nullopt;
}

std::string ClaimText(const json::object& claims, const char* name) {
  const auto* value = claims.if_contains(name);
  if (!value) return {};
  if (value->is_string()) return std::string(value->get_string());
  // "aud" may be a list of audiences: AWS reports the first.
  if (value->is_array() && !value->get_array().empty() && value->get_array()[0].is_string()) {
    return std::string(value->get_array()[0].get_string());
  }
  return {};
}

std::string XmlUnescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    static const std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool replaced = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.substr(i, entity.size()) == entity) {
        out += character;
        i += entity.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += '&';
  }
  return out;
}

// One element of a SAML document, found by local name whatever its namespace prefix.
struct XmlElement {
  std::string start_tag;  // "<saml:NameID Format=...>"
  std::string text;       // unescaped character data (the element's whole content)
  std::size_t end = std::string::npos;
};

std::optional<XmlElement> FindElement(const std::string& xml, std::string_view local_name, std::size_t from = 0) {
  for (auto open = xml.find('<', from); open != std::string::npos; open = xml.find('<', open + 1)) {
    auto name_end = xml.find_first_of(" \t\r\n/>", open + 1);
    if (name_end == std::string::npos) return std::nullopt;
    std::string_view name = std::string_view(xml).substr(open + 1, name_end - open - 1);
    if (auto colon = name.find(':'); colon != std::string_view::npos) name = name.substr(colon + 1);
    if (name != local_name || xml[open + 1] == '/') continue;
    auto tag_end = xml.find('>', name_end);
    if (tag_end == std::string::npos) return std::nullopt;
    XmlElement element;
    element.start_tag = xml.substr(open, tag_end - open + 1);
    if (xml[tag_end - 1] == '/') {
      element.end = tag_end + 1;
      return element;
    }
    std::string qualified(xml.substr(open + 1, name_end - open - 1));
    auto close = xml.find("</" + qualified + ">", tag_end);
    if (close == std::string::npos) return std::nullopt;
    element.text = XmlUnescape(std::string_view(xml).substr(tag_end + 1, close - tag_end - 1));
    element.end = close;
    return element;
  }
  return std::nullopt;
}

std::string AttributeOf(const std::string& start_tag, std::string_view attribute) {
  std::string needle = " " + std::string(attribute) + "=";
  auto at = start_tag.find(needle);
  if (at == std::string::npos || at + needle.size() >= start_tag.size()) return {};
  char quote = start_tag[at + needle.size()];
  auto begin = at + needle.size() + 1;
  auto end = start_tag.find(quote, begin);
  return end == std::string::npos ? std::string() : XmlUnescape(std::string_view(start_tag).substr(begin, end - begin));
}

// The first AttributeValue of the SAML Attribute named `name`.
std::string SamlAttribute(const std::string& xml, std::string_view name) {
  for (auto element = FindElement(xml, "Attribute"); element; element = FindElement(xml, "Attribute", element->end)) {
    if (AttributeOf(element->start_tag, "Name") != name) continue;
    // The element's content holds its AttributeValue children.
    std::string content = element->text;
    if (auto value = FindElement(content, "AttributeValue")) return value->text;
  }
  return {};
}

std::string Sha1Base64(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

json::object AssumedRoleUser(const IamArn& role, const std::string& session, CallerIdentity& identity) {
  std::string role_arn = "arn:aws:iam::" + role.account + ":role/" + role.name;
  identity.account_id = role.account;
  identity.arn = "arn:aws:sts::" + role.account + ":assumed-role/" + role.name + "/" + session;
  identity.user_id = "AROA" + UserIdForAccessKey(role_arn).substr(4) + ":" + session;
  return json::object{{"AssumedRoleId", identity.user_id}, {"Arn", identity.arn}};
}

}  // namespace

OperationResult StsService::AssumeRoleWithWebIdentity(const protocol::OperationRequest& request) {
  StsConstraints input(request.input);
  auto role_arn = input.String("RoleArn", true, 20, 2048, StsPattern::ArnCharacters);
  auto session = input.String("RoleSessionName", true, 2, 64, StsPattern::NameCharacters);
  auto token = input.String("WebIdentityToken", true, 4, 20000, StsPattern::None, /*sensitive=*/true);
  auto provider_id = input.String("ProviderId", false, 4, 2048, StsPattern::None);
  input.String("Policy", false, 1, 2048, StsPattern::PolicyCharacters);
  auto duration = input.Integer("DurationSeconds", 900, 43200);
  MALLARD_RETURN_IF_ERROR(input.Verdict());
  auto role = ParseIamArn(*role_arn, "role");
  if (!role) return Fail(StsValidationError(*role_arn + " is invalid"));

  json::object output;
  std::string subject, provider, audience;
  if (provider_id) {
    provider = *provider_id;  // an OAuth 2.0 access token: opaque, its provider named by the caller
  } else {
    auto claims = JwtClaims(*token);
    if (!claims) {
      return Fail(InvalidIdentityToken(
          "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"));
    }
    const auto now_seconds = runtime_.clock() / 1000;
    if (const auto* expires = claims->if_contains("exp"); expires && expires->is_number()) {
      const auto expiry = expires->to_number<double>();
      if (expiry < static_cast<double>(now_seconds)) {
        return Fail(AwsError::Make("ExpiredTokenException", 400,
                                   "Token expired: current date/time " + std::to_string(now_seconds) +
                                       " must be before the expiration date/time " +
                                       std::to_string(static_cast<std::int64_t>(expiry))));
      }
    }
    subject = ClaimText(*claims, "sub");
    provider = ClaimText(*claims, "iss");
    audience = ClaimText(*claims, "aud");
    if (audience.empty()) audience = ClaimText(*claims, "azp");
  }
  CallerIdentity identity;
  auto user = AssumedRoleUser(*role, *session, identity);
  output["Credentials"] = IssueCredentials(identity, duration.value_or(3600));
  if (!subject.empty()) output["SubjectFromWebIdentityToken"] = subject;
  output["AssumedRoleUser"] = std::move(user);
  if (!provider.empty()) output["Provider"] = provider;
  if (!audience.empty()) output["Audience"] = audience;
  return output;
}

OperationResult StsService::AssumeRoleWithSAML(const protocol::OperationRequest& request) {
  StsConstraints input(request.input);
  auto role_arn = input.String("RoleArn", true, 20, 2048, StsPattern::ArnCharacters);
  auto principal_arn = input.String("PrincipalArn", true, 20, 2048, StsPattern::ArnCharacters);
  auto assertion = input.String("SAMLAssertion", true, 4, 100000, StsPattern::None, /*sensitive=*/true);
  input.String("Policy", false, 1, 2048, StsPattern::PolicyCharacters);
  auto duration = input.Integer("DurationSeconds", 900, 43200);
  MALLARD_RETURN_IF_ERROR(input.Verdict());
  auto role = ParseIamArn(*role_arn, "role");
  if (!role) return Fail(StsValidationError(*role_arn + " is invalid"));
  auto provider = ParseIamArn(*principal_arn, "saml-provider");
  if (!provider) return Fail(StsValidationError(*principal_arn + " is invalid"));

  auto document = Base64Decode(*assertion);
  if (!document || document->find('<') == std::string::npos) {
    return Fail(InvalidIdentityToken("Invalid base64 SAMLResponse"));
  }
  auto issuer = FindElement(*document, "Issuer");
  auto name_id = FindElement(*document, "NameID");
  if (!issuer || issuer->text.empty() || !name_id) {
    return Fail(InvalidIdentityToken("The SAML response has no Issuer or Subject NameID."));
  }
  std::string session = SamlAttribute(*document, "https://aws.amazon.com/SAML/Attributes/RoleSessionName");
  if (session.empty()) return Fail(InvalidIdentityToken("Error: RoleSessionName is required in AuthnResponse"));
  std::string format = AttributeOf(name_id->start_tag, "Format");
  // AWS shortens the two common NameID formats; any other stays the full URI.
  std::string subject_type = format;
  for (const char* short_form : {"persistent", "transient"}) {
    const std::string suffix = std::string(":") + short_form;
    if (format.size() > suffix.size() && format.compare(format.size() - suffix.size(), suffix.size(), suffix) == 0) {
      subject_type = short_form;
    }
  }
  std::string audience = AttributeOf(FindElement(*document, "SubjectConfirmationData").value_or(XmlElement{}).start_tag,
                                     "Recipient");
  if (audience.empty()) audience = "https://signin.aws.amazon.com/saml";

  CallerIdentity identity;
  json::object output;
  auto user = AssumedRoleUser(*role, session, identity);
  output["Credentials"] = IssueCredentials(identity, duration.value_or(3600));
  output["AssumedRoleUser"] = std::move(user);
  output["Subject"] = name_id->text;
  if (!subject_type.empty()) output["SubjectType"] = subject_type;
  output["Issuer"] = issuer->text;
  output["Audience"] = audience;
  // As the AWS documentation defines it: BASE64(SHA1(Issuer + AccountID + "/" + provider name)).
  output["NameQualifier"] = Sha1Base64(issuer->text + provider->account + "/" + provider->name);
  return output;
}

OperationResult StsService::GetFederationToken(const protocol::OperationRequest& request) {
  StsConstraints input(request.input);
  auto name = input.String("Name", true, 2, 32, StsPattern::NameCharacters);
  input.String("Policy", false, 1, 2048, StsPattern::PolicyCharacters);
  auto duration = input.Integer("DurationSeconds", 900, 129600);
  input.ListLength("Tags", 50);
  MALLARD_RETURN_IF_ERROR(input.Verdict());
  const auto& context = request.context;
  // Only long-term credentials may federate (the API reference: "You cannot call
  // GetFederationToken using the temporary credentials").
  if (credentials_->FindIncludingExpired(context.access_key_id)) {
    return Fail(AwsError::Make("AccessDenied", 403, "Cannot call GetFederationToken with session credentials"));
  }
  CallerIdentity identity;
  identity.account_id = context.account_id;
  identity.arn = "arn:aws:sts::" + context.account_id + ":federated-user/" + *name;
  identity.user_id = context.account_id + ":" + *name;
  json::object output;
  output["Credentials"] = IssueCredentials(identity, duration.value_or(43200));
  output["FederatedUser"] = json::object{{"FederatedUserId", identity.user_id}, {"Arn", identity.arn}};
  return output;
}

OperationResult StsService::DecodeAuthorizationMessage(const protocol::OperationRequest& request) {
  StsConstraints input(request.input);
  input.String("EncodedMessage", true, 1, 10240, StsPattern::None);
  MALLARD_RETURN_IF_ERROR(input.Verdict());
  // This endpoint never encodes an authorization failure (its AccessDenied messages are plain
  // text), so no message it could be given is one it issued.
  return Fail(AwsError::Make("InvalidAuthorizationMessageException", 400,
                             "The encoded message is not a valid authorization message."));
}

OperationResult StsService::GetAccessKeyInfo(const protocol::OperationRequest& request) {
  StsConstraints input(request.input);
  auto key = input.String("AccessKeyId", true, 16, 128, StsPattern::WordCharacters);
  MALLARD_RETURN_IF_ERROR(input.Verdict());
  std::string account;
  if (auto issued = credentials_->FindIncludingExpired(*key)) {
    account = issued->account_id;  // temporary credentials: the account they were issued for, expired or not
  } else if (account_of_key_) {
    account = account_of_key_(*key);
  } else {
    account = request.context.account_id;
  }
  return json::object{{"Account", account}};
}

}  // namespace mallard::sts

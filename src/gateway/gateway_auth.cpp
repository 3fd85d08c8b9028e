// --auth sigv4: the gateway's side of signature verification. It finds the service a request
// routes to (its signing name is the scope the signature must carry, its protocol the shape of the
// error), looks keys up among the configured long-term keys and the credentials STS issued, and
// renders a rejection as that service would. S3 (a service whose descriptor says
// rest_protocol "rest-xml") is verified by S3's rules (SigV4Check::s3) and answered in S3's XML.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "gateway/gateway.hpp"
#include "protocol/aws_json.hpp"
#include "protocol/aws_query.hpp"
#include "protocol/sigv4.hpp"
#include "protocol/sigv4_verify.hpp"

namespace mallard::gateway {
namespace {

// The Action parameter of an awsQuery request, from its query string or form body; only needed to
// route a request that carries neither X-Amz-Target nor a credential scope (an unsigned one).
std::string QueryAction(const http::HttpRequest& request) {
  auto find_in = [](std::string_view form) -> std::string {
    while (!form.empty()) {
      auto amp = form.find('&');
      std::string_view pair = form.substr(0, amp);
      form = amp == std::string_view::npos ? std::string_view() : form.substr(amp + 1);
      if (pair.rfind("Action=", 0) == 0) return std::string(pair.substr(7));
    }
    return {};
  };
  if (auto action = find_in(request.query); !action.empty()) return action;
  const std::string* content_type = request.Header("content-type");
  if (request.method == "POST" && (content_type == nullptr || content_type->find("x-www-form-urlencoded") != std::string::npos)) {
    return find_in(request.body);
  }
  return {};
}

// S3's error document: <Error><Code/><Message/>[members]<RequestId/><HostId/></Error>, with the
// members S3 adds (AWSAccessKeyId, StringToSign, ...) in order; a HEAD answer has no body.
http::HttpResponse RenderS3AuthError(const http::HttpRequest& request, const AwsError& error,
                                     const protocol::AuthRejection& rejection, const std::string& request_id) {
  std::string host_id = Base64Encode(request_id + "/mallard-s3");
  http::HttpResponse response;
  response.status = error.http_status;
  response.SetHeader("x-amz-request-id", request_id);
  response.SetHeader("x-amz-id-2", host_id);
  if (request.method == "HEAD") return response;
  std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>";
  AppendXmlEscaped(body, error.code);
  body += "</Code><Message>";
  AppendXmlEscaped(body, error.message);
  body += "</Message>";
  for (const auto& [name, value] : rejection.details) {
    body += '<' + name + '>';
    AppendXmlEscaped(body, value);
    body += "</" + name + '>';
  }
  body += "<RequestId>";
  AppendXmlEscaped(body, request_id);
  body += "</RequestId><HostId>";
  AppendXmlEscaped(body, host_id);
  body += "</HostId></Error>";
  response.SetHeader("Content-Type", "application/xml");
  response.body = std::move(body);
  return response;
}

}  // namespace

protocol::SigningSecretLookup Gateway::SecretLookup() const {
  return [this](const std::string& access_key) -> std::optional<protocol::SigningSecret> {
    if (auto found = options_.secret_by_access_key.find(access_key); found != options_.secret_by_access_key.end()) {
      return protocol::SigningSecret{found->second, std::nullopt, false};
    }
    if (auto issued = options_.credentials->FindIncludingExpired(access_key)) {
      return protocol::SigningSecret{issued->secret_access_key, issued->session_token,
                                     issued->expires_millis <= WallClockMillis()};
    }
    return std::nullopt;
  };
}

bool Gateway::IsUnsignedFormPost(const http::HttpRequest& request) {
  // A browser form upload: POST of multipart/form-data with no Authorization header and no
  // presigned query (a form's signature is one of its fields).
  if (request.method != "POST" || request.Header("authorization") != nullptr) return false;
  const std::string* type = request.Header("content-type");
  constexpr std::string_view kForm = "multipart/form-data";
  if (type == nullptr || type->size() < kForm.size() ||
      !std::equal(kForm.begin(), kForm.end(), type->begin(),
                  [](char a, char b) { return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b))); }))
    return false;
  return request.query.find("X-Amz-Signature=") == std::string::npos && request.query.find("Signature=") == std::string::npos;
}

std::optional<http::HttpResponse> Gateway::Authenticate(const http::HttpRequest& request,
                                                        const std::string& request_id,
                                                        std::optional<services::RestRequest::VerifiedSignature>* verified) const {
  std::shared_ptr<services::Service> service;
  bool json = false;
  if (const std::string* target = request.Header("x-amz-target")) {
    auto dot = target->rfind('.');
    service = ByTargetPrefix(dot == std::string::npos ? *target : target->substr(0, dot));
    json = true;
  } else {
    if (auto scope = protocol::CredentialScopeOf(request)) service = BySigningName(scope->service);
    if (!service) {
      std::string action = QueryAction(request);
      for (const auto& candidate : services_) {
        if (!action.empty() && !candidate->Descriptor().query_xmlns.empty() && candidate->QueryShapes(action)) {
          service = candidate;
          break;
        }
      }
    }
    // A REST service's unsigned (or SigV2-signed) requests carry no scope: the service claims them.
    if (!service) {
      for (const auto& candidate : services_) {
        if (!candidate->Descriptor().rest_protocol.empty() && candidate->ClaimsRequest(request)) {
          service = candidate;
          break;
        }
      }
    }
  }
  // Nothing routes the request: routing answers it, and no service state is reachable without a route.
  if (!service) return std::nullopt;
  const auto& descriptor = service->Descriptor();

  protocol::SigningSecretLookup lookup = SecretLookup();
  bool s3 = descriptor.rest_protocol == "rest-xml";
  protocol::SigV4Check check;
  check.now_millis = WallClockMillis();
  check.service = descriptor.signing_name;
  check.s3 = s3;
  std::string virtual_host_bucket = s3 ? service->VirtualHostedBucket(request) : std::string();
  check.virtual_host_bucket = virtual_host_bucket;
  std::optional<protocol::AuthRejection> rejection;
  if (s3 && verified != nullptr) {
    auto details = protocol::VerifySigV4WithDetails(request, lookup, check);
    if (details) {
      if (details.value().signature_version == 4) {
        *verified = services::RestRequest::VerifiedSignature{details.value().signing_key, details.value().seed_signature,
                                                             details.value().amz_date, details.value().scope};
      }
      return std::nullopt;
    }
    rejection = std::move(details).error();
  } else {
    rejection = protocol::VerifySigV4(request, lookup, check);
  }
  if (!rejection) return std::nullopt;
  // STS's federation calls need no credentials at all (the model marks them smithy.api#noAuth):
  // an unsigned one goes through, a signed one is still verified.
  if (rejection->failure == protocol::AuthFailure::MissingAuthentication && descriptor.signing_name == "sts") {
    std::string operation = json ? request.Header("x-amz-target")->substr(request.Header("x-amz-target")->rfind('.') + 1)
                                 : QueryAction(request);
    if (operation == "AssumeRoleWithWebIdentity" || operation == "AssumeRoleWithSAML") return std::nullopt;
  }
  spdlog::debug("sigv4: {} request refused: {} {}", descriptor.name, rejection->s3_code, rejection->message);
  if (s3) {
    protocol::AuthErrorStyle s3_style;
    s3_style.s3 = true;
    return RenderS3AuthError(request, protocol::AuthError(*rejection, s3_style), *rejection, request_id);
  }

  const std::string* host = request.Header("host");
  protocol::AuthErrorStyle style;
  style.json = json;
  style.query_compatible = json && descriptor.query_compatible;
  style.unsigned_is_anonymous = descriptor.signing_name == "sqs";
  style.resource = "http://" + (host && !host->empty() ? *host : std::string("localhost:4566")) + request.path;
  AwsError error = protocol::AuthError(*rejection, style);
  if (json) {
    // Authentication happens before the service: AWS names these errors in the coral namespace.
    return protocol::RenderJsonError(error, {descriptor.json_1_1, "com.amazon.coral.service#", descriptor.query_compatible},
                                     request_id);
  }
  const std::string* accept = request.Header("accept");
  if (accept != nullptr && accept->find("application/json") != std::string::npos) {
    return protocol::RenderQueryErrorAsJson(error, request_id);
  }
  return protocol::RenderQueryError(error, protocol::QueryStyle{descriptor.query_xmlns}, request_id);
}

}  // namespace mallard::gateway

// S3's Signature Version 2: `Authorization: AWS AKID:signature`, or the AWSAccessKeyId, Signature
// and Expires query parameters of a presigned URL. S3 alone still accepts it, and botocore
// (1.29 as Debian ships it, and 1.43) still presigns S3 URLs with it unless a client asks for
// s3v4, so `generate_presigned_url` URLs must verify.
//
// The string to sign (S3's "Signing and authenticating REST requests"): the method, Content-MD5,
// Content-Type, the Date (empty when x-amz-date is sent; Expires for a presigned URL), the x-amz-*
// headers lower-cased and sorted ("name:v1,v2"), then the resource: the bucket of a virtual-hosted
// request, the path as sent, and the sub-resource parameters S3 lists, sorted. The signature is
// the base64 HMAC-SHA1 of it under the secret key.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <map>

#include "common/encoding.hpp"
#include "protocol/sigv4_detail.hpp"

namespace mallard::protocol::sigv4_detail {
namespace {

// The query parameters that name a sub-resource and so belong to the canonical resource, as S3
// documents them (and botocore's HmacV1Auth signs them).
constexpr std::string_view kSubResources[] = {
    "accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete", "inventory", "lifecycle", "location",
    "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment",
    "response-cache-control", "response-content-disposition", "response-content-encoding",
    "response-content-language", "response-content-type", "response-expires", "restore", "select", "select-type",
    "storageClass", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website"};

bool IsSubResource(std::string_view name) {
  return std::find(std::begin(kSubResources), std::end(kSubResources), name) != std::end(kSubResources);
}

struct SigV2Parts {
  bool presigned = false;
  std::string access_key;
  std::string signature;
  std::string expires;  // presigned only
};

}  // namespace

std::string HmacSha1Base64(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

bool HasSigV2(const http::HttpRequest& request) {
  if (const std::string* authorization = request.Header("authorization")) {
    return Trim(*authorization).substr(0, 4) == "AWS ";
  }
  return QueryParameter(request.query, "AWSAccessKeyId").has_value() ||
         QueryParameter(request.query, "Signature").has_value();
}

std::optional<AuthRejection> VerifyS3SigV2(const http::HttpRequest& request, const SigningSecretLookup& lookup,
                                           const SigV4Check& check, VerifiedSigV4* verified) {
  std::int64_t now = check.now_millis / 1000;
  SigV2Parts parts;
  const std::string* authorization = request.Header("authorization");
  if (authorization != nullptr) {
    // "AWS AKID:signature"
    std::string_view credentials = Trim(*authorization).substr(4);
    auto colon = credentials.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == credentials.size()) {
      return RejectS3(AuthFailure::InvalidRequest, "InvalidArgument", "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                      {{"ArgumentName", "Authorization"}, {"ArgumentValue", *authorization}});
    }
    parts.access_key = std::string(Trim(credentials.substr(0, colon)));
    parts.signature = std::string(credentials.substr(colon + 1));
  } else {
    auto access_key = QueryParameter(request.query, "AWSAccessKeyId");
    auto signature = QueryParameter(request.query, "Signature");
    auto expires = QueryParameter(request.query, "Expires");
    if (!access_key || !signature || !expires) {
      return RejectS3(AuthFailure::IncompleteSignature, "AccessDenied",
                      "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
    }
    parts.presigned = true;
    parts.access_key = std::move(*access_key);
    parts.signature = std::move(*signature);
    parts.expires = std::move(*expires);
  }

  // The time: a presigned URL lives until Expires (seconds since the epoch); a header signature
  // is dated by x-amz-date or Date and must be within 15 minutes of now.
  std::string date_line;
  const std::string* amz_date = request.Header("x-amz-date");
  if (parts.presigned) {
    if (!AllDigits(parts.expires) || parts.expires.size() > 12) {
      return RejectS3(AuthFailure::IncompleteSignature, "AccessDenied", "Invalid date (should be seconds since epoch): " + parts.expires);
    }
    std::int64_t expires = std::stoll(parts.expires);
    if (now > expires) {
      return RejectS3(AuthFailure::RequestExpired, "AccessDenied", "Request has expired",
                      {{"Expires", FormatIso(expires)}, {"ServerTime", FormatIso(now)}});
    }
    date_line = parts.expires;
  } else {
    const std::string* date = amz_date != nullptr ? amz_date : request.Header("date");
    std::optional<std::int64_t> signed_at;
    if (date != nullptr) {
      signed_at = ParseHttpDate(Trim(*date));
      if (!signed_at) signed_at = ParseBasicDate(Trim(*date));
    }
    if (!signed_at) {
      return RejectS3(AuthFailure::IncompleteSignature, "AccessDenied",
                      "AWS authentication requires a valid Date or x-amz-date header");
    }
    if (*signed_at < now - kSkewSeconds || *signed_at > now + kSkewSeconds) {
      return RejectS3(AuthFailure::RequestTimeTooSkewed, "RequestTimeTooSkewed",
                      "The difference between the request time and the current time is too large.",
                      {{"RequestTime", *date}, {"ServerTime", FormatIso(now)},
                       {"MaxAllowedSkewMilliseconds", std::to_string(kSkewSeconds * 1000)}});
    }
    // With x-amz-date the Date line is empty: the date is signed among the x-amz-* headers.
    if (amz_date == nullptr) date_line = std::string(Trim(*date));
  }

  auto secret = lookup(parts.access_key);
  if (!secret) {
    return RejectS3(AuthFailure::UnknownAccessKey, "InvalidAccessKeyId",
                    "The AWS Access Key Id you provided does not exist in our records.",
                    {{"AWSAccessKeyId", parts.access_key}});
  }

  // Content-MD5, Content-Type and the x-amz-* values: from the headers, or, for a presigned URL,
  // from query parameters of those names (botocore moves x-amz-security-token there).
  auto query = DecodedQuery(request.query);
  auto value_of = [&](std::string_view name) -> std::string {
    if (const std::string* header = request.Header(name)) return std::string(Trim(*header));
    if (parts.presigned) {
      for (const auto& [key, value] : query) {
        if (Lowercase(key) == name) return std::string(Trim(value));
      }
    }
    return {};
  };
  std::map<std::string, std::string> amz_headers;
  for (const auto& [name, value] : request.headers) {
    if (name.rfind("x-amz-", 0) != 0) continue;
    auto [entry, inserted] = amz_headers.emplace(name, std::string(Trim(value)));
    if (!inserted) entry->second += "," + std::string(Trim(value));
  }
  if (parts.presigned) {
    for (const auto& [key, value] : query) {
      std::string name = Lowercase(key);
      if (name.rfind("x-amz-", 0) == 0 && request.Header(name) == nullptr) amz_headers.emplace(name, std::string(Trim(value)));
    }
  }

  std::string string_to_sign = request.method + '\n' + value_of("content-md5") + '\n' + value_of("content-type") + '\n' +
                               date_line + '\n';
  for (const auto& [name, value] : amz_headers) string_to_sign += name + ':' + value + '\n';
  if (!check.virtual_host_bucket.empty()) {
    string_to_sign += '/';
    string_to_sign += check.virtual_host_bucket;
  }
  string_to_sign += request.path.empty() ? std::string("/") : request.path;
  // Sub-resources sorted by name; one sent without '=' is signed as its name alone.
  std::vector<std::string> sub_resources;
  std::string_view raw_query = request.query;
  while (!raw_query.empty()) {
    auto amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    auto equals = pair.find('=');
    std::string name(pair.substr(0, equals));
    if (!IsSubResource(name)) continue;
    if (equals != std::string_view::npos) {
      auto value = PercentDecode(pair.substr(equals + 1));
      name += '=';
      name += value ? *value : std::string(pair.substr(equals + 1));
    }
    sub_resources.push_back(std::move(name));
  }
  std::stable_sort(sub_resources.begin(), sub_resources.end(), [](const std::string& a, const std::string& b) {
    return std::string_view(a).substr(0, a.find('=')) < std::string_view(b).substr(0, b.find('='));
  });
  for (std::size_t index = 0; index < sub_resources.size(); ++index) {
    string_to_sign += index == 0 ? '?' : '&';
    string_to_sign += sub_resources[index];
  }

  std::string expected = HmacSha1Base64(secret->secret_access_key, string_to_sign);
  if (!ConstantTimeEquals(expected, parts.signature)) {
    return S3SignatureMismatch(parts.access_key, string_to_sign, parts.signature, {});
  }

  std::string token = value_of("x-amz-security-token");
  if (secret->session_token) {
    if (token.empty() || !ConstantTimeEquals(token, *secret->session_token)) {
      return RejectS3(AuthFailure::UnknownAccessKey, "InvalidToken", "The provided token is malformed or otherwise invalid.");
    }
    if (secret->expired) return RejectS3(AuthFailure::ExpiredToken, "ExpiredToken", "The provided token has expired.");
  } else if (!token.empty()) {
    return RejectS3(AuthFailure::UnknownAccessKey, "InvalidToken", "The provided token is malformed or otherwise invalid.");
  }

  if (verified != nullptr) {
    *verified = VerifiedSigV4{};
    verified->access_key_id = parts.access_key;
    verified->signature_version = 2;
    verified->payload_hash_mode = PayloadHashMode::Unsigned;
    verified->seed_signature = parts.signature;
  }
  return std::nullopt;
}

}  // namespace mallard::protocol::sigv4_detail

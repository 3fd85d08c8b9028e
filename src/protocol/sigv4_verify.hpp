#pragma once
// SigV4 verification (`--auth sigv4`): checks a request's signature, carried in the Authorization
// header or in the query string (presigned), in the order and with the words AWS's front ends use,
// and says why a request fails in terms every protocol renders with AWS's own codes.
//
// Not built here: aws-chunked payload signing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD), which only S3
// uses; such requests are refused as incomplete.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws_error.hpp"
#include "common/http_types.hpp"

namespace mallard::protocol {

// The secret behind an access key, as verification needs it.
struct SigningSecret {
  std::string secret_access_key;
  // Temporary (STS-issued) credentials: requests must carry this X-Amz-Security-Token.
  std::optional<std::string> session_token;
  bool expired = false;
};
// nullopt when the access key is not known.
using SigningSecretLookup = std::function<std::optional<SigningSecret>(const std::string& access_key_id)>;

enum class AuthFailure {
  MissingAuthentication,  // no SigV4 signature at all
  IncompleteSignature,    // a signature with parts missing or malformed
  SignatureMismatch,      // wrong signature or scope, Host not signed, body hash mismatch
  SignatureExpired,       // outside the 15-minute window, or past X-Amz-Expires
  UnknownAccessKey,       // unknown key, or a missing or wrong session token
  ExpiredToken,           // STS credentials past their expiry
};

struct AuthRejection {
  AuthFailure failure;
  std::string message;
};

struct SigV4Check {
  std::int64_t now_millis = 0;
  // Signing name of the service the request routes to; the credential scope must name it.
  // Empty: any service.
  std::string_view service;
};

// nullopt when the request is signed by a known key and the signature holds.
std::optional<AuthRejection> VerifySigV4(const http::HttpRequest& request, const SigningSecretLookup& lookup,
                                         const SigV4Check& check);

// How a service reports authentication failures.
struct AuthErrorStyle {
  bool json = false;              // awsJson: coral exception names ("InvalidSignatureException")
  bool query_compatible = false;  // awsJson with awsQuery codes and statuses (SQS)
  // SQS treats an unsigned request as the anonymous principal, which queue policies may allow:
  // without such a policy it answers AccessDenied, not MissingAuthenticationToken.
  bool unsigned_is_anonymous = false;
  std::string resource;  // the URL that AccessDenied names
};
AwsError AuthError(const AuthRejection& rejection, const AuthErrorStyle& style);

// The pieces of the signature, exposed for tests and the benchmark.
namespace sigv4 {
// URI-encodes a path as it arrived on the wire, after removing dot segments and empty segments:
// the double encoding every service but S3 expects.
std::string CanonicalUri(std::string_view wire_path);
// Sorted, re-encoded query parameters; X-Amz-Signature left out when `presigned`.
std::string CanonicalQuery(std::string_view raw_query, bool presigned);
// The derived signing key (raw bytes) for a credential scope.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
std::string HmacSha256(std::string_view key, std::string_view data);
}  // namespace sigv4

}  // namespace mallard::protocol

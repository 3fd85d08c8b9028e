#pragma once
// SigV4 verification (`--auth sigv4`): checks a request's signature, carried in the Authorization
// header or in the query string (presigned), in the order and with the words AWS's front ends use,
// and says why a request fails in terms every protocol renders with AWS's own codes.
//
// S3 (SigV4Check::s3) has rules of its own: the path is encoded once and not normalised,
// x-amz-content-sha256 is required and may announce an unsigned or aws-chunked (STREAMING-*)
// payload, presigned URLs carry X-Amz-Expires, SigV2 is still accepted, and its errors have their
// own codes and members. Every other service refuses STREAMING-* payloads. The chunk signatures of
// an aws-chunked body are the S3 service's to verify, from the VerifiedSigV4 this returns.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/http_types.hpp"
#include "common/result.hpp"

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
  // Only with SigV4Check::s3:
  InvalidRequest,       // x-amz-content-sha256 missing or not a value S3 knows
  PayloadHashMismatch,  // x-amz-content-sha256 is not the buffered body's SHA-256
  RequestExpired,       // a presigned URL past X-Amz-Expires (or SigV2 Expires)
  RequestTimeTooSkewed,  // a header signature dated more than 15 minutes from now
  NotImplemented,        // SigV4a (AWS4-ECDSA-P256-SHA256), which Mallard does not verify
};

struct AuthRejection {
  AuthFailure failure;
  std::string message;
  // S3's code when it is not the failure's usual one (AuthorizationHeaderMalformed,
  // AuthorizationQueryParametersError, InvalidArgument, InvalidToken, ...); empty otherwise.
  std::string s3_code{};
  // The members S3 adds to the error, in S3's order (AWSAccessKeyId, StringToSign, ...).
  std::vector<std::pair<std::string, std::string>> details{};
};

struct SigV4Check {
  std::int64_t now_millis = 0;
  // Signing name of the service the request routes to; the credential scope must name it.
  // Empty: any service.
  std::string_view service;
  // Apply S3's rules (see the top of this file).
  bool s3 = false;
  // S3, SigV2 only: the bucket a virtual-hosted request names in its Host ("bucket.s3.localhost"),
  // which SigV2's canonical resource puts before the path. Empty for path-style requests.
  std::string_view virtual_host_bucket{};
};

// nullopt when the request is signed by a known key and the signature holds.
std::optional<AuthRejection> VerifySigV4(const http::HttpRequest& request, const SigningSecretLookup& lookup,
                                         const SigV4Check& check);

// What the payload hash (x-amz-content-sha256) says about the body.
enum class PayloadHashMode {
  Hash,                      // a hex SHA-256: see VerifiedSigV4::body_hash_pending
  Unsigned,                  // UNSIGNED-PAYLOAD (and every presigned URL without X-Amz-Content-Sha256)
  StreamingSigned,           // STREAMING-AWS4-HMAC-SHA256-PAYLOAD: aws-chunked, each chunk signed
  StreamingSignedTrailer,    // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER: the same, plus a signed trailer
  StreamingUnsignedTrailer,  // STREAMING-UNSIGNED-PAYLOAD-TRAILER: aws-chunked, unsigned, with a trailer
};

// A verified signature: who signed, and what a service needs to verify an aws-chunked body, whose
// chunk signatures chain from the request's (seed) signature under the same key and scope.
struct VerifiedSigV4 {
  std::string access_key_id;
  int signature_version = 4;  // 2: S3's SigV2 (no signing key, scope or seed signature)
  std::string signing_key;    // the derived key, raw bytes
  std::string seed_signature;  // hex
  std::string amz_date;        // "20130524T000000Z"
  std::string scope;           // "20130524/us-east-1/s3/aws4_request"
  PayloadHashMode payload_hash_mode = PayloadHashMode::Unsigned;
  std::string declared_sha256;  // x-amz-content-sha256 (or X-Amz-Content-Sha256) as sent; empty when absent
  // Hash mode with a streamed body (HttpRequest::body_stream): the signature covers the declared
  // hash, and the service must compare it with the SHA-256 of the bytes it reads, failing with
  // S3PayloadHashMismatch. A buffered body has been checked already.
  bool body_hash_pending = false;
};

// VerifySigV4, returning on success what was verified.
Result<VerifiedSigV4, AuthRejection> VerifySigV4WithDetails(const http::HttpRequest& request,
                                                            const SigningSecretLookup& lookup, const SigV4Check& check);

// S3's XAmzContentSHA256Mismatch, for a streamed body whose SHA-256 (hex) is not the declared one.
// S3 POST Object (a browser form upload): the form signs its base64 POST policy, and the signing
// fields are form fields, not headers. SigV4: X-Amz-Algorithm AWS4-HMAC-SHA256, X-Amz-Credential
// AKID/DATE/REGION/s3/aws4_request, X-Amz-Signature = hex HMAC-SHA256 of the policy under the key
// derived for that scope. SigV2: AWSAccessKeyId, Signature = base64 HMAC-SHA1 of the policy.
// Temporary credentials need their x-amz-security-token field. Rejections are in S3's words.
struct PostPolicySignature {
  std::string policy;  // the Policy field as sent (base64): what is signed
  bool sigv4 = true;
  std::string algorithm;   // X-Amz-Algorithm
  std::string credential;  // X-Amz-Credential
  std::string signature;   // X-Amz-Signature, or SigV2's Signature
  std::string access_key_id;  // SigV2's AWSAccessKeyId
  std::optional<std::string> security_token;
};
std::optional<AuthRejection> VerifyPostPolicySignature(const PostPolicySignature& form, const SigningSecretLookup& lookup);

AuthRejection S3PayloadHashMismatch(std::string_view declared_sha256, std::string_view computed_sha256);

// How a service reports authentication failures.
struct AuthErrorStyle {
  bool json = false;              // awsJson: coral exception names ("InvalidSignatureException")
  bool query_compatible = false;  // awsJson with awsQuery codes and statuses (SQS)
  // SQS treats an unsigned request as the anonymous principal, which queue policies may allow:
  // without such a policy it answers AccessDenied, not MissingAuthenticationToken.
  bool unsigned_is_anonymous = false;
  std::string resource;  // the URL that AccessDenied names
  // S3: S3's codes, statuses, messages and members (in AwsError::extra_json, a JSON object of strings).
  bool s3 = false;
};
AwsError AuthError(const AuthRejection& rejection, const AuthErrorStyle& style);

// The pieces of the signature, exposed for tests and the benchmark.
namespace sigv4 {
// URI-encodes a path as it arrived on the wire, after removing dot segments and empty segments:
// the double encoding every service but S3 expects.
std::string CanonicalUri(std::string_view wire_path);
// S3's canonical URI: the path decoded and URI-encoded once ('/' kept), segments as they are
// ("//" and "/./" stay: they are part of the key).
std::string S3CanonicalUri(std::string_view wire_path);
// Sorted, re-encoded query parameters; X-Amz-Signature left out when `presigned`.
std::string CanonicalQuery(std::string_view raw_query, bool presigned);
// The derived signing key (raw bytes) for a credential scope.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
std::string HmacSha256(std::string_view key, std::string_view data);
}  // namespace sigv4

}  // namespace mallard::protocol

#pragma once
// Internal to the protocol module: the pieces sigv4_verify.cpp (SigV4, every service) and
// sigv4_s3.cpp (S3's rules, SigV2, S3's error words) share. Not part of the module's interface.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/sigv4_verify.hpp"

namespace mallard::protocol::sigv4_detail {

inline constexpr std::int64_t kSkewSeconds = 15 * 60;

std::string Sha256Hex(std::string_view data);
bool ConstantTimeEquals(std::string_view a, std::string_view b);
std::string_view Trim(std::string_view text);
std::string Lowercase(std::string_view text);
void AppendUriEncoded(std::string& out, std::string_view text, bool keep_slash);
// "20150830T123600Z"
std::string FormatBasic(std::int64_t seconds);
// "2015-08-30T12:36:00Z", as S3 writes ServerTime and Expires.
std::string FormatIso(std::int64_t seconds);
bool AllDigits(std::string_view text);
std::optional<std::int64_t> ParseBasicDate(std::string_view text);
std::optional<std::int64_t> ParseHttpDate(std::string_view text);
// The first value of a query parameter, names and values percent-decoded ('+' kept).
std::optional<std::string> QueryParameter(std::string_view query, std::string_view name);
std::vector<std::pair<std::string, std::string>> DecodedQuery(std::string_view query);

inline AuthRejection Reject(AuthFailure failure, std::string message) {
  return AuthRejection{failure, std::move(message), {}, {}};
}
inline AuthRejection RejectS3(AuthFailure failure, std::string s3_code, std::string message,
                              std::vector<std::pair<std::string, std::string>> details = {}) {
  return AuthRejection{failure, std::move(message), std::move(s3_code), std::move(details)};
}

inline constexpr const char* kS3MalformedCredential =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
// S3 names a malformed signature by where it was: AuthorizationQueryParametersError (presigned)
// or AuthorizationHeaderMalformed ("The authorization header is malformed; " + detail).
AuthRejection S3Malformed(bool presigned, std::string detail);
// NotImplemented, naming the header (SigV4a: ECDSA-signed requests and chunks are not verified).
AuthRejection S3NotImplemented(std::string_view header);
// What S3 makes of x-amz-content-sha256; nullopt with `rejection` set when S3 refuses the value.
std::optional<PayloadHashMode> S3PayloadMode(std::string_view declared, bool presigned, AuthRejection& rejection);

// S3's SignatureDoesNotMatch words and members; `canonical_request` empty for SigV2.
AuthRejection S3SignatureMismatch(std::string_view access_key, std::string_view string_to_sign,
                                  std::string_view signature_provided, std::string_view canonical_request);

// SigV2 (`Authorization: AWS AKID:signature`, or AWSAccessKeyId/Signature/Expires in the query),
// which S3 alone still accepts and botocore still uses to presign S3 URLs.
std::optional<AuthRejection> VerifyS3SigV2(const http::HttpRequest& request, const SigningSecretLookup& lookup,
                                           const SigV4Check& check, VerifiedSigV4* verified);
// Whether a request carries a SigV2 signature in S3's forms.
bool HasSigV2(const http::HttpRequest& request);
// SigV2's signature: base64 of HMAC-SHA1 under the secret.
std::string HmacSha1Base64(std::string_view key, std::string_view data);

}  // namespace mallard::protocol::sigv4_detail

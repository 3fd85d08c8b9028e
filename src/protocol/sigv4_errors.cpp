// S3's words for a refused signature, and the error every protocol answers with (AuthError).
// S3's codes, messages and members follow recorded AWS answers (LocalStack's test_s3 snapshots
// of real S3: SignatureDoesNotMatch, AccessDenied "Request has expired", AuthorizationQueryParametersError)
// and S3's error documentation; see src/protocol/README.md for the ones that are Mallard's choice.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "common/encoding.hpp"
#include "protocol/sigv4_detail.hpp"

namespace mallard::protocol {
namespace sigv4_detail {
namespace {

bool IsHexSha256(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

}  // namespace

// S3 names a malformed signature by where it was: the Authorization header or the query string.
AuthRejection S3Malformed(bool presigned, std::string detail) {
  if (presigned) return RejectS3(AuthFailure::IncompleteSignature, "AuthorizationQueryParametersError", std::move(detail));
  return RejectS3(AuthFailure::IncompleteSignature, "AuthorizationHeaderMalformed",
                  "The authorization header is malformed; " + std::move(detail));
}

// S3's words for a header naming something it does not do (here: SigV4a, ECDSA-signed requests and
// chunks, which Mallard does not verify), with the header that named it.
AuthRejection S3NotImplemented(std::string_view header) {
  return RejectS3(AuthFailure::NotImplemented, "NotImplemented",
                  "A header you provided implies functionality that is not implemented", {{"Header", std::string(header)}});
}


// What S3 makes of x-amz-content-sha256 (nullopt with `rejection` set when it refuses the value).
std::optional<PayloadHashMode> S3PayloadMode(std::string_view declared, bool presigned, AuthRejection& rejection) {
  if (declared == "UNSIGNED-PAYLOAD") return PayloadHashMode::Unsigned;
  if (declared == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return PayloadHashMode::StreamingUnsignedTrailer;
  if (declared == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return PayloadHashMode::StreamingSigned;
  if (declared == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") return PayloadHashMode::StreamingSignedTrailer;
  if (IsHexSha256(declared)) return PayloadHashMode::Hash;
  if (declared == "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" ||
      declared == "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER") {
    rejection = S3NotImplemented("x-amz-content-sha256");
    return std::nullopt;
  }
  rejection = RejectS3(AuthFailure::InvalidRequest, "InvalidArgument",
                       "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
                       "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
                       "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a "
                       "valid sha256 value.",
                       {{"ArgumentName", presigned ? "X-Amz-Content-Sha256" : "x-amz-content-sha256"},
                        {"ArgumentValue", std::string(declared)}});
  return std::nullopt;
}

AuthRejection S3SignatureMismatch(std::string_view access_key, std::string_view string_to_sign,
                                  std::string_view signature_provided, std::string_view canonical_request) {
  // The bytes as S3 lists them: two lower-case hex digits a byte, separated by spaces.
  auto bytes_of = [](std::string_view text) {
    std::string hex = HexEncode(text);
    std::string out;
    out.reserve(hex.size() * 3 / 2);
    for (std::size_t index = 0; index < hex.size(); index += 2) {
      if (index > 0) out += ' ';
      out.append(hex, index, 2);
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> details = {
      {"AWSAccessKeyId", std::string(access_key)},
      {"StringToSign", std::string(string_to_sign)},
      {"SignatureProvided", std::string(signature_provided)},
      {"StringToSignBytes", bytes_of(string_to_sign)},
  };
  if (!canonical_request.empty()) {
    details.emplace_back("CanonicalRequest", std::string(canonical_request));
    details.emplace_back("CanonicalRequestBytes", bytes_of(canonical_request));
  }
  return RejectS3(AuthFailure::SignatureMismatch, "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you provided. Check your key "
                  "and signing method.",
                  std::move(details));
}

}  // namespace sigv4_detail

using sigv4_detail::RejectS3;

AuthRejection S3PayloadHashMismatch(std::string_view declared_sha256, std::string_view computed_sha256) {
  return RejectS3(AuthFailure::PayloadHashMismatch, "XAmzContentSHA256Mismatch",
                  "The provided 'x-amz-content-sha256' header does not match what was computed.",
                  {{"ClientComputedContentSHA256", std::string(declared_sha256)},
                   {"S3ComputedContentSHA256", std::string(computed_sha256)}});
}

namespace {

int S3Status(std::string_view code) {
  static constexpr std::string_view kBadRequest[] = {
      "AuthorizationHeaderMalformed", "AuthorizationQueryParametersError", "InvalidArgument", "InvalidRequest",
      "InvalidToken", "ExpiredToken", "XAmzContentSHA256Mismatch"};
  if (code == "NotImplemented") return 501;
  return std::find(std::begin(kBadRequest), std::end(kBadRequest), code) != std::end(kBadRequest) ? 400 : 403;
}

// S3's answer: the code the verification chose, else the failure's; members in extra_json.
AwsError S3AuthError(const AuthRejection& rejection) {
  std::string code = rejection.s3_code;
  std::string message = rejection.message;
  if (code.empty()) {
    switch (rejection.failure) {
      case AuthFailure::MissingAuthentication:
        // S3 takes an unsigned request as anonymous; with no public bucket policy (Mallard has none
        // that grants anonymous access) that is AccessDenied.
        code = "AccessDenied";
        message = "Access Denied";
        break;
      case AuthFailure::IncompleteSignature: code = "AuthorizationHeaderMalformed"; break;
      case AuthFailure::SignatureMismatch: code = "SignatureDoesNotMatch"; break;
      case AuthFailure::SignatureExpired:
      case AuthFailure::RequestExpired: code = "AccessDenied"; break;
      case AuthFailure::UnknownAccessKey: code = "InvalidAccessKeyId"; break;
      case AuthFailure::ExpiredToken: code = "ExpiredToken"; break;
      case AuthFailure::InvalidRequest: code = "InvalidRequest"; break;
      case AuthFailure::PayloadHashMismatch: code = "XAmzContentSHA256Mismatch"; break;
      case AuthFailure::RequestTimeTooSkewed: code = "RequestTimeTooSkewed"; break;
      case AuthFailure::NotImplemented: code = "NotImplemented"; break;
    }
  }
  int status = S3Status(code);
  AwsError error = AwsError::Make(code, status, std::move(message));
  if (status >= 500) error.fault = FaultSide::Receiver;
  if (!rejection.details.empty()) {
    boost::json::object members;
    // Members echo client bytes (a signature, a header value): kept valid UTF-8, so that the JSON
    // parses again where the error is rendered.
    for (const auto& [name, value] : rejection.details) members[name] = ToValidUtf8(value);
    error.extra_json = boost::json::serialize(members);
  }
  return error;
}

}  // namespace

AwsError AuthError(const AuthRejection& rejection, const AuthErrorStyle& style) {
  // Names and statuses as AWS answers: awsQuery codes with 403 (400 for an incomplete signature);
  // coral exception names in awsJson, with 400 for DynamoDB-style services and the awsQuery status
  // for query-compatible ones (SQS), whose x-amzn-query-error carries the awsQuery code.
  struct Names {
    const char* query_code;
    const char* json_code;
    int query_status;
  };
  if (style.s3) return S3AuthError(rejection);
  Names names{};
  std::string message = rejection.message;
  switch (rejection.failure) {
    case AuthFailure::MissingAuthentication:
      if (style.unsigned_is_anonymous) {
        names = {"AccessDenied", "AccessDeniedException", 403};
        message = "Access to the resource " + style.resource + " is denied.";
      } else {
        names = {"MissingAuthenticationToken", "MissingAuthenticationTokenException", 403};
      }
      break;
    case AuthFailure::IncompleteSignature:
    case AuthFailure::InvalidRequest:  // the S3-only failures, should another protocol meet them
    case AuthFailure::NotImplemented:
      names = {"IncompleteSignature", "IncompleteSignatureException", 400};
      break;
    case AuthFailure::SignatureMismatch:
    case AuthFailure::SignatureExpired:
    case AuthFailure::PayloadHashMismatch:
    case AuthFailure::RequestExpired:
    case AuthFailure::RequestTimeTooSkewed:
      names = {"SignatureDoesNotMatch", "InvalidSignatureException", 403};
      break;
    case AuthFailure::UnknownAccessKey:
      names = {"InvalidClientTokenId", "UnrecognizedClientException", 403};
      break;
    case AuthFailure::ExpiredToken:
      names = {"ExpiredToken", "ExpiredTokenException", 403};
      break;
  }
  if (!style.json) return AwsError::Make(names.query_code, names.query_status, std::move(message));
  int status = style.query_compatible ? names.query_status : 400;
  AwsError error = AwsError::Make(names.json_code, status, std::move(message));
  error.query_code = names.query_code;
  return error;
}


}  // namespace mallard::protocol

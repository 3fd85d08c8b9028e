// S3 POST Object's signature (sigv4_verify.hpp, VerifyPostPolicySignature): a browser form signs
// its POST policy, so the string to sign is the Policy field itself, base64 as sent. S3's
// "Authenticating Requests in Browser-Based Uploads Using POST (AWS Signature Version 4)" and
// "Browser-Based Uploads Using POST (AWS Signature Version 2)".
#include <cctype>

#include "common/encoding.hpp"
#include "protocol/sigv4.hpp"
#include "protocol/sigv4_detail.hpp"

namespace mallard::protocol {

using sigv4_detail::ConstantTimeEquals;
using sigv4_detail::RejectS3;

namespace {

AuthRejection InvalidFormArgument(std::string message, std::string_view name, std::string_view value) {
  return RejectS3(AuthFailure::IncompleteSignature, "InvalidArgument", std::move(message),
                  {{"ArgumentName", std::string(name)}, {"ArgumentValue", std::string(value)}});
}

AuthRejection UnknownKey(std::string_view access_key) {
  return RejectS3(AuthFailure::UnknownAccessKey, "InvalidAccessKeyId",
                  "The AWS Access Key Id you provided does not exist in our records.",
                  {{"AWSAccessKeyId", std::string(access_key)}});
}

}  // namespace

std::optional<AuthRejection> VerifyPostPolicySignature(const PostPolicySignature& form, const SigningSecretLookup& lookup) {
  std::string access_key;
  std::string expected;
  std::optional<SigningSecret> secret;
  if (form.sigv4) {
    if (form.algorithm != "AWS4-HMAC-SHA256")
      return InvalidFormArgument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", "X-Amz-Algorithm", form.algorithm);
    auto scope = ParseCredential(form.credential);
    if (!scope)
      return InvalidFormArgument("X-Amz-Credential is malformed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
                                 "X-Amz-Credential", form.credential);
    if (scope->service != "s3")
      return InvalidFormArgument("X-Amz-Credential names service '" + scope->service + "'; this endpoint belongs to 's3'.",
                                 "X-Amz-Credential", form.credential);
    access_key = scope->access_key_id;
    secret = lookup(access_key);
    if (!secret) return UnknownKey(access_key);
    std::string key = sigv4::SigningKey(secret->secret_access_key, scope->date, scope->region, scope->service);
    expected = HexEncode(sigv4::HmacSha256(key, form.policy));
  } else {
    access_key = form.access_key_id;
    secret = lookup(access_key);
    if (!secret) return UnknownKey(access_key);
    expected = sigv4_detail::HmacSha1Base64(secret->secret_access_key, form.policy);
  }
  // SigV4 signatures are hex, compared as S3 does without regard to case.
  std::string provided = form.signature;
  if (form.sigv4) {
    for (auto& c : provided) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!ConstantTimeEquals(expected, provided)) {
    return RejectS3(AuthFailure::SignatureMismatch, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided. Check your key "
                    "and signing method.",
                    {{"AWSAccessKeyId", access_key}, {"StringToSign", form.policy}, {"SignatureProvided", form.signature}});
  }
  bool token_refused = false;
  if (secret->session_token) {
    token_refused = !form.security_token || !ConstantTimeEquals(*form.security_token, *secret->session_token);
    if (!token_refused && secret->expired)
      return RejectS3(AuthFailure::ExpiredToken, "ExpiredToken", "The provided token has expired.");
  } else {
    token_refused = form.security_token && !form.security_token->empty();
  }
  if (token_refused)
    return RejectS3(AuthFailure::UnknownAccessKey, "InvalidToken", "The provided token is malformed or otherwise invalid.");
  return std::nullopt;
}

}  // namespace mallard::protocol

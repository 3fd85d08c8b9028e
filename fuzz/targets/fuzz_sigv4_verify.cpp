// --auth sigv4 verification (protocol/sigv4_verify.hpp) over arbitrary requests, by every service's
// rules and by S3's (SigV4 header and presigned, SigV2 header and presigned).
// Properties beyond "no crash": a refusal renders (AuthError) with a code and a status S3 or the
// other protocols use, and S3's members are a strict JSON object of strings; a refusal by the other
// services' rules carries no S3 members; a verified request says what it verified (a 32-byte key
// and a four-part scope for SigV4; a buffered body whose hash was signed has that hash); S3's
// canonical URI is a fixed point of itself; and when S3 reports SignatureDoesNotMatch for a header
// signature, signing the StringToSign it reports and sending that signature verifies — the string
// S3 names is the one it checks.
//
// Input layout: byte 0 flags (bit 0: S3's rules; bit 1: the body is streamed; bit 2: the key is a
// temporary one with session token "token"), then "<method>\n<path>\n<query>\n", header lines
// "<name>:<value>" (names lower-cased) up to an empty line, then the body. The time is
// 2013-05-24T00:00:00Z and the key AKIAIOSFODNN7EXAMPLE, as in S3's documented examples.
#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/encoding.hpp"
#include "protocol/sigv4_verify.hpp"

namespace json = boost::json;
using namespace mallard;
using namespace mallard::protocol;

namespace {

constexpr std::int64_t kNowMillis = 1369353600000;
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

std::string_view NextLine(std::string_view& rest) {
  std::size_t newline = rest.find('\n');
  std::string_view line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return line;
}

void Require(bool condition) {
  if (!condition) std::abort();
}

struct NoBody : http::RequestBodyStream {
  void Read(http::BodyReadDone done) override { done({}, {}); }
  std::optional<std::uint64_t> DeclaredLength() const override { return std::nullopt; }
};

void CheckRefusal(const AuthRejection& rejection, bool s3) {
  if (!s3) {
    Require(rejection.s3_code.empty() && rejection.details.empty());
    AwsError query = AuthError(rejection, AuthErrorStyle{});
    Require(!query.code.empty() && (query.http_status == 400 || query.http_status == 403));
    return;
  }
  AuthErrorStyle style;
  style.s3 = true;
  AwsError error = AuthError(rejection, style);
  Require(!error.code.empty() && !error.message.empty());
  Require(error.http_status == 400 || error.http_status == 403 || error.http_status == 501);
  if (rejection.details.empty()) {
    Require(error.extra_json.empty());
    return;
  }
  boost::system::error_code failed;
  json::value members = json::parse(error.extra_json, failed);
  Require(!failed && members.is_object() && members.as_object().size() <= rejection.details.size());
  for (const auto& member : members.as_object()) Require(member.value().is_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  http::HttpRequest request;
  request.method = std::string(NextLine(rest));
  request.path = std::string(NextLine(rest));
  request.query = std::string(NextLine(rest));
  while (!rest.empty()) {
    std::string_view line = NextLine(rest);
    if (line.empty()) break;
    auto colon = line.find(':');
    request.headers.emplace_back(std::string(line.substr(0, colon)),
                                 colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }
  request.body = std::string(rest);
  if ((flags & 2) != 0) {
    request.body.clear();
    request.body_stream = std::make_shared<NoBody>();
  }
  const bool s3 = (flags & 1) != 0;
  const bool temporary = (flags & 4) != 0;
  SigningSecretLookup lookup = [temporary](const std::string& access_key) -> std::optional<SigningSecret> {
    if (access_key != "AKIAIOSFODNN7EXAMPLE") return std::nullopt;
    return SigningSecret{kSecret, temporary ? std::optional<std::string>("token") : std::nullopt, false};
  };
  SigV4Check check;
  check.now_millis = kNowMillis;
  check.service = "s3";
  check.s3 = s3;

  std::string canonical = sigv4::S3CanonicalUri(request.path);
  Require(sigv4::S3CanonicalUri(canonical) == canonical);

  auto result = VerifySigV4WithDetails(request, lookup, check);
  auto plain = VerifySigV4(request, lookup, check);
  Require(result.ok() == !plain.has_value());
  if (result.ok()) {
    const VerifiedSigV4& verified = result.value();
    Require(verified.access_key_id == "AKIAIOSFODNN7EXAMPLE");
    if (verified.signature_version == 4) {
      Require(verified.signing_key.size() == 32);
      std::size_t slashes = 0;
      for (char c : verified.scope) slashes += c == '/' ? 1 : 0;
      Require(slashes == 3);
      if (s3 && verified.payload_hash_mode == PayloadHashMode::Hash && !request.body_stream) {
        std::string declared = verified.declared_sha256;
        for (auto& c : declared) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        Require(declared == Sha256Hex(request.body));
      }
      Require(verified.body_hash_pending == (s3 && request.body_stream && verified.payload_hash_mode == PayloadHashMode::Hash));
    } else {
      Require(s3 && verified.signature_version == 2);
    }
    return 0;
  }
  const AuthRejection& rejection = result.error();
  CheckRefusal(rejection, s3);

  // S3 names the string it signed: signing it must verify (a header SigV4 signature whose value is
  // the Authorization header's last parameter).
  if (s3 && rejection.failure == AuthFailure::SignatureMismatch) {
    std::string string_to_sign;
    bool has_canonical = false;
    for (const auto& [name, value] : rejection.details) {
      if (name == "StringToSign") string_to_sign = value;
      if (name == "CanonicalRequest") has_canonical = true;
    }
    for (auto& [name, value] : request.headers) {
      if (name != "authorization") continue;
      if (!has_canonical) break;  // only the first Authorization header is read
      // The parameter as the parser reads it: the first token "Signature=…", here the last one.
      std::size_t at = value.find("Signature=");
      while (at != std::string::npos && at > 0 && value[at - 1] != ',' && value[at - 1] != ' ') {
        at = value.find("Signature=", at + 1);
      }
      if (at == std::string::npos || value.find_first_of(", ", at) != std::string::npos) break;
      std::string scope_date = string_to_sign.substr(string_to_sign.find('\n') + 1);
      scope_date = scope_date.substr(scope_date.find('\n') + 1);
      auto first = scope_date.find('/');
      auto second = scope_date.find('/', first + 1);
      auto third = scope_date.find('/', second + 1);
      std::string key = sigv4::SigningKey(kSecret, scope_date.substr(0, first), scope_date.substr(first + 1, second - first - 1),
                                          scope_date.substr(second + 1, third - second - 1));
      value = value.substr(0, at + 10) + HexEncode(sigv4::HmacSha256(key, string_to_sign));
      auto again = VerifySigV4(request, lookup, check);
      Require(!again || again->failure == AuthFailure::PayloadHashMismatch || again->failure == AuthFailure::UnknownAccessKey);
      break;
    }
  }
  return 0;
}

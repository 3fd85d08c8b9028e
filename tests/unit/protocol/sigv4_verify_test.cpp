// SigV4 verification against AWS's published signing test suite (the aws-sig-v4-test-suite, as
// kept in awslabs/aws-c-auth tests/aws-signing-test-suite/v4: AKIDEXAMPLE, 20150830T123600Z,
// us-east-1, service "service"), and the failures AWS reports, in order.
#include "protocol/sigv4_verify.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/encoding.hpp"

namespace mallard::protocol {
namespace {

constexpr const char* kAccessKey = "AKIDEXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::int64_t kSuiteTimeMillis = 1440938160000;  // 2015-08-30T12:36:00Z
constexpr const char* kVanillaAuthorization =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

// A request in the suite's text form: "METHOD target HTTP/1.1", "Name:value" lines, blank line, body.
http::HttpRequest Parse(const std::string& text) {
  http::HttpRequest request;
  auto line_end = text.find('\n');
  std::string request_line = text.substr(0, line_end);
  auto first_space = request_line.find(' ');
  auto last_space = request_line.rfind(' ');
  request.method = request_line.substr(0, first_space);
  request.target = request_line.substr(first_space + 1, last_space - first_space - 1);
  auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  request.query = question == std::string::npos ? std::string() : request.target.substr(question + 1);
  std::size_t position = line_end + 1;
  while (position < text.size()) {
    auto end = text.find('\n', position);
    std::string line = text.substr(position, end == std::string::npos ? std::string::npos : end - position);
    position = end == std::string::npos ? text.size() : end + 1;
    if (line.empty()) break;
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(name, line.substr(colon + 1));
  }
  request.body = position < text.size() ? text.substr(position) : std::string();
  return request;
}

struct Keys {
  std::optional<std::string> session_token;
  bool expired = false;
  SigningSecretLookup Lookup() const {
    return [this](const std::string& access_key) -> std::optional<SigningSecret> {
      if (access_key != kAccessKey) return std::nullopt;
      return SigningSecret{kSecret, session_token, expired};
    };
  }
};

std::optional<AuthRejection> Verify(const http::HttpRequest& request, const Keys& keys = {},
                                    std::int64_t now = kSuiteTimeMillis, std::string_view service = "service") {
  return VerifySigV4(request, keys.Lookup(), SigV4Check{now, service});
}

struct Vector {
  const char* name;
  const char* request;
  const char* session_token = nullptr;
};

// header-signed-request.txt of each case.
const Vector kHeaderVectors[] = {
    {"get-vanilla", "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                    "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n"},
    {"get-vanilla-query-order-key-case",
     "GET /?Param2=value2&Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
     "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500\n"},
    {"get-vanilla-query-order-encoded",
     "GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n"
     "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac\n"},
    {"get-vanilla-query-unreserved",
     "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
     "abcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
     "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197\n"},
    {"get-vanilla-empty-query-key",
     "GET /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
     "Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb\n"},
    {"get-header-key-duplicate",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\n"
     "X-Amz-Date:20150830T123600Z\nAuthorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
     "aws4_request, SignedHeaders=host;my-header1;x-amz-date, "
     "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea\n"},
    {"get-header-value-trim",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\nMy-Header2: \"a   b   c\"\nX-Amz-Date:20150830T123600Z\n"
     "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
     "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736\n"},
    {"get-utf8", "GET /\xE1\x88\xB4 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
                 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                 "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85\n"},
    {"get-space-normalized",
     "GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
     "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741\n"},
    {"get-slashes-normalized",
     "GET //example// HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
     "Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84\n"},
    {"get-relative-relative-normalized",
     "GET /example1/example2/../.. HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n"
     "Authorization:" },  // completed below with the get-vanilla signature
    {"get-slash-dot-slash-normalized",
     "GET /./ HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"},
    {"post-vanilla", "POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nAuthorization:"
                     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b\n"},
    {"post-header-value-case",
     "POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:VALUE1\nX-Amz-Date:20150830T123600Z\nAuthorization:"
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d\n"},
    {"post-x-www-form-urlencoded",
     "POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\nContent-Length:13\n"
     "X-Amz-Date:20150830T123600Z\nx-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
     "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, "
     "Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b\n\nParam1=value1"},
    {"get-vanilla-with-session-token",
     "GET / HTTP/1.1\nHost:example.amazonaws.com\n"
     "X-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\nX-Amz-Date:20150830T123600Z\n"
     "Authorization:AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date;x-amz-security-token, "
     "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8\n",
     "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"},
};

// query-signed-request.txt of each case (presigned, X-Amz-Expires=3600).
const Vector kQueryVectors[] = {
    {"get-vanilla", "GET /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
                    "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&"
                    "X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d HTTP/1.1\n"
                    "Host:example.amazonaws.com\n"},
    {"get-slashes-normalized",
     "GET //example//?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2F"
     "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&"
     "X-Amz-Signature=c1834e8fb0307243711f0f907f6ab7311ed300d87f13792d7ee4da89ab93e082 HTTP/1.1\nHost:example.amazonaws.com\n"},
    {"post-vanilla", "POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
                     "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&"
                     "X-Amz-Signature=2ce6e6d2e0cf2f9d1b55fafec88cd20574c31dc2e7631979f71ba2310083e95b HTTP/1.1\n"
                     "Host:example.amazonaws.com\n"},
    {"get-vanilla-query-unreserved",
     "GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
     "abcdefghijklmnopqrstuvwxyz&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
     "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&"
     "X-Amz-Signature=8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf HTTP/1.1\nHost:example.amazonaws.com\n"},
    {"get-vanilla-empty-query-key",
     "GET /?Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
     "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&"
     "X-Amz-Signature=49096700cbbaa5753443850f40df10f904fc2fdb544dc9512203cc77c471a9de HTTP/1.1\nHost:example.amazonaws.com\n"},
    {"post-header-value-case",
     "POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2F"
     "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bmy-header1&X-Amz-Expires=3600&"
     "X-Amz-Signature=0698bc9e4f7f9139065ba2909c0e99da257e8e2a42492a097bcd46d792391fed HTTP/1.1\n"
     "Host:example.amazonaws.com\nMy-Header1:VALUE1\n"},
    {"get-space-normalized",
     "GET /example space/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2F"
     "service%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&"
     "X-Amz-Signature=7a1f416954786484c9824d93c1f26ef64acb9b1b6c9154d08c9f07d0e394abf6 HTTP/1.1\nHost:example.amazonaws.com\n"},
};

http::HttpRequest HeaderVector(const Vector& vector) {
  std::string text = vector.request;
  // The two normalisation cases resolve to "/" and carry get-vanilla's signature.
  if (text.size() >= 14 && text.compare(text.size() - 14, 14, "Authorization:") == 0) text += std::string(kVanillaAuthorization) + "\n";
  return Parse(text);
}

Keys KeysFor(const Vector& vector) {
  Keys keys;
  if (vector.session_token) keys.session_token = vector.session_token;
  return keys;
}

std::string Describe(const std::optional<AuthRejection>& rejection) { return rejection ? rejection->message : "verified"; }

TEST(SigV4VerifyTest, PublishedHeaderSignaturesVerify) {
  for (const auto& vector : kHeaderVectors) {
    auto rejection = Verify(HeaderVector(vector), KeysFor(vector));
    EXPECT_FALSE(rejection.has_value()) << vector.name << ": " << Describe(rejection);
  }
}

TEST(SigV4VerifyTest, PublishedPresignedSignaturesVerify) {
  for (const auto& vector : kQueryVectors) {
    auto rejection = Verify(Parse(vector.request));
    EXPECT_FALSE(rejection.has_value()) << vector.name << ": " << Describe(rejection);
  }
}

// One byte changed anywhere the canonical request covers must break the signature; bytes it does
// not cover (unsigned headers) must not.
TEST(SigV4VerifyTest, AnyChangedByteOfTheCanonicalRequestFails) {
  for (const auto& vector : kHeaderVectors) {
    const auto original = HeaderVector(vector);
    std::vector<std::pair<std::string, http::HttpRequest>> tampered;
    auto method = original;
    method.method[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(method.method[0])));
    tampered.emplace_back("method", method);
    auto path = original;
    path.path += "x";
    tampered.emplace_back("path", path);
    auto query = original;
    query.query += query.query.empty() ? "a=b" : "x";
    tampered.emplace_back("query", query);
    for (std::size_t index = 0; index < original.headers.size(); ++index) {
      const auto& [name, value] = original.headers[index];
      if (name == "authorization" || name == "x-amz-date" || name == "x-amz-content-sha256" ||
          name == "x-amz-security-token") {
        continue;
      }
      auto header = original;
      header.headers[index].second.back() ^= 1;
      tampered.emplace_back("header " + name, header);
    }
    if (!original.body.empty()) {
      auto body = original;
      body.body.back() ^= 1;
      tampered.emplace_back("body", body);
    }
    for (const auto& [what, request] : tampered) {
      auto rejection = Verify(request, KeysFor(vector));
      ASSERT_TRUE(rejection.has_value()) << vector.name << ": changed " << what << " still verified";
      EXPECT_EQ(rejection->failure, AuthFailure::SignatureMismatch) << vector.name << " " << what << ": " << rejection->message;
    }
    auto unsigned_header = original;
    unsigned_header.headers.emplace_back("user-agent", "changed/1.0");
    EXPECT_FALSE(Verify(unsigned_header, KeysFor(vector)).has_value()) << vector.name;
  }
}

TEST(SigV4VerifyTest, MismatchNamesTheCanonicalRequestAndStringToSign) {
  auto request = HeaderVector(kHeaderVectors[14]);  // post-x-www-form-urlencoded
  ASSERT_EQ(std::string(kHeaderVectors[14].name), "post-x-www-form-urlencoded");
  auto& authorization = request.headers.back();
  ASSERT_EQ(authorization.first, "authorization");
  authorization.second.back() = authorization.second.back() == '0' ? '1' : '0';
  auto rejection = Verify(request);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->failure, AuthFailure::SignatureMismatch);
  // header-canonical-request.txt of the suite, byte for byte.
  const std::string canonical =
      "POST\n/\n\ncontent-length:13\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e\n"
      "x-amz-date:20150830T123600Z\n\ncontent-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
  EXPECT_EQ(rejection->message,
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String "
            "for this request should have been\n'" +
                canonical + "'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20150830T123600Z\n"
                            "20150830/us-east-1/service/aws4_request\n" +
                Sha256Hex(canonical) + "'\n");
}

TEST(SigV4VerifyTest, CanonicalPiecesMatchTheSuite) {
  EXPECT_EQ(sigv4::CanonicalUri("/example1/example2/../.."), "/");
  EXPECT_EQ(sigv4::CanonicalUri("//example//"), "/example/");
  EXPECT_EQ(sigv4::CanonicalUri(""), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/example space/"), "/example%20space/");
  // A path that arrives percent-encoded is encoded again, as SDKs do for every service but S3.
  EXPECT_EQ(sigv4::CanonicalUri("/000000000000/my%20queue"), "/000000000000/my%2520queue");
  EXPECT_EQ(sigv4::CanonicalQuery("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
  EXPECT_EQ(sigv4::CanonicalQuery("b&a=1+2&X-Amz-Signature=s", true), "a=1%2B2&b=");
  // The suite's derived key for 20150830/us-east-1/iam (sigv4-calculate-signature example).
  EXPECT_EQ(HexEncode(sigv4::SigningKey(kSecret, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

http::HttpRequest Vanilla() { return HeaderVector(kHeaderVectors[0]); }

void SetHeader(http::HttpRequest& request, const std::string& name, const std::string& value) {
  for (auto& [existing, existing_value] : request.headers) {
    if (existing == name) {
      existing_value = value;
      return;
    }
  }
  request.headers.emplace_back(name, value);
}

void RemoveHeader(http::HttpRequest& request, const std::string& name) {
  std::erase_if(request.headers, [&](const auto& header) { return header.first == name; });
}

void ExpectRejected(const std::optional<AuthRejection>& rejection, AuthFailure failure, const std::string& message) {
  ASSERT_TRUE(rejection.has_value()) << "verified, expected: " << message;
  EXPECT_EQ(static_cast<int>(rejection->failure), static_cast<int>(failure)) << rejection->message;
  EXPECT_EQ(rejection->message, message);
}

TEST(SigV4VerifyTest, MissingOrForeignAuthenticationIsMissingToken) {
  auto request = Vanilla();
  RemoveHeader(request, "authorization");
  ExpectRejected(Verify(request), AuthFailure::MissingAuthentication, "Request is missing Authentication Token");
  SetHeader(request, "authorization", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=");
  ExpectRejected(Verify(request), AuthFailure::MissingAuthentication, "Request is missing Authentication Token");
}

TEST(SigV4VerifyTest, HeaderAndQuerySignatureTogetherAreRefused) {
  auto request = Vanilla();
  request.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
  ExpectRejected(Verify(request), AuthFailure::SignatureMismatch,
                 "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
}

TEST(SigV4VerifyTest, IncompleteAuthorizationHeaderListsWhatIsMissing) {
  auto request = Vanilla();
  RemoveHeader(request, "x-amz-date");
  SetHeader(request, "authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request");
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                 "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                 "Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request");
  SetHeader(request, "authorization", "AWS4-HMAC-SHA256 Credential AKIDEXAMPLE");
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
                 "'AWS4-HMAC-SHA256 Credential AKIDEXAMPLE'.");
}

TEST(SigV4VerifyTest, IncompleteQuerySignatureListsWhatIsMissing) {
  auto request = Parse(kQueryVectors[0].request);
  request.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host";
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must "
                 "include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the "
                 "query-string parameters.");
}

TEST(SigV4VerifyTest, DatesOutsideTheFifteenMinuteWindowExpire) {
  auto request = Vanilla();
  EXPECT_FALSE(Verify(request, {}, kSuiteTimeMillis + 15 * 60 * 1000).has_value());
  EXPECT_FALSE(Verify(request, {}, kSuiteTimeMillis - 15 * 60 * 1000).has_value());
  ExpectRejected(Verify(request, {}, kSuiteTimeMillis + 16 * 60 * 1000), AuthFailure::SignatureExpired,
                 "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)");
  ExpectRejected(Verify(request, {}, kSuiteTimeMillis - 16 * 60 * 1000), AuthFailure::SignatureExpired,
                 "Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z "
                 "(20150830T122000Z + 15 min.)");
  SetHeader(request, "x-amz-date", "2015-08-30T12:36:00Z");
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");
}

TEST(SigV4VerifyTest, PresignedUrlsLiveForXAmzExpires) {
  auto request = Parse(kQueryVectors[0].request);  // X-Amz-Expires=3600
  EXPECT_FALSE(Verify(request, {}, kSuiteTimeMillis + 3600 * 1000).has_value());
  ExpectRejected(Verify(request, {}, kSuiteTimeMillis + 3601 * 1000), AuthFailure::SignatureExpired,
                 "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T133601Z - 3600 sec.)");
  auto week = request;
  week.query.replace(week.query.find("X-Amz-Expires=3600"), 18, "X-Amz-Expires=604801");
  ExpectRejected(Verify(week), AuthFailure::IncompleteSignature,
                 "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less "
                 "than 604800 seconds");
  auto changed = request;
  changed.query.replace(changed.query.find("X-Amz-Expires=3600"), 18, "X-Amz-Expires=7200");
  ASSERT_TRUE(Verify(changed).has_value());
  EXPECT_EQ(Verify(changed)->failure, AuthFailure::SignatureMismatch);
}

TEST(SigV4VerifyTest, HostAndDateMustBeSigned) {
  auto request = Vanilla();
  SetHeader(request, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  ExpectRejected(Verify(request), AuthFailure::SignatureMismatch, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  SetHeader(request, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  ExpectRejected(Verify(request), AuthFailure::SignatureMismatch,
                 "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST(SigV4VerifyTest, HttpDateHeaderStandsInForXAmzDate) {
  auto request = Vanilla();
  RemoveHeader(request, "x-amz-date");
  SetHeader(request, "date", "Sun, 30 Aug 2015 12:36:00 GMT");
  SetHeader(request, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=date;host, "
            "Signature=0000000000000000000000000000000000000000000000000000000000000000");
  auto rejection = Verify(request);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->failure, AuthFailure::SignatureMismatch) << rejection->message;
  // Signed as sent, dated in the string to sign in ISO 8601 basic format.
  EXPECT_NE(rejection->message.find("\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\ndate;host\n"),
            std::string::npos) << rejection->message;
  EXPECT_NE(rejection->message.find("'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"),
            std::string::npos) << rejection->message;
  EXPECT_EQ(Verify(request, {}, kSuiteTimeMillis + 16 * 60 * 1000)->failure, AuthFailure::SignatureExpired);
  SetHeader(request, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host, "
            "Signature=0000000000000000000000000000000000000000000000000000000000000000");
  ExpectRejected(Verify(request), AuthFailure::SignatureMismatch, "'Date' must be a 'SignedHeader' in the AWS Authorization.");
}

TEST(SigV4VerifyTest, AlgorithmAndCredentialScopeAreChecked) {
  auto request = Vanilla();
  std::string authorization = kVanillaAuthorization;
  SetHeader(request, "authorization", "AWS4-HMAC-SHA512" + authorization.substr(16));
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ");
  SetHeader(request, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service, SignedHeaders=host;x-amz-date, Signature=x");
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
                 "'AKIDEXAMPLE/20150830/us-east-1/service'");
  SetHeader(request, "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150831/US/sqs/aws4, SignedHeaders=host;x-amz-date, Signature=x");
  ExpectRejected(Verify(request), AuthFailure::SignatureMismatch,
                 "Credential should be scoped to a valid region, not 'US'. Credential should be scoped to correct "
                 "service: 'service'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4'. "
                 "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' "
                 "!= '20150830', from '20150830T123600Z'.");
}

TEST(SigV4VerifyTest, UnknownAccessKeyIsAnInvalidToken) {
  auto request = Vanilla();
  std::string authorization = kVanillaAuthorization;
  SetHeader(request, "authorization", authorization.replace(authorization.find("AKIDEXAMPLE"), 11, "AKIDUNKNOWN"));
  ExpectRejected(Verify(request), AuthFailure::UnknownAccessKey, "The security token included in the request is invalid.");
}

TEST(SigV4VerifyTest, DeclaredPayloadHashMustMatchTheBodyUnlessUnsigned) {
  auto request = HeaderVector(kHeaderVectors[14]);  // post-x-www-form-urlencoded
  request.body = "Param1=value2";
  ExpectRejected(Verify(request), AuthFailure::SignatureMismatch,
                 "The provided 'x-amz-content-sha256' header does not match what was computed.");
  SetHeader(request, "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  ExpectRejected(Verify(request), AuthFailure::IncompleteSignature,
                 "Chunked payload signing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) is only supported by S3.");
  // UNSIGNED-PAYLOAD is signed as those words: the body is then free (the signature is over the rest).
  SetHeader(request, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  auto rejection = Verify(request);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_NE(rejection->message.find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
  EXPECT_TRUE(rejection->message.find("\nUNSIGNED-PAYLOAD'") != std::string::npos) << rejection->message;
}

TEST(SigV4VerifyTest, TemporaryCredentialsNeedTheirSessionToken) {
  const Vector& with_token = kHeaderVectors[15];  // get-vanilla-with-session-token
  ASSERT_EQ(std::string(with_token.name), "get-vanilla-with-session-token");
  Keys keys = KeysFor(with_token);
  EXPECT_FALSE(Verify(HeaderVector(with_token), keys).has_value());
  // Signed with temporary credentials but sent without the token: the token is what names them.
  ExpectRejected(Verify(Vanilla(), keys), AuthFailure::UnknownAccessKey, "The security token included in the request is invalid.");
  Keys other = keys;
  other.session_token = std::string(64, 'a');
  ExpectRejected(Verify(HeaderVector(with_token), other), AuthFailure::UnknownAccessKey,
                 "The security token included in the request is invalid.");
  Keys expired = keys;
  expired.expired = true;
  ExpectRejected(Verify(HeaderVector(with_token), expired), AuthFailure::ExpiredToken,
                 "The security token included in the request is expired");
  // Long-term keys take no token.
  ExpectRejected(Verify(HeaderVector(with_token)), AuthFailure::UnknownAccessKey,
                 "The security token included in the request is invalid.");
}

TEST(SigV4VerifyTest, ErrorsTakeEachProtocolsNamesAndStatuses) {
  AuthRejection mismatch{AuthFailure::SignatureMismatch, "m"};
  auto query = AuthError(mismatch, AuthErrorStyle{});
  EXPECT_EQ(query.code, "SignatureDoesNotMatch");
  EXPECT_EQ(query.http_status, 403);
  auto dynamodb = AuthError(mismatch, AuthErrorStyle{true, false, false, ""});
  EXPECT_EQ(dynamodb.code, "InvalidSignatureException");
  EXPECT_EQ(dynamodb.http_status, 400);
  auto sqs_json = AuthError(AuthRejection{AuthFailure::UnknownAccessKey, "t"}, AuthErrorStyle{true, true, true, ""});
  EXPECT_EQ(sqs_json.code, "UnrecognizedClientException");
  EXPECT_EQ(sqs_json.query_code, "InvalidClientTokenId");
  EXPECT_EQ(sqs_json.http_status, 403);
  auto anonymous = AuthError(AuthRejection{AuthFailure::MissingAuthentication, "Request is missing Authentication Token"},
                             AuthErrorStyle{false, false, true, "http://localhost:4566/"});
  EXPECT_EQ(anonymous.code, "AccessDenied");
  EXPECT_EQ(anonymous.message, "Access to the resource http://localhost:4566/ is denied.");
  auto sts = AuthError(AuthRejection{AuthFailure::MissingAuthentication, "Request is missing Authentication Token"},
                       AuthErrorStyle{});
  EXPECT_EQ(sts.code, "MissingAuthenticationToken");
  EXPECT_EQ(sts.http_status, 403);
  auto incomplete = AuthError(AuthRejection{AuthFailure::IncompleteSignature, "i"}, AuthErrorStyle{true, false, false, ""});
  EXPECT_EQ(incomplete.code, "IncompleteSignatureException");
  EXPECT_EQ(incomplete.http_status, 400);
}

}  // namespace
}  // namespace mallard::protocol

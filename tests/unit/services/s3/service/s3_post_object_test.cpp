// PostObject (browser form uploads): the multipart/form-data parser fed in pieces split at seeded
// random points against the form it was built from; the POST policy's conditions passing and
// failing with S3's messages; and whole uploads through HandleRest over the memory store.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "services/s3/s3_post_form.hpp"
#include "s3_service_harness.hpp"

namespace mallard::s3 {
namespace {

using testing::S3Harness;

struct Part {
  std::string name;
  std::string value;
  std::optional<std::string> filename;
};

std::string BuildForm(const std::string& boundary, const std::vector<Part>& parts, const std::string& preamble = {},
                      const std::string& padding = {}, const std::string& epilogue = {}) {
  std::string body = preamble.empty() ? std::string() : preamble + "\r\n";
  for (const auto& part : parts) {
    body += "--" + boundary + padding + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + part.name + "\"";
    if (part.filename) body += "; filename=\"" + *part.filename + "\"";
    body += "\r\n";
    if (part.filename) body += "Content-Type: application/octet-stream\r\n";
    body += "\r\n" + part.value + "\r\n";
  }
  body += "--" + boundary + "--" + padding + epilogue;
  return body;
}

struct Parsed {
  Result<Done> outcome = Done{};
  std::vector<PostFormField> fields;
  std::string file;
  std::optional<std::string> filename;
};

Parsed ParseInPieces(const std::string& content_type, const std::string& body, const std::vector<std::size_t>& cuts) {
  Parsed parsed;
  auto parser = PostFormParser::ForContentType(content_type);
  if (!parser) {
    parsed.outcome = Fail(parser.error());
    return parsed;
  }
  PostFormParser::Events events;
  events.file_start = [&](const PostFormField& file) -> Result<Done> {
    parsed.filename = file.filename;
    return Done{};
  };
  events.file_bytes = [&](std::string_view bytes) -> Result<Done> {
    parsed.file.append(bytes);
    return Done{};
  };
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    if (auto fed = parser.value().Feed(std::string_view(body).substr(at, cut - at), events); !fed) {
      parsed.outcome = fed;
      return parsed;
    }
    at = cut;
  }
  if (auto fed = parser.value().Feed(std::string_view(body).substr(at), events); !fed) {
    parsed.outcome = fed;
    return parsed;
  }
  parsed.outcome = parser.value().Finish();
  parsed.fields = parser.value().fields();
  return parsed;
}

// A GET's body: streamed from the store (inline here: the harness has no pool), read to the end.
std::string BodyOf(const http::HttpResponse& response) {
  if (!response.body_source) return response.body;
  std::string out;
  for (;;) {
    std::string piece;
    bool ended = false;
    response.body_source->Read([&](std::string bytes, std::string error) {
      EXPECT_TRUE(error.empty()) << error;
      ended = bytes.empty() || !error.empty();
      piece = std::move(bytes);
    });
    if (ended) return out;
    out += piece;
  }
}

unsigned SeedFromEnvironment() {
  if (const char* seed = std::getenv("MALLARD_S3_POST_SEED")) return static_cast<unsigned>(std::strtoul(seed, nullptr, 10));
  return std::random_device{}();
}

// Bytes that look like a delimiter without being one: a boundary without the CRLF before it, a
// CRLF and a boundary prefix, a lone CR or LF, NULs and high bytes.
// A part's content never holds CRLF "--" boundary (RFC 2046 has the sender choose a boundary for
// that): a piece that would make one (with the CRLF before the content) is dropped and drawn again.
std::string TrickyBytes(std::mt19937& random, const std::string& boundary, std::size_t length) {
  std::string delimiter = "\r\n--" + boundary;
  std::string out = "\r\n";
  while (out.size() < length + 2) {
    std::size_t before = out.size();
    switch (random() % 7) {
      case 0: out += "--" + boundary; break;
      case 1: out += "\r\n--" + boundary.substr(0, random() % boundary.size()); break;
      case 2: out += "\r\n"; break;
      case 3: out += "\r"; break;
      case 4: out += "\n--"; break;
      case 5: out.push_back('\0'); break;
      default: out.push_back(static_cast<char>(random() % 256)); break;
    }
    std::size_t from = before >= delimiter.size() ? before - delimiter.size() : 0;
    if (out.find(delimiter, from) != std::string::npos) out.resize(before);
  }
  return out.substr(2);
}

TEST(S3PostFormParser, RandomSplitsGiveTheFieldsAndFileTheFormWasBuiltFrom) {
  unsigned seed = SeedFromEnvironment();
  SCOPED_TRACE("MALLARD_S3_POST_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  for (int round = 0; round < 300; ++round) {
    std::string boundary = "----WebKitFormBoundary" + std::to_string(random() % 100000);
    if (random() % 4 == 0) boundary = "x";
    std::vector<Part> parts;
    std::size_t field_count = random() % 6;
    for (std::size_t i = 0; i < field_count; ++i) {
      std::string value = TrickyBytes(random, boundary, random() % 40);
      // A value may end in CR or begin with LF: only CRLF-- + boundary ends it.
      parts.push_back({"field" + std::to_string(i), value, std::nullopt});
    }
    std::string file = TrickyBytes(random, boundary, random() % 3000);
    parts.push_back({"file", file, std::string("name.bin")});
    std::size_t after = random() % 3;
    for (std::size_t i = 0; i < after; ++i) parts.push_back({"ignored" + std::to_string(i), "after", std::nullopt});
    std::string preamble = random() % 3 == 0 ? "This is a preamble --" : "";
    std::string padding = random() % 4 == 0 ? " \t" : "";
    std::string epilogue = random() % 3 == 0 ? "\r\nepilogue --" + boundary + "--\r\n" : "\r\n";
    std::string body = BuildForm(boundary, parts, preamble, padding, epilogue);
    std::string quoted = random() % 2 == 0 ? "\"" + boundary + "\"" : boundary;
    std::string content_type = "multipart/form-data; boundary=" + quoted;

    std::vector<std::size_t> cuts;
    std::size_t pieces = random() % 8 == 0 ? body.size() : random() % 12;  // sometimes every byte alone
    for (std::size_t i = 0; i < pieces && !body.empty(); ++i) cuts.push_back(random() % body.size());
    if (pieces == body.size()) {
      cuts.clear();
      for (std::size_t i = 1; i < body.size(); ++i) cuts.push_back(i);
    }
    std::sort(cuts.begin(), cuts.end());

    Parsed parsed = ParseInPieces(content_type, body, cuts);
    ASSERT_TRUE(parsed.outcome.ok()) << "round " << round << ": " << parsed.outcome.error().message;
    ASSERT_EQ(parsed.fields.size(), field_count) << "round " << round;
    for (std::size_t i = 0; i < field_count; ++i) {
      EXPECT_EQ(parsed.fields[i].name, parts[i].name);
      EXPECT_EQ(parsed.fields[i].value, parts[i].value) << "round " << round << " field " << i;
    }
    EXPECT_EQ(parsed.file, file) << "round " << round;
    EXPECT_EQ(parsed.filename, std::optional<std::string>("name.bin"));
  }
}

TEST(S3PostFormParser, MalformedBodiesAreS3sErrors) {
  const std::string type = "multipart/form-data; boundary=B";
  auto code_of = [&](const std::string& content_type, const std::string& body) {
    auto parsed = ParseInPieces(content_type, body, {});
    return parsed.outcome.ok() ? std::string("ok") : parsed.outcome.error().code;
  };
  std::string good = BuildForm("B", {{"key", "k", std::nullopt}, {"file", "data", std::string("f")}});
  EXPECT_EQ(code_of(type, good), "ok");
  EXPECT_EQ(code_of("multipart/form-data", good), "MalformedPOSTRequest");        // no boundary
  EXPECT_EQ(code_of("multipart/form-data; boundary=", good), "MalformedPOSTRequest");
  EXPECT_EQ(code_of("text/plain; boundary=B", good), "MalformedPOSTRequest");
  EXPECT_EQ(code_of(type, good.substr(0, good.size() - 4)), "MalformedPOSTRequest");  // no closing delimiter
  EXPECT_EQ(code_of(type, ""), "MalformedPOSTRequest");
  EXPECT_EQ(code_of(type, "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--"), "MalformedPOSTRequest");  // no name
  EXPECT_EQ(code_of(type, "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--"), "MalformedPOSTRequest");
  EXPECT_EQ(code_of(type, "--B\r\nno colon here\r\n\r\nx\r\n--B--"), "MalformedPOSTRequest");
  EXPECT_EQ(code_of(type, "--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--B--"), "MalformedPOSTRequest");
  EXPECT_EQ(code_of(type, "--Bjunk\r\n"), "MalformedPOSTRequest");  // a delimiter must be followed by CRLF or --
  EXPECT_EQ(code_of(type, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n" + std::string(9000, 'x')),
            "MalformedPOSTRequest");  // unbounded part headers
  EXPECT_EQ(code_of(type, std::string(70 * 1024, 'p')), "MalformedPOSTRequest");  // no delimiter in a large preamble
  // No file, two files.
  auto no_file = ParseInPieces(type, BuildForm("B", {{"key", "k", std::nullopt}}), {});
  ASSERT_FALSE(no_file.outcome.ok());
  EXPECT_EQ(no_file.outcome.error().code, "InvalidArgument");
  EXPECT_EQ(no_file.outcome.error().message, "POST requires exactly one file upload per request.");
  auto two = ParseInPieces(type, BuildForm("B", {{"file", "1", std::string("a")}, {"file", "2", std::string("b")}}), {});
  ASSERT_FALSE(two.outcome.ok());
  EXPECT_EQ(two.outcome.error().code, "InvalidArgument");
  // Fields before the file are bounded (20 KB); after it they are ignored, however large.
  auto big = ParseInPieces(type, BuildForm("B", {{"x-amz-meta-a", std::string(21 * 1024, 'a'), std::nullopt},
                                               {"file", "1", std::string("a")}}), {});
  ASSERT_FALSE(big.outcome.ok());
  EXPECT_EQ(big.outcome.error().code, "MaxPostPreDataLengthExceeded");
  auto big_after = ParseInPieces(type, BuildForm("B", {{"file", "1", std::string("a")},
                                                     {"x-amz-meta-a", std::string(64 * 1024, 'a'), std::nullopt}}), {});
  EXPECT_TRUE(big_after.outcome.ok());
  EXPECT_TRUE(big_after.fields.empty());
}

std::string PolicyOf(const std::string& json) { return Base64Encode(json); }

std::vector<PostFormField> Fields(std::vector<std::pair<std::string, std::string>> pairs) {
  std::vector<PostFormField> fields;
  for (auto& [name, value] : pairs) fields.push_back({name, value, std::nullopt, {}});
  return fields;
}

constexpr std::int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

TEST(S3PostPolicy, ConditionsPassAndFailWithS3sMessages) {
  auto policy = PostPolicy::Parse(PolicyOf(R"({"expiration":"2026-01-01T00:10:00.000Z","conditions":[
      {"bucket":"b"}, ["starts-with","$key","user/"], {"acl":"public-read"},
      ["eq","$success_action_redirect","http://localhost.test/random"],
      ["starts-with","$Content-Type","image/"], ["content-length-range", 1, 10]]})"));
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(policy.value().expiration_millis(), kNow + 600'000);
  auto good = Fields({{"key", "user/a.png"}, {"acl", "public-read"}, {"success_action_redirect", "http://localhost.test/random"},
                      {"Content-Type", "image/png,image/gif"}, {"x-ignore-me", "1"}, {"policy", "…"}, {"X-Amz-Signature", "s"}});
  EXPECT_TRUE(policy.value().CheckFields(good, "b", kNow).ok());
  auto message_of = [&](const std::vector<PostFormField>& fields, std::string_view bucket = "b", std::int64_t now = kNow) {
    auto checked = policy.value().CheckFields(fields, bucket, now);
    return checked.ok() ? std::string("ok") : checked.error().code + ": " + checked.error().message;
  };
  EXPECT_EQ(message_of(good, "b", kNow + 600'000), "AccessDenied: Invalid according to Policy: Policy expired.");
  EXPECT_EQ(message_of(good, "other"), "AccessDenied: Invalid according to Policy: Policy Condition failed: [\"eq\", \"bucket\", \"b\"]");
  auto bad_redirect = good;
  bad_redirect[2].value = "HTTP://localhost.test/random";
  EXPECT_EQ(message_of(bad_redirect),
            "AccessDenied: Invalid according to Policy: Policy Condition failed: [\"eq\", \"$success_action_redirect\", "
            "\"http://localhost.test/random\"]");
  auto bad_key = good;
  bad_key[0].value = "admin/a.png";
  EXPECT_EQ(message_of(bad_key),
            "AccessDenied: Invalid according to Policy: Policy Condition failed: [\"starts-with\", \"$key\", \"user/\"]");
  auto mixed_type = good;
  mixed_type[3].value = "image/png,text/plain";  // every member of a Content-Type list must match
  EXPECT_NE(message_of(mixed_type), "ok");
  auto extra = good;
  extra.push_back({"x-amz-meta-tag", "v", std::nullopt, {}});
  EXPECT_EQ(message_of(extra), "AccessDenied: Invalid according to Policy: Extra input fields: x-amz-meta-tag");
  auto missing = Fields({{"key", "user/a"}, {"Content-Type", "image/x"}, {"success_action_redirect", "http://localhost.test/random"}});
  EXPECT_NE(message_of(missing), "ok");  // acl missing: its exact condition fails

  EXPECT_TRUE(policy.value().CheckLength(1).ok());
  EXPECT_TRUE(policy.value().CheckLength(10).ok());
  EXPECT_EQ(policy.value().CheckLength(11).error().code, "EntityTooLarge");
  EXPECT_EQ(policy.value().CheckLength(0).error().code, "EntityTooSmall");
  EXPECT_EQ(policy.value().MaxLength(), std::optional<std::uint64_t>(10));
}

TEST(S3PostPolicy, MalformedPoliciesAndConditions) {
  auto code_of = [](const std::string& json) {
    auto policy = PostPolicy::Parse(PolicyOf(json));
    return policy.ok() ? std::string("ok") : policy.error().code + ": " + policy.error().message;
  };
  EXPECT_EQ(code_of(R"({"expiration":"2026-01-01T00:00:00Z","conditions":[{"a":"1","b":"2"}]})"),
            "InvalidPolicyDocument: Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
            "property specified.");
  EXPECT_EQ(code_of(R"({"conditions":[]})").substr(0, 21), "InvalidPolicyDocument");
  EXPECT_EQ(code_of(R"({"expiration":"tomorrow","conditions":[]})").substr(0, 21), "InvalidPolicyDocument");
  EXPECT_EQ(code_of(R"({"expiration":"2026-02-30T00:00:00Z","conditions":[]})").substr(0, 21), "InvalidPolicyDocument");
  EXPECT_EQ(code_of(R"({"expiration":"2026-01-01T00:00:00Z"})").substr(0, 21), "InvalidPolicyDocument");
  EXPECT_EQ(code_of("not json").substr(0, 21), "InvalidPolicyDocument");
  EXPECT_EQ(PostPolicy::Parse("%%%").error().code, "InvalidPolicyDocument");
  // Deep nesting is refused, not recursed into without end.
  EXPECT_EQ(code_of(std::string(10000, '[') + std::string(10000, ']')).substr(0, 21), "InvalidPolicyDocument");
  // A condition S3 cannot read fails as a condition (AccessDenied naming it), as recorded from AWS
  // for ["content-length-range", "test", "10"].
  auto policy = PostPolicy::Parse(PolicyOf(
      R"({"expiration":"2026-01-01T00:10:00Z","conditions":[["content-length-range","test",10]]})"));
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy.value().CheckLength(5).error().message,
            "Invalid according to Policy: Policy Condition failed: [\"content-length-range\", \"test\", \"10\"]");
  auto unknown = PostPolicy::Parse(PolicyOf(R"({"expiration":"2026-01-01T00:10:00Z","conditions":[["ends-with","$key","x"]]})"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown.value().CheckFields(Fields({{"key", "x"}}), "b", kNow).error().code, "AccessDenied");
  EXPECT_EQ(ParsePolicyExpiration("2026-01-01T00:00:00.5Z"), std::optional<std::int64_t>(kNow + 500));
  EXPECT_EQ(ParsePolicyExpiration("2026-01-01T00:00:00"), std::nullopt);
}

// --- whole uploads through the service ---

struct FormUpload {
  std::vector<Part> parts;
  http::HttpResponse Send(S3Harness& s3, const std::string& bucket) const {
    return s3.Send("POST", "/" + bucket, BuildForm("XyZ", parts), {{"content-type", "multipart/form-data; boundary=XyZ"}});
  }
};

std::string FuturePolicy(const std::string& conditions) {
  return PolicyOf(R"({"expiration":"2026-01-02T00:00:00Z","conditions":[)" + conditions + "]}");
}

std::vector<Part> SignedParts(const std::string& policy, std::vector<Part> extra) {
  std::vector<Part> parts = {{"x-amz-algorithm", "AWS4-HMAC-SHA256", std::nullopt},
                             {"x-amz-credential", "test/20260101/us-east-1/s3/aws4_request", std::nullopt},
                             {"x-amz-date", "20260101T000000Z", std::nullopt},
                             {"policy", policy, std::nullopt},
                             {"x-amz-signature", "00", std::nullopt}};
  parts.insert(parts.end(), extra.begin(), extra.end());
  return parts;
}

const std::string kSigningConditions =
    R"({"x-amz-algorithm":"AWS4-HMAC-SHA256"},{"x-amz-credential":"test/20260101/us-east-1/s3/aws4_request"},)"
    R"({"x-amz-date":"20260101T000000Z"})";

TEST(S3PostObject, UploadsStoreTheFileAndAnswerAsAsked) {
  S3Harness s3;
  s3.CreateBucket("forms");
  std::string content = std::string("binary\0--XyZ\r\n--Xy", 18) + std::string(1000, 'z');
  auto policy = FuturePolicy(kSigningConditions + R"(,{"bucket":"forms"},["starts-with","$key","up/"],)"
                                                  R"(["starts-with","$Content-Type",""],{"x-amz-meta-owner":"me"},)"
                                                  R"(["starts-with","$success_action_status",""],["content-length-range",0,5000])");
  FormUpload upload{SignedParts(policy, {{"key", "up/${filename}", std::nullopt},
                                         {"Content-Type", "text/plain", std::nullopt},
                                         {"x-amz-meta-owner", "me", std::nullopt},
                                         {"success_action_status", "201", std::nullopt},
                                         {"file", content, std::string("report.txt")},
                                         {"after", "ignored", std::nullopt}})};
  auto response = upload.Send(s3, "forms");
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_EQ(S3Harness::Element(response.body, "Key"), "up/report.txt");
  EXPECT_EQ(S3Harness::Element(response.body, "Bucket"), "forms");
  EXPECT_EQ(S3Harness::Element(response.body, "Location"), "http://localhost:4566/forms/up%2Freport.txt");
  EXPECT_EQ(S3Harness::Element(response.body, "ETag"), "\"" + Md5Hex(content) + "\"");
  auto get = s3.Send("GET", "/forms/up/report.txt");
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(BodyOf(get), content);
  EXPECT_EQ(*S3Harness::HeaderOf(get, "content-type"), "text/plain");
  ASSERT_NE(S3Harness::HeaderOf(get, "x-amz-meta-owner"), nullptr);
  EXPECT_EQ(*S3Harness::HeaderOf(get, "x-amz-meta-owner"), "me");

  // 204 by default; a redirect answers 303 with the bucket, key and ETag.
  auto plain_policy = FuturePolicy(kSigningConditions + R"(,{"key":"k2"},["starts-with","$redirect",""])");
  auto no_content = FormUpload{SignedParts(plain_policy, {{"key", "k2", std::nullopt}, {"file", "x", std::string("f")}})}.Send(s3, "forms");
  EXPECT_EQ(no_content.status, 204) << no_content.body;
  auto redirected = FormUpload{SignedParts(plain_policy, {{"key", "k2", std::nullopt},
                                                          {"redirect", "http://app.test/done?x=1", std::nullopt},
                                                          {"file", "x", std::string("f")}})}
                        .Send(s3, "forms");
  ASSERT_EQ(redirected.status, 303) << redirected.body;
  EXPECT_EQ(*S3Harness::HeaderOf(redirected, "location"),
            "http://app.test/done?x=1&bucket=forms&key=k2&etag=%22" + Md5Hex("x") + "%22");
}

TEST(S3PostObject, RefusedUploadsStoreNothing) {
  S3Harness s3;
  s3.CreateBucket("forms");
  auto code_of = [&](const FormUpload& upload, const std::string& bucket = "forms") {
    auto response = upload.Send(s3, bucket);
    return std::to_string(response.status) + " " + S3Harness::ErrorCode(response) + " " +
           S3Harness::Element(response.body, "Message");
  };
  auto policy = FuturePolicy(kSigningConditions + R"(,{"key":"k"},["content-length-range",2,4])");
  EXPECT_EQ(code_of({SignedParts(policy, {{"key", "k", std::nullopt}, {"file", "12345", std::string("f")}})}),
            "400 EntityTooLarge Your proposed upload exceeds the maximum allowed size");
  EXPECT_EQ(code_of({SignedParts(policy, {{"key", "k", std::nullopt}, {"file", "1", std::string("f")}})}),
            "400 EntityTooSmall Your proposed upload is smaller than the minimum allowed size");
  EXPECT_EQ(code_of({SignedParts(policy, {{"key", "other", std::nullopt}, {"file", "123", std::string("f")}})}),
            "403 AccessDenied Invalid according to Policy: Policy Condition failed: [\"eq\", \"key\", \"k\"]");
  s3.now_millis += 2LL * 24 * 3600 * 1000;
  EXPECT_EQ(code_of({SignedParts(policy, {{"key", "k", std::nullopt}, {"file", "123", std::string("f")}})}),
            "403 AccessDenied Invalid according to Policy: Policy expired.");
  s3.now_millis -= 2LL * 24 * 3600 * 1000;
  // A signing field missing, the key missing, or after the file.
  auto parts = SignedParts(policy, {{"key", "k", std::nullopt}, {"file", "123", std::string("f")}});
  parts.erase(parts.begin() + 4);  // x-amz-signature
  EXPECT_EQ(code_of({parts}), "400 InvalidArgument Bucket POST must contain a field named 'X-Amz-Signature'.  If it is "
                              "specified, please check the order of the fields.");
  EXPECT_EQ(code_of({SignedParts(policy, {{"file", "123", std::string("f")}, {"key", "k", std::nullopt}})}),
            "400 InvalidArgument Bucket POST must contain a field named 'key'.  If it is specified, please check the "
            "order of the fields.");
  EXPECT_EQ(code_of({{{"AWSAccessKeyId", "test", std::nullopt}, {"policy", policy, std::nullopt}, {"key", "k", std::nullopt},
                      {"file", "1", std::string("f")}}}),
            "400 InvalidArgument Bucket POST must contain a field named 'Signature'.  If it is specified, please check "
            "the order of the fields.");
  EXPECT_EQ(code_of({{{"key", "k", std::nullopt}, {"file", "1", std::string("f")}}}, "missing").substr(0, 16), "404 NoSuchBucket");
  auto not_form = s3.Send("POST", "/forms", "key=k", {{"content-type", "text/plain"}});
  EXPECT_EQ(not_form.status, 412);
  EXPECT_EQ(S3Harness::ErrorCode(not_form), "PreconditionFailed");
  EXPECT_EQ(s3.Send("GET", "/forms/k").status, 404);

  // Without a policy (an anonymous form) the fields are not checked against one.
  FormUpload anonymous{{{"key", "k", std::nullopt}, {"file", "123", std::string("f")}}};
  EXPECT_EQ(anonymous.Send(s3, "forms").status, 204);
  EXPECT_EQ(BodyOf(s3.Send("GET", "/forms/k")), "123");
}

TEST(S3PostObject, ChecksumAndTaggingFields) {
  S3Harness s3;
  s3.CreateBucket("forms");
  auto tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>a</Value></Tag></TagSet></Tagging>";
  auto response = FormUpload{{{"key", "t", std::nullopt}, {"tagging", tagging, std::nullopt},
                              {"x-amz-checksum-sha256", Base64Encode(std::string(32, 'x')), std::nullopt},
                              {"file", "abc", std::string("f")}}}
                      .Send(s3, "forms");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(S3Harness::ErrorCode(response), "BadDigest");
  auto good = FormUpload{{{"key", "t", std::nullopt}, {"tagging", tagging, std::nullopt},
                          {"file", "abc", std::string("f")}}}
                  .Send(s3, "forms");
  ASSERT_EQ(good.status, 204) << good.body;
  auto tags = s3.Send("GET", "/forms/t?tagging");
  EXPECT_EQ(S3Harness::Element(tags.body, "Key"), "team");
  auto head = s3.Send("HEAD", "/forms/t", {}, {{"x-amz-checksum-mode", "ENABLED"}});
  EXPECT_NE(S3Harness::HeaderOf(head, "x-amz-checksum-crc64nvme"), nullptr);  // S3's default checksum
}

}  // namespace
}  // namespace mallard::s3

// S3 routing: every operation of botocore's model, as botocore's serializer builds the request
// (s3_route_cases.tsv, written by scripts/gen_s3_routes.py from the model, not from the router),
// routes back to that operation with its bucket and key in both addressing styles; hosts, path
// decoding (traversal-looking keys, '+', "%2F", invalid escapes), query parsing, S3's 405; and a
// seeded randomised comparison of the decoders against a reference written here.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "services/s3/wire/s3_routing.hpp"

namespace mallard::s3 {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// An independent percent-decoder for the test's own data (not the code under test).
std::string ReferenceDecode(const std::string& text, bool plus_is_space) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, separator)) parts.push_back(part);
  if (!text.empty() && text.back() == separator) parts.emplace_back();
  return parts;
}

struct RouteCase {
  std::string expected_operation, source_operation, variant, method, host, path, query;
  Headers headers;
  std::string bucket, key;
};

std::vector<RouteCase> LoadCases() {
  std::ifstream file(std::string(MALLARD_SOURCE_DIR) + "/tests/unit/services/s3/wire/s3_route_cases.tsv");
  std::vector<RouteCase> cases;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> columns = Split(line, '\t');
    if (columns.size() != 10) {
      ADD_FAILURE() << "malformed case line: " << line;
      continue;
    }
    RouteCase route_case{columns[0], columns[1], columns[2], columns[3], columns[4], columns[5], columns[6],
                         {},         columns[8], columns[9]};
    for (const std::string& header : Split(columns[7], '&')) {
      if (header.empty()) continue;
      std::size_t equals = header.find('=');
      route_case.headers.emplace_back(header.substr(0, equals), ReferenceDecode(header.substr(equals + 1), false));
    }
    cases.push_back(std::move(route_case));
  }
  return cases;
}

TEST(S3RoutingModel, EveryOperationBotocoreSendsRoutesBackInBothAddressingStyles) {
  std::vector<RouteCase> cases = LoadCases();
  ASSERT_GT(cases.size(), 300u) << "s3_route_cases.tsv missing or truncated; run scripts/gen_s3_routes.py";
  std::set<std::string> operations;
  for (const RouteCase& route_case : cases) {
    SCOPED_TRACE(route_case.source_operation + " " + route_case.variant + ": " + route_case.method + " " +
                 route_case.host + route_case.path + "?" + route_case.query);
    auto route = RouteS3(route_case.method, route_case.host, route_case.path, QueryParameters::Parse(route_case.query),
                         route_case.headers);
    ASSERT_TRUE(route.ok()) << route.error().code << ": " << route.error().message;
    EXPECT_EQ(route->operation, route_case.expected_operation);
    EXPECT_EQ(route->address.bucket, route_case.bucket);
    EXPECT_EQ(route->address.key, route_case.key);
    EXPECT_EQ(route->address.virtual_hosted, route_case.variant == "virtual-hosted");
    operations.insert(route_case.source_operation);
  }
  // 111 in botocore 1.43's model less WriteGetObjectResponse and ListDirectoryBuckets, plus the two
  // operations the model does not describe.
  EXPECT_GE(operations.size(), 100u);
  for (const char* name : {"PutObject", "CopyObject", "UploadPart", "UploadPartCopy", "ListObjectsV2", "ListParts",
                           "AbortMultipartUpload", "CompleteMultipartUpload", "CreateMultipartUpload", "DeleteObjects",
                           "GetBucketLifecycle", "PostObject", "OptionsObject"})
    EXPECT_TRUE(operations.count(name)) << name;
}

Result<S3Route, AwsError> Route(std::string_view method, std::string_view target, Headers headers = {},
                                std::string_view host = "localhost:4566") {
  std::string_view path = target, query;
  if (std::size_t mark = target.find('?'); mark != std::string_view::npos) {
    path = target.substr(0, mark);
    query = target.substr(mark + 1);
  }
  return RouteS3(method, host, path, QueryParameters::Parse(query), headers);
}

std::string OperationOf(std::string_view method, std::string_view target, Headers headers = {}) {
  auto route = Route(method, target, std::move(headers));
  return route.ok() ? route->operation : "error:" + route.error().code;
}

TEST(S3Routing, SubResourcesAndRequiredMembersPickTheMostSpecificOperation) {
  EXPECT_EQ(OperationOf("GET", "/b"), "ListObjects");
  EXPECT_EQ(OperationOf("GET", "/b/"), "ListObjects");  // trailing slash: the bucket, not an empty key
  EXPECT_EQ(OperationOf("GET", "/b?list-type=2&prefix=a"), "ListObjectsV2");
  EXPECT_EQ(OperationOf("GET", "/b?list-type=1"), "ListObjects");  // the literal's value counts
  EXPECT_EQ(OperationOf("GET", "/b?uploads"), "ListMultipartUploads");
  EXPECT_EQ(OperationOf("GET", "/b?versions"), "ListObjectVersions");
  EXPECT_EQ(OperationOf("GET", "/b?analytics"), "ListBucketAnalyticsConfigurations");
  EXPECT_EQ(OperationOf("GET", "/b?analytics&id=x"), "GetBucketAnalyticsConfiguration");
  EXPECT_EQ(OperationOf("PUT", "/b?analytics"), "PutBucketAnalyticsConfiguration");  // its error: missing id
  EXPECT_EQ(OperationOf("PUT", "/b"), "CreateBucket");
  EXPECT_EQ(OperationOf("PUT", "/b?unknown-sub-resource"), "CreateBucket");  // S3 ignores what it does not know
  EXPECT_EQ(OperationOf("POST", "/b?delete"), "DeleteObjects");
  EXPECT_EQ(OperationOf("POST", "/b"), "PostObject");
  EXPECT_EQ(OperationOf("PUT", "/b/k"), "PutObject");
  EXPECT_EQ(OperationOf("PUT", "/b/k", {{"x-amz-copy-source", "src/k"}}), "CopyObject");
  EXPECT_EQ(OperationOf("PUT", "/b/k", {{"X-Amz-Copy-Source", "src/k"}}), "CopyObject");
  EXPECT_EQ(OperationOf("PUT", "/b/k?partNumber=1&uploadId=u"), "UploadPart");
  EXPECT_EQ(OperationOf("PUT", "/b/k?uploadId=u&partNumber=1", {{"x-amz-copy-source", "s/k"}}), "UploadPartCopy");
  EXPECT_EQ(OperationOf("GET", "/b/k?uploadId=u"), "ListParts");
  EXPECT_EQ(OperationOf("DELETE", "/b/k?uploadId=u"), "AbortMultipartUpload");
  EXPECT_EQ(OperationOf("POST", "/b/k?uploadId=u"), "CompleteMultipartUpload");
  EXPECT_EQ(OperationOf("POST", "/b/k?uploads"), "CreateMultipartUpload");
  EXPECT_EQ(OperationOf("GET", "/b/k?partNumber=2"), "GetObject");  // GetObject's part, not UploadPart
  EXPECT_EQ(OperationOf("GET", "/b/k?versionId=v&response-content-type=a"), "GetObject");
  EXPECT_EQ(OperationOf("GET", "/b/k?attributes"), "GetObjectAttributes");  // its header is its own check
  EXPECT_EQ(OperationOf("POST", "/b/k?select&select-type=2"), "SelectObjectContent");
  EXPECT_EQ(OperationOf("GET", "/b?lifecycle"), "GetBucketLifecycleConfiguration");
  EXPECT_EQ(OperationOf("PUT", "/b?notification"), "PutBucketNotificationConfiguration");
  EXPECT_EQ(OperationOf("GET", "/"), "ListBuckets");
  EXPECT_EQ(OperationOf("GET", "/?x-id=ListBuckets"), "ListBuckets");
  EXPECT_EQ(OperationOf("OPTIONS", "/b/k"), "OptionsObject");
}

TEST(S3Routing, XIdIsInertAgainstTheWiresOwnDiscriminators) {
  // S3 ignores x-id: a PUT without the copy header is a PutObject whatever x-id says, and a GET
  // with uploadId is ListParts.
  EXPECT_EQ(OperationOf("PUT", "/b/k?x-id=CopyObject"), "PutObject");
  EXPECT_EQ(OperationOf("GET", "/b/k?uploadId=u&x-id=GetObject"), "ListParts");
  EXPECT_EQ(OperationOf("PUT", "/b/k?x-id=PutObject", {{"x-amz-copy-source", "a/b"}}), "CopyObject");
  // Two sub-resources tie; x-id picks between them, otherwise the table's order decides.
  EXPECT_EQ(OperationOf("GET", "/b?uploads&versions&x-id=ListObjectVersions"), "ListObjectVersions");
  EXPECT_EQ(OperationOf("GET", "/b?uploads&versions&x-id=ListMultipartUploads"), "ListMultipartUploads");
}

void ExpectMethodNotAllowed(std::string_view method, std::string_view target, std::string_view resource_type) {
  auto route = Route(method, target);
  ASSERT_FALSE(route.ok()) << method << " " << target << " routed to " << route->operation;
  EXPECT_EQ(route.error().code, "MethodNotAllowed");
  EXPECT_EQ(route.error().http_status, 405);
  EXPECT_EQ(route.error().message, "The specified method is not allowed against this resource.");
  EXPECT_EQ(route.error().extra_json,
            "{\"Method\":\"" + std::string(method) + "\",\"ResourceType\":\"" + std::string(resource_type) + "\"}");
}

TEST(S3Routing, UnknownCombinationsAreS3sMethodNotAllowed) {
  ExpectMethodNotAllowed("POST", "/b/k", "OBJECT");  // AWS: a POST to a presigned object URL
  ExpectMethodNotAllowed("PATCH", "/b/k", "OBJECT");
  ExpectMethodNotAllowed("PATCH", "/b", "BUCKET");
  ExpectMethodNotAllowed("PUT", "/", "SERVICE");
  ExpectMethodNotAllowed("DELETE", "/", "SERVICE");
  ExpectMethodNotAllowed("POST", "/", "SERVICE");
  ExpectMethodNotAllowed("HEAD", "/", "SERVICE");
  ExpectMethodNotAllowed("get", "/b", "BUCKET");  // methods are case-sensitive
  auto odd = Route(std::string_view("P\"\\\x01\xff", 5), "/b/k");
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().extra_json, "{\"Method\":\"P\\\"\\\\\\u0001\\u00ff\",\"ResourceType\":\"OBJECT\"}");
}

TEST(S3Routing, VirtualHostedRequestsTakeTheBucketFromTheHost) {
  auto route = Route("GET", "/", {}, "my.bucket.s3.localhost:4566");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->operation, "ListObjects");
  EXPECT_EQ(route->address.bucket, "my.bucket");
  EXPECT_TRUE(route->address.virtual_hosted);
  route = Route("PUT", "/bucket/key", {}, "b.localhost");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->operation, "PutObject");
  EXPECT_EQ(route->address.bucket, "b");
  EXPECT_EQ(route->address.key, "bucket/key");  // the whole path is the key
  route = Route("GET", "", {}, "b.s3.amazonaws.com");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->operation, "ListObjects");
}

TEST(S3Host, VirtualHostedNamesGiveTheBucket) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bucket.s3.localhost:4566", "bucket"},
      {"bucket.s3.localhost", "bucket"},
      {"bucket.s3.us-east-1.localhost:4566", "bucket"},
      {"bucket.s3.us-gov-west-1.localhost", "bucket"},
      {"bucket.localhost:4566", "bucket"},
      {"bucket.localhost", "bucket"},
      {"my.bucket.s3.localhost", "my.bucket"},
      {"my.bucket.localhost:1", "my.bucket"},
      {"a.b.c.s3.eu-west-1.localhost", "a.b.c"},
      {"bucket.s3.amazonaws.com", "bucket"},
      {"bucket.s3.us-west-2.amazonaws.com", "bucket"},
      {"bucket.s3-us-west-2.amazonaws.com", "bucket"},
      {"bucket.s3.dualstack.us-east-1.amazonaws.com", "bucket"},
      {"bucket.s3-accelerate.amazonaws.com", "bucket"},
      {"bucket.s3.cn-north-1.amazonaws.com.cn", "bucket"},
      {"my.dotted.bucket.s3.amazonaws.com:443", "my.dotted.bucket"},
      {"bucket.s3.localhost.localstack.cloud:4566", "bucket"},
      {"BUCKET.S3.LOCALHOST", "bucket"},  // host names are case-insensitive
      {"bucket.s3.localhost.", "bucket"},  // the DNS root
      {"s3.bucket.localhost", "s3.bucket"},
  };
  for (const auto& [host, bucket] : cases) {
    auto found = BucketFromHost(host);
    ASSERT_TRUE(found.has_value()) << host;
    EXPECT_EQ(*found, bucket) << host;
  }
}

TEST(S3Host, PlainEndpointsAndOtherHostsGiveNoBucket) {
  for (const char* host :
       {"localhost", "localhost:4566", "127.0.0.1", "127.0.0.1:4566", "[::1]", "[::1]:4566", "s3.localhost",
        "s3.localhost:4566", "s3.us-east-1.localhost", "s3.amazonaws.com", "s3.us-east-1.amazonaws.com",
        "s3-us-west-2.amazonaws.com", "s3.dualstack.us-east-1.amazonaws.com", "s3-external-1.amazonaws.com",
        "sqs.us-east-1.amazonaws.com", "s3.localhost.localstack.cloud", "localhost.localstack.cloud",
        "sqs.localhost.localstack.cloud", "mallard:4566", "host.docker.internal", "example.com", "", ":", ".",
        ".s3.localhost", "bucket.s3.localhost:notaport", "10.0.0.1"}) {
    EXPECT_EQ(BucketFromHost(host), std::nullopt) << host;
  }
}

S3Address AddressOrFail(std::string_view path, std::string_view host = "localhost") {
  auto address = AddressOf(host, path);
  EXPECT_TRUE(address.ok()) << path << ": " << (address.ok() ? "" : address.error().code);
  return address.ok() ? *address : S3Address{};
}

TEST(S3Path, BucketAndKeyAreDecodedOnceAndNeverNormalised) {
  EXPECT_EQ(AddressOrFail("/").bucket, "");
  EXPECT_EQ(AddressOrFail("/bucket").bucket, "bucket");
  EXPECT_EQ(AddressOrFail("/bucket").key, "");
  EXPECT_EQ(AddressOrFail("/bucket/").key, "");
  EXPECT_EQ(AddressOrFail("/bucket/key/with/slashes").key, "key/with/slashes");
  EXPECT_EQ(AddressOrFail("/bucket/a%2Fb").key, "a/b");
  EXPECT_EQ(AddressOrFail("/bucket/a//b").key, "a//b");
  EXPECT_EQ(AddressOrFail("/bucket//a").key, "/a");
  EXPECT_EQ(AddressOrFail("/bucket/dir/").key, "dir/");
  EXPECT_EQ(AddressOrFail("/bucket/a/../b").key, "a/../b");
  EXPECT_EQ(AddressOrFail("/bucket/..").key, "..");
  EXPECT_EQ(AddressOrFail("/bucket/./x").key, "./x");
  EXPECT_EQ(AddressOrFail("/bucket/%2E%2E/%2e%2e/etc/passwd").key, "../../etc/passwd");
  EXPECT_EQ(AddressOrFail("/bucket/a%2525b").key, "a%25b");  // once, not twice
  EXPECT_EQ(AddressOrFail("/bucket/a%2Bb").key, "a+b");
  EXPECT_EQ(AddressOrFail("/bucket/a+b").key, "a b");  // S3 reads a literal '+' in the path as a space
  EXPECT_EQ(AddressOrFail("/bucket/a%20b").key, "a b");
  EXPECT_EQ(AddressOrFail("/bucket/%C3%BC%E6%97%A5").key, "ü日");
  EXPECT_EQ(AddressOrFail("/bucket/ü").key, "ü");  // raw UTF-8 as some clients send it
  EXPECT_EQ(AddressOrFail("/a%2Db/k").bucket, "a-b");
  EXPECT_EQ(AddressOrFail("//k").bucket, "");
  EXPECT_EQ(AddressOrFail("/k", "b.s3.localhost").key, "k");
  EXPECT_EQ(AddressOrFail("//k", "b.s3.localhost").key, "/k");
  EXPECT_EQ(AddressOrFail("/b/..%2F..%2Fx", "b.s3.localhost").key, "b/../../x");
}

TEST(S3Path, InvalidEscapesAndNonUtf8KeysAreInvalidUri) {
  for (const char* path : {"/bucket/a%", "/bucket/a%2", "/bucket/a%zz", "/bucket/%G0", "/bu%cket/k", "/bucket/%C3",
                           "/bucket/%FF%FE", "/bucket/%C0%AF", "/bucket/%ED%A0%80", "bucket/k", "*"}) {
    auto address = AddressOf("localhost", path);
    ASSERT_FALSE(address.ok()) << path;
    EXPECT_EQ(address.error().code, "InvalidURI") << path;
    EXPECT_EQ(address.error().http_status, 400);
    EXPECT_EQ(address.error().message, "Couldn't parse the specified URI.");
  }
  auto route = Route("GET", "/bucket/%zz");
  ASSERT_FALSE(route.ok());
  EXPECT_EQ(route.error().code, "InvalidURI");
}

TEST(S3Query, ParsesInWireOrderWithFormDecoding) {
  QueryParameters query = QueryParameters::Parse("uploads&prefix=a%20b+c%2B&list-type=2&&empty=&x=1=2&prefix=second");
  ASSERT_EQ(query.All().size(), 6u);
  EXPECT_EQ(query.All()[0], (std::pair<std::string, std::string>{"uploads", ""}));
  EXPECT_TRUE(query.Has("uploads"));
  EXPECT_EQ(*query.Find("prefix"), "a b c+");  // the first of a repeated name
  EXPECT_EQ(query.All()[5].second, "second");
  EXPECT_EQ(*query.Find("list-type"), "2");
  EXPECT_EQ(*query.Find("empty"), "");
  EXPECT_EQ(*query.Find("x"), "1=2");
  EXPECT_EQ(query.Find("missing"), nullptr);
  EXPECT_FALSE(query.HasMalformedEscape());
  QueryParameters bad = QueryParameters::Parse("a=%zz&b%=1&c=%4");
  EXPECT_TRUE(bad.HasMalformedEscape());
  EXPECT_EQ(*bad.Find("a"), "%zz");
  EXPECT_EQ(*bad.Find("b%"), "1");
  EXPECT_EQ(*bad.Find("c"), "%4");
  EXPECT_TRUE(QueryParameters::Parse("").All().empty());
  EXPECT_EQ(*QueryParameters::Parse("n%61me=v%C3%BC").Find("name"), "vü");
}

// Seeded random text over an alphabet that stresses the decoders: escapes (valid, short, non-hex),
// '+', '/', '=', '&', multi-byte UTF-8 and bytes that are not UTF-8.
std::string RandomText(std::mt19937_64& random, std::size_t max_length) {
  static const std::vector<std::string> pieces = {"a", "Z", "0", "%", "%2", "%2F", "%2f", "%25", "%zz", "%C3%BC", "+",
                                                  "/", "=", "&", " ", "ü", "日", "\xff", "-", ".", "..", "%00", "%20"};
  std::size_t length = std::uniform_int_distribution<std::size_t>(0, max_length)(random);
  std::string text;
  for (std::size_t i = 0; i < length; ++i)
    text += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(random)];
  return text;
}

bool ReferenceWellFormed(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (text[i] == '%' && !(i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
                            std::isxdigit(static_cast<unsigned char>(text[i + 2]))))
      return false;
  return true;
}

// Strict UTF-8 (RFC 3629) by the table of well-formed byte sequences (Unicode 15, table 3-7).
bool ReferenceUtf8(const std::string& text) {
  auto at = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    unsigned char lead = at(i);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;
    if (lead < 0x80) length = 1;
    else if (lead >= 0xC2 && lead <= 0xDF) length = 2;
    else if (lead == 0xE0) length = 3, low = 0xA0;
    else if (lead == 0xED) length = 3, high = 0x9F;
    else if (lead >= 0xE1 && lead <= 0xEF) length = 3;
    else if (lead == 0xF0) length = 4, low = 0x90;
    else if (lead == 0xF4) length = 4, high = 0x8F;
    else if (lead >= 0xF1 && lead <= 0xF3) length = 4;
    else return false;
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      unsigned char byte = at(i + k);
      if (k == 1 ? (byte < low || byte > high) : (byte < 0x80 || byte > 0xBF)) return false;
    }
    i += length;
  }
  return true;
}

TEST(S3RoutingRandom, DecodersAgreeWithAReferenceOnSeededRandomInput) {
  std::uint64_t seed = 0x53335f726f757465ULL;
  if (const char* text = std::getenv("MALLARD_S3_ROUTING_SEED")) seed = std::strtoull(text, nullptr, 0);
  std::mt19937_64 random(seed);
  SCOPED_TRACE("MALLARD_S3_ROUTING_SEED=" + std::to_string(seed));
  for (int round = 0; round < 3000; ++round) {
    // Query: split on '&', then the first '=', each side decoded leniently.
    std::string raw_query = RandomText(random, 12);
    QueryParameters query = QueryParameters::Parse(raw_query);
    std::vector<std::pair<std::string, std::string>> expected;
    bool malformed = false;
    for (const std::string& part : Split(raw_query, '&')) {
      if (part.empty()) continue;
      std::size_t equals = part.find('=');
      std::string name = part.substr(0, equals);
      std::string value = equals == std::string::npos ? "" : part.substr(equals + 1);
      malformed = malformed || !ReferenceWellFormed(name) || !ReferenceWellFormed(value);
      expected.emplace_back(ReferenceDecode(name, true), ReferenceDecode(value, true));
    }
    ASSERT_EQ(query.All(), expected) << raw_query;
    ASSERT_EQ(query.HasMalformedEscape(), malformed) << raw_query;

    // Path style: "/bucket/key", each decoded once; refused exactly when an escape is malformed
    // or the decoded bytes are not UTF-8.
    std::string bucket_text = RandomText(random, 3), key_text = RandomText(random, 10);
    if (bucket_text.find('/') != std::string::npos) continue;
    auto address = AddressOf("127.0.0.1:4566", "/" + bucket_text + "/" + key_text);
    std::string key = ReferenceDecode(key_text, true);
    std::string bucket = ReferenceDecode(bucket_text, true);
    bool acceptable = ReferenceWellFormed(bucket_text) && ReferenceWellFormed(key_text) &&
                      ReferenceUtf8(bucket) && ReferenceUtf8(key);
    ASSERT_EQ(address.ok(), acceptable) << bucket_text << " / " << key_text;
    if (!address.ok()) {
      ASSERT_EQ(address.error().code, "InvalidURI");
      continue;
    }
    ASSERT_EQ(address->bucket, bucket);
    ASSERT_EQ(address->key, key);
    ASSERT_FALSE(address->virtual_hosted);
  }
}

}  // namespace
}  // namespace mallard::s3

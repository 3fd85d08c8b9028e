// sigv4_verify_bench: what --auth sigv4 costs per request — VerifySigV4 on a typical SQS SendMessage
// (awsQuery form body), a 1 KiB DynamoDB PutItem, and 1 MiB / 16 MiB bodies where hashing the body
// dominates. Each request is signed here once (same algorithm, checked to verify before timing).
//   build/bench/sigv4_verify_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/encoding.hpp"
#include "protocol/sigv4_verify.hpp"

namespace {

using mallard::protocol::SigningSecret;
using mallard::protocol::SigV4Check;
using mallard::protocol::VerifySigV4;
namespace sigv4 = mallard::protocol::sigv4;

constexpr const char* kKey = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kDate = "20240102T030405Z";
constexpr std::int64_t kNowMillis = 1704164645000;  // kDate

mallard::http::HttpRequest Signed(const std::string& service, const std::string& content_type, std::string target,
                                  std::string body) {
  mallard::http::HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.target = "/";
  request.headers = {{"host", "localhost:4566"}, {"content-type", content_type}, {"x-amz-date", kDate},
                     {"user-agent", "Boto3/1.26.27 Python/3.11.2 Linux/6.1 Botocore/1.29.27"}};
  std::string signed_headers = "content-type;host;x-amz-date";
  std::string canonical_headers = "content-type:" + content_type + "\nhost:localhost:4566\nx-amz-date:" + kDate + "\n";
  if (!target.empty()) {
    request.headers.emplace_back("x-amz-target", target);
    signed_headers += ";x-amz-target";
    canonical_headers += "x-amz-target:" + target + "\n";
  }
  std::string canonical = "POST\n/\n\n" + canonical_headers + "\n" + signed_headers + "\n" + mallard::Sha256Hex(body);
  std::string scope = std::string("20240102/us-east-1/") + service + "/aws4_request";
  std::string to_sign = std::string("AWS4-HMAC-SHA256\n") + kDate + "\n" + scope + "\n" + mallard::Sha256Hex(canonical);
  std::string signature =
      mallard::HexEncode(sigv4::HmacSha256(sigv4::SigningKey(kSecret, "20240102", "us-east-1", service), to_sign));
  request.headers.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=" + std::string(kKey) + "/" + scope +
                                                    ", SignedHeaders=" + signed_headers + ", Signature=" + signature);
  request.body = std::move(body);
  return request;
}

std::optional<SigningSecret> Lookup(const std::string& key) {
  if (key != kKey) return std::nullopt;
  return SigningSecret{kSecret, std::nullopt, false};
}

void Run(benchmark::State& state, const mallard::http::HttpRequest& request, const std::string& service) {
  mallard::protocol::SigningSecretLookup lookup = Lookup;
  if (auto rejected = VerifySigV4(request, lookup, SigV4Check{kNowMillis, service})) {
    std::fprintf(stderr, "bench request does not verify: %s\n", rejected->message.c_str());
    std::abort();
  }
  for (auto _ : state) {
    auto result = VerifySigV4(request, lookup, SigV4Check{kNowMillis, service});
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(request.body.size()));
}

void SqsSendMessage(benchmark::State& state) {
  static const auto request = Signed(
      "sqs", "application/x-www-form-urlencoded; charset=utf-8", "",
      "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Forders"
      "&MessageBody=%7B%22order%22%3A42%2C%22items%22%3A%5B1%2C2%2C3%5D%7D");
  Run(state, request, "sqs");
}

mallard::http::HttpRequest DynamoDbPut(std::size_t body_size) {
  std::string body = R"({"TableName":"orders","Item":{"id":{"S":"42"},"payload":{"S":")";
  body += std::string(body_size > body.size() + 6 ? body_size - body.size() - 6 : 1, 'x');
  body += R"("}}})";
  return Signed("dynamodb", "application/x-amz-json-1.0", "DynamoDB_20120810.PutItem", std::move(body));
}

void DynamoDbPutItem1KiB(benchmark::State& state) {
  static const auto request = DynamoDbPut(1024);
  Run(state, request, "dynamodb");
}

void DynamoDbPutItem1MiB(benchmark::State& state) {
  static const auto request = DynamoDbPut(1 << 20);
  Run(state, request, "dynamodb");
}

void DynamoDbPutItem16MiB(benchmark::State& state) {
  static const auto request = DynamoDbPut(16 << 20);
  Run(state, request, "dynamodb");
}

// A rejected request (wrong signature) costs the same hashing plus the message that names the
// canonical request.
void SqsSendMessageWrongSignature(benchmark::State& state) {
  static const auto request = [] {
    auto signed_request = Signed("sqs", "application/x-www-form-urlencoded; charset=utf-8", "",
                                 "Action=SendMessage&Version=2012-11-05&QueueUrl=q&MessageBody=hello");
    signed_request.headers.back().second.back() ^= 1;
    return signed_request;
  }();
  mallard::protocol::SigningSecretLookup lookup = Lookup;
  for (auto _ : state) {
    auto result = VerifySigV4(request, lookup, SigV4Check{kNowMillis, "sqs"});
    if (!result) std::abort();
    benchmark::DoNotOptimize(result);
  }
}

}  // namespace

BENCHMARK(SqsSendMessage);
BENCHMARK(SqsSendMessageWrongSignature);
BENCHMARK(DynamoDbPutItem1KiB);
BENCHMARK(DynamoDbPutItem1MiB)->Unit(benchmark::kMicrosecond);
BENCHMARK(DynamoDbPutItem16MiB)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();

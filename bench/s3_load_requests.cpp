#include "s3_load_requests.hpp"

namespace s3_load {

S3Requests::S3Requests(std::string host_header) : host_header_(std::move(host_header)) {}

std::string S3Requests::Common() const {
  // Neither Mallard nor moto_server verifies signatures by default, but moto answers anonymous GETs
  // of private objects with 403: every request carries the same Authorization, built once, so the
  // generator spends nothing per request on signing (as bench/run_s3_bench.py's Python generator).
  return "Host: " + host_header_ +
         "\r\n"
         "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
         "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
         "Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n"
         "x-amz-date: 20260101T000000Z\r\n"
         "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n";
}

std::string S3Requests::CreateBucket(const std::string& bucket) const {
  return "PUT /" + bucket + " HTTP/1.1\r\n" + Common() + "Content-Length: 0\r\n\r\n";
}

std::string S3Requests::PutHead(const std::string& bucket, const std::string& key, std::uint64_t size) const {
  return "PUT /" + bucket + "/" + key + " HTTP/1.1\r\n" + Common() + "Content-Type: application/octet-stream\r\n" +
         "Content-Length: " + std::to_string(size) + "\r\n\r\n";
}

std::string S3Requests::Get(const std::string& bucket, const std::string& key) const {
  return "GET /" + bucket + "/" + key + " HTTP/1.1\r\n" + Common() + "\r\n";
}

std::string MakeBody(std::size_t size) {
  std::string body(size, '\0');
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (std::size_t i = 0; i < size; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    body[i] = static_cast<char>(state >> 56);
  }
  return body;
}

}  // namespace s3_load

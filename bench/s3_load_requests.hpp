// s3_load: the HTTP requests it sends — path-style, unsigned, one fixed SigV4-shaped Authorization.
#pragma once

#include <cstdint>
#include <string>

namespace s3_load {

class S3Requests {
 public:
  explicit S3Requests(std::string host_header);

  std::string CreateBucket(const std::string& bucket) const;
  // The head of a PutObject of `size` bytes (the body is written after it, not copied in).
  std::string PutHead(const std::string& bucket, const std::string& key, std::uint64_t size) const;
  std::string Get(const std::string& bucket, const std::string& key) const;

 private:
  std::string Common() const;
  std::string host_header_;
};

// Deterministic bytes that do not compress to nothing (the servers store what they receive).
std::string MakeBody(std::size_t size);

}  // namespace s3_load

#pragma once
// SigV4 credential scope: which access key signed the request, for which region and service.
// Mallard routes and partitions by the scope; it does not verify signatures.
#include <optional>
#include <string>
#include <string_view>

#include "common/http_types.hpp"

namespace mallard::protocol {

struct CredentialScope {
  std::string access_key_id;
  std::string date;
  std::string region;
  std::string service;
};

// Parses "AKID/20240101/us-east-1/sqs/aws4_request".
std::optional<CredentialScope> ParseCredential(std::string_view credential);
// From the Authorization header ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...")
// or, for presigned URLs, the X-Amz-Credential query parameter.
std::optional<CredentialScope> CredentialScopeOf(const http::HttpRequest& request);

}  // namespace mallard::protocol

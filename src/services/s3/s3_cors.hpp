#pragma once
// S3's CORS: the bucket's CORS configuration stored and returned (Put/Get/DeleteBucketCors), the
// browser's preflight (OPTIONS, "OptionsObject") answered from it, and the CORS headers of the
// first matching rule added to actual requests that carry an Origin (ApplyCors, called when a
// response is sent). A request without an Origin costs nothing: the bucket is read only for those
// with one.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http_types.hpp"
#include "services/s3/s3_service.hpp"

namespace mallard::s3 {

class S3Call;

struct CorsRule {
  std::string id;
  std::vector<std::string> allowed_headers;
  std::vector<std::string> allowed_methods;
  std::vector<std::string> allowed_origins;
  std::vector<std::string> expose_headers;
  std::optional<std::int64_t> max_age_seconds;
};

// The rules of a stored CORSConfiguration document (as PutBucketCors stored it).
std::vector<CorsRule> ParseCorsRules(std::string_view stored_document);
// S3's wildcard match: `pattern` may hold one '*' standing for any run of characters.
bool CorsWildcardMatch(std::string_view pattern, std::string_view text, bool case_insensitive);
// The index of the first rule allowing `origin` with `method` and every one of `request_headers`
// (lower case), or nullopt.
std::optional<std::size_t> MatchCorsRule(const std::vector<CorsRule>& rules, std::string_view origin,
                                         std::string_view method, const std::vector<std::string>& request_headers);

// Adds the matching rule's CORS headers to `response` when the request has an Origin and the
// bucket a CORS configuration with a rule for that origin and method; does nothing otherwise.
void ApplyCors(const S3Call& call, http::HttpResponse& response);

// Put/Get/DeleteBucketCors and OptionsObject.
std::vector<S3Operation> CorsOperations();

}  // namespace mallard::s3

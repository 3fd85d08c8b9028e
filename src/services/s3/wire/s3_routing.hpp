#pragma once
// Which S3 operation a request is, and on what: S3 has no operation name on the wire. The bucket
// comes from the Host (virtual-hosted style: "bucket.s3.localhost:4566", "bucket.localhost") or
// the first path segment (path style); the key is the rest of the path, percent-decoded; the
// operation follows from the method, whether there is a bucket and a key, the sub-resource query
// parameters ("?uploads", "?versioning", "?list-type=2", "?uploadId=…&partNumber=…") and a few
// headers (x-amz-copy-source makes a PUT a copy). The table comes from botocore's S3 model
// (scripts/gen_s3_routes.py), so every operation of the model routes.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"

namespace mallard::s3 {

// Decoded query parameters in wire order; a parameter without '=' has an empty value.
class QueryParameters {
 public:
  static QueryParameters Parse(std::string_view raw_query);
  const std::string* Find(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  const std::vector<std::pair<std::string, std::string>>& All() const { return entries_; }
  // A '%' not followed by two hex digits was kept as written (Parse cannot fail; a caller that
  // must refuse such a query asks here).
  bool HasMalformedEscape() const { return malformed_escape_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  bool malformed_escape_ = false;
};

struct S3Address {
  std::string bucket;  // empty: the service itself (ListBuckets)
  std::string key;     // percent-decoded; empty: the bucket
  bool virtual_hosted = false;
};

// The bucket a Host header names in virtual-hosted style, or nullopt for the plain endpoint
// ("localhost:4566", "127.0.0.1", "s3.localhost", "s3.us-east-1.amazonaws.com").
std::optional<std::string> BucketFromHost(std::string_view host);

// Bucket and key from the Host header and the raw (still percent-encoded) path.
Result<S3Address, AwsError> AddressOf(std::string_view host, std::string_view raw_path);

struct S3Route {
  S3Address address;
  std::string operation;  // botocore's name: "PutObject", "ListObjectsV2", "GetBucketVersioning"
};

// `headers`: lower-case names. An unknown combination is S3's 405 MethodNotAllowed (or
// InvalidRequest / NotImplemented where S3 says so).
Result<S3Route, AwsError> RouteS3(std::string_view method, std::string_view host, std::string_view raw_path,
                                  const QueryParameters& query,
                                  const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace mallard::s3

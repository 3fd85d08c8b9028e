#pragma once
// Key listings with S3's delimiter roll-up, shared by ListObjects, ListObjectsV2 and the listing of
// versions and uploads.
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

struct KeyListingRequest {
  std::string prefix;
  std::string delimiter;
  std::string after;  // exclusive
  std::size_t max_keys = 1000;
};

struct KeyListing {
  std::vector<ObjectRecord> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string last;             // the last key or common prefix listed
  bool last_is_prefix = false;  // whether `last` is a common prefix
};

// One page of current objects: keys and common prefixes together count toward max_keys.
Result<KeyListing> ListKeys(S3Store& store, std::string_view bucket, const KeyListingRequest& request);
AwsError ToListingError(const StoreError& error, std::string_view bucket);
// The key past every key that starts with `common_prefix`.
std::string PastPrefix(std::string_view common_prefix);
// EncodingType=url as S3 applies it: unreserved characters and '/' kept, space as '+'.
std::string UrlEncodeForListing(std::string_view text);

}  // namespace mallard::s3

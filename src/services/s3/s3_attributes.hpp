#pragma once
// What S3 keeps about an object version besides its bytes (the store's attributes document):
// content headers, user metadata, storage class, tags, checksum, encryption, multipart parts — read
// from a request's headers with S3's checks, kept as JSON, and written back as response headers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/http_types.hpp"
#include "common/result.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class S3Call;

using Tags = std::vector<std::pair<std::string, std::string>>;

struct ObjectAttributes {
  std::string content_type;
  std::string content_encoding;
  std::string content_disposition;
  std::string content_language;
  std::string cache_control;
  std::string expires;
  Tags metadata;  // x-amz-meta-*: names lower case without the prefix, in the order sent
  std::string storage_class;  // empty: STANDARD
  std::string website_redirect;
  Tags tags;
  std::string checksum_algorithm;  // "CRC32", …; empty: none
  std::string checksum_value;      // base64 (COMPOSITE: "…-N")
  std::string checksum_type;       // "FULL_OBJECT" | "COMPOSITE"
  // Multipart objects: each part's size and checksum (GET ?partNumber=, GetObjectAttributes).
  std::vector<std::uint64_t> part_sizes;
  std::vector<std::string> part_checksums;
  std::string server_side_encryption = "AES256";
  std::string kms_key_id;
  bool bucket_key_enabled = false;

  static ObjectAttributes FromJson(std::string_view json);
  std::string ToJson() const;
};

// The attributes a write sets from its headers (PutObject, CreateMultipartUpload, CopyObject with
// REPLACE), with S3's checks: metadata size (2 KB), tag syntax and limits, storage class, encryption.
Result<ObjectAttributes> AttributesFromHeaders(const S3Call& call);
// The x-amz-tagging header / a Tagging document's pairs, with S3's limits (10 tags, key 128,
// value 256, no duplicate keys).
Result<Tags> ParseTaggingHeader(std::string_view header);
Result<Done> CheckTags(const Tags& tags);

// The headers of a GET or HEAD: Content-Type and the other content headers, ETag, Last-Modified,
// metadata, storage class, version id (when the bucket has versioning), encryption, tag count,
// checksum (when asked), parts count.
void AddObjectHeaders(const ObjectRecord& record, const ObjectAttributes& attributes, bool show_version_id,
                      bool with_checksum, http::HttpResponse& response);

// x-amz-checksum-<alg> and x-amz-checksum-type of an object's checksum (none without one).
void AddChecksumHeaders(const ObjectAttributes& attributes, http::HttpResponse& response);

// S3's canonical user id of an account: 64 hex digits, stable.
std::string CanonicalUserId(std::string_view account);
// A fresh version id (S3's are 32 URL-safe characters).
std::string NewVersionId();
// Whether a version id could name a version: "null" or an id of the shape S3 issues (32 URL-safe
// characters; Mallard issues 32 letters and digits). S3 decodes its ids and refuses one that does
// not decode (DeleteObject: InvalidArgument "Invalid version id specified") before looking it up.
bool WellFormedVersionId(std::string_view version_id);

}  // namespace mallard::s3

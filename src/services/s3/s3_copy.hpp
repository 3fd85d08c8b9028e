#pragma once
// What CopyObject and UploadPartCopy share: the x-amz-copy-source header, opening the source with
// S3's errors and conditions, and moving a byte range store to store a piece at a time while its
// MD5 and checksum are computed (never a whole object in memory).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws_error.hpp"
#include "common/result.hpp"
#include "services/s3/codec/checksums.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class S3Call;

struct CopySource {
  std::string bucket;
  std::string key;
  std::optional<std::string> version_id;  // ?versionId=
};

// "bucket/key[?versionId=id]", URL-encoded, an optional leading '/'. InvalidArgument as S3 answers
// a source without a bucket or a key.
Result<CopySource> ParseCopySource(std::string_view header);

// The source version, its body open, after S3's checks: NoSuchBucket/NoSuchKey/NoSuchVersion for
// the source, a delete marker named by version id (InvalidRequest) or current (NoSuchKey), and the
// x-amz-copy-source-if-* conditions (412). Blocking: call on the pool.
Result<OpenedObject> OpenCopySource(const S3Call& call, const CopySource& source);

struct CopiedBytes {
  std::uint64_t size = 0;
  std::string md5;                 // raw 16 bytes
  std::string checksum_base64;     // empty without an algorithm
};

// Bytes [first, first + length) of `reader` appended to `writer` in pieces of 1 MiB.
Result<CopiedBytes> CopyRange(const S3Call& call, BodyReader& reader, std::uint64_t first, std::uint64_t length,
                              BodyWriter& writer, std::optional<codec::ChecksumAlgorithm> algorithm);

// "crc32", "sha256", … (S3 writes algorithm names in lower case in its messages and headers).
std::string LowerName(codec::ChecksumAlgorithm algorithm);
// Lower-case hex of raw bytes (ETags are MD5s in this form).
std::string LowerHex(std::string_view bytes);
// "ChecksumCRC32", … (the XML element of a checksum value).
std::string ChecksumElement(codec::ChecksumAlgorithm algorithm);

}  // namespace mallard::s3

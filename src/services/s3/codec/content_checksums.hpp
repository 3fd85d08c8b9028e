#pragma once
// What an upload (PutObject, UploadPart) declares about its body, read from the request headers,
// and the check of every declared digest once the body has been read:
//
//   Content-MD5                       base64 of the MD5 of the payload
//   x-amz-checksum-<alg>              base64 of the payload's checksum, in a header …
//   x-amz-trailer: x-amz-checksum-<alg>  … or in an aws-chunked trailer
//   x-amz-sdk-checksum-algorithm      the algorithm the SDK used (no value of its own)
//   x-amz-content-sha256              hex SHA-256 of the payload, UNSIGNED-PAYLOAD, or STREAMING-*
//                                     (an aws-chunked body: see aws_chunked.hpp)
//   x-amz-decoded-content-length      the payload length of an aws-chunked body
//
// Every error is S3's code, status and message; the messages were checked against AWS's answers
// recorded in LocalStack's snapshots (tests/aws/services/s3/test_s3.snapshot.json: test_s3_invalid_content_md5,
// TestS3PutObjectChecksum, test_s3_checksum_no_algorithm, test_multipart_parts_checksum_exceptions_composite)
// and, for XAmzContentSHA256Mismatch and the x-amz-content-sha256 values, against S3 answers quoted
// in public bug reports (aws-sdk-js-v3#6893, lua-resty-aws#2). Extra XML elements of an error
// (ExpectedDigest, CalculatedDigest, …) are in AwsError::extra_json, a flat object of strings.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"
#include "services/s3/codec/aws_chunked.hpp"
#include "services/s3/codec/checksums.hpp"

namespace mallard::s3::codec {

// Request headers, names lower case.
using RequestHeaders = std::vector<std::pair<std::string, std::string>>;

// x-amz-content-sha256.
enum class PayloadHash {
  kAbsent,                   // no header (unsigned requests, presigned URLs)
  kSha256,                   // a hex SHA-256 of the payload, to verify
  kUnsigned,                 // UNSIGNED-PAYLOAD
  kStreamingUnsignedTrailer, // STREAMING-UNSIGNED-PAYLOAD-TRAILER
  kStreamingSigned,          // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  kStreamingSignedTrailer,   // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER
};

struct DeclaredChecksums {
  // Content-MD5: the 16 decoded bytes and the header as sent.
  std::optional<std::string> content_md5;
  std::string content_md5_header;
  // The checksum algorithm of the upload: named by its x-amz-checksum-<alg> header, by
  // x-amz-trailer, or only by x-amz-sdk-checksum-algorithm (then S3 computes the value itself).
  std::optional<ChecksumAlgorithm> algorithm;
  std::optional<std::string> checksum_value;  // raw digest, from the header
  bool checksum_in_trailer = false;
  std::optional<ChecksumAlgorithm> sdk_algorithm;  // x-amz-sdk-checksum-algorithm as sent
  PayloadHash payload_hash = PayloadHash::kAbsent;
  std::string payload_sha256;  // raw 32 bytes when payload_hash == kSha256
  std::vector<std::string> trailer_names;  // x-amz-trailer, lower case
  std::optional<std::uint64_t> decoded_content_length;

  // The body is aws-chunked (a STREAMING-* payload hash) and must go through AwsChunkedDecoder.
  bool aws_chunked() const;
  // The decoder's options for this request. `signing`: the chain's inputs when the server verifies
  // signatures (ignored for the unsigned form). The limit is the declared decoded length.
  AwsChunkedOptions ChunkedOptions(std::optional<ChunkSigning> signing) const;
};

// Reads and validates the declarations. Errors: InvalidDigest (Content-MD5 not base64 of 16
// bytes), InvalidRequest (two checksum headers or a checksum header and a trailer, a value of the
// wrong form, an unknown algorithm), InvalidArgument (x-amz-content-sha256 none of the accepted
// values), NotImplemented (SigV4a streaming), MissingContentLength (aws-chunked without a valid
// x-amz-decoded-content-length).
Result<DeclaredChecksums> ReadDeclaredChecksums(const RequestHeaders& headers);

// An aws-chunked body must decode to exactly x-amz-decoded-content-length bytes (IncompleteBody).
Result<Done> CheckDecodedLength(const DeclaredChecksums& declared, std::uint64_t decoded_bytes);

// Content-Encoding as S3 stores it: the aws-chunked codings removed; nullopt when none is left.
std::optional<std::string> StoredContentEncoding(std::string_view content_encoding);

// How BadDigest reports the Content-MD5 a client sent: PutObject as hex (the ETag form), UploadPart
// as sent (base64) — both as recorded from AWS (md5-error-bad-digest, upload-part-md5-bad-digest).
enum class ExpectedDigestForm { kHex, kAsSent };

// Hashes the payload as it streams and checks every declaration at the end. Always computes MD5
// (the ETag) and the upload's checksum: the declared algorithm, or `default_algorithm` when the
// request names none (S3 adds CRC64NVME to objects uploaded without a checksum).
class UploadDigests {
 public:
  explicit UploadDigests(const DeclaredChecksums& declared,
                         std::optional<ChecksumAlgorithm> default_algorithm = ChecksumAlgorithm::kCrc64Nvme);
  void Update(std::string_view payload);
  // After the whole payload: x-amz-content-sha256 (XAmzContentSHA256Mismatch), the checksum from
  // its header or from `trailers` (InvalidRequest for a malformed value, BadDigest), then
  // Content-MD5 (BadDigest).
  Result<Done> Verify(const Trailers& trailers, ExpectedDigestForm md5_form = ExpectedDigestForm::kHex) const;

  std::uint64_t bytes() const { return bytes_; }
  std::string Md5Hex() const;
  std::optional<ChecksumAlgorithm> algorithm() const { return algorithm_; }
  // Base64 of the payload's checksum with algorithm(); empty when there is none.
  std::string ChecksumBase64() const;

 private:
  DeclaredChecksums declared_;
  std::optional<ChecksumAlgorithm> algorithm_;
  std::unique_ptr<Hasher> md5_;
  std::unique_ptr<Hasher> checksum_;
  std::unique_ptr<Hasher> sha256_;  // only when x-amz-content-sha256 is a hash to verify
  std::uint64_t bytes_ = 0;
};

}  // namespace mallard::s3::codec

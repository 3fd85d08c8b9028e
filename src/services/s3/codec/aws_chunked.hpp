#pragma once
// An incremental decoder of S3's aws-chunked body framing (Content-Encoding: aws-chunked), in the
// three forms the SDKs send (the x-amz-content-sha256 values):
//
//   STREAMING-UNSIGNED-PAYLOAD-TRAILER            <hex-size>\r\n<data>\r\n … 0\r\n<trailers>\r\n
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD            <hex-size>;chunk-signature=<64 hex>\r\n<data>\r\n …
//                                                 0;chunk-signature=<64 hex>\r\n\r\n
//   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER    signed chunks, then trailers ending with
//                                                 x-amz-trailer-signature:<64 hex>\r\n, then \r\n
//
// where <trailers> are `name:value\r\n` lines (x-amz-checksum-crc32:…). Bytes may be fed split
// anywhere. Signatures are verified when the caller gives the SigV4 signing material (AWS's
// "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks"
// and "… Including Trailing Headers"):
//
//   chunk:   HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n<amz-date>\n<scope>\n<previous signature>\n"
//                      "<SHA256 of the empty string>\n<SHA256 of the chunk data>")
//   trailer: HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n<amz-date>\n<scope>\n<final chunk's signature>\n"
//                      "<SHA256 of the trailers as name:value\n lines, sorted by name>")
//
// where the first chunk's previous signature is the seed: the Signature of the Authorization
// header. Decoded bytes are handed out before the chunk that holds them is verified (the chunk's
// signature covers the whole chunk): a caller keeps nothing until Finish() succeeds.
//
// SigV4a (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD[-TRAILER]) is not supported: see
// content_checksums.hpp, which refuses it before a decoder is made.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"
#include "services/s3/codec/checksums.hpp"

namespace mallard::s3::codec {

// The chunk signature chain's inputs, from the request's verified Authorization header.
struct ChunkSigning {
  std::string signing_key;     // raw bytes: protocol::sigv4::SigningKey(secret, date, region, "s3")
  std::string seed_signature;  // lower-case hex: the Authorization header's Signature
  std::string amz_date;        // x-amz-date, e.g. 20130524T000000Z
  std::string scope;           // 20130524/us-east-1/s3/aws4_request
};

struct AwsChunkedOptions {
  // Chunk headers carry `;chunk-signature=` (the STREAMING-AWS4-HMAC-SHA256-* forms).
  bool signed_chunks = false;
  // The trailers end with x-amz-trailer-signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
  bool signed_trailer = false;
  // When set (signed forms only), every chunk signature and the trailer signature are verified;
  // when not (a server without authentication), they are only checked for form.
  std::optional<ChunkSigning> signing;
  // The trailer names the request declared in x-amz-trailer (lower case). Every one must arrive and
  // nothing else may (x-amz-trailer-signature aside).
  std::vector<std::string> declared_trailers;
  // Decoded bytes allowed in all; a chunk whose size would pass it is refused at its header.
  std::uint64_t max_decoded_bytes = UINT64_MAX;
  // S3: "Only the last chunk is allowed to have a size less than 8192 bytes" — enforced for the
  // signed and the unsigned forms alike (versitygw#1665 and #1683 record AWS's answer to both).
  // 0 turns the rule off.
  std::uint64_t min_chunk_size = 8192;
};

enum class AwsChunkedErrc {
  kTruncated,            // the body ended before the framing did
  kMalformedChunkHeader,  // not hex, more than 16 digits, a bad or missing chunk-signature, bad CRLF
  kMalformedChunkEnd,     // the chunk data is not followed by CRLF
  kDataAfterEnd,          // bytes after the final CRLF
  kSizeOverLimit,         // the chunks add up to more than max_decoded_bytes
  kChunkTooSmall,         // a chunk other than the last below min_chunk_size
  kSignatureMismatch,     // a chunk or trailer signature does not verify
  kMalformedTrailer,      // a trailer line that does not parse, an undeclared or repeated trailer
  kMissingTrailer,        // a declared trailer (or the trailer signature) did not arrive
};

struct AwsChunkedError {
  AwsChunkedErrc code = AwsChunkedErrc::kTruncated;
  std::string detail;  // for logs and tests; never sent to the client
  // kChunkTooSmall: the 1-based number of the chunk whose header showed the rule broken and the
  // size of the chunk before it (S3's <Chunk> and <BadChunkSize>).
  std::uint64_t chunk_number = 0;
  std::uint64_t bad_chunk_size = 0;
  // kSignatureMismatch: what S3 reports back (<StringToSign>, <SignatureProvided>).
  std::string string_to_sign;
  std::string signature_provided;

  // S3's error for it: IncompleteBody (400, "The request body terminated unexpectedly") for the
  // framing faults and for a chunk past the limit; InvalidChunkSizeError (403, see the .cpp) with Chunk and
  // BadChunkSize; SignatureDoesNotMatch (403) with StringToSign and SignatureProvided;
  // MalformedTrailerError (400). Extra XML elements travel in AwsError::extra_json as a flat
  // object of strings.
  AwsError ToAwsError() const;
};

// Trailers in arrival order (names lower case, values trimmed), x-amz-trailer-signature left out.
using Trailers = std::vector<std::pair<std::string, std::string>>;

class AwsChunkedDecoder {
 public:
  explicit AwsChunkedDecoder(AwsChunkedOptions options);
  ~AwsChunkedDecoder();
  AwsChunkedDecoder(const AwsChunkedDecoder&) = delete;
  AwsChunkedDecoder& operator=(const AwsChunkedDecoder&) = delete;

  // Decodes `bytes`, appending the payload bytes they complete to `out`. After an error every
  // later call returns the same error.
  Result<Done, AwsChunkedError> Feed(std::string_view bytes, std::string& out);
  // The body has ended: checks that the framing ended too (final chunk, trailers, final CRLF) and
  // returns the trailers.
  Result<Trailers, AwsChunkedError> Finish();

  // Payload bytes decoded so far (the caller compares the total with x-amz-decoded-content-length).
  std::uint64_t decoded_bytes() const { return decoded_bytes_; }
  // The final CRLF has been read.
  bool complete() const { return state_ == State::kDone; }

 private:
  enum class State { kChunkHeader, kChunkData, kChunkDataEnd, kTrailerLine, kDone, kFailed };

  Result<Done, AwsChunkedError> Fail(AwsChunkedError error);
  Result<Done, AwsChunkedError> Fail(AwsChunkedErrc code, std::string detail);
  // Reads bytes into line_ up to and including LF; true when the line is complete.
  Result<bool, AwsChunkedError> TakeLine(std::string_view& bytes, std::size_t max_length);
  Result<Done, AwsChunkedError> OnChunkHeader(std::string_view line);
  Result<Done, AwsChunkedError> OnChunkComplete();
  Result<Done, AwsChunkedError> OnTrailerLine(std::string_view line);
  Result<Done, AwsChunkedError> OnTrailersEnd();
  Result<Done, AwsChunkedError> VerifySignature(std::string_view string_to_sign, std::string_view provided);

  AwsChunkedOptions options_;
  State state_ = State::kChunkHeader;
  std::optional<AwsChunkedError> error_;
  std::string line_;
  std::uint64_t chunk_remaining_ = 0;
  std::uint64_t chunk_size_ = 0;
  std::uint64_t chunk_count_ = 0;            // chunk headers read
  std::optional<std::uint64_t> previous_size_;  // the size of the data chunk before this one
  std::uint8_t data_end_seen_ = 0;           // bytes of the CRLF after the data read so far
  std::uint64_t decoded_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::string chunk_signature_;     // the current chunk's, lower-case hex
  std::string previous_signature_;  // the chain
  std::optional<std::string> trailer_signature_;
  Trailers trailers_;
  std::unique_ptr<Hasher> chunk_hash_;  // SHA-256 of the current chunk, only when verifying
};

}  // namespace mallard::s3::codec

#include "services/s3/codec/content_checksums.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <charconv>

#include "common/encoding.hpp"

namespace mallard::s3::codec {
namespace {

constexpr std::string_view kChecksumHeaderPrefix = "x-amz-checksum-";
constexpr std::string_view kUnsupportedAlgorithm =
    "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, "
    "CRC64NVME, SHA1, SHA256]";
constexpr std::string_view kMultipleChecksums =
    "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.";
constexpr std::string_view kBadPayloadHash =
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 "
    "value.";

AwsError WithDetails(AwsError error, std::initializer_list<std::pair<std::string_view, std::string_view>> details) {
  error.extra_json = FlatJsonObject(details);
  return error;
}

AwsError InvalidRequest(std::string message) { return AwsError::Make("InvalidRequest", 400, std::move(message)); }

AwsError InvalidChecksumValue(ChecksumAlgorithm algorithm) {
  return InvalidRequest("Value for " + std::string(HeaderName(algorithm)) + " header is invalid.");
}

std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  text = TrimBlanks(text);
  if (text.empty() || text.size() > 20 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Splits a comma-separated header value into trimmed, lower-case, non-empty items.
std::vector<std::string> CommaList(std::string_view value) {
  std::vector<std::string> items;
  while (true) {
    std::size_t comma = value.find(',');
    std::string_view item = TrimBlanks(value.substr(0, comma));
    if (!item.empty()) items.push_back(AsciiLower(item));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

Result<PayloadHash> ReadPayloadHash(std::string_view value, std::string& raw_sha256) {
  if (value == "UNSIGNED-PAYLOAD") return PayloadHash::kUnsigned;
  if (value == "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return PayloadHash::kStreamingUnsignedTrailer;
  if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") return PayloadHash::kStreamingSigned;
  if (value == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER") return PayloadHash::kStreamingSignedTrailer;
  if (value == "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD" || value == "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER") {
    // SigV4a chunk signatures (ECDSA P-256) are not verified here: refused before any byte is read.
    return Fail(WithDetails(AwsError::Make("NotImplemented", 501,
                                           "A header you provided implies functionality that is not implemented"),
                            {{"Header", "x-amz-content-sha256"}}));
  }
  if (value.size() == 64) {
    if (auto raw = HexDecode(value)) {
      raw_sha256 = std::move(*raw);
      return PayloadHash::kSha256;
    }
  }
  return Fail(WithDetails(AwsError::Make("InvalidArgument", 400, std::string(kBadPayloadHash)),
                          {{"ArgumentName", "x-amz-content-sha256"}, {"ArgumentValue", value}}));
}

}  // namespace

bool DeclaredChecksums::aws_chunked() const {
  return payload_hash == PayloadHash::kStreamingUnsignedTrailer || payload_hash == PayloadHash::kStreamingSigned ||
         payload_hash == PayloadHash::kStreamingSignedTrailer;
}

AwsChunkedOptions DeclaredChecksums::ChunkedOptions(std::optional<ChunkSigning> signing) const {
  AwsChunkedOptions options;
  options.signed_chunks =
      payload_hash == PayloadHash::kStreamingSigned || payload_hash == PayloadHash::kStreamingSignedTrailer;
  options.signed_trailer = payload_hash == PayloadHash::kStreamingSignedTrailer;
  if (options.signed_chunks) options.signing = std::move(signing);
  options.declared_trailers = trailer_names;
  options.max_decoded_bytes = decoded_content_length.value_or(0);
  return options;
}

Result<DeclaredChecksums> ReadDeclaredChecksums(const RequestHeaders& headers) {
  DeclaredChecksums declared;
  std::optional<std::string> checksum_header_value;
  for (const auto& [name, value] : headers) {
    if (name == "content-md5") {
      declared.content_md5_header = value;
      auto raw = Base64DecodeStrict(TrimBlanks(value));
      if (!raw || raw->size() != 16) {
        return Fail(WithDetails(AwsError::Make("InvalidDigest", 400, "The Content-MD5 you specified was invalid."),
                                {{"Content-MD5", value}}));
      }
      declared.content_md5 = std::move(*raw);
    } else if (name.starts_with(kChecksumHeaderPrefix)) {
      // x-amz-checksum-mode, -type and -algorithm are other headers; only the algorithms' names count.
      auto algorithm = ParseChecksumAlgorithm(name);
      if (!algorithm) continue;
      if (declared.algorithm && *declared.algorithm != *algorithm) {
        return Fail(InvalidRequest(std::string(kMultipleChecksums)));
      }
      declared.algorithm = algorithm;
      checksum_header_value = value;
    } else if (name == "x-amz-sdk-checksum-algorithm") {
      auto algorithm = ParseChecksumAlgorithm(TrimBlanks(value));
      if (!algorithm) return Fail(InvalidRequest(std::string(kUnsupportedAlgorithm)));
      declared.sdk_algorithm = algorithm;
    } else if (name == "x-amz-trailer") {
      declared.trailer_names = CommaList(value);
    } else if (name == "x-amz-content-sha256") {
      MALLARD_ASSIGN_OR_RETURN(declared.payload_hash, ReadPayloadHash(TrimBlanks(value), declared.payload_sha256));
    } else if (name == "x-amz-decoded-content-length") {
      declared.decoded_content_length = ParseDecimal(value);
      if (!declared.decoded_content_length) {
        return Fail(AwsError::Make("MissingContentLength", 411, "You must provide the Content-Length HTTP header."));
      }
    }
  }
  if (checksum_header_value) {
    declared.checksum_value = DecodeChecksumValue(*declared.algorithm, TrimBlanks(*checksum_header_value));
    if (!declared.checksum_value) return Fail(InvalidChecksumValue(*declared.algorithm));
  }
  // A checksum trailer: only the algorithms' names are known trailers.
  for (const std::string& trailer : declared.trailer_names) {
    auto algorithm = ParseChecksumAlgorithm(trailer);
    if (!algorithm || !trailer.starts_with(kChecksumHeaderPrefix)) {
      return Fail(InvalidRequest(std::string(kUnsupportedAlgorithm)));
    }
    if (declared.algorithm) return Fail(InvalidRequest(std::string(kMultipleChecksums)));
    declared.algorithm = algorithm;
    declared.checksum_in_trailer = true;
  }
  if (!declared.trailer_names.empty() && !declared.aws_chunked()) {
    // Trailers travel only in an aws-chunked body.
    return Fail(InvalidRequest("The value specified in the x-amz-trailer header is not supported"));
  }
  if (!declared.algorithm && declared.sdk_algorithm) declared.algorithm = declared.sdk_algorithm;
  if (declared.aws_chunked() && !declared.decoded_content_length) {
    return Fail(AwsError::Make("MissingContentLength", 411, "You must provide the Content-Length HTTP header."));
  }
  return declared;
}

Result<Done> CheckDecodedLength(const DeclaredChecksums& declared, std::uint64_t decoded_bytes) {
  if (declared.decoded_content_length && *declared.decoded_content_length != decoded_bytes) {
    return Fail(AwsError::Make("IncompleteBody", 400, "The request body terminated unexpectedly"));
  }
  return Done{};
}

std::optional<std::string> StoredContentEncoding(std::string_view content_encoding) {
  std::string kept;
  std::string_view rest = content_encoding;
  while (true) {
    std::size_t comma = rest.find(',');
    std::string_view item = TrimBlanks(rest.substr(0, comma));
    if (!item.empty() && AsciiLower(item) != "aws-chunked") {
      if (!kept.empty()) kept += ',';
      kept += item;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (kept.empty()) return std::nullopt;
  return kept;
}

UploadDigests::UploadDigests(const DeclaredChecksums& declared, std::optional<ChecksumAlgorithm> default_algorithm)
    : declared_(declared), algorithm_(declared.algorithm ? declared.algorithm : default_algorithm), md5_(MakeMd5Hasher()) {
  if (algorithm_) checksum_ = MakeHasher(*algorithm_);
  if (declared.payload_hash == PayloadHash::kSha256) sha256_ = MakeHasher(ChecksumAlgorithm::kSha256);
}

void UploadDigests::Update(std::string_view payload) {
  md5_->Update(payload);
  if (checksum_) checksum_->Update(payload);
  if (sha256_) sha256_->Update(payload);
  bytes_ += payload.size();
}

std::string UploadDigests::Md5Hex() const { return HexEncode(md5_->Digest()); }

std::string UploadDigests::ChecksumBase64() const { return checksum_ ? checksum_->Base64Digest() : std::string(); }

Result<Done> UploadDigests::Verify(const Trailers& trailers, ExpectedDigestForm md5_form) const {
  if (sha256_) {
    std::string computed = sha256_->Digest();
    if (computed != declared_.payload_sha256) {
      return Fail(WithDetails(AwsError::Make("XAmzContentSHA256Mismatch", 400,
                                             "The provided 'x-amz-content-sha256' header does not match what was "
                                             "computed."),
                              {{"ClientComputedContentSHA256", HexEncode(declared_.payload_sha256)},
                               {"S3ComputedContentSHA256", HexEncode(computed)}}));
    }
  }
  if (declared_.algorithm && checksum_) {
    std::optional<std::string> expected = declared_.checksum_value;
    if (declared_.checksum_in_trailer) {
      std::string_view name = HeaderName(*declared_.algorithm);
      auto found = std::find_if(trailers.begin(), trailers.end(), [&](const auto& t) { return t.first == name; });
      // The decoder already refused a body without the declared trailer; a caller that skipped it
      // gets the framing error S3 answers for a missing trailer.
      if (found == trailers.end()) {
        return Fail(AwsError::Make("IncompleteBody", 400, "The request body terminated unexpectedly"));
      }
      expected = DecodeChecksumValue(*declared_.algorithm, found->second);
      if (!expected) return Fail(InvalidChecksumValue(*declared_.algorithm));
    }
    if (expected && *expected != checksum_->Digest()) {
      return Fail(AwsError::Make("BadDigest", 400,
                                 "The " + std::string(S3Name(*declared_.algorithm)) +
                                     " you specified did not match the calculated checksum."));
    }
  }
  if (declared_.content_md5) {
    std::string computed = md5_->Digest();
    if (computed != *declared_.content_md5) {
      std::string expected =
          md5_form == ExpectedDigestForm::kHex ? HexEncode(*declared_.content_md5) : declared_.content_md5_header;
      return Fail(WithDetails(
          AwsError::Make("BadDigest", 400, "The Content-MD5 you specified did not match what we received."),
          {{"ExpectedDigest", expected}, {"CalculatedDigest", Base64Encode(computed)}}));
    }
  }
  return Done{};
}

}  // namespace mallard::s3::codec

// S3's aws-chunked body decoder (services/s3/codec/aws_chunked.hpp) and the reading of an
// upload's checksum declarations (content_checksums.hpp).
//
// Input layout: byte 0 = mode, byte 1 = seed of the split points, the rest = the body.
//   mode bit 0: signed chunks; bit 1: signed trailer; bit 2: verify with a signing key;
//   bit 3: x-amz-trailer declares x-amz-checksum-crc32; bit 4: the 8192-byte chunk rule on;
//   bit 5: a small decoded-length limit (64) instead of 1 MiB;
//   bit 7: instead, the rest is request headers (`name:value` lines) for ReadDeclaredChecksums,
//          then the bytes after a blank line are the payload verified against them.
// Checks beyond "no crash, no sanitizer report": the decoded bytes never pass the limit and equal
// the decoder's count; the result (bytes, trailers, or the error) does not depend on where the
// body was split; every error maps to an S3 error with a code and a 400/403 status.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/sigv4_verify.hpp"
#include "services/s3/codec/aws_chunked.hpp"
#include "services/s3/codec/content_checksums.hpp"

using namespace mallard;
using namespace mallard::s3::codec;

namespace {

struct Outcome {
  std::string payload;
  bool ok = false;
  AwsChunkedErrc code = AwsChunkedErrc::kTruncated;
  Trailers trailers;
  std::uint64_t counted = 0;
};

Outcome Run(const AwsChunkedOptions& options, std::string_view body, const std::vector<std::size_t>& cuts) {
  AwsChunkedDecoder decoder(options);
  Outcome outcome;
  std::size_t at = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(body.size());
  for (std::size_t end : ends) {
    if (end < at) continue;
    auto fed = decoder.Feed(body.substr(at, end - at), outcome.payload);
    at = end;
    if (!fed.ok()) {
      outcome.code = fed.error().code;
      outcome.counted = decoder.decoded_bytes();
      return outcome;
    }
  }
  auto finished = decoder.Finish();
  outcome.counted = decoder.decoded_bytes();
  if (finished.ok()) {
    outcome.ok = true;
    outcome.trailers = *finished;
  } else {
    outcome.code = finished.error().code;
  }
  return outcome;
}

void CheckError(const AwsError& error) {
  if (error.code.empty() || (error.http_status != 400 && error.http_status != 403 && error.http_status != 411 &&
                             error.http_status != 501)) {
    fuzz::FailCheck("an error without an S3 code or with an unexpected status", error.code);
  }
}

void FuzzHeaders(std::string_view text) {
  std::size_t blank = text.find("\n\n");
  std::string_view head = text.substr(0, blank);
  std::string_view payload = blank == std::string_view::npos ? std::string_view() : text.substr(blank + 2);
  RequestHeaders headers;
  while (!head.empty()) {
    std::size_t newline = head.find('\n');
    std::string_view line = head.substr(0, newline);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      for (char& c : name) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      headers.emplace_back(std::move(name), std::string(line.substr(colon + 1)));
    }
    if (newline == std::string_view::npos) break;
    head.remove_prefix(newline + 1);
  }
  auto declared = ReadDeclaredChecksums(headers);
  if (!declared.ok()) {
    CheckError(declared.error());
    return;
  }
  UploadDigests digests(*declared);
  digests.Update(payload);
  auto verified = digests.Verify({});
  if (!verified.ok()) CheckError(verified.error());
  if (digests.bytes() != payload.size()) fuzz::FailCheck("UploadDigests counted the wrong number of bytes", payload);
  if (digests.Md5Hex().size() != 32) fuzz::FailCheck("an MD5 that is not 32 hex digits", payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  std::uint32_t seed = data[1] * 2654435761u + 1;
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (mode & 0x80) {
    FuzzHeaders(body);
    return 0;
  }

  AwsChunkedOptions options;
  options.signed_chunks = mode & 0x01;
  options.signed_trailer = (mode & 0x02) && options.signed_chunks;
  if ((mode & 0x04) && options.signed_chunks) {
    static const std::string key =
        protocol::sigv4::SigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
    options.signing = ChunkSigning{key, "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
                                   "20130524T000000Z", "20130524/us-east-1/s3/aws4_request"};
  }
  if (mode & 0x08) options.declared_trailers = {"x-amz-checksum-crc32"};
  options.min_chunk_size = (mode & 0x10) ? 8192 : 0;
  options.max_decoded_bytes = (mode & 0x20) ? 64 : (1u << 20);

  // The whole body at once, then cut at up to eight pseudo-random points.
  Outcome whole = Run(options, body, {});
  std::vector<std::size_t> cuts;
  if (!body.empty()) {
    for (int i = 0; i < 8; ++i) {
      seed = seed * 1103515245u + 12345u;
      cuts.push_back((seed >> 8) % body.size());
    }
    std::sort(cuts.begin(), cuts.end());
  }
  Outcome split = Run(options, body, cuts);

  for (const Outcome* outcome : {&whole, &split}) {
    if (outcome->payload.size() > options.max_decoded_bytes) {
      fuzz::FailCheck("decoded past the limit", body);
    }
    if (outcome->counted != outcome->payload.size()) fuzz::FailCheck("decoded_bytes() disagrees with the output", body);
  }
  if (whole.ok != split.ok || whole.payload != split.payload || whole.trailers != split.trailers ||
      (!whole.ok && whole.code != split.code)) {
    fuzz::FailCheck("the result depends on where the body was split", body);
  }
  if (!whole.ok) {
    AwsChunkedError error;
    error.code = whole.code;
    CheckError(error.ToAwsError());
  }
  return 0;
}

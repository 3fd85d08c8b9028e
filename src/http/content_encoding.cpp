#include "http/content_encoding.hpp"

#include <zlib.h>

#include <cctype>
#include <cstdlib>

namespace mallard::http {

namespace {

enum class InflateOutcome { kDone, kCorrupt, kTooLarge };

bool StartsGzipMember(const unsigned char* data, std::size_t size) {
  return size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
}

// Inflates `input` with zlib's `window_bits` (16+ for gzip, positive for zlib, negative for raw
// deflate). With `gzip_members`, a member that ends is followed by the next one when the remaining
// bytes start with the gzip magic; any other remainder is ignored.
InflateOutcome Inflate(std::string_view input, int window_bits, bool gzip_members, std::size_t max_output,
                       std::string& output) {
  z_stream stream{};
  if (inflateInit2(&stream, window_bits) != Z_OK) return InflateOutcome::kCorrupt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  char buffer[65536];
  InflateOutcome outcome = InflateOutcome::kCorrupt;
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    int status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;  // corrupt, or no input at all (Z_BUF_ERROR)
    output.append(buffer, sizeof buffer - stream.avail_out);
    if (output.size() > max_output) {
      outcome = InflateOutcome::kTooLarge;
      break;
    }
    if (status == Z_STREAM_END) {
      if (gzip_members && StartsGzipMember(stream.next_in, stream.avail_in)) {
        if (inflateReset(&stream) != Z_OK) break;
        continue;
      }
      outcome = InflateOutcome::kDone;
      break;
    }
    if (stream.avail_in == 0 && stream.avail_out != 0) break;  // truncated: the stream never ends
  }
  inflateEnd(&stream);
  return outcome;
}

// "Gzip " -> "gzip": codings are case-insensitive tokens.
std::string NormalisedCoding(std::string_view value) {
  std::string coding;
  for (char c : value) {
    if (c == ' ' || c == '\t') continue;
    coding.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return coding;
}

}  // namespace

std::optional<std::string> GunzipBounded(std::string_view compressed, std::size_t max_output) {
  std::string output;
  if (Inflate(compressed, 16 + MAX_WBITS, true, max_output, output) != InflateOutcome::kDone) return std::nullopt;
  return output;
}

BodyDecoding ClassifyContentEncoding(std::string_view content_encoding) {
  auto coding = NormalisedCoding(content_encoding);
  if (coding.empty() || coding == "identity") return BodyDecoding::kPlain;
  if (coding == "gzip" || coding == "x-gzip" || coding == "deflate") return BodyDecoding::kDecoded;
  return BodyDecoding::kUnsupported;
}

DecodedBody DecodeContentEncoding(std::string_view content_encoding, std::string_view body, std::size_t max_output) {
  DecodedBody decoded;
  decoded.outcome = ClassifyContentEncoding(content_encoding);
  if (decoded.outcome != BodyDecoding::kDecoded) return decoded;
  InflateOutcome outcome;
  if (NormalisedCoding(content_encoding) == "deflate") {
    // RFC 9110's deflate is the zlib format; a zlib header is a multiple of 31 with method 8.
    auto* bytes = reinterpret_cast<const unsigned char*>(body.data());
    bool zlib_header = body.size() >= 2 && (bytes[0] & 0x0f) == 8 && ((bytes[0] << 8) | bytes[1]) % 31 == 0;
    outcome = Inflate(body, zlib_header ? MAX_WBITS : -MAX_WBITS, false, max_output, decoded.body);
  } else {
    outcome = Inflate(body, 16 + MAX_WBITS, true, max_output, decoded.body);
  }
  if (outcome != InflateOutcome::kDone) {
    decoded.outcome = outcome == InflateOutcome::kTooLarge ? BodyDecoding::kTooLarge : BodyDecoding::kCorrupt;
    decoded.body.clear();
  }
  return decoded;
}

std::string Gzip(std::string_view plain) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string output(deflateBound(&stream, static_cast<uLong>(plain.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  stream.avail_in = static_cast<uInt>(plain.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  deflate(&stream, Z_FINISH);
  output.resize(stream.total_out);
  deflateEnd(&stream);
  return output;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::string lower(accept_encoding);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto position = lower.find("gzip");
  if (position == std::string::npos) return false;
  auto end = lower.find(',', position);
  std::string parameters = lower.substr(position, end == std::string::npos ? std::string::npos : end - position);
  auto q = parameters.find("q=");
  if (q == std::string::npos) return true;
  return std::strtod(parameters.c_str() + q + 2, nullptr) > 0.0;
}

}  // namespace mallard::http

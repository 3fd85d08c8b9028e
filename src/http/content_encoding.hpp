#pragma once
// Content codings of HTTP bodies: clients may send `Content-Encoding: gzip` (or deflate) requests and
// ask for gzip responses with `Accept-Encoding`.
#include <optional>
#include <string>
#include <string_view>

namespace mallard::http {

// nullopt when the input is not valid gzip or inflates past `max_output` bytes (a zip bomb must
// not exhaust memory). Concatenated members are one body (RFC 1952 2.2); bytes after the last
// member that do not start another member are ignored, as DynamoDB ignores them (gzip(1) does too).
std::optional<std::string> GunzipBounded(std::string_view compressed, std::size_t max_output);
std::string Gzip(std::string_view plain);
// True when an Accept-Encoding header value admits gzip (and does not give it q=0).
bool AcceptsGzip(std::string_view accept_encoding);

enum class BodyDecoding {
  kPlain,        // no coding, or "identity": the body is used as sent
  kDecoded,      // gzip, x-gzip or deflate, decoded
  kUnsupported,  // a coding Mallard does not know (AWS answers these 500)
  kCorrupt,      // the body is not in the coding its header names (AWS answers these 500 too)
  kTooLarge,     // decodes past the body limit
};

struct DecodedBody {
  BodyDecoding outcome = BodyDecoding::kPlain;
  std::string body;  // the decoded body for kDecoded; empty otherwise
};

// What the server does with a Content-Encoding header value: kPlain, or a coding to decode (off the
// network thread: decoding is unbounded work up to max_output). Case-insensitive, spaces ignored.
BodyDecoding ClassifyContentEncoding(std::string_view content_encoding);
// Decodes `body` as `content_encoding` says (gzip, x-gzip, deflate; deflate is the zlib format of
// RFC 1950, and raw RFC 1951 data is accepted too, as many clients send it).
DecodedBody DecodeContentEncoding(std::string_view content_encoding, std::string_view body, std::size_t max_output);

}  // namespace mallard::http

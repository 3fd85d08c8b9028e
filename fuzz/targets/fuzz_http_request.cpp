// HTTP/1.1 request parsing as the server configures it: Beast's request_parser<string_body> with
// the server's default body and header limits, fed the bytes in two pieces (as a socket delivers
// them), then ToNeutral (the server's conversion) and, for a gzip body, GunzipBounded with the body
// limit. Also Gzip/GunzipBounded round trip and Accept-Encoding parsing on the same bytes.
//
// Input layout: byte 0 = split point (mod input size) of the first read; the rest is the stream.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "fuzz/targets/strict_checks.hpp"
#include "http/content_encoding.hpp"
#include "http/http_server.hpp"
#include "http/request_conversion.hpp"

namespace bhttp = boost::beast::http;
using namespace mallard;

namespace {

// Feeds `bytes` to the parser as a socket read loop would; returns false on a parse error.
bool Feed(bhttp::request_parser<bhttp::string_body>& parser, std::string_view bytes, std::size_t first_read) {
  std::string pending;
  auto deliver = [&](std::string_view chunk) {
    pending.append(chunk);
    while (!pending.empty() && !parser.is_done()) {
      boost::system::error_code error;
      std::size_t used = parser.put(boost::asio::buffer(pending), error);
      if (error == bhttp::error::need_more) return true;
      if (error) return false;
      if (used == 0) return true;
      pending.erase(0, used);
    }
    return true;
  };
  if (!deliver(bytes.substr(0, first_read))) return false;
  if (!deliver(bytes.substr(first_read))) return false;
  if (!parser.is_done()) {
    boost::system::error_code error;
    parser.put_eof(error);
    return !error && parser.is_done();
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const http::HttpServerOptions defaults;

  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(defaults.body_limit);
  parser.header_limit(static_cast<std::uint32_t>(defaults.header_limit));
  parser.eager(true);
  std::size_t first_read = stream.empty() ? 0 : data[0] % (stream.size() + 1);
  if (!Feed(parser, stream, first_read)) {
    if (parser.is_header_done()) (void)http::HeadersOnly(parser.get().base());
  } else {
    auto message = parser.release();
    http::HttpRequest request = http::ToNeutral(message, "127.0.0.1");
    if (request.path.size() > request.target.size()) fuzz::FailCheck("path longer than target", stream);
    if (const std::string* encoding = request.Header("content-encoding");
        encoding != nullptr && (*encoding == "gzip" || *encoding == "x-gzip")) {
      auto inflated = http::GunzipBounded(request.body, defaults.body_limit);
      if (inflated && inflated->size() > defaults.body_limit) fuzz::FailCheck("GunzipBounded exceeded its bound", stream);
    }
    if (const std::string* accept = request.Header("accept-encoding")) (void)http::AcceptsGzip(*accept);
  }

  // The bytes as a gzip body (a small bound, so that inflation limits are hit often) and as an
  // Accept-Encoding value.
  constexpr std::size_t kSmallBound = 4096;
  auto inflated = http::GunzipBounded(stream, kSmallBound);
  if (inflated && inflated->size() > kSmallBound) fuzz::FailCheck("GunzipBounded exceeded its bound", stream);
  (void)http::AcceptsGzip(stream);
  if (stream.size() <= kSmallBound) {
    auto round = http::GunzipBounded(http::Gzip(stream), kSmallBound);
    if (!round || *round != stream) fuzz::FailCheck("Gzip/GunzipBounded does not round-trip", stream);
  }
  return 0;
}

#include "http/content_encoding.hpp"

#include <zlib.h>

#include <cctype>

namespace mallard::http {

std::optional<std::string> GunzipBounded(std::string_view compressed, std::size_t max_output) {
  z_stream stream{};
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string output;
  char buffer[65536];
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) break;
    output.append(buffer, sizeof buffer - stream.avail_out);
    if (output.size() > max_output) break;
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) break;  // truncated input
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END || output.size() > max_output) return std::nullopt;
  return output;
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

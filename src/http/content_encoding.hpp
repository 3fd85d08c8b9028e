#pragma once
// gzip for HTTP bodies: clients may send `Content-Encoding: gzip` requests and ask for gzip
// responses with `Accept-Encoding`.
#include <optional>
#include <string>
#include <string_view>

namespace mallard::http {

// nullopt when the input is not valid gzip or inflates past `max_output` bytes (a zip bomb must
// not exhaust memory).
std::optional<std::string> GunzipBounded(std::string_view compressed, std::size_t max_output);
std::string Gzip(std::string_view plain);
// True when an Accept-Encoding header value admits gzip (and does not give it q=0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace mallard::http

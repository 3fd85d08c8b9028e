#pragma once
// Beast message -> neutral HttpRequest, as the server does for every request it reads. In a header
// of its own (rather than inside http_server.cpp) so that the HTTP fuzz target (fuzz/) runs the
// very conversion the server runs; only src/http/ and fuzz/ include it (it pulls in Beast).
#include <boost/beast/http.hpp>

#include <cctype>
#include <string>

#include "common/http_types.hpp"
#include "common/text.hpp"

namespace mallard::http {

// The request line and headers, without the body: what the server builds as soon as the header is
// read, so that the handler can choose how the body is read (HttpHandler::BodyReadingFor).
inline HttpRequest ToNeutralHeaders(const boost::beast::http::request_header<>& header, std::string remote) {
  HttpRequest request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers.reserve(16);
  for (const auto& field : header) {
    request.headers.emplace_back(AsciiLower(field.name_string()), std::string(field.value()));
  }
  request.remote_address = std::move(remote);
  return request;
}

inline HttpRequest ToNeutral(const boost::beast::http::request<boost::beast::http::string_body>& message,
                             std::string remote) {
  HttpRequest request = ToNeutralHeaders(message.base(), std::move(remote));
  request.body = message.body();
  return request;
}

// The request line and headers only: what the server hands RejectOversizedBody.
inline HttpRequest HeadersOnly(const boost::beast::http::request_header<>& header) {
  HttpRequest request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  for (const auto& field : header) {
    request.headers.emplace_back(AsciiLower(field.name_string()), std::string(field.value()));
  }
  return request;
}

}  // namespace mallard::http

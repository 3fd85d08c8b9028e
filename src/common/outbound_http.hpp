#pragma once
// Outbound HTTP requests (SNS deliveries to HTTP/HTTPS subscribers), without Beast: services see
// this interface; the implementation is http/outbound_http_client.hpp, handed to them by the app.
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace mallard {

struct OutboundRequest {
  std::string method = "POST";
  std::string url;  // http:// or https://, with an optional port, path and query
  // Sent as given; Host and Content-Length are set by the client unless given here.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Covers the whole exchange: resolving, connecting, the TLS handshake, writing and reading.
  std::chrono::milliseconds timeout{15000};
};

struct OutboundResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class OutboundHttp {
 public:
  virtual ~OutboundHttp() = default;
  // Never blocks the caller; completes `done` exactly once, on a thread of the client, with the
  // response (any status) or why there is none (bad URL, DNS, refused, timeout, TLS, oversize
  // reply, client shutting down).
  virtual void Send(OutboundRequest request, std::function<void(Result<OutboundResponse, std::string>)> done) = 0;
};

}  // namespace mallard

#pragma once
// OutboundHttp on Boost.Beast: HTTP/1.1 and HTTPS requests to subscribers' endpoints, fully async
// on the client's own threads, one connection per request, each bounded by its timeout and by a
// cap on the reply's size.
#include <cstddef>
#include <memory>

#include "common/outbound_http.hpp"

namespace mallard::http {

struct OutboundHttpClientOptions {
  // Local endpoints mostly present self-signed certificates, so HTTPS certificates (chain and host
  // name, against the system's trust store) are only checked when asked.
  bool verify_certificates = false;
  // A reply body above this is an error, not a truncated body.
  std::size_t max_response_body_bytes = 1024 * 1024;
  // The status line and headers of a reply together.
  std::size_t max_response_header_bytes = 64 * 1024;
};

class OutboundHttpClient : public OutboundHttp {
 public:
  // `threads` (at least one) run every request's I/O; none of it blocks, so one or two suffice.
  explicit OutboundHttpClient(unsigned threads = 1, OutboundHttpClientOptions options = {});
  // Completes every outstanding request with an error ("the HTTP client is shutting down"), then
  // joins the threads. Send() must not race with destruction.
  ~OutboundHttpClient() override;
  OutboundHttpClient(const OutboundHttpClient&) = delete;
  OutboundHttpClient& operator=(const OutboundHttpClient&) = delete;

  // Sets Host (unless given) and Content-Length (always: a given Content-Length or
  // Transfer-Encoding is replaced), adds Basic authorization for user:password in the URL (as SNS
  // does) unless Authorization is given, and asks the server to close the connection afterwards.
  void Send(OutboundRequest request, std::function<void(Result<OutboundResponse, std::string>)> done) override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace mallard::http

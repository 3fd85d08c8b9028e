#pragma once
// HTTP/1.1 server with keep-alive and pipelining on Boost.Beast, multi-threaded.
// Lifecycle: construct → Start() (binds, returns the bound port) → Stop() (stop accepting; in-flight
// requests finish and get their response; idle connections close) → Join().
#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "common/http_types.hpp"

namespace mallard::http {

// Why a listener could not start, for the one-line message the commands print before exiting 1.
struct ListenError {
  std::string address;  // "127.0.0.1:4566", "[::1]:4566"
  std::string reason;   // "address already in use"
  std::string Message() const { return "cannot listen on " + address + ": " + reason; }
};

// Raises the soft RLIMIT_NOFILE to the hard limit (each connection holds a descriptor; the
// distribution default of 1024 runs out under load long before the hard limit). Logs at debug.
void RaiseOpenFileLimit();

// An HTTP-date (RFC 9110 5.6.7, IMF-fixdate): "Sat, 05 Dec 2026 12:10:55 GMT".
std::string HttpDate(std::time_t when);

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4566;       // 0 picks a free port
  unsigned threads = 2;
  // Bodies read whole (BodyReading::kBuffered, kBufferedRaw).
  std::size_t body_limit = 16 * 1024 * 1024;
  // Bodies handed over as a stream (BodyReading::kStreamed): S3 accepts 5 GiB in one PUT, plus the
  // framing of aws-chunked uploads. Past it the handler's Read fails and the connection closes.
  std::uint64_t streamed_body_limit = 6ull * 1024 * 1024 * 1024;
  // The request line and headers together. DynamoDB's front end answers 400 Bad Request above 16 KB
  // of headers, and to a request line of 17,000 bytes; Beast answers its header_limit error, which
  // the handler renders as a 400 (RejectMalformedRequest).
  std::size_t header_limit = 16 * 1024;
  unsigned idle_timeout_seconds = 300;
  unsigned shutdown_grace_seconds = 30;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, std::shared_ptr<HttpHandler> handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the worker threads; returns the bound port. When the address cannot be bound
  // nothing has been started, and the error says which address and why.
  Result<std::uint16_t, ListenError> Start();
  // Graceful: stops accepting, lets in-flight requests complete, then ends the threads.
  void Stop();
  // Blocks until the server has stopped (after Stop(), or after SIGINT/SIGTERM when
  // StopOnSignals() was called).
  void Join();
  // Makes SIGINT and SIGTERM call Stop().
  void StopOnSignals();
  // Client connections open now (the metrics page's mallard_http_connections_open).
  std::size_t OpenConnections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mallard::http

#pragma once
// HTTP/1.1 server with keep-alive and pipelining on Boost.Beast, multi-threaded.
// Lifecycle: construct → Start() (binds, returns the bound port) → Stop() (stop accepting; in-flight
// requests finish and get their response; idle connections close) → Join().
#include <cstdint>
#include <memory>
#include <string>

#include "http/http_types.hpp"

namespace mallard::http {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4566;       // 0 picks a free port
  unsigned threads = 2;
  std::size_t body_limit = 16 * 1024 * 1024;
  std::size_t header_limit = 64 * 1024;
  unsigned idle_timeout_seconds = 300;
  unsigned shutdown_grace_seconds = 30;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, std::shared_ptr<HttpHandler> handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts the worker threads; returns the bound port. Throws std::runtime_error when
  // the address cannot be bound.
  std::uint16_t Start();
  // Graceful: stops accepting, lets in-flight requests complete, then ends the threads.
  void Stop();
  // Blocks until the server has stopped (after Stop(), or after SIGINT/SIGTERM when
  // StopOnSignals() was called).
  void Join();
  // Makes SIGINT and SIGTERM call Stop().
  void StopOnSignals();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mallard::http

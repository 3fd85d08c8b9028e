// Bench load generators (sqs_load, ddb_load): minimal HTTP/1.1 client (keep-alive, Content-Length and chunked bodies, Connection: close,
// HTTP/1.0) on Asio coroutines.
#pragma once

#include "load_util.hpp"

#include <boost/asio.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bench_load {

namespace asio = boost::asio;
using asio::ip::tcp;

// An http:// endpoint: what to resolve and what to send as Host.
struct Endpoint {
  std::string host;         // for the resolver
  std::string port;         // for the resolver
  std::string host_header;  // value of the Host header
};

// Parses http://host[:port][/...]; nullopt (with `error` set) for https:// or an empty host.
std::optional<Endpoint> ParseEndpoint(std::string url, std::string& error);

// Resolves the endpoint; an empty vector (with `error` set) when it cannot.
std::vector<tcp::endpoint> Resolve(const Endpoint& endpoint, std::string& error);

struct HttpResponse {
  int status = 0;
  std::string body;
  bool keep_alive = true;
};

class HttpClient {
 public:
  HttpClient(asio::any_io_executor executor, const std::vector<tcp::endpoint>& endpoints)
      : socket_(executor), endpoints_(endpoints), buf_(16384) {}

  // Deadline for the request in flight; a watchdog closes the socket once it has passed.
  Clock::time_point deadline = Clock::time_point::max();
  bool timed_out = false;
  std::uint64_t reconnects = 0;

  void Close();

  asio::awaitable<bool> Connect(std::string& error);

  // Sends one request and reads its response. Returns false on a transport error (error is set).
  // A request on a reused keep-alive connection that fails before any response byte arrived is
  // retried once on a fresh connection (the server may have closed an idle connection).
  asio::awaitable<bool> RoundTrip(const std::string& request, HttpResponse& response, std::string& error,
                                  Clock::duration timeout);
  // The same with the request in two pieces written together (head, then a large body that is not
  // copied into one string per request: s3_load's 16 MiB PUTs).
  asio::awaitable<bool> RoundTrip(std::string_view head, std::string_view body, HttpResponse& response,
                                  std::string& error, Clock::duration timeout);

 private:
  // Reads more bytes into buf_[end_..). Returns false on EOF or error.
  asio::awaitable<bool> Fill(std::string& error);

  std::string_view Buffered() const { return std::string_view(buf_.data() + begin_, end_ - begin_); }

  // Finds "\r\n" (or "\r\n\r\n") in the buffered bytes, reading more as needed; returns the offset
  // relative to begin_.
  asio::awaitable<std::optional<std::size_t>> FindInBuffer(std::string_view needle, std::string& error,
                                                           bool& got_bytes, std::size_t limit);

  asio::awaitable<bool> ReadResponse(HttpResponse& response, std::string& error, bool& got_bytes);

  asio::awaitable<bool> ReadChunked(HttpResponse& response, std::string& error, bool& got_bytes);

  tcp::socket socket_;
  const std::vector<tcp::endpoint>& endpoints_;
  std::vector<char> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool connected_ = false;
  bool ever_connected_ = false;
  bool used_ = false;
};

// Closes the socket of every client whose request deadline has passed, every 100 ms, while
// `active` > 0 (one per event-loop thread).
asio::awaitable<void> Watchdog(std::vector<std::unique_ptr<HttpClient>>& clients, const int& active);

// One request on a fresh connection and a private event loop (setup and teardown calls).
bool SingleCall(const std::vector<tcp::endpoint>& endpoints, const std::string& request, HttpResponse& response,
                std::string& error, Clock::duration timeout);

}  // namespace bench_load

#include "http/http_server.hpp"

#include "http/content_encoding.hpp"
#include "http/request_conversion.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

namespace mallard::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// Bridges the callback-style HttpHandler into a coroutine: the session awaits the response while
// the handler completes it from any thread.
template <typename Token>
auto AsyncHandle(HttpHandler& handler, HttpRequest request, Token&& token) {
  return asio::async_initiate<Token, void(HttpResponse)>(
      [&handler](auto completion, HttpRequest request) {
        using Completion = decltype(completion);
        auto shared_completion = std::make_shared<Completion>(std::move(completion));
        auto executor = asio::get_associated_executor(*shared_completion);
        auto work = std::make_shared<asio::executor_work_guard<decltype(executor)>>(executor);
        handler.Handle(std::move(request), [shared_completion, work](HttpResponse response) {
          asio::post(work->get_executor(), [shared_completion, response = std::move(response)]() mutable {
            (*shared_completion)(std::move(response));
          });
          work->reset();
        });
      },
      token, std::move(request));
}

// Runs `work` through the handler's Offload (off the network threads) and resumes the awaiting
// coroutine on its own executor with the result.
template <typename Value, typename Token>
auto AsyncOffload(HttpHandler& handler, std::function<Value()> work, Token&& token) {
  return asio::async_initiate<Token, void(Value)>(
      [&handler](auto completion, std::function<Value()> work) {
        using Completion = decltype(completion);
        auto shared_completion = std::make_shared<Completion>(std::move(completion));
        auto executor = asio::get_associated_executor(*shared_completion);
        auto guard = std::make_shared<asio::executor_work_guard<decltype(executor)>>(executor);
        handler.Offload([shared_completion, guard, work = std::move(work)] {
          asio::post(guard->get_executor(), [shared_completion, value = work()]() mutable {
            (*shared_completion)(std::move(value));
          });
          guard->reset();
        });
      },
      token, std::move(work));
}

// The address as people write it: [v6]:port.
std::string AddressText(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ListenFailureReason(const boost::system::error_code& error) {
  if (error == asio::error::address_in_use) return "address already in use";
  if (error == asio::error::access_denied) return "permission denied (ports below 1024 need privileges)";
  if (error.value() == EADDRNOTAVAIL) return "the address is not one of this machine's";
  std::string text = error.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// Accept failures that persist (the process is out of file descriptors: EMFILE, ENFILE, ENOBUFS)
// would spin the accept loop: the pending connection stays in the backlog and the listener is
// ready again at once. The loop waits before retrying, 100 ms doubling to 1 s while the error
// persists, and logs the first failure, then at most one line per kReportInterval with the count.
class AcceptBackoff {
 public:
  static constexpr auto kFirstDelay = std::chrono::milliseconds(100);
  static constexpr auto kMaxDelay = std::chrono::milliseconds(1000);
  static constexpr auto kReportInterval = std::chrono::seconds(10);

  std::chrono::milliseconds Failed(const boost::system::error_code& error) {
    auto now = std::chrono::steady_clock::now();
    ++failures_;
    delay_ = failures_ == 1 ? kFirstDelay : std::min(delay_ * 2, std::chrono::milliseconds(kMaxDelay));
    if (failures_ == 1) {
      bool out_of_descriptors = error.value() == EMFILE || error.value() == ENFILE;
      spdlog::warn("accept failed: {}; retrying every {}-{} ms until it succeeds{}", error.message(), kFirstDelay.count(),
                   kMaxDelay.count(), out_of_descriptors ? " (out of file descriptors: raise `ulimit -n`)" : "");
      last_report_ = now;
      unreported_ = 0;
    } else if (now - last_report_ >= kReportInterval) {
      spdlog::warn("accept still failing: {} ({} more failures since the last report)", error.message(), unreported_ + 1);
      last_report_ = now;
      unreported_ = 0;
    } else {
      ++unreported_;
    }
    return delay_;
  }

  void Succeeded() {
    if (failures_ == 0) return;
    spdlog::info("accepting connections again after {} failed attempts", failures_);
    failures_ = 0;
    unreported_ = 0;
  }

 private:
  std::uint64_t failures_ = 0;
  std::uint64_t unreported_ = 0;
  std::chrono::milliseconds delay_{0};
  std::chrono::steady_clock::time_point last_report_;
};

}  // namespace

std::string HttpDate(std::time_t when) {
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  char text[40];
  auto length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, length);
}

namespace {

bhttp::response<bhttp::string_body> ToBeast(HttpResponse response, unsigned version, bool keep_alive,
                                            bool head_request) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  for (auto& [name, value] : response.headers) message.set(name, value);
  // Every AWS response carries a Date (RFC 9110 6.6.1: an origin server with a clock must send it);
  // SDKs use it to correct clock skew.
  if (message.find(bhttp::field::date) == message.end()) message.set(bhttp::field::date, HttpDate(std::time(nullptr)));
  auto body_size = response.body.size();
  message.body() = head_request ? std::string() : std::move(response.body);
  message.keep_alive(keep_alive);
  message.content_length(body_size);
  return message;
}

}  // namespace

struct HttpServer::Impl {
  struct Connection {
    beast::tcp_stream stream;
    std::atomic<bool> busy{false};  // between reading a request and writing its response
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  };

  HttpServerOptions options;
  std::shared_ptr<HttpHandler> handler;
  asio::io_context io{static_cast<int>(options.threads)};
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io};
  asio::steady_timer grace_timer{io};
  asio::steady_timer accept_retry_timer{io};
  // The accept loop and BeginStop run here, so closing the acceptor and cancelling the retry timer
  // never race with the loop using them.
  asio::strand<asio::io_context::executor_type> control{asio::make_strand(io)};
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::mutex connections_mutex;
  std::list<std::shared_ptr<Connection>> connections;
  std::mutex join_mutex;

  Impl(HttpServerOptions opts, std::shared_ptr<HttpHandler> h)
      : options(std::move(opts)), handler(std::move(h)) {}

  asio::awaitable<void> Accept() {
    AcceptBackoff backoff;
    for (;;) {
      // Each connection runs on a strand of its own: its coroutine may resume on any network
      // thread, and shutdown reaches into it (cancel) from another one. One network thread is a
      // strand already (and a real one costs ~6 % of a small request's time).
      asio::any_io_executor executor = options.threads > 1 ? asio::any_io_executor(asio::make_strand(io))
                                                           : asio::any_io_executor(io.get_executor());
      auto [error, socket] = co_await acceptor.async_accept(executor, asio::as_tuple(asio::use_awaitable));
      if (error) {
        if (error == asio::error::operation_aborted || stopping) co_return;
        // A client that gave up before its connection was accepted: nothing to wait for.
        if (error == asio::error::connection_aborted) continue;
        accept_retry_timer.expires_after(backoff.Failed(error));
        co_await accept_retry_timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (stopping) co_return;
        continue;
      }
      backoff.Succeeded();
      boost::system::error_code no_delay_error;
      socket.set_option(tcp::no_delay(true), no_delay_error);
      auto connection = std::make_shared<Connection>(std::move(socket));
      std::list<std::shared_ptr<Connection>>::iterator position;
      {
        std::lock_guard lock(connections_mutex);
        position = connections.insert(connections.end(), connection);
      }
      asio::co_spawn(connection->stream.get_executor(), Serve(connection),
                     [this, position](std::exception_ptr failure) {
                       if (failure) {
                         try {
                           std::rethrow_exception(failure);
                         } catch (const std::exception& e) {
                           spdlog::error("connection failed: {}", e.what());
                         }
                       }
                       std::lock_guard lock(connections_mutex);
                       connections.erase(position);
                     });
    }
  }

  asio::awaitable<void> Serve(std::shared_ptr<Connection> connection) {
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ignored;
      auto endpoint = connection->stream.socket().remote_endpoint(ignored);
      remote = endpoint.address().to_string();
    }
    for (;;) {
      if (stopping) break;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      connection->stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
      auto [read_error, bytes] =
          co_await bhttp::async_read(connection->stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (read_error == bhttp::error::end_of_stream || read_error == asio::error::eof ||
          read_error == beast::error::timeout || read_error == asio::error::operation_aborted ||
          read_error == asio::error::connection_reset) {
        break;
      }
      if (read_error) {
        connection->busy = true;
        HttpResponse rejection = read_error == bhttp::error::body_limit
                                     ? handler->RejectOversizedBody(HeadersOnly(parser.get().base()), options.body_limit)
                                     : handler->RejectMalformedRequest(read_error.message());
        auto reply = ToBeast(std::move(rejection), 11, false, false);
        connection->stream.expires_after(std::chrono::seconds(30));
        co_await bhttp::async_write(connection->stream, reply, asio::as_tuple(asio::use_awaitable));
        // Closing with unread request bytes would reset the connection before the client reads
        // the error, so drain what the client is still sending (bounded in time).
        boost::system::error_code ignored;
        connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        connection->stream.expires_after(std::chrono::seconds(5));
        std::array<char, 16384> sink;
        for (;;) {
          auto [drain_error, drained] =
              co_await connection->stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
          if (drain_error) break;
        }
        break;
      }
      connection->busy = true;
      auto message = parser.release();
      bool keep_alive = message.keep_alive();
      bool head_request = message.method() == bhttp::verb::head;
      unsigned version = message.version();
      connection->stream.expires_never();
      // The body is moved, not copied: a copy of a large body would cost the network thread.
      std::string body = std::move(message.body());
      HttpRequest neutral = ToNeutral(message, remote);
      neutral.body = std::move(body);
      HttpResponse response;
      const std::string* encoding = neutral.Header("content-encoding");
      BodyDecoding coding = encoding == nullptr ? BodyDecoding::kPlain : ClassifyContentEncoding(*encoding);
      if (coding == BodyDecoding::kUnsupported) {
        response = handler->RejectUndecodableBody(neutral, "Content-Encoding " + *encoding + " is not supported");
      } else if (coding == BodyDecoding::kDecoded) {
        // Inflating may produce up to body_limit bytes from a small input: never on this thread.
        std::function<DecodedBody()> decode = [compressed = std::move(neutral.body), coding_name = *encoding,
                                               limit = options.body_limit] {
          return DecodeContentEncoding(coding_name, compressed, limit);
        };
        auto decoded = co_await AsyncOffload(*handler, std::move(decode), asio::use_awaitable);
        if (decoded.outcome == BodyDecoding::kDecoded) {
          neutral.body = std::move(decoded.body);
          std::erase_if(neutral.headers, [](const auto& header) { return header.first == "content-encoding"; });
          response = co_await AsyncHandle(*handler, std::move(neutral), asio::use_awaitable);
        } else if (decoded.outcome == BodyDecoding::kTooLarge) {
          response = handler->RejectOversizedBody(neutral, options.body_limit);
        } else {
          response = handler->RejectUndecodableBody(neutral, "the body is not valid " + *encoding);
        }
      } else {
        response = co_await AsyncHandle(*handler, std::move(neutral), asio::use_awaitable);
      }

      if (stopping) keep_alive = false;
      auto reply = ToBeast(std::move(response), version, keep_alive, head_request);
      connection->stream.expires_after(std::chrono::seconds(60));
      auto [write_error, written] =
          co_await bhttp::async_write(connection->stream, reply, asio::as_tuple(asio::use_awaitable));
      connection->busy = false;
      if (write_error || !keep_alive) break;
    }
    boost::system::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection->stream.socket().close(ignored);
  }

  void BeginStop() {
    if (stopping.exchange(true)) return;
    spdlog::info("shutting down: no new connections; waiting for in-flight requests");
    boost::system::error_code ignored;
    acceptor.close(ignored);
    accept_retry_timer.cancel();
    signals.cancel(ignored);
    handler->OnShutdown();
    {
      // Idle connections stop waiting for a next request; busy ones finish theirs first. On the
      // connection's strand, so this never runs between two steps of its coroutine.
      std::lock_guard lock(connections_mutex);
      for (auto& connection : connections) {
        asio::post(connection->stream.get_executor(), [connection] {
          boost::system::error_code cancel_error;
          if (!connection->busy) connection->stream.socket().cancel(cancel_error);
        });
      }
    }
    grace_timer.expires_after(std::chrono::seconds(options.shutdown_grace_seconds));
    grace_timer.async_wait([this](boost::system::error_code error) {
      if (!error) {
        spdlog::warn("shutdown grace period over; closing remaining connections");
        io.stop();
      }
    });
    // The grace timer must not keep the loop alive once the last connection has finished.
    asio::co_spawn(io, WaitForIdle(), asio::detached);
  }

  asio::awaitable<void> WaitForIdle() {
    asio::steady_timer poll(io);
    for (;;) {
      {
        std::lock_guard lock(connections_mutex);
        if (connections.empty()) break;
      }
      poll.expires_after(std::chrono::milliseconds(20));
      co_await poll.async_wait(asio::use_awaitable);
    }
    grace_timer.cancel();
  }
};

HttpServer::HttpServer(HttpServerOptions options, std::shared_ptr<HttpHandler> handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() {
  Stop();
  Join();
}

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur >= limit.rlim_max) {
    spdlog::debug("open-file limit: {} (already the hard limit)", limit.rlim_cur);
    return;
  }
  auto before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::debug("open-file limit stays {}: raising it to {} failed: {}", before, limit.rlim_max, std::strerror(errno));
    return;
  }
  spdlog::debug("open-file limit raised from {} to {}", before, limit.rlim_cur);
}

Result<std::uint16_t, ListenError> HttpServer::Start() {
  auto& impl = *impl_;
  auto address = AddressText(impl.options.host, impl.options.port);
  boost::system::error_code error;
  tcp::resolver resolver(impl.io);
  auto endpoints = resolver.resolve(impl.options.host, std::to_string(impl.options.port), error);
  if (error || endpoints.empty()) {
    return Fail(ListenError{address, "cannot resolve the host: " + (error ? error.message() : std::string("no address"))});
  }
  auto endpoint = endpoints.begin()->endpoint();
  // Each step's error is a value: nothing has started yet, so the caller only reports and exits.
  if (impl.acceptor.open(endpoint.protocol(), error); !error) {
    impl.acceptor.set_option(asio::socket_base::reuse_address(true), error);
  }
  if (!error) impl.acceptor.bind(endpoint, error);
  if (!error) impl.acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    boost::system::error_code ignored;
    impl.acceptor.close(ignored);
    return Fail(ListenError{address, ListenFailureReason(error)});
  }
  auto port = impl.acceptor.local_endpoint().port();
  asio::co_spawn(impl.control, impl.Accept(), asio::detached);
  for (unsigned i = 0; i < std::max(1u, impl.options.threads); ++i) {
    impl.threads.emplace_back([&impl] {
      for (;;) {
        try {
          impl.io.run();
          break;
        } catch (const std::exception& e) {
          spdlog::error("network thread caught: {}", e.what());
        }
      }
    });
  }
  return port;
}

void HttpServer::StopOnSignals() {
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait(asio::bind_executor(impl_->control, [this](boost::system::error_code error, int signal_number) {
    if (error) return;
    spdlog::info("received signal {}", signal_number);
    impl_->BeginStop();
  }));
}

void HttpServer::Stop() {
  if (!impl_) return;
  asio::post(impl_->control, [impl = impl_.get()] { impl->BeginStop(); });
}

void HttpServer::Join() {
  std::lock_guard lock(impl_->join_mutex);
  bool had_threads = !impl_->threads.empty();
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
  impl_->threads.clear();
  if (had_threads) impl_->handler->OnStopped();
}

}  // namespace mallard::http

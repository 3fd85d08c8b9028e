#include "http/http_server.hpp"

#include "http/content_encoding.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <list>
#include <mutex>
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

HttpRequest ToNeutral(const bhttp::request<bhttp::string_body>& message, std::string remote) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  auto question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.headers.reserve(16);
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = message.body();
  request.remote_address = std::move(remote);
  return request;
}

HttpRequest HeadersOnly(const bhttp::request_header<>& header) {
  HttpRequest request;
  request.method = std::string(header.method_string());
  request.target = std::string(header.target());
  for (const auto& field : header) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return request;
}

bhttp::response<bhttp::string_body> ToBeast(HttpResponse response, unsigned version, bool keep_alive,
                                            bool head_request) {
  bhttp::response<bhttp::string_body> message{static_cast<bhttp::status>(response.status), version};
  for (auto& [name, value] : response.headers) message.set(name, value);
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
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::mutex connections_mutex;
  std::list<std::shared_ptr<Connection>> connections;
  std::mutex join_mutex;

  Impl(HttpServerOptions opts, std::shared_ptr<HttpHandler> h)
      : options(std::move(opts)), handler(std::move(h)) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      // Each connection runs on a strand of its own: its coroutine may resume on any network
      // thread, and shutdown reaches into it (cancel) from another one. One network thread is a
      // strand already (and a real one costs ~6 % of a small request's time).
      asio::any_io_executor executor = options.threads > 1 ? asio::any_io_executor(asio::make_strand(io))
                                                           : asio::any_io_executor(io.get_executor());
      auto [error, socket] = co_await acceptor.async_accept(executor, asio::as_tuple(asio::use_awaitable));
      if (error) {
        if (error == asio::error::operation_aborted || stopping) co_return;
        spdlog::warn("accept failed: {}", error.message());
        continue;
      }
      socket.set_option(tcp::no_delay(true));
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
      HttpRequest neutral = ToNeutral(message, remote);
      HttpResponse response;
      if (const std::string* encoding = neutral.Header("content-encoding");
          encoding != nullptr && (*encoding == "gzip" || *encoding == "x-gzip")) {
        auto inflated = GunzipBounded(neutral.body, options.body_limit);
        if (!inflated) {
          response = handler->RejectMalformedRequest("the gzip-encoded body is corrupt or inflates past the body limit");
          keep_alive = false;
        } else {
          neutral.body = std::move(*inflated);
          std::erase_if(neutral.headers, [](const auto& header) { return header.first == "content-encoding"; });
          response = co_await AsyncHandle(*handler, std::move(neutral), asio::use_awaitable);
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

std::uint16_t HttpServer::Start() {
  auto& impl = *impl_;
  tcp::resolver resolver(impl.io);
  auto endpoints = resolver.resolve(impl.options.host, std::to_string(impl.options.port));
  auto endpoint = endpoints.begin()->endpoint();
  impl.acceptor.open(endpoint.protocol());
  impl.acceptor.set_option(asio::socket_base::reuse_address(true));
  impl.acceptor.bind(endpoint);
  impl.acceptor.listen(asio::socket_base::max_listen_connections);
  auto port = impl.acceptor.local_endpoint().port();
  asio::co_spawn(impl.io, impl.Accept(), asio::detached);
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
  impl_->signals.async_wait([this](boost::system::error_code error, int signal_number) {
    if (error) return;
    spdlog::info("received signal {}", signal_number);
    impl_->BeginStop();
  });
}

void HttpServer::Stop() {
  if (!impl_) return;
  asio::post(impl_->io, [impl = impl_.get()] { impl->BeginStop(); });
}

void HttpServer::Join() {
  std::lock_guard lock(impl_->join_mutex);
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
  impl_->threads.clear();
}

}  // namespace mallard::http

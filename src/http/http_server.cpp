#include "http/http_server.hpp"

#include "http/content_encoding.hpp"
#include "http/request_conversion.hpp"
#include "http/response_head.hpp"
#include "http/streamed_request_body.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <array>
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

using detail::Connection;
using detail::DetachOnExit;
using detail::kContinue;
using detail::StreamedRequestBody;
using detail::WantsContinue;

constexpr std::size_t kLargeBodyRoom = 64 * 1024;

// Pulls one piece of a response body; resumes the awaiting coroutine on its own executor.
template <typename Token>
auto AsyncPull(ResponseBodySource& source, Token&& token) {
  return asio::async_initiate<Token, void(std::string, std::string)>(
      [&source](auto completion) {
        using Completion = decltype(completion);
        auto shared_completion = std::make_shared<Completion>(std::move(completion));
        auto executor = asio::get_associated_executor(*shared_completion);
        auto work = std::make_shared<asio::executor_work_guard<decltype(executor)>>(executor);
        source.Read([shared_completion, work](std::string bytes, std::string error) {
          asio::post(work->get_executor(),
                     [shared_completion, bytes = std::move(bytes), error = std::move(error)]() mutable {
                       (*shared_completion)(std::move(bytes), std::move(error));
                     });
          work->reset();
        });
      },
      token);
}

}  // namespace

struct HttpServer::Impl {
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
  mutable std::mutex connections_mutex;
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
    beast::flat_buffer& buffer = connection->buffer;
    std::string remote;
    {
      boost::system::error_code ignored;
      auto endpoint = connection->stream.socket().remote_endpoint(ignored);
      remote = endpoint.address().to_string();
    }
    for (;;) {
      if (stopping) break;
      bhttp::request_parser<bhttp::empty_body> header_parser;
      header_parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      // Each way of reading the body applies its own limit, once the handler has chosen it.
      header_parser.body_limit(boost::none);
      connection->stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
      auto [read_error, bytes] = co_await bhttp::async_read_header(connection->stream, buffer, header_parser,
                                                                   asio::as_tuple(asio::use_awaitable));
      if (read_error == bhttp::error::end_of_stream || read_error == asio::error::eof ||
          read_error == beast::error::timeout || read_error == asio::error::operation_aborted ||
          read_error == asio::error::connection_reset) {
        break;
      }
      connection->busy = true;
      if (read_error) {
        HttpResponse rejection = handler->RejectMalformedRequest(read_error.message());
        co_await WriteAndDrain(*connection, rejection);
        break;
      }
      connection->stream.expires_never();
      const auto& header = header_parser.get();
      bool keep_alive = header.keep_alive();
      bool head_request = header.method() == bhttp::verb::head;
      unsigned version = header.version();
      HttpRequest neutral = ToNeutralHeaders(header.base(), remote);
      BodyReading reading = handler->BodyReadingFor(neutral);
      // Expect: 100-continue on a request without a body: the client still waits for the interim
      // answer (botocore's empty PUT does, and a final answer without it leaves botocore's pooled
      // connection stalled: boto/botocore#3755), so it gets one before the final answer, as S3 sends.
      bool continue_for_empty_body = false;
      if (version >= 11 && header_parser.is_done()) {
        auto expect = header.find(bhttp::field::expect);
        continue_for_empty_body = expect != header.end() && beast::iequals(expect->value(), "100-continue");
      }

      HttpResponse response;
      DetachOnExit streamed;
      if (reading == BodyReading::kStreamed) {
        streamed.body = std::make_shared<StreamedRequestBody>(connection, std::move(header_parser),
                                                              options.streamed_body_limit, options.idle_timeout_seconds);
        neutral.body_stream = streamed.body;
        response = co_await AsyncHandle(*handler, std::move(neutral), asio::use_awaitable);
        streamed.body->Answered();
        // The response's bytes must not interleave with a 100 Continue still being written.
        if (streamed.body->WritingContinue()) co_await streamed.body->AsyncWaitIdle(true, asio::use_awaitable);
        if (!streamed.body->Complete()) keep_alive = false;
      } else {
        auto declared = header_parser.content_length();
        if (declared && *declared > options.body_limit) {
          // Answered at once, without a 100 Continue: the client need not send the body at all.
          HttpResponse rejection = handler->RejectOversizedBody(neutral, options.body_limit);
          co_await WriteAndDrain(*connection, rejection);
          break;
        }
        bhttp::request_parser<bhttp::string_body> parser(std::move(header_parser));
        parser.body_limit(options.body_limit);  // chunked bodies are counted as they arrive
        auto body_error = ParseBufferedBody(*connection, parser);
        if (!body_error && !parser.is_done()) {
          // A client that sent its body with the header did not wait for the 100 Continue.
          if (WantsContinue(parser)) {
            connection->stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
            auto [continue_error, sent] =
                co_await asio::async_write(connection->stream, asio::buffer(kContinue.data(), kContinue.size()),
                                           asio::as_tuple(asio::use_awaitable));
            if (continue_error) break;
          }
          // Beast reads as much as the buffer's free room (at least 512 bytes): a large body gets
          // room for large reads, given back once it is read.
          bool large = declared && *declared > kLargeBodyRoom;
          if (large) buffer.reserve(kLargeBodyRoom);
          connection->stream.expires_after(std::chrono::seconds(options.idle_timeout_seconds));
          auto [read_body_error, body_bytes] =
              co_await bhttp::async_read(connection->stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
          body_error = read_body_error;
          if (large) buffer.shrink_to_fit();
        }
        if (body_error == bhttp::error::end_of_stream || body_error == asio::error::eof ||
            body_error == beast::error::timeout || body_error == asio::error::operation_aborted ||
            body_error == asio::error::connection_reset) {
          break;
        }
        if (body_error) {
          HttpResponse rejection = body_error == bhttp::error::body_limit
                                       ? handler->RejectOversizedBody(neutral, options.body_limit)
                                       : handler->RejectMalformedRequest(body_error.message());
          co_await WriteAndDrain(*connection, rejection);
          break;
        }
        connection->stream.expires_never();
        // The body is moved, not copied: a copy of a large body would cost the network thread.
        neutral.body = std::move(parser.get().body());
        const std::string* encoding = neutral.Header("content-encoding");
        if (reading == BodyReading::kBufferedRaw || encoding == nullptr ||
            ClassifyContentEncoding(*encoding) == BodyDecoding::kPlain) {
          response = co_await AsyncHandle(*handler, std::move(neutral), asio::use_awaitable);
        } else {
          response = co_await DecodeAndHandle(neutral);
        }
      }

      if (stopping) keep_alive = false;
      bool written = false;
      connection->stream.expires_after(std::chrono::seconds(60));
      if (continue_for_empty_body) {
        auto [continue_error, sent] = co_await asio::async_write(
            connection->stream, asio::buffer(kContinue.data(), kContinue.size()), asio::as_tuple(asio::use_awaitable));
        if (continue_error) break;
      }
      if (response.body_source) {
        written = co_await WriteStreamedResponse(*connection, response, version, keep_alive, head_request);
      } else {
        written = co_await WriteResponse(*connection, response, version, keep_alive, head_request);
      }
      if (streamed.body && !streamed.body->Complete()) {
        // The client may still be sending the body nobody read: drain it so that it reads the
        // response instead of a reset, then close.
        streamed.body->Detach(true);
        if (streamed.body->SocketBusy()) co_await streamed.body->AsyncWaitIdle(false, asio::use_awaitable);
        if (written) co_await DrainAndClose(*connection);
        break;
      }
      // The body was read whole: no read is in flight, and its room is not kept for next requests.
      if (streamed.body) buffer.shrink_to_fit();
      connection->busy = false;
      if (!written || !keep_alive) break;
    }
    boost::system::error_code ignored;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection->stream.socket().close(ignored);
  }

  // A small request usually arrives whole with its header: its body is parsed from the buffer in
  // place, without another asynchronous read. The caller reads the rest when it is not done.
  static boost::system::error_code ParseBufferedBody(Connection& connection,
                                                     bhttp::request_parser<bhttp::string_body>& parser) {
    boost::system::error_code error;
    while (!parser.is_done() && connection.buffer.size() > 0) {
      auto used = parser.put(connection.buffer.data(), error);
      connection.buffer.consume(used);
      if (error == bhttp::error::need_more) return {};
      if (error || used == 0) break;
    }
    return error;
  }

  // BodyReading::kBuffered with a Content-Encoding: gzip and deflate are decoded before the handler
  // sees the body; a coding the server does not know is refused.
  // (Arguments of class type are passed by reference to locals of the caller's frame: GCC 12 has
  // destroyed by-value coroutine arguments made from temporaries twice.)
  asio::awaitable<HttpResponse> DecodeAndHandle(HttpRequest& neutral) {
    const std::string* encoding = neutral.Header("content-encoding");
    BodyDecoding coding = ClassifyContentEncoding(*encoding);
    if (coding == BodyDecoding::kUnsupported) {
      co_return handler->RejectUndecodableBody(neutral, "Content-Encoding " + *encoding + " is not supported");
    }
    // Inflating may produce up to body_limit bytes from a small input: never on this thread.
    std::function<DecodedBody()> decode = [compressed = std::move(neutral.body), coding_name = *encoding,
                                           limit = options.body_limit] {
      return DecodeContentEncoding(coding_name, compressed, limit);
    };
    auto decoded = co_await AsyncOffload(*handler, std::move(decode), asio::use_awaitable);
    if (decoded.outcome == BodyDecoding::kDecoded) {
      neutral.body = std::move(decoded.body);
      std::erase_if(neutral.headers, [](const auto& header) { return header.first == "content-encoding"; });
      co_return co_await AsyncHandle(*handler, std::move(neutral), asio::use_awaitable);
    }
    if (decoded.outcome == BodyDecoding::kTooLarge) co_return handler->RejectOversizedBody(neutral, options.body_limit);
    co_return handler->RejectUndecodableBody(neutral, "the body is not valid " + *encoding);
  }

  // HttpResponse::body_source: the header with Content-Length: Length(), then the source's pieces,
  // one in memory at a time. False when the connection must close: the write failed, or the source
  // failed, ended early or gave too much (the client then sees a truncated body, never a wrong one).
  asio::awaitable<bool> WriteStreamedResponse(Connection& connection, HttpResponse& response, unsigned version,
                                              bool keep_alive, bool head_request) {
    auto source = std::move(response.body_source);
    std::uint64_t length = source->Length();
    std::string& head = connection.response_head;
    head.clear();
    RenderResponseHead({response.status, version, keep_alive, length}, response.headers, CurrentHttpDate(), head);
    auto [header_error, header_bytes] =
        co_await asio::async_write(connection.stream, asio::buffer(head), asio::as_tuple(asio::use_awaitable));
    if (header_error) co_return false;
    if (head_request) co_return true;
    std::uint64_t sent = 0;
    while (sent < length) {
      connection.stream.expires_never();  // the source may take its time; the write below is timed
      auto [piece, error] = co_await AsyncPull(*source, asio::use_awaitable);
      if (!error.empty() || piece.empty() || piece.size() > length - sent) {
        spdlog::warn("response body of {} bytes cut after {}: {}", length, sent,
                     !error.empty() ? error
                     : piece.empty() ? std::string("the source ended early")
                                     : "the source gave " + std::to_string(sent + piece.size()) + " bytes or more");
        co_return false;
      }
      connection.stream.expires_after(std::chrono::seconds(60));
      auto [write_error, written] = co_await asio::async_write(connection.stream, asio::buffer(piece),
                                                               asio::as_tuple(asio::use_awaitable));
      if (write_error) co_return false;
      sent += piece.size();
    }
    co_return true;
  }

  // A response held whole in memory: its head (response_head.hpp, into the connection's reused
  // buffer) and its body in one gather write. False when the write failed.
  asio::awaitable<bool> WriteResponse(Connection& connection, HttpResponse& response, unsigned version, bool keep_alive,
                                      bool head_request) {
    std::string& head = connection.response_head;
    head.clear();
    RenderResponseHead({response.status, version, keep_alive, response.body.size()}, response.headers,
                       CurrentHttpDate(), head);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                              head_request ? asio::const_buffer() : asio::buffer(response.body)};
    auto [write_error, written] =
        co_await asio::async_write(connection.stream, buffers, asio::as_tuple(asio::use_awaitable));
    co_return !write_error;
  }

  // Writes a rejection; the caller then closes the connection (the rest of the request is not read).
  asio::awaitable<void> WriteAndDrain(Connection& connection, HttpResponse& rejection) {
    connection.stream.expires_after(std::chrono::seconds(30));
    co_await WriteResponse(connection, rejection, 11, false, false);
    co_await DrainAndClose(connection);
  }

  // Closing with unread request bytes would reset the connection before the client reads the
  // response, so this stops sending and drains what the client still sends (bounded in time).
  asio::awaitable<void> DrainAndClose(Connection& connection) {
    boost::system::error_code ignored;
    connection.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection.stream.expires_after(std::chrono::seconds(5));
    std::array<char, 16384> sink;
    for (;;) {
      auto [drain_error, drained] =
          co_await connection.stream.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
      if (drain_error) break;
    }
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

std::size_t HttpServer::OpenConnections() const {
  std::lock_guard lock(impl_->connections_mutex);
  return impl_->connections.size();
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

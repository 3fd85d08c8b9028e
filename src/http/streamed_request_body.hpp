#pragma once
// The server's side of a connection and of a streamed request body (BodyReading::kStreamed). Only
// http_server.cpp includes it (it pulls in Beast); a header of its own to keep that file readable.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/http_types.hpp"

namespace mallard::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Connection {
  beast::tcp_stream stream;
  // Bytes read past the current request's header: its body, then pipelined requests. Shared by the
  // connection's coroutine and a streamed body's reads (never at the same time).
  beast::flat_buffer buffer;
  std::atomic<bool> busy{false};  // between reading a request and writing its response
  std::string response_head;      // reused for every response's head: no allocation per response
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kStreamedPieceSize = 256 * 1024;
constexpr const char* kConnectionEnded = "the connection has ended before the body was read";
constexpr const char* kAnswered = "the request was answered before its body was read";

// True when the client waits for "100 Continue" before sending a body that is still to come.
template <typename Body>
bool WantsContinue(const bhttp::request_parser<Body>& parser) {
  const auto& header = parser.get();
  if (header.version() < 11 || parser.is_done()) return false;
  auto expect = header.find(bhttp::field::expect);
  return expect != header.end() && beast::iequals(expect->value(), "100-continue");
}

// A `done` that runs exactly once: when a read's completion is destroyed without being invoked (the
// server stopped with the read pending), the handler still hears that it failed.
class PendingRead {
 public:
  explicit PendingRead(BodyReadDone done) : done_(std::move(done)) {}
  PendingRead(PendingRead&& other) noexcept : done_(std::exchange(other.done_, nullptr)) {}
  PendingRead& operator=(PendingRead&&) = delete;
  ~PendingRead() {
    if (done_) Complete({}, "the server stopped before the body was read");
  }
  void Complete(std::string bytes, std::string error) {
    auto done = std::exchange(done_, nullptr);
    if (done) done(std::move(bytes), std::move(error));
  }

 private:
  BodyReadDone done_;
};

// BodyReading::kStreamed: reads the socket only inside Read, one piece of at most
// kStreamedPieceSize at a time, on the connection's strand. It may outlive the connection: its
// Reads then complete with an error.
class StreamedRequestBody final : public RequestBodyStream, public std::enable_shared_from_this<StreamedRequestBody> {
 public:
  StreamedRequestBody(std::shared_ptr<Connection> connection, bhttp::request_parser<bhttp::empty_body>&& header_parser,
                      std::uint64_t limit, unsigned idle_timeout_seconds)
      : send_continue_(WantsContinue(header_parser)),
        declared_length_(header_parser.content_length()),
        limit_(limit),
        idle_timeout_(idle_timeout_seconds),
        executor_(connection->stream.get_executor()),
        parser_(std::move(header_parser)),
        connection_(std::move(connection)) {
    parser_.body_limit(limit);
  }

  std::optional<std::uint64_t> DeclaredLength() const override {
    if (!declared_length_) return std::nullopt;
    return *declared_length_;
  }

  void Read(BodyReadDone done) override {
    std::shared_ptr<Connection> connection;
    bool complete = false;
    {
      std::lock_guard lock(mutex_);
      connection = connection_;
      complete = complete_at_end_;
    }
    if (!connection) {
      done({}, complete ? std::string() : std::string(kConnectionEnded));
      return;
    }
    asio::post(connection->stream.get_executor(),
               [self = shared_from_this(), connection, pending = PendingRead(std::move(done))]() mutable {
                 self->ReadOnStrand(std::move(connection), std::move(pending));
               });
  }

  // The rest runs on the connection's strand.

  // Read to its end without a failure: the connection can carry a next request.
  bool Complete() const { return parser_.is_done() && failure_.empty() && !reading_; }
  bool WritingContinue() const { return writing_continue_; }
  // The handler has answered: Reads that start from now on fail (one in flight goes on).
  void Answered() { responding_ = true; }
  bool SocketBusy() const { return writing_continue_ || socket_reading_; }

  // Resumes the caller once no 100 Continue is being written (writes_only) or once no socket
  // operation of this body is outstanding.
  template <typename Token>
  auto AsyncWaitIdle(bool writes_only, Token&& token) {
    return asio::async_initiate<Token, void()>(
        [this, writes_only](auto completion) {
          auto shared_completion = std::make_shared<decltype(completion)>(std::move(completion));
          waiter_writes_only_ = writes_only;
          waiter_ = [shared_completion] { (*shared_completion)(); };
          NotifyWaiter();
        },
        token);
  }

  // The response is written (or the connection is ending): later Reads fail, unless the body was
  // read to its end. `cancel_reads` aborts a read in flight, which completes with an error.
  void Detach(bool cancel_reads) {
    {
      std::lock_guard lock(mutex_);
      if (!connection_) return;
      if (cancel_reads && socket_reading_) {
        boost::system::error_code ignored;
        connection_->stream.socket().cancel(ignored);
      }
      connection_.reset();
      complete_at_end_ = Complete();
    }
    ended_ = true;
  }

 private:
  void ReadOnStrand(std::shared_ptr<Connection> connection, PendingRead pending) {
    if (ended_) return pending.Complete({}, Complete() ? std::string() : std::string(kConnectionEnded));
    // A 100 Continue must not cut into the response, and the connection closes after it anyway.
    if (responding_) return pending.Complete({}, Complete() ? std::string() : std::string(kAnswered));
    if (reading_) return pending.Complete({}, "a Read of this body is already outstanding");
    if (!failure_.empty()) return pending.Complete({}, failure_);
    if (parser_.is_done()) return pending.Complete({}, {});
    if (declared_length_ && *declared_length_ > limit_) {
      failure_ = "the body's Content-Length " + std::to_string(*declared_length_) + " exceeds the limit of " +
                 std::to_string(limit_) + " bytes";
      return pending.Complete({}, failure_);
    }
    reading_ = true;
    if (!send_continue_) return ReadSome(std::move(connection), std::move(pending));
    // The client waits for this before it sends the body (RFC 9110 10.1.1).
    send_continue_ = false;
    writing_continue_ = true;
    connection->stream.expires_after(std::chrono::seconds(idle_timeout_));
    asio::async_write(connection->stream, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this(), connection, pending = std::move(pending)](
                          boost::system::error_code error, std::size_t) mutable {
                        self->writing_continue_ = false;
                        self->NotifyWaiter();
                        if (self->ended_ || error) {
                          self->reading_ = false;
                          if (!self->ended_) self->failure_ = "writing 100 Continue failed: " + error.message();
                          return pending.Complete({}, self->ended_ ? kConnectionEnded : self->failure_);
                        }
                        self->ReadSome(std::move(connection), std::move(pending));
                      });
  }

  void ReadSome(std::shared_ptr<Connection> connection, PendingRead pending) {
    // One uninitialised buffer for every read of this body: a std::string piece would be zero-filled
    // (256 KiB written) before each read, which may bring far fewer bytes.
    if (!piece_) piece_ = std::make_unique_for_overwrite<char[]>(kStreamedPieceSize);
    auto& body = parser_.get().body();
    body.data = piece_.get();
    body.size = kStreamedPieceSize;
    body.more = true;
    // Beast reads as much as the buffer's free capacity: without room, a body comes in 512-byte reads.
    connection->buffer.reserve(kStreamedPieceSize);
    socket_reading_ = true;
    connection->stream.expires_after(std::chrono::seconds(idle_timeout_));
    bhttp::async_read_some(connection->stream, connection->buffer, parser_,
                           [self = shared_from_this(), connection, pending = std::move(pending)](
                               boost::system::error_code error, std::size_t) mutable {
                             self->OnRead(error, std::move(connection), std::move(pending));
                           });
  }

  void OnRead(boost::system::error_code error, std::shared_ptr<Connection> connection, PendingRead pending) {
    socket_reading_ = false;
    NotifyWaiter();
    if (ended_) {
      reading_ = false;
      return pending.Complete({}, kConnectionEnded);
    }
    if (error == bhttp::error::need_buffer) error = {};  // the piece is full
    if (error) {
      reading_ = false;
      failure_ = Describe(error);
      return pending.Complete({}, failure_);
    }
    std::size_t produced = kStreamedPieceSize - parser_.get().body().size;
    // A read may carry only chunk framing: read on until there are body bytes or the body ends.
    if (produced == 0 && !parser_.is_done()) return ReadSome(std::move(connection), std::move(pending));
    reading_ = false;
    pending.Complete(std::string(piece_.get(), produced), {});
  }

  std::string Describe(const boost::system::error_code& error) const {
    if (error == bhttp::error::body_limit) return "the body exceeds the limit of " + std::to_string(limit_) + " bytes";
    if (error == bhttp::error::end_of_stream || error == bhttp::error::partial_message || error == asio::error::eof ||
        error == asio::error::connection_reset) {
      return "the client closed the connection before the end of the body";
    }
    if (error == beast::error::timeout) {
      return "the client sent no body bytes for " + std::to_string(idle_timeout_) + " seconds";
    }
    return "reading the body failed: " + error.message();
  }

  void NotifyWaiter() {
    if (!waiter_ || writing_continue_ || (!waiter_writes_only_ && socket_reading_)) return;
    // Resumes the connection's coroutine on its strand, outside this completion.
    asio::post(executor_, std::exchange(waiter_, nullptr));
  }

  // Strand-only state.
  bool send_continue_;
  bool reading_ = false;           // a Read is in progress (from its start to its `done`)
  bool writing_continue_ = false;  // the 100 Continue is being written
  bool socket_reading_ = false;    // a socket read of the body is in flight
  bool ended_ = false;
  bool responding_ = false;
  bool waiter_writes_only_ = false;
  std::function<void()> waiter_;
  std::string failure_;  // once set, every later Read fails with it
  boost::optional<std::uint64_t> declared_length_;
  std::uint64_t limit_;
  unsigned idle_timeout_;
  asio::any_io_executor executor_;  // the connection's strand
  std::unique_ptr<char[]> piece_;  // kStreamedPieceSize bytes once the first read starts
  bhttp::request_parser<bhttp::buffer_body> parser_;

  // Shared with Read, which any thread may call.
  std::mutex mutex_;
  std::shared_ptr<Connection> connection_;  // null once the response is written or the connection ended
  bool complete_at_end_ = false;
};

// Ends a streamed body however the connection's coroutine leaves a request (including its
// destruction when the server stops with the request in flight).
struct DetachOnExit {
  std::shared_ptr<StreamedRequestBody> body;
  ~DetachOnExit() {
    if (body) body->Detach(false);
  }
};

}  // namespace mallard::http::detail

// OutboundHttpClient: every request is one Exchange on its own strand — resolve, connect, (TLS
// handshake), write, read — chained by completion handlers (no coroutines: they cost ~20 s of
// compile time per translation unit). A steady timer bounds the whole exchange including the
// resolve; the tcp_stream's own expiry bounds connect, handshake, write and read by the same
// deadline. Whatever ends the exchange first (reply, error, deadline, shutdown) completes it, once.
#include "http/outbound_http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "common/encoding.hpp"

namespace mallard::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

using DoneCallback = std::function<void(Result<OutboundResponse, std::string>)>;
using Clock = std::chrono::steady_clock;
constexpr char kShuttingDown[] = "the HTTP client is shutting down";

// Where a request goes, from its URL.
struct Target {
  bool tls = false;
  std::string host;  // a DNS name, or an address without brackets
  bool host_is_address = false;
  std::string port;
  std::string host_header;     // "example.com", "example.com:8080", "[::1]:8080"
  std::string path_and_query;  // "/", "/hook?x=1"
  std::string authorization;   // "Basic …" when the URL carries user:password
  std::string Where() const { return (host_is_address && host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port; }
};

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) { return a.size() == b.size() && Lowercase(a) == Lowercase(b); }

// RFC 9110's token: header names and methods.
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (unsigned char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// A header value may not break the message's framing.
bool IsFieldValue(std::string_view text) {
  for (unsigned char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// Messages never repeat the URL: it may carry a password or a confirmation token.
Result<Target, std::string> ParseTarget(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return Fail("invalid URL: " + parsed.error().message());
  boost::urls::url_view view = *parsed;
  Target target;
  std::string scheme = Lowercase(view.scheme());
  if (scheme == "http") {
    target.port = "80";
  } else if (scheme == "https") {
    target.tls = true;
    target.port = "443";
  } else {
    return Fail("invalid URL: unsupported scheme '" + std::string(Utf8Prefix(scheme, 32)) + "' (http or https)");
  }
  if (!view.has_authority() || view.encoded_host().empty()) return Fail(std::string("invalid URL: no host"));
  switch (view.host_type()) {
    case boost::urls::host_type::name:
      target.host = view.host_name();
      if (target.host.empty()) return Fail(std::string("invalid URL: no host"));
      target.host_header = target.host;
      break;
    case boost::urls::host_type::ipv4:
      target.host = view.host_address();
      target.host_is_address = true;
      target.host_header = target.host;
      break;
    case boost::urls::host_type::ipv6:
      target.host = view.host_address();
      target.host_is_address = true;
      target.host_header = "[" + target.host + "]";
      break;
    default:
      return Fail(std::string("invalid URL: unsupported host form"));
  }
  if (view.has_port() && !view.port().empty()) {
    std::string_view port = view.port();
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Fail("invalid URL: bad port '" + std::string(Utf8Prefix(port, 16)) + "'");
    }
    target.port = std::to_string(value);
    target.host_header += ":" + target.port;
  }
  target.path_and_query = view.encoded_path().empty() ? "/" : std::string(view.encoded_path());
  if (target.path_and_query.front() != '/') return Fail(std::string("invalid URL: path does not start with '/'"));
  if (view.has_query()) target.path_and_query += "?" + std::string(view.encoded_query());
  if (view.has_userinfo()) {
    target.authorization = "Basic " + Base64Encode(std::string(view.user()) + ":" + std::string(view.password()));
  }
  return target;
}

Result<bhttp::request<bhttp::string_body>, std::string> BuildRequest(const Target& target, OutboundRequest& request) {
  if (!IsToken(request.method)) return Fail(std::string("invalid HTTP method"));
  bhttp::request<bhttp::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(target.path_and_query);
  bool has_host = false;
  bool has_authorization = false;
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) return Fail("invalid header name '" + std::string(Utf8Prefix(name, 64)) + "'");
    if (!IsFieldValue(value)) return Fail("invalid value for header '" + name + "' (CR, LF or NUL)");
    // The client owns the message's framing and the connection.
    if (EqualsIgnoreCase(name, "content-length") || EqualsIgnoreCase(name, "transfer-encoding") ||
        EqualsIgnoreCase(name, "connection")) {
      continue;
    }
    has_host = has_host || EqualsIgnoreCase(name, "host");
    has_authorization = has_authorization || EqualsIgnoreCase(name, "authorization");
    message.insert(name, value);
  }
  if (!has_host) message.set(bhttp::field::host, target.host_header);
  if (!has_authorization && !target.authorization.empty()) message.set(bhttp::field::authorization, target.authorization);
  message.set(bhttp::field::connection, "close");
  message.body() = std::move(request.body);
  // Content-Length from the body (Beast leaves it out only for a body-less GET, HEAD and the like).
  message.prepare_payload();
  return message;
}

class Exchange;

// What the client's threads share: the I/O context, the TLS context and the live exchanges.
struct Core {
  OutboundHttpClientOptions options;
  // Before io: anything io's destructor releases may still use the TLS context.
  ssl::context tls{ssl::context::tls_client};
  std::once_flag tls_configured;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::mutex mutex;
  bool stopping = false;
  std::unordered_map<const Exchange*, std::shared_ptr<Exchange>> live;

  // The TLS context, configured on the first HTTPS exchange: loading the system's trusted
  // certificates (set_default_verify_paths parses the whole CA bundle) was a tenth of the server's
  // start-up, and most servers never deliver to an HTTPS endpoint.
  ssl::context& Tls() {
    std::call_once(tls_configured, [this] {
      beast::error_code error;
      tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
      if (options.verify_certificates) {
        tls.set_default_verify_paths(error);
        if (error) spdlog::warn("outbound HTTP: cannot load the system's trusted certificates: {}", error.message());
        tls.set_verify_mode(ssl::verify_peer);
      } else {
        tls.set_verify_mode(ssl::verify_none);
      }
    });
    return tls;
  }

  void Forget(const Exchange* exchange) {
    std::lock_guard lock(mutex);
    live.erase(exchange);
  }
};

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(Core& core, Target target, bhttp::request<bhttp::string_body> request, std::chrono::milliseconds timeout,
           DoneCallback done)
      : core_(core),
        strand_(asio::make_strand(core.io)),
        target_(std::move(target)),
        request_(std::move(request)),
        timeout_(timeout),
        deadline_(Clock::now() + timeout),
        done_(std::move(done)),
        resolver_(strand_),
        deadline_timer_(strand_) {}

  const asio::strand<asio::io_context::executor_type>& strand() const { return strand_; }

  void Start() {
    deadline_timer_.expires_at(deadline_);
    deadline_timer_.async_wait([self = shared_from_this()](beast::error_code error) {
      if (error == asio::error::operation_aborted || self->finished_) return;
      self->Finish(Fail(self->TimeoutMessage()));
    });
    stage_ = "resolving " + target_.host;
    resolver_.async_resolve(target_.host, target_.port, beast::bind_front_handler(&Exchange::OnResolve, shared_from_this()));
  }

  // Ends the exchange with `why` unless it has ended; on the strand, or with the threads stopped.
  void Abort(const std::string& why) { Finish(Fail(why)); }

 private:
  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  template <typename Operation>
  void WithStream(Operation&& operation) {
    if (tls_) {
      operation(*tls_);
    } else {
      operation(*plain_);
    }
  }

  void OnResolve(beast::error_code error, tcp::resolver::results_type endpoints) {
    if (finished_) return;
    if (error) return FinishWithError("cannot resolve " + target_.host, error);
    if (target_.tls) {
      tls_.emplace(strand_, core_.Tls());
    } else {
      plain_.emplace(strand_);
    }
    Lowest().expires_at(deadline_);
    stage_ = "connecting to " + target_.Where();
    Lowest().async_connect(endpoints, beast::bind_front_handler(&Exchange::OnConnect, shared_from_this()));
  }

  void OnConnect(beast::error_code error, const tcp::endpoint&) {
    if (finished_) return;
    if (error) return FinishWithError("cannot connect to " + target_.Where(), error);
    if (!tls_) return Write();
    SSL* ssl = tls_->native_handle();
    // SNI carries names only (RFC 6066 3), never addresses.
    if (!target_.host_is_address && SSL_set_tlsext_host_name(ssl, target_.host.c_str()) != 1) {
      return Finish(Fail("cannot set TLS server name " + target_.host));
    }
    if (core_.options.verify_certificates) {
      int checked = target_.host_is_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), target_.host.c_str())
                                            : SSL_set1_host(ssl, target_.host.c_str());
      if (checked != 1) return Finish(Fail("cannot check the TLS certificate against " + target_.host));
    }
    stage_ = "in the TLS handshake with " + target_.Where();
    tls_->async_handshake(ssl::stream_base::client,
                          beast::bind_front_handler(&Exchange::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code error) {
    if (finished_) return;
    if (error) return FinishWithError("TLS handshake with " + target_.Where() + " failed", error);
    Write();
  }

  void Write() {
    stage_ = "sending the request to " + target_.Where();
    WithStream([this](auto& stream) {
      bhttp::async_write(stream, request_, beast::bind_front_handler(&Exchange::OnWrite, shared_from_this()));
    });
  }

  void OnWrite(beast::error_code error, std::size_t) {
    if (finished_) return;
    if (error) return FinishWithError("sending the request to " + target_.Where() + " failed", error);
    stage_ = "waiting for the response from " + target_.Where();
    parser_.emplace();
    parser_->body_limit(core_.options.max_response_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.max_response_header_bytes));
    if (request_.method() == bhttp::verb::head) parser_->skip(true);
    WithStream([this](auto& stream) {
      bhttp::async_read(stream, buffer_, *parser_, beast::bind_front_handler(&Exchange::OnRead, shared_from_this()));
    });
  }

  void OnRead(beast::error_code error, std::size_t) {
    if (finished_) return;
    if (error == ssl::error::stream_truncated && parser_->is_header_done() && parser_->need_eof()) {
      // A TLS server that ends a close-delimited body without close_notify: the body is complete.
      beast::error_code eof_error;
      parser_->put_eof(eof_error);
      error = eof_error;
    }
    if (error == bhttp::error::body_limit) {
      return Finish(Fail("the response body exceeds " + std::to_string(core_.options.max_response_body_bytes) + " bytes"));
    }
    if (error == bhttp::error::header_limit) {
      return Finish(
          Fail("the response headers exceed " + std::to_string(core_.options.max_response_header_bytes) + " bytes"));
    }
    if (error == bhttp::error::end_of_stream) {
      return Finish(Fail(target_.Where() + " closed the connection without a response"));
    }
    if (error) return FinishWithError("reading the response from " + target_.Where() + " failed", error);
    auto& message = parser_->get();
    OutboundResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    Finish(std::move(response));
  }

  // "timed out after 300 ms waiting for the response from 127.0.0.1:8080".
  std::string TimeoutMessage() const { return "timed out after " + std::to_string(timeout_.count()) + " ms " + stage_; }

  void FinishWithError(const std::string& what, const beast::error_code& error) {
    Finish(Fail(error == beast::error::timeout ? TimeoutMessage() : what + ": " + Describe(error)));
  }

  std::string Describe(const beast::error_code& error) const {
    std::string text = error.message();
    if (error.category() == asio::error::get_ssl_category()) {
      // OpenSSL's reason ("certificate verify failed", "wrong version number").
      const char* reason = ERR_reason_error_string(static_cast<unsigned long>(error.value()));
      if (reason != nullptr && text.find(reason) == std::string::npos) text += " (" + std::string(reason) + ")";
    }
    return text;
  }

  void Finish(Result<OutboundResponse, std::string> outcome) {
    if (finished_) return;
    finished_ = true;
    beast::error_code ignored;
    deadline_timer_.cancel();
    resolver_.cancel();
    // Closing the socket ends any operation still pending; its handler sees finished_.
    if (tls_ || plain_) Lowest().close();
    DoneCallback done = std::move(done_);
    auto keep_alive = shared_from_this();
    core_.Forget(this);
    try {
      done(std::move(outcome));
    } catch (const std::exception& exception) {
      spdlog::error("outbound HTTP: a completion handler threw: {}", exception.what());
    } catch (...) {
      spdlog::error("outbound HTTP: a completion handler threw");
    }
  }

  Core& core_;
  asio::strand<asio::io_context::executor_type> strand_;
  Target target_;
  bhttp::request<bhttp::string_body> request_;
  std::chrono::milliseconds timeout_;
  Clock::time_point deadline_;
  DoneCallback done_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_timer_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  std::string stage_;  // what the exchange is doing, for a timeout's message
  bool finished_ = false;
};

}  // namespace

struct OutboundHttpClient::State : Core {};

OutboundHttpClient::OutboundHttpClient(unsigned threads, OutboundHttpClientOptions options)
    : state_(std::make_shared<State>()) {
  state_->options = options;
  state_->work.emplace(state_->io.get_executor());
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) {
    state_->threads.emplace_back([state = state_.get()] {
      for (;;) {
        try {
          state->io.run();
          return;
        } catch (const std::exception& exception) {
          spdlog::error("outbound HTTP: unexpected exception on the I/O thread: {}", exception.what());
        }
      }
    });
  }
}

OutboundHttpClient::~OutboundHttpClient() {
  std::vector<std::shared_ptr<Exchange>> live;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    for (auto& [key, exchange] : state_->live) live.push_back(exchange);
  }
  for (auto& exchange : live) {
    asio::post(exchange->strand(), [exchange] { exchange->Abort(kShuttingDown); });
  }
  live.clear();
  state_->work.reset();
  for (auto& thread : state_->threads) thread.join();
  // Every exchange was aborted above, so none should remain; if one does, the threads are gone and
  // it can be completed from here.
  std::unordered_map<const Exchange*, std::shared_ptr<Exchange>> leftover;
  {
    std::lock_guard lock(state_->mutex);
    leftover.swap(state_->live);
  }
  for (auto& [key, exchange] : leftover) exchange->Abort(kShuttingDown);
}

void OutboundHttpClient::Send(OutboundRequest request, DoneCallback done) {
  std::string refusal;
  std::shared_ptr<Exchange> exchange;
  auto target = ParseTarget(request.url);
  if (!target.ok()) {
    refusal = target.error();
  } else {
    auto message = BuildRequest(*target, request);
    if (!message.ok()) {
      refusal = message.error();
    } else {
      exchange = std::make_shared<Exchange>(*state_, std::move(target).value(), std::move(message).value(),
                                            request.timeout, std::move(done));
    }
  }
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->stopping) {
      // Posted under the lock, before the destructor can release the work guard: it runs.
      if (!exchange) {
        asio::post(state_->io, [done = std::move(done), refusal = std::move(refusal)] { done(Fail(refusal)); });
        return;
      }
      state_->live.emplace(exchange.get(), exchange);
      asio::post(exchange->strand(), [exchange] { exchange->Start(); });
      return;
    }
  }
  // Only when Send races with destruction, which the contract forbids; it still completes once.
  if (exchange) {
    exchange->Abort(kShuttingDown);
  } else {
    done(Fail(std::string(kShuttingDown)));
  }
}

}  // namespace mallard::http

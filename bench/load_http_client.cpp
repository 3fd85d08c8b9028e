#include "load_http_client.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <system_error>

namespace bench_load {

namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool IContains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (IEquals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void HttpClient::Close() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  connected_ = false;
}

asio::awaitable<bool> HttpClient::Connect(std::string& error) {
  Close();
  begin_ = end_ = 0;
  used_ = false;
  if (ever_connected_) ++reconnects;
  ever_connected_ = true;
  boost::system::error_code ec;
  co_await asio::async_connect(socket_, endpoints_, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    error = "connect: " + ec.message();
    co_return false;
  }
  socket_.set_option(tcp::no_delay(true), ec);
  connected_ = true;
  co_return true;
}

asio::awaitable<bool> HttpClient::RoundTrip(const std::string& request, HttpResponse& response, std::string& error,
                                            Clock::duration timeout) {
  co_return co_await RoundTrip(std::string_view(request), std::string_view(), response, error, timeout);
}

asio::awaitable<bool> HttpClient::RoundTrip(std::string_view head, std::string_view body, HttpResponse& response,
                                            std::string& error, Clock::duration timeout) {
  timed_out = false;
  deadline = Clock::now() + timeout;
  bool ok = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!connected_) {
      if (!co_await Connect(error)) break;
    }
    bool reused = used_;
    boost::system::error_code ec;
    const std::array<asio::const_buffer, 2> pieces{asio::buffer(head), asio::buffer(body)};
    co_await asio::async_write(socket_, pieces, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "write: " + ec.message();
      Close();
      if (reused && attempt == 0 && !timed_out) continue;
      break;
    }
    bool got_bytes = false;
    if (!co_await ReadResponse(response, error, got_bytes)) {
      Close();
      if (reused && !got_bytes && attempt == 0 && !timed_out) continue;
      break;
    }
    used_ = true;
    if (!response.keep_alive) Close();
    ok = true;
    break;
  }
  if (!ok && timed_out) error = "timeout after " + Fixed(std::chrono::duration<double>(timeout).count(), 1) + " s";
  deadline = Clock::time_point::max();
  co_return ok;
}

asio::awaitable<bool> HttpClient::Fill(std::string& error) {
  if (end_ == buf_.size()) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buf_.resize(buf_.size() * 2);
    }
  }
  boost::system::error_code ec;
  std::size_t n = co_await socket_.async_read_some(asio::buffer(buf_.data() + end_, buf_.size() - end_),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    error = ec == asio::error::eof ? std::string("connection closed by peer") : "read: " + ec.message();
    co_return false;
  }
  end_ += n;
  co_return true;
}

asio::awaitable<std::optional<std::size_t>> HttpClient::FindInBuffer(std::string_view needle, std::string& error,
                                                                     bool& got_bytes, std::size_t limit) {
  std::size_t searched = 0;
  for (;;) {
    auto view = Buffered();
    auto pos = view.find(needle, searched);
    if (pos != std::string_view::npos) co_return pos;
    if (view.size() > limit) {
      error = "response line/header too large";
      co_return std::nullopt;
    }
    searched = view.size() >= needle.size() ? view.size() - needle.size() + 1 : 0;
    // Compacting moves begin_ to 0 but offsets are relative to begin_, so `searched` stays valid.
    if (!co_await Fill(error)) co_return std::nullopt;
    got_bytes = true;
  }
}

asio::awaitable<bool> HttpClient::ReadResponse(HttpResponse& response, std::string& error, bool& got_bytes) {
  response.body.clear();
  response.status = 0;
  response.keep_alive = true;
  if (begin_ == end_) begin_ = end_ = 0;
  if (begin_ != end_) got_bytes = true;
  for (;;) {  // loops only over 1xx interim responses
    auto header_end = co_await FindInBuffer("\r\n\r\n", error, got_bytes, 64 * 1024);
    if (!header_end) co_return false;
    std::string_view head = Buffered().substr(0, *header_end);
    // Status line: HTTP/1.x SSS reason
    auto line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      error = "malformed status line: " + Truncate(status_line, 80);
      co_return false;
    }
    bool http11 = status_line.substr(5, 3) == "1.1";
    int status = 0;
    auto sp = status_line.find(' ');
    if (sp == std::string_view::npos ||
        std::from_chars(status_line.data() + sp + 1, status_line.data() + status_line.size(), status).ec != std::errc()) {
      error = "malformed status line: " + Truncate(status_line, 80);
      co_return false;
    }
    bool chunked = false;
    bool has_length = false;
    std::size_t content_length = 0;
    bool close = !http11;
    std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      auto eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = Trim(line.substr(0, colon));
      std::string_view value = Trim(line.substr(colon + 1));
      if (IEquals(name, "content-length")) {
        if (std::from_chars(value.data(), value.data() + value.size(), content_length).ec != std::errc()) {
          error = "bad Content-Length: " + std::string(value);
          co_return false;
        }
        has_length = true;
      } else if (IEquals(name, "transfer-encoding")) {
        chunked = IContains(value, "chunked");
      } else if (IEquals(name, "connection")) {
        if (IContains(value, "close")) close = true;
        else if (IContains(value, "keep-alive")) close = false;
      }
    }
    begin_ += *header_end + 4;
    if (status >= 100 && status < 200) continue;  // interim response; the real one follows
    response.status = status;
    response.keep_alive = !close;

    if (status == 204 || status == 304) co_return true;
    if (chunked) co_return co_await ReadChunked(response, error, got_bytes);
    if (has_length) {
      while (end_ - begin_ < content_length) {
        if (!co_await Fill(error)) co_return false;
      }
      response.body.assign(buf_.data() + begin_, content_length);
      begin_ += content_length;
      co_return true;
    }
    // No framing: the body runs until the server closes the connection.
    for (;;) {
      response.body.append(buf_.data() + begin_, end_ - begin_);
      begin_ = end_ = 0;
      std::string ignored;
      if (!co_await Fill(ignored)) break;
    }
    response.keep_alive = false;
    co_return true;
  }
}

asio::awaitable<bool> HttpClient::ReadChunked(HttpResponse& response, std::string& error, bool& got_bytes) {
  for (;;) {
    auto eol = co_await FindInBuffer("\r\n", error, got_bytes, 4096);
    if (!eol) co_return false;
    std::string_view line = Buffered().substr(0, *eol);
    if (auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
    line = Trim(line);
    std::size_t size = 0;
    if (line.empty() || std::from_chars(line.data(), line.data() + line.size(), size, 16).ec != std::errc()) {
      error = "bad chunk size line: " + Truncate(line, 40);
      co_return false;
    }
    begin_ += *eol + 2;
    if (size == 0) {
      // Trailer section ends with an empty line.
      for (;;) {
        auto trailer_end = co_await FindInBuffer("\r\n", error, got_bytes, 64 * 1024);
        if (!trailer_end) co_return false;
        begin_ += *trailer_end + 2;
        if (*trailer_end == 0) co_return true;
      }
    }
    while (end_ - begin_ < size + 2) {
      if (!co_await Fill(error)) co_return false;
    }
    response.body.append(buf_.data() + begin_, size);
    begin_ += size + 2;
  }
}

std::optional<Endpoint> ParseEndpoint(std::string url, std::string& error) {
  if (url.rfind("https://", 0) == 0) {
    error = "https endpoints are not supported; use http://";
    return std::nullopt;
  }
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  if (auto slash = url.find('/'); slash != std::string::npos) url = url.substr(0, slash);
  if (url.empty()) {
    error = "empty endpoint host";
    return std::nullopt;
  }
  Endpoint e;
  e.host_header = url;
  if (url.front() == '[') {  // [v6]:port
    auto close = url.find(']');
    if (close == std::string::npos) {
      error = "bad endpoint " + url;
      return std::nullopt;
    }
    e.host = url.substr(1, close - 1);
    e.port = close + 1 < url.size() && url[close + 1] == ':' ? url.substr(close + 2) : "80";
  } else if (auto colon = url.rfind(':'); colon != std::string::npos) {
    e.host = url.substr(0, colon);
    e.port = url.substr(colon + 1);
  } else {
    e.host = url;
    e.port = "80";
  }
  return e;
}

std::vector<tcp::endpoint> Resolve(const Endpoint& endpoint, std::string& error) {
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto resolved = resolver.resolve(endpoint.host, endpoint.port, ec);
  std::vector<tcp::endpoint> out;
  if (ec) {
    error = "cannot resolve " + endpoint.host + ":" + endpoint.port + ": " + ec.message();
    return out;
  }
  for (auto& entry : resolved) out.push_back(entry.endpoint());
  if (out.empty()) error = "no address for " + endpoint.host;
  return out;
}

asio::awaitable<void> Watchdog(std::vector<std::unique_ptr<HttpClient>>& clients, const int& active) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (active > 0) {
    timer.expires_after(std::chrono::milliseconds(100));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto now = Clock::now();
    for (auto& c : clients) {
      if (c->deadline < now) {
        c->timed_out = true;
        c->deadline = Clock::time_point::max();
        c->Close();
      }
    }
  }
}

bool SingleCall(const std::vector<tcp::endpoint>& endpoints, const std::string& request, HttpResponse& response,
                std::string& error, Clock::duration timeout) {
  asio::io_context io;
  HttpClient client(io.get_executor(), endpoints);
  bool ok = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer guard(co_await asio::this_coro::executor);
        guard.expires_after(timeout);
        guard.async_wait([&](boost::system::error_code ec) {
          if (!ec) {
            client.timed_out = true;
            client.Close();
          }
        });
        ok = co_await client.RoundTrip(request, response, error, timeout);
        guard.cancel();
      },
      asio::detached);
  io.run();
  return ok;
}

}  // namespace bench_load

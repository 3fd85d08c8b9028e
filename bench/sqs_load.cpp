// sqs_load — SQS throughput/latency load generator for any SQS-compatible endpoint
// (Mallard, moto_server, ElasticMQ, LocalStack, ...).
//
// Standalone on purpose: standalone Asio (Boost.Asio headers) + Boost.JSON + a hand-written
// HTTP/1.1 client (keep-alive, Content-Length and chunked bodies). It does not link any Mallard
// library, so it builds even while src/ does not.
//
// See bench/README.md for the meaning of every figure.

#include <boost/asio.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace asio = boost::asio;
namespace json = boost::json;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

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

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    auto semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back(s[i]);
      continue;
    }
    std::string_view entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp") out.push_back('&');
    else if (entity == "lt") out.push_back('<');
    else if (entity == "gt") out.push_back('>');
    else if (entity == "quot") out.push_back('"');
    else if (entity == "apos") out.push_back('\'');
    else if (!entity.empty() && entity[0] == '#') {
      unsigned long code = 0;
      if (entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')) code = std::strtoul(std::string(entity.substr(2)).c_str(), nullptr, 16);
      else code = std::strtoul(std::string(entity.substr(1)).c_str(), nullptr, 10);
      // Encode as UTF-8.
      if (code < 0x80) {
        out.push_back(static_cast<char>(code));
      } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

// Text between the first <tag> and the following </tag>, if any.
std::optional<std::string_view> XmlElement(std::string_view xml, std::string_view tag, std::size_t from = 0) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto start = xml.find(open, from);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  auto end = xml.find(close, start);
  if (end == std::string_view::npos) return std::nullopt;
  return xml.substr(start, end - start);
}

std::size_t CountOccurrences(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

std::string Truncate(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...(" + std::to_string(s.size()) + " bytes)";
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string JsonQuote(std::string_view s) { return json::serialize(json::string(s)); }

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

enum class Protocol { Json, Query };

struct Options {
  std::string endpoint = "http://127.0.0.1:4566";
  int connections = 32;
  double duration = 10.0;
  double warmup = 1.0;
  std::string scenario = "all";
  std::size_t message_size = 256;
  int threads = 2;
  std::string queue_name;
  Protocol protocol = Protocol::Json;
  double rate = 0.0;  // 0: closed loop
  std::string region = "us-east-1";
  std::string access_key = "AKID";
  std::uint64_t preload = 0;  // 0: automatic
  std::uint64_t preload_max = 1000000;
  int wait_time = 0;
  double timeout = 30.0;
  bool keep_queue = false;
  std::string label;
  bool json_stdout = false;
  std::string json_out;
  std::vector<std::string> compare_files;
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: sqs_load [options]\n"
               "       sqs_load --compare RESULT.json [RESULT.json ...]\n"
               "\n"
               "Load generator for SQS-compatible endpoints (awsJson1.0 or awsQuery protocol).\n"
               "\n"
               "  --endpoint URL         http://host:port of the endpoint (default http://127.0.0.1:4566)\n"
               "  --connections N        concurrent keep-alive connections (default 32)\n"
               "  --duration S           measured seconds per scenario (default 10)\n"
               "  --warmup S             unmeasured seconds before each scenario (default 1)\n"
               "  --scenario NAME        send | receive-delete | all (default all)\n"
               "  --message-size BYTES   message body size (default 256)\n"
               "  --threads N            load generator threads (default 2)\n"
               "  --queue-name NAME      queue name prefix; scenarios use NAME-send and NAME-recv\n"
               "                         (default sqs-load-<pid>)\n"
               "  --protocol P           json (awsJson1.0, default) | query (awsQuery)\n"
               "  --rate R               open loop: R operations/s in total, spread over the connections;\n"
               "                         latency is measured from the scheduled start (default 0 = closed loop)\n"
               "  --region R             region in the credential scope (default us-east-1)\n"
               "  --access-key K         access key id in the credential scope (default AKID)\n"
               "  --preload N            messages to preload for receive-delete (default: automatic)\n"
               "  --preload-max N        cap for the automatic preload (default 1000000)\n"
               "  --wait-time S          ReceiveMessage WaitTimeSeconds (default 0)\n"
               "  --timeout S            per-request timeout (default 30)\n"
               "  --keep-queue           do not delete the queues at the end\n"
               "  --label TEXT           name of this target in reports (default: the endpoint)\n"
               "  --json                 print the results as JSON on stdout instead of the table\n"
               "  --json-out FILE        also write the JSON results to FILE\n"
               "  --compare FILES...     print a side-by-side table of earlier --json-out files\n"
               "  -h, --help             this text\n");
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "sqs_load: %s\n", message.c_str());
  std::exit(2);
}

double ParseDouble(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno != 0 || !std::isfinite(v)) Die("invalid number for " + flag + ": " + value);
  return v;
}

std::uint64_t ParseUnsigned(const std::string& flag, const std::string& value) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
    Die("invalid integer for " + flag + ": " + value);
  }
  return v;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string inline_value;
    bool has_inline = false;
    if (flag.rfind("--", 0) == 0) {
      if (auto eq = flag.find('='); eq != std::string::npos) {
        inline_value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        has_inline = true;
      }
    }
    auto value = [&]() -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= args.size()) Die("missing value for " + flag);
      return args[++i];
    };
    if (flag == "-h" || flag == "--help") {
      PrintUsage(stdout);
      std::exit(0);
    } else if (flag == "--endpoint") {
      o.endpoint = value();
    } else if (flag == "--connections") {
      o.connections = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--duration") {
      o.duration = ParseDouble(flag, value());
    } else if (flag == "--warmup") {
      o.warmup = ParseDouble(flag, value());
    } else if (flag == "--scenario") {
      o.scenario = value();
    } else if (flag == "--message-size") {
      o.message_size = ParseUnsigned(flag, value());
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--queue-name") {
      o.queue_name = value();
    } else if (flag == "--protocol") {
      std::string p = value();
      if (p == "json") o.protocol = Protocol::Json;
      else if (p == "query") o.protocol = Protocol::Query;
      else Die("--protocol must be json or query");
    } else if (flag == "--rate") {
      o.rate = ParseDouble(flag, value());
    } else if (flag == "--region") {
      o.region = value();
    } else if (flag == "--access-key") {
      o.access_key = value();
    } else if (flag == "--preload") {
      o.preload = ParseUnsigned(flag, value());
    } else if (flag == "--preload-max") {
      o.preload_max = ParseUnsigned(flag, value());
    } else if (flag == "--wait-time") {
      o.wait_time = static_cast<int>(ParseUnsigned(flag, value()));
    } else if (flag == "--timeout") {
      o.timeout = ParseDouble(flag, value());
    } else if (flag == "--keep-queue") {
      o.keep_queue = true;
    } else if (flag == "--label") {
      o.label = value();
    } else if (flag == "--json") {
      o.json_stdout = true;
    } else if (flag == "--json-out") {
      o.json_out = value();
    } else if (flag == "--compare") {
      while (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) o.compare_files.push_back(args[++i]);
      if (o.compare_files.empty()) Die("--compare needs at least one file");
    } else {
      Die("unknown option " + flag + " (see --help)");
    }
  }
  if (o.connections < 1 || o.connections > 10000) Die("--connections must be in 1..10000");
  if (o.threads < 1 || o.threads > 256) Die("--threads must be in 1..256");
  if (o.threads > o.connections) o.threads = o.connections;
  if (!(o.duration > 0)) Die("--duration must be positive");
  if (o.warmup < 0) Die("--warmup must not be negative");
  if (o.rate < 0) Die("--rate must not be negative");
  if (o.message_size < 1 || o.message_size > 262144) Die("--message-size must be in 1..262144");
  if (o.wait_time > 20) Die("--wait-time must be in 0..20");
  if (!(o.timeout > 0)) Die("--timeout must be positive");
  if (o.scenario != "send" && o.scenario != "receive-delete" && o.scenario != "all") {
    Die("--scenario must be send, receive-delete or all");
  }
  if (o.queue_name.empty()) o.queue_name = "sqs-load-" + std::to_string(::getpid());
  if (o.label.empty()) o.label = o.endpoint;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Endpoint
// ---------------------------------------------------------------------------------------------

struct Endpoint {
  std::string host;         // for the resolver
  std::string port;         // for the resolver
  std::string host_header;  // value of the Host header
};

Endpoint ParseEndpoint(std::string url) {
  if (url.rfind("https://", 0) == 0) Die("https endpoints are not supported; use http://");
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  if (auto slash = url.find('/'); slash != std::string::npos) url = url.substr(0, slash);
  if (url.empty()) Die("empty endpoint host");
  Endpoint e;
  e.host_header = url;
  if (url.front() == '[') {  // [v6]:port
    auto close = url.find(']');
    if (close == std::string::npos) Die("bad endpoint " + url);
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

// ---------------------------------------------------------------------------------------------
// Minimal HTTP/1.1 client
// ---------------------------------------------------------------------------------------------

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

  void Close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    connected_ = false;
  }

  asio::awaitable<bool> Connect(std::string& error) {
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

  // Sends one request and reads its response. Returns false on a transport error (error is set).
  // A request on a reused keep-alive connection that fails before any response byte arrived is
  // retried once on a fresh connection (the server may have closed an idle connection).
  asio::awaitable<bool> RoundTrip(const std::string& request, HttpResponse& response, std::string& error,
                                  Clock::duration timeout) {
    timed_out = false;
    deadline = Clock::now() + timeout;
    bool ok = false;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!connected_) {
        if (!co_await Connect(error)) break;
      }
      bool reused = used_;
      boost::system::error_code ec;
      co_await asio::async_write(socket_, asio::buffer(request), asio::redirect_error(asio::use_awaitable, ec));
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

 private:
  // Reads more bytes into buf_[end_..). Returns false on EOF or error.
  asio::awaitable<bool> Fill(std::string& error) {
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

  std::string_view Buffered() const { return std::string_view(buf_.data() + begin_, end_ - begin_); }

  // Finds "\r\n" (or "\r\n\r\n") in the buffered bytes, reading more as needed; returns the offset
  // relative to begin_.
  asio::awaitable<std::optional<std::size_t>> FindInBuffer(std::string_view needle, std::string& error,
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

  asio::awaitable<bool> ReadResponse(HttpResponse& response, std::string& error, bool& got_bytes) {
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

  asio::awaitable<bool> ReadChunked(HttpResponse& response, std::string& error, bool& got_bytes) {
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

  tcp::socket socket_;
  const std::vector<tcp::endpoint>& endpoints_;
  std::vector<char> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool connected_ = false;
  bool ever_connected_ = false;
  bool used_ = false;
};

// ---------------------------------------------------------------------------------------------
// SQS requests (awsJson1.0 and awsQuery)
// ---------------------------------------------------------------------------------------------

class SqsRequests {
 public:
  SqsRequests(const Options& o, const Endpoint& e) : options_(o), endpoint_(e) {
    auth_ = "AWS4-HMAC-SHA256 Credential=" + o.access_key + "/20250101/" + o.region +
            "/sqs/aws4_request, SignedHeaders=host, Signature=0";
  }

  std::string CreateQueue(const std::string& name) const {
    if (Json()) return Http("CreateQueue", "{\"QueueName\":" + JsonQuote(name) + "}");
    return Http("CreateQueue", Query("CreateQueue") + "&QueueName=" + UrlEncode(name));
  }
  std::string QueueUrlOnly(const std::string& op, const std::string& url) const {
    if (Json()) return Http(op, "{\"QueueUrl\":" + JsonQuote(url) + "}");
    return Http(op, Query(op) + "&QueueUrl=" + UrlEncode(url));
  }
  std::string SendMessage(const std::string& url, const std::string& body) const {
    if (Json()) return Http("SendMessage", "{\"QueueUrl\":" + JsonQuote(url) + ",\"MessageBody\":" + JsonQuote(body) + "}");
    return Http("SendMessage", Query("SendMessage") + "&QueueUrl=" + UrlEncode(url) + "&MessageBody=" + UrlEncode(body));
  }
  std::string SendMessageBatch(const std::string& url, const std::string& body, int entries) const {
    if (Json()) {
      std::string b = "{\"QueueUrl\":" + JsonQuote(url) + ",\"Entries\":[";
      std::string quoted = JsonQuote(body);
      for (int i = 0; i < entries; ++i) {
        if (i) b += ',';
        b += "{\"Id\":\"m" + std::to_string(i) + "\",\"MessageBody\":" + quoted + "}";
      }
      b += "]}";
      return Http("SendMessageBatch", b);
    }
    std::string b = Query("SendMessageBatch") + "&QueueUrl=" + UrlEncode(url);
    std::string encoded = UrlEncode(body);
    for (int i = 1; i <= entries; ++i) {
      std::string prefix = "&SendMessageBatchRequestEntry." + std::to_string(i) + ".";
      b += prefix + "Id=m" + std::to_string(i) + prefix + "MessageBody=" + encoded;
    }
    return Http("SendMessageBatch", b);
  }
  std::string ReceiveMessage(const std::string& url) const {
    if (Json()) {
      return Http("ReceiveMessage", "{\"QueueUrl\":" + JsonQuote(url) +
                                        ",\"MaxNumberOfMessages\":1,\"WaitTimeSeconds\":" +
                                        std::to_string(options_.wait_time) + "}");
    }
    return Http("ReceiveMessage", Query("ReceiveMessage") + "&QueueUrl=" + UrlEncode(url) +
                                      "&MaxNumberOfMessages=1&WaitTimeSeconds=" + std::to_string(options_.wait_time));
  }
  std::string DeleteMessage(const std::string& url, const std::string& receipt) const {
    if (Json()) {
      return Http("DeleteMessage", "{\"QueueUrl\":" + JsonQuote(url) + ",\"ReceiptHandle\":" + JsonQuote(receipt) + "}");
    }
    return Http("DeleteMessage",
                Query("DeleteMessage") + "&QueueUrl=" + UrlEncode(url) + "&ReceiptHandle=" + UrlEncode(receipt));
  }

  // --- response parsing ---

  std::optional<std::string> ParseQueueUrl(const std::string& body) const {
    if (Json()) {
      boost::system::error_code ec;
      json::value v = json::parse(body, ec);
      if (ec || !v.is_object()) return std::nullopt;
      if (auto* url = v.as_object().if_contains("QueueUrl"); url && url->is_string()) {
        return std::string(url->as_string());
      }
      return std::nullopt;
    }
    if (auto url = XmlElement(body, "QueueUrl")) return XmlUnescape(*url);
    return std::nullopt;
  }

  // Receipt handle of the first received message; nullopt when none was received.
  // Sets `malformed` when the body could not be understood.
  std::optional<std::string> ParseReceipt(const std::string& body, bool& malformed) const {
    malformed = false;
    if (Json()) {
      boost::system::error_code ec;
      json::value v = json::parse(body, ec);
      if (ec || !v.is_object()) {
        malformed = true;
        return std::nullopt;
      }
      auto* messages = v.as_object().if_contains("Messages");
      if (!messages || !messages->is_array() || messages->as_array().empty()) return std::nullopt;
      auto& first = messages->as_array().front();
      if (!first.is_object()) {
        malformed = true;
        return std::nullopt;
      }
      auto* receipt = first.as_object().if_contains("ReceiptHandle");
      if (!receipt || !receipt->is_string()) {
        malformed = true;
        return std::nullopt;
      }
      return std::string(receipt->as_string());
    }
    if (auto receipt = XmlElement(body, "ReceiptHandle")) return XmlUnescape(*receipt);
    if (body.find("ReceiveMessageResponse") == std::string::npos) malformed = true;
    return std::nullopt;
  }

  // Number of failed entries in a SendMessageBatch response, or -1 when it could not be parsed.
  long BatchFailures(const std::string& body) const {
    if (Json()) {
      boost::system::error_code ec;
      json::value v = json::parse(body, ec);
      if (ec || !v.is_object()) return -1;
      auto* failed = v.as_object().if_contains("Failed");
      if (!failed || !failed->is_array()) return 0;
      return static_cast<long>(failed->as_array().size());
    }
    if (body.find("SendMessageBatchResponse") == std::string::npos) return -1;
    return static_cast<long>(CountOccurrences(body, "<BatchResultErrorEntry>"));
  }

 private:
  bool Json() const { return options_.protocol == Protocol::Json; }
  static std::string Query(const std::string& action) { return "Action=" + action + "&Version=2012-11-05"; }

  std::string Http(const std::string& op, const std::string& body) const {
    std::string r;
    r.reserve(body.size() + 400);
    r += "POST / HTTP/1.1\r\nHost: ";
    r += endpoint_.host_header;
    r += "\r\nUser-Agent: sqs_load/1.0\r\nAccept-Encoding: identity\r\n";
    if (Json()) {
      r += "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.";
      r += op;
      r += "\r\n";
    } else {
      r += "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n";
    }
    r += "X-Amz-Date: 20250101T000000Z\r\nAuthorization: ";
    r += auth_;
    r += "\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\n\r\n";
    r += body;
    return r;
  }

  const Options& options_;
  const Endpoint& endpoint_;
  std::string auth_;
};

// ---------------------------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------------------------

struct ThreadStats {
  std::vector<std::int64_t> main_ns;  // one entry per completed operation (send, or receive+delete)
  std::vector<std::int64_t> receive_ns;
  std::vector<std::int64_t> delete_ns;
  std::vector<std::int64_t> lag_ns;  // open loop: actual start - scheduled start
  std::uint64_t completed_in_window = 0;  // operations that finished inside the measured window
  std::uint64_t missed_starts = 0;        // open loop: scheduled starts never issued before the window closed
  std::uint64_t errors = 0;
  std::uint64_t empty_receives = 0;
  std::uint64_t preload_batches = 0;
  std::uint64_t preload_messages = 0;
  std::string first_error;
  Clock::time_point first_error_at = Clock::time_point::max();

  void Error(std::string message) {
    ++errors;
    auto now = Clock::now();
    if (now < first_error_at) {
      first_error_at = now;
      first_error = std::move(message);
    }
  }
};

std::string DescribeHttpError(std::string_view op, const HttpResponse& r) {
  return std::string(op) + ": HTTP " + std::to_string(r.status) + ": " + Truncate(r.body, 600);
}

struct Latency {
  std::uint64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // milliseconds
};

Latency Summarize(std::vector<std::int64_t>& ns) {
  Latency l;
  l.count = ns.size();
  if (ns.empty()) return l;
  std::sort(ns.begin(), ns.end());
  auto at = [&](double q) {
    // Nearest-rank percentile.
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(ns.size())));
    if (rank < 1) rank = 1;
    if (rank > ns.size()) rank = ns.size();
    return static_cast<double>(ns[rank - 1]) / 1e6;
  };
  l.p50 = at(0.50);
  l.p90 = at(0.90);
  l.p99 = at(0.99);
  l.p999 = at(0.999);
  l.max = static_cast<double>(ns.back()) / 1e6;
  long double sum = 0;
  for (auto v : ns) sum += v;
  l.mean = static_cast<double>(sum / ns.size()) / 1e6;
  return l;
}

struct ScenarioResult {
  std::string scenario;  // send | receive-delete
  std::string mode;      // closed | open
  int connections = 0;
  double target_rate = 0;
  double duration = 0;
  std::uint64_t operations = 0;
  double throughput = 0;
  Latency latency;
  std::vector<std::pair<std::string, Latency>> parts;  // receive, delete
  Latency start_lag;                                    // open loop: how late operations were issued
  std::uint64_t errors = 0;
  std::uint64_t empty_receives = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t missed_starts = 0;
  std::uint64_t preloaded = 0;
  double preload_seconds = 0;
  std::string first_error;
  std::vector<std::string> notes;
};

// ---------------------------------------------------------------------------------------------
// Load runner
// ---------------------------------------------------------------------------------------------

struct Shared {
  const Options* options = nullptr;
  const SqsRequests* requests = nullptr;
  std::vector<tcp::endpoint> endpoints;
  std::string queue_url;
  std::string send_request;      // prebuilt SendMessage
  std::string receive_request;   // prebuilt ReceiveMessage
  std::string batch_request;     // prebuilt SendMessageBatch
  int batch_entries = 10;
  Clock::duration timeout{};
  Clock::time_point launch, window_start, window_end;
  // Preload state.
  std::atomic<std::uint64_t> preload_target{0};
  std::atomic<std::uint64_t> preload_claimed{0};
  std::atomic<std::uint64_t> preload_batches_done{0};
  std::atomic<bool> abort{false};
  std::atomic<bool> fallback_single{false};
};

enum class Work { Send, ReceiveDelete, Preload };

struct ThreadState {
  asio::io_context io{1};
  std::vector<std::unique_ptr<HttpClient>> clients;
  ThreadStats stats;
  int active = 0;
};

asio::awaitable<void> Watchdog(ThreadState& state) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (state.active > 0) {
    timer.expires_after(std::chrono::milliseconds(100));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto now = Clock::now();
    for (auto& c : state.clients) {
      if (c->deadline < now) {
        c->timed_out = true;
        c->deadline = Clock::time_point::max();
        c->Close();
      }
    }
  }
}

asio::awaitable<void> PreloadWorker(Shared& sh, HttpClient& client, ThreadStats& st) {
  HttpResponse response;
  std::string error;
  int consecutive_failures = 0;
  std::string single;  // used when SendMessageBatch is not supported
  for (;;) {
    if (sh.abort.load(std::memory_order_relaxed)) break;
    bool single_mode = sh.fallback_single.load(std::memory_order_relaxed);
    std::uint64_t entries = single_mode ? 1 : static_cast<std::uint64_t>(sh.batch_entries);
    std::uint64_t claimed = sh.preload_claimed.fetch_add(entries, std::memory_order_relaxed);
    if (claimed >= sh.preload_target.load(std::memory_order_relaxed)) break;
    const std::string& request = single_mode ? sh.send_request : sh.batch_request;
    bool ok = co_await client.RoundTrip(request, response, error, sh.timeout);
    if (!ok) {
      st.Error("preload: transport error: " + error);
    } else if (response.status < 200 || response.status >= 300) {
      if (!single_mode && sh.preload_batches_done.load() == 0 &&
          (response.status == 400 || response.status == 404 || response.status == 501)) {
        // The target may not implement SendMessageBatch: fall back to SendMessage.
        if (!sh.fallback_single.exchange(true)) {
          std::fprintf(stderr, "sqs_load: SendMessageBatch failed (%s); preloading with SendMessage\n",
                       DescribeHttpError("SendMessageBatch", response).c_str());
        }
        continue;
      }
      st.Error(DescribeHttpError(single_mode ? "preload SendMessage" : "preload SendMessageBatch", response));
      ok = false;
    } else if (!single_mode) {
      long failed = sh.requests->BatchFailures(response.body);
      if (failed < 0) {
        st.Error("preload SendMessageBatch: unparseable response: " + Truncate(response.body, 600));
        ok = false;
      } else {
        if (failed > 0) st.Error("preload SendMessageBatch: " + std::to_string(failed) + " failed entries: " + Truncate(response.body, 600));
        st.preload_messages += entries - static_cast<std::uint64_t>(failed);
      }
    } else {
      st.preload_messages += 1;
    }
    if (ok) {
      consecutive_failures = 0;
      ++st.preload_batches;
      sh.preload_batches_done.fetch_add(1, std::memory_order_relaxed);
    } else if (++consecutive_failures >= 5) {
      sh.abort = true;
      break;
    }
  }
}

asio::awaitable<void> LoadWorker(Shared& sh, Work work, HttpClient& client, ThreadStats& st, int index) {
  const Options& o = *sh.options;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  HttpResponse response;
  std::string error;
  std::string delete_request;
  const bool open_loop = o.rate > 0;
  Clock::duration interval{};
  Clock::time_point next;
  if (open_loop) {
    interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.connections / o.rate));
    next = sh.launch + interval * index / o.connections;  // stagger the connections evenly
  }
  for (;;) {
    Clock::time_point start;
    if (open_loop) {
      if (next >= sh.window_end) break;
      if (auto now = Clock::now(); now >= sh.window_end) {
        // Saturated: the backlog of scheduled starts is not worked off after the window closes.
        auto first = std::max(next, sh.window_start);
        st.missed_starts += static_cast<std::uint64_t>((sh.window_end - first + interval - Clock::duration(1)) / interval);
        break;
      }
      if (Clock::now() < next) {
        timer.expires_at(next);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      start = next;  // latency counts from the scheduled start: no coordinated omission
      next += interval;
      if (start >= sh.window_start) st.lag_ns.push_back((Clock::now() - start).count());
    } else {
      start = Clock::now();
      if (start >= sh.window_end) break;
    }
    // An operation is measured when it completes inside the window (its latency still counts from its
    // start, or in open loop from its scheduled start, which may lie before the window).
    auto in_window = [&](Clock::time_point t) { return t >= sh.window_start && t <= sh.window_end; };

    if (work == Work::Send) {
      bool ok = co_await client.RoundTrip(sh.send_request, response, error, sh.timeout);
      auto done = Clock::now();
      if (!ok) st.Error("SendMessage: transport error: " + error);
      else if (response.status < 200 || response.status >= 300) st.Error(DescribeHttpError("SendMessage", response));
      else if (in_window(done)) {
        st.main_ns.push_back((done - start).count());
        ++st.completed_in_window;
      }
      continue;
    }

    // Receive + delete.
    auto receive_start = Clock::now();
    bool ok = co_await client.RoundTrip(sh.receive_request, response, error, sh.timeout);
    auto received = Clock::now();
    if (!ok) {
      st.Error("ReceiveMessage: transport error: " + error);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      st.Error(DescribeHttpError("ReceiveMessage", response));
      continue;
    }
    bool malformed = false;
    auto receipt = sh.requests->ParseReceipt(response.body, malformed);
    if (malformed) {
      st.Error("ReceiveMessage: unparseable response: " + Truncate(response.body, 600));
      continue;
    }
    if (!receipt) {
      ++st.empty_receives;
      continue;
    }
    if (in_window(received)) st.receive_ns.push_back((received - receive_start).count());
    delete_request = sh.requests->DeleteMessage(sh.queue_url, *receipt);
    auto delete_start = Clock::now();
    ok = co_await client.RoundTrip(delete_request, response, error, sh.timeout);
    auto done = Clock::now();
    if (!ok) {
      st.Error("DeleteMessage: transport error: " + error);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      st.Error(DescribeHttpError("DeleteMessage", response));
      continue;
    }
    if (in_window(done)) {
      st.delete_ns.push_back((done - delete_start).count());
      st.main_ns.push_back((done - start).count());
      ++st.completed_in_window;
    }
  }
}

struct RunOutput {
  ThreadStats stats;
  std::uint64_t reconnects = 0;
  double elapsed = 0;
};

// Runs `work` on all connections across the configured threads and merges the statistics.
// `on_tick` is called about every 100 ms from the calling thread while the run lasts.
template <typename OnTick>
RunOutput RunWorkers(Shared& sh, Work work, OnTick on_tick) {
  const Options& o = *sh.options;
  std::vector<std::unique_ptr<ThreadState>> states;
  for (int t = 0; t < o.threads; ++t) states.push_back(std::make_unique<ThreadState>());
  for (int i = 0; i < o.connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % o.threads)];
    state.clients.push_back(std::make_unique<HttpClient>(state.io.get_executor(), sh.endpoints));
  }
  sh.launch = Clock::now();
  auto warm = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  auto dur = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration));
  sh.window_start = sh.launch + warm;
  sh.window_end = sh.window_start + dur;

  int index = 0;
  for (int i = 0; i < o.connections; ++i) {
    auto& state = *states[static_cast<std::size_t>(i % o.threads)];
    auto& client = *state.clients[static_cast<std::size_t>(i / o.threads)];
    ++state.active;
    int my_index = index++;
    asio::co_spawn(
        state.io,
        [&sh, &state, &client, work, my_index]() -> asio::awaitable<void> {
          try {
            if (work == Work::Preload) co_await PreloadWorker(sh, client, state.stats);
            else co_await LoadWorker(sh, work, client, state.stats, my_index);
          } catch (const std::exception& e) {
            state.stats.Error(std::string("worker exception: ") + e.what());
          }
          client.Close();
          --state.active;
        },
        asio::detached);
  }
  for (auto& state : states) asio::co_spawn(state->io, Watchdog(*state), asio::detached);

  std::atomic<int> running{o.threads};
  std::vector<std::thread> threads;
  for (auto& state : states) {
    threads.emplace_back([&state, &running] {
      state->io.run();
      --running;
    });
  }
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    on_tick();
  }
  for (auto& t : threads) t.join();

  RunOutput out;
  out.elapsed = std::chrono::duration<double>(Clock::now() - sh.launch).count();
  for (auto& state : states) {
    auto& s = state->stats;
    auto append = [](std::vector<std::int64_t>& to, const std::vector<std::int64_t>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    append(out.stats.main_ns, s.main_ns);
    append(out.stats.receive_ns, s.receive_ns);
    append(out.stats.delete_ns, s.delete_ns);
    append(out.stats.lag_ns, s.lag_ns);
    out.stats.completed_in_window += s.completed_in_window;
    out.stats.missed_starts += s.missed_starts;
    out.stats.errors += s.errors;
    out.stats.empty_receives += s.empty_receives;
    out.stats.preload_batches += s.preload_batches;
    out.stats.preload_messages += s.preload_messages;
    if (s.first_error_at < out.stats.first_error_at) {
      out.stats.first_error_at = s.first_error_at;
      out.stats.first_error = s.first_error;
    }
    for (auto& c : state->clients) out.reconnects += c->reconnects;
  }
  return out;
}

// One request outside the load phase (queue setup / teardown).
bool SingleCall(const Shared& sh, const std::string& request, HttpResponse& response, std::string& error) {
  asio::io_context io;
  HttpClient client(io.get_executor(), sh.endpoints);
  bool ok = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer guard(co_await asio::this_coro::executor);
        guard.expires_after(sh.timeout);
        guard.async_wait([&](boost::system::error_code ec) {
          if (!ec) {
            client.timed_out = true;
            client.Close();
          }
        });
        ok = co_await client.RoundTrip(request, response, error, sh.timeout);
        guard.cancel();
      },
      asio::detached);
  io.run();
  return ok;
}

std::string CallError(const std::string& op, bool ok, const HttpResponse& r, const std::string& error) {
  if (!ok) return op + ": transport error: " + error;
  return DescribeHttpError(op, r);
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

json::object LatencyJson(const Latency& l) {
  return json::object{{"count", l.count}, {"p50", l.p50},   {"p90", l.p90}, {"p99", l.p99},
                      {"p99_9", l.p999},  {"max", l.max},   {"mean", l.mean}};
}

Latency LatencyFromJson(const json::value& v) {
  Latency l;
  if (!v.is_object()) return l;
  auto& o = v.as_object();
  auto num = [&](const char* k) -> double {
    auto* x = o.if_contains(k);
    if (!x) return 0;
    if (x->is_double()) return x->as_double();
    if (x->is_int64()) return static_cast<double>(x->as_int64());
    if (x->is_uint64()) return static_cast<double>(x->as_uint64());
    return 0;
  };
  l.count = static_cast<std::uint64_t>(num("count"));
  l.p50 = num("p50");
  l.p90 = num("p90");
  l.p99 = num("p99");
  l.p999 = num("p99_9");
  l.max = num("max");
  l.mean = num("mean");
  return l;
}

json::object ResultJson(const ScenarioResult& r) {
  json::object parts;
  for (auto& [name, l] : r.parts) parts[name] = LatencyJson(l);
  json::array notes;
  for (auto& n : r.notes) notes.emplace_back(n);
  json::object o{{"scenario", r.scenario},
                 {"mode", r.mode},
                 {"connections", r.connections},
                 {"target_rate", r.target_rate},
                 {"duration_s", r.duration},
                 {"operations", r.operations},
                 {"throughput_per_s", r.throughput},
                 {"latency_ms", LatencyJson(r.latency)},
                 {"parts_latency_ms", std::move(parts)},
                 {"start_lag_ms", LatencyJson(r.start_lag)},
                 {"errors", r.errors},
                 {"empty_receives", r.empty_receives},
                 {"reconnects", r.reconnects},
                 {"missed_starts", r.missed_starts},
                 {"preloaded_messages", r.preloaded},
                 {"preload_seconds", r.preload_seconds},
                 {"notes", std::move(notes)}};
  if (!r.first_error.empty()) o["first_error"] = r.first_error;
  else o["first_error"] = nullptr;
  return o;
}

std::string Ms(double v) { return Fixed(v, v >= 100 ? 1 : 3); }

void PrintHeader(std::FILE* out, bool with_label, std::size_t label_width) {
  if (with_label) std::fprintf(out, "%-*s  ", static_cast<int>(label_width), "target");
  std::fprintf(out, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s\n", "scenario", "mode", "conns", "target/s",
               "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors");
}

void PrintRow(std::FILE* out, const std::string* label, std::size_t label_width, const std::string& name,
              const std::string& mode, int conns, double target, double throughput, const Latency& l,
              std::optional<std::uint64_t> errors) {
  if (label) std::fprintf(out, "%-*s  ", static_cast<int>(label_width), label->c_str());
  std::string target_s = target > 0 ? Fixed(target, 0) : "-";
  std::string conns_s = conns > 0 ? std::to_string(conns) : "";
  std::string errors_s = errors ? std::to_string(*errors) : "";
  std::string tput = throughput >= 0 ? Fixed(throughput, 1) : "";
  if (l.count == 0) {
    std::fprintf(out, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s\n", name.c_str(), mode.c_str(), conns_s.c_str(),
                 target_s.c_str(), tput.c_str(), "-", "-", "-", "-", "-", errors_s.c_str());
    return;
  }
  std::fprintf(out, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s\n", name.c_str(), mode.c_str(), conns_s.c_str(),
               target_s.c_str(), tput.c_str(), Ms(l.p50).c_str(), Ms(l.p90).c_str(), Ms(l.p99).c_str(),
               Ms(l.p999).c_str(), Ms(l.max).c_str(), errors_s.c_str());
}

void PrintResults(std::FILE* out, const Options& o, const std::vector<ScenarioResult>& results) {
  std::fprintf(out, "\nendpoint %s  protocol %s  threads %d  message %zu B  duration %.1f s (+%.1f s warmup)\n",
               o.endpoint.c_str(), o.protocol == Protocol::Json ? "json" : "query", o.threads, o.message_size,
               o.duration, o.warmup);
  PrintHeader(out, false, 0);
  for (auto& r : results) {
    PrintRow(out, nullptr, 0, r.scenario, r.mode, r.connections, r.target_rate, r.throughput, r.latency, r.errors);
    for (auto& [name, l] : r.parts) {
      PrintRow(out, nullptr, 0, "  " + name, "", 0, 0, static_cast<double>(l.count) / r.duration, l, std::nullopt);
    }
  }
  for (auto& r : results) {
    if (r.preloaded) {
      std::fprintf(out, "%s: preloaded %llu messages in %.2f s\n", r.scenario.c_str(),
                   static_cast<unsigned long long>(r.preloaded), r.preload_seconds);
    }
    if (r.start_lag.count) {
      std::fprintf(out, "%s: start lag (issued - scheduled) p50 %s  p99 %s  max %s ms\n", r.scenario.c_str(),
                   Ms(r.start_lag.p50).c_str(), Ms(r.start_lag.p99).c_str(), Ms(r.start_lag.max).c_str());
    }
    if (r.reconnects) {
      std::fprintf(out, "%s: %llu reconnects\n", r.scenario.c_str(), static_cast<unsigned long long>(r.reconnects));
    }
    for (auto& n : r.notes) std::fprintf(out, "%s: note: %s\n", r.scenario.c_str(), n.c_str());
    if (!r.first_error.empty()) {
      std::fprintf(out, "%s: first error: %s\n", r.scenario.c_str(), r.first_error.c_str());
    }
  }
}

int Compare(const std::vector<std::string>& files) {
  struct Row {
    std::string label;
    std::string scenario, mode;
    int connections = 0;
    double target = 0;
    double throughput = 0;
    Latency latency;
    std::uint64_t errors = 0;
    std::string first_error;
  };
  std::vector<std::string> key_order;
  std::map<std::string, std::vector<Row>> groups;
  std::size_t label_width = 6;
  for (auto& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "sqs_load: cannot read %s\n", file.c_str());
      return 2;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    json::value doc = json::parse(ss.str(), ec);
    if (ec || !doc.is_object()) {
      std::fprintf(stderr, "sqs_load: %s is not sqs_load JSON\n", file.c_str());
      return 2;
    }
    auto& top = doc.as_object();
    std::string label = top.if_contains("label") && top.at("label").is_string() ? std::string(top.at("label").as_string()) : file;
    label_width = std::max(label_width, label.size());
    auto* results = top.if_contains("results");
    if (!results || !results->is_array()) continue;
    for (auto& rv : results->as_array()) {
      if (!rv.is_object()) continue;
      auto& r = rv.as_object();
      auto str = [&](const char* k) {
        auto* x = r.if_contains(k);
        return x && x->is_string() ? std::string(x->as_string()) : std::string();
      };
      auto num = [&](const char* k) -> double {
        auto* x = r.if_contains(k);
        if (!x) return 0;
        if (x->is_double()) return x->as_double();
        if (x->is_int64()) return static_cast<double>(x->as_int64());
        if (x->is_uint64()) return static_cast<double>(x->as_uint64());
        return 0;
      };
      Row row;
      row.label = label;
      row.scenario = str("scenario");
      row.mode = str("mode");
      row.connections = static_cast<int>(num("connections"));
      row.target = num("target_rate");
      row.throughput = num("throughput_per_s");
      row.errors = static_cast<std::uint64_t>(num("errors"));
      row.first_error = str("first_error");
      if (auto* l = r.if_contains("latency_ms")) row.latency = LatencyFromJson(*l);
      std::string key = row.scenario + "|" + row.mode + "|" + std::to_string(row.connections) + "|" + Fixed(row.target, 1);
      if (!groups.count(key)) key_order.push_back(key);
      groups[key].push_back(std::move(row));
    }
  }
  std::fprintf(stdout, "%-*s  ", static_cast<int>(label_width), "target");
  std::fprintf(stdout, "%-16s %-6s %5s %9s %11s %9s %9s %9s %9s %9s %8s %8s\n", "scenario", "mode", "conns", "target/s",
               "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "vs 1st");
  std::vector<std::string> errors;
  for (auto& key : key_order) {
    auto& rows = groups[key];
    double base = rows.front().throughput;
    for (auto& row : rows) {
      std::fprintf(stdout, "%-*s  ", static_cast<int>(label_width), row.label.c_str());
      std::string target_s = row.target > 0 ? Fixed(row.target, 0) : "-";
      double r = base > 0 ? row.throughput / base : 0;
      std::string ratio = base > 0 ? Fixed(r, r >= 10 ? 0 : r >= 0.1 ? 2 : r >= 0.01 ? 3 : 4) + "x" : "-";
      if (row.latency.count == 0) {
        std::fprintf(stdout, "%-16s %-6s %5d %9s %11s %9s %9s %9s %9s %9s %8llu %8s\n", row.scenario.c_str(),
                     row.mode.c_str(), row.connections, target_s.c_str(), Fixed(row.throughput, 1).c_str(), "-", "-",
                     "-", "-", "-", static_cast<unsigned long long>(row.errors), ratio.c_str());
      } else {
        std::fprintf(stdout, "%-16s %-6s %5d %9s %11s %9s %9s %9s %9s %9s %8llu %8s\n", row.scenario.c_str(),
                     row.mode.c_str(), row.connections, target_s.c_str(), Fixed(row.throughput, 1).c_str(),
                     Ms(row.latency.p50).c_str(), Ms(row.latency.p90).c_str(), Ms(row.latency.p99).c_str(),
                     Ms(row.latency.p999).c_str(), Ms(row.latency.max).c_str(),
                     static_cast<unsigned long long>(row.errors), ratio.c_str());
      }
      if (!row.first_error.empty()) {
        errors.push_back(row.label + " " + row.scenario + " c=" + std::to_string(row.connections) + ": " + row.first_error);
      }
    }
  }
  for (auto& e : errors) std::fprintf(stdout, "first error: %s\n", e.c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

std::string MakeBody(std::size_t size) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string body(size, 'x');
  for (std::size_t i = 0; i < size; ++i) body[i] = alphabet[(i * 7 + i / 62) % 62];
  return body;
}

std::optional<std::string> CreateQueue(Shared& sh, const std::string& name, std::string& error) {
  HttpResponse r;
  std::string err;
  bool ok = SingleCall(sh, sh.requests->CreateQueue(name), r, err);
  if (!ok || r.status < 200 || r.status >= 300) {
    error = CallError("CreateQueue", ok, r, err);
    return std::nullopt;
  }
  auto url = sh.requests->ParseQueueUrl(r.body);
  if (!url) error = "CreateQueue: no QueueUrl in response: " + Truncate(r.body, 600);
  return url;
}

void DeleteQueue(Shared& sh, const std::string& url) {
  HttpResponse r;
  std::string err;
  bool ok = SingleCall(sh, sh.requests->QueueUrlOnly("DeleteQueue", url), r, err);
  if (!ok || r.status < 200 || r.status >= 300) {
    std::fprintf(stderr, "sqs_load: warning: %s\n", CallError("DeleteQueue", ok, r, err).c_str());
  }
}

ScenarioResult RunScenario(Shared& sh, const std::string& scenario, const std::string& body) {
  const Options& o = *sh.options;
  ScenarioResult result;
  result.scenario = scenario;
  result.mode = o.rate > 0 ? "open" : "closed";
  result.connections = o.connections;
  result.target_rate = o.rate;
  result.duration = o.duration;

  const bool receive_delete = scenario == "receive-delete";
  std::string queue_name = o.queue_name + (receive_delete ? "-recv" : "-send");
  std::string error;
  auto url = CreateQueue(sh, queue_name, error);
  if (!url && error.find("QueueDeletedRecently") != std::string::npos) {
    // Like SQS, some endpoints refuse to recreate a queue name within 60 s of its deletion.
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    std::string retry_name = queue_name + "-" + std::to_string(millis.count() % 100000000);
    std::fprintf(stderr, "sqs_load: %s was deleted recently; using %s\n", queue_name.c_str(), retry_name.c_str());
    error.clear();
    url = CreateQueue(sh, retry_name, error);
  }
  if (!url) {
    result.errors = 1;
    result.first_error = error;
    result.notes.push_back("scenario not run: the queue could not be created");
    return result;
  }
  sh.queue_url = *url;
  sh.send_request = sh.requests->SendMessage(sh.queue_url, body);
  sh.receive_request = sh.requests->ReceiveMessage(sh.queue_url);
  sh.batch_entries = static_cast<int>(std::clamp<std::size_t>(262144 / (body.size() + 64), 1, 10));
  sh.batch_request = sh.requests->SendMessageBatch(sh.queue_url, body, sh.batch_entries);
  std::fprintf(stderr, "sqs_load: %s (%s, %d connections%s) on %s\n", scenario.c_str(), result.mode.c_str(),
               o.connections, o.rate > 0 ? (", " + Fixed(o.rate, 0) + "/s").c_str() : "", sh.queue_url.c_str());

  std::uint64_t preload_errors = 0;
  std::string preload_first_error;
  if (receive_delete) {
    HttpResponse r;
    std::string err;
    bool ok = SingleCall(sh, sh.requests->QueueUrlOnly("PurgeQueue", sh.queue_url), r, err);
    if (!ok || r.status < 200 || r.status >= 300) {
      std::fprintf(stderr, "sqs_load: warning: %s\n", CallError("PurgeQueue", ok, r, err).c_str());
    }
    // Preload. Automatic size: calibrated on the preload's own SendMessageBatch rate during its first
    // seconds (a receive+delete round trip is two requests, each lighter than a 10-message batch;
    // measured on Mallard, round trips/s reach ~1.9x batches/s, so 3x leaves a margin), and with
    // --rate never more than the run can consume.
    const double total_seconds = o.warmup + o.duration;
    const std::uint64_t floor = 200;
    std::uint64_t cap = o.preload_max;
    if (o.rate > 0) cap = std::min(cap, static_cast<std::uint64_t>(o.rate * total_seconds * 1.2) + floor);
    const bool calibrate = o.preload == 0;
    sh.preload_target = calibrate ? cap : o.preload;
    sh.preload_claimed = 0;
    sh.preload_batches_done = 0;
    sh.abort = false;
    sh.fallback_single = false;
    auto preload_start = Clock::now();
    bool calibrated = false;
    RunOutput pre = RunWorkers(sh, Work::Preload, [&] {
      if (!calibrate || calibrated) return;
      double elapsed = std::chrono::duration<double>(Clock::now() - preload_start).count();
      if (elapsed < 0.5) return;
      auto batches = sh.preload_batches_done.load();
      if (batches == 0) {
        if (elapsed >= 3.0) {  // hopelessly slow: stop at what has been claimed
          sh.preload_target = floor;
          calibrated = true;
        }
        return;
      }
      double requests_per_s = static_cast<double>(batches) / elapsed;
      auto estimate = static_cast<std::uint64_t>(requests_per_s * 3.0 * total_seconds) + floor;
      sh.preload_target = std::min(estimate, cap);
      // Keep refining while connection set-up still weighs on the average; then freeze.
      if (elapsed >= 2.0) calibrated = true;
    });
    result.preloaded = pre.stats.preload_messages;
    result.preload_seconds = std::chrono::duration<double>(Clock::now() - preload_start).count();
    preload_errors = pre.stats.errors;
    preload_first_error = pre.stats.first_error;
    std::fprintf(stderr, "sqs_load: preloaded %llu messages in %.2f s\n",
                 static_cast<unsigned long long>(result.preloaded), result.preload_seconds);
    if (sh.abort) {
      result.errors = preload_errors;
      result.first_error = preload_first_error;
      result.notes.push_back("scenario not run: preload kept failing");
      if (!o.keep_queue) DeleteQueue(sh, sh.queue_url);
      return result;
    }
  }

  RunOutput run = RunWorkers(sh, receive_delete ? Work::ReceiveDelete : Work::Send, [] {});
  result.operations = run.stats.completed_in_window;
  result.missed_starts = run.stats.missed_starts;
  result.throughput = static_cast<double>(result.operations) / o.duration;
  result.latency = Summarize(run.stats.main_ns);
  if (receive_delete) {
    result.parts.emplace_back("receive", Summarize(run.stats.receive_ns));
    result.parts.emplace_back("delete", Summarize(run.stats.delete_ns));
  }
  result.start_lag = Summarize(run.stats.lag_ns);
  result.errors = run.stats.errors + preload_errors;
  result.empty_receives = run.stats.empty_receives;
  result.reconnects = run.reconnects;
  result.first_error = !preload_first_error.empty() ? preload_first_error : run.stats.first_error;
  if (preload_errors) result.notes.push_back(std::to_string(preload_errors) + " of the errors happened during preload");
  if (result.empty_receives) {
    result.notes.push_back(std::to_string(result.empty_receives) +
                           " ReceiveMessage calls returned no message (not counted); if the queue drained, raise --preload");
  }
  if (result.missed_starts) {
    result.notes.push_back(std::to_string(result.missed_starts) +
                           " scheduled starts were never issued before the window closed (their latency is not in the figures)");
  }
  if (o.rate > 0 && result.throughput < 0.95 * o.rate) {
    result.notes.push_back("achieved " + Fixed(result.throughput, 0) + "/s of the " + Fixed(o.rate, 0) +
                           "/s target: the endpoint is saturated (or too few connections); latencies include queueing");
  }
  if (!o.keep_queue) DeleteQueue(sh, sh.queue_url);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseOptions(argc, argv);
  if (!o.compare_files.empty()) return Compare(o.compare_files);

  Endpoint endpoint = ParseEndpoint(o.endpoint);
  Shared sh;
  sh.options = &o;
  sh.timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  {
    asio::io_context io;
    tcp::resolver resolver(io);
    boost::system::error_code ec;
    auto resolved = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) Die("cannot resolve " + endpoint.host + ":" + endpoint.port + ": " + ec.message());
    for (auto& entry : resolved) sh.endpoints.push_back(entry.endpoint());
    if (sh.endpoints.empty()) Die("no address for " + endpoint.host);
  }
  SqsRequests requests(o, endpoint);
  sh.requests = &requests;

  std::vector<std::string> scenarios;
  if (o.scenario == "all") scenarios = {"send", "receive-delete"};
  else scenarios = {o.scenario};

  const std::string body = MakeBody(o.message_size);
  std::vector<ScenarioResult> results;
  for (auto& s : scenarios) results.push_back(RunScenario(sh, s, body));

  json::array results_json;
  for (auto& r : results) results_json.push_back(ResultJson(r));
  json::object doc{{"tool", "sqs_load"},
                   {"label", o.label},
                   {"endpoint", o.endpoint},
                   {"protocol", o.protocol == Protocol::Json ? "json" : "query"},
                   {"threads", o.threads},
                   {"connections", o.connections},
                   {"message_size", o.message_size},
                   {"duration_s", o.duration},
                   {"warmup_s", o.warmup},
                   {"rate", o.rate},
                   {"results", std::move(results_json)}};
  std::string doc_text = json::serialize(doc);
  if (!o.json_out.empty()) {
    std::ofstream out(o.json_out);
    out << doc_text << "\n";
    if (!out) Die("cannot write " + o.json_out);
  }
  if (o.json_stdout) std::printf("%s\n", doc_text.c_str());
  else PrintResults(stdout, o, results);

  bool any_error = false;
  for (auto& r : results) any_error = any_error || r.errors > 0 || r.operations == 0;
  return any_error ? 1 : 0;
}

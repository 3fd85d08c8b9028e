// OutboundHttpClient against loopback test servers (plain asio, one thread per connection, HTTP and
// HTTPS with a certificate made here): replies of every status, framing and size, a server that
// never answers, refused ports, bad URLs and headers, TLS with and without verification and SNI,
// concurrency with a stalled endpoint, and shutdown with requests outstanding.
// MALLARD_OUTBOUND_HTTP_SEED=n replays the randomised test.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <cctype>
#include <map>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <random>
#include <thread>

#include "common/encoding.hpp"
#include "http/outbound_http_client.hpp"

namespace mallard::http {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Deterministic body bytes for /bytes/<n>?seed=<s>, so the test knows what the server sent.
std::string BodyBytes(std::size_t length, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string body(length, '\0');
  for (char& c : body) c = static_cast<char>(random() & 0xFF);
  return body;
}

std::string QueryValue(std::string_view target, std::string_view name) {
  std::size_t query = target.find('?');
  if (query == std::string_view::npos) return {};
  std::string_view rest = target.substr(query + 1);
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (pair.substr(0, name.size()) == name && pair.size() > name.size() && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

// A self-signed certificate and key for the HTTPS test server (CN=localhost).
struct ServerIdentity {
  std::string certificate_pem;
  std::string key_pem;
};

ServerIdentity MakeServerIdentity() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_set_pubkey(cert, key);
  X509_sign(cert, key, EVP_sha256());
  auto to_pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    long length = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return pem;
  };
  ServerIdentity identity;
  identity.certificate_pem = to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert); });
  identity.key_pem = to_pem([&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(cert);
  EVP_PKEY_free(key);
  return identity;
}

const ServerIdentity& SharedIdentity() {
  static const ServerIdentity identity = MakeServerIdentity();
  return identity;
}

// A loopback HTTP/1.1 server, one thread per connection, behaviour chosen by path:
//   /ok                 200 "hello", header X-Test: yes
//   /echo               200 with the request's body
//   /status/<n>         status n, body "status <n>"
//   /stall              reads the request and never answers (until the server stops)
//   /slow/<ms>          answers 200 "late" after <ms> milliseconds
//   /bytes/<n>?seed=<s>&framing=length|chunked|eof   n deterministic bytes
//   /big-headers/<n>    200 with about n bytes of headers
//   /close              closes the connection without answering
class TestServer {
 public:
  explicit TestServer(bool tls = false) : tls_(tls), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    if (tls_) {
      tls_context_.use_certificate_chain(asio::buffer(SharedIdentity().certificate_pem));
      tls_context_.use_private_key(asio::buffer(SharedIdentity().key_pem), asio::ssl::context::pem);
    }
    Accept();
    accept_thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stopped_.notify_all();
    asio::post(io_, [this] { acceptor_.close(); });
    accept_thread_.join();
    for (auto& thread : connections_) thread.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string Url(const std::string& path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) + path;
  }
  std::string LastRequest() {
    std::lock_guard lock(mutex_);
    return last_request_;
  }
  std::string LastServerName() {
    std::lock_guard lock(mutex_);
    return last_server_name_;
  }
  int Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code error, tcp::socket socket) {
      if (error) return;
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      connections_.emplace_back([this, socket = std::move(socket)]() mutable { ServeConnection(std::move(socket)); });
      Accept();
    });
  }

  void ServeConnection(tcp::socket socket) {
    boost::system::error_code error;
    if (!tls_) return Serve(socket, socket);
    asio::ssl::stream<tcp::socket&> stream(socket, tls_context_);
    stream.handshake(asio::ssl::stream_base::server, error);
    if (error) return;
    const char* server_name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    {
      std::lock_guard lock(mutex_);
      last_server_name_ = server_name ? server_name : "";
    }
    Serve(stream, socket);
  }

  template <typename Stream>
  void Serve(Stream& stream, tcp::socket& socket) {
    boost::system::error_code error;
    std::string buffer;
    std::size_t header_end = asio::read_until(stream, asio::dynamic_buffer(buffer), "\r\n\r\n", error);
    if (error) return;
    std::string head = buffer.substr(0, header_end);
    std::size_t content_length = 0;
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t at = lower.find("\r\ncontent-length:");
    if (at != std::string::npos) content_length = std::stoul(head.substr(at + 17));
    if (buffer.size() < header_end + content_length) {
      asio::read(stream, asio::dynamic_buffer(buffer), asio::transfer_exactly(header_end + content_length - buffer.size()), error);
      if (error) return;
    }
    std::string body = buffer.substr(header_end, content_length);
    std::string target = head.substr(head.find(' ') + 1);
    target = target.substr(0, target.find(' '));
    {
      std::lock_guard lock(mutex_);
      last_request_ = buffer.substr(0, header_end + content_length);
      ++requests_;
    }
    auto reply = [&](int status, const std::string& reply_body, const std::string& extra = "") {
      std::string text = "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Length: " +
                         std::to_string(reply_body.size()) + "\r\n" + extra + "Connection: close\r\n\r\n" + reply_body;
      asio::write(stream, asio::buffer(text), error);
    };
    std::string path = target.substr(0, target.find('?'));
    if (path == "/ok") {
      reply(200, "hello", "X-Test: yes\r\n");
    } else if (path == "/echo") {
      reply(200, body);
    } else if (path.rfind("/status/", 0) == 0) {
      reply(std::stoi(path.substr(8)), "status " + path.substr(8));
    } else if (path == "/stall") {
      std::unique_lock lock(mutex_);
      stopped_.wait(lock, [this] { return stopping_; });
    } else if (path.rfind("/slow/", 0) == 0) {
      std::unique_lock lock(mutex_);
      stopped_.wait_for(lock, std::chrono::milliseconds(std::stoi(path.substr(6))), [this] { return stopping_; });
      lock.unlock();
      reply(200, "late");
    } else if (path.rfind("/bytes/", 0) == 0) {
      std::string bytes = BodyBytes(std::stoul(path.substr(7)), std::stoull(QueryValue(target, "seed")));
      std::string framing = QueryValue(target, "framing");
      if (framing == "chunked") {
        std::string text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        std::mt19937 random(static_cast<unsigned>(bytes.size()));
        for (std::size_t offset = 0; offset < bytes.size();) {
          std::size_t chunk = std::min<std::size_t>(bytes.size() - offset, 1 + random() % 3000);
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", chunk);
          text += size + bytes.substr(offset, chunk) + "\r\n";
          offset += chunk;
        }
        text += "0\r\n\r\n";
        asio::write(stream, asio::buffer(text), error);
      } else if (framing == "eof") {
        std::string text = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + bytes;
        asio::write(stream, asio::buffer(text), error);
      } else {
        reply(200, bytes);
      }
    } else if (path.rfind("/big-headers/", 0) == 0) {
      std::size_t size = std::stoul(path.substr(13));
      std::string headers;
      for (int i = 0; headers.size() < size; ++i) headers += "X-Filler-" + std::to_string(i) + ": " + std::string(100, 'f') + "\r\n";
      reply(200, "ok", headers);
    } else if (path == "/close") {
      // Nothing: the connection closes below.
    } else {
      reply(404, "no route");
    }
    socket.shutdown(tcp::socket::shutdown_send, error);
    // Let the client read to the end before the socket goes (no reset over unread data).
    char sink[1024];
    socket.non_blocking(false);
    while (!error) socket.read_some(asio::buffer(sink), error);
  }

  bool tls_;
  asio::io_context io_;
  asio::ssl::context tls_context_{asio::ssl::context::tls_server};
  tcp::acceptor acceptor_;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::list<std::thread> connections_;
  std::string last_request_;
  std::string last_server_name_;
  int requests_ = 0;
};

// Collects the completions of many requests: each must come exactly once, on a client thread.
class Completions {
 public:
  std::function<void(Result<OutboundResponse, std::string>)> Callback(int index) {
    return [this, index](Result<OutboundResponse, std::string> outcome) {
      std::lock_guard lock(mutex_);
      ++calls_[index];
      if (std::this_thread::get_id() == test_thread_) ++on_caller_thread_;
      results_.insert_or_assign(index, std::move(outcome));
      finished_at_.insert_or_assign(index, std::chrono::steady_clock::now());
      changed_.notify_all();
    };
  }
  bool WaitFor(std::size_t count, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return results_.size() >= count; });
  }
  Result<OutboundResponse, std::string> Get(int index) {
    std::lock_guard lock(mutex_);
    return results_.at(index);
  }
  bool Has(int index) {
    std::lock_guard lock(mutex_);
    return results_.count(index) > 0;
  }
  std::chrono::steady_clock::time_point FinishedAt(int index) {
    std::lock_guard lock(mutex_);
    return finished_at_.at(index);
  }
  void ExpectEachOnceOffCallerThread() {
    std::lock_guard lock(mutex_);
    for (auto& [index, calls] : calls_) EXPECT_EQ(calls, 1) << "request " << index;
    EXPECT_EQ(on_caller_thread_, 0);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread::id test_thread_ = std::this_thread::get_id();
  std::map<int, int> calls_;
  std::map<int, Result<OutboundResponse, std::string>> results_;
  std::map<int, std::chrono::steady_clock::time_point> finished_at_;
  int on_caller_thread_ = 0;
};

// One request, waited for.
Result<OutboundResponse, std::string> SendAndWait(OutboundHttp& client, OutboundRequest request,
                                                  std::chrono::milliseconds limit = 10s) {
  Completions completions;
  client.Send(std::move(request), completions.Callback(0));
  if (!completions.WaitFor(1, limit)) return Fail(std::string("test: no completion within the limit"));
  completions.ExpectEachOnceOffCallerThread();
  return completions.Get(0);
}

OutboundRequest Post(std::string url, std::string body = "payload") {
  OutboundRequest request;
  request.url = std::move(url);
  request.body = std::move(body);
  request.timeout = 5s;
  return request;
}

std::string HeaderValue(const OutboundResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key.size() == name.size() && std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return {};
}

std::uint16_t UnusedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();  // closed on return: connecting is refused
}

TEST(OutboundHttpClientTest, PostGets200WithBodyAndSendsHostAndContentLength) {
  TestServer server;
  OutboundHttpClient client(1);
  OutboundRequest request = Post(server.Url("/ok"), "the body");
  request.headers = {{"Content-Type", "text/plain; charset=UTF-8"}, {"x-amz-sns-message-type", "Notification"}};
  auto outcome = SendAndWait(client, request);
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_EQ(outcome->status, 200);
  EXPECT_EQ(outcome->body, "hello");
  EXPECT_EQ(HeaderValue(*outcome, "x-test"), "yes");
  std::string sent = server.LastRequest();
  EXPECT_EQ(sent.rfind("POST /ok HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nContent-Length: 8\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nContent-Type: text/plain; charset=UTF-8\r\n"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nx-amz-sns-message-type: Notification\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.substr(sent.size() - 8), "the body");
}

TEST(OutboundHttpClientTest, ErrorStatusesAreResponsesNotErrors) {
  TestServer server;
  OutboundHttpClient client(1);
  for (int status : {500, 404, 301, 204, 429, 503}) {
    auto outcome = SendAndWait(client, Post(server.Url("/status/" + std::to_string(status))));
    ASSERT_TRUE(outcome.ok()) << status << ": " << outcome.error();
    EXPECT_EQ(outcome->status, status);
    if (status != 204) {
      EXPECT_EQ(outcome->body, "status " + std::to_string(status));
    }
  }
}

TEST(OutboundHttpClientTest, CallerFramingHeadersAreReplacedAndHostKeptWhenGiven) {
  TestServer server;
  OutboundHttpClient client(1);
  OutboundRequest request = Post(server.Url("/echo"), std::string("a\0b", 3));
  request.headers = {{"Content-Length", "999"}, {"Transfer-Encoding", "chunked"}, {"Host", "hooks.example"}};
  auto outcome = SendAndWait(client, request);
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_EQ(outcome->body, std::string("a\0b", 3));
  std::string sent = server.LastRequest();
  EXPECT_NE(sent.find("\r\nContent-Length: 3\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("999"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("chunked"), std::string::npos) << sent;
  EXPECT_NE(sent.find("\r\nHost: hooks.example\r\n"), std::string::npos) << sent;
}

TEST(OutboundHttpClientTest, UserInfoInTheUrlBecomesBasicAuthorization) {
  TestServer server;
  OutboundHttpClient client(1);
  std::string url = "http://alice:s%3Acret@127.0.0.1:" + std::to_string(server.port()) + "/ok";
  auto outcome = SendAndWait(client, Post(url));
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  std::string sent = server.LastRequest();
  EXPECT_NE(sent.find("\r\nAuthorization: Basic " + Base64Encode("alice:s:cret") + "\r\n"), std::string::npos) << sent;
  EXPECT_EQ(sent.find("alice"), std::string::npos) << "the user is not in the request line or Host";
}

TEST(OutboundHttpClientTest, GetWithQueryAndLocalhostName) {
  TestServer server;
  OutboundHttpClient client(1);
  OutboundRequest request;
  request.method = "GET";
  request.url = "http://localhost:" + std::to_string(server.port()) + "/ok?Action=ConfirmSubscription&Token=a%2Fb";
  auto outcome = SendAndWait(client, request);
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_EQ(outcome->status, 200);
  std::string sent = server.LastRequest();
  EXPECT_EQ(sent.rfind("GET /ok?Action=ConfirmSubscription&Token=a%2Fb HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("\r\nHost: localhost:" + std::to_string(server.port()) + "\r\n"), std::string::npos) << sent;
}

TEST(OutboundHttpClientTest, ServerThatNeverAnswersTimesOutWithinBound) {
  TestServer server;
  OutboundHttpClient client(1);
  OutboundRequest request = Post(server.Url("/stall"));
  request.timeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  auto outcome = SendAndWait(client, request);
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error(), "timed out after 300 ms waiting for the response from 127.0.0.1:" +
                                std::to_string(server.port()));
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 2s);
}

TEST(OutboundHttpClientTest, RefusedPortAndClosedConnectionAreErrors) {
  OutboundHttpClient client(1);
  std::uint16_t port = UnusedPort();
  auto started = std::chrono::steady_clock::now();
  auto refused = SendAndWait(client, Post("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("cannot connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("refused"), std::string::npos) << refused.error();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);

  TestServer server;
  auto closed = SendAndWait(client, Post(server.Url("/close")));
  ASSERT_FALSE(closed.ok());
  EXPECT_NE(closed.error().find("without a response"), std::string::npos) << closed.error();
}

TEST(OutboundHttpClientTest, MalformedUrlsAndHeadersAreRefusedOnAClientThread) {
  OutboundHttpClient client(1);
  const std::vector<std::pair<std::string, std::string>> urls = {
      {"", "invalid URL"},
      {"not a url", "invalid URL"},
      {"ftp://127.0.0.1/", "unsupported scheme 'ftp'"},
      {"mailto:someone@example.com", "unsupported scheme"},
      {"http://", "no host"},
      {"http:///path", "no host"},
      {"http:relative", "no host"},
      {"http://127.0.0.1:99999/", "bad port"},
      {"http://127.0.0.1:0/", "bad port"},
      {"http://[::1/", "invalid URL"},
      {"http://exa mple.com/", "invalid URL"},
      {"http://[v1.x]/", "unsupported host form"},
  };
  for (const auto& [url, expected] : urls) {
    OutboundRequest request = Post(url);
    auto outcome = SendAndWait(client, request);
    ASSERT_FALSE(outcome.ok()) << url;
    EXPECT_NE(outcome.error().find(expected), std::string::npos) << url << " -> " << outcome.error();
  }
  OutboundRequest bad_header = Post("http://127.0.0.1:1/");
  bad_header.headers = {{"X-Injected", "a\r\nEvil: yes"}};
  auto injected = SendAndWait(client, bad_header);
  ASSERT_FALSE(injected.ok());
  EXPECT_NE(injected.error().find("invalid value for header 'X-Injected'"), std::string::npos) << injected.error();
  bad_header.headers = {{"Bad Name", "v"}};
  auto named = SendAndWait(client, bad_header);
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().find("invalid header name"), std::string::npos) << named.error();
  OutboundRequest bad_method = Post("http://127.0.0.1:1/");
  bad_method.method = "PO ST";
  auto method = SendAndWait(client, bad_method);
  ASSERT_FALSE(method.ok());
  EXPECT_EQ(method.error(), "invalid HTTP method");
  // A password in the URL is never repeated in an error.
  auto secret = SendAndWait(client, Post("http://user:hunter2@127.0.0.1:99999/"));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().find("hunter2"), std::string::npos) << secret.error();
}

TEST(OutboundHttpClientTest, ReplyOverTheCapIsAnErrorInEveryFraming) {
  TestServer server;
  OutboundHttpClient client(1);  // default cap: 1 MiB
  for (const char* framing : {"length", "chunked", "eof"}) {
    auto big = SendAndWait(client, Post(server.Url("/bytes/2097152?seed=1&framing=" + std::string(framing))));
    ASSERT_FALSE(big.ok()) << framing;
    EXPECT_EQ(big.error(), "the response body exceeds 1048576 bytes") << framing;
    auto at_cap = SendAndWait(client, Post(server.Url("/bytes/1048576?seed=2&framing=" + std::string(framing))));
    ASSERT_TRUE(at_cap.ok()) << framing << ": " << at_cap.error();
    EXPECT_EQ(at_cap->body, BodyBytes(1048576, 2)) << framing;
  }
  auto headers = SendAndWait(client, Post(server.Url("/big-headers/100000")));
  ASSERT_FALSE(headers.ok());
  EXPECT_EQ(headers.error(), "the response headers exceed 65536 bytes");
}

TEST(OutboundHttpClientTest, SeededRandomRepliesAndBodiesRoundTrip) {
  std::uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_OUTBOUND_HTTP_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  SCOPED_TRACE("MALLARD_OUTBOUND_HTTP_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  constexpr std::size_t kCap = 16384;
  OutboundHttpClientOptions options;
  options.max_response_body_bytes = kCap;
  OutboundHttpClient client(2, options);
  TestServer server;
  const char* framings[] = {"length", "chunked", "eof"};
  for (int i = 0; i < 60; ++i) {
    std::size_t length = 0;
    switch (random() % 6) {
      case 0: length = 0; break;
      case 1: length = kCap - 1; break;
      case 2: length = kCap; break;
      case 3: length = kCap + 1; break;
      default: length = random() % (2 * kCap); break;
    }
    std::uint64_t body_seed = random();
    std::string framing = framings[random() % 3];
    SCOPED_TRACE("length " + std::to_string(length) + " framing " + framing);
    auto outcome = SendAndWait(client, Post(server.Url("/bytes/" + std::to_string(length) + "?seed=" +
                                                       std::to_string(body_seed) + "&framing=" + framing)));
    if (length > kCap) {
      ASSERT_FALSE(outcome.ok());
      EXPECT_EQ(outcome.error(), "the response body exceeds 16384 bytes");
    } else {
      ASSERT_TRUE(outcome.ok()) << outcome.error();
      EXPECT_EQ(outcome->body, BodyBytes(length, body_seed));
    }
    // And a random request body, echoed back byte for byte.
    std::string sent = BodyBytes(random() % kCap, random());
    auto echoed = SendAndWait(client, Post(server.Url("/echo"), sent));
    ASSERT_TRUE(echoed.ok()) << echoed.error();
    EXPECT_EQ(echoed->body, sent);
  }
}

// Random URL text from what RFC 3986 allows in a path or query (escapes included) — the request
// line must carry it verbatim, the fragment never, and Host must name the authority.
std::string RandomUrlText(std::mt19937_64& random, bool query) {
  static const std::string kPathChars = "abcXYZ019-._~!$&'()*+,;=:@/";
  std::string text;
  std::size_t length = random() % 24;
  for (std::size_t i = 0; i < length; ++i) {
    switch (random() % 6) {
      case 0: {
        static const char* kEscapes[] = {"%20", "%2F", "%3F", "%23", "%25", "%C3%A9", "%00"};
        text += kEscapes[random() % 7];
        break;
      }
      case 1:
        if (query) {
          text += "?/"[random() % 2];
          break;
        }
        [[fallthrough]];
      default:
        text += kPathChars[random() % kPathChars.size()];
    }
  }
  return text;
}

TEST(OutboundHttpClientTest, SeededRandomUrlsReachTheServerVerbatim) {
  std::uint64_t seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_OUTBOUND_HTTP_SEED")) seed = std::strtoull(fixed, nullptr, 10);
  SCOPED_TRACE("MALLARD_OUTBOUND_HTTP_SEED=" + std::to_string(seed));
  std::mt19937_64 random(seed);
  TestServer server;
  OutboundHttpClient client(2);
  for (int i = 0; i < 80; ++i) {
    std::string host = random() % 2 ? "127.0.0.1" : "LocalHost";
    std::string path = "/";  // appended, not "/" + text: GCC 12 warns (-Wrestrict) on that at -O3
    path += RandomUrlText(random, false);
    std::string query = random() % 2 ? RandomUrlText(random, true) : "";
    bool has_query = !query.empty() || random() % 4 == 0;
    bool has_fragment = random() % 3 == 0;
    std::string url = "http://" + host + ":" + std::to_string(server.port()) + path + (has_query ? "?" + query : "") +
                      (has_fragment ? "#" + RandomUrlText(random, true) : "");
    SCOPED_TRACE(url);
    auto outcome = SendAndWait(client, Post(url));
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    std::string sent = server.LastRequest();
    std::string expected_target = path + (has_query ? "?" + query : "");
    EXPECT_EQ(sent.substr(0, sent.find("\r\n")), "POST " + expected_target + " HTTP/1.1");
    EXPECT_NE(sent.find("\r\nHost: " + host + ":" + std::to_string(server.port()) + "\r\n"), std::string::npos) << sent;
  }
}

TEST(OutboundHttpClientTest, StalledEndpointDoesNotDelayFiftyOthers) {
  TestServer stalled_server;
  TestServer server;
  Completions completions;  // outlives the client, whose destructor completes the stalled request
  OutboundHttpClient client(1);  // one thread: nothing may block it
  OutboundRequest stalled = Post(stalled_server.Url("/stall"));
  stalled.timeout = 30s;
  client.Send(stalled, completions.Callback(-1));
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) {
    client.Send(Post(server.Url(i % 2 ? "/ok" : "/slow/100")), completions.Callback(i));
  }
  ASSERT_TRUE(completions.WaitFor(50, 10s));
  for (int i = 0; i < 50; ++i) {
    auto outcome = completions.Get(i);
    ASSERT_TRUE(outcome.ok()) << i << ": " << outcome.error();
    EXPECT_EQ(outcome->body, i % 2 ? "hello" : "late");
    EXPECT_LT(completions.FinishedAt(i) - started, 3s) << i;
  }
  EXPECT_FALSE(completions.Has(-1)) << "the stalled request is still outstanding";
  EXPECT_EQ(server.Requests(), 50);
  completions.ExpectEachOnceOffCallerThread();
}

TEST(OutboundHttpClientTest, DestructionCompletesOutstandingRequestsWithAnError) {
  TestServer server;
  Completions completions;
  auto started = std::chrono::steady_clock::now();
  {
    OutboundHttpClient client(2);
    for (int i = 0; i < 10; ++i) {
      OutboundRequest request = Post(server.Url("/stall"));
      request.timeout = 60s;
      client.Send(request, completions.Callback(i));
    }
    while (server.Requests() < 10 && std::chrono::steady_clock::now() - started < 5s) std::this_thread::sleep_for(5ms);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_TRUE(completions.WaitFor(10, 0ms)) << "every request completed before the destructor returned";
  for (int i = 0; i < 10; ++i) {
    auto outcome = completions.Get(i);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error(), "the HTTP client is shutting down");
  }
  completions.ExpectEachOnceOffCallerThread();
}

TEST(OutboundHttpClientTest, HttpsWithSelfSignedCertificateAndSni) {
  TestServer server(/*tls=*/true);
  OutboundHttpClient client(1);
  auto by_name = SendAndWait(client, Post("https://localhost:" + std::to_string(server.port()) + "/echo", "secret"));
  ASSERT_TRUE(by_name.ok()) << by_name.error();
  EXPECT_EQ(by_name->status, 200);
  EXPECT_EQ(by_name->body, "secret");
  EXPECT_EQ(server.LastServerName(), "localhost");
  auto by_address = SendAndWait(client, Post(server.Url("/ok")));
  ASSERT_TRUE(by_address.ok()) << by_address.error();
  EXPECT_EQ(by_address->body, "hello");
  EXPECT_EQ(server.LastServerName(), "") << "no SNI for an address";
  auto big = SendAndWait(client, Post(server.Url("/bytes/2000000?seed=3&framing=eof")));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error(), "the response body exceeds 1048576 bytes");
  auto eof_framed = SendAndWait(client, Post(server.Url("/bytes/50000?seed=4&framing=eof")));
  ASSERT_TRUE(eof_framed.ok()) << eof_framed.error();
  EXPECT_EQ(eof_framed->body, BodyBytes(50000, 4));
}

TEST(OutboundHttpClientTest, HttpsVerificationRefusesAnUntrustedCertificate) {
  TestServer server(/*tls=*/true);
  OutboundHttpClientOptions options;
  options.verify_certificates = true;
  OutboundHttpClient client(1, options);
  auto outcome = SendAndWait(client, Post("https://localhost:" + std::to_string(server.port()) + "/ok"));
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().find("TLS handshake with localhost:" + std::to_string(server.port()) + " failed"),
            std::string::npos)
      << outcome.error();
  EXPECT_NE(outcome.error().find("certificate verify failed"), std::string::npos) << outcome.error();
  EXPECT_EQ(server.Requests(), 0);
}

TEST(OutboundHttpClientTest, SchemeMismatchesFailCleanly) {
  TestServer plain;
  TestServer tls(/*tls=*/true);
  OutboundHttpClient client(1);
  OutboundRequest tls_to_plain = Post("https://127.0.0.1:" + std::to_string(plain.port()) + "/ok");
  tls_to_plain.timeout = 2s;
  auto first = SendAndWait(client, tls_to_plain);
  ASSERT_FALSE(first.ok());
  // The test server waits for a blank line that a ClientHello never holds: the deadline ends it.
  EXPECT_NE(first.error().find("timed out after 2000 ms in the TLS handshake with 127.0.0.1:" + std::to_string(plain.port())),
            std::string::npos)
      << first.error();
  OutboundRequest plain_to_tls = Post("http://127.0.0.1:" + std::to_string(tls.port()) + "/ok");
  plain_to_tls.timeout = 2s;
  auto second = SendAndWait(client, plain_to_tls);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("127.0.0.1:" + std::to_string(tls.port())), std::string::npos) << second.error();
}

}  // namespace
}  // namespace mallard::http

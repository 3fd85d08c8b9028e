// HttpServer's streamed bodies (BodyReading::kStreamed, HttpResponse::body_source), 100-continue and
// the buffered modes, driven over loopback with raw POSIX sockets. Bodies are position-keyed
// pseudo-random bytes (PatternByte), so any chunking is checked against an independent reference:
// a lost, doubled or reordered byte shows as the first offset that differs.
// MALLARD_HTTP_STREAMING_SEED=n replays the randomised tests.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/content_encoding.hpp"
#include "http/http_server.hpp"

namespace mallard::http {
namespace {
using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1024 * 1024;

std::uint64_t Seed() {
  static const std::uint64_t seed = [] {
    const char* text = std::getenv("MALLARD_HTTP_STREAMING_SEED");
    std::uint64_t value = text != nullptr ? std::strtoull(text, nullptr, 10) : std::random_device{}();
    std::printf("MALLARD_HTTP_STREAMING_SEED=%llu\n", static_cast<unsigned long long>(value));
    return value;
  }();
  return seed;
}

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Byte `offset` of the body keyed by `key`: any slice can be produced or checked on its own.
void PatternBytes(std::uint64_t key, std::uint64_t offset, char* out, std::size_t count) {
  std::uint64_t word = SplitMix(key ^ SplitMix(offset / 8));
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t position = offset + i;
    if (position % 8 == 0) word = SplitMix(key ^ SplitMix(position / 8));
    out[i] = static_cast<char>((word >> (8 * (position % 8))) & 0xFF);
  }
}

std::string Pattern(std::uint64_t key, std::uint64_t offset, std::size_t count) {
  std::string bytes(count, '\0');
  PatternBytes(key, offset, bytes.data(), count);
  return bytes;
}

// Checks received pieces against the pattern; remembers the first offset that differs.
struct PatternChecker {
  std::uint64_t key;
  std::uint64_t received = 0;
  std::optional<std::uint64_t> first_mismatch;
  void Check(std::string_view piece) {
    std::string expected = Pattern(key, received, piece.size());
    if (!first_mismatch && piece != expected) {
      std::size_t at = 0;
      while (piece[at] == expected[at]) ++at;
      first_mismatch = received + at;
    }
    received += piece.size();
  }
};

long RssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

struct Piece {
  std::string bytes;
  std::string error;
};

// One Read, waited for (handler-side code runs on threads of the test's own).
Piece ReadPiece(RequestBodyStream& stream, std::chrono::seconds timeout = 30s) {
  auto promise = std::make_shared<std::promise<Piece>>();
  auto future = promise->get_future();
  stream.Read([promise](std::string bytes, std::string error) { promise->set_value({std::move(bytes), std::move(error)}); });
  if (future.wait_for(timeout) != std::future_status::ready) return {{}, "test: Read did not complete"};
  return future.get();
}

// A response body from the pattern, in random piece sizes, each completed on a thread of its own.
// `fail_after` / `extra` make it fail midway or give more than Length().
class PatternSource : public ResponseBodySource {
 public:
  PatternSource(std::uint64_t key, std::uint64_t length, std::uint64_t seed) : key_(key), length_(length), random_(seed) {}
  std::uint64_t Length() const override { return length_; }
  void Read(BodyReadDone done) override {
    ++reads;
    std::uint64_t piece = std::uniform_int_distribution<std::uint64_t>(1, 512 * 1024)(random_);
    std::uint64_t end = length_ + extra;
    std::string error;
    std::string bytes;
    if (fail_after && offset_ >= *fail_after) {
      error = "test: the source failed";
    } else if (offset_ < end) {
      piece = std::min(piece, end - offset_);
      bytes = Pattern(key_, offset_, piece);
      offset_ += piece;
    }
    std::thread([done = std::move(done), bytes = std::move(bytes), error = std::move(error)]() mutable {
      done(std::move(bytes), std::move(error));
    }).detach();
  }
  std::atomic<int> reads{0};
  std::optional<std::uint64_t> fail_after;
  std::uint64_t extra = 0;

 private:
  std::uint64_t key_;
  std::uint64_t length_;
  std::uint64_t offset_ = 0;
  std::mt19937_64 random_;
};

// Paths choose the reading mode: /stream/... kStreamed, /raw/... kBufferedRaw, others kBuffered.
// Each test sets `on_request`; handler work that blocks runs on Spawn()ed threads.
class TestHandler : public HttpHandler {
 public:
  std::function<void(HttpRequest, Responder)> on_request;

  BodyReading BodyReadingFor(const HttpRequest& request) override {
    if (request.path.rfind("/stream", 0) == 0) return BodyReading::kStreamed;
    if (request.path.rfind("/raw", 0) == 0) return BodyReading::kBufferedRaw;
    return BodyReading::kBuffered;
  }
  void Handle(HttpRequest request, Responder respond) override { on_request(std::move(request), std::move(respond)); }
  HttpResponse RejectOversizedBody(const HttpRequest&, std::size_t limit) override {
    return Text(413, "too large: " + std::to_string(limit));
  }
  HttpResponse RejectMalformedRequest(const std::string& reason) override { return Text(400, "malformed: " + reason); }

  void Spawn(std::function<void()> work) {
    std::lock_guard lock(mutex_);
    threads_.emplace_back(std::move(work));
  }
  void JoinSpawned() {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (auto& thread : threads) thread.join();
  }

  static HttpResponse Text(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }

 private:
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

// A blocking loopback client with timeouts, reading HTTP/1.1 responses by hand.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) ADD_FAILURE() << "connect failed";
  }
  ~Client() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // The receive timeout, for reads that are expected to find nothing.
  void SetReadTimeout(std::chrono::milliseconds timeout) {
    timeval value{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      sent_ += static_cast<std::uint64_t>(sent);
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }
  std::uint64_t BytesSent() const { return sent_; }

  // Bytes available next: what is buffered, else one recv. Empty at EOF, error or timeout.
  bool Fill() {
    char chunk[65536];
    auto got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    pending_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  struct Response {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    bool complete = false;  // the whole Content-Length arrived
    std::string Header(std::string_view name) const {
      for (const auto& [key, value] : headers) {
        if (key == name) return value;
      }
      return {};
    }
  };

  // The next response (an interim 100 Continue is a response of its own). `body_sink`, when set,
  // gets the body's bytes instead of Response::body.
  Response ReadResponse(bool head = false, std::function<void(std::string_view)> body_sink = nullptr) {
    Response response;
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return response;
    }
    std::string head_text = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    response.status = std::atoi(head_text.c_str() + 9);
    std::size_t line = head_text.find("\r\n");
    while (line != std::string::npos) {
      std::size_t next = head_text.find("\r\n", line + 2);
      std::string field = head_text.substr(line + 2, next == std::string::npos ? std::string::npos : next - line - 2);
      std::size_t colon = field.find(':');
      std::string name = field.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = field.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      response.headers.emplace_back(name, value);
      line = next;
    }
    if (response.status == 100 || head) {
      response.complete = true;
      return response;
    }
    std::uint64_t length = std::strtoull(response.Header("content-length").c_str(), nullptr, 10);
    std::uint64_t received = 0;
    for (;;) {
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(pending_.size(), length - received));
      if (take > 0) {
        if (body_sink) {
          body_sink(std::string_view(pending_).substr(0, take));
        } else {
          response.body.append(pending_, 0, take);
        }
        pending_.erase(0, take);
        received += take;
      }
      if (received == length) break;
      if (!Fill()) break;
    }
    response.complete = received == length;
    return response;
  }

  // True when the server closed the connection (EOF or reset) with nothing more to read.
  bool ClosedByServer() {
    if (!pending_.empty()) return false;
    char byte;
    auto got = ::recv(fd_, &byte, 1, 0);
    return got == 0 || (got < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
  std::atomic<std::uint64_t> sent_{0};
  std::string pending_;
};

std::string ChunkedFraming(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

class HttpServerStreamingTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.shutdown_grace_seconds = 5;
    server_ = std::make_unique<HttpServer>(options, handler_);
    auto port = server_->Start();
    ASSERT_TRUE(port.ok());
    port_ = *port;
  }
  void TearDown() override {
    handler_->JoinSpawned();
    if (server_) {
      server_->Stop();
      server_->Join();
    }
  }

  // The handler for /stream/check: reads the whole body slowly or quickly, checks it against the
  // pattern keyed by the X-Key header and answers "<bytes> <first mismatch or ok> <largest piece>".
  void HandleStreamedCheck(HttpRequest request, Responder respond, std::function<void(std::uint64_t)> after_piece = {}) {
    handler_->Spawn([request = std::move(request), respond = std::move(respond), after_piece]() mutable {
      PatternChecker checker{std::strtoull(request.Header("x-key")->c_str(), nullptr, 10)};
      std::size_t largest = 0;
      std::string error;
      for (;;) {
        Piece piece = ReadPiece(*request.body_stream);
        if (!piece.error.empty()) {
          error = piece.error;
          break;
        }
        if (piece.bytes.empty()) break;
        largest = std::max(largest, piece.bytes.size());
        checker.Check(piece.bytes);
        if (after_piece) after_piece(checker.received);
      }
      auto declared = request.body_stream->DeclaredLength();
      std::string verdict = !error.empty()            ? "error:" + error
                            : checker.first_mismatch ? "mismatch@" + std::to_string(*checker.first_mismatch)
                                                     : "ok";
      respond(TestHandler::Text(200, std::to_string(checker.received) + " " + verdict + " " + std::to_string(largest) +
                                         " " + (declared ? std::to_string(*declared) : "chunked")));
    });
  }

  std::shared_ptr<TestHandler> handler_ = std::make_shared<TestHandler>();
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

// Sends `length` pattern bytes as the body of a streamed upload, in random write sizes (and random
// chunk sizes when chunked).
void SendPatternBody(Client& client, std::uint64_t key, std::uint64_t length, bool chunked, std::mt19937_64& random) {
  std::uint64_t offset = 0;
  while (offset < length) {
    std::uint64_t size = std::min<std::uint64_t>(length - offset, std::uniform_int_distribution<std::uint64_t>(1, 2 * kMiB)(random));
    std::string data = Pattern(key, offset, static_cast<std::size_t>(size));
    if (!client.Send(chunked ? ChunkedFraming(data) : data)) return;
    offset += size;
  }
  if (chunked) client.Send("0\r\n\r\n");
}

TEST_F(HttpServerStreamingTest, StreamedUploadsArriveIntactInOrderWithBoundedPieces) {
  Start();
  handler_->on_request = [this](HttpRequest request, Responder respond) {
    EXPECT_TRUE(request.body.empty());
    ASSERT_NE(request.body_stream, nullptr);
    HandleStreamedCheck(std::move(request), std::move(respond));
  };
  std::mt19937_64 random(Seed());
  Client client(port_);  // one keep-alive connection for all of them
  for (int round = 0; round < 6; ++round) {
    bool chunked = round % 2 == 1;
    std::uint64_t length = round < 2 ? 64 * kMiB : std::uniform_int_distribution<std::uint64_t>(1, 8 * kMiB)(random);
    std::uint64_t key = random();
    std::string head = "PUT /stream/check HTTP/1.1\r\nHost: x\r\nX-Key: " + std::to_string(key) + "\r\n" +
                       (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(length) + "\r\n") +
                       "\r\n";
    ASSERT_TRUE(client.Send(head));
    SendPatternBody(client, key, length, chunked, random);
    auto response = client.ReadResponse();
    ASSERT_EQ(response.status, 200) << "round " << round;
    std::istringstream verdict(response.body);
    std::uint64_t received = 0, largest = 0;
    std::string outcome, declared;
    verdict >> received >> outcome >> largest >> declared;
    EXPECT_EQ(received, length) << "round " << round << ": " << response.body;
    EXPECT_EQ(outcome, "ok") << "round " << round;
    EXPECT_LE(largest, 256 * 1024) << "one Read hands over at most a bounded piece";
    EXPECT_EQ(declared, chunked ? "chunked" : std::to_string(length));
    EXPECT_EQ(response.Header("connection"), "");  // keep-alive: the body was read to its end
  }
}

TEST_F(HttpServerStreamingTest, ASlowReaderHoldsTheClientBackAndMemoryStaysBounded) {
  Start();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<std::uint64_t> handler_received{0};
  handler_->on_request = [&](HttpRequest request, Responder respond) {
    HandleStreamedCheck(std::move(request), std::move(respond), [&](std::uint64_t received) {
      handler_received = received;
      if (received >= kMiB) released.wait();  // stalls after the first MiB until the test lets go
    });
  };
  const std::uint64_t length = 64 * kMiB;
  const std::uint64_t key = Seed() ^ 0x51;
  long rss_before = RssKiB();
  Client client(port_);
  ASSERT_TRUE(client.Send("PUT /stream/check HTTP/1.1\r\nHost: x\r\nX-Key: " + std::to_string(key) +
                          "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n"));
  std::thread sender([&] {
    std::mt19937_64 random(Seed());
    SendPatternBody(client, key, length, false, random);
  });
  // The stalled handler stops the server reading: the client's sends stop once the socket buffers fill.
  std::this_thread::sleep_for(1500ms);
  std::uint64_t sent_at_first = client.BytesSent();
  std::this_thread::sleep_for(1000ms);
  std::uint64_t sent_later = client.BytesSent();
  EXPECT_EQ(sent_at_first, sent_later) << "the client kept sending while nobody read";
  EXPECT_LT(sent_later, 40 * kMiB) << "more than the socket buffers were taken in";
  EXPECT_LT(handler_received.load(), 2 * kMiB);
  release.set_value();
  sender.join();
  auto response = client.ReadResponse();
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.body.substr(0, response.body.find(' ', response.body.find(' ') + 1)),
            std::to_string(length) + " ok");
  long growth_kib = RssKiB() - rss_before;
  EXPECT_LT(growth_kib, 40 * 1024) << "a 64 MiB upload must not be held in memory";
}

TEST_F(HttpServerStreamingTest, ContinueIsSentOnTheFirstReadOnly) {
  Start();
  handler_->on_request = [this](HttpRequest request, Responder respond) {
    if (request.path == "/stream/refuse") {
      respond(TestHandler::Text(403, "refused unread"));
      return;
    }
    if (request.path == "/stream/refuse-then-read") {
      // A Read after answering must not write a 100 Continue into (or after) the response.
      respond(TestHandler::Text(403, std::string(300000, 'r')));
      handler_->Spawn([stream = request.body_stream] { EXPECT_FALSE(ReadPiece(*stream).error.empty()); });
      return;
    }
    HandleStreamedCheck(std::move(request), std::move(respond));
  };
  const std::uint64_t key = Seed() ^ 0xC0;
  {
    Client client(port_);
    ASSERT_TRUE(client.Send("PUT /stream/check HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nX-Key: " +
                            std::to_string(key) + "\r\nContent-Length: 1000\r\n\r\n"));
    auto interim = client.ReadResponse();
    ASSERT_EQ(interim.status, 100);
    ASSERT_TRUE(client.Send(Pattern(key, 0, 1000)));
    auto response = client.ReadResponse();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body.substr(0, 7), "1000 ok");
  }
  {
    Client client(port_);
    ASSERT_TRUE(client.Send("PUT /stream/refuse HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n"));
    auto response = client.ReadResponse();
    EXPECT_EQ(response.status, 403) << "no 100 Continue when the handler answers without reading";
    EXPECT_EQ(response.body, "refused unread");
    EXPECT_EQ(response.Header("connection"), "close");
    EXPECT_TRUE(client.ClosedByServer());
  }
  {
    Client client(port_);
    ASSERT_TRUE(client.Send("PUT /stream/refuse-then-read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                            "Content-Length: 5000000\r\n\r\n"));
    auto response = client.ReadResponse();
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(response.body, std::string(300000, 'r'));
    EXPECT_TRUE(client.ClosedByServer()) << "nothing may follow the response";
  }
}

TEST_F(HttpServerStreamingTest, BufferedBodiesGetContinueButAnOversizedOneIsRefusedAtOnce) {
  HttpServerOptions options;
  options.body_limit = 4096;
  Start(options);
  handler_->on_request = [](HttpRequest request, Responder respond) {
    respond(TestHandler::Text(200, "got " + std::to_string(request.body.size())));
  };
  {
    Client client(port_);
    ASSERT_TRUE(client.Send("POST /buffered HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"));
    ASSERT_EQ(client.ReadResponse().status, 100);
    ASSERT_TRUE(client.Send("0123456789"));
    auto response = client.ReadResponse();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "got 10");
  }
  {
    Client client(port_);
    ASSERT_TRUE(client.Send("POST /raw HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4097\r\n\r\n"));
    auto response = client.ReadResponse();
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(response.body, "too large: 4096");
    EXPECT_TRUE(client.ClosedByServer());
  }
  {
    // Chunked: counted as it arrives.
    Client client(port_);
    ASSERT_TRUE(client.Send("POST /buffered HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            ChunkedFraming(std::string(3000, 'a')) + ChunkedFraming(std::string(3000, 'b')) +
                            "0\r\n\r\n"));
    EXPECT_EQ(client.ReadResponse().status, 413);
  }
}

TEST_F(HttpServerStreamingTest, AnAnswerWithoutReadingTheBodyArrivesWholeThenTheConnectionCloses) {
  Start();
  handler_->on_request = [](HttpRequest request, Responder respond) {
    respond(TestHandler::Text(400, std::string(100000, 'e')));  // larger than one segment
  };
  Client client(port_);
  const std::uint64_t length = 32 * kMiB;
  ASSERT_TRUE(client.Send("PUT /stream/early HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) +
                          "\r\n\r\n"));
  std::thread sender([&] {
    std::mt19937_64 random(Seed());
    SendPatternBody(client, 7, length, false, random);  // stops early when the server closes
  });
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 400);
  EXPECT_TRUE(response.complete);
  EXPECT_EQ(response.body, std::string(100000, 'e'));
  EXPECT_EQ(response.Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByServer());
  sender.join();
}

TEST_F(HttpServerStreamingTest, StreamedResponsesArriveIntactAndHeadDoesNotReadTheSource) {
  Start();
  std::mt19937_64 random(Seed() ^ 0x5EED);
  std::shared_ptr<PatternSource> head_source;
  handler_->on_request = [&](HttpRequest request, Responder respond) {
    std::uint64_t key = std::strtoull(request.Header("x-key")->c_str(), nullptr, 10);
    std::uint64_t length = std::strtoull(request.Header("x-length")->c_str(), nullptr, 10);
    HttpResponse response;
    response.SetHeader("Content-Type", "application/octet-stream");
    auto source = std::make_shared<PatternSource>(key, length, key + 1);
    if (request.method == "HEAD") head_source = source;
    response.body_source = source;
    respond(std::move(response));
  };
  Client client(port_);
  for (int round = 0; round < 5; ++round) {
    std::uint64_t length = round == 0 ? 64 * kMiB : std::uniform_int_distribution<std::uint64_t>(0, 6 * kMiB)(random);
    std::uint64_t key = random();
    bool head = round == 2;
    ASSERT_TRUE(client.Send(std::string(head ? "HEAD" : "GET") + " /object HTTP/1.1\r\nHost: x\r\nX-Key: " +
                            std::to_string(key) + "\r\nX-Length: " + std::to_string(length) + "\r\n\r\n"));
    PatternChecker checker{key};
    auto response = client.ReadResponse(head, [&](std::string_view bytes) { checker.Check(bytes); });
    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.Header("content-length"), std::to_string(length));
    EXPECT_FALSE(response.Header("date").empty());
    EXPECT_TRUE(response.complete);
    EXPECT_EQ(checker.received, head ? 0 : length);
    EXPECT_FALSE(checker.first_mismatch.has_value()) << "round " << round << " at " << *checker.first_mismatch;
  }
  ASSERT_NE(head_source, nullptr);
  EXPECT_EQ(head_source->reads.load(), 0);
}

TEST_F(HttpServerStreamingTest, ASourceThatFailsEndsEarlyOrOverrunsClosesTheConnection) {
  Start();
  handler_->on_request = [](HttpRequest request, Responder respond) {
    HttpResponse response;
    auto source = std::make_shared<PatternSource>(3, 10 * kMiB, 4);
    if (request.path == "/fail") source->fail_after = 3 * kMiB;
    if (request.path == "/overrun") source->extra = 1;
    response.body_source = source;
    if (request.path == "/short") {
      // A source that says 10 MiB but ends after 2.
      class Short : public ResponseBodySource {
       public:
        std::uint64_t Length() const override { return 10 * kMiB; }
        void Read(BodyReadDone done) override {
          done(sent_++ < 2 ? Pattern(3, (sent_ - 1) * kMiB, kMiB) : std::string(), {});
        }
        std::uint64_t sent_ = 0;
      };
      response.body_source = std::make_shared<Short>();
    }
    respond(std::move(response));
  };
  for (std::string path : {"/fail", "/overrun", "/short"}) {
    Client client(port_);
    ASSERT_TRUE(client.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    PatternChecker checker{3};
    auto response = client.ReadResponse(false, [&](std::string_view bytes) { checker.Check(bytes); });
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.Header("content-length"), std::to_string(10 * kMiB));
    EXPECT_FALSE(response.complete) << path << ": the client must see a truncated body";
    EXPECT_LT(checker.received, 10 * kMiB) << path;
    EXPECT_FALSE(checker.first_mismatch.has_value()) << path << ": no wrong byte is ever sent";
    if (path == "/fail") EXPECT_GE(checker.received, 3 * kMiB);
    if (path == "/short") EXPECT_EQ(checker.received, 2 * kMiB);
    EXPECT_TRUE(client.ClosedByServer()) << path;
  }
}

TEST_F(HttpServerStreamingTest, RawBodiesKeepTheirContentEncodingAndBufferedOnesAreDecoded) {
  Start();
  handler_->on_request = [](HttpRequest request, Responder respond) {
    const std::string* encoding = request.Header("content-encoding");
    respond(TestHandler::Text(200, (encoding ? *encoding : std::string("none")) + "|" + request.body));
  };
  std::string plain = Pattern(Seed(), 0, 50000);
  std::string compressed = Gzip(plain);
  auto post = [&](const std::string& path, const std::string& encoding, const std::string& body) {
    Client client(port_);
    client.Send("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Encoding: " + encoding +
                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return client.ReadResponse();
  };
  auto raw = post("/raw/object", "gzip", compressed);
  EXPECT_EQ(raw.status, 200);
  EXPECT_TRUE(raw.body == "gzip|" + compressed) << "kBufferedRaw must keep the bytes as sent";
  auto chunked = post("/raw/object", "aws-chunked", "not decoded");
  EXPECT_EQ(chunked.body, "aws-chunked|not decoded") << "kBufferedRaw must not refuse a coding it does not know";
  auto decoded = post("/buffered", "gzip", compressed);
  EXPECT_EQ(decoded.status, 200);
  EXPECT_TRUE(decoded.body == "none|" + plain) << "kBuffered decodes gzip and drops the header";
  EXPECT_EQ(post("/buffered", "aws-chunked", "x").status, 400) << "kBuffered still refuses an unknown coding";
}

TEST_F(HttpServerStreamingTest, LargeBufferedBodiesArriveWholeOnAKeptConnection) {
  Start();
  handler_->on_request = [](HttpRequest request, Responder respond) {
    PatternChecker checker{std::strtoull(request.Header("x-key")->c_str(), nullptr, 10)};
    checker.Check(request.body);
    respond(TestHandler::Text(200, std::to_string(checker.received) + (checker.first_mismatch ? " mismatch" : " ok")));
  };
  std::mt19937_64 random(Seed() ^ 0xB0D7);
  Client client(port_);
  for (int round = 0; round < 6; ++round) {
    bool chunked = round % 2 == 1;
    std::uint64_t key = random();
    std::uint64_t length = std::uniform_int_distribution<std::uint64_t>(1, 12 * kMiB)(random);
    ASSERT_TRUE(client.Send(std::string(round % 3 == 0 ? "POST /raw/x" : "POST /buffered") +
                            " HTTP/1.1\r\nHost: x\r\nX-Key: " + std::to_string(key) + "\r\n" +
                            (chunked ? std::string("Transfer-Encoding: chunked\r\n")
                                     : "Content-Length: " + std::to_string(length) + "\r\n") +
                            "\r\n"));
    std::thread sender([&] { SendPatternBody(client, key, length, chunked, random); });
    auto response = client.ReadResponse();
    sender.join();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, std::to_string(length) + " ok") << "round " << round;
  }
}

TEST_F(HttpServerStreamingTest, PipelinedRequestsAroundAStreamedOneKeepTheirOrder) {
  Start();
  handler_->on_request = [this](HttpRequest request, Responder respond) {
    if (request.body_stream) return HandleStreamedCheck(std::move(request), std::move(respond));
    respond(TestHandler::Text(200, request.method + " " + request.path + " " + request.body));
  };
  std::mt19937_64 random(Seed() ^ 0x919E);
  for (int round = 0; round < 4; ++round) {
    bool chunked = round % 2 == 1;
    std::uint64_t key = random();
    std::uint64_t length = std::uniform_int_distribution<std::uint64_t>(1, 3 * kMiB)(random);
    std::string body = Pattern(key, 0, static_cast<std::size_t>(length));
    std::string all = "GET /first HTTP/1.1\r\nHost: x\r\n\r\n";
    all += "PUT /stream/check HTTP/1.1\r\nHost: x\r\nX-Key: " + std::to_string(key) + "\r\n";
    all += chunked ? "Transfer-Encoding: chunked\r\n\r\n" + ChunkedFraming(body.substr(0, length / 2)) +
                         ChunkedFraming(body.substr(length / 2)) + "0\r\n\r\n"
                   : "Content-Length: " + std::to_string(length) + "\r\n\r\n" + body;
    all += "POST /last HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nlast";
    Client client(port_);
    std::thread sender([&] { client.Send(all); });
    auto first = client.ReadResponse();
    auto streamed = client.ReadResponse();
    auto last = client.ReadResponse();
    sender.join();
    EXPECT_EQ(first.body, "GET /first ");
    EXPECT_EQ(streamed.body.substr(0, streamed.body.find(' ', streamed.body.find(' ') + 1)),
              std::to_string(length) + " ok");
    EXPECT_EQ(last.body, "POST /last last");
  }
}

TEST_F(HttpServerStreamingTest, AClientThatLeavesMidUploadFailsTheReadAndALaterReadFailsToo) {
  Start();
  std::promise<std::pair<std::uint64_t, std::string>> outcome;
  std::promise<std::shared_ptr<RequestBodyStream>> kept;
  handler_->on_request = [&](HttpRequest request, Responder respond) {
    handler_->Spawn([&, request = std::move(request), respond = std::move(respond)]() mutable {
      std::uint64_t received = 0;
      for (;;) {
        Piece piece = ReadPiece(*request.body_stream);
        if (!piece.error.empty()) {
          outcome.set_value({received, piece.error});
          break;
        }
        if (piece.bytes.empty()) {
          outcome.set_value({received, "ended"});
          break;
        }
        received += piece.bytes.size();
      }
      kept.set_value(request.body_stream);
      respond(TestHandler::Text(500, "late"));
    });
  };
  {
    Client client(port_);
    ASSERT_TRUE(client.Send("PUT /stream/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"));
    ASSERT_TRUE(client.Send(Pattern(1, 0, kMiB)));
    std::this_thread::sleep_for(200ms);
  }  // the client leaves
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  auto [received, error] = future.get();
  EXPECT_LE(received, kMiB);
  EXPECT_NE(error, "ended");
  auto stream = kept.get_future().get();
  handler_->JoinSpawned();
  std::this_thread::sleep_for(200ms);  // the response is written (or fails) and the connection ends
  EXPECT_FALSE(ReadPiece(*stream, 5s).error.empty());
  server_->Stop();
  server_->Join();
  server_.reset();
  EXPECT_FALSE(ReadPiece(*stream, 5s).error.empty()) << "a Read after the server is gone fails, never crashes";
}

TEST_F(HttpServerStreamingTest, AReadAfterAnUnreadBodyWasAnsweredFails) {
  Start();
  std::promise<std::shared_ptr<RequestBodyStream>> kept;
  handler_->on_request = [&](HttpRequest request, Responder respond) {
    kept.set_value(request.body_stream);
    respond(TestHandler::Text(204, ""));
  };
  Client client(port_);
  ASSERT_TRUE(client.Send("PUT /stream/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 204);
  auto stream = kept.get_future().get();
  Piece piece = ReadPiece(*stream, 5s);
  EXPECT_FALSE(piece.error.empty());
  EXPECT_TRUE(piece.bytes.empty());
  client.Close();
}

TEST_F(HttpServerStreamingTest, AStreamedBodyOverItsLimitFailsTheRead) {
  HttpServerOptions options;
  options.streamed_body_limit = kMiB;
  options.body_limit = 1024;  // the buffered limit does not apply to streamed bodies
  Start(options);
  handler_->on_request = [this](HttpRequest request, Responder respond) {
    HandleStreamedCheck(std::move(request), std::move(respond));
  };
  for (bool chunked : {false, true}) {
    Client client(port_);
    std::uint64_t length = chunked ? 2 * kMiB : kMiB + 1;
    ASSERT_TRUE(client.Send("PUT /stream/check HTTP/1.1\r\nHost: x\r\nX-Key: 9\r\n" +
                            (chunked ? std::string("Transfer-Encoding: chunked\r\n")
                                     : "Content-Length: " + std::to_string(length) + "\r\n") +
                            "\r\n"));
    std::thread sender([&] {
      std::mt19937_64 random(Seed());
      SendPatternBody(client, 9, length, chunked, random);
    });
    auto response = client.ReadResponse();
    EXPECT_NE(response.body.find("error:"), std::string::npos) << response.body;
    EXPECT_NE(response.body.find("limit"), std::string::npos) << response.body;
    EXPECT_EQ(response.Header("connection"), "close");
    EXPECT_TRUE(client.ClosedByServer());
    sender.join();
  }
  // Exactly at the limit is fine.
  Client client(port_);
  ASSERT_TRUE(client.Send("PUT /stream/check HTTP/1.1\r\nHost: x\r\nX-Key: 9\r\nContent-Length: " +
                          std::to_string(kMiB) + "\r\n\r\n" + Pattern(9, 0, kMiB)));
  EXPECT_EQ(client.ReadResponse().body.substr(0, 10), std::to_string(kMiB) + " ok");
}

TEST_F(HttpServerStreamingTest, AStopWaitsForAStreamedRequestInFlight) {
  Start();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  handler_->on_request = [&](HttpRequest request, Responder respond) {
    HandleStreamedCheck(std::move(request), std::move(respond), [&](std::uint64_t) { released.wait(); });
  };
  Client client(port_);
  ASSERT_TRUE(client.Send("PUT /stream/check HTTP/1.1\r\nHost: x\r\nX-Key: 5\r\nContent-Length: 100000\r\n\r\n" +
                          Pattern(5, 0, 100000)));
  std::this_thread::sleep_for(200ms);
  server_->Stop();
  std::this_thread::sleep_for(300ms);
  release.set_value();
  auto response = client.ReadResponse();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.substr(0, 9), "100000 ok");
  EXPECT_EQ(response.Header("connection"), "close");
}

}  // namespace
}  // namespace mallard::http

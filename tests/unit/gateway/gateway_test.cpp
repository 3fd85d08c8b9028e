// Gateway behaviour independent of any real service: routing by X-Amz-Target, response
// compression, the x-amz-crc32 checksum of the bytes sent, and large bodies handled off the
// network thread.
#include "gateway/gateway.hpp"

#include <arpa/inet.h>
#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "http/content_encoding.hpp"
#include "http/http_server.hpp"

namespace mallard::gateway {
namespace {

class EchoService final : public services::Service {
 public:
  const services::ServiceDescriptor& Descriptor() const override {
    static const services::ServiceDescriptor descriptor = [] {
      services::ServiceDescriptor d;
      d.name = "echo";
      d.signing_name = "echo";
      d.json_target_prefix = "Echo_20240101";
      d.crc32_header = true;
      d.operations = {"Echo"};
      return d;
    }();
    return descriptor;
  }
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override {
    done(request.input);
  }
  void Reset() override {}
  std::string StoreName() const override { return "none"; }
};

const std::string* FindHeader(const http::HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

http::HttpResponse Call(Gateway& gateway, std::string body, bool accept_gzip) {
  http::HttpRequest request;
  request.method = "POST";
  request.path.assign(1, '/');  // not = "/": GCC 12 -Wrestrict false positive (bug 105329)
  request.target.assign(1, '/');
  request.headers = {{"x-amz-target", "Echo_20240101.Echo"}, {"content-type", "application/x-amz-json-1.0"}};
  if (accept_gzip) request.headers.emplace_back("accept-encoding", "gzip, deflate");
  request.body = std::move(body);
  http::HttpResponse captured;
  gateway.Handle(std::move(request), [&captured](http::HttpResponse response) { captured = std::move(response); });
  return captured;
}

std::string Crc32Of(const std::string& bytes) {
  return std::to_string(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

TEST(GatewayTest, Crc32CoversTheBytesSentCompressedOrNot) {
  Gateway gateway(GatewayOptions{}, {std::make_shared<EchoService>()});
  auto small = Call(gateway, R"({"a":"b"})", false);
  ASSERT_EQ(small.status, 200);
  EXPECT_EQ(small.body, R"({"a":"b"})");
  ASSERT_NE(FindHeader(small, "x-amz-crc32"), nullptr);
  EXPECT_EQ(*FindHeader(small, "x-amz-crc32"), Crc32Of(small.body));

  std::string large = R"({"a":")" + std::string(5000, 'x') + R"("})";
  auto compressed = Call(gateway, large, true);
  ASSERT_NE(FindHeader(compressed, "Content-Encoding"), nullptr);
  EXPECT_EQ(*FindHeader(compressed, "x-amz-crc32"), Crc32Of(compressed.body));
  EXPECT_EQ(http::GunzipBounded(compressed.body, 1 << 20).value(), large);
}

TEST(GatewayTest, UnknownTargetIsAnAwsErrorWithRequestId) {
  Gateway gateway(GatewayOptions{}, {std::make_shared<EchoService>()});
  http::HttpRequest request;
  request.method = "POST";
  request.path.assign(1, '/');  // not = "/": GCC 12 -Wrestrict false positive (bug 105329)
  request.target.assign(1, '/');
  request.headers = {{"x-amz-target", "Nope_1.Do"}};
  http::HttpResponse captured;
  gateway.Handle(std::move(request), [&captured](http::HttpResponse response) { captured = std::move(response); });
  EXPECT_EQ(captured.status, 400);
  EXPECT_NE(captured.body.find("UnknownOperationException"), std::string::npos);
  EXPECT_NE(FindHeader(captured, "x-amzn-RequestId"), nullptr);
}

TEST(GatewayTest, GunzipRefusesBombsAndGarbage) {
  std::string bomb = http::Gzip(std::string(10 << 20, '\0'));
  EXPECT_FALSE(http::GunzipBounded(bomb, 1 << 20).has_value());
  EXPECT_FALSE(http::GunzipBounded("definitely not gzip", 1 << 20).has_value());
  EXPECT_FALSE(http::GunzipBounded(bomb.substr(0, bomb.size() / 2), 100 << 20).has_value());
  EXPECT_TRUE(http::AcceptsGzip("br, gzip;q=0.5"));
  EXPECT_FALSE(http::AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(http::AcceptsGzip("identity"));
}

std::string Deflate(const std::string& plain, int window_bits) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string output(deflateBound(&stream, static_cast<uLong>(plain.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  stream.avail_in = static_cast<uInt>(plain.size());
  stream.next_out = reinterpret_cast<Bytef*>(output.data());
  stream.avail_out = static_cast<uInt>(output.size());
  deflate(&stream, Z_FINISH);
  output.resize(stream.total_out);
  deflateEnd(&stream);
  return output;
}

// DynamoDB accepts gzip (members concatenated, bytes after the last member ignored) and answers an
// unknown coding or a body that is not in its coding with a 500 (ScyllaDB's AWS-verified
// test_compressed_request.py); deflate is accepted in both its zlib and raw forms.
TEST(ContentEncodingTest, DecodesWhatDynamoDbDecodes) {
  const std::string plain = R"({"TableName":"t"})";
  using http::BodyDecoding;
  auto decode = [](std::string_view coding, const std::string& body) {
    return http::DecodeContentEncoding(coding, body, 1 << 20);
  };
  EXPECT_EQ(decode("gzip", http::Gzip(plain)).body, plain);
  EXPECT_EQ(decode(" X-GZip ", http::Gzip(plain)).body, plain);
  EXPECT_EQ(decode("gzip", http::Gzip(plain.substr(0, 5)) + http::Gzip(plain.substr(5))).body, plain);
  EXPECT_EQ(decode("gzip", http::Gzip(plain) + "junk").body, plain);
  EXPECT_EQ(decode("deflate", Deflate(plain, MAX_WBITS)).body, plain);
  EXPECT_EQ(decode("deflate", Deflate(plain, -MAX_WBITS)).body, plain);
  EXPECT_EQ(decode("identity", plain).outcome, BodyDecoding::kPlain);
  EXPECT_EQ(decode("", plain).outcome, BodyDecoding::kPlain);
  EXPECT_EQ(decode("garbage", plain).outcome, BodyDecoding::kUnsupported);
  EXPECT_EQ(decode("br", plain).outcome, BodyDecoding::kUnsupported);
  EXPECT_EQ(decode("gzip", plain).outcome, BodyDecoding::kCorrupt);
  EXPECT_EQ(decode("gzip", "").outcome, BodyDecoding::kCorrupt);
  std::string gzipped = http::Gzip(plain);
  EXPECT_EQ(decode("gzip", gzipped.substr(0, gzipped.size() - 1)).outcome, BodyDecoding::kCorrupt);
  // A second member that starts like gzip but is broken is corrupt, not ignored.
  EXPECT_EQ(decode("gzip", gzipped + gzipped.substr(0, 12)).outcome, BodyDecoding::kCorrupt);
  EXPECT_EQ(decode("deflate", plain).outcome, BodyDecoding::kCorrupt);
  EXPECT_EQ(http::DecodeContentEncoding("gzip", http::Gzip(std::string(2 << 20, ' ')), 1 << 20).outcome,
            BodyDecoding::kTooLarge);
}

TEST(HttpDateTest, IsAnImfFixdate) {
  EXPECT_EQ(http::HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http::HttpDate(1796472655), "Sat, 05 Dec 2026 12:10:55 GMT");
}

http::HttpResponse Handled(Gateway& gateway, http::HttpRequest request) {
  http::HttpResponse captured;
  gateway.Handle(std::move(request), [&captured](http::HttpResponse response) { captured = std::move(response); });
  return captured;
}

http::HttpRequest Bare(std::string method, std::vector<std::pair<std::string, std::string>> headers) {
  http::HttpRequest request;
  request.method = std::move(method);
  request.path.assign(1, '/');
  request.target.assign(1, '/');
  request.headers = std::move(headers);
  return request;
}

TEST(GatewayTest, RootProbeAnswersHealthyAndTheHost) {
  Gateway gateway(GatewayOptions{}, {std::make_shared<EchoService>()});
  auto response = Handled(gateway, Bare("GET", {{"host", "dynamodb.us-east-1.amazonaws.com"}}));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "healthy: dynamodb.us-east-1.amazonaws.com ");
  ASSERT_NE(FindHeader(response, "x-amz-crc32"), nullptr);
  EXPECT_EQ(*FindHeader(response, "x-amz-crc32"), Crc32Of(response.body));
}

TEST(GatewayTest, CorsHeadersOnlyForRequestsWithAnOrigin) {
  Gateway gateway(GatewayOptions{}, {std::make_shared<EchoService>()});
  auto plain = Call(gateway, "{}", false);
  for (const auto& [name, value] : plain.headers) EXPECT_EQ(name.rfind("Access-Control-", 0), std::string::npos) << name;
  EXPECT_EQ(Handled(gateway, Bare("OPTIONS", {})).status, 404);

  auto preflight = Handled(gateway, Bare("OPTIONS", {{"origin", "http://example.com"},
                                                     {"access-control-request-method", "dog"},
                                                     {"access-control-request-headers", "cat, meerkat"}}));
  EXPECT_EQ(preflight.status, 200);
  ASSERT_NE(FindHeader(preflight, "Access-Control-Allow-Methods"), nullptr);
  EXPECT_EQ(*FindHeader(preflight, "Access-Control-Allow-Methods"), "dog");
  EXPECT_EQ(*FindHeader(preflight, "Access-Control-Allow-Headers"), "cat, meerkat");
  EXPECT_EQ(*FindHeader(preflight, "Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(*FindHeader(preflight, "Access-Control-Max-Age"), "172800");

  auto request = Bare("POST", {{"x-amz-target", "Echo_20240101.Echo"}, {"origin", "http://example.com"}});
  request.body = "{}";
  auto cross_origin = Handled(gateway, std::move(request));
  EXPECT_EQ(cross_origin.status, 200);
  ASSERT_NE(FindHeader(cross_origin, "Access-Control-Allow-Origin"), nullptr);
  EXPECT_NE(FindHeader(cross_origin, "Access-Control-Expose-Headers"), nullptr);
  EXPECT_EQ(FindHeader(cross_origin, "Access-Control-Max-Age"), nullptr);
}

TEST(GatewayTest, UndecodableBodyIsA500InTheServicesShape) {
  Gateway gateway(GatewayOptions{}, {std::make_shared<EchoService>()});
  auto request = Bare("POST", {{"x-amz-target", "Echo_20240101.Echo"}, {"content-encoding", "garbage"}});
  auto response = gateway.RejectUndecodableBody(request, "unknown coding");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("InternalFailure"), std::string::npos) << response.body;
}

// Echoes its input; an input with a "hold" member blocks Invoke (on the calling thread, as the
// in-memory DynamoDB backend validates items inline) until Release().
class GateService final : public services::Service {
 public:
  const services::ServiceDescriptor& Descriptor() const override {
    static const services::ServiceDescriptor descriptor = [] {
      services::ServiceDescriptor d;
      d.name = "gate";
      d.signing_name = "gate";
      d.json_target_prefix = "Gate_20240101";
      d.operations = {"Echo"};
      return d;
    }();
    return descriptor;
  }
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override {
    if (request.input.contains("hold")) {
      std::unique_lock lock(mutex_);
      held_ = true;
      changed_.notify_all();
      changed_.wait(lock, [this] { return released_; });
    }
    done(boost::json::object{{"bytes", request.input.contains("hold") ? request.input.at("hold").as_string().size() : 0}});
  }
  void Reset() override {}
  std::string StoreName() const override { return "none"; }

  bool WaitUntilHeld(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return held_; });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool released_ = false;
};

http::HttpRequest GateRequest(std::string body) {
  http::HttpRequest request;
  request.method = "POST";
  request.path.assign(1, '/');
  request.target.assign(1, '/');
  request.headers = {{"x-amz-target", "Gate_20240101.Echo"}, {"content-type", "application/x-amz-json-1.0"}};
  request.body = std::move(body);
  return request;
}

std::string HeldBody(std::size_t size) { return R"({"hold":")" + std::string(size, 'x') + R"("})"; }

// A large request's decoding and Invoke run on the gateway's pool: Handle returns at once, and the
// thread that called it (a network thread) answers a small request while the large one is held.
TEST(GatewayTest, LargeBodyIsHandledOffTheCallingThread) {
  auto gate = std::make_shared<GateService>();
  Gateway gateway(GatewayOptions{}, {gate});
  std::promise<http::HttpResponse> large_answer;
  std::promise<void> handle_returned;
  std::thread caller([&] {
    gateway.Handle(GateRequest(HeldBody(200 * 1024)),
                   [&large_answer](http::HttpResponse response) { large_answer.set_value(std::move(response)); });
    handle_returned.set_value();
  });
  ASSERT_TRUE(gate->WaitUntilHeld(std::chrono::seconds(10)));
  bool returned = handle_returned.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  EXPECT_TRUE(returned) << "Handle held the calling thread while the service validated a large body";
  if (returned) {
    http::HttpResponse small;
    gateway.Handle(GateRequest(R"({"a":1})"), [&small](http::HttpResponse response) { small = std::move(response); });
    EXPECT_EQ(small.status, 200) << small.body;
  }
  gate->Release();
  caller.join();
  auto large = large_answer.get_future().get();
  EXPECT_EQ(large.status, 200);
  EXPECT_EQ(large.body, R"({"bytes":204800})");
}

int ConnectTo(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

void SendRequest(int fd, const std::string& body) {
  std::string raw = "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: Gate_20240101.Echo\r\n"
                    "Content-Type: application/x-amz-json-1.0\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  for (std::size_t sent = 0; sent < raw.size();) {
    auto n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

std::string ReadAll(int fd) {
  std::string response;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, static_cast<std::size_t>(got));
  return response;
}

// The same over HTTP with one network thread: while a large request is held in its service, a
// small request on another connection is answered.
TEST(GatewayTest, OneNetworkThreadAnswersSmallRequestsWhileALargeOneIsProcessed) {
  auto gate = std::make_shared<GateService>();
  auto gateway = std::make_shared<Gateway>(GatewayOptions{}, std::vector<std::shared_ptr<services::Service>>{gate});
  http::HttpServerOptions options;
  options.port = 0;
  options.threads = 1;
  http::HttpServer server(options, gateway);
  auto port = server.Start();
  ASSERT_TRUE(port.ok()) << port.error().Message();

  int large = ConnectTo(*port);
  ASSERT_GE(large, 0);
  SendRequest(large, HeldBody(1 << 20));
  ASSERT_TRUE(gate->WaitUntilHeld(std::chrono::seconds(10)));

  int small = ConnectTo(*port);
  ASSERT_GE(small, 0);
  SendRequest(small, R"({"a":1})");
  std::string small_response = ReadAll(small);  // times out after 10 s if the network thread is held
  ::close(small);
  EXPECT_NE(small_response.find("200 OK"), std::string::npos) << "no answer while a large request was processed";

  gate->Release();
  std::string large_response = ReadAll(large);
  ::close(large);
  EXPECT_NE(large_response.find(R"({"bytes":1048576})"), std::string::npos) << large_response.substr(0, 300);
  server.Stop();
  server.Join();
}

TEST(GatewayTest, ListenOnATakenPortIsAnErrorNamingTheAddress) {
  auto gateway = std::make_shared<Gateway>(GatewayOptions{}, std::vector<std::shared_ptr<services::Service>>{});
  http::HttpServerOptions options;
  options.port = 0;
  http::HttpServer first(options, gateway);
  auto port = first.Start();
  ASSERT_TRUE(port.ok());
  options.port = *port;
  http::HttpServer second(options, gateway);
  auto taken = second.Start();
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().Message(), "cannot listen on 127.0.0.1:" + std::to_string(*port) + ": address already in use");
  first.Stop();
  first.Join();
}

}  // namespace
}  // namespace mallard::gateway

// Gateway behaviour independent of any real service: routing by X-Amz-Target, response
// compression and the x-amz-crc32 checksum of the bytes sent.
#include "gateway/gateway.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>
#include <zlib.h>

#include "http/content_encoding.hpp"

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
  std::string BackendName() const override { return "none"; }
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

}  // namespace
}  // namespace mallard::gateway

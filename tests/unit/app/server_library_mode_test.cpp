// Library mode: the server embedded in-process on an ephemeral port, driven over real HTTP.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/server_builder.hpp"

namespace mallard::app {
namespace {

std::string Exchange(std::uint16_t port, const std::string& raw_request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return "connect failed";
  ::send(fd, raw_request.data(), raw_request.size(), 0);
  std::string response;
  char buffer[4096];
  for (ssize_t got; (got = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, got);
  ::close(fd);
  return response;
}

std::string JsonPost(const std::string& target, const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/x-amz-json-1.0\r\n"
         "X-Amz-Target: " + target + "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-2/sqs/aws4_request, "
         "SignedHeaders=host, Signature=0\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(ServerLibraryModeTest, ServesSqsOverHttpOnAnEphemeralPort) {
  http::HttpServerOptions options;
  options.port = 0;
  options.body_limit = 4096;
  auto server = ServerBuilder().WithHttp(options).Start();
  ASSERT_NE(server->Port(), 0);
  auto created = Exchange(server->Port(), JsonPost("AmazonSQS.CreateQueue", R"({"QueueName":"lib"})"));
  EXPECT_NE(created.find("200 OK"), std::string::npos) << created;
  EXPECT_NE(created.find("http://localhost/000000000000/lib"), std::string::npos) << created;
  auto listed = Exchange(server->Port(), JsonPost("AmazonSQS.ListQueues", "{}"));
  EXPECT_NE(listed.find("/000000000000/lib"), std::string::npos) << listed;

  auto oversized = Exchange(server->Port(), JsonPost("AmazonSQS.SendMessage", std::string(5000, ' ')));
  EXPECT_NE(oversized.find("413"), std::string::npos) << oversized;
  EXPECT_NE(oversized.find("RequestEntityTooLarge"), std::string::npos) << oversized;

  auto health = Exchange(server->Port(), "GET /_mallard/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(health.find("\"sqs\""), std::string::npos) << health;
  server->Stop();
  server->Join();
}

}  // namespace
}  // namespace mallard::app

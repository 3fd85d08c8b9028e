#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

#include <random>

#include "http/response_head.hpp"

namespace mallard::http {
namespace {

namespace bhttp = boost::beast::http;

std::string Render(ResponseHead head, std::vector<std::pair<std::string, std::string>> fields) {
  std::string out;
  RenderResponseHead(head, fields, "Mon, 07 Dec 2026 04:00:00 GMT", out);
  return out;
}

TEST(ResponseHeadTest, StatusLineFieldsDateAndLength) {
  EXPECT_EQ(Render({200, 11, true, 5}, {{"Content-Type", "application/x-amz-json-1.0"}, {"x-amzn-RequestId", "r1"}}),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: r1\r\n"
            "Date: Mon, 07 Dec 2026 04:00:00 GMT\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(Render({404, 11, false, 0}, {{"Date", "Sat, 05 Dec 2026 12:10:55 GMT"}}),
            "HTTP/1.1 404 Not Found\r\nDate: Sat, 05 Dec 2026 12:10:55 GMT\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(Render({503, 10, true, 12}, {}),
            "HTTP/1.0 503 Service Unavailable\r\nDate: Mon, 07 Dec 2026 04:00:00 GMT\r\nConnection: keep-alive\r\n"
            "Content-Length: 12\r\n\r\n");
  EXPECT_EQ(Render({200, 10, false, 0}, {}).find("Connection"), std::string::npos);
}

// A later field of the same name replaces an earlier one (as setting it twice did); the server owns
// Connection, Content-Length and Transfer-Encoding.
TEST(ResponseHeadTest, TheLastOfANameWinsAndFramingIsTheServers) {
  auto head = Render({200, 11, true, 3}, {{"ETag", "\"a\""}, {"x-amz-meta-k", "1"}, {"etag", "\"b\""},
                                          {"Content-Length", "999"}, {"Transfer-Encoding", "chunked"},
                                          {"Connection", "close"}});
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\nx-amz-meta-k: 1\r\netag: \"b\"\r\nDate: Mon, 07 Dec 2026 04:00:00 GMT\r\n"
                  "Content-Length: 3\r\n\r\n");
}

// A value carrying CR or LF cannot end the head or add a field of its own.
TEST(ResponseHeadTest, LineBreaksInsideFieldsCannotSplitTheResponse) {
  auto head = Render({200, 11, true, 0}, {{"x-amz-meta-a", "v\r\nSet-Cookie: x=1"}, {"Bad\nName", "v\0w"}});
  EXPECT_EQ(head.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(head.find("x-amz-meta-a: v  Set-Cookie: x=1\r\n"), std::string::npos);
  EXPECT_NE(head.find("Bad Name: v"), std::string::npos);
}

TEST(ResponseHeadTest, ReasonPhrasesAndOddCodes) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(206), "Partial Content");
  EXPECT_EQ(ReasonPhrase(307), "Temporary Redirect");
  EXPECT_EQ(ReasonPhrase(412), "Precondition Failed");
  EXPECT_EQ(ReasonPhrase(299), "Unknown");
  EXPECT_EQ(Render({42, 11, true, 0}, {}).rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u);
}

// Differential: whatever fields a handler sets, Beast's own parser reads back the status, every
// field's last value, the date and the length from the rendered head.
TEST(ResponseHeadTest, RandomHeadsParseBackWithBeast) {
  std::mt19937 random(20261207);
  const std::vector<std::string> names{"ETag", "etag", "Content-Type", "x-amz-meta-a", "X-AMZ-META-A", "Cache-Control",
                                       "x-amzn-RequestId", "Last-Modified", "Content-Length", "Connection"};
  const std::vector<int> statuses{200, 201, 204, 206, 301, 304, 400, 403, 404, 409, 412, 416, 500, 503};
  for (int round = 0; round < 2000; ++round) {
    ResponseHead head;
    head.status = statuses[random() % statuses.size()];
    head.version = random() % 4 == 0 ? 10 : 11;
    head.keep_alive = random() % 2 == 0;
    head.content_length = random() % 100000;
    std::vector<std::pair<std::string, std::string>> fields;
    int count = static_cast<int>(random() % 8);
    for (int i = 0; i < count; ++i) {
      std::string value;
      int length = static_cast<int>(random() % 12);
      for (int k = 0; k < length; ++k) value.push_back(static_cast<char>(' ' + random() % 95));
      fields.emplace_back(names[random() % names.size()], value);
    }
    std::string rendered = Render(head, fields);
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // the body is not part of the head
    boost::system::error_code error;
    parser.put(boost::asio::buffer(rendered), error);
    ASSERT_FALSE(error) << error.message() << "\n" << rendered;
    ASSERT_TRUE(parser.is_header_done()) << rendered;
    const auto& message = parser.get();
    EXPECT_EQ(static_cast<int>(message.result_int()), head.status);
    EXPECT_EQ(message.version(), head.version);
    EXPECT_EQ(message.keep_alive(), head.keep_alive) << rendered;
    EXPECT_EQ(message[bhttp::field::content_length], std::to_string(head.content_length));
    for (const auto& name : names) {
      if (name == "Content-Length" || name == "Connection") continue;
      std::string expected;
      bool present = false;
      for (const auto& [field, value] : fields) {
        if (boost::beast::iequals(field, name)) {
          expected = value;
          present = true;
        }
      }
      if (!present) continue;
      // Beast trims the value's surrounding blanks, as every HTTP parser does.
      while (!expected.empty() && expected.back() == ' ') expected.pop_back();
      while (!expected.empty() && expected.front() == ' ') expected.erase(0, 1);
      EXPECT_EQ(std::count_if(message.begin(), message.end(), [&](const auto& f) { return boost::beast::iequals(f.name_string(), name); }), 1)
          << rendered;
      EXPECT_EQ(message[name], expected) << rendered;
    }
    EXPECT_EQ(message[bhttp::field::date].empty(), false);
  }
}

}  // namespace
}  // namespace mallard::http

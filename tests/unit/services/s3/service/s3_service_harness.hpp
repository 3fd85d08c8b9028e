#pragma once
// Drives S3Service::HandleRest over a MemoryS3Store with hand-built requests (inline: the memory
// store runs in process, so every answer is there when HandleRest returns), with a clock the test
// moves.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/s3/memory/memory_s3_store.hpp"
#include "services/s3/s3_service.hpp"

namespace mallard::s3::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

class S3Harness {
 public:
  // `timers`: an executor for the service's background work (the lifecycle sweep's timer).
  // `backing`: the store (default: a fresh MemoryS3Store).
  explicit S3Harness(boost::asio::any_io_executor timers = {}, std::shared_ptr<S3Store> backing = nullptr) {
    services::ServiceContext context;
    context.timers = std::move(timers);
    context.clock = [this] { return now_millis.load(); };
    S3Options options;
    options.store_in_process = true;
    store = backing != nullptr ? std::move(backing) : std::make_shared<MemoryS3Store>();
    service = std::make_shared<S3Service>(store, context, options);
  }

  // `target`: path plus optional "?query", path style ("/bucket/key?tagging").
  http::HttpResponse Send(std::string method, std::string target, std::string body = {}, Headers headers = {}) {
    services::RestRequest request;
    request.http.method = std::move(method);
    request.http.target = target;
    auto question = target.find('?');
    request.http.path = target.substr(0, question);
    request.http.query = question == std::string::npos ? std::string() : target.substr(question + 1);
    request.http.headers = {{"host", "localhost:4566"}};
    for (auto& header : headers) request.http.headers.push_back(std::move(header));
    request.http.body = std::move(body);
    request.context.request_id = "REQ" + std::to_string(++requests_);
    request.context.account_id = account;
    request.context.region = "us-east-1";
    request.context.endpoint_base = "http://localhost:4566";
    http::HttpResponse answer;
    bool answered = false;
    service->HandleRest(std::move(request), [&](http::HttpResponse response) {
      answer = std::move(response);
      answered = true;
    });
    EXPECT_TRUE(answered) << "no answer (the memory store answers inline)";
    return answer;
  }

  void CreateBucket(const std::string& name) { ASSERT_EQ(Send("PUT", "/" + name).status, 200) << name; }

  static const std::string* HeaderOf(const http::HttpResponse& response, std::string_view name) {
    for (const auto& [header, value] : response.headers) {
      if (header.size() == name.size() &&
          std::equal(header.begin(), header.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return &value;
      }
    }
    return nullptr;
  }
  // The text of the first <name> element of an answer, or "" (tests read single values).
  static std::string Element(const std::string& body, const std::string& name) {
    auto open = body.find("<" + name + ">");
    if (open == std::string::npos) return {};
    open += name.size() + 2;
    auto close = body.find("</" + name + ">", open);
    return close == std::string::npos ? std::string() : Unescape(body.substr(open, close - open));
  }
  static std::string Unescape(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      bool replaced = false;
      for (auto [entity, character] : {std::pair{"&apos;", '\''}, std::pair{"&quot;", '"'}, std::pair{"&lt;", '<'},
                                       std::pair{"&gt;", '>'}, std::pair{"&amp;", '&'}}) {
        std::string_view name(entity);
        if (text.compare(i, name.size(), name) == 0) {
          out.push_back(character);
          i += name.size() - 1;
          replaced = true;
          break;
        }
      }
      if (!replaced) out.push_back(text[i]);
    }
    return out;
  }
  static std::string ErrorCode(const http::HttpResponse& response) { return Element(response.body, "Code"); }

  std::atomic<std::int64_t> now_millis{1'767'225'600'000};  // 2026-01-01T00:00:00Z
  std::string account = "000000000000";
  std::shared_ptr<S3Store> store;
  std::shared_ptr<S3Service> service;

 private:
  int requests_ = 0;
};

}  // namespace mallard::s3::testing

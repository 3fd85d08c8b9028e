// The hosted pipe's table actions under /_mallard/pipe/tables: which method each path takes, the
// admin token, the request handed to the app's action (on the pipe API's path), 404 without a pipe,
// and Clear waiting for an action under way. The action here is a fake: what the pipe does with it
// is tested end to end (tests/e2e/test_pipe_admin_endpoints.py).
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "gateway/gateway.hpp"

namespace mallard::gateway {
namespace {

const std::string* FindHeader(const http::HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

// Handles a request and waits for the answer (actions answer from the gateway's worker pool).
http::HttpResponse Answer(Gateway& gateway, std::string method, std::string target,
                          std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = {}) {
  http::HttpRequest request;
  request.method = std::move(method);
  request.target = target;
  auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  request.headers = std::move(headers);
  request.body = std::move(body);
  auto answered = std::make_shared<std::promise<http::HttpResponse>>();
  auto future = answered->get_future();
  gateway.Handle(std::move(request), [answered](http::HttpResponse response) { answered->set_value(std::move(response)); });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    ADD_FAILURE() << "no answer";
    return {};
  }
  return future.get();
}

std::string ErrorOf(const http::HttpResponse& response) {
  auto parsed = boost::json::parse(response.body);
  return std::string(parsed.at("error").as_string());
}

// An action that records what it was given and answers 299 with the path it saw.
struct RecordingAction {
  std::mutex mutex;
  std::vector<http::HttpRequest> seen;
  PipeTableActions::Action Make() {
    return [this](const http::HttpRequest& request) {
      std::lock_guard lock(mutex);
      seen.push_back(request);
      http::HttpResponse response;
      response.status = 299;
      response.body = request.path;
      return response;
    };
  }
  std::size_t Count() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
};

GatewayOptions WithActions(std::shared_ptr<PipeTableActions> actions, std::string token = {}) {
  GatewayOptions options;
  options.pipe_tables = std::move(actions);
  options.admin_token = std::move(token);
  return options;
}

TEST(GatewayPipeActionsTest, WithoutAPipeEachActionIs404Json) {
  for (auto actions : {std::shared_ptr<PipeTableActions>(), std::make_shared<PipeTableActions>()}) {
    Gateway gateway(WithActions(actions), {});
    for (auto [method, target] : {std::pair{"POST", "/_mallard/pipe/tables"}, {"POST", "/_mallard/pipe/tables/a.b/resync"},
                                  {"DELETE", "/_mallard/pipe/tables/a.b?drop_lake_table=true"}}) {
      auto response = Answer(gateway, method, target);
      EXPECT_EQ(response.status, 404) << target;
      ASSERT_NE(FindHeader(response, "Content-Type"), nullptr);
      EXPECT_EQ(*FindHeader(response, "Content-Type"), "application/json");
      EXPECT_EQ(ErrorOf(response), "this server hosts no pipe (start one with --pipe-source)");
    }
  }
}

TEST(GatewayPipeActionsTest, HandsTheRequestOverOnThePipeApisPathAndAnswersItsAnswer) {
  auto actions = std::make_shared<PipeTableActions>();
  RecordingAction recording;
  actions->Set(recording.Make());
  Gateway gateway(WithActions(actions), {});
  auto added = Answer(gateway, "POST", "/_mallard/pipe/tables", {{"content-type", "application/json"}}, R"({"table":"a.b"})");
  EXPECT_EQ(added.status, 299);
  EXPECT_EQ(added.body, "/tables");
  auto removed = Answer(gateway, "DELETE", "/_mallard/pipe/tables/s%2Et?drop_lake_table=true");
  EXPECT_EQ(removed.body, "/tables/s%2Et");  // still encoded: the pipe API decodes
  ASSERT_EQ(recording.Count(), 2u);
  EXPECT_EQ(recording.seen[0].body, R"({"table":"a.b"})");
  ASSERT_NE(recording.seen[0].Header("content-type"), nullptr);
  EXPECT_EQ(recording.seen[1].query, "drop_lake_table=true");
  EXPECT_EQ(recording.seen[1].target, "/tables/s%2Et?drop_lake_table=true");
  // Cleared: no pipe again.
  actions->Clear();
  EXPECT_EQ(Answer(gateway, "POST", "/_mallard/pipe/tables/a.b/resync").status, 404);
}

TEST(GatewayPipeActionsTest, TheAdminTokenAsResetTakesIt) {
  auto actions = std::make_shared<PipeTableActions>();
  RecordingAction recording;
  actions->Set(recording.Make());
  Gateway gateway(WithActions(actions, "secret"), {});
  for (auto [method, target] : {std::pair{"POST", "/_mallard/pipe/tables"}, {"POST", "/_mallard/pipe/tables/a.b/resync"},
                                {"DELETE", "/_mallard/pipe/tables/a.b"}}) {
    auto missing = Answer(gateway, method, target);
    EXPECT_EQ(missing.status, 401) << target;
    ASSERT_NE(FindHeader(missing, "WWW-Authenticate"), nullptr);
    EXPECT_EQ(*FindHeader(missing, "WWW-Authenticate"), "Bearer realm=\"mallard\"");
    EXPECT_EQ(Answer(gateway, method, target, {{"authorization", "Bearer other"}}).status, 403);
    EXPECT_EQ(Answer(gateway, method, target, {{"authorization", "Bearer secret"}}).status, 299);
    // The same refusal as reset's.
    auto reset = Answer(gateway, "POST", "/_mallard/reset");
    EXPECT_EQ(reset.status, missing.status);
    EXPECT_EQ(reset.body, missing.body);
  }
  EXPECT_EQ(recording.Count(), 3u);  // only the accepted ones ran
}

TEST(GatewayPipeActionsTest, AnActionThatThrowsIsA500) {
  auto actions = std::make_shared<PipeTableActions>();
  actions->Set([](const http::HttpRequest&) -> http::HttpResponse { throw std::runtime_error("boom"); });
  Gateway gateway(WithActions(actions), {});
  auto response = Answer(gateway, "POST", "/_mallard/pipe/tables/a.b/resync");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorOf(response), "internal error");
}

TEST(GatewayPipeActionsTest, ClearWaitsForAnActionUnderWay) {
  auto actions = std::make_shared<PipeTableActions>();
  std::promise<void> entered, release;
  auto release_future = release.get_future().share();
  std::atomic<bool> finished{false};
  actions->Set([&](const http::HttpRequest&) {
    entered.set_value();
    release_future.wait();
    finished = true;
    return http::HttpResponse{};
  });
  Gateway gateway(WithActions(actions), {});
  std::thread caller([&] { EXPECT_EQ(Answer(gateway, "DELETE", "/_mallard/pipe/tables/a.b").status, 200); });
  entered.get_future().wait();
  std::atomic<bool> cleared{false};
  std::thread clearer([&] {
    actions->Clear();
    EXPECT_TRUE(finished.load());  // never before the action returned
    cleared = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(cleared.load());
  release.set_value();
  clearer.join();
  caller.join();
  EXPECT_TRUE(cleared.load());
}

// Seeded: random paths under /_mallard/pipe/tables and methods, against the rule written out
// independently — the collection and …/resync take POST, any other table path DELETE; a wrong
// method is 405 naming the right one, a right one reaches the action on the path minus
// /_mallard/pipe.
TEST(GatewayPipeActionsTest, MethodsOfRandomPathsFollowTheRule) {
  auto actions = std::make_shared<PipeTableActions>();
  RecordingAction recording;
  actions->Set(recording.Make());
  Gateway gateway(WithActions(actions), {});
  std::mt19937 random(20261206);
  const std::vector<std::string> pieces = {"public.items", "a", "resync", "/resync", "%2F", "x/y", "", "tables", ".", "%"};
  const std::vector<std::string> methods = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (int round = 0; round < 400; ++round) {
    std::string path = "/_mallard/pipe/tables";
    int parts = static_cast<int>(random() % 4);
    if (parts > 0) path += "/";
    for (int i = 0; i < parts; ++i) path += pieces[random() % pieces.size()];
    const std::string& method = methods[random() % methods.size()];
    bool resync_path = path.size() >= 7 && path.compare(path.size() - 7, 7, "/resync") == 0;
    std::string expected_allow = path == "/_mallard/pipe/tables" || resync_path ? "POST" : "DELETE";
    auto response = Answer(gateway, method, path);
    SCOPED_TRACE(method + " " + path);
    if (method != expected_allow) {
      EXPECT_EQ(response.status, 405);
      ASSERT_NE(FindHeader(response, "Allow"), nullptr);
      EXPECT_EQ(*FindHeader(response, "Allow"), expected_allow);
    } else {
      EXPECT_EQ(response.status, 299);
      EXPECT_EQ(response.body, path.substr(std::string("/_mallard/pipe").size()));
    }
  }
  // Near misses are no pipe endpoints at all.
  EXPECT_EQ(Answer(gateway, "POST", "/_mallard/pipe/tablesx").status, 404);
  EXPECT_EQ(Answer(gateway, "POST", "/_mallard/pipe").status, 404);
}

}  // namespace
}  // namespace mallard::gateway

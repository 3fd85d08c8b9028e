// The console's embedded files and how they are served: types, caching, redirects, methods, and
// that no request path other than an embedded file's exact path is ever answered with a file.
#include "console/console_assets.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>

namespace mallard::console {
namespace {

http::HttpRequest Get(std::string path, std::string method = "GET") {
  http::HttpRequest request;
  request.method = std::move(method);
  request.path = path;
  request.target = path;
  return request;
}

const std::string* HeaderOf(const http::HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

TEST(ConsoleAssets, EmbedsThePageItsModulesAndTheVendoredLibrary) {
  std::set<std::string> paths;
  for (const auto& asset : EmbeddedAssets()) {
    EXPECT_TRUE(paths.insert(std::string(asset.path)).second) << "twice: " << asset.path;
    EXPECT_FALSE(asset.path.empty());
    EXPECT_NE(asset.path.front(), '/') << asset.path;
    EXPECT_EQ(asset.path.find(".."), std::string_view::npos) << asset.path;
    EXPECT_FALSE(asset.body.empty()) << asset.path;
    ASSERT_GE(asset.etag.size(), 3u);
    EXPECT_EQ(asset.etag.front(), '"');
    EXPECT_EQ(asset.etag.back(), '"');
  }
  for (const char* expected : {"index.html", "app.js", "styles.css", "lib/aws.js", "lib/sigv4.js", "lib/ui.js", "pages/sqs.js",
                               "pages/dynamodb.js", "vendor/preact.module.js", "vendor/hooks.module.js", "vendor/htm.module.js",
                               "vendor/LICENSE-preact.txt", "vendor/LICENSE-htm.txt"}) {
    EXPECT_TRUE(paths.count(expected)) << expected;
  }
  const Asset* index = FindAsset("");
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->path, "index.html");
  EXPECT_NE(index->body.find("importmap"), std::string_view::npos);
}

TEST(ConsoleAssets, ConsolePathsAreTheRootAndWhatIsUnderIt) {
  EXPECT_TRUE(IsConsolePath("/_mallard/console"));
  EXPECT_TRUE(IsConsolePath("/_mallard/console/"));
  EXPECT_TRUE(IsConsolePath("/_mallard/console/app.js"));
  EXPECT_FALSE(IsConsolePath("/_mallard/consolex"));
  EXPECT_FALSE(IsConsolePath("/_mallard/consol"));
  EXPECT_FALSE(IsConsolePath("/_mallard/health"));
  EXPECT_FALSE(IsConsolePath("/x/_mallard/console/"));
}

TEST(ConsoleAssets, TheRootRedirectsToTheFolderKeepingTheQuery) {
  auto request = Get("/_mallard/console");
  request.query = "a=b";
  auto response = ServeConsole(request);
  EXPECT_EQ(response.status, 308);
  ASSERT_NE(HeaderOf(response, "Location"), nullptr);
  EXPECT_EQ(*HeaderOf(response, "Location"), "/_mallard/console/?a=b");
  EXPECT_EQ(*HeaderOf(ServeConsole(Get("/_mallard/console")), "Location"), "/_mallard/console/");
}

TEST(ConsoleAssets, EveryFileIsServedWithItsTypeEtagAndSecurityHeaders) {
  for (const auto& asset : EmbeddedAssets()) {
    auto response = ServeConsole(Get("/_mallard/console/" + std::string(asset.path)));
    ASSERT_EQ(response.status, 200) << asset.path;
    EXPECT_EQ(response.body, asset.body) << asset.path;
    EXPECT_EQ(*HeaderOf(response, "Content-Type"), asset.content_type);
    EXPECT_EQ(*HeaderOf(response, "ETag"), asset.etag);
    EXPECT_EQ(*HeaderOf(response, "Cache-Control"), "no-cache");
    EXPECT_EQ(*HeaderOf(response, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(*HeaderOf(response, "X-Frame-Options"), "DENY");
    ASSERT_NE(HeaderOf(response, "Content-Security-Policy"), nullptr);
    const std::string_view path = asset.path;
    const std::string_view type = asset.content_type;
    if (path.ends_with(".js")) EXPECT_EQ(type, "text/javascript; charset=utf-8");
    if (path.ends_with(".html")) EXPECT_EQ(type, "text/html; charset=utf-8");
    if (path.ends_with(".css")) EXPECT_EQ(type, "text/css; charset=utf-8");
    if (path.ends_with(".txt")) EXPECT_EQ(type, "text/plain; charset=utf-8");
  }
}

TEST(ConsoleAssets, ScriptsComeOnlyFromTheConsoleAndTheImportMapByItsHash) {
  auto response = ServeConsole(Get("/_mallard/console/"));
  const std::string policy = *HeaderOf(response, "Content-Security-Policy");
  const auto script_src = policy.substr(policy.find("script-src"), policy.find(';', policy.find("script-src")) - policy.find("script-src"));
  EXPECT_EQ(script_src.find("unsafe-inline"), std::string::npos) << policy;
  EXPECT_NE(script_src.find("'self' 'sha256-"), std::string::npos) << policy;
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos);
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  // The hash is of the import map exactly as embedded: 44 base64 characters of a SHA-256.
  const auto begin = script_src.find("'sha256-") + 8;
  EXPECT_EQ(script_src.find('\'', begin) - begin, 44u) << script_src;
}

TEST(ConsoleAssets, IfNoneMatchGets304ForTheSameTagOnly) {
  const Asset* index = FindAsset("index.html");
  ASSERT_NE(index, nullptr);
  const std::string tag(index->etag);
  for (const std::string& header : {tag, "W/" + tag, "\"other\", " + tag, "  \"a\" ,W/" + tag + " ", std::string("*")}) {
    auto request = Get("/_mallard/console/");
    request.headers.emplace_back("if-none-match", header);
    auto response = ServeConsole(request);
    EXPECT_EQ(response.status, 304) << header;
    EXPECT_TRUE(response.body.empty());
    EXPECT_EQ(*HeaderOf(response, "ETag"), tag);
  }
  for (const std::string& header : {std::string("\"other\""), std::string(""), tag.substr(1), std::string(",,,"),
                                    "\"" + tag + "\"", std::string("W/")}) {
    auto request = Get("/_mallard/console/");
    request.headers.emplace_back("if-none-match", header);
    EXPECT_EQ(ServeConsole(request).status, 200) << header;
  }
}

TEST(ConsoleAssets, OnlyGetAndHeadAreAllowed) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    auto response = ServeConsole(Get("/_mallard/console/app.js", method));
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(*HeaderOf(response, "Allow"), "GET, HEAD");
  }
  EXPECT_EQ(ServeConsole(Get("/_mallard/console/app.js", "HEAD")).status, 200);
}

// Seeded random request paths built from the embedded paths' own pieces plus traversal material:
// a path is answered with a file exactly when it names one (an independent std::set lookup), and
// then with that file's bytes. MALLARD_CONSOLE_PATH_SEED replays a run.
TEST(ConsoleAssets, RandomPathsAnswerAFileOnlyWhenTheyNameOneExactly) {
  std::set<std::string> known;
  std::vector<std::string> pieces = {"/", "..", ".", "%2e", "%2F", "//", "\\", "vendor", "lib", "pages", "index.html",
                                     "app.js", "x", "%00", "?", "#", " ", "A"};
  for (const auto& asset : EmbeddedAssets()) {
    known.insert(std::string(asset.path));
    pieces.emplace_back(asset.path);
    std::string_view path = asset.path;
    for (auto slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
      pieces.emplace_back(path.substr(0, slash));
      pieces.emplace_back(path.substr(slash + 1));
    }
  }
  const char* seed_text = std::getenv("MALLARD_CONSOLE_PATH_SEED");
  const unsigned seed = seed_text != nullptr ? static_cast<unsigned>(std::strtoul(seed_text, nullptr, 10)) : std::random_device{}();
  SCOPED_TRACE("MALLARD_CONSOLE_PATH_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  int files = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string relative;
    const int count = std::uniform_int_distribution<int>(0, 4)(random);
    for (int i = 0; i < count; ++i) relative += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(random)];
    auto response = ServeConsole(Get("/_mallard/console/" + relative));
    const bool names_a_file = relative.empty() || known.count(relative) > 0;
    ASSERT_EQ(response.status, names_a_file ? 200 : 404) << relative;
    if (names_a_file) {
      ++files;
      EXPECT_EQ(response.body, FindAsset(relative)->body);
    }
  }
  EXPECT_GT(files, 100);  // the generator does hit real files, so both branches are exercised
}

}  // namespace
}  // namespace mallard::console

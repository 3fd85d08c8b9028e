#include "console/console_assets.hpp"

#include <string>

#include "common/encoding.hpp"

namespace mallard::console {
namespace {

http::HttpResponse PlainError(int status, std::string message) {
  http::HttpResponse response;
  response.status = status;
  response.SetHeader("Content-Type", "text/plain; charset=utf-8");
  response.SetHeader("X-Content-Type-Options", "nosniff");
  response.body = std::move(message) + "\n";
  return response;
}

// True when an If-None-Match list names this entity tag (or is "*"). Weak tags compare by their
// opaque part, as RFC 9110 asks of GET's weak comparison.
bool MatchesAnyTag(std::string_view header, std::string_view etag) {
  std::size_t position = 0;
  while (position < header.size()) {
    while (position < header.size() && (header[position] == ' ' || header[position] == '\t' || header[position] == ',')) {
      ++position;
    }
    std::size_t end = header.find(',', position);
    if (end == std::string_view::npos) end = header.size();
    std::string_view candidate = header.substr(position, end - position);
    while (!candidate.empty() && (candidate.back() == ' ' || candidate.back() == '\t')) candidate.remove_suffix(1);
    if (candidate == "*") return true;
    if (candidate.substr(0, 2) == "W/") candidate.remove_prefix(2);
    if (candidate == etag) return true;
    position = end;
  }
  return false;
}

// Scripts only from the console's own files, plus its one inline script — the import map, which
// browsers accept only inline — allowed by its SHA-256, taken once from the embedded index.html.
const std::string& ContentSecurityPolicy() {
  static const std::string policy = [] {
    std::string script_src = "'self'";
    if (const Asset* index = FindAsset("index.html")) {
      constexpr std::string_view kOpen = "<script type=\"importmap\">";
      const auto start = index->body.find(kOpen);
      const auto end = start == std::string_view::npos ? start : index->body.find("</script>", start);
      if (end != std::string_view::npos) {
        const auto inline_script = index->body.substr(start + kOpen.size(), end - start - kOpen.size());
        script_src += " 'sha256-" + Base64Encode(*HexDecode(Sha256Hex(inline_script))) + "'";
      }
    }
    return "default-src 'self'; script-src " + script_src +
           "; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
           "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
  }();
  return policy;
}

}  // namespace

bool IsConsolePath(std::string_view path) {
  if (path.substr(0, kConsolePath.size()) != kConsolePath) return false;
  return path.size() == kConsolePath.size() || path[kConsolePath.size()] == '/';
}

const Asset* FindAsset(std::string_view relative_path) {
  if (relative_path.empty()) relative_path = "index.html";
  for (const auto& asset : EmbeddedAssets()) {
    if (asset.path == relative_path) return &asset;
  }
  return nullptr;
}

http::HttpResponse ServeConsole(const http::HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    auto response = PlainError(405, "the console's files take GET or HEAD");
    response.SetHeader("Allow", "GET, HEAD");
    return response;
  }
  if (request.path == kConsolePath) {
    http::HttpResponse response;
    response.status = 308;
    response.SetHeader("Location", std::string(kConsolePath) + "/" + (request.query.empty() ? "" : "?" + request.query));
    return response;
  }
  // Exact lookup in the embedded set: "..", "%2e" or "//" name no asset, so they are 404s.
  const Asset* asset = FindAsset(std::string_view(request.path).substr(kConsolePath.size() + 1));
  if (asset == nullptr) return PlainError(404, "no such console file");

  http::HttpResponse response;
  // Revalidated on every load (cheap: 304 by ETag), so a new binary's console is never mixed with
  // an old cached module.
  response.SetHeader("Cache-Control", "no-cache");
  response.SetHeader("ETag", std::string(asset->etag));
  response.SetHeader("X-Content-Type-Options", "nosniff");
  // The console drives state-changing calls: it must not be framed by another page (clickjacking).
  // The page talks to its own origin alone.
  response.SetHeader("X-Frame-Options", "DENY");
  response.SetHeader("Content-Security-Policy", ContentSecurityPolicy());
  response.SetHeader("Referrer-Policy", "no-referrer");
  if (const std::string* tags = request.Header("if-none-match"); tags != nullptr && MatchesAnyTag(*tags, asset->etag)) {
    response.status = 304;
    return response;
  }
  response.SetHeader("Content-Type", std::string(asset->content_type));
  response.body = std::string(asset->body);
  return response;
}

}  // namespace mallard::console

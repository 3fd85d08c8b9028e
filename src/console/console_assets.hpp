#pragma once
// The web console's files, embedded in the binary at build time (embed_assets.cmake), and the
// handler that serves them under /_mallard/console/. The set is fixed at build time: a request
// names one of its paths exactly or gets 404, so no request reaches the filesystem.
#include <string_view>
#include <vector>

#include "common/http_types.hpp"

namespace mallard::console {

struct Asset {
  std::string_view path;          // relative to /_mallard/console/, e.g. "index.html", "vendor/htm.module.js"
  std::string_view content_type;  // by extension, chosen at build time
  std::string_view body;
  std::string_view etag;  // strong, quoted: a digest of the body
};

// Every embedded file (generated code).
const std::vector<Asset>& EmbeddedAssets();

inline constexpr std::string_view kConsolePath = "/_mallard/console";

// True for /_mallard/console and everything under /_mallard/console/.
bool IsConsolePath(std::string_view path);

// The asset at a path relative to the console's root ("" is index.html); null when none.
const Asset* FindAsset(std::string_view relative_path);

// Answers a request for a console path: GET/HEAD only (405 otherwise); /_mallard/console redirects
// to /_mallard/console/ so the page's relative URLs resolve under it; If-None-Match gets 304.
http::HttpResponse ServeConsole(const http::HttpRequest& request);

}  // namespace mallard::console

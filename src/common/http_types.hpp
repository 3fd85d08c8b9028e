#pragma once
// Neutral HTTP request/response types, shared by the HTTP server (src/http, the only place that
// sees Beast), the protocol codecs and the gateway; they live in common so the codecs need no server.
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mallard::http {

struct HttpRequest {
  std::string method;   // "POST", "GET", ...
  std::string target;   // raw request target: path plus optional "?query"
  std::string path;     // target before '?'
  std::string query;    // target after '?', still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;

  // First value of a header, by lower-case name; nullptr when absent.
  const std::string* Header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lowercase_name) return &value;
    }
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string name, std::string value) {
    for (auto& [existing, existing_value] : headers) {
      if (existing == name) {
        existing_value = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// Called exactly once per request, from any thread.
using Responder = std::function<void(HttpResponse)>;

// The application side of the server. Handle() must not block: long work is handed off and the
// responder is called when it completes.
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  virtual void Handle(HttpRequest request, Responder respond) = 0;
  // The answer for a request whose body exceeded the limit; `request` carries headers only.
  virtual HttpResponse RejectOversizedBody(const HttpRequest& request, std::size_t limit) = 0;
  // The answer for bytes that are not HTTP/1.1 at all.
  virtual HttpResponse RejectMalformedRequest(const std::string& reason) = 0;
  // The answer for a body the server cannot decode: an unknown Content-Encoding, or a body that is
  // not in the coding its header names. `request` carries the headers (its body is not usable).
  virtual HttpResponse RejectUndecodableBody(const HttpRequest& request, const std::string& reason) {
    (void)request;
    return RejectMalformedRequest(reason);
  }
  // Called once when the server begins a graceful stop, so that requests parked in long waits can
  // complete now instead of holding the shutdown.
  virtual void OnShutdown() {}
  // Runs `work` off the network threads (the server decodes large gzip bodies through it), on a
  // pool of the handler's; the default runs it in place.
  virtual void Offload(std::function<void()> work) { work(); }
  // Called by Join once the network threads have ended: work still running for the server (on an
  // Offload pool) must finish now, as its completions refer to the server about to be destroyed.
  virtual void OnStopped() {}
};

}  // namespace mallard::http

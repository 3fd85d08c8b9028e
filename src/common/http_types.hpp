#pragma once
// Neutral HTTP request/response types, shared by the HTTP server (src/http, the only place that
// sees Beast), the protocol codecs and the gateway; they live in common so the codecs need no server.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mallard::http {

// Bytes read on demand, for bodies too large to hold (S3 objects up to 5 GiB): a request body the
// handler pulls from the connection, or a response body the server pulls from the handler.
// `done` gets the next bytes (never empty while more follow), an empty string at the end, or an
// error text (the connection failed, the body is malformed, the source could not be read).
using BodyReadDone = std::function<void(std::string bytes, std::string error)>;

// A request body the server hands over unread (BodyReading::kStreamed). At most one Read is
// outstanding; the server reads from the socket only when asked, so a slow consumer slows the
// client (backpressure) and memory stays bounded by one read's size. `done` runs on a network
// thread and must not block: pass the bytes to a pool. The first Read sends "100 Continue" when the
// client asked for it (Expect: 100-continue). A body the handler does not read to its end is not
// drained: the server closes the connection after the response.
class RequestBodyStream {
 public:
  virtual ~RequestBodyStream() = default;
  virtual void Read(BodyReadDone done) = 0;
  // The Content-Length the client sent; nullopt for a chunked body.
  virtual std::optional<std::uint64_t> DeclaredLength() const = 0;
};

// A response body the server pulls (HttpResponse::body_source): it sends Content-Length: Length()
// and then asks for bytes until it has sent that many; a source that ends early or fails closes the
// connection (the client sees a truncated body, never a wrong one). Read may complete on any thread.
class ResponseBodySource {
 public:
  virtual ~ResponseBodySource() = default;
  virtual std::uint64_t Length() const = 0;
  virtual void Read(BodyReadDone done) = 0;
};

// How the server reads a request's body, chosen by the handler from the request line and headers.
enum class BodyReading : unsigned char {
  kBuffered,     // read whole (up to the body limit), Content-Encoding (gzip, deflate) decoded
  kBufferedRaw,  // read whole, bytes as sent: S3 keeps Content-Encoding as an object's metadata
  kStreamed,     // not read: handed over as HttpRequest::body_stream
};

struct HttpRequest {
  std::string method;   // "POST", "GET", ...
  std::string target;   // raw request target: path plus optional "?query"
  std::string path;     // target before '?'
  std::string query;    // target after '?', still percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  // Set instead of `body` when the handler chose BodyReading::kStreamed.
  std::shared_ptr<RequestBodyStream> body_stream;

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
  // When set, the body is pulled from here (and `body` is ignored); Content-Length is its Length().
  std::shared_ptr<ResponseBodySource> body_source;

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
  // How to read the body of `request` (request line and headers; no body yet). Called on a network
  // thread: must not block.
  virtual BodyReading BodyReadingFor(const HttpRequest& request) {
    (void)request;
    return BodyReading::kBuffered;
  }
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

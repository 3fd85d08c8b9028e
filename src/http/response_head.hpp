#pragma once
// The bytes of an HTTP/1.x response head (status line and fields), rendered into one string.
//
// The server wrote responses through Beast's serializer: a `basic_fields` container built per
// response (an allocation per field), a date formatted with strftime on every response, and a
// scatter of small buffers per write. Rendering the head straight into one reused string and
// writing it with the body in one gather write costs a fraction of that on the request path
// (bench/run_request_path_bench.py), with the same bytes on the wire.
#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mallard::http {

struct ResponseHead {
  int status = 200;
  unsigned version = 11;  // 10 or 11, as the request's
  bool keep_alive = true;
  std::uint64_t content_length = 0;
};

// Appends the head to `out`: the status line; the fields in order, a later field of the same name
// (any case) replacing an earlier one; Date (when the fields have none); Connection as
// `keep_alive` and the version need (a field named Connection among `fields` is dropped); and
// Content-Length (a Content-Length or Transfer-Encoding among `fields` is dropped). CR, LF and NUL
// inside a name or value become spaces: a field can never end the head early or add a field.
void RenderResponseHead(const ResponseHead& head, const std::vector<std::pair<std::string, std::string>>& fields,
                        std::string_view date, std::string& out);

// The current time as an HTTP-date, formatted at most once a second per thread.
std::string_view CurrentHttpDate();

// "OK" for 200, "Not Found" for 404, ...; "Unknown" for a code without a registered reason.
std::string_view ReasonPhrase(int status);

}  // namespace mallard::http

#include "http/response_head.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <charconv>

#include <cstring>

#include "http/http_server.hpp"

namespace mallard::http {
namespace {

// Field names are ASCII tokens: Beast's ASCII comparison, not the locale-aware tolower.
bool SameName(std::string_view a, std::string_view b) { return boost::beast::iequals(a, b); }

// Appends `text` with CR, LF and NUL replaced by spaces.
void AppendSafe(std::string& out, std::string_view text) {
  std::size_t start = out.size();
  out.append(text);
  for (std::size_t i = start; i < out.size(); ++i) {
    char c = out[i];
    if (c == '\r' || c == '\n' || c == '\0') out[i] = ' ';
  }
}

void AppendNumber(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

std::string_view ReasonPhrase(int status) {
  auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  if (reason == "<unknown-status>") return "Unknown";
  return std::string_view(reason.data(), reason.size());
}

void RenderResponseHead(const ResponseHead& head, const std::vector<std::pair<std::string, std::string>>& fields,
                        std::string_view date, std::string& out) {
  out.append(head.version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  int status = head.status >= 100 && head.status <= 999 ? head.status : 500;
  out.push_back(static_cast<char>('0' + status / 100));
  out.push_back(static_cast<char>('0' + status / 10 % 10));
  out.push_back(static_cast<char>('0' + status % 10));
  out.push_back(' ');
  out.append(ReasonPhrase(status));
  out.append("\r\n");
  bool has_date = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, value] = fields[i];
    if (name.empty() || SameName(name, "Connection") || SameName(name, "Content-Length") ||
        SameName(name, "Transfer-Encoding")) {
      continue;
    }
    bool replaced_later = false;
    for (std::size_t j = i + 1; j < fields.size() && !replaced_later; ++j) replaced_later = SameName(fields[j].first, name);
    if (replaced_later) continue;
    has_date = has_date || SameName(name, "Date");
    AppendSafe(out, name);
    out.append(": ");
    AppendSafe(out, value);
    out.append("\r\n");
  }
  // Every AWS response carries a Date (RFC 9110 6.6.1: an origin server with a clock must send
  // it); SDKs use it to correct clock skew.
  if (!has_date) {
    out.append("Date: ");
    out.append(date);
    out.append("\r\n");
  }
  if (head.version >= 11 && !head.keep_alive) out.append("Connection: close\r\n");
  if (head.version < 11 && head.keep_alive) out.append("Connection: keep-alive\r\n");
  out.append("Content-Length: ");
  AppendNumber(out, head.content_length);
  out.append("\r\n\r\n");
}

std::string_view CurrentHttpDate() {
  thread_local std::time_t formatted_at = -1;
  thread_local std::string text;
  std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    text = HttpDate(now);
    formatted_at = now;
  }
  return text;
}

}  // namespace mallard::http

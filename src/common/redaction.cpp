#include "common/redaction.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace mallard {

namespace {

bool IsKeyBoundary(char c) { return c == '?' || c == '&' || c == ':' || std::isspace(static_cast<unsigned char>(c)); }

// Masks the value of every `password=…` in `spec`: a URL query parameter (up to the next '&') or
// a libpq keyword/value pair (a quoted value with \' escapes, or up to the next white space).
std::string MaskPasswordParameters(const std::string& spec) {
  constexpr std::string_view kKey = "password";
  std::string out;
  std::size_t position = 0;
  while (position < spec.size()) {
    bool key_here = (position == 0 || IsKeyBoundary(spec[position - 1])) && spec.size() - position >= kKey.size();
    if (key_here) {
      for (std::size_t i = 0; i < kKey.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(spec[position + i])) != kKey[i]) key_here = false;
      }
    }
    std::size_t equals = position + kKey.size();
    if (key_here) {
      while (equals < spec.size() && (spec[equals] == ' ' || spec[equals] == '\t')) ++equals;
      key_here = equals < spec.size() && spec[equals] == '=';
    }
    if (!key_here) {
      out += spec[position++];
      continue;
    }
    bool in_url_query = position > 0 && (spec[position - 1] == '?' || spec[position - 1] == '&');
    out.append(spec, position, equals + 1 - position);
    std::size_t value = equals + 1;
    while (!in_url_query && value < spec.size() && (spec[value] == ' ' || spec[value] == '\t')) ++value;
    std::size_t end = value;
    if (!in_url_query && end < spec.size() && spec[end] == '\'') {
      for (++end; end < spec.size() && spec[end] != '\''; ++end) {
        if (spec[end] == '\\') ++end;
      }
      end = std::min(end + 1, spec.size());
    } else {
      while (end < spec.size() && (in_url_query ? spec[end] != '&' : !std::isspace(static_cast<unsigned char>(spec[end])))) ++end;
    }
    out += "***";
    position = end;
  }
  return out;
}

}  // namespace

std::string WithoutPassword(const std::string& spec) {
  std::string masked = MaskPasswordParameters(spec);
  auto scheme = masked.find("://");
  if (scheme == std::string::npos) return masked;
  // scheme://user:password@host…: the authority ends at the first '/', '?' or '#' after the scheme,
  // but a password may hold those too, so the last '@' before the query decides.
  auto query = masked.find('?', scheme + 3);
  auto at = masked.rfind('@', query == std::string::npos ? std::string::npos : query);
  if (at == std::string::npos || at < scheme) return masked;
  auto colon = masked.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return masked;
  return masked.substr(0, colon + 1) + "***" + masked.substr(at);
}

}  // namespace mallard

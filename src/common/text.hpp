#pragma once
// Small text helpers that header and wire parsers share: blank trimming, ASCII lower case, and the
// flat JSON object of strings in which an AwsError carries its extra fields (extra_json).
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace mallard {

// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
inline std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A-Z lowered; every other byte (UTF-8 included) kept.
inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// `text` as a JSON string: quotes and backslashes escaped, \n \r \t in their short forms, other
// control bytes as \u00XX. The bytes are
// not checked as UTF-8 (callers that echo client bytes make them valid first).
inline void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// {"name":"value",…} in the order given: AwsError::extra_json.
inline std::string FlatJsonObject(std::initializer_list<std::pair<std::string_view, std::string_view>> members) {
  std::string out = "{";
  for (const auto& [name, value] : members) {
    if (out.size() > 1) out += ',';
    AppendJsonString(out, name);
    out += ':';
    AppendJsonString(out, value);
  }
  out += '}';
  return out;
}

}  // namespace mallard

#pragma once
// Strict oracles for the fuzz targets: what a well-formed response must satisfy whatever the input.
// Deliberately independent of src/common/encoding (a checker that shares the code under test
// cannot find its bugs). Header-only so each target stays one translation unit.
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace mallard::fuzz {

// Aborts with the reason and the offending text (libFuzzer then saves the input as a crash).
[[noreturn]] inline void FailCheck(std::string_view what, std::string_view text) {
  std::fprintf(stderr, "FUZZ CHECK FAILED: %.*s\n--- text (%zu bytes, first 2000) ---\n", static_cast<int>(what.size()),
               what.data(), text.size());
  std::fwrite(text.data(), 1, text.size() < 2000 ? text.size() : 2000, stderr);
  std::fputs("\n---\n", stderr);
  std::abort();
}

// Decodes one code point of strict UTF-8 (RFC 3629: shortest form only, no surrogates, at most
// U+10FFFF). Returns false on any violation; advances `i` past the sequence.
inline bool NextCodePoint(std::string_view text, std::size_t& i, std::uint32_t& code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  int extra;
  std::uint32_t minimum;
  if (lead < 0x80) {
    code_point = lead;
    ++i;
    return true;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    extra = 1, minimum = 0x80, code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    extra = 2, minimum = 0x800, code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    extra = 3, minimum = 0x10000, code_point = lead & 0x07;
  } else {
    return false;
  }
  if (i + extra >= text.size()) return false;
  for (int k = 1; k <= extra; ++k) {
    unsigned char next = byte(i + k);
    if ((next & 0xC0) != 0x80) return false;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return false;
  i += extra + 1;
  return true;
}

inline bool IsStrictUtf8(std::string_view text) {
  std::size_t i = 0;
  std::uint32_t code_point = 0;
  while (i < text.size()) {
    if (!NextCodePoint(text, i, code_point)) return false;
  }
  return true;
}

// XML 1.0 Char production (also the character set SQS documents for message bodies and values).
inline bool IsXmlChar(std::uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// True when `text` is strict UTF-8 and every code point is an XML 1.0 Char.
inline bool IsXmlText(std::string_view text) {
  std::size_t i = 0;
  std::uint32_t code_point = 0;
  while (i < text.size()) {
    if (!NextCodePoint(text, i, code_point) || !IsXmlChar(code_point)) return false;
  }
  return true;
}

// A JSON response body: strict UTF-8 (RFC 8259 section 8.1) that Boost.JSON parses with its
// default (strict) options — no comments, no trailing commas, no invalid UTF-8 in strings.
inline void CheckStrictJson(std::string_view body, std::string_view what) {
  if (!IsStrictUtf8(body)) FailCheck(std::string(what) + ": JSON body is not valid UTF-8", body);
  boost::system::error_code error;
  boost::json::parse_options options;
  options.max_depth = 100000;
  boost::json::parse(body, error, {}, options);
  if (error) FailCheck(std::string(what) + ": JSON body does not parse: " + error.message(), body);
}

// A minimal XML 1.0 well-formedness checker for the documents Mallard renders: optional
// `<?xml ...?>` declaration, one root element, elements with optional attributes, character data
// with the five predefined entities and character references, no comments/CDATA/DOCTYPE (Mallard
// never emits them). Every character must be an XML Char; names must be non-empty and balanced.
class XmlChecker {
 public:
  explicit XmlChecker(std::string_view text) : text_(text) {}

  // Empty string when well-formed, else the reason.
  std::string Check() {
    if (!IsXmlText(text_)) return "not UTF-8 made of XML 1.0 characters";
    if (text_.substr(0, 5) == "<?xml") {
      auto end = text_.find("?>");
      if (end == std::string_view::npos) return "unterminated XML declaration";
      pos_ = end + 2;
    }
    SkipSpace();
    if (!Peek('<')) return "no root element";
    std::vector<std::string_view> open;
    bool root_closed = false;
    while (pos_ < text_.size()) {
      if (Peek('<')) {
        if (root_closed) return "content after the root element";
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
          pos_ += 2;
          auto name = Name();
          if (name.empty()) return "empty end-tag name";
          SkipSpace();
          if (!Eat('>')) return "malformed end tag";
          if (open.empty() || open.back() != name) return "mismatched end tag </" + std::string(name) + ">";
          open.pop_back();
          if (open.empty()) root_closed = true;
          continue;
        }
        ++pos_;
        auto name = Name();
        if (name.empty()) return "empty or invalid element name";
        std::vector<std::string_view> attributes;
        for (;;) {
          bool spaced = SkipSpace();
          if (Eat('>')) {
            open.push_back(name);
            break;
          }
          if (Peek('/')) {
            ++pos_;
            if (!Eat('>')) return "malformed empty-element tag";
            if (open.empty()) root_closed = true;
            break;
          }
          if (!spaced) return "attribute without preceding space";
          auto attribute = Name();
          if (attribute.empty()) return "invalid attribute name";
          for (auto seen : attributes)
            if (seen == attribute) return "duplicate attribute";
          attributes.push_back(attribute);
          SkipSpace();
          if (!Eat('=')) return "attribute without '='";
          SkipSpace();
          if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) return "unquoted attribute";
          char quote = text_[pos_++];
          for (;;) {
            if (pos_ >= text_.size()) return "unterminated attribute value";
            char c = text_[pos_];
            if (c == quote) {
              ++pos_;
              break;
            }
            if (c == '<') return "'<' in attribute value";
            if (c == '&') {
              auto reason = Reference();
              if (!reason.empty()) return reason;
              continue;
            }
            ++pos_;
          }
        }
        continue;
      }
      // Character data.
      char c = text_[pos_];
      if (open.empty()) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
          ++pos_;
          continue;
        }
        return "character data outside the root element";
      }
      if (c == '&') {
        auto reason = Reference();
        if (!reason.empty()) return reason;
        continue;
      }
      if (c == '>' && pos_ >= 2 && text_.substr(pos_ - 2, 2) == "]]") return "']]>' in character data";
      ++pos_;
    }
    if (!open.empty()) return "unclosed element <" + std::string(open.back()) + ">";
    if (!root_closed) return "no root element";
    return {};
  }

 private:
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool SkipSpace() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n'))
      ++pos_;
    return pos_ != start;
  }
  // ASCII subset of XML names (all Mallard emits) plus any non-ASCII byte; a name must not start
  // with a digit, '-' or '.'.
  std::string_view Name() {
    std::size_t start = pos_;
    auto name_char = [](unsigned char c) {
      return std::isalnum(c) || c == '_' || c == ':' || c == '-' || c == '.' || c >= 0x80;
    };
    while (pos_ < text_.size() && name_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    if (!name.empty() && (std::isdigit(static_cast<unsigned char>(name[0])) || name[0] == '-' || name[0] == '.'))
      return {};
    return name;
  }
  // At '&': a predefined entity or a character reference to an XML Char.
  std::string Reference() {
    auto semicolon = text_.find(';', pos_);
    if (semicolon == std::string_view::npos || semicolon - pos_ > 12) return "bare '&'";
    std::string_view body = text_.substr(pos_ + 1, semicolon - pos_ - 1);
    pos_ = semicolon + 1;
    if (body == "amp" || body == "lt" || body == "gt" || body == "quot" || body == "apos") return {};
    if (body.size() < 2 || body[0] != '#') return "unknown entity &" + std::string(body) + ";";
    std::uint32_t value = 0;
    bool hex = body[1] == 'x';
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty()) return "empty character reference";
    for (char d : digits) {
      int v = -1;
      if (d >= '0' && d <= '9') v = d - '0';
      else if (hex && d >= 'a' && d <= 'f') v = d - 'a' + 10;
      else if (hex && d >= 'A' && d <= 'F') v = d - 'A' + 10;
      if (v < 0) return "bad character reference";
      value = value * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
      if (value > 0x10FFFF) return "character reference out of range";
    }
    if (!IsXmlChar(value)) return "character reference to a non-XML character";
    return {};
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

inline void CheckWellFormedXml(std::string_view body, std::string_view what) {
  std::string reason = XmlChecker(body).Check();
  if (!reason.empty()) FailCheck(std::string(what) + ": XML is not well-formed: " + reason, body);
}

// Findings reported but not yet fixed (in code another change owns) still fail every run, as they
// should; to keep fuzzing past one for executions, FUZZ_IGNORE_KNOWN=<name>[,<name>...] or =all
// makes the target skip inputs that reach it. Names are listed in fuzz/README.md.
inline bool KnownFindingIgnored(std::string_view name) {
  const char* setting = std::getenv("FUZZ_IGNORE_KNOWN");
  if (setting == nullptr) return false;
  std::string_view list(setting);
  if (list == "all") return true;
  while (!list.empty()) {
    auto comma = list.find(',');
    if (list.substr(0, comma) == name) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Splits fuzz input at the first occurrence of `separator` (the rest after it); for targets that
// take two strings.
inline std::pair<std::string_view, std::string_view> SplitOnce(std::string_view data, char separator) {
  auto at = data.find(separator);
  if (at == std::string_view::npos) return {data, {}};
  return {data.substr(0, at), data.substr(at + 1)};
}

}  // namespace mallard::fuzz

#include "services/sns/filter/policy_token_reader.hpp"

#include <cstdint>

namespace mallard::sns::filter_detail {

namespace {

// Jackson quotes at most this many characters of the source in a location.
constexpr std::size_t kMaxSourceSnippet = 500;

bool IsContinuationByte(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// UTF-16 units a UTF-8 lead byte stands for (Jackson counts Java chars).
std::size_t Utf16Units(unsigned char lead) { return lead >= 0xF0 ? 2 : 1; }

void AppendUtf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void PolicyTokenReader::SkipWhitespace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    ++pos_;
  }
}

bool PolicyTokenReader::LexString(std::string& out, std::size_t& end_after_quote) {
  out.clear();
  std::size_t at = pos_ + 1;  // past the opening quote
  while (at < text_.size()) {
    auto c = static_cast<unsigned char>(text_[at]);
    if (c == '"') {
      end_after_quote = at + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c != '\\') {
      out.push_back(static_cast<char>(c));
      ++at;
      continue;
    }
    if (at + 1 >= text_.size()) return false;
    char escape = text_[at + 1];
    at += 2;
    switch (escape) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case '/': out.push_back('/'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        auto read_unit = [&](std::uint32_t& unit) {
          if (at + 4 > text_.size()) return false;
          unit = 0;
          for (int i = 0; i < 4; ++i) {
            int digit = HexValue(text_[at + i]);
            if (digit < 0) return false;
            unit = unit * 16 + static_cast<std::uint32_t>(digit);
          }
          at += 4;
          return true;
        };
        std::uint32_t unit = 0;
        if (!read_unit(unit)) return false;
        if (unit >= 0xD800 && unit <= 0xDBFF && at + 1 < text_.size() && text_[at] == '\\' && text_[at + 1] == 'u') {
          std::size_t saved = at;
          at += 2;
          std::uint32_t low = 0;
          if (read_unit(low) && low >= 0xDC00 && low <= 0xDFFF) {
            AppendUtf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
            break;
          }
          at = saved;
        }
        // A lone surrogate has no UTF-8 form; it becomes U+FFFD.
        AppendUtf8(out, unit >= 0xD800 && unit <= 0xDFFF ? 0xFFFD : unit);
        break;
      }
      default:
        return false;
    }
  }
  return false;
}

bool PolicyTokenReader::LexNumber() {
  std::size_t start = pos_;
  std::size_t at = pos_;
  auto digit_at = [&](std::size_t i) { return i < text_.size() && text_[i] >= '0' && text_[i] <= '9'; };
  if (at < text_.size() && text_[at] == '-') ++at;
  if (!digit_at(at)) return false;
  if (text_[at] == '0') {
    ++at;
  } else {
    while (digit_at(at)) ++at;
  }
  number_is_float_ = false;
  if (at < text_.size() && text_[at] == '.') {
    ++at;
    if (!digit_at(at)) return false;
    while (digit_at(at)) ++at;
    number_is_float_ = true;
  }
  if (at < text_.size() && (text_[at] == 'e' || text_[at] == 'E')) {
    ++at;
    if (at < text_.size() && (text_[at] == '+' || text_[at] == '-')) ++at;
    if (!digit_at(at)) return false;
    while (digit_at(at)) ++at;
    number_is_float_ = true;
  }
  number_literal_ = text_.substr(start, at - start);
  pos_ = at;
  return true;
}

bool PolicyTokenReader::LexLiteral(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return false;
  pos_ += word.size();
  return true;
}

PolicyToken PolicyTokenReader::LexValue() {
  if (pos_ >= text_.size()) return PolicyToken::Malformed;
  switch (text_[pos_]) {
    case '"': {
      std::size_t end = 0;
      if (!LexString(string_text_, end)) return PolicyToken::Malformed;
      string_pending_ = true;
      string_open_end_ = pos_ + 1;
      pos_ = end;
      return PolicyToken::String;
    }
    case '[':
      ++pos_;
      return PolicyToken::StartArray;
    case '{':
      ++pos_;
      return PolicyToken::StartObject;
    case 't':
      return LexLiteral("true") ? PolicyToken::True : PolicyToken::Malformed;
    case 'f':
      return LexLiteral("false") ? PolicyToken::False : PolicyToken::Malformed;
    case 'n':
      return LexLiteral("null") ? PolicyToken::Null : PolicyToken::Malformed;
    default:
      return LexNumber() ? PolicyToken::Number : PolicyToken::Malformed;
  }
}

PolicyToken PolicyTokenReader::Next() {
  if (token_ == PolicyToken::Malformed) return token_;
  if (has_pending_value_) {
    has_pending_value_ = false;
    token_ = pending_value_;
    if (token_ == PolicyToken::StartObject) frames_.push_back({Scope::Object, false});
    if (token_ == PolicyToken::StartArray) frames_.push_back({Scope::Array, false});
    return token_;
  }
  string_pending_ = false;  // Jackson skips the rest of an unread string
  SkipWhitespace();
  if (pos_ >= text_.size()) return token_ = frames_.empty() ? PolicyToken::EndOfInput : PolicyToken::Malformed;
  char c = text_[pos_];
  if (c == ']' || c == '}') {
    Scope closing = c == ']' ? Scope::Array : Scope::Object;
    if (frames_.empty() || frames_.back().scope != closing) return token_ = PolicyToken::Malformed;
    frames_.pop_back();
    ++pos_;
    return token_ = closing == Scope::Array ? PolicyToken::EndArray : PolicyToken::EndObject;
  }
  if (!frames_.empty()) {
    Frame& frame = frames_.back();
    if (frame.has_members) {
      if (c != ',') return token_ = PolicyToken::Malformed;
      ++pos_;
      SkipWhitespace();
      if (pos_ >= text_.size()) return token_ = PolicyToken::Malformed;
    }
    frame.has_members = true;
    if (frame.scope == Scope::Object) {
      if (text_[pos_] != '"') return token_ = PolicyToken::Malformed;
      std::size_t end = 0;
      if (!LexString(name_, end)) return token_ = PolicyToken::Malformed;
      pos_ = end;
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return token_ = PolicyToken::Malformed;
      ++pos_;
      SkipWhitespace();
      pending_value_ = LexValue();
      if (pending_value_ == PolicyToken::Malformed) return token_ = PolicyToken::Malformed;
      has_pending_value_ = true;
      return token_ = PolicyToken::FieldName;
    }
  }
  token_ = LexValue();
  if (token_ == PolicyToken::StartObject) frames_.push_back({Scope::Object, false});
  if (token_ == PolicyToken::StartArray) frames_.push_back({Scope::Array, false});
  return token_;
}

std::string PolicyTokenReader::Text() {
  switch (token_) {
    case PolicyToken::String:
      string_pending_ = false;
      return string_text_;
    case PolicyToken::FieldName: return name_;
    case PolicyToken::Number: return std::string(number_literal_);
    case PolicyToken::True: return "true";
    case PolicyToken::False: return "false";
    case PolicyToken::Null: return "null";
    case PolicyToken::StartObject: return "{";
    case PolicyToken::EndObject: return "}";
    case PolicyToken::StartArray: return "[";
    case PolicyToken::EndArray: return "]";
    default: return "null";  // Jackson's getText() is null at the end of input
  }
}

std::size_t PolicyTokenReader::Line() const {
  std::size_t line = 1;
  std::size_t cursor = Cursor();
  for (std::size_t i = 0; i < cursor && i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      ++line;
    } else if (text_[i] == '\r' && !(i + 1 < text_.size() && text_[i + 1] == '\n')) {
      ++line;
    }
  }
  return line;
}

std::size_t PolicyTokenReader::Column() const {
  std::size_t units = 0;
  std::size_t cursor = Cursor();
  for (std::size_t i = 0; i < cursor && i < text_.size(); ++i) {
    auto byte = static_cast<unsigned char>(text_[i]);
    if (byte == '\n' || byte == '\r') {
      units = 0;
    } else if (!IsContinuationByte(byte)) {
      units += Utf16Units(byte);
    }
  }
  return units + 1;
}

std::string PolicyTokenReader::LocationSuffix() const {
  std::size_t units = 0;
  std::size_t cut = text_.size();
  std::size_t total_units = 0;
  for (std::size_t i = 0; i < text_.size(); ++i) {
    auto byte = static_cast<unsigned char>(text_[i]);
    if (IsContinuationByte(byte)) continue;
    if (units + Utf16Units(byte) > kMaxSourceSnippet && cut == text_.size()) cut = i;
    if (cut == text_.size()) units += Utf16Units(byte);
    total_units += Utf16Units(byte);
  }
  std::string suffix = "\n at [Source: (String)\"";
  suffix.append(text_.substr(0, cut));
  suffix.push_back('"');
  if (cut < text_.size()) suffix += "[truncated " + std::to_string(total_units - units) + " chars]";
  suffix += "; line: " + std::to_string(Line()) + ", column: " + std::to_string(Column()) + "]";
  return suffix;
}

}  // namespace mallard::sns::filter_detail

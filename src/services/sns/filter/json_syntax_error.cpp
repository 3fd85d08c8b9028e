#include "services/sns/filter/json_syntax_error.hpp"

#include <cstdio>
#include <vector>

namespace mallard::sns {
namespace {

constexpr std::string_view kRedacted = "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)";

std::string Location(int line, int column) {
  return std::string(kRedacted) + "; line: " + std::to_string(line) + ", column: " + std::to_string(column) + "]";
}

// How Jackson names a character in its messages: ('i' (code 105)), (CTRL-CHAR, code 10).
std::string Describe(std::string_view text, std::size_t at) {
  auto byte = static_cast<unsigned char>(text[at]);
  if (byte < 0x20) return "(CTRL-CHAR, code " + std::to_string(byte) + ")";
  unsigned code = byte;
  std::size_t length = 1;
  if (byte >= 0xC0) {
    length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
    code = byte & (0x3F >> (length - 1));
    for (std::size_t i = 1; i < length && at + i < text.size(); ++i) code = (code << 6) | (text[at + i] & 0x3F);
  }
  return "('" + std::string(text.substr(at, length)) + "' (code " + std::to_string(code) + "))";
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::string Run() {
    enum class Expect { Value, ValueOrArrayEnd, FieldOrObjectEnd, Field, Colon, CommaOrEnd };
    Expect expect = Expect::Value;
    while (true) {
      SkipSpace();
      if (expect == Expect::CommaOrEnd && frames_.empty()) return {};  // the root value is complete
      if (pos_ >= text_.size()) return EndOfInput();
      char c = text_[pos_];
      switch (expect) {
        case Expect::Value:
        case Expect::ValueOrArrayEnd:
          if (expect == Expect::ValueOrArrayEnd && c == ']') {
            Advance();
            frames_.pop_back();
            expect = Expect::CommaOrEnd;
            break;
          }
          if (c == '{' || c == '[') {
            frames_.push_back({c == '{', line_, column_});
            Advance();
            expect = c == '{' ? Expect::FieldOrObjectEnd : Expect::ValueOrArrayEnd;
            break;
          }
          if (c == '"') {
            if (!String()) return error_;
          } else if (c == '-' || (c >= '0' && c <= '9')) {
            if (!Number()) return error_;
          } else if (IsTokenStart(c)) {
            if (!Token()) return error_;
          } else {
            return Fail("Unexpected character " + Describe(text_, pos_) + ": expected a value", column_);
          }
          expect = Expect::CommaOrEnd;
          break;
        case Expect::FieldOrObjectEnd:
        case Expect::Field:
          if (expect == Expect::FieldOrObjectEnd && c == '}') {
            Advance();
            frames_.pop_back();
            expect = Expect::CommaOrEnd;
            break;
          }
          if (c != '"') {
            return Fail("Unexpected character " + Describe(text_, pos_) + ": was expecting double-quote to start field name",
                        column_);
          }
          if (!String()) return error_;
          expect = Expect::Colon;
          break;
        case Expect::Colon:
          if (c != ':') {
            return Fail("Unexpected character " + Describe(text_, pos_) +
                            ": was expecting a colon to separate field name and value",
                        column_);
          }
          Advance();
          expect = Expect::Value;
          break;
        case Expect::CommaOrEnd: {
          const Frame& frame = frames_.back();
          if (c == ',') {
            Advance();
            expect = frame.object ? Expect::Field : Expect::Value;
          } else if (c == '}' || c == ']') {
            if ((c == '}') != frame.object) {
              return Fail(std::string("Unexpected close marker '") + c + "': expected '" + (frame.object ? '}' : ']') +
                              "' (for " + (frame.object ? "Object" : "Array") + " starting at " +
                              Location(frame.line, frame.column) + ")",
                          column_ + 1);
            }
            Advance();
            frames_.pop_back();
          } else {
            return Fail("Unexpected character " + Describe(text_, pos_) + ": was expecting comma to separate " +
                            (frame.object ? "Object" : "Array") + " entries",
                        column_);
          }
          break;
        }
      }
    }
  }

 private:
  struct Frame {
    bool object;
    int line;
    int column;
  };

  static bool IsTokenStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
  static bool IsTokenPart(char c) {
    return IsTokenStart(c) || (c >= '0' && c <= '9') || c == '$' || static_cast<unsigned char>(c) >= 0x80;
  }

  void Advance() {
    if (pos_ >= text_.size()) return;
    auto byte = static_cast<unsigned char>(text_[pos_]);
    ++pos_;
    if (byte == '\n') {
      ++line_;
      column_ = 1;
    } else if ((byte & 0xC0) != 0x80) {
      ++column_;
    }
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r' || text_[pos_] == '\n')) {
      Advance();
    }
  }

  std::string Fail(const std::string& message, int column) {
    error_ = message + "\n at " + Location(line_, column);
    return error_;
  }

  std::string EndOfInput() {
    if (frames_.empty()) return Fail("No content to map due to end-of-input", column_);
    const Frame& frame = frames_.back();
    return Fail(std::string("Unexpected end-of-input: expected close marker for ") + (frame.object ? "Object" : "Array") +
                    " (start marker at " + Location(frame.line, frame.column) + ")",
                column_);
  }

  bool String() {
    Advance();  // the opening quote
    while (pos_ < text_.size()) {
      auto byte = static_cast<unsigned char>(text_[pos_]);
      if (byte == '"') {
        Advance();
        return true;
      }
      if (byte < 0x20) {
        Fail("Illegal unquoted character (" + Describe(text_, pos_) +
                 "): has to be escaped using backslash to be included in string value",
             column_ + 1);
        return false;
      }
      if (byte == '\\') {
        Advance();
        if (pos_ >= text_.size()) break;
        char escape = text_[pos_];
        if (escape == 'u') {
          for (int i = 0; i < 4; ++i) {
            Advance();
            if (pos_ >= text_.size()) break;
            char h = text_[pos_];
            bool hex = (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
            if (!hex) {
              Fail("Unexpected character " + Describe(text_, pos_) +
                       ": expected a hex-digit for character escape sequence",
                   column_ + 1);
              return false;
            }
          }
        } else if (std::string_view("\"\\/bfnrt").find(escape) == std::string_view::npos) {
          Fail("Unrecognized character escape " + Describe(text_, pos_).substr(1, Describe(text_, pos_).size() - 2), column_ + 1);
          return false;
        }
      }
      Advance();
    }
    Fail("Unexpected end-of-input: was expecting closing quote for a string value", column_);
    return false;
  }

  bool Digits() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') Advance();
    return pos_ > start;
  }

  bool Number() {
    if (text_[pos_] == '-') {
      Advance();
      if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') {
        if (pos_ >= text_.size()) {
          Fail("Unexpected end-of-input in numeric value", column_);
        } else {
          Fail("Unexpected character " + Describe(text_, pos_) +
                   " in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
               column_ + 1);
        }
        return false;
      }
    }
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() && text_[pos_ + 1] >= '0' && text_[pos_ + 1] <= '9') {
      Advance();
      Fail("Invalid numeric value: Leading zeroes not allowed", column_ + 1);
      return false;
    }
    Digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      Advance();
      if (!Digits()) {
        if (pos_ >= text_.size()) {
          Fail("Unexpected end-of-input in numeric value", column_);
        } else {
          Fail("Unexpected character " + Describe(text_, pos_) + " in numeric value: Decimal point not followed by a digit",
               column_ + 1);
        }
        return false;
      }
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      Advance();
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) Advance();
      if (!Digits()) {
        if (pos_ >= text_.size()) {
          Fail("Unexpected end-of-input in numeric value", column_);
        } else {
          Fail("Unexpected character " + Describe(text_, pos_) + " in numeric value: Exponent indicator not followed by a digit",
               column_ + 1);
        }
        return false;
      }
    }
    return true;
  }

  bool Token() {
    std::size_t start = pos_;
    while (pos_ < text_.size() && IsTokenPart(text_[pos_])) Advance();
    std::string_view token = text_.substr(start, pos_ - start);
    if (token == "true" || token == "false" || token == "null") return true;
    Fail("Unrecognized token '" + std::string(token) +
             "': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
         column_);
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::vector<Frame> frames_;
  std::string error_;
};

}  // namespace

std::string JacksonSyntaxError(std::string_view text) { return Scanner(text).Run(); }

}  // namespace mallard::sns

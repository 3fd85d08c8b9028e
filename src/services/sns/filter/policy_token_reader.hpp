#pragma once
// PolicyTokenReader: a streaming JSON tokenizer over a filter policy that reports positions the
// way AWS's reports do. SNS compiles filter policies with a Jackson streaming parser and appends
// Jackson's location to each validation message ("... at [Source: (String)\"...\"; line: 1,
// column: 22]"), so the column must be where Jackson's cursor stands when the rule is broken:
//   - a string value is a token as soon as its opening quote is read; the cursor moves past the
//     closing quote only when its text is read (Text()) or the next token is read;
//   - after a field name Jackson also reads the colon and the start of the value (a whole number or
//     literal, an opening bracket or brace, or a string's opening quote) before returning the name.
// The reader lexes whole tokens eagerly (so it knows each string's end and decoded text) and keeps
// the Jackson-visible cursor separately. It is a plain value: copying it saves a position, which
// the compiler uses to look ahead (is this "$or" an OR?).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mallard::sns::filter_detail {

enum class PolicyToken : unsigned char {
  StartObject,
  EndObject,
  StartArray,
  EndArray,
  FieldName,
  String,
  Number,
  True,
  False,
  Null,
  EndOfInput,
  Malformed,  // not JSON at this point (the caller reports "failed to parse JSON")
};

class PolicyTokenReader {
 public:
  explicit PolicyTokenReader(std::string_view text) : text_(text) {}

  // The next token (Jackson's nextToken()).
  PolicyToken Next();
  PolicyToken token() const { return token_; }

  // Jackson's getText(): a string's decoded text (and the cursor moves past its closing quote), a
  // field name, a number's literal, "true"/"false"/"null", or the bracket/brace itself.
  std::string Text();
  // The current field name (valid from a FieldName token until the next name).
  const std::string& Name() const { return name_; }
  // The current number token's literal as written.
  std::string_view NumberLiteral() const { return number_literal_; }
  // Whether the current number token was written with a fraction or exponent.
  bool NumberIsFloat() const { return number_is_float_; }

  // Jackson's location of the cursor: line and column, both from 1 (column in UTF-16 units).
  std::size_t Line() const;
  std::size_t Column() const;
  // " at [Source: (String)\"...\"; line: L, column: C]" as Jackson appends it (content truncated
  // to 500 characters).
  std::string LocationSuffix() const;

 private:
  enum class Scope : unsigned char { Object, Array };
  struct Frame {
    Scope scope;
    bool has_members;
  };

  // Lexes one value starting at pos_ (after whitespace): sets the token and its data.
  PolicyToken LexValue();
  bool LexString(std::string& out, std::size_t& end_after_quote);
  bool LexNumber();
  bool LexLiteral(std::string_view word);
  void SkipWhitespace();
  std::size_t Cursor() const { return string_pending_ ? string_open_end_ : pos_; }

  std::string_view text_;
  std::size_t pos_ = 0;  // everything before pos_ has been lexed
  std::vector<Frame> frames_;
  PolicyToken token_ = PolicyToken::EndOfInput;
  // A value read ahead after a field name, returned by the next Next() without moving.
  bool has_pending_value_ = false;
  PolicyToken pending_value_ = PolicyToken::EndOfInput;
  // A string token whose closing quote Jackson has not reached yet.
  bool string_pending_ = false;
  std::size_t string_open_end_ = 0;
  std::string string_text_;
  std::string name_;
  std::string_view number_literal_;
  bool number_is_float_ = false;
};

}  // namespace mallard::sns::filter_detail

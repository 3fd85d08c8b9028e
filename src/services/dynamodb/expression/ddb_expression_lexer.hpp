#pragma once
// Internal to the expression parsers: the tokenizer and the machinery all parsers share (syntax
// errors worded as AWS words them, deferred semantic errors reported in AWS's priority order,
// document paths with placeholders and reserved words, operator counting, nesting bounds).
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/dynamodb/expression/ddb_expression.hpp"

namespace mallard::dynamodb::detail {

enum class Tok : unsigned char {
  Name,      // identifier: [A-Za-z_][A-Za-z0-9_]*
  NamePh,    // #name
  ValuePh,   // :value
  Number,    // [0-9]+ (list indexes)
  LParen, RParen, LBracket, RBracket, Comma, Dot,
  Eq, Ne, Lt, Le, Gt, Ge, Plus, Minus,
  Unknown,   // any other single character
  End,
};

struct Token {
  Tok kind = Tok::End;
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

std::vector<Token> Lex(std::string_view text);

inline constexpr std::size_t kMaxExpressionBytes = 4096;
inline constexpr int kMaxOperators = 300;
inline constexpr std::size_t kMaxPathDepth = 32;
inline constexpr int kMaxNesting = 320;

// Deferred (non-syntax) errors: the first of each category is kept; the parser reports the
// category first in its own priority order.
enum class ErrCat : unsigned char {
  Parens, UnknownFunction, MisusedFunction, Reserved, Section, Condition,
  AttrName, AttrVal, PathOverlap, PathConflict, Operand, Function, PathDepth, kCount
};

class ParserBase {
 public:
  ParserBase(std::string_view text, ExpressionKind kind, ExpressionInputs& inputs);

  // Size and emptiness checks done before parsing.
  std::optional<AwsError> Precheck() const;

 protected:
  const Token& Peek(std::size_t ahead = 0) const {
    std::size_t i = pos_ + ahead;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  bool At(Tok kind) const { return Peek().kind == kind; }
  std::string_view Text(const Token& token) const { return text_.substr(token.begin, token.end - token.begin); }
  // A Name token equal (case-insensitively) to `keyword`.
  bool IsKeyword(const Token& token, std::string_view keyword) const;
  bool AtKeyword(std::string_view keyword) const { return IsKeyword(Peek(), keyword); }

  // AWS's syntax error at the current token: Syntax error; token: "x", near: "a x b".
  AwsError SyntaxError() const;
  AwsError Invalid(std::string_view detail) const;
  void Defer(ErrCat category, std::string message);
  // The deferred error to report, in `order`; nullopt when none.
  std::optional<AwsError> DeferredError(std::initializer_list<ErrCat> order) const;
  // Counts one operator or function; false (with the error set) past AWS's limit.
  bool CountOperator();

  // path := (Name | #name) ( '.' (Name | #name) | '[' Number ']' )*
  // The current token must start a path. Reserved words and undefined #names are deferred errors.
  Result<DocumentPath> ParsePath(std::span<const std::string_view> stop_keywords);
  bool AtPathStart() const { return At(Tok::Name) || At(Tok::NamePh); }
  // :value -> the value (nullptr when undefined; deferred error recorded).
  const AttributeValue* ParseValue();

  std::string_view text_;
  ExpressionKind kind_;
  ExpressionInputs& inputs_;
  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int operators_ = 0;
  int depth_ = 0;
  std::optional<AwsError> fatal_;  // too many operators
  std::array<std::optional<std::string>, static_cast<std::size_t>(ErrCat::kCount)> deferred_;
};

// The type tag AWS prints in operand-type messages ("S", "N", "BOOL", ...).
std::string_view TypeName(AttrType type);
// "{N:5}"-style rendering used in BETWEEN messages: "AttributeValue: {N:5}".
std::string DescribeValue(const AttributeValue& value);

}  // namespace mallard::dynamodb::detail

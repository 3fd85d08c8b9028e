#pragma once
// The token reader under Athena's DDL parser (athena_external_ddl.cpp) and Hive's type grammar:
// the dialect lexer's significant tokens with two Hive-isms undone, a recursive-descent cursor that
// keeps the first error with its position, Hive's string unescaping. Internal to this module.
#include <charconv>
#include <cstddef>
#include <system_error>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/athena/athena_external_ddl.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::athena::external::reader {

namespace lex = sqlengine::dialect;
using lex::TokenKind;

inline std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

// The significant tokens of the statement, with two Hive-isms undone: `>>` (the end of
// `array<array<int>>`) is two tokens, and `a:int` (a struct field, which the lexer reads as the
// parameter `:int`) is `:` then `int`.
struct Piece {
  TokenKind kind;
  std::size_t offset;
  std::string_view text;
  bool unterminated = false;
};

std::vector<Piece> Pieces(std::string_view sql);

// A parse failure carried out of the recursive descent (no exceptions across the module, and none
// inside it either: every step returns false and the first error is kept).
class Parser {
 public:
  explicit Parser(std::string_view sql) : sql_(sql), pieces_(Pieces(sql)) {}

  bool AtEnd() const { return next_ >= pieces_.size(); }
  const Piece* Peek(std::size_t ahead = 0) const {
    return next_ + ahead < pieces_.size() ? &pieces_[next_ + ahead] : nullptr;
  }
  bool PeekKeyword(std::string_view upper, std::size_t ahead = 0) const {
    const Piece* piece = Peek(ahead);
    return piece != nullptr && IsKeyword(*piece, upper);
  }
  bool Keyword(std::string_view upper) {
    if (!PeekKeyword(upper)) return false;
    ++next_;
    return true;
  }
  bool PeekSymbol(std::string_view symbol, std::size_t ahead = 0) const {
    const Piece* piece = Peek(ahead);
    return piece != nullptr && (piece->kind == TokenKind::Punctuation || piece->kind == TokenKind::Operator) &&
           piece->text == symbol;
  }
  bool Symbol(std::string_view symbol) {
    if (!PeekSymbol(symbol)) return false;
    ++next_;
    return true;
  }
  bool Expect(std::string_view upper_keyword) {
    if (Keyword(upper_keyword)) return true;
    return Error(upper_keyword);
  }
  bool ExpectSymbol(std::string_view symbol) {
    if (Symbol(symbol)) return true;
    return Error("'" + std::string(symbol) + "'");
  }
  // A name: a word, `backticks` or "double quotes"; lower-cased.
  bool Name(std::string& out, std::string_view expecting = "an identifier") {
    const Piece* piece = Peek();
    if (piece == nullptr || piece->unterminated ||
        (piece->kind != TokenKind::Word && piece->kind != TokenKind::BacktickIdentifier &&
         piece->kind != TokenKind::QuotedIdentifier)) {
      return Error(expecting);
    }
    lex::Token token;
    token.kind = piece->kind;
    token.text = piece->text;
    out = Lowered(lex::IdentifierText(token));
    if (out.empty()) return Error(expecting);
    ++next_;
    return true;
  }
  // [database.]table
  bool QualifiedName(TableName& out) {
    std::string first;
    if (!Name(first, "a table name")) return false;
    if (Symbol(".")) {
      out.database = first;
      return Name(out.name, "a table name");
    }
    out.database.clear();
    out.name = first;
    return true;
  }
  bool String(std::string& out, std::string_view expecting = "a string literal") {
    const Piece* piece = Peek();
    if (piece == nullptr || piece->kind != TokenKind::String || piece->unterminated) return Error(expecting);
    lex::Token token;
    token.kind = piece->kind;
    token.text = piece->text;
    out = lex::StringText(token);
    ++next_;
    return true;
  }
  // A literal value: 'string', a number, or a bare word (true/false).
  bool Value(std::string& out) {
    const Piece* piece = Peek();
    if (piece != nullptr && piece->kind == TokenKind::String) return String(out);
    if (piece != nullptr && (piece->kind == TokenKind::Number || piece->kind == TokenKind::Word)) {
      out = std::string(piece->text);
      ++next_;
      return true;
    }
    if (piece != nullptr && piece->kind == TokenKind::Operator && piece->text == "-") {
      const Piece* number = Peek(1);
      if (number != nullptr && number->kind == TokenKind::Number) {
        out = "-" + std::string(number->text);
        next_ += 2;
        return true;
      }
    }
    return Error("a literal value");
  }
  bool Integer(int& out) {
    const Piece* piece = Peek();
    if (piece == nullptr || piece->kind != TokenKind::Number) return Error("an integer");
    auto [end, code] = std::from_chars(piece->text.data(), piece->text.data() + piece->text.size(), out);
    if (code != std::errc() || end != piece->text.data() + piece->text.size() || out < 0) return Error("an integer");
    ++next_;
    return true;
  }
  // The end of the statement: nothing, or one `;`.
  bool End() {
    Symbol(";");
    if (AtEnd()) return true;
    return Error("<EOF>");
  }

  // Records the first error: the offending token (or the end) and what would have fitted.
  bool Error(std::string_view expecting) {
    if (error_) return false;
    ParseError error;
    std::string found = "<EOF>";
    if (const Piece* piece = Peek()) {
      error.offset = piece->offset;
      found = std::string(piece->text.substr(0, 40));
    } else {
      error.offset = sql_.size();
    }
    auto position = lex::PositionOf(sql_, error.offset);
    error.message = "line " + std::to_string(position.line) + ":" + std::to_string(position.column) +
                    ": mismatched input '" + found + "'. Expecting: " + std::string(expecting);
    error_ = std::move(error);
    return false;
  }
  // A message of its own at the current token.
  bool Problem(std::string message) {
    if (error_) return false;
    ParseError error;
    error.offset = Peek() != nullptr ? Peek()->offset : sql_.size();
    auto position = lex::PositionOf(sql_, error.offset);
    error.message = "line " + std::to_string(position.line) + ":" + std::to_string(position.column) + ": " + message;
    error_ = std::move(error);
    return false;
  }
  std::optional<ParseError> TakeError() { return std::move(error_); }
  // Steps back over the token just read (to report a problem at it).
  void Back() {
    if (next_ > 0) --next_;
  }

  // The rest of the statement as written (a query), without a trailing `;`.
  bool Rest(std::string& out, std::size_t& offset, std::string_view expecting) {
    if (AtEnd()) return Error(expecting);
    std::size_t last = pieces_.size();
    if (last > next_ && pieces_[last - 1].kind == TokenKind::Punctuation && pieces_[last - 1].text == ";") --last;
    if (last == next_) return Error(expecting);
    // Brackets must balance inside the query (it is pasted into COPY (…) TO …), and a `;` may
    // only end it: one statement, never two.
    int depth = 0;
    for (std::size_t i = next_; i < last; ++i) {
      const Piece& piece = pieces_[i];
      if (piece.unterminated) {
        next_ = i;
        return Problem("unterminated literal, identifier or comment");
      }
      if (piece.kind != TokenKind::Punctuation) continue;
      if (piece.text == "(" || piece.text == "[") ++depth;
      if (piece.text == ")" || piece.text == "]") --depth;
      if (depth < 0 || piece.text == ";") {
        next_ = i;
        return Problem("mismatched input '" + std::string(piece.text) + "'");
      }
    }
    if (depth != 0) {
      next_ = last;
      return Error("')'");
    }
    offset = pieces_[next_].offset;
    std::size_t end = pieces_[last - 1].offset + pieces_[last - 1].text.size();
    out = std::string(sql_.substr(offset, end - offset));
    next_ = pieces_.size();
    return true;
  }
  // The text between the `(` just read and its matching `)` (which is consumed).
  bool Parenthesized(std::string& out, std::size_t& offset) {
    std::size_t open = next_ - 1;
    int depth = 1;
    for (std::size_t i = next_; i < pieces_.size(); ++i) {
      const Piece& piece = pieces_[i];
      if (piece.unterminated) {
        next_ = i;
        return Problem("unterminated literal, identifier or comment");
      }
      if (piece.kind != TokenKind::Punctuation) continue;
      if (piece.text == "(" || piece.text == "[") ++depth;
      if (piece.text == ")" || piece.text == "]") --depth;
      if (piece.text == ";") {
        next_ = i;
        return Problem("mismatched input ';'");
      }
      if (depth == 0) {
        if (piece.text != ")" || i == open + 1) {
          next_ = i;
          return Error("a query");
        }
        offset = pieces_[open + 1].offset;
        out = std::string(sql_.substr(offset, piece.offset - offset));
        next_ = i + 1;
        return true;
      }
    }
    next_ = pieces_.size();
    return Error("')'");
  }

 private:
  static bool IsKeyword(const Piece& piece, std::string_view upper) {
    if (piece.kind != TokenKind::Word || piece.text.size() != upper.size()) return false;
    for (std::size_t i = 0; i < upper.size(); ++i) {
      char c = piece.text[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != upper[i]) return false;
    }
    return true;
  }

  std::string_view sql_;
  std::vector<Piece> pieces_;
  std::size_t next_ = 0;
  std::optional<ParseError> error_;
};

// Hive unescapes its DDL string literals (BaseSemanticAnalyzer.unescapeSQLString): `'\\t'` is a
// tab, `'\\001'` is byte 1, `'\\\\'` one backslash. Applied to delimiters and SERDEPROPERTIES.
std::string HiveUnescape(std::string_view text);

// A Hive type at the cursor (`array<struct<a:int>>`), nesting bounded.
bool ParseType(Parser& parser, HiveType& type, int depth);

}  // namespace mallard::athena::external::reader

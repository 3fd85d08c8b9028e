#pragma once
// A lossless SQL tokenizer for the dialect translators (Athena's Trino SQL, Redshift's SQL): the
// translators rewrite token by token, so every byte of the input is in exactly one token and
// concatenating the tokens' text gives the input back. It knows only what the dialects share:
// '…' strings ('' escapes; E'…' and U&'…' prefixes stay Word tokens followed by a String), "…"
// identifiers ("" escapes), `…` identifiers (Hive DDL), -- and /* */ comments (nested, as
// PostgreSQL/Redshift nest them), numbers (1, 1.5, .5, 1e10, 0x1F), parameters (? and :name and
// $1) and operators. It never fails: an unterminated string, identifier or comment runs to the end
// of the text and is marked `unterminated`, so the translator can report it in the dialect's words.
// Iterative, constant stack: client SQL of any length and nesting is safe.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mallard::sqlengine::dialect {

enum class TokenKind : unsigned char {
  Space,             // blanks and newlines
  Comment,           // -- … (to end of line, newline excluded) or /* … */
  Word,              // unquoted identifier or keyword: letters, digits, _, $ (not first), bytes ≥ 0x80
  QuotedIdentifier,  // "…"
  BacktickIdentifier,// `…`
  String,            // '…'
  Number,            // 12, 1.5, .5, 1e-3, 0xFF
  Parameter,         // ?, :name, $1
  Operator,          // one or more of + - * / % < > = ! | & ^ ~ @ # (greedy for <= >= <> != || :: -> =>)
  Punctuation,       // ( ) [ ] { } , ; .
  Other,             // any other byte
};

struct Token {
  TokenKind kind = TokenKind::Other;
  std::size_t offset = 0;  // byte offset in the input
  std::string_view text;   // view into the input
  bool unterminated = false;

  bool Is(TokenKind k) const { return kind == k; }
  bool IsPunct(char c) const { return kind == TokenKind::Punctuation && text.size() == 1 && text[0] == c; }
  bool IsOperator(std::string_view op) const { return kind == TokenKind::Operator && text == op; }
  // An unquoted word equal to `upper_keyword` ignoring ASCII case ("SELECT" matches select).
  bool IsKeyword(std::string_view upper_keyword) const;
  bool IsTrivia() const { return kind == TokenKind::Space || kind == TokenKind::Comment; }
};

// Every token of `sql`, in order. The views point into `sql`, which must outlive them.
std::vector<Token> Tokenize(std::string_view sql);

// The identifier a token names: a Word as written (case kept), a quoted identifier unquoted with
// its doubled quotes undone. Empty for other kinds.
std::string IdentifierText(const Token& token);
// The contents of a String token with '' undone ("it''s" → "it's").
std::string StringText(const Token& token);

// `name` as a double-quoted identifier, with " doubled.
std::string QuoteIdentifier(std::string_view name);
// `text` as a single-quoted SQL string, with ' doubled.
std::string QuoteString(std::string_view text);

// 1-based line and column of byte `offset`, as Trino and PostgreSQL report positions ("line 1:8").
struct SourcePosition {
  std::size_t line = 1;
  std::size_t column = 1;
};
SourcePosition PositionOf(std::string_view sql, std::size_t offset);

// Index of the next token at or after `index` that is not Space or Comment; tokens.size() if none.
std::size_t NextSignificant(const std::vector<Token>& tokens, std::size_t index);
// Index of the token closing the bracket opened at `open` (one of ( [ {), counting nesting of the
// same kind; tokens.size() when it is never closed.
std::size_t MatchingClose(const std::vector<Token>& tokens, std::size_t open);

}  // namespace mallard::sqlengine::dialect

#include "sqlengine/dialect/sql_lexer.hpp"

namespace mallard::sqlengine::dialect {

namespace {

bool IsWordStart(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool IsWordPart(unsigned char c) { return IsWordStart(c) || (c >= '0' && c <= '9') || c == '$'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(unsigned char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsOperatorChar(char c) {
  switch (c) {
    case '+': case '-': case '*': case '/': case '%': case '<': case '>': case '=': case '!':
    case '|': case '&': case '^': case '~': case '@': case '#':
      return true;
    default:
      return false;
  }
}
bool IsPunctuationChar(char c) {
  switch (c) {
    case '(': case ')': case '[': case ']': case '{': case '}': case ',': case ';': case '.':
      return true;
    default:
      return false;
  }
}

// End of a quoted run starting at `begin` (the opening quote); a doubled quote is an escape.
std::size_t QuotedEnd(std::string_view sql, std::size_t begin, char quote, bool& unterminated) {
  std::size_t i = begin + 1;
  while (i < sql.size()) {
    if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  unterminated = true;
  return sql.size();
}

// Operators are split where a comment starts (`a--b` is `a` then a comment) and are otherwise one
// run, except that a run never swallows a following sign of a number (`x>-1` is `>` then `-`, `1`)
// beyond the two-character operators SQL has.
std::size_t OperatorEnd(std::string_view sql, std::size_t begin) {
  static constexpr std::string_view kTwo[] = {"<=", ">=", "<>", "!=", "||", "->", "=>", "<<", ">>", "->>", "@>", "<@", "&&"};
  if (begin + 2 < sql.size() && sql.substr(begin, 3) == "->>") return begin + 3;
  for (auto two : kTwo) {
    if (two.size() == 2 && sql.substr(begin, 2) == two) return begin + 2;
  }
  return begin + 1;
}

}  // namespace

bool Token::IsKeyword(std::string_view upper_keyword) const {
  if (kind != TokenKind::Word || text.size() != upper_keyword.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper_keyword[i]) return false;
  }
  return true;
}

std::vector<Token> Tokenize(std::string_view sql) {
  std::vector<Token> tokens;
  tokens.reserve(sql.size() / 3 + 1);
  std::size_t i = 0;
  auto push = [&](TokenKind kind, std::size_t begin, std::size_t end, bool unterminated = false) {
    tokens.push_back(Token{kind, begin, sql.substr(begin, end - begin), unterminated});
    i = end;
  };
  while (i < sql.size()) {
    const std::size_t begin = i;
    const unsigned char c = static_cast<unsigned char>(sql[i]);
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (IsSpace(c)) {
      std::size_t end = i + 1;
      while (end < sql.size() && IsSpace(static_cast<unsigned char>(sql[end]))) ++end;
      push(TokenKind::Space, begin, end);
    } else if (c == '-' && next == '-') {
      std::size_t end = sql.find('\n', i);
      push(TokenKind::Comment, begin, end == std::string_view::npos ? sql.size() : end);
    } else if (c == '/' && next == '*') {
      std::size_t depth = 1;
      std::size_t end = i + 2;
      while (end < sql.size() && depth > 0) {
        if (sql[end] == '/' && end + 1 < sql.size() && sql[end + 1] == '*') {
          ++depth;
          end += 2;
        } else if (sql[end] == '*' && end + 1 < sql.size() && sql[end + 1] == '/') {
          --depth;
          end += 2;
        } else {
          ++end;
        }
      }
      push(TokenKind::Comment, begin, end, depth > 0);
    } else if (c == '\'' || c == '"' || c == '`') {
      bool unterminated = false;
      std::size_t end = QuotedEnd(sql, i, static_cast<char>(c), unterminated);
      TokenKind kind = c == '\'' ? TokenKind::String : c == '"' ? TokenKind::QuotedIdentifier : TokenKind::BacktickIdentifier;
      push(kind, begin, end, unterminated);
    } else if (IsDigit(c) || (c == '.' && IsDigit(static_cast<unsigned char>(next)))) {
      std::size_t end = i;
      if (c == '0' && (next == 'x' || next == 'X') && i + 2 < sql.size() && IsHexDigit(static_cast<unsigned char>(sql[i + 2]))) {
        end = i + 2;
        while (end < sql.size() && IsHexDigit(static_cast<unsigned char>(sql[end]))) ++end;
      } else {
        while (end < sql.size() && IsDigit(static_cast<unsigned char>(sql[end]))) ++end;
        if (end < sql.size() && sql[end] == '.') {
          ++end;
          while (end < sql.size() && IsDigit(static_cast<unsigned char>(sql[end]))) ++end;
        }
        if (end < sql.size() && (sql[end] == 'e' || sql[end] == 'E')) {
          std::size_t exponent = end + 1;
          if (exponent < sql.size() && (sql[exponent] == '+' || sql[exponent] == '-')) ++exponent;
          if (exponent < sql.size() && IsDigit(static_cast<unsigned char>(sql[exponent]))) {
            end = exponent;
            while (end < sql.size() && IsDigit(static_cast<unsigned char>(sql[end]))) ++end;
          }
        }
      }
      push(TokenKind::Number, begin, end);
    } else if (IsWordStart(c)) {
      std::size_t end = i + 1;
      while (end < sql.size() && IsWordPart(static_cast<unsigned char>(sql[end]))) ++end;
      push(TokenKind::Word, begin, end);
    } else if (c == '?') {
      push(TokenKind::Parameter, begin, i + 1);
    } else if (c == '$' && IsDigit(static_cast<unsigned char>(next))) {
      std::size_t end = i + 1;
      while (end < sql.size() && IsDigit(static_cast<unsigned char>(sql[end]))) ++end;
      push(TokenKind::Parameter, begin, end);
    } else if (c == ':') {
      if (next == ':') {
        push(TokenKind::Operator, begin, i + 2);
      } else if (next == '=') {
        push(TokenKind::Operator, begin, i + 2);
      } else if (IsWordStart(static_cast<unsigned char>(next))) {
        std::size_t end = i + 2;
        while (end < sql.size() && IsWordPart(static_cast<unsigned char>(sql[end]))) ++end;
        push(TokenKind::Parameter, begin, end);
      } else {
        push(TokenKind::Operator, begin, i + 1);
      }
    } else if (IsOperatorChar(static_cast<char>(c))) {
      push(TokenKind::Operator, begin, OperatorEnd(sql, i));
    } else if (IsPunctuationChar(static_cast<char>(c))) {
      push(TokenKind::Punctuation, begin, i + 1);
    } else {
      push(TokenKind::Other, begin, i + 1);
    }
  }
  return tokens;
}

std::string IdentifierText(const Token& token) {
  if (token.kind == TokenKind::Word) return std::string(token.text);
  if (token.kind != TokenKind::QuotedIdentifier && token.kind != TokenKind::BacktickIdentifier) return {};
  const char quote = token.text.front();
  std::string_view inner = token.text.substr(1);
  if (!token.unterminated && !inner.empty()) inner.remove_suffix(1);
  std::string out;
  out.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    out.push_back(inner[i]);
    if (inner[i] == quote && i + 1 < inner.size() && inner[i + 1] == quote) ++i;
  }
  return out;
}

std::string StringText(const Token& token) {
  if (token.kind != TokenKind::String) return {};
  std::string_view inner = token.text.substr(1);
  if (!token.unterminated && !inner.empty()) inner.remove_suffix(1);
  std::string out;
  out.reserve(inner.size());
  for (std::size_t i = 0; i < inner.size(); ++i) {
    out.push_back(inner[i]);
    if (inner[i] == '\'' && i + 1 < inner.size() && inner[i + 1] == '\'') ++i;
  }
  return out;
}

namespace {
std::string Quote(std::string_view text, char quote) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back(quote);
  for (char c : text) {
    out.push_back(c);
    if (c == quote) out.push_back(quote);
  }
  out.push_back(quote);
  return out;
}
}  // namespace

std::string QuoteIdentifier(std::string_view name) { return Quote(name, '"'); }
std::string QuoteString(std::string_view text) { return Quote(text, '\''); }

SourcePosition PositionOf(std::string_view sql, std::size_t offset) {
  SourcePosition position;
  if (offset > sql.size()) offset = sql.size();
  for (std::size_t i = 0; i < offset; ++i) {
    if (sql[i] == '\n') {
      ++position.line;
      position.column = 1;
    } else {
      ++position.column;
    }
  }
  return position;
}

std::size_t NextSignificant(const std::vector<Token>& tokens, std::size_t index) {
  while (index < tokens.size() && tokens[index].IsTrivia()) ++index;
  return index;
}

std::size_t MatchingClose(const std::vector<Token>& tokens, std::size_t open) {
  if (open >= tokens.size() || tokens[open].kind != TokenKind::Punctuation) return tokens.size();
  const char opener = tokens[open].text[0];
  const char closer = opener == '(' ? ')' : opener == '[' ? ']' : opener == '{' ? '}' : '\0';
  if (closer == '\0') return tokens.size();
  std::size_t depth = 0;
  for (std::size_t i = open; i < tokens.size(); ++i) {
    if (tokens[i].IsPunct(opener)) {
      ++depth;
    } else if (tokens[i].IsPunct(closer)) {
      if (--depth == 0) return i;
    }
  }
  return tokens.size();
}

}  // namespace mallard::sqlengine::dialect

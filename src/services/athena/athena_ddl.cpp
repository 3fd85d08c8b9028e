#include "services/athena/athena_ddl.hpp"

#include <cctype>
#include <vector>

namespace mallard::athena {

namespace {

struct Token {
  enum class Kind { Word, Quoted, String, Symbol } kind;
  std::string text;  // Word: as written; Quoted: the name inside the backticks; String: unescaped
};

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string Lowered(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = Lower(c);
  return lowered;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Splits Hive DDL into words, `quoted names`, 'strings' and single-character symbols; comments
// (-- and /* */) and whitespace separate tokens. Returns false on an unterminated quote/comment or
// a character Hive DDL has no use for here.
bool Tokenize(std::string_view sql, std::vector<Token>& tokens) {
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      auto end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else if (c == '`' || c == '\'') {
      // `` inside backticks and '' inside strings stand for the quote itself.
      std::string text;
      std::size_t j = i + 1;
      bool closed = false;
      while (j < sql.size()) {
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            text.push_back(c);
            j += 2;
            continue;
          }
          closed = true;
          break;
        }
        text.push_back(sql[j++]);
      }
      if (!closed) return false;
      tokens.push_back(Token{c == '`' ? Token::Kind::Quoted : Token::Kind::String, std::move(text)});
      i = j + 1;
    } else if (IsWordChar(c)) {
      std::size_t j = i;
      while (j < sql.size() && IsWordChar(sql[j])) ++j;
      tokens.push_back(Token{Token::Kind::Word, std::string(sql.substr(i, j - i))});
      i = j;
    } else if (c == '(' || c == ')' || c == ',' || c == '=' || c == ';' || c == '.') {
      tokens.push_back(Token{Token::Kind::Symbol, std::string(1, c)});
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

class Reader {
 public:
  explicit Reader(const std::vector<Token>& tokens) : tokens_(tokens) {}
  bool AtEnd() const { return next_ >= tokens_.size(); }
  // Consumes the keyword `word` (case-insensitive) when it comes next.
  bool Keyword(std::string_view word) {
    if (AtEnd() || tokens_[next_].kind != Token::Kind::Word || Lowered(tokens_[next_].text) != word) return false;
    ++next_;
    return true;
  }
  bool Symbol(char symbol) {
    if (AtEnd() || tokens_[next_].kind != Token::Kind::Symbol || tokens_[next_].text[0] != symbol) return false;
    ++next_;
    return true;
  }
  const Token* Take(Token::Kind kind) {
    if (AtEnd() || tokens_[next_].kind != kind) return nullptr;
    return &tokens_[next_++];
  }
  const Token* Name() {
    if (AtEnd()) return nullptr;
    const Token& token = tokens_[next_];
    if (token.kind != Token::Kind::Word && token.kind != Token::Kind::Quoted) return nullptr;
    ++next_;
    return &token;
  }
  // The end of the statement: nothing, or one `;`.
  bool End() {
    Symbol(';');
    return AtEnd();
  }

 private:
  const std::vector<Token>& tokens_;
  std::size_t next_ = 0;
};

// Athena's database names: letters, digits and underscores (and hyphens between backticks, as Glue
// allows them), 1 to 255 characters.
bool ValidDatabaseName(const Token& name) {
  if (name.text.empty() || name.text.size() > 255) return false;
  for (char c : name.text) {
    if (!IsWordChar(c) && !(name.kind == Token::Kind::Quoted && c == '-')) return false;
  }
  return true;
}

}  // namespace

DatabaseDdlParse ParseDatabaseDdl(std::string_view sql) {
  DatabaseDdlParse parse;
  std::vector<Token> tokens;
  bool tokenized = Tokenize(sql, tokens);
  Reader reader(tokens);
  DatabaseDdl ddl;
  if (reader.Keyword("create")) {
    ddl.create = true;
  } else if (reader.Keyword("drop")) {
    ddl.create = false;
  } else {
    return parse;
  }
  const bool said_database = reader.Keyword("database");
  if (!said_database && !reader.Keyword("schema")) return parse;
  const char* usage = ddl.create ? "line 1:1: mismatched input. Expected: CREATE DATABASE [IF NOT EXISTS] name "
                                   "[COMMENT 'comment'] [LOCATION 'location'] [WITH DBPROPERTIES (...)]"
                                 : "line 1:1: mismatched input. Expected: DROP DATABASE [IF EXISTS] name "
                                   "[RESTRICT | CASCADE]";
  // A statement Athena's grammar does not cover: DATABASE is answered with the grammar, SCHEMA is
  // left to the engine (DuckDB's own CREATE SCHEMA forms keep working).
  const auto not_athena = [&](std::string message) {
    if (said_database) parse.error = std::move(message);
    return parse;
  };
  if (!tokenized) return not_athena(usage);
  if (reader.Keyword("if")) {
    if (ddl.create && !reader.Keyword("not")) return not_athena(usage);
    if (!reader.Keyword("exists")) return not_athena(usage);
    ddl.if_clause = true;
  }
  const Token* name = reader.Name();
  if (name == nullptr) return not_athena(usage);
  if (!ValidDatabaseName(*name)) {
    return not_athena("Database name '" + name->text +
                      "' is not valid: use letters, digits and underscores (1 to 255 characters).");
  }
  ddl.database = Lowered(name->text);
  if (ddl.create) {
    if (reader.Keyword("comment")) {
      const Token* comment = reader.Take(Token::Kind::String);
      if (comment == nullptr) return not_athena(usage);
      ddl.comment = comment->text;
    }
    if (reader.Keyword("location") && reader.Take(Token::Kind::String) == nullptr) return not_athena(usage);
    if (reader.Keyword("with")) {
      if (!reader.Keyword("dbproperties") || !reader.Symbol('(')) return not_athena(usage);
      do {
        if (reader.Take(Token::Kind::String) == nullptr || !reader.Symbol('=') ||
            reader.Take(Token::Kind::String) == nullptr) {
          return not_athena(usage);
        }
      } while (reader.Symbol(','));
      if (!reader.Symbol(')')) return not_athena(usage);
    }
  } else if (reader.Keyword("cascade")) {
    ddl.cascade = true;
  } else {
    reader.Keyword("restrict");
  }
  if (!reader.End()) return not_athena(usage);
  parse.ddl = std::move(ddl);
  return parse;
}

std::string EngineStatement(const DatabaseDdl& ddl, const std::string& schema) {
  std::string quoted = "\"";
  for (char c : schema) {
    quoted.push_back(c);
    if (c == '"') quoted.push_back('"');
  }
  quoted.push_back('"');
  if (ddl.create) return std::string("CREATE SCHEMA ") + (ddl.if_clause ? "IF NOT EXISTS " : "") + quoted;
  return std::string("DROP SCHEMA ") + (ddl.if_clause ? "IF EXISTS " : "") + quoted + (ddl.cascade ? " CASCADE" : "");
}

}  // namespace mallard::athena

// Lexer and recursive-descent parser for DynamoDB's PartiQL subset. Every recursive rule counts
// its depth against kMaxNesting, so hostile input ends in a syntax error, not a crash.
#include <boost/json/object.hpp>

#include <algorithm>
#include <cctype>

#include "common/encoding.hpp"
#include "services/dynamodb/partiql/ddb_partiql_ast.hpp"

namespace mallard::dynamodb::partiql {

AwsError Validation(std::string message) { return AwsError::Make("ValidationException", 400, std::move(message)); }
AwsError NotWellFormed(const std::string& detail) {
  return Validation("Statement wasn't well formed, can't be processed: " + detail);
}

namespace {

enum class TokenKind : unsigned char { Word, QuotedName, String, Number, Symbol, Ion, End };

struct Token {
  TokenKind kind = TokenKind::End;
  std::string text;  // words as written; strings and quoted names unescaped; symbols verbatim
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IsWordStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }
bool IsWordChar(char c) { return IsWordStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

Result<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '-' && i + 1 < n && text[i + 1] == '-') {  // line comment
      while (i < n && text[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && text[i + 1] == '*') {  // block comment
      std::size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos) return Fail(NotWellFormed("unterminated comment"));
      i = end + 2;
      continue;
    }
    if (c == '\'' || c == '"') {  // string literal or quoted identifier; the quote doubles to escape
      std::string value;
      std::size_t j = i + 1;
      bool closed = false;
      while (j < n) {
        if (text[j] == c) {
          if (j + 1 < n && text[j + 1] == c) { value += c; j += 2; continue; }
          closed = true;
          break;
        }
        value += text[j++];
      }
      if (!closed) return Fail(NotWellFormed(c == '\'' ? "unterminated string literal" : "unterminated quoted identifier"));
      tokens.push_back({c == '\'' ? TokenKind::String : TokenKind::QuotedName, std::move(value)});
      i = j + 1;
      continue;
    }
    if (c == '`') {  // Ion literal: recognised only to be refused with AWS's message
      std::size_t end = text.find('`', i + 1);
      if (end == std::string_view::npos) return Fail(NotWellFormed("unterminated Ion literal"));
      tokens.push_back({TokenKind::Ion, std::string(text.substr(i + 1, end - i - 1))});
      i = end + 1;
      continue;
    }
    if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(text[i + 1]))) {
      std::size_t j = i;
      while (j < n && IsDigit(text[j])) ++j;
      if (j < n && text[j] == '.') {
        ++j;
        while (j < n && IsDigit(text[j])) ++j;
      }
      if (j < n && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < n && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < n && IsDigit(text[k])) {
          while (k < n && IsDigit(text[k])) ++k;
          j = k;
        }
      }
      if (j < n && IsWordChar(text[j])) return Fail(NotWellFormed("invalid number literal"));
      tokens.push_back({TokenKind::Number, std::string(text.substr(i, j - i))});
      i = j;
      continue;
    }
    if (IsWordStart(c)) {
      std::size_t j = i;
      while (j < n && IsWordChar(text[j])) ++j;
      tokens.push_back({TokenKind::Word, std::string(text.substr(i, j - i))});
      i = j;
      continue;
    }
    static constexpr std::string_view kTwoCharSymbols[] = {"<<", ">>", "<=", ">=", "<>", "!=", "||"};
    bool matched = false;
    for (std::string_view symbol : kTwoCharSymbols) {
      if (text.substr(i, 2) == symbol) {
        tokens.push_back({TokenKind::Symbol, std::string(symbol)});
        i += 2;
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (std::string_view("()[]{},.*?=<>+-:;/%").find(c) != std::string_view::npos) {
      tokens.push_back({TokenKind::Symbol, std::string(1, c)});
      ++i;
      continue;
    }
    // Quote the whole character: one byte of a multi-byte one would make the message invalid UTF-8.
    const Utf8Step character = DecodeUtf8At(text, i);
    return Fail(NotWellFormed("unexpected character '" + std::string(text.substr(i, character.length)) + "'"));
  }
  tokens.push_back({TokenKind::End, ""});
  return tokens;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Statement> ParseTop() {
    Statement statement;
    if (IsKeyword("SELECT")) {
      MALLARD_RETURN_IF_ERROR(ParseSelect(statement));
    } else if (IsKeyword("INSERT")) {
      MALLARD_RETURN_IF_ERROR(ParseInsert(statement));
    } else if (IsKeyword("UPDATE")) {
      MALLARD_RETURN_IF_ERROR(ParseUpdate(statement));
    } else if (IsKeyword("DELETE")) {
      MALLARD_RETURN_IF_ERROR(ParseDelete(statement));
    } else if (IsKeyword("EXISTS")) {
      Advance();
      MALLARD_RETURN_IF_ERROR(ExpectSymbol("("));
      if (!IsKeyword("SELECT")) return Fail(NotWellFormed("Expected SELECT inside EXISTS"));
      MALLARD_RETURN_IF_ERROR(ParseSelect(statement));
      MALLARD_RETURN_IF_ERROR(ExpectSymbol(")"));
      statement.kind = StatementKind::Exists;
    } else {
      return Fail(NotWellFormed(Peek().kind == TokenKind::End ? "Empty statement" : "Expected data manipulation"));
    }
    if (IsSymbol(";")) Advance();
    if (Peek().kind != TokenKind::End) {
      if (IsKeyword("SELECT") || IsKeyword("INSERT") || IsKeyword("UPDATE") || IsKeyword("DELETE")) {
        return Fail(Validation("Only one operation is allowed in a statement."));
      }
      return Fail(NotWellFormed("Unexpected token after expression"));
    }
    statement.parameter_count = parameters_;
    return statement;
  }

 private:
  // Depth accounting for every recursive rule.
  struct DepthGuard {
    Parser& parser;
    explicit DepthGuard(Parser& p) : parser(p) { ++parser.depth_; }
    ~DepthGuard() { --parser.depth_; }
    bool TooDeep() const { return parser.depth_ > kMaxNesting; }
  };

  const Token& Peek(std::size_t ahead = 0) const {
    std::size_t at = std::min(position_ + ahead, tokens_.size() - 1);
    return tokens_[at];
  }
  const Token& Advance() {
    const Token& token = tokens_[position_];
    if (position_ + 1 < tokens_.size()) ++position_;
    return token;
  }
  bool IsKeyword(std::string_view word, std::size_t ahead = 0) const {
    const Token& token = Peek(ahead);
    return token.kind == TokenKind::Word && Upper(token.text) == word;
  }
  bool IsSymbol(std::string_view symbol, std::size_t ahead = 0) const {
    const Token& token = Peek(ahead);
    return token.kind == TokenKind::Symbol && token.text == symbol;
  }
  std::string Describe(const Token& token) const {
    switch (token.kind) {
      case TokenKind::End: return "end of statement";
      case TokenKind::String: return "'" + token.text + "'";
      case TokenKind::QuotedName: return "\"" + token.text + "\"";
      default: return token.text;
    }
  }
  AwsError Unexpected() const { return NotWellFormed("unexpected token " + Describe(Peek())); }
  Status<> ExpectSymbol(std::string_view symbol) {
    if (!IsSymbol(symbol)) return Fail(NotWellFormed("Expected '" + std::string(symbol) + "' but found " + Describe(Peek())));
    Advance();
    return Ok();
  }
  Status<> ExpectKeyword(std::string_view word) {
    if (!IsKeyword(word)) return Fail(NotWellFormed("Expected " + std::string(word) + " but found " + Describe(Peek())));
    Advance();
    return Ok();
  }

  // Reserved words cannot be bare identifiers (they can always be double-quoted).
  static bool IsReserved(const std::string& upper) {
    static constexpr std::string_view kReserved[] = {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "INSERT", "INTO", "VALUE", "VALUES", "UPDATE",
        "SET", "REMOVE", "DELETE", "RETURNING", "ORDER", "BY", "BETWEEN", "IN", "IS", "NULL", "MISSING",
        "TRUE", "FALSE", "EXISTS", "AS", "ASC", "DESC", "LIMIT", "AT", "ON", "GROUP", "HAVING"};
    return std::find(std::begin(kReserved), std::end(kReserved), upper) != std::end(kReserved);
  }

  Result<std::string> ParseName() {
    const Token& token = Peek();
    if (token.kind == TokenKind::QuotedName) {
      if (token.text.empty()) return Fail(Validation("Path component cannot be an empty string"));
      return std::string(Advance().text);
    }
    if (token.kind == TokenKind::Word && !IsReserved(Upper(token.text))) return std::string(Advance().text);
    return Fail(Unexpected());
  }

  // table or "table"."index"; aliases and joins are refused as AWS refuses them.
  Status<> ParseSource(Statement& statement, bool data_manipulation) {
    MALLARD_ASSIGN_OR_RETURN(statement.table, ParseName());
    if (IsSymbol(".")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(statement.index, ParseName());
      if (IsSymbol(".")) return Fail(Validation("A path may contain at most 2 components in the FROM clause"));
    }
    // UPDATE t ADD ... is refused by ParseUpdate with its own message, not taken for an alias.
    bool update_action = data_manipulation && (IsKeyword("ADD") || IsKeyword("DELETE"));
    if (IsKeyword("AS") || (Peek().kind == TokenKind::Word && !IsReserved(Upper(Peek().text)) && !update_action) ||
        Peek().kind == TokenKind::QuotedName) {
      return Fail(Validation("Aliasing is not supported"));
    }
    if (IsSymbol(",")) {
      return Fail(Validation(data_manipulation ? "FROM clause may only contain a single table name in data manipulation statements"
                                               : "Only select from a single table or index is supported."));
    }
    return Ok();
  }

  Status<> ParseSelect(Statement& statement) {
    Advance();  // SELECT
    statement.kind = StatementKind::Select;
    if (IsKeyword("VALUE") || IsKeyword("PIVOT")) return Fail(Validation("Select projection doesn't support value or pivot keywords"));
    if (IsKeyword("DISTINCT") || IsKeyword("ALL")) return Fail(Validation("Unsupported clause: " + Upper(Peek().text)));
    bool star = false;
    while (true) {
      if (IsSymbol("*")) {
        Advance();
        star = true;
      } else {
        MALLARD_ASSIGN_OR_RETURN(Path path, ParsePath());
        if (IsKeyword("AS")) return Fail(Validation("Aliasing is not supported"));
        statement.projection.push_back(std::move(path));
      }
      if (!IsSymbol(",")) break;
      Advance();
    }
    if (star && !statement.projection.empty()) {
      return Fail(Validation("Other attributes should not be present in the projection when '*' is used."));
    }
    statement.select_all = star;
    MALLARD_RETURN_IF_ERROR(ExpectKeyword("FROM"));
    MALLARD_RETURN_IF_ERROR(ParseSource(statement, false));
    if (IsKeyword("WHERE")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr where, ParseOr());
      statement.where = std::move(where);
    }
    if (IsKeyword("ORDER")) {
      Advance();
      MALLARD_RETURN_IF_ERROR(ExpectKeyword("BY"));
      while (true) {
        OrderTerm term;
        MALLARD_ASSIGN_OR_RETURN(term.path, ParsePath());
        if (IsKeyword("ASC")) {
          Advance();
        } else if (IsKeyword("DESC")) {
          Advance();
          term.descending = true;
        }
        statement.order_by.push_back(std::move(term));
        if (!IsSymbol(",")) break;
        Advance();
      }
    }
    if (IsKeyword("GROUP") || IsKeyword("HAVING") || IsKeyword("LIMIT") || IsKeyword("OFFSET")) {
      return Fail(Validation("Unsupported clause: " + Upper(Peek().text)));
    }
    return Ok();
  }

  Status<> ParseInsert(Statement& statement) {
    Advance();  // INSERT
    statement.kind = StatementKind::Insert;
    MALLARD_RETURN_IF_ERROR(ExpectKeyword("INTO"));
    MALLARD_RETURN_IF_ERROR(ParseSource(statement, true));
    if (IsKeyword("VALUES") || IsSymbol("<<")) {
      return Fail(Validation("Unsupported operation: Inserting multiple items in a single statement is not supported, use "
                             "\"INSERT INTO tableName VALUE item\" instead"));
    }
    MALLARD_RETURN_IF_ERROR(ExpectKeyword("VALUE"));
    MALLARD_ASSIGN_OR_RETURN(Expr item, ParseOr());
    statement.item = std::move(item);
    if (IsKeyword("AT")) return Fail(Validation("AT is not supported in insert statements."));
    if (IsKeyword("ON")) return Fail(Validation("Invalid conflict action. Only \"DO NOTHING\" action is supported."));
    if (IsKeyword("RETURNING")) return Fail(Validation("RETURNING is not supported in INSERT"));
    if (IsKeyword("FROM") || IsKeyword("WHERE")) return Fail(Validation("Unsupported FROM ... WHERE ... clause in INSERT statement."));
    return Ok();
  }

  Status<> ParseUpdate(Statement& statement) {
    Advance();  // UPDATE
    statement.kind = StatementKind::Update;
    MALLARD_RETURN_IF_ERROR(ParseSource(statement, true));
    // Any sequence of SET and REMOVE clauses, each with a comma-separated list.
    while (IsKeyword("SET") || IsKeyword("REMOVE")) {
      bool remove = IsKeyword("REMOVE");
      Advance();
      while (true) {
        UpdateAction action;
        action.remove = remove;
        MALLARD_ASSIGN_OR_RETURN(action.target, ParsePath());
        if (!remove) {
          if (IsKeyword("IS")) return Fail(Validation("IS operator is not supported in update expressions"));
          MALLARD_RETURN_IF_ERROR(ExpectSymbol("="));
          MALLARD_ASSIGN_OR_RETURN(action.value, ParseAdditive());
        }
        statement.updates.push_back(std::move(action));
        if (!IsSymbol(",")) break;
        Advance();
      }
    }
    if (IsKeyword("ADD") || IsKeyword("DELETE")) {
      return Fail(Validation("Only SET and REMOVE are supported in update expressions at this time"));
    }
    if (statement.updates.empty()) return Fail(NotWellFormed("Expected SET or REMOVE but found " + Describe(Peek())));
    if (IsKeyword("WHERE")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr where, ParseOr());
      statement.where = std::move(where);
    }
    return ParseReturning(statement);
  }

  Status<> ParseDelete(Statement& statement) {
    Advance();  // DELETE
    statement.kind = StatementKind::Delete;
    MALLARD_RETURN_IF_ERROR(ExpectKeyword("FROM"));
    MALLARD_RETURN_IF_ERROR(ParseSource(statement, true));
    if (IsKeyword("WHERE")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr where, ParseOr());
      statement.where = std::move(where);
    }
    return ParseReturning(statement);
  }

  // RETURNING (ALL | MODIFIED) (OLD | NEW) *
  Status<> ParseReturning(Statement& statement) {
    if (!IsKeyword("RETURNING")) return Ok();
    Advance();
    bool all = IsKeyword("ALL");
    if (!all && !IsKeyword("MODIFIED")) return Fail(NotWellFormed("Expected ALL or MODIFIED after RETURNING"));
    Advance();
    bool old_values = IsKeyword("OLD");
    if (!old_values && !IsKeyword("NEW")) return Fail(NotWellFormed("Expected OLD or NEW in RETURNING clause"));
    Advance();
    if (!IsSymbol("*")) {
      return Fail(Validation("Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"));
    }
    Advance();
    if (IsSymbol(",")) return Fail(Validation("Invalid syntax with multiple returning elements in RETURNING clause"));
    statement.returning = all ? (old_values ? Returning::AllOld : Returning::AllNew)
                              : (old_values ? Returning::ModifiedOld : Returning::ModifiedNew);
    statement.returning_text = std::string(all ? "ALL" : "MODIFIED") + (old_values ? " OLD *" : " NEW *");
    return Ok();
  }

  // path := name { '.' name | '[' number ']' | '[' 'string' ']' }
  Result<Path> ParsePath() {
    Path path;
    if (IsSymbol("[")) return Fail(Validation("A path cannot start with a list index"));
    MALLARD_ASSIGN_OR_RETURN(std::string first, ParseName());
    path.push_back({false, std::move(first), 0});
    MALLARD_RETURN_IF_ERROR(ParsePathSteps(path));
    return path;
  }

  Status<> ParsePathSteps(Path& path) {
    while (true) {
      if (IsSymbol(".")) {
        Advance();
        if (IsSymbol("*")) return Fail(Validation("Unpivot path component like a.*.b are not supported"));
        MALLARD_ASSIGN_OR_RETURN(std::string name, ParseName());
        path.push_back({false, std::move(name), 0});
      } else if (IsSymbol("[")) {
        Advance();
        if (IsSymbol("*")) return Fail(Validation("Wildcard path component like a[*].b are not supported"));
        const Token& token = Peek();
        if (token.kind == TokenKind::String) {
          if (token.text.empty()) return Fail(Validation("Path component cannot be an empty string"));
          path.push_back({false, Advance().text, 0});
        } else if (token.kind == TokenKind::Number &&
                   std::all_of(token.text.begin(), token.text.end(), IsDigit)) {
          std::string digits = Advance().text;
          // Bounded before converting: no overflow, and DynamoDB's own index limit is far lower.
          if (digits.size() > 9) return Fail(Validation("List index is not within the allowable range; index: [" + digits + "]"));
          path.push_back({true, "", std::stoull(digits)});
        } else {
          return Fail(Validation("Unexpected path component"));
        }
        MALLARD_RETURN_IF_ERROR(ExpectSymbol("]"));
      } else {
        return Ok();
      }
    }
  }

  Result<Expr> ParseOr() {
    DepthGuard guard(*this);
    if (guard.TooDeep()) return Fail(NotWellFormed("expression nested too deeply"));
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParseAnd());
    while (IsKeyword("OR")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr right, ParseAnd());
      left = Binary(ExprKind::Or, "", std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParseAnd() {
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParseNot());
    while (IsKeyword("AND")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr right, ParseNot());
      left = Binary(ExprKind::And, "", std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParseNot() {
    DepthGuard guard(*this);
    if (guard.TooDeep()) return Fail(NotWellFormed("expression nested too deeply"));
    if (IsKeyword("NOT")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr operand, ParseNot());
      Expr node;
      node.kind = ExprKind::Not;
      node.children.push_back(std::move(operand));
      return node;
    }
    return ParsePredicate();
  }

  Result<Expr> ParsePredicate() {
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParseAdditive());
    static constexpr std::string_view kComparators[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
    for (std::string_view comparator : kComparators) {
      if (IsSymbol(comparator)) {
        Advance();
        MALLARD_ASSIGN_OR_RETURN(Expr right, ParseAdditive());
        return Binary(ExprKind::Compare, comparator == "!=" ? "<>" : std::string(comparator), std::move(left), std::move(right));
      }
    }
    if (IsKeyword("IS")) {
      Advance();
      Expr node;
      node.kind = ExprKind::Is;
      if (IsKeyword("NOT")) {
        Advance();
        node.negated = true;
      }
      if (Peek().kind != TokenKind::Word) return Fail(Unexpected());
      node.op = Upper(Advance().text);
      node.children.push_back(std::move(left));
      return node;
    }
    bool negated = false;
    if (IsKeyword("NOT") && (IsKeyword("BETWEEN", 1) || IsKeyword("IN", 1) || IsKeyword("LIKE", 1))) {
      Advance();
      negated = true;
    }
    Expr node;
    if (IsKeyword("BETWEEN")) {
      Advance();
      node.kind = ExprKind::Between;
      MALLARD_ASSIGN_OR_RETURN(Expr low, ParseAdditive());
      MALLARD_RETURN_IF_ERROR(ExpectKeyword("AND"));
      MALLARD_ASSIGN_OR_RETURN(Expr high, ParseAdditive());
      node.children.push_back(std::move(left));
      node.children.push_back(std::move(low));
      node.children.push_back(std::move(high));
    } else if (IsKeyword("IN")) {
      Advance();
      node.kind = ExprKind::In;
      node.children.push_back(std::move(left));
      if (IsSymbol("[") || IsSymbol("(")) {
        node.op = "list";  // candidates written out; otherwise one expression holds them (IN ?)
        std::string close = IsSymbol("[") ? "]" : ")";
        Advance();
        if (!IsSymbol(close)) {
          while (true) {
            MALLARD_ASSIGN_OR_RETURN(Expr candidate, ParseAdditive());
            node.children.push_back(std::move(candidate));
            if (!IsSymbol(",")) break;
            Advance();
          }
        }
        MALLARD_RETURN_IF_ERROR(ExpectSymbol(close));
      } else {
        MALLARD_ASSIGN_OR_RETURN(Expr candidates, ParseAdditive());
        node.children.push_back(std::move(candidates));
      }
    } else if (IsKeyword("LIKE")) {
      return Fail(Validation("Unsupported operator in Condition Expression. Operator: LIKE"));
    } else {
      if (negated) return Fail(Unexpected());
      return left;
    }
    if (!negated) return node;
    Expr negation;
    negation.kind = ExprKind::Not;
    negation.children.push_back(std::move(node));
    return negation;
  }

  Result<Expr> ParseAdditive() {
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParsePrimary());
    while (IsSymbol("+") || IsSymbol("-") || IsSymbol("*") || IsSymbol("/") || IsSymbol("%") || IsSymbol("||")) {
      std::string op = Advance().text;
      if (op != "+" && op != "-") return Fail(Validation("Unsupported operation: " + op));
      MALLARD_ASSIGN_OR_RETURN(Expr right, ParsePrimary());
      left = Binary(ExprKind::Arith, op, std::move(left), std::move(right));
    }
    return left;
  }

  Result<Expr> ParsePrimary() {
    DepthGuard guard(*this);
    if (guard.TooDeep()) return Fail(NotWellFormed("expression nested too deeply"));
    const Token& token = Peek();
    Expr node;
    switch (token.kind) {
      case TokenKind::String:
        node.kind = ExprKind::Literal;
        node.literal = boost::json::object{{"S", Advance().text}};
        return node;
      case TokenKind::Number:
        node.kind = ExprKind::Literal;
        node.literal = boost::json::object{{"N", Advance().text}};
        return node;
      case TokenKind::Ion:
        return Fail(Validation("Ion Literals are not supported: `" + token.text + "`"));
      case TokenKind::QuotedName: {
        MALLARD_ASSIGN_OR_RETURN(Path path, ParsePath());
        node.kind = ExprKind::Path;
        node.path = std::move(path);
        return node;
      }
      case TokenKind::End:
        return Fail(NotWellFormed("unexpected end of statement"));
      case TokenKind::Symbol:
        return ParseSymbolPrimary();
      case TokenKind::Word:
        break;
    }
    std::string upper = Upper(token.text);
    if (upper == "TRUE" || upper == "FALSE") {
      Advance();
      node.kind = ExprKind::Literal;
      node.literal = boost::json::object{{"BOOL", upper == "TRUE"}};
      return node;
    }
    if (upper == "NULL") {
      Advance();
      node.kind = ExprKind::Literal;
      node.literal = boost::json::object{{"NULL", true}};
      return node;
    }
    if (upper == "MISSING") {
      Advance();
      node.kind = ExprKind::Missing;
      return node;
    }
    if (IsSymbol("(", 1)) {  // function call
      if (upper == "EXISTS") return Fail(Validation("EXISTS can only be used in ExecuteTransaction write requests."));
      node.kind = ExprKind::Call;
      node.op = std::string(token.text);
      std::transform(node.op.begin(), node.op.end(), node.op.begin(), [](unsigned char c) { return std::tolower(c); });
      Advance();
      Advance();  // (
      if (!IsSymbol(")")) {
        while (true) {
          MALLARD_ASSIGN_OR_RETURN(Expr argument, ParseOr());
          node.children.push_back(std::move(argument));
          if (!IsSymbol(",")) break;
          Advance();
        }
      }
      MALLARD_RETURN_IF_ERROR(ExpectSymbol(")"));
      return node;
    }
    MALLARD_ASSIGN_OR_RETURN(Path path, ParsePath());
    node.kind = ExprKind::Path;
    node.path = std::move(path);
    return node;
  }

  Result<Expr> ParseSymbolPrimary() {
    Expr node;
    if (IsSymbol("?")) {
      Advance();
      node.kind = ExprKind::Parameter;
      node.parameter = parameters_++;
      return node;
    }
    if (IsSymbol("-") || IsSymbol("+")) {  // signed number literal
      std::string sign = Advance().text;
      if (Peek().kind != TokenKind::Number) return Fail(Validation("Unsupported operation: unary " + sign));
      node.kind = ExprKind::Literal;
      node.literal = boost::json::object{{"N", (sign == "-" ? "-" : "") + Advance().text}};
      return node;
    }
    if (IsSymbol("(")) {
      Advance();
      MALLARD_ASSIGN_OR_RETURN(Expr inner, ParseOr());
      MALLARD_RETURN_IF_ERROR(ExpectSymbol(")"));
      return inner;
    }
    if (IsSymbol("{")) {
      Advance();
      node.kind = ExprKind::Struct;
      if (!IsSymbol("}")) {
        while (true) {
          MALLARD_ASSIGN_OR_RETURN(Expr key, ParsePrimary());
          MALLARD_RETURN_IF_ERROR(ExpectSymbol(":"));
          MALLARD_ASSIGN_OR_RETURN(Expr value, ParseAdditive());
          node.children.push_back(std::move(key));
          node.children.push_back(std::move(value));
          if (!IsSymbol(",")) break;
          Advance();
        }
      }
      MALLARD_RETURN_IF_ERROR(ExpectSymbol("}"));
      return node;
    }
    if (IsSymbol("[") || IsSymbol("<<")) {
      bool bag = IsSymbol("<<");
      std::string close = bag ? ">>" : "]";
      Advance();
      node.kind = bag ? ExprKind::Bag : ExprKind::List;
      if (!IsSymbol(close)) {
        while (true) {
          MALLARD_ASSIGN_OR_RETURN(Expr element, ParseAdditive());
          node.children.push_back(std::move(element));
          if (!IsSymbol(",")) break;
          Advance();
        }
      }
      MALLARD_RETURN_IF_ERROR(ExpectSymbol(close));
      return node;
    }
    return Fail(Unexpected());
  }

  static Expr Binary(ExprKind kind, std::string op, Expr left, Expr right) {
    Expr node;
    node.kind = kind;
    node.op = std::move(op);
    node.children.push_back(std::move(left));
    node.children.push_back(std::move(right));
    return node;
  }

  std::vector<Token> tokens_;
  std::size_t position_ = 0;
  std::size_t parameters_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<Statement> ParseStatement(std::string_view text) {
  MALLARD_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  Parser parser(std::move(tokens));
  return parser.ParseTop();
}

}  // namespace mallard::dynamodb::partiql

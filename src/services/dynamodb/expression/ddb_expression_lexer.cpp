// Tokenizer and the parser machinery shared by every expression kind.
#include "services/dynamodb/expression/ddb_expression_lexer.hpp"

#include <algorithm>
#include <cctype>

#include "common/encoding.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"

namespace mallard::dynamodb {

std::string_view ExpressionParamName(ExpressionKind kind) {
  switch (kind) {
    case ExpressionKind::Condition: return "ConditionExpression";
    case ExpressionKind::Filter: return "FilterExpression";
    case ExpressionKind::KeyCondition: return "KeyConditionExpression";
    case ExpressionKind::Projection: return "ProjectionExpression";
    case ExpressionKind::Update: return "UpdateExpression";
  }
  return "Expression";
}

std::string PathToString(const DocumentPath& path) {
  std::string out = "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i) out += ", ";
    if (path[i].is_index) {
      out += '[';
      out += std::to_string(path[i].index);
      out += ']';
    } else {
      out += path[i].name;
    }
  }
  out += ']';
  return out;
}

const AttributeValue* ResolvePath(const Item& item, const DocumentPath& path) {
  if (path.empty() || path[0].is_index) return nullptr;
  auto it = item.find(path[0].name);
  if (it == item.end()) return nullptr;
  const AttributeValue* current = &it->second;
  for (std::size_t i = 1; i < path.size(); ++i) {
    const PathElement& element = path[i];
    if (element.is_index) {
      if (current->type != AttrType::L || element.index >= current->list.size()) return nullptr;
      current = &current->list[element.index];
    } else {
      if (current->type != AttrType::M) return nullptr;
      auto member = current->map.find(element.name);
      if (member == current->map.end()) return nullptr;
      current = &member->second;
    }
  }
  return current;
}

namespace detail {
namespace {

// A name starts with a letter: "_a" is the token "_" and a syntax error (ScyllaDB's
// test_update_expression_name_token, run against AWS: token: "_", near: "SET _123").
bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)); }
bool IsNamePart(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::vector<Token> Lex(std::string_view text) {
  std::vector<Token> tokens;
  tokens.reserve(text.size() / 3 + 2);
  std::size_t i = 0;
  const std::size_t n = text.size();
  auto push = [&](Tok kind, std::size_t begin, std::size_t end) {
    tokens.push_back(Token{kind, static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)});
  };
  while (i < n) {
    char c = text[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    std::size_t begin = i;
    if (IsNameStart(c)) {
      while (i < n && IsNamePart(text[i])) ++i;
      push(Tok::Name, begin, i);
    } else if ((c == '#' || c == ':') && i + 1 < n && IsNamePart(text[i + 1])) {
      ++i;
      while (i < n && IsNamePart(text[i])) ++i;
      push(c == '#' ? Tok::NamePh : Tok::ValuePh, begin, i);
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < n && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
      push(Tok::Number, begin, i);
    } else {
      Tok kind = Tok::Unknown;
      std::size_t len = 1;
      switch (c) {
        case '(': kind = Tok::LParen; break;
        case ')': kind = Tok::RParen; break;
        case '[': kind = Tok::LBracket; break;
        case ']': kind = Tok::RBracket; break;
        case ',': kind = Tok::Comma; break;
        case '.': kind = Tok::Dot; break;
        case '=': kind = Tok::Eq; break;
        case '+': kind = Tok::Plus; break;
        case '-': kind = Tok::Minus; break;
        case '<':
          if (i + 1 < n && text[i + 1] == '>') kind = Tok::Ne, len = 2;
          else if (i + 1 < n && text[i + 1] == '=') kind = Tok::Le, len = 2;
          else kind = Tok::Lt;
          break;
        case '>':
          if (i + 1 < n && text[i + 1] == '=') kind = Tok::Ge, len = 2;
          else kind = Tok::Gt;
          break;
        default: {
          // One whole UTF-8 character.
          unsigned char lead = static_cast<unsigned char>(c);
          len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
          if (i + len > n) len = n - i;
          break;
        }
      }
      i += len;
      push(kind, begin, i);
    }
  }
  push(Tok::End, n, n);
  return tokens;
}

std::string_view TypeName(AttrType type) { return TypeTag(type); }

std::string DescribeValue(const AttributeValue& value) {
  std::string out = "AttributeValue: {";
  out += TypeTag(value.type);
  out += ':';
  switch (value.type) {
    case AttrType::S: out += value.bytes; break;
    case AttrType::N: out += value.number.ToString(); break;
    case AttrType::B: out += Base64Encode(value.bytes); break;
    case AttrType::BOOL: out += value.boolean ? "true" : "false"; break;
    case AttrType::NUL: out += "true"; break;
    default: break;
  }
  out += '}';
  return out;
}

ParserBase::ParserBase(std::string_view text, ExpressionKind kind, ExpressionInputs& inputs)
    : text_(text), kind_(kind), inputs_(inputs) {}

std::optional<AwsError> ParserBase::Precheck() const {
  if (text_.size() > kMaxExpressionBytes) {
    return Invalid("Expression size has exceeded the maximum allowed size; expression size: " +
                   std::to_string(text_.size()));
  }
  bool blank = true;
  for (char c : text_) blank = blank && IsSpace(c);
  if (blank) return Invalid("The expression can not be empty;");
  return std::nullopt;
}

bool ParserBase::IsKeyword(const Token& token, std::string_view keyword) const {
  if (token.kind != Tok::Name || token.end - token.begin != keyword.size()) return false;
  for (std::size_t i = 0; i < keyword.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text_[token.begin + i])) != keyword[i]) return false;
  }
  return true;
}

AwsError ParserBase::SyntaxError() const {
  std::size_t i = std::min(pos_, tokens_.size() - 1);
  const Token& token = tokens_[i];
  std::string message = "Syntax error; token: \"";
  message += token.kind == Tok::End ? std::string_view("<EOF>") : Text(token);
  message += "\", near: \"";
  // From the token before the offending one to the token after it, as written.
  std::size_t begin = i > 0 ? tokens_[i - 1].begin : token.begin;
  std::size_t end = token.kind == Tok::End ? (i > 0 ? tokens_[i - 1].end : 0) : token.end;
  if (token.kind != Tok::End && i + 1 < tokens_.size() && tokens_[i + 1].kind != Tok::End) end = tokens_[i + 1].end;
  if (end > begin) message += text_.substr(begin, end - begin);
  message += '"';
  return Invalid(message);
}

AwsError ParserBase::Invalid(std::string_view detail) const { return InvalidExpression(kind_, detail); }

void ParserBase::Defer(ErrCat category, std::string message) {
  auto& slot = deferred_[static_cast<std::size_t>(category)];
  if (!slot) slot = std::move(message);
}

std::optional<AwsError> ParserBase::DeferredError(std::initializer_list<ErrCat> order) const {
  for (ErrCat category : order) {
    const auto& slot = deferred_[static_cast<std::size_t>(category)];
    if (slot) return Invalid(*slot);
  }
  return std::nullopt;
}

bool ParserBase::CountOperator() {
  if (++operators_ > kMaxOperators) {
    if (!fatal_) fatal_ = Invalid("The expression contains too many operators; operator count: " + std::to_string(operators_));
    return false;
  }
  return true;
}

Result<DocumentPath> ParserBase::ParsePath(std::span<const std::string_view> stop_keywords) {
  DocumentPath path;
  auto element = [&]() -> bool {
    const Token& token = Peek();
    if (token.kind == Tok::Name) {
      for (std::string_view keyword : stop_keywords) {
        if (IsKeyword(token, keyword)) return false;
      }
      std::string_view name = Text(token);
      if (IsReservedWord(name)) Defer(ErrCat::Reserved, "Attribute name is a reserved keyword; reserved keyword: " + std::string(name));
      path.push_back(PathElement{std::string(name), 0, false});
    } else if (token.kind == Tok::NamePh) {
      std::string_view placeholder = Text(token);
      const std::string* resolved = inputs_.UseName(placeholder);
      if (!resolved) {
        Defer(kind_ == ExpressionKind::Update || kind_ == ExpressionKind::Projection ? ErrCat::AttrName : ErrCat::Condition,
              "An expression attribute name used in the document path is not defined; attribute name: " +
                                    std::string(placeholder));
        path.push_back(PathElement{std::string(placeholder), 0, false});
      } else {
        path.push_back(PathElement{*resolved, 0, false});
      }
    } else {
      return false;
    }
    ++pos_;
    return true;
  };
  if (!element()) return Fail(SyntaxError());
  while (true) {
    if (At(Tok::Dot)) {
      ++pos_;
      if (!element()) return Fail(SyntaxError());
    } else if (At(Tok::LBracket)) {
      ++pos_;
      if (!At(Tok::Number)) return Fail(SyntaxError());
      std::string_view digits = Text(Peek());
      // An index past a 32-bit int is AWS's range error (ScyllaDB's test_projection_expression_path
      // quotes it: "List index is not within the allowable range; index: [99999999999999]").
      std::uint64_t index = 0;
      for (char c : digits) index = std::min<std::uint64_t>(index * 10 + static_cast<std::uint64_t>(c - '0'), 1ULL << 40);
      if (index > 2147483647ULL) return Fail(Invalid("List index is not within the allowable range; index: [" + std::string(digits) + "]"));
      ++pos_;
      if (!At(Tok::RBracket)) return Fail(SyntaxError());
      ++pos_;
      path.push_back(PathElement{std::string(), static_cast<std::uint32_t>(index), true});
    } else {
      break;
    }
  }
  if (path.size() > kMaxPathDepth) {
    Defer(ErrCat::PathDepth, "The document path has too many nesting levels; nesting levels: " + std::to_string(path.size()));
  }
  return path;
}

const AttributeValue* ParserBase::ParseValue() {
  std::string_view placeholder = Text(Peek());
  ++pos_;
  const AttributeValue* value = inputs_.UseValue(placeholder);
  if (!value) {
    // Undefined values are reported in the order they appear, together with operand errors.
    Defer(kind_ == ExpressionKind::Update ? ErrCat::AttrVal : ErrCat::Condition,
          "An expression attribute value used in expression is not defined; attribute value: " + std::string(placeholder));
  }
  return value;
}

}  // namespace detail
}  // namespace mallard::dynamodb

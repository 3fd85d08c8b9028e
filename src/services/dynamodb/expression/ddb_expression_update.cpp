// UpdateExpression and ProjectionExpression parsers with AWS's static validation.
//
//   update     := clause+ ; clause := SET set (',' set)* | REMOVE path (',' path)*
//                                   | ADD path :v (',' path :v)* | DELETE path :v (',' ...)*
//   set        := path '=' value ; value := operand [('+' | '-') operand] | '(' value ')'
//   operand    := '(' operand ')' | function '(' operand, ... ')' | :value | path
//   projection := path (',' path)*
#include <array>

#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"
#include "services/dynamodb/expression/ddb_expression_lexer.hpp"

namespace mallard::dynamodb {
namespace {

using detail::ErrCat;
using detail::Tok;

// Registers `path` among `seen`, deferring AWS's overlap / conflict errors.
void CheckOverlap(std::vector<DocumentPath>& seen, const DocumentPath& path, std::array<std::optional<std::string>, 2>& out) {
  for (const DocumentPath& other : seen) {
    std::size_t n = std::min(other.size(), path.size());
    bool differ = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (other[i].is_index != path[i].is_index) {
        if (!out[1]) {
          out[1] = "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: " +
                   PathToString(other) + ", path two: " + PathToString(path);
        }
        differ = true;
        break;
      }
      if (!(other[i] == path[i])) {
        differ = true;
        break;
      }
    }
    if (!differ && !out[0]) {
      out[0] = "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: " +
               PathToString(other) + ", path two: " + PathToString(path);
    }
  }
  seen.push_back(path);
}

std::string_view LongTypeName(AttrType type) {
  switch (type) {
    case AttrType::S: return "STRING";
    case AttrType::N: return "NUMBER";
    case AttrType::B: return "BINARY";
    case AttrType::BOOL: return "BOOLEAN";
    case AttrType::NUL: return "NULL";
    case AttrType::L: return "LIST";
    case AttrType::M: return "MAP";
    default: return detail::TypeName(type);
  }
}

class UpdateParser : public detail::ParserBase {
 public:
  using ParserBase::ParserBase;

  Result<UpdateExpression> Run() {
    if (auto error = Precheck()) return Fail(std::move(*error));
    tokens_ = detail::Lex(text_);
    do {
      auto status = ParseClause();
      if (fatal_) return Fail(std::move(*fatal_));
      if (!status.ok()) return Fail(std::move(status).error());
    } while (!At(Tok::End));
    std::array<std::optional<std::string>, 2> overlap;
    std::vector<DocumentPath> seen;
    for (const UpdateAction& action : update_.actions) CheckOverlap(seen, action.path, overlap);
    if (overlap[0]) Defer(ErrCat::PathOverlap, *overlap[0]);
    if (overlap[1]) Defer(ErrCat::PathConflict, *overlap[1]);
    if (auto error = DeferredError({ErrCat::Reserved, ErrCat::UnknownFunction, ErrCat::MisusedFunction, ErrCat::Section,
                                    ErrCat::AttrName, ErrCat::AttrVal,
                                    ErrCat::PathOverlap, ErrCat::PathConflict, ErrCat::Operand, ErrCat::Function,
                                    ErrCat::PathDepth})) {
      return Fail(std::move(*error));
    }
    update_.updated_ = Projection(std::move(seen));
    return std::move(update_);
  }

 private:
  static constexpr std::array<std::string_view, 4> kClauses = {"SET", "REMOVE", "ADD", "DELETE"};

  bool AtClauseKeyword() const {
    for (std::string_view keyword : kClauses) {
      if (AtKeyword(keyword)) return true;
    }
    return false;
  }

  Result<Done> ParseClause() {
    std::size_t which = kClauses.size();
    for (std::size_t i = 0; i < kClauses.size(); ++i) {
      if (AtKeyword(kClauses[i])) which = i;
    }
    if (which == kClauses.size()) return Fail(SyntaxError());
    ++pos_;
    if (sections_[which]) {
      Defer(ErrCat::Section, "The \"" + std::string(kClauses[which]) + "\" section can only be used once in an update expression;");
    }
    sections_[which] = true;
    while (true) {
      UpdateAction action;
      action.kind = static_cast<UpdateAction::Kind>(which);
      if (!AtPathStart()) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(action.path, ParsePath(kClauses));
      switch (action.kind) {
        case UpdateAction::Kind::Set: {
          if (!At(Tok::Eq)) return Fail(SyntaxError());
          ++pos_;
          MALLARD_ASSIGN_OR_RETURN(action.value, ParseSetValue());
          break;
        }
        case UpdateAction::Kind::Remove:
          break;
        case UpdateAction::Kind::Add:
        case UpdateAction::Kind::Delete: {
          if (!At(Tok::ValuePh)) return Fail(SyntaxError());
          action.literal = ParseValue();
          if (action.literal) {
            AttrType type = action.literal->type;
            bool ok = action.literal->IsSet() || (action.kind == UpdateAction::Kind::Add && type == AttrType::N);
            if (!ok) {
              Defer(ErrCat::Operand, std::string("Incorrect operand type for operator or function; operator: ") +
                                         (action.kind == UpdateAction::Kind::Add ? "ADD" : "DELETE") +
                                         ", operand type: " + std::string(LongTypeName(type)));
            }
          }
          break;
        }
      }
      update_.actions.push_back(std::move(action));
      if (!At(Tok::Comma)) break;
      ++pos_;
    }
    return Done{};
  }

  // value := operand [('+' | '-') operand], optionally in parentheses.
  Result<UpdateValue> ParseSetValue() {
    if (At(Tok::LParen)) {
      // '(' value ')' or '(' operand ')' [+- operand]: parse the inner value, then allow arithmetic.
      ++pos_;
      if (++depth_ > detail::kMaxNesting) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(UpdateValue inner, ParseSetValue());
      --depth_;
      if (!At(Tok::RParen)) return Fail(SyntaxError());
      ++pos_;
      if (inner.kind == UpdateValue::Kind::Plus || inner.kind == UpdateValue::Kind::Minus) return inner;
      return ParseArithmeticTail(std::move(inner));
    }
    MALLARD_ASSIGN_OR_RETURN(UpdateValue first, ParseOperand());
    return ParseArithmeticTail(std::move(first));
  }

  Result<UpdateValue> ParseArithmeticTail(UpdateValue first) {
    if (!At(Tok::Plus) && !At(Tok::Minus)) return first;
    bool plus = At(Tok::Plus);
    ++pos_;
    if (!CountOperator()) return Fail(SyntaxError());
    MALLARD_ASSIGN_OR_RETURN(UpdateValue second, ParseOperand());
    UpdateValue out;
    out.kind = plus ? UpdateValue::Kind::Plus : UpdateValue::Kind::Minus;
    CheckLiteral(plus ? "+" : "-", first, AttrType::N);
    CheckLiteral(plus ? "+" : "-", second, AttrType::N);
    out.args.push_back(std::move(first));
    out.args.push_back(std::move(second));
    return out;
  }

  void CheckLiteral(std::string_view op, const UpdateValue& value, AttrType wanted) {
    if (value.kind == UpdateValue::Kind::Operand && value.operand.kind == Operand::Kind::Value && value.operand.value &&
        value.operand.value->type != wanted) {
      Defer(ErrCat::Function, "Incorrect operand type for operator or function; operator or function: " + std::string(op) +
                                  ", operand type: " + std::string(detail::TypeName(value.operand.value->type)));
    }
  }

  Result<UpdateValue> ParseOperand() {
    UpdateValue out;
    if (At(Tok::LParen)) {
      ++pos_;
      if (++depth_ > detail::kMaxNesting) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(out, ParseOperand());
      --depth_;
      if (!At(Tok::RParen)) return Fail(SyntaxError());
      ++pos_;
      return out;
    }
    if (At(Tok::Name) && Peek(1).kind == Tok::LParen) return ParseFunction();
    if (At(Tok::ValuePh)) {
      out.operand.kind = Operand::Kind::Value;
      out.operand.value = ParseValue();
      return out;
    }
    if (AtPathStart() && !AtClauseKeyword()) {
      out.operand.kind = Operand::Kind::Path;
      MALLARD_ASSIGN_OR_RETURN(out.operand.path, ParsePath(kClauses));
      return out;
    }
    return Fail(SyntaxError());
  }

  Result<UpdateValue> ParseFunction() {
    std::string_view name = Text(Peek());
    pos_ += 2;
    if (!CountOperator()) return Fail(SyntaxError());
    if (++depth_ > detail::kMaxNesting) return Fail(SyntaxError());
    std::vector<UpdateValue> args;
    if (!At(Tok::RParen)) {
      while (true) {
        MALLARD_ASSIGN_OR_RETURN(UpdateValue arg, ParseOperand());
        args.push_back(std::move(arg));
        if (!At(Tok::Comma)) break;
        ++pos_;
      }
    }
    --depth_;
    if (!At(Tok::RParen)) return Fail(SyntaxError());
    ++pos_;
    UpdateValue out;
    bool if_not_exists = name == "if_not_exists";
    if (!if_not_exists && name != "list_append") {
      static constexpr std::array<std::string_view, 6> kConditionFunctions = {
          "attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains", "size"};
      bool condition_function = false;
      for (std::string_view f : kConditionFunctions) condition_function = condition_function || f == name;
      Defer(ErrCat::UnknownFunction, condition_function
                                         ? "The function is not allowed in an update expression; function: " + std::string(name)
                                         : "Invalid function name; function: " + std::string(name));
      return out;
    }
    out.kind = if_not_exists ? UpdateValue::Kind::IfNotExists : UpdateValue::Kind::ListAppend;
    if (args.size() != 2) {
      Defer(ErrCat::Function, "Incorrect number of operands for operator or function; operator or function: " + std::string(name) +
                                  ", number of operands: " + std::to_string(args.size()));
      return out;
    }
    if (if_not_exists) {
      if (args[0].kind != UpdateValue::Kind::Operand || args[0].operand.kind != Operand::Kind::Path) {
        Defer(ErrCat::Function, "Operator or function requires a document path; operator or function: if_not_exists");
      }
    } else {
      // AWS parses list_append(list_append(…), …) but refuses it (ScyllaDB's
      // test_update_expression_function_nesting, run against AWS).
      for (const UpdateValue& arg : args) {
        if (arg.kind == UpdateValue::Kind::ListAppend)
          Defer(ErrCat::MisusedFunction, "The function is not allowed to be used this way in an expression; function: list_append");
      }
      CheckLiteral("list_append", args[0], AttrType::L);
      CheckLiteral("list_append", args[1], AttrType::L);
    }
    out.args = std::move(args);
    return out;
  }

  UpdateExpression update_;
  std::array<bool, 4> sections_{};
};

class ProjectionParser : public detail::ParserBase {
 public:
  using ParserBase::ParserBase;

  Result<Projection> Run() {
    if (auto error = Precheck()) return Fail(std::move(*error));
    tokens_ = detail::Lex(text_);
    std::vector<DocumentPath> paths;
    while (true) {
      if (!AtPathStart()) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(DocumentPath path, ParsePath({}));
      paths.push_back(std::move(path));
      if (At(Tok::End)) break;
      if (!At(Tok::Comma)) return Fail(SyntaxError());
      ++pos_;
    }
    std::array<std::optional<std::string>, 2> overlap;
    std::vector<DocumentPath> seen;
    for (const DocumentPath& path : paths) CheckOverlap(seen, path, overlap);
    if (overlap[0]) Defer(ErrCat::PathOverlap, *overlap[0]);
    if (overlap[1]) Defer(ErrCat::PathConflict, *overlap[1]);
    if (auto error = DeferredError({ErrCat::Reserved, ErrCat::AttrName, ErrCat::PathOverlap, ErrCat::PathConflict, ErrCat::PathDepth})) {
      return Fail(std::move(*error));
    }
    return Projection(std::move(seen));
  }
};

}  // namespace

Result<UpdateExpression> ParseUpdate(std::string_view text, ExpressionInputs& inputs) {
  UpdateParser parser(text, ExpressionKind::Update, inputs);
  return parser.Run();
}

Result<Projection> ParseProjection(std::string_view text, ExpressionInputs& inputs) {
  ProjectionParser parser(text, ExpressionKind::Projection, inputs);
  return parser.Run();
}

}  // namespace mallard::dynamodb

// ConditionExpression / FilterExpression / KeyConditionExpression parser and static validation.
//
// Grammar (precedence NOT > AND > OR; comparisons bind tighter than NOT):
//   or      := and (OR and)*
//   and     := not (AND not)*
//   not     := NOT not | compare
//   compare := primary [ comparator primary | BETWEEN primary AND primary | IN '(' primary, ... ')' ]
//   primary := '(' or ')' | function '(' primary, ... ')' | path | :value
// Operands and conditions share one grammar and are told apart afterwards, so parentheses never
// need backtracking; recursion is bounded by kMaxNesting.
#include <algorithm>
#include <array>

#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"
#include "services/dynamodb/expression/ddb_expression_lexer.hpp"

namespace mallard::dynamodb {
namespace {

using detail::ErrCat;
using detail::Tok;
using detail::Token;

struct Expr {
  bool is_condition = false;
  bool parenthesized = false;
  bool is_function = false;     // a function call (boolean function or size)
  std::string_view function;     // its name
  std::uint32_t node = 0;        // is_condition
  Operand operand;               // !is_condition
};

bool IsOrderingType(AttrType type) { return type == AttrType::S || type == AttrType::N || type == AttrType::B; }

class ConditionParser : public detail::ParserBase {
 public:
  using ParserBase::ParserBase;

  Result<Condition> Run() {
    if (auto error = Precheck()) return Fail(std::move(*error));
    tokens_ = detail::Lex(text_);
    auto top = ParseOr();
    if (fatal_) return Fail(std::move(*fatal_));
    if (!top.ok()) return Fail(std::move(top).error());
    if (!At(Tok::End)) return Fail(SyntaxError());
    auto root = RequireCondition(*top);
    if (!root.ok()) return Fail(std::move(root).error());
    if (auto error = DeferredError({ErrCat::Parens, ErrCat::UnknownFunction, ErrCat::MisusedFunction, ErrCat::Reserved,
                                    ErrCat::Condition, ErrCat::PathDepth})) {
      return Fail(std::move(*error));
    }
    condition_.root = *root;
    return std::move(condition_);
  }

 private:
  static constexpr std::array<std::string_view, 5> kStop = {"AND", "OR", "NOT", "BETWEEN", "IN"};

  std::uint32_t AddNode(CondOp op) {
    condition_.nodes.push_back(CondNode{op, {}, {}});
    return static_cast<std::uint32_t>(condition_.nodes.size() - 1);
  }

  // Where a condition is required: an operand there is a syntax error at the current token, a
  // size() there a misused function.
  Result<std::uint32_t> RequireCondition(const Expr& expr) {
    if (expr.is_condition) return expr.node;
    if (expr.is_function) {
      Defer(ErrCat::MisusedFunction, "The function is not allowed to be used this way in an expression; function: " +
                                         std::string(expr.function));
      return AddNode(CondOp::AttributeExists);  // placeholder; the deferred error is reported
    }
    return Fail(SyntaxError());
  }

  // Where an operand is required: a boolean function there is a misused function.
  Result<Operand> RequireOperand(const Expr& expr) {
    if (!expr.is_condition) return expr.operand;
    if (expr.is_function) {
      Defer(ErrCat::MisusedFunction, "The function is not allowed to be used this way in an expression; function: " +
                                         std::string(expr.function));
      return Operand{};
    }
    return Fail(SyntaxError());
  }

  Result<Expr> ParseOr() {
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParseAnd());
    while (AtKeyword("OR")) {
      MALLARD_ASSIGN_OR_RETURN(std::uint32_t a, RequireCondition(left));
      ++pos_;
      if (!CountOperator()) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(Expr right, ParseAnd());
      MALLARD_ASSIGN_OR_RETURN(std::uint32_t b, RequireCondition(right));
      std::uint32_t node = AddNode(CondOp::Or);
      condition_.nodes[node].children = {a, b};
      left = Expr{};
      left.is_condition = true;
      left.node = node;
    }
    return left;
  }

  Result<Expr> ParseAnd() {
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParseNot());
    while (AtKeyword("AND")) {
      MALLARD_ASSIGN_OR_RETURN(std::uint32_t a, RequireCondition(left));
      ++pos_;
      if (!CountOperator()) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(Expr right, ParseNot());
      MALLARD_ASSIGN_OR_RETURN(std::uint32_t b, RequireCondition(right));
      std::uint32_t node = AddNode(CondOp::And);
      condition_.nodes[node].children = {a, b};
      left = Expr{};
      left.is_condition = true;
      left.node = node;
    }
    return left;
  }

  Result<Expr> ParseNot() {
    if (!AtKeyword("NOT")) return ParseCompare();
    ++pos_;
    if (!CountOperator()) return Fail(SyntaxError());
    if (++depth_ > detail::kMaxNesting) return Fail(Invalid("The expression has redundant parentheses;"));
    MALLARD_ASSIGN_OR_RETURN(Expr inner, ParseNot());
    --depth_;
    MALLARD_ASSIGN_OR_RETURN(std::uint32_t child, RequireCondition(inner));
    std::uint32_t node = AddNode(CondOp::Not);
    condition_.nodes[node].children = {child};
    Expr out;
    out.is_condition = true;
    out.node = node;
    return out;
  }

  static const char* ComparatorText(Tok kind) {
    switch (kind) {
      case Tok::Eq: return "=";
      case Tok::Ne: return "<>";
      case Tok::Lt: return "<";
      case Tok::Le: return "<=";
      case Tok::Gt: return ">";
      case Tok::Ge: return ">=";
      default: return nullptr;
    }
  }

  // The static type of an operand when known: a value's type, N for size().
  static std::optional<AttrType> StaticType(const Operand& operand) {
    if (operand.kind == Operand::Kind::Value && operand.value) return operand.value->type;
    if (operand.kind == Operand::Kind::Size) return AttrType::N;
    return std::nullopt;
  }

  void CheckOperandType(std::string_view op, const Operand& operand, bool (*allowed)(AttrType)) {
    auto type = StaticType(operand);
    if (type && !allowed(*type)) {
      Defer(ErrCat::Condition, "Incorrect operand type for operator or function; operator or function: " + std::string(op) +
                                   ", operand type: " + std::string(detail::TypeName(*type)));
    }
  }

  void CheckDistinct(std::string_view op, const Operand& a, const Operand& b) {
    if (a.kind == Operand::Kind::Path && b.kind == Operand::Kind::Path && a.path == b.path) {
      Defer(ErrCat::Condition, "The first operand must be distinct from the remaining operands for this operator or function; operator: " +
                                   std::string(op) + ", first operand: " + PathToString(a.path));
    }
  }

  Expr MakeCondition(CondOp op, std::vector<Operand> operands) {
    std::uint32_t node = AddNode(op);
    condition_.nodes[node].operands = std::move(operands);
    Expr out;
    out.is_condition = true;
    out.node = node;
    return out;
  }

  Result<Expr> ParseCompare() {
    MALLARD_ASSIGN_OR_RETURN(Expr left, ParsePrimary());
    const Token& token = Peek();
    if (const char* comparator = ComparatorText(token.kind)) {
      MALLARD_ASSIGN_OR_RETURN(Operand a, RequireOperand(left));
      ++pos_;
      if (!CountOperator()) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(Expr right, ParsePrimary());
      MALLARD_ASSIGN_OR_RETURN(Operand b, RequireOperand(right));
      CondOp op = token.kind == Tok::Eq ? CondOp::Eq : token.kind == Tok::Ne ? CondOp::Ne : token.kind == Tok::Lt ? CondOp::Lt
                  : token.kind == Tok::Le ? CondOp::Le : token.kind == Tok::Gt ? CondOp::Gt : CondOp::Ge;
      CheckDistinct(comparator, a, b);
      if (op != CondOp::Eq && op != CondOp::Ne) {
        CheckOperandType(comparator, a, IsOrderingType);
        CheckOperandType(comparator, b, IsOrderingType);
      }
      return MakeCondition(op, {std::move(a), std::move(b)});
    }
    if (AtKeyword("BETWEEN")) {
      MALLARD_ASSIGN_OR_RETURN(Operand a, RequireOperand(left));
      ++pos_;
      if (!CountOperator()) return Fail(SyntaxError());
      MALLARD_ASSIGN_OR_RETURN(Expr low_expr, ParsePrimary());
      MALLARD_ASSIGN_OR_RETURN(Operand low, RequireOperand(low_expr));
      if (!AtKeyword("AND")) return Fail(SyntaxError());
      ++pos_;
      MALLARD_ASSIGN_OR_RETURN(Expr high_expr, ParsePrimary());
      MALLARD_ASSIGN_OR_RETURN(Operand high, RequireOperand(high_expr));
      CheckOperandType("BETWEEN", a, IsOrderingType);
      CheckOperandType("BETWEEN", low, IsOrderingType);
      CheckOperandType("BETWEEN", high, IsOrderingType);
      if (low.kind == Operand::Kind::Value && high.kind == Operand::Kind::Value && low.value && high.value &&
          IsOrderingType(low.value->type) && IsOrderingType(high.value->type)) {
        if (low.value->type != high.value->type) {
          Defer(ErrCat::Condition, "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: " +
                                       detail::DescribeValue(*low.value) + ", upper bound operand: " + detail::DescribeValue(*high.value));
        } else if (CompareScalar(*low.value, *high.value) > 0) {
          Defer(ErrCat::Condition,
                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: " +
                    detail::DescribeValue(*low.value) + ", upper bound operand: " + detail::DescribeValue(*high.value));
        }
      }
      return MakeCondition(CondOp::Between, {std::move(a), std::move(low), std::move(high)});
    }
    if (AtKeyword("IN")) {
      MALLARD_ASSIGN_OR_RETURN(Operand a, RequireOperand(left));
      ++pos_;
      if (!CountOperator()) return Fail(SyntaxError());
      if (!At(Tok::LParen)) return Fail(SyntaxError());
      ++pos_;
      std::vector<Operand> operands{std::move(a)};
      while (true) {
        MALLARD_ASSIGN_OR_RETURN(Expr item, ParsePrimary());
        MALLARD_ASSIGN_OR_RETURN(Operand operand, RequireOperand(item));
        operands.push_back(std::move(operand));
        if (At(Tok::Comma)) {
          ++pos_;
          continue;
        }
        if (!At(Tok::RParen)) return Fail(SyntaxError());
        ++pos_;
        break;
      }
      if (operands.size() - 1 > 100) {
        Defer(ErrCat::Condition, "The IN operator is provided with too many operands; number of operands: " +
                                     std::to_string(operands.size() - 1));
      }
      return MakeCondition(CondOp::In, std::move(operands));
    }
    return left;
  }

  Result<Expr> ParsePrimary() {
    const Token& token = Peek();
    if (token.kind == Tok::LParen) {
      ++pos_;
      if (++depth_ > detail::kMaxNesting) return Fail(Invalid("The expression has redundant parentheses;"));
      MALLARD_ASSIGN_OR_RETURN(Expr inner, ParseOr());
      --depth_;
      if (!At(Tok::RParen)) return Fail(SyntaxError());
      ++pos_;
      if (inner.parenthesized) Defer(ErrCat::Parens, "The expression has redundant parentheses;");
      inner.parenthesized = true;
      return inner;
    }
    if (token.kind == Tok::Name && Peek(1).kind == Tok::LParen) return ParseFunction();
    if (token.kind == Tok::ValuePh) {
      Expr out;
      out.operand.kind = Operand::Kind::Value;
      out.operand.value = ParseValue();
      return out;
    }
    if (AtPathStart()) {
      MALLARD_ASSIGN_OR_RETURN(DocumentPath path, ParsePath(kStop));
      condition_.paths_.push_back(path);
      Expr out;
      out.operand.kind = Operand::Kind::Path;
      out.operand.path = std::move(path);
      return out;
    }
    return Fail(SyntaxError());
  }

  Result<Expr> ParseFunction() {
    std::string_view name = Text(Peek());
    pos_ += 2;  // name '('
    if (!CountOperator()) return Fail(SyntaxError());
    std::vector<Operand> args;
    if (!At(Tok::RParen)) {
      while (true) {
        MALLARD_ASSIGN_OR_RETURN(Expr arg, ParsePrimary());
        MALLARD_ASSIGN_OR_RETURN(Operand operand, RequireOperand(arg));
        args.push_back(std::move(operand));
        if (At(Tok::Comma)) {
          ++pos_;
          continue;
        }
        break;
      }
    }
    if (!At(Tok::RParen)) return Fail(SyntaxError());
    ++pos_;

    struct Spec {
      std::string_view name;
      std::size_t arity;
      CondOp op;
      bool is_size;
    };
    static constexpr Spec kFunctions[] = {
        {"attribute_exists", 1, CondOp::AttributeExists, false},
        {"attribute_not_exists", 1, CondOp::AttributeNotExists, false},
        {"attribute_type", 2, CondOp::AttributeType, false},
        {"begins_with", 2, CondOp::BeginsWith, false},
        {"contains", 2, CondOp::Contains, false},
        {"size", 1, CondOp::Eq, true},
    };
    const Spec* spec = nullptr;
    for (const Spec& candidate : kFunctions) {
      if (candidate.name == name) spec = &candidate;
    }
    Expr out;
    out.is_function = true;
    out.function = name;
    if (!spec) {
      if (name == "if_not_exists" || name == "list_append") {
        Defer(ErrCat::UnknownFunction, "The function is not allowed in a condition expression; function: " + std::string(name));
      } else {
        Defer(ErrCat::UnknownFunction, "Invalid function name; function: " + std::string(name));
      }
      out.is_condition = true;
      out.node = AddNode(CondOp::AttributeExists);
      return out;
    }
    if (args.size() != spec->arity) {
      Defer(ErrCat::Condition, "Incorrect number of operands for operator or function; operator or function: " + std::string(name) +
                                   ", number of operands: " + std::to_string(args.size()));
    } else {
      if (args.size() == 2) CheckDistinct(name, args[0], args[1]);
      ValidateFunction(*spec, args);
    }
    if (spec->is_size) {
      out.operand.kind = Operand::Kind::Size;
      if (!args.empty()) {
        out.operand.path = std::move(args[0].path);
        if (args[0].kind == Operand::Kind::Value) out.operand.value = args[0].value;
      }
      return out;
    }
    Expr condition = MakeCondition(spec->op, std::move(args));
    condition.is_function = true;
    condition.function = name;
    return condition;
  }

  template <typename Spec>
  void ValidateFunction(const Spec& spec, const std::vector<Operand>& args) {
    std::string name(spec.name);
    auto requires_path = [&](const Operand& operand) {
      if (operand.kind != Operand::Kind::Path) {
        Defer(ErrCat::Condition, "Operator or function requires a document path; operator or function: " + name);
        return false;
      }
      return true;
    };
    switch (spec.op) {
      case CondOp::AttributeExists:
      case CondOp::AttributeNotExists:
        requires_path(args[0]);
        return;
      case CondOp::Eq:  // size
        if (auto type = StaticType(args[0]); type && (*type == AttrType::N || *type == AttrType::BOOL || *type == AttrType::NUL)) {
          Defer(ErrCat::Condition, "Incorrect operand type for operator or function; operator or function: size, operand type: " +
                                       std::string(detail::TypeName(*type)));
        } else if (args[0].kind != Operand::Kind::Value) {  // size(:v) is the size of the value itself
          requires_path(args[0]);
        }
        return;
      case CondOp::AttributeType: {
        // The type of a value operand is checked too (ScyllaDB's test_update_condition_attribute_type, run
        // against AWS), although the API reference asks for a path.
        if (args[0].kind != Operand::Kind::Value && !requires_path(args[0])) return;
        auto type = StaticType(args[1]);
        if (!type || *type != AttrType::S) {
          Defer(ErrCat::Condition, "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: " +
                                       (type ? std::string(detail::TypeName(*type)) : std::string("{NS,SS,L,BS,N,M,B,BOOL,NULL,S}")));
          return;
        }
        AttrType parsed;
        if (!args[1].value || !ParseTypeTag(args[1].value->bytes, parsed)) {
          Defer(ErrCat::Condition, "Invalid attribute type name found; type: " + (args[1].value ? args[1].value->bytes : std::string()) +
                                       ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
        }
        return;
      }
      case CondOp::BeginsWith:
        for (const Operand& arg : args) {
          CheckOperandType("begins_with", arg, [](AttrType t) { return t == AttrType::S || t == AttrType::B; });
        }
        return;
      default:
        return;
    }
  }

  Condition condition_;
};

}  // namespace

Result<Condition> ParseCondition(std::string_view text, ExpressionKind kind, ExpressionInputs& inputs) {
  ConditionParser parser(text, kind, inputs);
  return parser.Run();
}

}  // namespace mallard::dynamodb

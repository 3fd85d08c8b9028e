// Values of PartiQL expressions: literals, parameters and the constructors {..} [..] <<..>>
// evaluated to wire AttributeValues.
#include "services/dynamodb/partiql/ddb_partiql_values.hpp"

#include <boost/json/object.hpp>

#include <algorithm>

namespace mallard::dynamodb::partiql {

namespace json = boost::json;

namespace {

bool IsKnownTypeTag(std::string_view tag) {
  static constexpr std::string_view kTags[] = {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"};
  return std::find(std::begin(kTags), std::end(kTags), tag) != std::end(kTags);
}

// A type name as PartiQL messages spell it.
std::string PartiqlTypeName(std::string_view tag) {
  if (tag == "S") return "STRING";
  if (tag == "N") return "DECIMAL";
  if (tag == "B") return "BLOB";
  if (tag == "BOOL") return "BOOL";
  if (tag == "NULL") return "NULL";
  if (tag == "L") return "LIST";
  if (tag == "M") return "STRUCT";
  return "BAG";
}

}  // namespace

std::string_view TagOf(const json::value& value) {
  const json::object* object = value.if_object();
  if (object == nullptr || object->empty()) return "";
  return object->begin()->key();
}

// True when the expression denotes a value (no attribute reads): its value can be computed now.
bool IsValueExpr(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::Literal:
    case ExprKind::Parameter:
      return true;
    case ExprKind::Struct:
    case ExprKind::List:
    case ExprKind::Bag:
      return std::all_of(expr.children.begin(), expr.children.end(),
                         [](const Expr& child) { return child.kind == ExprKind::Missing || IsValueExpr(child); });
    default:
      return false;
  }
}


Status<> Binder::Validate() const {
  for (const json::value& parameter : parameters_) {
    const json::object* object = parameter.if_object();
    if (object == nullptr || object->empty()) {
      return Fail(Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"));
    }
    if (object->size() > 1) {
      return Fail(Validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"));
    }
    if (!IsKnownTypeTag(object->begin()->key())) {
      return Fail(Validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"));
    }
  }
  return Ok();
}

Result<json::value> Binder::ValueOf(const Expr& expr, int depth) const {
  if (depth > kMaxNesting) return Fail(NotWellFormed("value nested too deeply"));
  switch (expr.kind) {
    case ExprKind::Literal:
      return expr.literal;
    case ExprKind::Parameter:
      if (expr.parameter >= parameters_.size()) {
        return Fail(Validation("Number of parameters in request and statement don't match."));
      }
      return parameters_[expr.parameter];
    case ExprKind::Missing:
      return Fail(Validation("MISSING must be compared using IS operator"));
    case ExprKind::Struct: {
      json::object members;
      for (std::size_t i = 0; i + 1 < expr.children.size(); i += 2) {
        MALLARD_ASSIGN_OR_RETURN(json::value key, ValueOf(expr.children[i], depth + 1));
        if (TagOf(key) != "S") {
          return Fail(Validation("Tuple keys must be of type String. Actual type: " + PartiqlTypeName(TagOf(key)) + " under item"));
        }
        std::string name(key.as_object().begin()->value().as_string());
        if (members.contains(name)) return Fail(Validation("Duplicate keys in tuple. Key: " + name + " under item"));
        // PartiQL drops struct members whose value is MISSING.
        if (expr.children[i + 1].kind == ExprKind::Missing) continue;
        MALLARD_ASSIGN_OR_RETURN(json::value member, ValueOf(expr.children[i + 1], depth + 1));
        members[name] = std::move(member);
      }
      return json::value(json::object{{"M", std::move(members)}});
    }
    case ExprKind::List: {
      json::array elements;
      for (const Expr& child : expr.children) {
        MALLARD_ASSIGN_OR_RETURN(json::value element, ValueOf(child, depth + 1));
        elements.push_back(std::move(element));
      }
      return json::value(json::object{{"L", std::move(elements)}});
    }
    case ExprKind::Bag:
      return BagOf(expr, depth);
    default:
      return Fail(Validation("Unsupported data type: expression is not a value"));
  }
}

// <<..>> is a DynamoDB set: strings, numbers or binaries, all of one type, at least one.
Result<json::value> Binder::BagOf(const Expr& expr, int depth) const {
  if (expr.children.empty()) return Fail(Validation("Empty bags are not supported"));
  std::string_view set_tag;
  json::array members;
  for (const Expr& child : expr.children) {
    MALLARD_ASSIGN_OR_RETURN(json::value element, ValueOf(child, depth + 1));
    std::string_view tag = TagOf(element);
    if (tag != "S" && tag != "N" && tag != "B") {
      return Fail(Validation("Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"));
    }
    if (set_tag.empty()) set_tag = tag == "S" ? "SS" : tag == "N" ? "NS" : "BS";
    std::string_view expected = set_tag == "SS" ? "S" : set_tag == "NS" ? "N" : "B";
    if (tag != expected) {
      std::string set_name = set_tag == "SS" ? "String" : set_tag == "NS" ? "Number" : "Binary";
      return Fail(Validation("Unexpected data type " + PartiqlTypeName(tag) + " in " + set_name + " Set under key bag"));
    }
    members.push_back(element.as_object().begin()->value());
  }
  return json::value(json::object{{std::string(set_tag), std::move(members)}});
}

}  // namespace mallard::dynamodb::partiql

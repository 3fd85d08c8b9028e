// Statement -> native request. Conditions become ConditionExpression / FilterExpression /
// KeyConditionExpression text over #nN and :vN placeholders; placeholders are created only while
// text is emitted, so every one of them is used (the expression engine rejects unused ones).
#include "services/dynamodb/partiql/ddb_partiql_translate.hpp"

#include "services/dynamodb/partiql/ddb_partiql_values.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace mallard::dynamodb::partiql {
namespace {

namespace json = boost::json;

constexpr std::string_view kIncompleteKey = "Where clause does not contain a mandatory equality on all key attributes";

// ---------------------------------------------------------------------------------------------
// Placeholders: one #n per distinct name, one :v per emitted value.
class Placeholders {
 public:
  std::string Name(const std::string& name) {
    auto found = name_ids_.find(name);
    if (found != name_ids_.end()) return found->second;
    std::string id = "#n" + std::to_string(name_ids_.size());
    name_ids_.emplace(name, id);
    names_[id] = name;
    return id;
  }
  std::string Value(json::value value) {
    std::string id = ":v" + std::to_string(values_.size());
    values_[id] = std::move(value);
    return id;
  }
  std::string PathText(const Path& path) {
    std::string text;
    for (const PathStep& step : path) {
      if (step.is_index) {
        // Appended piecewise: GCC 12 reports a false -Wrestrict for "[" + std::to_string(...).
        text += '[';
        text += std::to_string(step.index);
        text += ']';
      } else {
        if (!text.empty()) text += ".";
        text += Name(step.name);
      }
    }
    return text;
  }
  void AttachTo(json::object& input) const {
    if (!names_.empty()) input["ExpressionAttributeNames"] = names_;
    if (!values_.empty()) input["ExpressionAttributeValues"] = values_;
  }

 private:
  std::map<std::string, std::string> name_ids_;
  json::object names_;
  json::object values_;
};

// ---------------------------------------------------------------------------------------------
// Expression text.
class ExpressionWriter {
 public:
  ExpressionWriter(Placeholders& placeholders, const Binder& binder) : placeholders_(placeholders), binder_(binder) {}

  Result<std::string> Operand(const Expr& expr, int depth = 0) {
    if (depth > kMaxNesting) return Fail(NotWellFormed("expression nested too deeply"));
    switch (expr.kind) {
      case ExprKind::Path:
        return placeholders_.PathText(expr.path);
      case ExprKind::Missing:
        return Fail(Validation("MISSING must be compared using IS operator"));
      case ExprKind::Call:
        if (expr.op == "size") {
          if (expr.children.size() != 1 || expr.children[0].kind != ExprKind::Path) {
            return Fail(Validation("Incorrect number of operands for operator or function; operator or function: size, number of operands: " +
                                   std::to_string(expr.children.size())));
          }
          return "size(" + placeholders_.PathText(expr.children[0].path) + ")";
        }
        return Fail(UnrecognizedFunction(expr.op));
      case ExprKind::Arith:
        return Fail(Validation("Unsupported operator in Condition Expression. Operator: " + expr.op));
      default:
        if (!IsValueExpr(expr)) return Fail(Validation("WHERE clause must contain an expression that resolves to a boolean"));
        return ValuePlaceholder(expr);
    }
  }

  Result<std::string> Condition(const Expr& expr, int depth = 0) {
    if (depth > kMaxNesting) return Fail(NotWellFormed("expression nested too deeply"));
    switch (expr.kind) {
      case ExprKind::And:
      case ExprKind::Or: {
        MALLARD_ASSIGN_OR_RETURN(std::string left, Condition(expr.children[0], depth + 1));
        MALLARD_ASSIGN_OR_RETURN(std::string right, Condition(expr.children[1], depth + 1));
        return "(" + left + (expr.kind == ExprKind::And ? ") AND (" : ") OR (") + right + ")";
      }
      case ExprKind::Not: {
        MALLARD_ASSIGN_OR_RETURN(std::string inner, Condition(expr.children[0], depth + 1));
        return "NOT (" + inner + ")";
      }
      case ExprKind::Compare: {
        MALLARD_ASSIGN_OR_RETURN(std::string left, Operand(expr.children[0], depth + 1));
        MALLARD_ASSIGN_OR_RETURN(std::string right, Operand(expr.children[1], depth + 1));
        return left + " " + expr.op + " " + right;
      }
      case ExprKind::Between: {
        MALLARD_ASSIGN_OR_RETURN(std::string value, Operand(expr.children[0], depth + 1));
        MALLARD_ASSIGN_OR_RETURN(std::string low, Operand(expr.children[1], depth + 1));
        MALLARD_ASSIGN_OR_RETURN(std::string high, Operand(expr.children[2], depth + 1));
        return value + " BETWEEN " + low + " AND " + high;
      }
      case ExprKind::In:
        return InCondition(expr, depth);
      case ExprKind::Is:
        return IsCondition(expr);
      case ExprKind::Call:
        return FunctionCondition(expr, depth);
      default:
        return Fail(Validation("WHERE clause must contain an expression that resolves to a boolean"));
    }
  }

  // The conjunction of several conditions.
  Result<std::string> Conjunction(const std::vector<const Expr*>& conditions) {
    std::string text;
    for (const Expr* condition : conditions) {
      MALLARD_ASSIGN_OR_RETURN(std::string part, Condition(*condition));
      text += text.empty() ? "(" + part + ")" : " AND (" + part + ")";
    }
    return text;
  }

  Result<std::string> ValuePlaceholder(const Expr& expr) {
    MALLARD_ASSIGN_OR_RETURN(json::value value, binder_.ValueOf(expr));
    return placeholders_.Value(std::move(value));
  }

  // The right-hand side of SET path = ...: values, paths, + / -, list_append, if_not_exists.
  Result<std::string> UpdateOperand(const Expr& expr, int depth = 0) {
    if (depth > kMaxNesting) return Fail(NotWellFormed("expression nested too deeply"));
    switch (expr.kind) {
      case ExprKind::Path:
        return placeholders_.PathText(expr.path);
      case ExprKind::Arith: {
        MALLARD_ASSIGN_OR_RETURN(std::string left, UpdateOperand(expr.children[0], depth + 1));
        MALLARD_ASSIGN_OR_RETURN(std::string right, UpdateOperand(expr.children[1], depth + 1));
        return left + " " + expr.op + " " + right;
      }
      case ExprKind::Call: {
        if (expr.op != "list_append" && expr.op != "if_not_exists") return Fail(UnrecognizedFunction(expr.op));
        if (expr.children.size() != 2) {
          return Fail(Validation("Incorrect number of operands for operator or function; operator or function: " + expr.op +
                                 ", number of operands: " + std::to_string(expr.children.size())));
        }
        MALLARD_ASSIGN_OR_RETURN(std::string first, UpdateOperand(expr.children[0], depth + 1));
        MALLARD_ASSIGN_OR_RETURN(std::string second, UpdateOperand(expr.children[1], depth + 1));
        return expr.op + "(" + first + ", " + second + ")";
      }
      case ExprKind::Missing:
        return Fail(Validation("MISSING must be compared using IS operator"));
      default:
        if (!IsValueExpr(expr)) return Fail(Validation("Unsupported operator in Update Expression. Operator: " + DescribeKind(expr)));
        return ValuePlaceholder(expr);
    }
  }

  Placeholders& placeholders() { return placeholders_; }

 private:
  static AwsError UnrecognizedFunction(const std::string& name) { return Validation("Unrecognized function: " + name); }

  static std::string DescribeKind(const Expr& expr) {
    switch (expr.kind) {
      case ExprKind::Compare: return expr.op;
      case ExprKind::And: return "AND";
      case ExprKind::Or: return "OR";
      case ExprKind::Not: return "NOT";
      case ExprKind::Between: return "BETWEEN";
      case ExprKind::In: return "IN";
      case ExprKind::Is: return "IS";
      default: return "expression";
    }
  }

  Result<std::string> InCondition(const Expr& expr, int depth) {
    static const std::string kInvalidIn =
        "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member";
    if (expr.children[0].kind != ExprKind::Path) return Fail(Validation(kInvalidIn));
    std::vector<std::string> candidates;
    if (expr.op != "list" && expr.children.size() == 2 && expr.children[1].kind == ExprKind::Parameter) {
      // IN ? : the parameter is a list whose elements are the candidates.
      MALLARD_ASSIGN_OR_RETURN(json::value list, binder_.ValueOf(expr.children[1]));
      if (TagOf(list) != "L" || !list.as_object().begin()->value().is_array()) return Fail(Validation(kInvalidIn));
      for (const json::value& element : list.as_object().begin()->value().as_array()) {
        candidates.push_back(placeholders_.Value(element));
      }
    } else {
      for (std::size_t i = 1; i < expr.children.size(); ++i) {
        MALLARD_ASSIGN_OR_RETURN(std::string candidate, Operand(expr.children[i], depth + 1));
        candidates.push_back(std::move(candidate));
      }
    }
    if (candidates.empty()) return Fail(Validation(kInvalidIn));
    std::string path = placeholders_.PathText(expr.children[0].path);
    std::string text = path + " IN (";
    for (std::size_t i = 0; i < candidates.size(); ++i) text += (i ? ", " : "") + candidates[i];
    return text + ")";
  }

  Result<std::string> IsCondition(const Expr& expr) {
    const Expr& operand = expr.children[0];
    if (operand.kind != ExprKind::Path) {
      return Fail(Validation("The left hand side argument to IS must be a Variable Reference, Literal, or Path"));
    }
    std::string path = placeholders_.PathText(operand.path);
    if (expr.op == "MISSING") return (expr.negated ? "attribute_exists(" : "attribute_not_exists(") + path + ")";
    static const std::map<std::string, std::string> kTypeTags = {
        {"NULL", "NULL"}, {"BOOLEAN", "BOOL"}, {"BOOL", "BOOL"}, {"BLOB", "B"}, {"STRING", "S"},
        {"NUMERIC", "N"}, {"NUMBER", "N"}, {"DECIMAL", "N"}, {"INT", "N"}, {"INTEGER", "N"}, {"FLOAT", "N"},
        {"DOUBLE", "N"}, {"STRUCT", "M"}, {"TUPLE", "M"}, {"LIST", "L"}};
    auto found = kTypeTags.find(expr.op);
    if (found == kTypeTags.end()) {
      return Fail(Validation("Unsupported data type for IS operator: " + expr.op +
                             ". Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"));
    }
    std::string test = "attribute_type(" + path + ", " + placeholders_.Value(json::object{{"S", found->second}}) + ")";
    return expr.negated ? "NOT " + test : test;
  }

  Result<std::string> FunctionCondition(const Expr& expr, int depth) {
    const std::string& name = expr.op;
    if (name != "begins_with" && name != "contains" && name != "attribute_type" && name != "attribute_exists" &&
        name != "attribute_not_exists") {
      if (name == "size" || name == "list_append" || name == "set_add" || name == "set_delete") {
        return Fail(Validation("WHERE clause must contain an expression that resolves to a boolean"));
      }
      return Fail(UnrecognizedFunction(name));
    }
    std::size_t arity = (name == "attribute_exists" || name == "attribute_not_exists") ? 1 : 2;
    if (expr.children.size() != arity) {
      return Fail(Validation("Incorrect number of operands for operator or function; operator or function: " + name +
                             ", number of operands: " + std::to_string(expr.children.size())));
    }
    std::string text = name + "(";
    for (std::size_t i = 0; i < expr.children.size(); ++i) {
      MALLARD_ASSIGN_OR_RETURN(std::string argument, Operand(expr.children[i], depth + 1));
      text += (i ? ", " : "") + argument;
    }
    return text + ")";
  }

  Placeholders& placeholders_;
  const Binder& binder_;
};

// ---------------------------------------------------------------------------------------------
// Key analysis of WHERE clauses.
void FlattenAnd(const Expr& expr, std::vector<const Expr*>& out) {
  if (expr.kind == ExprKind::And) {
    FlattenAnd(expr.children[0], out);
    FlattenAnd(expr.children[1], out);
  } else {
    out.push_back(&expr);
  }
}

bool IsAttribute(const Expr& expr, const std::string& name) {
  return expr.kind == ExprKind::Path && expr.path.size() == 1 && !expr.path[0].is_index && expr.path[0].name == name;
}

// `name = value` or `value = name`: the value expression, else nullptr.
const Expr* EqualityValue(const Expr& condition, const std::string& name) {
  if (condition.kind != ExprKind::Compare || condition.op != "=") return nullptr;
  const Expr& left = condition.children[0];
  const Expr& right = condition.children[1];
  if (IsAttribute(left, name) && IsValueExpr(right)) return &right;
  if (IsAttribute(right, name) && IsValueExpr(left)) return &left;
  return nullptr;
}

bool ReferencesAny(const Expr& expr, const std::set<std::string>& names, int depth = 0) {
  if (depth > kMaxNesting) return true;
  if (expr.kind == ExprKind::Path) return !expr.path.empty() && names.count(expr.path[0].name) > 0;
  return std::any_of(expr.children.begin(), expr.children.end(),
                     [&](const Expr& child) { return ReferencesAny(child, names, depth + 1); });
}

struct FullKey {
  json::object key;
  std::vector<const Expr*> rest;
};

// Equalities on every key attribute, taken from the top-level conjunction (as DynamoDB does: a key
// equality under OR / NOT is an ordinary predicate).
Result<FullKey> ExtractFullKey(const std::optional<Expr>& where, const KeyNames& keys, const Binder& binder,
                               std::string_view incomplete_message, bool strict_duplicates) {
  if (!where) return Fail(Validation(std::string(incomplete_message)));
  std::vector<const Expr*> conjuncts;
  FlattenAnd(*where, conjuncts);
  std::vector<std::string> key_names{keys.partition};
  if (keys.sort) key_names.push_back(*keys.sort);
  FullKey result;
  for (const Expr* conjunct : conjuncts) {
    bool consumed = false;
    for (const std::string& name : key_names) {
      const Expr* value_expr = EqualityValue(*conjunct, name);
      if (value_expr == nullptr) continue;
      MALLARD_ASSIGN_OR_RETURN(json::value value, binder.ValueOf(*value_expr));
      if (json::value* existing = result.key.if_contains(name)) {
        if (*existing != value && strict_duplicates) {
          return Fail(Validation("Multiple conditions on same key " + name + ". Only single item Update/Insert/Delete are supported"));
        }
        if (*existing != value) break;  // a second, different equality stays a predicate
      } else {
        result.key[name] = std::move(value);
      }
      consumed = true;
      break;
    }
    if (!consumed) result.rest.push_back(conjunct);
  }
  for (const std::string& name : key_names) {
    if (!result.key.contains(name)) return Fail(Validation(std::string(incomplete_message)));
  }
  return result;
}

// A condition usable as Query's sort-key condition: comparison, BETWEEN or begins_with on `name`.
bool IsSortKeyCondition(const Expr& condition, const std::string& name) {
  switch (condition.kind) {
    case ExprKind::Compare:
      if (condition.op == "<>") return false;
      return (IsAttribute(condition.children[0], name) && IsValueExpr(condition.children[1])) ||
             (IsAttribute(condition.children[1], name) && IsValueExpr(condition.children[0]));
    case ExprKind::Between:
      return IsAttribute(condition.children[0], name) && IsValueExpr(condition.children[1]) && IsValueExpr(condition.children[2]);
    case ExprKind::Call:
      return condition.op == "begins_with" && condition.children.size() == 2 && IsAttribute(condition.children[0], name) &&
             IsValueExpr(condition.children[1]);
    default:
      return false;
  }
}

Result<std::string> SortKeyConditionText(const Expr& condition, ExpressionWriter& writer) {
  if (condition.kind == ExprKind::Compare && condition.children[0].kind != ExprKind::Path) {
    // value op key -> key op' value (KeyConditionExpression wants the key first).
    static const std::map<std::string, std::string> kFlipped = {{"=", "="}, {"<", ">"}, {"<=", ">="}, {">", "<"}, {">=", "<="}};
    MALLARD_ASSIGN_OR_RETURN(std::string key, writer.Operand(condition.children[1]));
    MALLARD_ASSIGN_OR_RETURN(std::string value, writer.Operand(condition.children[0]));
    return key + " " + kFlipped.at(condition.op) + " " + value;
  }
  return writer.Condition(condition);
}

AwsError TableNotFound() { return AwsError::Make("ResourceNotFoundException", 400, "Requested resource not found"); }

Result<KeyNames> LookupTable(const KeyLookup& lookup, const std::string& table) {
  std::optional<KeyNames> keys = lookup(table, "");
  if (!keys) return Fail(TableNotFound());
  return *keys;
}

std::string PartiqlName(const Path& path, std::size_t position) {
  if (!path.empty() && !path.back().is_index) return path.back().name;
  return "_" + std::to_string(position + 1);
}

// ---------------------------------------------------------------------------------------------
// Statement translators.
Result<NativeRequest> TranslateSelect(const Statement& statement, const Binder& binder, const KeyLookup& lookup, Context context) {
  MALLARD_ASSIGN_OR_RETURN(KeyNames table_keys, LookupTable(lookup, statement.table));
  KeyNames keys = table_keys;
  if (!statement.index.empty()) {
    if (context == Context::Transaction) return Fail(Validation("Reads on indices are not supported within transactions."));
    std::optional<KeyNames> index_keys = lookup(statement.table, statement.index);
    if (!index_keys) return Fail(Validation("The table does not have the specified index: " + statement.index));
    keys = *index_keys;
  }
  std::set<std::string> aliases;
  for (std::size_t i = 0; i < statement.projection.size(); ++i) {
    std::string alias = PartiqlName(statement.projection[i], i);
    if (!aliases.insert(alias).second) return Fail(Validation("Duplicate identifiers in select clause: " + alias));
  }

  // Plan: GetItem (whole key, nothing else), Query (partition equality), or Scan.
  std::vector<const Expr*> conjuncts;
  if (statement.where) FlattenAnd(*statement.where, conjuncts);
  const Expr* partition_condition = nullptr;
  const Expr* sort_condition = nullptr;
  std::vector<const Expr*> rest;
  for (const Expr* conjunct : conjuncts) {
    if (partition_condition == nullptr && EqualityValue(*conjunct, keys.partition) != nullptr) {
      partition_condition = conjunct;
    } else if (sort_condition == nullptr && keys.sort && IsSortKeyCondition(*conjunct, *keys.sort)) {
      sort_condition = conjunct;
    } else {
      rest.push_back(conjunct);
    }
  }
  std::set<std::string> key_names{keys.partition};
  if (keys.sort) key_names.insert(*keys.sort);
  bool sort_is_equality = sort_condition != nullptr && EqualityValue(*sort_condition, *keys.sort) != nullptr;
  bool whole_key = partition_condition != nullptr && (!keys.sort || sort_is_equality);
  bool can_query = partition_condition != nullptr &&
                   std::none_of(rest.begin(), rest.end(), [&](const Expr* c) { return ReferencesAny(*c, key_names); });
  bool get_item = statement.index.empty() && whole_key && rest.empty();

  if (context != Context::Single && !get_item) {
    if (context == Context::Transaction) {
      return Fail(Validation("Select statements within ExecuteTransaction must specify the primary key in the where clause."));
    }
    if (!whole_key || !statement.index.empty()) return Fail(Validation(std::string(kIncompleteKey)));
    return Fail(Validation("Only single item select is supported"));
  }

  bool descending = false;
  if (!statement.order_by.empty()) {
    if (!statement.where) return Fail(Validation("Must have WHERE clause in the statement when using ORDER BY clause."));
    for (const OrderTerm& term : statement.order_by) {
      std::string name = term.path.empty() ? "" : term.path[0].name;
      if (term.path.size() != 1 || key_names.count(name) == 0) {
        return Fail(Validation("Variable reference " + name + " in ORDER BY clause must be part of the primary key"));
      }
      if (keys.sort && name == *keys.sort) descending = term.descending;
    }
    if (!can_query) {
      return Fail(Validation("Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."));
    }
  }

  NativeRequest request;
  request.kind = StatementKind::Select;
  request.table = statement.table;
  request.projection = statement.select_all ? std::vector<Path>{} : statement.projection;
  json::object& input = request.input;
  input["TableName"] = statement.table;
  Placeholders placeholders;
  ExpressionWriter writer(placeholders, binder);
  if (get_item) {
    request.operation = "GetItem";
    MALLARD_ASSIGN_OR_RETURN(FullKey key, ExtractFullKey(statement.where, keys, binder, kIncompleteKey, false));
    input["Key"] = std::move(key.key);
  } else if (can_query) {
    request.operation = "Query";
    if (!statement.index.empty()) input["IndexName"] = statement.index;
    MALLARD_ASSIGN_OR_RETURN(std::string key_condition, writer.Condition(*partition_condition));
    if (sort_condition != nullptr) {
      MALLARD_ASSIGN_OR_RETURN(std::string sort_text, SortKeyConditionText(*sort_condition, writer));
      key_condition += " AND " + sort_text;
    }
    input["KeyConditionExpression"] = key_condition;
    if (!rest.empty()) {
      MALLARD_ASSIGN_OR_RETURN(std::string filter, writer.Conjunction(rest));
      input["FilterExpression"] = filter;
    }
    if (descending) input["ScanIndexForward"] = false;
  } else {
    request.operation = "Scan";
    if (!statement.index.empty()) input["IndexName"] = statement.index;
    if (statement.where) {
      MALLARD_ASSIGN_OR_RETURN(std::string filter, writer.Condition(*statement.where));
      input["FilterExpression"] = filter;
    }
  }
  if (!statement.select_all) {
    std::string projection;
    for (const Path& path : statement.projection) projection += (projection.empty() ? "" : ", ") + placeholders.PathText(path);
    input["ProjectionExpression"] = projection;
  }
  placeholders.AttachTo(input);
  return request;
}

Result<NativeRequest> TranslateInsert(const Statement& statement, const Binder& binder, const KeyLookup& lookup) {
  MALLARD_ASSIGN_OR_RETURN(KeyNames keys, LookupTable(lookup, statement.table));
  static const std::string kItemSyntax =
      "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.";
  if (!statement.item || (statement.item->kind != ExprKind::Struct && statement.item->kind != ExprKind::Parameter)) {
    return Fail(Validation(kItemSyntax));
  }
  MALLARD_ASSIGN_OR_RETURN(json::value item, binder.ValueOf(*statement.item));
  if (TagOf(item) != "M" || !item.as_object().begin()->value().is_object()) return Fail(Validation(kItemSyntax));
  json::object attributes = item.as_object().begin()->value().as_object();
  for (const std::optional<std::string>& name : {std::optional<std::string>(keys.partition), keys.sort}) {
    if (name && !attributes.contains(*name)) return Fail(Validation("Key attribute should be present in the item: Key " + *name));
  }
  NativeRequest request;
  request.operation = "PutItem";
  request.kind = StatementKind::Insert;
  request.table = statement.table;
  Placeholders placeholders;
  request.input["TableName"] = statement.table;
  request.input["Item"] = std::move(attributes);
  // INSERT never overwrites: the service's ConditionalCheckFailed becomes DuplicateItemException.
  request.input["ConditionExpression"] = "attribute_not_exists(" + placeholders.Name(keys.partition) + ")";
  placeholders.AttachTo(request.input);
  return request;
}

Result<std::string> ReturnValuesFor(Returning returning) {
  switch (returning) {
    case Returning::AllOld: return std::string("ALL_OLD");
    case Returning::ModifiedOld: return std::string("UPDATED_OLD");
    case Returning::AllNew: return std::string("ALL_NEW");
    case Returning::ModifiedNew: return std::string("UPDATED_NEW");
    case Returning::None: break;
  }
  return std::string("NONE");
}

Result<NativeRequest> TranslateUpdate(const Statement& statement, const Binder& binder, const KeyLookup& lookup) {
  MALLARD_ASSIGN_OR_RETURN(KeyNames keys, LookupTable(lookup, statement.table));
  MALLARD_ASSIGN_OR_RETURN(FullKey key, ExtractFullKey(statement.where, keys, binder, kIncompleteKey, true));
  NativeRequest request;
  request.operation = "UpdateItem";
  request.kind = StatementKind::Update;
  request.table = statement.table;
  Placeholders placeholders;
  ExpressionWriter writer(placeholders, binder);
  std::vector<std::string> sets, removes, adds, deletes;
  for (const UpdateAction& action : statement.updates) {
    std::string target = placeholders.PathText(action.target);
    if (action.remove) {
      removes.push_back(target);
      continue;
    }
    const Expr& value = action.value;
    if (value.kind == ExprKind::Call && (value.op == "set_add" || value.op == "set_delete")) {
      // SET s = set_add(s, <<..>>) is DynamoDB's ADD s :set (DELETE for set_delete).
      std::string upper = value.op == "set_add" ? "ADD" : "DELETE";
      if (value.children.size() != 2) return Fail(Validation("SET_" + upper + " must have exactly two arguments"));
      if (value.children[0].kind != ExprKind::Path || value.children[0].path != action.target) {
        return Fail(Validation("The first argument to SET_" + upper + " must equal the assignment value"));
      }
      if (!IsValueExpr(value.children[1])) return Fail(Validation("The second argument to SET_" + upper + " must be a value with type SET"));
      MALLARD_ASSIGN_OR_RETURN(json::value set, binder.ValueOf(value.children[1]));
      std::string_view tag = TagOf(set);
      if (tag != "SS" && tag != "NS" && tag != "BS") {
        return Fail(Validation("The second argument to SET_" + upper + " must be a value with type SET"));
      }
      (upper == "ADD" ? adds : deletes).push_back(target + " " + placeholders.Value(std::move(set)));
      continue;
    }
    MALLARD_ASSIGN_OR_RETURN(std::string operand, writer.UpdateOperand(value));
    sets.push_back(target + " = " + operand);
  }
  std::string update_expression;
  auto append_clause = [&](const char* keyword, const std::vector<std::string>& parts) {
    if (parts.empty()) return;
    if (!update_expression.empty()) update_expression += " ";
    update_expression += keyword;
    for (std::size_t i = 0; i < parts.size(); ++i) update_expression += (i ? ", " : " ") + parts[i];
  };
  append_clause("SET", sets);
  append_clause("REMOVE", removes);
  append_clause("ADD", adds);
  append_clause("DELETE", deletes);

  // The item must exist (UPDATE never creates one), and the WHERE clause's other predicates hold.
  std::string condition = "attribute_exists(" + placeholders.Name(keys.partition) + ")";
  if (!key.rest.empty()) {
    MALLARD_ASSIGN_OR_RETURN(std::string rest, writer.Conjunction(key.rest));
    condition += " AND " + rest;
  }
  json::object& input = request.input;
  input["TableName"] = statement.table;
  input["Key"] = std::move(key.key);
  input["UpdateExpression"] = update_expression;
  input["ConditionExpression"] = condition;
  if (statement.returning != Returning::None) input["ReturnValues"] = ReturnValuesFor(statement.returning).value();
  placeholders.AttachTo(input);
  return request;
}

Result<NativeRequest> TranslateDelete(const Statement& statement, const Binder& binder, const KeyLookup& lookup) {
  MALLARD_ASSIGN_OR_RETURN(KeyNames keys, LookupTable(lookup, statement.table));
  if (statement.returning != Returning::None && statement.returning != Returning::AllOld) {
    return Fail(Validation("Invalid returning clause: RETURNING " + statement.returning_text +
                           ". Only RETURNING ALL OLD * is allowed in DELETE statements."));
  }
  MALLARD_ASSIGN_OR_RETURN(FullKey key, ExtractFullKey(statement.where, keys, binder, kIncompleteKey, true));
  NativeRequest request;
  request.operation = "DeleteItem";
  request.kind = StatementKind::Delete;
  request.table = statement.table;
  json::object& input = request.input;
  input["TableName"] = statement.table;
  input["Key"] = std::move(key.key);
  if (!key.rest.empty()) {
    // A missing item is a silent no-op in AWS even with extra predicates; an existing one must
    // satisfy them.
    Placeholders placeholders;
    ExpressionWriter writer(placeholders, binder);
    MALLARD_ASSIGN_OR_RETURN(std::string rest, writer.Conjunction(key.rest));
    input["ConditionExpression"] = "attribute_not_exists(" + placeholders.Name(keys.partition) + ") OR (" + rest + ")";
    placeholders.AttachTo(input);
  }
  if (statement.returning == Returning::AllOld) input["ReturnValues"] = "ALL_OLD";
  return request;
}

Result<NativeRequest> TranslateExists(const Statement& statement, const Binder& binder, const KeyLookup& lookup) {
  MALLARD_ASSIGN_OR_RETURN(KeyNames keys, LookupTable(lookup, statement.table));
  if (!statement.index.empty()) return Fail(Validation("Operations on indices are not supported in transactions"));
  MALLARD_ASSIGN_OR_RETURN(FullKey key, ExtractFullKey(statement.where, keys, binder,
                                                       "EXISTS() must contain a single item read with additional condition", false));
  NativeRequest request;
  request.operation = "ConditionCheck";
  request.kind = StatementKind::Exists;
  request.table = statement.table;
  Placeholders placeholders;
  ExpressionWriter writer(placeholders, binder);
  std::string condition = "attribute_exists(" + placeholders.Name(keys.partition) + ")";
  if (!key.rest.empty()) {
    MALLARD_ASSIGN_OR_RETURN(std::string rest, writer.Conjunction(key.rest));
    condition += " AND " + rest;
  }
  request.input["TableName"] = statement.table;
  request.input["Key"] = std::move(key.key);
  request.input["ConditionExpression"] = condition;
  placeholders.AttachTo(request.input);
  return request;
}

// Where `steps[at]` (a list index) lands in the native operation's projected result: DynamoDB
// packs the projected elements of one list densely, in index order.
std::uint64_t ProjectedIndex(const std::vector<Path>& projection, const Path& path, std::size_t at) {
  std::set<std::uint64_t> smaller;
  for (const Path& other : projection) {
    if (other.size() <= at || !other[at].is_index || other[at].index >= path[at].index) continue;
    if (std::equal(path.begin(), path.begin() + static_cast<std::ptrdiff_t>(at), other.begin())) smaller.insert(other[at].index);
  }
  return smaller.size();
}

}  // namespace

Result<NativeRequest> Translate(const Statement& statement, const json::array& parameters, const KeyLookup& keys, Context context) {
  if (statement.parameter_count != parameters.size()) {
    return Fail(Validation("Number of parameters in request and statement don't match."));
  }
  Binder binder(parameters);
  MALLARD_RETURN_IF_ERROR(binder.Validate());
  if (statement.kind == StatementKind::Exists && context != Context::Transaction) {
    return Fail(Validation("EXISTS can only be used in ExecuteTransaction write requests."));
  }
  if (context == Context::Transaction && statement.returning != Returning::None) {
    return Fail(Validation("RETURNING clause is not supported in ExecuteTransaction."));
  }
  if (statement.kind != StatementKind::Select && statement.kind != StatementKind::Exists && !statement.index.empty()) {
    return Fail(Validation("FROM clause may only contain a single table name in data manipulation statements"));
  }
  switch (statement.kind) {
    case StatementKind::Select: return TranslateSelect(statement, binder, keys, context);
    case StatementKind::Insert: return TranslateInsert(statement, binder, keys);
    case StatementKind::Update: return TranslateUpdate(statement, binder, keys);
    case StatementKind::Delete: return TranslateDelete(statement, binder, keys);
    case StatementKind::Exists: return TranslateExists(statement, binder, keys);
  }
  return Fail(NotWellFormed("Expected data manipulation"));
}

json::object ReshapeItem(const json::object& item, const std::vector<Path>& projection) {
  if (projection.empty()) return item;
  json::object out;
  for (std::size_t i = 0; i < projection.size(); ++i) {
    const Path& path = projection[i];
    const json::value* current = item.if_contains(path[0].name);
    for (std::size_t at = 1; current != nullptr && at < path.size(); ++at) {
      const json::object* wrapper = current->if_object();
      if (wrapper == nullptr) { current = nullptr; break; }
      if (path[at].is_index) {
        const json::value* list = wrapper->if_contains("L");
        std::uint64_t position = ProjectedIndex(projection, path, at);
        current = (list && list->is_array() && position < list->as_array().size()) ? &list->as_array()[position] : nullptr;
      } else {
        const json::value* map = wrapper->if_contains("M");
        current = (map && map->is_object()) ? map->as_object().if_contains(path[at].name) : nullptr;
      }
    }
    if (current != nullptr) out[PartiqlName(path, i)] = *current;
  }
  return out;
}

}  // namespace mallard::dynamodb::partiql

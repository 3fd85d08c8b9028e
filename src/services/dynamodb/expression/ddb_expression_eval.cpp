// Evaluation of conditions against items, projections, and sort-key conditions. Operands resolve to
// pointers into the item or the request's values; only size() produces a temporary.
#include <algorithm>
#include <map>

#include "services/dynamodb/expression/ddb_expression.hpp"

namespace mallard::dynamodb {
namespace {

// size() of a string counts UTF-16 code units, as DynamoDB does.
std::size_t Utf16Length(const std::string& text) {
  std::size_t units = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++units;  // a character starts here
    if (c >= 0xF0) ++units;           // outside the BMP: a surrogate pair
  }
  return units;
}

struct Resolved {
  const AttributeValue* value = nullptr;
  std::optional<AttributeValue> temp;
  const AttributeValue* get() const { return temp ? &*temp : value; }
};

void Resolve(const Operand& operand, const Item* item, Resolved& out) {
  switch (operand.kind) {
    case Operand::Kind::Value:
      out.value = operand.value;
      return;
    case Operand::Kind::Path:
      out.value = item ? ResolvePath(*item, operand.path) : nullptr;
      return;
    case Operand::Kind::Size: {
      // size(:v) measures the value; size(path) the item's attribute.
      const AttributeValue* value = operand.value ? operand.value : item ? ResolvePath(*item, operand.path) : nullptr;
      if (!value) return;
      std::size_t size = 0;
      switch (value->type) {
        case AttrType::S: size = Utf16Length(value->bytes); break;
        case AttrType::B: size = value->bytes.size(); break;
        case AttrType::SS:
        case AttrType::BS: size = value->byte_set.size(); break;
        case AttrType::NS: size = value->number_set.size(); break;
        case AttrType::L: size = value->list.size(); break;
        case AttrType::M: size = value->map.size(); break;
        default: return;  // numbers, booleans and nulls have no size
      }
      out.temp = AttributeValue::Number(Decimal::FromInt(static_cast<std::int64_t>(size)));
      return;
    }
  }
}

bool Ordered(const AttributeValue* a, const AttributeValue* b, int& cmp) {
  if (!a || !b || a->type != b->type || !a->IsScalarKeyType()) return false;
  cmp = CompareScalar(*a, *b);
  return true;
}

bool BeginsWith(const AttributeValue* a, const AttributeValue* b) {
  if (!a || !b || a->type != b->type || (a->type != AttrType::S && a->type != AttrType::B)) return false;
  return a->bytes.compare(0, b->bytes.size(), b->bytes) == 0 && a->bytes.size() >= b->bytes.size();
}

bool Contains(const AttributeValue* a, const AttributeValue* b) {
  if (!a || !b) return false;
  switch (a->type) {
    case AttrType::S:
    case AttrType::B:
      return b->type == a->type && a->bytes.find(b->bytes) != std::string::npos;
    case AttrType::SS:
      return b->type == AttrType::S && std::find(a->byte_set.begin(), a->byte_set.end(), b->bytes) != a->byte_set.end();
    case AttrType::BS:
      return b->type == AttrType::B && std::find(a->byte_set.begin(), a->byte_set.end(), b->bytes) != a->byte_set.end();
    case AttrType::NS:
      return b->type == AttrType::N && std::find(a->number_set.begin(), a->number_set.end(), b->number) != a->number_set.end();
    case AttrType::L:
      return std::any_of(a->list.begin(), a->list.end(), [&](const AttributeValue& element) { return Equals(element, *b); });
    default:
      return false;
  }
}

bool EvalNode(const Condition& condition, std::uint32_t index, const Item* item) {
  const CondNode& node = condition.nodes[index];
  switch (node.op) {
    case CondOp::And:
      return EvalNode(condition, node.children[0], item) && EvalNode(condition, node.children[1], item);
    case CondOp::Or:
      return EvalNode(condition, node.children[0], item) || EvalNode(condition, node.children[1], item);
    case CondOp::Not:
      return !EvalNode(condition, node.children[0], item);
    default:
      break;
  }
  const auto& ops = node.operands;
  Resolved first;
  Resolve(ops[0], item, first);
  const AttributeValue* a = first.get();
  switch (node.op) {
    case CondOp::AttributeExists: return a != nullptr;
    case CondOp::AttributeNotExists: return a == nullptr;
    case CondOp::In: {
      if (!a) return false;
      for (std::size_t i = 1; i < ops.size(); ++i) {
        Resolved candidate;
        Resolve(ops[i], item, candidate);
        if (candidate.get() && Equals(*a, *candidate.get())) return true;
      }
      return false;
    }
    case CondOp::Between: {
      Resolved low, high;
      Resolve(ops[1], item, low);
      Resolve(ops[2], item, high);
      int c1 = 0, c2 = 0;
      return Ordered(a, low.get(), c1) && Ordered(a, high.get(), c2) && c1 >= 0 && c2 <= 0;
    }
    default:
      break;
  }
  Resolved second;
  Resolve(ops[1], item, second);
  const AttributeValue* b = second.get();
  int cmp = 0;
  switch (node.op) {
    case CondOp::Eq: return a && b && Equals(*a, *b);
    case CondOp::Ne: return !(a && b && Equals(*a, *b));
    case CondOp::Lt: return Ordered(a, b, cmp) && cmp < 0;
    case CondOp::Le: return Ordered(a, b, cmp) && cmp <= 0;
    case CondOp::Gt: return Ordered(a, b, cmp) && cmp > 0;
    case CondOp::Ge: return Ordered(a, b, cmp) && cmp >= 0;
    case CondOp::AttributeType: {
      AttrType type;
      return a && b && b->type == AttrType::S && ParseTypeTag(b->bytes, type) && a->type == type;
    }
    case CondOp::BeginsWith: return BeginsWith(a, b);
    case CondOp::Contains: return Contains(a, b);
    default: return false;
  }
}

}  // namespace

bool Condition::Matches(const Item* item) const {
  if (nodes.empty()) return true;
  return EvalNode(*this, root, item);
}

Result<bool> Condition::Evaluate(const Item* item) const { return Matches(item); }

// ---------------------------------------------------------------- projection ------------------

struct Projection::Node {
  bool whole = false;
  std::map<std::string, Node, std::less<>> members;
  std::map<std::uint32_t, Node> indexes;
};

namespace {

bool Selected(const AttributeValue& part, const AttributeValue& source);
void ProjectInto(const Projection::Node& node, const AttributeValue& source, AttributeValue& out);

}  // namespace

Projection::Projection(std::vector<DocumentPath> paths) : paths_(std::move(paths)) {
  auto root = std::make_shared<Node>();
  for (const DocumentPath& path : paths_) {
    Node* node = root.get();
    for (const PathElement& element : path) {
      node = element.is_index ? &node->indexes[element.index] : &node->members[element.name];
    }
    node->whole = true;
  }
  tree_ = std::move(root);
}

namespace {

// A projected container worth keeping: something of it was selected.
bool Selected(const AttributeValue& part, const AttributeValue& source) {
  if (part.type != source.type) return false;
  return part.type == AttrType::M ? !part.map.empty() : part.type == AttrType::L && !part.list.empty();
}

// `node` selects parts of `source`; `out` receives them (same container type as `source`).
void ProjectInto(const Projection::Node& node, const AttributeValue& source, AttributeValue& out) {
  if (source.type == AttrType::M && !node.members.empty()) {
    out.type = AttrType::M;
    for (const auto& [name, child] : node.members) {
      auto it = source.map.find(name);
      if (it == source.map.end()) continue;
      if (child.whole) {
        out.map.emplace(name, it->second);
      } else {
        AttributeValue part;
        ProjectInto(child, it->second, part);
        if (Selected(part, it->second)) out.map.emplace(name, std::move(part));
      }
    }
  } else if (source.type == AttrType::L && !node.indexes.empty()) {
    out.type = AttrType::L;
    for (const auto& [index, child] : node.indexes) {
      if (index >= source.list.size()) continue;
      const AttributeValue& element = source.list[index];
      if (child.whole) {
        out.list.push_back(element);
      } else {
        AttributeValue part;
        ProjectInto(child, element, part);
        if (Selected(part, element)) out.list.push_back(std::move(part));
      }
    }
  } else {
    out.type = AttrType::NUL;  // nothing selected: the caller drops it
  }
}

}  // namespace

Item Projection::Apply(const Item& item) const {
  Item out;
  if (!tree_) return out;
  for (const auto& [name, child] : tree_->members) {
    auto it = item.find(name);
    if (it == item.end()) continue;
    if (child.whole) {
      out.emplace(name, it->second);
      continue;
    }
    AttributeValue part;
    ProjectInto(child, it->second, part);
    if (Selected(part, it->second)) out.emplace(name, std::move(part));
  }
  return out;
}

std::vector<std::string> Projection::TopLevelNames() const {
  std::vector<std::string> names;
  for (const DocumentPath& path : paths_) {
    if (path.empty() || path[0].is_index) continue;
    if (std::find(names.begin(), names.end(), path[0].name) == names.end()) names.push_back(path[0].name);
  }
  return names;
}

// ---------------------------------------------------------------- sort keys -------------------

bool SortKeyCondition::Matches(const AttributeValue& sort_value) const {
  if (sort_value.type != value.type) return false;
  switch (op) {
    case Op::Eq: return CompareScalar(sort_value, value) == 0;
    case Op::Lt: return CompareScalar(sort_value, value) < 0;
    case Op::Le: return CompareScalar(sort_value, value) <= 0;
    case Op::Gt: return CompareScalar(sort_value, value) > 0;
    case Op::Ge: return CompareScalar(sort_value, value) >= 0;
    case Op::Between: return CompareScalar(sort_value, value) >= 0 && CompareScalar(sort_value, value2) <= 0;
    case Op::BeginsWith:
      return sort_value.bytes.size() >= value.bytes.size() && sort_value.bytes.compare(0, value.bytes.size(), value.bytes) == 0;
  }
  return false;
}

}  // namespace mallard::dynamodb

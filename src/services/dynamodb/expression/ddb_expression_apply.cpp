// Applying an UpdateExpression to an item, as DynamoDB does: every SET value is computed from the
// item as it was before the update, list indexes refer to the old lists (REMOVEs run last, highest
// index first), SET past the end of a list appends, ADD creates, DELETE of the last set members
// removes the attribute.
#include <algorithm>
#include <optional>

#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/expression/ddb_expression_errors.hpp"

namespace mallard::dynamodb {
namespace {

Result<AttributeValue> Compute(const UpdateValue& value, const Item& base) {
  switch (value.kind) {
    case UpdateValue::Kind::Operand: {
      if (value.operand.kind == Operand::Kind::Value) return *value.operand.value;
      const AttributeValue* found = ResolvePath(base, value.operand.path);
      if (!found) return Fail(ValidationError(std::string(kMissingOperandAttribute)));
      return *found;
    }
    case UpdateValue::Kind::IfNotExists: {
      const AttributeValue* found = ResolvePath(base, value.args[0].operand.path);
      if (found) return *found;
      return Compute(value.args[1], base);
    }
    case UpdateValue::Kind::Plus:
    case UpdateValue::Kind::Minus: {
      MALLARD_ASSIGN_OR_RETURN(AttributeValue a, Compute(value.args[0], base));
      MALLARD_ASSIGN_OR_RETURN(AttributeValue b, Compute(value.args[1], base));
      if (a.type != AttrType::N || b.type != AttrType::N) return Fail(ValidationError(std::string(kIncorrectOperandType)));
      auto sum = value.kind == UpdateValue::Kind::Plus ? a.number.Add(b.number) : a.number.Subtract(b.number);
      if (!sum.ok()) return Fail(ValidationError(sum.error()));
      return AttributeValue::Number(std::move(sum).value());
    }
    case UpdateValue::Kind::ListAppend: {
      MALLARD_ASSIGN_OR_RETURN(AttributeValue a, Compute(value.args[0], base));
      MALLARD_ASSIGN_OR_RETURN(AttributeValue b, Compute(value.args[1], base));
      if (a.type != AttrType::L || b.type != AttrType::L) return Fail(ValidationError(std::string(kIncorrectOperandType)));
      a.list.insert(a.list.end(), std::make_move_iterator(b.list.begin()), std::make_move_iterator(b.list.end()));
      return a;
    }
  }
  return Fail(ValidationError(std::string(kIncorrectOperandType)));
}

// The container holding the last element of `path` (the item itself for top-level names):
// exactly one of `map` / `list` is set. Fails when an intermediate element is missing or of the
// wrong type.
struct Parent {
  AttributeMap* map = nullptr;
  std::vector<AttributeValue>* list = nullptr;
};

Result<Parent> FindParent(Item& item, const DocumentPath& path) {
  Parent parent{&item, nullptr};
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    const PathElement& element = path[i];
    AttributeValue* current = nullptr;
    if (element.is_index) {
      if (!parent.list || element.index >= parent.list->size()) return Fail(ValidationError(std::string(kInvalidUpdatePath)));
      current = &(*parent.list)[element.index];
    } else {
      if (!parent.map) return Fail(ValidationError(std::string(kInvalidUpdatePath)));
      auto it = parent.map->find(element.name);
      if (it == parent.map->end()) return Fail(ValidationError(std::string(kInvalidUpdatePath)));
      current = &it->second;
    }
    if (current->type == AttrType::M) parent = Parent{&current->map, nullptr};
    else if (current->type == AttrType::L) parent = Parent{nullptr, &current->list};
    else return Fail(ValidationError(std::string(kInvalidUpdatePath)));
  }
  const PathElement& last = path.back();
  if (last.is_index ? !parent.list : !parent.map) return Fail(ValidationError(std::string(kInvalidUpdatePath)));
  return parent;
}

// The existing value at the last element, or nullptr.
AttributeValue* Existing(const Parent& parent, const PathElement& last) {
  if (last.is_index) return last.index < parent.list->size() ? &(*parent.list)[last.index] : nullptr;
  auto it = parent.map->find(last.name);
  return it == parent.map->end() ? nullptr : &it->second;
}

void Store(const Parent& parent, const PathElement& last, AttributeValue value) {
  if (!last.is_index) {
    (*parent.map)[last.name] = std::move(value);
  } else if (last.index < parent.list->size()) {
    (*parent.list)[last.index] = std::move(value);
  } else {
    parent.list->push_back(std::move(value));  // past the end: appended
  }
}

void Erase(const Parent& parent, const PathElement& last) {
  if (!last.is_index) {
    parent.map->erase(last.name);
  } else if (last.index < parent.list->size()) {
    parent.list->erase(parent.list->begin() + last.index);
  }
}

Status<> AddTo(AttributeValue& target, const AttributeValue& addend) {
  if (target.type != addend.type) return Fail(ValidationError(std::string(kIncorrectOperandType)));
  switch (addend.type) {
    case AttrType::N: {
      auto sum = target.number.Add(addend.number);
      if (!sum.ok()) return Fail(ValidationError(sum.error()));
      target.number = std::move(sum).value();
      return Ok();
    }
    case AttrType::SS:
    case AttrType::BS:
      for (const std::string& member : addend.byte_set) {
        if (std::find(target.byte_set.begin(), target.byte_set.end(), member) == target.byte_set.end()) target.byte_set.push_back(member);
      }
      return Ok();
    case AttrType::NS:
      for (const Decimal& member : addend.number_set) {
        if (std::find(target.number_set.begin(), target.number_set.end(), member) == target.number_set.end()) {
          target.number_set.push_back(member);
        }
      }
      return Ok();
    default:
      return Fail(ValidationError(std::string(kIncorrectOperandType)));
  }
}

// Removes `removed`'s members from the set `target`; true when the set became empty.
Result<bool> DeleteFrom(AttributeValue& target, const AttributeValue& removed) {
  if (target.type != removed.type || !target.IsSet()) return Fail(ValidationError(std::string(kIncorrectOperandType)));
  if (target.type == AttrType::NS) {
    std::erase_if(target.number_set, [&](const Decimal& member) {
      return std::find(removed.number_set.begin(), removed.number_set.end(), member) != removed.number_set.end();
    });
    return target.number_set.empty();
  }
  std::erase_if(target.byte_set, [&](const std::string& member) {
    return std::find(removed.byte_set.begin(), removed.byte_set.end(), member) != removed.byte_set.end();
  });
  return target.byte_set.empty();
}

// Descending document order, so that list elements are removed highest index first.
bool RemoveOrder(const DocumentPath* a, const DocumentPath* b) {
  std::size_t n = std::min(a->size(), b->size());
  for (std::size_t i = 0; i < n; ++i) {
    const PathElement& x = (*a)[i];
    const PathElement& y = (*b)[i];
    if (x.is_index != y.is_index) return x.is_index;
    if (x.is_index ? x.index != y.index : x.name != y.name) return x.is_index ? x.index > y.index : x.name > y.name;
  }
  return a->size() > b->size();
}

}  // namespace

Result<Item> UpdateExpression::Apply(const Item* old_item, Item key) const {
  Item item = old_item ? *old_item : std::move(key);
  // SET values come from the item as it was.
  struct Change {
    const UpdateAction* action;
    std::optional<AttributeValue> value;  // SET
  };
  std::vector<Change> changes;
  std::vector<const DocumentPath*> removes;
  for (const UpdateAction& action : actions) {
    if (action.kind == UpdateAction::Kind::Remove) {
      removes.push_back(&action.path);
      continue;
    }
    Change change{&action, std::nullopt};
    if (action.kind == UpdateAction::Kind::Set) {
      MALLARD_ASSIGN_OR_RETURN(change.value, Compute(action.value, item));
    }
    changes.push_back(std::move(change));
  }
  // In document order: the paths never overlap, so only elements set past the end of one list
  // notice it, and they are appended sorted by index, as the Developer Guide says (ScyllaDB's
  // test_nested_attribute_update_array_out_of_bounds, run against AWS).
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return RemoveOrder(&b.action->path, &a.action->path); });
  for (Change& change : changes) {
    const UpdateAction& action = *change.action;
    MALLARD_ASSIGN_OR_RETURN(Parent parent, FindParent(item, action.path));
    const PathElement& last = action.path.back();
    AttributeValue* existing = Existing(parent, last);
    switch (action.kind) {
      case UpdateAction::Kind::Set:
        Store(parent, last, std::move(*change.value));
        break;
      case UpdateAction::Kind::Add:
        if (existing) {
          MALLARD_RETURN_IF_ERROR(AddTo(*existing, *action.literal));
        } else {
          Store(parent, last, *action.literal);
        }
        break;
      case UpdateAction::Kind::Delete:
        if (existing) {
          MALLARD_ASSIGN_OR_RETURN(bool empty, DeleteFrom(*existing, *action.literal));
          if (empty) Erase(parent, last);
        }
        break;
      case UpdateAction::Kind::Remove:
        break;
    }
  }
  std::sort(removes.begin(), removes.end(), RemoveOrder);
  for (const DocumentPath* path : removes) {
    auto parent = FindParent(item, *path);
    // On a missing item AWS ignores a REMOVE whose path leads nowhere (REMOVE x.y, x[0]; ScyllaDB's
    // test_nested_attribute_remove_from_missing_item, run against AWS); on an item it is an error.
    if (!parent.ok() && !old_item) continue;
    if (!parent.ok()) return Fail(std::move(parent).error());
    Erase(*parent, path->back());
  }
  return item;
}

std::vector<std::string> UpdateExpression::TopLevelNames() const { return updated_.TopLevelNames(); }

}  // namespace mallard::dynamodb

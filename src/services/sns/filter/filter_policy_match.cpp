// FilterPolicy::Matches / MatchesBody: evaluates a compiled policy against a message.
//
// A key matches when any of its conditions matches any of the key's values (an array — a
// String.Array attribute, or an array in the body — contributes each element); {"exists": false}
// matches when the key has no value at all. Keys, nested objects and $or groups of one node are
// ANDed. In the body, a nested object that is an array of objects matches when one element
// matches the whole nested policy. Values keep their JSON type: a string condition (exact string,
// prefix, suffix, equals-ignore-case, cidr) matches only strings, numeric conditions only numbers,
// as SNS compares them (a Number attribute is a number, a String attribute "5" is a string).
#include <algorithm>
#include <boost/json.hpp>

#include "services/sns/filter/filter_policy.hpp"
#include "services/sns/filter/filter_policy_model.hpp"
#include "services/sns/filter/policy_text.hpp"

namespace mallard::sns {

namespace json = boost::json;
using filter_detail::Condition;
using filter_detail::ConditionKind;
using filter_detail::PolicyNode;

namespace {

// The deepest body SNS's matcher walks here; deeper bodies do not parse and do not match.
constexpr std::size_t kMaxBodyDepth = 256;

enum class ValueKind : unsigned char { String, Number, True, False, Null };

struct MessageValue {
  ValueKind kind = ValueKind::Null;
  std::string text;  // String: the string; Number: its text
  std::optional<std::int64_t> key;  // Number: comparable key
};

MessageValue NumberValueFromText(std::string text) {
  MessageValue value{ValueKind::Number, std::move(text), std::nullopt};
  if (auto number = filter_detail::ParseNumber(value.text)) value.key = filter_detail::ComparableKey(*number);
  return value;
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool InIpRange(const filter_detail::IpAddress& address, const filter_detail::IpAddress& low,
               const filter_detail::IpAddress& high) {
  if (address.size != low.size) return false;
  auto begin = address.bytes.begin(), end = address.bytes.begin() + address.size;
  return !std::lexicographical_compare(begin, end, low.bytes.begin(), low.bytes.begin() + low.size) &&
         !std::lexicographical_compare(high.bytes.begin(), high.bytes.begin() + high.size, begin, end);
}

bool ConditionMatchesValue(const Condition& condition, const MessageValue& value) {
  const bool is_string = value.kind == ValueKind::String;
  switch (condition.kind) {
    case ConditionKind::ExactString:
      if (!is_string) return false;
      if (condition.ip) {
        // SNS turns an IP address literal in a policy into the range of that one address.
        auto address = filter_detail::ParseIpAddress(value.text);
        return address && InIpRange(*address, *condition.ip, *condition.ip);
      }
      return value.text == condition.text;
    case ConditionKind::ExactNumber:
      if (value.kind != ValueKind::Number) return false;
      return value.text == condition.number.text || (value.key && condition.number.key && *value.key == *condition.number.key);
    case ConditionKind::ExactTrue: return value.kind == ValueKind::True;
    case ConditionKind::ExactFalse: return value.kind == ValueKind::False;
    case ConditionKind::ExactNull: return value.kind == ValueKind::Null;
    case ConditionKind::Prefix: return is_string && StartsWith(value.text, condition.text);
    case ConditionKind::Suffix: return is_string && EndsWith(value.text, condition.text);
    case ConditionKind::EqualsIgnoreCase: return is_string && filter_detail::FoldCase(value.text) == condition.text;
    // anything-but over strings: any value that is not one of the strings (a number or boolean is
    // never one of them); null is no value to exclude from.
    case ConditionKind::AnythingButStrings:
      if (value.kind == ValueKind::Null) return false;
      return !is_string || !std::binary_search(condition.strings.begin(), condition.strings.end(), value.text);
    case ConditionKind::AnythingButNumbers:
      return value.kind == ValueKind::Number && value.key &&
             !std::binary_search(condition.numbers.begin(), condition.numbers.end(), *value.key);
    case ConditionKind::AnythingButPrefix:
      if (value.kind == ValueKind::Null) return false;
      return !is_string || !StartsWith(value.text, condition.text);
    case ConditionKind::NumericRange: {
      if (value.kind != ValueKind::Number || !value.key) return false;
      std::int64_t key = *value.key;
      if (condition.low && (condition.low_open ? key <= *condition.low : key < *condition.low)) return false;
      if (condition.high && (condition.high_open ? key >= *condition.high : key > *condition.high)) return false;
      return true;
    }
    case ConditionKind::Cidr: {
      if (!is_string) return false;
      auto address = filter_detail::ParseIpAddress(value.text);
      return address && InIpRange(*address, condition.cidr_low, condition.cidr_high);
    }
    case ConditionKind::Exists: return false;  // decided on the key, not a value
  }
  return false;
}

// AWS "Key matching": "exists": true needs "a non-null and non-empty value"; "exists": false
// matches a missing key, but "only matches if at least one attribute is present. An empty set of
// attributes results in the filter not matching" (`no_attributes`: MessageAttributes scope only).
bool HasValue(const std::vector<MessageValue>& values) {
  return std::any_of(values.begin(), values.end(), [](const MessageValue& value) {
    return value.kind != ValueKind::Null && !(value.kind == ValueKind::String && value.text.empty());
  });
}

bool KeyMatches(const filter_detail::KeyRule& rule, const std::vector<MessageValue>& values, bool no_attributes = false) {
  for (const auto& condition : rule.conditions) {
    if (condition.kind == ConditionKind::Exists) {
      bool present = HasValue(values);
      if (condition.exists ? present : (!present && !no_attributes)) return true;
      continue;
    }
    for (const auto& value : values) {
      if (ConditionMatchesValue(condition, value)) return true;
    }
  }
  return false;
}

// ---- MessageAttributes ----

void AppendJsonScalar(const json::value& element, std::vector<MessageValue>& out) {
  switch (element.kind()) {
    case json::kind::string: out.push_back({ValueKind::String, std::string(element.get_string()), std::nullopt}); break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      // The same spelling a policy's numbers get (policy_text.hpp), so equal literals compare equal.
      out.push_back(NumberValueFromText(filter_detail::JacksonCompactText(element)));
      break;
    case json::kind::bool_: out.push_back({element.get_bool() ? ValueKind::True : ValueKind::False, {}, std::nullopt}); break;
    case json::kind::null: out.push_back({ValueKind::Null, {}, std::nullopt}); break;
    case json::kind::array:
      for (const auto& inner : element.get_array()) AppendJsonScalar(inner, out);
      break;
    case json::kind::object: break;  // objects are not values to match (nesting is body-only)
  }
}

json::value ParseBounded(std::string_view text, bool& ok) {
  json::parse_options options;
  options.max_depth = kMaxBodyDepth;
  boost::system::error_code error;
  json::value parsed = json::parse(text, error, json::storage_ptr(), options);
  ok = !error;
  return parsed;
}

std::vector<MessageValue> AttributeValues(const FilterAttribute& attribute) {
  std::vector<MessageValue> values;
  std::string_view type = attribute.data_type;
  if (type == "String.Array") {
    bool ok = false;
    json::value parsed = ParseBounded(attribute.value, ok);
    if (ok && parsed.is_array()) AppendJsonScalar(parsed, values);
  } else if (StartsWith(type, "String")) {
    values.push_back({ValueKind::String, attribute.value, std::nullopt});
  } else if (StartsWith(type, "Number")) {
    values.push_back(NumberValueFromText(attribute.value));
  }
  // Binary: SNS ignores it when filtering.
  return values;
}

using AttributeMap = std::map<std::string, FilterAttribute, std::less<>>;

bool AttributesMatchNode(const PolicyNode& node, const AttributeMap& attributes) {
  for (const auto& rule : node.keys) {
    auto found = attributes.find(rule.name);
    std::vector<MessageValue> values = found == attributes.end() ? std::vector<MessageValue>{} : AttributeValues(found->second);
    if (!KeyMatches(rule, values, attributes.empty())) return false;
  }
  if (!node.children.empty()) return false;  // nested policies are MessageBody-only (Parse refuses them)
  for (const auto& group : node.or_groups) {
    bool any = std::any_of(group.begin(), group.end(),
                           [&](const PolicyNode& alternative) { return AttributesMatchNode(alternative, attributes); });
    if (!any) return false;
  }
  return true;
}

// ---- MessageBody ----
//
// SNS compares key paths joined with dots (AWS-validated in LocalStack's
// test_filter_policy_on_message_body_dot_attribute): the policy key "a.b" matches {"a": {"b": …}}
// and {"a.b": …}, and the nested policy {"a": {"b": …}} matches {"a.b": …} too. An object of the
// body is seen as a view: its members, by name, where a name may stand for several path steps.

using BodyView = std::vector<std::pair<std::string_view, const json::value*>>;

BodyView ViewOf(const json::object& object) {
  BodyView view;
  view.reserve(object.size());
  for (const auto& member : object) view.emplace_back(member.key(), &member.value());
  return view;
}

bool StartsWithStep(std::string_view path, std::string_view name) {
  return path.size() > name.size() && path[name.size()] == '.' && path.substr(0, name.size()) == name;
}

// The objects a value holds: itself, or the objects in an array (of arrays).
void ObjectsIn(const json::value& value, std::vector<const json::object*>& out) {
  std::vector<const json::value*> pending{&value};
  while (!pending.empty()) {
    const json::value* next = pending.back();
    pending.pop_back();
    if (next->is_object()) out.push_back(&next->get_object());
    if (next->is_array()) {
      const auto& array = next->get_array();
      for (auto it = array.rbegin(); it != array.rend(); ++it) pending.push_back(&*it);
    }
  }
}

// The leaf values at `path` (relative to `view`).
void CollectValues(const BodyView& view, std::string_view path, std::vector<MessageValue>& out) {
  for (const auto& [name, value] : view) {
    if (name == path) {
      AppendJsonScalar(*value, out);
    } else if (StartsWithStep(path, name)) {
      std::vector<const json::object*> objects;
      ObjectsIn(*value, objects);
      for (const json::object* object : objects) CollectValues(ViewOf(*object), path.substr(name.size() + 1), out);
    }
  }
}

// The views a nested policy object at `path` is matched against: each object found there (each
// element of an array of objects on its own), with the members the body spells as "path.x".
void ChildViews(const BodyView& view, std::string_view path, std::vector<BodyView>& out) {
  BodyView dotted;
  for (const auto& [name, value] : view) {
    if (StartsWithStep(name, path)) dotted.emplace_back(name.substr(path.size() + 1), value);
  }
  std::size_t first = out.size();
  for (const auto& [name, value] : view) {
    if (name == path) {
      std::vector<const json::object*> objects;
      ObjectsIn(*value, objects);
      for (const json::object* object : objects) {
        BodyView child = ViewOf(*object);
        child.insert(child.end(), dotted.begin(), dotted.end());
        out.push_back(std::move(child));
      }
    } else if (StartsWithStep(path, name)) {
      std::vector<const json::object*> objects;
      ObjectsIn(*value, objects);
      for (const json::object* object : objects) ChildViews(ViewOf(*object), path.substr(name.size() + 1), out);
    }
  }
  if (out.size() == first && !dotted.empty()) out.push_back(std::move(dotted));
}

// An empty view stands for a path the body does not have (a nested policy then sees only absent keys).
bool BodyMatchesNode(const PolicyNode& node, const BodyView& view) {
  for (const auto& rule : node.keys) {
    std::vector<MessageValue> values;
    CollectValues(view, rule.name, values);
    if (!KeyMatches(rule, values)) return false;
  }
  for (const auto& child : node.children) {
    std::vector<BodyView> candidates;
    ChildViews(view, child.name, candidates);
    bool matched = candidates.empty()
                       ? BodyMatchesNode(child, BodyView{})
                       : std::any_of(candidates.begin(), candidates.end(),
                                     [&](const BodyView& candidate) { return BodyMatchesNode(child, candidate); });
    if (!matched) return false;
  }
  for (const auto& group : node.or_groups) {
    bool any = std::any_of(group.begin(), group.end(),
                           [&](const PolicyNode& alternative) { return BodyMatchesNode(alternative, view); });
    if (!any) return false;
  }
  return true;
}

}  // namespace

bool FilterPolicy::Matches(const AttributeMap& attributes) const {
  if (root_ == nullptr) return true;
  if (scope_ != FilterPolicyScope::MessageAttributes) return false;
  return AttributesMatchNode(*root_, attributes);
}

bool FilterPolicy::MatchesBody(std::string_view message_body) const {
  if (root_ == nullptr) return true;
  if (scope_ != FilterPolicyScope::MessageBody) return false;
  bool ok = false;
  json::value body = ParseBounded(message_body, ok);
  if (!ok) return false;
  return MatchesParsedBody(body);
}

std::optional<json::value> FilterPolicy::ParseBody(std::string_view message_body) {
  bool ok = false;
  json::value body = ParseBounded(message_body, ok);
  if (!ok) return std::nullopt;
  return body;
}

bool FilterPolicy::MatchesParsedBody(const json::value& message_body) const {
  if (root_ == nullptr) return true;
  if (scope_ != FilterPolicyScope::MessageBody || !message_body.is_object()) return false;
  return BodyMatchesNode(*root_, ViewOf(message_body.get_object()));
}

}  // namespace mallard::sns

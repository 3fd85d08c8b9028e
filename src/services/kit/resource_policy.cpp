#include "services/kit/resource_policy.hpp"

#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>

#include "services/kit/resource_policy_values.hpp"

namespace mallard::services::kit {

namespace json = boost::json;
using policy_values::BlockContains;
using policy_values::IpBlock;
using policy_values::ParseDate;
using policy_values::ParseIpBlock;
using policy_values::ParseNumber;

namespace {

// A policy is a few levels deep (document, statement, condition, operator, key, values); anything
// much deeper is not a policy, and the bound keeps hostile nesting cheap.
constexpr unsigned kMaxPolicyDepth = 64;

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

bool EndsWithIgnoreCase(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && EqualsIgnoreCase(text.substr(text.size() - suffix.size()), suffix);
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Bytes in the UTF-8 sequence starting at text[at] (1 for a stray continuation or invalid byte), so
// '?' consumes one character, not one byte, as IAM's (Java) matcher does for text outside ASCII.
std::size_t CharacterLength(std::string_view text, std::size_t at) {
  auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = 1;
  if (lead >= 0xF0 && lead <= 0xF4) length = 4;
  else if (lead >= 0xE0) length = 3;
  else if (lead >= 0xC2 && lead < 0xE0) length = 2;
  if (lead > 0xF4) length = 1;
  for (std::size_t i = 1; i < length; ++i) {
    if (at + i >= text.size() || (static_cast<unsigned char>(text[at + i]) & 0xC0) != 0x80) return i;
  }
  return length;
}

// The six parts of an ARN: "arn", partition, service, region, account, resource (with its colons).
using ArnParts = std::array<std::string_view, 6>;
bool SplitArn(std::string_view arn, ArnParts& parts) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    std::size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return false;
    parts[i] = arn.substr(start, colon - start);
    start = colon + 1;
  }
  parts[5] = arn.substr(start);
  return true;
}

// ---- the parsed document --------------------------------------------------------------------

enum class BaseOperator : unsigned char {
  StringEquals,
  StringEqualsIgnoreCase,
  StringLike,
  NumericEquals,
  NumericLessThan,
  NumericLessThanEquals,
  NumericGreaterThan,
  NumericGreaterThanEquals,
  DateEquals,
  DateLessThan,
  DateLessThanEquals,
  DateGreaterThan,
  DateGreaterThanEquals,
  Bool,
  BinaryEquals,
  IpAddress,
  ArnEquals,
  ArnLike,
  Null,
};

struct OperatorName {
  std::string_view name;
  BaseOperator base;
  bool negated;
};

constexpr OperatorName kOperators[] = {
    {"StringEquals", BaseOperator::StringEquals, false},
    {"StringNotEquals", BaseOperator::StringEquals, true},
    {"StringEqualsIgnoreCase", BaseOperator::StringEqualsIgnoreCase, false},
    {"StringNotEqualsIgnoreCase", BaseOperator::StringEqualsIgnoreCase, true},
    {"StringLike", BaseOperator::StringLike, false},
    {"StringNotLike", BaseOperator::StringLike, true},
    {"NumericEquals", BaseOperator::NumericEquals, false},
    {"NumericNotEquals", BaseOperator::NumericEquals, true},
    {"NumericLessThan", BaseOperator::NumericLessThan, false},
    {"NumericLessThanEquals", BaseOperator::NumericLessThanEquals, false},
    {"NumericGreaterThan", BaseOperator::NumericGreaterThan, false},
    {"NumericGreaterThanEquals", BaseOperator::NumericGreaterThanEquals, false},
    {"DateEquals", BaseOperator::DateEquals, false},
    {"DateNotEquals", BaseOperator::DateEquals, true},
    {"DateLessThan", BaseOperator::DateLessThan, false},
    {"DateLessThanEquals", BaseOperator::DateLessThanEquals, false},
    {"DateGreaterThan", BaseOperator::DateGreaterThan, false},
    {"DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals, false},
    {"Bool", BaseOperator::Bool, false},
    {"BinaryEquals", BaseOperator::BinaryEquals, false},
    {"IpAddress", BaseOperator::IpAddress, false},
    {"NotIpAddress", BaseOperator::IpAddress, true},
    {"ArnEquals", BaseOperator::ArnEquals, false},
    {"ArnNotEquals", BaseOperator::ArnEquals, true},
    {"ArnLike", BaseOperator::ArnLike, false},
    {"ArnNotLike", BaseOperator::ArnLike, true},
    {"Null", BaseOperator::Null, false},
};

enum class SetQualifier : unsigned char { None, ForAnyValue, ForAllValues };

struct ConditionValue {
  std::string text;
  double number = 0;  // Numeric* and Date* (seconds since the epoch)
  IpBlock block;      // IpAddress
};

struct Condition {
  std::string operator_name;  // as written, for messages
  BaseOperator base = BaseOperator::StringEquals;
  bool negated = false;
  bool if_exists = false;
  SetQualifier qualifier = SetQualifier::None;
  std::string key;
  std::vector<ConditionValue> values;
};

enum class PrincipalKind : unsigned char { Anyone, Account, Arn, Service, Federated, CanonicalUser };

struct PrincipalEntry {
  PrincipalKind kind;
  std::string value;  // Account: the 12-digit id; Arn/Service/...: as written
};

struct Statement {
  std::string sid;
  bool allow = true;
  bool not_principal = false;
  std::vector<PrincipalEntry> principals;
  bool not_action = false;
  std::vector<std::string> actions;
  bool has_resource = false;
  bool not_resource = false;
  std::vector<std::string> resources;
  std::vector<Condition> conditions;
};

PolicyError Error(std::string message) { return PolicyError{std::move(message)}; }

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// A scalar JSON value as the text IAM compares (numbers and booleans by their JSON spelling).
std::optional<std::string> ScalarText(const json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  if (value.is_double()) {
    if (!std::isfinite(value.get_double())) return std::nullopt;
    return json::serialize(value);
  }
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  return std::nullopt;
}

Result<std::vector<std::string>, PolicyError> StringList(const json::value& value, std::string_view element) {
  std::vector<std::string> items;
  if (value.is_string()) {
    items.emplace_back(value.get_string());
    return items;
  }
  if (value.is_array() && !value.get_array().empty()) {
    for (const json::value& item : value.get_array()) {
      if (!item.is_string()) break;
      items.emplace_back(item.get_string());
    }
    if (items.size() == value.get_array().size()) return items;
  }
  return Fail(Error(std::string(element) + " must be a string or a non-empty list of strings."));
}

Result<Done, PolicyError> ReadAwsPrincipal(const std::string& value, std::vector<PrincipalEntry>& out) {
  if (value == "*") {
    out.push_back({PrincipalKind::Anyone, value});
    return Done{};
  }
  if (value.size() == 12 && AllDigits(value)) {
    out.push_back({PrincipalKind::Account, value});
    return Done{};
  }
  ArnParts parts;
  if (StartsWithIgnoreCase(value, "arn:") && SplitArn(value, parts) && !parts[1].empty()) {
    if (parts[2] == "iam" && parts[5] == "root" && parts[4].size() == 12 && AllDigits(parts[4])) {
      out.push_back({PrincipalKind::Account, std::string(parts[4])});
    } else {
      out.push_back({PrincipalKind::Arn, value});
    }
    return Done{};
  }
  // A deleted IAM identity shows as its unique id (AIDA..., AROA...); it matches no caller.
  bool unique_id = value.size() >= 16 && value[0] == 'A';
  for (char c : value) unique_id = unique_id && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'));
  if (unique_id) {
    out.push_back({PrincipalKind::Arn, value});
    return Done{};
  }
  return Fail(Error("Invalid principal in policy: \"AWS\":" + Quoted(value) +
                    " (expected \"*\", an account id, or an IAM ARN)."));
}

Result<std::vector<PrincipalEntry>, PolicyError> ReadPrincipal(const json::value& value, std::string_view element) {
  std::vector<PrincipalEntry> entries;
  if (value.is_string()) {
    if (value.get_string() != "*") {
      return Fail(Error(std::string(element) + " must be \"*\" or an object such as {\"AWS\": ...} or {\"Service\": ...}."));
    }
    entries.push_back({PrincipalKind::Anyone, "*"});
    return entries;
  }
  if (!value.is_object() || value.get_object().empty()) {
    return Fail(Error(std::string(element) + " must be \"*\" or an object such as {\"AWS\": ...} or {\"Service\": ...}."));
  }
  for (const auto& member : value.get_object()) {
    std::string type(member.key());
    MALLARD_ASSIGN_OR_RETURN(std::vector<std::string> names,
                             StringList(member.value(), std::string(element) + " " + Quoted(type)));
    for (const std::string& name : names) {
      if (name.empty()) return Fail(Error(std::string(element) + " " + Quoted(type) + " has an empty value."));
      if (type == "AWS") {
        MALLARD_RETURN_IF_ERROR(ReadAwsPrincipal(name, entries));
      } else if (type == "Service") {
        entries.push_back({PrincipalKind::Service, name});
      } else if (type == "Federated") {
        entries.push_back({PrincipalKind::Federated, name});
      } else if (type == "CanonicalUser") {
        entries.push_back({PrincipalKind::CanonicalUser, name});
      } else {
        return Fail(Error(std::string(element) + " has an unknown principal type " + Quoted(type) +
                          " (expected AWS, Service, Federated or CanonicalUser)."));
      }
    }
  }
  return entries;
}

struct ParsedOperator {
  BaseOperator base;
  bool negated;
  bool if_exists;
  SetQualifier qualifier;
};

std::optional<ParsedOperator> ReadOperator(std::string_view name) {
  ParsedOperator parsed{BaseOperator::StringEquals, false, false, SetQualifier::None};
  constexpr std::string_view kAny = "ForAnyValue:", kAll = "ForAllValues:", kIfExists = "IfExists";
  if (StartsWithIgnoreCase(name, kAny)) {
    parsed.qualifier = SetQualifier::ForAnyValue;
    name.remove_prefix(kAny.size());
  } else if (StartsWithIgnoreCase(name, kAll)) {
    parsed.qualifier = SetQualifier::ForAllValues;
    name.remove_prefix(kAll.size());
  }
  if (EndsWithIgnoreCase(name, kIfExists)) {
    parsed.if_exists = true;
    name.remove_suffix(kIfExists.size());
  }
  for (const OperatorName& known : kOperators) {
    if (EqualsIgnoreCase(known.name, name)) {
      if (known.base == BaseOperator::Null && (parsed.if_exists || parsed.qualifier != SetQualifier::None)) {
        return std::nullopt;  // Null tests presence itself; it takes neither suffix nor prefix
      }
      parsed.base = known.base;
      parsed.negated = known.negated;
      return parsed;
    }
  }
  return std::nullopt;
}

bool IsNumeric(BaseOperator base) { return base >= BaseOperator::NumericEquals && base <= BaseOperator::NumericGreaterThanEquals; }
bool IsDate(BaseOperator base) { return base >= BaseOperator::DateEquals && base <= BaseOperator::DateGreaterThanEquals; }

Result<ConditionValue, PolicyError> ReadConditionValue(const Condition& condition, std::string text) {
  ConditionValue value;
  const std::string where = " in condition " + Quoted(condition.operator_name) + " for key " + Quoted(condition.key) + ".";
  if (IsNumeric(condition.base)) {
    auto number = ParseNumber(text);
    if (!number) return Fail(Error("Invalid number " + Quoted(text) + where));
    value.number = *number;
  } else if (IsDate(condition.base)) {
    auto date = ParseDate(text);
    if (!date) return Fail(Error("Invalid date " + Quoted(text) + " (expected ISO 8601 or epoch seconds)" + where));
    value.number = *date;
  } else if (condition.base == BaseOperator::Bool || condition.base == BaseOperator::Null) {
    if (!EqualsIgnoreCase(text, "true") && !EqualsIgnoreCase(text, "false")) {
      return Fail(Error("Invalid boolean " + Quoted(text) + " (expected true or false)" + where));
    }
    for (char& c : text) c = AsciiLower(c);
  } else if (condition.base == BaseOperator::IpAddress) {
    auto block = ParseIpBlock(text, true);
    if (!block) return Fail(Error("Invalid IP address or CIDR block " + Quoted(text) + where));
    value.block = *block;
  }
  value.text = std::move(text);
  return value;
}

Result<std::vector<Condition>, PolicyError> ReadConditions(const json::value& value) {
  std::vector<Condition> conditions;
  if (!value.is_object()) return Fail(Error("Condition must be an object of condition operators."));
  for (const auto& by_operator : value.get_object()) {
    std::string operator_name(by_operator.key());
    auto parsed = ReadOperator(operator_name);
    if (!parsed) return Fail(Error("Unknown condition operator " + Quoted(operator_name) + "."));
    if (!by_operator.value().is_object() || by_operator.value().get_object().empty()) {
      return Fail(Error("Condition operator " + Quoted(operator_name) + " must map condition keys to values."));
    }
    for (const auto& by_key : by_operator.value().get_object()) {
      Condition condition;
      condition.operator_name = operator_name;
      condition.base = parsed->base;
      condition.negated = parsed->negated;
      condition.if_exists = parsed->if_exists;
      condition.qualifier = parsed->qualifier;
      condition.key = std::string(by_key.key());
      if (condition.key.empty()) return Fail(Error("Condition operator " + Quoted(operator_name) + " has an empty key."));
      std::vector<const json::value*> raw;
      if (by_key.value().is_array()) {
        for (const json::value& item : by_key.value().get_array()) raw.push_back(&item);
      } else {
        raw.push_back(&by_key.value());
      }
      if (raw.empty()) {
        return Fail(Error("Condition key " + Quoted(condition.key) + " in " + Quoted(operator_name) + " has no values."));
      }
      for (const json::value* item : raw) {
        auto text = ScalarText(*item);
        if (!text) {
          return Fail(Error("Condition key " + Quoted(condition.key) + " in " + Quoted(operator_name) +
                            " must have a string, number or boolean value, or a list of them."));
        }
        MALLARD_ASSIGN_OR_RETURN(ConditionValue parsed_value, ReadConditionValue(condition, std::move(*text)));
        condition.values.push_back(std::move(parsed_value));
      }
      conditions.push_back(std::move(condition));
    }
  }
  return conditions;
}

Result<Statement, PolicyError> ReadStatement(const json::value& value) {
  if (!value.is_object()) return Fail(Error("Each policy statement must be an object."));
  const json::object& object = value.get_object();
  static constexpr std::string_view kElements[] = {"Sid", "Effect", "Principal", "NotPrincipal", "Action",
                                                   "NotAction", "Resource", "NotResource", "Condition"};
  for (const auto& member : object) {
    bool known = false;
    for (std::string_view element : kElements) known = known || member.key() == element;
    if (!known) return Fail(Error("Policy statement has an unknown element " + Quoted(member.key()) + "."));
  }
  Statement statement;
  if (const json::value* sid = object.if_contains("Sid")) {
    if (!sid->is_string()) return Fail(Error("Sid must be a string."));
    statement.sid = std::string(sid->get_string());
  }
  const json::value* effect = object.if_contains("Effect");
  if (!effect) return Fail(Error("Policy statement is missing the Effect element."));
  if (!effect->is_string() || (effect->get_string() != "Allow" && effect->get_string() != "Deny")) {
    return Fail(Error("Effect must be \"Allow\" or \"Deny\"" +
                      (effect->is_string() ? ", not " + Quoted(effect->get_string()) : std::string()) + "."));
  }
  statement.allow = effect->get_string() == "Allow";

  const json::value* principal = object.if_contains("Principal");
  const json::value* not_principal = object.if_contains("NotPrincipal");
  if (principal && not_principal) return Fail(Error("Policy statement cannot have both Principal and NotPrincipal."));
  if (!principal && !not_principal) return Fail(Error("Policy statement must have a Principal or NotPrincipal element."));
  statement.not_principal = not_principal != nullptr;
  MALLARD_ASSIGN_OR_RETURN(statement.principals,
                           ReadPrincipal(principal ? *principal : *not_principal, principal ? "Principal" : "NotPrincipal"));

  const json::value* action = object.if_contains("Action");
  const json::value* not_action = object.if_contains("NotAction");
  if (action && not_action) return Fail(Error("Policy statement cannot have both Action and NotAction."));
  if (!action && !not_action) return Fail(Error("Policy statement must have an Action or NotAction element."));
  statement.not_action = not_action != nullptr;
  MALLARD_ASSIGN_OR_RETURN(statement.actions, StringList(action ? *action : *not_action, action ? "Action" : "NotAction"));
  for (const std::string& pattern : statement.actions) {
    std::size_t colon = pattern.find(':');
    if (pattern != "*" && (colon == std::string::npos || colon == 0 || colon + 1 == pattern.size())) {
      return Fail(Error("Action " + Quoted(pattern) + " must be \"*\" or prefaced by a service, e.g. sns:Publish."));
    }
  }

  // A resource-based policy is attached to its resource; a statement without Resource applies to it.
  const json::value* resource = object.if_contains("Resource");
  const json::value* not_resource = object.if_contains("NotResource");
  if (resource && not_resource) return Fail(Error("Policy statement cannot have both Resource and NotResource."));
  if (resource || not_resource) {
    statement.has_resource = true;
    statement.not_resource = not_resource != nullptr;
    MALLARD_ASSIGN_OR_RETURN(statement.resources,
                             StringList(resource ? *resource : *not_resource, resource ? "Resource" : "NotResource"));
    for (const std::string& pattern : statement.resources) {
      if (pattern != "*" && !pattern.starts_with("arn:")) {
        return Fail(Error("Resource " + Quoted(pattern) + " must be in ARN format or \"*\"."));
      }
    }
  }

  if (const json::value* condition = object.if_contains("Condition")) {
    MALLARD_ASSIGN_OR_RETURN(statement.conditions, ReadConditions(*condition));
  }
  return statement;
}

// ---- evaluation -------------------------------------------------------------------------------

struct Caller {
  std::string_view account;
  std::string_view arn;
  std::string_view service;
};

// A role named as principal covers its sessions: arn:P:iam::A:role/path/Name matches
// arn:P:sts::A:assumed-role/Name/session.
bool RoleCoversSession(std::string_view role_arn, std::string_view session_arn) {
  ArnParts role, session;
  if (!SplitArn(role_arn, role) || !SplitArn(session_arn, session)) return false;
  if (role[2] != "iam" || session[2] != "sts" || role[1] != session[1] || role[4] != session[4]) return false;
  if (!role[5].starts_with("role/") || !session[5].starts_with("assumed-role/")) return false;
  std::string_view role_name = role[5].substr(role[5].rfind('/') + 1);
  std::string_view session_rest = session[5].substr(std::string_view("assumed-role/").size());
  std::size_t slash = session_rest.find('/');
  return slash != std::string_view::npos && session_rest.substr(0, slash) == role_name && !role_name.empty();
}

bool PrincipalMatches(const std::vector<PrincipalEntry>& principals, const Caller& caller) {
  for (const PrincipalEntry& entry : principals) {
    switch (entry.kind) {
      case PrincipalKind::Anyone:
        return true;
      case PrincipalKind::Account:
        if (!caller.account.empty() && caller.account == entry.value) return true;
        break;
      case PrincipalKind::Arn:
        if (!caller.arn.empty() && (caller.arn == entry.value || RoleCoversSession(entry.value, caller.arn))) return true;
        break;
      case PrincipalKind::Service:
        if (!caller.service.empty() && EqualsIgnoreCase(caller.service, entry.value)) return true;
        break;
      case PrincipalKind::Federated:
      case PrincipalKind::CanonicalUser:
        if (!caller.arn.empty() && caller.arn == entry.value) return true;
        break;
    }
  }
  return false;
}

std::optional<std::string_view> LookupKey(const PolicyRequest& request, const Caller& caller, std::string_view key) {
  for (const auto& [name, value] : request.context) {
    if (EqualsIgnoreCase(name, key)) return std::string_view(value);
  }
  if (EqualsIgnoreCase(key, "aws:PrincipalAccount") && !caller.account.empty()) return caller.account;
  if (EqualsIgnoreCase(key, "aws:PrincipalArn") && !caller.arn.empty()) return caller.arn;
  if (EqualsIgnoreCase(key, "aws:PrincipalServiceName") && !caller.service.empty()) return caller.service;
  return std::nullopt;
}

// Whether the present context value equals/matches any of the condition's values under the
// (un-negated) operator; nullopt when the context value cannot be read as the operator's type.
std::optional<bool> MatchesAnyValue(const Condition& condition, std::string_view actual) {
  std::optional<double> number;
  std::optional<IpBlock> address;
  if (IsNumeric(condition.base)) {
    number = ParseNumber(actual);
    if (!number) return std::nullopt;
  } else if (IsDate(condition.base)) {
    number = ParseDate(actual);
    if (!number) return std::nullopt;
  } else if (condition.base == BaseOperator::IpAddress) {
    address = ParseIpBlock(actual, false);
    if (!address) return std::nullopt;
  }
  for (const ConditionValue& expected : condition.values) {
    bool match = false;
    switch (condition.base) {
      case BaseOperator::StringEquals:
      case BaseOperator::BinaryEquals:
        match = actual == expected.text;
        break;
      case BaseOperator::StringEqualsIgnoreCase:
      case BaseOperator::Bool:
        match = EqualsIgnoreCase(actual, expected.text);
        break;
      case BaseOperator::StringLike:
        match = WildcardMatch(expected.text, actual);
        break;
      case BaseOperator::NumericEquals:
      case BaseOperator::DateEquals:
        match = *number == expected.number;
        break;
      case BaseOperator::NumericLessThan:
      case BaseOperator::DateLessThan:
        match = *number < expected.number;
        break;
      case BaseOperator::NumericLessThanEquals:
      case BaseOperator::DateLessThanEquals:
        match = *number <= expected.number;
        break;
      case BaseOperator::NumericGreaterThan:
      case BaseOperator::DateGreaterThan:
        match = *number > expected.number;
        break;
      case BaseOperator::NumericGreaterThanEquals:
      case BaseOperator::DateGreaterThanEquals:
        match = *number >= expected.number;
        break;
      case BaseOperator::IpAddress:
        match = BlockContains(expected.block, *address);
        break;
      case BaseOperator::ArnEquals:
      case BaseOperator::ArnLike:
        match = ArnMatch(expected.text, actual);
        break;
      case BaseOperator::Null:
        break;
    }
    if (match) return true;
  }
  return false;
}

bool ConditionHolds(const Condition& condition, std::optional<std::string_view> actual) {
  if (condition.base == BaseOperator::Null) {
    // {"Null": {"key": "true"}}: the key is absent; "false": it is present.
    for (const ConditionValue& expected : condition.values) {
      if ((expected.text == "true") == !actual.has_value()) return true;
    }
    return false;
  }
  if (!actual) {
    // IAM: a missing key matches nothing, so a negated operator holds; ...IfExists holds; a
    // ForAllValues over no values holds vacuously; ForAnyValue over none does not.
    if (condition.if_exists) return true;
    if (condition.qualifier == SetQualifier::ForAllValues) return true;
    if (condition.qualifier == SetQualifier::ForAnyValue) return false;
    return condition.negated;
  }
  std::optional<bool> any = MatchesAnyValue(condition, *actual);
  if (!any) return false;  // a value of the wrong type satisfies no comparison, negated or not
  return condition.negated ? !*any : *any;
}

bool StatementApplies(const Statement& statement, const PolicyRequest& request, const Caller& caller) {
  if (PrincipalMatches(statement.principals, caller) == statement.not_principal) return false;
  bool action_listed = false;
  for (const std::string& pattern : statement.actions) {
    if (WildcardMatch(pattern, request.action, true)) {
      action_listed = true;
      break;
    }
  }
  if (action_listed == statement.not_action) return false;
  if (statement.has_resource) {
    bool resource_listed = false;
    for (const std::string& pattern : statement.resources) {
      if (ArnMatch(pattern, request.resource)) {
        resource_listed = true;
        break;
      }
    }
    if (resource_listed == statement.not_resource) return false;
  }
  for (const Condition& condition : statement.conditions) {
    if (!ConditionHolds(condition, LookupKey(request, caller, condition.key))) return false;
  }
  return true;
}

}  // namespace

struct ResourcePolicy::Document {
  std::string version;
  std::string id;
  std::vector<Statement> statements;
};

Result<ResourcePolicy, PolicyError> ResourcePolicy::Parse(std::string_view policy_json) {
  json::parse_options options;
  options.max_depth = kMaxPolicyDepth;
  boost::system::error_code error;
  json::value parsed = json::parse(policy_json, error, json::storage_ptr(), options);
  if (error) return Fail(Error("The policy is not valid JSON: " + error.message() + "."));
  if (!parsed.is_object()) return Fail(Error("The policy must be a JSON object."));
  const json::object& object = parsed.get_object();
  for (const auto& member : object) {
    if (member.key() != "Version" && member.key() != "Id" && member.key() != "Statement") {
      return Fail(Error("The policy has an unknown element " + Quoted(member.key()) + "."));
    }
  }
  auto document = std::make_shared<Document>();
  if (const json::value* version = object.if_contains("Version")) {
    if (!version->is_string() || (version->get_string() != "2008-10-17" && version->get_string() != "2012-10-17")) {
      return Fail(Error("Version must be \"2008-10-17\" or \"2012-10-17\"."));
    }
    document->version = std::string(version->get_string());
  }
  if (const json::value* id = object.if_contains("Id")) {
    if (!id->is_string()) return Fail(Error("Id must be a string."));
    document->id = std::string(id->get_string());
  }
  const json::value* statements = object.if_contains("Statement");
  if (!statements) return Fail(Error("The policy is missing the Statement element."));
  if (statements->is_object()) {
    MALLARD_ASSIGN_OR_RETURN(Statement statement, ReadStatement(*statements));
    document->statements.push_back(std::move(statement));
  } else if (statements->is_array()) {
    // An empty list is a policy that allows nothing (RemovePermission of the last statement leaves one).
    for (const json::value& item : statements->get_array()) {
      MALLARD_ASSIGN_OR_RETURN(Statement statement, ReadStatement(item));
      document->statements.push_back(std::move(statement));
    }
  } else {
    return Fail(Error("Statement must be an object or a list of objects."));
  }
  return ResourcePolicy(std::move(document));
}

PolicyDecision ResourcePolicy::Evaluate(const PolicyRequest& request) const {
  Caller caller{request.principal_account, request.principal_arn, request.service_principal};
  ArnParts parts;
  if (caller.account.empty() && SplitArn(caller.arn, parts)) caller.account = parts[4];
  bool allowed = false;
  for (const Statement& statement : document_->statements) {
    if (statement.allow && allowed) continue;  // only a Deny can change the answer now
    if (!StatementApplies(statement, request, caller)) continue;
    if (!statement.allow) return PolicyDecision::ExplicitDeny;
    allowed = true;
  }
  return allowed ? PolicyDecision::Allow : PolicyDecision::ImplicitDeny;
}

std::vector<std::string> ResourcePolicy::StatementIds() const {
  std::vector<std::string> ids;
  for (const Statement& statement : document_->statements) {
    if (!statement.sid.empty()) ids.push_back(statement.sid);
  }
  return ids;
}

std::vector<std::string> ResourcePolicy::ActionPatterns() const {
  std::vector<std::string> patterns;
  for (const Statement& statement : document_->statements) {
    patterns.insert(patterns.end(), statement.actions.begin(), statement.actions.end());
  }
  return patterns;
}

const std::string& ResourcePolicy::version() const { return document_->version; }
const std::string& ResourcePolicy::id() const { return document_->id; }
std::size_t ResourcePolicy::statement_count() const { return document_->statements.size(); }

bool WildcardMatch(std::string_view pattern, std::string_view text, bool case_insensitive) {
  // Greedy matching that, on a mismatch, lets only the most recent '*' take one more character: an
  // earlier '*' never needs to, because whatever it would absorb the later one absorbs as well. So
  // each character of the text is revisited at most once per '*', never exponentially.
  constexpr std::size_t kNone = std::string_view::npos;
  std::size_t p = 0, t = 0, star = kNone, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == '?') {
      ++p;
      t += CharacterLength(text, t);
    } else if (p < pattern.size() &&
               (case_insensitive ? AsciiLower(pattern[p]) == AsciiLower(text[t]) : pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != kNone) {
      p = star + 1;
      resume += CharacterLength(text, resume);
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool ArnMatch(std::string_view pattern, std::string_view arn) {
  ArnParts pattern_parts, arn_parts;
  if (!SplitArn(pattern, pattern_parts)) return WildcardMatch(pattern, arn);
  if (!SplitArn(arn, arn_parts)) return false;
  for (std::size_t i = 0; i < pattern_parts.size(); ++i) {
    if (!WildcardMatch(pattern_parts[i], arn_parts[i])) return false;
  }
  return true;
}

}  // namespace mallard::services::kit

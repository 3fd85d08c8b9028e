// FilterPolicy::Parse: validates a filter policy as SNS does and compiles it into PolicyNode.
//
// The validation follows the order in which SNS's streaming compiler (the rule compiler of AWS's
// Event Ruler, which SNS's messages and positions match) reads tokens, so the first error found is
// the one AWS reports, with the Jackson location it appends. The limits (keys, combinations) and
// the scope check come after a successful compile, without a location, as AWS reports them.
#include <algorithm>
#include <boost/json.hpp>

#include "services/sns/filter/filter_policy.hpp"
#include "services/sns/filter/filter_policy_model.hpp"
#include "services/sns/filter/json_syntax_error.hpp"
#include "services/sns/filter/policy_text.hpp"
#include "services/sns/filter/policy_token_reader.hpp"

namespace mallard::sns {

namespace json = boost::json;
using filter_detail::ComparableKey;
using filter_detail::Condition;
using filter_detail::ConditionKind;
using filter_detail::PolicyNode;
using filter_detail::PolicyToken;
using filter_detail::PolicyTokenReader;

namespace {

// Deeper policies are refused as unparseable: bounds the compiler's and matcher's recursion.
constexpr std::size_t kMaxPolicyDepth = 64;
constexpr std::string_view kReservedKeywords[] = {"prefix",  "suffix", "anything-but",       "numeric",
                                                  "exists",  "cidr",   "equals-ignore-case", "wildcard"};

bool IsReservedKeyword(std::string_view name) {
  return std::find(std::begin(kReservedKeywords), std::end(kReservedKeywords), name) != std::end(kReservedKeywords);
}

FilterPolicyError PolicyError(const std::string& reason) {
  return {"InvalidParameter", "Invalid parameter: FilterPolicy: " + reason,
          "Invalid parameter: Attributes Reason: FilterPolicy: " + reason};
}

// Java's Double.toString of the comparable range bounds, as the range error spells them.
constexpr std::string_view kOutOfRangeMessage = "Value must be between -1.0E9 and 1.0E9, inclusive";

class PolicyCompiler {
 public:
  explicit PolicyCompiler(std::string_view text) : reader_(text) {}

  // Compiles the whole policy into `root`; false with error() set. `empty` is set for "{}".
  bool Compile(PolicyNode& root, bool& empty) {
    if (reader_.Next() != PolicyToken::StartObject) return Barf("Filter is not an object");
    PolicyTokenReader peek = reader_;
    if (peek.Next() == PolicyToken::EndObject) {
      empty = true;
      return true;
    }
    empty = false;
    return ParseObject(root, 1);
  }

  const std::string& error() const { return error_; }
  bool nested() const { return max_depth_ > 1; }

 private:
  bool Barf(const std::string& message) {
    error_ = message + reader_.LocationSuffix();
    return false;
  }
  // Errors SNS reports without a location (thrown outside the parser's error path).
  bool Plain(std::string_view message) {
    error_ = std::string(message);
    return false;
  }

  bool ParseObject(PolicyNode& node, std::size_t depth) {
    max_depth_ = std::max(max_depth_, depth);
    bool fields_present = false;
    while (true) {
      PolicyToken token = reader_.Next();
      if (token == PolicyToken::EndObject) break;
      if (token != PolicyToken::FieldName) return Malformed();
      fields_present = true;
      std::string name = reader_.Name();
      if (name == "$or" && IsOrGroup()) {
        if (!ParseOrGroup(node, depth)) return false;
        continue;
      }
      switch (reader_.Next()) {
        case PolicyToken::StartObject: {
          auto child = std::find_if(node.children.begin(), node.children.end(),
                                    [&](const PolicyNode& existing) { return existing.name == name; });
          if (child == node.children.end()) {
            node.children.push_back(PolicyNode{name, {}, {}, {}});
            child = std::prev(node.children.end());
          }
          if (!ParseObject(*child, depth + 1)) return false;
          break;
        }
        case PolicyToken::StartArray:
          if (!WriteRules(node, name)) return false;
          break;
        default:
          return Barf("\"" + name + "\" must be an object or an array");
      }
    }
    if (!fields_present) return Barf("Empty objects are not allowed");
    return true;
  }

  // AWS treats "$or" as an OR only when its value is an array of at least two objects none of
  // whose keys is a reserved keyword; otherwise it is an ordinary key. Looks ahead on a copy.
  bool IsOrGroup() const {
    PolicyTokenReader ahead = reader_;
    if (ahead.Next() != PolicyToken::StartArray) return false;
    std::size_t objects = 0;
    while (true) {
      PolicyToken token = ahead.Next();
      if (token == PolicyToken::EndArray) break;
      if (token != PolicyToken::StartObject) return false;
      ++objects;
      while (true) {
        token = ahead.Next();
        if (token == PolicyToken::EndObject) break;
        if (token != PolicyToken::FieldName || IsReservedKeyword(ahead.Name())) return false;
        if (!SkipValue(ahead)) return false;
      }
    }
    return objects >= 2;
  }

  static bool SkipValue(PolicyTokenReader& ahead) {
    std::size_t open = 0;
    do {
      switch (ahead.Next()) {
        case PolicyToken::StartObject:
        case PolicyToken::StartArray: ++open; break;
        case PolicyToken::EndObject:
        case PolicyToken::EndArray: --open; break;
        case PolicyToken::Malformed:
        case PolicyToken::EndOfInput: return false;
        default: break;
      }
    } while (open > 0);
    return true;
  }

  bool ParseOrGroup(PolicyNode& node, std::size_t depth) {
    reader_.Next();  // the array, checked by IsOrGroup
    std::vector<PolicyNode> alternatives;
    while (reader_.Next() != PolicyToken::EndArray) {
      alternatives.emplace_back();
      if (!ParseObject(alternatives.back(), depth)) return false;
    }
    node.or_groups.push_back(std::move(alternatives));
    return true;
  }

  bool Malformed() { return Plain("failed to parse JSON."); }

  bool WriteRules(PolicyNode& node, const std::string& name) {
    filter_detail::KeyRule rule{name, {}};
    while (true) {
      PolicyToken token = reader_.Next();
      if (token == PolicyToken::EndArray) break;
      Condition condition;
      switch (token) {
        case PolicyToken::StartObject:
          if (!ParseMatchExpression(condition)) return false;
          break;
        case PolicyToken::String:
          condition.kind = ConditionKind::ExactString;
          condition.text = reader_.Text();
          condition.ip = filter_detail::ParseIpAddress(condition.text);
          break;
        case PolicyToken::Number:
          condition.kind = ConditionKind::ExactNumber;
          condition.number = NumberFromToken();
          break;
        case PolicyToken::True: condition.kind = ConditionKind::ExactTrue; break;
        case PolicyToken::False: condition.kind = ConditionKind::ExactFalse; break;
        case PolicyToken::Null: condition.kind = ConditionKind::ExactNull; break;
        case PolicyToken::Malformed: return Malformed();
        default: return Barf("Match value must be String, number, true, false, or null");
      }
      rule.conditions.push_back(std::move(condition));
    }
    if (rule.conditions.empty()) return Barf("Empty arrays are not allowed");
    // A key given twice in one object: the later one wins, as SNS's compiler keeps it.
    auto existing = std::find_if(node.keys.begin(), node.keys.end(),
                                 [&](const filter_detail::KeyRule& key) { return key.name == name; });
    if (existing != node.keys.end()) {
      *existing = std::move(rule);
    } else {
      node.keys.push_back(std::move(rule));
    }
    return true;
  }

  filter_detail::NumberValue NumberFromToken() const {
    filter_detail::NumberValue number;
    number.text = std::string(reader_.NumberLiteral());
    if (auto value = filter_detail::ParseNumber(number.text)) number.key = ComparableKey(*value);
    return number;
  }

  double DoubleFromToken() const { return filter_detail::ParseNumber(reader_.NumberLiteral()).value_or(0.0); }

  // After a "prefix"-like key: its value must be a string and the object must end there.
  bool StringOperand(Condition& condition, ConditionKind kind, const std::string& operator_name) {
    if (reader_.Next() != PolicyToken::String) return Barf(operator_name + " match pattern must be a string");
    condition.kind = kind;
    condition.text = reader_.Text();
    if (kind == ConditionKind::EqualsIgnoreCase) condition.text = filter_detail::FoldCase(condition.text);
    if (reader_.Next() != PolicyToken::EndObject) return Barf("Only one key allowed in match expression");
    return true;
  }

  bool ParseMatchExpression(Condition& condition) {
    if (reader_.Next() != PolicyToken::FieldName) return Barf("Match expression name not found");
    const std::string match_type = reader_.Name();
    if (match_type == "prefix") return StringOperand(condition, ConditionKind::Prefix, match_type);
    if (match_type == "suffix") return StringOperand(condition, ConditionKind::Suffix, match_type);
    if (match_type == "equals-ignore-case") return StringOperand(condition, ConditionKind::EqualsIgnoreCase, match_type);
    if (match_type == "numeric") {
      if (reader_.Next() != PolicyToken::StartArray) return Barf("Value of numeric must be an array.");
      if (!ParseNumericRange(condition)) return false;
      if (reader_.Next() != PolicyToken::EndObject) return Barf("Too many elements in numeric expression");
      return true;
    }
    if (match_type == "anything-but") return ParseAnythingBut(condition);
    if (match_type == "exists") {
      PolicyToken token = reader_.Next();
      if (token != PolicyToken::True && token != PolicyToken::False) {
        return Barf("exists match pattern must be either true or false.");
      }
      condition.kind = ConditionKind::Exists;
      condition.exists = token == PolicyToken::True;
      if (reader_.Next() != PolicyToken::EndObject) return Barf("Only one key allowed in match expression");
      return true;
    }
    if (match_type == "cidr") {
      // SNS answers a non-string CIDR with the prefix message.
      if (reader_.Next() != PolicyToken::String) return Barf("prefix match pattern must be a string");
      if (!ParseCidr(reader_.Text(), condition)) return false;
      if (reader_.Next() != PolicyToken::EndObject) return Barf("Only one key allowed in match expression");
      return true;
    }
    return Barf("Unrecognized match type " + match_type);
  }

  bool ParseNumericRange(Condition& condition) {
    condition.kind = ConditionKind::NumericRange;
    PolicyToken token = reader_.Next();
    if (token != PolicyToken::String) return Barf("Invalid member in numeric match: " + reader_.Text());
    const std::string op = reader_.Text();
    token = reader_.Next();
    if (op == "=" || op == "<" || op == "<=") {
      if (token != PolicyToken::Number) return Barf("Value of " + (op == "=" ? std::string("equals") : op) + " must be numeric");
      double value = DoubleFromToken();
      if (reader_.Next() != PolicyToken::EndArray) return Barf("Too many elements in numeric expression");
      auto key = ComparableKey(value);
      if (!key) return Barf(std::string(kOutOfRangeMessage));
      if (op == "=") {
        condition.low = condition.high = key;
      } else {
        condition.high = key;
        condition.high_open = op == "<";
      }
      return true;
    }
    if (op == ">" || op == ">=") {
      if (token != PolicyToken::Number) return Barf("Value of " + op + " must be numeric");
      double bottom = DoubleFromToken();
      token = reader_.Next();
      condition.low_open = op == ">";
      if (token == PolicyToken::EndArray) {
        condition.low = ComparableKey(bottom);
        if (!condition.low) return Barf(std::string(kOutOfRangeMessage));
        return true;
      }
      if (token != PolicyToken::String) return Barf("Bad value in numeric range: " + reader_.Text());
      const std::string top_op = reader_.Text();
      if (top_op != "<" && top_op != "<=") return Barf("Bad numeric range operator: " + top_op);
      if (reader_.Next() != PolicyToken::Number) return Barf("Value of " + top_op + " must be numeric");
      double top = DoubleFromToken();
      if (reader_.Next() != PolicyToken::EndArray) return Barf("Too many terms in numeric range expression");
      if (bottom >= top) return Barf("Bottom must be less than top");
      condition.low = ComparableKey(bottom);
      condition.high = ComparableKey(top);
      condition.high_open = top_op == "<";
      if (!condition.low || !condition.high) return Barf(std::string(kOutOfRangeMessage));
      return true;
    }
    return Barf("Unrecognized numeric range operator: " + op);
  }

  // SNS's compiler predates Event Ruler's anything-but suffix and equals-ignore-case forms: inside
  // anything-but an object may hold "prefix" only (AWS answers {"suffix": …} and {"exists": …}
  // with "Unsupported anything-but pattern", recorded 2024-05), with that version's messages.
  bool ParseAnythingBut(Condition& condition) {
    PolicyToken token = reader_.Next();
    if (token == PolicyToken::StartObject) {
      if (reader_.Next() != PolicyToken::FieldName) return Barf("Anything-But expression name not found");
      const std::string inner = reader_.Name();
      if (inner != "prefix") return Barf("Unsupported anything-but pattern: " + inner);
      if (reader_.Next() != PolicyToken::String) return Barf("prefix match pattern must be a string");
      std::string text = reader_.Text();
      if (text.empty()) return Barf("Null prefix not allowed");
      if (reader_.Next() != PolicyToken::EndObject) return Barf("Only one key allowed in match expression");
      if (reader_.Next() != PolicyToken::EndObject) return Barf("Only one key allowed in match expression");
      condition.kind = ConditionKind::AnythingButPrefix;
      condition.text = std::move(text);
      return true;
    }
    if (token != PolicyToken::StartArray && token != PolicyToken::String && token != PolicyToken::Number) {
      return Barf("Value of anything-but must be an array or single string/number value.");
    }
    bool ok = token == PolicyToken::StartArray ? AnythingButList(condition) : AnythingButSingle(condition, token);
    if (!ok) return false;
    if (reader_.Next() != PolicyToken::EndObject) return Barf("Too many elements in numeric expression");
    return true;
  }

  bool AnythingButList(Condition& condition) {
    bool has_number = false, has_string = false;
    while (true) {
      PolicyToken token = reader_.Next();
      if (token == PolicyToken::EndArray) break;
      if (token == PolicyToken::String) {
        condition.strings.push_back(reader_.Text());
        has_string = true;
      } else if (token == PolicyToken::Number) {
        auto key = ComparableKey(DoubleFromToken());
        if (!key) return Barf(std::string(kOutOfRangeMessage));
        condition.numbers.push_back(*key);
        has_number = true;
      } else if (token == PolicyToken::Malformed) {
        return Malformed();
      } else {
        return Barf("Inside anything but list, start|null|boolean is not supported.");
      }
    }
    if (has_number == has_string) {
      return Barf("Inside anything but list, either all values are number or string, mixed type is not supported");
    }
    condition.kind = has_number ? ConditionKind::AnythingButNumbers : ConditionKind::AnythingButStrings;
    std::sort(condition.strings.begin(), condition.strings.end());
    std::sort(condition.numbers.begin(), condition.numbers.end());
    return true;
  }

  bool AnythingButSingle(Condition& condition, PolicyToken token) {
    if (token == PolicyToken::String) {
      condition.kind = ConditionKind::AnythingButStrings;
      condition.strings.push_back(reader_.Text());
      return true;
    }
    auto key = ComparableKey(DoubleFromToken());
    if (!key) return Plain(kOutOfRangeMessage);  // thrown outside the parser: no location
    condition.kind = ConditionKind::AnythingButNumbers;
    condition.numbers.push_back(*key);
    return true;
  }

  // CIDR errors are thrown by the address code, outside the parser: SNS reports them bare.
  bool ParseCidr(const std::string& text, Condition& condition) {
    // Java's split("/") drops trailing empty parts: "10.0.0.0/" has one part.
    std::vector<std::string_view> parts;
    std::string_view rest = text;
    while (true) {
      std::size_t slash = rest.find('/');
      parts.push_back(rest.substr(0, slash));
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    while (!parts.empty() && parts.back().empty()) parts.pop_back();
    if (parts.size() != 2) return Plain("Malformed CIDR, one '/' required");
    // Integer.parseInt: an optional sign and decimal digits that fit an int.
    std::string_view bits_text = parts[1];
    bool negative = false;
    if (!bits_text.empty() && (bits_text[0] == '-' || bits_text[0] == '+')) {
      negative = bits_text[0] == '-';
      bits_text.remove_prefix(1);
    }
    if (bits_text.empty() || bits_text.size() > 10) return Plain("Malformed CIDR, mask bits must be an integer");
    std::int64_t bits = 0;
    for (char c : bits_text) {
      if (c < '0' || c > '9') return Plain("Malformed CIDR, mask bits must be an integer");
      bits = bits * 10 + (c - '0');
    }
    if (bits > (negative ? 2147483648LL : 2147483647LL)) return Plain("Malformed CIDR, mask bits must be an integer");
    if (negative && bits > 0) return Plain("Malformed CIDR, mask bits must not be negative");
    auto address = filter_detail::ParseIpAddress(parts[0]);
    if (!address) return Plain("Nonstandard IP address: " + std::string(parts[0]));
    if (address->size == 4 && bits > 31) return Plain("IPv4 mask bits must be < 32");
    if (address->size == 16 && bits > 127) return Plain("IPv6 mask bits must be < 128");
    // The range runs from the address as written (not masked) to the top of its network, as SNS's does.
    condition.kind = ConditionKind::Cidr;
    condition.cidr_low = *address;
    condition.cidr_high = *address;
    std::int64_t host_bits = address->size * 8 - bits;
    for (int i = address->size - 1; i >= 0 && host_bits > 0; --i, host_bits -= 8) {
      condition.cidr_high.bytes[i] |= host_bits >= 8 ? 0xFF : static_cast<std::uint8_t>((1u << host_bits) - 1);
    }
    return true;
  }

  PolicyTokenReader reader_;
  std::string error_;
  std::size_t max_depth_ = 1;
};

// One alternative of the policy once its $or groups are expanded: its keys (all keys for
// MessageAttributes, top-level keys for MessageBody) and its combinations.
struct Expansion {
  std::vector<std::string> keys;
  std::uint64_t combinations = 1;
};

// Beyond this many alternatives the sum of combinations exceeds the limit anyway.
constexpr std::size_t kMaxExpansions = kMaxFilterPolicyCombinations + 1;
constexpr std::uint64_t kCombinationCap = 1'000'000;

std::vector<Expansion> Combine(const std::vector<Expansion>& left, const std::vector<Expansion>& right) {
  std::vector<Expansion> out;
  for (const auto& a : left) {
    for (const auto& b : right) {
      if (out.size() >= kMaxExpansions) return out;
      Expansion joined = a;
      for (const auto& key : b.keys) {
        if (std::find(joined.keys.begin(), joined.keys.end(), key) == joined.keys.end()) joined.keys.push_back(key);
      }
      joined.combinations = std::min(kCombinationCap, a.combinations * b.combinations);
      out.push_back(std::move(joined));
    }
  }
  return out;
}

// AWS's count: each key's list multiplies the combinations by its number of values times the
// key's nesting level (the documented example: 3 x 4 x 2 x 3 x 1 x 3 = 216); $or alternatives
// are counted separately and added.
std::vector<Expansion> Expand(const PolicyNode& node, std::size_t depth) {
  std::vector<Expansion> current(1);
  for (const auto& key : node.keys) {
    for (auto& expansion : current) {
      if (depth == 1) expansion.keys.push_back(key.name);
      expansion.combinations =
          std::min(kCombinationCap, expansion.combinations * key.conditions.size() * depth);
    }
  }
  for (const auto& child : node.children) {
    std::vector<Expansion> inner = Expand(child, depth + 1);
    if (depth == 1) {
      for (auto& expansion : inner) expansion.keys = {child.name};
    } else {
      for (auto& expansion : inner) expansion.keys.clear();
    }
    current = Combine(current, inner);
  }
  for (const auto& group : node.or_groups) {
    std::vector<Expansion> alternatives;
    for (const auto& alternative : group) {
      auto expanded = Combine(current, Expand(alternative, depth));
      for (auto& expansion : expanded) {
        if (alternatives.size() >= kMaxExpansions) break;
        alternatives.push_back(std::move(expansion));
      }
    }
    current = std::move(alternatives);
  }
  return current;
}

}  // namespace

Result<FilterPolicy, FilterPolicyError> FilterPolicy::Parse(std::string_view policy_json, FilterPolicyScope scope) {
  if (policy_json.size() > kMaxFilterPolicyBytes) {
    return Fail(PolicyError("Filter policy can not be larger than 256 KB"));
  }
  // The whole text must be JSON first (SNS answers "failed to parse JSON." before any rule).
  json::parse_options options;
  options.max_depth = kMaxPolicyDepth;
  // Jackson reads the first value and ignores what trails it (FAIL_ON_TRAILING_TOKENS is off by
  // default): write_some stops at the end of the first value.
  boost::system::error_code parse_error;
  json::stream_parser parser(json::storage_ptr(), options);
  parser.write_some(policy_json.data(), policy_json.size(), parse_error);
  if (!parse_error && !parser.done()) parser.finish(parse_error);
  if (parse_error || !parser.done()) {
    std::string detail = JacksonSyntaxError(policy_json);
    return Fail(PolicyError(detail.empty() ? "failed to parse JSON." : "failed to parse JSON. " + detail));
  }
  json::value tree = parser.release();
  // SNS compiles the tree written back compactly (see policy_text.hpp): positions count in it.
  const std::string compact = filter_detail::JacksonCompactText(tree);

  auto root = std::make_shared<PolicyNode>();
  bool empty = false;
  PolicyCompiler compiler(compact);
  if (!compiler.Compile(*root, empty)) return Fail(PolicyError(compiler.error()));
  if (empty) return FilterPolicy(scope, nullptr);
  if (scope == FilterPolicyScope::MessageAttributes && compiler.nested()) {
    constexpr std::string_view kNested = "Filter policy scope MessageAttributes does not support nested filter policy";
    return Fail(FilterPolicyError{"InvalidParameter", "Invalid parameter: " + std::string(kNested),
                                  "Invalid parameter: Attributes Reason: " + std::string(kNested)});
  }
  std::vector<Expansion> expansions = Expand(*root, 1);
  std::uint64_t combinations = 0;
  for (const auto& expansion : expansions) {
    if (expansion.keys.size() > kMaxFilterPolicyKeys) {
      return Fail(PolicyError("Filter policy can not have more than 5 keys"));
    }
    combinations = std::min(kCombinationCap, combinations + expansion.combinations);
  }
  if (expansions.size() >= kMaxExpansions || combinations > kMaxFilterPolicyCombinations) {
    return Fail(PolicyError("Filter policy is too complex"));
  }
  return FilterPolicy(scope, std::move(root));
}

}  // namespace mallard::sns

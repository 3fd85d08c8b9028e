#pragma once
// The compiled form of a filter policy (internal to this module): a tree of AND nodes whose
// members are keys with their OR-list of conditions, nested objects (MessageBody scope) and $or
// groups; plus the value helpers both the compiler and the matcher use (numbers as SNS compares
// them, IP addresses).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mallard::sns::filter_detail {

// SNS compares numbers in -1e9..1e9 with five digits after the decimal point: a number's key is
// floor(1e5 * (1e9 + value)), so two numbers are equal when their keys are (AWS "Filter policy
// constraints": "the value can range from -10^9 to 10^9 ... with five digits of accuracy after the
// decimal point"). Outside the range a number has no key and matches only by its text.
inline constexpr double kMaxComparableNumber = 1e9;
std::optional<std::int64_t> ComparableKey(double value);
// Parses a number as JSON writes it (or as a Number attribute holds it); nullopt if it is not one.
std::optional<double> ParseNumber(std::string_view text);

// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  std::uint8_t size = 0;
};
// Parses dotted-quad IPv4 or RFC 4291 text IPv6 (with "::" and a trailing dotted quad).
std::optional<IpAddress> ParseIpAddress(std::string_view text);

// A number in a message or a policy: its text and, when it has one, its comparable key.
struct NumberValue {
  std::string text;
  std::optional<std::int64_t> key;
};

enum class ConditionKind : unsigned char {
  ExactString,              // "value" (an IP address literal matches the same address in any spelling)
  ExactNumber,              // 42 (by value within the comparable range, else by text)
  ExactTrue,                // true
  ExactFalse,               // false
  ExactNull,                // null
  Prefix,                   // {"prefix": "x"}
  Suffix,                   // {"suffix": "x"}
  EqualsIgnoreCase,         // {"equals-ignore-case": "x"}
  AnythingButStrings,       // {"anything-but": "x"} / ["x", "y"]
  AnythingButNumbers,       // {"anything-but": 1} / [1, 2]
  AnythingButPrefix,        // {"anything-but": {"prefix": "x"}}
  NumericRange,             // {"numeric": ["=", 1]} / [">", 1, "<=", 2] ...
  Exists,                   // {"exists": true|false}
  Cidr,                     // {"cidr": "10.0.0.0/24"}
};

struct Condition {
  ConditionKind kind = ConditionKind::ExactString;
  std::string text;                   // ExactString, Prefix, Suffix, EqualsIgnoreCase (folded), AnythingButPrefix
  std::optional<IpAddress> ip;        // ExactString that is an IP address literal
  std::vector<std::string> strings;   // AnythingButStrings
  std::vector<std::int64_t> numbers;  // AnythingButNumbers (keys)
  NumberValue number;                 // ExactNumber
  // NumericRange: bounds as keys; an absent bound is unbounded.
  std::optional<std::int64_t> low, high;
  bool low_open = false, high_open = false;
  bool exists = false;                // Exists
  IpAddress cidr_low, cidr_high;      // Cidr: inclusive, same size
};

struct KeyRule {
  std::string name;
  std::vector<Condition> conditions;  // OR
};

// An AND of: keys with conditions, nested objects (MessageBody scope) and $or groups (each an OR
// of alternatives, each alternative an AND node at the same level).
struct PolicyNode {
  std::string name;  // for a nested object: its key in the parent
  std::vector<KeyRule> keys;
  std::vector<PolicyNode> children;
  std::vector<std::vector<PolicyNode>> or_groups;
};

// ASCII case folding as equals-ignore-case compares (bytes outside ASCII compare as they are).
std::string FoldCase(std::string_view text);

}  // namespace mallard::sns::filter_detail

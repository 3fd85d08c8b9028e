#pragma once
// SNS subscription filter policies: parse (with AWS's validation messages and limits) and match a
// message's attributes (FilterPolicyScope MessageAttributes) or its JSON body (MessageBody).
// Pure logic, no I/O. See README.md in this folder for the language and its sources.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "common/result.hpp"

namespace mallard::sns {

enum class FilterPolicyScope : unsigned char { MessageAttributes, MessageBody };

// A message attribute as SNS sees it: DataType "String", "String.Array", "Number", "Binary" (or
// with a custom suffix, "String.x"), and its value as text (String.Array: its JSON array; Binary:
// base64, never matched — SNS ignores Binary attributes when filtering).
struct FilterAttribute {
  std::string data_type;
  std::string value;
};

struct FilterPolicyError {
  std::string code;     // AWS error code: "InvalidParameter"
  std::string message;  // as SetSubscriptionAttributes answers: "Invalid parameter: FilterPolicy: ..."
  // The same error as Subscribe answers when the policy came in its Attributes:
  // "Invalid parameter: Attributes Reason: FilterPolicy: ...".
  std::string subscribe_message;
};

// Largest filter policy SNS accepts, in bytes (AWS: "The maximum size of a filter policy is 256 KB").
inline constexpr std::size_t kMaxFilterPolicyBytes = 256 * 1024;
// Limits of one policy (AWS "Filter policy constraints"): keys per policy (top-level keys for
// MessageBody scope, counted in each $or alternative) and the total combination of values.
inline constexpr std::size_t kMaxFilterPolicyKeys = 5;
inline constexpr std::size_t kMaxFilterPolicyCombinations = 150;

namespace filter_detail {
struct PolicyNode;
}

class FilterPolicy {  // immutable after Parse; safe to share across threads
 public:
  // Validates and compiles `policy_json` for `scope`. "{}" is accepted and matches every message
  // (removing a policy, FilterPolicy "", is the service's business).
  static Result<FilterPolicy, FilterPolicyError> Parse(std::string_view policy_json, FilterPolicyScope scope);

  // MessageAttributes scope: whether a message with these attributes is delivered.
  bool Matches(const std::map<std::string, FilterAttribute, std::less<>>& attributes) const;
  // MessageBody scope: whether this body is delivered. A body that is not a JSON object never
  // matches (unless the policy is empty).
  bool MatchesBody(std::string_view message_body) const;
  // The same on a body the caller parsed once for all of a topic's subscriptions (a value that is
  // not an object never matches unless the policy is empty).
  bool MatchesParsedBody(const boost::json::value& message_body) const;
  // A body parsed as MatchesBody parses it (the same depth bound), for MatchesParsedBody; nullopt
  // when it is not JSON (or nests deeper than the bound), which no non-empty policy matches.
  static std::optional<boost::json::value> ParseBody(std::string_view message_body);

  FilterPolicyScope scope() const { return scope_; }
  // True for "{}": every message matches.
  bool matches_everything() const { return root_ == nullptr; }

 private:
  FilterPolicy(FilterPolicyScope scope, std::shared_ptr<const filter_detail::PolicyNode> root)
      : scope_(scope), root_(std::move(root)) {}

  FilterPolicyScope scope_;
  std::shared_ptr<const filter_detail::PolicyNode> root_;  // null: matches everything
};

}  // namespace mallard::sns

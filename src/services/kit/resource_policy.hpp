#pragma once
// Resource-based policies as AWS IAM evaluates them: an SNS topic's policy (who may Publish or
// Subscribe; AddPermission/RemovePermission edit it) and an SQS queue's policy (whether a topic may
// SendMessage to the queue). One evaluator for every service that keeps such a policy, so they all
// read the grammar the same way and answer the same.
//
// What is implemented: Version 2008-10-17 / 2012-10-17; Statement as one object or a list; Sid;
// Effect; Principal / NotPrincipal ("*", {"AWS": ...}, {"Service": ...}, {"Federated": ...},
// {"CanonicalUser": ...}); Action / NotAction; Resource / NotResource; Condition with every IAM
// operator family (String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress/NotIpAddress, Arn*,
// Null), the IfExists suffix and the ForAnyValue:/ForAllValues: prefixes over single-valued keys.
// Not implemented: policy variables (${aws:username}), which are compared literally.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace mallard::services::kit {

enum class PolicyDecision : unsigned char { Allow, ExplicitDeny, ImplicitDeny };

struct PolicyRequest {
  // The caller's account ("123456789012"); empty when the caller is a service principal. When empty,
  // the account of `principal_arn` is used.
  std::string principal_account;
  // "arn:aws:iam::123456789012:root", a user, role or assumed-role ARN; may be empty.
  std::string principal_arn;
  // "sns.amazonaws.com" when an AWS service acts (SNS delivering to SQS); empty otherwise.
  std::string service_principal;
  // "SNS:Publish", "sqs:SendMessage": service prefix and action, compared case-insensitively.
  std::string action;
  // The resource's ARN.
  std::string resource;
  // Condition keys ("aws:SourceArn", "aws:SourceAccount", "AWS:SourceOwner", ...), looked up
  // case-insensitively as IAM does. aws:PrincipalAccount, aws:PrincipalArn and
  // aws:PrincipalServiceName are derived from the fields above when absent here.
  std::map<std::string, std::string> context;
};

// Why a policy document is not valid; the text goes into the service's InvalidParameter message.
struct PolicyError {
  std::string message;
};

class ResourcePolicy {
 public:
  // Parses and validates the whole document: structure, element types, Effect, operator names and
  // the values each operator needs (numbers, dates, booleans, CIDR blocks).
  static Result<ResourcePolicy, PolicyError> Parse(std::string_view policy_json);

  // IAM's evaluation: a matching Deny wins, else a matching Allow allows, else the implicit deny.
  PolicyDecision Evaluate(const PolicyRequest& request) const;

  // The statements' Sids in document order (statements without a Sid are skipped); AddPermission
  // refuses a label already present and RemovePermission removes by it.
  std::vector<std::string> StatementIds() const;
  // Every Action and NotAction pattern as written, so a service can refuse actions outside its scope.
  std::vector<std::string> ActionPatterns() const;
  const std::string& version() const;  // empty when the document has none
  const std::string& id() const;       // empty when the document has none
  std::size_t statement_count() const;

  struct Document;  // defined in resource_policy.cpp

 private:
  explicit ResourcePolicy(std::shared_ptr<const Document> document) : document_(std::move(document)) {}
  std::shared_ptr<const Document> document_;  // immutable once parsed, so copies share it
};

// Wildcard match as IAM does: '*' any run of characters (also none), '?' exactly one; every other
// character literal. Case-sensitive unless told otherwise (ASCII case folding). Linear in the text for
// each '*' (no exponential backtracking): O(pattern * text) at worst.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool case_insensitive = false);

// ARN match as ArnLike/ArnEquals and Resource do: the six colon-separated parts (arn, partition,
// service, region, account, resource — the last keeps its colons) each matched with WildcardMatch. A
// pattern that is not shaped as an ARN ("*") is matched against the whole text.
bool ArnMatch(std::string_view pattern, std::string_view arn);

}  // namespace mallard::services::kit

// DynamoDB resource-based policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy on a
// table or one of its streams. The policies live in the table's definition (TableDefinition::policies),
// so every store keeps them and dropping the table drops them.
//
// Messages are AWS's, as recorded against the real service by moto's AWS-verified tests
// (tests/test_dynamodb/test_dynamodb_resource_policy.py) and by ack-api-quirks' DynamoDB findings
// (ResourceArn forms, stream policy slots).
#include <boost/json/parse.hpp>

#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;
using errors::InvalidParameter;
using errors::Validation;

namespace {

constexpr std::size_t kMaxPolicyBytes = 20 * 1024;  // "DynamoDB counts whitespaces" (API reference)
constexpr const char* kNoPolicy = "NO_POLICY";

AwsError PolicyNotFound(const std::string& detail) {
  return AwsError::Make("PolicyNotFoundException", 400, "Resource-based policy not found for the provided ResourceArn: " + detail);
}

// What a ResourceArn names: a table of the caller's account and region, or one of its streams.
struct PolicyTarget {
  std::string arn;
  std::string table;
  std::string stream_label;  // empty: the table itself
};

Result<PolicyTarget> ParseResourceArn(const DynamoDbService::Call& call, const std::string& arn) {
  if (arn.rfind("arn:", 0) != 0) return Fail(InvalidParameter("ARNs must start with 'arn:': " + arn));
  // arn:partition:service:region:account:resource
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    const std::size_t colon = arn.find(':', start);
    if (colon == std::string::npos) return Fail(InvalidParameter("Invalid resource Arn: " + arn));
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  const std::string resource = arn.substr(start);
  if (parts[1] != "aws" || parts[2] != "dynamodb" || parts[3] != call.scope.region)
    return Fail(InvalidParameter("Invalid resource Arn: " + arn));
  if (parts[4] != call.scope.account)
    return Fail(Validation("This action is only supported by accounts that match the resource owner\u2019s account."));
  if (resource.rfind("table/", 0) != 0) return Fail(InvalidParameter("Provided Arn is not a DynamoDB resource arn: " + arn));
  PolicyTarget target{arn, resource.substr(6), ""};
  const std::size_t slash = target.table.find('/');
  if (slash != std::string::npos) {
    const std::string kind = target.table.substr(slash + 1, target.table.find('/', slash + 1) - slash - 1);
    const std::string rest = target.table.substr(slash + 1 + kind.size());
    target.table.resize(slash);
    if (kind == "index")
      return Fail(InvalidParameter(
          "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: " + arn));
    if (kind != "stream" || rest.size() < 2 || rest.find('/', 1) != std::string::npos)
      return Fail(InvalidParameter("Provided Arn is not a DynamoDB resource arn: " + arn));
    target.stream_label = rest.substr(1);
  }
  if (target.table.empty()) return Fail(InvalidParameter("Provided Arn is not a DynamoDB resource arn: " + arn));
  return target;
}

// The table (and, for a stream ARN, its stream) must exist.
Status<> CheckTargetExists(const TableDefinition& table, const PolicyTarget& target) {
  if (!target.stream_label.empty() && target.stream_label != table.stream.label)
    return Fail(errors::ResourceNotFound("Requested resource not found: Stream: " + target.stream_label +
                                         " not found for Table: " + target.table));
  return Done{};
}

AwsError InvalidDocument(const std::string& detail) { return InvalidParameter("Invalid policy document: " + detail); }

// A policy document as IAM accepts one for a resource: JSON, a Statement of Effect, Principal, Action
// and Resource entries, and resources that are the policy's own table (its indexes) or stream, or "*".
Status<> ValidatePolicyDocument(const std::string& text, const PolicyTarget& target, const Scope& scope) {
  if (text.size() > kMaxPolicyBytes)
    return Fail(errors::LimitExceeded("Resource-based policy size " + std::to_string(text.size()) +
                                      " exceeds the maximum allowed size of 20480 bytes"));
  boost::system::error_code error;
  json::value document = json::parse(text, error);
  if (error || !document.is_object()) return Fail(InvalidDocument("This policy contains invalid Json"));
  const json::object& policy = document.get_object();
  if (const auto* version = policy.if_contains("Version");
      version && (!version->is_string() || (version->get_string() != "2012-10-17" && version->get_string() != "2008-10-17")))
    return Fail(InvalidDocument("The policy element Version has an invalid value"));
  const json::value* statements = policy.if_contains("Statement");
  if (!statements) return Fail(InvalidDocument("Missing required field Statement"));
  json::array list = statements->is_array() ? statements->get_array() : json::array{*statements};
  if (list.empty()) return Fail(InvalidDocument("Missing required field Statement"));
  const std::string prefix = "arn:aws:dynamodb:" + scope.region + ":" + scope.account + ":";
  const std::string own = "table/" + target.table;
  for (const auto& value : list) {
    if (!value.is_object()) return Fail(InvalidDocument("Statement is not a JSON object"));
    const json::object& statement = value.get_object();
    const auto* effect = statement.if_contains("Effect");
    if (!effect) return Fail(InvalidDocument("Missing required field Effect"));
    if (!effect->is_string() || (effect->get_string() != "Allow" && effect->get_string() != "Deny"))
      return Fail(InvalidDocument("Invalid effect: " + (effect->is_string() ? std::string(effect->get_string()) : "")));
    if (!statement.contains("Principal") && !statement.contains("NotPrincipal"))
      return Fail(InvalidDocument("Policy statement must contain principals."));
    if (!statement.contains("Action") && !statement.contains("NotAction"))
      return Fail(InvalidDocument("Policy statement must contain actions."));
    const json::value* resources = statement.if_contains("Resource");
    if (!resources) resources = statement.if_contains("NotResource");
    if (!resources) return Fail(InvalidDocument("Policy statement must contain resources."));
    json::array names = resources->is_array() ? resources->get_array() : json::array{*resources};
    for (const auto& name_value : names) {
      if (!name_value.is_string()) return Fail(InvalidDocument("Resource must be a string"));
      const std::string name(name_value.get_string());
      if (name == "*") continue;
      const std::string relative = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
      // A table's policy may name the table and its indexes; a stream's policy only that stream.
      const bool ok = name.rfind(prefix, 0) == 0 &&
                      (target.stream_label.empty()
                           ? relative == own || relative.rfind(own + "/index/", 0) == 0
                           : relative == own + "/stream/" + target.stream_label);
      if (!ok)
        return Fail(InvalidDocument("The relative-id \"" + relative + "\" is invalid for ARN \"" + target.arn + "\""));
    }
  }
  return Done{};
}

// Revision ids are the time of the change in microseconds, so later revisions compare greater (as
// AWS's do), made unique when two changes fall in the same millisecond.
std::string NextRevision(const ResourcePolicy* current, std::int64_t now_millis) {
  std::int64_t revision = now_millis * 1000;
  if (current) {
    try {
      revision = std::max<std::int64_t>(revision, std::stoll(current->revision_id) + 1);
    } catch (const std::exception&) {
    }
  }
  return std::to_string(revision);
}

}  // namespace

Result<Json> DynamoDbService::PutResourcePolicy(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ResourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto document, input::RequiredString(call.input, "Policy"));
  MALLARD_ASSIGN_OR_RETURN(auto expected, input::OptionalString(call.input, "ExpectedRevisionId"));
  MALLARD_ASSIGN_OR_RETURN(auto confirm, input::OptionalBool(call.input, "ConfirmRemoveSelfResourceAccess"));
  (void)confirm;  // no identity-based evaluation here: a policy never locks the caller out
  MALLARD_ASSIGN_OR_RETURN(auto target, ParseResourceArn(call, arn));
  MALLARD_RETURN_IF_ERROR(ValidatePolicyDocument(document, target, call.scope));
  std::string revision;
  auto updated = store_->UpdateTable(call.scope, target.table, [&](TableDefinition& table) -> Status<> {
    MALLARD_RETURN_IF_ERROR(CheckTargetExists(table, target));
    auto it = table.policies.find(target.stream_label);
    const ResourcePolicy* current = it == table.policies.end() ? nullptr : &it->second;
    if (expected && *expected == kNoPolicy && current)
      return Fail(PolicyNotFound("Requested policy update expecting none to be present for table " + target.table +
                                 ", but a policy exists with revision id " + current->revision_id + "."));
    if (expected && *expected != kNoPolicy) {
      if (!current) return Fail(PolicyNotFound(arn));
      if (current->revision_id != *expected)
        return Fail(PolicyNotFound("Requested update for policy with revision id " + *expected +
                                   ", but the policy associated to target table " + target.table +
                                   " has revision id " + current->revision_id + "."));
    }
    if (current && current->document == document) {  // idempotent: the same document keeps its revision
      revision = current->revision_id;
      return Done{};
    }
    revision = NextRevision(current, call.now_millis);
    table.policies[target.stream_label] = ResourcePolicy{document, revision};
    return Done{};
  });
  if (!updated) return Fail(errors::LookupFailed(updated.error(), errors::TableNotFound(target.table)));
  if (!updated->ok()) return Fail(std::move(*updated).error());
  return Json{{"RevisionId", revision}};
}

Result<Json> DynamoDbService::GetResourcePolicy(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ResourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto target, ParseResourceArn(call, arn));
  auto table = store_->GetTable(call.scope, target.table);
  if (!table) return Fail(errors::LookupFailed(table.error(), errors::TableNotFound(target.table)));
  MALLARD_RETURN_IF_ERROR(CheckTargetExists(*table, target));
  auto it = table->policies.find(target.stream_label);
  if (it == table->policies.end()) return Fail(PolicyNotFound(arn));
  return Json{{"Policy", it->second.document}, {"RevisionId", it->second.revision_id}};
}

Result<Json> DynamoDbService::DeleteResourcePolicy(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ResourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto expected, input::OptionalString(call.input, "ExpectedRevisionId"));
  MALLARD_ASSIGN_OR_RETURN(auto target, ParseResourceArn(call, arn));
  std::string removed;
  auto updated = store_->UpdateTable(call.scope, target.table, [&](TableDefinition& table) -> Status<> {
    MALLARD_RETURN_IF_ERROR(CheckTargetExists(table, target));
    auto it = table.policies.find(target.stream_label);
    if (it == table.policies.end()) {
      // Without a policy there is nothing to remove: no RevisionId (API reference), unless one was expected.
      if (expected) return Fail(PolicyNotFound(arn));
      return Done{};
    }
    if (expected && it->second.revision_id != *expected)
      return Fail(PolicyNotFound("Requested update for policy with revision id " + *expected +
                                 ", but the policy associated to target table " + target.table +
                                 " has revision id " + it->second.revision_id + "."));
    removed = it->second.revision_id;
    table.policies.erase(it);
    return Done{};
  });
  if (!updated) return Fail(errors::LookupFailed(updated.error(), errors::TableNotFound(target.table)));
  if (!updated->ok()) return Fail(std::move(*updated).error());
  Json output;
  if (!removed.empty()) output["RevisionId"] = removed;
  return output;
}

}  // namespace mallard::dynamodb

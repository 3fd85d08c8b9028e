// Resource-based policies (services/kit/resource_policy): SNS's default topic policy, the usual SQS
// queue policy for a topic, Deny over Allow, the Not* elements, every condition family with IfExists
// and the set qualifiers, principals by account, ARN and service, refusals of malformed documents,
// and WildcardMatch against an independent dynamic-programming matcher on seeded random input
// (MALLARD_RESOURCE_POLICY_SEED=n replays a run).
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "services/kit/resource_policy.hpp"

namespace mallard::services::kit {
namespace {

constexpr char kTopicArn[] = "arn:aws:sns:us-east-1:111122223333:t";
constexpr char kOtherTopicArn[] = "arn:aws:sns:us-east-1:111122223333:other";

constexpr char kDefaultTopicPolicy[] =
    R"({"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID",)"
    R"("Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes",)"
    R"("SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe",)"
    R"("SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"arn:aws:sns:us-east-1:111122223333:t",)"
    R"("Condition":{"StringEquals":{"AWS:SourceOwner":"111122223333"}}}]})";

constexpr char kQueueArn[] = "arn:aws:sqs:us-east-1:111122223333:q";
constexpr char kQueuePolicy[] =
    R"({"Version":"2012-10-17","Statement":[{"Sid":"topic-to-queue","Effect":"Allow",)"
    R"("Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",)"
    R"("Resource":"arn:aws:sqs:us-east-1:111122223333:q",)"
    R"("Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:t"}}}]})";

ResourcePolicy MustParse(std::string_view text) {
  auto parsed = ResourcePolicy::Parse(text);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message) << "\n" << text;
  if (!parsed.ok()) std::abort();
  return std::move(parsed).value();
}

std::string ParseError(std::string_view text) {
  auto parsed = ResourcePolicy::Parse(text);
  if (parsed.ok()) return "(accepted)";
  return parsed.error().message;
}

PolicyRequest AccountCalls(std::string account, std::string action, std::string resource) {
  PolicyRequest request;
  request.principal_account = account;
  request.principal_arn = "arn:aws:iam::" + account + ":root";
  request.action = std::move(action);
  request.resource = std::move(resource);
  return request;
}

PolicyRequest SnsDelivers(std::string topic_arn, std::string queue_arn = kQueueArn) {
  PolicyRequest request;
  request.service_principal = "sns.amazonaws.com";
  request.action = "sqs:SendMessage";
  request.resource = std::move(queue_arn);
  request.context["aws:SourceArn"] = std::move(topic_arn);
  request.context["aws:SourceAccount"] = "111122223333";
  return request;
}

// A statement allowing everyone sns:Publish on the topic, with the given condition block.
std::string WithCondition(std::string_view condition) {
  return std::string(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",)"
                     R"("Action":"sns:Publish","Resource":"*","Condition":)") +
         std::string(condition) + "}}";
}

PolicyDecision Decide(std::string_view policy, std::map<std::string, std::string> context) {
  PolicyRequest request = AccountCalls("111122223333", "sns:Publish", kTopicArn);
  request.context = std::move(context);
  return MustParse(policy).Evaluate(request);
}

constexpr auto kAllow = PolicyDecision::Allow;
constexpr auto kDeny = PolicyDecision::ExplicitDeny;
constexpr auto kImplicit = PolicyDecision::ImplicitDeny;

TEST(ResourcePolicy, DefaultTopicPolicyAllowsItsActionsWhenTheSourceOwnerIsTheTopicOwner) {
  ResourcePolicy policy = MustParse(kDefaultTopicPolicy);
  EXPECT_EQ(policy.version(), "2008-10-17");
  EXPECT_EQ(policy.id(), "__default_policy_ID");
  EXPECT_EQ(policy.StatementIds(), std::vector<std::string>{"__default_statement_ID"});
  EXPECT_EQ(policy.ActionPatterns().size(), 8u);

  for (const char* action : {"SNS:Publish", "sns:publish", "SNS:Subscribe", "sns:DeleteTopic", "Sns:AddPermission"}) {
    PolicyRequest request = AccountCalls("444455556666", action, kTopicArn);
    request.context["AWS:SourceOwner"] = "111122223333";
    EXPECT_EQ(policy.Evaluate(request), kAllow) << action;
  }
  PolicyRequest request = AccountCalls("111122223333", "SNS:Publish", kTopicArn);
  request.context["aws:sourceowner"] = "111122223333";  // key names are case-insensitive
  EXPECT_EQ(policy.Evaluate(request), kAllow);
  request.context["aws:sourceowner"] = "444455556666";
  EXPECT_EQ(policy.Evaluate(request), kImplicit);
  request.context.clear();  // the condition's key is missing: StringEquals does not hold
  EXPECT_EQ(policy.Evaluate(request), kImplicit);

  request.context["AWS:SourceOwner"] = "111122223333";
  request.action = "SNS:CreateTopic";  // not in the list
  EXPECT_EQ(policy.Evaluate(request), kImplicit);
  request.action = "SNS:Publish";
  request.resource = kOtherTopicArn;
  EXPECT_EQ(policy.Evaluate(request), kImplicit);
  request.resource = "arn:aws:sns:us-east-1:111122223333:T";  // resources compare case-sensitively
  EXPECT_EQ(policy.Evaluate(request), kImplicit);
}

TEST(ResourcePolicy, QueuePolicyAdmitsOnlyTheNamedTopicThroughTheSnsServicePrincipal) {
  ResourcePolicy policy = MustParse(kQueuePolicy);
  EXPECT_EQ(policy.Evaluate(SnsDelivers(kTopicArn)), kAllow);
  EXPECT_EQ(policy.Evaluate(SnsDelivers(kOtherTopicArn)), kImplicit);
  EXPECT_EQ(policy.Evaluate(SnsDelivers(kTopicArn, "arn:aws:sqs:us-east-1:111122223333:q2")), kImplicit);

  PolicyRequest no_source = SnsDelivers(kTopicArn);
  no_source.context.erase("aws:SourceArn");
  EXPECT_EQ(policy.Evaluate(no_source), kImplicit);

  PolicyRequest upper_action = SnsDelivers(kTopicArn);
  upper_action.action = "SQS:SENDMESSAGE";
  EXPECT_EQ(policy.Evaluate(upper_action), kAllow);
  upper_action.action = "sqs:ReceiveMessage";
  EXPECT_EQ(policy.Evaluate(upper_action), kImplicit);

  PolicyRequest other_service = SnsDelivers(kTopicArn);
  other_service.service_principal = "events.amazonaws.com";
  EXPECT_EQ(policy.Evaluate(other_service), kImplicit);

  // The same account calling as itself is not the SNS service.
  PolicyRequest as_account = AccountCalls("111122223333", "sqs:SendMessage", kQueueArn);
  as_account.context["aws:SourceArn"] = kTopicArn;
  EXPECT_EQ(policy.Evaluate(as_account), kImplicit);
}

TEST(ResourcePolicy, ArnLikeMatchesEachArnPartSeparately) {
  std::string policy = R"({"Statement":{"Effect":"Allow","Principal":{"Service":["sns.amazonaws.com"]},)"
                       R"("Action":"sqs:*","Resource":"arn:aws:sqs:*:111122223333:q",)"
                       R"("Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}}})";
  ResourcePolicy parsed = MustParse(policy);
  EXPECT_EQ(parsed.Evaluate(SnsDelivers("arn:aws:sns:eu-west-1:111122223333:anything")), kAllow);
  EXPECT_EQ(parsed.Evaluate(SnsDelivers("arn:aws:sns:eu-west-1:999999999999:t")), kImplicit);
  // '*' in the region does not run across the colon into the account.
  EXPECT_EQ(parsed.Evaluate(SnsDelivers("arn:aws:sns:eu-west-1:x:111122223333:t")), kImplicit);
  EXPECT_EQ(parsed.Evaluate(SnsDelivers("not-an-arn")), kImplicit);
  // The resource part keeps its colons.
  EXPECT_TRUE(ArnMatch("arn:aws:sns:us-east-1:1:t:*", "arn:aws:sns:us-east-1:1:t:sub:id"));
  EXPECT_TRUE(ArnMatch("arn:aws:sns:us-east-1:1:*", "arn:aws:sns:us-east-1:1:t:sub:id"));
  EXPECT_FALSE(ArnMatch("arn:aws:sns:us-east-?:1:t", "arn:aws:sns:us-east-10:1:t"));
  EXPECT_TRUE(ArnMatch("*", "arn:aws:sns:us-east-1:1:t"));
  EXPECT_FALSE(ArnMatch("arn:aws:sns:*:1:T", "arn:aws:sns:us-east-1:1:t"));
}

TEST(ResourcePolicy, ExplicitDenyWinsWhateverTheOrder) {
  const std::string allow = R"({"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"})";
  const std::string deny =
      R"({"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"sns:Publish","Resource":"*"})";
  for (const std::string& policy : {R"({"Statement":[)" + allow + "," + deny + "]}",
                                    R"({"Statement":[)" + deny + "," + allow + "]}"}) {
    ResourcePolicy parsed = MustParse(policy);
    EXPECT_EQ(parsed.Evaluate(AccountCalls("444455556666", "sns:Publish", kTopicArn)), kDeny);
    EXPECT_EQ(parsed.Evaluate(AccountCalls("444455556666", "sns:Subscribe", kTopicArn)), kAllow);
    EXPECT_EQ(parsed.Evaluate(AccountCalls("111122223333", "sns:Publish", kTopicArn)), kAllow);
  }
  ResourcePolicy deny_only = MustParse(R"({"Statement":[)" + deny + "]}");
  EXPECT_EQ(deny_only.Evaluate(AccountCalls("111122223333", "sns:Publish", kTopicArn)), kImplicit);
  ResourcePolicy empty = MustParse(R"({"Version":"2008-10-17","Statement":[]})");
  EXPECT_EQ(empty.Evaluate(AccountCalls("111122223333", "sns:Publish", kTopicArn)), kImplicit);
  EXPECT_TRUE(empty.StatementIds().empty());
}

TEST(ResourcePolicy, NotActionNotResourceAndNotPrincipalInvertTheirLists) {
  ResourcePolicy not_action = MustParse(
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"},)"
      R"({"Effect":"Deny","Principal":"*","NotAction":["sns:Publish","sns:Get*"],"Resource":"*"}]})");
  EXPECT_EQ(not_action.Evaluate(AccountCalls("111122223333", "sns:Publish", kTopicArn)), kAllow);
  EXPECT_EQ(not_action.Evaluate(AccountCalls("111122223333", "SNS:GetTopicAttributes", kTopicArn)), kAllow);
  EXPECT_EQ(not_action.Evaluate(AccountCalls("111122223333", "sns:DeleteTopic", kTopicArn)), kDeny);

  ResourcePolicy not_resource = MustParse(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"sns:Publish",)"
      R"("NotResource":"arn:aws:sns:us-east-1:111122223333:o*"}})");
  EXPECT_EQ(not_resource.Evaluate(AccountCalls("111122223333", "sns:Publish", kTopicArn)), kAllow);
  EXPECT_EQ(not_resource.Evaluate(AccountCalls("111122223333", "sns:Publish", kOtherTopicArn)), kImplicit);

  ResourcePolicy not_principal = MustParse(
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},)"
      R"({"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sns:Publish",)"
      R"("Resource":"*"}]})");
  EXPECT_EQ(not_principal.Evaluate(AccountCalls("111122223333", "sns:Publish", kTopicArn)), kAllow);
  EXPECT_EQ(not_principal.Evaluate(AccountCalls("444455556666", "sns:Publish", kTopicArn)), kDeny);
  EXPECT_EQ(not_principal.Evaluate(SnsDelivers(kTopicArn)), kImplicit);  // action differs
}

TEST(ResourcePolicy, PrincipalsMatchByAccountArnRoleSessionAndService) {
  auto policy_for = [](std::string_view principal) {
    return MustParse(R"({"Statement":{"Effect":"Allow","Principal":)" + std::string(principal) +
                     R"(,"Action":"sns:Publish","Resource":"*"}})");
  };
  auto call = [](std::string account, std::string arn) {
    PolicyRequest request;
    request.principal_account = std::move(account);
    request.principal_arn = std::move(arn);
    request.action = "sns:Publish";
    request.resource = kTopicArn;
    return request;
  };
  const std::string user = "arn:aws:iam::111122223333:user/alice";
  const std::string session = "arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-7";

  // An account, by id or by its root ARN, covers every principal of the account.
  for (const char* account : {R"({"AWS":"111122223333"})", R"({"AWS":["arn:aws:iam::111122223333:root"]})"}) {
    ResourcePolicy policy = policy_for(account);
    EXPECT_EQ(policy.Evaluate(call("111122223333", "")), kAllow) << account;
    EXPECT_EQ(policy.Evaluate(call("", user)), kAllow) << account;  // the account read from the ARN
    EXPECT_EQ(policy.Evaluate(call("111122223333", session)), kAllow) << account;
    EXPECT_EQ(policy.Evaluate(call("444455556666", "arn:aws:iam::444455556666:root")), kImplicit) << account;
    EXPECT_EQ(policy.Evaluate(SnsDelivers(kTopicArn)), kImplicit) << account;
  }
  // An account id written as a JSON number is not a principal IAM reads.
  EXPECT_NE(ParseError(R"({"Statement":{"Effect":"Allow","Principal":{"AWS":111122223333},"Action":"sns:Publish"}})")
                .find("list of strings"),
            std::string::npos);
  ResourcePolicy by_user = policy_for(R"({"AWS":"arn:aws:iam::111122223333:user/alice"})");
  EXPECT_EQ(by_user.Evaluate(call("111122223333", user)), kAllow);
  EXPECT_EQ(by_user.Evaluate(call("111122223333", "arn:aws:iam::111122223333:user/bob")), kImplicit);
  EXPECT_EQ(by_user.Evaluate(call("111122223333", "arn:aws:iam::111122223333:root")), kImplicit);

  ResourcePolicy by_role = policy_for(R"({"AWS":"arn:aws:iam::111122223333:role/teams/Deployer"})");
  EXPECT_EQ(by_role.Evaluate(call("111122223333", session)), kAllow);
  EXPECT_EQ(by_role.Evaluate(call("111122223333", "arn:aws:sts::111122223333:assumed-role/Other/ci")), kImplicit);
  EXPECT_EQ(by_role.Evaluate(call("444455556666", "arn:aws:sts::444455556666:assumed-role/Deployer/ci")), kImplicit);

  ResourcePolicy anyone = policy_for(R"({"AWS":"*"})");
  EXPECT_EQ(anyone.Evaluate(call("", "")), kAllow);  // anonymous
  EXPECT_EQ(anyone.Evaluate(SnsDelivers(kTopicArn)), kImplicit);  // action sqs:SendMessage
  PolicyRequest service_publish = SnsDelivers(kTopicArn);
  service_publish.action = "sns:Publish";
  service_publish.resource = kTopicArn;
  EXPECT_EQ(anyone.Evaluate(service_publish), kAllow);  // {"AWS":"*"} is "*"

  ResourcePolicy by_service = policy_for(R"({"Service":["s3.amazonaws.com","SNS.amazonaws.com"]})");
  EXPECT_EQ(by_service.Evaluate(service_publish), kAllow);
  EXPECT_EQ(by_service.Evaluate(call("111122223333", "")), kImplicit);
  EXPECT_EQ(by_service.Evaluate(call("", "")), kImplicit);
}

TEST(ResourcePolicy, StringConditionsAndMissingKeys) {
  const std::string equals = WithCondition(R"({"StringEquals":{"aws:SourceAccount":["1","2"]}})");
  EXPECT_EQ(Decide(equals, {{"aws:SourceAccount", "2"}}), kAllow);  // values OR
  EXPECT_EQ(Decide(equals, {{"AWS:SOURCEACCOUNT", "1"}}), kAllow);
  EXPECT_EQ(Decide(equals, {{"aws:SourceAccount", "3"}}), kImplicit);
  EXPECT_EQ(Decide(equals, {}), kImplicit);

  const std::string not_equals = WithCondition(R"({"StringNotEquals":{"aws:SourceAccount":["1","2"]}})");
  EXPECT_EQ(Decide(not_equals, {{"aws:SourceAccount", "3"}}), kAllow);
  EXPECT_EQ(Decide(not_equals, {{"aws:SourceAccount", "2"}}), kImplicit);
  EXPECT_EQ(Decide(not_equals, {}), kAllow);  // IAM: a negated operator holds when the key is missing

  const std::string keys_and = WithCondition(R"({"StringEquals":{"k1":"a","k2":"b"},"StringLike":{"k3":"x*"}})");
  EXPECT_EQ(Decide(keys_and, {{"k1", "a"}, {"k2", "b"}, {"k3", "xyz"}}), kAllow);
  EXPECT_EQ(Decide(keys_and, {{"k1", "a"}, {"k2", "b"}, {"k3", "yz"}}), kImplicit);
  EXPECT_EQ(Decide(keys_and, {{"k1", "a"}, {"k3", "x"}}), kImplicit);

  const std::string ignore_case = WithCondition(R"({"StringEqualsIgnoreCase":{"k":"HeLLo"}})");
  EXPECT_EQ(Decide(ignore_case, {{"k", "hello"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"StringEquals":{"k":"HeLLo"}})"), {{"k", "hello"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"StringNotEqualsIgnoreCase":{"k":"HeLLo"}})"), {{"k", "hello"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"StringNotLike":{"k":"h*"}})"), {{"k", "hello"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"StringNotLike":{"k":"h*"}})"), {{"k", "jello"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"StringLike":{"k":"H*"}})"), {{"k", "hello"}}), kImplicit);

  // aws:PrincipalAccount comes from the request when the context does not carry it.
  EXPECT_EQ(Decide(WithCondition(R"({"StringEquals":{"aws:PrincipalAccount":"111122223333"}})"), {}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"StringEquals":{"aws:principalarn":"arn:aws:iam::111122223333:root"}})"), {}),
            kAllow);
}

TEST(ResourcePolicy, IfExistsAndSetQualifiersOnMissingAndPresentKeys) {
  const std::string if_exists = WithCondition(R"({"StringEqualsIfExists":{"aws:SourceAccount":"1"}})");
  EXPECT_EQ(Decide(if_exists, {}), kAllow);
  EXPECT_EQ(Decide(if_exists, {{"aws:SourceAccount", "1"}}), kAllow);
  EXPECT_EQ(Decide(if_exists, {{"aws:SourceAccount", "2"}}), kImplicit);
  const std::string arn_if_exists = WithCondition(R"({"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:1:*"}})");
  EXPECT_EQ(Decide(arn_if_exists, {}), kAllow);
  EXPECT_EQ(Decide(arn_if_exists, {{"aws:SourceArn", "arn:aws:sns:r:1:t"}}), kAllow);
  EXPECT_EQ(Decide(arn_if_exists, {{"aws:SourceArn", "arn:aws:sns:r:2:t"}}), kImplicit);
  const std::string numeric_if_exists = WithCondition(R"({"NumericLessThanIfExists":{"n":"5"}})");
  EXPECT_EQ(Decide(numeric_if_exists, {}), kAllow);
  EXPECT_EQ(Decide(numeric_if_exists, {{"n", "7"}}), kImplicit);

  const std::string any_value = WithCondition(R"({"ForAnyValue:StringEquals":{"k":["a","b"]}})");
  EXPECT_EQ(Decide(any_value, {{"k", "b"}}), kAllow);
  EXPECT_EQ(Decide(any_value, {{"k", "c"}}), kImplicit);
  EXPECT_EQ(Decide(any_value, {}), kImplicit);
  const std::string all_values = WithCondition(R"({"ForAllValues:StringLike":{"k":["a*","b*"]}})");
  EXPECT_EQ(Decide(all_values, {{"k", "bee"}}), kAllow);
  EXPECT_EQ(Decide(all_values, {{"k", "cee"}}), kImplicit);
  EXPECT_EQ(Decide(all_values, {}), kAllow);  // vacuously true over no values
  EXPECT_EQ(Decide(WithCondition(R"({"ForAnyValue:StringNotEquals":{"k":"a"}})"), {{"k", "a"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"ForAnyValue:StringNotEquals":{"k":"a"}})"), {}), kImplicit);

  const std::string null_true = WithCondition(R"({"Null":{"k":"true"}})");
  EXPECT_EQ(Decide(null_true, {}), kAllow);
  EXPECT_EQ(Decide(null_true, {{"k", ""}}), kImplicit);
  const std::string null_false = WithCondition(R"({"Null":{"k":false}})");
  EXPECT_EQ(Decide(null_false, {{"k", "x"}}), kAllow);
  EXPECT_EQ(Decide(null_false, {}), kImplicit);
}

TEST(ResourcePolicy, NumericDateBoolIpAndBinaryConditions) {
  EXPECT_EQ(Decide(WithCondition(R"({"NumericEquals":{"n":10}})"), {{"n", "10.0"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericNotEquals":{"n":10}})"), {{"n", "10"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericLessThan":{"n":"10"}})"), {{"n", "9.5"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericLessThan":{"n":"10"}})"), {{"n", "10"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericLessThanEquals":{"n":"10"}})"), {{"n", "10"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericGreaterThan":{"n":"-1"}})"), {{"n", "0"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericGreaterThanEquals":{"n":"1e3"}})"), {{"n", "999"}}), kImplicit);
  // A context value that is not a number satisfies no numeric comparison, negated or not.
  EXPECT_EQ(Decide(WithCondition(R"({"NumericNotEquals":{"n":"1"}})"), {{"n", "one"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"NumericLessThan":{"n":"10"}})"), {{"n", "inf"}}), kImplicit);

  const std::string before_2030 = WithCondition(R"({"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}})");
  EXPECT_EQ(Decide(before_2030, {{"aws:CurrentTime", "2029-12-31T23:59:59Z"}}), kAllow);
  EXPECT_EQ(Decide(before_2030, {{"aws:CurrentTime", "2030-01-01T00:00:00Z"}}), kImplicit);
  EXPECT_EQ(Decide(before_2030, {{"aws:CurrentTime", "2030-01-01T01:00:00+02:00"}}), kAllow);  // 23:00Z
  EXPECT_EQ(Decide(before_2030, {{"aws:CurrentTime", "1893455999"}}), kAllow);                  // epoch seconds
  EXPECT_EQ(Decide(before_2030, {{"aws:CurrentTime", "1893456000"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"DateEquals":{"d":"2024-02-29"}})"), {{"d", "2024-02-29T00:00:00.000Z"}}),
            kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"DateGreaterThanEquals":{"d":"2024-02-29"}})"), {{"d", "yesterday"}}),
            kImplicit);

  EXPECT_EQ(Decide(WithCondition(R"({"Bool":{"aws:SecureTransport":true}})"), {{"aws:SecureTransport", "TRUE"}}),
            kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"Bool":{"aws:SecureTransport":"true"}})"), {{"aws:SecureTransport", "false"}}),
            kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"BinaryEquals":{"b":"QmluYXJ5"}})"), {{"b", "QmluYXJ5"}}), kAllow);

  const std::string from_net = WithCondition(R"({"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}})");
  EXPECT_EQ(Decide(from_net, {{"aws:SourceIp", "203.0.113.77"}}), kAllow);
  EXPECT_EQ(Decide(from_net, {{"aws:SourceIp", "203.0.114.1"}}), kImplicit);
  EXPECT_EQ(Decide(from_net, {{"aws:SourceIp", "2001:db8:ffff::1"}}), kAllow);
  EXPECT_EQ(Decide(from_net, {{"aws:SourceIp", "2001:db9::1"}}), kImplicit);
  EXPECT_EQ(Decide(from_net, {{"aws:SourceIp", "not-an-ip"}}), kImplicit);
  const std::string not_from_net = WithCondition(R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})");
  EXPECT_EQ(Decide(not_from_net, {{"aws:SourceIp", "192.168.1.1"}}), kAllow);
  EXPECT_EQ(Decide(not_from_net, {{"aws:SourceIp", "10.9.8.7"}}), kImplicit);
  EXPECT_EQ(Decide(WithCondition(R"({"IpAddress":{"ip":"0.0.0.0/0"}})"), {{"ip", "1.2.3.4"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"IpAddress":{"ip":"10.1.2.3/31"}})"), {{"ip", "10.1.2.2"}}), kAllow);
  EXPECT_EQ(Decide(WithCondition(R"({"IpAddress":{"ip":"10.1.2.3/31"}})"), {{"ip", "10.1.2.4"}}), kImplicit);
}

TEST(ResourcePolicy, MalformedDocumentsAreRefusedWithAReason) {
  struct Case {
    std::string policy;
    std::string reason;
  };
  const std::string ok_statement = R"("Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*")";
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "must be a JSON object"},
      {R"({"Version":"2012-10-17"})", "missing the Statement"},
      {R"({"Version":"2013-01-01","Statement":[]})", "Version must be"},
      {R"({"Version":20121017,"Statement":[]})", "Version must be"},
      {R"({"Statement":[],"Extra":1})", "unknown element \"Extra\""},
      {R"({"Statement":"x"})", "Statement must be"},
      {R"({"Statement":[1]})", "must be an object"},
      {R"({"Statement":{"Principal":"*","Action":"sns:Publish"}})", "missing the Effect"},
      {R"({"Statement":{"Effect":"allow","Principal":"*","Action":"sns:Publish"}})", "Effect must be"},
      {R"({"Statement":{"Effect":true,"Principal":"*","Action":"sns:Publish"}})", "Effect must be"},
      {R"({"Statement":{"Effect":"Allow","Action":"sns:Publish"}})", "Principal or NotPrincipal"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sns:Publish"}})", "both"},
      {R"({"Statement":{"Effect":"Allow","Principal":"someone","Action":"sns:Publish"}})", "Principal must be"},
      {R"({"Statement":{"Effect":"Allow","Principal":{},"Action":"sns:Publish"}})", "Principal must be"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"User":"x"},"Action":"sns:Publish"}})", "unknown principal type"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sns:Publish"}})", "Invalid principal"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sns:Publish"}})", "non-empty list"},
      {R"({"Statement":{"Effect":"Allow","Principal":{"Service":""},"Action":"sns:Publish"}})", "empty value"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*"}})", "Action or NotAction"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"Publish"}})", "prefaced by a service"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[]}})", "non-empty list"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":["sns:Publish",3]}})", "list of strings"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","NotAction":"a:c"}})", "both"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"topic"}})", "ARN format"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Resource":"*","NotResource":"*"}})", "both"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Sid":7}})", "Sid must be"},
      {R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"a:b","Actions":"a:c"}})", "unknown element"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":[]}})", "Condition must be"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"StringEqualz":{"k":"v"}}}})", "Unknown condition operator"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"NullIfExists":{"k":"true"}}}})", "Unknown condition"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"ForAnyValue:Null":{"k":"true"}}}})", "Unknown condition"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"StringEquals":"v"}}})", "must map condition keys"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"StringEquals":{}}}})", "must map condition keys"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"StringEquals":{"k":[]}}}})", "has no values"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"StringEquals":{"k":{"a":1}}}}})", "must have a string"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"StringEquals":{"k":null}}}})", "must have a string"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"NumericEquals":{"k":"ten"}}}})", "Invalid number"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"NumericEquals":{"k":"nan"}}}})", "Invalid number"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"DateEquals":{"k":"2024-02-30"}}}})", "Invalid date"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"DateEquals":{"k":"2024-01-01T25:00:00Z"}}}})",
       "Invalid date"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"Bool":{"k":"yes"}}}})", "Invalid boolean"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"Null":{"k":"maybe"}}}})", "Invalid boolean"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"IpAddress":{"k":"10.0.0.0/33"}}}})", "Invalid IP"},
      {"{\"Statement\":{" + ok_statement + R"(,"Condition":{"IpAddress":{"k":"10.0.0/8"}}}})", "Invalid IP"},
      {std::string(200, '[') + std::string(200, ']'), "not valid JSON"},
  };
  for (const Case& test : cases) {
    std::string message = ParseError(test.policy);
    EXPECT_NE(message.find(test.reason), std::string::npos) << test.policy << "\n  -> " << message;
  }
  // Accepted forms worth pinning: no Version, no Resource, numbers and booleans as condition values,
  // operator names in any case, a list of Sids.
  ResourcePolicy lenient = MustParse(
      R"({"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"sns:Publish",)"
      R"("Condition":{"stringequals":{"n":[1,true,"x"]}}},{"Sid":"b","Effect":"Deny","Principal":"*",)"
      R"("Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"*"}]})");
  EXPECT_EQ(lenient.StatementIds(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(lenient.statement_count(), 3u);
  EXPECT_EQ(lenient.version(), "");
}

TEST(WildcardMatch, IamGlobSemantics) {
  EXPECT_TRUE(WildcardMatch("", ""));
  EXPECT_FALSE(WildcardMatch("", "a"));
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("***", "abc"));
  EXPECT_FALSE(WildcardMatch("?", ""));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_TRUE(WildcardMatch("sns:Get*", "sns:GetTopicAttributes"));
  EXPECT_FALSE(WildcardMatch("sns:Get*", "SNS:GetTopicAttributes"));
  EXPECT_TRUE(WildcardMatch("sns:Get*", "SNS:GETTOPICATTRIBUTES", true));
  EXPECT_TRUE(WildcardMatch("*a*b", "xxaxxaxxb"));
  EXPECT_FALSE(WildcardMatch("*a*b", "xxaxxaxxbx"));
  EXPECT_TRUE(WildcardMatch("a*b*c", "abbbcbc"));
  EXPECT_TRUE(WildcardMatch("[a]", "[a]"));  // no character classes: brackets are literal
  EXPECT_FALSE(WildcardMatch("[a]", "a"));
  // '?' is one character, also outside ASCII (here a two-byte and a four-byte one).
  EXPECT_TRUE(WildcardMatch("t?pic", "t\xC3\xB6pic"));
  EXPECT_TRUE(WildcardMatch("?", "\xF0\x9F\x98\x80"));
  EXPECT_FALSE(WildcardMatch("??", "\xC3\xB6"));
  EXPECT_TRUE(WildcardMatch("*?", "\xC3\xB6"));
  EXPECT_FALSE(WildcardMatch("*??", "\xC3\xB6"));
  // Stray bytes do not upset it.
  EXPECT_TRUE(WildcardMatch("?\xFF?", "\xC3\xFF\x80"));
}

TEST(WildcardMatch, PathologicalPatternsStayFast) {
  const std::string text(200000, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WildcardMatch("*a*a*a*a*b", text));
  EXPECT_FALSE(WildcardMatch("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(WildcardMatch("*a*a*a*a*a", text));
  EXPECT_FALSE(WildcardMatch("*?*?*?*?*b", text, true));
  EXPECT_FALSE(WildcardMatch("*" + std::string(100, 'a') + "b", text));
  // Through a policy too: a StringLike on a long context value.
  ResourcePolicy policy = MustParse(WithCondition(R"({"StringLike":{"k":"*a*a*a*a*a*a*a*a*b"}})"));
  PolicyRequest request = AccountCalls("111122223333", "sns:Publish", kTopicArn);
  request.context["k"] = text;
  EXPECT_EQ(policy.Evaluate(request), kImplicit);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Exponential backtracking would not finish at all; the linear-per-star matcher takes milliseconds.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 2000);
}

// The reference: the textbook dynamic program over (pattern prefix, text prefix), written apart from
// the matcher under test and sharing nothing with it. ASCII only.
bool ReferenceMatch(const std::string& pattern, const std::string& text, bool case_insensitive) {
  auto fold = [&](char c) { return case_insensitive && c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  std::vector<std::vector<bool>> matches(pattern.size() + 1, std::vector<bool>(text.size() + 1, false));
  matches[0][0] = true;
  for (std::size_t i = 1; i <= pattern.size(); ++i) {
    matches[i][0] = matches[i - 1][0] && pattern[i - 1] == '*';
    for (std::size_t j = 1; j <= text.size(); ++j) {
      char p = pattern[i - 1];
      if (p == '*') {
        matches[i][j] = matches[i - 1][j] || matches[i][j - 1];
      } else {
        matches[i][j] = matches[i - 1][j - 1] && (p == '?' || fold(p) == fold(text[j - 1]));
      }
    }
  }
  return matches[pattern.size()][text.size()];
}

unsigned SeedFromEnvironment() {
  if (const char* seed = std::getenv("MALLARD_RESOURCE_POLICY_SEED")) return static_cast<unsigned>(std::strtoul(seed, nullptr, 10));
  return std::random_device{}();
}

TEST(WildcardMatch, AgreesWithADynamicProgrammingReferenceOnRandomInput) {
  const unsigned seed = SeedFromEnvironment();
  SCOPED_TRACE("MALLARD_RESOURCE_POLICY_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  const std::string pattern_alphabet = "ab*?Ab:";
  const std::string text_alphabet = "abAB:";
  int matched = 0;
  for (int round = 0; round < 40000; ++round) {
    std::string pattern, text;
    const std::size_t pattern_length = random() % 9, text_length = random() % 13;
    for (std::size_t i = 0; i < pattern_length; ++i) pattern += pattern_alphabet[random() % pattern_alphabet.size()];
    for (std::size_t i = 0; i < text_length; ++i) text += text_alphabet[random() % text_alphabet.size()];
    const bool case_insensitive = random() % 2 == 0;
    const bool expected = ReferenceMatch(pattern, text, case_insensitive);
    matched += expected;
    ASSERT_EQ(WildcardMatch(pattern, text, case_insensitive), expected)
        << "pattern '" << pattern << "' text '" << text << "' case_insensitive " << case_insensitive;
  }
  // The alphabets are small enough that both answers occur often; a generator gone wrong would not.
  EXPECT_GT(matched, 2000);
  EXPECT_LT(matched, 38000);
}

// The reference ARN match: the six parts (the last keeps its colons), each matched by the reference
// glob; a pattern that is not ARN-shaped against the whole text.
bool SplitArnForReference(const std::string& arn, std::vector<std::string>& parts) {
  parts.clear();
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t colon = arn.find(':', start);
    if (colon == std::string::npos) return false;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(arn.substr(start));
  return true;
}

bool ReferenceArnMatch(const std::string& pattern, const std::string& arn) {
  std::vector<std::string> pattern_parts, arn_parts;
  if (!SplitArnForReference(pattern, pattern_parts)) return ReferenceMatch(pattern, arn, false);
  if (!SplitArnForReference(arn, arn_parts)) return false;
  for (int i = 0; i < 6; ++i) {
    if (!ReferenceMatch(pattern_parts[i], arn_parts[i], false)) return false;
  }
  return true;
}

TEST(WildcardMatch, ArnMatchAgreesWithPartwiseReferenceOnRandomInput) {
  const unsigned seed = SeedFromEnvironment();
  SCOPED_TRACE("MALLARD_RESOURCE_POLICY_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  const std::string alphabet = "ab*?:";
  for (int round = 0; round < 20000; ++round) {
    std::string pattern, arn;
    for (std::size_t i = 0, n = 4 + random() % 12; i < n; ++i) pattern += alphabet[random() % alphabet.size()];
    for (std::size_t i = 0, n = 4 + random() % 12; i < n; ++i) arn += "ab:"[random() % 3];
    ASSERT_EQ(ArnMatch(pattern, arn), ReferenceArnMatch(pattern, arn)) << "pattern '" << pattern << "' arn '" << arn << "'";
  }
}

// ---- Parse + Evaluate against a model -------------------------------------------------------------
// Random policies are generated as plain structures, written out as JSON for ResourcePolicy, and
// decided by a reference written here from IAM's documented rules (Deny wins, then Allow, else the
// implicit deny; a missing key fails a condition except for negated operators, IfExists and Null).

constexpr const char* kAccountA = "111122223333";
constexpr const char* kAccountB = "444455556666";
constexpr const char* kUserB = "arn:aws:iam::444455556666:user/bob";

enum class ModelPrincipal { Anyone, AccountA, AccountBRoot, SnsService, UserB };
enum class ModelOperator { StringEquals, StringNotEquals, StringEqualsIfExists, StringLike, NullTrue };

struct ModelCondition {
  ModelOperator op;
  std::string key;  // as written in the policy (its case varies)
  std::vector<std::string> values;
};

struct ModelStatement {
  bool allow = true;
  bool not_principal = false;
  std::vector<ModelPrincipal> principals;
  bool not_action = false;
  std::vector<std::string> actions;
  int resource_element = 0;  // 0 none, 1 Resource, 2 NotResource
  std::vector<std::string> resources;
  std::vector<ModelCondition> conditions;
};

struct ModelCaller {
  std::string account, arn, service;
};

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool ModelPrincipalMatches(ModelPrincipal principal, const ModelCaller& caller) {
  switch (principal) {
    case ModelPrincipal::Anyone: return true;
    case ModelPrincipal::AccountA: return caller.account == kAccountA;
    case ModelPrincipal::AccountBRoot: return caller.account == kAccountB;
    case ModelPrincipal::SnsService: return caller.service == "sns.amazonaws.com";
    case ModelPrincipal::UserB: return caller.arn == kUserB;
  }
  return false;
}

bool ModelConditionHolds(const ModelCondition& condition, const std::map<std::string, std::string>& context) {
  const std::string* actual = nullptr;
  for (const auto& [key, value] : context) {
    if (Lower(key) == Lower(condition.key)) actual = &value;
  }
  auto any = [&](auto predicate) {
    for (const std::string& value : condition.values) {
      if (predicate(value)) return true;
    }
    return false;
  };
  switch (condition.op) {
    case ModelOperator::StringEquals: return actual && any([&](const std::string& v) { return v == *actual; });
    case ModelOperator::StringNotEquals: return !actual || !any([&](const std::string& v) { return v == *actual; });
    case ModelOperator::StringEqualsIfExists: return !actual || any([&](const std::string& v) { return v == *actual; });
    case ModelOperator::StringLike:
      return actual && any([&](const std::string& v) { return ReferenceMatch(v, *actual, false); });
    case ModelOperator::NullTrue: return actual == nullptr;
  }
  return false;
}

PolicyDecision ModelDecision(const std::vector<ModelStatement>& statements, const ModelCaller& caller,
                             const PolicyRequest& request) {
  bool allowed = false;
  for (const ModelStatement& statement : statements) {
    bool principal = false;
    for (ModelPrincipal p : statement.principals) principal = principal || ModelPrincipalMatches(p, caller);
    if (principal == statement.not_principal) continue;
    bool action = false;
    for (const std::string& a : statement.actions) action = action || ReferenceMatch(a, request.action, true);
    if (action == statement.not_action) continue;
    if (statement.resource_element != 0) {
      bool resource = false;
      for (const std::string& r : statement.resources) resource = resource || ReferenceArnMatch(r, request.resource);
      if (resource == (statement.resource_element == 2)) continue;
    }
    bool conditions = true;
    for (const ModelCondition& c : statement.conditions) conditions = conditions && ModelConditionHolds(c, request.context);
    if (!conditions) continue;
    if (!statement.allow) return PolicyDecision::ExplicitDeny;
    allowed = true;
  }
  return allowed ? PolicyDecision::Allow : PolicyDecision::ImplicitDeny;
}

// One string or a list, as IAM accepts either.
boost::json::value StringOrList(const std::vector<std::string>& items, std::mt19937& random) {
  if (items.size() == 1 && random() % 2 == 0) return boost::json::value(items[0]);
  boost::json::array list;
  for (const std::string& item : items) list.emplace_back(item);
  return list;
}

std::string ModelJson(const std::vector<ModelStatement>& statements, std::mt19937& random) {
  boost::json::array list;
  for (const ModelStatement& statement : statements) {
    boost::json::object object;
    object["Effect"] = statement.allow ? "Allow" : "Deny";
    boost::json::value principal;
    if (statement.principals.size() == 1 && statement.principals[0] == ModelPrincipal::Anyone && random() % 2) {
      principal = "*";
    } else {
      boost::json::array aws, service;
      for (ModelPrincipal p : statement.principals) {
        switch (p) {
          case ModelPrincipal::Anyone: aws.emplace_back("*"); break;
          case ModelPrincipal::AccountA: aws.emplace_back(kAccountA); break;
          case ModelPrincipal::AccountBRoot: aws.emplace_back(std::string("arn:aws:iam::") + kAccountB + ":root"); break;
          case ModelPrincipal::SnsService: service.emplace_back("sns.amazonaws.com"); break;
          case ModelPrincipal::UserB: aws.emplace_back(kUserB); break;
        }
      }
      boost::json::object by_type;
      if (!aws.empty()) by_type["AWS"] = aws;
      if (!service.empty()) by_type["Service"] = service;
      principal = by_type;
    }
    object[statement.not_principal ? "NotPrincipal" : "Principal"] = principal;
    object[statement.not_action ? "NotAction" : "Action"] = StringOrList(statement.actions, random);
    if (statement.resource_element != 0) {
      object[statement.resource_element == 1 ? "Resource" : "NotResource"] = StringOrList(statement.resources, random);
    }
    if (!statement.conditions.empty()) {
      boost::json::object block;
      for (const ModelCondition& c : statement.conditions) {
        static const char* kNames[] = {"StringEquals", "StringNotEquals", "StringEqualsIfExists", "StringLike", "Null"};
        boost::json::value& by_key = block[kNames[static_cast<int>(c.op)]];
        if (!by_key.is_object()) by_key = boost::json::object();
        by_key.get_object()[c.key] = StringOrList(c.values, random);
      }
      object["Condition"] = block;
    }
    list.push_back(object);
  }
  boost::json::object document{{"Version", random() % 2 ? "2012-10-17" : "2008-10-17"}};
  if (list.size() == 1 && random() % 2) {
    document["Statement"] = list[0];
  } else {
    document["Statement"] = list;
  }
  return boost::json::serialize(document);
}

TEST(ResourcePolicy, EvaluationAgreesWithAModelOnRandomPoliciesAndRequests) {
  const unsigned seed = SeedFromEnvironment();
  SCOPED_TRACE("MALLARD_RESOURCE_POLICY_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  const std::vector<std::string> action_patterns = {"sns:Publish", "SNS:publish", "sns:*", "sns:Get*", "*",
                                                    "sqs:SendMessage", "sns:?ublish", "SNS:Subscribe"};
  const std::vector<std::string> actions = {"sns:Publish", "SNS:Subscribe", "sqs:SendMessage", "sns:GetTopicAttributes"};
  const std::vector<std::string> resource_patterns = {kTopicArn, "*", "arn:aws:sns:*:111122223333:*",
                                                      "arn:aws:sns:us-east-1:111122223333:o*", "arn:aws:sqs:*:*:q",
                                                      "arn:aws:sns:us-east-?:111122223333:t"};
  const std::vector<std::string> resources = {kTopicArn, kOtherTopicArn, kQueueArn, "arn:aws:sns:eu-west-1:111122223333:t"};
  const std::vector<std::string> keys = {"k1", "K1", "aws:SourceArn", "AWS:sourcearn"};
  const std::vector<std::string> values = {"a", "b", "ab", "a*", kTopicArn};
  const std::vector<ModelCaller> callers = {{kAccountA, std::string("arn:aws:iam::") + kAccountA + ":root", ""},
                                            {kAccountB, kUserB, ""},
                                            {"", "", "sns.amazonaws.com"},
                                            {"", "", ""}};
  int decided[3] = {0, 0, 0};
  for (int round = 0; round < 3000; ++round) {
    std::vector<ModelStatement> statements(1 + random() % 3);
    for (ModelStatement& statement : statements) {
      statement.allow = random() % 3 != 0;
      statement.not_principal = random() % 6 == 0;
      for (std::size_t i = 0, n = 1 + random() % 2; i < n; ++i) {
        statement.principals.push_back(static_cast<ModelPrincipal>(random() % 5));
      }
      statement.not_action = random() % 5 == 0;
      for (std::size_t i = 0, n = 1 + random() % 2; i < n; ++i) statement.actions.push_back(pick(action_patterns));
      statement.resource_element = static_cast<int>(random() % 3);
      for (std::size_t i = 0, n = 1 + random() % 2; i < n; ++i) statement.resources.push_back(pick(resource_patterns));
      for (std::size_t i = 0, n = random() % 3; i < n; ++i) {
        ModelCondition condition{static_cast<ModelOperator>(random() % 5), pick(keys), {}};
        if (condition.op == ModelOperator::NullTrue) {
          condition.values = {"true"};
        } else {
          for (std::size_t j = 0, m = 1 + random() % 2; j < m; ++j) condition.values.push_back(pick(values));
        }
        // One operator and key per block entry: a repeated pair would overwrite in JSON.
        bool repeated = false;
        for (const ModelCondition& other : statement.conditions) {
          repeated = repeated || (other.op == condition.op && other.key == condition.key);
        }
        if (!repeated) statement.conditions.push_back(std::move(condition));
      }
    }
    const std::string text = ModelJson(statements, random);
    auto parsed = ResourcePolicy::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << "\n" << parsed.error().message;
    for (int request_round = 0; request_round < 8; ++request_round) {
      const ModelCaller& caller = callers[random() % callers.size()];
      PolicyRequest request;
      request.principal_account = caller.account;
      request.principal_arn = caller.arn;
      request.service_principal = caller.service;
      request.action = pick(actions);
      request.resource = pick(resources);
      if (random() % 2) request.context["k1"] = pick(values);
      if (random() % 2) request.context["aws:SourceArn"] = pick({kTopicArn, kOtherTopicArn});
      const PolicyDecision expected = ModelDecision(statements, caller, request);
      ++decided[static_cast<int>(expected)];
      ASSERT_EQ(parsed->Evaluate(request), expected)
          << text << "\ncaller " << caller.account << " " << caller.arn << " " << caller.service << " action "
          << request.action << " resource " << request.resource << " k1=" << request.context["k1"];
    }
  }
  // Every answer occurs often enough that the comparison means something.
  for (int count : decided) EXPECT_GT(count, 1000);
}

}  // namespace
}  // namespace mallard::services::kit

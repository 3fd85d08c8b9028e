// StsState (sts_state.hpp): credentials STS issued round-trip through save and load (a client
// using them gets the same GetCallerIdentity answer afterwards), expired ones are dropped, and
// Load refuses newer record versions, unknown kinds and regional scopes.
#include "services/sts/sts_state.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "services/sts/sts_service.hpp"

namespace mallard::sts {
namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

namespace {

struct Harness {
  std::int64_t now = 1700000000000;
  std::shared_ptr<CredentialRegistry> credentials = std::make_shared<CredentialRegistry>();
  std::shared_ptr<StsService> service;
  Harness() {
    services::ServiceContext context;
    context.clock = [this] { return now; };
    service = std::make_shared<StsService>(credentials, context);
  }
  // Calls as `access_key_id` would be resolved by the gateway: the registry's identity if it knows it.
  json::object Call(const std::string& operation, json::object input, const std::string& account,
                    const std::string& access_key_id = "") {
    protocol::OperationRequest request;
    request.operation = operation;
    request.input = std::move(input);
    request.protocol = protocol::WireProtocol::AwsQuery;
    request.context.account_id = account;
    request.context.caller_arn = "arn:aws:iam::" + account + ":root";
    request.context.access_key_id = access_key_id;
    request.context.region = "us-east-1";
    request.context.request_id = "r";
    if (auto identity = credentials->Find(access_key_id, now)) {
      request.context.account_id = identity->account_id;
      request.context.caller_arn = identity->arn;
      request.context.caller_identity_user_id = identity->user_id;
    }
    std::optional<protocol::OperationResult> out;
    service->Invoke(std::move(request), [&](protocol::OperationResult result) { out = std::move(result); });
    EXPECT_TRUE(out && out->ok()) << operation;
    return out && out->ok() ? std::move(*out).value() : json::object{};
  }
};

std::vector<StateRecord> SaveScope(services::ServiceState& state, const StateScope& scope) {
  std::vector<StateRecord> records;
  auto done = state.Save(scope, [&](StateRecord record) -> Status<std::string> {
    records.push_back(std::move(record));
    return Done{};
  });
  EXPECT_TRUE(done.ok()) << (done.ok() ? "" : done.error());
  return records;
}

Status<std::string> LoadScope(services::ServiceState& state, const StateScope& scope, int version,
                              const std::vector<StateRecord>& records) {
  std::size_t next = 0;
  return state.Load(scope, version, [&]() -> Result<std::optional<StateRecord>, std::string> {
    if (next == records.size()) return std::optional<StateRecord>();
    return std::optional<StateRecord>(records[next++]);
  });
}

std::string Text(const json::object& object, const char* name) { return std::string(object.at(name).as_string()); }

}  // namespace

TEST(StsStateTest, IssuedCredentialsRoundTripAndExpiredOnesAreDropped) {
  Harness before;
  auto assumed = before.Call("AssumeRole", {{"RoleArn", "arn:aws:iam::111111111111:role/reader"},
                                            {"RoleSessionName", "s1"}, {"DurationSeconds", 3600}},
                             "111111111111");
  auto session = before.Call("GetSessionToken", {{"DurationSeconds", 900}}, "222222222222");
  std::string role_key = Text(assumed.at("Credentials").as_object(), "AccessKeyId");
  std::string session_key = Text(session.at("Credentials").as_object(), "AccessKeyId");
  auto identity_before = before.Call("GetCallerIdentity", {}, "000000000000", role_key);
  auto* state = before.service->State();
  ASSERT_NE(state, nullptr);

  before.now += 1000 * 1000;  // the 900 s session token has expired, the 3600 s role has not
  auto scopes = state->Scopes();
  ASSERT_TRUE(scopes.ok());
  ASSERT_EQ(*scopes, (std::vector<StateScope>{{"111111111111", ""}}));
  auto records = SaveScope(*state, {"111111111111", ""});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].kind, "credential");
  EXPECT_EQ(Text(records[0].body, "AccessKeyId"), role_key);
  EXPECT_EQ(Text(records[0].body, "SecretAccessKey"), Text(assumed.at("Credentials").as_object(), "SecretAccessKey"));
  EXPECT_EQ(Text(records[0].body, "SessionToken"), Text(assumed.at("Credentials").as_object(), "SessionToken"));
  EXPECT_TRUE(SaveScope(*state, {"222222222222", ""}).empty());

  Harness after;
  after.now = before.now;
  ASSERT_TRUE(LoadScope(*after.service->State(), {"111111111111", ""}, 1, records).ok());
  EXPECT_EQ(after.Call("GetCallerIdentity", {}, "000000000000", role_key), identity_before);
  auto found = after.credentials->Find(role_key, after.now);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->secret_access_key, Text(assumed.at("Credentials").as_object(), "SecretAccessKey"));
  EXPECT_FALSE(after.credentials->FindIncludingExpired(session_key).has_value());
  // Saving again gives the same records.
  auto again = SaveScope(*after.service->State(), {"111111111111", ""});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(json::serialize(again[0].body), json::serialize(records[0].body));

  // A credential that expired between save and load is not loaded.
  Harness late;
  late.now = before.now + 3600 * 1000;
  ASSERT_TRUE(LoadScope(*late.service->State(), {"111111111111", ""}, 1, records).ok());
  EXPECT_FALSE(late.credentials->FindIncludingExpired(role_key).has_value());

  // Clear forgets the account's credentials only.
  ASSERT_TRUE(after.service->State()->Clear({"111111111111", ""}).ok());
  EXPECT_FALSE(after.credentials->Find(role_key, after.now).has_value());
}

TEST(StsStateTest, LoadRefusesNewerVersionsUnknownKindsAndRegionalScopes) {
  Harness harness;
  auto* state = harness.service->State();
  auto newer = LoadScope(*state, {"111111111111", ""}, 2, {});
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().find("newer"), std::string::npos) << newer.error();
  auto unknown = LoadScope(*state, {"111111111111", ""}, 1, {StateRecord{"role", json::object{}}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().find("\"role\""), std::string::npos) << unknown.error();
  EXPECT_FALSE(LoadScope(*state, {"111111111111", "us-east-1"}, 1, {}).ok());
  auto missing = LoadScope(*state, {"111111111111", ""}, 1,
                           {StateRecord{"credential", json::object{{"AccessKeyId", "ASIAX"}}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("SecretAccessKey"), std::string::npos) << missing.error();
}

}  // namespace mallard::sts

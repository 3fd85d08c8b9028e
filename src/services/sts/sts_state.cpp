#include "services/sts/sts_state.hpp"

#include <set>

namespace mallard::sts {

namespace json = boost::json;
using services::StateRecord;
using services::StateScope;

namespace {

constexpr const char* kCredentialKind = "credential";

// Credentials are global: their scope's region is always "".
Status<std::string> CheckScope(const StateScope& scope) {
  if (!scope.region.empty()) {
    return Fail("STS credentials are global: their scope has region \"\", not \"" + scope.region + "\"");
  }
  return Done{};
}

Result<std::string, std::string> Text(const json::object& body, const char* name, const std::string& what) {
  const auto* value = body.if_contains(name);
  if (!value || !value->is_string() || value->get_string().empty()) {
    return Fail(what + ": \"" + name + "\" must be a non-empty string");
  }
  return std::string(value->get_string());
}

}  // namespace

Result<std::vector<StateScope>, std::string> StsState::Scopes() {
  std::set<StateScope> scopes;
  for (const auto& [key, identity] : credentials_->ValidAt(clock_())) scopes.insert(StateScope{identity.account_id, ""});
  return std::vector<StateScope>(scopes.begin(), scopes.end());
}

Status<std::string> StsState::Save(const StateScope& scope, const services::StateRecordSink& sink) {
  MALLARD_RETURN_IF_ERROR(CheckScope(scope));
  for (const auto& [key, identity] : credentials_->ValidAt(clock_())) {  // by access key id
    if (identity.account_id != scope.account) continue;
    MALLARD_RETURN_IF_ERROR(sink(StateRecord{kCredentialKind, json::object{{"AccessKeyId", key},
                                                                           {"SecretAccessKey", identity.secret_access_key},
                                                                           {"SessionToken", identity.session_token},
                                                                           {"Expiration", identity.expires_millis},
                                                                           {"Arn", identity.arn},
                                                                           {"UserId", identity.user_id}}}));
  }
  return Done{};
}

Status<std::string> StsState::Load(const StateScope& scope, int record_version,
                                   const services::StateRecordSource& records) {
  if (record_version > RecordVersion()) {
    return Fail("STS records of version " + std::to_string(record_version) + " are newer than this Mallard reads (" +
                std::to_string(RecordVersion()) + ")");
  }
  if (record_version < 1) return Fail("STS records of version " + std::to_string(record_version) + " do not exist");
  MALLARD_RETURN_IF_ERROR(CheckScope(scope));
  std::int64_t now = clock_();
  for (std::size_t number = 1;; ++number) {
    auto next = records();
    if (!next) return Fail(next.error());
    if (!*next) break;
    const StateRecord& record = **next;
    std::string what = "STS record " + std::to_string(number) + " (" + record.kind + ")";
    if (record.kind != kCredentialKind) return Fail(what + ": unknown STS record kind \"" + record.kind + "\"");
    MALLARD_ASSIGN_OR_RETURN(auto access_key_id, Text(record.body, "AccessKeyId", what));
    CallerIdentity identity;
    identity.account_id = scope.account;
    MALLARD_ASSIGN_OR_RETURN(identity.secret_access_key, Text(record.body, "SecretAccessKey", what));
    MALLARD_ASSIGN_OR_RETURN(identity.session_token, Text(record.body, "SessionToken", what));
    MALLARD_ASSIGN_OR_RETURN(identity.arn, Text(record.body, "Arn", what));
    MALLARD_ASSIGN_OR_RETURN(identity.user_id, Text(record.body, "UserId", what));
    const auto* expiration = record.body.if_contains("Expiration");
    if (!expiration || !expiration->is_int64()) return Fail(what + ": \"Expiration\" must be epoch milliseconds");
    identity.expires_millis = expiration->get_int64();
    // The ARN names the account the credential acts for; it must be the scope's.
    if (identity.arn.find("::" + scope.account + ":") == std::string::npos) {
      return Fail(what + ": Arn " + identity.arn + " is not in account " + scope.account);
    }
    if (identity.expires_millis <= now) continue;  // expired since it was saved: nothing to restore
    credentials_->Register(access_key_id, std::move(identity));
  }
  return Done{};
}

Status<std::string> StsState::Clear(const StateScope& scope) {
  MALLARD_RETURN_IF_ERROR(CheckScope(scope));
  credentials_->ForgetAccount(scope.account);
  return Done{};
}

}  // namespace mallard::sts

#pragma once
// StsState: STS in snapshots (services/kit/service_state.hpp). Its state is the temporary
// credentials it issued (the CredentialRegistry): one "credential" record per credential still
// valid, in the scope of the account it was issued for, region "" (credentials are global).
// Expired credentials are neither saved nor loaded. README.md, "Snapshot records".
#include <functional>
#include <memory>

#include "common/credential_registry.hpp"
#include "services/kit/scope_journal.hpp"
#include "services/kit/service_state.hpp"

namespace mallard::sts {

class StsState final : public services::ScopeJournaledState {
 public:
  ~StsState() override { CloseJournal(); }
  StsState(std::shared_ptr<CredentialRegistry> credentials, std::function<std::int64_t()> clock)
      : ScopeJournaledState(
            [](std::string_view operation) {
              return operation != "GetCallerIdentity" && operation != "GetAccessKeyInfo" &&
                     operation != "DecodeAuthorizationMessage";
            },
            // Credentials are issued by AssumeRole*, GetSessionToken and GetFederationToken for the
            // role's account (not always the caller's): every scope is journaled after an issue.
            [this](const RequestContext&, const boost::json::object&) {
              auto scopes = Scopes();
              return scopes.ok() ? std::move(scopes).value() : std::vector<services::StateScope>{};
            }),
        credentials_(std::move(credentials)),
        clock_(std::move(clock)) {}

  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;

 private:
  std::shared_ptr<CredentialRegistry> credentials_;
  std::function<std::int64_t()> clock_;
};

}  // namespace mallard::sts

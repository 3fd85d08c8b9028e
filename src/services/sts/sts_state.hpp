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

class StsState final : public services::ServiceState {
 public:
  ~StsState() override { journal_->Close(); }
  StsState(std::shared_ptr<CredentialRegistry> credentials, std::function<std::int64_t()> clock)
      : credentials_(std::move(credentials)), clock_(std::move(clock)) {}

  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;
  // Journaling (--data-dir): each changed scope whole (services/kit/scope_journal.hpp).
  bool AttachChangeSink(std::shared_ptr<services::StateChangeSink> sink) override { return journal_->Attach(std::move(sink)); }
  Status<std::string> Apply(const services::StateChange& change) override {
    return services::ScopeJournal::Apply(*this, change);
  }
  services::ScopeJournal& Journal() { return *journal_; }
  const std::shared_ptr<services::ScopeJournal>& JournalHandle() const { return journal_; }

 private:
  std::shared_ptr<CredentialRegistry> credentials_;
  std::function<std::int64_t()> clock_;
  // Credentials are issued by AssumeRole*, GetSessionToken and GetFederationToken, for the role's
  // account (not always the caller's): every scope is journaled after an issue.
  std::shared_ptr<services::ScopeJournal> journal_ = std::make_shared<services::ScopeJournal>(
      *this,
      [](std::string_view operation) {
        return operation != "GetCallerIdentity" && operation != "GetAccessKeyInfo" &&
               operation != "DecodeAuthorizationMessage";
      },
      [this](const RequestContext&) {
        auto scopes = Scopes();
        return scopes.ok() ? std::move(scopes).value() : std::vector<services::StateScope>{};
      });
};

}  // namespace mallard::sts

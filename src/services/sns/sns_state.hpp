#pragma once
// SnsState: SNS in snapshots (services/kit/service_state.hpp). A scope's records are its topics
// (with their FIFO sequence counters), subscriptions (pending ones with their confirmation state),
// confirmation tokens, platform applications and endpoints, SMS attributes, opted-out numbers,
// sandbox numbers and the sent-message logs kept for the inspection endpoints. Each record's body
// names the resource (its ARN, token or number) and holds the service's own JSON of it under
// "record", so a snapshot is independent of the store (README.md, "Snapshot records").
//
// Consistency: a save reads the whole store at one moment (SnsStore::ExportAll); a load or clear
// applies its changes at one moment (SnsStore::ApplyImport). Between the read a load starts with
// and its write, a concurrent change to a resource the load replaces may be overwritten.
#include <memory>

#include "services/kit/scope_journal.hpp"
#include "services/kit/service_state.hpp"
#include "services/sns/model/sns_store.hpp"

namespace mallard::sns {

class SnsState final : public services::ScopeJournaledState {
 public:
  // The caller's scope and those of the SNS ARNs `input` names (a topic of another account).
  static std::vector<services::StateScope> ScopesChangedBy(const RequestContext& caller, const boost::json::object& input);

  ~SnsState() override { CloseJournal(); }
  // Publish records SMS and mobile-push messages: journaled as a change. A call may change another
  // account's topic (Subscribe under its policy): the scopes of the SNS ARNs it names are journaled too.
  explicit SnsState(std::shared_ptr<SnsStore> store)
      : ScopeJournaledState(
            [](std::string_view operation) {
              return !services::ReadsByName(operation) && operation != "CheckIfPhoneNumberIsOptedOut";
            },
            &ScopesChangedBy),
        store_(std::move(store)) {}

  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;

 private:
  std::shared_ptr<SnsStore> store_;
};

}  // namespace mallard::sns

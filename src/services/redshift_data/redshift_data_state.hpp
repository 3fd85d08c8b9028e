#pragma once
// RedshiftDataState: Redshift Data's part in snapshots (services/kit/service_state.hpp). Records
// per account and region: "statement" (every field DescribeStatement answers, a batch's
// sub-statements and every statement's results, so DescribeStatement and GetStatementResult(V2)
// answer the same after a load) and "client_token" (a ClientToken and the statement it started).
// Tables users made with SQL live in the engine's database, which the snapshot references by path.
#include "services/kit/scope_journal.hpp"
#include "services/kit/service_state.hpp"

namespace mallard::redshift_data {

class RedshiftDataService;

class RedshiftDataState final : public services::ServiceState {
 public:
  ~RedshiftDataState() override { journal_->Close(); }
  explicit RedshiftDataState(RedshiftDataService& service) : service_(service) {}

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
  RedshiftDataService& service_;
  std::shared_ptr<services::ScopeJournal> journal_ = std::make_shared<services::ScopeJournal>(*this, [](std::string_view operation) { return !services::ReadsByName(operation); });
};

}  // namespace mallard::redshift_data

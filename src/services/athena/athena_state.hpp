#pragma once
// AthenaState: Athena's part in snapshots (services/kit/service_state.hpp), per account and region:
// work groups, named queries, prepared statements, data catalogs, databases, tags, capacity
// reservations, query executions with their results, and client request tokens. Tables users made
// with SQL (and external tables' metadata, kept in the engine's hidden schema) live in the engine's
// database, which the snapshot references by path. README.md "Snapshot records" lists the kinds.
#include "services/kit/scope_journal.hpp"
#include "services/kit/service_state.hpp"

namespace mallard::athena {

class AthenaService;

class AthenaState final : public services::ServiceState {
 public:
  ~AthenaState() override { journal_->Close(); }
  explicit AthenaState(AthenaService& service) : service_(service) {}

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
  AthenaService& service_;
  std::shared_ptr<services::ScopeJournal> journal_ = std::make_shared<services::ScopeJournal>(*this, [](std::string_view operation) { return !services::ReadsByName(operation); });
};

}  // namespace mallard::athena

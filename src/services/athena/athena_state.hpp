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

class AthenaState final : public services::ScopeJournaledState {
 public:
  ~AthenaState() override { CloseJournal(); }
  explicit AthenaState(AthenaService& service)
      : ScopeJournaledState([](std::string_view operation) { return !services::ReadsByName(operation); }),
        service_(service) {}

  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;

 private:
  AthenaService& service_;
};

}  // namespace mallard::athena

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

class RedshiftDataState final : public services::ScopeJournaledState {
 public:
  ~RedshiftDataState() override { CloseJournal(); }
  explicit RedshiftDataState(RedshiftDataService& service)
      : ScopeJournaledState([](std::string_view operation) { return !services::ReadsByName(operation); }),
        service_(service) {}

  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;

 private:
  RedshiftDataService& service_;
};

}  // namespace mallard::redshift_data

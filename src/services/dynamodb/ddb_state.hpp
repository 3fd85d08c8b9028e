#pragma once
// DynamoDB in snapshots (services/kit/service_state.hpp): a scope's tables (whole definitions),
// items, PITR history, streams with their records and backups with their items, as records in
// AWS's shapes (README "Snapshot records"), through the store's ExportScope/ImportTable/
// ImportBackup/ClearScope, so a snapshot loads into any store that has them.
//
// Not saved: table transitions (CREATING/UPDATING/DELETING are a presentation of time passing and
// end at a restart anyway), TTL sweep cursors (the sweep restarts from the beginning), transaction
// idempotency tokens (10 minutes) and export/import jobs (transfer/).
#include <memory>

#include "services/dynamodb/model/ddb_store.hpp"
#include "services/kit/service_state.hpp"

namespace mallard::dynamodb {

class DynamoDbState final : public services::ServiceState {
 public:
  explicit DynamoDbState(std::shared_ptr<DynamoDbStore> store) : store_(std::move(store)) {}
  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;

 private:
  std::shared_ptr<DynamoDbStore> store_;
};

// The record bodies, exposed for tests: a table definition <-> its "table" record body.
boost::json::object TableRecordJson(const TableDefinition& table);
Result<TableDefinition, std::string> TableFromRecord(const boost::json::object& body);

}  // namespace mallard::dynamodb

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
  // Journaling (ddb_state_journal.cpp): the store's DdbChanges as state changes, and back.
  bool AttachChangeSink(std::shared_ptr<services::StateChangeSink> sink) override;
  Status<std::string> Apply(const services::StateChange& change) override;

 private:
  std::shared_ptr<DynamoDbStore> store_;
};

// The record bodies (README "Snapshot records"), shared with the journal (ddb_state_journal.cpp)
// and tests: a table definition <-> its "table" record body, and the same for streams, stream
// records and backups.
boost::json::object TableRecordJson(const TableDefinition& table);
Result<TableDefinition, std::string> TableFromRecord(const boost::json::object& body);
boost::json::object StreamJson(const StreamExport& stream);
Result<StreamExport, std::string> StreamFrom(const boost::json::object& body);
boost::json::object StreamRecordJson(const StreamRecord& record, const std::string& stream_arn, const std::string& shard_id);
Result<StreamRecord, std::string> StreamRecordFrom(const boost::json::object& body);
boost::json::object BackupJson(const BackupDescription& backup);
Result<BackupDescription, std::string> BackupFrom(const boost::json::object& body);

}  // namespace mallard::dynamodb

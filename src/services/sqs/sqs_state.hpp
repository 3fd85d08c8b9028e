#pragma once
// SQS in snapshots (services/kit/service_state.hpp): a scope's queues and their messages as
// records, through the store's ExportScope/ImportQueue, so they load into any store that has them.
#include <memory>

#include "services/kit/service_state.hpp"
#include "services/sqs/model/sqs_store.hpp"

namespace mallard::sqs {

class SqsState final : public services::ServiceState {
 public:
  explicit SqsState(std::shared_ptr<SqsStore> store) : store_(std::move(store)) {}
  int RecordVersion() const override { return 1; }
  Result<std::vector<services::StateScope>, std::string> Scopes() override;
  Status<std::string> Save(const services::StateScope& scope, const services::StateRecordSink& sink) override;
  Status<std::string> Load(const services::StateScope& scope, int record_version,
                           const services::StateRecordSource& records) override;
  Status<std::string> Clear(const services::StateScope& scope) override;
  bool AttachChangeSink(std::shared_ptr<services::StateChangeSink> sink) override;
  Status<std::string> Apply(const services::StateChange& change) override;

 private:
  std::shared_ptr<SqsStore> store_;
};

}  // namespace mallard::sqs

#pragma once
// OperationExecutor: runs a service's operations where their table row says (inline, or on the
// service's pool) and is the one place where an exception escaping service code becomes the
// service's internal error — logged with the operation and request id, never silent.
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "protocol/operation.hpp"
#include "services/kit/operation_table.hpp"
#include "services/kit/service_context.hpp"

namespace mallard::services::kit {

class OperationExecutor {
 public:
  // `service` labels the log lines; `internal_error` is what a client sees when service code
  // throws (Athena's InternalServerException, STS's InternalFailure, ...).
  OperationExecutor(std::string service, ServiceContext context, AwsError internal_error)
      : service_(std::move(service)), context_(std::move(context)), internal_error_(std::move(internal_error)) {}

  // Looks `request.operation` up in `table` and runs its handler on `service`; an unknown
  // operation completes with `unknown(operation)`.
  template <typename Svc>
  void Dispatch(Svc& service, const OperationTable<Svc>& table, protocol::OperationRequest request,
                AwsError (*unknown)(const std::string& operation), protocol::OperationCallback done) const {
    const Operation<Svc>* row = table.Find(request.operation);
    if (row == nullptr) return done(Fail(unknown(request.operation)));
    auto shared = std::make_shared<protocol::OperationRequest>(std::move(request));
    auto handler = row->handler;
    Run(row->run_on, *shared, [&service, handler, shared] { return (service.*handler)(*shared); }, std::move(done));
  }

 private:
  // Runs `work` on the network thread (Inline) or on the service's pool (Pool; inline when the
  // context has no pool, as in unit tests) and completes `done` exactly once with its result.
  // `request` must outlive the work: Dispatch keeps it alive inside `work`.
  void Run(RunOn run_on, const protocol::OperationRequest& request, std::function<protocol::OperationResult()> work,
           protocol::OperationCallback done) const;

  std::string service_;
  ServiceContext context_;
  AwsError internal_error_;
};

}  // namespace mallard::services::kit

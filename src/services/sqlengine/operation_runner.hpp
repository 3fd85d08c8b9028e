#pragma once
// How Athena and Redshift Data run an API operation: inline when it only touches in-memory state
// (query operations hand the engine work to their QueryRunner), on the blocking pool when it reads
// the engine's catalogue; an escaping exception becomes the service's internal error.
#include <functional>
#include <string>

#include "protocol/operation.hpp"
#include "services/kit/service_context.hpp"

namespace mallard::sqlengine {

void RunOperation(const services::ServiceContext& runtime, bool reads_engine, std::string label,
                  std::function<protocol::OperationResult()> handler, AwsError internal_error,
                  protocol::OperationCallback done);

}  // namespace mallard::sqlengine

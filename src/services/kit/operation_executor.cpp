#include "services/kit/operation_executor.hpp"

#include <spdlog/spdlog.h>

namespace mallard::services::kit {

AwsError OperationExecutor::Escaped(const std::string& operation, const std::string& request_id,
                                   const char* what) const {
  // The gateway's wording for the same event, so one grep finds both.
  if (what != nullptr) {
    spdlog::error("{}.{} failed: {} (request {})", service_, operation, what, request_id);
  } else {
    spdlog::error("{}.{} failed with a non-standard exception (request {})", service_, operation, request_id);
  }
  if (internal_error_of_ != nullptr) return internal_error_of_(what != nullptr ? what : "");
  return internal_error_;
}

}  // namespace mallard::services::kit

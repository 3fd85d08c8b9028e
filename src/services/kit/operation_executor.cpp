#include "services/kit/operation_executor.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace mallard::services::kit {

void OperationExecutor::Run(RunOn run_on, const protocol::OperationRequest& request,
                            std::function<protocol::OperationResult()> work, protocol::OperationCallback done) const {
  // `request` outlives the work (Dispatch keeps it alive in `work`); the log label is built only
  // when something failed, not on every request.
  auto run = [this, &request, work = std::move(work), done = std::move(done)] {
    protocol::OperationResult result = Fail(internal_error_);
    try {
      result = work();
    } catch (const std::exception& e) {
      spdlog::error("{}.{} (request {}) failed: {}", service_, request.operation, request.context.request_id, e.what());
    } catch (...) {
      spdlog::error("{}.{} (request {}) failed with a non-standard exception", service_, request.operation,
                    request.context.request_id);
    }
    done(std::move(result));
  };
  if (run_on == RunOn::Pool && context_.blocking_pool != nullptr) {
    boost::asio::post(*context_.blocking_pool, std::move(run));
  } else {
    run();
  }
}

}  // namespace mallard::services::kit

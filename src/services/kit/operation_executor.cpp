#include "services/kit/operation_executor.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace mallard::services::kit {

void OperationExecutor::Run(RunOn run_on, const protocol::OperationRequest& request,
                            std::function<protocol::OperationResult()> work, protocol::OperationCallback done) const {
  auto run = [label = service_ + "." + request.operation + " (request " + request.context.request_id + ")",
              internal_error = internal_error_, work = std::move(work), done = std::move(done)] {
    protocol::OperationResult result = Fail(internal_error);
    try {
      result = work();
    } catch (const std::exception& e) {
      spdlog::error("{} failed: {}", label, e.what());
    } catch (...) {
      spdlog::error("{} failed with a non-standard exception", label);
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

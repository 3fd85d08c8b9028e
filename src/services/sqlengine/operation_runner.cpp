#include "services/sqlengine/operation_runner.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace mallard::sqlengine {

void RunOperation(const services::ServiceContext& runtime, bool reads_engine, std::string label,
                  std::function<protocol::OperationResult()> handler, AwsError internal_error,
                  protocol::OperationCallback done) {
  auto run = [label = std::move(label), handler = std::move(handler), internal_error = std::move(internal_error),
              done = std::move(done)] {
    protocol::OperationResult result = Fail(internal_error);
    try {
      result = handler();
    } catch (const std::exception& e) {
      spdlog::error("{} failed: {}", label, e.what());
    }
    done(std::move(result));
  };
  if (reads_engine && runtime.blocking_pool != nullptr) {
    boost::asio::post(*runtime.blocking_pool, std::move(run));
  } else {
    run();
  }
}

}  // namespace mallard::sqlengine

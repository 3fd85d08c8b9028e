// The kit's operation table and executor: dispatch by name, where an operation runs, and the one
// exception → internal-error guard. Links the kit module only.
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include <future>
#include <stdexcept>
#include <thread>

#include "services/kit/operation_executor.hpp"

namespace mallard::services::kit {
namespace {

using protocol::OperationRequest;
using protocol::OperationResult;

struct ToyService {
  std::thread::id ran_on;
  OperationResult Echo(const OperationRequest& request) {
    ran_on = std::this_thread::get_id();
    return boost::json::object{{"echo", request.input.contains("x") ? request.input.at("x") : nullptr}};
  }
  OperationResult Throws(const OperationRequest&) { throw std::runtime_error("a bug"); }
};

AwsError Unknown(const std::string& operation) { return AwsError::Make("UnknownOperationException", 400, operation); }

const OperationTable<ToyService>& Table() {
  static const OperationTable<ToyService> table = {
      {"Echo", &ToyService::Echo, RunOn::Inline},
      {"EchoOnPool", &ToyService::Echo, RunOn::Pool},
      {"Throws", &ToyService::Throws, RunOn::Pool},
  };
  return table;
}

OperationResult RunSync(const OperationExecutor& executor, ToyService& service, std::string operation) {
  OperationRequest request;
  request.operation = std::move(operation);
  request.input = {{"x", 7}};
  std::promise<OperationResult> promise;
  executor.Dispatch(service, Table(), std::move(request), &Unknown,
                    [&promise](OperationResult result) { promise.set_value(std::move(result)); });
  return promise.get_future().get();
}

TEST(OperationTableTest, NamesAreSortedAndShapesFollowTheRows) {
  EXPECT_EQ(Table().Names(), (std::vector<std::string>{"Echo", "EchoOnPool", "Throws"}));
  EXPECT_NE(Table().Shapes("Echo"), nullptr);
  EXPECT_EQ(Table().Shapes("Nope"), nullptr);
  EXPECT_EQ(Table().Find("echo"), nullptr);  // AWS operation names are case-sensitive
}

TEST(OperationExecutorTest, InlineRunsOnTheCallingThreadAndPoolOnThePool) {
  boost::asio::thread_pool pool(1);
  ServiceContext context;
  context.blocking_pool = &pool;
  OperationExecutor executor("toy", context, common_errors::InternalFailure());
  ToyService service;
  auto inline_result = RunSync(executor, service, "Echo");
  ASSERT_TRUE(inline_result.ok());
  EXPECT_EQ(inline_result->at("echo").as_int64(), 7);
  EXPECT_EQ(service.ran_on, std::this_thread::get_id());
  ASSERT_TRUE(RunSync(executor, service, "EchoOnPool").ok());
  EXPECT_NE(service.ran_on, std::this_thread::get_id());
  pool.join();
}

TEST(OperationExecutorTest, AnUnknownOperationIsTheServicesError) {
  OperationExecutor executor("toy", ServiceContext{}, common_errors::InternalFailure());
  ToyService service;
  auto result = RunSync(executor, service, "Missing");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "UnknownOperationException");
  EXPECT_EQ(result.error().message, "Missing");
}

TEST(OperationExecutorTest, AnEscapingExceptionBecomesTheInternalErrorOnThePoolToo) {
  boost::asio::thread_pool pool(1);
  ServiceContext context;
  context.blocking_pool = &pool;
  OperationExecutor executor("toy", context,
                             AwsError::Make("InternalServerException", 500, "Internal error", FaultSide::Receiver));
  ToyService service;
  auto result = RunSync(executor, service, "Throws");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "InternalServerException");
  EXPECT_EQ(result.error().http_status, 500);
  pool.join();
}

}  // namespace
}  // namespace mallard::services::kit

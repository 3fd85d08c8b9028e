// The kit's operation table and executor: dispatch by name, where an operation runs, and the one
// exception → internal-error guard. Links the kit module only.
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <vector>
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
  OperationResult ThrowsSomethingElse(const OperationRequest&) { throw 42; }

  // Asynchronous rows: the handler keeps `done` and completes it later (a long poll).
  std::mutex mutex;
  std::vector<protocol::OperationCallback> waiting;
  void Later(OperationRequest request, protocol::OperationCallback done) {
    ran_on = std::this_thread::get_id();
    std::lock_guard lock(mutex);
    waiting.push_back(std::move(done));
  }
  void CompleteWaiting(OperationResult result) {
    std::vector<protocol::OperationCallback> ready;
    {
      std::lock_guard lock(mutex);
      ready.swap(waiting);
    }
    for (auto& done : ready) done(result);
  }
  // Throws in its synchronous part, before and after keeping `done`.
  void ThrowsBeforeKeeping(OperationRequest, protocol::OperationCallback) { throw std::runtime_error("early bug"); }
  void ThrowsAfterKeeping(OperationRequest request, protocol::OperationCallback done) {
    Later(std::move(request), std::move(done));
    throw std::runtime_error("late bug");
  }
  void AnswersThenThrows(OperationRequest, protocol::OperationCallback done) {
    done(boost::json::object{{"answered", true}});
    throw std::runtime_error("bug after answering");
  }
};

AwsError Unknown(const std::string& operation) { return AwsError::Make("UnknownOperationException", 400, operation); }

const OperationTable<ToyService>& Table() {
  static const OperationTable<ToyService> table = {
      {"Echo", &ToyService::Echo, RunOn::Inline},
      {"EchoOnPool", &ToyService::Echo, RunOn::Pool},
      {"Throws", &ToyService::Throws, RunOn::Pool},
      {"ThrowsSomethingElse", &ToyService::ThrowsSomethingElse, RunOn::Inline},
      {"EchoNearTheStore", &ToyService::Echo, RunOn::Store},
      {"Later", &ToyService::Later, RunOn::Store},
      {"ThrowsBeforeKeeping", &ToyService::ThrowsBeforeKeeping, RunOn::Store},
      {"ThrowsAfterKeeping", &ToyService::ThrowsAfterKeeping, RunOn::Inline},
      {"AnswersThenThrows", &ToyService::AnswersThenThrows, RunOn::Inline},
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
  EXPECT_EQ(Table().Names(),
            (std::vector<std::string>{"AnswersThenThrows", "Echo", "EchoNearTheStore", "EchoOnPool", "Later", "Throws",
                                      "ThrowsAfterKeeping", "ThrowsBeforeKeeping", "ThrowsSomethingElse"}));
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

// Counts completions; the promise holds the first.
struct Completions {
  std::promise<OperationResult> first;
  std::atomic<int> count{0};
  protocol::OperationCallback Callback() {
    return [this](OperationResult result) {
      if (count.fetch_add(1) == 0) first.set_value(std::move(result));
    };
  }
};

void Send(const OperationExecutor& executor, ToyService& service, std::string operation, Completions& completions) {
  OperationRequest request;
  request.operation = std::move(operation);
  request.context.request_id = "req-1";
  executor.Dispatch(service, Table(), std::move(request), &Unknown, completions.Callback());
}

TEST(OperationExecutorTest, StoreRowsRunInlineForAnInProcessStoreAndOnThePoolForARemoteOne) {
  boost::asio::thread_pool pool(1);
  ServiceContext context;
  context.blocking_pool = &pool;
  ToyService service;
  OperationExecutor in_process("toy", context, common_errors::InternalFailure(), /*store_in_process=*/true);
  ASSERT_TRUE(RunSync(in_process, service, "EchoNearTheStore").ok());
  EXPECT_EQ(service.ran_on, std::this_thread::get_id());
  OperationExecutor remote("toy", context, common_errors::InternalFailure(), /*store_in_process=*/false);
  auto result = RunSync(remote, service, "EchoNearTheStore");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->at("echo").as_int64(), 7);
  EXPECT_NE(service.ran_on, std::this_thread::get_id());
  pool.join();
}

TEST(OperationExecutorTest, AnAsynchronousRowCompletesWhenItsHandlerIsReady) {
  boost::asio::thread_pool pool(1);
  ServiceContext context;
  context.blocking_pool = &pool;
  ToyService service;
  OperationExecutor executor("toy", context, common_errors::InternalFailure(), /*store_in_process=*/false);
  Completions completions;
  Send(executor, service, "Later", completions);
  pool.join();  // the handler ran (on the pool: a remote store) and kept `done`
  EXPECT_NE(service.ran_on, std::this_thread::get_id());
  EXPECT_EQ(completions.count.load(), 0);
  service.CompleteWaiting(boost::json::object{{"late", true}});
  EXPECT_EQ(completions.count.load(), 1);
  auto result = completions.first.get_future().get();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->at("late").as_bool());
}

TEST(OperationExecutorTest, AnExceptionFromAnAsynchronousHandlersSynchronousPartIsTheInternalError) {
  ToyService service;
  OperationExecutor executor("toy", ServiceContext{}, AwsError::Make("InternalFailure", 500, "boom", FaultSide::Receiver));
  {
    Completions completions;
    Send(executor, service, "ThrowsBeforeKeeping", completions);
    ASSERT_EQ(completions.count.load(), 1);
    auto result = completions.first.get_future().get();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, "InternalFailure");
    EXPECT_EQ(result.error().message, "boom");
  }
  {
    // The handler kept `done` before throwing: the client hears the internal error once, and the
    // handler's later completion is dropped.
    Completions completions;
    Send(executor, service, "ThrowsAfterKeeping", completions);
    ASSERT_EQ(completions.count.load(), 1);
    service.CompleteWaiting(boost::json::object{});
    EXPECT_EQ(completions.count.load(), 1);
    EXPECT_FALSE(completions.first.get_future().get().ok());
  }
  {
    // It answered, then threw: the answer stands.
    Completions completions;
    Send(executor, service, "AnswersThenThrows", completions);
    ASSERT_EQ(completions.count.load(), 1);
    auto result = completions.first.get_future().get();
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->at("answered").as_bool());
  }
}

AwsError WordedInternalError(const std::string& what) {
  return AwsError::Make("InternalServerError", 500, "Internal server error: " + what, FaultSide::Receiver);
}

TEST(OperationExecutorTest, TheInternalErrorMayWordTheException) {
  ToyService service;
  OperationExecutor executor("toy", ServiceContext{}, &WordedInternalError);
  auto result = RunSync(executor, service, "Throws");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "InternalServerError");
  EXPECT_EQ(result.error().message, "Internal server error: a bug");
  auto other = RunSync(executor, service, "ThrowsSomethingElse");  // not a std::exception: caught too
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().message, "Internal server error: ");
}

TEST(OperationExecutorTest, RunGuardsWorkOfAServiceThatRunsItsOwnRows) {
  boost::asio::thread_pool pool(1);
  ServiceContext context;
  context.blocking_pool = &pool;
  OperationExecutor executor("toy", context, common_errors::InternalFailure(), /*store_in_process=*/false);
  std::promise<OperationResult> promise;
  OperationRequest request;
  request.operation = "Custom";
  executor.Run(RunOn::Store, std::move(request), [&promise](OperationResult result) { promise.set_value(std::move(result)); },
               [](const OperationRequest&) -> OperationResult { throw std::runtime_error("custom bug"); });
  auto result = promise.get_future().get();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "InternalFailure");
  pool.join();
}

}  // namespace
}  // namespace mallard::services::kit

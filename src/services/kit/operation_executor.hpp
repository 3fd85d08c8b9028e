#pragma once
// OperationExecutor: runs a service's operations where their table row says (inline, on the
// service's pool, or where its store needs) and is the one place where an exception escaping
// service code becomes the service's internal error — logged with the operation and request id,
// never silent.
#include <boost/asio/post.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "protocol/operation.hpp"
#include "services/kit/operation_table.hpp"
#include "services/kit/service_context.hpp"

namespace mallard::services::kit {

class OperationExecutor {
 public:
  // The internal error built from the escaping exception's what() ("" for a non-standard one).
  using InternalErrorOf = AwsError (*)(const std::string& what);

  // `service` labels the log lines; `internal_error` is what a client sees when service code
  // throws (Athena's InternalServerException, STS's InternalFailure, ...). `store_in_process`:
  // the service's store answers without I/O (memory), so RunOn::Store rows run inline; otherwise
  // (Redis) they run on the pool.
  OperationExecutor(std::string service, ServiceContext context, AwsError internal_error, bool store_in_process = true)
      : service_(std::move(service)),
        context_(std::move(context)),
        internal_error_(std::move(internal_error)),
        store_in_process_(store_in_process) {}
  // DynamoDB words the exception into its error ("Internal server error: <what>").
  OperationExecutor(std::string service, ServiceContext context, InternalErrorOf internal_error,
                    bool store_in_process = true)
      : service_(std::move(service)),
        context_(std::move(context)),
        internal_error_of_(internal_error),
        store_in_process_(store_in_process) {}

  // Looks `request.operation` up in `table` and runs its handler on `service`; an unknown
  // operation completes with `unknown(operation)`.
  template <typename Svc>
  void Dispatch(Svc& service, const OperationTable<Svc>& table, protocol::OperationRequest request,
                AwsError (*unknown)(const std::string& operation), protocol::OperationCallback done) const {
    const Operation<Svc>* row = table.Find(request.operation);
    if (row == nullptr) return done(Fail(unknown(request.operation)));
    if (row->async_handler != nullptr) {
      auto handler = row->async_handler;
      RunAsync(row->run_on, std::move(request), std::move(done),
               [&service, handler](protocol::OperationRequest request, protocol::OperationCallback done) {
                 (service.*handler)(std::move(request), std::move(done));
               });
      return;
    }
    auto handler = row->handler;
    Run(row->run_on, std::move(request), std::move(done),
        [&service, handler](const protocol::OperationRequest& request) { return (service.*handler)(request); });
  }

  // Runs `work(request)` (returning an OperationResult) where `run_on` says, behind the guard, and
  // completes `done` exactly once with its result. For services that run their rows themselves.
  template <typename Work>
  void Run(RunOn run_on, protocol::OperationRequest request, protocol::OperationCallback done, Work work) const {
    // Inline: no copy of the request, no allocation beyond what the work does.
    if (RunsInline(run_on)) return Guarded(request, done, work);
    boost::asio::post(*context_.blocking_pool,
                      [this, request = std::move(request), done = std::move(done), work = std::move(work)]() mutable {
                        Guarded(request, done, work);
                      });
  }

  // Runs `work(request, done)` where `run_on` says; the work completes `done` when it is ready
  // (now, or later on another thread). An exception escaping the work's synchronous part
  // completes `done` with the internal error — unless the work completed it already; any later
  // completion is then dropped, so the client hears exactly once.
  template <typename Work>
  void RunAsync(RunOn run_on, protocol::OperationRequest request, protocol::OperationCallback done, Work work) const {
    if (RunsInline(run_on)) return GuardedAsync(std::move(request), std::move(done), work);
    boost::asio::post(*context_.blocking_pool,
                      [this, request = std::move(request), done = std::move(done), work = std::move(work)]() mutable {
                        GuardedAsync(std::move(request), std::move(done), work);
                      });
  }

 private:
  // Pool rows, and Store rows of a remote store, go to the pool; without a pool (unit tests of one
  // service) everything runs inline.
  bool RunsInline(RunOn run_on) const {
    if (context_.blocking_pool == nullptr || run_on == RunOn::Inline) return true;
    return run_on == RunOn::Store && store_in_process_;
  }

  template <typename Work>
  void Guarded(const protocol::OperationRequest& request, protocol::OperationCallback& done, Work& work) const {
    protocol::OperationResult result = [&]() -> protocol::OperationResult {
      try {
        return work(request);
      } catch (const std::exception& e) {
        return Fail(Escaped(request.operation, request.context.request_id, e.what()));
      } catch (...) {
        return Fail(Escaped(request.operation, request.context.request_id, nullptr));
      }
    }();
    // Outside the guard: a completion that throws is the caller's bug, not this operation's.
    done(std::move(result));
  }

  struct CompleteOnce {
    explicit CompleteOnce(protocol::OperationCallback done) : done(std::move(done)) {}
    void operator()(protocol::OperationResult result) {
      if (!completed.exchange(true)) done(std::move(result));
    }
    protocol::OperationCallback done;
    std::atomic<bool> completed{false};
  };

  template <typename Work>
  void GuardedAsync(protocol::OperationRequest request, protocol::OperationCallback done, Work& work) const {
    // The request moves into the work; what the log line needs is kept apart.
    std::string operation = request.operation;
    std::string request_id = request.context.request_id;
    auto once = std::make_shared<CompleteOnce>(std::move(done));
    bool threw = false;
    AwsError error;
    try {
      work(std::move(request), [once](protocol::OperationResult result) { (*once)(std::move(result)); });
    } catch (const std::exception& e) {
      threw = true;
      error = Escaped(operation, request_id, e.what());
    } catch (...) {
      threw = true;
      error = Escaped(operation, request_id, nullptr);
    }
    if (threw) (*once)(Fail(std::move(error)));
  }

  // Logs an exception that escaped `operation` (what == nullptr: not a std::exception) and
  // returns the error the client sees.
  AwsError Escaped(const std::string& operation, const std::string& request_id, const char* what) const;

  std::string service_;
  ServiceContext context_;
  AwsError internal_error_;
  InternalErrorOf internal_error_of_ = nullptr;
  bool store_in_process_ = true;
};

}  // namespace mallard::services::kit

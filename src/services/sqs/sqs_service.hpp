#pragma once
// SqsService: the whole SQS API on top of an SqsStore. Validation and AWS semantics live here;
// state lives in the store; wire formats live in the protocol codecs.
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>

#include "services/kit/operation_executor.hpp"
#include "services/kit/operation_table.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"
#include "services/sqs/model/sqs_store.hpp"
#include "services/sqs/sqs_state.hpp"

namespace mallard::sqs {

class SqsService final : public services::Service {
 public:
  SqsService(std::shared_ptr<SqsStore> store, services::ServiceContext runtime);
  ~SqsService() override;

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view operation) const override;
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override;
  std::string StoreName() const override { return store_->Name(); }
  services::ServiceState* State() override { return &state_; }
  void Shutdown() override;
  // LocalStack's developer endpoint (sqs_developer_api.cpp): /_aws/sqs/messages lists a queue's
  // messages in ReceiveMessage's shape without receiving them.
  bool AnswersPath(std::string_view path) const override;
  void HandleHttp(const http::HttpRequest& request, http::Responder respond) override;
  // Queue depths per queue (sqs_metrics.cpp).
  void CollectMetrics(observability::MetricsSink& sink) const override;

 private:
  using Json = boost::json::object;
  using Request = protocol::OperationRequest;
  struct PendingReceive;
  struct ReceivePlan;

  // The one list of SQS operations: descriptor, dispatch and awsQuery shapes read it.
  static const services::kit::OperationTable<SqsService>& Operations();
  // Work that timers and pool threads run outside a request (long-poll retries, move tasks):
  // inline when the store is in-memory, otherwise on the blocking pool. Requests go through
  // executor_ instead.
  void RunStoreWork(std::function<void()> work);

  // Queue operations (sqs_service.cpp).
  protocol::OperationResult CreateQueue(const Request& request);
  protocol::OperationResult DeleteQueue(const Request& request);
  protocol::OperationResult GetQueueUrl(const Request& request);
  protocol::OperationResult ListQueues(const Request& request);
  protocol::OperationResult GetQueueAttributes(const Request& request);
  protocol::OperationResult SetQueueAttributes(const Request& request);
  protocol::OperationResult PurgeQueue(const Request& request);
  protocol::OperationResult TagQueue(const Request& request);
  protocol::OperationResult UntagQueue(const Request& request);
  protocol::OperationResult ListQueueTags(const Request& request);
  protocol::OperationResult AddPermission(const Request& request);
  protocol::OperationResult RemovePermission(const Request& request);
  protocol::OperationResult ListDeadLetterSourceQueues(const Request& request);

  // Message move tasks (sqs_move_tasks.cpp).
  protocol::OperationResult StartMessageMoveTask(const Request& request);
  protocol::OperationResult CancelMessageMoveTask(const Request& request);
  protocol::OperationResult ListMessageMoveTasks(const Request& request);

  // Message operations (sqs_messages.cpp).
  protocol::OperationResult SendMessage(const Request& request);
  protocol::OperationResult SendMessageBatch(const Request& request);
  protocol::OperationResult DeleteMessage(const Request& request);
  protocol::OperationResult DeleteMessageBatch(const Request& request);
  protocol::OperationResult ChangeMessageVisibility(const Request& request);
  protocol::OperationResult ChangeMessageVisibilityBatch(const Request& request);
  void ReceiveMessage(Request request, protocol::OperationCallback done);
  Result<ReceivePlan> PlanReceive(const Request& request);
  Result<std::optional<Json>> TryReceive(const ReceivePlan& plan, std::optional<std::int64_t>* next_visible);
  void FinishPending(const std::shared_ptr<PendingReceive>& pending, protocol::OperationResult result);
  void RetryPending(const std::shared_ptr<PendingReceive>& pending);

  // Helpers shared by both files.
  Result<QueueKey> ResolveQueue(const Request& request) const;
  Result<QueueRecord> LoadQueue(const QueueKey& key) const;
  std::string QueueUrl(const Request& request, const QueueKey& key) const;
  // One page of queue URLs (NextToken/MaxResults from the request) under `member`.
  Result<boost::json::object> PageOfQueueUrls(const Request& request, const std::vector<QueueRecord>& queues,
                                              const char* member) const;
  Status<> ValidateRedrive(const QueueKey& source, bool source_fifo, const std::string& redrive_policy) const;
  void RunMoveTask(QueueKey source, std::optional<QueueKey> destination, MoveTask task);  // sqs_move_tasks.cpp
  // Every few seconds: takes over RUNNING move tasks whose runner stopped reporting, so a task
  // outlives the server that started it (several servers on one Redis, or a restart).
  void ScheduleMoveTaskSweep(std::shared_ptr<boost::asio::steady_timer> timer);
  void ResumeOrphanedMoveTasks();
  std::int64_t Now() const { return runtime_.clock(); }

  std::shared_ptr<SqsStore> store_;
  SqsState state_{store_};  // after store_: built from it
  services::ServiceContext runtime_;
  services::kit::OperationExecutor executor_;
  std::mutex pending_mutex_;
  std::set<std::shared_ptr<PendingReceive>> pending_;
  std::mutex move_tasks_mutex_;
  std::set<std::string> cancelled_tasks_;
  const std::string runner_id_;  // this service instance, as the runner of the move tasks it runs
  std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

// A message as ReceiveMessage returns it: the system attributes named (or "All") and the message
// attributes the filters select (sqs_messages.cpp).
boost::json::object ReceivedMessageJson(const ReceivedMessage& received, const std::set<std::string>& system_names,
                                        const std::vector<std::string>& attribute_filters);

// Maps a store status to the SQS error a client sees.
AwsError ToAwsError(const StoreError& error);

}  // namespace mallard::sqs

// SQS message move tasks (StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks): the
// runner that moves messages at the task's rate, and the sweep that takes over a task whose runner
// stopped reporting (its server died; with a shared store another server finishes it).
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "services/sqs/model/sqs_attributes.hpp"
#include "services/sqs/model/sqs_errors.hpp"
#include "services/sqs/model/sqs_input.hpp"
#include "services/sqs/sqs_service.hpp"

namespace mallard::sqs {
namespace json = boost::json;
namespace asio = boost::asio;
using protocol::OperationResult;

namespace {

constexpr std::int64_t kTickMillis = 100;  // pacing of a runner
// A RUNNING task whose runner has not reported for this long is taken over.
constexpr std::int64_t kMoveTaskLeaseMillis = 5000;
constexpr std::int64_t kMoveTaskSweepMillis = 2000;

}  // namespace

OperationResult SqsService::StartMessageMoveTask(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto source_arn, input::RequiredString(request.input, "SourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto destination_arn, input::OptionalString(request.input, "DestinationArn"));
  MALLARD_ASSIGN_OR_RETURN(auto rate, input::OptionalInt(request.input, "MaxNumberOfMessagesPerSecond"));
  if (rate && (*rate < 1 || *rate > 500)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*rate) +
                                              " for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be "
                                              "between 1 and 500."));
  }
  auto source_key = QueueKeyFromArn(source_arn);
  if (!source_key) return Fail(errors::InvalidParameterValue("Value " + source_arn + " for parameter SourceArn is invalid."));
  auto source = store_->GetQueue(*source_key);
  if (!source) return Fail(errors::ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist."));
  std::optional<QueueKey> destination_key;
  if (destination_arn && !destination_arn->empty()) {
    destination_key = QueueKeyFromArn(*destination_arn);
    if (!destination_key || !store_->GetQueue(*destination_key)) {
      return Fail(errors::ResourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist."));
    }
  }
  // The source must be a dead-letter queue of some queue.
  auto queues = store_->ListQueues(source_key->account_id, source_key->region, "");
  if (!queues) return Fail(ToAwsError(queues.error()));
  bool is_dead_letter_queue = false;
  for (const auto& queue : *queues) {
    auto policy = ParseRedrivePolicy(queue.attributes);
    is_dead_letter_queue = is_dead_letter_queue || (policy && policy->dead_letter_target_arn == source_arn);
  }
  if (!is_dead_letter_queue) {
    return Fail(errors::InvalidParameterValue("Source queue must be configured as a Dead Letter Queue."));
  }
  auto existing = store_->ListMoveTasks(*source_key);
  if (!existing) return Fail(ToAwsError(existing.error()));
  for (const auto& task : *existing) {
    if (task.status == "RUNNING") {
      return Fail(errors::UnsupportedOperation("There is already a task running. Only one active task is allowed for a source queue arn at a given time."));
    }
  }
  auto counts = store_->CountMessages(*source_key, Now());
  if (!counts) return Fail(ToAwsError(counts.error()));
  MoveTask task;
  json::object handle_fields{{"taskId", NewUuid()}, {"sourceArn", source_arn}};
  task.task_handle = Base64Encode(json::serialize(handle_fields));
  task.source_arn = source_arn;
  task.destination_arn = destination_arn.value_or("");
  task.max_per_second = rate.value_or(0);
  task.started_millis = Now();
  task.to_move = counts->visible;
  task.runner = runner_id_;
  task.heartbeat_millis = task.started_millis;
  auto stored = store_->PutMoveTask(*source_key, task);
  if (!stored) return Fail(ToAwsError(stored.error()));
  RunMoveTask(*source_key, destination_key, task);
  Json output;
  output["TaskHandle"] = task.task_handle;
  return output;
}

void SqsService::RunMoveTask(QueueKey source, std::optional<QueueKey> destination, MoveTask initial) {
  initial.runner = runner_id_;
  auto timer = std::make_shared<asio::steady_timer>(runtime_.timers);
  auto step = std::make_shared<std::function<void()>>();
  // One task record shared by every tick, so that progress (messages moved) accumulates.
  auto shared_task = std::make_shared<MoveTask>(std::move(initial));
  // Paced from when this runner started (a resumed task does not catch up on its dead time in a burst).
  const std::int64_t paced_from = std::max(shared_task->started_millis, Now());
  const std::int64_t moved_before = shared_task->moved;
  *step = [this, source, destination, shared_task, timer, step, paced_from, moved_before]() {
    RunStoreWork([this, source, destination, shared_task, timer, step, paced_from, moved_before]() {
      MoveTask& task = *shared_task;
      auto next_tick = [&] {
        timer->expires_after(std::chrono::milliseconds(kTickMillis));
        timer->async_wait([step](boost::system::error_code error) {
          if (!error && *step) (*step)();
        });
      };
      // Reports progress and the heartbeat; false when this runner must stop (the task was taken
      // over after this server looked dead).
      auto report = [&] {
        task.heartbeat_millis = Now();
        auto stored = store_->PutMoveTask(source, task);
        return stored.ok() || stored.error().code != StoreErrc::Conflict;
      };
      bool stop = false;
      {
        std::lock_guard lock(move_tasks_mutex_);
        stop = cancelled_tasks_.erase(task.task_handle) > 0;
      }
      if (!stop) {
        // A cancel or a takeover may have come through another server sharing the store (Redis):
        // the stored task is the truth.
        auto stored = store_->ListMoveTasks(source);
        if (stored) {
          for (const auto& current : *stored) {
            if (current.task_handle != task.task_handle) continue;
            stop = current.status != "RUNNING" || current.runner != runner_id_;
          }
        }
      }
      if (stop) {
        *step = nullptr;
        return;
      }
      // Paced against the runner's start, so that rates below one message per tick hold too.
      std::int64_t batch = task.max_per_second > 0
                               ? std::min<std::int64_t>(1000, task.max_per_second * (Now() - paced_from) / 1000 + 1 -
                                                                  (task.moved - moved_before))
                               : 1000;
      if (batch <= 0) {
        if (!report()) {
          *step = nullptr;
          return;
        }
        next_tick();
        return;
      }
      auto moved = store_->MoveMessages(source, destination, batch, Now());
      if (!moved && moved.error().code == StoreErrc::Unavailable) {
        next_tick();  // the store is away: try again (another server may take the task over meanwhile)
        return;
      }
      if (!moved) {
        task.status = "FAILED";
        task.failure_reason = moved.error().detail.empty() ? "The task failed." : moved.error().detail;
      } else {
        task.moved += *moved;
        auto counts = store_->CountMessages(source, Now());
        bool drained = *moved == 0 && counts && counts->visible == 0;
        if (task.moved >= task.to_move || drained) task.status = "COMPLETED";
      }
      if (!report() || task.status != "RUNNING") {
        *step = nullptr;
        return;
      }
      next_tick();
    });
  };
  asio::post(runtime_.timers, [step] { (*step)(); });
}

void SqsService::ScheduleMoveTaskSweep(std::shared_ptr<asio::steady_timer> timer) {
  // The flag outlives the service: a sweep due after Shutdown sees it cleared and ends the chain.
  auto alive = alive_;
  timer->expires_after(std::chrono::milliseconds(kMoveTaskSweepMillis));
  timer->async_wait([this, alive, timer](boost::system::error_code error) {
    if (error || !*alive) return;
    RunStoreWork([this, alive, timer] {
      if (!*alive) return;
      ResumeOrphanedMoveTasks();
      asio::post(runtime_.timers, [this, alive, timer] {
        if (*alive) ScheduleMoveTaskSweep(timer);
      });
    });
  });
}

void SqsService::ResumeOrphanedMoveTasks() {
  auto sources = store_->ListMoveTaskSources();
  if (!sources) return;
  for (const auto& source : *sources) {
    auto tasks = store_->ListMoveTasks(source);
    if (!tasks) continue;
    for (auto& task : *tasks) {
      const std::int64_t now = Now();
      if (task.status != "RUNNING" || task.heartbeat_millis >= now - kMoveTaskLeaseMillis) continue;
      auto claimed = store_->ClaimMoveTask(source, task.task_handle, runner_id_, now, now - kMoveTaskLeaseMillis);
      if (!claimed || !*claimed) continue;
      spdlog::info("sqs: resuming message move task from {} (its runner stopped reporting)", task.source_arn);
      std::optional<QueueKey> destination;
      if (!task.destination_arn.empty()) destination = QueueKeyFromArn(task.destination_arn);
      task.heartbeat_millis = now;
      RunMoveTask(source, destination, task);
    }
  }
}

OperationResult SqsService::CancelMessageMoveTask(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto handle, input::RequiredString(request.input, "TaskHandle"));
  auto decoded = Base64Decode(handle);
  boost::system::error_code error;
  json::value fields = decoded ? json::parse(*decoded, error) : json::value();
  if (!decoded || error || !fields.is_object() || !fields.as_object().contains("sourceArn")) {
    return Fail(errors::ResourceNotFound("Task does not exist."));
  }
  auto source_key = QueueKeyFromArn(std::string(fields.at("sourceArn").as_string()));
  if (!source_key) return Fail(errors::ResourceNotFound("Task does not exist."));
  auto tasks = store_->ListMoveTasks(*source_key);
  if (!tasks) return Fail(ToAwsError(tasks.error()));
  for (auto task : *tasks) {
    if (task.task_handle != handle) continue;
    if (task.status != "RUNNING") {
      return Fail(errors::UnsupportedOperation("Only active tasks can be cancelled."));
    }
    {
      std::lock_guard lock(move_tasks_mutex_);
      cancelled_tasks_.insert(handle);
    }
    task.status = "CANCELLED";
    auto stored = store_->PutMoveTask(*source_key, task);
    if (!stored) return Fail(ToAwsError(stored.error()));
    Json output;
    output["ApproximateNumberOfMessagesMoved"] = task.moved;
    return output;
  }
  return Fail(errors::ResourceNotFound("Task does not exist."));
}

OperationResult SqsService::ListMessageMoveTasks(const Request& request) {
  MALLARD_ASSIGN_OR_RETURN(auto source_arn, input::RequiredString(request.input, "SourceArn"));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input::OptionalInt(request.input, "MaxResults"));
  if (max_results && (*max_results < 1 || *max_results > 10)) {
    return Fail(errors::InvalidParameterValue("Value " + std::to_string(*max_results) +
                                              " for parameter MaxResults is invalid. Reason: must be between 1 and 10."));
  }
  auto source_key = QueueKeyFromArn(source_arn);
  if (!source_key || !store_->GetQueue(*source_key)) {
    return Fail(errors::ResourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist."));
  }
  auto tasks = store_->ListMoveTasks(*source_key);
  if (!tasks) return Fail(ToAwsError(tasks.error()));
  json::array results;
  for (const auto& task : *tasks) {
    if (results.size() == static_cast<std::size_t>(max_results.value_or(1))) break;
    json::object entry;
    if (task.status == "RUNNING") entry["TaskHandle"] = task.task_handle;
    entry["Status"] = task.status;
    entry["SourceArn"] = task.source_arn;
    if (!task.destination_arn.empty()) entry["DestinationArn"] = task.destination_arn;
    if (task.max_per_second > 0) entry["MaxNumberOfMessagesPerSecond"] = task.max_per_second;
    entry["ApproximateNumberOfMessagesMoved"] = task.moved;
    entry["ApproximateNumberOfMessagesToMove"] = task.to_move;
    if (!task.failure_reason.empty()) entry["FailureReason"] = task.failure_reason;
    entry["StartedTimestamp"] = task.started_millis;
    results.push_back(std::move(entry));
  }
  Json output;
  output["Results"] = std::move(results);
  return output;
}

}  // namespace mallard::sqs

#pragma once
// SqsStore: everything SQS keeps. Each call is a whole, atomic unit of work (receive-and-lock,
// delete-by-receipt, send-with-deduplication, move-to-DLQ), never a reference into store memory,
// so that an implementation on a shared store (Redis) can run it as one script or transaction.
//
// Thread-safety: every method may be called concurrently from any thread.
// Errors: stores return StoreError values (services/kit/store_error.hpp); the service maps them to AWS errors.
// Time: callers pass `now_millis`, so tests can move time without sleeping.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/kit/store_error.hpp"
#include "services/sqs/model/sqs_model.hpp"

namespace mallard::sqs {

enum class StoreErrc : unsigned char {
  NotFound,         // no such queue
  AlreadyExists,    // create: a queue with this name exists (its record is returned separately)
  DeletedRecently,  // create: the name was deleted less than 60 s ago
  PurgeInProgress,  // purge: the previous purge was less than 60 s ago
  InvalidReceipt,   // receipt handle malformed or for another queue
  NotInFlight,      // change visibility: the message is not in flight
  VisibilityLimit,  // change visibility: would end more than 12 h after the receive (detail: seconds asked)
  StaleReceipt,     // receipt of an earlier receive, or (FIFO) past its visibility window
  Conflict,         // a concurrent change won; retry
  Unavailable,      // the store cannot be reached
};

using StoreError = services::kit::StoreError<StoreErrc>;
template <typename T>
using StoreResult = services::kit::StoreResult<T, StoreErrc>;
using services::kit::StoreFail;

struct ReceiveOptions {
  int max_messages = 1;
  std::int64_t visibility_timeout_seconds = 30;
  std::int64_t retention_seconds = 345600;
  std::string request_attempt_id;  // FIFO ReceiveRequestAttemptId ("" = none)
  // Redrive: a message whose receive count would exceed max_receive_count moves to the DLQ.
  std::optional<QueueKey> dead_letter_queue;
  std::int64_t max_receive_count = 0;
};

struct ReceiveOutcome {
  std::vector<ReceivedMessage> messages;
  // When nothing was returned: the earliest time a message may become visible (for long polls).
  std::optional<std::int64_t> next_visible_millis;
};

// A message as it stands, read without receiving it (LocalStack's /_aws/sqs/messages endpoint).
struct PeekedMessage {
  enum class State : unsigned char {
    Visible,   // a receive now could return it
    InFlight,  // received and not yet visible again
    Delayed,   // never received and not visible yet (DelaySeconds)
  };
  StoredMessage message;
  State state = State::Visible;
};

// The state of `message` at `now_millis`, by the rule CountMessages counts with: visible once its
// time has come; otherwise in flight when received at least once, else delayed.
inline PeekedMessage::State PeekedStateOf(const StoredMessage& message, std::int64_t now_millis) {
  if (message.visible_at_millis <= now_millis) return PeekedMessage::State::Visible;
  return message.receive_count > 0 ? PeekedMessage::State::InFlight : PeekedMessage::State::Delayed;
}

struct CreateOutcome {
  bool created = false;
  QueueRecord record;  // the new queue, or the existing one when !created
};

// A queue whole, as a snapshot holds it (services/kit/service_state.hpp): its record, its messages
// in send order with everything the store keeps about each, the FIFO deduplication window and its
// move tasks. Times are absolute (epoch milliseconds), so a delay or visibility deadline keeps its
// moment across a restore.
struct QueueDump {
  QueueRecord record;
  struct Message {
    StoredMessage message;
    std::uint64_t send_order = 0;  // the store's order key: receipts name it, FIFO numbers derive from it
  };
  std::vector<Message> messages;
  std::uint64_t next_send_order = 1;
  struct Deduplication {
    std::string deduplication_id;
    SendResult result;
    std::int64_t expires_millis = 0;
  };
  std::vector<Deduplication> deduplication;
  std::vector<MoveTask> move_tasks;  // newest first
};

// Everything of one account and region.
struct ScopeDump {
  std::vector<QueueDump> queues;  // by name
  // Names deleted in the last 60 s (a create of one fails until then), with the deletion time.
  std::vector<std::pair<std::string, std::int64_t>> recently_deleted;
};

// One change to a queue, as a store that keeps its state in memory reports it for the journal
// (--data-dir) and applies it on replay: the whole new state of what changed, so replaying is
// idempotent and order alone decides the outcome.
struct SqsChange {
  enum class Type : unsigned char {
    kQueue,           // `queue`: the record, next_send_order, deduplication window, move tasks (no messages)
    kQueueRemoved,    // deleted at `when_millis`
    kMessage,         // `message`: its whole state
    kMessageRemoved,  // the message at `send_order` is gone
    kDeduplication,   // `deduplication`: one entry of the window
    kMoveTasks,       // `queue.move_tasks`: the queue's move tasks now
  };
  Type type = Type::kQueue;
  QueueKey key;
  QueueDump queue;
  QueueDump::Message message;
  std::uint64_t send_order = 0;
  QueueDump::Deduplication deduplication;
  std::int64_t when_millis = 0;
};

class SqsStore {
 public:
  virtual ~SqsStore() = default;
  virtual std::string Name() const = 0;

  // Creates the queue unless one of that name exists, in which case the existing record is
  // returned with created=false.
  virtual StoreResult<CreateOutcome> CreateQueue(const QueueRecord& record, std::int64_t now_millis) = 0;
  virtual StoreResult<QueueRecord> GetQueue(const QueueKey& key) = 0;
  virtual StoreResult<Done> DeleteQueue(const QueueKey& key, std::int64_t now_millis) = 0;
  // Names of queues in the account and region, sorted, beginning with `prefix`.
  virtual StoreResult<std::vector<QueueRecord>> ListQueues(const std::string& account_id, const std::string& region,
                                                             const std::string& prefix) = 0;
  // Queues of every account and region, at most `limit` of them (the metrics page): in key order
  // in memory, in SCAN order on Redis.
  virtual StoreResult<std::vector<QueueKey>> ListAllQueues(std::size_t limit) = 0;
  // Applies `mutate` to the queue record atomically (retried on conflict). `mutate` may refuse with
  // an AwsError, which is returned unchanged.
  using QueueMutation = std::function<Status<>(QueueRecord&)>;
  virtual StoreResult<Result<QueueRecord>> UpdateQueue(const QueueKey& key, const QueueMutation& mutate) = 0;

  // Stores messages; on FIFO queues, a deduplication id seen in the last 5 minutes returns the
  // earlier message's id instead of storing again.
  virtual StoreResult<std::vector<SendResult>> SendMessages(const QueueKey& key, std::vector<NewMessage> messages,
                                                              std::int64_t now_millis) = 0;
  virtual StoreResult<ReceiveOutcome> ReceiveMessages(const QueueKey& key, const ReceiveOptions& options,
                                                        std::int64_t now_millis) = 0;
  // On standard queues a receipt of an earlier receive, or of a message already deleted, succeeds
  // without effect; on FIFO queues a receipt past its visibility window is StaleReceipt.
  virtual StoreResult<Done> DeleteMessage(const QueueKey& key, const std::string& receipt_handle,
                                            std::int64_t now_millis) = 0;
  virtual StoreResult<Done> ChangeVisibility(const QueueKey& key, const std::string& receipt_handle,
                                               std::int64_t visibility_timeout_seconds, std::int64_t now_millis) = 0;
  virtual StoreResult<Done> PurgeQueue(const QueueKey& key, std::int64_t now_millis) = 0;
  virtual StoreResult<QueueCounts> CountMessages(const QueueKey& key, std::int64_t now_millis) = 0;
  // Every message of the queue with its state at `now_millis`, in send order (which is also each
  // FIFO group's order), read in one atomic step and changing nothing: no receive count, visibility,
  // receipt token or receive attempt moves. Messages past retention are listed until expired.
  virtual StoreResult<std::vector<PeekedMessage>> PeekMessages(const QueueKey& key, std::int64_t now_millis) = 0;
  // Drops messages older than the queue's retention period.
  virtual StoreResult<std::int64_t> ExpireMessages(const QueueKey& key, std::int64_t retention_seconds,
                                                     std::int64_t now_millis) = 0;

  // Moves up to `limit` visible messages out of `source`, each to `destination` or, when that is
  // empty, to the queue its dead_letter_source_arn names. Returns how many moved.
  virtual StoreResult<std::int64_t> MoveMessages(const QueueKey& source, const std::optional<QueueKey>& destination,
                                                   std::int64_t limit, std::int64_t now_millis) = 0;
  // Stores the task (new ones first; the newest 10 are kept). A cancelled task stays cancelled when
  // its runner reports progress afterwards (only `moved` is taken). A RUNNING report from a runner
  // other than the stored one fails with Conflict: the task was taken over.
  virtual StoreResult<Done> PutMoveTask(const QueueKey& source, const MoveTask& task) = 0;
  // Newest first.
  virtual StoreResult<std::vector<MoveTask>> ListMoveTasks(const QueueKey& source) = 0;
  // Makes `runner` the runner of the RUNNING task `task_handle` if its heartbeat is older than
  // `stale_before_millis`, atomically (one claimant wins); the heartbeat becomes `now_millis`.
  virtual StoreResult<bool> ClaimMoveTask(const QueueKey& source, const std::string& task_handle,
                                            const std::string& runner, std::int64_t now_millis,
                                            std::int64_t stale_before_millis) = 0;
  // The source queues that have a RUNNING task, in any account and region.
  virtual StoreResult<std::vector<QueueKey>> ListMoveTaskSources() = 0;

  // Calls `notify` (from any thread) whenever a message may have become receivable in the queue.
  // The subscription ends when the returned handle is destroyed.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  virtual std::unique_ptr<Subscription> WatchQueue(const QueueKey& key, std::function<void()> notify) = 0;

  // True when every call completes in memory without I/O, so the service may run it inline on a
  // network thread instead of handing it to a worker pool.
  virtual bool IsInline() const = 0;

  virtual void Reset() = 0;

  // ---- Snapshots
  // The scope's queues with their messages, read as of one moment: a message being redriven or
  // moved is in exactly one queue of the dump.
  virtual StoreResult<ScopeDump> ExportScope(const std::string& account_id, const std::string& region) = 0;
  // Replaces the queue named by `dump.record.key` whole (created when absent).
  virtual StoreResult<Done> ImportQueue(const QueueDump& dump) = 0;
  // Marks names as recently deleted at the given times (a restored scope keeps the 60 s rule).
  virtual StoreResult<Done> ImportRecentlyDeleted(const std::string& account_id, const std::string& region,
                                                  const std::vector<std::pair<std::string, std::int64_t>>& names) = 0;
  // Drops every queue, message, move task and deletion mark of the scope.
  virtual StoreResult<Done> ClearScope(const std::string& account_id, const std::string& region) = 0;
  // Scopes with at least one queue, sorted.
  virtual StoreResult<std::vector<std::pair<std::string, std::string>>> ListScopes() = 0;

  // ---- Journaling (--data-dir)
  // A store whose state lives in this process calls `listener` with every change from now on,
  // under its own lock and in the order of the changes, and answers true; a store with its own
  // persistence answers false.
  using ChangeListener = std::function<void(const std::vector<SqsChange>& changes)>;
  virtual bool ReportChanges(ChangeListener listener) {
    (void)listener;
    return false;
  }
  // Replays one reported change.
  virtual StoreResult<Done> ApplyChange(const SqsChange& change) {
    (void)change;
    return StoreFail(StoreErrc::Unavailable, "this SQS store does not replay changes");
  }
};

}  // namespace mallard::sqs

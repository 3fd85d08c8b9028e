#pragma once
// In-memory SqsStore: the default. One mutex per queue (so queues never contend with each
// other) and a shared mutex for the queue directory. Standard queues keep a (visible_at, seq)
// index so a receive costs O(log n) per message; FIFO queues scan in sequence order because group
// locking needs it.
#include <memory>
#include <set>
#include <shared_mutex>

#include "services/sqs/model/sqs_store.hpp"

namespace mallard::sqs {

class MemorySqsStore final : public SqsStore {
 public:
  MemorySqsStore();
  ~MemorySqsStore() override;

  std::string Name() const override { return "memory"; }
  StoreResult<CreateOutcome> CreateQueue(const QueueRecord& record, std::int64_t now_millis) override;
  StoreResult<QueueRecord> GetQueue(const QueueKey& key) override;
  StoreResult<Done> DeleteQueue(const QueueKey& key, std::int64_t now_millis) override;
  StoreResult<std::vector<QueueRecord>> ListQueues(const std::string& account_id, const std::string& region,
                                                     const std::string& prefix) override;
  StoreResult<std::vector<QueueKey>> ListAllQueues(std::size_t limit) override;
  StoreResult<Result<QueueRecord>> UpdateQueue(const QueueKey& key, const QueueMutation& mutate) override;
  StoreResult<std::vector<SendResult>> SendMessages(const QueueKey& key, std::vector<NewMessage> messages,
                                                      std::int64_t now_millis) override;
  StoreResult<ReceiveOutcome> ReceiveMessages(const QueueKey& key, const ReceiveOptions& options,
                                                std::int64_t now_millis) override;
  StoreResult<Done> DeleteMessage(const QueueKey& key, const std::string& receipt_handle,
                                    std::int64_t now_millis) override;
  StoreResult<Done> ChangeVisibility(const QueueKey& key, const std::string& receipt_handle,
                                       std::int64_t visibility_timeout_seconds, std::int64_t now_millis) override;
  StoreResult<Done> PurgeQueue(const QueueKey& key, std::int64_t now_millis) override;
  StoreResult<QueueCounts> CountMessages(const QueueKey& key, std::int64_t now_millis) override;
  StoreResult<std::vector<PeekedMessage>> PeekMessages(const QueueKey& key, std::int64_t now_millis) override;
  StoreResult<std::int64_t> ExpireMessages(const QueueKey& key, std::int64_t retention_seconds,
                                             std::int64_t now_millis) override;
  StoreResult<std::int64_t> MoveMessages(const QueueKey& source, const std::optional<QueueKey>& destination,
                                           std::int64_t limit, std::int64_t now_millis) override;
  StoreResult<Done> PutMoveTask(const QueueKey& source, const MoveTask& task) override;
  StoreResult<std::vector<MoveTask>> ListMoveTasks(const QueueKey& source) override;
  StoreResult<bool> ClaimMoveTask(const QueueKey& source, const std::string& task_handle, const std::string& runner,
                                    std::int64_t now_millis, std::int64_t stale_before_millis) override;
  StoreResult<std::vector<QueueKey>> ListMoveTaskSources() override;
  std::unique_ptr<Subscription> WatchQueue(const QueueKey& key, std::function<void()> notify) override;
  bool IsInline() const override { return true; }
  void Reset() override;
  StoreResult<ScopeDump> ExportScope(const std::string& account_id, const std::string& region) override;
  StoreResult<Done> ImportQueue(const QueueDump& dump) override;
  StoreResult<Done> ImportRecentlyDeleted(const std::string& account_id, const std::string& region,
                                          const std::vector<std::pair<std::string, std::int64_t>>& names) override;
  StoreResult<Done> ClearScope(const std::string& account_id, const std::string& region) override;
  StoreResult<std::vector<std::pair<std::string, std::string>>> ListScopes() override;
  // Set before the store serves (the data directory attaches at start-up).
  bool ReportChanges(ChangeListener listener) override;
  StoreResult<Done> ApplyChange(const SqsChange& change) override;

 private:
  struct Queue;
  std::shared_ptr<Queue> Find(const QueueKey& key);
  // Reports what changed in `queue` since its last report (caller holds its mutex); messages in
  // `held_back` are reported removed later, by the caller, once they are in their new queue.
  // `fresh`: messages just stored, by ascending sequence, as they were packed: moved from there
  // into their reports instead of being unpacked again.
  using FreshMessages = std::vector<std::pair<std::uint64_t, StoredMessage>>;
  void Report(Queue& queue, const std::set<std::uint64_t>* held_back = nullptr, FreshMessages* fresh = nullptr);
  void ReportRemovals(const QueueKey& key, const std::set<std::uint64_t>& sequences);
  void ReportMoveTasks(const QueueKey& key);  // caller holds directory_mutex_
  // Stores already-stored messages (redrive and move) into `key`, keeping their ids.
  StoreResult<Done> Transfer(const QueueKey& key, std::vector<StoredMessage> messages, std::int64_t now_millis,
                               bool into_dead_letter_queue);

  // Held shared while messages travel between queues (redrive into a dead-letter queue, a move
  // task's batch), when they are in neither; an export holds it exclusively, so it never sees a
  // message in both or in none.
  std::shared_mutex transfer_mutex_;
  std::shared_mutex directory_mutex_;
  std::map<QueueKey, std::shared_ptr<Queue>> queues_;
  std::map<QueueKey, std::int64_t> deleted_at_millis_;
  std::map<QueueKey, std::vector<MoveTask>> move_tasks_;
  ChangeListener listener_;  // journaling; empty: no reports
};

}  // namespace mallard::sqs

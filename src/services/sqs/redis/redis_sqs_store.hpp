#pragma once
// RedisSqsStore: SQS state in Redis, shared by every Mallard server pointed at the same Redis
// and key prefix, so that they behave as one service.
//
// - Every operation that reads and then writes is one Lua script (redis_sqs_scripts.hpp), hence
//   atomic across servers: receive-and-lock, delete-by-receipt, FIFO group locking, deduplication,
//   redrive. Queue record updates (which run arbitrary C++) are compare-and-set on a version.
// - Durability is Redis's: with AOF and appendfsync always, a reply means the write is on disk.
// - Calls block on Redis (bounded by the endpoint's timeouts), so IsInline() is false and the
//   service runs them on its worker pool. A Redis that cannot be reached gives Unavailable and the
//   pool reconnects by itself.
// - WatchQueue subscribes to the queue's pub/sub channel, which every script that may make a
//   message receivable publishes to: a send through another server wakes long polls here.
#include <memory>

#include "infra/redis/redis_connection.hpp"
#include "infra/redis/redis_subscriber.hpp"
#include "services/sqs/model/sqs_store.hpp"

namespace mallard::sqs {

class RedisSqsStore final : public SqsStore {
 public:
  // Connects lazily: a Redis that is down at start-up makes calls fail until it is up.
  explicit RedisSqsStore(redis::RedisEndpoint endpoint);
  ~RedisSqsStore() override;

  std::string Name() const override { return "redis"; }
  // One round trip, for start-up diagnostics.
  StoreResult<Done> Ping();

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
  bool IsInline() const override { return false; }
  // Deletes every key under this store's prefix (SCAN + UNLINK) and wakes every watcher, in
  // every server sharing the prefix.
  void Reset() override;
  // Snapshots: ExportScope reads the whole scope in one Lua script (atomic across servers); it and
  // ClearScope find deduplication entries and deletion marks with KEYS (O(all keys), once per
  // call). ImportQueue replaces a queue whole in one script under a new incarnation.
  StoreResult<ScopeDump> ExportScope(const std::string& account_id, const std::string& region) override;
  StoreResult<Done> ImportQueue(const QueueDump& dump) override;
  StoreResult<Done> ImportRecentlyDeleted(const std::string& account_id, const std::string& region,
                                          const std::vector<std::pair<std::string, std::int64_t>>& names) override;
  StoreResult<Done> ClearScope(const std::string& account_id, const std::string& region) override;
  StoreResult<std::vector<std::pair<std::string, std::string>>> ListScopes() override;

 private:
  std::string MetaKey(const QueueKey& key) const;
  std::string QueueKeyPrefix(const std::string& account_id, const std::string& region) const;
  // A set of the source queues with a RUNNING move task, so that servers find orphaned tasks.
  std::string MoveTaskSourcesKey() const;
  std::string MoveTaskSourceMember(const QueueKey& key) const;
  std::string DirectoryKey(const std::string& account_id, const std::string& region) const;
  std::string DeletedMarkerKey(const QueueKey& key) const;
  StoreResult<redis::RedisReply> Script(const redis::RedisScript& script, const std::vector<std::string>& keys,
                                          const std::vector<std::string>& args);
  StoreResult<redis::RedisReply> Command(const std::vector<std::string>& args);

  redis::RedisEndpoint endpoint_;
  std::string prefix_;  // endpoint key prefix + "sqs:"
  redis::RedisPool pool_;
  redis::RedisSubscriber subscriber_;
};

}  // namespace mallard::sqs

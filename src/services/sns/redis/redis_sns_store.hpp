#pragma once
// RedisSnsStore: SNS state in Redis, shared by every Mallard server pointed at the same Redis and
// key prefix, so that they behave as one SNS: a topic created through one server is published to
// through another, and a delivery retry scheduled by a server that then stops is claimed by another
// once its lease runs out.
//
// - Every method is one atomic unit in Redis: a single command, or a Lua script where it reads and
//   then writes (create-only and compare-version puts, deletes, deduplication, claims).
// - Versions come from one counter per store, so a record deleted and created again never matches
//   a version read before the delete (as in the in-memory store).
// - Times are the callers' `now_millis`, never Redis's clock; Redis expiry (PX) only collects
//   deduplication entries after they stopped mattering.
// - A Redis that cannot be reached gives Unavailable (the pool reconnects by itself).
//
// Key layout (P = endpoint key prefix + "sns:"):
//   P r:<c>:<key>   hash v (version), d (document): one record of collection number <c>
//   P i:<c>         zset of collection <c>'s keys, all score 0 (byte-ordered: List and Count)
//   P version       the version counter
//   P s:<channel>   list: the sent-message log of a channel, oldest first
//   P d:<n>:<scope>:<id>  "<expires>\n<message id>": a deduplication id remembered (n = scope's length)
//   P q:<scope>     a FIFO scope's last sequence number
//   P due           zset of delivery task ids by due millis
//   P task          hash: delivery task id → document
#include <string>

#include "infra/redis/redis_connection.hpp"
#include "services/sns/model/sns_store.hpp"

namespace mallard::sns {

class RedisSnsStore final : public SnsStore {
 public:
  // Connects lazily: a Redis that is down at start-up makes calls fail until it is up.
  explicit RedisSnsStore(redis::RedisEndpoint endpoint);
  ~RedisSnsStore() override;

  // One round trip, for start-up diagnostics (redis_store_opening.hpp).
  StoreResult<Done> Ping();

  StoreResult<std::optional<StoredRecord>> Get(Collection collection, const std::string& key) override;
  StoreResult<std::uint64_t> Put(Collection collection, const std::string& key, std::string document,
                                 std::uint64_t expected_version) override;
  StoreResult<Done> Delete(Collection collection, const std::string& key) override;
  StoreResult<std::vector<StoredRecord>> List(Collection collection, const std::string& prefix,
                                              const std::string& after, std::size_t limit) override;
  StoreResult<std::size_t> Count(Collection collection, const std::string& prefix) override;

  StoreResult<Done> AppendSent(const std::string& channel, std::string document) override;
  StoreResult<std::vector<std::string>> ReadSent(const std::string& channel) override;
  StoreResult<Done> ClearSent(const std::string& channel) override;

  StoreResult<std::optional<std::string>> RememberDeduplication(const std::string& scope,
                                                                 const std::string& deduplication_id,
                                                                 const std::string& message_id, std::int64_t now_millis,
                                                                 std::int64_t window_millis) override;
  StoreResult<std::uint64_t> NextSequenceNumber(const std::string& scope) override;

  StoreResult<Done> ScheduleDelivery(DeliveryTask task) override;
  StoreResult<std::vector<DeliveryTask>> ClaimDueDeliveries(std::int64_t now_millis, std::int64_t lease_millis,
                                                            std::size_t limit) override;
  StoreResult<Done> CompleteDelivery(const std::string& id) override;
  StoreResult<std::optional<std::int64_t>> NextDeliveryDue() override;

  StoreResult<StoreExport> ExportAll() override;
  StoreResult<Done> ApplyImport(const StoreImport& changes) override;

  // Deletes every key under this store's prefix (SCAN + UNLINK), and nothing else: SQS and
  // DynamoDB on the same Redis and prefix keep their state.
  void Reset() override;
  std::string Name() const override { return "redis://" + endpoint_.Describe(); }

 private:
  std::string RecordKey(Collection collection, const std::string& key) const;
  std::string IndexKey(Collection collection) const;
  StoreResult<redis::RedisReply> Script(const redis::RedisScript& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args);
  StoreResult<redis::RedisReply> Command(const std::vector<std::string>& args);

  redis::RedisEndpoint endpoint_;
  std::string prefix_;  // endpoint key prefix + "sns:"
  redis::RedisPool pool_;
};

}  // namespace mallard::sns

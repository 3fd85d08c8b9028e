#pragma once
// MemorySnsStore: SnsStore in this process, the default. One mutex over everything: SNS's
// operations touch a record or a short list, so contention is on the lock, never on I/O.
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "services/sns/model/sns_store.hpp"

namespace mallard::sns {

class MemorySnsStore final : public SnsStore {
 public:
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

  void Reset() override;
  std::string Name() const override { return "memory"; }

 private:
  struct Versioned {
    std::string document;
    std::uint64_t version = 0;
  };
  struct Remembered {
    std::string message_id;
    std::int64_t expires_millis = 0;
  };
  using Records = std::map<std::string, Versioned, std::less<>>;

  Records& RecordsOf(Collection collection) { return records_[static_cast<std::size_t>(collection)]; }
  void ForgetExpiredDeduplications(std::int64_t now_millis);

  std::mutex mutex_;
  Records records_[std::size(kAllCollections)];
  std::uint64_t last_version_ = 0;  // versions are unique across the store, so a delete-then-create is never "the same version"
  std::map<std::string, std::vector<std::string>, std::less<>> sent_;
  std::map<std::pair<std::string, std::string>, Remembered> deduplications_;
  std::multimap<std::int64_t, std::pair<std::string, std::string>> dedup_expiry_;  // expiry → (scope, id)
  std::map<std::string, std::uint64_t, std::less<>> sequences_;
  std::map<std::string, DeliveryTask, std::less<>> tasks_;              // by id
  std::set<std::pair<std::int64_t, std::string>> tasks_by_due_;         // (due, id)
};

}  // namespace mallard::sns

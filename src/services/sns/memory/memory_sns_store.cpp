#include "services/sns/memory/memory_sns_store.hpp"

namespace mallard::sns {

StoreResult<std::optional<StoredRecord>> MemorySnsStore::Get(Collection collection, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& records = RecordsOf(collection);
  auto found = records.find(key);
  if (found == records.end()) return std::optional<StoredRecord>();
  return std::optional<StoredRecord>(StoredRecord{key, found->second.document, found->second.version});
}

StoreResult<std::uint64_t> MemorySnsStore::Put(Collection collection, const std::string& key, std::string document,
                                               std::uint64_t expected_version) {
  std::lock_guard lock(mutex_);
  auto& records = RecordsOf(collection);
  auto found = records.find(key);
  if (expected_version == 0) {
    if (found != records.end()) return StoreFail(StoreErrc::AlreadyExists);
    found = records.emplace(key, Versioned{}).first;
  } else {
    if (found == records.end()) return StoreFail(StoreErrc::NotFound);
    if (found->second.version != expected_version) return StoreFail(StoreErrc::Conflict);
  }
  found->second.document = std::move(document);
  found->second.version = ++last_version_;
  return found->second.version;
}

StoreResult<Done> MemorySnsStore::Delete(Collection collection, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& records = RecordsOf(collection);
  auto found = records.find(key);
  if (found == records.end()) return StoreFail(StoreErrc::NotFound);
  records.erase(found);
  return Done{};
}

StoreResult<std::vector<StoredRecord>> MemorySnsStore::List(Collection collection, const std::string& prefix,
                                                            const std::string& after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto& records = RecordsOf(collection);
  std::vector<StoredRecord> page;
  auto it = after.empty() || after < prefix ? records.lower_bound(prefix) : records.upper_bound(after);
  for (; it != records.end() && page.size() < limit; ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    page.push_back(StoredRecord{it->first, it->second.document, it->second.version});
  }
  return page;
}

StoreResult<std::size_t> MemorySnsStore::Count(Collection collection, const std::string& prefix) {
  std::lock_guard lock(mutex_);
  auto& records = RecordsOf(collection);
  std::size_t count = 0;
  for (auto it = records.lower_bound(prefix); it != records.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    ++count;
  }
  return count;
}

StoreResult<Done> MemorySnsStore::AppendSent(const std::string& channel, std::string document) {
  std::lock_guard lock(mutex_);
  sent_[channel].push_back(std::move(document));
  return Done{};
}

StoreResult<std::vector<std::string>> MemorySnsStore::ReadSent(const std::string& channel) {
  std::lock_guard lock(mutex_);
  auto found = sent_.find(channel);
  if (found == sent_.end()) return std::vector<std::string>();
  return found->second;
}

StoreResult<Done> MemorySnsStore::ClearSent(const std::string& channel) {
  std::lock_guard lock(mutex_);
  sent_.erase(channel);
  return Done{};
}

void MemorySnsStore::ForgetExpiredDeduplications(std::int64_t now_millis) {
  while (!dedup_expiry_.empty() && dedup_expiry_.begin()->first <= now_millis) {
    auto key = dedup_expiry_.begin()->second;
    // Only when this expiry is the entry's current one (a later remember may have replaced it).
    auto found = deduplications_.find(key);
    if (found != deduplications_.end() && found->second.expires_millis <= now_millis) deduplications_.erase(found);
    dedup_expiry_.erase(dedup_expiry_.begin());
  }
}

StoreResult<std::optional<std::string>> MemorySnsStore::RememberDeduplication(const std::string& scope,
                                                                               const std::string& deduplication_id,
                                                                               const std::string& message_id,
                                                                               std::int64_t now_millis,
                                                                               std::int64_t window_millis) {
  std::lock_guard lock(mutex_);
  ForgetExpiredDeduplications(now_millis);
  auto key = std::make_pair(scope, deduplication_id);
  auto found = deduplications_.find(key);
  if (found != deduplications_.end() && found->second.expires_millis > now_millis) {
    return std::optional<std::string>(found->second.message_id);
  }
  std::int64_t expires = now_millis + window_millis;
  deduplications_[key] = Remembered{message_id, expires};
  dedup_expiry_.emplace(expires, key);
  return std::optional<std::string>();
}

StoreResult<std::uint64_t> MemorySnsStore::NextSequenceNumber(const std::string& scope) {
  std::lock_guard lock(mutex_);
  return ++sequences_[scope];
}

StoreResult<Done> MemorySnsStore::ScheduleDelivery(DeliveryTask task) {
  std::lock_guard lock(mutex_);
  if (auto found = tasks_.find(task.id); found != tasks_.end()) {
    tasks_by_due_.erase({found->second.due_millis, found->first});
    tasks_.erase(found);
  }
  tasks_by_due_.emplace(task.due_millis, task.id);
  std::string id = task.id;
  tasks_.emplace(std::move(id), std::move(task));
  return Done{};
}

StoreResult<std::vector<DeliveryTask>> MemorySnsStore::ClaimDueDeliveries(std::int64_t now_millis,
                                                                          std::int64_t lease_millis, std::size_t limit) {
  std::lock_guard lock(mutex_);
  // The due tasks are chosen first and leased after, so a lease that ends at once (zero or less)
  // cannot hand the same task out twice in one claim.
  std::vector<DeliveryTask> claimed;
  for (auto it = tasks_by_due_.begin(); claimed.size() < limit && it != tasks_by_due_.end() && it->first <= now_millis; ++it) {
    claimed.push_back(tasks_.at(it->second));  // as it was scheduled (its due time is the one it was claimed at)
  }
  for (const auto& task : claimed) {
    tasks_by_due_.erase({task.due_millis, task.id});
    tasks_.at(task.id).due_millis = now_millis + lease_millis;
    tasks_by_due_.emplace(now_millis + lease_millis, task.id);
  }
  return claimed;
}

StoreResult<Done> MemorySnsStore::CompleteDelivery(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto found = tasks_.find(id); found != tasks_.end()) {
    tasks_by_due_.erase({found->second.due_millis, found->first});
    tasks_.erase(found);
  }
  return Done{};
}

StoreResult<std::optional<std::int64_t>> MemorySnsStore::NextDeliveryDue() {
  std::lock_guard lock(mutex_);
  if (tasks_by_due_.empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(tasks_by_due_.begin()->first);
}

void MemorySnsStore::Reset() {
  std::lock_guard lock(mutex_);
  for (auto& records : records_) records.clear();
  sent_.clear();
  deduplications_.clear();
  dedup_expiry_.clear();
  sequences_.clear();
  tasks_.clear();
  tasks_by_due_.clear();
}

}  // namespace mallard::sns

namespace mallard::sns {

StoreResult<StoreExport> MemorySnsStore::ExportAll() {
  std::lock_guard lock(mutex_);
  StoreExport exported;
  for (Collection collection : kAllCollections) {
    for (const auto& [key, record] : RecordsOf(collection)) {
      exported.records.emplace_back(collection, StoredRecord{key, record.document, record.version});
    }
  }
  for (const char* channel : kSentChannels) {
    if (auto found = sent_.find(channel); found != sent_.end()) exported.sent[channel] = found->second;
  }
  for (const auto& [key, record] : RecordsOf(Collection::Topic)) {
    if (auto found = sequences_.find(key); found != sequences_.end()) exported.sequences[key] = found->second;
  }
  return exported;
}

StoreResult<Done> MemorySnsStore::ApplyImport(const StoreImport& changes) {
  std::lock_guard lock(mutex_);
  for (const auto& [collection, key] : changes.remove) {
    auto& records = RecordsOf(collection);
    if (auto found = records.find(key); found != records.end()) records.erase(found);
  }
  for (const auto& [collection, entry] : changes.put) {
    RecordsOf(collection)[entry.first] = Versioned{entry.second, ++last_version_};
  }
  for (const auto& [channel, documents] : changes.sent) {
    if (documents.empty()) {
      sent_.erase(channel);
    } else {
      sent_[channel] = documents;
    }
  }
  for (const auto& [scope, value] : changes.sequences) {
    if (value) {
      sequences_[scope] = *value;
    } else if (auto found = sequences_.find(scope); found != sequences_.end()) {
      sequences_.erase(found);
    }
  }
  return Done{};
}

}  // namespace mallard::sns

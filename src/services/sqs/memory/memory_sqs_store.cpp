#include "services/sqs/memory/memory_sqs_store.hpp"

#include <algorithm>
#include <cinttypes>
#include <list>
#include <mutex>
#include <limits>
#include <set>
#include <unordered_map>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "services/sqs/memory/packed_message.hpp"

namespace mallard::sqs {
namespace {

constexpr std::int64_t kDeduplicationWindowMillis = 5 * 60 * 1000;
constexpr std::int64_t kRecreateDelayMillis = 60 * 1000;
constexpr std::int64_t kPurgeIntervalMillis = 60 * 1000;
constexpr std::uint64_t kSequenceBase = 18000000000000000000ULL;

struct Receipt {
  std::uint64_t sequence = 0;
  std::string token;
  std::string message_id;
};

std::string EncodeReceipt(std::uint64_t sequence, const std::string& token, const std::string& message_id) {
  return Base64Encode("mallard-rh:" + std::to_string(sequence) + ":" + token + ":" + message_id);
}

std::optional<Receipt> DecodeReceipt(const std::string& handle) {
  auto decoded = Base64Decode(handle);
  if (!decoded || decoded->rfind("mallard-rh:", 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(*decoded).substr(11);
  auto first = rest.find(':');
  auto second = first == std::string_view::npos ? first : rest.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  Receipt receipt;
  try {
    receipt.sequence = std::stoull(std::string(rest.substr(0, first)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  receipt.token = std::string(rest.substr(first + 1, second - first - 1));
  receipt.message_id = std::string(rest.substr(second + 1));
  return receipt;
}

}  // namespace

struct MemorySqsStore::Queue {
  std::mutex mutex;
  QueueRecord record;
  std::uint64_t next_sequence = 1;
  // Each message is one PackedMessage linked into all three orders; the queue owns them (freed by
  // Erase, Clear and the destructor).
  MessagesBySequence messages;  // send order
  MessagesByVisibility by_visibility;
  // Messages moved in from a source queue are not the newest to expire.
  MessagesByRetentionStart by_retention_start;
  struct Dedup {
    SendResult result;
    std::int64_t expires_millis;
  };
  std::unordered_map<std::string, Dedup> deduplication;
  // FIFO ReceiveRequestAttemptId: a retried receive gets the same messages and receipt handles.
  struct Attempt {
    std::vector<std::pair<std::uint64_t, std::string>> received;  // (sequence, receipt token)
    std::int64_t expires_millis;
  };
  std::unordered_map<std::string, Attempt> attempts;
  std::list<std::function<void()>> watchers;
  // What changed since the last report to the journal (MemorySqsStore::Report).
  std::vector<std::uint64_t> touched;
  std::vector<std::string> deduplication_touched;
  bool record_touched = false;

  Queue() = default;
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  ~Queue() { Clear(); }

  PackedMessage* FindMessage(std::uint64_t sequence) {
    auto found = messages.find(sequence, BySequence());
    return found == messages.end() ? nullptr : &*found;
  }
  // A new message almost always sorts last in all three (a new sequence number, the latest
  // visibility and retention times): inserting with the end as the hint skips a descent through
  // the tree, a cache miss per level in a long queue. A wrong hint only costs the usual insert.
  // A sequence already stored keeps its message (as a restore of a duplicated entry would).
  void Insert(const StoredMessage& message, std::uint64_t sequence) {
    auto owned = PackedMessage::Create(message, sequence);
    if (&*messages.insert(messages.end(), *owned) != owned.get()) return;  // freed here, never linked
    auto* packed = owned.release();  // the queue's now
    touched.push_back(sequence);
    by_visibility.insert(by_visibility.end(), *packed);
    by_retention_start.insert(by_retention_start.end(), *packed);
  }
  void Erase(PackedMessage& message) {
    touched.push_back(message.sequence());
    by_visibility.erase(by_visibility.iterator_to(message));
    by_retention_start.erase(by_retention_start.iterator_to(message));
    messages.erase(messages.iterator_to(message));
    DestroyPackedMessage(&message);
  }
  // Every message, without reporting them.
  void Clear() {
    by_visibility.clear();
    by_retention_start.clear();
    messages.clear_and_dispose(DestroyPackedMessage);
  }
  void SetVisibleAt(PackedMessage& message, std::int64_t visible_at) {
    touched.push_back(message.sequence());
    by_visibility.erase(by_visibility.iterator_to(message));
    message.visible_at_millis = visible_at;
    by_visibility.insert(by_visibility.end(), message);
  }
  std::int64_t Expire(std::int64_t retention_seconds, std::int64_t now) {
    std::int64_t expired = 0;
    while (!by_retention_start.empty() &&
           by_retention_start.begin()->retention_start_millis + retention_seconds * 1000 <= now) {
      Erase(*by_retention_start.begin());
      ++expired;
    }
    return expired;
  }
  void Notify() {
    for (auto& watcher : watchers) watcher();
  }
  // Gives `message` its sequence (and, FIFO, its sequence number) and stores it.
  std::uint64_t Store(StoredMessage& message) {
    auto sequence = next_sequence++;
    if (record.fifo) {
      char buffer[24];
      std::snprintf(buffer, sizeof buffer, "%020" PRIu64, kSequenceBase + sequence);
      message.sequence_number = buffer;
    }
    Insert(message, sequence);
    return sequence;
  }
};

class WatchHandle final : public SqsStore::Subscription {
 public:
  WatchHandle(std::weak_ptr<void> queue, std::mutex* mutex, std::list<std::function<void()>>* watchers,
              std::list<std::function<void()>>::iterator position)
      : queue_(std::move(queue)), mutex_(mutex), watchers_(watchers), position_(position) {}
  ~WatchHandle() override {
    if (auto alive = queue_.lock()) {
      std::lock_guard lock(*mutex_);
      watchers_->erase(position_);
    }
  }

 private:
  std::weak_ptr<void> queue_;
  std::mutex* mutex_;
  std::list<std::function<void()>>* watchers_;
  std::list<std::function<void()>>::iterator position_;
};

class NoopSubscription final : public SqsStore::Subscription {};

MemorySqsStore::MemorySqsStore() = default;
MemorySqsStore::~MemorySqsStore() = default;

std::shared_ptr<MemorySqsStore::Queue> MemorySqsStore::Find(const QueueKey& key) {
  std::shared_lock lock(directory_mutex_);
  auto found = queues_.find(key);
  return found == queues_.end() ? nullptr : found->second;
}

StoreResult<CreateOutcome> MemorySqsStore::CreateQueue(const QueueRecord& record, std::int64_t now_millis) {
  std::unique_lock lock(directory_mutex_);
  if (auto existing = queues_.find(record.key); existing != queues_.end()) {
    std::lock_guard queue_lock(existing->second->mutex);
    return CreateOutcome{false, existing->second->record};
  }
  if (auto deleted = deleted_at_millis_.find(record.key); deleted != deleted_at_millis_.end()) {
    if (now_millis - deleted->second < kRecreateDelayMillis) return StoreFail(StoreErrc::DeletedRecently, record.key.name);
    deleted_at_millis_.erase(deleted);
  }
  auto queue = std::make_shared<Queue>();
  queue->record = record;
  queues_.emplace(record.key, queue);
  std::lock_guard queue_lock(queue->mutex);
  queue->record_touched = true;
  Report(*queue);
  return CreateOutcome{true, record};
}

StoreResult<QueueRecord> MemorySqsStore::GetQueue(const QueueKey& key) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::lock_guard lock(queue->mutex);
  return queue->record;
}

StoreResult<Done> MemorySqsStore::DeleteQueue(const QueueKey& key, std::int64_t now_millis) {
  std::shared_ptr<Queue> removed;
  {
    std::unique_lock lock(directory_mutex_);
    auto found = queues_.find(key);
    if (found == queues_.end()) return StoreFail(StoreErrc::NotFound);
    removed = std::move(found->second);
    queues_.erase(found);
    // Marks older than the 60 s rule block nothing: dropped here, so they do not pile up.
    std::erase_if(deleted_at_millis_,
                  [&](const auto& entry) { return now_millis - entry.second >= kRecreateDelayMillis; });
    deleted_at_millis_[key] = now_millis;
    move_tasks_.erase(key);
    if (listener_) {
      SqsChange change;
      change.type = SqsChange::Type::kQueueRemoved;
      change.key = key;
      change.when_millis = now_millis;
      listener_({change});
    }
  }
  std::lock_guard lock(removed->mutex);
  removed->Notify();  // waiting receives see the queue is gone
  return Done{};
}

StoreResult<std::vector<QueueKey>> MemorySqsStore::ListAllQueues(std::size_t limit) {
  std::vector<QueueKey> keys;
  std::shared_lock lock(directory_mutex_);
  for (const auto& [key, queue] : queues_) {
    if (keys.size() >= limit) break;
    keys.push_back(key);
  }
  return keys;
}

StoreResult<std::vector<QueueRecord>> MemorySqsStore::ListQueues(const std::string& account_id,
                                                                     const std::string& region,
                                                                     const std::string& prefix) {
  std::vector<std::shared_ptr<Queue>> matching;
  {
    std::shared_lock lock(directory_mutex_);
    for (auto it = queues_.lower_bound(QueueKey{account_id, region, prefix}); it != queues_.end(); ++it) {
      if (it->first.account_id != account_id || it->first.region != region ||
          it->first.name.compare(0, prefix.size(), prefix) != 0) {
        break;
      }
      matching.push_back(it->second);
    }
  }
  std::vector<QueueRecord> records;
  records.reserve(matching.size());
  for (auto& queue : matching) {
    std::lock_guard lock(queue->mutex);
    records.push_back(queue->record);
  }
  return records;
}

StoreResult<Result<QueueRecord>> MemorySqsStore::UpdateQueue(const QueueKey& key, const QueueMutation& mutate) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::lock_guard lock(queue->mutex);
  QueueRecord copy = queue->record;
  auto status = mutate(copy);
  if (!status) return Result<QueueRecord>(Fail(std::move(status).error()));
  queue->record = copy;
  queue->record_touched = true;
  Report(*queue);
  return Result<QueueRecord>(std::move(copy));
}

StoreResult<std::vector<SendResult>> MemorySqsStore::SendMessages(const QueueKey& key, std::vector<NewMessage> messages,
                                                                      std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::vector<SendResult> results;
  results.reserve(messages.size());
  FreshMessages fresh;  // only with a listener: what Report sends to the journal
  std::lock_guard lock(queue->mutex);
  bool visible_now = false;
  bool group_scope = queue->record.attributes.count("DeduplicationScope") &&
                     queue->record.attributes.at("DeduplicationScope") == "messageGroup";
  for (auto& message : messages) {
    std::string dedup_key;
    if (queue->record.fifo) {
      dedup_key = group_scope ? message.group_id + "\n" + message.deduplication_id : message.deduplication_id;
      auto found = queue->deduplication.find(dedup_key);
      if (found != queue->deduplication.end() && found->second.expires_millis > now_millis) {
        results.push_back(found->second.result);
        continue;
      }
    }
    StoredMessage stored;
    stored.message_id = NewUuid();
    stored.sent_millis = now_millis;
    stored.retention_start_millis = now_millis;
    stored.visible_at_millis = now_millis + message.delay_seconds * 1000;
    visible_now = visible_now || message.delay_seconds == 0;
    stored.content = std::move(message);
    auto sequence = queue->Store(stored);
    SendResult result;
    if (listener_) {  // the journal takes the message whole, so the answer copies its id
      result = {stored.message_id, stored.sequence_number};
      fresh.emplace_back(sequence, std::move(stored));
    } else {
      result = {std::move(stored.message_id), std::move(stored.sequence_number)};
    }
    if (queue->record.fifo) {
      queue->deduplication[dedup_key] = Queue::Dedup{result, now_millis + kDeduplicationWindowMillis};
      queue->deduplication_touched.push_back(dedup_key);
    }
    results.push_back(std::move(result));
  }
  if (queue->record.fifo && queue->deduplication.size() > 1024) {
    std::erase_if(queue->deduplication, [now_millis](const auto& entry) { return entry.second.expires_millis <= now_millis; });
  }
  Report(*queue, nullptr, &fresh);
  if (visible_now) queue->Notify();
  return results;
}

StoreResult<ReceiveOutcome> MemorySqsStore::ReceiveMessages(const QueueKey& key, const ReceiveOptions& options,
                                                                std::int64_t now_millis) {
  // Only a receive that may redrive moves messages between queues.
  std::shared_lock<std::shared_mutex> travelling;
  if (options.dead_letter_queue) travelling = std::shared_lock(transfer_mutex_);
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  ReceiveOutcome outcome;
  std::vector<StoredMessage> dead_letters;
  std::set<std::uint64_t> redriven;  // reported removed once they are in the dead-letter queue
  {
    std::lock_guard lock(queue->mutex);
    // Reports this receive's changes however it leaves the block.
    struct ReportOnExit {
      MemorySqsStore* store;
      Queue& queue;
      const std::set<std::uint64_t>* held_back;
      ~ReportOnExit() { store->Report(queue, held_back); }
    } report_on_exit{this, *queue, &redriven};
    queue->Expire(options.retention_seconds, now_millis);
    auto visibility_millis = options.visibility_timeout_seconds * 1000;
    auto should_redrive = [&](const PackedMessage& message) {
      return options.dead_letter_queue && options.max_receive_count > 0 &&
             message.receive_count >= options.max_receive_count;
    };
    if (!options.request_attempt_id.empty()) {
      std::erase_if(queue->attempts, [now_millis](const auto& entry) { return entry.second.expires_millis <= now_millis; });
      auto attempt = queue->attempts.find(options.request_attempt_id);
      if (attempt != queue->attempts.end()) {
        bool unchanged = true;
        for (const auto& [sequence, token] : attempt->second.received) {
          auto* message = queue->FindMessage(sequence);
          unchanged = unchanged && message != nullptr && message->ReceiptToken() == token &&
                      message->visible_at_millis > now_millis;
        }
        if (unchanged) {
          for (const auto& [sequence, token] : attempt->second.received) {
            auto message = queue->FindMessage(sequence)->Unpack();
            auto receipt = EncodeReceipt(sequence, token, message.message_id);
            outcome.messages.push_back(ReceivedMessage{std::move(message), std::move(receipt)});
          }
          return outcome;
        }
        queue->attempts.erase(attempt);
      }
    }
    auto deliver = [&](PackedMessage& packed) {
      packed.receive_count += 1;
      if (packed.first_receive_millis == 0) packed.first_receive_millis = now_millis;
      packed.last_receive_millis = now_millis;
      packed.SetReceiptToken(RandomAlnum(PackedMessage::kReceiptTokenSize));
      queue->SetVisibleAt(packed, now_millis + visibility_millis);
      auto message = packed.Unpack();
      auto receipt = EncodeReceipt(packed.sequence(), message.receipt_token, message.message_id);
      outcome.messages.push_back(ReceivedMessage{std::move(message), std::move(receipt)});
    };
    auto redrive = [&](PackedMessage& packed) {
      redriven.insert(packed.sequence());
      dead_letters.push_back(packed.Unpack());
      queue->Erase(packed);
    };
    if (!queue->record.fifo) {
      // Walk the visible messages in order with a cursor: a delivered message is re-indexed (with
      // a zero visibility timeout, still visible now), and must not come round again in this receive.
      std::set<std::uint64_t> delivered;
      std::optional<TimeAndSequence> cursor;
      while (static_cast<int>(outcome.messages.size()) < options.max_messages) {
        auto next = cursor ? queue->by_visibility.upper_bound(*cursor, ByVisibility())
                           : queue->by_visibility.begin();
        if (next == queue->by_visibility.end() || next->visible_at_millis > now_millis) break;
        cursor = ByVisibility::KeyOf(*next);
        auto& message = *next;
        if (delivered.count(message.sequence())) continue;
        if (should_redrive(message)) {
          redrive(message);
          continue;
        }
        delivered.insert(message.sequence());
        deliver(message);
      }
    } else {
      std::set<std::string, std::less<>> blocked_groups;
      for (auto it = queue->messages.begin();
           it != queue->messages.end() && static_cast<int>(outcome.messages.size()) < options.max_messages;) {
        auto& message = *it++;
        auto group = message.GroupId();
        if (blocked_groups.contains(group)) continue;
        if (message.visible_at_millis > now_millis) {
          blocked_groups.emplace(group);  // in flight or delayed: later messages of the group wait
          continue;
        }
        if (should_redrive(message)) {
          redrive(message);
          continue;
        }
        deliver(message);
      }
    }
    if (!options.request_attempt_id.empty() && !outcome.messages.empty()) {
      Queue::Attempt attempt{{}, now_millis + kDeduplicationWindowMillis};
      for (const auto& received : outcome.messages) {
        auto receipt = DecodeReceipt(received.receipt_handle);
        attempt.received.emplace_back(receipt->sequence, receipt->token);
      }
      queue->attempts[options.request_attempt_id] = std::move(attempt);
    }
    if (outcome.messages.empty()) {
      // The next change that could let a receive succeed: a message becoming visible after now.
      // (A visible FIFO message behind an in-flight group head waits for that head, so the
      // earliest entry, which may lie in the past, would make long polls spin.)
      auto next = queue->by_visibility.upper_bound(TimeAndSequence{now_millis, std::numeric_limits<std::uint64_t>::max()},
                                                   ByVisibility());
      if (next != queue->by_visibility.end()) outcome.next_visible_millis = next->visible_at_millis;
    }
  }
  if (!dead_letters.empty()) {
    for (auto& message : dead_letters) {
      message.content.dead_letter_source_arn = key.Arn();
      message.receive_count = 0;
      message.first_receive_millis = 0;
      message.receipt_token.clear();
    }
    (void)Transfer(*options.dead_letter_queue, std::move(dead_letters), now_millis, /*into_dead_letter_queue=*/true);
    // After the copies in the dead-letter queue: a crash in between leaves a message in both
    // (at least once), never in neither.
    ReportRemovals(key, redriven);
  }
  return outcome;
}

StoreResult<Done> MemorySqsStore::Transfer(const QueueKey& key, std::vector<StoredMessage> messages,
                                               std::int64_t now_millis, bool into_dead_letter_queue) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound, "The destination queue " + key.Arn() + " does not exist.");
  std::lock_guard lock(queue->mutex);
  for (auto& message : messages) {
    message.visible_at_millis = now_millis;
    if (into_dead_letter_queue && queue->record.fifo) message.retention_start_millis = now_millis;
    queue->Store(message);
  }
  Report(*queue);
  queue->Notify();
  return Done{};
}

StoreResult<Done> MemorySqsStore::DeleteMessage(const QueueKey& key, const std::string& receipt_handle,
                                                    std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  auto receipt = DecodeReceipt(receipt_handle);
  if (!receipt) return StoreFail(StoreErrc::InvalidReceipt, receipt_handle);
  std::lock_guard lock(queue->mutex);
  auto* message = queue->FindMessage(receipt->sequence);
  if (message == nullptr) return Done{};  // already deleted
  if (message->MessageId() != receipt->message_id) return StoreFail(StoreErrc::InvalidReceipt, receipt_handle);
  bool current = message->ReceiptToken() == receipt->token;
  // FIFO queues refuse a receipt whose visibility window is over; standard queues accept a receipt
  // of an earlier receive and do nothing, as SQS documents.
  if (queue->record.fifo && (!current || message->visible_at_millis <= now_millis)) {
    return StoreFail(StoreErrc::StaleReceipt, receipt_handle);
  }
  if (!current) return Done{};
  bool was_blocking_group = queue->record.fifo;
  queue->Erase(*message);
  Report(*queue);
  if (was_blocking_group) queue->Notify();
  return Done{};
}

StoreResult<Done> MemorySqsStore::ChangeVisibility(const QueueKey& key, const std::string& receipt_handle,
                                                       std::int64_t visibility_timeout_seconds, std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  auto receipt = DecodeReceipt(receipt_handle);
  if (!receipt) return StoreFail(StoreErrc::InvalidReceipt, receipt_handle);
  std::lock_guard lock(queue->mutex);
  auto* found = queue->FindMessage(receipt->sequence);
  if (found == nullptr || found->MessageId() != receipt->message_id) {
    return StoreFail(StoreErrc::InvalidReceipt, receipt_handle);
  }
  auto& message = *found;
  if (message.receive_count == 0 || message.visible_at_millis <= now_millis) return StoreFail(StoreErrc::NotInFlight);
  if (message.ReceiptToken() != receipt->token) return StoreFail(StoreErrc::StaleReceipt, receipt_handle);
  constexpr std::int64_t kMaxInFlightMillis = 43200 * 1000;
  if (now_millis + visibility_timeout_seconds * 1000 - message.last_receive_millis > kMaxInFlightMillis) {
    return StoreFail(StoreErrc::VisibilityLimit, std::to_string(visibility_timeout_seconds));
  }
  queue->SetVisibleAt(message, now_millis + visibility_timeout_seconds * 1000);
  Report(*queue);
  if (visibility_timeout_seconds == 0) queue->Notify();
  return Done{};
}

StoreResult<Done> MemorySqsStore::PurgeQueue(const QueueKey& key, std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::lock_guard lock(queue->mutex);
  if (queue->record.last_purge_millis != 0 && now_millis - queue->record.last_purge_millis < kPurgeIntervalMillis) {
    return StoreFail(StoreErrc::PurgeInProgress, key.Arn());
  }
  queue->record.last_purge_millis = now_millis;
  queue->record_touched = true;
  for (const auto& message : queue->messages) queue->touched.push_back(message.sequence());
  queue->Clear();
  Report(*queue);
  return Done{};
}

StoreResult<QueueCounts> MemorySqsStore::CountMessages(const QueueKey& key, std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::lock_guard lock(queue->mutex);
  QueueCounts counts;
  for (const auto& message : queue->messages) {
    if (message.visible_at_millis <= now_millis) {
      ++counts.visible;
    } else if (message.receive_count > 0) {
      ++counts.in_flight;
    } else {
      ++counts.delayed;
    }
  }
  return counts;
}

StoreResult<std::vector<PeekedMessage>> MemorySqsStore::PeekMessages(const QueueKey& key, std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::lock_guard lock(queue->mutex);
  std::vector<PeekedMessage> peeked;
  peeked.reserve(queue->messages.size());
  // `messages` is keyed by sequence: send order, and so each FIFO group's order too.
  for (const auto& packed : queue->messages) {
    auto message = packed.Unpack();
    auto state = PeekedStateOf(message, now_millis);
    peeked.push_back(PeekedMessage{std::move(message), state});
  }
  return peeked;
}

StoreResult<std::int64_t> MemorySqsStore::ExpireMessages(const QueueKey& key, std::int64_t retention_seconds,
                                                             std::int64_t now_millis) {
  auto queue = Find(key);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::lock_guard lock(queue->mutex);
  auto expired = queue->Expire(retention_seconds, now_millis);
  Report(*queue);
  return expired;
}

StoreResult<std::int64_t> MemorySqsStore::MoveMessages(const QueueKey& source, const std::optional<QueueKey>& destination,
                                                           std::int64_t limit, std::int64_t now_millis) {
  std::shared_lock travelling(transfer_mutex_);
  auto queue = Find(source);
  if (!queue) return StoreFail(StoreErrc::NotFound);
  std::vector<StoredMessage> taken;
  std::set<std::uint64_t> taken_sequences;  // reported removed once they are in their new queues
  {
    std::lock_guard lock(queue->mutex);
    for (auto it = queue->messages.begin(); it != queue->messages.end() && static_cast<std::int64_t>(taken.size()) < limit;) {
      auto& message = *it++;
      if (message.visible_at_millis > now_millis) continue;
      taken_sequences.insert(message.sequence());
      taken.push_back(message.Unpack());
      queue->Erase(message);
    }
    Report(*queue, &taken_sequences);
  }
  std::int64_t moved = 0;
  std::map<QueueKey, std::vector<StoredMessage>> by_destination;
  std::vector<StoredMessage> unroutable;
  for (auto& message : taken) {
    std::optional<QueueKey> target = destination;
    if (!target) {
      // arn:aws:sqs:REGION:ACCOUNT:NAME
      const auto& arn = message.content.dead_letter_source_arn;
      std::vector<std::string> parts;
      std::size_t start = 0;
      for (std::size_t colon; (colon = arn.find(':', start)) != std::string::npos; start = colon + 1) {
        parts.push_back(arn.substr(start, colon - start));
      }
      parts.push_back(arn.substr(start));
      if (parts.size() == 6) target = QueueKey{parts[4], parts[3], parts[5]};
    }
    message.receive_count = 0;
    message.first_receive_millis = 0;
    message.receipt_token.clear();
    message.content.dead_letter_source_arn.clear();
    if (!target || !Find(*target)) {
      unroutable.push_back(std::move(message));
    } else {
      by_destination[*target].push_back(std::move(message));
    }
  }
  for (auto& [target, messages] : by_destination) {
    auto count = static_cast<std::int64_t>(messages.size());
    if (Transfer(target, std::move(messages), now_millis, /*into_dead_letter_queue=*/false)) moved += count;
  }
  if (!unroutable.empty()) {
    {
      std::lock_guard lock(queue->mutex);
      for (auto& message : unroutable) queue->Store(message);
      Report(*queue);
    }
    ReportRemovals(source, taken_sequences);
    return StoreFail(StoreErrc::NotFound, "The message's original source queue no longer exists.");
  }
  ReportRemovals(source, taken_sequences);
  return moved;
}

StoreResult<Done> MemorySqsStore::PutMoveTask(const QueueKey& source, const MoveTask& task) {
  std::unique_lock lock(directory_mutex_);
  auto& tasks = move_tasks_[source];
  for (auto& existing : tasks) {
    if (existing.task_handle == task.task_handle) {
      // A cancelled task stays cancelled even if its runner writes progress afterwards.
      if (existing.status == "CANCELLED" && task.status == "RUNNING") {
        existing.moved = task.moved;
        ReportMoveTasks(source);
        return Done{};
      }
      if (existing.status == "RUNNING" && existing.runner != task.runner) {
        return StoreFail(StoreErrc::Conflict, "the task was taken over by another runner");
      }
      existing = task;
      ReportMoveTasks(source);
      return Done{};
    }
  }
  tasks.insert(tasks.begin(), task);
  if (tasks.size() > 10) tasks.resize(10);
  ReportMoveTasks(source);
  return Done{};
}

StoreResult<std::vector<MoveTask>> MemorySqsStore::ListMoveTasks(const QueueKey& source) {
  std::shared_lock lock(directory_mutex_);
  auto found = move_tasks_.find(source);
  if (found == move_tasks_.end()) return std::vector<MoveTask>();
  return found->second;
}

StoreResult<bool> MemorySqsStore::ClaimMoveTask(const QueueKey& source, const std::string& task_handle,
                                                    const std::string& runner, std::int64_t now_millis,
                                                    std::int64_t stale_before_millis) {
  std::unique_lock lock(directory_mutex_);
  auto found = move_tasks_.find(source);
  if (found == move_tasks_.end()) return false;
  for (auto& task : found->second) {
    if (task.task_handle != task_handle) continue;
    if (task.status != "RUNNING" || task.heartbeat_millis >= stale_before_millis) return false;
    task.runner = runner;
    task.heartbeat_millis = now_millis;
    ReportMoveTasks(source);
    return true;
  }
  return false;
}

StoreResult<std::vector<QueueKey>> MemorySqsStore::ListMoveTaskSources() {
  std::shared_lock lock(directory_mutex_);
  std::vector<QueueKey> sources;
  for (const auto& [source, tasks] : move_tasks_) {
    if (std::any_of(tasks.begin(), tasks.end(), [](const MoveTask& task) { return task.status == "RUNNING"; })) {
      sources.push_back(source);
    }
  }
  return sources;
}

std::unique_ptr<SqsStore::Subscription> MemorySqsStore::WatchQueue(const QueueKey& key, std::function<void()> notify) {
  auto queue = Find(key);
  if (!queue) return std::make_unique<NoopSubscription>();
  std::lock_guard lock(queue->mutex);
  auto position = queue->watchers.insert(queue->watchers.end(), std::move(notify));
  return std::make_unique<WatchHandle>(queue, &queue->mutex, &queue->watchers, position);
}

void MemorySqsStore::Reset() {
  std::map<QueueKey, std::shared_ptr<Queue>> dropped;
  {
    std::unique_lock lock(directory_mutex_);
    dropped.swap(queues_);
    deleted_at_millis_.clear();
    move_tasks_.clear();
    if (listener_) {
      std::vector<SqsChange> changes;
      for (const auto& [key, queue] : dropped) {
        SqsChange change;
        change.type = SqsChange::Type::kQueueRemoved;
        change.key = key;
        changes.push_back(std::move(change));
      }
      if (!changes.empty()) listener_(changes);
    }
  }
  for (auto& [key, queue] : dropped) {
    std::lock_guard lock(queue->mutex);
    queue->Notify();
  }
}

}  // namespace mallard::sqs

namespace mallard::sqs {

StoreResult<ScopeDump> MemorySqsStore::ExportScope(const std::string& account_id, const std::string& region) {
  std::unique_lock travelling(transfer_mutex_);
  std::shared_lock directory(directory_mutex_);
  ScopeDump dump;
  // Every queue of the scope locked at once (in key order, as nothing else takes two), so the dump
  // is one moment of the whole scope.
  std::vector<std::pair<const QueueKey*, std::shared_ptr<Queue>>> scope;
  for (auto it = queues_.lower_bound(QueueKey{account_id, region, ""});
       it != queues_.end() && it->first.account_id == account_id && it->first.region == region; ++it) {
    scope.emplace_back(&it->first, it->second);
  }
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(scope.size());
  for (auto& [key, queue] : scope) locks.emplace_back(queue->mutex);
  // Under the locks, each message is only copied (one allocation and its bytes); unpacking them
  // into StoredMessages, several times slower, waits until the queues are serving again.
  std::vector<std::vector<PackedMessagePtr>> copies(scope.size());
  for (std::size_t i = 0; i < scope.size(); ++i) {
    const auto& [key, queue] = scope[i];
    QueueDump queue_dump;
    queue_dump.record = queue->record;
    queue_dump.next_send_order = queue->next_sequence;
    copies[i].reserve(queue->messages.size());
    for (const auto& message : queue->messages) copies[i].emplace_back(message.Clone());
    for (const auto& [id, entry] : queue->deduplication) {
      queue_dump.deduplication.push_back({id, entry.result, entry.expires_millis});
    }
    std::sort(queue_dump.deduplication.begin(), queue_dump.deduplication.end(),
              [](const auto& a, const auto& b) { return a.deduplication_id < b.deduplication_id; });
    if (auto tasks = move_tasks_.find(*key); tasks != move_tasks_.end()) queue_dump.move_tasks = tasks->second;
    dump.queues.push_back(std::move(queue_dump));
  }
  for (const auto& [key, when] : deleted_at_millis_) {
    if (key.account_id == account_id && key.region == region) dump.recently_deleted.emplace_back(key.name, when);
  }
  locks.clear();
  directory.unlock();
  travelling.unlock();
  for (std::size_t i = 0; i < copies.size(); ++i) {
    auto& messages = dump.queues[i].messages;
    messages.reserve(copies[i].size());
    for (auto& copy : copies[i]) {
      messages.push_back({copy->Unpack(), copy->sequence()});
      copy.reset();  // each copy freed as it is unpacked: the two never all exist at once
    }
  }
  return dump;
}

StoreResult<Done> MemorySqsStore::ImportQueue(const QueueDump& dump) {
  auto queue = std::make_shared<Queue>();
  queue->record = dump.record;
  std::uint64_t next = dump.next_send_order;
  for (const auto& entry : dump.messages) {
    queue->Insert(entry.message, entry.send_order);
    next = std::max(next, entry.send_order + 1);
  }
  queue->next_sequence = next;
  for (const auto& entry : dump.deduplication) {
    queue->deduplication[entry.deduplication_id] = Queue::Dedup{entry.result, entry.expires_millis};
  }
  std::shared_ptr<Queue> replaced;
  {
    std::unique_lock lock(directory_mutex_);
    auto& slot = queues_[dump.record.key];
    replaced = std::move(slot);
    slot = queue;
    deleted_at_millis_.erase(dump.record.key);
    if (dump.move_tasks.empty()) {
      move_tasks_.erase(dump.record.key);
    } else {
      move_tasks_[dump.record.key] = dump.move_tasks;
    }
  }
  if (listener_) {
    // As a replay needs it: the old queue gone whole, then the new one with its messages.
    SqsChange removed;
    removed.type = SqsChange::Type::kQueueRemoved;
    removed.key = dump.record.key;
    listener_({removed});
    std::lock_guard lock(queue->mutex);
    queue->record_touched = true;
    for (const auto& entry : queue->deduplication) queue->deduplication_touched.push_back(entry.first);
    Report(*queue);
    if (!dump.move_tasks.empty()) {
      std::shared_lock directory(directory_mutex_);
      ReportMoveTasks(dump.record.key);
    }
  } else {
    std::lock_guard lock(queue->mutex);
    Report(*queue);  // clears what Insert noted
  }
  if (replaced) {
    // Long polls on the replaced queue wake and find the new one.
    std::lock_guard lock(replaced->mutex);
    replaced->Notify();
  }
  return Done{};
}

StoreResult<Done> MemorySqsStore::ImportRecentlyDeleted(const std::string& account_id, const std::string& region,
                                                        const std::vector<std::pair<std::string, std::int64_t>>& names) {
  std::unique_lock lock(directory_mutex_);
  for (const auto& [name, when] : names) {
    QueueKey key{account_id, region, name};
    if (queues_.contains(key)) continue;
    deleted_at_millis_[key] = when;
    if (listener_) {
      SqsChange change;
      change.type = SqsChange::Type::kQueueRemoved;
      change.key = key;
      change.when_millis = when;
      listener_({change});
    }
  }
  return Done{};
}

StoreResult<Done> MemorySqsStore::ClearScope(const std::string& account_id, const std::string& region) {
  std::vector<std::shared_ptr<Queue>> dropped;
  {
    std::unique_lock lock(directory_mutex_);
    auto in_scope = [&](const QueueKey& key) { return key.account_id == account_id && key.region == region; };
    for (auto it = queues_.begin(); it != queues_.end();) {
      if (in_scope(it->first)) {
        if (listener_) {
          SqsChange change;
          change.type = SqsChange::Type::kQueueRemoved;
          change.key = it->first;
          listener_({change});
        }
        dropped.push_back(it->second);
        it = queues_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto it = deleted_at_millis_.begin(); it != deleted_at_millis_.end();) {
      if (!in_scope(it->first)) {
        ++it;
        continue;
      }
      if (listener_) {  // the mark goes too: a removal without a time (ApplyChange drops the mark)
        SqsChange change;
        change.type = SqsChange::Type::kQueueRemoved;
        change.key = it->first;
        listener_({change});
      }
      it = deleted_at_millis_.erase(it);
    }
    std::erase_if(move_tasks_, [&](const auto& entry) { return in_scope(entry.first); });
  }
  for (auto& queue : dropped) {
    std::lock_guard lock(queue->mutex);
    queue->Notify();
  }
  return Done{};
}

StoreResult<std::vector<std::pair<std::string, std::string>>> MemorySqsStore::ListScopes() {
  std::shared_lock lock(directory_mutex_);
  std::vector<std::pair<std::string, std::string>> scopes;
  for (const auto& [key, queue] : queues_) {
    std::pair<std::string, std::string> scope{key.account_id, key.region};
    if (scopes.empty() || scopes.back() != scope) scopes.push_back(std::move(scope));
  }
  return scopes;
}

}  // namespace mallard::sqs

namespace mallard::sqs {
namespace {

SqsChange QueueChange(const QueueRecord& record, std::uint64_t next_sequence) {
  SqsChange change;
  change.type = SqsChange::Type::kQueue;
  change.key = record.key;
  change.queue.record = record;
  change.queue.next_send_order = next_sequence;
  return change;
}

}  // namespace

void MemorySqsStore::Report(Queue& queue, const std::set<std::uint64_t>* held_back, FreshMessages* fresh) {
  if (!listener_) {
    queue.touched.clear();
    queue.deduplication_touched.clear();
    queue.record_touched = false;
    return;
  }
  if (queue.touched.empty() && queue.deduplication_touched.empty() && !queue.record_touched) return;
  std::vector<SqsChange> changes;
  if (queue.record_touched) {
    auto change = QueueChange(queue.record, queue.next_sequence);
    for (const auto& [id, entry] : queue.deduplication) change.queue.deduplication.push_back({id, entry.result, entry.expires_millis});
    changes.push_back(std::move(change));
  }
  // One change per message, its state now (touched several times in one call, reported once).
  std::sort(queue.touched.begin(), queue.touched.end());
  queue.touched.erase(std::unique(queue.touched.begin(), queue.touched.end()), queue.touched.end());
  for (auto sequence : queue.touched) {
    SqsChange change;
    change.key = queue.record.key;
    change.send_order = sequence;
    if (auto* found = queue.FindMessage(sequence); found != nullptr) {
      change.type = SqsChange::Type::kMessage;
      auto just_stored = fresh == nullptr ? FreshMessages::iterator()
                                          : std::lower_bound(fresh->begin(), fresh->end(), sequence,
                                                             [](const auto& entry, std::uint64_t wanted) { return entry.first < wanted; });
      if (fresh != nullptr && just_stored != fresh->end() && just_stored->first == sequence) {
        change.message = {std::move(just_stored->second), sequence};  // reported once: taken
      } else {
        change.message = {found->Unpack(), sequence};
      }
    } else if (held_back != nullptr && held_back->contains(sequence)) {
      continue;
    } else {
      change.type = SqsChange::Type::kMessageRemoved;
    }
    changes.push_back(std::move(change));
  }
  for (const auto& id : queue.deduplication_touched) {
    auto found = queue.deduplication.find(id);
    if (found == queue.deduplication.end()) continue;
    SqsChange change;
    change.type = SqsChange::Type::kDeduplication;
    change.key = queue.record.key;
    change.deduplication = {id, found->second.result, found->second.expires_millis};
    changes.push_back(std::move(change));
  }
  queue.touched.clear();
  queue.deduplication_touched.clear();
  queue.record_touched = false;
  listener_(changes);
}

void MemorySqsStore::ReportRemovals(const QueueKey& key, const std::set<std::uint64_t>& sequences) {
  if (!listener_ || sequences.empty()) return;
  std::vector<SqsChange> changes;
  for (auto sequence : sequences) {
    SqsChange change;
    change.type = SqsChange::Type::kMessageRemoved;
    change.key = key;
    change.send_order = sequence;
    changes.push_back(std::move(change));
  }
  listener_(changes);
}

void MemorySqsStore::ReportMoveTasks(const QueueKey& key) {
  if (!listener_) return;
  SqsChange change;
  change.type = SqsChange::Type::kMoveTasks;
  change.key = key;
  if (auto found = move_tasks_.find(key); found != move_tasks_.end()) change.queue.move_tasks = found->second;
  listener_({change});
}

bool MemorySqsStore::ReportChanges(ChangeListener listener) {
  listener_ = std::move(listener);
  return true;
}

StoreResult<Done> MemorySqsStore::ApplyChange(const SqsChange& change) {
  std::unique_lock directory(directory_mutex_);
  auto found = queues_.find(change.key);
  switch (change.type) {
    case SqsChange::Type::kQueue: {
      if (found == queues_.end()) {
        found = queues_.emplace(change.key, std::make_shared<Queue>()).first;
        deleted_at_millis_.erase(change.key);
      }
      auto& queue = *found->second;
      std::lock_guard lock(queue.mutex);
      queue.record = change.queue.record;
      queue.next_sequence = std::max(queue.next_sequence, change.queue.next_send_order);
      queue.deduplication.clear();
      for (const auto& entry : change.queue.deduplication) {
        queue.deduplication[entry.deduplication_id] = Queue::Dedup{entry.result, entry.expires_millis};
      }
      return Done{};
    }
    case SqsChange::Type::kQueueRemoved:
      if (found != queues_.end()) queues_.erase(found);
      move_tasks_.erase(change.key);
      // With a time: deleted then (the 60 s rule); without: cleared or reset, no mark left.
      if (change.when_millis > 0) {
        deleted_at_millis_[change.key] = change.when_millis;
      } else {
        deleted_at_millis_.erase(change.key);
      }
      return Done{};
    case SqsChange::Type::kMoveTasks:
      if (change.queue.move_tasks.empty()) {
        move_tasks_.erase(change.key);
      } else {
        move_tasks_[change.key] = change.queue.move_tasks;
      }
      return Done{};
    default:
      break;
  }
  if (found == queues_.end()) return StoreFail(StoreErrc::NotFound, change.key.Arn());
  auto& queue = *found->second;
  std::lock_guard lock(queue.mutex);
  if (change.type == SqsChange::Type::kDeduplication) {
    queue.deduplication[change.deduplication.deduplication_id] =
        Queue::Dedup{change.deduplication.result, change.deduplication.expires_millis};
    return Done{};
  }
  if (auto* existing = queue.FindMessage(change.send_order); existing != nullptr) queue.Erase(*existing);
  if (change.type == SqsChange::Type::kMessage) {
    queue.Insert(change.message.message, change.send_order);
    queue.next_sequence = std::max(queue.next_sequence, change.send_order + 1);
  }
  queue.touched.clear();
  return Done{};
}

}  // namespace mallard::sqs

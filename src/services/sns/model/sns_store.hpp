#pragma once
// SnsStore: everything SNS keeps. SNS's state is a handful of record kinds (topics, subscriptions,
// platform applications and endpoints, per-account SMS settings, opt-outs, sandbox numbers,
// confirmation tokens) that are read whole and changed whole, so the contract is a versioned
// document store: the service owns the documents' JSON schema, the store owns atomicity (create
// only if absent, replace only the version read — a lost race is Conflict and the service
// retries). Around it: sent-message logs (what was "sent" by SMS, mobile push, email, for the
// inspection endpoints), FIFO deduplication and sequence numbers, and the delivery schedule (HTTP
// retries), which on a shared store survives the server that accepted the publish: a claimed task
// is leased, and reappears for another server when the lease runs out.
//
// Thread-safety: every method may be called concurrently from any thread.
// Errors: StoreError values; the service maps them to AWS errors (sns_errors).
// Time: callers pass `now_millis`, so tests can move time without sleeping.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/kit/store_error.hpp"

namespace mallard::sns {

enum class StoreErrc : unsigned char {
  NotFound,       // no record under that key
  AlreadyExists,  // create-only put: a record exists under that key
  Conflict,       // the record's version is not the one expected: a concurrent change won; retry
  Unavailable,    // the store cannot be reached
};

using StoreError = services::kit::StoreError<StoreErrc>;
template <typename T>
using StoreResult = services::kit::StoreResult<T, StoreErrc>;
using services::kit::StoreFail;

// The kinds of record; each is its own key space.
enum class Collection : unsigned char {
  Topic,                // key: topic ARN
  Subscription,         // key: subscription ARN (the topic ARN, ':', an id: a topic's are its prefix)
  ConfirmationToken,    // key: token; document names the subscription
  PlatformApplication,  // key: application ARN
  PlatformEndpoint,     // key: endpoint ARN (the application ARN's resource, '/', an id)
  SmsSettings,          // key: "ACCOUNT:REGION"
  PhoneOptOut,          // key: "ACCOUNT:REGION:+NUMBER"
  SandboxNumber,        // key: "ACCOUNT:REGION:+NUMBER"
};
inline constexpr Collection kAllCollections[] = {
    Collection::Topic,           Collection::Subscription, Collection::ConfirmationToken,
    Collection::PlatformApplication, Collection::PlatformEndpoint, Collection::SmsSettings,
    Collection::PhoneOptOut,     Collection::SandboxNumber};

struct StoredRecord {
  std::string key;
  std::string document;      // JSON text, as the service wrote it
  std::uint64_t version = 0;  // >= 1; changes on every successful put
};

// A scheduled delivery (an HTTP attempt, a retry). The document is the service's (where to, what,
// which attempt); the store only orders tasks by due time and leases them.
struct DeliveryTask {
  std::string id;
  std::string document;
  std::int64_t due_millis = 0;
};

// The sent-message log channels SNS writes (sns_delivery.cpp, sns_mobile.cpp).
inline constexpr const char* kSentChannels[] = {"sms", "platform", "email", "lambda", "firehose"};

// Everything a snapshot needs from the store, read at one moment (ExportAll): every record of every
// collection, the sent-message logs of kSentChannels, and the FIFO sequence counters of the topics
// that exist. FIFO deduplication windows and scheduled deliveries are not part of it.
struct StoreExport {
  std::vector<std::pair<Collection, StoredRecord>> records;
  std::map<std::string, std::vector<std::string>> sent;  // channel → documents, oldest first
  std::map<std::string, std::uint64_t> sequences;        // topic ARN → last sequence number
};

// Changes applied together at one moment (ApplyImport), in this order: removals, puts (each a new
// version; replaces a record whole), sent logs (each named channel's log replaced whole),
// sequence counters (nullopt removes one).
struct StoreImport {
  std::vector<std::pair<Collection, std::string>> remove;
  std::vector<std::pair<Collection, std::pair<std::string, std::string>>> put;  // key, document
  std::map<std::string, std::vector<std::string>> sent;
  std::map<std::string, std::optional<std::uint64_t>> sequences;
};

class SnsStore {
 public:
  virtual ~SnsStore() = default;

  virtual StoreResult<std::optional<StoredRecord>> Get(Collection collection, const std::string& key) = 0;
  // Writes `document` under `key` and returns the new version. expected_version 0: create only
  // (AlreadyExists when a record exists); otherwise replace only that version (NotFound when no
  // record exists, Conflict when its version differs).
  virtual StoreResult<std::uint64_t> Put(Collection collection, const std::string& key, std::string document,
                                         std::uint64_t expected_version) = 0;
  // Removes the record (NotFound when there is none).
  virtual StoreResult<Done> Delete(Collection collection, const std::string& key) = 0;
  // Records whose key starts with `prefix`, in byte order of key, strictly after `after` ("" = from
  // the first), at most `limit`.
  virtual StoreResult<std::vector<StoredRecord>> List(Collection collection, const std::string& prefix,
                                                      const std::string& after, std::size_t limit) = 0;
  // How many records' keys start with `prefix` (limits: topics per account, subscriptions per topic).
  virtual StoreResult<std::size_t> Count(Collection collection, const std::string& prefix) = 0;

  // Sent-message logs by channel ("sms", "platform", "email", ...): appended in order, read whole
  // (oldest first), cleared by the inspection endpoints' DELETE. Each entry is a JSON document.
  virtual StoreResult<Done> AppendSent(const std::string& channel, std::string document) = 0;
  virtual StoreResult<std::vector<std::string>> ReadSent(const std::string& channel) = 0;
  virtual StoreResult<Done> ClearSent(const std::string& channel) = 0;

  // FIFO topics: remembers `deduplication_id` in `scope` (the topic ARN) for `window_millis` from
  // `now_millis` and returns nullopt, or, when it is already remembered and not expired, returns
  // the message id it was first remembered with (the publish is then a duplicate).
  virtual StoreResult<std::optional<std::string>> RememberDeduplication(const std::string& scope,
                                                                         const std::string& deduplication_id,
                                                                         const std::string& message_id,
                                                                         std::int64_t now_millis,
                                                                         std::int64_t window_millis) = 0;
  // The next sequence number of a FIFO topic (1, 2, 3, ... per scope; never reused).
  virtual StoreResult<std::uint64_t> NextSequenceNumber(const std::string& scope) = 0;

  // Schedules (or reschedules: same id replaces) a delivery task due at task.due_millis.
  virtual StoreResult<Done> ScheduleDelivery(DeliveryTask task) = 0;
  // Up to `limit` tasks due at or before `now_millis`, earliest first; each claimed task's due time
  // becomes now + lease_millis, so a task whose claimer dies is claimed again after the lease
  // (by this server or another on the same store). The claimer then completes or reschedules it.
  virtual StoreResult<std::vector<DeliveryTask>> ClaimDueDeliveries(std::int64_t now_millis,
                                                                    std::int64_t lease_millis,
                                                                    std::size_t limit) = 0;
  // Removes a task (done, or given up); completing an unknown id is not an error.
  virtual StoreResult<Done> CompleteDelivery(const std::string& id) = 0;
  // The earliest due time of any scheduled task, nullopt when none (the scheduler sleeps until then).
  virtual StoreResult<std::optional<std::int64_t>> NextDeliveryDue() = 0;

  // Snapshots (services/sns/sns_state.cpp). ExportAll reads everything at one moment (memory: under
  // the store's lock; Redis: one Lua script). ApplyImport applies its changes at one moment (the
  // same). A scope's save, load and clear are ExportAll, filtered by scope, then ApplyImport: a
  // change made between the two by a concurrent request to the same resource may be overwritten.
  virtual StoreResult<StoreExport> ExportAll() = 0;
  virtual StoreResult<Done> ApplyImport(const StoreImport& changes) = 0;

  // Drops everything (the reset endpoint).
  virtual void Reset() = 0;
  // "memory", "redis://host:port/db" (never a password): the health endpoint and logs.
  virtual std::string Name() const = 0;
};

}  // namespace mallard::sns

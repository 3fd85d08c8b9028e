#pragma once
// S3 lifecycle: the bucket's lifecycle configuration stored and returned
// (Put/Get/DeleteBucketLifecycleConfiguration) and its expiration actions applied by a background
// sweep — current versions expired (deleted, or hidden behind a delete marker in a versioned
// bucket), noncurrent versions expired, expired object delete markers removed, incomplete
// multipart uploads aborted. Transitions are kept and returned but not applied (a storage class is
// a label here).
//
// Due times follow AWS's rule: the object's creation time (for a noncurrent version, the time it
// became noncurrent; for an upload, its initiation) plus the rule's days, rounded to the next day's
// midnight UTC — always the following midnight, so an object written at 00:00:00 with Days=1 is
// due at 00:00 two days later, as one written at 10:30 is.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_service.hpp"

namespace mallard::s3 {

inline constexpr std::int64_t kMillisPerDay = 86'400'000;

// `since_millis` + `days`, rounded to the next day's midnight UTC (see above).
std::int64_t LifecycleDueMillis(std::int64_t since_millis, std::int64_t days);

struct LifecycleFilter {
  std::string prefix;
  Tags tags;  // every one must be on the object
  std::optional<std::uint64_t> size_greater_than;
  std::optional<std::uint64_t> size_less_than;
};

struct LifecycleRule {
  std::string id;
  bool enabled = false;
  LifecycleFilter filter;
  std::optional<std::int64_t> expiration_days;
  std::optional<std::int64_t> expiration_date_millis;
  bool expired_object_delete_marker = false;
  std::optional<std::int64_t> noncurrent_days;
  std::optional<std::int64_t> newer_noncurrent_versions;
  std::optional<std::int64_t> abort_days;
};

// The rules of a stored LifecycleConfiguration document.
std::vector<LifecycleRule> ParseStoredLifecycle(std::string_view stored_document);

struct LifecycleSweepCounts {
  std::size_t objects_deleted = 0;          // current versions removed (unversioned buckets)
  std::size_t delete_markers_created = 0;   // current versions hidden (versioned buckets)
  std::size_t noncurrent_deleted = 0;       // noncurrent versions (and noncurrent delete markers) removed
  std::size_t delete_markers_removed = 0;   // expired object delete markers removed
  std::size_t uploads_aborted = 0;
  std::size_t errors = 0;                   // store failures (logged; the next sweep tries again)
};

// One pass over every bucket with a lifecycle configuration, as of `now_millis`. Blocking (store
// I/O): call it from a pool. Emits LifecycleExpiration:* events.
LifecycleSweepCounts SweepLifecycle(const std::shared_ptr<const S3Service>& service, std::int64_t now_millis);

// The x-amz-expiration header S3 sends with an object a rule will expire (GET, HEAD, PUT):
// expiry-date="<HTTP date>", rule-id="<id>" for the earliest-due matching enabled Expiration (Days or
// Date) rule; nullopt when none applies (no configuration, a delete marker, no matching rule).
std::optional<std::string> ExpirationHeader(const BucketRecord& bucket, const ObjectRecord& record);

// Sweeps every `interval` on the service's timers (the work on its pool, the time from its clock),
// for as long as the service lives. Does nothing without an executor (unit tests sweep by hand).
void StartLifecycleSweep(const std::shared_ptr<const S3Service>& service, std::chrono::milliseconds interval);

// Put/Get/DeleteBucketLifecycleConfiguration (and the legacy names).
std::vector<S3Operation> LifecycleOperations();

}  // namespace mallard::s3

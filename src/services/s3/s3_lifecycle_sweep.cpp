// S3 lifecycle: the expiration sweep (see s3_lifecycle.hpp).
//
// One pass per bucket with a lifecycle configuration: list what is there (current objects,
// versions, uploads; paged), decide from the enabled rules what is due, then apply it — deciding
// first so that deletes never disturb a listing being paged. Every delete is guarded: a current
// version is expired with If-Match on the ETag listed, so an object overwritten meanwhile stays.
//
// How the store's data answers S3's questions:
//  - "created": a version's last-modified time (S3's creation time of that version).
//  - "became noncurrent": the last-modified time of the next newer version of the key (the write
//    or delete marker that superseded it) — exact, as the store keeps versions in write order.
//  - delete markers have no tags or size: they match a rule by prefix, and only rules without tags.
//  - an "expired object delete marker" is a current delete marker with no other version left
//    (counting the versions this same pass removes); it is removed by a rule with
//    ExpiredObjectDeleteMarker, or by a rule whose Expiration (Days/Date) is due for it, as S3 does.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/ids.hpp"
#include "common/time_format.hpp"
#include "services/s3/s3_call.hpp"
#include "services/s3/s3_lifecycle.hpp"
#include "services/s3/s3_notifications.hpp"

namespace mallard::s3 {

namespace {

bool HasPrefix(std::string_view key, std::string_view prefix) { return key.substr(0, prefix.size()) == prefix; }

bool MatchesObject(const LifecycleFilter& filter, const ObjectRecord& record) {
  if (!HasPrefix(record.key, filter.prefix)) return false;
  if (record.delete_marker) return filter.tags.empty();
  if (filter.size_greater_than && !(record.size > *filter.size_greater_than)) return false;
  if (filter.size_less_than && !(record.size < *filter.size_less_than)) return false;
  if (!filter.tags.empty()) {
    Tags tags = ObjectAttributes::FromJson(record.attributes_json).tags;
    for (const auto& wanted : filter.tags) {
      if (std::find(tags.begin(), tags.end(), wanted) == tags.end()) return false;
    }
  }
  return true;
}

// Whether a rule's Expiration (Days or Date) is due for something created at `created_millis`.
bool ExpirationDue(const LifecycleRule& rule, std::int64_t created_millis, std::int64_t now_millis) {
  if (rule.expiration_days) return now_millis >= LifecycleDueMillis(created_millis, *rule.expiration_days);
  if (rule.expiration_date_millis) return now_millis >= *rule.expiration_date_millis;
  return false;
}

struct Plan {
  std::vector<ObjectRecord> expire_current;     // current versions to expire
  std::vector<ObjectRecord> remove_noncurrent;  // noncurrent versions to remove
  std::vector<ObjectRecord> remove_markers;     // expired object delete markers
  std::vector<UploadRecord> abort_uploads;
};

// Decides a key's versions (newest first).
void PlanKeyVersions(const std::vector<LifecycleRule>& rules, const std::vector<ObjectRecord>& versions,
                     std::int64_t now_millis, Plan& plan) {
  if (versions.empty()) return;
  std::size_t removed = 0;
  for (std::size_t i = 1; i < versions.size(); ++i) {
    const ObjectRecord& version = versions[i];
    std::int64_t noncurrent_since = versions[i - 1].last_modified_millis;
    std::size_t newer_noncurrent = i - 1;  // noncurrent versions newer than this one
    for (const auto& rule : rules) {
      if (!rule.noncurrent_days || !MatchesObject(rule.filter, version)) continue;
      std::size_t keep = rule.newer_noncurrent_versions ? static_cast<std::size_t>(*rule.newer_noncurrent_versions) : 0;
      if (newer_noncurrent >= keep && now_millis >= LifecycleDueMillis(noncurrent_since, *rule.noncurrent_days)) {
        plan.remove_noncurrent.push_back(version);
        ++removed;
        break;
      }
    }
  }
  const ObjectRecord& current = versions.front();
  if (!current.delete_marker || removed + 1 != versions.size()) return;
  for (const auto& rule : rules) {
    if (!MatchesObject(rule.filter, current)) continue;
    if (rule.expired_object_delete_marker || ExpirationDue(rule, current.last_modified_millis, now_millis)) {
      plan.remove_markers.push_back(current);
      return;
    }
  }
}

// The prefixes to list for the rules `applies` selects: each rule's, without those another covers
// (a bucket whose rules all name prefixes is listed only there); {""} when one covers everything.
template <typename Applies>
std::vector<std::string> ListingPrefixes(const std::vector<LifecycleRule>& rules, Applies applies) {
  std::vector<std::string> prefixes;
  for (const auto& rule : rules) {
    if (applies(rule)) prefixes.push_back(rule.filter.prefix);
  }
  std::sort(prefixes.begin(), prefixes.end());
  std::vector<std::string> kept;
  for (auto& prefix : prefixes) {
    if (kept.empty() || !HasPrefix(prefix, kept.back())) kept.push_back(std::move(prefix));
  }
  return kept;
}

// Every entry under each prefix, in key order (the prefixes do not overlap), paged.
template <typename Item, typename List>
void ListAll(const std::vector<std::string>& prefixes, List list, std::vector<Item>& out, std::size_t& errors) {
  for (const auto& prefix : prefixes) {
    KeyRange range;
    range.prefix = prefix;
    range.limit = 1000;
    std::string after_id;
    while (true) {
      auto page = list(range, after_id);
      if (!page) {
        spdlog::warn("s3 lifecycle: listing failed: {}", page.error().detail);
        ++errors;
        break;
      }
      if (page.value().empty()) break;
      bool full = page.value().size() >= range.limit;
      for (auto& item : page.value()) out.push_back(std::move(item));
      if (!full) break;
      range.after = out.back().key;
      if constexpr (std::is_same_v<Item, UploadRecord>) {
        after_id = out.back().upload_id;
      } else {
        after_id = out.back().version_id;
      }
    }
  }
}

bool HasExpiration(const LifecycleRule& rule) {
  return rule.expiration_days.has_value() || rule.expiration_date_millis.has_value();
}

Plan PlanBucket(S3Store& store, const BucketRecord& bucket, const std::vector<LifecycleRule>& rules,
                std::int64_t now_millis, std::size_t& errors) {
  Plan plan;
  auto expiring = ListingPrefixes(rules, HasExpiration);
  if (!expiring.empty()) {
    std::vector<ObjectRecord> current;
    // ListObjects pages by key alone.
    ListAll<ObjectRecord>(expiring, [&](const KeyRange& range, const std::string&) {
      return store.ListObjects(bucket.name, range);
    }, current, errors);
    for (const auto& record : current) {
      for (const auto& rule : rules) {
        if (MatchesObject(rule.filter, record) && ExpirationDue(rule, record.last_modified_millis, now_millis)) {
          plan.expire_current.push_back(record);
          break;
        }
      }
    }
  }
  auto versioned = ListingPrefixes(rules, [](const LifecycleRule& rule) {
    return rule.noncurrent_days.has_value() || rule.expired_object_delete_marker || HasExpiration(rule);
  });
  if (!versioned.empty() && bucket.versioning != Versioning::Unversioned) {
    std::vector<ObjectRecord> all;
    ListAll<ObjectRecord>(versioned, [&](const KeyRange& range, const std::string& after) {
      return store.ListVersions(bucket.name, range, after);
    }, all, errors);
    std::size_t start = 0;
    for (std::size_t i = 1; i <= all.size(); ++i) {
      if (i == all.size() || all[i].key != all[start].key) {
        std::vector<ObjectRecord> key_versions(all.begin() + static_cast<std::ptrdiff_t>(start),
                                               all.begin() + static_cast<std::ptrdiff_t>(i));
        PlanKeyVersions(rules, key_versions, now_millis, plan);
        start = i;
      }
    }
  }
  auto aborting = ListingPrefixes(rules, [](const LifecycleRule& rule) { return rule.abort_days.has_value(); });
  if (!aborting.empty()) {
    std::vector<UploadRecord> uploads;
    ListAll<UploadRecord>(aborting, [&](const KeyRange& range, const std::string& after) {
      return store.ListUploads(bucket.name, range, after);
    }, uploads, errors);
    for (const auto& upload : uploads) {
      for (const auto& rule : rules) {
        if (rule.abort_days && HasPrefix(upload.key, rule.filter.prefix) &&
            now_millis >= LifecycleDueMillis(upload.initiated_millis, *rule.abort_days)) {
          plan.abort_uploads.push_back(upload);
          break;
        }
      }
    }
  }
  return plan;
}

// Events need a call: the sweep's stands for S3 itself acting on the bucket's owner's behalf.
std::shared_ptr<S3Call> SweepCall(const std::shared_ptr<const S3Service>& service, const BucketRecord& bucket) {
  services::RestRequest request;
  request.http.method = "DELETE";
  request.http.path = "/" + bucket.name;
  request.context.request_id = RandomHex(16);
  request.context.account_id = bucket.owner_account;
  request.context.region = bucket.region;
  S3Route route;
  route.address.bucket = bucket.name;
  route.operation = "LifecycleExpiration";
  return std::make_shared<S3Call>(service, std::move(request), std::move(route), QueryParameters{},
                                  [](http::HttpResponse) {});
}

void ApplyPlan(const std::shared_ptr<const S3Service>& service, const BucketRecord& bucket, const Plan& plan,
               std::int64_t now_millis, LifecycleSweepCounts& counts) {
  S3Store& store = service->store();
  std::shared_ptr<S3Call> call;
  auto notify = [&](std::string_view event, const ObjectRecord& record) {
    if (!call) call = SweepCall(service, bucket);
    NotifyObjectEvent(*call, event, record);
  };
  auto failed = [&](const StoreError& error) {
    // A version or upload gone meanwhile, or an object rewritten since it was listed: nothing to do.
    if (error.code == StoreErrc::PreconditionFailed || error.code == StoreErrc::ObjectNotFound ||
        error.code == StoreErrc::VersionNotFound || error.code == StoreErrc::UploadNotFound ||
        error.code == StoreErrc::BucketNotFound) {
      return;
    }
    spdlog::warn("s3 lifecycle: {} in bucket {}: {}", "delete failed", bucket.name, error.detail);
    ++counts.errors;
  };
  for (const auto& record : plan.remove_noncurrent) {
    auto outcome = store.DeleteObject(bucket.name, record.key, record.version_id, ObjectRecord{}, WriteCondition{});
    if (!outcome) {
      failed(outcome.error());
      continue;
    }
    if (!outcome.value().removed) continue;
    ++counts.noncurrent_deleted;
    notify("LifecycleExpiration:Delete", record);
  }
  for (const auto& record : plan.remove_markers) {
    auto outcome = store.DeleteObject(bucket.name, record.key, record.version_id, ObjectRecord{}, WriteCondition{});
    if (!outcome) {
      failed(outcome.error());
      continue;
    }
    if (!outcome.value().removed) continue;
    ++counts.delete_markers_removed;
    notify("LifecycleExpiration:Delete", record);
  }
  for (const auto& record : plan.expire_current) {
    ObjectRecord marker;
    marker.key = record.key;
    marker.version_id = NewVersionId();
    marker.delete_marker = true;
    marker.last_modified_millis = now_millis;
    marker.owner_account = bucket.owner_account;
    WriteCondition unchanged;
    unchanged.if_match_etag = record.etag;
    auto outcome = store.DeleteObject(bucket.name, record.key, "", marker, unchanged);
    if (!outcome) {
      failed(outcome.error());
      continue;
    }
    if (!outcome.value().removed) continue;
    if (outcome.value().delete_marker) {
      ++counts.delete_markers_created;
      ObjectRecord event_record = marker;
      event_record.version_id = outcome.value().version_id;
      notify("LifecycleExpiration:DeleteMarkerCreated", event_record);
    } else {
      ++counts.objects_deleted;
      notify("LifecycleExpiration:Delete", record);
    }
  }
  for (const auto& upload : plan.abort_uploads) {
    auto aborted = store.AbortUpload(bucket.name, upload.upload_id);
    if (!aborted) {
      failed(aborted.error());
      continue;
    }
    ++counts.uploads_aborted;
  }
}

// Re-arms itself after each sweep (never two at once); its handler holds it, the service is weak.
class Sweeper : public std::enable_shared_from_this<Sweeper> {
 public:
  Sweeper(const std::shared_ptr<const S3Service>& service, std::chrono::milliseconds interval)
      : service_(service), interval_(interval), timer_(service->context().timers) {}

  void Arm() {
    timer_.expires_after(interval_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (error) return;
      auto service = self->service_.lock();
      if (!service) return;
      service->RunBlocking([self, service] {
        auto counts = SweepLifecycle(service, service->context().clock());
        if (counts.objects_deleted + counts.delete_markers_created + counts.noncurrent_deleted +
                counts.delete_markers_removed + counts.uploads_aborted > 0) {
          spdlog::info("s3 lifecycle: {} objects expired, {} delete markers created, {} noncurrent versions and {} "
                       "delete markers removed, {} uploads aborted",
                       counts.objects_deleted, counts.delete_markers_created, counts.noncurrent_deleted,
                       counts.delete_markers_removed, counts.uploads_aborted);
        }
        boost::asio::post(self->timer_.get_executor(), [self] { self->Arm(); });
      });
    });
  }

 private:
  std::weak_ptr<const S3Service> service_;
  std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;
};

}  // namespace

LifecycleSweepCounts SweepLifecycle(const std::shared_ptr<const S3Service>& service, std::int64_t now_millis) {
  LifecycleSweepCounts counts;
  S3Store& store = service->store();
  auto buckets = store.ListBuckets();
  if (!buckets) {
    ++counts.errors;
    return counts;
  }
  for (const auto& bucket : buckets.value()) {
    const std::string* stored = bucket.Configuration("lifecycle");
    if (stored == nullptr) continue;
    std::vector<LifecycleRule> rules;
    for (auto& rule : ParseStoredLifecycle(*stored)) {
      if (rule.enabled) rules.push_back(std::move(rule));
    }
    if (rules.empty()) continue;
    Plan plan = PlanBucket(store, bucket, rules, now_millis, counts.errors);
    ApplyPlan(service, bucket, plan, now_millis, counts);
  }
  return counts;
}

std::optional<std::string> ExpirationHeader(const BucketRecord& bucket, const ObjectRecord& record) {
  const std::string* stored = bucket.Configuration("lifecycle");
  if (stored == nullptr || record.delete_marker) return std::nullopt;
  std::optional<std::int64_t> earliest;
  std::string rule_id;
  for (const auto& rule : ParseStoredLifecycle(*stored)) {
    if (!rule.enabled || !MatchesObject(rule.filter, record)) continue;
    std::optional<std::int64_t> due;
    if (rule.expiration_days) due = LifecycleDueMillis(record.last_modified_millis, *rule.expiration_days);
    if (rule.expiration_date_millis) due = *rule.expiration_date_millis;
    if (due && (!earliest || *due < *earliest)) {
      earliest = due;
      rule_id = rule.id;
    }
  }
  if (!earliest) return std::nullopt;
  return "expiry-date=\"" + FormatHttpDate(*earliest) + "\", rule-id=\"" + rule_id + "\"";
}

void StartLifecycleSweep(const std::shared_ptr<const S3Service>& service, std::chrono::milliseconds interval) {
  if (!service->context().timers || interval.count() <= 0) return;
  std::make_shared<Sweeper>(service, interval)->Arm();
}

}  // namespace mallard::s3

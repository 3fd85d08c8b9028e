// FileS3Store: listings. Current objects come from walking the bucket's directory in key order
// (file_walk.hpp) merged with the escaped keys (an in-memory set: they are rare); versions add the
// keys whose history is kept in the sidecar tree (in memory too: only versioned buckets have them).
#include <algorithm>

#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/file/file_status.hpp"

namespace mallard::s3::file {

namespace {

// Up to `limit` keys of an ordered container in (after, …) that start with `prefix`.
template <typename Container, typename KeyOf>
std::vector<std::string> KeysInRange(const Container& container, const KeyRange& range, std::size_t limit,
                                     KeyOf key_of) {
  std::vector<std::string> keys;
  auto it = range.after.empty() ? container.begin() : container.upper_bound(range.after);
  auto from_prefix = container.lower_bound(range.prefix);
  if (from_prefix == container.end()) return keys;  // every key sorts before the prefix
  if (it != container.end() && key_of(*from_prefix) > key_of(*it)) it = from_prefix;
  for (; it != container.end() && keys.size() < limit; ++it) {
    const std::string& key = key_of(*it);
    if (!key.starts_with(range.prefix)) {
      if (key > range.prefix) break;  // sorted: past every key with the prefix
      continue;
    }
    keys.push_back(key);
  }
  return keys;
}

// The sorted union of two sorted key lists, at most `limit`.
std::vector<std::string> MergeKeys(const std::vector<std::string>& a, const std::vector<std::string>& b,
                                   std::size_t limit) {
  std::vector<std::string> merged;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(merged));
  if (merged.size() > limit) merged.resize(limit);
  return merged;
}

}  // namespace

std::vector<std::string> FileS3Store::CurrentKeys(BucketState& bucket, const KeyRange& range) {
  std::vector<std::string> walked =
      WalkKeys(listing_cache_, layout_.BucketDir(bucket.record.name), range.prefix, range.after, range.limit);
  std::vector<std::string> escaped =
      KeysInRange(bucket.escaped, range, range.limit, [](const std::string& key) -> const std::string& { return key; });
  return MergeKeys(walked, escaped, range.limit);
}

StoreResult<std::vector<ObjectRecord>> FileS3Store::ListObjects(std::string_view bucket, const KeyRange& range) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::vector<DerivedBody> derived;
  std::vector<ObjectRecord> records;
  {
    std::shared_lock lock(state->mutex);
    if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
    MALLARD_ASSIGN_OR_RETURN(records, ListObjectsLocked(*state, range, derived, false));
  }
  // The MD5s of files no S3 call wrote, outside the lock: a first listing of large files written
  // by DuckDB reads them whole, and writers to the bucket need not wait for that.
  bool changed = false;
  for (std::size_t i = 0; i < records.size() && !changed; ++i) {
    if (!derived[i].path) continue;
    MALLARD_ASSIGN_OR_RETURN(std::optional<std::string> etag, DerivedEtag(state->record.name, Sha256Hex(records[i].key),
                                                                          *derived[i].path, derived[i].identity, -1));
    if (etag) {
      records[i].etag = std::move(*etag);
    } else {
      changed = true;
    }
  }
  if (!changed) return records;
  // A file changed or went while it was read (someone is writing into the bucket by hand): the
  // page is read again with the MD5s under the lock, where each file is looked at until it holds
  // still and a file that went is passed over without shortening the page.
  std::shared_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  derived.clear();
  return ListObjectsLocked(*state, range, derived, true);
}

StoreResult<std::vector<ObjectRecord>> FileS3Store::ListObjectsLocked(BucketState& bucket, const KeyRange& range,
                                                                      std::vector<DerivedBody>& derived,
                                                                      bool need_etag) {
  std::vector<ObjectRecord> records;
  KeyRange page = range;
  while (records.size() < range.limit) {
    page.limit = range.limit - records.size();
    std::vector<std::string> keys = CurrentKeys(bucket, page);
    for (const std::string& key : keys) {
      MALLARD_ASSIGN_OR_RETURN(std::optional<Current> current, ReadCurrent(bucket, key, false, need_etag));
      // Gone between the walk and now (removed by hand): the page goes on past it.
      if (!current) continue;
      derived.push_back(current->derived && !need_etag ? DerivedBody{current->body_path, current->identity}
                                                       : DerivedBody{});
      records.push_back(std::move(current->record));
    }
    if (keys.size() < page.limit) break;
    page.after = keys.back();
  }
  return records;
}

StoreResult<std::vector<ObjectRecord>> FileS3Store::VersionsOf(BucketState& bucket, const std::string& key) {
  std::vector<ObjectRecord> versions;
  MALLARD_ASSIGN_OR_RETURN(std::optional<Current> current, ReadCurrent(bucket, key, false, true));
  if (current) versions.push_back(std::move(current->record));
  if (auto found = bucket.histories.find(key); found != bucket.histories.end()) {
    for (const HistoryEntry& entry : found->second.entries) {
      versions.push_back(entry.record);
      versions.back().is_latest = versions.size() == 1;
    }
  }
  return versions;
}

StoreResult<std::vector<ObjectRecord>> FileS3Store::ListVersions(std::string_view bucket, const KeyRange& range,
                                                                 std::string_view after_version_id) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::shared_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  std::vector<ObjectRecord> records;
  if (range.limit == 0) return records;
  // Resuming inside a key: its versions after the one named (none when it is not there).
  if (!after_version_id.empty() && !range.after.empty() && range.after.starts_with(range.prefix)) {
    MALLARD_ASSIGN_OR_RETURN(auto versions, VersionsOf(*state, range.after));
    auto it = std::find_if(versions.begin(), versions.end(),
                           [&](const ObjectRecord& record) { return record.version_id == after_version_id; });
    if (it != versions.end()) {
      for (++it; it != versions.end() && records.size() < range.limit; ++it) records.push_back(std::move(*it));
    }
  }
  KeyRange page = range;
  while (records.size() < range.limit) {
    page.limit = range.limit - records.size();
    std::vector<std::string> keys =
        MergeKeys(CurrentKeys(*state, page),
                  KeysInRange(state->histories, page, page.limit,
                              [](const auto& entry) -> const std::string& { return entry.first; }),
                  page.limit);
    for (const std::string& key : keys) {
      MALLARD_ASSIGN_OR_RETURN(auto versions, VersionsOf(*state, key));
      for (ObjectRecord& record : versions) {
        if (records.size() == range.limit) break;
        records.push_back(std::move(record));
      }
      if (records.size() == range.limit) break;
    }
    if (keys.size() < page.limit) break;
    page.after = keys.back();
  }
  return records;
}

}  // namespace mallard::s3::file

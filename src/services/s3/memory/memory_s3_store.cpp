#include "services/s3/memory/memory_s3_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace mallard::s3 {
namespace {

// The bytes of a body before they are committed: a buffer of the writer's own, so appends take no lock.
class MemoryBodyWriter final : public BodyWriter {
 public:
  explicit MemoryBodyWriter(const MemoryS3Store* owner) : owner_(owner) {}
  StoreResult<void> Append(std::string_view bytes) override {
    bytes_.append(bytes);
    return {};
  }
  std::uint64_t Size() const override { return bytes_.size(); }
  const MemoryS3Store* owner() const { return owner_; }
  std::string Take() { return std::move(bytes_); }

 private:
  const MemoryS3Store* owner_;
  std::string bytes_;
};

class MemoryBodyReader final : public BodyReader {
 public:
  explicit MemoryBodyReader(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
  std::uint64_t Size() const override { return bytes_->size(); }
  StoreResult<std::string> ReadAt(std::uint64_t offset, std::size_t max) override {
    if (offset >= bytes_->size()) return std::string();
    return bytes_->substr(static_cast<std::size_t>(offset), max);
  }

 private:
  std::shared_ptr<const std::string> bytes_;
};

StoreError NoBucket(std::string_view name) {
  return {StoreErrc::BucketNotFound, "no bucket " + std::string(name)};
}

// The writer's bytes, if the writer is one of this store's.
StoreResult<std::shared_ptr<const std::string>> TakeBody(const MemoryS3Store* store,
                                                          std::unique_ptr<BodyWriter>& body) {
  auto* writer = dynamic_cast<MemoryBodyWriter*>(body.get());
  if (writer == nullptr || writer->owner() != store) {
    return StoreFail(StoreErrc::StorageFailed, "the body was not made by this store's NewBody");
  }
  return std::make_shared<const std::string>(writer->Take());
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The first key of `keys` a listing with `prefix` starting after `after` may show.
template <typename Map>
auto FirstCandidate(const Map& keys, const KeyRange& range) {
  if (range.after.empty() || range.after < range.prefix) return keys.lower_bound(range.prefix);
  return keys.upper_bound(range.after);
}

ObjectRecord Shown(const ObjectRecord& record, bool latest) {
  ObjectRecord shown = record;
  shown.is_latest = latest;
  return shown;
}

}  // namespace

MemoryS3Store::Bucket* MemoryS3Store::Find(std::string_view name) {
  auto found = buckets_.find(name);
  return found == buckets_.end() ? nullptr : &found->second;
}

StoreResult<void> MemoryS3Store::Check(const Bucket& bucket, std::string_view key, const WriteCondition& condition) {
  auto found = bucket.keys.find(key);
  const Version* current = found == bucket.keys.end() ? nullptr : &found->second.front();
  const bool has_object = current != nullptr && !current->record.delete_marker;
  if (condition.if_none_match_any && has_object) {
    return StoreFail(StoreErrc::PreconditionFailed, "the object exists (If-None-Match: *)");
  }
  if (condition.if_match_etag) {
    // S3 answers 404 NoSuchKey to If-Match when there is no current object.
    if (!has_object) return StoreFail(StoreErrc::ObjectNotFound, "no current object for If-Match");
    if (current->record.etag != *condition.if_match_etag) {
      return StoreFail(StoreErrc::PreconditionFailed, "the ETag is " + current->record.etag);
    }
  }
  return {};
}

ObjectRecord MemoryS3Store::Commit(Bucket& bucket, Version version) {
  auto& versions = bucket.keys[version.record.key];
  if (bucket.record.versioning != Versioning::Enabled) {
    version.record.version_id = std::string(kNullVersionId);
    std::erase_if(versions, [](const Version& existing) { return existing.record.version_id == kNullVersionId; });
  }
  version.record.is_latest = false;
  versions.insert(versions.begin(), std::move(version));
  return Shown(versions.front().record, true);
}

// ---- buckets ----

StoreResult<void> MemoryS3Store::CreateBucket(const BucketRecord& bucket) {
  std::lock_guard lock(mutex_);
  if (const Bucket* existing = Find(bucket.name)) {
    return StoreFail(StoreErrc::BucketExists, existing->record.owner_account);
  }
  buckets_[bucket.name].record = bucket;
  return {};
}

StoreResult<BucketRecord> MemoryS3Store::GetBucket(std::string_view name) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(name);
  if (bucket == nullptr) return Unexpected{NoBucket(name)};
  return bucket->record;
}

StoreResult<std::vector<BucketRecord>> MemoryS3Store::ListBuckets() {
  std::lock_guard lock(mutex_);
  std::vector<BucketRecord> out;
  out.reserve(buckets_.size());
  for (const auto& [name, bucket] : buckets_) out.push_back(bucket.record);
  return out;
}

StoreResult<void> MemoryS3Store::DeleteBucket(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(name);
  if (found == buckets_.end()) return Unexpected{NoBucket(name)};
  if (!found->second.keys.empty() || !found->second.uploads.empty()) {
    return StoreFail(StoreErrc::BucketNotEmpty, "versions, delete markers or uploads are left");
  }
  buckets_.erase(found);
  return {};
}

StoreResult<BucketRecord> MemoryS3Store::UpdateBucket(std::string_view name,
                                                      const std::function<void(BucketRecord&)>& update) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(name);
  if (bucket == nullptr) return Unexpected{NoBucket(name)};
  BucketRecord updated = bucket->record;
  update(updated);
  // The identity stays whatever the update did.
  updated.name = bucket->record.name;
  updated.owner_account = bucket->record.owner_account;
  updated.region = bucket->record.region;
  updated.created_millis = bucket->record.created_millis;
  bucket->record = std::move(updated);
  return bucket->record;
}

// ---- objects ----

StoreResult<std::unique_ptr<BodyWriter>> MemoryS3Store::NewBody(std::string_view bucket) {
  std::lock_guard lock(mutex_);
  if (Find(bucket) == nullptr) return Unexpected{NoBucket(bucket)};
  return std::unique_ptr<BodyWriter>(std::make_unique<MemoryBodyWriter>(this));
}

StoreResult<ObjectRecord> MemoryS3Store::PutObject(std::string_view bucket_name, ObjectRecord record,
                                                   std::unique_ptr<BodyWriter> body, const WriteCondition& condition) {
  MALLARD_ASSIGN_OR_RETURN(auto bytes, TakeBody(this, body));
  if (bytes->size() != record.size) {
    return StoreFail(StoreErrc::StorageFailed, "the record says " + std::to_string(record.size) + " bytes, " +
                                                   std::to_string(bytes->size()) + " were written");
  }
  record.delete_marker = false;
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  MALLARD_RETURN_IF_ERROR(Check(*bucket, record.key, condition));
  return Commit(*bucket, Version{std::move(record), std::move(bytes)});
}

StoreResult<OpenedObject> MemoryS3Store::GetObject(std::string_view bucket_name, std::string_view key,
                                                   std::string_view version_id, bool open_body) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->keys.find(key);
  if (found == bucket->keys.end()) return StoreFail(StoreErrc::ObjectNotFound, "no key " + std::string(key));
  const auto& versions = found->second;
  auto version = versions.begin();
  if (!version_id.empty()) {
    version = std::find_if(versions.begin(), versions.end(),
                           [&](const Version& v) { return v.record.version_id == version_id; });
    if (version == versions.end()) {
      return StoreFail(StoreErrc::VersionNotFound, "no version " + std::string(version_id));
    }
  }
  OpenedObject opened{Shown(version->record, version == versions.begin()), nullptr};
  if (open_body && version->bytes) opened.body = std::make_unique<MemoryBodyReader>(version->bytes);
  return opened;
}

StoreResult<DeleteOutcome> MemoryS3Store::DeleteObject(std::string_view bucket_name, std::string_view key,
                                                       std::string_view version_id, const ObjectRecord& marker,
                                                       const WriteCondition& condition) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  MALLARD_RETURN_IF_ERROR(Check(*bucket, key, condition));
  auto found = bucket->keys.find(key);
  DeleteOutcome outcome;
  if (!version_id.empty()) {
    // That version, for good; S3 answers a version that is not there with 204 too.
    if (found == bucket->keys.end()) return outcome;
    auto& versions = found->second;
    auto version = std::find_if(versions.begin(), versions.end(),
                                [&](const Version& v) { return v.record.version_id == version_id; });
    if (version == versions.end()) return outcome;
    outcome = {true, version->record.delete_marker, version->record.version_id};
    versions.erase(version);
    if (versions.empty()) bucket->keys.erase(found);
    return outcome;
  }
  if (bucket->record.versioning == Versioning::Unversioned) {
    if (found == bucket->keys.end()) return outcome;
    bucket->keys.erase(found);
    outcome.removed = true;
    return outcome;
  }
  Version added{marker, nullptr};
  added.record.key = std::string(key);
  added.record.delete_marker = true;
  added.record.size = 0;
  const ObjectRecord stored = Commit(*bucket, std::move(added));
  return DeleteOutcome{true, true, stored.version_id};
}

StoreResult<ObjectRecord> MemoryS3Store::UpdateObjectAttributes(std::string_view bucket_name, std::string_view key,
                                                                std::string_view version_id,
                                                                const std::function<void(std::string&)>& update) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->keys.find(key);
  if (found == bucket->keys.end()) return StoreFail(StoreErrc::ObjectNotFound, "no key " + std::string(key));
  auto& versions = found->second;
  auto version = versions.begin();
  if (!version_id.empty()) {
    version = std::find_if(versions.begin(), versions.end(),
                           [&](const Version& v) { return v.record.version_id == version_id; });
    if (version == versions.end()) {
      return StoreFail(StoreErrc::VersionNotFound, "no version " + std::string(version_id));
    }
  }
  if (version->record.delete_marker) {
    if (version_id.empty()) return StoreFail(StoreErrc::ObjectNotFound, "the current version is a delete marker");
    return StoreFail(StoreErrc::VersionNotFound, "a delete marker has no attributes");
  }
  update(version->record.attributes_json);
  return Shown(version->record, version == versions.begin());
}

StoreResult<std::vector<ObjectRecord>> MemoryS3Store::ListObjects(std::string_view bucket_name,
                                                                  const KeyRange& range) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  std::vector<ObjectRecord> out;
  for (auto it = FirstCandidate(bucket->keys, range); it != bucket->keys.end() && out.size() < range.limit; ++it) {
    if (!StartsWith(it->first, range.prefix)) break;  // keys with the prefix are contiguous
    const Version& current = it->second.front();
    if (!current.record.delete_marker) out.push_back(Shown(current.record, true));
  }
  return out;
}

StoreResult<std::vector<ObjectRecord>> MemoryS3Store::ListVersions(std::string_view bucket_name,
                                                                   const KeyRange& range,
                                                                   std::string_view after_version_id) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  std::vector<ObjectRecord> out;
  auto emit = [&](const std::vector<Version>& versions, std::size_t from) {
    for (std::size_t i = from; i < versions.size() && out.size() < range.limit; ++i) {
      out.push_back(Shown(versions[i].record, i == 0));
    }
  };
  auto it = FirstCandidate(bucket->keys, range);
  // Resuming inside range.after's versions: the ones after after_version_id (none if it is gone).
  if (!range.after.empty() && !after_version_id.empty() && StartsWith(range.after, range.prefix)) {
    auto resumed = bucket->keys.find(range.after);
    if (resumed != bucket->keys.end()) {
      const auto& versions = resumed->second;
      for (std::size_t i = 0; i < versions.size(); ++i) {
        if (versions[i].record.version_id == after_version_id) {
          emit(versions, i + 1);
          break;
        }
      }
    }
  }
  for (; it != bucket->keys.end() && out.size() < range.limit; ++it) {
    if (!StartsWith(it->first, range.prefix)) break;
    emit(it->second, 0);
  }
  return out;
}

// ---- multipart uploads ----

StoreResult<void> MemoryS3Store::CreateUpload(std::string_view bucket_name, const UploadRecord& upload) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  if (bucket->uploads.contains(upload.upload_id)) {
    return StoreFail(StoreErrc::Conflict, "upload id " + upload.upload_id + " is in use");
  }
  bucket->uploads[upload.upload_id].record = upload;
  bucket->upload_order.emplace(upload.key, upload.initiated_millis, upload.upload_id);
  return {};
}

StoreResult<UploadRecord> MemoryS3Store::GetUpload(std::string_view bucket_name, std::string_view upload_id) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->uploads.find(upload_id);
  if (found == bucket->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, "no upload " + std::string(upload_id));
  return found->second.record;
}

StoreResult<std::vector<UploadRecord>> MemoryS3Store::ListUploads(std::string_view bucket_name, const KeyRange& range,
                                                                  std::string_view after_upload_id) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  constexpr auto kEarliest = std::numeric_limits<std::int64_t>::min();
  const auto& order = bucket->upload_order;
  auto it = order.lower_bound(UploadOrder{range.prefix, kEarliest, ""});
  if (!range.after.empty()) {
    // After every upload of range.after, or after the named one of them.
    auto after = order.lower_bound(UploadOrder{range.after + '\0', kEarliest, ""});
    if (!after_upload_id.empty()) {
      auto named = bucket->uploads.find(after_upload_id);
      if (named != bucket->uploads.end() && named->second.record.key == range.after) {
        after = order.upper_bound(
            UploadOrder{range.after, named->second.record.initiated_millis, std::string(after_upload_id)});
      }
    }
    if (after == order.end() || (it != order.end() && *it < *after)) it = after;  // the later of the two
  }
  std::vector<UploadRecord> out;
  for (; it != order.end() && out.size() < range.limit; ++it) {
    if (!StartsWith(std::get<0>(*it), range.prefix)) break;
    out.push_back(bucket->uploads.find(std::get<2>(*it))->second.record);
  }
  return out;
}

StoreResult<PartRecord> MemoryS3Store::PutPart(std::string_view bucket_name, std::string_view upload_id,
                                               PartRecord part, std::unique_ptr<BodyWriter> body) {
  MALLARD_ASSIGN_OR_RETURN(auto bytes, TakeBody(this, body));
  part.size = bytes->size();
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->uploads.find(upload_id);
  if (found == bucket->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, "no upload " + std::string(upload_id));
  found->second.parts[part.number] = Part{part, std::move(bytes)};
  return part;
}

StoreResult<std::vector<PartRecord>> MemoryS3Store::ListParts(std::string_view bucket_name,
                                                              std::string_view upload_id) {
  std::lock_guard lock(mutex_);
  const Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->uploads.find(upload_id);
  if (found == bucket->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, "no upload " + std::string(upload_id));
  std::vector<PartRecord> out;
  for (const auto& [number, part] : found->second.parts) out.push_back(part.record);
  return out;
}

StoreResult<void> MemoryS3Store::AbortUpload(std::string_view bucket_name, std::string_view upload_id) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->uploads.find(upload_id);
  if (found == bucket->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, "no upload " + std::string(upload_id));
  const auto& record = found->second.record;
  bucket->upload_order.erase(UploadOrder{record.key, record.initiated_millis, record.upload_id});
  bucket->uploads.erase(found);
  return {};
}

StoreResult<ObjectRecord> MemoryS3Store::CompleteUpload(std::string_view bucket_name, std::string_view upload_id,
                                                        const std::vector<std::uint32_t>& part_numbers,
                                                        ObjectRecord record, const WriteCondition& condition) {
  // The parts as they are now; joined without the lock (they can be gigabytes).
  std::vector<Bytes> parts;
  {
    std::lock_guard lock(mutex_);
    const Bucket* bucket = Find(bucket_name);
    if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
    auto found = bucket->uploads.find(upload_id);
    if (found == bucket->uploads.end()) {
      return StoreFail(StoreErrc::UploadNotFound, "no upload " + std::string(upload_id));
    }
    for (std::uint32_t number : part_numbers) {
      auto part = found->second.parts.find(number);
      if (part == found->second.parts.end()) {
        return StoreFail(StoreErrc::PartNotFound, "part " + std::to_string(number) + " was never uploaded");
      }
      parts.push_back(part->second.bytes);
    }
  }
  std::size_t total = 0;
  for (const auto& part : parts) total += part->size();
  auto joined = std::make_shared<std::string>();
  joined->reserve(total);
  for (const auto& part : parts) joined->append(*part);

  std::lock_guard lock(mutex_);
  Bucket* bucket = Find(bucket_name);
  if (bucket == nullptr) return Unexpected{NoBucket(bucket_name)};
  auto found = bucket->uploads.find(upload_id);
  if (found == bucket->uploads.end()) {
    return StoreFail(StoreErrc::UploadNotFound, "no upload " + std::string(upload_id));
  }
  // A part replaced while joining: the joined bytes are stale.
  for (std::size_t i = 0; i < part_numbers.size(); ++i) {
    auto part = found->second.parts.find(part_numbers[i]);
    if (part == found->second.parts.end() || part->second.bytes != parts[i]) {
      return StoreFail(StoreErrc::Conflict, "a part changed while the upload was being completed");
    }
  }
  const std::string key = found->second.record.key;
  MALLARD_RETURN_IF_ERROR(Check(*bucket, key, condition));
  record.key = key;
  record.size = total;
  record.delete_marker = false;
  bucket->upload_order.erase(UploadOrder{key, found->second.record.initiated_millis, found->second.record.upload_id});
  bucket->uploads.erase(found);
  return Commit(*bucket, Version{std::move(record), std::move(joined)});
}

void MemoryS3Store::Reset() {
  std::lock_guard lock(mutex_);
  buckets_.clear();
}

}  // namespace mallard::s3

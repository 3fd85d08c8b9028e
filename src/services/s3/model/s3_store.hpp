#pragma once
// S3Store: everything S3 keeps — buckets with their configurations, object versions with their
// bytes, multipart uploads with their parts.
//
// The split of work: the service owns S3's rules (names, limits, checksums, ETags, what a
// configuration document means, who may do what) and hands the store finished records; the store
// owns bytes and atomicity. Each object version is a record (key, version id, size, ETag, time,
// owner, and an attributes document the store keeps verbatim: content headers, user metadata,
// tags, checksum, parts) plus a body. Bytes arrive through a BodyWriter before the version exists
// and become visible all at once when PutObject/PutPart/CompleteUpload commits them, so a reader
// sees the old object or the new one, never a mix; a reader that opened a version keeps reading
// that version's bytes even when it is overwritten or deleted meanwhile.
//
// Versioning is applied here, atomically with the write, from the bucket's state at that moment:
//   Unversioned — a put replaces the current version (version id "null"); a delete removes it.
//   Enabled     — a put adds a version with the caller's candidate id; a delete adds a delete
//                 marker with the candidate id; older versions stay.
//   Suspended   — a put or delete replaces the version "null" (a delete marker "null" for a
//                 delete); versions with real ids stay.
// A delete naming a version id removes that version (a delete marker included) for good; naming
// one that is not there removes nothing and succeeds (removed = false), as S3 answers 204.
//
// Order: keys compare as bytes (S3 lists in UTF-8 binary order); within a key, versions are
// listed newest first — in the order they were written (not by id or time), a Suspended write of
// "null" becoming the newest.
//
// Thread-safety: every method may be called concurrently from any thread. Methods that move
// bytes (BodyWriter::Append, BodyReader::ReadAt, PutObject, CompleteUpload, ...) may block on
// disk I/O: call them from a pool, never from a network thread.
// Errors: StoreError values; the service maps them to S3's errors.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/kit/store_error.hpp"

namespace mallard::s3 {

enum class StoreErrc : unsigned char {
  BucketNotFound,
  BucketExists,        // CreateBucket: the name is taken (the detail holds the owner's account)
  BucketNotEmpty,      // DeleteBucket: a version, a delete marker or an upload is left
  ObjectNotFound,      // no such key (or no current version)
  VersionNotFound,     // the key exists, that version does not
  UploadNotFound,      // no such multipart upload in that bucket (completed or aborted)
  PartNotFound,        // CompleteUpload named a part that was never uploaded
  PreconditionFailed,  // a WriteCondition did not hold
  Conflict,            // a concurrent change won; retry
  StorageFailed,       // the bytes could not be written or read (disk full, I/O error): the detail says
  Unavailable,         // the store cannot be reached
};

using StoreError = services::kit::StoreError<StoreErrc>;
template <typename T>
using StoreResult = services::kit::StoreResult<T, StoreErrc>;
using services::kit::StoreFail;

enum class Versioning : unsigned char { Unversioned, Enabled, Suspended };

// The version id of objects written while versioning is off or suspended.
inline constexpr std::string_view kNullVersionId = "null";

struct BucketRecord {
  std::string name;
  std::string owner_account;
  std::string region;
  std::int64_t created_millis = 0;
  Versioning versioning = Versioning::Unversioned;
  // The bucket's sub-resource configurations as the service stores them, by name ("tagging",
  // "cors", "policy", "lifecycle", "encryption", "notification", ...); absent = not configured.
  std::vector<std::pair<std::string, std::string>> configurations;

  const std::string* Configuration(std::string_view name) const {
    for (const auto& [existing, value] : configurations) {
      if (existing == name) return &value;
    }
    return nullptr;
  }
  void SetConfiguration(std::string name, std::string value) {
    for (auto& [existing, existing_value] : configurations) {
      if (existing == name) {
        existing_value = std::move(value);
        return;
      }
    }
    configurations.emplace_back(std::move(name), std::move(value));
  }
  void RemoveConfiguration(std::string_view name) {
    std::erase_if(configurations, [&](const auto& entry) { return entry.first == name; });
  }
};

// One version of an object (or a delete marker).
struct ObjectRecord {
  std::string key;
  // "null" (kNullVersionId) or the id the version was created with. PutObject/DeleteObject take
  // a fresh candidate id here and the store keeps it only when the bucket's versioning is Enabled.
  std::string version_id;
  bool delete_marker = false;
  bool is_latest = false;  // filled by the store on reads: the key's current version
  std::uint64_t size = 0;
  std::string etag;        // as S3 returns it, quotes included: "\"<md5 hex>\"" or "\"<hex>-<parts>\""
  std::int64_t last_modified_millis = 0;
  std::string owner_account;
  // The service's document (JSON text) with everything else: content headers, user metadata,
  // storage class, tags, checksum, parts. Kept verbatim; "{}" for a file the store found on disk
  // that no S3 call wrote (the file store adopts those: see its README).
  std::string attributes_json = "{}";
};

// Preconditions checked atomically with a write or a delete.
struct WriteCondition {
  bool if_none_match_any = false;             // If-None-Match: * — fails when a current version exists
  std::optional<std::string> if_match_etag;   // If-Match: fails unless the current version has this ETag
  // Failing: PreconditionFailed; If-Match with no current object (none, or a delete marker) is
  // ObjectNotFound, as S3 answers 404 NoSuchKey. A current delete marker satisfies If-None-Match.
};

// Bytes being written for an object version or a part, before they become visible. Destroying a
// writer that was not committed discards its bytes.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  virtual StoreResult<void> Append(std::string_view bytes) = 0;
  virtual std::uint64_t Size() const = 0;
};

// The bytes of one object version, as they were when it was opened.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual std::uint64_t Size() const = 0;
  // Up to `max` bytes from `offset`; fewer only at the end of the body; empty at or past the end.
  virtual StoreResult<std::string> ReadAt(std::uint64_t offset, std::size_t max) = 0;
};

struct OpenedObject {
  ObjectRecord record;
  std::unique_ptr<BodyReader> body;  // null when not asked for, and for a delete marker
};

struct DeleteOutcome {
  bool removed = false;         // something was removed or a marker was added (false: nothing there)
  bool delete_marker = false;   // the version created or removed is a delete marker
  std::string version_id;       // of the marker created, or of the version removed; empty unversioned
};

struct UploadRecord {
  std::string upload_id;
  std::string key;
  std::int64_t initiated_millis = 0;
  std::string owner_account;
  std::string attributes_json = "{}";  // what CreateMultipartUpload set, for the completed object
};

struct PartRecord {
  std::uint32_t number = 0;  // 1..10000
  std::uint64_t size = 0;
  std::string etag;          // quoted
  std::int64_t last_modified_millis = 0;
  std::string attributes_json = "{}";  // the part's checksum
};

// A page of a listing in key order: `after` excludes, `prefix` restricts, at most `limit` entries.
struct KeyRange {
  std::string prefix;
  std::string after;  // exclusive lower bound on the key; empty = from the start
  std::size_t limit = 1000;
};

class S3Store {
 public:
  virtual ~S3Store() = default;
  virtual std::string Name() const = 0;  // "memory", "file:///var/lib/mallard/s3"
  // The directory under which the current version of `bucket`/`key` is the plain file
  // `<root>/<bucket>/<key>` (for keys that are valid paths: see the file store's README); nullopt
  // for stores that keep bytes elsewhere. The SQL engine reads objects there directly.
  virtual std::optional<std::filesystem::path> RootDirectory() const = 0;

  // --- buckets ---
  virtual StoreResult<void> CreateBucket(const BucketRecord& bucket) = 0;
  virtual StoreResult<BucketRecord> GetBucket(std::string_view name) = 0;
  // Every bucket, by name.
  virtual StoreResult<std::vector<BucketRecord>> ListBuckets() = 0;
  // BucketNotEmpty while any version, delete marker or multipart upload is left.
  virtual StoreResult<void> DeleteBucket(std::string_view name) = 0;
  // Applies `update` to the bucket's record atomically and returns the result (versioning,
  // configurations; name, owner and region must not change).
  virtual StoreResult<BucketRecord> UpdateBucket(std::string_view name,
                                                 const std::function<void(BucketRecord&)>& update) = 0;

  // --- objects ---
  // A writer for the bytes of a future version or part of `bucket` (BucketNotFound otherwise).
  virtual StoreResult<std::unique_ptr<BodyWriter>> NewBody(std::string_view bucket) = 0;
  // Commits `body` as a new version of `record.key` (size must equal what was written), applying
  // the bucket's versioning; returns the record as stored (version id, is_latest).
  virtual StoreResult<ObjectRecord> PutObject(std::string_view bucket, ObjectRecord record,
                                              std::unique_ptr<BodyWriter> body, const WriteCondition& condition) = 0;
  // The current version (empty `version_id`) or the named one; a delete marker is returned as a
  // record with delete_marker set (the service answers 404/405 as S3 does).
  virtual StoreResult<OpenedObject> GetObject(std::string_view bucket, std::string_view key,
                                              std::string_view version_id, bool open_body) = 0;
  // Empty `version_id`: deletes per the bucket's versioning (`marker` gives the candidate id, time
  // and owner of a delete marker). A version id: removes that version for good.
  virtual StoreResult<DeleteOutcome> DeleteObject(std::string_view bucket, std::string_view key,
                                                  std::string_view version_id, const ObjectRecord& marker,
                                                  const WriteCondition& condition) = 0;
  // Rewrites one version's attributes document (object tagging); the bytes and ETag stay.
  virtual StoreResult<ObjectRecord> UpdateObjectAttributes(std::string_view bucket, std::string_view key,
                                                           std::string_view version_id,
                                                           const std::function<void(std::string&)>& update) = 0;
  // Current versions that are not delete markers, keys in byte order.
  virtual StoreResult<std::vector<ObjectRecord>> ListObjects(std::string_view bucket, const KeyRange& range) = 0;
  // Every version and delete marker: keys in byte order, newest first within a key. Starts after
  // (range.after, after_version_id); an empty after_version_id starts after all of range.after's.
  virtual StoreResult<std::vector<ObjectRecord>> ListVersions(std::string_view bucket, const KeyRange& range,
                                                              std::string_view after_version_id) = 0;

  // --- multipart uploads ---
  virtual StoreResult<void> CreateUpload(std::string_view bucket, const UploadRecord& upload) = 0;
  virtual StoreResult<UploadRecord> GetUpload(std::string_view bucket, std::string_view upload_id) = 0;
  // Uploads in progress: by key, then by initiation (oldest first); starts after
  // (range.after, after_upload_id) as ListVersions does.
  virtual StoreResult<std::vector<UploadRecord>> ListUploads(std::string_view bucket, const KeyRange& range,
                                                             std::string_view after_upload_id) = 0;
  // Stores a part (replacing one with the same number).
  virtual StoreResult<PartRecord> PutPart(std::string_view bucket, std::string_view upload_id, PartRecord part,
                                          std::unique_ptr<BodyWriter> body) = 0;
  // All parts uploaded so far, by number.
  virtual StoreResult<std::vector<PartRecord>> ListParts(std::string_view bucket, std::string_view upload_id) = 0;
  virtual StoreResult<void> AbortUpload(std::string_view bucket, std::string_view upload_id) = 0;
  // Joins the parts `part_numbers` (ascending, each uploaded: PartNotFound otherwise) into a new
  // version of the upload's key as PutObject would (record.size = the sum), and ends the upload.
  // A PartNotFound leaves the upload in progress.
  virtual StoreResult<ObjectRecord> CompleteUpload(std::string_view bucket, std::string_view upload_id,
                                                   const std::vector<std::uint32_t>& part_numbers, ObjectRecord record,
                                                   const WriteCondition& condition) = 0;

  // Drops everything (the reset endpoint).
  virtual void Reset() = 0;
};

}  // namespace mallard::s3

#pragma once
// MemoryS3Store: S3Store in this process, for tests. One mutex over the bookkeeping; bytes live in
// immutable shared buffers that readers hold on to, so no lock is held while bytes move.
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class MemoryS3Store final : public S3Store {
 public:
  std::string Name() const override { return "memory"; }
  std::optional<std::filesystem::path> RootDirectory() const override { return std::nullopt; }

  StoreResult<void> CreateBucket(const BucketRecord& bucket) override;
  StoreResult<BucketRecord> GetBucket(std::string_view name) override;
  StoreResult<std::vector<BucketRecord>> ListBuckets() override;
  StoreResult<void> DeleteBucket(std::string_view name) override;
  StoreResult<BucketRecord> UpdateBucket(std::string_view name,
                                         const std::function<void(BucketRecord&)>& update) override;

  StoreResult<std::unique_ptr<BodyWriter>> NewBody(std::string_view bucket) override;
  StoreResult<ObjectRecord> PutObject(std::string_view bucket, ObjectRecord record, std::unique_ptr<BodyWriter> body,
                                      const WriteCondition& condition) override;
  StoreResult<OpenedObject> GetObject(std::string_view bucket, std::string_view key, std::string_view version_id,
                                      bool open_body) override;
  StoreResult<DeleteOutcome> DeleteObject(std::string_view bucket, std::string_view key, std::string_view version_id,
                                          const ObjectRecord& marker, const WriteCondition& condition) override;
  StoreResult<ObjectRecord> UpdateObjectAttributes(std::string_view bucket, std::string_view key,
                                                   std::string_view version_id,
                                                   const std::function<void(std::string&)>& update) override;
  StoreResult<std::vector<ObjectRecord>> ListObjects(std::string_view bucket, const KeyRange& range) override;
  StoreResult<std::vector<ObjectRecord>> ListVersions(std::string_view bucket, const KeyRange& range,
                                                      std::string_view after_version_id) override;

  StoreResult<void> CreateUpload(std::string_view bucket, const UploadRecord& upload) override;
  StoreResult<UploadRecord> GetUpload(std::string_view bucket, std::string_view upload_id) override;
  StoreResult<std::vector<UploadRecord>> ListUploads(std::string_view bucket, const KeyRange& range,
                                                     std::string_view after_upload_id) override;
  StoreResult<PartRecord> PutPart(std::string_view bucket, std::string_view upload_id, PartRecord part,
                                  std::unique_ptr<BodyWriter> body) override;
  StoreResult<std::vector<PartRecord>> ListParts(std::string_view bucket, std::string_view upload_id) override;
  StoreResult<void> AbortUpload(std::string_view bucket, std::string_view upload_id) override;
  StoreResult<ObjectRecord> CompleteUpload(std::string_view bucket, std::string_view upload_id,
                                           const std::vector<std::uint32_t>& part_numbers, ObjectRecord record,
                                           const WriteCondition& condition) override;

  void Reset() override;

 private:
  using Bytes = std::shared_ptr<const std::string>;
  struct Version {
    ObjectRecord record;  // is_latest is not kept: it is the position, filled on reads
    Bytes bytes;          // null for a delete marker
  };
  struct Part {
    PartRecord record;
    Bytes bytes;
  };
  struct Upload {
    UploadRecord record;
    std::map<std::uint32_t, Part> parts;
  };
  // Uploads in listing order: key, initiation, then id (for uploads started in the same millisecond).
  using UploadOrder = std::tuple<std::string, std::int64_t, std::string>;
  struct Bucket {
    BucketRecord record;
    std::map<std::string, std::vector<Version>, std::less<>> keys;  // versions newest first, never empty
    std::map<std::string, Upload, std::less<>> uploads;
    std::set<UploadOrder> upload_order;
  };

  Bucket* Find(std::string_view name);
  static StoreResult<void> Check(const Bucket& bucket, std::string_view key, const WriteCondition& condition);
  // Adds `version` on top of `key` as the bucket's versioning says; returns the stored record.
  static ObjectRecord Commit(Bucket& bucket, Version version);

  std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace mallard::s3

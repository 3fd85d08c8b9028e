// FileS3Store: multipart uploads. An upload is a directory (uploads/<bucket>/<sha256 of id>/) with
// upload.json and, per part, part-<n>.json naming the part's body file. A part's body is renamed
// in first, then its record replaces the old one (the commit point), then the old body goes; a
// body no record names is removed at open. Completion copies the parts into a temp file outside
// the lock and commits it as a put does, removing the upload in the same intent.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "services/s3/file/file_body.hpp"
#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/file/file_status.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;

StoreResult<void> FileS3Store::CreateUpload(std::string_view bucket, const UploadRecord& upload) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  if (state->uploads.contains(upload.upload_id)) {
    return StoreFail(StoreErrc::Conflict, "an upload with id " + upload.upload_id + " exists");
  }
  const fs::path dir = layout_.UploadDir(bucket, upload.upload_id);
  if (auto written = WriteFileAtomic(dir / "upload.json", UploadToJson(upload), layout_.TmpDir(), options_.durable);
      !written.ok()) {
    return StoreFail(StoreErrc::StorageFailed, written.error());
  }
  state->uploads.emplace(upload.upload_id, UploadState{upload, {}});
  return Succeeded();
}

StoreResult<UploadRecord> FileS3Store::GetUpload(std::string_view bucket, std::string_view upload_id) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::shared_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  auto found = state->uploads.find(std::string(upload_id));
  if (found == state->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
  return found->second.record;
}

StoreResult<std::vector<UploadRecord>> FileS3Store::ListUploads(std::string_view bucket, const KeyRange& range,
                                                                std::string_view after_upload_id) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::shared_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  std::vector<const UploadRecord*> ordered;
  for (const auto& [id, upload] : state->uploads) {
    if (upload.record.key.starts_with(range.prefix)) ordered.push_back(&upload.record);
  }
  // By key, then initiation (oldest first), then id for uploads started in the same millisecond.
  std::sort(ordered.begin(), ordered.end(), [](const UploadRecord* a, const UploadRecord* b) {
    return std::tie(a->key, a->initiated_millis, a->upload_id) < std::tie(b->key, b->initiated_millis, b->upload_id);
  });
  std::vector<UploadRecord> page;
  bool passed_marker = after_upload_id.empty();
  for (const UploadRecord* upload : ordered) {
    if (page.size() >= range.limit) break;
    if (!range.after.empty() && upload->key < range.after) continue;
    if (!range.after.empty() && upload->key == range.after) {
      // Within the key named by `after`: only the uploads after the one named (none when no id).
      if (!passed_marker) {
        passed_marker = upload->upload_id == after_upload_id;
        continue;
      }
      if (after_upload_id.empty()) continue;
    }
    page.push_back(*upload);
  }
  return page;
}

StoreResult<PartRecord> FileS3Store::PutPart(std::string_view bucket, std::string_view upload_id, PartRecord part,
                                             std::unique_ptr<BodyWriter> body) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  auto* writer = dynamic_cast<FileBodyWriter*>(body.get());
  if (!writer) return StoreFail(StoreErrc::StorageFailed, "the body was not written by this store (NewBody)");
  {
    std::shared_lock lock(state->mutex);
    if (!state->uploads.contains(std::string(upload_id)))
      return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
  }
  part.size = writer->Size();
  // The bytes reach the disk before the lock is taken (the identity is not needed: the part's
  // record names its body file).
  MALLARD_RETURN_IF_ERROR(writer->Finish(options_.durable));
  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  auto found = state->uploads.find(std::string(upload_id));
  if (found == state->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
  const fs::path dir = layout_.UploadDir(bucket, upload_id);
  StoredPart stored{part, RandomName() + ".body"};
  if (::rename(writer->Path().c_str(), (dir / stored.body_name).c_str()) != 0) {
    return StoreFail(StoreErrc::StorageFailed, ErrnoText("rename into", dir / stored.body_name));
  }
  writer->Release();
  const fs::path record_file = dir / ("part-" + std::to_string(part.number) + ".json");
  if (auto written = WriteFileAtomic(record_file, PartToJson(stored), layout_.TmpDir(), options_.durable);
      !written.ok()) {
    (void)RemoveFileIfPresent(dir / stored.body_name);
    return StoreFail(StoreErrc::StorageFailed, written.error());
  }
  auto& parts = found->second.parts;
  if (auto old = parts.find(part.number); old != parts.end()) {
    (void)RemoveFileIfPresent(dir / old->second.body_name);  // a leftover would go at the next open
    old->second = std::move(stored);
  } else {
    parts.emplace(part.number, std::move(stored));
  }
  return part;
}

StoreResult<std::vector<PartRecord>> FileS3Store::ListParts(std::string_view bucket, std::string_view upload_id) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::shared_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  auto found = state->uploads.find(std::string(upload_id));
  if (found == state->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
  std::vector<PartRecord> parts;
  for (const auto& [number, part] : found->second.parts) parts.push_back(part.record);
  return parts;
}

StoreResult<void> FileS3Store::AbortUpload(std::string_view bucket, std::string_view upload_id) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  auto found = state->uploads.find(std::string(upload_id));
  if (found == state->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
  const fs::path dir = layout_.UploadDir(bucket, upload_id);
  // upload.json first: a directory without it is no upload, and the next open removes the rest.
  if (auto removed = RemoveFileIfPresent(dir / "upload.json"); !removed.ok()) {
    return StoreFail(StoreErrc::StorageFailed, removed.error());
  }
  std::error_code error;
  fs::remove_all(dir, error);
  state->uploads.erase(found);
  return Succeeded();
}

StoreResult<ObjectRecord> FileS3Store::CompleteUpload(std::string_view bucket, std::string_view upload_id,
                                                      const std::vector<std::uint32_t>& part_numbers,
                                                      ObjectRecord record, const WriteCondition& condition) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());  // early, before the copy; RunIntent checks again
  const fs::path dir = layout_.UploadDir(bucket, upload_id);
  // The parts are opened under the lock and copied outside it: descriptors keep their bytes even
  // if the upload is aborted meanwhile (the commit below checks it is still there).
  struct OpenedPart {
    UniqueFd fd;
    std::uint64_t size = 0;
    std::string body_name;
  };
  std::vector<OpenedPart> opened;
  std::string key;
  {
    std::shared_lock lock(state->mutex);
    if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
    auto found = state->uploads.find(std::string(upload_id));
    if (found == state->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
    key = found->second.record.key;
    for (std::uint32_t number : part_numbers) {
      auto part = found->second.parts.find(number);
      if (part == found->second.parts.end()) {
        return StoreFail(StoreErrc::PartNotFound, "part " + std::to_string(number) + " was not uploaded");
      }
      const fs::path path = dir / part->second.body_name;
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.Valid()) return StoreFail(StoreErrc::StorageFailed, ErrnoText("open", path));
      opened.push_back(OpenedPart{std::move(fd), part->second.record.size, part->second.body_name});
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto writer,
                           FileBodyWriter::Create(layout_.TmpDir(), std::string(bucket), options_.durable));
  for (const OpenedPart& part : opened) {
    MALLARD_RETURN_IF_ERROR(writer->AppendFrom(part.fd.Get(), part.size, dir / part.body_name));
  }
  MALLARD_ASSIGN_OR_RETURN(FileIdentity identity, writer->Finish(options_.durable));

  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  auto found = state->uploads.find(std::string(upload_id));
  if (found == state->uploads.end()) return StoreFail(StoreErrc::UploadNotFound, std::string(upload_id));
  for (std::size_t i = 0; i < part_numbers.size(); ++i) {
    auto part = found->second.parts.find(part_numbers[i]);
    if (part == found->second.parts.end() || part->second.body_name != opened[i].body_name) {
      return StoreFail(StoreErrc::Conflict, "a part was replaced while the upload was being completed");
    }
  }
  record.key = key;
  record.size = writer->Size();
  // The upload goes in the same intent as the object lands: never both, never neither.
  std::vector<IntentStep> extra{
      IntentStep{IntentStep::Kind::Unlink, "", Relative(dir / "upload.json"), {}, std::nullopt},
      IntentStep{IntentStep::Kind::RemoveTree, "", Relative(dir), {}, std::nullopt}};
  FileBodyWriter* raw_writer = writer.get();
  MALLARD_ASSIGN_OR_RETURN(ObjectRecord committed,
                           CommitObject(*state, std::move(record), writer->Path(), identity, condition,
                                        std::move(extra), [raw_writer] { raw_writer->Release(); }));
  state->uploads.erase(found);
  return committed;
}

}  // namespace mallard::s3::file

// FileS3Store: objects — finding a key's current version on disk, puts, gets, deletes and
// versioning bookkeeping, attribute updates.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "services/s3/file/file_body.hpp"
#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/file/file_status.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;

namespace {

// The outcome of a write condition against the key's current object (S3's answers: 412, or 404
// when If-Match names an object that is not there).
StoreResult<Done> CheckCondition(bool has_object, const std::string& current_etag, const WriteCondition& condition) {
  if (condition.if_none_match_any && has_object) {
    return StoreFail(StoreErrc::PreconditionFailed, "If-None-Match: * and the object exists");
  }
  if (condition.if_match_etag) {
    if (!has_object) return StoreFail(StoreErrc::ObjectNotFound, "If-Match and no current object");
    if (current_etag != *condition.if_match_etag)
      return StoreFail(StoreErrc::PreconditionFailed, "If-Match: ETag differs");
  }
  return Done{};
}

// PutObject bodies up to this size are not synced by their writer: the group commit's first
// syncfs, which makes the batch's intent durable, writes them too (file_s3_group_commit.cpp).
constexpr std::uint64_t kBodySyncedWithBatchBytes = 256 * 1024;

IntentStep Step(IntentStep::Kind kind, std::string source, std::string target, std::string content = {},
                std::optional<FileIdentity> identity = std::nullopt) {
  return IntentStep{kind, std::move(source), std::move(target), std::move(content), identity};
}

}  // namespace

// ---- where a key's current version is ----

std::optional<std::pair<fs::path, bool>> FileS3Store::CurrentBodyPath(const BucketState& bucket,
                                                                      const std::string& key) const {
  if (bucket.escaped.contains(key)) {
    return std::pair{layout_.EscapedBodyFile(bucket.record.name, Sha256Hex(key)), true};
  }
  if (auto relative = PlainKeyPath(key)) return std::pair{layout_.BucketDir(bucket.record.name) / *relative, false};
  return std::nullopt;
}

std::pair<fs::path, bool> FileS3Store::NewBodyPath(const BucketState& bucket, const std::string& key) const {
  if (!bucket.escaped.contains(key)) {
    if (auto relative = PlainKeyPath(key)) {
      const fs::path bucket_dir = layout_.BucketDir(bucket.record.name);
      if (!PlainPathBlocked(bucket_dir, *relative)) return {bucket_dir / *relative, false};
    }
  }
  return {layout_.EscapedBodyFile(bucket.record.name, Sha256Hex(key)), true};
}

StoreResult<std::optional<FileS3Store::Current>> FileS3Store::ReadCurrent(const BucketState& bucket,
                                                                          const std::string& key, bool open_body,
                                                                          bool need_etag) {
  // A file being written by hand can change or vanish while its MD5 is computed: look again.
  for (int attempt = 0;; ++attempt) {
    bool changed = false;
    auto current = ReadCurrentOnce(bucket, key, open_body, need_etag, changed);
    if (!changed) return current;
    if (attempt == 8) {
      return StoreFail(StoreErrc::Conflict, "the file for key " + key + " keeps changing while it is read");
    }
  }
}

StoreResult<std::optional<FileS3Store::Current>> FileS3Store::ReadCurrentOnce(const BucketState& bucket,
                                                                              const std::string& key, bool open_body,
                                                                              bool need_etag, bool& changed) {
  auto location = CurrentBodyPath(bucket, key);
  if (!location) return std::optional<Current>{};
  Current current;
  current.body_path = location->first;
  current.escaped = location->second;
  if (open_body) {
    // Open first, then match the record against what was opened: the descriptor is the version.
    current.fd = UniqueFd(::open(current.body_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!current.fd.Valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return std::optional<Current>{};
      return StoreFail(StoreErrc::StorageFailed, ErrnoText("open", current.body_path));
    }
    struct stat info {};
    if (::fstat(current.fd.Get(), &info) != 0)
      return StoreFail(StoreErrc::StorageFailed, ErrnoText("fstat", current.body_path));
    if (!S_ISREG(info.st_mode)) return std::optional<Current>{};
    current.identity = IdentityOf(info);
  } else {
    auto identity = RegularFileIdentity(current.body_path);
    if (!identity) return std::optional<Current>{};
    current.identity = *identity;
  }
  const std::string hash = Sha256Hex(key);
  auto text = ReadWholeFile(layout_.CurrentRecordFile(bucket.record.name, hash));
  if (!text.ok()) return StoreFail(StoreErrc::StorageFailed, text.error());
  std::optional<CurrentSidecar> sidecar = text->has_value() ? CurrentFromJson(**text) : std::nullopt;
  if (sidecar && sidecar->identity == current.identity && sidecar->record.key == key) {
    current.record = std::move(sidecar->record);
  } else {
    // No S3 call wrote these bytes (or they changed since one did): the file wins, and its record
    // is what the file says — its size, its time, the MD5 of its bytes.
    current.derived = true;
    current.record.key = key;
    current.record.version_id = std::string(kNullVersionId);
    current.record.size = current.identity.size;
    current.record.last_modified_millis = current.identity.mtime_ns / 1'000'000;
    current.record.owner_account = bucket.record.owner_account;
    current.record.attributes_json = "{}";
    if (need_etag) {
      MALLARD_ASSIGN_OR_RETURN(std::optional<std::string> etag, DerivedEtag(bucket.record.name, hash, current.body_path,
                                                                            current.identity, current.fd.Get()));
      if (!etag) {
        changed = true;
        return std::optional<Current>{};
      }
      current.record.etag = std::move(*etag);
    }
  }
  current.record.delete_marker = false;
  current.record.is_latest = true;
  return std::optional<Current>(std::move(current));
}

StoreResult<std::optional<std::string>> FileS3Store::DerivedEtag(const std::string& bucket, const std::string& key_hash,
                                                                 const fs::path& body, const FileIdentity& identity,
                                                                 int fd) {
  const fs::path cache = layout_.EtagCacheFile(bucket, key_hash);
  auto text = ReadWholeFile(cache);
  if (text.ok() && text->has_value()) {
    if (auto cached = EtagFromJson(**text); cached && cached->identity == identity) {
      return std::optional<std::string>(cached->etag);
    }
  }
  UniqueFd opened;
  if (fd < 0) {
    opened = UniqueFd(::open(body.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!opened.Valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return std::optional<std::string>{};  // gone
      return StoreFail(StoreErrc::StorageFailed, ErrnoText("open", body));
    }
    fd = opened.Get();
  }
  // The MD5 belongs to `identity` only if the file had it before and after the read: a rewrite
  // in place meanwhile changes the size or the time (nullopt: the caller looks again).
  auto unchanged = [&]() {
    struct stat info {};
    return ::fstat(fd, &info) == 0 && IdentityOf(info) == identity;
  };
  if (!unchanged()) return std::optional<std::string>{};
  auto etag = QuotedMd5OfFd(fd, identity.size, body);
  if (!unchanged()) return std::optional<std::string>{};
  if (!etag.ok()) return StoreFail(StoreErrc::StorageFailed, etag.error());
  // Only a cache: losing it in a crash costs one more MD5, so it is not synced.
  (void)WriteFileAtomic(cache, EtagToJson(CachedEtag{identity, *etag}), layout_.TmpDir(), false);
  return std::optional<std::string>(*etag);
}

// ---- commit steps ----

void FileS3Store::HistorySteps(const std::string& bucket, const std::string& key_hash, const KeyHistory& history,
                               std::vector<IntentStep>& steps) const {
  const fs::path file = layout_.HistoryFile(bucket, key_hash);
  if (history.entries.empty()) {
    steps.push_back(Step(IntentStep::Kind::Unlink, "", Relative(file)));
  } else {
    steps.push_back(Step(IntentStep::Kind::Write, "", Relative(file), HistoryToJson(history)));
  }
}

void FileS3Store::ArchiveCurrentSteps(const std::string& bucket, const std::string& key_hash, const Current& current,
                                      KeyHistory& history, std::vector<IntentStep>& steps) const {
  const std::string body_name = RandomName();
  // A hard link: the older version keeps the very bytes (and inode) readers may hold open.
  steps.push_back(Step(IntentStep::Kind::LinkIfIdentity, Relative(current.body_path),
                       Relative(layout_.VersionBodyFile(bucket, key_hash, body_name)), {}, current.identity));
  ObjectRecord record = current.record;
  record.is_latest = false;
  history.entries.insert(history.entries.begin(), HistoryEntry{std::move(record), body_name});
}

void FileS3Store::RemoveCurrentSteps(const std::string& bucket, const std::string& key_hash, const Current& current,
                                     std::vector<IntentStep>& steps) const {
  // Empty directories the key's path needed go with it (up to the bucket's directory).
  const fs::path stop = current.escaped ? layout_.EscapedDir(bucket) : layout_.BucketDir(bucket);
  steps.push_back(Step(IntentStep::Kind::Unlink, Relative(stop), Relative(current.body_path), {}, current.identity));
  steps.push_back(Step(IntentStep::Kind::Unlink, "", Relative(layout_.CurrentRecordFile(bucket, key_hash))));
}

std::optional<bool> FileS3Store::PromoteSteps(const BucketState& bucket, const std::string& key_hash,
                                              KeyHistory& history, std::vector<IntentStep>& steps) const {
  if (history.entries.empty() || history.entries.front().record.delete_marker) return std::nullopt;
  const std::string& name = bucket.record.name;
  const HistoryEntry& entry = history.entries.front();
  const fs::path version_body = layout_.VersionBodyFile(name, key_hash, entry.body_name);
  auto identity = RegularFileIdentity(version_body);
  if (!identity) return std::nullopt;
  // The current body was removed by earlier steps of this commit; its plain path is free again
  // unless the key is escaped (then it stays escaped).
  auto [target, escaped] = NewBodyPath(bucket, history.key);
  ObjectRecord record = entry.record;
  record.is_latest = false;
  steps.push_back(Step(IntentStep::Kind::Write, "", Relative(layout_.CurrentRecordFile(name, key_hash)),
                       CurrentToJson(CurrentSidecar{std::move(record), *identity, escaped})));
  steps.push_back(Step(IntentStep::Kind::LinkIfIdentity, Relative(version_body), Relative(target), {}, *identity));
  steps.push_back(Step(IntentStep::Kind::Unlink, "", Relative(version_body)));
  history.entries.erase(history.entries.begin());
  return escaped;
}

void FileS3Store::ApplyEscapedChange(BucketState& bucket, const std::string& key, bool escaped_before,
                                     bool escaped_after) {
  if (escaped_before && !escaped_after) bucket.escaped.erase(key);
  if (escaped_after) bucket.escaped.insert(key);
}

StoreResult<FileS3Store::PreparedCommit> FileS3Store::PrepareObject(BucketState& bucket, ObjectRecord record,
                                                                     const fs::path& tmp, const FileIdentity& identity,
                                                                     const WriteCondition& condition,
                                                                     std::vector<IntentStep> extra_steps) {
  const std::string& name = bucket.record.name;
  const std::string key = record.key;
  const std::string hash = Sha256Hex(key);
  // The current version's ETag is needed to check If-Match or to keep it as an older version; a
  // file written by hand would otherwise be read whole for an MD5 nobody uses.
  const bool need_etag = condition.if_match_etag.has_value() || bucket.record.versioning != Versioning::Unversioned;
  MALLARD_ASSIGN_OR_RETURN(std::optional<Current> current, ReadCurrent(bucket, key, false, need_etag));
  MALLARD_RETURN_IF_ERROR(CheckCondition(current.has_value(), current ? current->record.etag : "", condition));

  const Versioning versioning = bucket.record.versioning;
  auto found = bucket.histories.find(key);
  KeyHistory history = found != bucket.histories.end() ? found->second : KeyHistory{key, {}};
  bool history_changed = false;
  std::vector<IntentStep> steps;
  if (current && (versioning == Versioning::Enabled ||
                  (versioning == Versioning::Suspended && current->record.version_id != kNullVersionId))) {
    ArchiveCurrentSteps(name, hash, *current, history, steps);
    history_changed = true;
  }
  if (versioning != Versioning::Enabled) {
    // The new version is "null": an older "null" version or marker is replaced by it.
    for (auto it = history.entries.begin(); it != history.entries.end();) {
      if (it->record.version_id != kNullVersionId) {
        ++it;
        continue;
      }
      if (!it->body_name.empty()) {
        steps.push_back(
            Step(IntentStep::Kind::Unlink, "", Relative(layout_.VersionBodyFile(name, hash, it->body_name))));
      }
      it = history.entries.erase(it);
      history_changed = true;
    }
  }
  if (history_changed) HistorySteps(name, hash, history, steps);

  const bool escaped_before = bucket.escaped.contains(key);
  auto [target, escaped] = NewBodyPath(bucket, key);
  record.version_id = versioning == Versioning::Enabled ? record.version_id : std::string(kNullVersionId);
  record.delete_marker = false;
  record.is_latest = false;
  steps.push_back(Step(IntentStep::Kind::Write, "", Relative(layout_.CurrentRecordFile(name, hash)),
                       CurrentToJson(CurrentSidecar{record, identity, escaped})));
  steps.push_back(Step(IntentStep::Kind::Rename, Relative(tmp), Relative(target)));
  for (IntentStep& step : extra_steps) steps.push_back(std::move(step));
  PreparedCommit prepared;
  prepared.steps = std::move(steps);
  prepared.finish = [this, &bucket, key, history = std::move(history), escaped_before, escaped = escaped,
                     record = std::move(record)]() mutable {
    if (history.entries.empty()) {
      bucket.histories.erase(key);
    } else {
      bucket.histories[key] = std::move(history);
    }
    ApplyEscapedChange(bucket, key, escaped_before, escaped);
    record.is_latest = true;
    return std::move(record);
  };
  return prepared;
}

StoreResult<ObjectRecord> FileS3Store::CommitObject(BucketState& bucket, ObjectRecord record, const fs::path& tmp,
                                                    const FileIdentity& identity, const WriteCondition& condition,
                                                    std::vector<IntentStep> extra_steps,
                                                    const std::function<void()>& intent_written) {
  MALLARD_ASSIGN_OR_RETURN(PreparedCommit prepared,
                           PrepareObject(bucket, std::move(record), tmp, identity, condition, std::move(extra_steps)));
  MALLARD_RETURN_IF_ERROR(RunIntent(prepared.steps, intent_written));
  return prepared.finish();
}

// ---- objects ----

StoreResult<std::unique_ptr<BodyWriter>> FileS3Store::NewBody(std::string_view bucket) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());  // early: the body would be written for nothing
  MALLARD_ASSIGN_OR_RETURN(auto writer,
                           FileBodyWriter::Create(layout_.TmpDir(), std::string(bucket), options_.durable));
  return std::unique_ptr<BodyWriter>(std::move(writer));
}

StoreResult<ObjectRecord> FileS3Store::PutObject(std::string_view bucket, ObjectRecord record,
                                                 std::unique_ptr<BodyWriter> body, const WriteCondition& condition) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());  // early; RunBatch checks again under the bucket's lock
  auto* writer = dynamic_cast<FileBodyWriter*>(body.get());
  if (!writer) return StoreFail(StoreErrc::StorageFailed, "the body was not written by this store (NewBody)");
  if (record.size != writer->Size()) {
    return StoreFail(StoreErrc::StorageFailed, "the record's size " + std::to_string(record.size) + " is not the " +
                                                   std::to_string(writer->Size()) + " bytes written");
  }
  // A large body reaches the disk before any lock is taken, in parallel with other writers' bytes:
  // it never holds up the bucket or the commits of others. A small one is synced with its batch's
  // intent (the batch's first syncfs), which saves each small put a flush of its own.
  const bool sync_body = options_.durable && writer->Size() > kBodySyncedWithBatchBytes;
  MALLARD_ASSIGN_OR_RETURN(FileIdentity identity, writer->Finish(sync_body));
  // Then the commit, together with whatever other puts are waiting (file_s3_group_commit.cpp).
  return GroupCommitPut(*state, std::move(record), *writer, identity, condition);
}

StoreResult<OpenedObject> FileS3Store::GetObject(std::string_view bucket, std::string_view key_view,
                                                 std::string_view version_id, bool open_body) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  const std::string key(key_view);
  DerivedBody derived;
  OpenedObject opened;
  {
    std::shared_lock lock(state->mutex);
    if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
    MALLARD_ASSIGN_OR_RETURN(opened, GetObjectLocked(*state, key, version_id, open_body, derived, false));
  }
  if (!derived.path) return opened;
  // A file no S3 call wrote: its MD5 is computed outside the lock (it can take a while for a large
  // file, and needs nothing the lock protects), from the descriptor the reader holds.
  const int fd = opened.body ? static_cast<FileBodyReader&>(*opened.body).Fd() : -1;
  MALLARD_ASSIGN_OR_RETURN(std::optional<std::string> etag,
                           DerivedEtag(state->record.name, Sha256Hex(key), *derived.path, derived.identity, fd));
  if (etag) {
    opened.record.etag = std::move(*etag);
    return opened;
  }
  // Changed while it was read: looked at again under the lock until it holds still.
  std::shared_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  return GetObjectLocked(*state, key, version_id, open_body, derived, true);
}

StoreResult<OpenedObject> FileS3Store::GetObjectLocked(BucketState& bucket, const std::string& key,
                                                       std::string_view version_id, bool open_body,
                                                       DerivedBody& derived, bool need_etag) {
  MALLARD_ASSIGN_OR_RETURN(std::optional<Current> current, ReadCurrent(bucket, key, open_body, need_etag));
  auto found = bucket.histories.find(key);
  const KeyHistory* history = found != bucket.histories.end() ? &found->second : nullptr;

  auto open_current = [&]() -> OpenedObject {
    if (current->derived && !need_etag) derived = DerivedBody{current->body_path, current->identity};
    OpenedObject opened{std::move(current->record), nullptr};
    if (open_body) {
      opened.body =
          std::make_unique<FileBodyReader>(std::move(current->fd), current->identity.size, current->body_path);
    }
    return opened;
  };
  auto open_entry = [&](std::size_t index) -> StoreResult<OpenedObject> {
    const HistoryEntry& entry = history->entries[index];
    OpenedObject opened{entry.record, nullptr};
    opened.record.is_latest = !current && index == 0;
    if (open_body && !entry.record.delete_marker) {
      const fs::path path = layout_.VersionBodyFile(bucket.record.name, Sha256Hex(key), entry.body_name);
      UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd.Valid()) return StoreFail(StoreErrc::StorageFailed, ErrnoText("open", path));
      opened.body = std::make_unique<FileBodyReader>(std::move(fd), entry.record.size, path);
    }
    return opened;
  };

  if (version_id.empty()) {
    if (current) return open_current();
    if (history && !history->entries.empty()) return open_entry(0);
    return StoreFail(StoreErrc::ObjectNotFound, key);
  }
  if (current && current->record.version_id == version_id) return open_current();
  if (history) {
    for (std::size_t i = 0; i < history->entries.size(); ++i) {
      if (history->entries[i].record.version_id == version_id) return open_entry(i);
    }
  }
  if (current || (history && !history->entries.empty())) return StoreFail(StoreErrc::VersionNotFound, key);
  return StoreFail(StoreErrc::ObjectNotFound, key);
}

StoreResult<DeleteOutcome> FileS3Store::DeleteObject(std::string_view bucket, std::string_view key_view,
                                                     std::string_view version_id, const ObjectRecord& marker,
                                                     const WriteCondition& condition) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());  // also when there is nothing to delete
  const std::string& name = state->record.name;
  const std::string key(key_view);
  const std::string hash = Sha256Hex(key);
  const bool need_etag = condition.if_match_etag.has_value() || state->record.versioning != Versioning::Unversioned;
  MALLARD_ASSIGN_OR_RETURN(std::optional<Current> current, ReadCurrent(*state, key, false, need_etag));
  auto found = state->histories.find(key);
  KeyHistory history = found != state->histories.end() ? found->second : KeyHistory{key, {}};
  const bool escaped_before = state->escaped.contains(key);
  bool escaped_after = false;
  std::vector<IntentStep> steps;
  DeleteOutcome outcome;

  if (version_id.empty()) {
    MALLARD_RETURN_IF_ERROR(CheckCondition(current.has_value(), current ? current->record.etag : "", condition));
    const Versioning versioning = state->record.versioning;
    if (versioning == Versioning::Unversioned) {
      if (!current) return outcome;
      RemoveCurrentSteps(name, hash, *current, steps);
      outcome.removed = true;
    } else {
      const std::string marker_id = versioning == Versioning::Enabled ? marker.version_id : std::string(kNullVersionId);
      if (current) {
        if (versioning == Versioning::Enabled || current->record.version_id != kNullVersionId) {
          ArchiveCurrentSteps(name, hash, *current, history, steps);
        }
        RemoveCurrentSteps(name, hash, *current, steps);
      }
      if (versioning == Versioning::Suspended) {
        for (auto it = history.entries.begin(); it != history.entries.end();) {
          if (it->record.version_id != kNullVersionId) {
            ++it;
            continue;
          }
          if (!it->body_name.empty()) {
            steps.push_back(
                Step(IntentStep::Kind::Unlink, "", Relative(layout_.VersionBodyFile(name, hash, it->body_name))));
          }
          it = history.entries.erase(it);
        }
      }
      ObjectRecord record;
      record.key = key;
      record.version_id = marker_id;
      record.delete_marker = true;
      record.last_modified_millis = marker.last_modified_millis;
      record.owner_account = marker.owner_account;
      record.attributes_json = marker.attributes_json;
      history.entries.insert(history.entries.begin(), HistoryEntry{std::move(record), ""});
      HistorySteps(name, hash, history, steps);
      outcome = DeleteOutcome{true, true, marker_id};
    }
  } else if (current && current->record.version_id == version_id) {
    RemoveCurrentSteps(name, hash, *current, steps);
    if (auto promoted = PromoteSteps(*state, hash, history, steps)) {
      escaped_after = *promoted;
      HistorySteps(name, hash, history, steps);
    }
    outcome = DeleteOutcome{true, false, std::string(version_id)};
  } else {
    auto it = std::find_if(history.entries.begin(), history.entries.end(),
                           [&](const HistoryEntry& entry) { return entry.record.version_id == version_id; });
    if (it == history.entries.end()) return outcome;  // S3 answers 204: nothing to remove
    const bool was_front = it == history.entries.begin();
    outcome = DeleteOutcome{true, it->record.delete_marker, std::string(version_id)};
    if (!it->body_name.empty()) {
      steps.push_back(Step(IntentStep::Kind::Unlink, "", Relative(layout_.VersionBodyFile(name, hash, it->body_name))));
    }
    history.entries.erase(it);
    if (!current && was_front) {
      if (auto promoted = PromoteSteps(*state, hash, history, steps)) escaped_after = *promoted;
    }
    if (current) escaped_after = escaped_before;
    HistorySteps(name, hash, history, steps);
  }

  MALLARD_RETURN_IF_ERROR(RunIntent(steps, {}));
  if (history.entries.empty()) {
    state->histories.erase(key);
  } else {
    state->histories[key] = std::move(history);
  }
  ApplyEscapedChange(*state, key, escaped_before, escaped_after);
  return outcome;
}

StoreResult<ObjectRecord> FileS3Store::UpdateObjectAttributes(std::string_view bucket, std::string_view key_view,
                                                              std::string_view version_id,
                                                              const std::function<void(std::string&)>& update) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(bucket));
  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(bucket));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  const std::string& name = state->record.name;
  const std::string key(key_view);
  const std::string hash = Sha256Hex(key);
  MALLARD_ASSIGN_OR_RETURN(std::optional<Current> current, ReadCurrent(*state, key, false, true));
  if (current && (version_id.empty() || current->record.version_id == version_id)) {
    ObjectRecord record = current->record;
    update(record.attributes_json);
    record.is_latest = false;
    // Through an intent like every other change of an object's records: an older intent
    // replayed after a crash must never write its record over this one (RunIntent says why).
    MALLARD_RETURN_IF_ERROR(
        RunIntent({Step(IntentStep::Kind::Write, "", Relative(layout_.CurrentRecordFile(name, hash)),
                        CurrentToJson(CurrentSidecar{record, current->identity, current->escaped}))},
                  {}));
    record.is_latest = true;
    return record;
  }
  auto found = state->histories.find(key);
  if (found == state->histories.end() || found->second.entries.empty()) {
    if (current) return StoreFail(StoreErrc::VersionNotFound, key);
    return StoreFail(StoreErrc::ObjectNotFound, key);
  }
  KeyHistory history = found->second;
  std::size_t index = 0;
  if (!version_id.empty()) {
    while (index < history.entries.size() && history.entries[index].record.version_id != version_id) ++index;
    if (index == history.entries.size()) return StoreFail(StoreErrc::VersionNotFound, key);
  }
  if (history.entries[index].record.delete_marker) {
    return StoreFail(StoreErrc::ObjectNotFound, "a delete marker has no attributes document");
  }
  update(history.entries[index].record.attributes_json);
  MALLARD_RETURN_IF_ERROR(RunIntent(
      {Step(IntentStep::Kind::Write, "", Relative(layout_.HistoryFile(name, hash)), HistoryToJson(history))}, {}));
  ObjectRecord record = history.entries[index].record;
  record.is_latest = !current && index == 0;
  found->second = std::move(history);
  return record;
}

}  // namespace mallard::s3::file

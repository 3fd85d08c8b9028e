#pragma once
// FileS3Store: the default S3 store. Each object's current version is the plain file
// ROOT/<bucket>/<key> (for keys that are valid paths: file_layout.hpp), so DuckDB and a person read
// objects directly; everything else (records, older versions, delete markers, uploads, keys that
// are not paths) lives in the sidecar tree ROOT/.mallard-s3/. Files that appear in a bucket's
// directory without an S3 call are objects too (README.md says how their records are derived).
//
// Commits are atomic and survive a crash: the bytes are written to a temp file first, then every
// file the commit changes is named in an intent (ROOT/.mallard-s3/intents/) whose steps are each
// idempotent; the intent is applied and removed, and replayed at open if the process died halfway.
// A step that fails while the process goes on is tried again; if it keeps failing, the store
// refuses every change (Unavailable) until it is opened again, which finishes the commit (reads
// go on): README.md, "Commits".
//
// One process per ROOT: Open takes an flock on ROOT/.mallard-s3/lock and fails (Unavailable) while
// another store holds it. Within the process, a reader/writer lock per bucket: commits and their
// versioning bookkeeping hold it exclusively, reads share it; bytes are copied outside it.
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "services/s3/file/file_io.hpp"
#include "services/s3/file/file_layout.hpp"
#include "services/s3/file/file_records.hpp"
#include "services/s3/file/file_walk.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3::file {

class FileBodyWriter;

struct FileS3StoreOptions {
  // fsync bodies, sidecars, intents and directories before a commit returns. Off only in tests.
  bool durable = true;
  // Test hook: called before each step of a commit with its kind and index ("write#1"); returning
  // true stops the commit there, intent left in place, as if the process had died (the store
  // takes no further change, as after a failed commit). The store must then be destroyed and
  // opened again (which replays the intent).
  std::function<bool(std::string_view step)> crash_before_step;
  // Test hook: an I/O error without stopping the process. Called at each point of a commit where
  // the disk can fail; returning true makes that point fail as the failed system call would:
  //   "<kind>#<i>"   before step i (the step fails, nothing done; called again at each retry),
  //   "<kind>#<i>+"  after step i applied (its effect is there, yet it reports an error),
  //   "intent:write", "intent:fsync", "intent:remove", "syncfs", "steps:fsync" (the intent's
  //   writing, its fsync, the unlink of an intent, syncfs, the fsyncs after a commit's steps).
  std::function<bool(std::string_view point)> fail_step;
};

class FileS3Store final : public S3Store {
 public:
  // Opens (creating when needed) the store at `root`: takes the lock, replays unfinished commits,
  // removes temp files, loads buckets, older versions, uploads and escaped keys.
  static StoreResult<std::unique_ptr<FileS3Store>> Open(std::filesystem::path root, FileS3StoreOptions options = {});
  ~FileS3Store() override;

  std::string Name() const override;
  std::optional<std::filesystem::path> RootDirectory() const override { return layout_.Root(); }
  // Why the store takes no changes (the failed state, see EnterFailedState); nullopt while it does.
  // For the health endpoint, which must show a store that refuses every write.
  std::optional<std::string> FailureReason() const;

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
  struct UploadState {
    UploadRecord record;
    std::map<std::uint32_t, StoredPart> parts;
  };
  struct BucketState {
    std::shared_mutex mutex;  // exclusive: commits and bookkeeping; shared: reads
    BucketRecord record;
    bool deleted = false;
    std::set<std::string> escaped;                // keys whose current body is under escaped/
    std::map<std::string, KeyHistory> histories;  // keys with older versions or delete markers
    std::map<std::string, UploadState> uploads;   // by upload id
  };
  // A key's current version as found on disk, with its body opened when asked.
  struct Current {
    ObjectRecord record;
    std::filesystem::path body_path;
    FileIdentity identity;
    bool escaped = false;
    bool derived = false;  // no S3 call wrote this file (or it changed since): the record is derived
    UniqueFd fd;
  };

  FileS3Store(std::filesystem::path root, FileS3StoreOptions options, UniqueFd lock);

  StoreResult<std::shared_ptr<BucketState>> FindBucket(std::string_view name);
  StoreResult<Done> Recover();
  StoreResult<Done> LoadBucket(const BucketRecord& record);

  // Where the key's current body is (escaped or plain); nullopt for a key that is neither (not a
  // plain path and not escaped).
  std::optional<std::pair<std::filesystem::path, bool>> CurrentBodyPath(const BucketState& bucket,
                                                                        const std::string& key) const;
  // Where a new current body for the key goes: its plain path when free, else escaped.
  std::pair<std::filesystem::path, bool> NewBodyPath(const BucketState& bucket, const std::string& key) const;
  StoreResult<std::optional<Current>> ReadCurrent(const BucketState& bucket, const std::string& key, bool open_body,
                                                  bool need_etag);
  // One look; `changed` when the file changed or vanished while its MD5 was computed.
  StoreResult<std::optional<Current>> ReadCurrentOnce(const BucketState& bucket, const std::string& key, bool open_body,
                                                      bool need_etag, bool& changed);
  // The quoted MD5 of a file no S3 call wrote (cached by identity); nullopt when the file changed
  // or vanished while it was read.
  StoreResult<std::optional<std::string>> DerivedEtag(const std::string& bucket, const std::string& key_hash,
                                                      const std::filesystem::path& body, const FileIdentity& identity,
                                                      int fd);

  // Where a file no S3 call wrote was found, for its MD5 outside the lock (path unset: none).
  struct DerivedBody {
    std::optional<std::filesystem::path> path;
    FileIdentity identity;
  };
  // GetObject's lookup, under the bucket's shared lock; unless `need_etag`, a derived current
  // version comes back without its ETag and with `derived` set.
  StoreResult<OpenedObject> GetObjectLocked(BucketState& bucket, const std::string& key, std::string_view version_id,
                                            bool open_body, DerivedBody& derived, bool need_etag);
  // ListObjects' page under the bucket's shared lock; unless `need_etag`, records of derived
  // versions come back without their ETags (`derived` has one entry per record).
  StoreResult<std::vector<ObjectRecord>> ListObjectsLocked(BucketState& bucket, const KeyRange& range,
                                                           std::vector<DerivedBody>& derived, bool need_etag);

  // Commit machinery.
  std::string Relative(const std::filesystem::path& path) const;
  std::filesystem::path Absolute(const std::string& relative) const;
  // What a commit's steps changed, synced together once they have all run (the intent holds
  // everything needed to redo them until then).
  struct Touched {
    std::set<std::string> files;
    std::set<std::string> dirs;
  };
  IoStatus ApplyStep(const IntentStep& step, Touched& touched);
  // create_directories, noting the parent of each directory it creates for SyncTouched.
  IoStatus MakeParents(const std::filesystem::path& dir, Touched& touched);
  // fsync of every file and directory still there; the first failure.
  IoStatus SyncTouched(const Touched& touched);
  // Writes the intent (synced), then calls `intent_written` (from then on the commit's temp body
  // belongs to the intent), applies the steps, and removes the intent. Succeeds when every step
  // ran; a step that keeps failing leaves the intent and the store failed (EnterFailedState).
  StoreResult<Done> RunIntent(const std::vector<IntentStep>& steps, const std::function<void()>& intent_written);

  // Steps that make the key's history `history` (written, or removed when empty).
  void HistorySteps(const std::string& bucket, const std::string& key_hash, const KeyHistory& history,
                    std::vector<IntentStep>& steps) const;
  // Steps that move the current body into the history as an older version (front of `history`).
  void ArchiveCurrentSteps(const std::string& bucket, const std::string& key_hash, const Current& current,
                           KeyHistory& history, std::vector<IntentStep>& steps) const;
  // Steps that remove the current body and its record.
  void RemoveCurrentSteps(const std::string& bucket, const std::string& key_hash, const Current& current,
                          std::vector<IntentStep>& steps) const;
  // When the key has no current body and its newest older version is not a delete marker, steps
  // that make that version current again. Returns whether it did (and where the body went).
  std::optional<bool> PromoteSteps(const BucketState& bucket, const std::string& key_hash, KeyHistory& history,
                                   std::vector<IntentStep>& steps) const;
  // A commit worked out but not yet run: its steps, and what to change in memory once they are
  // applied (returns the committed record). Prepared and finished under the bucket's exclusive lock.
  struct PreparedCommit {
    std::vector<IntentStep> steps;
    std::function<ObjectRecord()> finish;
  };
  // The steps by which `tmp` (identity `identity`) becomes the key's current version under the
  // bucket's versioning, after the write condition is checked against the current version.
  StoreResult<PreparedCommit> PrepareObject(BucketState& bucket, ObjectRecord record, const std::filesystem::path& tmp,
                                            const FileIdentity& identity, const WriteCondition& condition,
                                            std::vector<IntentStep> extra_steps);
  // PrepareObject run alone through RunIntent (CompleteUpload). Called with the bucket locked exclusively.
  StoreResult<ObjectRecord> CommitObject(BucketState& bucket, ObjectRecord record, const std::filesystem::path& tmp,
                                         const FileIdentity& identity, const WriteCondition& condition,
                                         std::vector<IntentStep> extra_steps,
                                         const std::function<void()>& intent_written);
  void ApplyEscapedChange(BucketState& bucket, const std::string& key, bool escaped_before, bool escaped_after);

  // Keys with a current body in range (walked plain files merged with escaped keys), at most
  // range.limit, byte order.
  std::vector<std::string> CurrentKeys(BucketState& bucket, const KeyRange& range);
  // Every version of the key, newest first, is_latest set.
  StoreResult<std::vector<ObjectRecord>> VersionsOf(BucketState& bucket, const std::string& key);

  // Group commit (file_s3_group_commit.cpp): PutObject's commit joins a queue; one caller at a
  // time leads, committing every waiting put that does not collide with another in one intent and
  // two syncs of the filesystem, then wakes the others with their results.
  struct PendingPut;
  StoreResult<ObjectRecord> GroupCommitPut(BucketState& bucket, ObjectRecord record, FileBodyWriter& writer,
                                           const FileIdentity& identity, const WriteCondition& condition);
  // Takes from the queue (commit_mutex_ held) the puts one batch can commit together, in order.
  std::vector<PendingPut*> TakeBatch();
  void RunBatch(const std::vector<PendingPut*>& batch);
  // Writes the intent file (synced when `sync`, with its directory); its path. On failure the
  // intent is removed; when even that fails, `left_behind` is set and the store is failed: the
  // next open may replay the intent, so the caller keeps the commit's bodies for it.
  StoreResult<std::filesystem::path> WriteIntent(const std::vector<IntentStep>& steps, bool sync, bool& left_behind);
  // The test hook's verdict before step `index`.
  bool CrashBefore(const IntentStep& step, std::size_t index) const;
  // The fail_step hook's verdict at `point`.
  bool FailAt(std::string_view point) const;
  // ApplyStep with the fail_step hook consulted before and after it.
  IoStatus ApplyStepAt(const IntentStep& step, std::size_t index, Touched& touched);
  // Step `index` of a running commit: applied, and tried again after a failure (steps are
  // idempotent, and the caller's locks keep every other commit off its files) up to
  // kStepAttempts times in all, a moment apart. The last failure when every attempt failed.
  IoStatus RunStep(const IntentStep& step, std::size_t index, Touched& touched);
  // Removes an intent file (absence is success).
  IoStatus RemoveIntent(const std::filesystem::path& intent) const;

  // The failed state (README.md, "Commits"). Entered when an intent must stay on disk while the
  // process goes on: a step that kept failing (the commit is half applied), an intent that could
  // not be removed, effects that could not be synced (the intent must stay to redo them), a test
  // crash. Any later commit touching the same files would be overwritten when the next open
  // replays that intent, so from then on every change is refused (Unavailable, naming `reason`)
  // until the store is opened again. Reads go on. Reset, which deletes everything an intent could
  // touch, removes the intents and leaves the state.
  void EnterFailedState(const std::string& reason);
  // Unavailable once the store has failed. Commits check it under their buckets' exclusive locks,
  // which the commit that fails holds when it enters the state, and again under sync_mutex_
  // (MakeIntentDurable): no later commit of the files an intent left behind names runs.
  StoreResult<Done> RefuseIfFailed() const;
  // syncfs on ROOT's filesystem: every file and directory the store wrote is on disk after it.
  IoStatus SyncFilesystem() const;
  // Makes the intent just written (`intent`) durable before its steps run: by one syncfs when
  // `whole_filesystem` or when a batch left its effects unsynced (which that syncfs makes durable,
  // so the batch's intent goes; sync_mutex_ is held until it returns); else by fsync of the intent
  // and its directory. On failure (also when the previous batch's intent cannot be removed: its
  // replay would undo this commit; and when the store has failed, checked under sync_mutex_,
  // since that batch spans buckets whose locks the commit that failed need not hold) no step runs
  // and the intent is removed; when even that fails, `left_behind` is set as by WriteIntent.
  StoreResult<Done> MakeIntentDurable(const std::filesystem::path& intent, bool whole_filesystem, bool& left_behind);

  FileLayout layout_;
  FileS3StoreOptions options_;
  UniqueFd lock_;
  UniqueFd root_fd_;  // for syncfs
  std::mutex commit_mutex_;
  std::condition_variable commit_cv_;
  std::deque<PendingPut*> commit_queue_;
  bool committing_ = false;  // a caller is leading a batch
  std::condition_variable arrival_cv_;  // a put joined the queue (a leader may be gathering)
  std::size_t last_batch_size_ = 0;
  // The last batch's intent, whose steps are applied (and acknowledged: the intent is durable) but
  // not yet known to be on disk. The next commit's syncfs makes them durable, then removes it
  // (ClaimUnsyncedBatch). Guarded by sync_mutex_, which is also held from the claim until that
  // syncfs returns: no commit applies its steps while an earlier batch's effects may still be
  // only in memory (replaying that batch's intent over them after a crash could undo them).
  std::mutex sync_mutex_;
  std::optional<std::filesystem::path> unsynced_batch_intent_;
  mutable std::mutex failed_mutex_;
  std::optional<std::string> failed_reason_;  // set: the store refuses changes (EnterFailedState)
  DirectoryListingCache listing_cache_;
  std::shared_mutex buckets_mutex_;  // the map below; exclusive for create, delete, reset
  std::map<std::string, std::shared_ptr<BucketState>, std::less<>> buckets_;

  friend class FileBodyWriter;
};

}  // namespace mallard::s3::file

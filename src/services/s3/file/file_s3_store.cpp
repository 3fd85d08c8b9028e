// FileS3Store: opening and recovery, buckets, the commit machinery (intents), reset. Objects are
// in file_s3_objects.cpp, listings in file_s3_listing.cpp, multipart uploads in file_s3_uploads.cpp.
#include "services/s3/file/file_s3_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <cstdio>
#include <system_error>
#include <thread>
#include <utility>

#include "services/s3/file/file_body.hpp"
#include "services/s3/file/file_status.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;

namespace {

// Intent names sort in commit order (replay applies them in that order): the time in nanoseconds,
// never less than the last name's (the wall clock can step back), then a counter.
std::string NextIntentName() {
  static std::mutex mutex;
  static std::uint64_t last_nanos = 0;
  static std::uint64_t counter = 0;
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  std::uint64_t nanos = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(now.tv_nsec);
  std::uint64_t sequence = 0;
  {
    std::lock_guard lock(mutex);
    nanos = std::max(nanos, last_nanos + 1);
    last_nanos = nanos;
    sequence = counter++ % 100000000;
  }
  char name[64];
  std::snprintf(name, sizeof(name), "%010llu%09llu-%08llu.json", static_cast<unsigned long long>(nanos / 1'000'000'000ULL),
                static_cast<unsigned long long>(nanos % 1'000'000'000ULL), static_cast<unsigned long long>(sequence));
  return name;
}

// A step that fails is tried this many times in all before the commit gives up (RunStep), the
// n-th retry after n times this pause: a passing error (EINTR-like, space freed meanwhile) does
// not cost the store its ability to take changes.
constexpr int kStepAttempts = 3;
constexpr auto kStepRetryPause = std::chrono::milliseconds(2);

std::vector<fs::path> SortedChildren(const fs::path& dir) {
  std::vector<fs::path> children;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error))
    children.push_back(it->path());
  std::sort(children.begin(), children.end());
  return children;
}

}  // namespace

// ---- opening ----

StoreResult<std::unique_ptr<FileS3Store>> FileS3Store::Open(fs::path root, FileS3StoreOptions options) {
  std::error_code error;
  fs::create_directories(root, error);
  if (error) return StoreFail(StoreErrc::Unavailable, "cannot create " + root.string() + ": " + error.message());
  root = fs::canonical(root, error);
  if (error) return StoreFail(StoreErrc::Unavailable, "cannot resolve " + root.string() + ": " + error.message());
  FileLayout layout(root);
  for (const fs::path& dir : {layout.SidecarRoot(), layout.TmpDir(), layout.IntentsDir(), layout.BucketsDir()}) {
    if (auto made = MakeDirectories(dir); !made.ok()) return StoreFail(StoreErrc::Unavailable, made.error());
  }
  UniqueFd lock(::open(layout.LockFile().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.Valid()) return StoreFail(StoreErrc::Unavailable, ErrnoText("open", layout.LockFile()));
  if (::flock(lock.Get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return StoreFail(StoreErrc::Unavailable, "another S3 file store has " + root.string() + " open (it holds " +
                                                   layout.LockFile().string() + "); one process per directory");
    }
    return StoreFail(StoreErrc::Unavailable, ErrnoText("flock", layout.LockFile()));
  }
  std::unique_ptr<FileS3Store> store(new FileS3Store(root, std::move(options), std::move(lock)));
  store->root_fd_ = UniqueFd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!store->root_fd_.Valid()) return StoreFail(StoreErrc::Unavailable, ErrnoText("open", root));
  if (auto recovered = store->Recover(); !recovered.ok())
    return StoreFail(recovered.error().code, recovered.error().detail);
  return store;
}

FileS3Store::FileS3Store(fs::path root, FileS3StoreOptions options, UniqueFd lock)
    : layout_(std::move(root)), options_(std::move(options)), lock_(std::move(lock)) {}

FileS3Store::~FileS3Store() {
  // The last batch's effects to disk, and its intent away (else the next open replays it: also
  // correct, only slower). Closing the lock file then releases the flock.
  std::lock_guard lock(sync_mutex_);
  if (unsynced_batch_intent_ && SyncFilesystem().ok()) (void)RemoveIntent(*unsynced_batch_intent_);
}

std::string FileS3Store::Name() const { return "file://" + layout_.Root().string(); }

StoreResult<Done> FileS3Store::Recover() {
  // 1. Finish the commits a crash interrupted, in commit order.
  for (const fs::path& intent : SortedChildren(layout_.IntentsDir())) {
    auto text = ReadWholeFile(intent);
    if (!text.ok()) return StoreFail(StoreErrc::Unavailable, text.error());
    if (text->has_value()) {
      // An intent that does not parse was being written when the process died: its commit had
      // not started (the intent is synced before the first step), so it is dropped.
      if (auto steps = IntentFromJson(**text)) {
        Touched touched;
        // A step that cannot be applied (something changed the directory by hand meanwhile: a
        // directory where the body should go) is skipped: the rest of the commit still lands,
        // and the store opens; what is on disk is what gets listed.
        for (const IntentStep& step : *steps) (void)ApplyStep(step, touched);
        (void)SyncTouched(touched);
      }
    }
    if (auto removed = RemoveFileIfPresent(intent); !removed.ok())
      return StoreFail(StoreErrc::Unavailable, removed.error());
  }
  // A temporary store (durable = false, removed at exit) has nothing to make durable; its fsync
  // cost every server without --backend-s3 up to tens of ms of start-up on a busy disk.
  if (options_.durable) (void)SyncDirectory(layout_.IntentsDir());
  // 2. Bodies being written when the process stopped are gone with it.
  for (const fs::path& temp : SortedChildren(layout_.TmpDir())) {
    std::error_code error;
    fs::remove_all(temp, error);
  }
  // 3. Buckets, then what each holds; sidecar trees of buckets that no longer exist are removed.
  std::set<std::string> names;
  for (const fs::path& file : SortedChildren(layout_.BucketsDir())) {
    auto text = ReadWholeFile(file);
    if (!text.ok()) return StoreFail(StoreErrc::Unavailable, text.error());
    std::optional<BucketRecord> bucket = text->has_value() ? BucketFromJson(**text) : std::nullopt;
    if (!bucket || file.extension() != ".json" || file.stem().native() != bucket->name ||
        !IsStorableBucketName(bucket->name)) {
      continue;  // not a bucket record (left by hand?): ignored, kept
    }
    names.insert(bucket->name);
    MALLARD_RETURN_IF_ERROR(LoadBucket(*bucket));
  }
  for (const char* tree : {"current", "escaped", "versions", "uploads", "etags"}) {
    for (const fs::path& dir : SortedChildren(layout_.SidecarRoot() / tree)) {
      if (!names.contains(dir.filename().native())) {
        std::error_code error;
        fs::remove_all(dir, error);
      }
    }
  }
  return Done{};
}

StoreResult<Done> FileS3Store::LoadBucket(const BucketRecord& record) {
  auto state = std::make_shared<BucketState>();
  state->record = record;
  const std::string& name = record.name;
  if (auto made = MakeDirectories(layout_.BucketDir(name)); !made.ok())
    return StoreFail(StoreErrc::Unavailable, made.error());

  // Escaped keys: a body under escaped/ whose record (in current/) names the key it hashes from.
  for (const fs::path& fan : SortedChildren(layout_.EscapedDir(name))) {
    for (const fs::path& body : SortedChildren(fan)) {
      const std::string hash = body.filename().native();
      auto text = ReadWholeFile(layout_.CurrentRecordFile(name, hash));
      std::optional<CurrentSidecar> sidecar = text.ok() && text->has_value() ? CurrentFromJson(**text) : std::nullopt;
      if (sidecar && sidecar->escaped && Sha256Hex(sidecar->record.key) == hash) {
        state->escaped.insert(sidecar->record.key);
      } else if (text.ok() && !text->has_value()) {
        // No record at all says which key this is (only an interrupted commit leaves that, and
        // replay finished those): the bytes cannot be named, so they go. A record that exists but
        // does not parse (damaged by hand) keeps its bytes on disk, unlisted, for a person to see.
        (void)RemoveFileIfPresent(body);
      }
    }
  }

  // Older versions and delete markers: a history per key; bodies no history names are removed.
  for (const fs::path& fan : SortedChildren(layout_.VersionsDir(name))) {
    std::set<std::string> referenced;
    std::set<std::string> damaged;  // hashes whose history does not parse: their bodies stay
    std::vector<fs::path> bodies;
    for (const fs::path& file : SortedChildren(fan)) {
      if (file.extension() != ".json") {
        bodies.push_back(file);
        continue;
      }
      auto text = ReadWholeFile(file);
      std::optional<KeyHistory> history = text.ok() && text->has_value() ? HistoryFromJson(**text) : std::nullopt;
      const std::string hash = file.stem().native();
      if (!history || Sha256Hex(history->key) != hash) {
        // Damaged by hand (the store replaces it atomically): ignored, and nothing it may name
        // is removed, so the older versions' bytes stay for a person to recover.
        damaged.insert(hash);
        continue;
      }
      // A version whose body is gone (removed by hand) is dropped from the history.
      std::size_t before = history->entries.size();
      std::erase_if(history->entries, [&](const HistoryEntry& entry) {
        return !entry.record.delete_marker &&
               !RegularFileIdentity(layout_.VersionBodyFile(name, hash, entry.body_name)).has_value();
      });
      for (const HistoryEntry& entry : history->entries) {
        if (!entry.body_name.empty()) referenced.insert(hash + "." + entry.body_name);
      }
      if (history->entries.empty()) {
        (void)RemoveFileIfPresent(file);
        continue;
      }
      if (history->entries.size() != before) {
        if (auto written = WriteFileAtomic(file, HistoryToJson(*history), layout_.TmpDir(), options_.durable);
            !written.ok()) {
          return StoreFail(StoreErrc::Unavailable, written.error());
        }
      }
      state->histories.emplace(history->key, std::move(*history));
    }
    for (const fs::path& body : bodies) {
      const std::string body_name = body.filename().native();
      if (referenced.contains(body_name) || damaged.contains(body_name.substr(0, body_name.find('.')))) continue;
      (void)RemoveFileIfPresent(body);
    }
  }

  // Multipart uploads: upload.json names the upload; parts are part-<n>.json naming their body.
  for (const fs::path& dir : SortedChildren(layout_.UploadsDir(name))) {
    auto text = ReadWholeFile(dir / "upload.json");
    std::optional<UploadRecord> upload = text.ok() && text->has_value() ? UploadFromJson(**text) : std::nullopt;
    if (!upload || Sha256Hex(upload->upload_id) != dir.filename().native()) {
      std::error_code error;
      fs::remove_all(dir, error);  // an upload being created or aborted when the process stopped
      continue;
    }
    UploadState upload_state{std::move(*upload), {}};
    std::set<std::string> referenced;
    std::vector<fs::path> bodies;
    for (const fs::path& file : SortedChildren(dir)) {
      const std::string file_name = file.filename().native();
      if (file_name == "upload.json") continue;
      if (!file_name.starts_with("part-") || file.extension() != ".json") {
        bodies.push_back(file);
        continue;
      }
      auto part_text = ReadWholeFile(file);
      std::optional<StoredPart> part =
          part_text.ok() && part_text->has_value() ? PartFromJson(**part_text) : std::nullopt;
      if (!part || file_name != "part-" + std::to_string(part->record.number) + ".json" ||
          !RegularFileIdentity(dir / part->body_name).has_value()) {
        (void)RemoveFileIfPresent(file);
        continue;
      }
      referenced.insert(part->body_name);
      upload_state.parts.emplace(part->record.number, std::move(*part));
    }
    for (const fs::path& body : bodies) {
      if (!referenced.contains(body.filename().native())) (void)RemoveFileIfPresent(body);
    }
    std::string id = upload_state.record.upload_id;
    state->uploads.emplace(std::move(id), std::move(upload_state));
  }

  buckets_.emplace(name, std::move(state));
  return Done{};
}

// ---- the commit machinery ----

std::string FileS3Store::Relative(const fs::path& path) const {
  return path.native().substr(layout_.Root().native().size() + 1);
}

fs::path FileS3Store::Absolute(const std::string& relative) const { return layout_.Root() / relative; }

IoStatus FileS3Store::SyncTouched(const Touched& touched) {
  IoStatus result = Done{};
  if (FailAt("steps:fsync")) result = Fail("fsync: injected I/O error (test)");
  for (const std::string& file : touched.files) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.Valid()) continue;  // gone again (a later step removed it): nothing to sync
    if (::fsync(fd.Get()) != 0 && result.ok()) result = Fail(ErrnoText("fsync", file));
  }
  for (const std::string& dir : touched.dirs) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.Valid()) continue;  // a pruned directory is gone: fine
    if (::fsync(fd.Get()) != 0 && result.ok()) result = Fail(ErrnoText("fsync directory", dir));
  }
  return result;
}

IoStatus FileS3Store::MakeParents(const fs::path& dir, Touched& touched) {
  // The directories that do not exist yet, deepest last: each new one is an entry in its parent,
  // which must be synced too or a crash could lose the whole path to the new file.
  std::vector<fs::path> missing;
  for (fs::path at = dir; !at.empty() && at != layout_.Root() && at != at.parent_path(); at = at.parent_path()) {
    struct stat info {};
    if (::lstat(at.c_str(), &info) == 0) break;
    missing.push_back(at);
  }
  MALLARD_RETURN_IF_ERROR(MakeDirectories(dir));
  for (const fs::path& created : missing) touched.dirs.insert(created.parent_path().native());
  return Done{};
}

IoStatus FileS3Store::ApplyStep(const IntentStep& step, Touched& touched) {
  const fs::path target = Absolute(step.target);
  switch (step.kind) {
    case IntentStep::Kind::LinkIfIdentity: {
      struct stat info {};
      if (::lstat(target.c_str(), &info) == 0) return Done{};  // done before
      const fs::path source = Absolute(step.source);
      auto identity = RegularFileIdentity(source);
      if (!identity || !step.identity || !(*identity == *step.identity)) return Done{};  // source moved on: done before
      MALLARD_RETURN_IF_ERROR(MakeParents(target.parent_path(), touched));
      if (::link(source.c_str(), target.c_str()) != 0 && errno != EEXIST) return Fail(ErrnoText("link to", target));
      touched.dirs.insert(target.parent_path().native());
      return Done{};
    }
    case IntentStep::Kind::Write:
      MALLARD_RETURN_IF_ERROR(MakeParents(target.parent_path(), touched));
      // Not synced here: SyncTouched syncs every written file and directory at the end, before
      // the intent that can redo this write is removed.
      MALLARD_RETURN_IF_ERROR(WriteFileAtomic(target, step.content, layout_.TmpDir(), false));
      touched.files.insert(target.native());
      touched.dirs.insert(target.parent_path().native());
      return Done{};
    case IntentStep::Kind::Rename: {
      const fs::path source = Absolute(step.source);
      struct stat info {};
      if (::lstat(source.c_str(), &info) != 0) return Done{};  // renamed before
      MALLARD_RETURN_IF_ERROR(MakeParents(target.parent_path(), touched));
      if (::rename(source.c_str(), target.c_str()) != 0) return Fail(ErrnoText("rename into", target));
      touched.dirs.insert(target.parent_path().native());
      return Done{};
    }
    case IntentStep::Kind::Unlink: {
      if (step.identity) {
        auto identity = RegularFileIdentity(target);
        if (!identity || !(*identity == *step.identity)) return Done{};  // gone, or not that file any more
      }
      MALLARD_RETURN_IF_ERROR(RemoveFileIfPresent(target));
      touched.dirs.insert(target.parent_path().native());
      if (!step.source.empty()) PruneEmptyDirectories(target.parent_path(), Absolute(step.source));
      return Done{};
    }
    case IntentStep::Kind::RemoveTree: {
      std::error_code error;
      fs::remove_all(target, error);
      if (error) return Fail("remove " + target.string() + ": " + error.message());
      return Done{};
    }
  }
  return Done{};
}

StoreResult<fs::path> FileS3Store::WriteIntent(const std::vector<IntentStep>& steps, bool sync,
                                               bool& left_behind) {
  // Written in place: a crash while it is written leaves text that does not parse, which the next
  // open drops (nothing had changed yet).
  fs::path intent = layout_.IntentsDir() / NextIntentName();
  UniqueFd fd(::open(intent.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.Valid()) return StoreFail(StoreErrc::StorageFailed, ErrnoText("create", intent));
  auto written = WriteAll(fd.Get(), IntentToJson(steps), intent);
  if (written.ok() && FailAt("intent:write")) written = Fail("write " + intent.string() + ": injected I/O error (test)");
  if (written.ok() && sync && ::fsync(fd.Get()) != 0) written = Fail(ErrnoText("fsync", intent));
  if (written.ok() && sync) written = SyncDirectory(layout_.IntentsDir());
  if (!written.ok()) {
    // Left behind, a whole intent would be replayed over later commits of its files.
    if (auto removed = RemoveIntent(intent); !removed.ok()) {
      EnterFailedState("an intent whose writing failed could not be removed: " + removed.error());
      left_behind = true;
    }
    return StoreFail(StoreErrc::StorageFailed, written.error());
  }
  return intent;
}

namespace {
std::string StepName(const IntentStep& step, std::size_t index) {
  static constexpr const char* kStepNames[] = {"link", "write", "rename", "unlink", "remove_tree"};
  return std::string(kStepNames[static_cast<int>(step.kind)]) + "#" + std::to_string(index);
}
}  // namespace

bool FileS3Store::CrashBefore(const IntentStep& step, std::size_t index) const {
  return options_.crash_before_step && options_.crash_before_step(StepName(step, index));
}

bool FileS3Store::FailAt(std::string_view point) const { return options_.fail_step && options_.fail_step(point); }

IoStatus FileS3Store::ApplyStepAt(const IntentStep& step, std::size_t index, Touched& touched) {
  const std::string name = StepName(step, index);
  if (FailAt(name)) return Fail(name + ": injected I/O error (test)");
  MALLARD_RETURN_IF_ERROR(ApplyStep(step, touched));
  if (FailAt(name + "+")) return Fail(name + ": injected I/O error after the step (test)");
  return Done{};
}

IoStatus FileS3Store::RunStep(const IntentStep& step, std::size_t index, Touched& touched) {
  IoStatus applied = ApplyStepAt(step, index, touched);
  for (int attempt = 1; !applied.ok() && attempt < kStepAttempts; ++attempt) {
    std::this_thread::sleep_for(kStepRetryPause * attempt);
    applied = ApplyStepAt(step, index, touched);
  }
  return applied;
}

void FileS3Store::EnterFailedState(const std::string& reason) {
  std::lock_guard lock(failed_mutex_);
  if (!failed_reason_) failed_reason_ = reason;
}

std::optional<std::string> FileS3Store::FailureReason() const {
  std::lock_guard lock(failed_mutex_);
  if (!failed_reason_) return std::nullopt;
  return "the S3 file store at " + layout_.Root().string() + " takes no changes since a commit failed (" +
         *failed_reason_ + "); restart to finish that commit";
}

StoreResult<Done> FileS3Store::RefuseIfFailed() const {
  std::lock_guard lock(failed_mutex_);
  if (!failed_reason_) return Done{};
  return StoreFail(StoreErrc::Unavailable,
                   "the S3 file store at " + layout_.Root().string() + " takes no changes since a commit failed (" +
                       *failed_reason_ + "); reads go on; opening the store again (restarting) finishes that commit "
                       "from its intent and takes changes again");
}

IoStatus FileS3Store::RemoveIntent(const fs::path& intent) const {
  if (FailAt("intent:remove")) return Fail("unlink " + intent.string() + ": injected I/O error (test)");
  return RemoveFileIfPresent(intent);
}

IoStatus FileS3Store::SyncFilesystem() const {
  if (FailAt("syncfs")) return Fail("syncfs: injected I/O error (test)");
  if (::syncfs(root_fd_.Get()) != 0) return Fail(ErrnoText("syncfs", layout_.Root()));
  return Done{};
}

StoreResult<Done> FileS3Store::MakeIntentDurable(const fs::path& intent, bool whole_filesystem,
                                                 bool& left_behind) {
  std::unique_lock sync_lock(sync_mutex_);
  // Checked again here: the last batch's intent spans buckets whose locks a commit entering the
  // failed state below (its intent could not be removed) does not hold, but it holds this mutex.
  if (auto refused = RefuseIfFailed(); !refused.ok()) {
    if (!RemoveIntent(intent).ok()) left_behind = true;
    return refused;
  }
  std::optional<fs::path> previous = std::exchange(unsynced_batch_intent_, std::nullopt);
  IoStatus synced = Done{};
  if (previous || whole_filesystem) {
    synced = SyncFilesystem();
  } else {
    sync_lock.unlock();
    UniqueFd fd(::open(intent.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.Valid()) synced = Fail(ErrnoText("open", intent));
    else if (FailAt("intent:fsync")) synced = Fail("fsync " + intent.string() + ": injected I/O error (test)");
    else if (::fsync(fd.Get()) != 0) synced = Fail(ErrnoText("fsync", intent));
    if (synced.ok()) synced = SyncDirectory(layout_.IntentsDir());
  }
  if (!synced.ok()) {
    // No step of this commit ran: its intent goes (left, it would be replayed over later commits).
    if (auto removed = RemoveIntent(intent); !removed.ok()) {
      EnterFailedState("an intent that could not be synced could not be removed either: " + removed.error());
      left_behind = true;
    }
    if (previous) unsynced_batch_intent_ = std::move(previous);  // its effects are not known to be durable
    return StoreFail(StoreErrc::StorageFailed, synced.error());
  }
  // The previous batch's effects are on disk: its intent can go (the next sync makes that durable).
  // If it cannot, it stays, and the next open would replay it over whatever this commit (or any
  // later one) changes in its files: this commit does not run, nor does any other.
  if (previous) {
    if (auto removed = RemoveIntent(*previous); !removed.ok()) {
      EnterFailedState("the intent of an applied batch of puts could not be removed: " + removed.error());
      // If this one stays too, the next open replays both in order: also consistent.
      if (!RemoveIntent(intent).ok()) left_behind = true;
      return StoreFail(StoreErrc::StorageFailed, removed.error());
    }
  }
  return Done{};
}

StoreResult<Done> FileS3Store::RunIntent(const std::vector<IntentStep>& steps,
                                         const std::function<void()>& intent_written) {
  // Checked under the bucket's exclusive lock (every caller holds it): after a commit failed, no
  // commit changes its files before the next open has replayed its intent.
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  // The intent is durable before the first step (MakeIntentDurable). Syncing its directory (or
  // the filesystem) also makes the removal of every earlier intent durable, so an older intent is
  // never replayed over this commit's changes.
  // An intent that failed before its first step and could not be removed may be replayed by the
  // next open: the commit's body then belongs to it (else the replay would land the record alone).
  bool left_behind = false;
  auto written = WriteIntent(steps, false, left_behind);
  if (written.ok() && options_.durable) {
    if (auto durable = MakeIntentDurable(*written, false, left_behind); !durable.ok()) {
      written = StoreFail(durable.error().code, durable.error().detail);
    }
  }
  if (!written.ok()) {
    if (left_behind && intent_written) intent_written();
    return StoreFail(written.error().code, written.error().detail);
  }
  const fs::path intent = *written;
  if (intent_written) intent_written();
  Touched touched;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (CrashBefore(steps[i], i)) {
      const std::string detail = "stopped before step " + std::to_string(i) + " (test crash)";
      EnterFailedState(detail);  // a dead process commits nothing more
      return StoreFail(StoreErrc::StorageFailed, detail);
    }
    if (auto applied = RunStep(steps[i], i, touched); !applied.ok()) {
      // Tried again and failed again: the commit is half applied, and its intent stays for the
      // next open to finish. Until then no change may touch its files (the replay would write
      // this commit over it): the store refuses them all. The caller is told it failed.
      EnterFailedState("a commit's step kept failing: " + applied.error());
      return StoreFail(StoreErrc::StorageFailed,
                       applied.error() + " (the store takes no more changes until it is opened again, which "
                                         "finishes this commit from its intent)");
    }
  }
  // Every step ran: the commit is done (and durable through its intent). Its intent goes only
  // once its effects are synced; when they cannot be, or the intent cannot be removed, it stays
  // for the next open to redo, and the store takes no more changes until then.
  IoStatus finished = options_.durable ? SyncTouched(touched) : IoStatus(Done{});
  if (finished.ok()) finished = RemoveIntent(intent);
  if (!finished.ok()) EnterFailedState("a commit's intent could not be retired: " + finished.error());
  return Done{};
}

// ---- buckets ----

StoreResult<std::shared_ptr<FileS3Store::BucketState>> FileS3Store::FindBucket(std::string_view name) {
  std::shared_lock lock(buckets_mutex_);
  auto found = buckets_.find(name);
  if (found == buckets_.end()) return StoreFail(StoreErrc::BucketNotFound, std::string(name));
  return found->second;
}

StoreResult<void> FileS3Store::CreateBucket(const BucketRecord& bucket) {
  if (!IsStorableBucketName(bucket.name)) {
    return StoreFail(StoreErrc::StorageFailed, "the file store cannot keep a bucket named \"" + bucket.name + "\"");
  }
  std::unique_lock lock(buckets_mutex_);
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  if (auto found = buckets_.find(bucket.name); found != buckets_.end()) {
    return StoreFail(StoreErrc::BucketExists, found->second->record.owner_account);
  }
  // The directory first (it may exist: its files become the bucket's objects), then the record,
  // which is what makes it a bucket.
  if (auto made = MakeDirectories(layout_.BucketDir(bucket.name)); !made.ok()) {
    return StoreFail(StoreErrc::StorageFailed, made.error());
  }
  if (auto written = WriteFileAtomic(layout_.BucketRecordFile(bucket.name), BucketToJson(bucket), layout_.TmpDir(),
                                     options_.durable);
      !written.ok()) {
    return StoreFail(StoreErrc::StorageFailed, written.error());
  }
  auto state = std::make_shared<BucketState>();
  state->record = bucket;
  buckets_.emplace(bucket.name, std::move(state));
  return Succeeded();
}

StoreResult<BucketRecord> FileS3Store::GetBucket(std::string_view name) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(name));
  std::shared_lock lock(state->mutex);
  return state->record;
}

StoreResult<std::vector<BucketRecord>> FileS3Store::ListBuckets() {
  std::vector<std::shared_ptr<BucketState>> states;
  {
    std::shared_lock lock(buckets_mutex_);
    for (const auto& [name, state] : buckets_) states.push_back(state);
  }
  std::vector<BucketRecord> records;
  for (const auto& state : states) {
    std::shared_lock lock(state->mutex);
    records.push_back(state->record);
  }
  return records;
}

StoreResult<void> FileS3Store::DeleteBucket(std::string_view name) {
  std::unique_lock lock(buckets_mutex_);
  auto found = buckets_.find(name);
  if (found == buckets_.end()) return StoreFail(StoreErrc::BucketNotFound, std::string(name));
  std::shared_ptr<BucketState> state = found->second;
  std::unique_lock bucket_lock(state->mutex);
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  const std::string bucket(name);
  if (!state->escaped.empty() || !state->histories.empty() || !state->uploads.empty() ||
      !WalkKeys(listing_cache_, layout_.BucketDir(bucket), "", "", 1).empty()) {
    return StoreFail(StoreErrc::BucketNotEmpty, bucket);
  }
  // The record goes first: without it the directory is no bucket, and the next open removes
  // whatever sidecar trees are left.
  if (auto removed = RemoveFileIfPresent(layout_.BucketRecordFile(bucket)); !removed.ok()) {
    return StoreFail(StoreErrc::StorageFailed, removed.error());
  }
  if (options_.durable) (void)SyncDirectory(layout_.BucketsDir());
  for (const fs::path& dir : {layout_.CurrentDir(bucket), layout_.EscapedDir(bucket), layout_.VersionsDir(bucket),
                              layout_.UploadsDir(bucket), layout_.EtagsDir(bucket)}) {
    std::error_code error;
    fs::remove_all(dir, error);
  }
  // Empty directories left under the bucket's directory, then the directory itself; anything
  // that is not an object (a symlink, a socket) stays, and so does the directory holding it.
  std::vector<fs::path> dirs;
  std::error_code error;
  for (fs::recursive_directory_iterator it(layout_.BucketDir(bucket), error), end; !error && it != end;
       it.increment(error)) {
    if (it->is_directory(error) && !it->is_symlink(error)) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end(),
            [](const fs::path& a, const fs::path& b) { return a.native().size() > b.native().size(); });
  for (const fs::path& dir : dirs) ::rmdir(dir.c_str());
  ::rmdir(layout_.BucketDir(bucket).c_str());
  state->deleted = true;
  buckets_.erase(found);
  listing_cache_.Clear();
  return Succeeded();
}

StoreResult<BucketRecord> FileS3Store::UpdateBucket(std::string_view name,
                                                    const std::function<void(BucketRecord&)>& update) {
  MALLARD_ASSIGN_OR_RETURN(auto state, FindBucket(name));
  std::unique_lock lock(state->mutex);
  if (state->deleted) return StoreFail(StoreErrc::BucketNotFound, std::string(name));
  MALLARD_RETURN_IF_ERROR(RefuseIfFailed());
  BucketRecord updated = state->record;
  update(updated);
  // Name, owner and region are the bucket's identity: an update cannot change them.
  updated.name = state->record.name;
  updated.owner_account = state->record.owner_account;
  updated.region = state->record.region;
  if (auto written = WriteFileAtomic(layout_.BucketRecordFile(updated.name), BucketToJson(updated), layout_.TmpDir(),
                                     options_.durable);
      !written.ok()) {
    return StoreFail(StoreErrc::StorageFailed, written.error());
  }
  state->record = updated;
  return updated;
}

void FileS3Store::Reset() {
  std::unique_lock lock(buckets_mutex_);
  for (auto& [name, state] : buckets_) {
    std::unique_lock bucket_lock(state->mutex);
    state->deleted = true;
    std::error_code error;
    fs::remove_all(layout_.BucketDir(name), error);
    (void)RemoveFileIfPresent(layout_.BucketRecordFile(name));
  }
  buckets_.clear();
  for (const char* tree : {"current", "escaped", "versions", "uploads", "etags"}) {
    std::error_code error;
    fs::remove_all(layout_.SidecarRoot() / tree, error);
  }
  listing_cache_.Clear();
  // What an intent left on disk would redo (a failed commit's, the last batch's) belonged to the
  // buckets just deleted, and no commit runs now (each bucket was locked once it was marked
  // deleted): the intents go, and with them the reason to refuse changes.
  std::lock_guard sync_lock(sync_mutex_);
  unsynced_batch_intent_.reset();
  bool removed_all = true;
  for (const fs::path& intent : SortedChildren(layout_.IntentsDir())) removed_all = RemoveIntent(intent).ok() && removed_all;
  if (removed_all) {
    std::lock_guard failed_lock(failed_mutex_);
    failed_reason_.reset();
  }
}

}  // namespace mallard::s3::file

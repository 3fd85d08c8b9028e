// FileS3Store: group commit. Concurrent PutObjects share their syncs: each caller has written its
// body already (and synced it, in parallel and outside any lock, when it is large); its commit
// then joins a queue. One caller at a time leads: it takes every waiting put that collides with no
// other in the batch, locks their buckets, prepares each commit, writes ONE intent listing every
// step of the batch, and syncs the filesystem once. From then the batch survives a crash (the
// intent is durable, and so are the small bodies and the previous batch's effects, whose intent
// it then removes). It applies the steps and hands each caller its result; the intent stays until
// the next commit's sync has made these effects durable too. A batch of N puts costs one syncfs on
// the callers' path instead of N times six fsyncs, and the callers that arrive while a batch runs
// form the next one. A step that keeps failing (RunStep tries it again) leaves the intent for the
// next open and the store refusing changes until then, as RunIntent does: the puts whose steps
// all ran are acknowledged, the others fail.
//
// Why the batch's puts cannot interfere: two puts of the same key, or of keys one of which is a
// directory of the other ("a" and "a/b": each one's path decides whether the other's is blocked),
// never share a batch — the later waits for the next. Every other pair touches disjoint files (the
// key's body path and its parents, its record, its history, its version bodies), so each commit
// is prepared against the state before the batch exactly as it would be alone, and replaying the
// batch's intent in order after a crash redoes each commit's steps as RunIntent's replay would.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "services/s3/file/file_body.hpp"
#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/file/file_status.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;

namespace {

// A batch takes at most this many puts: one intent file stays a few hundred KiB at most.
constexpr std::size_t kMaxBatch = 256;
// How long a leader waits for the puts of the last batch's callers to come back (GroupCommitPut).
constexpr auto kGatherWait = std::chrono::microseconds(500);

// "a" is a directory on the way to "a/b" (or the keys are equal).
bool PathsCollide(const std::string& a, const std::string& b) {
  const std::string& shorter = a.size() <= b.size() ? a : b;
  const std::string& longer = a.size() <= b.size() ? b : a;
  if (!longer.starts_with(shorter)) return false;
  return longer.size() == shorter.size() || longer[shorter.size()] == '/';
}

}  // namespace

struct FileS3Store::PendingPut {
  BucketState* bucket = nullptr;  // kept alive by the waiting caller
  ObjectRecord record;
  FileBodyWriter* writer = nullptr;
  FileIdentity identity;
  const WriteCondition* condition = nullptr;
  std::optional<StoreResult<ObjectRecord>> result;  // set by the leader of its batch
};

StoreResult<ObjectRecord> FileS3Store::GroupCommitPut(BucketState& bucket, ObjectRecord record, FileBodyWriter& writer,
                                                      const FileIdentity& identity, const WriteCondition& condition) {
  PendingPut pending;
  pending.bucket = &bucket;
  pending.record = std::move(record);
  pending.writer = &writer;
  pending.identity = identity;
  pending.condition = &condition;
  std::unique_lock queue_lock(commit_mutex_);
  commit_queue_.push_back(&pending);
  arrival_cv_.notify_one();
  while (!pending.result) {
    if (committing_) {
      commit_cv_.wait(queue_lock);
      continue;
    }
    // Nobody leads: this caller commits the batch (which holds its own put unless an earlier put
    // of a colliding key is waiting too; then it leads again, or waits, for the next one).
    committing_ = true;
    // The callers answered by the last batch come back together with their next puts, a little
    // apart: the first to arrive would otherwise commit alone and the rest pay a second sync. A
    // leader with fewer puts waiting than the last batch held gives the others a moment (never
    // more than kGatherWait, and only after a batch of several: a lone writer never waits).
    if (commit_queue_.size() < last_batch_size_) {
      arrival_cv_.wait_for(queue_lock, kGatherWait,
                           [&] { return commit_queue_.size() >= last_batch_size_; });
    }
    std::vector<PendingPut*> batch = TakeBatch();
    last_batch_size_ = batch.size();
    queue_lock.unlock();
    RunBatch(batch);
    queue_lock.lock();
    committing_ = false;
    commit_cv_.notify_all();
  }
  return std::move(*pending.result);
}

std::vector<FileS3Store::PendingPut*> FileS3Store::TakeBatch() {
  std::vector<PendingPut*> batch;
  for (auto it = commit_queue_.begin(); it != commit_queue_.end() && batch.size() < kMaxBatch;) {
    PendingPut* candidate = *it;
    // A put that collides with one already in the batch, or with an earlier one left waiting,
    // keeps its place: puts of one key commit in the order they were queued.
    bool collides = false;
    for (PendingPut* taken : batch) {
      collides = collides || (taken->bucket == candidate->bucket && PathsCollide(taken->record.key, candidate->record.key));
    }
    for (auto earlier = commit_queue_.begin(); !collides && earlier != it; ++earlier) {
      collides = (*earlier)->bucket == candidate->bucket && PathsCollide((*earlier)->record.key, candidate->record.key);
    }
    if (collides) {
      ++it;
      continue;
    }
    batch.push_back(candidate);
    it = commit_queue_.erase(it);
  }
  return batch;
}

void FileS3Store::RunBatch(const std::vector<PendingPut*>& batch) {
  // The buckets' exclusive locks, in one order (address) so two leaders could never deadlock.
  std::vector<BucketState*> buckets;
  for (PendingPut* put : batch) buckets.push_back(put->bucket);
  std::sort(buckets.begin(), buckets.end());
  buckets.erase(std::unique(buckets.begin(), buckets.end()), buckets.end());
  std::vector<std::unique_lock<std::shared_mutex>> locks;
  for (BucketState* bucket : buckets) locks.emplace_back(bucket->mutex);
  // After a commit failed, nothing may change its files before the next open replays its intent
  // (checked under the buckets' locks, which the failing commit held when it failed).
  if (auto refused = RefuseIfFailed(); !refused.ok()) {
    for (PendingPut* put : batch) put->result = StoreFail(refused.error().code, refused.error().detail);
    return;
  }

  struct Member {
    PendingPut* put;
    PreparedCommit prepared;
    std::size_t end_step;  // one past its last step in the batch's intent
  };
  std::vector<Member> members;
  std::vector<IntentStep> steps;
  for (PendingPut* put : batch) {
    if (put->bucket->deleted) {
      put->result = StoreFail(StoreErrc::BucketNotFound, put->bucket->record.name);
      continue;
    }
    auto prepared =
        PrepareObject(*put->bucket, put->record, put->writer->Path(), put->identity, *put->condition, {});
    if (!prepared.ok()) {
      put->result = StoreFail(prepared.error().code, prepared.error().detail);
      continue;
    }
    for (IntentStep& step : prepared->steps) steps.push_back(std::move(step));
    members.push_back(Member{put, std::move(*prepared), steps.size()});
  }
  if (members.empty()) return;
  auto fail_from = [&](std::size_t first_member, const std::string& detail) {
    for (std::size_t m = first_member; m < members.size(); ++m) {
      members[m].put->result = StoreFail(StoreErrc::StorageFailed, detail);
    }
  };

  // 1. The intent, durable together with everything before it — the bodies and their directory
  // entries in tmp/ (large bodies were synced by their writers already, small ones are written
  // here) and the removal of every earlier intent, so none is ever replayed over this batch.
  // The same syncfs makes the previous batch's effects durable (its intent then goes).
  // An intent that fails here and cannot be removed either may be replayed by the next open (the
  // store is failed then): the bodies stay for it, or its puts would land as records alone.
  bool left_behind = false;
  auto intent = WriteIntent(steps, false, left_behind);
  if (intent.ok() && options_.durable) {
    if (auto durable = MakeIntentDurable(*intent, true, left_behind); !durable.ok()) {
      intent = StoreFail(durable.error().code, durable.error().detail);
    }
  }
  if (!intent.ok()) {
    if (left_behind) {
      for (Member& member : members) member.put->writer->Release();
    }
    return fail_from(0, intent.error().detail);
  }
  // From here each body belongs to the intent (replay renames it into place).
  for (Member& member : members) member.put->writer->Release();

  // 2. The steps, in order. A step that keeps failing when tried again (or the test hook's crash)
  // stops the batch there: the puts before it are committed, that one and the rest fail, and the
  // intent stays for the next open to finish (which may land the failed puts too), as RunIntent
  // leaves its own — and, as there, the store takes no more changes until then.
  Touched touched;  // not needed with syncfs; ApplyStep records it anyway
  std::size_t member_index = 0;
  bool stopped = false;
  for (std::size_t i = 0; i < steps.size() && !stopped; ++i) {
    while (i >= members[member_index].end_step) ++member_index;
    if (CrashBefore(steps[i], i)) {
      const std::string detail = "stopped before step " + std::to_string(i) + " (test crash)";
      EnterFailedState(detail);
      fail_from(member_index, detail);
      stopped = true;
    } else if (auto applied = RunStep(steps[i], i, touched); !applied.ok()) {
      EnterFailedState("a step of a batch of puts kept failing: " + applied.error());
      fail_from(member_index, applied.error() + " (the store takes no more changes until it is opened again, "
                                                "which finishes this commit from its intent)");
      stopped = true;
    }
  }
  const std::size_t committed = stopped ? member_index : members.size();

  // 3. The intent stays until the effects are known to be on disk: the next commit's syncfs
  // (before that commit changes anything) does it and removes the intent; the callers are answered
  // now, their puts being durable through the intent. Set before the buckets' locks are released,
  // so no commit can change these files before it has synced them. A stopped batch leaves its
  // intent for the next open to finish, like RunIntent. Not durable: the intent goes now; if it
  // cannot, it stays for the next open to replay (the puts are committed all the same), and the
  // store takes no more changes until then.
  if (!stopped) {
    if (options_.durable) {
      std::lock_guard sync_lock(sync_mutex_);
      unsynced_batch_intent_ = *intent;
    } else if (auto removed = RemoveIntent(*intent); !removed.ok()) {
      EnterFailedState("the intent of an applied batch of puts could not be removed: " + removed.error());
    }
  }

  // 4. Memory follows the disk for every commit whose steps all ran.
  for (std::size_t m = 0; m < committed; ++m) {
    ObjectRecord record = members[m].prepared.finish();
    if (!members[m].put->result) members[m].put->result = std::move(record);
  }
}

}  // namespace mallard::s3::file

#pragma once
// DataDirectory: what `mallard serve --data-dir DIR` keeps under DIR/state — the newest snapshot
// of every service's state and the journal of the changes since — and how a server starts from it
// and keeps it.
//
//   DIR/state/snapshot-<LSN>.jsonl   the state as of journal record LSN-1 (the snapshot format,
//                                    state/README.md); the newest complete one counts
//   DIR/state/journal-<LSN>.log      journal segments (journal.hpp), the first record's LSN in the
//                                    name; records from the snapshot's LSN on are replayed over it
//
// Start: load the newest snapshot, replay the journal over it in order (a torn or corrupt tail is
// dropped and said so), start a new segment, and write a new snapshot: in the background while
// requests are served, or before them when a damaged tail was dropped. Running: stores report their changes (StateChangeSink) and the journal
// writes them; a request is answered once its changes are durable (DeliverWhenDurable). When the
// journal grows past a bound (64 MiB, or the last snapshot's size if larger), a new segment starts
// and a snapshot is written in the background, at a low CPU priority;
// older files are removed once it is durable. A clean shutdown writes a last snapshot.
//
// Replay is safe over a snapshot taken while changes went on: a change is the whole new state of
// one resource (or its removal) and is journaled under the store's lock with the change itself, so
// a record older than the snapshot's LSN is in the snapshot, and replaying newer ones in order ends
// at the last state whether or not the snapshot already held them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "persistence/journal.hpp"
#include "services/kit/service_state.hpp"

namespace mallard::persistence {

// Writing and reading whole snapshots (the state module's format, wired by app/): save every
// service's state to a file; load a file into the services, replacing all their state.
struct SnapshotIo {
  std::function<Status<std::string>(const std::filesystem::path& file)> save;
  std::function<Status<std::string>(const std::filesystem::path& file)> load;
};

struct StatefulService {
  std::string name;  // "sqs": as the snapshot names it
  services::ServiceState* state = nullptr;
};

struct DataDirectoryOptions {
  std::filesystem::path dir;  // the --data-dir; state goes to dir/state
  Durability durability = Durability::kFsync;
  std::chrono::milliseconds interval{100};  // kInterval
  // A journal this large, or as large as the last snapshot if that is larger, starts a new snapshot.
  std::uint64_t compact_after_bytes = 64ull << 20;
  // One call's changes go to one record (atomic across a crash) up to this size; a larger call (a
  // bulk load; a client's transaction is at most 40 MB) is split, as a frame holds at most 4 GiB.
  std::size_t max_record_bytes = 256u << 20;
};

class DataDirectory {
 public:
  // Loads what the directory holds into `services` and starts journaling their changes. An error
  // (an unreadable snapshot, a journal naming a service this server lacks, a snapshot of a newer
  // format) stops the start: nothing is deleted then.
  static Result<std::unique_ptr<DataDirectory>, std::string> Open(DataDirectoryOptions options,
                                                                   std::vector<StatefulService> services,
                                                                   SnapshotIo snapshots);
  ~DataDirectory();

  // Calls `deliver` once every change made so far is as durable as the mode promises.
  void DeliverWhenDurable(std::function<void()> deliver);
  // Starts a new segment and writes a snapshot (the background compaction, and at start).
  Status<std::string> Compact();
  // Whether a background compaction (the start's snapshot included) is running.
  bool CompactionRunning();
  // At a clean shutdown, once no request runs: a last snapshot, the journal flushed.
  Status<std::string> Close();

  // For the start-up log: what was loaded and replayed, what was dropped, which services journal.
  const std::string& StartSummary() const { return start_summary_; }
  // The services whose stores do not journal (their own persistence, or none): their state is
  // kept only in snapshots.
  const std::vector<std::string>& UnjournaledServices() const { return unjournaled_; }

  // Encoding of a journal record (exposed for tests).
  static std::string EncodeChange(const std::string& service, const services::StateChange& change);
  // EncodeChange at the end of `out`.
  static void EncodeChangeInto(std::string& out, const std::string& service, const services::StateChange& change);
  static Result<std::pair<std::string, services::StateChange>, std::string> DecodeChange(std::string_view payload);
  // A call's changes as one record: one change as EncodeChange writes it, several as a JSON array
  // of those, so that a crash never keeps part of them. DecodeChanges reads both forms.
  static std::string EncodeChanges(const std::string& service, std::span<const services::StateChange> changes);
  // The same, in records of at most `max_record_bytes` each where several changes would pass it
  // (a bulk load; a change larger than that is one record on its own).
  static std::vector<std::string> EncodeChangeRecords(const std::string& service,
                                                      std::span<const services::StateChange> changes,
                                                      std::size_t max_record_bytes);
  static Result<std::vector<std::pair<std::string, services::StateChange>>, std::string> DecodeChanges(
      std::string_view payload);

 private:
  class Sink;
  struct Link;
  explicit DataDirectory(DataDirectoryOptions options, std::vector<StatefulService> services, SnapshotIo snapshots);
  Result<std::uint64_t, std::string> Recover();  // returns the next LSN
  Status<std::string> StartSegment(std::uint64_t first_lsn);
  Status<std::string> WriteSnapshot(std::uint64_t lsn);
  void RemoveOlderThan(std::uint64_t lsn);
  void Append(const std::string& service, std::span<const services::StateChange> changes);
  void CompactInBackground();

  DataDirectoryOptions options_;
  std::filesystem::path state_dir_;
  std::vector<StatefulService> services_;
  SnapshotIo snapshots_;
  std::vector<std::string> unjournaled_;
  std::string start_summary_;
  std::shared_ptr<Link> link_;

  // Appends take it shared; starting a segment takes it exclusively, so no change falls between
  // the old segment's end and the new one's start.
  std::shared_mutex segment_mutex_;
  std::shared_ptr<JournalWriter> journal_;
  std::uint64_t segment_bytes_at_start_ = 0;
  std::uint64_t segment_first_lsn_ = 0;  // the current segment's first LSN (its name)
  bool dropped_at_start_ = false;        // Recover dropped a damaged tail
  std::atomic<std::uint64_t> last_snapshot_bytes_{0};  // the compaction bound's other half

  std::mutex compaction_mutex_;  // one compaction at a time
  std::thread compactor_;
  bool compacting_ = false;
  bool closed_ = false;
};

}  // namespace mallard::persistence

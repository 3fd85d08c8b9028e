#pragma once
// Journal: an append-only write-ahead log of state changes with group commit. Callers append
// records from any thread without waiting for the disk; one writer thread writes what has
// gathered and makes it durable with one fdatasync, so concurrent requests share a flush; a caller
// that must not acknowledge before its change is durable asks WhenDurable.
//
// File format (one segment file, little-endian): a frame per record —
//   u32 payload length | u32 CRC-32 of (u64 LSN | payload) | u64 LSN | payload
// LSNs are consecutive from the segment's first. A reader stops at the first frame that is short,
// fails its checksum or breaks the LSN sequence (a torn write at a crash): everything before it is
// good, the rest is reported as dropped and cut off when the journal is reopened for writing —
// unless the rest is all zeros: the writer grows the file ahead in zeroed steps, and a crash leaves
// that unused room behind (a clean close cuts it off).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.hpp"

namespace mallard::persistence {

// What an acknowledged change survives (the --durability setting).
enum class Durability : unsigned char {
  kFsync,     // acknowledged after fdatasync: survives kill -9 and power loss
  kInterval,  // acknowledged at once, written and flushed every interval: kill -9 and power loss
              // each lose at most the last interval's changes
  kNone,      // no journal: state is saved at a clean shutdown only
};

// "fsync" | "interval" | "none".
Result<Durability, std::string> ParseDurability(std::string_view text);
std::string_view DurabilityName(Durability durability);

struct JournalRecord {
  std::uint64_t lsn = 0;
  std::string payload;
};

// What reading a segment found.
struct JournalScan {
  std::vector<JournalRecord> records;
  std::uint64_t good_bytes = 0;     // bytes of whole, valid frames from the start
  std::uint64_t unused_bytes = 0;   // zeros after them: room the writer had made and not used
  std::uint64_t dropped_bytes = 0;  // bytes after them (a torn or corrupt tail); good + unused + dropped = size
  std::string dropped_reason;       // why reading stopped early ("" when the file ended cleanly)
};

// Reads a segment whose first record has LSN `first_lsn` (0: take the first frame's LSN).
// A missing file reads as empty. I/O errors are errors; damage is reported in the scan.
Result<JournalScan, std::string> ReadJournal(const std::filesystem::path& path, std::uint64_t first_lsn = 0);

// Encodes one frame (for tests that build damaged files, and for the writer).
std::string EncodeJournalFrame(std::uint64_t lsn, std::string_view payload);
void AppendJournalFrame(std::string& out, std::uint64_t lsn, std::string_view payload);

struct JournalOptions {
  std::filesystem::path path;
  Durability durability = Durability::kFsync;
  std::chrono::milliseconds interval{100};  // kInterval: how often the writer flushes
  // kFsync group commit: when the last flush answered several waiters, the writer holds the next
  // flush until as many are waiting again, or this long at most (see JournalWriter::Run).
  std::chrono::microseconds gather_limit{1000};
};

class JournalWriter {
 public:
  // Opens `options.path` for appending; `next_lsn` is the LSN the next record gets. The file is cut
  // to `keep_bytes` first (the good prefix ReadJournal found), so a torn tail never precedes new
  // records. kNone is refused: with no journal there is nothing to open.
  static Result<std::unique_ptr<JournalWriter>, std::string> Open(const JournalOptions& options, std::uint64_t next_lsn,
                                                                  std::uint64_t keep_bytes);
  ~JournalWriter();  // writes and flushes everything appended, then stops the writer thread
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Appends a record and returns its LSN. Never waits for the disk (copies into the pending batch),
  // so a store may call it under its own lock and LSN order is the order of its changes.
  std::uint64_t Append(std::string_view payload);
  // Calls `done` once the record `lsn` is as durable as the mode promises: kFsync after the flush
  // that covers it, kInterval at once. Runs on the writer thread (or the caller's when already
  // durable): `done` must be quick and must not append.
  void WhenDurable(std::uint64_t lsn, std::function<void()> done);
  // WhenDurable for the last record appended so far (at once when nothing is pending), in one
  // acquisition of the journal's lock: every answer with --data-dir passes here.
  void WhenAllDurable(std::function<void()> done);
  // The LSN of the last appended record (0: none yet).
  std::uint64_t LastLsn() const;
  // The last LSN written and flushed.
  std::uint64_t DurableLsn() const;
  // Writes and flushes everything appended so far and calls its waiters back, waiting for both.
  Status<std::string> Flush();
  // The first write or flush error, if any: after one the journal accepts no more acknowledgements
  // (waiters are never called back as durable), so nothing is acknowledged that was not written.
  std::string Failure() const;

  struct Stats {
    std::uint64_t flushes = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
  };
  Stats Statistics() const;

 private:
  JournalWriter(JournalOptions options, int fd, std::uint64_t next_lsn, std::uint64_t file_end);
  void Run();
  // Under mutex_: files `done` as a waiter for `lsn` (false), or true when the caller is to call it
  // now; false too after a failure, when it is never called.
  bool Await(std::uint64_t lsn, std::function<void()>& done);
  Status<std::string> WriteBatch(std::string_view batch);  // writer thread: write, fdatasync
  void MakeRoom();                                         // writer thread: grow the file ahead

  // The file grows ahead in zeroed steps of this many bytes (see MakeRoom): ~1 ms each here.
  static constexpr std::uint64_t kPreallocateBytes = 1ull << 20;
  // The writer keeps its batch buffer's capacity for the next batch up to this size.
  static constexpr std::size_t kKeptBufferBytes = 16u << 20;

  JournalOptions options_;
  int fd_ = -1;
  // Writer thread only (and the destructor after it stops): where the next batch goes, how far the
  // file has been grown with zeros, and the batch being written.
  std::uint64_t file_end_ = 0;
  std::uint64_t allocated_end_ = 0;
  std::string writing_;
  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable flushed_;
  std::string pending_;                  // frames appended and not yet handed to the writer
  std::uint64_t next_lsn_;
  std::uint64_t durable_lsn_;
  std::uint64_t notified_lsn_;  // durable, and every waiter up to it called back
  // By LSN awaited. A vector, not a map: answers wait for the last LSN appended, so a waiter
  // almost always goes at the end, and a flush that covers them all takes the whole vector at once
  // instead of freeing a node per waiter on the writer thread (memory the network thread took).
  using Waiters = std::vector<std::pair<std::uint64_t, std::function<void()>>>;
  Waiters waiters_;
  std::string failure_;
  bool stopping_ = false;
  bool flush_requested_ = false;
  // Group commit (kFsync): what the writer is doing, how many waiters its last flush answered,
  // how many have come since it took its last batch, and how many it is gathering for.
  enum class WriterState : unsigned char { kIdle, kGathering, kWriting };
  WriterState writer_state_ = WriterState::kWriting;
  std::size_t last_batch_waiters_ = 0;
  std::size_t new_waiters_ = 0;
  std::size_t gather_target_ = 0;
  Stats stats_;
  std::thread writer_;
};

}  // namespace mallard::persistence

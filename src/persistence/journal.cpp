#include "persistence/journal.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace mallard::persistence {
namespace {

constexpr std::size_t kFrameHeader = 4 + 4 + 8;
// The largest record a frame's 32-bit length holds. The reader has no smaller limit: a record is as
// large as the change (a loaded DynamoDB table is one record, 300 MB for a million items), and a
// damaged length shows as a record cut short or a checksum mismatch, never as an allocation (the
// file is read whole).
constexpr std::size_t kMaxPayload = 0xFFFFFFFFu;

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t GetLittle(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// CRC-32 (ISO-HDLC, zlib's) of the frame's LSN bytes followed by its payload, without joining them.
// zlib's is several times faster than a byte-at-a-time table, and the checksum is taken for every
// change under its store's lock.
std::uint32_t FrameChecksum(std::string_view lsn_bytes, std::string_view payload) {
  uLong crc = crc32_z(0L, Z_NULL, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(lsn_bytes.data()), lsn_bytes.size());
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(payload.data()), payload.size());
  return static_cast<std::uint32_t>(crc);
}

// Writes `bytes` at `offset`, whole.
Status<std::string> WriteAllAt(int fd, std::string_view bytes, std::uint64_t offset) {
  while (!bytes.empty()) {
    ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(std::string("journal write: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return Done{};
}

std::uint64_t RoundUp(std::uint64_t bytes) {
  constexpr std::uint64_t kStep = 64u << 10;
  return (bytes + kStep - 1) / kStep * kStep;
}

// Zeros from `from` to `to`: the room the next batches are written into.
Status<std::string> WriteZeros(int fd, std::uint64_t from, std::uint64_t to) {
  static const std::string kZeros(1u << 20, '\0');
  while (from < to) {
    std::size_t piece = static_cast<std::size_t>(std::min<std::uint64_t>(to - from, kZeros.size()));
    MALLARD_RETURN_IF_ERROR(WriteAllAt(fd, std::string_view(kZeros.data(), piece), from));
    from += piece;
  }
  return Done{};
}

std::string ErrnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace

Result<Durability, std::string> ParseDurability(std::string_view text) {
  if (text == "fsync") return Durability::kFsync;
  if (text == "interval") return Durability::kInterval;
  if (text == "none") return Durability::kNone;
  return Fail("durability must be fsync, interval or none (got '" + std::string(text) + "')");
}

std::string_view DurabilityName(Durability durability) {
  switch (durability) {
    case Durability::kFsync: return "fsync";
    case Durability::kInterval: return "interval";
    case Durability::kNone: return "none";
  }
  return "fsync";
}

void AppendJournalFrame(std::string& out, std::uint64_t lsn, std::string_view payload) {
  std::string lsn_bytes;
  PutU64(lsn_bytes, lsn);
  out.reserve(out.size() + kFrameHeader + payload.size());
  PutU32(out, static_cast<std::uint32_t>(payload.size()));
  PutU32(out, FrameChecksum(lsn_bytes, payload));
  out.append(lsn_bytes);
  out.append(payload);
}

std::string EncodeJournalFrame(std::uint64_t lsn, std::string_view payload) {
  std::string frame;
  AppendJournalFrame(frame, lsn, payload);
  return frame;
}

Result<JournalScan, std::string> ReadJournal(const std::filesystem::path& path, std::uint64_t first_lsn) {
  JournalScan scan;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return scan;
    return Fail(ErrnoText("cannot open journal", path));
  }
  // One read of the whole file (a stream iterator takes seconds per hundred megabytes).
  std::string data;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    data.resize(static_cast<std::size_t>(size));
    in.read(data.data(), size);
    data.resize(static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) return Fail(ErrnoText("cannot read journal", path));
  std::uint64_t expected = first_lsn;
  std::size_t at = 0;
  while (at < data.size()) {
    if (data.size() - at < kFrameHeader) {
      scan.dropped_reason = "a frame header cut short";
      break;
    }
    auto length = static_cast<std::uint32_t>(GetLittle(data.data() + at, 4));
    auto checksum = static_cast<std::uint32_t>(GetLittle(data.data() + at + 4, 4));
    if (data.size() - at - 8 < 8 + static_cast<std::size_t>(length)) {
      scan.dropped_reason = "a record cut short";
      break;
    }
    std::string_view body(data.data() + at + 8, 8 + length);
    if (FrameChecksum(body.substr(0, 8), body.substr(8)) != checksum) {
      scan.dropped_reason = "a checksum mismatch";
      break;
    }
    std::uint64_t lsn = GetLittle(body.data(), 8);
    if (expected != 0 && lsn != expected) {
      scan.dropped_reason = "LSN " + std::to_string(lsn) + " where " + std::to_string(expected) + " was next";
      break;
    }
    scan.records.push_back({lsn, std::string(body.substr(8))});
    expected = lsn + 1;
    at += kFrameHeader + length;
  }
  scan.good_bytes = at;
  // The writer preallocates room with zeros (see JournalWriter): zeros to the end of the file are
  // room never written into, not damage.
  if (!scan.dropped_reason.empty() && data.find_first_not_of('\0', at) == std::string::npos) {
    scan.dropped_reason.clear();
    scan.unused_bytes = data.size() - at;
  } else {
    scan.dropped_bytes = data.size() - at;
  }
  return scan;
}

Result<std::unique_ptr<JournalWriter>, std::string> JournalWriter::Open(const JournalOptions& options,
                                                                        std::uint64_t next_lsn,
                                                                        std::uint64_t keep_bytes) {
  if (options.durability == Durability::kNone) return Fail(std::string("durability 'none' keeps no journal"));
  if (next_lsn == 0) return Fail(std::string("journal LSNs start at 1"));
  int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(ErrnoText("cannot open journal", options.path));
  if (::ftruncate(fd, static_cast<off_t>(keep_bytes)) != 0 || ::fdatasync(fd) != 0) {
    auto message = ErrnoText("cannot prepare journal", options.path);
    ::close(fd);
    return Fail(message);
  }
  // A new file's directory entry must be durable too, or a crash could lose the whole journal.
  int dir = ::open(options.path.parent_path().empty() ? "." : options.path.parent_path().c_str(), O_RDONLY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return std::unique_ptr<JournalWriter>(new JournalWriter(options, fd, next_lsn, keep_bytes));
}

JournalWriter::JournalWriter(JournalOptions options, int fd, std::uint64_t next_lsn, std::uint64_t file_end)
    : options_(std::move(options)),
      fd_(fd),
      file_end_(file_end),
      allocated_end_(file_end),
      next_lsn_(next_lsn),
      durable_lsn_(next_lsn - 1),
      notified_lsn_(next_lsn - 1) {
  writer_ = std::thread([this] { Run(); });
}

JournalWriter::~JournalWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  writer_.join();
  // A clean close leaves no preallocated room behind (a crash may: the reader takes it as unused).
  if (failure_.empty()) (void)::ftruncate(fd_, static_cast<off_t>(file_end_));
  ::close(fd_);
}

std::uint64_t JournalWriter::Append(std::string_view payload) {
  std::lock_guard lock(mutex_);
  if (payload.size() > kMaxPayload && failure_.empty()) {
    // Not journaled, so nothing from here on may be acknowledged as durable (see failure_).
    failure_ = "a change of " + std::to_string(payload.size()) + " bytes is larger than a journal record holds (4 GiB)";
  }
  // After a failure an append still takes an LSN (beyond what is durable), so no one waiting for it
  // is told it is durable; nothing more is written.
  if (!failure_.empty()) return next_lsn_++;
  std::uint64_t lsn = next_lsn_++;
  AppendJournalFrame(pending_, lsn, payload);
  ++stats_.records;
  // Only an idle writer needs waking: a gathering one is woken by the waiter that completes its
  // batch (Await), a writing one looks at pending_ when it is done. A wake is a context switch.
  if (options_.durability == Durability::kFsync && writer_state_ == WriterState::kIdle) wake_writer_.notify_one();
  return lsn;
}

void JournalWriter::WhenDurable(std::uint64_t lsn, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (!Await(lsn, done)) return;
  }
  done();
}

void JournalWriter::WhenAllDurable(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (!Await(next_lsn_ - 1, done)) return;
  }
  done();
}

bool JournalWriter::Await(std::uint64_t lsn, std::function<void()>& done) {
  if (!failure_.empty()) return false;  // never acknowledged: the caller's request fails by timeout or shutdown
  if (options_.durability == Durability::kFsync && lsn > durable_lsn_) {
    if (waiters_.empty() || waiters_.back().first <= lsn) {
      waiters_.emplace_back(lsn, std::move(done));
    } else {  // an earlier LSN (WhenDurable): kept in order, after its equals
      auto at = std::upper_bound(waiters_.begin(), waiters_.end(), lsn,
                                 [](std::uint64_t wanted, const auto& waiter) { return wanted < waiter.first; });
      waiters_.emplace(at, lsn, std::move(done));
    }
    ++new_waiters_;
    if (writer_state_ == WriterState::kIdle ||
        (writer_state_ == WriterState::kGathering && new_waiters_ >= gather_target_)) {
      wake_writer_.notify_one();
    }
    return false;
  }
  return true;
}

std::uint64_t JournalWriter::LastLsn() const {
  std::lock_guard lock(mutex_);
  return next_lsn_ - 1;
}

std::uint64_t JournalWriter::DurableLsn() const {
  std::lock_guard lock(mutex_);
  return durable_lsn_;
}

std::string JournalWriter::Failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

JournalWriter::Stats JournalWriter::Statistics() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

Status<std::string> JournalWriter::Flush() {
  std::unique_lock lock(mutex_);
  std::uint64_t target = next_lsn_ - 1;
  flush_requested_ = true;
  wake_writer_.notify_one();
  flushed_.wait(lock, [&] { return notified_lsn_ >= target || !failure_.empty(); });
  if (!failure_.empty()) return Fail(failure_);
  return Done{};
}

Status<std::string> JournalWriter::WriteBatch(std::string_view batch) {
  std::uint64_t end = file_end_ + batch.size();
  if (end > allocated_end_) {
    // Larger than the room made ahead (see MakeRoom): grown here, in the batch's own flush.
    std::uint64_t room = RoundUp(end + kPreallocateBytes);
    MALLARD_RETURN_IF_ERROR(WriteZeros(fd_, end, room));
    allocated_end_ = room;
  }
  MALLARD_RETURN_IF_ERROR(WriteAllAt(fd_, batch, file_end_));
  if (::fdatasync(fd_) != 0) return Fail(std::string("journal fdatasync: ") + std::strerror(errno));
  file_end_ = end;
  return Done{};
}

void JournalWriter::MakeRoom() {
  // Appending grows the file, and a file that grows makes each fdatasync write the inode's new size
  // as well as the data: a second synchronous write where the file system keeps no metadata journal
  // (this machine's ext4: 0.16 ms a write + fdatasync appending, 0.11 ms overwriting, measured with
  // a 2 KiB pwrite + fdatasync loop). So the file is grown ahead with zeros, durable before any
  // batch lands in them, and a batch's fdatasync then writes its data alone. This runs after a
  // batch's waiters are answered, so the ~1 ms a step costs delays the next batch, never an answer
  // already due. A step that fails is not an error: the batch that needs the room grows the file
  // itself, and reports what the disk says.
  if (allocated_end_ - file_end_ >= kPreallocateBytes / 2) return;
  std::uint64_t room = RoundUp(allocated_end_ + kPreallocateBytes);
  if (WriteZeros(fd_, allocated_end_, room) && ::fdatasync(fd_) == 0) allocated_end_ = room;
}

void JournalWriter::Run() {
  MakeRoom();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!failure_.empty()) {
      // Nothing more is written after a failure (a hole would break the LSN sequence); appends are
      // dropped and never acknowledged.
      pending_.clear();
      wake_writer_.wait(lock, [&] { return stopping_; });
      return;
    }
    if (options_.durability == Durability::kFsync) {
      writer_state_ = WriterState::kIdle;
      wake_writer_.wait(lock, [&] { return stopping_ || flush_requested_ || !pending_.empty(); });
      // Group commit. Under a closed loop of N clients every flush answers the requests waiting
      // for it, and they send their next ones one by one as the server gets to them; flushing at
      // the first of those would write batches of two or three, each paying an fdatasync's CPU
      // (a virtio kick, an interrupt, two context switches) that the memory store does not pay.
      // So when the last flush answered several waiters, the writer waits until as many are
      // waiting again, or gather_limit at most (a client that went away costs that once). One
      // client alone is never held: its flush answered one waiter.
      if (!stopping_ && !flush_requested_ && last_batch_waiters_ > 1 && new_waiters_ < last_batch_waiters_) {
        writer_state_ = WriterState::kGathering;
        gather_target_ = last_batch_waiters_;
        wake_writer_.wait_for(lock, options_.gather_limit, [&] {
          return stopping_ || flush_requested_ || new_waiters_ >= gather_target_ || !failure_.empty();
        });
      }
      writer_state_ = WriterState::kWriting;
      new_waiters_ = 0;
    } else {
      wake_writer_.wait_for(lock, options_.interval, [&] { return stopping_ || flush_requested_; });
    }
    flush_requested_ = false;
    // The batch goes to the writer's buffer; the appenders get back the previous one's capacity.
    writing_.clear();
    writing_.swap(pending_);
    const std::string& batch = writing_;
    std::uint64_t batch_last = next_lsn_ - 1;
    bool stop_after = stopping_;
    lock.unlock();
    // Outside the lock: appends go on gathering the next batch while this one is written.
    Status<std::string> written = batch.empty() ? Status<std::string>(Done{}) : WriteBatch(batch);
    lock.lock();
    Waiters ready;
    if (!written) {
      failure_ = written.error();
      waiters_.clear();
    } else {
      if (!batch.empty()) {
        ++stats_.flushes;
        stats_.bytes += batch.size();
      }
      durable_lsn_ = batch_last;
      auto covered = std::partition_point(waiters_.begin(), waiters_.end(),
                                          [&](const auto& waiter) { return waiter.first <= durable_lsn_; });
      if (covered == waiters_.end()) {
        ready.swap(waiters_);
      } else {
        ready.assign(std::make_move_iterator(waiters_.begin()), std::make_move_iterator(covered));
        waiters_.erase(waiters_.begin(), covered);
      }
      // An empty pass (a flush request with nothing pending) says nothing about the load.
      if (!batch.empty()) last_batch_waiters_ = ready.size();
    }
    if (writing_.capacity() > kKeptBufferBytes) std::string().swap(writing_);  // after a huge record
    lock.unlock();
    for (auto& [lsn, done] : ready) done();
    if (written && !stop_after) MakeRoom();
    lock.lock();
    // Flush returns once the waiters up to here have been told, not only once the bytes are down.
    if (failure_.empty()) notified_lsn_ = batch_last;
    flushed_.notify_all();
    if (stop_after && pending_.empty()) return;
  }
}

}  // namespace mallard::persistence

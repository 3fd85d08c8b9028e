#include "persistence/journal.hpp"

#include <boost/crc.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

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

std::uint32_t FrameChecksum(std::string_view lsn_and_payload) {
  boost::crc_32_type crc;
  crc.process_bytes(lsn_and_payload.data(), lsn_and_payload.size());
  return crc.checksum();
}

std::string ErrnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

Status<std::string> WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(std::string("journal write: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Done{};
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

std::string EncodeJournalFrame(std::uint64_t lsn, std::string_view payload) {
  std::string body;
  body.reserve(8 + payload.size());
  PutU64(body, lsn);
  body.append(payload);
  std::string frame;
  frame.reserve(kFrameHeader + payload.size());
  PutU32(frame, static_cast<std::uint32_t>(payload.size()));
  PutU32(frame, FrameChecksum(body));
  frame.append(body);
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
    if (FrameChecksum(body) != checksum) {
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
  scan.dropped_bytes = data.size() - at;
  return scan;
}

Result<std::unique_ptr<JournalWriter>, std::string> JournalWriter::Open(const JournalOptions& options,
                                                                        std::uint64_t next_lsn,
                                                                        std::uint64_t keep_bytes) {
  if (options.durability == Durability::kNone) return Fail(std::string("durability 'none' keeps no journal"));
  if (next_lsn == 0) return Fail(std::string("journal LSNs start at 1"));
  int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(ErrnoText("cannot open journal", options.path));
  if (::ftruncate(fd, static_cast<off_t>(keep_bytes)) != 0 || ::lseek(fd, 0, SEEK_END) < 0 || ::fdatasync(fd) != 0) {
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
  return std::unique_ptr<JournalWriter>(new JournalWriter(options, fd, next_lsn));
}

JournalWriter::JournalWriter(JournalOptions options, int fd, std::uint64_t next_lsn)
    : options_(std::move(options)), fd_(fd), next_lsn_(next_lsn), durable_lsn_(next_lsn - 1), notified_lsn_(next_lsn - 1) {
  writer_ = std::thread([this] { Run(); });
}

JournalWriter::~JournalWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  writer_.join();
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
  pending_ += EncodeJournalFrame(lsn, payload);
  ++stats_.records;
  if (options_.durability == Durability::kFsync) wake_writer_.notify_one();
  return lsn;
}

void JournalWriter::WhenDurable(std::uint64_t lsn, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (!failure_.empty()) return;  // never acknowledged: the caller's request fails by timeout or shutdown
    if (options_.durability == Durability::kFsync && lsn > durable_lsn_) {
      waiters_.emplace(lsn, std::move(done));
      wake_writer_.notify_one();
      return;
    }
  }
  done();
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

void JournalWriter::Run() {
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
      wake_writer_.wait(lock, [&] { return stopping_ || flush_requested_ || !pending_.empty(); });
    } else {
      wake_writer_.wait_for(lock, options_.interval, [&] { return stopping_ || flush_requested_; });
    }
    flush_requested_ = false;
    std::string batch;
    batch.swap(pending_);
    std::uint64_t batch_last = next_lsn_ - 1;
    bool stop_after = stopping_;
    lock.unlock();
    // Outside the lock: appends go on gathering the next batch while this one is written.
    Status<std::string> written = Done{};
    if (!batch.empty()) {
      written = WriteAll(fd_, batch);
      if (written && ::fdatasync(fd_) != 0) written = Fail(std::string("journal fdatasync: ") + std::strerror(errno));
    }
    lock.lock();
    std::vector<std::function<void()>> ready;
    if (!written) {
      failure_ = written.error();
      waiters_.clear();
    } else {
      if (!batch.empty()) {
        ++stats_.flushes;
        stats_.bytes += batch.size();
      }
      durable_lsn_ = batch_last;
      while (!waiters_.empty() && waiters_.begin()->first <= durable_lsn_) {
        ready.push_back(std::move(waiters_.begin()->second));
        waiters_.erase(waiters_.begin());
      }
    }
    if (!ready.empty()) {
      lock.unlock();
      for (auto& done : ready) done();
      lock.lock();
    }
    // Flush returns once the waiters up to here have been told, not only once the bytes are down.
    if (failure_.empty()) notified_lsn_ = batch_last;
    flushed_.notify_all();
    if (stop_after && pending_.empty()) return;
  }
}

}  // namespace mallard::persistence

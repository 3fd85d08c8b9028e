#include "services/s3/file/file_body.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "services/s3/file/file_status.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kBufferBytes = 1 << 20;
}

StoreResult<std::unique_ptr<FileBodyWriter>> FileBodyWriter::Create(const fs::path& tmp_dir, std::string bucket,
                                                                    bool early_writeback) {
  fs::path path = tmp_dir / (RandomName() + ".body");
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.Valid()) return StoreFail(StoreErrc::StorageFailed, ErrnoText("create", path));
  return std::unique_ptr<FileBodyWriter>(
      new FileBodyWriter(std::move(path), std::move(fd), std::move(bucket), early_writeback));
}

FileBodyWriter::FileBodyWriter(fs::path path, UniqueFd fd, std::string bucket, bool early_writeback)
    : path_(std::move(path)), fd_(std::move(fd)), bucket_(std::move(bucket)), early_writeback_(early_writeback) {}

void FileBodyWriter::StartWriteback(std::uint64_t written) {
  // The bytes written to the file so far start for the disk now, while the rest of the upload
  // arrives: the final fsync then waits for the tail only. Only a hint: an error here is found
  // again by that fsync.
  if (!early_writeback_ || written <= written_back_) return;
  (void)::sync_file_range(fd_.Get(), static_cast<off_t>(written_back_), static_cast<off_t>(written - written_back_),
                          SYNC_FILE_RANGE_WRITE);
  written_back_ = written;
}

FileBodyWriter::~FileBodyWriter() {
  if (!released_) ::unlink(path_.c_str());
}

StoreResult<void> FileBodyWriter::Flush() {
  if (buffer_.empty()) return Succeeded();
  auto written = WriteAll(fd_.Get(), buffer_, path_);
  buffer_.clear();
  if (!written.ok()) {
    failed_ = true;
    return StoreFail(StoreErrc::StorageFailed, written.error());
  }
  return Succeeded();
}

StoreResult<void> FileBodyWriter::Append(std::string_view bytes) {
  if (failed_) return StoreFail(StoreErrc::StorageFailed, "an earlier write to " + path_.string() + " failed");
  size_ += bytes.size();
  if (buffer_.size() + bytes.size() < kBufferBytes) {
    buffer_.append(bytes);
    return Succeeded();
  }
  if (auto flushed = Flush(); !flushed.ok()) return flushed;
  if (bytes.size() >= kBufferBytes) {
    auto written = WriteAll(fd_.Get(), bytes, path_);
    if (!written.ok()) {
      failed_ = true;
      return StoreFail(StoreErrc::StorageFailed, written.error());
    }
    StartWriteback(size_);
    return Succeeded();
  }
  StartWriteback(size_ - bytes.size());
  buffer_.append(bytes);
  return Succeeded();
}

StoreResult<void> FileBodyWriter::AppendFrom(int fd, std::uint64_t size, const fs::path& path_for_errors) {
  if (failed_) return StoreFail(StoreErrc::StorageFailed, "an earlier write to " + path_.string() + " failed");
  if (auto flushed = Flush(); !flushed.ok()) return flushed;
  if (auto copied = CopyRange(fd, fd_.Get(), size, path_for_errors); !copied.ok()) {
    failed_ = true;
    return StoreFail(StoreErrc::StorageFailed, copied.error());
  }
  size_ += size;
  StartWriteback(size_);
  return Succeeded();
}

StoreResult<FileIdentity> FileBodyWriter::Finish(bool durable) {
  if (failed_) return StoreFail(StoreErrc::StorageFailed, "an earlier write to " + path_.string() + " failed");
  if (auto flushed = Flush(); !flushed.ok()) return StoreFail(flushed.error().code, flushed.error().detail);
  if (durable && ::fsync(fd_.Get()) != 0) return StoreFail(StoreErrc::StorageFailed, ErrnoText("fsync", path_));
  struct stat info {};
  if (::fstat(fd_.Get(), &info) != 0) return StoreFail(StoreErrc::StorageFailed, ErrnoText("fstat", path_));
  if (static_cast<std::uint64_t>(info.st_size) != size_) {
    return StoreFail(StoreErrc::StorageFailed, "the body file " + path_.string() + " holds " +
                                                   std::to_string(info.st_size) + " bytes, " + std::to_string(size_) +
                                                   " were written");
  }
  return IdentityOf(info);
}

StoreResult<std::string> FileBodyReader::ReadAt(std::uint64_t offset, std::size_t max) {
  if (offset >= size_ || max == 0) return std::string();
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(max, size_ - offset));
  std::string out(want, '\0');
  std::size_t got_total = 0;
  while (got_total < want) {
    ssize_t got = ::pread(fd_.Get(), out.data() + got_total, want - got_total, static_cast<off_t>(offset + got_total));
    if (got < 0) {
      if (errno == EINTR) continue;
      return StoreFail(StoreErrc::StorageFailed, ErrnoText("read", path_));
    }
    if (got == 0) {
      // The file was truncated behind the store's back after it was opened.
      return StoreFail(StoreErrc::StorageFailed, path_.string() + " is shorter than when it was opened");
    }
    got_total += static_cast<std::size_t>(got);
  }
  return out;
}

}  // namespace mallard::s3::file

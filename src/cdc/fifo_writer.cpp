#include "cdc/fifo_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace mallard::cdc {
namespace {

// Writes leave user space in blocks this large: one system call per many rows, and a pipe this
// large lets PostgreSQL's COPY run ahead of DuckDB by one block.
constexpr std::size_t kBlockBytes = 1 << 20;

std::string Describe(const std::string& what, const std::string& path, int error) {
  return what + " " + path + ": " + std::strerror(error);
}

// Writes all of `data` to `fd` with SIGPIPE held back in this thread: a reader that has gone
// away (DuckDB failed mid-file) makes write() fail with EPIPE, and the signal it raised is
// taken back before the mask is restored, so it neither ends the process nor reaches another
// thread later.
int WriteAll(int fd, const char* data, std::size_t size) {
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  int error = 0;
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  if (error == EPIPE && !already_pending) {
    timespec no_wait{};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return error;
}

}  // namespace

Result<FifoWriter, std::string> FifoWriter::Create(std::string path) {
  if (::mkfifo(path.c_str(), 0600) != 0) return Fail(Describe("cannot make the pipe", path, errno));
  return FifoWriter(std::move(path));
}

FifoWriter::FifoWriter(FifoWriter&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), buffer_(std::move(other.buffer_)), bytes_(other.bytes_) {
  other.fd_ = -1;
  other.path_.clear();
}

FifoWriter::~FifoWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!path_.empty()) ::unlink(path_.c_str());
}

Result<Done, std::string> FifoWriter::OpenWhenRead(const std::function<bool()>& give_up) {
  if (fd_ >= 0) return Done{};
  // A non-blocking open for writing fails with ENXIO until a reader has the pipe open; a
  // blocking one would wait forever for a reader that failed before opening it.
  auto wait = std::chrono::microseconds(50);
  while (true) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ >= 0) break;
    if (errno != ENXIO && errno != EINTR) return Fail(Describe("cannot open the pipe", path_, errno));
    if (give_up()) return Fail("the reader of " + path_ + " went away before opening it");
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, std::chrono::microseconds(5000));
  }
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return Fail(Describe("cannot make the pipe blocking", path_, errno));
  }
  // Best effort: an unprivileged process may not raise a pipe past /proc/sys/fs/pipe-max-size.
  (void)::fcntl(fd_, F_SETPIPE_SZ, static_cast<int>(kBlockBytes));
  buffer_.reserve(kBlockBytes);
  return Done{};
}

Result<Done, std::string> FifoWriter::Drain() {
  if (buffer_.empty()) return Done{};
  if (fd_ < 0) return Fail(path_ + " is not open for writing");
  if (int error = WriteAll(fd_, buffer_.data(), buffer_.size()); error != 0) {
    if (error == EPIPE) return Fail("the reader of " + path_ + " stopped reading");
    return Fail(Describe("cannot write", path_, error));
  }
  buffer_.clear();
  return Done{};
}

Result<Done, std::string> FifoWriter::Write(std::string_view data) {
  bytes_ += static_cast<std::int64_t>(data.size());
  if (buffer_.size() + data.size() > kBlockBytes) MALLARD_RETURN_IF_ERROR(Drain());
  if (data.size() >= kBlockBytes) {
    if (fd_ < 0) return Fail(path_ + " is not open for writing");
    if (int error = WriteAll(fd_, data.data(), data.size()); error != 0) {
      return Fail(error == EPIPE ? "the reader of " + path_ + " stopped reading" : Describe("cannot write", path_, error));
    }
    return Done{};
  }
  buffer_.append(data);
  return Done{};
}

Result<Done, std::string> FifoWriter::Finish() {
  auto drained = Drain();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return drained;
}

}  // namespace mallard::cdc

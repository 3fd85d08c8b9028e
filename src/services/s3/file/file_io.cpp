#include "services/s3/file/file_io.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>
#include <system_error>
#include <vector>

namespace mallard::s3::file {
namespace fs = std::filesystem;

FileIdentity IdentityOf(const struct stat& info) {
  return FileIdentity{static_cast<std::uint64_t>(info.st_dev), static_cast<std::uint64_t>(info.st_ino),
                      static_cast<std::uint64_t>(info.st_size),
                      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec};
}

std::optional<FileIdentity> RegularFileIdentity(const fs::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
  return IdentityOf(info);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

std::string ErrnoText(std::string_view what, const fs::path& path) {
  return std::string(what) + " " + path.string() + ": " + std::strerror(errno);
}

std::string RandomName() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failed (should not happen): a per-process counter over a random seed.
    static std::atomic<std::uint64_t> counter{std::random_device{}()};
    std::uint64_t value = counter.fetch_add(1);
    std::memcpy(bytes.data(), &value, sizeof(value));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name;
  for (unsigned char byte : bytes) {
    name.push_back(kHex[byte >> 4]);
    name.push_back(kHex[byte & 0xf]);
  }
  return name;
}

IoStatus MakeDirectories(const fs::path& dir) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return Fail("create directory " + dir.string() + ": " + error.message());
  return Done{};
}

IoStatus SyncDirectory(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.Valid()) return Fail(ErrnoText("open directory", dir));
  if (::fsync(fd.Get()) != 0) return Fail(ErrnoText("fsync directory", dir));
  return Done{};
}

IoStatus WriteAll(int fd, std::string_view bytes, const fs::path& path_for_errors) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoText("write", path_for_errors));
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Done{};
}

IoStatus WriteFileAtomic(const fs::path& path, std::string_view content, const fs::path& tmp_dir, bool durable) {
  fs::path temp = tmp_dir / (RandomName() + ".tmp");
  {
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.Valid()) return Fail(ErrnoText("create", temp));
    auto written = WriteAll(fd.Get(), content, temp);
    if (written.ok() && durable && ::fsync(fd.Get()) != 0) written = Fail(ErrnoText("fsync", temp));
    if (!written.ok()) {
      ::unlink(temp.c_str());
      return written;
    }
  }
  // Directories created for the file are entries in their parents: synced too when durable.
  std::vector<fs::path> created;
  for (fs::path at = path.parent_path(); !at.empty() && at != at.parent_path(); at = at.parent_path()) {
    struct stat info {};
    if (::lstat(at.c_str(), &info) == 0) break;
    created.push_back(at);
  }
  if (auto made = MakeDirectories(path.parent_path()); !made.ok()) {
    ::unlink(temp.c_str());
    return made;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string error = ErrnoText("rename into", path);
    ::unlink(temp.c_str());
    return Fail(std::move(error));
  }
  if (!durable) return Done{};
  MALLARD_RETURN_IF_ERROR(SyncDirectory(path.parent_path()));
  for (const fs::path& dir : created) MALLARD_RETURN_IF_ERROR(SyncDirectory(dir.parent_path()));
  return Done{};
}

IoResult<std::optional<std::string>> ReadWholeFile(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.Valid()) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>{};
    return Fail(ErrnoText("open", path));
  }
  std::string content;
  std::array<char, 16384> buffer{};
  while (true) {
    ssize_t got = ::read(fd.Get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoText("read", path));
    }
    if (got == 0) break;
    content.append(buffer.data(), static_cast<std::size_t>(got));
  }
  return std::optional<std::string>(std::move(content));
}

IoStatus RemoveFileIfPresent(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) return Fail(ErrnoText("unlink", path));
  return Done{};
}

void PruneEmptyDirectories(fs::path dir, const fs::path& stop) {
  while (!dir.empty() && dir != stop && dir.native().size() > stop.native().size()) {
    if (::rmdir(dir.c_str()) != 0) return;  // not empty (or gone, or not ours): stop there
    dir = dir.parent_path();
  }
}

IoResult<std::string> QuotedMd5OfFd(int fd, std::uint64_t size, const fs::path& path_for_errors) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!context || EVP_DigestInit_ex(context.get(), EVP_md5(), nullptr) != 1)
    return Fail(std::string("MD5 unavailable"));
  std::vector<char> buffer(1 << 20);
  std::uint64_t offset = 0;
  while (offset < size) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - offset));
    ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoText("read", path_for_errors));
    }
    if (got == 0) return Fail("read " + path_for_errors.string() + ": the file is shorter than its size");
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string quoted = "\"";
  for (unsigned int i = 0; i < length; ++i) {
    quoted.push_back(kHex[digest[i] >> 4]);
    quoted.push_back(kHex[digest[i] & 0xf]);
  }
  quoted.push_back('"');
  return quoted;
}

IoStatus CopyRange(int from, int to, std::uint64_t size, const fs::path& path_for_errors) {
  loff_t in_offset = 0;
  std::uint64_t copied = 0;
  bool use_kernel_copy = true;
  std::vector<char> buffer;
  while (copied < size) {
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size - copied, 1 << 30));
    if (use_kernel_copy) {
      ssize_t got = ::copy_file_range(from, &in_offset, to, nullptr, want, 0);
      if (got > 0) {
        copied += static_cast<std::uint64_t>(got);
        continue;
      }
      if (got == 0) return Fail("copy " + path_for_errors.string() + ": the part is shorter than its size");
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != EPERM) {
        return Fail(ErrnoText("copy_file_range", path_for_errors));
      }
      use_kernel_copy = false;
      buffer.resize(1 << 20);
    }
    ssize_t got = ::pread(from, buffer.data(), std::min<std::size_t>(want, buffer.size()), in_offset);
    if (got < 0) {
      if (errno == EINTR) continue;
      return Fail(ErrnoText("read", path_for_errors));
    }
    if (got == 0) return Fail("copy " + path_for_errors.string() + ": the part is shorter than its size");
    MALLARD_RETURN_IF_ERROR(
        WriteAll(to, std::string_view(buffer.data(), static_cast<std::size_t>(got)), path_for_errors));
    in_offset += got;
    copied += static_cast<std::uint64_t>(got);
  }
  return Done{};
}

}  // namespace mallard::s3::file

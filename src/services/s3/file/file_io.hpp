#pragma once
// The file store's POSIX plumbing: atomic file replacement, directory syncs, identities that tell
// a file changed behind the store's back, MD5 over a descriptor, range copies. Errors are the
// failing call and errno as text (the store turns them into StorageFailed).
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::s3::file {

using IoStatus = Result<Done, std::string>;
template <typename T>
using IoResult = Result<T, std::string>;

// What identifies the bytes of a regular file without reading them: a rename keeps all four, a
// rewrite in place changes the size or the modification time, a replacement changes the inode.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};
FileIdentity IdentityOf(const struct stat& info);
// The identity of the regular file at `path` (symlinks are not followed); nullopt when there is
// none (absent, a directory, a symlink).
std::optional<FileIdentity> RegularFileIdentity(const std::filesystem::path& path);

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.Release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int Get() const { return fd_; }
  bool Valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

std::string ErrnoText(std::string_view what, const std::filesystem::path& path);

// A fresh random name (32 hex digits) for temp files, version bodies and intents.
std::string RandomName();

IoStatus MakeDirectories(const std::filesystem::path& dir);
IoStatus SyncDirectory(const std::filesystem::path& dir);
// Writes all of `bytes` at the descriptor's position (retrying short writes and EINTR).
IoStatus WriteAll(int fd, std::string_view bytes, const std::filesystem::path& path_for_errors);
// Replaces `path` with `content` all at once: a temp file in `tmp_dir` (same filesystem), synced
// when `durable`, renamed over `path` (parents created), then the directory synced.
IoStatus WriteFileAtomic(const std::filesystem::path& path, std::string_view content,
                         const std::filesystem::path& tmp_dir, bool durable);
// The whole file (for small sidecars); nullopt when it does not exist.
IoResult<std::optional<std::string>> ReadWholeFile(const std::filesystem::path& path);
// unlink; absence is success.
IoStatus RemoveFileIfPresent(const std::filesystem::path& path);
// Removes `dir` and its parents while they are empty, stopping at (and keeping) `stop`.
void PruneEmptyDirectories(std::filesystem::path dir, const std::filesystem::path& stop);

// Quoted hex MD5 of the descriptor's first `size` bytes, read with pread: "\"<32 hex>\"".
IoResult<std::string> QuotedMd5OfFd(int fd, std::uint64_t size, const std::filesystem::path& path_for_errors);
// Appends `size` bytes of `from` (from offset 0) at `to`'s position: copy_file_range, falling back
// to read/write where the kernel or filesystem refuses.
IoStatus CopyRange(int from, int to, std::uint64_t size, const std::filesystem::path& path_for_errors);

}  // namespace mallard::s3::file

#pragma once
// Bytes in and out of the file store. A FileBodyWriter fills a temp file in ROOT/.mallard-s3/tmp/
// (same filesystem as the objects, so the commit is a rename) through a 1 MiB buffer; destroyed
// without a commit, it removes the file. A FileBodyReader holds the descriptor it was opened with
// and reads with pread: a rename or unlink of the path later does not change what it reads.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "services/s3/file/file_io.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3::file {

class FileBodyWriter final : public BodyWriter {
 public:
  // `early_writeback`: each full buffer written is handed to the disk at once (sync_file_range),
  // so a large body's final fsync waits only for its tail (for a store that syncs bodies).
  static StoreResult<std::unique_ptr<FileBodyWriter>> Create(const std::filesystem::path& tmp_dir, std::string bucket,
                                                            bool early_writeback = false);
  ~FileBodyWriter() override;

  StoreResult<void> Append(std::string_view bytes) override;
  std::uint64_t Size() const override { return size_; }

  // Appends the first `size` bytes of another file (a multipart part) without passing them
  // through memory where the kernel can copy them (copy_file_range).
  StoreResult<void> AppendFrom(int fd, std::uint64_t size, const std::filesystem::path& path_for_errors);

  const std::string& Bucket() const { return bucket_; }
  const std::filesystem::path& Path() const { return path_; }
  // Writes the buffer out (and syncs when `durable`); the identity the file keeps through renames.
  StoreResult<FileIdentity> Finish(bool durable);
  // The file was renamed into place (or is named by an intent): the destructor leaves it alone.
  void Release() { released_ = true; }

 private:
  FileBodyWriter(std::filesystem::path path, UniqueFd fd, std::string bucket, bool early_writeback);
  StoreResult<void> Flush();
  // Starts writeback of the file's bytes up to `written` not handed over yet (early_writeback_ only).
  void StartWriteback(std::uint64_t written);

  std::filesystem::path path_;
  UniqueFd fd_;
  std::string bucket_;
  std::string buffer_;
  std::uint64_t size_ = 0;
  std::uint64_t written_back_ = 0;  // bytes handed to the disk by StartWriteback
  bool early_writeback_ = false;
  bool failed_ = false;
  bool released_ = false;
};

class FileBodyReader final : public BodyReader {
 public:
  FileBodyReader(UniqueFd fd, std::uint64_t size, std::filesystem::path path)
      : fd_(std::move(fd)), size_(size), path_(std::move(path)) {}
  std::uint64_t Size() const override { return size_; }
  StoreResult<std::string> ReadAt(std::uint64_t offset, std::size_t max) override;
  // For pread by the store (the MD5 of a file no S3 call wrote); the reader keeps ownership.
  int Fd() const { return fd_.Get(); }

 private:
  UniqueFd fd_;
  std::uint64_t size_;
  std::filesystem::path path_;  // for error messages
};

}  // namespace mallard::s3::file

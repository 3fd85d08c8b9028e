#pragma once
// Helpers for the file store's own tests: temporary roots, stores over them, bodies, direct file
// access behind the store's back.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "services/s3/file/file_s3_store.hpp"

namespace mallard::s3::file::testing_support {

// A fresh directory under the system temp dir, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mallard-s3-file-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Options for tests about behaviour, not durability: no fsync.
inline FileS3StoreOptions NotDurable() {
  FileS3StoreOptions options;
  options.durable = false;
  return options;
}

inline std::unique_ptr<FileS3Store> OpenStore(const std::filesystem::path& root, FileS3StoreOptions options = {}) {
  auto opened = FileS3Store::Open(root, std::move(options));
  EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().detail);
  return opened.ok() ? std::move(*opened) : nullptr;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string QuotedMd5(const std::string& bytes);

}  // namespace mallard::s3::file::testing_support

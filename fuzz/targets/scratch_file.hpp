#pragma once
// A scratch file for fuzz targets that must go through a real file (journal and snapshot readers).
// Header-only so each target stays one translation unit.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace mallard::fuzz {

// One file per process in the temporary directory, removed when the fuzzer exits normally (a crash
// leaves it, beside the reproducer): each run used to leave its file in /tmp.
class ScratchFile {
 public:
  ScratchFile(const std::string& stem, const std::string& extension)
      : path_(std::filesystem::temp_directory_path() / (stem + "." + std::to_string(::getpid()) + extension)) {}
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace mallard::fuzz

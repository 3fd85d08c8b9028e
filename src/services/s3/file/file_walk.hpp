#pragma once
// Lists the plain files under a bucket directory in S3's key order without an index: within one
// directory, entries sorted by name with a directory compared as name + "/" give the byte order of
// the whole keys (a file "a-c" (0x2d) comes before the keys "a/…" (0x2f) of a directory "a"). The
// walk descends only into directories that can hold keys in range, so a page after `after` under
// `prefix` touches the directories on the way there and the page's own entries.
//
// A directory's sorted entries are cached while its modification time is unchanged, so paging
// through 100k files in one directory sorts them once. Linux stamps modification times from a
// clock that can lag by a few milliseconds, so a listing read less than kRacyMarginNs after the
// directory last changed is not cached (a change in that window could keep the same time).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mallard::s3::file {

struct DirectoryEntry {
  std::string sort_name;  // the name, with "/" appended for a directory
  bool is_directory = false;
};

class DirectoryListingCache {
 public:
  static constexpr std::int64_t kRacyMarginNs = 200'000'000;
  static constexpr std::size_t kMaxCachedDirectories = 4096;

  // The directory's regular files and real directories (no symlinks, devices, sockets), sorted
  // by sort_name; empty when it cannot be read.
  std::shared_ptr<const std::vector<DirectoryEntry>> Entries(const std::filesystem::path& dir);
  void Clear();

 private:
  struct Cached {
    std::int64_t mtime_ns = 0;
    std::shared_ptr<const std::vector<DirectoryEntry>> entries;
  };
  std::mutex mutex_;
  std::map<std::string, Cached> cached_;
};

// Keys (paths '/'-joined) of the regular files under `bucket_dir` that start with `prefix` and
// are greater than `after`, in byte order, at most `limit`.
std::vector<std::string> WalkKeys(DirectoryListingCache& cache, const std::filesystem::path& bucket_dir,
                                  const std::string& prefix, const std::string& after, std::size_t limit);

}  // namespace mallard::s3::file

#include "services/s3/file/file_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "services/s3/file/file_layout.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;

namespace {

std::int64_t RealtimeNs() {
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

std::vector<DirectoryEntry> ReadSorted(const fs::path& dir) {
  std::vector<DirectoryEntry> entries;
  DIR* stream = ::opendir(dir.c_str());
  if (!stream) return entries;
  int dir_fd = ::dirfd(stream);
  while (struct dirent* entry = ::readdir(stream)) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      struct stat info {};
      if (::fstatat(dir_fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISREG(info.st_mode) ? DT_REG : S_ISDIR(info.st_mode) ? DT_DIR : DT_UNKNOWN;
    }
    if (type == DT_REG) {
      entries.push_back(DirectoryEntry{std::string(name), false});
    } else if (type == DT_DIR) {
      entries.push_back(DirectoryEntry{std::string(name) + "/", true});
    }
  }
  ::closedir(stream);
  std::sort(entries.begin(), entries.end(),
            [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.sort_name < b.sort_name; });
  return entries;
}

// The part of `bound` that restricts entries of a directory whose keys start with `key_prefix`:
// its first segment, '/' included when there is one. Empty: no restriction at this level.
std::string_view LevelBound(std::string_view rest) {
  std::size_t slash = rest.find('/');
  return slash == std::string_view::npos ? rest : rest.substr(0, slash + 1);
}

struct WalkState {
  DirectoryListingCache& cache;
  const std::string& prefix;
  const std::string& after;
  std::size_t limit;
  std::vector<std::string>& out;
};

void WalkDirectory(WalkState& state, const fs::path& dir, const std::string& key_prefix) {
  auto entries = state.cache.Entries(dir);
  // Below this directory every key starts with key_prefix; what is left of `after`/`prefix` past
  // it restricts this level (when they do not start with key_prefix, every key here is in range:
  // the parent descended only into directories that can hold keys in range).
  std::string_view after_rest;
  if (state.after.size() >= key_prefix.size() && std::string_view(state.after).starts_with(key_prefix)) {
    after_rest = std::string_view(state.after).substr(key_prefix.size());
  }
  std::string_view prefix_rest;
  if (state.prefix.size() > key_prefix.size() && std::string_view(state.prefix).starts_with(key_prefix)) {
    prefix_rest = std::string_view(state.prefix).substr(key_prefix.size());
  }
  std::string_view after_level = LevelBound(after_rest);
  std::string_view prefix_level = LevelBound(prefix_rest);
  std::string_view start = std::max(after_level, prefix_level);
  auto it =
      std::lower_bound(entries->begin(), entries->end(), start,
                       [](const DirectoryEntry& entry, std::string_view bound) { return entry.sort_name < bound; });
  for (; it != entries->end() && state.out.size() < state.limit; ++it) {
    std::string_view sort_name = it->sort_name;
    if (!sort_name.starts_with(prefix_level)) break;  // sorted: past the prefix's range
    if (it->is_directory) {
      // Holds keys > after unless every key in it (all starting with sort_name) is ≤ after_rest.
      bool holds_later = after_rest.empty() || sort_name > after_rest || after_rest.starts_with(sort_name);
      // Holds keys under the prefix when one starts with the other.
      bool holds_prefixed = sort_name.starts_with(prefix_rest) || prefix_rest.starts_with(sort_name);
      if (holds_later && holds_prefixed)
        WalkDirectory(state, dir / std::string(sort_name.substr(0, sort_name.size() - 1)),
                      key_prefix + std::string(sort_name));
      continue;
    }
    if (!after_rest.empty() && sort_name <= after_rest) continue;
    if (!sort_name.starts_with(prefix_rest)) continue;
    std::string key = key_prefix + std::string(sort_name);
    if (!PlainKeyPath(key)) continue;  // longer than any key a plain path can hold
    state.out.push_back(std::move(key));
  }
}

}  // namespace

std::shared_ptr<const std::vector<DirectoryEntry>> DirectoryListingCache::Entries(const fs::path& dir) {
  struct stat info {};
  // A bucket's directory must be a real one on ROOT's filesystem (commits rename and hard-link
  // across it), so a symlink is not followed here either.
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return std::make_shared<const std::vector<DirectoryEntry>>();
  }
  std::int64_t mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  {
    std::lock_guard lock(mutex_);
    auto found = cached_.find(dir.native());
    if (found != cached_.end() && found->second.mtime_ns == mtime_ns) return found->second.entries;
  }
  std::int64_t read_started = RealtimeNs();
  auto entries = std::make_shared<const std::vector<DirectoryEntry>>(ReadSorted(dir));
  if (mtime_ns + kRacyMarginNs < read_started) {
    std::lock_guard lock(mutex_);
    if (cached_.size() >= kMaxCachedDirectories) cached_.clear();
    cached_[dir.native()] = Cached{mtime_ns, entries};
  }
  return entries;
}

void DirectoryListingCache::Clear() {
  std::lock_guard lock(mutex_);
  cached_.clear();
}

std::vector<std::string> WalkKeys(DirectoryListingCache& cache, const fs::path& bucket_dir, const std::string& prefix,
                                  const std::string& after, std::size_t limit) {
  std::vector<std::string> out;
  if (limit == 0) return out;
  WalkState state{cache, prefix, after, limit, out};
  WalkDirectory(state, bucket_dir, "");
  return out;
}

}  // namespace mallard::s3::file

#include "services/s3/file/file_layout.hpp"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <array>

namespace mallard::s3::file {
namespace fs = std::filesystem;

namespace {

bool IsValidSegment(std::string_view segment) {
  if (segment.empty() || segment.size() > kMaxSegmentBytes) return false;
  if (segment == "." || segment == "..") return false;
  return segment.find('\0') == std::string_view::npos;
}

// The two-hex-digit fan-out directory, so no sidecar directory holds millions of entries.
std::string FanOut(std::string_view hash) { return std::string(hash.substr(0, 2)); }

}  // namespace

bool IsStorableBucketName(std::string_view bucket) {
  if (bucket.empty() || bucket.size() > kMaxSegmentBytes || bucket.front() == '.') return false;
  return bucket.find('/') == std::string_view::npos && bucket.find('\0') == std::string_view::npos;
}

std::optional<fs::path> PlainKeyPath(std::string_view key) {
  if (key.empty() || key.size() > kMaxPlainKeyBytes) return std::nullopt;
  fs::path relative;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!IsValidSegment(segment)) return std::nullopt;  // also rejects "", so no leading, trailing or double '/'
    relative /= fs::path(std::string(segment));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return relative;
}

bool PlainPathBlocked(const fs::path& bucket_dir, const fs::path& relative) {
  fs::path current = bucket_dir;
  auto last = std::prev(relative.end());
  for (auto segment = relative.begin(); segment != relative.end(); ++segment) {
    current /= *segment;
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0) return false;  // absent: the rest will be created
    if (segment == last) return !S_ISREG(info.st_mode);
    if (!S_ISDIR(info.st_mode)) return true;
  }
  return false;
}

std::string KeyOfPlainPath(const fs::path& relative) {
  std::string key;
  for (const auto& segment : relative) {
    if (!key.empty()) key.push_back('/');
    key += segment.native();
  }
  return key;
}

std::string Sha256Hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

FileLayout::FileLayout(fs::path root) : root_(std::move(root)), sidecar_(root_ / std::string(kSidecarDirName)) {}

fs::path FileLayout::BucketRecordFile(std::string_view bucket) const {
  return BucketsDir() / (std::string(bucket) + ".json");
}

fs::path FileLayout::BucketDir(std::string_view bucket) const { return root_ / std::string(bucket); }

fs::path FileLayout::CurrentRecordFile(std::string_view bucket, std::string_view key_hash) const {
  return CurrentDir(bucket) / FanOut(key_hash) / (std::string(key_hash) + ".json");
}

fs::path FileLayout::EscapedBodyFile(std::string_view bucket, std::string_view key_hash) const {
  return EscapedDir(bucket) / FanOut(key_hash) / std::string(key_hash);
}

fs::path FileLayout::HistoryFile(std::string_view bucket, std::string_view key_hash) const {
  return VersionsDir(bucket) / FanOut(key_hash) / (std::string(key_hash) + ".json");
}

fs::path FileLayout::VersionBodyFile(std::string_view bucket, std::string_view key_hash,
                                     std::string_view body_name) const {
  return VersionsDir(bucket) / FanOut(key_hash) / (std::string(key_hash) + "." + std::string(body_name));
}

fs::path FileLayout::EtagCacheFile(std::string_view bucket, std::string_view key_hash) const {
  return EtagsDir(bucket) / FanOut(key_hash) / std::string(key_hash);
}

fs::path FileLayout::UploadDir(std::string_view bucket, std::string_view upload_id) const {
  return UploadsDir(bucket) / Sha256Hex(upload_id);
}

}  // namespace mallard::s3::file

#pragma once
// Where the file store keeps what, and the one mapping from an S3 key to a path.
//
// A key's current version is the plain file ROOT/<bucket>/<key> when the key is a valid relative
// path (PlainKeyPath); every other key is "escaped": its bytes live under the sidecar tree, named
// by the SHA-256 of the key, never by the key itself. No code builds a path from a key except
// through this file, so a key like "../../etc/passwd" can never name a path outside its bucket.
//
// ROOT/.mallard-s3/ (bucket names never start with '.', so it cannot clash with a bucket):
//   lock                              flock held while a store has ROOT open
//   buckets/<bucket>.json             the BucketRecord
//   current/<bucket>/<hh>/<H>.json    the current version's record (H = SHA-256 hex of the key)
//   escaped/<bucket>/<hh>/<H>         the current body of an escaped key (its record is in current/)
//   versions/<bucket>/<hh>/<H>.json   the key's older versions and delete markers, newest first
//   versions/<bucket>/<hh>/<H>.<id>   the body of one older version
//   uploads/<bucket>/<U>/             a multipart upload (U = SHA-256 hex of the upload id)
//   etags/<bucket>/<hh>/<H>           MD5 ETag cached for a file no S3 call wrote
//   intents/<name>.json               a commit in flight (replayed at open)
//   tmp/                              bodies being written (removed at open)
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mallard::s3::file {

inline constexpr std::string_view kSidecarDirName = ".mallard-s3";
// Linux's NAME_MAX and a margin under PATH_MAX for ROOT/<bucket>/ in front of the key.
inline constexpr std::size_t kMaxSegmentBytes = 255;
inline constexpr std::size_t kMaxPlainKeyBytes = 3800;

// True for a name the store may use as a directory under ROOT: non-empty, at most 255 bytes, no
// '/' or NUL, not starting with '.' (S3 names never do; this keeps ".mallard-s3", "." and ".."
// out of reach whatever the caller passes).
bool IsStorableBucketName(std::string_view bucket);

// The key as a relative path under the bucket directory when it is a valid one: segments split
// on '/', each non-empty, not "." or "..", without NUL, at most 255 bytes; the whole key at most
// kMaxPlainKeyBytes; no leading or trailing '/'. nullopt: the key must be escaped. (Whether the
// path is free on disk — no file where a directory is needed or the reverse — is the store's
// check at write time: PlainPathBlocked.)
std::optional<std::filesystem::path> PlainKeyPath(std::string_view key);

// True when writing a regular file at `bucket_dir / relative` is impossible or unsafe now: an
// ancestor inside the bucket directory exists and is not a real directory (a file, a symlink),
// or the path itself exists and is not a regular file (a directory, a symlink, a device).
bool PlainPathBlocked(const std::filesystem::path& bucket_dir, const std::filesystem::path& relative);

// The key of a plain file found at `relative` under a bucket directory ('/'-joined segments).
std::string KeyOfPlainPath(const std::filesystem::path& relative);

// Lower-case hex SHA-256 of the bytes: the name of a key's (or upload's) sidecar files.
std::string Sha256Hex(std::string_view bytes);

// The sidecar layout under one ROOT.
class FileLayout {
 public:
  explicit FileLayout(std::filesystem::path root);

  const std::filesystem::path& Root() const { return root_; }
  const std::filesystem::path& SidecarRoot() const { return sidecar_; }
  std::filesystem::path LockFile() const { return sidecar_ / "lock"; }
  std::filesystem::path TmpDir() const { return sidecar_ / "tmp"; }
  std::filesystem::path IntentsDir() const { return sidecar_ / "intents"; }
  std::filesystem::path BucketsDir() const { return sidecar_ / "buckets"; }
  std::filesystem::path BucketRecordFile(std::string_view bucket) const;

  // ROOT/<bucket>: plain bodies.
  std::filesystem::path BucketDir(std::string_view bucket) const;
  // The per-bucket sidecar directories (removed with the bucket).
  std::filesystem::path CurrentDir(std::string_view bucket) const { return sidecar_ / "current" / std::string(bucket); }
  std::filesystem::path EscapedDir(std::string_view bucket) const { return sidecar_ / "escaped" / std::string(bucket); }
  std::filesystem::path VersionsDir(std::string_view bucket) const {
    return sidecar_ / "versions" / std::string(bucket);
  }
  std::filesystem::path UploadsDir(std::string_view bucket) const { return sidecar_ / "uploads" / std::string(bucket); }
  std::filesystem::path EtagsDir(std::string_view bucket) const { return sidecar_ / "etags" / std::string(bucket); }

  // Per key (`key_hash` = Sha256Hex(key)).
  std::filesystem::path CurrentRecordFile(std::string_view bucket, std::string_view key_hash) const;
  std::filesystem::path EscapedBodyFile(std::string_view bucket, std::string_view key_hash) const;
  std::filesystem::path HistoryFile(std::string_view bucket, std::string_view key_hash) const;
  std::filesystem::path VersionBodyFile(std::string_view bucket, std::string_view key_hash,
                                        std::string_view body_name) const;
  std::filesystem::path EtagCacheFile(std::string_view bucket, std::string_view key_hash) const;
  std::filesystem::path UploadDir(std::string_view bucket, std::string_view upload_id) const;

 private:
  std::filesystem::path root_;
  std::filesystem::path sidecar_;
};

}  // namespace mallard::s3::file

#pragma once
// The S3 file store's plain-file view, for services whose SQL engine reads and writes S3 objects as
// files (Athena's external tables, CTAS and UNLOAD; Redshift's COPY and UNLOAD). With the file store,
// the current version of s3://bucket/key is the file ROOT/bucket/key (see
// src/services/s3/file/README.md), and a file written there is an object the moment it exists. The
// S3 module sets the root when it opens a file store; it stays unset for the memory store, and
// resolving then fails with a message that says why.
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::services {

struct S3Location {
  std::string bucket;
  std::string prefix;  // the key prefix, as written after the bucket ("" for the bucket itself)
  std::filesystem::path directory;  // ROOT/bucket/prefix, lexically normal
};

class S3LocalFiles {
 public:
  S3LocalFiles() = default;
  explicit S3LocalFiles(std::filesystem::path root) : root_(std::move(root)) {}

  // Empty when the S3 store keeps bytes elsewhere (memory).
  const std::filesystem::path& Root() const { return root_; }
  bool Available() const { return !root_.empty(); }

  // `s3://bucket[/prefix]` (also `s3a://`, `s3n://`) to its place under the root. Fails when there is
  // no file store, when the URI is not s3://, the bucket name is not a valid S3 bucket name, or the
  // prefix has an empty, `.` or `..` segment (such keys are never plain paths, see the file store).
  // Does not check that the bucket exists: BucketExists does.
  Result<S3Location, std::string> Resolve(std::string_view uri) const;
  // Whether `bucket` is a bucket of the store (its directory exists under the root).
  bool BucketExists(std::string_view bucket) const;

 private:
  std::filesystem::path root_;
};

}  // namespace mallard::services

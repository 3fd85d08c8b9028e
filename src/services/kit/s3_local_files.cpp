#include "services/kit/s3_local_files.hpp"

#include <system_error>

namespace mallard::services {

namespace {

// S3's bucket naming rules (general purpose buckets): 3–63 characters of a-z, 0-9, '.', '-',
// beginning and ending with a letter or digit, no '..', not an IP address.
bool IsBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  bool all_digits_and_dots = true;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (!alnum(c) && c != '.' && c != '-') return false;
    if (c == '.' && i + 1 < name.size() && name[i + 1] == '.') return false;
    if (c != '.' && !(c >= '0' && c <= '9')) all_digits_and_dots = false;
  }
  return !all_digits_and_dots;
}

}  // namespace

Result<S3Location, std::string> S3LocalFiles::Resolve(std::string_view uri) const {
  std::string_view rest;
  for (std::string_view scheme : {"s3://", "s3a://", "s3n://"}) {
    if (uri.substr(0, scheme.size()) == scheme) {
      rest = uri.substr(scheme.size());
      break;
    }
  }
  if (rest.data() == nullptr) return Fail(std::string("not an S3 location (s3://bucket/prefix): ") + std::string(uri));
  if (root_.empty()) {
    return Fail("the S3 store keeps objects in memory, so the SQL engine cannot read or write " + std::string(uri) +
                " (start the server with --backend-s3 file or file://DIR)");
  }
  std::size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (!IsBucketName(location.bucket)) return Fail("invalid bucket name in " + std::string(uri));
  location.prefix = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
  std::filesystem::path directory = root_ / location.bucket;
  std::string_view prefix = location.prefix;
  while (!prefix.empty()) {
    std::size_t end = prefix.find('/');
    std::string_view segment = prefix.substr(0, end);
    bool last = end == std::string_view::npos;
    // A trailing '/' ends the prefix ("logs/"); any other empty segment is not a plain path.
    if (segment.empty() && !(last || end + 1 == prefix.size())) return Fail("the S3 location " + std::string(uri) + " has an empty path segment");
    if (segment == "." || segment == "..") return Fail("the S3 location " + std::string(uri) + " has a '.' or '..' segment");
    if (segment.find('\0') != std::string_view::npos) return Fail("the S3 location " + std::string(uri) + " has a NUL byte");
    if (!segment.empty()) directory /= std::string(segment);
    if (last) break;
    prefix.remove_prefix(end + 1);
  }
  location.directory = directory.lexically_normal();
  return location;
}

bool S3LocalFiles::BucketExists(std::string_view bucket) const {
  if (root_.empty() || !IsBucketName(bucket)) return false;
  std::error_code error;
  return std::filesystem::is_directory(root_ / std::string(bucket), error);
}

}  // namespace mallard::services

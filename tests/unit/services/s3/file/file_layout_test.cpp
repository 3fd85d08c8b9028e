// The one mapping from an S3 key to a path (file_layout.hpp): which keys are plain paths, which
// must be escaped, and the on-disk clash rules; a key can never name a path outside its bucket.
#include "services/s3/file/file_layout.hpp"

#include <gtest/gtest.h>

#include <random>

#include "file_s3_test_support.hpp"
#include "services/s3/file/file_walk.hpp"

namespace mallard::s3::file {
namespace {
namespace fs = std::filesystem;
using testing_support::TempDir;
using testing_support::WriteFile;

TEST(FileLayout, PlainKeysAreRelativePathsOfValidSegments) {
  for (const std::string key : {"a", "a/b", "logs/2024/01/part-0.parquet", ".hidden", "...", "a.b", "a-c", "CON",
                                "back\\slash", "new\nline", "\xc3\xa9/\xf0\x9f\x98\x80", "trailing.", " space "}) {
    auto path = PlainKeyPath(key);
    ASSERT_TRUE(path.has_value()) << key;
    EXPECT_FALSE(path->is_absolute()) << key;
    EXPECT_EQ(KeyOfPlainPath(*path), key);
  }
  EXPECT_TRUE(PlainKeyPath(std::string(255, 'x')).has_value());
  EXPECT_TRUE(PlainKeyPath("d/" + std::string(255, 'x')).has_value());
}

TEST(FileLayout, KeysThatAreNotPathsAreEscaped) {
  for (const std::string key : {"", ".", "..", "../x", "x/..", "a/../b", "./x", "x/.", "/leading", "trailing/", "a//b",
                                "/", "//", "../../etc/passwd", "a/./b"}) {
    EXPECT_FALSE(PlainKeyPath(key).has_value()) << key;
  }
  EXPECT_FALSE(PlainKeyPath(std::string("nul\0x", 5)).has_value());
  EXPECT_FALSE(PlainKeyPath(std::string(256, 'x')).has_value());
  std::string deep;
  while (deep.size() <= kMaxPlainKeyBytes) deep += "d/";
  deep += "x";
  EXPECT_FALSE(PlainKeyPath(deep).has_value());
}

// Random keys over an alphabet heavy in '.', '/' and NUL: a key that maps to a path maps to one
// inside the bucket (lexically: no ".." segment, not absolute), and the path gives the key back.
TEST(FileLayout, NoKeyMapsOutsideItsBucket) {
  std::mt19937 random(7);
  const std::string alphabet = std::string("./a\0\xff", 5);
  for (int i = 0; i < 200'000; ++i) {
    std::string key;
    const std::size_t length = random() % 12;
    for (std::size_t j = 0; j < length; ++j) key += alphabet[random() % alphabet.size()];
    auto path = PlainKeyPath(key);
    if (!path) continue;
    EXPECT_FALSE(path->is_absolute()) << key;
    for (const auto& segment : *path) {
      EXPECT_NE(segment, "..") << key;
      EXPECT_NE(segment, ".") << key;
    }
    const fs::path bucket = "/root/bucket";
    EXPECT_EQ((bucket / *path).lexically_normal().native().rfind("/root/bucket/", 0), 0u) << key;
    EXPECT_EQ(KeyOfPlainPath(*path), key);
  }
}

TEST(FileLayout, ClashesOnDiskBlockAPlainPath) {
  TempDir dir;
  const fs::path bucket = dir.path();
  WriteFile(bucket / "file", "x");
  WriteFile(bucket / "dir/inner", "y");
  fs::create_directory_symlink(dir.path() / "dir", bucket / "link");
  EXPECT_FALSE(PlainPathBlocked(bucket, "new"));
  EXPECT_FALSE(PlainPathBlocked(bucket, "new/deeper/key"));
  EXPECT_FALSE(PlainPathBlocked(bucket, "file")) << "a file at the path is replaced";
  EXPECT_TRUE(PlainPathBlocked(bucket, "file/below")) << "a file where a directory is needed";
  EXPECT_TRUE(PlainPathBlocked(bucket, "dir")) << "a directory where the file goes";
  EXPECT_FALSE(PlainPathBlocked(bucket, "dir/inner"));
  EXPECT_FALSE(PlainPathBlocked(bucket, "dir/other"));
  EXPECT_TRUE(PlainPathBlocked(bucket, "link/inner")) << "a symlink on the way";
  EXPECT_TRUE(PlainPathBlocked(bucket, "link"));
}

TEST(FileLayout, SidecarNamesAreHashesNotKeys) {
  FileLayout layout("/srv/s3");
  const std::string hash = Sha256Hex("../../etc/passwd");
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(layout.EscapedBodyFile("b", hash), fs::path("/srv/s3/.mallard-s3/escaped/b") / hash.substr(0, 2) / hash);
  EXPECT_EQ(layout.CurrentRecordFile("b", hash),
            fs::path("/srv/s3/.mallard-s3/current/b") / hash.substr(0, 2) / (hash + ".json"));
  EXPECT_TRUE(IsStorableBucketName("my-bucket.1"));
  EXPECT_FALSE(IsStorableBucketName(".mallard-s3"));
  EXPECT_FALSE(IsStorableBucketName(".."));
  EXPECT_FALSE(IsStorableBucketName("a/b"));
  EXPECT_FALSE(IsStorableBucketName(""));
}

// The walk gives S3's byte order whatever the directory shapes: compared with a sort of the keys.
TEST(FileWalk, WalksInByteOrderWithPrefixAfterAndLimit) {
  TempDir dir;
  std::vector<std::string> keys = {"a",    "a-c", "a.b",  "ab", "a/b",   "a/b/c",        "a/\xc3\xa9", "b",
                                   "b0/x", "b/",  "\x01", " ",  "z/z/z", "\xe6\x97\xa5", "a/bc",       "a/b-"};
  keys.erase(std::remove(keys.begin(), keys.end(), "b/"), keys.end());  // not a file name
  keys.erase(std::remove(keys.begin(), keys.end(), "a"), keys.end());   // "a" is a directory here
  keys.erase(std::remove(keys.begin(), keys.end(), "a/b"), keys.end());
  for (const auto& key : keys) WriteFile(dir.path() / key, key);
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  DirectoryListingCache cache;
  EXPECT_EQ(WalkKeys(cache, dir.path(), "", "", 1000), sorted);
  std::mt19937 random(11);
  for (int i = 0; i < 2000; ++i) {
    auto bound = [&]() -> std::string {
      const std::string& key = sorted[random() % sorted.size()];
      switch (random() % 3) {
        case 0:
          return "";
        case 1:
          return key.substr(0, random() % (key.size() + 1));
        default:
          return key + (random() % 2 ? "\x01" : "/");
      }
    };
    const std::string prefix = bound(), after = bound();
    const std::size_t limit = 1 + random() % 6;
    std::vector<std::string> want;
    for (const auto& key : sorted) {
      if (want.size() == limit) break;
      if (key.starts_with(prefix) && (after.empty() || key > after)) want.push_back(key);
    }
    EXPECT_EQ(WalkKeys(cache, dir.path(), prefix, after, limit), want) << "prefix " << prefix << " after " << after;
  }
}

}  // namespace
}  // namespace mallard::s3::file

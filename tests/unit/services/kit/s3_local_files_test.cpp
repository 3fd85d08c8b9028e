#include "services/kit/s3_local_files.hpp"

#include <gtest/gtest.h>

namespace mallard::services {
namespace {

TEST(S3LocalFiles, ResolvesLocationsUnderTheRoot) {
  S3LocalFiles files("/srv/s3");
  auto logs = files.Resolve("s3://my-bucket/logs/2024/");
  ASSERT_TRUE(logs.ok()) << logs.error();
  EXPECT_EQ(logs->bucket, "my-bucket");
  EXPECT_EQ(logs->prefix, "logs/2024/");
  EXPECT_EQ(logs->directory, std::filesystem::path("/srv/s3/my-bucket/logs/2024"));
  auto bucket = files.Resolve("s3a://my-bucket");
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(bucket->directory, std::filesystem::path("/srv/s3/my-bucket"));
  EXPECT_TRUE(files.Resolve("s3://my-bucket/").ok());
}

TEST(S3LocalFiles, RefusesWhatIsNotAPlainPathInABucket) {
  S3LocalFiles files("/srv/s3");
  for (const char* uri : {"s3://my-bucket/../other", "s3://my-bucket/a/./b", "s3://my-bucket/a//b", "s3://My_Bucket/x",
                          "s3://ab/x", "s3://192.168.1.1/x", "s3://.hidden/x", "http://my-bucket/x", "/etc/passwd",
                          "s3://my-bucket/..", "s3://../x"}) {
    EXPECT_FALSE(files.Resolve(uri).ok()) << uri;
  }
  std::string with_nul = std::string("s3://my-bucket/a") + '\0' + "b";
  EXPECT_FALSE(files.Resolve(with_nul).ok());
}

TEST(S3LocalFiles, MemoryStoreSaysWhy) {
  S3LocalFiles files;
  EXPECT_FALSE(files.Available());
  auto resolved = files.Resolve("s3://my-bucket/x");
  ASSERT_FALSE(resolved.ok());
  EXPECT_NE(resolved.error().find("--backend-s3 file"), std::string::npos);
  EXPECT_FALSE(files.BucketExists("my-bucket"));
}

}  // namespace
}  // namespace mallard::services

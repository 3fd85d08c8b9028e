// CopyObject through HandleRest: metadata and tagging directives, copying onto itself, source
// versions and delete markers, source conditions, across buckets, checksums of the copy.
#include <gtest/gtest.h>

#include "s3_service_harness.hpp"

namespace mallard::s3 {
namespace {

using testing::Headers;
using testing::S3Harness;

// A GET's body: streamed from the store (inline here: the harness has no pool), read to the end.
std::string BodyOf(const http::HttpResponse& response) {
  if (!response.body_source) return response.body;
  std::string out;
  for (;;) {
    std::string piece;
    bool ended = false;
    response.body_source->Read([&](std::string bytes, std::string error) {
      EXPECT_TRUE(error.empty()) << error;
      ended = bytes.empty() || !error.empty();
      piece = std::move(bytes);
    });
    if (ended) return out;
    out += piece;
  }
}

class CopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s3.CreateBucket("src");
    s3.CreateBucket("dst");
    auto put = s3.Send("PUT", "/src/a%20b", "hello copy",
                       {{"content-type", "text/plain"}, {"x-amz-meta-one", "1"}, {"x-amz-tagging", "t=1"}});
    ASSERT_EQ(put.status, 200) << put.body;
    source_etag = *S3Harness::HeaderOf(put, "ETag");
  }
  http::HttpResponse Copy(const std::string& target, std::string source, Headers headers = {}) {
    headers.emplace_back("x-amz-copy-source", std::move(source));
    return s3.Send("PUT", target, {}, std::move(headers));
  }
  S3Harness s3;
  std::string source_etag;
};

TEST_F(CopyTest, CopiesAcrossBucketsWithMetadataAndTags) {
  auto copied = Copy("/dst/copy", "/src/a%20b");
  ASSERT_EQ(copied.status, 200) << copied.body;
  EXPECT_EQ(S3Harness::Element(copied.body, "ETag"), source_etag);
  EXPECT_FALSE(S3Harness::Element(copied.body, "LastModified").empty());
  EXPECT_FALSE(S3Harness::Element(copied.body, "ChecksumCRC64NVME").empty());
  auto got = s3.Send("GET", "/dst/copy");
  EXPECT_EQ(BodyOf(got), "hello copy");
  EXPECT_EQ(*S3Harness::HeaderOf(got, "Content-Type"), "text/plain");
  EXPECT_EQ(*S3Harness::HeaderOf(got, "x-amz-meta-one"), "1");
  EXPECT_EQ(*S3Harness::HeaderOf(got, "x-amz-tagging-count"), "1");

  auto replaced = Copy("/dst/replaced", "src/a%20b",
                       {{"x-amz-metadata-directive", "REPLACE"}, {"content-type", "application/json"},
                        {"x-amz-meta-two", "2"}, {"x-amz-tagging-directive", "REPLACE"}, {"x-amz-tagging", "x=1&y=2"}});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  auto head = s3.Send("HEAD", "/dst/replaced");
  EXPECT_EQ(*S3Harness::HeaderOf(head, "Content-Type"), "application/json");
  EXPECT_EQ(S3Harness::HeaderOf(head, "x-amz-meta-one"), nullptr);
  EXPECT_EQ(*S3Harness::HeaderOf(head, "x-amz-meta-two"), "2");
  EXPECT_EQ(*S3Harness::HeaderOf(head, "x-amz-tagging-count"), "2");
}

TEST_F(CopyTest, ErrorsAreS3s) {
  auto self = Copy("/src/a%20b", "/src/a%20b");
  EXPECT_EQ(self.status, 400);
  EXPECT_EQ(S3Harness::Element(self.body, "Message"),
            "This copy request is illegal because it is trying to copy an object to itself without changing the "
            "object's metadata, storage class, website redirect location or encryption attributes.");
  EXPECT_EQ(Copy("/src/a%20b", "/src/a%20b", {{"x-amz-metadata-directive", "REPLACE"}}).status, 200);
  EXPECT_EQ(Copy("/src/a%20b", "/src/a%20b", {{"x-amz-storage-class", "STANDARD_IA"}}).status, 200);

  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/x", "/src/missing")), "NoSuchKey");
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/x", "/nobucket/k")), "NoSuchBucket");
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/nobucket/x", "/src/a%20b")), "NoSuchBucket");
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/x", "/src")), "InvalidArgument");
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/x", "/src/a%20b", {{"x-amz-metadata-directive", "MOVE"}})),
            "InvalidArgument");
  EXPECT_EQ(Copy("/dst/x", "/src/a%20b", {{"x-amz-copy-source-if-match", "\"other\""}}).status, 412);
  EXPECT_EQ(Copy("/dst/x", "/src/a%20b", {{"x-amz-copy-source-if-none-match", source_etag}}).status, 412);
  EXPECT_EQ(Copy("/dst/x", "/src/a%20b", {{"x-amz-copy-source-if-match", source_etag}}).status, 200);
  ASSERT_EQ(Copy("/dst/x", "/src/a%20b", {{"if-none-match", "*"}}).status, 412);
}

TEST_F(CopyTest, VersionsAndDeleteMarkers) {
  ASSERT_EQ(s3.Send("PUT", "/src?versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>").status,
            200);
  auto first = s3.Send("PUT", "/src/v", "one");
  std::string first_version = *S3Harness::HeaderOf(first, "x-amz-version-id");
  ASSERT_EQ(s3.Send("PUT", "/src/v", "two").status, 200);
  auto old = Copy("/dst/old", "/src/v?versionId=" + first_version);
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(*S3Harness::HeaderOf(old, "x-amz-copy-source-version-id"), first_version);
  EXPECT_EQ(BodyOf(s3.Send("GET", "/dst/old")), "one");

  auto deleted = s3.Send("DELETE", "/src/v");
  std::string marker = *S3Harness::HeaderOf(deleted, "x-amz-version-id");
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/y", "/src/v")), "NoSuchKey");
  auto by_marker = Copy("/dst/y", "/src/v?versionId=" + marker);
  EXPECT_EQ(S3Harness::Element(by_marker.body, "Message"),
            "The source of a copy request may not specifically refer to a delete marker by version id.");
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/y", "/src/v?versionId=nope")), "NoSuchVersion");
}

TEST_F(CopyTest, ChecksumAlgorithmOfTheCopy) {
  auto copied = Copy("/dst/sha", "/src/a%20b", {{"x-amz-checksum-algorithm", "SHA256"}});
  ASSERT_EQ(copied.status, 200) << copied.body;
  // SHA-256 of "hello copy", base64.
  EXPECT_FALSE(S3Harness::Element(copied.body, "ChecksumSHA256").empty());
  auto head = s3.Send("HEAD", "/dst/sha", {}, {{"x-amz-checksum-mode", "ENABLED"}});
  EXPECT_EQ(*S3Harness::HeaderOf(head, "x-amz-checksum-sha256"), S3Harness::Element(copied.body, "ChecksumSHA256"));
  EXPECT_EQ(S3Harness::ErrorCode(Copy("/dst/bad", "/src/a%20b", {{"x-amz-checksum-algorithm", "MD5"}})),
            "InvalidRequest");
}

}  // namespace
}  // namespace mallard::s3

// ListObjectVersions, DeleteObjects and GetObjectAttributes through HandleRest over the memory
// store: AWS's recorded answers (LocalStack's snapshots of real S3), S3's errors, and a seeded
// randomised comparison of version listings and batch deletes against a model kept here
// (MALLARD_S3_VERSIONS_SEED replays a run).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include <stdlib.h>

#include <filesystem>

#include "common/encoding.hpp"
#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/codec/checksums.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/xml/s3_xml.hpp"
#include "s3_service_harness.hpp"

namespace mallard::s3 {
namespace {

using testing::Headers;
using testing::S3Harness;

std::string Md5Base64(std::string_view body) {
  auto md5 = codec::MakeMd5Hasher();
  md5->Update(body);
  return md5->Base64Digest();
}

// The headers an SDK sends with a DeleteObjects body.
Headers WithMd5(std::string_view body) { return {{"content-md5", Md5Base64(body)}}; }

std::string DeleteBody(const std::vector<std::pair<std::string, std::string>>& objects, bool quiet = false) {
  std::string xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& [key, version] : objects) {
    xml += "<Object><Key>" + key + "</Key>";
    if (!version.empty()) xml += "<VersionId>" + version + "</VersionId>";
    xml += "</Object>";
  }
  if (quiet) xml += "<Quiet>true</Quiet>";
  return xml + "</Delete>";
}

// One entry of a ListVersionsResult, in document order.
struct Listed {
  bool marker = false;
  std::string key;
  std::string version_id;
  bool is_latest = false;
  bool operator==(const Listed&) const = default;
};

struct VersionPage {
  std::vector<Listed> entries;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string next_key;
  std::string next_version;
  bool has_next_version = false;
};

VersionPage ParseVersionPage(const std::string& body) {
  VersionPage page;
  auto document = ParseXml(body);
  EXPECT_TRUE(static_cast<bool>(document)) << body;
  if (!document) return page;
  pugi::xml_node root = document.value().Root();
  EXPECT_EQ(LocalName(root), "ListVersionsResult");
  for (pugi::xml_node child : root.children()) {
    std::string_view name = LocalName(child);
    if (name == "Version" || name == "DeleteMarker") {
      page.entries.push_back({name == "DeleteMarker", ChildText(child, "Key").value_or("?"),
                              ChildText(child, "VersionId").value_or("?"), ChildText(child, "IsLatest") == "true"});
    } else if (name == "CommonPrefixes") {
      page.prefixes.push_back(ChildText(child, "Prefix").value_or("?"));
    }
  }
  page.truncated = ChildText(root, "IsTruncated") == "true";
  page.next_key = ChildText(root, "NextKeyMarker").value_or("");
  auto next_version = ChildText(root, "NextVersionIdMarker");
  page.has_next_version = next_version.has_value();
  page.next_version = next_version.value_or("");
  return page;
}

// Every case runs on both stores: the listing's order and markers are the store contract's.
enum class StoreKind { Memory, File };

struct TempRoot {
  TempRoot() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mallard-s3-versions-XXXXXX").string();
    path = ::mkdtemp(pattern.data()) != nullptr ? std::filesystem::path(pattern) : std::filesystem::path();
  }
  ~TempRoot() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

std::shared_ptr<S3Store> MakeStore(StoreKind kind, const std::filesystem::path& root) {
  if (kind == StoreKind::Memory) return std::make_shared<MemoryS3Store>();
  auto opened = file::FileS3Store::Open(root);
  EXPECT_TRUE(opened) << (opened ? "" : opened.error().detail);
  return opened ? std::shared_ptr<S3Store>(std::move(opened).value()) : std::make_shared<MemoryS3Store>();
}

class VersionsTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    s3.CreateBucket("ver");
    SetVersioning("ver", "Enabled");
  }
  void SetVersioning(const std::string& bucket, const std::string& status) {
    ASSERT_EQ(s3.Send("PUT", "/" + bucket + "?versioning",
                      "<VersioningConfiguration><Status>" + status + "</Status></VersioningConfiguration>")
                  .status,
              200);
  }
  std::string Put(const std::string& bucket, const std::string& key, const std::string& body) {
    auto answer = s3.Send("PUT", "/" + bucket + "/" + key, body);
    EXPECT_EQ(answer.status, 200) << answer.body;
    const std::string* version = S3Harness::HeaderOf(answer, "x-amz-version-id");
    return version != nullptr ? *version : std::string(kNullVersionId);
  }
  std::string Delete(const std::string& bucket, const std::string& key) {
    auto answer = s3.Send("DELETE", "/" + bucket + "/" + key);
    EXPECT_EQ(answer.status, 204) << answer.body;
    const std::string* version = S3Harness::HeaderOf(answer, "x-amz-version-id");
    return version != nullptr ? *version : std::string(kNullVersionId);
  }
  VersionPage List(const std::string& query) {
    auto answer = s3.Send("GET", "/ver?versions" + query);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return ParseVersionPage(answer.body);
  }
  TempRoot root;
  S3Harness s3{boost::asio::any_io_executor{}, MakeStore(GetParam(), root.path)};
};

INSTANTIATE_TEST_SUITE_P(Stores, VersionsTest, ::testing::Values(StoreKind::Memory, StoreKind::File),
                         [](const auto& info) { return info.param == StoreKind::Memory ? "Memory" : "File"; });

// LocalStack's test_list_objects_versions_markers, recorded against AWS.
TEST_P(VersionsTest, MarkersAsAwsRecorded) {
  std::vector<std::string> ids;  // in creation order, as the recording numbers them (1-based)
  for (const char* key : {"test_0", "test_1", "test_2"}) ids.push_back(Put("ver", key, "version 1"));
  ids.push_back(Put("ver", "test_2", "version 2"));
  for (const char* key : {"test_0", "test_1", "test_2"}) ids.push_back(Delete("ver", key));
  for (const char* key : {"test_0", "test_1"}) ids.push_back(Put("ver", key, "version 2"));
  auto id = [&](int n) { return ids[n - 1]; };

  auto all = List("");
  std::vector<Listed> expected = {{false, "test_0", id(8), true},  {true, "test_0", id(5), false},
                                  {false, "test_0", id(1), false}, {false, "test_1", id(9), true},
                                  {true, "test_1", id(6), false},  {false, "test_1", id(2), false},
                                  {true, "test_2", id(7), true},   {false, "test_2", id(4), false},
                                  {false, "test_2", id(3), false}};
  EXPECT_EQ(all.entries, expected);
  EXPECT_FALSE(all.truncated);

  auto five = List("&max-keys=5");
  EXPECT_EQ(five.entries, std::vector<Listed>(expected.begin(), expected.begin() + 5));
  EXPECT_TRUE(five.truncated);
  EXPECT_EQ(five.next_key, "test_1");
  EXPECT_EQ(five.next_version, id(6));

  auto key_only = List("&max-keys=1&key-marker=test_1");
  EXPECT_EQ(key_only.entries, std::vector<Listed>({{true, "test_2", id(7), true}}));
  EXPECT_EQ(key_only.next_key, "test_2");
  EXPECT_EQ(key_only.next_version, id(7));
  auto last = List("&max-keys=1&key-marker=test_2");
  EXPECT_TRUE(last.entries.empty());
  EXPECT_FALSE(last.truncated);

  auto version_only = s3.Send("GET", "/ver?versions&max-keys=1&version-id-marker=" + id(6));
  EXPECT_EQ(version_only.status, 400);
  EXPECT_EQ(S3Harness::ErrorCode(version_only), "InvalidArgument");
  EXPECT_EQ(S3Harness::Element(version_only.body, "Message"), "A version-id marker cannot be specified without a key marker.");
  EXPECT_EQ(S3Harness::Element(version_only.body, "ArgumentName"), "version-id-marker");
  EXPECT_EQ(S3Harness::Element(version_only.body, "ArgumentValue"), id(6));

  auto both = List("&max-keys=1&key-marker=test_1&version-id-marker=" + id(6));
  EXPECT_EQ(both.entries, std::vector<Listed>({{false, "test_1", id(2), false}}));
  EXPECT_EQ(both.next_key, "test_1");
  EXPECT_EQ(both.next_version, id(2));
  auto last_version = List("&max-keys=1&key-marker=test_2&version-id-marker=" + id(4));
  EXPECT_EQ(last_version.entries, std::vector<Listed>({{false, "test_2", id(3), false}}));
  EXPECT_FALSE(last_version.truncated);
  auto empty_marker = List("&max-keys=1&key-marker=");
  EXPECT_EQ(empty_marker.entries, std::vector<Listed>({expected[0]}));

  // An unknown version-id marker resumes after that key.
  auto unknown = List("&key-marker=test_1&version-id-marker=nosuchversion");
  ASSERT_FALSE(unknown.entries.empty());
  EXPECT_EQ(unknown.entries.front().key, "test_2");
}

// LocalStack's test_list_object_versions_pagination_common_prefixes and _with_prefix.
TEST_P(VersionsTest, CommonPrefixPaginationAsAwsRecorded) {
  for (const char* key : {"folder/aSubfolder/subFile1", "folder/aSubfolder/subFile2", "folder/file1", "folder/file2"}) {
    Put("ver", key, "content 123");
  }
  auto start = List("&prefix=folder/&delimiter=/&max-keys=1");
  EXPECT_EQ(start.prefixes, std::vector<std::string>({"folder/aSubfolder/"}));
  EXPECT_TRUE(start.entries.empty());
  EXPECT_TRUE(start.truncated);
  EXPECT_EQ(start.next_key, "folder/aSubfolder/");
  EXPECT_FALSE(start.has_next_version);
  auto next = List("&prefix=folder/&delimiter=/&max-keys=1&key-marker=folder/aSubfolder/");
  ASSERT_EQ(next.entries.size(), 1u);
  EXPECT_EQ(next.entries[0].key, "folder/file1");
  EXPECT_TRUE(next.prefixes.empty());
  EXPECT_EQ(next.next_key, "folder/file1");
  auto end = List("&prefix=folder/&delimiter=/&max-keys=1&key-marker=folder/file1");
  ASSERT_EQ(end.entries.size(), 1u);
  EXPECT_EQ(end.entries[0].key, "folder/file2");
  EXPECT_FALSE(end.truncated);
  auto manual = List("&prefix=folder/&delimiter=/&max-keys=1&key-marker=folder/aSubfolder/subFile1");
  ASSERT_EQ(manual.entries.size(), 1u);
  EXPECT_EQ(manual.entries[0].key, "folder/file1");
  EXPECT_TRUE(manual.prefixes.empty());

  auto raw = s3.Send("GET", "/ver?versions&prefix=folder/a&delimiter=/");
  EXPECT_NE(raw.body.find("<Prefix>folder/a</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
                          "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
                          "<CommonPrefixes><Prefix>folder/aSubfolder/</Prefix></CommonPrefixes></ListVersionsResult>"),
            std::string::npos)
      << raw.body;
}

TEST_P(VersionsTest, EntryShapeEncodingAndErrors) {
  std::string version = Put("ver", "a%20b/c", "12345");  // the key "a b/c"
  Delete("ver", "a%20b/c");
  auto answer = s3.Send("GET", "/ver?versions&encoding-type=url");
  ASSERT_EQ(answer.status, 200);
  const std::string owner = CanonicalUserId(s3.account);
  EXPECT_NE(answer.body.find("<Version><Key>a+b/c</Key><VersionId>" + version +
                             "</VersionId><IsLatest>false</IsLatest><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                             "<ETag>&quot;827ccb0eea8a706c4c34a16891f84e7b&quot;</ETag><ChecksumAlgorithm>CRC64NVME"
                             "</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>5</Size>"
                             "<StorageClass>STANDARD</StorageClass><Owner><ID>" + owner + "</ID></Owner></Version>"),
            std::string::npos)
      << answer.body;
  EXPECT_NE(answer.body.find("<DeleteMarker><Key>a+b/c</Key>"), std::string::npos);
  EXPECT_LT(answer.body.find("<DeleteMarker>"), answer.body.find("<Version>"));  // newest first
  EXPECT_NE(answer.body.find("<EncodingType>url</EncodingType></ListVersionsResult>"), std::string::npos);

  for (std::string bad : {"value", ""}) {
    auto refused = s3.Send("GET", "/ver?versions&encoding-type=" + bad);
    EXPECT_EQ(S3Harness::Element(refused.body, "Message"), "Invalid Encoding Method specified in Request");
  }
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/ver?versions&max-keys=-1")), "InvalidArgument");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/ver?versions&max-keys=x")), "InvalidArgument");
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/ver?versions&max-keys=5000").body, "MaxKeys"), "1000");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/nowhere?versions")), "NoSuchBucket");
  auto zero = List("&max-keys=0");
  EXPECT_TRUE(zero.entries.empty());
  EXPECT_FALSE(zero.truncated);
}

TEST_P(VersionsTest, DeleteObjectsNeedsAVerifiedDigest) {
  Put("ver", "k", "x");
  std::string body = DeleteBody({{"k", ""}});
  auto missing = s3.Send("POST", "/ver?delete", body);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(S3Harness::ErrorCode(missing), "InvalidRequest");
  EXPECT_EQ(S3Harness::Element(missing.body, "Message"), "Missing required header for this request: Content-MD5");
  auto wrong = s3.Send("POST", "/ver?delete", body, WithMd5(body + " "));
  EXPECT_EQ(S3Harness::ErrorCode(wrong), "BadDigest");
  auto crc_wrong = s3.Send("POST", "/ver?delete", body, {{"x-amz-checksum-crc32", "AAAAAA=="}});
  EXPECT_EQ(S3Harness::ErrorCode(crc_wrong), "BadDigest");
  auto crc = s3.Send("POST", "/ver?delete", body,
                     {{"x-amz-checksum-crc32", Base64Encode(codec::ComputeDigest(codec::ChecksumAlgorithm::kCrc32, body))},
                      {"x-amz-sdk-checksum-algorithm", "CRC32"}});
  EXPECT_EQ(crc.status, 200) << crc.body;
  EXPECT_NE(crc.body.find("<Deleted><Key>k</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>"),
            std::string::npos)
      << crc.body;
  // An aws-chunked body with a trailing checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
  std::string crc_b64 = Base64Encode(codec::ComputeDigest(codec::ChecksumAlgorithm::kCrc32, body));
  char size_hex[32];
  std::snprintf(size_hex, sizeof size_hex, "%zx", body.size());
  std::string chunked = std::string(size_hex) + "\r\n" + body + "\r\n0\r\nx-amz-checksum-crc32:" + crc_b64 + "\r\n\r\n";
  auto streamed = s3.Send("POST", "/ver?delete", chunked,
                          {{"x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                           {"content-encoding", "aws-chunked"},
                           {"x-amz-trailer", "x-amz-checksum-crc32"},
                           {"x-amz-decoded-content-length", std::to_string(body.size())}});
  EXPECT_EQ(streamed.status, 200) << streamed.body;

  for (std::string bad : {std::string("<Delete></Delete>"), std::string("<Delete><Object><Key></Key></Object></Delete>"),
                          std::string("<Delete><Object><VersionId>x</VersionId></Object></Delete>"),
                          std::string("<Remove><Object><Key>k</Key></Object></Remove>"),
                          DeleteBody({{"k", ""}}).replace(DeleteBody({{"k", ""}}).size() - 9, 0, "<Quiet>maybe</Quiet>"),
                          std::string("<Delete><Object><Key>k</Key>")}) {
    EXPECT_EQ(S3Harness::ErrorCode(s3.Send("POST", "/ver?delete", bad, WithMd5(bad))), "MalformedXML") << bad;
  }
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 1001; ++i) many.emplace_back("k" + std::to_string(i), "");
  std::string too_many = DeleteBody(many);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("POST", "/ver?delete", too_many, WithMd5(too_many))), "MalformedXML");
  many.pop_back();
  std::string thousand = DeleteBody(many, true);
  auto accepted = s3.Send("POST", "/ver?delete", thousand, WithMd5(thousand));
  EXPECT_EQ(accepted.status, 200);
  EXPECT_EQ(accepted.body.find("<Deleted>"), std::string::npos);  // quiet
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("POST", "/nowhere?delete", body, WithMd5(body))), "NoSuchBucket");
}

// LocalStack's test_delete_objects (unversioned) and test_delete_objects_versioned, recorded against AWS.
TEST_P(VersionsTest, DeleteObjectsAsAwsRecorded) {
  s3.CreateBucket("plain");
  Put("plain", "test-delete", "test-delete");
  std::string body = DeleteBody({{"test-delete", "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"}});
  auto wrong_version = s3.Send("POST", "/plain?delete", body, WithMd5(body));
  EXPECT_NE(wrong_version.body.find("<Error><Key>test-delete</Key><VersionId>HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD</VersionId>"
                                    "<Code>NoSuchVersion</Code><Message>The specified version does not exist.</Message>"
                                    "</Error>"),
            std::string::npos)
      << wrong_version.body;
  body = DeleteBody({{"test-delete", ""}, {"c-wrong-key", ""}, {"a-wrong-key", ""}});
  auto plain = s3.Send("POST", "/plain?delete", body, WithMd5(body));
  EXPECT_NE(plain.body.find("<Deleted><Key>test-delete</Key></Deleted><Deleted><Key>c-wrong-key</Key></Deleted>"
                            "<Deleted><Key>a-wrong-key</Key></Deleted>"),
            std::string::npos)
      << plain.body;
  EXPECT_EQ(s3.Send("GET", "/plain/test-delete").status, 404);
  // "null" in an unversioned bucket names the key itself: a missing one is deleted as far as S3 says.
  body = DeleteBody({{"gone", "null"}});
  EXPECT_NE(s3.Send("POST", "/plain?delete", body, WithMd5(body)).body.find(
                "<Deleted><Key>gone</Key><VersionId>null</VersionId></Deleted>"),
            std::string::npos);

  std::string version = Put("ver", "test-delete", "test-delete");
  body = DeleteBody({{"test-delete", ""}, {"wrongkey", ""}});
  auto markers = s3.Send("POST", "/ver?delete", body, WithMd5(body));
  auto page = List("");
  ASSERT_EQ(page.entries.size(), 3u);
  std::string marker = page.entries[0].version_id;
  EXPECT_TRUE(page.entries[0].marker);
  EXPECT_NE(markers.body.find("<Deleted><Key>test-delete</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>" +
                              marker + "</DeleteMarkerVersionId></Deleted>"),
            std::string::npos)
      << markers.body;
  body = DeleteBody({{"test-delete", marker}});
  auto removed_marker = s3.Send("POST", "/ver?delete", body, WithMd5(body));
  EXPECT_NE(removed_marker.body.find("<Deleted><Key>test-delete</Key><VersionId>" + marker +
                                     "</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>" + marker +
                                     "</DeleteMarkerVersionId></Deleted>"),
            std::string::npos)
      << removed_marker.body;
  body = DeleteBody({{"test-delete", version}}, true);
  auto quiet = s3.Send("POST", "/ver?delete", body, WithMd5(body));
  EXPECT_EQ(quiet.body.find("<Deleted>"), std::string::npos) << quiet.body;
  EXPECT_EQ(s3.Send("GET", "/ver/test-delete?versionId=" + version).status, 404);

  // A conditional delete: the ETag must match the current version.
  Put("ver", "cond", "abc");
  body = "<Delete><Object><Key>cond</Key><ETag>\"00000000000000000000000000000000\"</ETag></Object></Delete>";
  auto refused = s3.Send("POST", "/ver?delete", body, WithMd5(body));
  EXPECT_NE(refused.body.find("<Code>PreconditionFailed</Code>"), std::string::npos) << refused.body;
  body = "<Delete><Object><Key>cond</Key><ETag>900150983cd24fb0d6963f7d28e17f72</ETag></Object></Delete>";
  auto matched = s3.Send("POST", "/ver?delete", body, WithMd5(body));
  EXPECT_NE(matched.body.find("<Deleted><Key>cond</Key><DeleteMarker>true</DeleteMarker>"), std::string::npos)
      << matched.body;
}

TEST_P(VersionsTest, GetObjectAttributes) {
  std::string v1 = Put("ver", "obj", "69\n420\n");
  std::string v2 = Put("ver", "obj", "version 2");
  Headers all = {{"x-amz-object-attributes", "ETag, Checksum, ObjectParts, StorageClass, ObjectSize"}};
  auto answer = s3.Send("GET", "/ver/obj?attributes", "", all);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_NE(answer.body.find("<GetObjectAttributesResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                             "<ETag>d4ca1ed7571e2e7b1f1c375bd50fa220</ETag><Checksum><ChecksumCRC64NVME>"),
            std::string::npos)
      << answer.body;
  EXPECT_NE(answer.body.find("</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType></Checksum>"
                             "<StorageClass>STANDARD</StorageClass><ObjectSize>9</ObjectSize>"),
            std::string::npos)
      << answer.body;
  EXPECT_EQ(answer.body.find("ObjectParts"), std::string::npos);  // not a multipart object
  EXPECT_EQ(*S3Harness::HeaderOf(answer, "x-amz-version-id"), v2);
  EXPECT_EQ(*S3Harness::HeaderOf(answer, "last-modified"), "Thu, 01 Jan 2026 00:00:00 GMT");

  auto old = s3.Send("GET", "/ver/obj?attributes&versionId=" + v1, "", {{"x-amz-object-attributes", "ObjectSize,ETag"}});
  EXPECT_NE(old.body.find("<ETag>e92499db864217242396e8ef766079a9</ETag><ObjectSize>7</ObjectSize>"), std::string::npos)
      << old.body;
  EXPECT_EQ(*S3Harness::HeaderOf(old, "x-amz-version-id"), v1);

  auto unknown = s3.Send("GET", "/ver/obj?attributes", "", {{"x-amz-object-attributes", "ETag,ETags"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(S3Harness::ErrorCode(unknown), "InvalidArgument");
  EXPECT_EQ(S3Harness::Element(unknown.body, "Message"), "Invalid attribute name specified.");
  EXPECT_EQ(S3Harness::Element(unknown.body, "ArgumentValue"), "ETags");
  for (Headers headers : {Headers{}, Headers{{"x-amz-object-attributes", ""}}, Headers{{"x-amz-object-attributes", " , "}}}) {
    auto none = s3.Send("GET", "/ver/obj?attributes", "", headers);
    EXPECT_EQ(S3Harness::ErrorCode(none), "InvalidRequest");
    EXPECT_EQ(S3Harness::Element(none.body, "Message"),
              "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty");
  }
  auto if_none = s3.Send("GET", "/ver/obj?attributes", "",
                         {{"x-amz-object-attributes", "ETag"}, {"if-none-match", "\"d4ca1ed7571e2e7b1f1c375bd50fa220\""}});
  EXPECT_EQ(if_none.status, 304);

  std::string marker = Delete("ver", "obj");
  auto deleted = s3.Send("GET", "/ver/obj?attributes", "", all);
  EXPECT_EQ(deleted.status, 404);
  EXPECT_EQ(S3Harness::ErrorCode(deleted), "NoSuchKey");
  EXPECT_EQ(*S3Harness::HeaderOf(deleted, "x-amz-delete-marker"), "true");
  EXPECT_EQ(*S3Harness::HeaderOf(deleted, "x-amz-version-id"), marker);
  EXPECT_EQ(s3.Send("GET", "/ver/obj?attributes&versionId=" + marker, "", all).status, 405);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/ver/obj?attributes&versionId=nosuch", "", all)), "NoSuchVersion");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/ver/none?attributes", "", all)), "NoSuchKey");
}

TEST_P(VersionsTest, GetObjectAttributesOfParts) {
  // A multipart object's attributes as CompleteMultipartUpload records them (written through the
  // store: the parts' checksums decide whether S3 lists them).
  for (bool composite : {true, false}) {
    ObjectAttributes attributes;
    attributes.part_sizes = {5, 6, 7};
    if (composite) {
      attributes.checksum_algorithm = "SHA256";
      attributes.checksum_value = "c3VtLXN1bQ==-3";
      attributes.checksum_type = "COMPOSITE";
      attributes.part_checksums = {"cDE=", "cDI=", "cDM="};
    }
    ObjectRecord record;
    record.key = composite ? "composite" : "plain";
    record.version_id = NewVersionId();
    record.size = 18;
    record.etag = "\"0123456789abcdef0123456789abcdef-3\"";
    record.attributes_json = attributes.ToJson();
    auto writer = s3.store->NewBody("ver");
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer.value()->Append(std::string(18, 'x')));
    ASSERT_TRUE(s3.store->PutObject("ver", record, std::move(writer).value(), {}));
  }
  Headers parts = {{"x-amz-object-attributes", "ObjectParts,Checksum,ETag"}, {"x-amz-max-parts", "2"}};
  auto page = s3.Send("GET", "/ver/composite?attributes", "", parts);
  EXPECT_NE(page.body.find("<ETag>0123456789abcdef0123456789abcdef-3</ETag><Checksum><ChecksumSHA256>c3VtLXN1bQ==</ChecksumSHA256>"
                           "<ChecksumType>COMPOSITE</ChecksumType></Checksum><ObjectParts><PartsCount>3</PartsCount>"
                           "<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker>"
                           "<MaxParts>2</MaxParts><IsTruncated>true</IsTruncated><Part><PartNumber>1</PartNumber><Size>5</Size>"
                           "<ChecksumSHA256>cDE=</ChecksumSHA256></Part><Part><PartNumber>2</PartNumber>"),
            std::string::npos)
      << page.body;
  parts.emplace_back("x-amz-part-number-marker", "2");
  auto rest = s3.Send("GET", "/ver/composite?attributes", "", parts);
  EXPECT_NE(rest.body.find("<IsTruncated>false</IsTruncated><Part><PartNumber>3</PartNumber><Size>7</Size>"),
            std::string::npos)
      << rest.body;
  auto ignored = s3.Send("GET", "/ver/composite?attributes", "",
                         {{"x-amz-object-attributes", "ObjectParts"}, {"x-amz-max-parts", "-4"}});
  EXPECT_NE(ignored.body.find("<MaxParts>1000</MaxParts>"), std::string::npos) << ignored.body;
  auto plain = s3.Send("GET", "/ver/plain?attributes", "", {{"x-amz-object-attributes", "ObjectParts"}});
  EXPECT_NE(plain.body.find("<ObjectParts><PartsCount>3</PartsCount></ObjectParts></GetObjectAttributesResponse>"),
            std::string::npos)
      << plain.body;
}

// --- the seeded model ---

struct ModelVersion {
  std::string id;
  bool marker = false;
};

// Keys in S3's order: UTF-8 bytes compared unsigned (written out rather than relying on
// std::string's comparison).
struct ByteLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
    });
  }
};
using Model = std::map<std::string, std::vector<ModelVersion>, ByteLess>;  // newest first

std::string PercentEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The model's listing: every version in order, and the common prefixes in order of their first key.
void ModelListing(const Model& model, const std::string& prefix, const std::string& delimiter,
                  std::vector<Listed>& entries, std::vector<std::string>& prefixes, std::size_t& items) {
  items = 0;
  for (const auto& [key, versions] : model) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (!delimiter.empty()) {
      auto found = key.find(delimiter, prefix.size());
      if (found != std::string::npos) {
        std::string common = key.substr(0, found + delimiter.size());
        if (prefixes.empty() || prefixes.back() != common) {
          prefixes.push_back(common);
          ++items;
        }
        continue;
      }
    }
    for (std::size_t i = 0; i < versions.size(); ++i) {
      entries.push_back({versions[i].marker, key, versions[i].id, i == 0});
      ++items;
    }
  }
}

TEST_P(VersionsTest, RandomisedAgainstModel) {
  unsigned seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_S3_VERSIONS_SEED")) seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
  SCOPED_TRACE("MALLARD_S3_VERSIONS_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const std::vector<std::string> pieces = {"a", "b", "/", "a/", "\xC3\xA9", "z", "-"};
  auto random_key = [&] {
    std::string key;
    std::size_t length = 1 + pick(4);
    for (std::size_t i = 0; i < length; ++i) key += pieces[pick(pieces.size())];
    return key;
  };
  Model model;
  bool suspended = false;
  auto add = [&](const std::string& key, std::string id, bool marker) {
    auto& versions = model[key];
    if (id == kNullVersionId) {
      std::erase_if(versions, [](const ModelVersion& v) { return v.id == kNullVersionId; });
    }
    versions.insert(versions.begin(), {std::move(id), marker});
  };
  auto remove = [&](const std::string& key, const std::string& id) {
    auto found = model.find(key);
    if (found == model.end()) return false;
    auto before = found->second.size();
    std::erase_if(found->second, [&](const ModelVersion& v) { return v.id == id; });
    bool removed = found->second.size() != before;
    if (found->second.empty()) model.erase(found);
    return removed;
  };
  auto existing_version = [&](std::string& key, std::string& id) {
    if (model.empty()) return false;
    auto it = model.begin();
    std::advance(it, pick(model.size()));
    key = it->first;
    id = it->second[pick(it->second.size())].id;
    return true;
  };

  for (int round = 0; round < 40; ++round) {
    // Writes.
    for (int op = 0; op < 12; ++op) {
      std::size_t kind = pick(10);
      if (kind == 0) {
        suspended = !suspended;
        SetVersioning("ver", suspended ? "Suspended" : "Enabled");
      } else if (kind <= 4) {
        std::string key = random_key();
        add(key, Put("ver", PercentEncode(key), "x"), false);
      } else if (kind <= 6) {
        std::string key = random_key();
        add(key, Delete("ver", PercentEncode(key)), true);
      } else {
        std::string key, id;
        if (!existing_version(key, id)) continue;
        auto answer = s3.Send("DELETE", "/ver/" + PercentEncode(key) + "?versionId=" + id);
        ASSERT_EQ(answer.status, 204);
        ASSERT_TRUE(remove(key, id));
      }
    }
    // A batch delete of a random mix, checked entry by entry against the model.
    std::vector<std::pair<std::string, std::string>> targets;
    std::size_t count = 1 + pick(6);
    for (std::size_t i = 0; i < count; ++i) {
      std::string key, id;
      std::size_t kind = pick(4);
      if (kind == 0 && existing_version(key, id)) {
        targets.emplace_back(key, id);
      } else if (kind == 1) {
        targets.emplace_back(random_key(), NewVersionId());  // no such version
      } else {
        targets.emplace_back(random_key(), "");
      }
    }
    // Quiet only when every target names a version: a quiet answer does not say which marker a
    // delete created, and the model would have to guess.
    bool quiet = pick(4) == 0 && std::all_of(targets.begin(), targets.end(), [](const auto& t) { return !t.second.empty(); });
    std::string body = DeleteBody(targets, quiet);
    auto answer = s3.Send("POST", "/ver?delete", body, WithMd5(body));
    ASSERT_EQ(answer.status, 200) << answer.body;
    auto document = ParseXml(answer.body);
    ASSERT_TRUE(document);
    std::vector<pugi::xml_node> results;
    for (pugi::xml_node child : document.value().Root().children()) results.push_back(child);
    std::size_t next = 0;
    for (const auto& [key, id] : targets) {
      SCOPED_TRACE(body);
      if (id.empty()) {
        ASSERT_LT(next, results.size());
        pugi::xml_node deleted = results[next++];
        ASSERT_EQ(LocalName(deleted), "Deleted");
        EXPECT_EQ(ChildText(deleted, "Key"), key);
        EXPECT_EQ(ChildText(deleted, "DeleteMarker"), "true");
        std::string marker_id = ChildText(deleted, "DeleteMarkerVersionId").value_or("?");
        if (suspended) EXPECT_EQ(marker_id, kNullVersionId);
        add(key, marker_id, true);
        continue;
      }
      auto found = model.find(key);
      bool exists = found != model.end() && std::any_of(found->second.begin(), found->second.end(),
                                                         [&](const ModelVersion& v) { return v.id == id; });
      bool was_marker = exists && std::find_if(found->second.begin(), found->second.end(), [&](const ModelVersion& v) {
                                    return v.id == id;
                                  })->marker;
      if (!exists) {
        ASSERT_LT(next, results.size());
        pugi::xml_node error = results[next++];
        ASSERT_EQ(LocalName(error), "Error");
        EXPECT_EQ(ChildText(error, "Key"), key);
        EXPECT_EQ(ChildText(error, "VersionId"), id);
        EXPECT_EQ(ChildText(error, "Code"), "NoSuchVersion");
        continue;
      }
      remove(key, id);
      if (quiet) continue;
      ASSERT_LT(next, results.size());
      pugi::xml_node deleted = results[next++];
      ASSERT_EQ(LocalName(deleted), "Deleted");
      EXPECT_EQ(ChildText(deleted, "Key"), key);
      EXPECT_EQ(ChildText(deleted, "VersionId"), id);
      EXPECT_EQ(ChildText(deleted, "DeleteMarker").has_value(), was_marker);
    }
    EXPECT_EQ(next, results.size()) << answer.body;

    // Page through the listing with a random page size, prefix and delimiter.
    for (int listing = 0; listing < 3; ++listing) {
      const std::vector<std::string> prefixes = {"", "a", "a/", "b", "\xC3"};
      const std::vector<std::string> delimiters = {"", "/", "b", "a/"};
      std::string prefix = prefixes[pick(prefixes.size())];
      std::string delimiter = delimiters[pick(delimiters.size())];
      std::size_t max_keys = 1 + pick(7);
      std::vector<Listed> expected_entries;
      std::vector<std::string> expected_prefixes;
      std::size_t items = 0;
      ModelListing(model, prefix, delimiter, expected_entries, expected_prefixes, items);
      std::vector<Listed> entries;
      std::vector<std::string> common;
      std::string key_marker, version_marker;
      std::size_t pages = 0;
      for (;;) {
        SCOPED_TRACE("prefix=" + prefix + " delimiter=" + delimiter + " max-keys=" + std::to_string(max_keys));
        std::string query = "&max-keys=" + std::to_string(max_keys);
        if (!prefix.empty()) query += "&prefix=" + PercentEncode(prefix);
        if (!delimiter.empty()) query += "&delimiter=" + PercentEncode(delimiter);
        if (!key_marker.empty()) query += "&key-marker=" + PercentEncode(key_marker);
        if (!version_marker.empty()) query += "&version-id-marker=" + PercentEncode(version_marker);
        auto page = List(query);
        ++pages;
        entries.insert(entries.end(), page.entries.begin(), page.entries.end());
        common.insert(common.end(), page.prefixes.begin(), page.prefixes.end());
        ASSERT_LE(page.entries.size() + page.prefixes.size(), max_keys);
        if (!page.truncated) break;
        ASSERT_EQ(page.entries.size() + page.prefixes.size(), max_keys);
        ASSERT_LE(pages, items + 1) << "the listing does not advance";
        key_marker = page.next_key;
        version_marker = page.next_version;
      }
      ASSERT_EQ(entries, expected_entries) << "prefix=" << prefix << " delimiter=" << delimiter;
      ASSERT_EQ(common, expected_prefixes) << "prefix=" << prefix << " delimiter=" << delimiter;
      EXPECT_EQ(pages, items == 0 ? 1 : (items + max_keys - 1) / max_keys);  // no empty last page
    }
  }
}

}  // namespace
}  // namespace mallard::s3

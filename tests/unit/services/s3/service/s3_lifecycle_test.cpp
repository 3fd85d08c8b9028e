// Lifecycle configuration through HandleRest (round trip, S3's validation errors) and the
// expiration sweep with a moved clock: objects at and around their due time, versioned buckets
// (delete markers created, noncurrent versions and expired delete markers removed), incomplete
// uploads aborted — with seeded randomised cases compared against a model written here.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/memory/memory_s3_store.hpp"
#include "services/s3/s3_attributes.hpp"
#include "services/s3/s3_lifecycle.hpp"
#include "s3_service_harness.hpp"

namespace mallard::s3 {
namespace {

using testing::S3Harness;

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kEpoch2026 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

std::string Lifecycle(const std::string& rules) { return "<LifecycleConfiguration>" + rules + "</LifecycleConfiguration>"; }

// Every lifecycle case runs on both stores: the sweep only uses the store contract.
enum class StoreKind { Memory, File };

std::shared_ptr<S3Store> MakeStore(StoreKind kind, const std::filesystem::path& root) {
  if (kind == StoreKind::Memory) return std::make_shared<MemoryS3Store>();
  auto opened = file::FileS3Store::Open(root);
  EXPECT_TRUE(opened) << (opened ? "" : opened.error().detail);
  return opened ? std::shared_ptr<S3Store>(std::move(opened).value()) : std::make_shared<MemoryS3Store>();
}

struct TempRoot {
  TempRoot() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mallard-s3-lifecycle-XXXXXX").string();
    path = ::mkdtemp(pattern.data()) != nullptr ? std::filesystem::path(pattern) : std::filesystem::path();
  }
  ~TempRoot() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

class LifecycleTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { s3.CreateBucket("life"); }

  // Writes a version directly in the store with the given creation time.
  ObjectRecord Put(const std::string& bucket, const std::string& key, std::int64_t created, std::uint64_t size = 1,
                   const Tags& tags = {}) {
    auto writer = s3.store->NewBody(bucket);
    EXPECT_TRUE(writer);
    EXPECT_TRUE(writer.value()->Append(std::string(size, 'x')));
    ObjectRecord record;
    record.key = key;
    record.version_id = NewVersionId();
    record.size = size;
    record.etag = "\"" + std::to_string(created) + key + "\"";
    record.last_modified_millis = created;
    record.owner_account = s3.account;
    ObjectAttributes attributes;
    attributes.tags = tags;
    record.attributes_json = attributes.ToJson();
    auto put = s3.store->PutObject(bucket, record, std::move(writer).value(), {});
    EXPECT_TRUE(put) << key;
    return put ? put.value() : record;
  }
  void Delete(const std::string& bucket, const std::string& key, std::int64_t at) {
    ObjectRecord marker;
    marker.key = key;
    marker.version_id = NewVersionId();
    marker.delete_marker = true;
    marker.last_modified_millis = at;
    marker.owner_account = s3.account;
    EXPECT_TRUE(s3.store->DeleteObject(bucket, key, "", marker, {}));
  }
  std::set<std::string> CurrentKeys(const std::string& bucket) {
    std::set<std::string> keys;
    KeyRange range;
    range.limit = 100000;
    auto listed = s3.store->ListObjects(bucket, range);
    EXPECT_TRUE(listed);
    for (const auto& record : listed.value()) keys.insert(record.key);
    return keys;
  }
  std::vector<ObjectRecord> Versions(const std::string& bucket) {
    KeyRange range;
    range.limit = 100000;
    auto listed = s3.store->ListVersions(bucket, range, "");
    EXPECT_TRUE(listed);
    return listed ? listed.value() : std::vector<ObjectRecord>{};
  }
  LifecycleSweepCounts Sweep(std::int64_t now) { return SweepLifecycle(s3.service, now); }
  void Configure(const std::string& bucket, const std::string& rules) {
    auto answer = s3.Send("PUT", "/" + bucket + "?lifecycle", Lifecycle(rules));
    ASSERT_EQ(answer.status, 200) << answer.body;
  }
  void EnableVersioning(const std::string& bucket) {
    ASSERT_EQ(s3.Send("PUT", "/" + bucket + "?versioning",
                      "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
                  .status,
              200);
  }

  TempRoot root;
  S3Harness s3{boost::asio::any_io_executor{}, MakeStore(GetParam(), root.path)};
};

INSTANTIATE_TEST_SUITE_P(Stores, LifecycleTest, ::testing::Values(StoreKind::Memory, StoreKind::File),
                         [](const auto& info) { return info.param == StoreKind::Memory ? "Memory" : "File"; });

TEST_P(LifecycleTest, RoundTripInSchemaOrder) {
  auto missing = s3.Send("GET", "/life?lifecycle");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(S3Harness::ErrorCode(missing), "NoSuchLifecycleConfiguration");
  EXPECT_EQ(S3Harness::Element(missing.body, "Message"), "The lifecycle configuration does not exist");

  std::string rules =
      "<Rule><Status>Enabled</Status><Filter><And><Tag><Key>k</Key><Value>v</Value></Tag><Prefix>logs/</Prefix>"
      "<ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><ID>one</ID><Expiration><Days>7</Days></Expiration>"
      "<Transition><StorageClass>GLACIER</StorageClass><Days>1</Days></Transition></Rule>"
      "<Rule><ID>two</ID><Prefix>old/</Prefix><Status>Disabled</Status><NoncurrentVersionExpiration><NewerNoncurrentVersions>"
      "2</NewerNoncurrentVersions><NoncurrentDays>3</NoncurrentDays></NoncurrentVersionExpiration>"
      "<AbortIncompleteMultipartUpload><DaysAfterInitiation>4</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>"
      "<Rule><ID>three</ID><Filter/><Status>Enabled</Status><Expiration><Date>2026-03-01T00:00:00Z</Date></Expiration></Rule>"
      "<Rule><ID>four</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>"
      "true</ExpiredObjectDeleteMarker></Expiration></Rule>";
  auto put = s3.Send("PUT", "/life?lifecycle", Lifecycle(rules));
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(*S3Harness::HeaderOf(put, "x-amz-transition-default-minimum-object-size"), "all_storage_classes_128K");
  auto got = s3.Send("GET", "/life?lifecycle");
  EXPECT_EQ(*S3Harness::HeaderOf(got, "x-amz-transition-default-minimum-object-size"), "all_storage_classes_128K");
  EXPECT_NE(got.body.find(
                "<Rule><Expiration><Days>7</Days></Expiration><ID>one</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key>"
                "<Value>v</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>"
                "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"
                "<Rule><ID>two</ID><Prefix>old/</Prefix><Status>Disabled</Status><NoncurrentVersionExpiration><NoncurrentDays>3"
                "</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration>"
                "<AbortIncompleteMultipartUpload><DaysAfterInitiation>4</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
                "</Rule><Rule><Expiration><Date>2026-03-01T00:00:00.000Z</Date></Expiration><ID>three</ID><Filter></Filter>"
                "<Status>Enabled</Status></Rule><Rule><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>"
                "</Expiration><ID>four</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status></Rule>"),
            std::string::npos)
      << got.body;

  auto varies = s3.Send("PUT", "/life?lifecycle", Lifecycle("<Rule><ID>a</ID><Filter/><Status>Enabled</Status><Expiration>"
                                                            "<Days>1</Days></Expiration></Rule>"),
                        {{"x-amz-transition-default-minimum-object-size", "varies_by_storage_class"}});
  EXPECT_EQ(*S3Harness::HeaderOf(varies, "x-amz-transition-default-minimum-object-size"), "varies_by_storage_class");
  EXPECT_EQ(*S3Harness::HeaderOf(s3.Send("GET", "/life?lifecycle"), "x-amz-transition-default-minimum-object-size"),
            "varies_by_storage_class");
  auto bad_size = s3.Send("PUT", "/life?lifecycle", Lifecycle("<Rule><ID>a</ID><Filter/><Status>Enabled</Status>"
                                                              "<Expiration><Days>1</Days></Expiration></Rule>"),
                          {{"x-amz-transition-default-minimum-object-size", "value"}});
  EXPECT_EQ(S3Harness::Element(bad_size.body, "Message"), "Invalid TransitionDefaultMinimumObjectSize found: value");

  // A rule without an ID gets one.
  ASSERT_EQ(s3.Send("PUT", "/life?lifecycle", Lifecycle("<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days>"
                                                        "</Expiration></Rule>"))
                .status,
            200);
  EXPECT_EQ(S3Harness::Element(s3.Send("GET", "/life?lifecycle").body, "ID").size(), 48U);

  EXPECT_EQ(s3.Send("DELETE", "/life?lifecycle").status, 204);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/life?lifecycle")), "NoSuchLifecycleConfiguration");
  EXPECT_EQ(s3.Send("DELETE", "/life?lifecycle").status, 204);
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/nowhere?lifecycle")), "NoSuchBucket");
}

TEST_P(LifecycleTest, ValidationErrorsAsS3Answers) {
  struct Case {
    std::string rules;
    std::string code;
    std::string message;
  };
  const std::string days = "<Expiration><Days>7</Days></Expiration>";
  std::vector<Case> cases = {
      {"", "MalformedXML", ""},
      {"<Rule><Status>Enabled</Status>" + days + "</Rule>", "MalformedXML", ""},  // no Filter, no Prefix
      {"<Rule><ID>w</ID><Status>Enabled</Status>" + days + "</Rule>", "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status>" + days + "<NoncurrentVersionExpiration/></Rule>", "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter><And><Prefix>test</Prefix></And><Prefix></Prefix></Filter><Status>Enabled</Status>" + days +
           "</Rule>",
       "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter><ObjectSizeGreaterThan>500</ObjectSizeGreaterThan><Prefix></Prefix></Filter><Status>Enabled"
       "</Status>" + days + "</Rule>",
       "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status><Expiration><Date>2023-01-01T02:02:00Z</Date></Expiration></Rule>",
       "InvalidArgument", "'Date' must be at midnight GMT"},
      {"<Rule><ID>w</ID><Filter><And><Tag><Key>t</Key><Value>1</Value></Tag><Tag><Key>t</Key><Value>2</Value></Tag></And>"
       "</Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>",
       "InvalidRequest", "Duplicate Tag Keys are not allowed."},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true"
       "</ExpiredObjectDeleteMarker></Expiration></Rule>",
       "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter/><Status>Maybe</Status>" + days + "</Rule>", "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status></Rule>", "InvalidRequest",
       "At least one action needs to be specified in a rule"},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>", "InvalidArgument",
       "'Days' for Expiration action must be a positive integer"},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status>" + days + "</Rule><Rule><ID>w</ID><Filter/><Status>Enabled</Status>" +
           days + "</Rule>",
       "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"},
      {"<Rule><ID>" + std::string(256, 'i') + "</ID><Filter/><Status>Enabled</Status>" + days + "</Rule>", "InvalidArgument",
       "ID length should not exceed allowed limit of 255"},
      {"<Rule><ID>w</ID><Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status>"
       "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>",
       "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags."},
      {"<Rule><ID>w</ID><Filter><Tag><Key>a</Key><Value>b</Value></Tag></Filter><Status>Enabled</Status><Expiration>"
       "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>",
       "InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with object tags."},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>STANDARD_IA</StorageClass>"
       "</Transition></Rule>",
       "InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'"},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status><Transition><Days>10</Days><StorageClass>COLD</StorageClass>"
       "</Transition></Rule>",
       "MalformedXML", ""},
      {"<Rule><ID>w</ID><Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>-1</NoncurrentDays>"
       "</NoncurrentVersionExpiration></Rule>",
       "InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer"},
  };
  for (const auto& test : cases) {
    auto answer = s3.Send("PUT", "/life?lifecycle", Lifecycle(test.rules));
    EXPECT_EQ(answer.status, 400) << test.rules;
    EXPECT_EQ(S3Harness::ErrorCode(answer), test.code) << test.rules << "\n" << answer.body;
    if (!test.message.empty()) EXPECT_EQ(S3Harness::Element(answer.body, "Message"), test.message) << test.rules;
  }
  auto midnight = s3.Send("PUT", "/life?lifecycle",
                          Lifecycle("<Rule><ID>w</ID><Filter/><Status>Enabled</Status><Expiration><Date>2023-01-01T02:02:00Z"
                                    "</Date></Expiration></Rule>"));
  EXPECT_EQ(S3Harness::Element(midnight.body, "ArgumentName"), "Date");
  EXPECT_EQ(S3Harness::Element(midnight.body, "ArgumentValue"), "2023-01-01T02:02:00Z");
  EXPECT_EQ(S3Harness::ErrorCode(s3.Send("GET", "/life?lifecycle")), "NoSuchLifecycleConfiguration");
}

TEST(LifecycleDue, NextMidnightAfterTheDays) {
  // AWS's example: created 2014-01-15 10:30 UTC, 3 days → due 2014-01-19 00:00 UTC.
  std::int64_t created = 1'389'781'800'000;  // 2014-01-15T10:30:00Z
  EXPECT_EQ(LifecycleDueMillis(created, 3), 1'390'089'600'000);  // 2014-01-19T00:00:00Z
  EXPECT_EQ(LifecycleDueMillis(kEpoch2026, 1), kEpoch2026 + 2 * kDay);
  EXPECT_EQ(LifecycleDueMillis(kEpoch2026 - 1, 1), kEpoch2026 + kDay);
}

TEST_P(LifecycleTest, ExpirationHeaderNamesTheEarliestRule) {
  Configure("life", "<Rule><ID>late</ID><Filter/><Status>Enabled</Status><Expiration><Days>30</Days></Expiration></Rule>"
                    "<Rule><ID>soon</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2"
                    "</Days></Expiration></Rule><Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1"
                    "</Days></Expiration></Rule>");
  auto bucket = s3.store->GetBucket("life");
  ASSERT_TRUE(bucket);
  ObjectRecord record;
  record.key = "tmp/x";
  record.last_modified_millis = kEpoch2026 + 3600 * 1000;
  EXPECT_EQ(ExpirationHeader(bucket.value(), record), "expiry-date=\"Sun, 04 Jan 2026 00:00:00 GMT\", rule-id=\"soon\"");
  record.key = "other";
  EXPECT_EQ(ExpirationHeader(bucket.value(), record), "expiry-date=\"Sun, 01 Feb 2026 00:00:00 GMT\", rule-id=\"late\"");
  record.delete_marker = true;
  EXPECT_EQ(ExpirationHeader(bucket.value(), record), std::nullopt);
}

TEST_P(LifecycleTest, ObjectsExpireExactlyAtTheirDueMidnight) {
  Configure("life", "<Rule><ID>r</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2"
                    "</Days></Expiration></Rule>");
  std::int64_t created = kEpoch2026 + 10 * 3600 * 1000;  // 10:00 on day 0 → due 00:00 on day 3
  Put("life", "tmp/a", created);
  Put("life", "keep/a", created);
  Put("life", "tmp/b", created + 14 * 3600 * 1000);  // 00:00 on day 1 → due 00:00 on day 4
  std::int64_t due = kEpoch2026 + 3 * kDay;
  EXPECT_EQ(Sweep(due - 1).objects_deleted, 0U);
  EXPECT_EQ(CurrentKeys("life"), (std::set<std::string>{"keep/a", "tmp/a", "tmp/b"}));
  EXPECT_EQ(Sweep(due).objects_deleted, 1U);
  EXPECT_EQ(CurrentKeys("life"), (std::set<std::string>{"keep/a", "tmp/b"}));
  EXPECT_EQ(Sweep(due + kDay - 1).objects_deleted, 0U);
  EXPECT_EQ(Sweep(due + kDay).objects_deleted, 1U);
  EXPECT_EQ(CurrentKeys("life"), (std::set<std::string>{"keep/a"}));
}

TEST_P(LifecycleTest, DateTagAndSizeFiltersAndDisabledRules) {
  Configure("life",
            "<Rule><ID>date</ID><Filter><Prefix>d/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>"
            "2026-02-01T00:00:00.000Z</Date></Expiration></Rule>"
            "<Rule><ID>tags</ID><Filter><And><Tag><Key>t</Key><Value>1</Value></Tag><ObjectSizeLessThan>100"
            "</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>"
            "<Rule><ID>off</ID><Filter/><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
  Put("life", "d/x", kEpoch2026 + 40 * kDay);  // written after the date: expires at the next sweep after it
  Put("life", "tagged-small", kEpoch2026, 10, {{"t", "1"}});
  Put("life", "tagged-large", kEpoch2026, 100, {{"t", "1"}});
  Put("life", "tagged-other", kEpoch2026, 10, {{"t", "2"}, {"u", "1"}});
  Put("life", "plain", kEpoch2026, 10);
  std::int64_t date = kEpoch2026 + 31 * kDay;
  Sweep(date - 1);
  EXPECT_EQ(CurrentKeys("life"), (std::set<std::string>{"d/x", "plain", "tagged-large", "tagged-other"}));
  Sweep(date + 41 * kDay);
  EXPECT_EQ(CurrentKeys("life"), (std::set<std::string>{"plain", "tagged-large", "tagged-other"}));
}

TEST_P(LifecycleTest, VersionedBucketsGetMarkersAndLoseNoncurrentVersions) {
  EnableVersioning("life");
  Configure("life",
            "<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>10</Days></Expiration>"
            "<NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>1"
            "</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule>");
  Put("life", "k", kEpoch2026);               // v1, noncurrent from day 1
  Put("life", "k", kEpoch2026 + kDay);        // v2, noncurrent from day 2
  Put("life", "k", kEpoch2026 + 2 * kDay);    // v3, current
  // v1: one newer noncurrent version (v2) so it may go once due: day 1 + 2 → midnight day 4.
  auto counts = Sweep(kEpoch2026 + 4 * kDay - 1);
  EXPECT_EQ(counts.noncurrent_deleted, 0U);
  counts = Sweep(kEpoch2026 + 4 * kDay);
  EXPECT_EQ(counts.noncurrent_deleted, 1U);
  EXPECT_EQ(Versions("life").size(), 2U);
  // v2 is the newest noncurrent version: kept whatever its age.
  EXPECT_EQ(Sweep(kEpoch2026 + 9 * kDay).noncurrent_deleted, 0U);
  // v3 expires on day 2 + 10 → midnight of day 13: a delete marker hides it.
  counts = Sweep(kEpoch2026 + 13 * kDay);
  EXPECT_EQ(counts.delete_markers_created, 1U);
  auto versions = Versions("life");
  ASSERT_EQ(versions.size(), 3U);
  EXPECT_TRUE(versions[0].delete_marker);
  EXPECT_TRUE(CurrentKeys("life").empty());
  // Now v3 is the newest noncurrent version, so v2 is no longer kept, and it has been noncurrent
  // since day 2 (when v3 was written): it goes at the next sweep. v3 stays until day 13 + 2 → 16.
  EXPECT_EQ(Sweep(kEpoch2026 + 13 * kDay + 1).noncurrent_deleted, 1U);
  EXPECT_EQ(Sweep(kEpoch2026 + 16 * kDay).noncurrent_deleted, 0U);  // the newest noncurrent one is kept
  EXPECT_EQ(Versions("life").size(), 2U);
}

TEST_P(LifecycleTest, SweepPagesThroughLargeListings) {
  EnableVersioning("life");
  Configure("life", "<Rule><ID>a</ID><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1"
                    "</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
                    "</NoncurrentVersionExpiration></Rule><Rule><ID>ab</ID><Filter><Prefix>a/b</Prefix></Filter><Status>"
                    "Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>");
  // Two versions per key: version pages of 1,000 split keys between pages; on the memory store the
  // current listing pages too (the file store syncs every write: fewer keys keep the test quick).
  const int keys = GetParam() == StoreKind::Memory ? 1100 : 510;
  for (int i = 0; i < keys; ++i) {
    std::string key = "a/" + std::to_string(100000 + i);
    Put("life", key, kEpoch2026);
    Put("life", key, kEpoch2026 + 1000);
  }
  Put("life", "b/keep", kEpoch2026);
  auto counts = Sweep(kEpoch2026 + 2 * kDay);
  EXPECT_EQ(counts.noncurrent_deleted, static_cast<std::size_t>(keys));
  EXPECT_EQ(counts.delete_markers_created, static_cast<std::size_t>(keys));
  EXPECT_EQ(CurrentKeys("life"), (std::set<std::string>{"b/keep"}));
  auto versions = Versions("life");
  EXPECT_EQ(versions.size(), 2U * keys + 1);  // per key: the marker and the version it hid; and b/keep
}

TEST_P(LifecycleTest, ExpiredObjectDeleteMarkersRemoved) {
  EnableVersioning("life");
  Configure("life", "<Rule><ID>m</ID><Filter><Prefix>m/</Prefix></Filter><Status>Enabled</Status><Expiration>"
                    "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>");
  Delete("life", "m/alone", kEpoch2026);
  Put("life", "m/with-version", kEpoch2026);
  Delete("life", "m/with-version", kEpoch2026 + 1);
  Delete("life", "other/alone", kEpoch2026);
  auto counts = Sweep(kEpoch2026 + kDay);
  EXPECT_EQ(counts.delete_markers_removed, 1U);
  std::set<std::string> left;
  for (const auto& version : Versions("life")) left.insert(version.key + (version.delete_marker ? "#marker" : ""));
  EXPECT_EQ(left, (std::set<std::string>{"m/with-version", "m/with-version#marker", "other/alone#marker"}));
}

TEST_P(LifecycleTest, IncompleteUploadsAborted) {
  Configure("life", "<Rule><ID>u</ID><Filter><Prefix>up/</Prefix></Filter><Status>Enabled</Status>"
                    "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation>"
                    "</AbortIncompleteMultipartUpload></Rule>");
  for (auto [id, key, at] : std::vector<std::tuple<std::string, std::string, std::int64_t>>{
           {"u1", "up/a", kEpoch2026 + 5}, {"u2", "up/b", kEpoch2026 + kDay}, {"u3", "down/a", kEpoch2026}}) {
    UploadRecord upload;
    upload.upload_id = id;
    upload.key = key;
    upload.initiated_millis = at;
    upload.owner_account = s3.account;
    ASSERT_TRUE(s3.store->CreateUpload("life", upload));
  }
  EXPECT_EQ(Sweep(kEpoch2026 + 2 * kDay - 1).uploads_aborted, 0U);
  EXPECT_EQ(Sweep(kEpoch2026 + 2 * kDay).uploads_aborted, 1U);
  EXPECT_EQ(Sweep(kEpoch2026 + 3 * kDay).uploads_aborted, 1U);
  KeyRange range;
  auto left = s3.store->ListUploads("life", range, "");
  ASSERT_TRUE(left);
  ASSERT_EQ(left.value().size(), 1U);
  EXPECT_EQ(left.value()[0].upload_id, "u3");
}

TEST(LifecycleTimer, SweepsOnTheServiceTimersWithItsClock) {
  boost::asio::io_context io;
  auto s3 = std::make_unique<S3Harness>(io.get_executor());
  s3->CreateBucket("timed");
  ASSERT_EQ(s3->Send("PUT", "/timed?lifecycle",
                     Lifecycle("<Rule><ID>r</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>"
                               "</Rule>"))
                .status,
            200);
  auto writer = s3->store->NewBody("timed");
  ASSERT_TRUE(writer);
  ObjectRecord record;
  record.key = "k";
  record.version_id = "null";
  record.etag = "\"e\"";
  record.last_modified_millis = kEpoch2026;
  ASSERT_TRUE(s3->store->PutObject("timed", record, std::move(writer).value(), {}));
  StartLifecycleSweep(s3->service, std::chrono::milliseconds(5));
  auto exists = [&] { return s3->store->GetObject("timed", "k", "", false).ok(); };
  io.run_for(std::chrono::milliseconds(60));
  EXPECT_TRUE(exists()) << "not due yet on the service's clock";
  s3->now_millis = kEpoch2026 + 2 * kDay;  // the due midnight
  for (int i = 0; i < 100 && exists(); ++i) io.run_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(exists());
  // The sweeper holds the service weakly: once it is gone, the timer stops re-arming.
  s3.reset();
  io.run_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(io.stopped()) << "the timer kept going after the service was gone";
}

// Model: due = the midnight after (created + days); written independently of the service's helper.
std::int64_t ModelDue(std::int64_t created, std::int64_t days) {
  std::int64_t day_index = (created + days * kDay) / kDay;  // times are after 1970 here
  return (day_index + 1) * kDay;
}

TEST_P(LifecycleTest, RandomisedSweepsAgainstModel) {
  unsigned seed = std::random_device{}();
  if (const char* fixed = std::getenv("MALLARD_S3_LIFECYCLE_SEED")) seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
  SCOPED_TRACE("MALLARD_S3_LIFECYCLE_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  for (int round = 0; round < 9; ++round) {
    std::string bucket = "rand-" + std::to_string(round);
    s3.CreateBucket(bucket);
    // Unversioned, Enabled, and Enabled then Suspended part way (null versions and null markers).
    bool versioned = round % 3 != 0;
    bool suspends = round % 3 == 2;
    bool suspended = false;
    if (versioned) EnableVersioning(bucket);
    std::int64_t days = 1 + static_cast<std::int64_t>(random() % 5);
    std::int64_t noncurrent_days = 1 + static_cast<std::int64_t>(random() % 4);
    std::string prefix = random() % 2 ? "a" : "";
    std::uint64_t min_size = random() % 2 ? 5 : 0;
    std::string filter = "<Filter><And><Prefix>" + prefix + "</Prefix><ObjectSizeGreaterThan>" + std::to_string(min_size) +
                         "</ObjectSizeGreaterThan></And></Filter>";
    Configure(bucket, "<Rule><ID>r</ID>" + filter + "<Status>Enabled</Status><Expiration><Days>" + std::to_string(days) +
                          "</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>" +
                          std::to_string(noncurrent_days) + "</NoncurrentDays></NoncurrentVersionExpiration></Rule>");
    // Model state: per key, versions newest first (time, size, marker).
    struct Version {
      std::int64_t time;
      std::uint64_t size;
      bool marker;
      bool null_id = false;
    };
    auto push = [&](std::vector<Version>& versions, Version version) {
      // A write while suspended replaces the key's "null" version and becomes the newest.
      if (version.null_id) std::erase_if(versions, [](const Version& v) { return v.null_id; });
      versions.insert(versions.begin(), version);
    };
    std::map<std::string, std::vector<Version>> model;
    std::int64_t clock = kEpoch2026 + static_cast<std::int64_t>(random() % kDay);
    auto matches = [&](const std::string& key, const Version& v) {
      if (key.compare(0, prefix.size(), prefix) != 0) return false;
      return v.marker || v.size > min_size;
    };
    for (int step = 0; step < 40; ++step) {
      if (suspends && step == 15) {
        ASSERT_EQ(s3.Send("PUT", "/" + bucket + "?versioning",
                          "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>")
                      .status,
                  200);
        suspended = true;
      }
      clock += static_cast<std::int64_t>(random() % (kDay / 2));
      std::string key = std::string(1, static_cast<char>('a' + random() % 2)) + std::to_string(random() % 4);
      std::uint64_t size = random() % 10;
      Put(bucket, key, clock, size);
      auto& versions = model[key];
      if (versioned) {
        push(versions, Version{clock, size, false, suspended});
      } else {
        versions = {Version{clock, size, false}};
      }
      if (random() % 3 == 0) {
        std::int64_t now = clock + static_cast<std::int64_t>(random() % (3 * kDay));
        Sweep(now);
        // The model, from the state before the sweep: noncurrent versions first, then current ones.
        for (auto& [model_key, list] : model) {
          std::vector<Version> kept;
          for (std::size_t i = 0; i < list.size(); ++i) {
            if (i > 0 && matches(model_key, list[i]) && now >= ModelDue(list[i - 1].time, noncurrent_days)) continue;
            kept.push_back(list[i]);
          }
          bool only_marker = kept.size() == 1 && kept[0].marker;
          if (only_marker && matches(model_key, kept[0]) && now >= ModelDue(kept[0].time, days)) kept.clear();
          if (!list.empty() && !list[0].marker && matches(model_key, list[0]) && now >= ModelDue(list[0].time, days)) {
            if (versioned) {
              push(kept, Version{now, 0, true, suspended});
            } else {
              kept.clear();
            }
          }
          list = kept;
        }
        std::erase_if(model, [](const auto& entry) { return entry.second.empty(); });
        std::map<std::string, std::vector<std::pair<std::int64_t, bool>>> expected, actual;
        for (const auto& [model_key, list] : model) {
          for (const auto& v : list) expected[model_key].emplace_back(v.marker ? now : v.time, v.marker);
        }
        for (const auto& record : Versions(bucket)) {
          actual[record.key].emplace_back(record.delete_marker ? now : record.last_modified_millis, record.delete_marker);
        }
        // Markers' times are the sweep's: compare markers by presence only.
        for (auto* side : {&expected, &actual}) {
          for (auto& [k, list] : *side) {
            for (auto& [time, marker] : list) {
              if (marker) time = 0;
            }
          }
        }
        ASSERT_EQ(expected, actual) << "bucket " << bucket << " step " << step << " now " << now;
        clock = now;
      }
    }
  }
}

}  // namespace
}  // namespace mallard::s3

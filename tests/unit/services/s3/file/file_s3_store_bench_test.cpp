// Measurements, not checks (disabled by default; run with --gtest_also_run_disabled_tests
// --gtest_filter='*Bench*'): ListObjects pages over 100k keys in one directory, and the latency of
// a 4 KiB PutObject with and without fsync. MALLARD_S3_FILE_BENCH_KEYS overrides the key count.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "file_s3_test_support.hpp"

namespace mallard::s3::file {
namespace {
using testing_support::NotDurable;
using testing_support::OpenStore;
using testing_support::TempDir;
using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

StoreResult<ObjectRecord> Put(S3Store& store, const std::string& key, const std::string& bytes) {
  auto writer = store.NewBody("bench");
  if (!writer.ok()) return StoreFail(writer.error().code, writer.error().detail);
  if (auto appended = (*writer)->Append(bytes); !appended.ok())
    return StoreFail(appended.error().code, appended.error().detail);
  ObjectRecord record;
  record.key = key;
  record.version_id = "v";
  record.size = bytes.size();
  record.etag = "\"e\"";
  record.attributes_json = R"({"content-type":"application/octet-stream"})";
  return store.PutObject("bench", record, std::move(*writer), {});
}

TEST(FileS3StoreBench, DISABLED_ListObjectsPagesOver100kKeysInOneDirectory) {
  std::size_t count = 100'000;
  if (const char* text = std::getenv("MALLARD_S3_FILE_BENCH_KEYS")) count = std::strtoull(text, nullptr, 10);
  TempDir dir;
  auto store = OpenStore(dir.path(), NotDurable());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      store->CreateBucket(BucketRecord{"bench", "000000000000", "us-east-1", 1, Versioning::Unversioned, {}}).ok());
  auto start = Clock::now();
  char key[64];
  for (std::size_t i = 0; i < count; ++i) {
    std::snprintf(key, sizeof(key), "logs/part-%08zu.json", (i * 7919) % count);  // not in key order
    ASSERT_TRUE(Put(*store, key, "{}").ok());
  }
  std::printf("put %zu objects (no fsync): %.1f ms, %.1f us each\n", count, MillisSince(start),
              MillisSince(start) * 1000 / count);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past the listing cache's racy window

  for (int pass = 0; pass < 2; ++pass) {
    KeyRange range{.prefix = "logs/", .after = "", .limit = 1000};
    std::size_t pages = 0, listed = 0;
    double first = 0, slowest = 0;
    start = Clock::now();
    while (true) {
      auto page_start = Clock::now();
      auto page = store->ListObjects("bench", range);
      const double took = MillisSince(page_start);
      ASSERT_TRUE(page.ok());
      if (pages == 0) first = took;
      slowest = std::max(slowest, took);
      ++pages;
      listed += page->size();
      if (page->size() < range.limit) break;
      range.after = page->back().key;
    }
    const double total = MillisSince(start);
    EXPECT_EQ(listed, count);
    std::printf("pass %d: %zu pages of 1000: %.1f ms total, %.2f ms per page, first %.2f ms, slowest %.2f ms\n", pass,
                pages, total, total / pages, first, slowest);
  }
}

TEST(FileS3StoreBench, DISABLED_PutLatencyOf4KiBObjects) {
  const std::string bytes(4096, 'x');
  for (bool durable : {false, true}) {
    TempDir dir;
    FileS3StoreOptions options = NotDurable();
    options.durable = durable;
    auto store = OpenStore(dir.path(), options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(
        store->CreateBucket(BucketRecord{"bench", "000000000000", "us-east-1", 1, Versioning::Unversioned, {}}).ok());
    const int count = durable ? 300 : 3000;
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) ASSERT_TRUE(Put(*store, "k/" + std::to_string(i), bytes).ok());
    std::printf("4 KiB PutObject, durable=%d: %.1f us each\n", durable, MillisSince(start) * 1000 / count);
    start = Clock::now();
    for (int i = 0; i < count; ++i) {
      auto got = store->GetObject("bench", "k/" + std::to_string(i), "", true);
      ASSERT_TRUE(got.ok());
      ASSERT_EQ(got->body->ReadAt(0, 8192)->size(), 4096u);
    }
    std::printf("4 KiB GetObject+read: %.1f us each\n", MillisSince(start) * 1000 / count);
  }
}

}  // namespace
}  // namespace mallard::s3::file

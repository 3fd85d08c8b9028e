// Listings while the bucket changes: threads put and delete keys through the store and a thread
// writes and deletes files by hand, while other threads page through ListObjects and
// ListVersions. Every page must be in strict byte order, and every key that nobody touched must
// be listed exactly once in each full pass (a walk that skipped or repeated a directory under
// change would lose or duplicate them).
#include <atomic>
#include <set>
#include <thread>

#include "file_s3_test_support.hpp"

namespace mallard::s3::file {
namespace {
namespace fs = std::filesystem;
using testing_support::NotDurable;
using testing_support::OpenStore;
using testing_support::TempDir;

bool Put(S3Store& store, const std::string& key, const std::string& bytes) {
  auto writer = store.NewBody("b");
  if (!writer.ok() || !(*writer)->Append(bytes).ok()) return false;
  ObjectRecord record;
  record.key = key;
  record.version_id = "v";
  record.size = bytes.size();
  record.etag = "\"e\"";
  auto put = store.PutObject("b", record, std::move(*writer), {});
  if (!put.ok()) ADD_FAILURE() << "put " << key << ": " << put.error().detail;
  return put.ok();
}

// Joins the pieces (instead of "a" + std::to_string(n), on which GCC 12 warns -Wrestrict falsely).
std::string Join(std::initializer_list<std::string> pieces) {
  std::string out;
  for (const auto& piece : pieces) out += piece;
  return out;
}

TEST(FileS3StoreConcurrency, ListingsStayOrderedAndCompleteWhileTheBucketChanges) {
  TempDir dir;
  auto store = OpenStore(dir.path(), NotDurable());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(BucketRecord{"b", "000000000000", "us-east-1", 1, Versioning::Unversioned, {}}).ok());
  std::set<std::string> stable;
  for (int i = 0; i < 150; ++i) {
    for (const std::string& key :
         {Join({"s/", std::to_string(i)}), Join({"t/", std::to_string(i % 7), "/x", std::to_string(i)}),
          Join({"u", std::to_string(i)})}) {
      ASSERT_TRUE(Put(*store, key, "stable"));
      stable.insert(key);
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; !stop && i < 3000; ++i) {
        // Keys beside and between the stable ones, in new and shared directories.
        const std::string key = i % 3 == 0   ? Join({"s/", std::to_string(i % 50), "-w", std::to_string(w)})
                                : i % 3 == 1 ? Join({"t/", std::to_string(i % 7), "/new/", std::to_string(i % 13)})
                                             : Join({"v/", std::to_string(w), "/", std::to_string(i % 11)});
        bool ok = true;
        if (i % 4 == 3) {
          auto deleted = store->DeleteObject("b", key, "", ObjectRecord{}, {});
          if (!deleted.ok()) ADD_FAILURE() << "delete " << key << ": " << deleted.error().detail;
          ok = deleted.ok();
        } else {
          ok = Put(*store, key, std::string(i % 100, 'w'));
        }
        if (!ok) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; !stop && i < 3000; ++i) {
      const fs::path path = dir.path() / "b" / "h" / std::to_string(i % 5) / Join({"f", std::to_string(i % 17)});
      std::error_code error;
      if (i % 3 == 2) {
        fs::remove(path, error);
      } else {
        testing_support::WriteFile(path, std::string(i % 50 + 1, 'h'));
      }
    }
  });
  std::vector<std::thread> listers;
  for (int l = 0; l < 2; ++l) {
    listers.emplace_back([&, l] {
      for (int pass = 0; pass < 15; ++pass) {
        std::vector<std::string> keys;
        KeyRange range{.prefix = "", .after = "", .limit = 37};
        while (true) {
          auto page = l == 0 ? store->ListObjects("b", range) : store->ListVersions("b", range, "");
          if (!page.ok()) {
            ADD_FAILURE() << "listing failed: " << page.error().detail;
            ++failures;
            return;
          }
          for (const auto& record : *page) keys.push_back(record.key);
          if (page->size() < range.limit) break;
          range.after = page->back().key;
        }
        for (std::size_t i = 1; i < keys.size(); ++i) {
          if (!(keys[i - 1] < keys[i])) {
            ADD_FAILURE() << "out of order or repeated: " << keys[i - 1] << " then " << keys[i];
            return;
          }
        }
        std::set<std::string> seen(keys.begin(), keys.end());
        for (const auto& key : stable) {
          if (!seen.contains(key)) {
            ADD_FAILURE() << "a key nobody touched is missing: " << key;
            return;
          }
        }
      }
    });
  }
  for (auto& lister : listers) lister.join();
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace mallard::s3::file

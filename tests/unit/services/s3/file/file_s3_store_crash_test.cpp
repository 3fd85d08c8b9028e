// A commit stopped at each of its steps, as if the process had died there (the store's test hook
// returns true before step i; the intent stays on disk): the store opened again on the same root
// replays the intent and shows exactly the state the commit makes when nothing stops it — the
// bytes and the records, the plain files, the uploads — with no intent or temp file left.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "../s3_store_conformance.hpp"
#include "file_s3_test_support.hpp"

namespace mallard::s3::file {
namespace {
namespace fs = std::filesystem;
using conformance::ReadAll;
using testing_support::OpenStore;
using testing_support::QuotedMd5;
using testing_support::TempDir;

BucketRecord Bucket(const std::string& name, Versioning versioning) {
  return BucketRecord{name, "000000000000", "us-east-1", 1'700'000'000'000, versioning, {}};
}

StoreResult<ObjectRecord> Put(S3Store& store, const std::string& key, const std::string& bytes,
                              const std::string& version_id) {
  auto writer = store.NewBody("b");
  if (!writer.ok()) return StoreFail(writer.error().code, writer.error().detail);
  if (auto appended = (*writer)->Append(bytes); !appended.ok())
    return StoreFail(appended.error().code, appended.error().detail);
  ObjectRecord record;
  record.key = key;
  record.version_id = version_id;
  record.size = bytes.size();
  record.etag = "\"" + std::to_string(bytes.size()) + "-" + version_id + "\"";
  record.last_modified_millis = 1'700'000'000'000;
  record.attributes_json = R"({"v":")" + version_id + "\"}";
  return store.PutObject("b", record, std::move(*writer), {});
}

StoreResult<DeleteOutcome> Delete(S3Store& store, const std::string& key, const std::string& version_id,
                                  const std::string& marker_id = "marker") {
  ObjectRecord marker;
  marker.key = key;
  marker.version_id = marker_id;
  marker.delete_marker = true;
  marker.last_modified_millis = 1'700'000'000'001;
  return store.DeleteObject("b", key, version_id, marker, {});
}

// Everything observable about bucket "b", as text.
std::vector<std::string> Snapshot(S3Store& store, const fs::path& root) {
  std::vector<std::string> out;
  auto versions = store.ListVersions("b", {}, "");
  EXPECT_TRUE(versions.ok());
  for (const auto& r : *versions) {
    std::string line = r.key + "@" + r.version_id + (r.is_latest ? "*" : "") + (r.delete_marker ? " marker" : "") +
                       " " + r.etag + " " + r.attributes_json + " size " + std::to_string(r.size);
    if (!r.delete_marker) {
      auto opened = store.GetObject("b", r.key, r.version_id, true);
      line += opened.ok() && opened->body ? " bytes " + ReadAll(*opened->body).value() : " <unreadable>";
    }
    out.push_back(line);
  }
  auto objects = store.ListObjects("b", {});
  EXPECT_TRUE(objects.ok());
  for (const auto& r : *objects) out.push_back("listed " + r.key);
  auto uploads = store.ListUploads("b", {}, "");
  EXPECT_TRUE(uploads.ok());
  for (const auto& u : *uploads) {
    out.push_back("upload " + u.upload_id);
    auto parts = store.ListParts("b", u.upload_id);
    EXPECT_TRUE(parts.ok());
    for (const auto& p : *parts) out.push_back(" part " + std::to_string(p.number));
  }
  for (auto it = fs::recursive_directory_iterator(root / "b"); it != fs::recursive_directory_iterator(); ++it) {
    out.push_back("path " + fs::relative(it->path(), root).string() + (it->is_directory() ? "/" : ""));
  }
  return out;
}

struct Scenario {
  std::string name;
  Versioning versioning;
  std::function<void(S3Store&)> setup;
  std::function<bool(S3Store&)> commit;  // true when it succeeded
};

std::vector<Scenario> Scenarios() {
  auto put = [](const std::string& key, const std::string& bytes, const std::string& id) {
    return [=](S3Store& store) { return Put(store, key, bytes, id).ok(); };
  };
  return {
      {"enabled put over a version", Versioning::Enabled,
       [](S3Store& s) { ASSERT_TRUE(Put(s, "dir/k", "one", "v1").ok()); }, put("dir/k", "two", "v2")},
      {"unversioned put over a nested key", Versioning::Unversioned,
       [](S3Store& s) { ASSERT_TRUE(Put(s, "a/b/c", "old", "x").ok()); }, put("a/b/c", "new bytes", "y")},
      {"escaped put", Versioning::Enabled, [](S3Store& s) { ASSERT_TRUE(Put(s, "..", "one", "v1").ok()); },
       put("..", "two", "v2")},
      {"enabled delete adds a marker", Versioning::Enabled,
       [](S3Store& s) { ASSERT_TRUE(Put(s, "x/y", "one", "v1").ok()); },
       [](S3Store& s) { return Delete(s, "x/y", "").ok(); }},
      {"unversioned delete prunes directories", Versioning::Unversioned,
       [](S3Store& s) {
         ASSERT_TRUE(Put(s, "deep/er/k", "one", "v1").ok());
         ASSERT_TRUE(Put(s, "deep/other", "two", "v1").ok());
       },
       [](S3Store& s) { return Delete(s, "deep/er/k", "").ok(); }},
      {"deleting the current version promotes the one before", Versioning::Enabled,
       [](S3Store& s) {
         ASSERT_TRUE(Put(s, "p/k", "one", "v1").ok());
         ASSERT_TRUE(Put(s, "p/k", "two", "v2").ok());
       },
       [](S3Store& s) { return Delete(s, "p/k", "v2").ok(); }},
      {"deleting the current marker promotes the version", Versioning::Enabled,
       [](S3Store& s) {
         ASSERT_TRUE(Put(s, "m", "one", "v1").ok());
         ASSERT_TRUE(Delete(s, "m", "", "m1").ok());
       },
       [](S3Store& s) { return Delete(s, "m", "m1").ok(); }},
      {"suspended put replaces null and keeps real ids", Versioning::Enabled,
       [](S3Store& s) {
         ASSERT_TRUE(Put(s, "k", "real", "v1").ok());
         ASSERT_TRUE(s.UpdateBucket("b", [](BucketRecord& b) { b.versioning = Versioning::Suspended; }).ok());
         ASSERT_TRUE(Put(s, "k", "null one", "ignored").ok());
         ASSERT_TRUE(s.UpdateBucket("b", [](BucketRecord& b) { b.versioning = Versioning::Enabled; }).ok());
         ASSERT_TRUE(Put(s, "k", "real two", "v2").ok());
         ASSERT_TRUE(s.UpdateBucket("b", [](BucketRecord& b) { b.versioning = Versioning::Suspended; }).ok());
       },
       put("k", "null two", "ignored")},
      {"complete upload", Versioning::Enabled,
       [](S3Store& s) {
         ASSERT_TRUE(Put(s, "big", "before", "v1").ok());
         ASSERT_TRUE(s.CreateUpload("b", UploadRecord{"u1", "big", 1, "", "{}"}).ok());
         for (std::uint32_t n : {1u, 2u}) {
           auto writer = s.NewBody("b");
           ASSERT_TRUE(writer.ok());
           ASSERT_TRUE((*writer)->Append("part" + std::to_string(n)).ok());
           ASSERT_TRUE(s.PutPart("b", "u1", PartRecord{n, 5, "\"p\"", 1, "{}"}, std::move(*writer)).ok());
         }
       },
       [](S3Store& s) {
         ObjectRecord record;
         record.version_id = "v2";
         record.etag = "\"joined-2\"";
         return s.CompleteUpload("b", "u1", {1, 2}, record, {}).ok();
       }},
  };
}

TEST(FileS3StoreCrash, ACommitStoppedAtAnyStepIsFinishedByTheNextOpen) {
  for (const Scenario& scenario : Scenarios()) {
    SCOPED_TRACE(scenario.name);
    // The state the commit makes when nothing stops it.
    std::vector<std::string> expected;
    {
      TempDir dir;
      auto store = OpenStore(dir.path());
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->CreateBucket(Bucket("b", scenario.versioning)).ok());
      scenario.setup(*store);
      ASSERT_TRUE(scenario.commit(*store));
      expected = Snapshot(*store, store->RootDirectory().value());
    }
    int stopped = 0;
    for (int stop_at = 0;; ++stop_at) {
      SCOPED_TRACE("stopped before step " + std::to_string(stop_at));
      TempDir dir;
      bool armed = false, hit = false;
      int seen = 0;
      FileS3StoreOptions options;
      options.crash_before_step = [&](std::string_view) {
        if (!armed) return false;
        if (seen++ == stop_at) {
          hit = true;
          return true;
        }
        return false;
      };
      auto store = OpenStore(dir.path(), options);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->CreateBucket(Bucket("b", scenario.versioning)).ok());
      scenario.setup(*store);
      armed = true;
      const bool committed = scenario.commit(*store);
      if (!hit) {
        ASSERT_TRUE(committed);
        break;  // every step has been stopped at once
      }
      ASSERT_FALSE(committed) << "a stopped commit reported success";
      ++stopped;
      const fs::path root = store->RootDirectory().value();
      store.reset();  // the process "died"
      ASSERT_FALSE(fs::is_empty(root / ".mallard-s3/intents")) << "the intent was not left for recovery";
      auto reopened = OpenStore(root);
      ASSERT_NE(reopened, nullptr);
      EXPECT_EQ(Snapshot(*reopened, root), expected);
      EXPECT_TRUE(fs::is_empty(root / ".mallard-s3/intents"));
      EXPECT_TRUE(fs::is_empty(root / ".mallard-s3/tmp"));
    }
    EXPECT_GE(stopped, 2) << "the commit had fewer steps than expected";
  }
}

// A real kill: a child process puts, overwrites and deletes objects (durable, versioned and not)
// as fast as it can and is killed with SIGKILL at a random moment; the store opened again must be
// consistent — every listed object's bytes match the MD5 its record carries, every older version
// too, and every record's attributes name the bytes it was written with.
TEST(FileS3StoreCrash, AProcessKilledMidCommitLeavesAConsistentStore) {
  std::random_device seed_source;
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    TempDir dir;
    {
      auto store = OpenStore(dir.path());
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->CreateBucket(Bucket("b", round % 2 ? Versioning::Enabled : Versioning::Unversioned)).ok());
    }
    const unsigned seed = seed_source();
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto opened = FileS3Store::Open(dir.path());
      if (!opened.ok()) ::_exit(3);
      S3Store& store = **opened;
      std::mt19937 random(seed);
      for (int i = 0;; ++i) {
        const std::string key = (random() % 3 ? "k/" : "..") + std::to_string(random() % 8);
        if (random() % 5 == 0) {
          ObjectRecord marker;
          marker.version_id = "m" + std::to_string(i);
          (void)store.DeleteObject("b", key, "", marker, {});
          continue;
        }
        const std::string bytes(random() % 70'000, static_cast<char>('a' + i % 26));
        auto writer = store.NewBody("b");
        if (!writer.ok() || !(*writer)->Append(bytes).ok()) ::_exit(4);
        ObjectRecord record;
        record.key = key;
        record.version_id = "v" + std::to_string(i);
        record.size = bytes.size();
        record.etag = QuotedMd5(bytes);
        record.attributes_json = "{\"md5\":" + record.etag + "}";
        if (!store.PutObject("b", record, std::move(*writer), {}).ok()) ::_exit(5);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + seed % 400));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself with " << WEXITSTATUS(status);

    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    auto versions = store->ListVersions("b", {.prefix = "", .after = "", .limit = 100'000}, "");
    ASSERT_TRUE(versions.ok());
    EXPECT_FALSE(versions->empty()) << "the writer made no progress before it was killed";
    for (const auto& version : *versions) {
      if (version.delete_marker) continue;
      auto opened = store->GetObject("b", version.key, version.version_id, true);
      ASSERT_TRUE(opened.ok()) << version.key << "@" << version.version_id;
      auto bytes = ReadAll(*opened->body);
      ASSERT_TRUE(bytes.ok());
      EXPECT_EQ(QuotedMd5(*bytes), version.etag) << version.key << "@" << version.version_id;
      EXPECT_EQ(version.attributes_json, "{\"md5\":" + version.etag + "}") << version.key << "@" << version.version_id;
    }
    EXPECT_TRUE(fs::is_empty(dir.path() / ".mallard-s3/intents"));
    EXPECT_TRUE(fs::is_empty(dir.path() / ".mallard-s3/tmp"));
  }
}

}  // namespace
}  // namespace mallard::s3::file

// A seeded random differential test: store calls (put, delete, tag, list, get, reopen) mixed with
// what DuckDB or a person does to the bucket's directory behind the store's back (write a file,
// rewrite it in place, replace it, delete it), all checked against a plain model of what must be
// listed: key → bytes, ETag and attributes. The seed is printed; MALLARD_S3_FILE_STORE_SEED=n
// replays a run.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <random>

#include "../s3_store_conformance.hpp"
#include "file_s3_test_support.hpp"
#include "services/s3/file/file_layout.hpp"
#include "test_seed.hpp"

namespace mallard::s3::file {
namespace {
namespace fs = std::filesystem;
using conformance::CodeOf;
using conformance::PatternBytes;
using conformance::Printable;
using conformance::ReadAll;
using testing_support::NotDurable;
using testing_support::OpenStore;
using testing_support::QuotedMd5;
using testing_support::TempDir;

struct ModelObject {
  std::string bytes;
  std::string etag;
  std::string attributes;
};

std::string Describe(const std::string& key, const ModelObject& object) {
  return Printable(key) + " size " + std::to_string(object.bytes.size()) + " etag " + object.etag + " attrs " +
         object.attributes;
}
std::string Describe(const ObjectRecord& record) {
  return Printable(record.key) + " size " + std::to_string(record.size) + " etag " + record.etag + " attrs " +
         record.attributes_json + (record.version_id == "null" ? "" : " version " + record.version_id) +
         (record.is_latest ? "" : " not latest") + (record.delete_marker ? " marker" : "");
}

// Writes the file as a tool that replaces files does: a new file renamed over the old one.
void ReplaceFile(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  const fs::path temp = path.parent_path() / ".tmp-writer";
  testing_support::WriteFile(temp, bytes);
  fs::rename(temp, path);
}

// Rewrites the file in place (same inode), as `>` in a shell does.
void RewriteInPlace(const fs::path& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

TEST(FileS3StoreRandom, StoreCallsAndChangesByHandAgreeWithAModel) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_S3_FILE_STORE_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };

  TempDir dir;
  const fs::path root = fs::canonical(dir.path());
  const fs::path bucket_dir = root / "b";
  auto store = OpenStore(root, NotDurable());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(BucketRecord{"b", "000000000000", "us-east-1", 1, Versioning::Unversioned, {}}).ok());

  // Keys that are prefixes of each other, clash as file and directory, or must be escaped.
  const std::vector<std::string> keys = {
      "a",         "a/b",    "a/b/c", "a/b/d", "a-c", "a.b", "b",        "b/a",        "c",
      "c/d",       "c/d/e",  "x//y",  "..",    "d/",  "d/e", "\xc3\xa9", "\xc3\xa9/f", "long/" + std::string(300, 'q'),
      "z/.hidden", "a/b/c/d"};
  std::map<std::string, ModelObject> model;
  std::uint32_t counter = 0;
  std::size_t hand_size = 3000;  // sizes written by hand never repeat, nor meet a store-written size

  auto check_everything = [&](const std::string& where) {
    std::vector<std::string> want, got;
    for (const auto& [key, object] : model) want.push_back(Describe(key, object));
    KeyRange range{.prefix = "", .after = "", .limit = 1 + pick(7)};
    for (int guard = 0; guard < 1000; ++guard) {
      auto page = store->ListObjects("b", range);
      ASSERT_TRUE(page.ok()) << where << ": " << page.error().detail;
      ASSERT_LE(page->size(), range.limit);
      for (const auto& record : *page) got.push_back(Describe(record));
      if (page->size() < range.limit) break;
      range.after = page->back().key;
    }
    ASSERT_EQ(got, want) << where << " full listing";
  };

  constexpr int kSteps = 1500;
  for (int step = 0; step < kSteps; ++step) {
    const std::string key = keys[pick(keys.size())];
    const std::string where = "step " + std::to_string(step) + " key " + Printable(key);
    auto plain = PlainKeyPath(key);
    const fs::path path = plain ? bucket_dir / *plain : fs::path();
    const bool file_there = plain && fs::is_regular_file(fs::symlink_status(path));
    switch (pick(16)) {
      case 0:
      case 1:
      case 2: {  // PutObject through the store
        const std::string bytes = PatternBytes(pick(4) == 0 ? 0 : pick(2000), ++counter);
        ObjectRecord record;
        record.key = key;
        record.version_id = "v" + std::to_string(counter);
        record.size = bytes.size();
        record.etag = "\"stored-" + std::to_string(counter) + "\"";
        record.last_modified_millis = 1'700'000'000'000 + counter;
        record.attributes_json = R"({"n":)" + std::to_string(counter) + "}";
        auto writer = store->NewBody("b");
        ASSERT_TRUE(writer.ok()) << where;
        ASSERT_TRUE((*writer)->Append(bytes).ok()) << where;
        auto put = store->PutObject("b", record, std::move(*writer), {});
        ASSERT_TRUE(put.ok()) << where << ": " << put.error().detail;
        model[key] = {bytes, record.etag, record.attributes_json};
        break;
      }
      case 3: {  // DeleteObject through the store
        auto deleted = store->DeleteObject("b", key, "", ObjectRecord{}, {});
        ASSERT_TRUE(deleted.ok()) << where;
        ASSERT_EQ(deleted->removed, model.erase(key) == 1) << where;
        break;
      }
      case 4:
      case 5: {  // a file written by hand: a new object, or one replacing the stored one
        if (!plain) break;
        // Only where a person could: the path is free, or holds this key's own file (a key the
        // store escaped has no file at its path, and writing one there is not this test's case).
        if (model.contains(key) ? !file_there : PlainPathBlocked(bucket_dir, *plain)) break;
        const std::string bytes = PatternBytes(++hand_size, ++counter);
        if (file_there && pick(2) == 0) {
          RewriteInPlace(path, bytes);
        } else {
          ReplaceFile(path, bytes);
        }
        model[key] = {bytes, QuotedMd5(bytes), "{}"};
        break;
      }
      case 6: {  // a file deleted by hand (its directories stay, as `rm` leaves them)
        if (!file_there || !model.contains(key)) break;
        fs::remove(path);
        model.erase(key);
        break;
      }
      case 7: {  // the process restarts
        store.reset();
        store = OpenStore(root, NotDurable());
        ASSERT_NE(store, nullptr) << where;
        break;
      }
      case 8:
      case 9: {  // GetObject
        auto got = store->GetObject("b", key, "", true);
        auto found = model.find(key);
        if (found == model.end()) {
          ASSERT_EQ(CodeOf(got), StoreErrc::ObjectNotFound) << where;
          break;
        }
        ASSERT_TRUE(got.ok()) << where << ": " << got.error().detail;
        ASSERT_EQ(Describe(got->record), Describe(key, found->second)) << where;
        auto bytes = ReadAll(*got->body, 1 + pick(3000));
        ASSERT_TRUE(bytes.ok()) << where;
        ASSERT_TRUE(*bytes == found->second.bytes) << where << " bytes differ";
        break;
      }
      case 10: {  // tagging
        auto found = model.find(key);
        const std::string document = R"({"tagged":)" + std::to_string(++counter) + "}";
        auto updated = store->UpdateObjectAttributes("b", key, "", [&](std::string& d) { d = document; });
        if (found == model.end()) {
          ASSERT_FALSE(updated.ok()) << where;
          break;
        }
        ASSERT_TRUE(updated.ok()) << where;
        found->second.attributes = document;
        ASSERT_EQ(Describe(*updated), Describe(key, found->second)) << where;
        break;
      }
      case 11:
      case 12: {  // one page with a prefix and an after bound
        const std::string& other = keys[pick(keys.size())];
        KeyRange range{.prefix = pick(2) ? "" : other.substr(0, pick(other.size() + 1)),
                       .after = pick(2) ? "" : keys[pick(keys.size())],
                       .limit = 1 + pick(5)};
        std::vector<std::string> want, got;
        for (const auto& [k, object] : model) {
          if (want.size() == range.limit) break;
          if (!k.starts_with(range.prefix) || (!range.after.empty() && k <= range.after)) continue;
          want.push_back(Describe(k, object));
        }
        auto page = store->ListObjects("b", range);
        ASSERT_TRUE(page.ok()) << where;
        for (const auto& record : *page) got.push_back(Describe(record));
        ASSERT_EQ(got, want) << where << " prefix " << Printable(range.prefix) << " after " << Printable(range.after)
                             << " limit " << range.limit;
        break;
      }
      default:
        check_everything(where);
        break;
    }
    if (HasFatalFailure()) return;
  }
  check_everything("at the end");
  // Whatever was done by hand, nothing left ROOT and no intent is pending.
  EXPECT_TRUE(fs::is_empty(root / ".mallard-s3/intents"));
}

}  // namespace
}  // namespace mallard::s3::file

// FileS3Store runs the S3Store conformance suite, and its own cases: objects are plain files with
// exactly their bytes, escaped keys never leave ROOT, files dropped or changed by hand are objects,
// everything survives a reopen, one process per ROOT, temp files cleaned, and a commit stopped at
// every step recovers to the committed state. Links services_s3_file alone.
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "../s3_store_conformance.hpp"
#include "file_s3_test_support.hpp"
#include "services/s3/file/file_layout.hpp"

namespace mallard::s3::file {
namespace fs = std::filesystem;
using conformance::CodeOf;
using conformance::ReadAll;
using testing_support::OpenStore;
using testing_support::QuotedMd5;
using testing_support::ReadFile;
using testing_support::TempDir;
using testing_support::WriteFile;

namespace testing_support {
std::string QuotedMd5(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_md5(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out + "\"";
}
}  // namespace testing_support
}  // namespace mallard::s3::file

namespace mallard::s3::conformance {
namespace {
using file::testing_support::NotDurable;
using file::testing_support::OpenStore;
using file::testing_support::TempDir;

// Each case gets a fresh root, removed with the store. Not durable: the suite is about behaviour,
// and thousands of fsyncs would only make it slow (the file store's own tests run durable).
INSTANTIATE_TEST_SUITE_P(File, S3StoreConformance,
                         ::testing::Values(S3StoreFactory{"File",
                                                          []() -> std::shared_ptr<S3Store> {
                                                            auto dir = std::make_shared<TempDir>();
                                                            auto store = OpenStore(dir->path() / "root", NotDurable());
                                                            if (!store) return nullptr;
                                                            return std::shared_ptr<S3Store>(
                                                                store.release(), [dir](S3Store* s) { delete s; });
                                                          }}),
                         FactoryName);

}  // namespace
}  // namespace mallard::s3::conformance

namespace mallard::s3::file {
namespace {

BucketRecord Bucket(const std::string& name, Versioning versioning = Versioning::Unversioned) {
  return BucketRecord{name, "000000000000", "us-east-1", 1'700'000'000'000, versioning, {}};
}

ObjectRecord Record(const std::string& key, const std::string& bytes, const std::string& version_id = "v1") {
  ObjectRecord record;
  record.key = key;
  record.version_id = version_id;
  record.size = bytes.size();
  record.etag = QuotedMd5(bytes);
  record.last_modified_millis = 1'700'000'000'000;
  record.owner_account = "000000000000";
  record.attributes_json = R"({"content-type":"text/plain","key":")" + std::to_string(bytes.size()) + "\"}";
  return record;
}

StoreResult<ObjectRecord> Put(S3Store& store, const std::string& bucket, const std::string& key,
                              const std::string& bytes, const std::string& version_id = "v1") {
  auto writer = store.NewBody(bucket);
  if (!writer.ok()) return StoreFail(writer.error().code, writer.error().detail);
  if (auto appended = (*writer)->Append(bytes); !appended.ok())
    return StoreFail(appended.error().code, appended.error().detail);
  return store.PutObject(bucket, Record(key, bytes, version_id), std::move(*writer), {});
}

std::string Bytes(S3Store& store, const std::string& bucket, const std::string& key, const std::string& version = "") {
  auto opened = store.GetObject(bucket, key, version, true);
  if (!opened.ok() || !opened->body) return "<missing>";
  auto read = ReadAll(*opened->body);
  return read.ok() ? *read : "<unreadable>";
}

std::vector<std::string> Keys(S3Store& store, const std::string& bucket) {
  std::vector<std::string> keys;
  auto listed = store.ListObjects(bucket, {});
  EXPECT_TRUE(listed.ok());
  if (listed.ok()) {
    for (const auto& record : *listed) keys.push_back(record.key);
  }
  return keys;
}

std::vector<std::string> Versions(S3Store& store, const std::string& bucket) {
  std::vector<std::string> out;
  auto listed = store.ListVersions(bucket, {}, "");
  EXPECT_TRUE(listed.ok());
  if (listed.ok()) {
    for (const auto& r : *listed) {
      out.push_back(r.key + "@" + r.version_id + (r.is_latest ? "*" : "") + (r.delete_marker ? "(marker)" : "") + " " +
                    r.etag + " " + r.attributes_json);
    }
  }
  return out;
}

// Every regular file under `dir`, relative.
std::set<std::string> FilesUnder(const fs::path& dir) {
  std::set<std::string> files;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) files.insert(fs::relative(it->path(), dir).string());
  }
  return files;
}

TEST(FileS3Store, NameAndRootDirectory) {
  TempDir dir;
  auto store = OpenStore(dir.path() / "root");
  ASSERT_NE(store, nullptr);
  const fs::path root = fs::canonical(dir.path() / "root");
  EXPECT_EQ(store->Name(), "file://" + root.string());
  ASSERT_TRUE(store->RootDirectory().has_value());
  EXPECT_EQ(*store->RootDirectory(), root);
}

TEST(FileS3Store, OrdinaryKeysArePlainFilesWithExactlyTheirBytes) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(Bucket("data")).ok());
  const std::string parquet = std::string("PAR1\0\x01\x02", 7) + std::string(100'000, 'x') + "PAR1";
  ASSERT_TRUE(Put(*store, "data", "logs/2024/01/part-0.parquet", parquet).ok());
  ASSERT_TRUE(Put(*store, "data", "readme.txt", "hello").ok());
  ASSERT_TRUE(Put(*store, "data", "dir/\xc3\xa9/\xf0\x9f\x98\x80.txt", "unicode").ok());
  EXPECT_EQ(ReadFile(dir.path() / "data/logs/2024/01/part-0.parquet"), parquet);
  EXPECT_EQ(ReadFile(dir.path() / "data/readme.txt"), "hello");
  EXPECT_EQ(ReadFile(dir.path() / "data/dir/\xc3\xa9/\xf0\x9f\x98\x80.txt"), "unicode");
  // Overwritten in place of the old file; deleted with the directories it needed.
  ASSERT_TRUE(Put(*store, "data", "readme.txt", "hello again").ok());
  EXPECT_EQ(ReadFile(dir.path() / "data/readme.txt"), "hello again");
  ASSERT_TRUE(store->DeleteObject("data", "logs/2024/01/part-0.parquet", "", ObjectRecord{}, {}).ok());
  EXPECT_FALSE(fs::exists(dir.path() / "data/logs"));
  EXPECT_EQ(FilesUnder(dir.path() / "data"),
            (std::set<std::string>{"readme.txt", "dir/\xc3\xa9/\xf0\x9f\x98\x80.txt"}));
}

TEST(FileS3Store, EscapedKeysNeverCreatePathsOutsideTheirBucket) {
  TempDir dir;
  const fs::path root = dir.path() / "root";
  auto store = OpenStore(root);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(Bucket("b")).ok());
  ASSERT_TRUE(store->CreateBucket(Bucket("other")).ok());
  const std::vector<std::string> keys = {"../../etc/passwd",
                                         "../other/stolen",
                                         "..",
                                         ".",
                                         "../x",
                                         "a/../../../y",
                                         "/abs/path",
                                         "x//y",
                                         "trailing/",
                                         std::string(300, 'q'),
                                         std::string("nul\0byte", 8),
                                         "./.mallard-s3/lock"};
  for (const auto& key : keys) {
    auto put = Put(*store, "b", key, "bytes of " + key);
    ASSERT_TRUE(put.ok()) << key << ": " << put.error().detail;
  }
  // Nothing outside ROOT, nothing in the other bucket, no plain file in "b" (all escaped).
  std::set<std::string> outside;
  for (const auto& entry : fs::directory_iterator(dir.path())) outside.insert(entry.path().filename().string());
  EXPECT_EQ(outside, (std::set<std::string>{"root"}));
  EXPECT_TRUE(FilesUnder(root / "other").empty());
  EXPECT_TRUE(FilesUnder(root / "b").empty());
  for (const auto& key : keys) EXPECT_EQ(Bytes(*store, "b", key), "bytes of " + key) << key;
  auto listed = Keys(*store, "b");
  EXPECT_EQ(listed.size(), keys.size());
  // A clash: "a" is a file, so "a/b" cannot be a path; and the reverse.
  ASSERT_TRUE(Put(*store, "b", "a", "file a").ok());
  ASSERT_TRUE(Put(*store, "b", "a/b", "under a").ok());
  ASSERT_TRUE(Put(*store, "b", "c/d", "under c").ok());
  ASSERT_TRUE(Put(*store, "b", "c", "file c").ok());
  EXPECT_EQ(FilesUnder(root / "b"), (std::set<std::string>{"a", "c/d"}));
  EXPECT_EQ(Bytes(*store, "b", "a/b"), "under a");
  EXPECT_EQ(Bytes(*store, "b", "c"), "file c");
  // A symlink inside the bucket pointing out of ROOT is never written through.
  fs::create_directory(dir.path() / "elsewhere");
  fs::create_directory_symlink(dir.path() / "elsewhere", root / "b" / "link");
  ASSERT_TRUE(Put(*store, "b", "link/escape.txt", "not through the link").ok());
  EXPECT_TRUE(fs::is_empty(dir.path() / "elsewhere"));
  EXPECT_EQ(Bytes(*store, "b", "link/escape.txt"), "not through the link");
}

TEST(FileS3Store, AFileDroppedIntoABucketIsAnObjectAndAChangeIsPickedUp) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(Bucket("lake")).ok());
  ASSERT_TRUE(Put(*store, "lake", "a-stored.csv", "x,y\n").ok());
  WriteFile(dir.path() / "lake/data/part-1.parquet", "duckdb wrote this");
  auto listed = store->ListObjects("lake", {});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  const ObjectRecord& dropped = (*listed)[1];
  EXPECT_EQ(dropped.key, "data/part-1.parquet");
  EXPECT_EQ(dropped.size, 17u);
  EXPECT_EQ(dropped.etag, QuotedMd5("duckdb wrote this"));
  EXPECT_EQ(dropped.version_id, "null");
  EXPECT_EQ(dropped.attributes_json, "{}");
  EXPECT_EQ(dropped.owner_account, "000000000000");
  EXPECT_TRUE(dropped.is_latest);
  struct stat info {};
  ASSERT_EQ(::stat((dir.path() / "lake/data/part-1.parquet").c_str(), &info), 0);
  const std::int64_t mtime_millis =
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1'000'000;
  EXPECT_EQ(dropped.last_modified_millis, mtime_millis);
  EXPECT_EQ(Bytes(*store, "lake", "data/part-1.parquet"), "duckdb wrote this");
  EXPECT_EQ(Bytes(*store, "lake", "data/part-1.parquet", "null"), "duckdb wrote this");

  // Rewritten by hand (another size): the file wins over the cached ETag.
  WriteFile(dir.path() / "lake/data/part-1.parquet", "rewritten, longer");
  WriteFile(dir.path() / "lake/data/part-1.parquet", "rewritten, longer!");
  auto got = store->GetObject("lake", "data/part-1.parquet", "", false);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->record.etag, QuotedMd5("rewritten, longer!"));
  EXPECT_EQ(got->record.size, 18u);
  // A stored object replaced by hand: its record is stale, the file wins.
  WriteFile(dir.path() / "lake/a-stored.csv", "replaced by a person");
  got = store->GetObject("lake", "a-stored.csv", "", true);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->record.etag, QuotedMd5("replaced by a person"));
  EXPECT_EQ(got->record.attributes_json, "{}");
  EXPECT_EQ(*ReadAll(*got->body), "replaced by a person");
  // Deleted by hand: gone.
  fs::remove(dir.path() / "lake/data/part-1.parquet");
  EXPECT_EQ(Keys(*store, "lake"), (std::vector<std::string>{"a-stored.csv"}));
  EXPECT_EQ(CodeOf(store->GetObject("lake", "data/part-1.parquet", "", false)), StoreErrc::ObjectNotFound);
  // Tagging a dropped file gives it a record of its own, ETag kept.
  ASSERT_TRUE(store->UpdateObjectAttributes("lake", "a-stored.csv", "", [](std::string& d) { d = R"({"t":1})"; }).ok());
  got = store->GetObject("lake", "a-stored.csv", "", false);
  EXPECT_EQ(got->record.attributes_json, R"({"t":1})");
  EXPECT_EQ(got->record.etag, QuotedMd5("replaced by a person"));
}

TEST(FileS3Store, UnderVersioningAFileWrittenByHandIsKeptAsTheNullVersionWhenOverwritten) {
  TempDir dir;
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(Bucket("v", Versioning::Enabled)).ok());
  WriteFile(dir.path() / "v/k.csv", "by hand");
  ASSERT_TRUE(Put(*store, "v", "k.csv", "through S3", "v-1").ok());
  auto versions = store->ListVersions("v", {}, "");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version_id, "v-1");
  EXPECT_EQ((*versions)[1].version_id, "null");
  EXPECT_EQ((*versions)[1].etag, QuotedMd5("by hand"));
  EXPECT_EQ(Bytes(*store, "v", "k.csv", "null"), "by hand");
  EXPECT_EQ(ReadFile(dir.path() / "v/k.csv"), "through S3");
  // Removing the current version by id brings the hand-written bytes back to the plain path.
  ASSERT_TRUE(store->DeleteObject("v", "k.csv", "v-1", ObjectRecord{}, {}).ok());
  EXPECT_EQ(ReadFile(dir.path() / "v/k.csv"), "by hand");
}

TEST(FileS3Store, ADirectoryMadeByHandBecomesABucketOnlyWhenCreated) {
  TempDir dir;
  WriteFile(dir.path() / "existing/inside.txt", "was here first");
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->ListBuckets()->empty());
  EXPECT_EQ(CodeOf(store->ListObjects("existing", {})), StoreErrc::BucketNotFound);
  ASSERT_TRUE(store->CreateBucket(Bucket("existing")).ok());
  EXPECT_EQ(Keys(*store, "existing"), (std::vector<std::string>{"inside.txt"}));
  EXPECT_EQ(CodeOf(store->DeleteBucket("existing")), StoreErrc::BucketNotEmpty);
  // Names the file store cannot hold as a directory are refused, never created.
  EXPECT_FALSE(store->CreateBucket(Bucket(".mallard-s3")).ok());
  EXPECT_FALSE(store->CreateBucket(Bucket("..")).ok());
  EXPECT_FALSE(store->CreateBucket(Bucket("a/b")).ok());
}

TEST(FileS3Store, ReopenBringsEverythingBack) {
  TempDir dir;
  std::vector<std::string> versions_before;
  BucketRecord configured = Bucket("configured", Versioning::Enabled);
  configured.SetConfiguration("cors", "<CORSConfiguration/>");
  configured.SetConfiguration("policy", R"({"Version":"2012-10-17"})");
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateBucket(configured).ok());
    ASSERT_TRUE(store->CreateBucket(Bucket("plain")).ok());
    ASSERT_TRUE(Put(*store, "configured", "k", "one", "v-1").ok());
    ASSERT_TRUE(Put(*store, "configured", "k", "two", "v-2").ok());
    ASSERT_TRUE(Put(*store, "configured", "..", "escaped", "v-3").ok());
    ObjectRecord marker;
    marker.version_id = "m-1";
    marker.last_modified_millis = 1'700'000'000'500;
    ASSERT_TRUE(store->DeleteObject("configured", "gone", "", marker, {}).ok());
    ASSERT_TRUE(
        store->UpdateObjectAttributes("configured", "k", "v-1", [](std::string& d) { d = R"({"tags":"a=b"})"; }).ok());
    ASSERT_TRUE(Put(*store, "plain", "p", "plain bytes").ok());
    UploadRecord upload{"up-1", "big/key", 1'700'000'000'100, "000000000000", R"({"content-type":"x"})"};
    ASSERT_TRUE(store->CreateUpload("plain", upload).ok());
    auto writer = store->NewBody("plain");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("part two").ok());
    ASSERT_TRUE(
        store->PutPart("plain", "up-1", PartRecord{2, 8, "\"p2\"", 1'700'000'000'200, R"({"c":1})"}, std::move(*writer))
            .ok());
    versions_before = Versions(*store, "configured");
  }
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  auto bucket = store->GetBucket("configured");
  ASSERT_TRUE(bucket.ok());
  EXPECT_EQ(bucket->versioning, Versioning::Enabled);
  EXPECT_EQ(bucket->configurations, configured.configurations);
  EXPECT_EQ(store->ListBuckets()->size(), 2u);
  EXPECT_EQ(Versions(*store, "configured"), versions_before);
  EXPECT_EQ(versions_before.size(), 4u);
  EXPECT_EQ(Bytes(*store, "configured", "k"), "two");
  EXPECT_EQ(Bytes(*store, "configured", "k", "v-1"), "one");
  EXPECT_EQ(Bytes(*store, "configured", ".."), "escaped");
  EXPECT_EQ(store->GetObject("configured", "k", "v-1", false)->record.attributes_json, R"({"tags":"a=b"})");
  EXPECT_TRUE(store->GetObject("configured", "gone", "", false)->record.delete_marker);
  EXPECT_EQ(Bytes(*store, "plain", "p"), "plain bytes");
  auto upload = store->GetUpload("plain", "up-1");
  ASSERT_TRUE(upload.ok());
  EXPECT_EQ(upload->key, "big/key");
  EXPECT_EQ(upload->attributes_json, R"({"content-type":"x"})");
  auto parts = store->ListParts("plain", "up-1");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].number, 2u);
  EXPECT_EQ((*parts)[0].etag, "\"p2\"");
  auto completed = store->CompleteUpload("plain", "up-1", {2}, Record("big/key", "part two"), {});
  ASSERT_TRUE(completed.ok()) << completed.error().detail;
  EXPECT_EQ(ReadFile(dir.path() / "plain/big/key"), "part two");
}

// Sidecars are replaced atomically, so only a person damages one: a damaged record loses to its
// file, a damaged history is ignored without deleting the bytes it names, nothing crashes.
TEST(FileS3Store, DamagedSidecarsAreIgnoredNeverTrustedHalfRead) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateBucket(Bucket("b", Versioning::Enabled)).ok());
    ASSERT_TRUE(Put(*store, "b", "k", "one", "v-1").ok());
    ASSERT_TRUE(Put(*store, "b", "k", "two", "v-2").ok());
  }
  const std::string hash = Sha256Hex("k");
  const fs::path sidecar = dir.path() / ".mallard-s3";
  const fs::path record = sidecar / "current/b" / hash.substr(0, 2) / (hash + ".json");
  const fs::path history = sidecar / "versions/b" / hash.substr(0, 2) / (hash + ".json");
  ASSERT_TRUE(fs::exists(record));
  ASSERT_TRUE(fs::exists(history));
  const std::vector<std::string> damages = {"",        "{", "[1,2]", R"({"record":{"key":5}})", std::string(100, '{'),
                                            "\xff\xfe"};
  for (const std::string& damage : damages) {
    SCOPED_TRACE(damage);
    WriteFile(record, damage);
    WriteFile(history, damage);
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    auto got = store->GetObject("b", "k", "", true);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->record.etag, QuotedMd5("two")) << "the file wins over a record that does not parse";
    EXPECT_EQ(got->record.version_id, "null");
    EXPECT_EQ(Versions(*store, "b").size(), 1u);
  }
  std::size_t version_bodies = 0;
  for (const auto& entry : fs::recursive_directory_iterator(sidecar / "versions/b")) {
    if (entry.is_regular_file() && entry.path().extension() != ".json") ++version_bodies;
  }
  EXPECT_EQ(version_bodies, 1u) << "the older version's bytes were removed with its damaged history";
}

TEST(FileS3Store, ASecondStoreOnTheSameRootFailsClearly) {
  TempDir dir;
  auto first = OpenStore(dir.path());
  ASSERT_NE(first, nullptr);
  // flock is per open file description: a second open in this process conflicts as another
  // process would.
  auto second = FileS3Store::Open(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, StoreErrc::Unavailable);
  EXPECT_NE(second.error().detail.find("another S3 file store"), std::string::npos) << second.error().detail;
  // And from another process.
  pid_t child = ::fork();
  if (child == 0) {
    auto in_child = FileS3Store::Open(dir.path());
    ::_exit(!in_child.ok() && in_child.error().code == StoreErrc::Unavailable ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "another process opened a locked root";
  first.reset();
  EXPECT_TRUE(FileS3Store::Open(dir.path()).ok()) << "the lock goes with the store";
}

TEST(FileS3Store, LeftoverTempFilesAndUnnamedBodiesAreRemovedAtOpen) {
  TempDir dir;
  {
    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateBucket(Bucket("b", Versioning::Enabled)).ok());
    ASSERT_TRUE(Put(*store, "b", "k", "one", "v1").ok());
  }
  const fs::path sidecar = dir.path() / ".mallard-s3";
  WriteFile(sidecar / "tmp/0123.body", "a body being written when the process died");
  WriteFile(sidecar / "tmp/4567.tmp", "a sidecar being written");
  WriteFile(sidecar / "versions/b/00/orphan.abc", "a version body no history names");
  WriteFile(sidecar / "escaped/b/ff/ffff", "an escaped body no record names");
  WriteFile(sidecar / "uploads/b/notanupload/part-1.json", "{}");
  WriteFile(sidecar / "current/gone-bucket/aa/aa.json", "{}");
  auto store = OpenStore(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::is_empty(sidecar / "tmp"));
  EXPECT_FALSE(fs::exists(sidecar / "versions/b/00/orphan.abc"));
  EXPECT_FALSE(fs::exists(sidecar / "escaped/b/ff/ffff"));
  EXPECT_FALSE(fs::exists(sidecar / "uploads/b/notanupload"));
  EXPECT_FALSE(fs::exists(sidecar / "current/gone-bucket"));
  EXPECT_EQ(Bytes(*store, "b", "k"), "one");
  // A writer never committed leaves nothing when the store goes either.
  auto writer = store->NewBody("b");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("uncommitted").ok());
  writer->reset();
  EXPECT_TRUE(fs::is_empty(sidecar / "tmp"));
}

}  // namespace
}  // namespace mallard::s3::file

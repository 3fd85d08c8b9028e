// The S3Store conformance cases (s3_store_conformance.hpp says how a store runs them and which
// readings of the contract they take): buckets, bytes, versioning, conditions, listings, keys that
// are hard as paths, multipart uploads, races. The seeded randomised comparison with a reference
// model is in s3_store_conformance_random.cpp.
#include "s3_store_conformance.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

namespace mallard::s3::conformance {

// ---- helpers (shared with the randomised cases) ----

std::string Printable(const std::string& text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 80 && text.size() > 100) {
      out += "…(" + std::to_string(text.size()) + " bytes)";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "\"";
}

StoreResult<std::string> ReadAll(BodyReader& reader, std::size_t chunk) {
  std::string out;
  const std::uint64_t size = reader.Size();
  while (true) {
    auto piece = reader.ReadAt(out.size(), chunk);
    if (!piece.ok()) return StoreFail(piece.error().code, piece.error().detail);
    if (piece->empty()) break;
    if (piece->size() > chunk) return StoreFail(StoreErrc::StorageFailed, "ReadAt returned more than asked");
    out += *piece;
    // Fewer than asked only at the end of the body.
    if (piece->size() < chunk && out.size() != size) {
      return StoreFail(StoreErrc::StorageFailed, "ReadAt returned a short piece before the end");
    }
    if (out.size() > size) return StoreFail(StoreErrc::StorageFailed, "ReadAt read past Size()");
  }
  return out;
}

std::string PatternBytes(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t state = seed * 2654435761u + 12345u;
  for (auto& byte : out) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return out;
}

std::vector<std::string> HardKeys() {
  std::string long_segment = "seg/" + std::string(300, 'q') + "/end";
  std::string max_key(1024, 'k');                 // S3's longest key, one segment
  std::string max_slashes;                         // S3's longest key, 512 segments
  while (max_slashes.size() < 1024) max_slashes += "d/";
  return {".", "..", "...", "a/../b", "b", "./x", "x/.", "x/..", "/leading", "trailing/", "trailing",
          "double//slash", "double/slash", "a", "a/", "a/b", "a//b", "a-c", "a.b", ".hidden",
          long_segment, max_key, max_slashes, "CON", "con.txt", "NUL", "back\\slash", "per%cent", "%2F",
          "%", "new\nline", "tab\tkey", std::string("\x01"), " space ", "-", "\xc3\xa9",
          "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", "dir/\xc3\xa9/\xf0\x9f\x98\x80.txt", "a:b", "q?x=1",
          "star*", "<lt>", "pipe|", "quote\"", "trailing.", "trailing "};
}

void S3StoreConformance::MakeBucket(const std::string& name, Versioning versioning) {
  BucketRecord bucket;
  bucket.name = name;
  bucket.owner_account = kOwner;
  bucket.region = "us-east-1";
  bucket.created_millis = Tick();
  auto created = store_->CreateBucket(bucket);
  ASSERT_TRUE(created.ok()) << name << ": " << created.error().detail;
  if (versioning != Versioning::Unversioned) SetVersioning(name, versioning);
}

void S3StoreConformance::SetVersioning(const std::string& bucket, Versioning versioning) {
  auto updated = store_->UpdateBucket(bucket, [&](BucketRecord& record) { record.versioning = versioning; });
  ASSERT_TRUE(updated.ok()) << bucket << ": " << updated.error().detail;
  ASSERT_EQ(updated->versioning, versioning);
}

std::string S3StoreConformance::NextVersionId() {
  // Bit-reversed counter: the ids' text order is unrelated to the order they were handed out.
  std::uint32_t n = ++version_counter_, reversed = 0;
  for (int bit = 0; bit < 16; ++bit) reversed |= ((n >> bit) & 1u) << (15 - bit);
  std::string id = "v";  // built by appending: GCC 12 warns falsely on "literal" + std::string&&
  id += std::to_string(reversed);
  id += ".";
  id += std::to_string(n);
  return id;
}

ObjectRecord S3StoreConformance::RecordFor(const std::string& key, const std::string& bytes) {
  ObjectRecord record;
  record.key = key;
  record.version_id = NextVersionId();
  record.size = bytes.size();
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  record.etag = "\"";
  record.etag += std::to_string(hash);
  record.etag += "\"";
  record.last_modified_millis = Tick();
  record.owner_account = kOwner;
  record.attributes_json = R"({"content-type":"application/octet-stream","n":)" +
                           std::to_string(version_counter_) + "}";
  return record;
}

std::unique_ptr<BodyWriter> S3StoreConformance::BodyWith(const std::string& bucket, const std::string& bytes,
                                                         std::size_t piece) {
  auto writer = store_->NewBody(bucket);
  EXPECT_TRUE(writer.ok()) << bucket << ": " << (writer.ok() ? "" : writer.error().detail);
  if (!writer.ok()) return nullptr;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    auto appended = (*writer)->Append(std::string_view(bytes).substr(at, piece));
    EXPECT_TRUE(appended.ok()) << appended.error().detail;
    if (!appended.ok()) return nullptr;
  }
  EXPECT_EQ((*writer)->Size(), bytes.size());
  return std::move(*writer);
}

StoreResult<ObjectRecord> S3StoreConformance::Put(const std::string& bucket, const std::string& key,
                                                  const std::string& bytes, const WriteCondition& condition) {
  auto body = BodyWith(bucket, bytes);
  if (!body) return StoreFail(StoreErrc::StorageFailed, "no writer");
  return store_->PutObject(bucket, RecordFor(key, bytes), std::move(body), condition);
}

StoreResult<DeleteOutcome> S3StoreConformance::Delete(const std::string& bucket, const std::string& key,
                                                      const std::string& version_id,
                                                      const WriteCondition& condition) {
  ObjectRecord marker;
  marker.key = key;
  marker.version_id = NextVersionId();
  marker.delete_marker = true;
  marker.last_modified_millis = Tick();
  marker.owner_account = kOwner;
  return store_->DeleteObject(bucket, key, version_id, marker, condition);
}

StoreResult<std::string> S3StoreConformance::Bytes(const std::string& bucket, const std::string& key,
                                                   const std::string& version_id) {
  auto opened = store_->GetObject(bucket, key, version_id, true);
  if (!opened.ok()) return StoreFail(opened.error().code, opened.error().detail);
  if (opened->record.delete_marker) return StoreFail(StoreErrc::ObjectNotFound, "a delete marker");
  if (!opened->body) return StoreFail(StoreErrc::StorageFailed, "no body although asked for");
  EXPECT_EQ(opened->body->Size(), opened->record.size) << Printable(key);
  return ReadAll(*opened->body);
}

std::vector<std::string> S3StoreConformance::ListedKeys(const std::string& bucket, const KeyRange& range) {
  auto listed = store_->ListObjects(bucket, range);
  EXPECT_TRUE(listed.ok()) << (listed.ok() ? "" : listed.error().detail);
  if (!listed.ok()) return {"<error>"};
  std::vector<std::string> keys;
  for (const auto& record : *listed) {
    EXPECT_FALSE(record.delete_marker) << Printable(record.key);
    EXPECT_TRUE(record.is_latest) << Printable(record.key);
    keys.push_back(record.key);
  }
  return keys;
}

std::vector<std::string> S3StoreConformance::ListedVersions(const std::string& bucket, const KeyRange& range,
                                                            const std::string& after_version_id) {
  auto listed = store_->ListVersions(bucket, range, after_version_id);
  EXPECT_TRUE(listed.ok()) << (listed.ok() ? "" : listed.error().detail);
  if (!listed.ok()) return {"<error>"};
  std::vector<std::string> entries;
  for (const auto& record : *listed) {
    entries.push_back(record.key + "@" + record.version_id + (record.is_latest ? "*" : "") +
                      (record.delete_marker ? "(marker)" : ""));
  }
  return entries;
}

StoreResult<PartRecord> S3StoreConformance::PutPart(const std::string& bucket, const std::string& upload_id,
                                                    std::uint32_t number, const std::string& bytes) {
  PartRecord part;
  part.number = number;
  part.size = bytes.size();
  part.etag = "\"part" + std::to_string(number) + "-" + std::to_string(bytes.size()) + "\"";
  part.last_modified_millis = Tick();
  part.attributes_json = R"({"checksum":"x"})";
  auto body = BodyWith(bucket, bytes, 100'003);
  if (!body) return StoreFail(StoreErrc::StorageFailed, "no writer");
  return store_->PutPart(bucket, upload_id, part, std::move(body));
}

namespace {

UploadRecord Upload(const std::string& id, const std::string& key, std::int64_t initiated) {
  UploadRecord upload;
  upload.upload_id = id;
  upload.key = key;
  upload.initiated_millis = initiated;
  upload.owner_account = kOwner;
  upload.attributes_json = R"({"content-type":"text/plain","id":")" + id + "\"}";
  return upload;
}

std::vector<std::string> SortedAsBytes(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
    return c != 0 ? c < 0 : a.size() < b.size();
  });
  return keys;
}

}  // namespace

// ---- buckets ----

TEST_P(S3StoreConformance, BucketsCreateGetListUpdateDelete) {
  EXPECT_EQ(CodeOf(store_->GetBucket("gamma")), StoreErrc::BucketNotFound);
  ASSERT_TRUE(store_->ListBuckets().ok());
  EXPECT_TRUE(store_->ListBuckets()->empty());

  BucketRecord gamma{"gamma", "111111111111", "eu-west-1", kStart + 5, Versioning::Unversioned, {}};
  gamma.SetConfiguration("tagging", R"({"TagSet":[{"Key":"k","Value":"\u00e9"}]})");
  gamma.SetConfiguration("cors", "<CORSConfiguration/>");
  ASSERT_TRUE(store_->CreateBucket(gamma).ok());
  MakeBucket("alpha-1");
  MakeBucket("b.e.t.a");

  auto got = store_->GetBucket("gamma");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "gamma");
  EXPECT_EQ(got->owner_account, "111111111111");
  EXPECT_EQ(got->region, "eu-west-1");
  EXPECT_EQ(got->created_millis, kStart + 5);
  EXPECT_EQ(got->versioning, Versioning::Unversioned);
  ASSERT_NE(got->Configuration("tagging"), nullptr);
  EXPECT_EQ(*got->Configuration("tagging"), R"({"TagSet":[{"Key":"k","Value":"\u00e9"}]})");
  ASSERT_NE(got->Configuration("cors"), nullptr);
  EXPECT_EQ(*got->Configuration("cors"), "<CORSConfiguration/>");
  EXPECT_EQ(got->Configuration("policy"), nullptr);

  // The name is taken, whoever asks: BucketExists with the owner's account, and nothing changes.
  BucketRecord again = gamma;
  again.owner_account = "222222222222";
  again.region = "us-west-2";
  auto taken = store_->CreateBucket(again);
  ASSERT_EQ(CodeOf(taken), StoreErrc::BucketExists);
  EXPECT_EQ(taken.error().detail, "111111111111");
  EXPECT_EQ(store_->GetBucket("gamma")->region, "eu-west-1");

  auto listed = store_->ListBuckets();
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> names;
  for (const auto& bucket : *listed) names.push_back(bucket.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha-1", "b.e.t.a", "gamma"}));

  auto updated = store_->UpdateBucket("gamma", [](BucketRecord& bucket) {
    bucket.versioning = Versioning::Enabled;
    bucket.RemoveConfiguration("cors");
    bucket.SetConfiguration("policy", R"({"Version":"2012-10-17"})");
  });
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->versioning, Versioning::Enabled);
  EXPECT_EQ(updated->Configuration("cors"), nullptr);
  got = store_->GetBucket("gamma");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->versioning, Versioning::Enabled);
  EXPECT_EQ(got->Configuration("cors"), nullptr);
  ASSERT_NE(got->Configuration("policy"), nullptr);
  EXPECT_EQ(*got->Configuration("policy"), R"({"Version":"2012-10-17"})");
  EXPECT_EQ(got->owner_account, "111111111111");
  EXPECT_EQ(CodeOf(store_->UpdateBucket("nope", [](BucketRecord&) {})), StoreErrc::BucketNotFound);

  ASSERT_TRUE(store_->DeleteBucket("b.e.t.a").ok());
  EXPECT_EQ(CodeOf(store_->GetBucket("b.e.t.a")), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->DeleteBucket("b.e.t.a")), StoreErrc::BucketNotFound);
  EXPECT_EQ(store_->ListBuckets()->size(), 2u);
  // The name is free again, and the new bucket starts empty.
  MakeBucket("b.e.t.a");
  EXPECT_TRUE(ListedKeys("b.e.t.a", {}).empty());
}

TEST_P(S3StoreConformance, DeleteBucketRefusesWhileAVersionAMarkerOrAnUploadIsLeft) {
  MakeBucket("versions", Versioning::Enabled);
  auto put = Put("versions", "k", "bytes");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(CodeOf(store_->DeleteBucket("versions")), StoreErrc::BucketNotEmpty);
  // A delete marker hides the object from listings; the version is still there.
  ASSERT_TRUE(Delete("versions", "k").ok());
  EXPECT_TRUE(ListedKeys("versions", {}).empty());
  EXPECT_EQ(CodeOf(store_->DeleteBucket("versions")), StoreErrc::BucketNotEmpty);
  // Only the delete marker is left now.
  auto removed = Delete("versions", "k", put->version_id);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed);
  EXPECT_EQ(ListedVersions("versions", {}).size(), 1u);
  EXPECT_EQ(CodeOf(store_->DeleteBucket("versions")), StoreErrc::BucketNotEmpty);

  // A marker alone, on a key that never had a version.
  MakeBucket("markers", Versioning::Enabled);
  auto marker = Delete("markers", "never");
  ASSERT_TRUE(marker.ok());
  EXPECT_TRUE(marker->removed);
  EXPECT_TRUE(marker->delete_marker);
  EXPECT_EQ(CodeOf(store_->DeleteBucket("markers")), StoreErrc::BucketNotEmpty);
  ASSERT_TRUE(Delete("markers", "never", marker->version_id).ok());
  EXPECT_TRUE(store_->DeleteBucket("markers").ok());

  auto versions = store_->ListVersions("versions", {}, "");
  ASSERT_TRUE(versions.ok() && versions->size() == 1);
  ASSERT_TRUE(Delete("versions", "k", (*versions)[0].version_id).ok());
  EXPECT_TRUE(store_->DeleteBucket("versions").ok());

  // An upload in progress, nothing else.
  MakeBucket("uploads");
  ASSERT_TRUE(store_->CreateUpload("uploads", Upload("u1", "big", Tick())).ok());
  EXPECT_EQ(CodeOf(store_->DeleteBucket("uploads")), StoreErrc::BucketNotEmpty);
  ASSERT_TRUE(store_->AbortUpload("uploads", "u1").ok());
  EXPECT_TRUE(store_->DeleteBucket("uploads").ok());
}

TEST_P(S3StoreConformance, EveryCallOnAMissingBucketIsBucketNotFound) {
  const std::string bucket = "missing";
  EXPECT_EQ(CodeOf(store_->NewBody(bucket)), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->GetObject(bucket, "k", "", true)), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->DeleteObject(bucket, "k", "", ObjectRecord{}, {})), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->UpdateObjectAttributes(bucket, "k", "", [](std::string&) {})),
            StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->ListObjects(bucket, {})), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->ListVersions(bucket, {}, "")), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->CreateUpload(bucket, Upload("u", "k", kStart))), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->GetUpload(bucket, "u")), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->ListUploads(bucket, {}, "")), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->ListParts(bucket, "u")), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->AbortUpload(bucket, "u")), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->CompleteUpload(bucket, "u", {1}, ObjectRecord{}, {})), StoreErrc::BucketNotFound);
  EXPECT_EQ(CodeOf(store_->DeleteBucket(bucket)), StoreErrc::BucketNotFound);

  // A writer opened on a bucket cannot be committed into another one that does not exist.
  MakeBucket("present");
  auto body = BodyWith("present", "x");
  ASSERT_NE(body, nullptr);
  EXPECT_EQ(CodeOf(store_->PutObject(bucket, RecordFor("k", "x"), std::move(body), {})), StoreErrc::BucketNotFound);
}

// ---- bytes ----

TEST_P(S3StoreConformance, PutThenGetBytesOfEverySize) {
  MakeBucket("sizes");
  struct Case {
    std::string key;
    std::size_t size;
    std::size_t piece;
  };
  const std::vector<Case> cases = {{"empty", 0, 1}, {"one", 1, 1}, {"mib-plus-one", (1u << 20) + 1, 1u << 21},
                                   {"many-appends", 5u * (1u << 20) + 77, 4093}};
  std::uint32_t seed = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    const std::string bytes = PatternBytes(c.size, ++seed);
    auto body = BodyWith("sizes", bytes, c.piece);
    ASSERT_NE(body, nullptr);
    ObjectRecord record = RecordFor(c.key, bytes);
    auto put = store_->PutObject("sizes", record, std::move(body), {});
    ASSERT_TRUE(put.ok()) << put.error().detail;
    EXPECT_EQ(put->key, c.key);
    EXPECT_EQ(put->version_id, kNullVersionId);
    EXPECT_TRUE(put->is_latest);
    EXPECT_FALSE(put->delete_marker);
    EXPECT_EQ(put->size, c.size);
    EXPECT_EQ(put->etag, record.etag);

    auto opened = store_->GetObject("sizes", c.key, "", true);
    ASSERT_TRUE(opened.ok()) << opened.error().detail;
    ASSERT_NE(opened->body, nullptr);
    EXPECT_EQ(opened->record.size, c.size);
    EXPECT_EQ(opened->body->Size(), c.size);
    auto read = ReadAll(*opened->body, c.size > 100 ? 65'521 : 1);
    ASSERT_TRUE(read.ok()) << read.error().detail;
    EXPECT_TRUE(*read == bytes) << "the bytes differ (" << read->size() << " read, " << c.size << " written)";

    // ReadAt: a window inside, the last byte, at and past the end.
    if (c.size > 10) {
      auto window = opened->body->ReadAt(c.size / 2, 7);
      ASSERT_TRUE(window.ok());
      EXPECT_EQ(*window, bytes.substr(c.size / 2, 7));
    }
    if (c.size > 0) {
      auto last = opened->body->ReadAt(c.size - 1, 100);
      ASSERT_TRUE(last.ok());
      EXPECT_EQ(*last, bytes.substr(c.size - 1));
    }
    auto at_end = opened->body->ReadAt(c.size, 100);
    ASSERT_TRUE(at_end.ok());
    EXPECT_TRUE(at_end->empty());
    auto past_end = opened->body->ReadAt(c.size + 12345, 100);
    ASSERT_TRUE(past_end.ok());
    EXPECT_TRUE(past_end->empty());
  }
}

TEST_P(S3StoreConformance, GetReturnsTheRecordAsStored) {
  MakeBucket("records");
  ObjectRecord record = RecordFor("doc.json", "{}");
  record.attributes_json = R"({"metadata":{"x-amz-meta-\u00e9":"v\n"},"tags":"a=b&c=d","storage":"STANDARD"})";
  auto body = BodyWith("records", "{}");
  ASSERT_NE(body, nullptr);
  ASSERT_TRUE(store_->PutObject("records", record, std::move(body), {}).ok());
  auto opened = store_->GetObject("records", "doc.json", "", false);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->body, nullptr) << "no body when not asked for";
  EXPECT_EQ(opened->record.key, "doc.json");
  EXPECT_EQ(opened->record.version_id, kNullVersionId);
  EXPECT_FALSE(opened->record.delete_marker);
  EXPECT_TRUE(opened->record.is_latest);
  EXPECT_EQ(opened->record.size, 2u);
  EXPECT_EQ(opened->record.etag, record.etag);
  EXPECT_EQ(opened->record.last_modified_millis, record.last_modified_millis);
  EXPECT_EQ(opened->record.owner_account, kOwner);
  EXPECT_EQ(opened->record.attributes_json, record.attributes_json);
  // By its version id too.
  opened = store_->GetObject("records", "doc.json", std::string(kNullVersionId), false);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->record.attributes_json, record.attributes_json);
  EXPECT_EQ(CodeOf(store_->GetObject("records", "other", "", false)), StoreErrc::ObjectNotFound);
  EXPECT_EQ(CodeOf(store_->GetObject("records", "doc.json", "v-none", false)), StoreErrc::VersionNotFound);
  EXPECT_EQ(CodeOf(store_->GetObject("records", "other", "v-none", false)), StoreErrc::ObjectNotFound);
}

TEST_P(S3StoreConformance, AReaderKeepsTheBytesItOpenedThroughOverwriteAndDelete) {
  for (Versioning versioning : {Versioning::Unversioned, Versioning::Enabled, Versioning::Suspended}) {
    const std::string bucket = "readers-" + std::to_string(static_cast<int>(versioning));
    SCOPED_TRACE(bucket);
    MakeBucket(bucket, versioning);
    const std::string old_bytes = PatternBytes(300'001, 1), new_bytes = PatternBytes(1'000, 2);
    ASSERT_TRUE(Put(bucket, "k", old_bytes).ok());
    auto before = store_->GetObject(bucket, "k", "", true);
    ASSERT_TRUE(before.ok() && before->body);
    auto half = before->body->ReadAt(0, 100'000);  // half read before the overwrite, half after
    ASSERT_TRUE(half.ok());
    ASSERT_TRUE(Put(bucket, "k", new_bytes).ok());
    auto after = Bytes(bucket, "k");
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(*after == new_bytes);
    auto rest = ReadAll(*before->body, 4096);
    ASSERT_TRUE(rest.ok()) << rest.error().detail;
    EXPECT_EQ(before->body->Size(), old_bytes.size());
    EXPECT_TRUE(*rest == old_bytes) << "an overwrite changed what an open reader reads";

    auto second = store_->GetObject(bucket, "k", "", true);
    ASSERT_TRUE(second.ok() && second->body);
    ASSERT_TRUE(Delete(bucket, "k").ok());
    auto deleted = ReadAll(*second->body);
    ASSERT_TRUE(deleted.ok());
    EXPECT_TRUE(*deleted == new_bytes) << "a delete changed what an open reader reads";
  }
}

TEST_P(S3StoreConformance, AWriterDestroyedWithoutCommitLeavesNothing) {
  MakeBucket("drafts");
  {
    auto body = BodyWith("drafts", PatternBytes(200'000, 3));
    ASSERT_NE(body, nullptr);
  }
  {
    auto body = BodyWith("drafts", "part bytes");
    ASSERT_NE(body, nullptr);
    ASSERT_TRUE(store_->CreateUpload("drafts", Upload("u", "k", Tick())).ok());
    ASSERT_TRUE(store_->AbortUpload("drafts", "u").ok());
  }
  EXPECT_TRUE(ListedKeys("drafts", {}).empty());
  EXPECT_TRUE(ListedVersions("drafts", {}).empty());
  EXPECT_TRUE(store_->DeleteBucket("drafts").ok()) << "an uncommitted writer left something behind";
}

// ---- versioning ----

TEST_P(S3StoreConformance, UnversionedPutReplacesAndDeleteRemoves) {
  MakeBucket("plain");
  auto first = Put("plain", "k", "one");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->version_id, kNullVersionId) << "the candidate id is kept only when versioning is Enabled";
  auto second = Put("plain", "k", "two!");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version_id, kNullVersionId);
  EXPECT_EQ(ListedVersions("plain", {}), (std::vector<std::string>{"k@null*"}));
  EXPECT_EQ(*Bytes("plain", "k"), "two!");
  EXPECT_EQ(store_->GetObject("plain", "k", "", false)->record.size, 4u);

  auto removed = Delete("plain", "k");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed);
  EXPECT_FALSE(removed->delete_marker);
  EXPECT_EQ(removed->version_id, "");
  EXPECT_EQ(CodeOf(store_->GetObject("plain", "k", "", false)), StoreErrc::ObjectNotFound);
  EXPECT_TRUE(ListedVersions("plain", {}).empty());
  auto again = Delete("plain", "k");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->removed) << "nothing was there";

  // Deleting the "null" version by its id removes it too.
  ASSERT_TRUE(Put("plain", "k", "three").ok());
  auto by_id = Delete("plain", "k", std::string(kNullVersionId));
  ASSERT_TRUE(by_id.ok());
  EXPECT_TRUE(by_id->removed);
  EXPECT_FALSE(by_id->delete_marker);
  EXPECT_EQ(CodeOf(store_->GetObject("plain", "k", "", false)), StoreErrc::ObjectNotFound);
}

TEST_P(S3StoreConformance, EnabledKeepsEveryVersionAndDeletesWithMarkers) {
  MakeBucket("history", Versioning::Enabled);
  auto v1 = Put("history", "k", "first");
  auto v2 = Put("history", "k", "second");
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_NE(v1->version_id, kNullVersionId);
  EXPECT_NE(v1->version_id, v2->version_id);
  EXPECT_TRUE(v2->is_latest);
  EXPECT_EQ(*Bytes("history", "k"), "second");
  EXPECT_EQ(*Bytes("history", "k", v1->version_id), "first");
  auto old = store_->GetObject("history", "k", v1->version_id, false);
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->record.is_latest);
  EXPECT_EQ(ListedVersions("history", {}),
            (std::vector<std::string>{"k@" + v2->version_id + "*", "k@" + v1->version_id}));

  auto marker = Delete("history", "k");
  ASSERT_TRUE(marker.ok());
  EXPECT_TRUE(marker->removed);
  EXPECT_TRUE(marker->delete_marker);
  EXPECT_FALSE(marker->version_id.empty());
  EXPECT_NE(marker->version_id, kNullVersionId);
  auto current = store_->GetObject("history", "k", "", true);
  ASSERT_TRUE(current.ok()) << "a current delete marker is returned as a record";
  EXPECT_TRUE(current->record.delete_marker);
  EXPECT_TRUE(current->record.is_latest);
  EXPECT_EQ(current->record.version_id, marker->version_id);
  EXPECT_EQ(current->body, nullptr);
  auto marker_by_id = store_->GetObject("history", "k", marker->version_id, true);
  ASSERT_TRUE(marker_by_id.ok());
  EXPECT_TRUE(marker_by_id->record.delete_marker);
  EXPECT_EQ(marker_by_id->body, nullptr);
  EXPECT_TRUE(ListedKeys("history", {}).empty());
  EXPECT_EQ(*Bytes("history", "k", v2->version_id), "second");

  // Another delete adds another marker (S3 does, even over a marker).
  auto marker2 = Delete("history", "k");
  ASSERT_TRUE(marker2.ok());
  EXPECT_TRUE(marker2->delete_marker);
  EXPECT_NE(marker2->version_id, marker->version_id);
  EXPECT_EQ(ListedVersions("history", {}),
            (std::vector<std::string>{"k@" + marker2->version_id + "*(marker)", "k@" + marker->version_id + "(marker)",
                                      "k@" + v2->version_id, "k@" + v1->version_id}));

  // Removing the markers by id makes v2 current again.
  auto gone = Delete("history", "k", marker2->version_id);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->removed);
  EXPECT_TRUE(gone->delete_marker);
  EXPECT_EQ(gone->version_id, marker2->version_id);
  ASSERT_TRUE(Delete("history", "k", marker->version_id).ok());
  EXPECT_EQ(*Bytes("history", "k"), "second");
  EXPECT_EQ(ListedKeys("history", {}), (std::vector<std::string>{"k"}));
  EXPECT_TRUE(store_->GetObject("history", "k", "", false)->record.is_latest);

  // Removing the current version makes the one before it current.
  auto removed = Delete("history", "k", v2->version_id);
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->removed);
  EXPECT_FALSE(removed->delete_marker);
  EXPECT_EQ(removed->version_id, v2->version_id);
  EXPECT_EQ(*Bytes("history", "k"), "first");
  EXPECT_EQ(CodeOf(store_->GetObject("history", "k", v2->version_id, false)), StoreErrc::VersionNotFound);
  EXPECT_EQ(ListedVersions("history", {}), (std::vector<std::string>{"k@" + v1->version_id + "*"}));

  // A version that does not exist: nothing removed (S3 answers 204), nothing changed.
  auto nothing = Delete("history", "k", "no-such-version");
  ASSERT_TRUE(nothing.ok());
  EXPECT_FALSE(nothing->removed);
  auto nothing_at_all = Delete("history", "no-such-key", "no-such-version");
  ASSERT_TRUE(nothing_at_all.ok());
  EXPECT_FALSE(nothing_at_all->removed);
  EXPECT_EQ(ListedVersions("history", {}), (std::vector<std::string>{"k@" + v1->version_id + "*"}));

  // The last version removed: the key is gone.
  ASSERT_TRUE(Delete("history", "k", v1->version_id).ok());
  EXPECT_EQ(CodeOf(store_->GetObject("history", "k", "", false)), StoreErrc::ObjectNotFound);
  EXPECT_EQ(CodeOf(store_->GetObject("history", "k", v1->version_id, false)), StoreErrc::ObjectNotFound);
  EXPECT_TRUE(ListedVersions("history", {}).empty());
}

TEST_P(S3StoreConformance, SuspendedReplacesOnlyTheNullVersion) {
  MakeBucket("suspended");
  auto plain = Put("suspended", "k", "from before versioning");
  ASSERT_TRUE(plain.ok());
  SetVersioning("suspended", Versioning::Enabled);
  auto v1 = Put("suspended", "k", "enabled one");
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(ListedVersions("suspended", {}),
            (std::vector<std::string>{"k@" + v1->version_id + "*", "k@null"}));
  EXPECT_EQ(*Bytes("suspended", "k", "null"), "from before versioning");

  SetVersioning("suspended", Versioning::Suspended);
  auto null2 = Put("suspended", "k", "suspended one");
  ASSERT_TRUE(null2.ok());
  EXPECT_EQ(null2->version_id, kNullVersionId);
  // The old "null" version is replaced, and the new one is the newest.
  EXPECT_EQ(ListedVersions("suspended", {}),
            (std::vector<std::string>{"k@null*", "k@" + v1->version_id}));
  EXPECT_EQ(*Bytes("suspended", "k"), "suspended one");
  EXPECT_EQ(*Bytes("suspended", "k", "null"), "suspended one");
  EXPECT_EQ(*Bytes("suspended", "k", v1->version_id), "enabled one");

  // A delete replaces the "null" version with a "null" delete marker.
  auto marker = Delete("suspended", "k");
  ASSERT_TRUE(marker.ok());
  EXPECT_TRUE(marker->removed);
  EXPECT_TRUE(marker->delete_marker);
  EXPECT_EQ(marker->version_id, kNullVersionId);
  EXPECT_EQ(ListedVersions("suspended", {}),
            (std::vector<std::string>{"k@null*(marker)", "k@" + v1->version_id}));
  EXPECT_TRUE(ListedKeys("suspended", {}).empty());
  // And a put replaces the marker.
  ASSERT_TRUE(Put("suspended", "k", "back").ok());
  EXPECT_EQ(ListedVersions("suspended", {}), (std::vector<std::string>{"k@null*", "k@" + v1->version_id}));

  // A key with only real ids: a suspended put adds "null" in front and keeps them.
  SetVersioning("suspended", Versioning::Enabled);
  auto w1 = Put("suspended", "w", "w1");
  ASSERT_TRUE(w1.ok());
  SetVersioning("suspended", Versioning::Suspended);
  auto marker_w = Delete("suspended", "w");
  ASSERT_TRUE(marker_w.ok());
  EXPECT_EQ(marker_w->version_id, kNullVersionId);
  EXPECT_EQ(ListedVersions("suspended", {.prefix = "w", .after = "", .limit = 1000}),
            (std::vector<std::string>{"w@null*(marker)", "w@" + w1->version_id}));
  // Deleting the "null" marker by id makes the enabled version current again.
  ASSERT_TRUE(Delete("suspended", "w", "null").ok());
  EXPECT_EQ(*Bytes("suspended", "w"), "w1");

  // Enabled again: versions pile up in front of "null", which stays.
  SetVersioning("suspended", Versioning::Enabled);
  auto v3 = Put("suspended", "k", "enabled again");
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(ListedVersions("suspended", {.prefix = "k", .after = "", .limit = 1000}),
            (std::vector<std::string>{"k@" + v3->version_id + "*", "k@null", "k@" + v1->version_id}));
}

TEST_P(S3StoreConformance, VersionsWrittenInTheSameMillisecondKeepTheirWriteOrder) {
  MakeBucket("same-time", Versioning::Enabled);
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    ObjectRecord record = RecordFor("k", "x");
    record.last_modified_millis = kStart;
    auto put = store_->PutObject("same-time", record, BodyWith("same-time", "x"), {});
    ASSERT_TRUE(put.ok());
    ids.insert(ids.begin(), put->version_id);
  }
  std::vector<std::string> expected;
  for (const auto& id : ids) expected.push_back("k@" + id + (expected.empty() ? "*" : ""));
  EXPECT_EQ(ListedVersions("same-time", {}), expected);
  EXPECT_EQ(store_->GetObject("same-time", "k", "", false)->record.version_id, ids.front());
}

// ---- conditions ----

TEST_P(S3StoreConformance, IfNoneMatchAnyWritesOnlyWhenThereIsNoCurrentObject) {
  MakeBucket("create-only", Versioning::Enabled);
  WriteCondition create_only{.if_none_match_any = true, .if_match_etag = std::nullopt};
  auto first = Put("create-only", "k", "first", create_only);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(CodeOf(Put("create-only", "k", "second", create_only)), StoreErrc::PreconditionFailed);
  EXPECT_EQ(*Bytes("create-only", "k"), "first");
  EXPECT_EQ(ListedVersions("create-only", {}).size(), 1u) << "a failed condition adds no version";
  // A current delete marker: there is no current object, so the write goes through.
  ASSERT_TRUE(Delete("create-only", "k").ok());
  auto after_marker = Put("create-only", "k", "third", create_only);
  ASSERT_TRUE(after_marker.ok()) << ErrcName(CodeOf(after_marker));
  EXPECT_EQ(*Bytes("create-only", "k"), "third");

  // The same in an unversioned bucket, and through CompleteUpload.
  MakeBucket("create-only-plain");
  ASSERT_TRUE(Put("create-only-plain", "k", "first", create_only).ok());
  EXPECT_EQ(CodeOf(Put("create-only-plain", "k", "second", create_only)), StoreErrc::PreconditionFailed);
  ASSERT_TRUE(store_->CreateUpload("create-only-plain", Upload("u", "k", Tick())).ok());
  ASSERT_TRUE(PutPart("create-only-plain", "u", 1, "multipart").ok());
  ObjectRecord record = RecordFor("k", "multipart");
  EXPECT_EQ(CodeOf(store_->CompleteUpload("create-only-plain", "u", {1}, record, create_only)),
            StoreErrc::PreconditionFailed);
  EXPECT_EQ(*Bytes("create-only-plain", "k"), "first");
}

TEST_P(S3StoreConformance, IfMatchEtagWritesOnlyOverThatVersion) {
  MakeBucket("compare", Versioning::Enabled);
  auto first = Put("compare", "k", "first");
  ASSERT_TRUE(first.ok());
  WriteCondition stale{.if_none_match_any = false, .if_match_etag = "\"not-it\""};
  EXPECT_EQ(CodeOf(Put("compare", "k", "lost", stale)), StoreErrc::PreconditionFailed);
  EXPECT_EQ(*Bytes("compare", "k"), "first");
  WriteCondition matching{.if_none_match_any = false, .if_match_etag = first->etag};
  auto second = Put("compare", "k", "second", matching);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*Bytes("compare", "k"), "second");
  // The ETag that matched before is stale now.
  EXPECT_EQ(CodeOf(Put("compare", "k", "third", matching)), StoreErrc::PreconditionFailed);
  // No current object (absent, or a delete marker): S3 answers 404.
  EXPECT_EQ(CodeOf(Put("compare", "absent", "x", matching)), StoreErrc::ObjectNotFound);
  ASSERT_TRUE(Delete("compare", "k").ok());
  WriteCondition second_etag{.if_none_match_any = false, .if_match_etag = second->etag};
  EXPECT_EQ(CodeOf(Put("compare", "k", "over a marker", second_etag)), StoreErrc::ObjectNotFound);
  EXPECT_EQ(ListedVersions("compare", {}).size(), 3u);

  // Conditional deletes: the current version must have that ETag.
  MakeBucket("compare-delete");
  auto kept = Put("compare-delete", "k", "kept");
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(CodeOf(Delete("compare-delete", "k", "", stale)), StoreErrc::PreconditionFailed);
  EXPECT_EQ(*Bytes("compare-delete", "k"), "kept");
  WriteCondition kept_etag{.if_none_match_any = false, .if_match_etag = kept->etag};
  EXPECT_EQ(CodeOf(Delete("compare-delete", "absent", "", kept_etag)), StoreErrc::ObjectNotFound);
  auto deleted = Delete("compare-delete", "k", "", kept_etag);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(deleted->removed);
  EXPECT_EQ(CodeOf(store_->GetObject("compare-delete", "k", "", false)), StoreErrc::ObjectNotFound);
}

TEST_P(S3StoreConformance, UpdateObjectAttributesRewritesOnlyTheDocument) {
  MakeBucket("tags", Versioning::Enabled);
  auto v1 = Put("tags", "k", "one");
  auto v2 = Put("tags", "k", "two");
  ASSERT_TRUE(v1.ok() && v2.ok());
  auto updated = store_->UpdateObjectAttributes("tags", "k", "", [](std::string& document) {
    document = R"({"tags":"current"})";
  });
  ASSERT_TRUE(updated.ok()) << updated.error().detail;
  EXPECT_EQ(updated->version_id, v2->version_id);
  EXPECT_EQ(updated->attributes_json, R"({"tags":"current"})");
  EXPECT_EQ(updated->etag, v2->etag);
  EXPECT_EQ(updated->size, 3u);
  std::string seen;
  auto old = store_->UpdateObjectAttributes("tags", "k", v1->version_id, [&](std::string& document) {
    seen = document;
    document += " ";
  });
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(seen, v1->attributes_json) << "the update sees the document as stored";
  EXPECT_EQ(store_->GetObject("tags", "k", v1->version_id, false)->record.attributes_json, v1->attributes_json + " ");
  auto current = store_->GetObject("tags", "k", "", false);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->record.attributes_json, R"({"tags":"current"})");
  EXPECT_EQ(current->record.etag, v2->etag);
  EXPECT_EQ(current->record.last_modified_millis, v2->last_modified_millis);
  EXPECT_EQ(*Bytes("tags", "k"), "two");
  EXPECT_EQ(*Bytes("tags", "k", v1->version_id), "one");
  EXPECT_EQ(ListedVersions("tags", {}).size(), 2u) << "an attributes update adds no version";

  EXPECT_EQ(CodeOf(store_->UpdateObjectAttributes("tags", "absent", "", [](std::string&) {})),
            StoreErrc::ObjectNotFound);
  EXPECT_EQ(CodeOf(store_->UpdateObjectAttributes("tags", "k", "no-such", [](std::string&) {})),
            StoreErrc::VersionNotFound);
  // A current delete marker has no document to tag.
  ASSERT_TRUE(Delete("tags", "k").ok());
  EXPECT_FALSE(store_->UpdateObjectAttributes("tags", "k", "", [](std::string& document) { document.clear(); }).ok());
}

// ---- listings ----

TEST_P(S3StoreConformance, ListObjectsInByteOrderWithPrefixAfterAndLimit) {
  MakeBucket("order");
  const std::vector<std::string> keys = {
      "a", "a/b", "a-c", "a/", "a//b", "a.b", std::string("\x01"), " ", "-", "/", "0", "A", "z",
      "\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", "a\xc3\xa9", "a/\xf0\x9f\x98\x80", "\x7f", "ab"};
  for (const auto& key : keys) ASSERT_TRUE(Put("order", key, key).ok()) << Printable(key);
  const auto sorted = SortedAsBytes(keys);
  EXPECT_EQ(ListedKeys("order", {}), sorted);

  // Pages of 3, each starting after the last key of the one before.
  std::vector<std::string> paged;
  KeyRange range{.prefix = "", .after = "", .limit = 3};
  while (true) {
    auto page = ListedKeys("order", range);
    ASSERT_LE(page.size(), 3u);
    if (page.empty()) break;
    paged.insert(paged.end(), page.begin(), page.end());
    range.after = page.back();
    ASSERT_LE(paged.size(), keys.size());
  }
  EXPECT_EQ(paged, sorted);

  auto expect_filtered = [&](const std::string& prefix, const std::string& after, std::size_t limit) {
    std::vector<std::string> expected;
    for (const auto& key : sorted) {
      if (expected.size() == limit) break;
      if (key.compare(0, prefix.size(), prefix) != 0) continue;
      if (!after.empty() && SortedAsBytes({key, after}).front() == key) continue;  // key <= after
      expected.push_back(key);
    }
    EXPECT_EQ(ListedKeys("order", {.prefix = prefix, .after = after, .limit = limit}), expected)
        << "prefix " << Printable(prefix) << " after " << Printable(after) << " limit " << limit;
  };
  expect_filtered("a", "", 1000);
  expect_filtered("a/", "", 1000);
  expect_filtered("a/", "a/", 1000);
  expect_filtered("a", "a", 2);
  expect_filtered("", "a/", 1000);
  expect_filtered("", "a0", 1000);  // an after bound that is not a key
  expect_filtered("", "\xc3", 1000);
  expect_filtered("\xe6", "", 1000);
  expect_filtered("a/", "b", 1000);  // after beyond the prefix
  expect_filtered("nothing", "", 1000);
  EXPECT_TRUE(ListedKeys("order", {.prefix = "", .after = "", .limit = 0}).empty());
}

TEST_P(S3StoreConformance, ListObjectsShowsCurrentVersionsOnly) {
  MakeBucket("current", Versioning::Enabled);
  ASSERT_TRUE(Put("current", "a", "1").ok());
  ASSERT_TRUE(Put("current", "a", "22").ok());
  ASSERT_TRUE(Put("current", "b", "1").ok());
  ASSERT_TRUE(Delete("current", "b").ok());
  ASSERT_TRUE(Put("current", "c", "1").ok());
  auto listed = store_->ListObjects("current", {});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "a");
  EXPECT_EQ((*listed)[0].size, 2u);
  EXPECT_EQ((*listed)[1].key, "c");
  // A page limit counts listed objects, not the delete markers skipped.
  EXPECT_EQ(ListedKeys("current", {.prefix = "", .after = "a", .limit = 1}), (std::vector<std::string>{"c"}));
}

TEST_P(S3StoreConformance, ListVersionsNewestFirstAndResumesAfterAKeyAndVersion) {
  MakeBucket("versions", Versioning::Enabled);
  std::vector<std::string> expected;  // built newest first within each key, keys in byte order
  std::vector<std::pair<std::string, std::string>> ids;
  auto put = [&](const std::string& key) {
    auto record = Put("versions", key, key);
    ASSERT_TRUE(record.ok());
    ids.emplace_back(key, record->version_id);
  };
  put("k2");
  put("k1");
  put("k1");
  put("k3");
  put("k1");
  ASSERT_TRUE(Delete("versions", "k2").ok());
  put("k2/x");
  auto all = store_->ListVersions("versions", {}, "");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 7u);
  std::vector<std::string> listed_keys;
  for (const auto& record : *all) listed_keys.push_back(record.key);
  EXPECT_EQ(listed_keys, (std::vector<std::string>{"k1", "k1", "k1", "k2", "k2", "k2/x", "k3"}));
  EXPECT_EQ((*all)[0].version_id, ids[4].second);
  EXPECT_EQ((*all)[1].version_id, ids[2].second);
  EXPECT_EQ((*all)[2].version_id, ids[1].second);
  EXPECT_TRUE((*all)[0].is_latest);
  EXPECT_FALSE((*all)[1].is_latest);
  EXPECT_TRUE((*all)[3].delete_marker);
  EXPECT_TRUE((*all)[3].is_latest);
  EXPECT_EQ((*all)[4].version_id, ids[0].second);
  EXPECT_FALSE((*all)[4].is_latest);

  // Resumed after every (key, version) in turn with pages of 1 and 2: the rest, in order.
  for (std::size_t limit : {1u, 2u}) {
    std::vector<std::string> paged;
    std::string after, after_version;
    for (int guard = 0; guard < 20; ++guard) {
      auto page = store_->ListVersions("versions", {.prefix = "", .after = after, .limit = limit}, after_version);
      ASSERT_TRUE(page.ok());
      ASSERT_LE(page->size(), limit);
      if (page->empty()) break;
      for (const auto& record : *page) paged.push_back(record.key + "@" + record.version_id);
      after = page->back().key;
      after_version = page->back().version_id;
    }
    std::vector<std::string> whole;
    for (const auto& record : *all) whole.push_back(record.key + "@" + record.version_id);
    EXPECT_EQ(paged, whole) << "pages of " << limit;
  }
  // An empty version id starts after all of the key's versions.
  auto after_k1 = ListedVersions("versions", {.prefix = "", .after = "k1", .limit = 1000});
  ASSERT_EQ(after_k1.size(), 4u);
  EXPECT_EQ(after_k1[0].substr(0, 3), "k2@");
  auto prefixed = ListedVersions("versions", {.prefix = "k2", .after = "", .limit = 1000});
  EXPECT_EQ(prefixed.size(), 3u);
  auto middle = ListedVersions("versions", {.prefix = "k1", .after = "k1", .limit = 1000}, ids[2].second);
  EXPECT_EQ(middle, (std::vector<std::string>{"k1@" + ids[1].second}));
}

// ---- keys that are hard as paths ----

TEST_P(S3StoreConformance, KeysThatAreHardAsPathsRoundTrip) {
  for (Versioning versioning : {Versioning::Unversioned, Versioning::Enabled}) {
    const std::string bucket = versioning == Versioning::Enabled ? "hard-versioned" : "hard";
    SCOPED_TRACE(bucket);
    MakeBucket(bucket, versioning);
    const auto keys = HardKeys();
    std::uint32_t seed = 100;
    for (const auto& key : keys) {
      ASSERT_TRUE(Put(bucket, key, "old " + key).ok()) << Printable(key);
      auto put = Put(bucket, key, PatternBytes(10 + key.size() % 7, ++seed) + key);
      ASSERT_TRUE(put.ok()) << Printable(key) << ": " << put.error().detail;
      EXPECT_EQ(put->key, key);
    }
    seed = 100;
    for (const auto& key : keys) {
      auto bytes = Bytes(bucket, key);
      ASSERT_TRUE(bytes.ok()) << Printable(key) << ": " << ErrcName(CodeOf(bytes));
      EXPECT_TRUE(*bytes == PatternBytes(10 + key.size() % 7, ++seed) + key) << Printable(key);
      auto record = store_->GetObject(bucket, key, "", false);
      ASSERT_TRUE(record.ok());
      EXPECT_EQ(record->record.key, key);
    }
    EXPECT_EQ(ListedKeys(bucket, {}), SortedAsBytes(keys));
    EXPECT_EQ(ListedVersions(bucket, {}).size(), keys.size() * (versioning == Versioning::Enabled ? 2 : 1));
    for (const auto& key : keys) {
      auto deleted = Delete(bucket, key);
      ASSERT_TRUE(deleted.ok()) << Printable(key);
      EXPECT_TRUE(deleted->removed) << Printable(key);
      EXPECT_FALSE(Bytes(bucket, key).ok()) << Printable(key);
    }
    EXPECT_TRUE(ListedKeys(bucket, {}).empty());
    // Multipart completion onto a hard key.
    ASSERT_TRUE(store_->CreateUpload(bucket, Upload("u", "a/../b", Tick())).ok());
    ASSERT_TRUE(PutPart(bucket, "u", 1, "joined").ok());
    ObjectRecord record = RecordFor("a/../b", "joined");
    ASSERT_TRUE(store_->CompleteUpload(bucket, "u", {1}, record, {}).ok());
    EXPECT_EQ(*Bytes(bucket, "a/../b"), "joined");
    EXPECT_FALSE(Bytes(bucket, "b").ok()) << "\"a/../b\" and \"b\" are different keys";
  }
}

// ---- multipart uploads ----

TEST_P(S3StoreConformance, UploadsCreateGetAndListByKeyThenInitiation) {
  MakeBucket("uploads");
  MakeBucket("other");
  ASSERT_TRUE(store_->CreateUpload("uploads", Upload("id-b", "b", kStart + 3)).ok());
  ASSERT_TRUE(store_->CreateUpload("uploads", Upload("id-a-late", "a", kStart + 5)).ok());
  ASSERT_TRUE(store_->CreateUpload("uploads", Upload("id-a-early", "a", kStart + 1)).ok());
  ASSERT_TRUE(store_->CreateUpload("uploads", Upload("id-a/x", "a/x", kStart + 2)).ok());
  ASSERT_TRUE(store_->CreateUpload("uploads", Upload("id-c", "c", kStart + 4)).ok());

  auto got = store_->GetUpload("uploads", "id-a-late");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->upload_id, "id-a-late");
  EXPECT_EQ(got->key, "a");
  EXPECT_EQ(got->initiated_millis, kStart + 5);
  EXPECT_EQ(got->owner_account, kOwner);
  EXPECT_EQ(got->attributes_json, Upload("id-a-late", "a", 0).attributes_json);
  EXPECT_EQ(CodeOf(store_->GetUpload("uploads", "nope")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->GetUpload("other", "id-a-late")), StoreErrc::UploadNotFound);
  EXPECT_TRUE(ListedKeys("uploads", {}).empty()) << "an upload in progress is no object";

  auto ids = [&](const KeyRange& range, const std::string& after_upload_id) {
    auto listed = store_->ListUploads("uploads", range, after_upload_id);
    EXPECT_TRUE(listed.ok());
    std::vector<std::string> out;
    if (listed.ok()) {
      for (const auto& upload : *listed) out.push_back(upload.upload_id);
    }
    return out;
  };
  const std::vector<std::string> all = {"id-a-early", "id-a-late", "id-a/x", "id-b", "id-c"};
  EXPECT_EQ(ids({}, ""), all);
  std::vector<std::string> paged;
  KeyRange range{.prefix = "", .after = "", .limit = 2};
  std::string after_upload_id;
  for (int guard = 0; guard < 10; ++guard) {
    auto listed = store_->ListUploads("uploads", range, after_upload_id);
    ASSERT_TRUE(listed.ok());
    ASSERT_LE(listed->size(), 2u);
    if (listed->empty()) break;
    for (const auto& upload : *listed) paged.push_back(upload.upload_id);
    range.after = listed->back().key;
    after_upload_id = listed->back().upload_id;
  }
  EXPECT_EQ(paged, all);
  EXPECT_EQ(ids({.prefix = "", .after = "a", .limit = 1000}, ""),
            (std::vector<std::string>{"id-a/x", "id-b", "id-c"}));
  EXPECT_EQ(ids({.prefix = "", .after = "a", .limit = 1000}, "id-a-early"),
            (std::vector<std::string>{"id-a-late", "id-a/x", "id-b", "id-c"}));
  EXPECT_EQ(ids({.prefix = "a", .after = "", .limit = 1000}, ""),
            (std::vector<std::string>{"id-a-early", "id-a-late", "id-a/x"}));
  EXPECT_EQ(ids({.prefix = "a/", .after = "", .limit = 1000}, ""), (std::vector<std::string>{"id-a/x"}));
  EXPECT_TRUE(store_->ListUploads("other", {}, "")->empty());
}

TEST_P(S3StoreConformance, PartsArePutReplacedListedAndAbortedWithTheUpload) {
  MakeBucket("parts");
  MakeBucket("foreign");
  ASSERT_TRUE(store_->CreateUpload("parts", Upload("u", "k", Tick())).ok());
  EXPECT_TRUE(store_->ListParts("parts", "u")->empty());
  auto p3 = PutPart("parts", "u", 3, "three");
  ASSERT_TRUE(p3.ok()) << p3.error().detail;
  EXPECT_EQ(p3->number, 3u);
  EXPECT_EQ(p3->size, 5u);
  ASSERT_TRUE(PutPart("parts", "u", 1, "one").ok());
  ASSERT_TRUE(PutPart("parts", "u", 10000, "last").ok());
  auto replaced = PutPart("parts", "u", 1, "ONE, again");
  ASSERT_TRUE(replaced.ok());
  auto parts = store_->ListParts("parts", "u");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].number, 1u);
  EXPECT_EQ((*parts)[0].size, 10u);
  EXPECT_EQ((*parts)[0].etag, replaced->etag);
  EXPECT_EQ((*parts)[0].last_modified_millis, replaced->last_modified_millis);
  EXPECT_EQ((*parts)[0].attributes_json, R"({"checksum":"x"})");
  EXPECT_EQ((*parts)[1].number, 3u);
  EXPECT_EQ((*parts)[2].number, 10000u);

  // Another bucket does not know the upload.
  EXPECT_EQ(CodeOf(PutPart("foreign", "u", 2, "x")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->ListParts("foreign", "u")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->AbortUpload("foreign", "u")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->CompleteUpload("foreign", "u", {1}, RecordFor("k", "x"), {})), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(PutPart("parts", "nope", 2, "x")), StoreErrc::UploadNotFound);

  ASSERT_TRUE(store_->AbortUpload("parts", "u").ok());
  EXPECT_EQ(CodeOf(store_->GetUpload("parts", "u")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->ListParts("parts", "u")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(PutPart("parts", "u", 2, "x")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->AbortUpload("parts", "u")), StoreErrc::UploadNotFound);
  EXPECT_TRUE(store_->ListUploads("parts", {}, "")->empty());
  EXPECT_TRUE(ListedKeys("parts", {}).empty());
  EXPECT_TRUE(store_->DeleteBucket("parts").ok()) << "an aborted upload left parts behind";
}

TEST_P(S3StoreConformance, CompleteJoinsTheNamedPartsAndEndsTheUpload) {
  MakeBucket("complete");
  ASSERT_TRUE(store_->CreateUpload("complete", Upload("u", "big", Tick())).ok());
  const std::string p1 = PatternBytes((1u << 20) + 1, 1), p2 = PatternBytes(1000, 2),
                    p3 = PatternBytes(2u << 20, 3), p5 = PatternBytes(1, 5);
  ASSERT_TRUE(PutPart("complete", "u", 1, p1).ok());
  ASSERT_TRUE(PutPart("complete", "u", 2, p2).ok());
  ASSERT_TRUE(PutPart("complete", "u", 3, p3).ok());
  ASSERT_TRUE(PutPart("complete", "u", 5, p5).ok());

  // A part that was never uploaded: PartNotFound, and the upload is still in progress.
  ObjectRecord record = RecordFor("big", "");
  record.etag = "\"abc-3\"";
  EXPECT_EQ(CodeOf(store_->CompleteUpload("complete", "u", {1, 4, 5}, record, {})), StoreErrc::PartNotFound);
  EXPECT_TRUE(store_->GetUpload("complete", "u").ok());
  EXPECT_EQ(store_->ListParts("complete", "u")->size(), 4u);
  EXPECT_EQ(CodeOf(store_->GetObject("complete", "big", "", false)), StoreErrc::ObjectNotFound);

  record.size = p1.size() + p3.size() + p5.size();
  auto completed = store_->CompleteUpload("complete", "u", {1, 3, 5}, record, {});
  ASSERT_TRUE(completed.ok()) << completed.error().detail;
  EXPECT_EQ(completed->key, "big");
  EXPECT_EQ(completed->size, p1.size() + p3.size() + p5.size());
  EXPECT_EQ(completed->etag, "\"abc-3\"");
  EXPECT_EQ(completed->version_id, kNullVersionId);
  EXPECT_TRUE(completed->is_latest);
  auto bytes = Bytes("complete", "big");
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(*bytes == p1 + p3 + p5) << "the object is not the parts joined in order";
  EXPECT_EQ(store_->GetObject("complete", "big", "", false)->record.size, p1.size() + p3.size() + p5.size());
  EXPECT_EQ(CodeOf(store_->GetUpload("complete", "u")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->ListParts("complete", "u")), StoreErrc::UploadNotFound);
  EXPECT_EQ(CodeOf(store_->CompleteUpload("complete", "u", {1}, record, {})), StoreErrc::UploadNotFound);
  EXPECT_TRUE(store_->ListUploads("complete", {}, "")->empty());

  // The unused part 2 went with the upload: only the object is left.
  ASSERT_TRUE(Delete("complete", "big").ok());
  EXPECT_TRUE(store_->DeleteBucket("complete").ok());
}

TEST_P(S3StoreConformance, CompleteAppliesVersioningAsPutDoes) {
  MakeBucket("multi", Versioning::Enabled);
  auto v1 = Put("multi", "k", "single put");
  ASSERT_TRUE(v1.ok());
  auto reader = store_->GetObject("multi", "k", "", true);
  ASSERT_TRUE(reader.ok() && reader->body);
  ASSERT_TRUE(store_->CreateUpload("multi", Upload("u", "k", Tick())).ok());
  ASSERT_TRUE(PutPart("multi", "u", 1, "multi").ok());
  ASSERT_TRUE(PutPart("multi", "u", 2, "part").ok());
  ObjectRecord record = RecordFor("k", "multipart");
  auto v2 = store_->CompleteUpload("multi", "u", {1, 2}, record, {});
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version_id, record.version_id);
  EXPECT_EQ(ListedVersions("multi", {}),
            (std::vector<std::string>{"k@" + v2->version_id + "*", "k@" + v1->version_id}));
  EXPECT_EQ(*Bytes("multi", "k"), "multipart");
  EXPECT_EQ(*Bytes("multi", "k", v1->version_id), "single put");
  EXPECT_EQ(*ReadAll(*reader->body), "single put");

  SetVersioning("multi", Versioning::Suspended);
  ASSERT_TRUE(store_->CreateUpload("multi", Upload("u2", "k", Tick())).ok());
  ASSERT_TRUE(PutPart("multi", "u2", 1, "suspended").ok());
  auto null_version = store_->CompleteUpload("multi", "u2", {1}, RecordFor("k", "suspended"), {});
  ASSERT_TRUE(null_version.ok());
  EXPECT_EQ(null_version->version_id, kNullVersionId);
  EXPECT_EQ(ListedVersions("multi", {}).size(), 3u);

  MakeBucket("multi-plain");
  ASSERT_TRUE(Put("multi-plain", "k", "old").ok());
  ASSERT_TRUE(store_->CreateUpload("multi-plain", Upload("u", "k", Tick())).ok());
  ASSERT_TRUE(PutPart("multi-plain", "u", 7, "new").ok());
  auto replaced = store_->CompleteUpload("multi-plain", "u", {7}, RecordFor("k", "new"), {});
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->version_id, kNullVersionId);
  EXPECT_EQ(ListedVersions("multi-plain", {}), (std::vector<std::string>{"k@null*"}));
  EXPECT_EQ(*Bytes("multi-plain", "k"), "new");
}

// ---- reset ----

TEST_P(S3StoreConformance, ResetDropsEverything) {
  MakeBucket("one", Versioning::Enabled);
  MakeBucket("two");
  ASSERT_TRUE(Put("one", "k", "v").ok());
  ASSERT_TRUE(Put("two", "k", "v").ok());
  ASSERT_TRUE(store_->CreateUpload("two", Upload("u", "k", Tick())).ok());
  ASSERT_TRUE(PutPart("two", "u", 1, "p").ok());
  store_->Reset();
  EXPECT_TRUE(store_->ListBuckets()->empty());
  EXPECT_EQ(CodeOf(store_->GetBucket("one")), StoreErrc::BucketNotFound);
  MakeBucket("one");
  EXPECT_EQ(store_->GetBucket("one")->versioning, Versioning::Unversioned);
  EXPECT_TRUE(ListedVersions("one", {}).empty());
  EXPECT_EQ(CodeOf(store_->GetUpload("one", "u")), StoreErrc::UploadNotFound);
}

}  // namespace mallard::s3::conformance

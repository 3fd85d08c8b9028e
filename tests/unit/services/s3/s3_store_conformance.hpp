#pragma once
// The S3Store conformance suite: behaviour every S3Store must share. A store instantiates it in its
// own test file with a factory (tests/unit/services/s3/<store>/…):
//   INSTANTIATE_TEST_SUITE_P(Memory, S3StoreConformance, testing::Values(S3StoreFactory{…}), FactoryName);
// The factory returns a fresh, empty store for every case; a store that needs a directory makes a
// temporary one and removes it when the last reference goes (a shared_ptr with a deleter that
// does both), so the suite never knows about paths.
// The cases live in s3_store_conformance.cpp and (a seeded randomised comparison with a reference
// model; MALLARD_S3_STORE_SEED=n replays) s3_store_conformance_random.cpp, both compiled into each
// store's test executable. Times are passed in by hand, so nothing sleeps.
//
// Where s3_store.hpp leaves a choice open, the suite takes S3's behaviour and says so here:
//  - DeleteObject naming a version that does not exist (or a key that does not) succeeds with
//    removed = false, as S3 answers 204 to it; it is not VersionNotFound.
//  - WriteCondition::if_match_etag when the key has no current object (absent, or its current
//    version is a delete marker) fails with ObjectNotFound: S3 answers 404 NoSuchKey, not 412.
//  - An unversioned delete that removed the object reports version_id empty; a delete that names a
//    version reports that id; a delete under Suspended reports "null".
//  - "Newest first" is the order the versions were written, not their ids or times: two versions
//    written in the same millisecond keep their write order, and a Suspended write of the "null"
//    version makes it the newest.
//  - Deleting under Enabled always adds a delete marker, even when the key is absent or its current
//    version already is a marker (S3 does).
//  - CompleteUpload joins the named parts in the order given; the record's size is set to their
//    sum; a PartNotFound leaves the upload in progress.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/s3/model/s3_store.hpp"

namespace mallard::s3::conformance {

struct S3StoreFactory {
  std::string name;  // the instantiation's name: "Memory", "File"
  std::function<std::shared_ptr<S3Store>()> make;
};

inline std::string FactoryName(const ::testing::TestParamInfo<S3StoreFactory>& info) { return info.param.name; }

inline constexpr std::int64_t kStart = 1'700'000'000'000;
inline constexpr const char* kOwner = "000000000000";

// A result's error code, or this when it succeeded.
inline constexpr auto kSucceeded = static_cast<StoreErrc>(255);
template <typename T>
StoreErrc CodeOf(const StoreResult<T>& result) {
  return result.ok() ? kSucceeded : result.error().code;
}
inline const char* ErrcName(StoreErrc code) {
  switch (code) {
    case StoreErrc::BucketNotFound: return "BucketNotFound";
    case StoreErrc::BucketExists: return "BucketExists";
    case StoreErrc::BucketNotEmpty: return "BucketNotEmpty";
    case StoreErrc::ObjectNotFound: return "ObjectNotFound";
    case StoreErrc::VersionNotFound: return "VersionNotFound";
    case StoreErrc::UploadNotFound: return "UploadNotFound";
    case StoreErrc::PartNotFound: return "PartNotFound";
    case StoreErrc::PreconditionFailed: return "PreconditionFailed";
    case StoreErrc::Conflict: return "Conflict";
    case StoreErrc::StorageFailed: return "StorageFailed";
    case StoreErrc::Unavailable: return "Unavailable";
  }
  return code == kSucceeded ? "succeeded" : "?";
}

// Keys and bytes for humans: printable ASCII as is, every other byte as \xNN, long ones cut.
std::string Printable(const std::string& text);

// Every byte of a body, read in chunks of `chunk` (odd sizes find off-by-ones).
StoreResult<std::string> ReadAll(BodyReader& reader, std::size_t chunk = 65'537);

// Deterministic bytes of any size, different per `seed`.
std::string PatternBytes(std::size_t size, std::uint32_t seed);

// The keys that are hard to keep as file paths; every store must round-trip each of them.
std::vector<std::string> HardKeys();

class S3StoreConformance : public ::testing::TestWithParam<S3StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr) << GetParam().name << ": the factory made no store";
  }
  void TearDown() override {
    if (store_) store_->Reset();
    store_.reset();
  }

  // Creates a bucket with that versioning (set through UpdateBucket when not Unversioned).
  void MakeBucket(const std::string& name, Versioning versioning = Versioning::Unversioned);
  void SetVersioning(const std::string& bucket, Versioning versioning);

  // A fresh candidate version id: unique, and deliberately not in write order as text, so a store
  // that orders versions by id (instead of by write) is caught.
  std::string NextVersionId();
  std::int64_t Tick() { return clock_ += 1000; }

  // A record for `key` with `bytes`' size, an ETag made from `bytes` and a fresh candidate id and
  // time.
  ObjectRecord RecordFor(const std::string& key, const std::string& bytes);
  // A writer holding `bytes` (appended in pieces of `piece`), or null after a test failure.
  std::unique_ptr<BodyWriter> BodyWith(const std::string& bucket, const std::string& bytes,
                                       std::size_t piece = 1 << 20);
  StoreResult<ObjectRecord> Put(const std::string& bucket, const std::string& key, const std::string& bytes,
                                const WriteCondition& condition = {});
  StoreResult<DeleteOutcome> Delete(const std::string& bucket, const std::string& key,
                                    const std::string& version_id = "", const WriteCondition& condition = {});
  // The bytes of the current version (empty version id) or a named one; the error otherwise.
  StoreResult<std::string> Bytes(const std::string& bucket, const std::string& key,
                                 const std::string& version_id = "");
  std::vector<std::string> ListedKeys(const std::string& bucket, const KeyRange& range);
  // "key@version" per entry, "*" appended to the latest, "(marker)" to delete markers.
  std::vector<std::string> ListedVersions(const std::string& bucket, const KeyRange& range,
                                          const std::string& after_version_id = "");
  StoreResult<PartRecord> PutPart(const std::string& bucket, const std::string& upload_id, std::uint32_t number,
                                  const std::string& bytes);

  std::shared_ptr<S3Store> store_;
  std::int64_t clock_ = kStart;
  std::uint32_t version_counter_ = 0;
};

}  // namespace mallard::s3::conformance

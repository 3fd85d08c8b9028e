// The S3Store conformance suite's seeded randomised cases and races (s3_store_conformance.hpp says
// how a store runs them): long random sequences of calls, each result compared with a reference
// model written here as plainly as S3 reads (ordered maps, a vector of versions per key, newest
// first), and threads racing on one key. The seed is printed; MALLARD_S3_STORE_SEED=n replays.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "s3_store_conformance.hpp"
#include "test_seed.hpp"

namespace mallard::s3::conformance {
namespace {

// One bucket as S3 keeps it: versions per key newest first, uploads with their parts.
struct ModelVersion {
  std::string id;
  bool marker = false;
  std::string bytes;
  std::string etag;
  std::int64_t time = 0;
  std::string attributes;
};
struct ModelUpload {
  std::string key;
  std::int64_t initiated = 0;
  std::map<std::uint32_t, std::string> parts;
};
struct ModelBucket {
  Versioning versioning = Versioning::Unversioned;
  bool ever_enabled = false;
  std::map<std::string, std::vector<ModelVersion>> keys;  // std::string orders bytes as unsigned char
  std::map<std::string, ModelUpload> uploads;

  const ModelVersion* Current(const std::string& key) const {
    auto found = keys.find(key);
    return found == keys.end() || found->second.empty() ? nullptr : &found->second.front();
  }
  bool Empty() const { return keys.empty() && uploads.empty(); }
  // The condition's outcome for a write or delete of `key`, kSucceeded when it holds.
  StoreErrc Check(const std::string& key, const WriteCondition& condition) const {
    const ModelVersion* current = Current(key);
    const bool has_object = current != nullptr && !current->marker;
    if (condition.if_none_match_any && has_object) return StoreErrc::PreconditionFailed;
    if (condition.if_match_etag) {
      if (!has_object) return StoreErrc::ObjectNotFound;
      if (current->etag != *condition.if_match_etag) return StoreErrc::PreconditionFailed;
    }
    return kSucceeded;
  }
  // A new version on top, as the bucket's versioning says; returns its id.
  std::string Add(const std::string& key, ModelVersion version, const std::string& candidate) {
    auto& versions = keys[key];
    if (versioning == Versioning::Enabled) {
      version.id = candidate;
    } else {
      version.id = std::string(kNullVersionId);
      std::erase_if(versions, [](const ModelVersion& v) { return v.id == kNullVersionId; });
    }
    versions.insert(versions.begin(), std::move(version));
    return versions.front().id;
  }
};

std::string Describe(const ObjectRecord& record) {
  return Printable(record.key) + "@" + record.version_id + (record.delete_marker ? " marker" : "") +
         (record.is_latest ? " latest" : "") + " size " + std::to_string(record.size) + " etag " + record.etag +
         " time " + std::to_string(record.last_modified_millis) + " attrs " + record.attributes_json;
}
std::string Describe(const std::string& key, const ModelVersion& version, bool latest) {
  ObjectRecord record;
  record.key = key;
  record.version_id = version.id;
  record.delete_marker = version.marker;
  record.is_latest = latest;
  record.size = version.marker ? 0 : version.bytes.size();
  record.etag = version.marker ? "" : version.etag;
  record.last_modified_millis = version.time;
  record.attributes_json = version.marker ? "" : version.attributes;
  return Describe(record);
}
// Delete markers: key, id, marker, latest and time only (their size, ETag and document are unused).
std::string DescribeListed(const ObjectRecord& record) {
  if (!record.delete_marker) return Describe(record);
  ObjectRecord trimmed = record;
  trimmed.size = 0;
  trimmed.etag.clear();
  trimmed.attributes_json.clear();
  return Describe(trimmed);
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

TEST_P(S3StoreConformance, RandomisedAgainstReferenceModel) {
  const auto seed = mallard::testing::ReplayableSeed("MALLARD_S3_STORE_SEED");
  SCOPED_TRACE(seed.replay);
  std::mt19937_64 random(seed.value);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };

  // A small alphabet, so keys collide often: prefixes of each other, separators, the hard keys.
  std::vector<std::string> keys = {"a", "a/", "a/b", "a-c", "a//b", "a.b", "b", ".", "..", "a/../b",
                                   "trailing/", "/leading", "CON", "new\nline", "\xc3\xa9",
                                   "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", std::string("\x01"), " "};
  for (const auto& hard : HardKeys()) {
    if (hard.size() > 200 && std::find(keys.begin(), keys.end(), hard) == keys.end()) keys.push_back(hard);
  }
  auto some_bound = [&]() -> std::string {
    switch (pick(4)) {
      case 0: return "";
      case 1: return keys[pick(keys.size())];
      case 2: {
        const auto& key = keys[pick(keys.size())];
        return key.substr(0, pick(key.size() + 1));
      }
      default: return keys[pick(keys.size())] + (pick(2) ? "\x01" : "\xff");
    }
  };
  const std::vector<std::string> buckets = {"left", "right"};
  std::map<std::string, ModelBucket> model;
  for (const auto& name : buckets) {
    MakeBucket(name);
    model[name];
  }
  struct OpenReader {
    std::unique_ptr<BodyReader> body;
    std::string bytes;
  };
  std::vector<OpenReader> readers;
  std::uint32_t next_upload = 0;
  std::uint32_t body_seed = 0;

  auto compare_record = [&](const ObjectRecord& got, const std::string& key, const ModelVersion& want, bool latest,
                            const std::string& where) {
    ASSERT_EQ(DescribeListed(got), Describe(key, want, latest)) << where;
  };

  constexpr int kSteps = 2500;
  for (int step = 0; step < kSteps; ++step) {
    const std::string& bucket_name = buckets[pick(buckets.size())];
    ModelBucket& bucket = model[bucket_name];
    const std::string key = keys[pick(keys.size())];
    const std::string where = "step " + std::to_string(step) + " bucket " + bucket_name + " key " + Printable(key);
    // A condition now and then: create-only, the current ETag, or a wrong one.
    WriteCondition condition;
    if (pick(6) == 0) {
      switch (pick(3)) {
        case 0: condition.if_none_match_any = true; break;
        case 1: {
          const ModelVersion* current = bucket.Current(key);
          condition.if_match_etag = current && !current->marker ? current->etag : "\"gone\"";
          break;
        }
        default: condition.if_match_etag = "\"wrong\""; break;
      }
    }
    switch (pick(20)) {
      case 0: case 1: case 2: case 3: {  // PutObject
        const std::string bytes = PatternBytes(pick(4) == 0 ? 0 : pick(3000), ++body_seed);
        ObjectRecord record = RecordFor(key, bytes);
        auto body = BodyWith(bucket_name, bytes, 1 + pick(700));
        ASSERT_NE(body, nullptr) << where;
        auto put = store_->PutObject(bucket_name, record, std::move(body), condition);
        const StoreErrc want = bucket.Check(key, condition);
        ASSERT_EQ(CodeOf(put), want) << where << " PutObject: got " << ErrcName(CodeOf(put)) << ", want "
                                     << ErrcName(want);
        if (!put.ok()) break;
        const std::string id = bucket.Add(
            key, {"", false, bytes, record.etag, record.last_modified_millis, record.attributes_json},
            record.version_id);
        compare_record(*put, key, bucket.keys[key].front(), true, where + " PutObject");
        ASSERT_EQ(put->version_id, id) << where;
        break;
      }
      case 4: case 5: {  // DeleteObject, current
        ObjectRecord marker;
        marker.key = key;
        marker.version_id = NextVersionId();
        marker.delete_marker = true;
        marker.last_modified_millis = Tick();
        marker.owner_account = kOwner;
        if (condition.if_none_match_any) condition = {};  // If-None-Match is not a delete condition
        auto deleted = store_->DeleteObject(bucket_name, key, "", marker, condition);
        const StoreErrc want = bucket.Check(key, condition);
        ASSERT_EQ(CodeOf(deleted), want) << where << " DeleteObject: got " << ErrcName(CodeOf(deleted));
        if (!deleted.ok()) break;
        if (bucket.versioning == Versioning::Unversioned) {
          const bool had = bucket.Current(key) != nullptr;
          ASSERT_EQ(deleted->removed, had) << where;
          if (had) {
            ASSERT_FALSE(deleted->delete_marker) << where;
            ASSERT_EQ(deleted->version_id, "") << where;
          }
          bucket.keys.erase(key);
        } else {
          const std::string id = bucket.Add(key, {"", true, "", "", marker.last_modified_millis, ""}, marker.version_id);
          ASSERT_TRUE(deleted->removed) << where;
          ASSERT_TRUE(deleted->delete_marker) << where;
          ASSERT_EQ(deleted->version_id, id) << where;
        }
        break;
      }
      case 6: case 7: {  // DeleteObject, a version (an existing one, mostly)
        auto found = bucket.keys.find(key);
        std::string id = "no-such-version";
        if (found != bucket.keys.end() && pick(5) != 0) id = found->second[pick(found->second.size())].id;
        auto deleted = store_->DeleteObject(bucket_name, key, id, ObjectRecord{}, {});
        ASSERT_TRUE(deleted.ok()) << where << " DeleteObject " << id << ": " << ErrcName(CodeOf(deleted));
        bool removed = false, was_marker = false;
        if (found != bucket.keys.end()) {
          auto& versions = found->second;
          auto it = std::find_if(versions.begin(), versions.end(), [&](const auto& v) { return v.id == id; });
          if (it != versions.end()) {
            removed = true;
            was_marker = it->marker;
            versions.erase(it);
            if (versions.empty()) bucket.keys.erase(found);
          }
        }
        ASSERT_EQ(deleted->removed, removed) << where << " DeleteObject " << id;
        if (removed) {
          ASSERT_EQ(deleted->delete_marker, was_marker) << where;
          ASSERT_EQ(deleted->version_id, id) << where;
        }
        break;
      }
      case 8: {  // versioning (never back to Unversioned once enabled, as S3)
        Versioning next = pick(2) ? Versioning::Enabled : Versioning::Suspended;
        if (!bucket.ever_enabled && pick(3) == 0) next = Versioning::Unversioned;
        if (next == Versioning::Suspended && !bucket.ever_enabled) next = Versioning::Enabled;
        SetVersioning(bucket_name, next);
        bucket.versioning = next;
        bucket.ever_enabled = bucket.ever_enabled || next == Versioning::Enabled;
        break;
      }
      case 9: case 10: {  // GetObject, current or a version
        auto found = bucket.keys.find(key);
        std::string id;
        if (pick(2) == 0) id = found != bucket.keys.end() && pick(4) != 0 ? found->second[pick(found->second.size())].id
                                                                          : "no-such-version";
        const bool open_body = pick(3) != 0;
        auto got = store_->GetObject(bucket_name, key, id, open_body);
        StoreErrc want = kSucceeded;
        const ModelVersion* version = nullptr;
        bool latest = false;
        if (found == bucket.keys.end()) {
          want = StoreErrc::ObjectNotFound;
        } else if (id.empty()) {
          version = &found->second.front();
          latest = true;
        } else {
          auto& versions = found->second;
          auto it = std::find_if(versions.begin(), versions.end(), [&](const auto& v) { return v.id == id; });
          if (it == versions.end()) {
            want = StoreErrc::VersionNotFound;
          } else {
            version = &*it;
            latest = it == versions.begin();
          }
        }
        ASSERT_EQ(CodeOf(got), want) << where << " GetObject " << id << ": got " << ErrcName(CodeOf(got));
        if (!got.ok()) break;
        compare_record(got->record, key, *version, latest, where + " GetObject " + id);
        if (version->marker || !open_body) {
          ASSERT_EQ(got->body, nullptr) << where;
          break;
        }
        ASSERT_NE(got->body, nullptr) << where;
        if (pick(3) == 0 && readers.size() < 6) {  // keep it open; read it later, after more changes
          readers.push_back({std::move(got->body), version->bytes});
          break;
        }
        auto bytes = ReadAll(*got->body, 1 + pick(1500));
        ASSERT_TRUE(bytes.ok()) << where;
        ASSERT_TRUE(*bytes == version->bytes) << where << " GetObject bytes differ";
        break;
      }
      case 11: {  // a reader opened earlier still reads what it opened
        if (readers.empty()) break;
        const std::size_t index = pick(readers.size());
        ASSERT_EQ(readers[index].body->Size(), readers[index].bytes.size()) << where;
        auto bytes = ReadAll(*readers[index].body, 1 + pick(1500));
        ASSERT_TRUE(bytes.ok()) << where;
        ASSERT_TRUE(*bytes == readers[index].bytes) << where << " an open reader's bytes changed";
        readers.erase(readers.begin() + static_cast<std::ptrdiff_t>(index));
        break;
      }
      case 12: {  // ListObjects page
        const KeyRange range{.prefix = pick(2) ? "" : some_bound(), .after = some_bound(), .limit = 1 + pick(6)};
        auto listed = store_->ListObjects(bucket_name, range);
        ASSERT_TRUE(listed.ok()) << where;
        std::vector<std::string> want, got;
        for (const auto& [k, versions] : bucket.keys) {
          if (want.size() == range.limit) break;
          if (!StartsWith(k, range.prefix) || (!range.after.empty() && k <= range.after)) continue;
          if (versions.front().marker) continue;
          want.push_back(Describe(k, versions.front(), true));
        }
        for (const auto& record : *listed) got.push_back(Describe(record));
        ASSERT_EQ(got, want) << where << " ListObjects prefix " << Printable(range.prefix) << " after "
                             << Printable(range.after) << " limit " << range.limit;
        break;
      }
      case 13: {  // ListVersions page, from a bound or resumed after an existing (key, version)
        KeyRange range{.prefix = pick(2) ? "" : some_bound(), .after = some_bound(), .limit = 1 + pick(6)};
        std::string after_version;
        if (pick(2) == 0 && !bucket.keys.empty()) {
          auto it = bucket.keys.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(bucket.keys.size())));
          range.after = it->first;
          after_version = it->second[pick(it->second.size())].id;
        }
        auto listed = store_->ListVersions(bucket_name, range, after_version);
        ASSERT_TRUE(listed.ok()) << where;
        std::vector<std::string> want, got;
        for (const auto& [k, versions] : bucket.keys) {
          if (!StartsWith(k, range.prefix) || (!range.after.empty() && k < range.after)) continue;
          std::size_t first = 0;
          if (!range.after.empty() && k == range.after) {
            if (after_version.empty()) continue;
            while (first < versions.size() && versions[first].id != after_version) ++first;
            ++first;
          }
          for (std::size_t i = first; i < versions.size() && want.size() < range.limit; ++i) {
            want.push_back(Describe(k, versions[i], i == 0));
          }
        }
        for (const auto& record : *listed) got.push_back(DescribeListed(record));
        ASSERT_EQ(got, want) << where << " ListVersions prefix " << Printable(range.prefix) << " after "
                             << Printable(range.after) << " / " << after_version << " limit " << range.limit;
        break;
      }
      case 14: {  // CreateUpload
        const std::string id = "upload-" + std::to_string(++next_upload);
        UploadRecord upload{id, key, Tick(), kOwner, R"({"u":")" + id + "\"}"};
        ASSERT_TRUE(store_->CreateUpload(bucket_name, upload).ok()) << where;
        bucket.uploads[id] = {key, upload.initiated_millis, {}};
        break;
      }
      case 15: case 16: {  // PutPart
        if (bucket.uploads.empty()) break;
        auto it = bucket.uploads.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(pick(bucket.uploads.size())));
        const auto number = static_cast<std::uint32_t>(1 + pick(5));
        const std::string bytes = PatternBytes(pick(2000), ++body_seed);
        ASSERT_TRUE(PutPart(bucket_name, it->first, number, bytes).ok()) << where;
        it->second.parts[number] = bytes;
        break;
      }
      case 17: {  // CompleteUpload with a random ascending subset (sometimes a missing part), or abort
        if (bucket.uploads.empty()) break;
        auto it = bucket.uploads.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(pick(bucket.uploads.size())));
        const std::string id = it->first;
        if (pick(4) == 0) {
          ASSERT_TRUE(store_->AbortUpload(bucket_name, id).ok()) << where;
          bucket.uploads.erase(it);
          ASSERT_EQ(CodeOf(store_->GetUpload(bucket_name, id)), StoreErrc::UploadNotFound) << where;
          break;
        }
        std::vector<std::uint32_t> numbers;
        bool missing = false;
        std::string bytes;
        for (std::uint32_t n = 1; n <= 5; ++n) {
          if (pick(2) == 0) continue;
          numbers.push_back(n);
          auto part = it->second.parts.find(n);
          if (part == it->second.parts.end()) {
            missing = true;
          } else {
            bytes += part->second;
          }
        }
        if (numbers.empty()) break;
        const std::string upload_key = it->second.key;
        ObjectRecord record = RecordFor(upload_key, bytes);
        record.etag = "\"multi-" + std::to_string(numbers.size()) + "-" + record.version_id + "\"";
        if (condition.if_match_etag) condition = {};  // kept simple: create-only or none
        auto completed = store_->CompleteUpload(bucket_name, id, numbers, record, condition);
        StoreErrc want = missing ? StoreErrc::PartNotFound : bucket.Check(upload_key, condition);
        ASSERT_EQ(CodeOf(completed), want) << where << " CompleteUpload: got " << ErrcName(CodeOf(completed));
        if (!completed.ok()) {
          if (want == StoreErrc::PreconditionFailed) {  // whether the upload stays is not specified
            (void)store_->AbortUpload(bucket_name, id);
            bucket.uploads.erase(id);
          }
          break;
        }
        bucket.Add(upload_key, {"", false, bytes, record.etag, record.last_modified_millis, record.attributes_json},
                   record.version_id);
        bucket.uploads.erase(id);
        ASSERT_EQ(CodeOf(store_->GetUpload(bucket_name, id)), StoreErrc::UploadNotFound) << where << " completed";
        compare_record(*completed, upload_key, bucket.keys[upload_key].front(), true, where + " CompleteUpload");
        break;
      }
      case 18: {  // ListUploads page, or ListParts
        if (pick(2) == 0 && !bucket.uploads.empty()) {
          auto it = bucket.uploads.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(bucket.uploads.size())));
          auto parts = store_->ListParts(bucket_name, it->first);
          ASSERT_TRUE(parts.ok()) << where;
          std::vector<std::pair<std::uint32_t, std::uint64_t>> got, want;
          for (const auto& part : *parts) got.emplace_back(part.number, part.size);
          for (const auto& [number, bytes] : it->second.parts) want.emplace_back(number, bytes.size());
          ASSERT_EQ(got, want) << where << " ListParts";
          break;
        }
        // The model's order: key, then initiation (times are unique here).
        std::vector<std::pair<std::pair<std::string, std::int64_t>, std::string>> ordered;
        for (const auto& [id, upload] : bucket.uploads) ordered.push_back({{upload.key, upload.initiated}, id});
        std::sort(ordered.begin(), ordered.end());
        KeyRange range{.prefix = pick(2) ? "" : some_bound(), .after = some_bound(), .limit = 1 + pick(4)};
        std::string after_id;
        if (pick(2) == 0 && !ordered.empty()) {
          const auto& resume = ordered[pick(ordered.size())];
          range.after = resume.first.first;
          after_id = resume.second;
        }
        std::vector<std::string> want, got;
        bool passed = after_id.empty();
        for (const auto& [order, id] : ordered) {
          const std::string& k = order.first;
          if (!StartsWith(k, range.prefix) || (!range.after.empty() && k < range.after)) continue;
          if (!range.after.empty() && k == range.after) {
            if (!passed) {
              passed = id == after_id;
              continue;
            }
            if (after_id.empty()) continue;
          }
          if (want.size() < range.limit) want.push_back(Printable(k) + "/" + id);
        }
        auto listed = store_->ListUploads(bucket_name, range, after_id);
        ASSERT_TRUE(listed.ok()) << where;
        for (const auto& upload : *listed) got.push_back(Printable(upload.key) + "/" + upload.upload_id);
        ASSERT_EQ(got, want) << where << " ListUploads prefix " << Printable(range.prefix) << " after "
                             << Printable(range.after) << " / " << after_id;
        break;
      }
      default: {  // DeleteBucket: refused while anything is left; made again when it went
        auto deleted = store_->DeleteBucket(bucket_name);
        ASSERT_EQ(CodeOf(deleted), bucket.Empty() ? kSucceeded : StoreErrc::BucketNotEmpty) << where;
        if (deleted.ok()) {
          MakeBucket(bucket_name);
          bucket = ModelBucket{};
        }
        break;
      }
    }
    if (HasFatalFailure()) return;  // compare_record's ASSERT returns from the lambda only
  }
  for (auto& reader : readers) {
    auto bytes = ReadAll(*reader.body);
    ASSERT_TRUE(bytes.ok());
    EXPECT_TRUE(*bytes == reader.bytes) << "an open reader's bytes changed";
  }
}

// ---- races ----

TEST_P(S3StoreConformance, RacingCreateOnlyPutsLetExactlyOneWin) {
  MakeBucket("race");
  constexpr int kThreads = 8;
  std::vector<std::unique_ptr<BodyWriter>> bodies;
  std::vector<ObjectRecord> records;
  for (int i = 0; i < kThreads; ++i) {
    const std::string bytes = "writer " + std::to_string(i);
    bodies.push_back(BodyWith("race", bytes));
    records.push_back(RecordFor("k", bytes));
  }
  std::atomic<int> winners{0}, winner{-1};
  std::vector<StoreErrc> codes(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto put = store_->PutObject("race", records[i], std::move(bodies[i]), {.if_none_match_any = true, .if_match_etag = std::nullopt});
      codes[i] = CodeOf(put);
      if (put.ok()) {
        ++winners;
        winner = i;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(winners.load(), 1);
  for (int i = 0; i < kThreads; ++i) {
    if (i == winner) continue;
    EXPECT_TRUE(codes[i] == StoreErrc::PreconditionFailed || codes[i] == StoreErrc::Conflict) << ErrcName(codes[i]);
  }
  EXPECT_EQ(*Bytes("race", "k"), "writer " + std::to_string(winner.load()));
}

TEST_P(S3StoreConformance, ReadersRacingOverwritesSeeWholeVersionsOnly) {
  MakeBucket("tearing", Versioning::Suspended);
  ASSERT_TRUE(Put("tearing", "k", std::string(1000, 'a')).ok());
  // Every version is one byte repeated, its size tied to the byte: a torn read shows.
  std::vector<std::vector<std::pair<std::unique_ptr<BodyWriter>, ObjectRecord>>> work(3);
  for (int w = 0; w < 3; ++w) {
    for (int i = 0; i < 20; ++i) {
      const char fill = static_cast<char>('b' + (w * 20 + i) % 24);
      const std::string bytes(1000 + static_cast<std::size_t>(fill) * 97, fill);
      work[w].emplace_back(BodyWith("tearing", bytes, 333), RecordFor("k", bytes));
    }
  }
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 3; ++w) {
    threads.emplace_back([&, w] {
      for (auto& [body, record] : work[w]) {
        if (!store_->PutObject("tearing", record, std::move(body), {}).ok()) ++failures;
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&] {
      while (!done) {
        auto opened = store_->GetObject("tearing", "k", "", true);
        if (!opened.ok() || !opened->body) {
          ++failures;
          continue;
        }
        auto bytes = ReadAll(*opened->body, 4096);
        if (!bytes.ok() || bytes->size() != opened->record.size || bytes->empty() ||
            bytes->find_first_not_of((*bytes)[0]) != std::string::npos ||
            (bytes->size() != 1000 + static_cast<std::size_t>((*bytes)[0]) * 97 && (*bytes)[0] != 'a')) {
          ++failures;
        }
      }
    });
  }
  for (int w = 0; w < 3; ++w) threads[w].join();
  done = true;
  for (std::size_t t = 3; t < threads.size(); ++t) threads[t].join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ListedVersions("tearing", {}).size(), 1u) << "Suspended keeps one \"null\" version";
}

TEST_P(S3StoreConformance, RacingWritersOnDistinctKeysAreAllKept) {
  MakeBucket("many", Versioning::Enabled);
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::vector<std::pair<std::unique_ptr<BodyWriter>, ObjectRecord>>> work(kThreads);
  std::vector<std::string> keys;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) {
      const std::string key = std::string("t").append(std::to_string(t)).append("/").append(std::to_string(i));
      keys.push_back(key);
      work[t].emplace_back(BodyWith("many", key), RecordFor(key, key));
    }
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (auto& [body, record] : work[t]) {
        if (!store_->PutObject("many", record, std::move(body), {}).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(ListedKeys("many", {}), keys);
  for (const auto& key : keys) EXPECT_EQ(*Bytes("many", key), key);
}

}  // namespace mallard::s3::conformance

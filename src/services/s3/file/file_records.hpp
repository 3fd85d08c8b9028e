#pragma once
// The file store's sidecar documents (JSON) and their parsers. Every parser accepts any bytes in
// strings (keys need not be UTF-8) and refuses what is not its shape (nullopt): a sidecar damaged
// by hand is treated as absent, never trusted half-read.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/s3/file/file_io.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3::file {

// The record of a key's current version and the identity its body had when the store wrote it: a
// body whose identity differs was changed behind the store's back, and the file wins.
struct CurrentSidecar {
  ObjectRecord record;
  FileIdentity identity;
  bool escaped = false;  // the body is under escaped/ (the key is not a plain path)
};

// One older version (body_name names its body under versions/) or a delete marker (no body).
struct HistoryEntry {
  ObjectRecord record;
  std::string body_name;
};

// A key's versions that are not its current file, newest first. When the key has no current
// file, the first entry is the latest (a delete marker, by the store's invariant).
struct KeyHistory {
  std::string key;
  std::vector<HistoryEntry> entries;
};

struct StoredPart {
  PartRecord record;
  std::string body_name;  // part-<n>.<body_name> in the upload's directory
};

// The ETag the store computed for a file no S3 call wrote, valid while the file keeps `identity`.
struct CachedEtag {
  FileIdentity identity;
  std::string etag;
};

std::string BucketToJson(const BucketRecord& bucket);
std::optional<BucketRecord> BucketFromJson(std::string_view text);

std::string CurrentToJson(const CurrentSidecar& sidecar);
std::optional<CurrentSidecar> CurrentFromJson(std::string_view text);

std::string HistoryToJson(const KeyHistory& history);
std::optional<KeyHistory> HistoryFromJson(std::string_view text);

std::string UploadToJson(const UploadRecord& upload);
std::optional<UploadRecord> UploadFromJson(std::string_view text);

std::string PartToJson(const StoredPart& part);
std::optional<StoredPart> PartFromJson(std::string_view text);

std::string EtagToJson(const CachedEtag& cached);
std::optional<CachedEtag> EtagFromJson(std::string_view text);

// A commit in flight: the steps that take the store from one consistent state to the next, each
// one idempotent, so replaying the whole list after a crash at any point finishes the commit.
struct IntentStep {
  enum class Kind : unsigned char {
    LinkIfIdentity,  // link(source → target) if target is absent and source has `identity`
    Write,           // replace target with `content` (temp + rename)
    Rename,          // rename(source → target) if source exists (parents of target created)
    Unlink,          // unlink(target) if it exists (and has `identity`, when given); empty parents
                     // are removed up to (not including) `source` when it is set
    RemoveTree,      // remove the directory target and everything in it
  };
  Kind kind = Kind::Write;
  std::string source;  // paths relative to ROOT
  std::string target;
  std::string content;
  std::optional<FileIdentity> identity;
};

std::string IntentToJson(const std::vector<IntentStep>& steps);
std::optional<std::vector<IntentStep>> IntentFromJson(std::string_view text);

}  // namespace mallard::s3::file

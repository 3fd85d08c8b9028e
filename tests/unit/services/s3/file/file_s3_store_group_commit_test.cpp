// Group commit (file_s3_group_commit.cpp) under a real kill: a child process runs concurrent
// PutObjects on a durable store — threads racing on a few keys, so batches hold several puts and
// puts of one key wait for each other — and reports through a pipe when each put starts and when
// it is acknowledged. It is SIGKILLed at a seeded random moment. The store opened again is checked
// against a model of what was acknowledged:
//   * every version's bytes are exactly those of the put its record names (no torn state: the
//     record, the ETag and the bytes belong to one put);
//   * each key's current version is a put that started, and no acknowledged put started after it
//     was acknowledged (it was not overwritten by a later commit, then brought back);
//   * under versioning, every acknowledged put is still there, bytes and all.
// MALLARD_S3_GROUP_COMMIT_SEED=n replays one seed (the child's thread timing is not replayable).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "../s3_store_conformance.hpp"
#include "file_s3_test_support.hpp"

namespace mallard::s3::file {
namespace {
namespace fs = std::filesystem;
using conformance::ReadAll;
using testing_support::OpenStore;
using testing_support::QuotedMd5;
using testing_support::TempDir;

// The bytes of put `id`: their length and content follow from the id alone.
std::string ContentOf(const std::string& id) {
  std::uint64_t state = std::hash<std::string>{}(id);
  std::string bytes(state % 9000, '\0');
  for (char& c : bytes) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    c = static_cast<char>(state >> 56);
  }
  return bytes;
}

void WriteLine(int fd, const std::string& line) {
  // One write of less than PIPE_BUF bytes: lines from different threads never interleave.
  const std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) ::_exit(6);
}

[[noreturn]] void RunWriters(const fs::path& root, unsigned seed, int pipe_fd) {
  auto opened = FileS3Store::Open(root);  // durable
  if (!opened.ok()) ::_exit(3);
  S3Store& store = **opened;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&store, seed, pipe_fd, t] {
      std::mt19937 random(seed * 31 + static_cast<unsigned>(t));
      for (int n = 0;; ++n) {
        // Ten keys, two of them a directory and a file below it.
        static const char* kKeys[] = {"a", "b", "c/d", "c/e", "f", "g/h/i", "j", "k", "l/m", "n"};
        const std::string key = kKeys[random() % 10];
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(n);
        const std::string bytes = ContentOf(id);
        WriteLine(pipe_fd, "start " + key + " " + id);
        auto writer = store.NewBody("b");
        if (!writer.ok() || !(*writer)->Append(bytes).ok()) ::_exit(4);
        ObjectRecord record;
        record.key = key;
        record.version_id = id;
        record.size = bytes.size();
        record.etag = QuotedMd5(bytes);
        record.last_modified_millis = 1'700'000'000'000;
        record.attributes_json = "{\"id\":\"" + id + "\"}";
        if (!store.PutObject("b", record, std::move(*writer), {}).ok()) ::_exit(5);
        WriteLine(pipe_fd, "ack " + key + " " + id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ::_exit(7);
}

struct PutEvents {
  std::size_t start = 0;
  std::optional<std::size_t> ack;  // line numbers in the pipe's order
};

TEST(FileS3StoreGroupCommit, AcknowledgedPutsSurviveAKillAndNoObjectIsTorn) {
  unsigned first_seed = std::random_device{}();
  int rounds = 4;
  if (const char* fixed = std::getenv("MALLARD_S3_GROUP_COMMIT_SEED")) {
    first_seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
    rounds = 1;
  }
  for (int round = 0; round < rounds; ++round) {
    const unsigned seed = first_seed + static_cast<unsigned>(round);
    const bool versioned = seed % 2 == 1;
    SCOPED_TRACE("MALLARD_S3_GROUP_COMMIT_SEED=" + std::to_string(seed) + (versioned ? " (versioned)" : ""));
    TempDir dir;
    {
      auto store = OpenStore(dir.path());
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store
                      ->CreateBucket(BucketRecord{"b", "000000000000", "us-east-1", 1'700'000'000'000,
                                                  versioned ? Versioning::Enabled : Versioning::Unversioned, {}})
                      .ok());
    }
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      RunWriters(dir.path(), seed, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    std::string reported;
    std::thread reader([&] {
      char buffer[65536];
      for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) != 0;) {
        if (got < 0) {
          if (errno == EINTR) continue;
          break;
        }
        reported.append(buffer, static_cast<std::size_t>(got));
      }
    });
    std::mt19937 timing(seed);
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + timing() % 700));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    reader.join();
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writers stopped by themselves with " << WEXITSTATUS(status);

    // The model: per key, each put's start and acknowledgement, in the order they were reported.
    std::map<std::string, std::map<std::string, PutEvents>> puts;
    std::istringstream lines(reported);
    std::string line;
    std::size_t number = 0;
    std::size_t acknowledged = 0;
    while (std::getline(lines, line)) {
      if (lines.eof()) break;  // a line cut by the kill (no newline): ignored
      std::istringstream fields(line);
      std::string event, key, id;
      fields >> event >> key >> id;
      if (event == "start") puts[key][id].start = number;
      if (event == "ack") {
        ASSERT_TRUE(puts[key].contains(id)) << line;
        puts[key][id].ack = number;
        ++acknowledged;
      }
      ++number;
    }
    EXPECT_GT(acknowledged, 0u) << "no put was acknowledged before the kill";

    auto store = OpenStore(dir.path());
    ASSERT_NE(store, nullptr);
    auto versions = store->ListVersions("b", {.prefix = "", .after = "", .limit = 1'000'000}, "");
    ASSERT_TRUE(versions.ok());
    std::set<std::string> present;
    for (const ObjectRecord& version : *versions) {
      SCOPED_TRACE(version.key + "@" + version.version_id);
      ASSERT_FALSE(version.delete_marker);
      auto opened = store->GetObject("b", version.key, version.version_id, true);
      ASSERT_TRUE(opened.ok());
      auto bytes = ReadAll(*opened->body);
      ASSERT_TRUE(bytes.ok());
      // The record names the put whose bytes these are.
      const std::string& attributes = opened->record.attributes_json;
      ASSERT_TRUE(attributes.starts_with("{\"id\":\"")) << "a record not written by a put: " << attributes;
      const std::string id = attributes.substr(7, attributes.size() - 9);
      EXPECT_EQ(*bytes, ContentOf(id)) << "bytes of another put, or torn";
      EXPECT_EQ(opened->record.etag, QuotedMd5(*bytes));
      ASSERT_TRUE(puts[version.key].contains(id)) << "a put that never started on this key: " << id;
      if (versioned) {
        EXPECT_EQ(version.version_id, id);
      }
      present.insert(version.key + " " + id);
      if (version.is_latest) {
        const PutEvents& current = puts[version.key][id];
        for (const auto& [other, events] : puts[version.key]) {
          if (other == id || !events.ack) continue;
          // `other` was acknowledged and started after `current` was: it committed later.
          EXPECT_FALSE(current.ack && events.start > *current.ack)
              << "current is " << id << " but " << other << " started after its acknowledgement and was acknowledged";
        }
      }
    }
    for (const auto& [key, by_id] : puts) {
      bool any_ack = false;
      for (const auto& [id, events] : by_id) {
        if (!events.ack) continue;
        any_ack = true;
        if (versioned) {
          EXPECT_TRUE(present.contains(key + " " + id)) << "acknowledged put lost: " << key << " " << id;
        }
      }
      if (any_ack) {
        auto head = store->GetObject("b", key, "", false);
        EXPECT_TRUE(head.ok()) << "key " << key << " had an acknowledged put and has no object";
      }
    }
    EXPECT_TRUE(fs::is_empty(dir.path() / ".mallard-s3/intents"));
    EXPECT_TRUE(fs::is_empty(dir.path() / ".mallard-s3/tmp"));
  }
}

// Many threads putting at once through the queue (not durable, so batches form fast): every put
// is acknowledged with its own record, colliding keys ("x" and "x/y") both end as the store's
// rules say, and nothing is left in the intents or temp directories.
TEST(FileS3StoreGroupCommit, ConcurrentPutsAllLandWithTheirOwnRecords) {
  TempDir dir;
  auto store = OpenStore(dir.path(), testing_support::NotDurable());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->CreateBucket(BucketRecord{"b", "000000000000", "us-east-1", 1, Versioning::Enabled, {}}).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  constexpr int kThreads = 8, kPuts = 150;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kPuts; ++n) {
        static const char* kKeys[] = {"x", "x/y", "x/y/z", "p", "q/r", "s"};
        const std::string key = kKeys[(t + n) % 6];
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(n);
        const std::string bytes = ContentOf(id);
        auto writer = store->NewBody("b");
        if (!writer.ok() || !(*writer)->Append(bytes).ok()) {
          ++failures;
          continue;
        }
        ObjectRecord record;
        record.key = key;
        record.version_id = id;
        record.size = bytes.size();
        record.etag = QuotedMd5(bytes);
        record.attributes_json = "{\"id\":\"" + id + "\"}";
        auto put = store->PutObject("b", record, std::move(*writer), {});
        if (!put.ok() || put->version_id != id || put->etag != record.etag || !put->is_latest) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto versions = store->ListVersions("b", {.prefix = "", .after = "", .limit = 1'000'000}, "");
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->size(), static_cast<std::size_t>(kThreads * kPuts));
  for (const ObjectRecord& version : *versions) {
    auto opened = store->GetObject("b", version.key, version.version_id, true);
    ASSERT_TRUE(opened.ok());
    auto bytes = ReadAll(*opened->body);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, ContentOf(version.version_id)) << version.key << "@" << version.version_id;
  }
  EXPECT_TRUE(fs::is_empty(dir.path() / ".mallard-s3/intents"));
  EXPECT_TRUE(fs::is_empty(dir.path() / ".mallard-s3/tmp"));
}

}  // namespace
}  // namespace mallard::s3::file

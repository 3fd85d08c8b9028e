// The journal: group commit acknowledges only what is on disk, a torn or corrupt tail is detected
// and cut, and a process killed at a random moment (kill -9) never loses an acknowledged record.
#include "persistence/journal.hpp"

#include <boost/crc.hpp>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace mallard::persistence {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mallard-journal-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Path() const { return dir_ / "journal.log"; }
  fs::path dir_;
};

std::string PayloadFor(std::uint64_t lsn) {
  // Sizes vary from empty to a few KiB so frames straddle every boundary a torn write could cut.
  std::string payload = "record-" + std::to_string(lsn) + ":";
  payload.append(static_cast<std::size_t>((lsn * 7919) % 3000), static_cast<char>('a' + lsn % 26));
  return payload;
}

TEST_F(JournalTest, ConcurrentAppendsAreAcknowledgedOnlyOnceDurableAndReadBackInOrder) {
  auto opened = JournalWriter::Open({Path(), Durability::kFsync}, 1, 0);
  ASSERT_TRUE(opened) << opened.error();
  auto& journal = **opened;
  std::mutex acked_mutex;
  std::map<std::uint64_t, std::string> acked;
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string payload = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto lsn = journal.Append(payload);
        journal.WhenDurable(lsn, [&, lsn, payload] {
          // Acknowledged: the record must already be readable from the file.
          EXPECT_GE(journal.DurableLsn(), lsn);
          std::lock_guard lock(acked_mutex);
          acked[lsn] = payload;
          ++acknowledged;
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(journal.Flush());
  EXPECT_EQ(acknowledged.load(), 1600);
  auto stats = journal.Statistics();
  EXPECT_EQ(stats.records, 1600u);
  // Group commit: fewer flushes than records (the threads overlap).
  EXPECT_LT(stats.flushes, stats.records);
  auto scan = ReadJournal(Path(), 1);
  ASSERT_TRUE(scan) << scan.error();
  ASSERT_EQ(scan->records.size(), 1600u);
  EXPECT_EQ(scan->dropped_bytes, 0u);
  for (std::size_t i = 0; i < scan->records.size(); ++i) {
    EXPECT_EQ(scan->records[i].lsn, i + 1);
    EXPECT_EQ(scan->records[i].payload, acked[i + 1]);
  }
}

// Clients that each wait for their write before sending the next (as HTTP clients do): the writer
// gathers as many waiters as its last flush answered before flushing again, so eight such clients
// share flushes by the batch. When all but one go away, the one left is still answered (after at
// most one gather_limit), and then at once: it is never stranded waiting for company.
TEST_F(JournalTest, ClosedLoopClientsShareFlushesAndTheLastOneIsNeverStranded) {
  JournalOptions options{Path(), Durability::kFsync};
  options.gather_limit = std::chrono::milliseconds(200);
  auto opened = JournalWriter::Open(options, 1, 0);
  ASSERT_TRUE(opened) << opened.error();
  auto& journal = **opened;
  auto write_and_wait = [&](const std::string& payload) {
    std::promise<void> durable;
    auto acknowledged = durable.get_future();
    journal.WhenDurable(journal.Append(payload), [&durable] { durable.set_value(); });
    return acknowledged.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  };
  std::atomic<int> unanswered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (!write_and_wait("c" + std::to_string(t) + "-" + std::to_string(i))) ++unanswered;
        // A client takes a moment to send its next write (a server takes one to read it), so the
        // eight come back one by one: flushing at the first would write them in small batches.
        std::this_thread::sleep_for(std::chrono::microseconds(200 + 50 * t));
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(unanswered.load(), 0);
  auto shared = journal.Statistics();
  EXPECT_EQ(shared.records, 800u);
  EXPECT_LE(shared.flushes * 3, shared.records) << "eight waiting clients should share flushes, three or more a flush";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(write_and_wait("alone-" + std::to_string(i))) << "write " << i;
  auto after = journal.Statistics();
  EXPECT_EQ(after.records - shared.records, 20u);
  EXPECT_EQ(after.flushes - shared.flushes, 20u) << "one client alone: a flush a write";
  auto scan = ReadJournal(Path(), 1);
  ASSERT_TRUE(scan) << scan.error();
  EXPECT_EQ(scan->records.size(), 820u);
}

// A record as large as a loaded table (a million DynamoDB items is 300 MB) reads back whole: the
// reader once took any frame over 256 MiB for damage and dropped it and everything after it.
TEST_F(JournalTest, ARecordOverTwoHundredFiftySixMebibytesReadsBack) {
  auto opened = JournalWriter::Open({Path(), Durability::kFsync}, 1, 0);
  ASSERT_TRUE(opened) << opened.error();
  std::string large((257u << 20) + 3, 'x');
  large.front() = '{';
  large.back() = '}';
  (*opened)->Append("before");
  (*opened)->Append(large);
  (*opened)->Append("after");
  ASSERT_TRUE((*opened)->Flush());
  opened->reset();
  auto scan = ReadJournal(Path(), 1);
  ASSERT_TRUE(scan) << scan.error();
  EXPECT_EQ(scan->dropped_bytes, 0u) << scan->dropped_reason;
  ASSERT_EQ(scan->records.size(), 3u);
  EXPECT_EQ(scan->records[1].payload.size(), large.size());
  EXPECT_EQ(scan->records[1].payload == large, true);
  EXPECT_EQ(scan->records[2].payload, "after");
}

TEST_F(JournalTest, ATornTailAtEveryCutIsDetectedAndCutOffBeforeNewRecords) {
  std::string file;
  std::vector<std::size_t> frame_ends;
  for (std::uint64_t lsn = 1; lsn <= 12; ++lsn) {
    file += EncodeJournalFrame(lsn, PayloadFor(lsn));
    frame_ends.push_back(file.size());
  }
  std::mt19937_64 random(20261206);
  for (int round = 0; round < 200; ++round) {
    std::size_t cut = std::uniform_int_distribution<std::size_t>(0, file.size())(random);
    {
      std::ofstream out(Path(), std::ios::binary | std::ios::trunc);
      out.write(file.data(), static_cast<std::streamsize>(cut));
    }
    std::size_t whole = 0;
    while (whole < frame_ends.size() && frame_ends[whole] <= cut) ++whole;
    std::size_t good = whole == 0 ? 0 : frame_ends[whole - 1];
    auto scan = ReadJournal(Path(), 1);
    ASSERT_TRUE(scan) << scan.error();
    ASSERT_EQ(scan->records.size(), whole) << "cut at " << cut;
    EXPECT_EQ(scan->good_bytes, good);
    EXPECT_EQ(scan->dropped_bytes, cut - good);
    EXPECT_EQ(scan->dropped_reason.empty(), cut == good);
    // Reopen after the good prefix: new records follow it and the whole file reads clean.
    {
      auto opened = JournalWriter::Open({Path(), Durability::kFsync}, whole + 1, scan->good_bytes);
      ASSERT_TRUE(opened) << opened.error();
      EXPECT_EQ((*opened)->Append("after"), whole + 1);
      ASSERT_TRUE((*opened)->Flush());
    }
    auto again = ReadJournal(Path(), 1);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->records.size(), whole + 1);
    EXPECT_EQ(again->records.back().payload, "after");
    EXPECT_EQ(again->dropped_bytes, 0u);
  }
}

TEST_F(JournalTest, AFlippedByteStopsReadingAtItsFrame) {
  std::string file;
  std::vector<std::size_t> frame_starts;
  for (std::uint64_t lsn = 1; lsn <= 10; ++lsn) {
    frame_starts.push_back(file.size());
    file += EncodeJournalFrame(lsn, PayloadFor(lsn));
  }
  std::mt19937_64 random(7);
  for (int round = 0; round < 100; ++round) {
    std::string damaged = file;
    std::size_t at = std::uniform_int_distribution<std::size_t>(0, damaged.size() - 1)(random);
    damaged[at] = static_cast<char>(damaged[at] ^ (1 + random() % 255));
    {
      std::ofstream out(Path(), std::ios::binary | std::ios::trunc);
      out.write(damaged.data(), static_cast<std::streamsize>(damaged.size()));
    }
    std::size_t frame = 0;
    while (frame + 1 < frame_starts.size() && frame_starts[frame + 1] <= at) ++frame;
    auto scan = ReadJournal(Path(), 1);
    ASSERT_TRUE(scan);
    EXPECT_EQ(scan->records.size(), frame) << "byte " << at;
    EXPECT_EQ(scan->good_bytes, frame_starts[frame]);
    EXPECT_FALSE(scan->dropped_reason.empty());
  }
}

TEST_F(JournalTest, AnLsnGapEndsTheGoodPrefix) {
  std::string file = EncodeJournalFrame(5, "a") + EncodeJournalFrame(6, "b") + EncodeJournalFrame(8, "c");
  std::ofstream(Path(), std::ios::binary) << file;
  auto scan = ReadJournal(Path(), 5);
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->records.size(), 2u);
  EXPECT_NE(scan->dropped_reason.find("LSN 8"), std::string::npos) << scan->dropped_reason;
  auto wrong_start = ReadJournal(Path(), 4);
  ASSERT_TRUE(wrong_start);
  EXPECT_TRUE(wrong_start->records.empty());
}

TEST_F(JournalTest, IntervalModeAcknowledgesAtOnceAndWritesWithinTheInterval) {
  auto opened = JournalWriter::Open({Path(), Durability::kInterval, std::chrono::milliseconds(20)}, 1, 0);
  ASSERT_TRUE(opened);
  bool called = false;
  auto lsn = (*opened)->Append("x");
  (*opened)->WhenDurable(lsn, [&] { called = true; });
  EXPECT_TRUE(called);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((*opened)->DurableLsn() < lsn && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ((*opened)->DurableLsn(), lsn);
  auto scan = ReadJournal(Path(), 1);
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->records.size(), 1u);
}

TEST_F(JournalTest, NoneIsRefusedAndBadNamesAreErrors) {
  EXPECT_FALSE(JournalWriter::Open({Path(), Durability::kNone}, 1, 0));
  EXPECT_FALSE(ParseDurability("always"));
  EXPECT_EQ(*ParseDurability("interval"), Durability::kInterval);
  EXPECT_EQ(DurabilityName(Durability::kFsync), "fsync");
}

// The frame layout and checksum against an independent encoder: boost's byte-wise CRC-32 over the
// LSN and payload, the fields packed by hand. The writer uses zlib's CRC; files written before it
// used boost's, so both must agree on every frame.
TEST_F(JournalTest, AFrameIsLengthCrc32LsnPayloadAsAByteWiseEncoderWritesIt) {
  std::mt19937_64 random(20261207);
  for (int round = 0; round < 200; ++round) {
    std::uint64_t lsn = random();
    std::string payload(std::uniform_int_distribution<std::size_t>(0, 5000)(random), '\0');
    for (auto& c : payload) c = static_cast<char>(random());
    std::string lsn_bytes;
    for (int i = 0; i < 8; ++i) lsn_bytes.push_back(static_cast<char>((lsn >> (8 * i)) & 0xff));
    boost::crc_32_type crc;
    crc.process_bytes(lsn_bytes.data(), lsn_bytes.size());
    crc.process_bytes(payload.data(), payload.size());
    std::string expected;
    for (std::uint32_t v : {static_cast<std::uint32_t>(payload.size()), static_cast<std::uint32_t>(crc.checksum())})
      for (int i = 0; i < 4; ++i) expected.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    expected.append(lsn_bytes);
    expected.append(payload);
    ASSERT_EQ(EncodeJournalFrame(lsn, payload), expected) << "round " << round;
  }
}

// The writer grows the file ahead with zeros (so a batch's fdatasync need not write the file's
// size): while it runs the file is longer than its records, the reader takes the zeros as unused
// room, not damage, and a clean close cuts them off.
TEST_F(JournalTest, PreallocatedRoomReadsAsUnusedAndACleanCloseCutsItOff) {
  std::uint64_t records_bytes = 0;
  {
    auto opened = JournalWriter::Open({Path(), Durability::kFsync}, 1, 0);
    ASSERT_TRUE(opened) << opened.error();
    for (std::uint64_t lsn = 1; lsn <= 300; ++lsn) {
      EXPECT_EQ((*opened)->Append(PayloadFor(lsn)), lsn);
      records_bytes += EncodeJournalFrame(lsn, PayloadFor(lsn)).size();
      if (lsn % 50 == 0) {
        ASSERT_TRUE((*opened)->Flush());
      }
    }
    ASSERT_TRUE((*opened)->Flush());
    auto size = fs::file_size(Path());
    EXPECT_GT(size, records_bytes);
    auto scan = ReadJournal(Path(), 1);
    ASSERT_TRUE(scan) << scan.error();
    ASSERT_EQ(scan->records.size(), 300u);
    EXPECT_EQ(scan->good_bytes, records_bytes);
    EXPECT_EQ(scan->unused_bytes, size - records_bytes);
    EXPECT_EQ(scan->dropped_bytes, 0u);
    EXPECT_TRUE(scan->dropped_reason.empty()) << scan->dropped_reason;
  }
  EXPECT_EQ(fs::file_size(Path()), records_bytes);
  auto scan = ReadJournal(Path(), 1);
  ASSERT_TRUE(scan) << scan.error();
  EXPECT_EQ(scan->records.size(), 300u);
  EXPECT_EQ(scan->unused_bytes, 0u);
}

// A crash inside the room: a frame written in part, zeros after it. That is damage (the frame is
// cut short or fails its checksum), reported as dropped, and reopening cuts it and the room off.
TEST_F(JournalTest, AFrameTornInsideThePreallocatedRoomIsDroppedNotUnused) {
  std::string file;
  for (std::uint64_t lsn = 1; lsn <= 5; ++lsn) file += EncodeJournalFrame(lsn, PayloadFor(lsn));
  const std::size_t good = file.size();
  std::string torn = EncodeJournalFrame(6, PayloadFor(6));
  std::mt19937_64 random(6);
  for (int round = 0; round < 100; ++round) {
    std::size_t kept = std::uniform_int_distribution<std::size_t>(1, torn.size() - 1)(random);
    std::string damaged = file;
    damaged.append(torn, 0, kept);
    damaged.append(4096, '\0');
    {
      std::ofstream out(Path(), std::ios::binary | std::ios::trunc);
      out.write(damaged.data(), static_cast<std::streamsize>(damaged.size()));
    }
    auto scan = ReadJournal(Path(), 1);
    ASSERT_TRUE(scan) << scan.error();
    ASSERT_EQ(scan->records.size(), 5u);
    EXPECT_EQ(scan->good_bytes, good);
    // The only torn prefixes that read as room are all zeros themselves: none here (a frame's
    // checksum or length has a set byte within its first 8).
    if (torn.find_first_not_of('\0', 0) < kept) {
      EXPECT_EQ(scan->dropped_bytes, damaged.size() - good) << "kept " << kept;
      EXPECT_FALSE(scan->dropped_reason.empty());
    }
    {
      auto reopened = JournalWriter::Open({Path(), Durability::kFsync}, 6, scan->good_bytes);
      ASSERT_TRUE(reopened) << reopened.error();
      EXPECT_EQ((*reopened)->Append("after"), 6u);
      ASSERT_TRUE((*reopened)->Flush());
    }
    auto again = ReadJournal(Path(), 1);
    ASSERT_TRUE(again);
    ASSERT_EQ(again->records.size(), 6u);
    EXPECT_EQ(again->records.back().payload, "after");
    EXPECT_EQ(again->dropped_bytes + again->unused_bytes, 0u);
  }
}

// A child appends from 4 threads and reports each LSN once WhenDurable says so; the parent kills it
// with SIGKILL at a seeded random moment. Every reported LSN must be in the file with its payload,
// the file's records must be consecutive, and reopening continues after them.
TEST_F(JournalTest, KillNineNeverLosesAnAcknowledgedRecord) {
  std::mt19937_64 random(0x18);
  for (int round = 0; round < 20; ++round) {
    fs::remove(Path());
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      auto opened = JournalWriter::Open({Path(), Durability::kFsync}, 1, 0);
      if (!opened) ::_exit(2);
      auto* journal = opened->release();  // never destroyed: the process dies mid-write
      std::mutex pipe_mutex;
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
          for (;;) {
            // Like a client: the next request only after the last one was acknowledged.
            std::uint64_t lsn = journal->Append(PayloadFor(journal->LastLsn() + 1));
            std::promise<void> durable;
            journal->WhenDurable(lsn, [&, lsn] {
              {
                std::lock_guard lock(pipe_mutex);
                if (::write(pipe_fds[1], &lsn, sizeof lsn) != sizeof lsn) ::_exit(3);
              }
              durable.set_value();
            });
            durable.get_future().wait();
          }
        });
      }
      for (auto& thread : threads) thread.join();
      ::_exit(0);
    }
    ::close(pipe_fds[1]);
    auto wait_ms = std::uniform_int_distribution<int>(5, 120)(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    std::set<std::uint64_t> acked;
    std::uint64_t lsn = 0;
    while (::read(pipe_fds[0], &lsn, sizeof lsn) == sizeof lsn) acked.insert(lsn);
    ::close(pipe_fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the child exited on its own";
    auto scan = ReadJournal(Path(), 1);
    ASSERT_TRUE(scan) << scan.error();
    std::uint64_t last = scan->records.empty() ? 0 : scan->records.back().lsn;
    ASSERT_TRUE(acked.empty() || *acked.rbegin() <= last)
        << "round " << round << ": LSN " << *acked.rbegin() << " was acknowledged, the file ends at " << last;
    for (std::size_t i = 0; i < scan->records.size(); ++i) {
      ASSERT_EQ(scan->records[i].lsn, i + 1);
      ASSERT_EQ(scan->records[i].payload.rfind("record-", 0), 0u) << "round " << round << " lsn " << i + 1;
    }
    auto reopened = JournalWriter::Open({Path(), Durability::kFsync}, last + 1, scan->good_bytes);
    ASSERT_TRUE(reopened);
    EXPECT_EQ((*reopened)->Append("next"), last + 1);
  }
}

}  // namespace
}  // namespace mallard::persistence

// StreamedTransactions: in-progress transactions held in files until their commit or abort.
#include "cdc/streamed_transactions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/ids.hpp"

namespace mallard::cdc {
namespace {

class StreamedTransactionsTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::size_t FilesHeld() const {
    if (!std::filesystem::exists(directory_)) return 0;
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(directory_), {}));
  }
  std::vector<std::string> Replay(StreamedTransactions& held, std::uint32_t xid) {
    std::vector<std::string> seen;
    auto replayed = held.Replay(xid, [&](std::string_view payload) -> Result<Done, std::string> {
      seen.emplace_back(payload);
      return Done{};
    });
    EXPECT_TRUE(replayed.ok()) << (replayed.ok() ? "" : replayed.error());
    return seen;
  }
  std::string directory_ = (std::filesystem::temp_directory_path() / ("mallard-streamed-" + RandomAlnum(8))).string();
};

TEST_F(StreamedTransactionsTest, ReplaysInArrivalOrderWithoutAbortedSubtransactions) {
  StreamedTransactions held(directory_);
  EXPECT_TRUE(held.empty());
  const std::string binary("\0\x01\xff payload with a NUL", 22);
  ASSERT_TRUE(held.Append(100, 100, "first").ok());
  ASSERT_TRUE(held.Append(200, 200, "other transaction").ok());
  ASSERT_TRUE(held.Append(100, 101, "in subtransaction 101").ok());
  ASSERT_TRUE(held.Append(100, 102, "in subtransaction 102").ok());
  ASSERT_TRUE(held.Append(100, 100, binary).ok());
  ASSERT_TRUE(held.Append(100, 100, "").ok());
  EXPECT_EQ(FilesHeld(), 2u) << "one file per open transaction";
  EXPECT_GT(held.BytesHeld(), 0u);
  held.Abort(100, 101);
  held.Abort(999, 999);  // never held: nothing to do
  EXPECT_EQ(Replay(held, 100), (std::vector<std::string>{"first", "in subtransaction 102", binary, ""}));
  EXPECT_EQ(FilesHeld(), 1u) << "a replayed transaction's file is removed";
  EXPECT_TRUE(Replay(held, 100).empty()) << "a replayed transaction is forgotten";
  held.Abort(200, 200);
  EXPECT_TRUE(held.empty());
  EXPECT_EQ(FilesHeld(), 0u);
  EXPECT_TRUE(Replay(held, 200).empty());
}

TEST_F(StreamedTransactionsTest, HoldsMoreThanMemoryWouldWantAndCleansUpOnDestruction) {
  {
    StreamedTransactions held(directory_);
    const std::string row(64 * 1024, 'x');
    for (int i = 0; i < 512; ++i) ASSERT_TRUE(held.Append(7, 7, row).ok());  // 32 MiB
    EXPECT_GE(held.BytesHeld(), 32u << 20);
    EXPECT_GE(std::filesystem::file_size(std::filesystem::directory_iterator(directory_)->path()), 32u << 20);
    std::size_t replayed = 0;
    auto outcome = held.Replay(7, [&](std::string_view payload) -> Result<Done, std::string> {
      if (payload != row) return Fail(std::string("payload changed"));
      ++replayed;
      return Done{};
    });
    ASSERT_TRUE(outcome.ok()) << outcome.error();
    EXPECT_EQ(replayed, 512u);
    ASSERT_TRUE(held.Append(8, 8, "left open").ok());
  }
  EXPECT_EQ(FilesHeld(), 0u) << "the destructor removes what was still held";
  EXPECT_FALSE(std::filesystem::exists(directory_)) << "and its directory";
}

TEST_F(StreamedTransactionsTest, AVisitorErrorStopsTheReplay) {
  StreamedTransactions held(directory_);
  ASSERT_TRUE(held.Append(1, 1, "a").ok());
  ASSERT_TRUE(held.Append(1, 1, "b").ok());
  int visits = 0;
  auto outcome = held.Replay(1, [&](std::string_view) -> Result<Done, std::string> {
    ++visits;
    return Fail(std::string("cannot decode"));
  });
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error(), "cannot decode");
  EXPECT_EQ(visits, 1);
  EXPECT_TRUE(held.empty());
}

TEST_F(StreamedTransactionsTest, AnUnwritableDirectoryIsAnError) {
  StreamedTransactions held("/proc/mallard-cannot-write-here");
  auto appended = held.Append(1, 1, "x");
  ASSERT_FALSE(appended.ok());
  EXPECT_NE(appended.error().find("/proc/mallard-cannot-write-here"), std::string::npos) << appended.error();
}

}  // namespace
}  // namespace mallard::cdc

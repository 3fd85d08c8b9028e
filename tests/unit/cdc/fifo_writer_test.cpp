// The named pipe a snapshot streams its CSV through: everything written arrives in order, a
// reader that never comes or leaves early ends the writer with an error (never a hang, never a
// SIGPIPE that would end the process), and the pipe is gone afterwards.
#include "cdc/fifo_writer.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "common/ids.hpp"

namespace mallard::cdc {
namespace {

std::string TempPipePath() {
  return (std::filesystem::temp_directory_path() / ("mallard-fifo-test-" + RandomAlnum(10))).string();
}

std::string ReadAll(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<cannot open>";
  std::string out;
  char buffer[65536];
  while (true) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return out;
}

TEST(FifoWriter, EverythingWrittenArrivesInOrderWhateverTheSizesOfTheWrites) {
  std::mt19937_64 random(20261208);
  std::string expected;
  std::vector<std::string> pieces;
  // Rows of every size around the writer's 1 MiB block, the pipe's capacity and far beyond it.
  for (std::size_t size : {1UL, 17UL, 4095UL, 65536UL, (1UL << 20) - 1, 1UL << 20, (1UL << 20) + 1, 3UL << 20, 9UL}) {
    std::string piece(size, '\0');
    for (auto& c : piece) c = static_cast<char>('a' + random() % 26);
    pieces.push_back(piece);
    expected += piece;
  }
  for (int i = 0; i < 20000; ++i) {
    std::string row = std::to_string(random()) + ",x\n";
    pieces.push_back(row);
    expected += row;
  }
  auto made = FifoWriter::Create(TempPipePath());
  ASSERT_TRUE(made.ok()) << made.error();
  FifoWriter writer = std::move(*made);
  std::string got;
  std::thread reader([&] { got = ReadAll(writer.path()); });
  ASSERT_TRUE(writer.OpenWhenRead([] { return false; }).ok());
  for (const auto& piece : pieces) ASSERT_TRUE(writer.Write(piece).ok());
  EXPECT_EQ(writer.bytes_written(), static_cast<std::int64_t>(expected.size()));
  ASSERT_TRUE(writer.Finish().ok());
  reader.join();
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(FifoWriter, AReaderThatNeverOpensEndsTheWaitWhenAskedToGiveUp) {
  auto made = FifoWriter::Create(TempPipePath());
  ASSERT_TRUE(made.ok()) << made.error();
  int asked = 0;
  auto opened = made->OpenWhenRead([&] { return ++asked >= 5; });
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().find("went away"), std::string::npos) << opened.error();
  EXPECT_EQ(asked, 5);
}

TEST(FifoWriter, AReaderThatStopsReadingFailsTheWriteWithoutASignal) {
  auto made = FifoWriter::Create(TempPipePath());
  ASSERT_TRUE(made.ok()) << made.error();
  FifoWriter writer = std::move(*made);
  std::thread reader([&] {
    int fd = ::open(writer.path().c_str(), O_RDONLY);
    char some[16];
    (void)::read(fd, some, sizeof some);
    ::close(fd);
  });
  ASSERT_TRUE(writer.OpenWhenRead([] { return false; }).ok());
  std::string block(256 * 1024, 'z');
  bool failed = false;
  std::string error;
  // SIGPIPE's default action would end this test binary: getting here at all is half the test.
  for (int i = 0; i < 400 && !failed; ++i) {
    auto written = writer.Write(block);
    if (!written.ok()) {
      failed = true;
      error = written.error();
    }
  }
  reader.join();
  if (!failed) {
    auto finished = writer.Finish();
    failed = !finished.ok();
    if (failed) error = finished.error();
  }
  ASSERT_TRUE(failed) << "100 MiB went into a pipe nobody reads";
  EXPECT_NE(error.find("stopped reading"), std::string::npos) << error;
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0) << "the write's SIGPIPE was left pending";
}

TEST(FifoWriter, ThePipeIsRemovedWithItsWriterAndAnExistingPathIsRefused) {
  std::string path = TempPipePath();
  {
    auto made = FifoWriter::Create(path);
    ASSERT_TRUE(made.ok()) << made.error();
    EXPECT_TRUE(std::filesystem::is_fifo(path));
    EXPECT_FALSE(FifoWriter::Create(path).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace mallard::cdc

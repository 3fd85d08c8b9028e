#pragma once
// A named pipe that one thread writes and DuckDB reads as a file (`read_csv('…/rows.csv')`), so a
// table's copy streams from PostgreSQL's COPY into the lake's Parquet writer while both run: no
// chunk file is written to disk and read back, and DuckDB starts loading with the first row
// instead of after the last one of a chunk.
//
// The writer opens its end only once the reader has opened its own (an open that would block
// forever on a reader that failed early is polled instead), and a reader that stops reading
// makes a write fail with an error instead of a SIGPIPE that would end the process.
#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace mallard::cdc {

class FifoWriter {
 public:
  // Makes the named pipe at `path` (it must not exist). Nothing is opened yet.
  static Result<FifoWriter, std::string> Create(std::string path);

  FifoWriter(FifoWriter&& other) noexcept;
  FifoWriter& operator=(FifoWriter&&) = delete;
  FifoWriter(const FifoWriter&) = delete;
  ~FifoWriter();  // closes (the reader sees the end of the file) and removes the pipe

  const std::string& path() const { return path_; }

  // Waits until a reader has opened the pipe, then opens the write end. `give_up` is asked
  // between polls: true (the reader failed, the copy was cancelled) ends the wait with an error.
  Result<Done, std::string> OpenWhenRead(const std::function<bool()>& give_up);

  // Buffers `data`; full buffers go to the pipe, blocking while the reader is behind.
  Result<Done, std::string> Write(std::string_view data);

  // Writes what is buffered and closes the write end: the reader sees the end of its file.
  Result<Done, std::string> Finish();

  std::int64_t bytes_written() const { return bytes_; }

 private:
  explicit FifoWriter(std::string path) : path_(std::move(path)) {}
  Result<Done, std::string> Drain();

  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  std::int64_t bytes_ = 0;
};

}  // namespace mallard::cdc

#pragma once
// The result files Athena leaves at a query's OutputLocation: `ID.csv` (DML) or `ID.txt` (DDL), and
// beside it `ID.csv.metadata` / `ID.txt.metadata`, Athena's binary description of the columns. They
// are written to Mallard's S3 through the peer directory once the engine has finished, and the
// execution says SUCCEEDED only after both objects exist, as in Athena.
#include <boost/json/string.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/request_context.hpp"
#include "common/result.hpp"
#include "sqlengine/sql_types.hpp"

namespace mallard::services {
class PeerDirectory;
}

namespace mallard::athena {

// `s3://bucket/key` split into bucket and key (verbatim, possibly empty).
struct S3Location {
  std::string bucket;
  std::string key;
};
// Refuses anything but `s3://` with a bucket name; the error is the URL.
Result<S3Location, std::string> ParseS3Location(std::string_view url);

// The largest result file written through the S3 peer (one PutObject body built in memory, as the
// engine already holds every row of the result): a larger result fails the query instead.
inline constexpr std::size_t kMaxResultFileBytes = std::size_t{1} << 30;

// Appends Athena's CSV of a result: a header row of column names, then one line per row; every
// value double-quoted with embedded quotes doubled, NULL an empty unquoted field, "\n" after each
// line. Values in the text GetQueryResults gives them. Returns false (and stops) once `out` would
// exceed `limit` bytes.
bool AppendResultCsv(const sqlengine::QueryOutcome& outcome, boost::json::string& out, std::size_t limit);
// A DDL result (`ID.txt`): one line per row, the values separated by tabs, NULL as nothing.
bool AppendResultText(const sqlengine::QueryOutcome& outcome, boost::json::string& out, std::size_t limit);
// `ID.csv.metadata`: the protobuf message Athena writes (field 1 the engine's query id; one field 4
// per column: 1 catalog "hive", 4 name, 5 label, 6 type, 7 precision, 8 scale, 9 nullable
// (3 = UNKNOWN), 10 case sensitive). Zero-valued fields are left out, as protobuf 3 does.
std::string ResultMetadata(const sqlengine::QueryOutcome& outcome, std::string_view engine_query_id);
// A query id in the form Athena's engine (Trino) prints it: `yyyymmdd_hhmmss_NNNNN_xxxxx`, UTC.
std::string EngineQueryId(std::int64_t epoch_ms, std::uint64_t sequence);

// Where one execution's result files stand. Shared by the execution record and the write in
// flight (which may finish after a reset dropped the record).
class ResultFiles {
 public:
  // Whether the files are written (false while the write runs or before it starts).
  bool Done() const;
  // The failure message when the write failed (the query then reads FAILED).
  std::optional<std::string> Failure() const;
  std::int64_t CompletedMs() const;
  void Finish(std::int64_t completed_ms, std::optional<std::string> failure);
  // Runs `then` once Finish has run (now, if it has), outside the lock.
  void OnFinish(std::function<void()> then);

 private:
  mutable std::mutex mutex_;
  bool done_ = false;
  std::int64_t completed_ms_ = 0;
  std::optional<std::string> failure_;
  std::function<void()> on_finish_;
};

// Writes the result files of a finished query: `<prefix><id>.csv|.txt`, then `….metadata`, through
// S3's PutObject as `caller`, and settles `files`. Runs on the caller's thread up to the first peer
// call (build the bodies on a pool thread); the rest follows on S3's completions.
void WriteResultFiles(const services::PeerDirectory& peers, const RequestContext& caller, const std::string& output_url,
                      const sqlengine::QueryOutcome& outcome, bool ddl, std::string engine_query_id,
                      std::function<std::int64_t()> clock, std::shared_ptr<ResultFiles> files);

}  // namespace mallard::athena

#include "services/athena/athena_output.hpp"

#include <boost/json.hpp>

#include <ctime>

#include "common/ids.hpp"
#include "services/athena/athena_types.hpp"
#include "services/kit/peer_directory.hpp"

namespace mallard::athena {
namespace json = boost::json;

Result<S3Location, std::string> ParseS3Location(std::string_view url) {
  constexpr std::string_view kScheme = "s3://";
  if (url.substr(0, kScheme.size()) != kScheme) return Fail(std::string(url));
  std::string_view rest = url.substr(kScheme.size());
  std::size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (location.bucket.empty()) return Fail(std::string(url));
  if (slash != std::string_view::npos) location.key = std::string(rest.substr(slash + 1));
  return location;
}

namespace {

void AppendQuoted(std::string_view text, json::string& out) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendVarint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void AppendStringField(int number, std::string_view text, std::string& out) {
  if (text.empty()) return;
  AppendVarint(static_cast<std::uint64_t>(number) << 3 | 2, out);
  AppendVarint(text.size(), out);
  out.append(text);
}

void AppendIntField(int number, std::int64_t value, std::string& out) {
  if (value == 0) return;
  AppendVarint(static_cast<std::uint64_t>(number) << 3, out);
  AppendVarint(static_cast<std::uint64_t>(value), out);
}

}  // namespace

bool AppendResultCsv(const sqlengine::QueryOutcome& outcome, json::string& out, std::size_t limit) {
  if (!outcome.has_result_set || outcome.columns.empty()) return true;
  for (std::size_t column = 0; column < outcome.columns.size(); ++column) {
    if (column > 0) out.push_back(',');
    AppendQuoted(outcome.columns[column].name, out);
  }
  out.push_back('\n');
  for (const auto& row : outcome.rows) {
    for (std::size_t column = 0; column < row.size() && column < outcome.columns.size(); ++column) {
      if (column > 0) out.push_back(',');
      auto text = RenderAthenaValue(row[column], outcome.columns[column].type);
      if (text) AppendQuoted(*text, out);
    }
    out.push_back('\n');
    if (out.size() > limit) return false;
  }
  return out.size() <= limit;
}

bool AppendResultText(const sqlengine::QueryOutcome& outcome, json::string& out, std::size_t limit) {
  if (!outcome.has_result_set) return true;
  for (const auto& row : outcome.rows) {
    for (std::size_t column = 0; column < row.size() && column < outcome.columns.size(); ++column) {
      if (column > 0) out.push_back('\t');
      if (auto text = RenderAthenaValue(row[column], outcome.columns[column].type)) out.append(*text);
    }
    out.push_back('\n');
    if (out.size() > limit) return false;
  }
  return true;
}

std::string ResultMetadata(const sqlengine::QueryOutcome& outcome, std::string_view engine_query_id) {
  std::string message;
  AppendStringField(1, engine_query_id, message);
  if (!outcome.has_result_set) return message;
  for (const auto& column : outcome.columns) {
    AthenaType type = AthenaTypeOf(column.type);
    std::string info;
    AppendStringField(1, "hive", info);
    AppendStringField(4, column.name, info);
    AppendStringField(5, column.name, info);
    AppendStringField(6, type.name, info);
    AppendIntField(7, type.precision, info);
    AppendIntField(8, type.scale, info);
    AppendIntField(9, 3, info);  // UNKNOWN, as GetQueryResults reports Nullable
    AppendIntField(10, type.case_sensitive ? 1 : 0, info);
    AppendVarint(4 << 3 | 2, message);
    AppendVarint(info.size(), message);
    message += info;
  }
  return message;
}

std::string EngineQueryId(std::int64_t epoch_ms, std::uint64_t sequence) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &utc);
  char number[16];
  std::snprintf(number, sizeof number, "%05llu", static_cast<unsigned long long>(sequence % 100000));
  std::string suffix = RandomAlnum(5);
  for (char& c : suffix) {
    // Trino's suffix is lower-case letters.
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    else if (c >= '0' && c <= '9') c = static_cast<char>('a' + (c - '0'));
  }
  return std::string(stamp) + "_" + number + "_" + suffix;
}

bool ResultFiles::Done() const {
  std::lock_guard lock(mutex_);
  return done_;
}

std::optional<std::string> ResultFiles::Failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::int64_t ResultFiles::CompletedMs() const {
  std::lock_guard lock(mutex_);
  return completed_ms_;
}

void ResultFiles::Finish(std::int64_t completed_ms, std::optional<std::string> failure) {
  std::function<void()> then;
  {
    std::lock_guard lock(mutex_);
    if (done_) return;
    done_ = true;
    completed_ms_ = completed_ms;
    failure_ = std::move(failure);
    then = std::move(on_finish_);
  }
  if (then) then();
}

void ResultFiles::OnFinish(std::function<void()> then) {
  {
    std::lock_guard lock(mutex_);
    if (!done_) {
      on_finish_ = std::move(then);
      return;
    }
  }
  if (then) then();
}

namespace {

// Athena's reason when the output location cannot be written.
std::string WriteFailure(const AwsError& error, const S3Location& location, const std::string& key) {
  if (error.code == "NoSuchBucket") return "Unable to verify/create output bucket " + location.bucket;
  if (error.code == "AccessDenied") {
    return "Access denied when writing output to url: s3://" + location.bucket + "/" + key +
           " . Please ensure you are allowed to access the S3 bucket.";
  }
  return "Error writing query results to s3://" + location.bucket + "/" + key + ": " + error.code + ": " + error.message;
}

struct PendingWrite {
  const services::PeerDirectory* peers;
  RequestContext caller;
  S3Location location;
  std::function<std::int64_t()> clock;
  std::shared_ptr<ResultFiles> files;
};

void PutThen(std::shared_ptr<PendingWrite> write, std::string key, json::string body, std::string content_type,
             std::function<void()> next) {
  json::object input{{"Bucket", write->location.bucket}, {"Key", key}, {"ContentType", std::move(content_type)}};
  input["Body"] = std::move(body);
  write->peers->Invoke("s3", "PutObject", std::move(input), write->caller,
                       [write, key, next = std::move(next)](protocol::OperationResult result) {
                         if (!result.ok()) {
                           write->files->Finish(write->clock(), WriteFailure(result.error(), write->location, key));
                           return;
                         }
                         next();
                       });
}

}  // namespace

void WriteResultFiles(const services::PeerDirectory& peers, const RequestContext& caller, const std::string& output_url,
                      const sqlengine::QueryOutcome& outcome, bool ddl, std::string engine_query_id,
                      std::function<std::int64_t()> clock, std::shared_ptr<ResultFiles> files) {
  // output_url is the reported OutputLocation: the location plus `<id>.csv` / `<id>.txt`.
  auto parsed = ParseS3Location(output_url);
  if (!parsed) {
    files->Finish(clock(), "Unable to verify/create output bucket " + parsed.error());
    return;
  }
  auto write = std::make_shared<PendingWrite>(PendingWrite{&peers, caller, std::move(parsed).value(), clock, files});
  std::string key = write->location.key;
  json::string body;
  bool fits = ddl ? AppendResultText(outcome, body, kMaxResultFileBytes) : AppendResultCsv(outcome, body, kMaxResultFileBytes);
  if (!fits) {
    files->Finish(clock(), "Query result exceeds " + std::to_string(kMaxResultFileBytes >> 20) +
                               " MiB, the largest result file Mallard writes to S3");
    return;
  }
  std::string metadata = ResultMetadata(outcome, engine_query_id);
  std::string metadata_key = key + ".metadata";
  PutThen(write, key, std::move(body), ddl ? "text/plain" : "text/csv",
          [write, metadata_key, metadata = std::move(metadata)]() mutable {
            PutThen(write, metadata_key, json::string(metadata), "application/octet-stream",
                    [write] { write->files->Finish(write->clock(), std::nullopt); });
          });
}

}  // namespace mallard::athena

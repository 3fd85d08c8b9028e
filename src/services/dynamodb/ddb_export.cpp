// ExportTableToPointInTime, DescribeExport, ListExports: a full export of a table to S3 in the
// layout DynamoDB writes (<prefix>/AWSDynamoDB/<ExportId>/_started, manifest-summary.json,
// manifest-files.json, their .md5 files, and data/<name>.json.gz or .ion.gz), written through S3's
// peer operations by a job on DynamoDB's transfer pool. The items are the table's as the job reads
// them (the store keeps no readable snapshot at ExportTime; see README.md).
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "common/time_format.hpp"
#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"
#include "services/dynamodb/transfer/ddb_transfer_formats.hpp"
#include "services/dynamodb/transfer/ddb_transfer_jobs.hpp"
#include "services/kit/executor_directory.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;

namespace {

constexpr std::int64_t kMillisPerDay = 24LL * 3600 * 1000;
// A data file holds at most this many items or this many uncompressed bytes, so no file (and no
// buffer of the job) grows with the table.
constexpr std::size_t kItemsPerDataFile = 100000;
constexpr std::size_t kBytesPerDataFile = 64u << 20;

AwsError ExportNotFound(const std::string& arn) {
  return AwsError::Make("ExportNotFoundException", 400, "Export not found: " + arn);
}

std::string JobArnSuffix(std::int64_t now_millis) {
  char millis[32];
  std::snprintf(millis, sizeof millis, "%014lld", static_cast<long long>(now_millis));
  return std::string(millis) + "-" + RandomHex(8);
}

std::string DataFileName() {
  std::string name = RandomAlnum(26);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

struct ExportPlan {
  std::string arn;
  std::string export_id;
  std::string table_name;
  std::string table_arn;
  std::string table_id;
  std::string bucket;
  std::string prefix;  // without a trailing '/'
  std::string format;
  std::string sse_algorithm;
  std::int64_t export_time_millis = 0;
  std::int64_t start_millis = 0;
  Scope scope;
  RequestContext caller;

  std::string Key(std::string_view name) const {
    return (prefix.empty() ? std::string() : prefix + "/") + "AWSDynamoDB/" + export_id + "/" + std::string(name);
  }
};

// Runs the export and answers the final state's changes to the description.
Json RunExport(DynamoDbStore& store, const services::PeerDirectory* peers, const ExportPlan& plan, const Clock& clock) {
  auto failed = [&](std::string code, std::string message) {
    return Json{{"ExportStatus", "FAILED"},
                {"FailureCode", std::move(code)},
                {"FailureMessage", std::move(message)},
                {"EndTime", codec::EpochSeconds(clock())}};
  };
  auto head = transfer::CallS3(peers, "HeadBucket", Json{{"Bucket", plan.bucket}}, plan.caller);
  if (!head) {
    if (head.error().code == "NoSuchBucket") return failed("S3NoSuchBucket", "The specified bucket does not exist");
    return failed("UNKNOWN", head.error().message);
  }
  auto put = [&](const std::string& key, std::string body) -> Status<> {
    auto stored = transfer::CallS3(peers, "PutObject", Json{{"Bucket", plan.bucket}, {"Key", key}, {"Body", json::string(body)}},
                                   plan.caller);
    if (!stored) return Fail(std::move(stored).error());
    return Done{};
  };
  if (auto started = put(plan.Key("_started"), ""); !started)
    return failed("S3AccessDenied", started.error().message);

  const bool ion = plan.format == "ION";
  std::string manifest_files;
  std::string buffer;
  std::size_t buffered_items = 0;
  std::int64_t item_count = 0;
  std::int64_t billed_bytes = 0;
  auto flush = [&]() -> Status<> {
    std::string key = plan.Key("data/" + DataFileName() + (ion ? ".ion.gz" : ".json.gz"));
    std::string gz = transfer::GzipCompress(buffer);
    std::string md5_hex = Md5Hex(gz);
    std::string md5_raw;
    for (std::size_t i = 0; i + 1 < md5_hex.size(); i += 2) md5_raw += static_cast<char>(std::stoi(md5_hex.substr(i, 2), nullptr, 16));
    Json line{{"itemCount", buffered_items}, {"md5", Base64Encode(md5_raw)}, {"etag", md5_hex}, {"dataFileS3Key", key}};
    MALLARD_RETURN_IF_ERROR(put(key, std::move(gz)));
    manifest_files += json::serialize(line);
    manifest_files += '\n';
    buffer.clear();
    buffered_items = 0;
    return Done{};
  };
  ScanRequest request;
  request.table = plan.table_name;
  request.max_bytes = 1 << 20;
  while (true) {
    auto page = store.Scan(plan.scope, request);
    if (!page) return failed("UNKNOWN", "The table could not be read: " + page.error().detail);
    for (const auto& item : page->items) {
      if (ion) transfer::AppendIonLine(item, buffer);
      else transfer::AppendDynamoDbJsonLine(item, buffer);
      ++buffered_items;
      ++item_count;
      billed_bytes += static_cast<std::int64_t>(ItemSize(item));
      if (buffered_items >= kItemsPerDataFile || buffer.size() >= kBytesPerDataFile) {
        if (auto flushed = flush(); !flushed) return failed("S3AccessDenied", flushed.error().message);
      }
    }
    if (!page->last_evaluated_key) break;
    request.exclusive_start_key = std::move(page->last_evaluated_key);
  }
  // An empty table still gets one (empty) data file, as an empty partition does in DynamoDB.
  if (buffered_items > 0 || manifest_files.empty()) {
    if (auto flushed = flush(); !flushed) return failed("S3AccessDenied", flushed.error().message);
  }
  const std::int64_t end_millis = clock();
  const std::string files_key = plan.Key("manifest-files.json");
  Json summary{{"version", "2020-06-30"},
               {"exportArn", plan.arn},
               {"startTime", FormatIso8601Millis(plan.start_millis)},
               {"endTime", FormatIso8601Millis(end_millis)},
               {"tableArn", plan.table_arn},
               {"tableId", plan.table_id},
               {"exportTime", FormatIso8601Millis(plan.export_time_millis)},
               {"s3Bucket", plan.bucket},
               {"s3Prefix", plan.prefix.empty() ? json::value(nullptr) : json::value(plan.prefix)},
               {"s3SseAlgorithm", plan.sse_algorithm},
               {"s3SseKmsKeyId", nullptr},
               {"manifestFilesS3Key", files_key},
               {"billedSizeBytes", billed_bytes},
               {"itemCount", item_count},
               {"outputFormat", plan.format},
               {"exportType", "FULL_EXPORT"}};
  std::string summary_text = json::serialize(summary);
  for (auto [key, body] : {std::pair{files_key, manifest_files},
                           std::pair{plan.Key("manifest-files.md5"), Md5Hex(manifest_files)},
                           std::pair{plan.Key("manifest-summary.json"), summary_text},
                           std::pair{plan.Key("manifest-summary.md5"), Md5Hex(summary_text)}}) {
    if (auto stored = put(key, body); !stored) return failed("S3AccessDenied", stored.error().message);
  }
  return Json{{"ExportStatus", "COMPLETED"},
              {"EndTime", codec::EpochSeconds(end_millis)},
              {"ExportManifest", plan.Key("manifest-summary.json")},
              {"ItemCount", item_count},
              {"BilledSizeBytes", billed_bytes}};
}

}  // namespace

Result<Json> DynamoDbService::ExportTableToPointInTime(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_arn, input::RequiredString(call.input, "TableArn"));
  MALLARD_ASSIGN_OR_RETURN(auto bucket, input::RequiredString(call.input, "S3Bucket"));
  MALLARD_ASSIGN_OR_RETURN(auto prefix, input::OptionalString(call.input, "S3Prefix"));
  MALLARD_ASSIGN_OR_RETURN(auto client_token, input::OptionalString(call.input, "ClientToken"));
  MALLARD_ASSIGN_OR_RETURN(auto format, input::EnumMember(call.input, "ExportFormat", {"DYNAMODB_JSON", "ION"}, "DYNAMODB_JSON"));
  MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(call.input, "ExportType", {"FULL_EXPORT", "INCREMENTAL_EXPORT"}, "FULL_EXPORT"));
  MALLARD_ASSIGN_OR_RETURN(auto sse, input::EnumMember(call.input, "S3SseAlgorithm", {"AES256", "KMS"}, "AES256"));
  if (type == "INCREMENTAL_EXPORT")
    return Fail(errors::Validation("Incremental exports are not supported by Mallard: it keeps no change history "
                                   "readable by time range; use FULL_EXPORT"));
  const std::string name = codec::TableNameFromArnOrName(table_arn);
  auto table = store_->GetTable(call.scope, name);
  if (!table) return Fail(errors::LookupFailed(table.error(), AwsError::Make("TableNotFoundException", 400, "Table not found: " + table_arn)));
  if (!table->pitr_enabled) return Fail(errors::PointInTimeRecoveryUnavailable(name));
  std::int64_t export_time = call.now_millis;
  if (const auto* time = call.input.if_contains("ExportTime"); time != nullptr && !time->is_null()) {
    if (!time->is_number()) return Fail(input::WrongType("ExportTime", "timestamp"));
    export_time = static_cast<std::int64_t>(std::llround(time->to_number<double>() * 1000.0));
    const std::int64_t earliest = std::max(table->pitr_enabled_millis, call.now_millis - table->pitr_recovery_days * kMillisPerDay);
    if (export_time < earliest - 1000 || export_time > call.now_millis)
      return Fail(AwsError::Make("InvalidExportTimeException", 400,
                                 "Export time must be within the point in time recovery window of the table"));
  }
  // The request as sent: a ClientToken repeated with anything else different is a conflict.
  std::string fingerprint = json::serialize(call.input);
  {
    std::lock_guard lock(transfers_->mutex);
    if (client_token) {
      if (auto found = transfers_->export_tokens.find(*client_token); found != transfers_->export_tokens.end()) {
        // ExportConflictException: the error ExportTableToPointInTime declares for a reused token.
        if (transfers_->export_fingerprints[found->second] != fingerprint)
          return Fail(AwsError::Make("ExportConflictException", 400,
                                     "There is already an export with the same client token and different parameters"));
        return Json{{"ExportDescription", transfers_->exports[found->second]}};
      }
    }
  }
  ExportPlan plan;
  plan.arn = table->arn + "/export/" + JobArnSuffix(call.now_millis);
  plan.export_id = plan.arn.substr(plan.arn.rfind('/') + 1);
  plan.table_name = name;
  plan.table_arn = table->arn;
  plan.table_id = table->table_id;
  plan.bucket = bucket;
  plan.prefix = prefix.value_or("");
  while (!plan.prefix.empty() && plan.prefix.back() == '/') plan.prefix.pop_back();
  plan.format = format;
  plan.sse_algorithm = sse;
  plan.export_time_millis = export_time;
  plan.start_millis = call.now_millis;
  plan.scope = call.scope;
  plan.caller = call.context;
  Json description{{"ExportArn", plan.arn},
                   {"ExportStatus", "IN_PROGRESS"},
                   {"StartTime", codec::EpochSeconds(call.now_millis)},
                   {"TableArn", table->arn},
                   {"TableId", table->table_id},
                   {"ExportTime", codec::EpochSeconds(export_time)},
                   {"S3Bucket", bucket},
                   {"S3SseAlgorithm", sse},
                   {"ExportFormat", format},
                   {"ExportType", type}};
  if (prefix) description["S3Prefix"] = *prefix;
  if (client_token) description["ClientToken"] = *client_token;
  if (const auto owner = input::OptionalString(call.input, "S3BucketOwner"); owner && *owner) description["S3BucketOwner"] = **owner;
  {
    std::lock_guard lock(transfers_->mutex);
    transfers_->exports[plan.arn] = description;
    transfers_->export_order.push_back(plan.arn);
    transfers_->export_fingerprints[plan.arn] = fingerprint;
    if (client_token) transfers_->export_tokens[*client_token] = plan.arn;
  }
  auto job = [store = store_, peers = runtime_.peers, jobs = transfers_, clock = runtime_.clock, plan] {
    Json outcome = RunExport(*store, peers, plan, clock);
    std::lock_guard lock(jobs->mutex);
    auto found = jobs->exports.find(plan.arn);
    if (found == jobs->exports.end()) return;  // Reset while it ran
    for (auto& member : outcome) found->second[member.key()] = member.value();
  };
  if (runtime_.executors != nullptr) boost::asio::post(runtime_.executors->Pool("dynamodb-transfer", 2), std::move(job));
  else job();
  return Json{{"ExportDescription", std::move(description)}};
}

Result<Json> DynamoDbService::DescribeExport(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ExportArn"));
  std::lock_guard lock(transfers_->mutex);
  auto found = transfers_->exports.find(arn);
  if (found == transfers_->exports.end()) return Fail(ExportNotFound(arn));
  return Json{{"ExportDescription", found->second}};
}

Result<Json> DynamoDbService::ListExports(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_arn, input::OptionalString(call.input, "TableArn"));
  MALLARD_ASSIGN_OR_RETURN(auto max_results, input::OptionalInt(call.input, "MaxResults"));
  MALLARD_ASSIGN_OR_RETURN(auto next_token, input::OptionalString(call.input, "NextToken"));
  const std::size_t limit = static_cast<std::size_t>(max_results.value_or(25));
  std::lock_guard lock(transfers_->mutex);
  json::array summaries;
  std::size_t start = 0;
  if (next_token) {
    auto at = std::find(transfers_->export_order.begin(), transfers_->export_order.end(), *next_token);
    if (at == transfers_->export_order.end()) return Fail(errors::Validation("Invalid NextToken"));
    start = static_cast<std::size_t>(at - transfers_->export_order.begin());
  }
  Json output;
  for (std::size_t i = start; i < transfers_->export_order.size(); ++i) {
    const auto& description = transfers_->exports[transfers_->export_order[i]];
    if (table_arn && description.at("TableArn").as_string() != *table_arn) continue;
    if (summaries.size() == limit) {
      output["NextToken"] = transfers_->export_order[i];
      break;
    }
    summaries.push_back(Json{{"ExportArn", description.at("ExportArn")},
                             {"ExportStatus", description.at("ExportStatus")},
                             {"ExportType", description.at("ExportType")}});
  }
  output["ExportSummaries"] = std::move(summaries);
  return output;
}

}  // namespace mallard::dynamodb

// ImportTable, DescribeImport, ListImports: creates the table from TableCreationParameters, then a
// job on DynamoDB's transfer pool reads every object under the S3 source's prefix through S3's peer
// operations, decompresses it (NONE, GZIP, ZSTD), parses it (CSV, DYNAMODB_JSON, ION) and writes the
// items. Items that fail to parse or validate are counted in ErrorCount and logged (AWS writes them
// to CloudWatch Logs; Mallard has no CloudWatch, so the server log holds them).
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdio>

#include "common/ids.hpp"
#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_item_rules.hpp"
#include "services/dynamodb/ddb_service.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"
#include "services/dynamodb/transfer/ddb_transfer_formats.hpp"
#include "services/dynamodb/transfer/ddb_transfer_jobs.hpp"
#include "services/kit/executor_directory.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = DynamoDbService::Json;

namespace {

// One object is decompressed and parsed in memory: beyond this it is an error, not an outage.
constexpr std::size_t kMaxObjectBytes = 1u << 30;

struct ImportPlan {
  std::string arn;
  std::string bucket;
  std::string prefix;
  std::string format;
  std::string compression;
  transfer::CsvOptions csv;
  TableDefinition table;
  Scope scope;
  RequestContext caller;
};

struct ImportCounts {
  std::int64_t processed_items = 0;
  std::int64_t processed_bytes = 0;
  std::int64_t imported_items = 0;
  std::int64_t errors = 0;
};

Json RunImport(DynamoDbStore& store, const services::PeerDirectory* peers, const ImportPlan& plan, const Clock& clock) {
  ImportCounts counts;
  auto finish = [&](std::string status, std::string code = "", std::string message = "") {
    Json outcome{{"ImportStatus", std::move(status)},
                 {"EndTime", codec::EpochSeconds(clock())},
                 {"ProcessedItemCount", counts.processed_items},
                 {"ProcessedSizeBytes", counts.processed_bytes},
                 {"ImportedItemCount", counts.imported_items},
                 {"ErrorCount", counts.errors}};
    if (!code.empty()) {
      outcome["FailureCode"] = std::move(code);
      outcome["FailureMessage"] = std::move(message);
    }
    return outcome;
  };
  auto reject = [&](const std::string& where, const std::string& why) {
    ++counts.errors;
    spdlog::warn("dynamodb: import {}: {}: {}", plan.arn, where, why);
  };
  auto write = [&](Item item, const std::string& where) {
    ++counts.processed_items;
    if (auto valid = rules::ValidateItem(plan.table, item); !valid) return reject(where, valid.error().message);
    ItemRef ref{plan.table.name, ExtractKey(plan.table.keys, item)};
    auto written = store.WriteItems(
        plan.scope, {ref},
        [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
          return std::vector<ItemWrite>{{ItemWrite::Kind::Put, item}};
        },
        {clock(), false});
    if (!written) return reject(where, written.error().detail);
    if (!written->ok()) return reject(where, written->error().message);
    ++counts.imported_items;
  };
  std::string after;
  while (true) {
    Json list{{"Bucket", plan.bucket}, {"Prefix", plan.prefix}, {"MaxKeys", 1000}};
    if (!after.empty()) list["StartAfter"] = after;
    auto listed = transfer::CallS3(peers, "ListObjectsV2", std::move(list), plan.caller);
    if (!listed) {
      if (listed.error().code == "NoSuchBucket")
        return finish("FAILED", "S3NoSuchBucket", "The specified bucket does not exist");
      return finish("FAILED", "UNKNOWN", listed.error().message);
    }
    const auto& contents = listed->at("Contents").as_array();
    for (const auto& entry : contents) {
      std::string key(entry.at("Key").as_string());
      after = key;
      auto object = transfer::CallS3(peers, "GetObject", Json{{"Bucket", plan.bucket}, {"Key", key}}, plan.caller);
      if (!object) {
        reject(key, object.error().message);
        continue;
      }
      const auto& body = object->at("Body").as_string();
      counts.processed_bytes += static_cast<std::int64_t>(body.size());
      std::string text;
      if (plan.compression != "NONE") {
        const std::string_view compressed(body.data(), body.size());
        auto inflated = plan.compression == "GZIP" ? transfer::GzipDecompress(compressed, kMaxObjectBytes)
                                                   : transfer::ZstdDecompress(compressed, kMaxObjectBytes);
        if (!inflated) {
          reject(key, inflated.error());
          continue;
        }
        text = std::move(inflated).value();
      } else {
        text.assign(body.data(), body.size());
      }
      if (plan.format == "DYNAMODB_JSON") {
        std::size_t line_number = 0, start = 0;
        while (start < text.size()) {
          std::size_t end = text.find('\n', start);
          if (end == std::string::npos) end = text.size();
          std::string_view line(text.data() + start, end - start);
          start = end + 1;
          ++line_number;
          if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
          auto item = transfer::ParseDynamoDbJsonLine(line);
          std::string where = key + " line " + std::to_string(line_number);
          if (!item) {
            ++counts.processed_items;
            reject(where, item.error());
            continue;
          }
          write(std::move(item).value(), where);
        }
      } else if (plan.format == "ION") {
        auto document = transfer::ParseIonItems(text);
        for (auto& item : document.items) write(std::move(item), key);
        counts.processed_items += static_cast<std::int64_t>(document.errors);
        for (std::size_t i = 0; i < document.errors; ++i) reject(key, document.error.value_or("malformed Ion"));
      } else {
        auto rows = transfer::ParseCsvItems(text, plan.csv, plan.table);
        for (auto& item : rows.items) write(std::move(item), key);
        counts.processed_items += static_cast<std::int64_t>(rows.errors.size());
        for (const auto& error : rows.errors) reject(key, error);
      }
    }
    if (!listed->at("IsTruncated").as_bool() || contents.empty()) break;
  }
  return finish("COMPLETED");
}

std::string ImportArnSuffix(std::int64_t now_millis) {
  char millis[32];
  std::snprintf(millis, sizeof millis, "%014lld", static_cast<long long>(now_millis));
  return std::string(millis) + "-" + RandomHex(8);
}

}  // namespace

Result<Json> DynamoDbService::ImportTable(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto source, input::OptionalObject(call.input, "S3BucketSource"));
  if (source == nullptr) return Fail(input::MissingMember("S3BucketSource"));
  MALLARD_ASSIGN_OR_RETURN(auto bucket, input::RequiredString(*source, "S3Bucket"));
  MALLARD_ASSIGN_OR_RETURN(auto prefix, input::OptionalString(*source, "S3KeyPrefix"));
  MALLARD_ASSIGN_OR_RETURN(auto format, input::EnumMember(call.input, "InputFormat", {"DYNAMODB_JSON", "ION", "CSV"}, ""));
  if (format.empty()) return Fail(input::MissingMember("InputFormat"));
  MALLARD_ASSIGN_OR_RETURN(auto compression,
                           input::EnumMember(call.input, "InputCompressionType", {"GZIP", "ZSTD", "NONE"}, "NONE"));
  MALLARD_ASSIGN_OR_RETURN(auto client_token, input::OptionalString(call.input, "ClientToken"));
  MALLARD_ASSIGN_OR_RETURN(auto options, input::OptionalObject(call.input, "InputFormatOptions"));
  MALLARD_ASSIGN_OR_RETURN(auto parameters, input::OptionalObject(call.input, "TableCreationParameters"));
  if (parameters == nullptr) return Fail(input::MissingMember("TableCreationParameters"));
  ImportPlan plan;
  if (options != nullptr) {
    MALLARD_ASSIGN_OR_RETURN(auto csv, input::OptionalObject(*options, "Csv"));
    if (csv != nullptr) {
      if (format != "CSV")
        return Fail(errors::Validation("InputFormatOptions Csv can only be specified with InputFormat CSV"));
      MALLARD_ASSIGN_OR_RETURN(auto delimiter, input::OptionalString(*csv, "Delimiter"));
      if (delimiter) {
        // Delimiter: one of , \t : ; | and space (CsvOptions in the API reference).
        if (delimiter->size() != 1 || std::string_view(",\t:;| ").find((*delimiter)[0]) == std::string_view::npos)
          return Fail(errors::Validation("Invalid CSV delimiter: " + *delimiter));
        plan.csv.delimiter = (*delimiter)[0];
      }
      MALLARD_ASSIGN_OR_RETURN(auto header, input::OptionalArray(*csv, "HeaderList"));
      if (header != nullptr) {
        for (const auto& name : *header) {
          if (!name.is_string()) return Fail(input::WrongType("HeaderList", "string"));
          plan.csv.header.emplace_back(name.get_string());
        }
      }
    }
  }
  {
    std::lock_guard lock(transfers_->mutex);
    if (client_token) {
      if (auto found = transfers_->import_tokens.find(*client_token); found != transfers_->import_tokens.end()) {
        if (transfers_->import_fingerprints[found->second] != json::serialize(call.input))
          // ImportConflictException: the error ImportTable declares for a reused client token.
          return Fail(AwsError::Make("ImportConflictException", 400,
                                     "There is already an import with the same client token and different parameters"));
        return Json{{"ImportTableDescription", transfers_->imports[found->second]}};
      }
    }
  }
  // The table is created as CreateTable would create it, with CreateTable's judgement and errors
  // (ResourceInUseException when it exists).
  Call create{call.context, *parameters, call.scope, call.now_millis};
  MALLARD_ASSIGN_OR_RETURN(auto created, CreateTable(create));
  const auto& table_name = created.at("TableDescription").at("TableName").as_string();
  auto table = store_->GetTable(call.scope, std::string(table_name));
  if (!table) return Fail(errors::FromStore(table.error()));
  plan.arn = table->arn + "/import/" + ImportArnSuffix(call.now_millis);
  plan.bucket = bucket;
  plan.prefix = prefix.value_or("");
  plan.format = format;
  plan.compression = compression;
  plan.table = *table;
  plan.scope = call.scope;
  plan.caller = call.context;
  Json description{{"ImportArn", plan.arn},
                   {"ImportStatus", "IN_PROGRESS"},
                   {"TableArn", table->arn},
                   {"TableId", table->table_id},
                   {"S3BucketSource", *source},
                   {"ErrorCount", 0},
                   {"CloudWatchLogGroupArn", "arn:aws:logs:" + call.scope.region + ":" + call.scope.account +
                                                 ":log-group:/aws-dynamodb/imports:*"},
                   {"InputFormat", format},
                   {"InputCompressionType", compression},
                   {"TableCreationParameters", *parameters},
                   {"StartTime", codec::EpochSeconds(call.now_millis)},
                   {"ProcessedSizeBytes", 0},
                   {"ProcessedItemCount", 0},
                   {"ImportedItemCount", 0}};
  if (options != nullptr) description["InputFormatOptions"] = *options;
  if (client_token) description["ClientToken"] = *client_token;
  {
    std::lock_guard lock(transfers_->mutex);
    transfers_->imports[plan.arn] = description;
    transfers_->import_order.push_back(plan.arn);
    transfers_->import_fingerprints[plan.arn] = json::serialize(call.input);
    if (client_token) transfers_->import_tokens[*client_token] = plan.arn;
  }
  auto job = [store = store_, peers = runtime_.peers, jobs = transfers_, clock = runtime_.clock, plan] {
    Json outcome = RunImport(*store, peers, plan, clock);
    std::lock_guard lock(jobs->mutex);
    auto found = jobs->imports.find(plan.arn);
    if (found == jobs->imports.end()) return;
    for (auto& member : outcome) found->second[member.key()] = member.value();
  };
  if (runtime_.executors != nullptr) boost::asio::post(runtime_.executors->Pool("dynamodb-transfer", 2), std::move(job));
  else job();
  return Json{{"ImportTableDescription", std::move(description)}};
}

Result<Json> DynamoDbService::DescribeImport(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(call.input, "ImportArn"));
  std::lock_guard lock(transfers_->mutex);
  auto found = transfers_->imports.find(arn);
  if (found == transfers_->imports.end())
    return Fail(AwsError::Make("ImportNotFoundException", 400, "Import not found: " + arn));
  return Json{{"ImportTableDescription", found->second}};
}

Result<Json> DynamoDbService::ListImports(const Call& call) {
  MALLARD_ASSIGN_OR_RETURN(auto table_arn, input::OptionalString(call.input, "TableArn"));
  MALLARD_ASSIGN_OR_RETURN(auto page_size, input::OptionalInt(call.input, "PageSize"));
  MALLARD_ASSIGN_OR_RETURN(auto next_token, input::OptionalString(call.input, "NextToken"));
  const std::size_t limit = static_cast<std::size_t>(page_size.value_or(25));
  std::lock_guard lock(transfers_->mutex);
  std::size_t start = 0;
  if (next_token) {
    auto at = std::find(transfers_->import_order.begin(), transfers_->import_order.end(), *next_token);
    if (at == transfers_->import_order.end()) return Fail(errors::Validation("Invalid NextToken"));
    start = static_cast<std::size_t>(at - transfers_->import_order.begin());
  }
  json::array summaries;
  Json output;
  for (std::size_t i = start; i < transfers_->import_order.size(); ++i) {
    const auto& description = transfers_->imports[transfers_->import_order[i]];
    if (table_arn && description.at("TableArn").as_string() != *table_arn) continue;
    if (summaries.size() == limit) {
      output["NextToken"] = transfers_->import_order[i];
      break;
    }
    Json summary;
    for (const char* member : {"ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn",
                               "InputFormat", "StartTime", "EndTime"})
      if (const auto* value = description.if_contains(member)) summary[member] = *value;
    summaries.push_back(std::move(summary));
  }
  output["ImportSummaryList"] = std::move(summaries);
  return output;
}

}  // namespace mallard::dynamodb

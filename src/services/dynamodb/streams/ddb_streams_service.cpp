#include "services/dynamodb/streams/ddb_streams_service.hpp"

#include <algorithm>
#include <optional>
#include <vector>

#include "common/encoding.hpp"
#include "services/dynamodb/ddb_input.hpp"
#include "services/dynamodb/ddb_request_validation.hpp"
#include "services/dynamodb/ddb_table_codec.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;
using Json = json::object;
using errors::Validation;

namespace {

constexpr std::int64_t kIteratorLifetimeMillis = 15 * 60 * 1000;
constexpr std::int64_t kMaxRecordsPerCall = 1000;

struct ShardIterator {
  std::string stream_arn;
  std::string shard_id;
  std::string after_sequence;  // "" = from the trim horizon
  std::int64_t issued_millis = 0;
};

// Iterators are opaque to clients; ours carry the position, so any server sharing the store can
// continue them.
std::string EncodeIterator(const ShardIterator& iterator) {
  const std::string payload = iterator.stream_arn + "|" + iterator.shard_id + "|" + iterator.after_sequence + "|" +
                              std::to_string(iterator.issued_millis);
  return iterator.stream_arn + "|1|" + Base64Encode(payload);
}

std::optional<ShardIterator> DecodeIterator(const std::string& text) {
  const auto marker = text.find("|1|");
  if (marker == std::string::npos) return std::nullopt;
  auto payload = Base64Decode(text.substr(marker + 3));
  if (!payload) return std::nullopt;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= payload->size(); ++i) {
    if (i == payload->size() || (*payload)[i] == '|') {
      parts.push_back(payload->substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() != 4) return std::nullopt;
  ShardIterator iterator{parts[0], parts[1], parts[2], 0};
  try {
    iterator.issued_millis = std::stoll(parts[3]);
  } catch (...) {
    return std::nullopt;
  }
  return iterator;
}

bool IsSequenceNumber(const std::string& text) {
  if (text.empty() || text.size() > 40) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The sequence number just before `sequence` (same width), so AT_SEQUENCE_NUMBER reads it.
std::string Predecessor(std::string sequence) {
  for (std::size_t i = sequence.size(); i-- > 0;) {
    if (sequence[i] != '0') {
      --sequence[i];
      return sequence;
    }
    sequence[i] = '9';
  }
  return "";
}

Json RecordJson(const StreamRecord& record, const std::string& region) {
  Json body{{"ApproximateCreationDateTime", static_cast<double>(record.created_millis / 1000)},
            {"Keys", MapToJson(record.keys)}};
  if (record.new_image) body["NewImage"] = MapToJson(*record.new_image);
  if (record.old_image) body["OldImage"] = MapToJson(*record.old_image);
  body["SequenceNumber"] = record.sequence_number;
  body["SizeBytes"] = static_cast<std::int64_t>(record.size_bytes);
  body["StreamViewType"] = record.view_type;
  Json json{{"eventID", record.event_id},
            {"eventName", record.event_name},
            {"eventVersion", "1.1"},
            {"eventSource", "aws:dynamodb"},
            {"awsRegion", region},
            {"dynamodb", std::move(body)}};
  if (record.by_ttl)
    json["userIdentity"] = Json{{"PrincipalId", "dynamodb.amazonaws.com"}, {"Type", "Service"}};
  return json;
}

bool IsStreamArn(const std::string& arn) {
  return arn.rfind("arn:", 0) == 0 && arn.find(":dynamodb:") != std::string::npos &&
         arn.find(":table/") != std::string::npos && arn.find("/stream/") != std::string::npos;
}

// ShardId is 28 to 65 characters (botocore's dynamodbstreams model); `path` is the member as AWS prints it.
Status<> CheckShardId(const std::string& path, const std::string& shard_id) {
  if (shard_id.size() < 28)
    return Fail(input::ConstraintError(path, "'" + shard_id + "'", "Member must have length greater than or equal to 28"));
  if (shard_id.size() > 65)
    return Fail(input::ConstraintError(path, "'" + shard_id + "'", "Member must have length less than or equal to 65"));
  return Done{};
}

// DescribeStream's ShardFilter: CHILD_SHARDS (the only type AWS has) of the shard `parent_shard_id`.
struct ShardFilter {
  std::string parent_shard_id;
};

Result<std::optional<ShardFilter>> ReadShardFilter(const Json& in) {
  MALLARD_ASSIGN_OR_RETURN(const Json* filter, input::OptionalObject(in, "ShardFilter"));
  if (!filter) return std::optional<ShardFilter>();
  MALLARD_ASSIGN_OR_RETURN(auto type, input::OptionalString(*filter, "Type"));
  if (!type) return Fail(input::MissingMember("shardFilter.type"));
  if (*type != "CHILD_SHARDS")
    return Fail(input::ConstraintError("shardFilter.type", "'" + *type + "'",
                                       "Member must satisfy enum value set: [CHILD_SHARDS]"));
  MALLARD_ASSIGN_OR_RETURN(auto shard_id, input::OptionalString(*filter, "ShardId"));
  if (!shard_id) return Fail(input::MissingMember("shardFilter.shardId"));
  MALLARD_RETURN_IF_ERROR(CheckShardId("shardFilter.shardId", *shard_id));
  return std::optional<ShardFilter>(ShardFilter{*shard_id});
}

// Narrows `shards` (in the stream's order) to the page DescribeStream returns: those after
// ExclusiveStartShardId (none when it is the last shard or unknown, as AWS answers), the children of
// the filter's shard, at most `limit`. Returns whether shards beyond the page remain.
bool SelectShards(std::vector<StreamShard>& shards, const std::optional<std::string>& exclusive_start,
                  const std::optional<ShardFilter>& filter, std::size_t limit) {
  auto first = shards.begin();
  if (exclusive_start) {
    first = std::find_if(shards.begin(), shards.end(),
                         [&](const StreamShard& shard) { return shard.shard_id == *exclusive_start; });
    if (first != shards.end()) ++first;
  }
  std::vector<StreamShard> selected;
  bool more = false;
  for (auto it = first; it != shards.end(); ++it) {
    if (filter && it->parent_shard_id != filter->parent_shard_id) continue;
    if (selected.size() == limit) {
      more = true;
      break;
    }
    selected.push_back(std::move(*it));
  }
  shards = std::move(selected);
  return more;
}

AwsError StreamNotFound(const std::string& arn) {
  return errors::ResourceNotFound("Requested resource not found: Stream: " + arn + " not found");
}

}  // namespace

DynamoDbStreamsService::DynamoDbStreamsService(std::shared_ptr<DynamoDbStore> store,
                                               services::ServiceContext runtime)
    : store_(std::move(store)),
      runtime_(std::move(runtime)),
      executor_("dynamodbstreams", runtime_, errors::InternalServerError("unexpected failure"), store_->IsInline()) {}

const services::ServiceDescriptor& DynamoDbStreamsService::Descriptor() const {
  static const services::ServiceDescriptor descriptor = [] {
    services::ServiceDescriptor d;
    d.name = "dynamodbstreams";
    d.signing_name = "dynamodb";
    d.json_target_prefix = "DynamoDBStreams_20120810";
    d.json_error_namespace = "com.amazonaws.dynamodb.v20120810#";
    d.crc32_header = true;
    d.json_error_on_the_wire = &errors::OnTheWire;
    d.operations = Operations().Names();
    return d;
  }();
  return descriptor;
}

const DynamoDbStreamsService::Table& DynamoDbStreamsService::Operations() {
  using services::kit::RunOn;
  // Rows for their names and handlers; Judged runs them, after the request's judgement.
  static const services::kit::OperationTable<DynamoDbStreamsService> table = {
      {"ListStreams", &DynamoDbStreamsService::ListStreams, RunOn::Store},
      {"DescribeStream", &DynamoDbStreamsService::DescribeStream, RunOn::Store},
      {"GetShardIterator", &DynamoDbStreamsService::GetShardIterator, RunOn::Store},
      {"GetRecords", &DynamoDbStreamsService::GetRecords, RunOn::Store},
  };
  return table;
}

void DynamoDbStreamsService::Invoke(protocol::OperationRequest request, protocol::OperationCallback done) {
  // Judged before the lookup (as AWS does), so the executor runs it where the row says; an unknown
  // operation touches no store: inline.
  const auto* row = Operations().Find(request.operation);
  const services::kit::RunOn run_on = row != nullptr ? row->run_on : services::kit::RunOn::Inline;
  executor_.Run(run_on, std::move(request), std::move(done),
                [this, row](const protocol::OperationRequest& request) { return Judged(request, row); });
}

protocol::OperationResult DynamoDbStreamsService::Judged(const protocol::OperationRequest& request, const Table::Row* row) {
  // Wire types and constraints first, as AWS judges them (ddb_request_validation.hpp), then the
  // operation (an unknown one after the judgement, as before the table).
  if (auto rejected = request_validation::CheckRequest(request_validation::ModelService::Streams, request.operation,
                                                       request.input))
    return Fail(std::move(*rejected));
  if (row == nullptr) return Fail(AwsError::Make("UnknownOperationException", 400, "Unknown operation " + request.operation));
  return (this->*(row->handler))(request);
}

protocol::OperationResult DynamoDbStreamsService::ListStreams(const protocol::OperationRequest& request) {
  const Scope scope{request.context.account_id, request.context.region};
  const Json& in = request.input;
  MALLARD_ASSIGN_OR_RETURN(auto table, input::OptionalString(in, "TableName"));
  MALLARD_ASSIGN_OR_RETURN(auto limit, input::OptionalInt(in, "Limit"));
  MALLARD_ASSIGN_OR_RETURN(auto start, input::OptionalString(in, "ExclusiveStartStreamArn"));
  if (limit && (*limit < 1 || *limit > 100))
    return Fail(input::ConstraintError("Limit", "'" + std::to_string(*limit) + "'", "Member must have value between 1 and 100"));
  // A start that cannot be a stream ARN is rejected (AWS answers ValidationException; ScyllaDB's
  // test_list_streams_with_nonexistent_last_stream, run against AWS); a well-formed unknown one lists nothing.
  if (start && !IsStreamArn(*start)) return Fail(Validation("Invalid ExclusiveStartStreamArn"));
  auto streams = store_->ListStreams(scope, table ? codec::TableNameFromArnOrName(*table) : "");
  if (!streams) return Fail(errors::FromStore(streams.error()));
  json::array listed;
  bool started = !start;
  std::string last;
  bool more = false;
  for (const auto& stream : *streams) {
    if (!started) {
      started = stream.arn == *start;
      continue;
    }
    if (listed.size() >= static_cast<std::size_t>(limit.value_or(100))) {
      more = true;
      break;
    }
    listed.push_back(Json{{"StreamArn", stream.arn}, {"TableName", stream.table_name}, {"StreamLabel", stream.label}});
    last = stream.arn;
  }
  Json output{{"Streams", std::move(listed)}};
  if (more) output["LastEvaluatedStreamArn"] = last;
  return output;
}

protocol::OperationResult DynamoDbStreamsService::DescribeStream(const protocol::OperationRequest& request) {
  const Scope scope{request.context.account_id, request.context.region};
  const Json& in = request.input;
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(in, "StreamArn"));
  MALLARD_ASSIGN_OR_RETURN(auto limit, input::OptionalInt(in, "Limit"));
  if (limit && (*limit < 1 || *limit > 100))
    return Fail(input::ConstraintError("Limit", "'" + std::to_string(*limit) + "'", "Member must have value between 1 and 100"));
  MALLARD_ASSIGN_OR_RETURN(auto start, input::OptionalString(in, "ExclusiveStartShardId"));
  if (start) {
    MALLARD_RETURN_IF_ERROR(CheckShardId("exclusiveStartShardId", *start));
  }
  MALLARD_ASSIGN_OR_RETURN(auto filter, ReadShardFilter(in));
  if (!IsStreamArn(arn)) return Fail(Validation("Invalid StreamArn"));
  auto stream = store_->DescribeStream(scope, arn);
  if (!stream) return Fail(errors::LookupFailed(stream.error(), StreamNotFound(arn)));
  const bool more = SelectShards(stream->shards, start, filter, static_cast<std::size_t>(limit.value_or(100)));
  auto description = codec::StreamDescriptionJson(*stream);
  if (more) description["LastEvaluatedShardId"] = stream->shards.back().shard_id;
  return Json{{"StreamDescription", std::move(description)}};
}

protocol::OperationResult DynamoDbStreamsService::GetShardIterator(const protocol::OperationRequest& request) {
  const Scope scope{request.context.account_id, request.context.region};
  const Json& in = request.input;
  const std::int64_t now = runtime_.clock();
  MALLARD_ASSIGN_OR_RETURN(auto arn, input::RequiredString(in, "StreamArn"));
  MALLARD_ASSIGN_OR_RETURN(auto shard_id, input::RequiredString(in, "ShardId"));
  MALLARD_ASSIGN_OR_RETURN(auto type, input::EnumMember(in, "ShardIteratorType",
                                                        {"TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER",
                                                         "AFTER_SEQUENCE_NUMBER"},
                                                        ""));
  if (type.empty()) return Fail(input::MissingMember("ShardIteratorType"));
  MALLARD_ASSIGN_OR_RETURN(auto sequence, input::OptionalString(in, "SequenceNumber"));
  const bool positioned = type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER";
  if (positioned && !sequence)
    return Fail(Validation("Must specify a sequence number for iterator type " + type));
  if (!positioned && sequence)
    return Fail(Validation("Sequence number must not be specified for iterator type " + type));
  if (sequence && !IsSequenceNumber(*sequence)) return Fail(Validation("Invalid SequenceNumber: " + *sequence));
  if (!IsStreamArn(arn)) return Fail(Validation("Invalid StreamArn"));
  auto stream = store_->DescribeStream(scope, arn);
  if (!stream) return Fail(errors::LookupFailed(stream.error(), StreamNotFound(arn)));
  const StreamShard* shard = nullptr;
  for (const auto& candidate : stream->shards)
    if (candidate.shard_id == shard_id) shard = &candidate;
  if (!shard) return Fail(errors::ResourceNotFound("Requested resource not found: Shard does not exist"));
  ShardIterator iterator{arn, shard_id, "", now};
  if (type == "LATEST") {
    auto latest = store_->LatestSequence(scope, arn, shard_id);
    if (!latest) return Fail(errors::FromStore(latest.error()));
    iterator.after_sequence = *latest;
  } else if (positioned) {
    if (sequence->size() != shard->starting_sequence_number.size() ||
        *sequence < shard->starting_sequence_number ||
        (!shard->ending_sequence_number.empty() && *sequence > shard->ending_sequence_number))
      return Fail(errors::TrimmedDataAccess("The requested sequence number " + *sequence +
                                            " is not within the range of the shard " + shard_id));
    // AT the shard's first sequence number reads the whole shard: its predecessor belongs to no
    // shard (on a fresh server it is sequence 0, which no store accepts as a position).
    if (type == "AFTER_SEQUENCE_NUMBER")
      iterator.after_sequence = *sequence;
    else if (*sequence != shard->starting_sequence_number)
      iterator.after_sequence = Predecessor(*sequence);
  }
  return Json{{"ShardIterator", EncodeIterator(iterator)}};
}

protocol::OperationResult DynamoDbStreamsService::GetRecords(const protocol::OperationRequest& request) {
  const Scope scope{request.context.account_id, request.context.region};
  const Json& in = request.input;
  const std::int64_t now = runtime_.clock();
  MALLARD_ASSIGN_OR_RETURN(auto text, input::RequiredString(in, "ShardIterator"));
  MALLARD_ASSIGN_OR_RETURN(auto limit, input::OptionalInt(in, "Limit"));
  if (limit && (*limit < 1 || *limit > kMaxRecordsPerCall))
    return Fail(input::ConstraintError("Limit", "'" + std::to_string(*limit) + "'", "Member must have value between 1 and 1000"));
  auto iterator = DecodeIterator(text);
  if (!iterator) return Fail(Validation("Invalid ShardIterator"));
  if (now - iterator->issued_millis > kIteratorLifetimeMillis)
    return Fail(errors::ExpiredIterator("Iterator expired. The iterator was created at time " +
                                        std::to_string(iterator->issued_millis) + " while right now it is " +
                                        std::to_string(now) + ". The iterator is valid for 15 minutes."));
  auto read = store_->ReadStream(scope, iterator->stream_arn, iterator->shard_id, iterator->after_sequence,
                                   static_cast<std::size_t>(limit.value_or(kMaxRecordsPerCall)), now);
  if (!read) {
    if (read.error().code == StoreErrc::StreamNotFound) return Fail(StreamNotFound(iterator->stream_arn));
    return Fail(errors::FromStore(read.error()));
  }
  json::array records;
  for (const auto& record : read->records) records.push_back(RecordJson(record, scope.region));
  Json output{{"Records", std::move(records)}};
  if (!read->shard_closed) {
    ShardIterator next{iterator->stream_arn, iterator->shard_id, read->next_after_sequence, now};
    output["NextShardIterator"] = EncodeIterator(next);
  }
  return output;
}

}  // namespace mallard::dynamodb

#pragma once
// Table definitions <-> DynamoDB's JSON shapes: CreateTable's input with AWS's validation rules,
// and TableDescription / index / stream / backup descriptions for output.
#include <boost/json/object.hpp>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb::codec {

// Checks a table name against DynamoDB's rules (3-255 characters of [a-zA-Z0-9_.-]); `member` is
// the input member it came from, for the error text.
Status<> ValidateTableName(const std::string& name, std::string_view member = "TableName");
// "arn:aws:dynamodb:<region>:<account>:table/<name>" -> "<name>"; a plain name is returned as is.
std::string TableNameFromArnOrName(const std::string& name_or_arn);
std::string TableArn(const Scope& scope, const std::string& name);

// Fills name, keys, attribute definitions, indexes, billing, throughput, stream, tags, table
// class and deletion protection from CreateTable's input (also used by restores with overrides).
Result<TableDefinition> ParseCreateTable(const boost::json::object& input, const Scope& scope, std::int64_t now_millis);
// Validates and parses one GSI definition (CreateTable or UpdateTable's Create), with attribute
// definitions for its key attributes already merged into `table`.
Result<IndexDefinition> ParseIndex(const boost::json::object& json, const TableDefinition& table, bool global);
Result<std::map<std::string, AttrType>> ParseAttributeDefinitions(const boost::json::array& json);
Result<StreamSettings> ParseStreamSpecification(const boost::json::object& json);
// SSESpecification: the KMS key ARN SSEDescription will report, or "" for the AWS owned key (Enabled false).
Result<std::string> ParseSseSpecification(const boost::json::object& json, const Scope& scope);
// WarmThroughput of CreateTable, a GSI or UpdateTable; values below the minimum (12,000 / 4,000) are refused.
Result<WarmThroughput> ParseWarmThroughput(const boost::json::object& json, std::string_view member);
// UpdateTable's WarmThroughput: values may only grow.
Status<> RaiseWarmThroughput(WarmThroughput& current, const WarmThroughput& requested);
boost::json::object WarmThroughputJson(const WarmThroughput& warm, const Throughput& throughput,
                                       const std::string& billing_mode, const std::string& status);
Result<Throughput> ParseThroughput(const boost::json::object& json, std::string_view member);
Status<> CheckIndexKeysDefined(const TableDefinition& table);
// Tags of CreateTable and TagResource: AWS's lengths (UTF-8 bytes), alphabet and reserved "aws:" prefix.
Result<std::vector<std::pair<std::string, std::string>>> ParseTags(const boost::json::array& json);

boost::json::array KeySchemaJson(const KeySchema& keys);
boost::json::object ProjectionJson(const IndexProjection& projection);
boost::json::object ThroughputJson(const Throughput& throughput, const std::string& billing_mode);
boost::json::object TableDescriptionJson(const TableDefinition& table, const TableStats& stats);
// What DeleteTable returns: AWS's reduced description with TableStatus DELETING.
boost::json::object DeletedTableDescriptionJson(const TableDefinition& table, const TableStats& stats);
boost::json::object StreamDescriptionJson(const StreamDescription& stream);
double EpochSeconds(std::int64_t millis);
std::string StreamLabel(std::int64_t millis);

}  // namespace mallard::dynamodb::codec

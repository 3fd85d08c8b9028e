#pragma once
// How the Redis DynamoDB store writes its data as text: items as DynamoDB's own AttributeValue
// JSON (numbers stay decimal strings, binaries base64, so nothing is ever rounded through a
// double), and table, stream and backup descriptions as JSON documents of our own whose member
// names are short because every item write reads a table definition.
//
// Decoding never trusts the store: malformed text is an error value, not an exception.
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb::redis_codec {

std::string ItemToText(const Item& item);
Result<Item, std::string> ItemFromText(std::string_view text);

std::string TableToText(const TableDefinition& table);
Result<TableDefinition, std::string> TableFromText(std::string_view text);

// The stream's fixed description (what DescribeStream shows while it is open); closing state and
// the shard's sequence range are kept beside it, where the Lua scripts can update them.
std::string StreamToText(const StreamDescription& stream);
Result<StreamDescription, std::string> StreamFromText(std::string_view text);

// A stream record without its sequence number (the sorted-set score carries it).
std::string StreamRecordToText(const StreamRecord& record);
Result<StreamRecord, std::string> StreamRecordFromText(std::string_view text);

std::string BackupToText(const BackupDescription& backup);
Result<BackupDescription, std::string> BackupFromText(std::string_view text);


}  // namespace mallard::dynamodb::redis_codec

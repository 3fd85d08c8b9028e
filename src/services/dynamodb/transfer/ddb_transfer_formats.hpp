#pragma once
// The file formats of DynamoDB's export to S3 and import from S3, as pure functions over bytes:
// DynamoDB JSON lines ({"Item":{...}}), Amazon Ion text ($ion_1_0 {Item:{...}}), CSV (import only)
// and gzip. No I/O here: ddb_export.cpp and ddb_import.cpp move the bytes through S3's peer API.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_model.hpp"
#include "services/dynamodb/model/ddb_value.hpp"

namespace mallard::dynamodb::transfer {

// ---- Writers (export). Each appends one item as one line ending in '\n'.
void AppendDynamoDbJsonLine(const Item& item, std::string& out);
void AppendIonLine(const Item& item, std::string& out);
// One value in Ion text (numbers as Ion decimals, sets annotated $dynamodb_SS/NS/BS, B as blobs).
void AppendIonValue(const AttributeValue& value, std::string& out);

// ---- Readers (import). A parse error is the line's message; the caller counts it as an error.
// One DynamoDB JSON line: {"Item":{<attribute map>}}.
Result<Item, std::string> ParseDynamoDbJsonLine(std::string_view line);
// The items of an Ion text document (a sequence of {Item:{...}} structs, version markers and
// comments between them). Values that fail to parse end the document with an error after the
// items already read.
struct IonDocument {
  std::vector<Item> items;
  std::optional<std::string> error;  // the first error, if any
  std::size_t errors = 0;            // items that were malformed
};
IonDocument ParseIonItems(std::string_view text);

// CSV as ImportTable reads it: RFC 4180 quoting, a one-character delimiter, the first line as the
// header unless `header` is given. Key attributes take their types from the table's attribute
// definitions (N parsed as a number, B as base64); every other column is a string.
struct CsvOptions {
  char delimiter = ',';
  std::vector<std::string> header;  // empty: the file's first line
};
struct CsvRows {
  std::vector<Item> items;
  std::vector<std::string> errors;  // one message per row that could not become an item
  std::size_t rows = 0;             // data rows seen (header excluded)
};
CsvRows ParseCsvItems(std::string_view text, const CsvOptions& options, const TableDefinition& table);

// ---- gzip (RFC 1952) through zlib, zstd through libzstd. Decompression stops with an error past `max_output` bytes
// (a hostile or corrupt object never exhausts memory).
std::string GzipCompress(std::string_view bytes);
Result<std::string, std::string> GzipDecompress(std::string_view bytes, std::size_t max_output);
// Zstandard frames (RFC 8878; several frames concatenated read as one), with the same bound.
Result<std::string, std::string> ZstdDecompress(std::string_view bytes, std::size_t max_output);
// For tests and tools: one Zstandard frame.
std::string ZstdCompress(std::string_view bytes);

}  // namespace mallard::dynamodb::transfer

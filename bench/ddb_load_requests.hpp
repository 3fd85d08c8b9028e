// ddb_load: DynamoDB requests (awsJson1.0) as ready-to-send HTTP/1.1 messages, the item layout, and
// the few response fields the load phases check.
//
// Table: pk (S, HASH), sk (N, RANGE). Items:
//   get/put/update keyspace:  pk "k<i>", sk 1, for i in [0, keys)
//   query partitions:         pk "q<p>", sk 0..items_per_partition-1, for p in [0, partitions)
// Every item also has data (S, value_size bytes) and n (N, a counter UpdateItem ADDs 1 to).
#pragma once

#include "ddb_load_options.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace ddb_load {

class DdbRequests {
 public:
  DdbRequests(const Options& o, const Endpoint& e);

  // Replaces `out` with a complete HTTP request for DynamoDB_20120810.<target> carrying `body`.
  void Build(std::string& out, std::string_view target, std::string_view body) const;
  std::string Make(std::string_view target, std::string_view body) const;

  // Request bodies (each replaces `out`).
  void GetItemBody(std::string& out, std::uint64_t key) const;
  void PutItemBody(std::string& out, std::uint64_t key) const;
  void UpdateItemBody(std::string& out, std::uint64_t key) const;
  void QueryBody(std::string& out, std::uint64_t partition) const;
  // BatchWriteItem of preload items [first, first + count): keys first, then query partitions.
  void BatchWriteBody(std::string& out, std::uint64_t first, std::uint64_t count) const;
  // PutItem of one preload item (fallback when BatchWriteItem is refused).
  void PreloadPutBody(std::string& out, std::uint64_t index) const;
  std::string CreateTableBody() const;
  std::string TableOnlyBody() const;  // DescribeTable / DeleteTable

  std::uint64_t PreloadItems() const { return options_.keys + options_.partitions * options_.items_per_partition; }

  // --- response checks ---
  static bool HasItem(std::string_view body);           // GetItem found the item
  static long long QueryCount(std::string_view body);   // "Count" of a Query response, -1 if absent
  static std::string TableStatus(std::string_view body);  // DescribeTable's Table.TableStatus, "" if absent
  // Unprocessed items in a BatchWriteItem response, -1 when it could not be parsed.
  static long long Unprocessed(std::string_view body);

 private:
  void AppendItem(std::string& out, char kind, std::uint64_t id, std::uint64_t sk) const;
  void AppendPreloadItem(std::string& out, std::uint64_t index) const;

  const Options& options_;
  std::string head_;       // "POST / HTTP/1.1\r\nHost: ...\r\nContent-Type: ...\r\nX-Amz-Date: ...\r\n"
  std::string auth_;       // "Authorization: ...\r\n"
  std::string table_json_; // "\"TableName\":\"...\""
  std::string value_;      // the data attribute's value
};

}  // namespace ddb_load

#include "ddb_load_requests.hpp"

#include <boost/json.hpp>

#include <charconv>
#include <ctime>

namespace ddb_load {

namespace json = boost::json;

namespace {

void AppendNumber(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

DdbRequests::DdbRequests(const Options& o, const Endpoint& e) : options_(o) {
  // X-Amz-Date and the scope's date are today's (UTC), so that endpoints which check the request
  // time (real DynamoDB would; dynalite requires the header) see a plausible one.
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char amz_date[32], scope_date[16];
  std::strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
  std::strftime(scope_date, sizeof scope_date, "%Y%m%d", &tm);
  head_ = "POST / HTTP/1.1\r\nHost: " + e.host_header +
          "\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Date: " + amz_date + "\r\n";
  // Shaped like a SigV4 header; the signature is not computed (no endpoint this targets checks it:
  // Mallard, dynalite and moto only read the credential scope). See bench/README.md.
  auth_ = "Authorization: AWS4-HMAC-SHA256 Credential=" + o.access_key + "/" + scope_date + "/" + o.region +
          "/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
          "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7\r\n";
  table_json_ = "\"TableName\":\"" + o.table_name + "\"";
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  value_.resize(o.value_size);
  for (std::size_t i = 0; i < value_.size(); ++i) value_[i] = alphabet[(i * 7 + i / 62) % 62];
}

void DdbRequests::Build(std::string& out, std::string_view target, std::string_view body) const {
  out.clear();
  out.append(head_);
  out.append("X-Amz-Target: DynamoDB_20120810.");
  out.append(target);
  out.append("\r\n");
  out.append(auth_);
  out.append("Content-Length: ");
  AppendNumber(out, body.size());
  out.append("\r\n\r\n");
  out.append(body);
}

std::string DdbRequests::Make(std::string_view target, std::string_view body) const {
  std::string out;
  Build(out, target, body);
  return out;
}

void DdbRequests::AppendItem(std::string& out, char kind, std::uint64_t id, std::uint64_t sk) const {
  out.append("{\"pk\":{\"S\":\"");
  out.push_back(kind);
  AppendNumber(out, id);
  out.append("\"},\"sk\":{\"N\":\"");
  AppendNumber(out, sk);
  out.append("\"},\"data\":{\"S\":\"");
  out.append(value_);
  out.append("\"},\"n\":{\"N\":\"0\"}}");
}

void DdbRequests::AppendPreloadItem(std::string& out, std::uint64_t index) const {
  if (index < options_.keys) {
    AppendItem(out, 'k', index, 1);
  } else {
    std::uint64_t j = index - options_.keys;
    AppendItem(out, 'q', j / options_.items_per_partition, j % options_.items_per_partition);
  }
}

void DdbRequests::GetItemBody(std::string& out, std::uint64_t key) const {
  out.clear();
  out.push_back('{');
  out.append(table_json_);
  out.append(",\"Key\":{\"pk\":{\"S\":\"k");
  AppendNumber(out, key);
  out.append("\"},\"sk\":{\"N\":\"1\"}}}");
}

void DdbRequests::PutItemBody(std::string& out, std::uint64_t key) const {
  out.clear();
  out.push_back('{');
  out.append(table_json_);
  out.append(",\"Item\":");
  AppendItem(out, 'k', key, 1);
  out.append("}");
}

void DdbRequests::UpdateItemBody(std::string& out, std::uint64_t key) const {
  out.clear();
  out.push_back('{');
  out.append(table_json_);
  out.append(",\"Key\":{\"pk\":{\"S\":\"k");
  AppendNumber(out, key);
  out.append("\"},\"sk\":{\"N\":\"1\"}},\"UpdateExpression\":\"ADD #n :one\","
             "\"ExpressionAttributeNames\":{\"#n\":\"n\"},"
             "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}}}");
}

void DdbRequests::QueryBody(std::string& out, std::uint64_t partition) const {
  out.clear();
  out.push_back('{');
  out.append(table_json_);
  out.append(",\"KeyConditionExpression\":\"pk = :p\",\"ExpressionAttributeValues\":{\":p\":{\"S\":\"q");
  AppendNumber(out, partition);
  out.append("\"}}}");
}

void DdbRequests::BatchWriteBody(std::string& out, std::uint64_t first, std::uint64_t count) const {
  out.assign("{\"RequestItems\":{\"");
  out.append(options_.table_name);
  out.append("\":[");
  for (std::uint64_t i = 0; i < count; ++i) {
    if (i) out.push_back(',');
    out.append("{\"PutRequest\":{\"Item\":");
    AppendPreloadItem(out, first + i);
    out.append("}}");
  }
  out.append("]}}");
}

void DdbRequests::PreloadPutBody(std::string& out, std::uint64_t index) const {
  out.clear();
  out.push_back('{');
  out.append(table_json_);
  out.append(",\"Item\":");
  AppendPreloadItem(out, index);
  out.append("}");
}

std::string DdbRequests::CreateTableBody() const {
  return "{" + table_json_ +
         ",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\",\"AttributeType\":\"S\"},"
         "{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
         "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
         "\"BillingMode\":\"PAY_PER_REQUEST\"}";
}

std::string DdbRequests::TableOnlyBody() const { return "{" + table_json_ + "}"; }

bool DdbRequests::HasItem(std::string_view body) { return body.find("\"Item\"") != std::string_view::npos; }

long long DdbRequests::QueryCount(std::string_view body) {
  // The top-level "Count" (an item attribute named Count would be inside "Items" and typed, so
  // followed by '{', which is skipped here).
  std::size_t from = 0;
  for (;;) {
    auto pos = body.find("\"Count\"", from);
    if (pos == std::string_view::npos) return -1;
    std::size_t i = pos + 7;
    while (i < body.size() && (body[i] == ' ' || body[i] == ':')) ++i;
    long long v = 0;
    auto r = std::from_chars(body.data() + i, body.data() + body.size(), v);
    if (r.ec == std::errc()) return v;
    from = pos + 7;
  }
}

std::string DdbRequests::TableStatus(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* table = v.as_object().if_contains("Table");
  if (!table) table = v.as_object().if_contains("TableDescription");
  if (!table || !table->is_object()) return "";
  auto* status = table->as_object().if_contains("TableStatus");
  if (!status || !status->is_string()) return "";
  return std::string(status->as_string());
}

long long DdbRequests::Unprocessed(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return -1;
  auto* u = v.as_object().if_contains("UnprocessedItems");
  if (!u) return 0;
  if (!u->is_object()) return -1;
  long long n = 0;
  for (auto& [table, requests] : u->as_object()) {
    if (requests.is_array()) n += static_cast<long long>(requests.as_array().size());
  }
  return n;
}

}  // namespace ddb_load

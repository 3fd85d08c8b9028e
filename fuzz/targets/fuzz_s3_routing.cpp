// S3 request routing: RouteS3 over arbitrary method, Host, path, query and headers.
// Properties beyond "no crash": an error is InvalidURI (400) or MethodNotAllowed (405) whose extra
// elements are a strict JSON object of exactly Method (the request's, escaped) and ResourceType;
// a route has a bucket whenever it has a key; routing is deterministic; the decoded address
// re-encoded in path style (every byte but unreserved ones escaped, the key's '/' kept) routes to
// the same operation, bucket and key; the decoded query re-encoded parses back to the same
// entries; a bucket taken from the Host is non-empty and lower case.
//
// Input layout: lines "<method>\n<host>\n<path>\n<query>\n" then header lines "<name>:<value>".
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/targets/strict_checks.hpp"
#include "services/s3/wire/s3_routing.hpp"

namespace json = boost::json;
using namespace mallard;

namespace {

std::string_view NextLine(std::string_view& rest) {
  std::size_t newline = rest.find('\n');
  std::string_view line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return line;
}

// Every byte but A-Z a-z 0-9 - . _ ~ (and '/' when kept) as %XX: what SDKs send, and never '+'.
std::string Encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

void CheckError(const AwsError& error, std::string_view method, std::string_view text) {
  if (error.code == "InvalidURI") {
    if (error.http_status != 400 || !error.extra_json.empty()) fuzz::FailCheck("InvalidURI shape", text);
    return;
  }
  if (error.code != "MethodNotAllowed" || error.http_status != 405)
    fuzz::FailCheck("routing error is neither InvalidURI nor MethodNotAllowed: " + error.code, text);
  json::parse_options options;
  options.max_depth = 4;
  boost::system::error_code parse_error;
  json::value extra = json::parse(error.extra_json, parse_error, json::storage_ptr(), options);
  fuzz::CheckStrictJson(error.extra_json, "MethodNotAllowed extra_json");
  if (parse_error || !extra.is_object() || extra.as_object().size() != 2) fuzz::FailCheck("extra_json", error.extra_json);
  const json::object& members = extra.as_object();
  const json::value* method_value = members.if_contains("Method");
  const json::value* type_value = members.if_contains("ResourceType");
  if (method_value == nullptr || type_value == nullptr || !method_value->is_string() || !type_value->is_string())
    fuzz::FailCheck("extra_json members", error.extra_json);
  // The method is written byte by byte, each byte one character (\u00XX beyond printable ASCII):
  // decoded, that is the method read as Latin-1.
  std::string expected;
  for (char c : method) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      expected.push_back(c);
    } else {
      expected.push_back(static_cast<char>(0xC0 | (byte >> 6)));
      expected.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
    }
  }
  if (std::string_view(method_value->as_string()) != expected)
    fuzz::FailCheck("Method element is not the request's method", error.extra_json);
  std::string_view type = type_value->as_string();
  if (type != "SERVICE" && type != "BUCKET" && type != "OBJECT") fuzz::FailCheck("ResourceType", error.extra_json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view rest = text;
  std::string_view method = NextLine(rest);
  std::string_view host = NextLine(rest);
  std::string_view path = NextLine(rest);
  std::string_view raw_query = NextLine(rest);
  std::vector<std::pair<std::string, std::string>> headers;
  while (!rest.empty()) {
    std::string_view line = NextLine(rest);
    std::size_t colon = line.find(':');
    headers.emplace_back(std::string(line.substr(0, colon)),
                         colon == std::string_view::npos ? std::string() : std::string(line.substr(colon + 1)));
  }

  if (auto bucket = s3::BucketFromHost(host)) {
    if (bucket->empty()) fuzz::FailCheck("empty bucket from host", host);
    for (char c : *bucket)
      if (c >= 'A' && c <= 'Z') fuzz::FailCheck("upper case bucket from host", host);
  }

  s3::QueryParameters query = s3::QueryParameters::Parse(raw_query);
  std::string reencoded_query;
  for (const auto& [name, value] : query.All()) {
    if (!reencoded_query.empty()) reencoded_query.push_back('&');
    reencoded_query += Encode(name, false) + "=" + Encode(value, false);
  }
  s3::QueryParameters reparsed = s3::QueryParameters::Parse(reencoded_query);
  if (reparsed.All() != query.All() || reparsed.HasMalformedEscape()) fuzz::FailCheck("query round trip", text);

  auto route = s3::RouteS3(method, host, path, query, headers);
  auto again = s3::RouteS3(method, host, path, query, headers);
  if (route.ok() != again.ok()) fuzz::FailCheck("routing is not deterministic", text);
  if (!route.ok()) {
    CheckError(route.error(), method, text);
    if (again.error().code != route.error().code || again.error().extra_json != route.error().extra_json)
      fuzz::FailCheck("routing error is not deterministic", text);
    return 0;
  }
  if (route->operation.empty() || route->operation != again->operation) fuzz::FailCheck("operation", text);
  const s3::S3Address& address = route->address;
  if (address.bucket.empty() && !address.key.empty()) fuzz::FailCheck("a key without a bucket", text);
  if (!fuzz::IsStrictUtf8(address.bucket) || !fuzz::IsStrictUtf8(address.key))
    fuzz::FailCheck("bucket or key is not UTF-8", text);

  std::string path_style = "/";
  if (!address.bucket.empty()) path_style += Encode(address.bucket, false);
  if (!address.key.empty()) path_style += "/" + Encode(address.key, true);
  auto rerouted = s3::RouteS3(method, "localhost:4566", path_style, query, headers);
  if (!rerouted.ok() || rerouted->operation != route->operation || rerouted->address.bucket != address.bucket ||
      rerouted->address.key != address.key || rerouted->address.virtual_hosted)
    fuzz::FailCheck("the address re-encoded in path style does not route the same: " + path_style, text);
  return 0;
}

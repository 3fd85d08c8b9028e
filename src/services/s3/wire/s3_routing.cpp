// S3 request routing: bucket and key from the Host and the path, the operation from the generated
// table (s3_routes.inc, scripts/gen_s3_routes.py). Runs on every S3 request, so nothing here uses
// std::regex or builds intermediate strings per row: the table is compile-time data, conditions
// are compared in place against the parsed query and the header list.
//
// Decoding, as S3 does it (sources in README.md):
// - the path is percent-decoded exactly once and never normalised ("a/../b", "a//b" are keys);
//   "%2F" is a '/' of the key; a literal '+' is a SPACE (S3's legacy form decoding: a key "a+b"
//   must be sent as "a%2Bb", which every SDK does); a malformed escape or a key that is not UTF-8
//   is S3's 400 InvalidURI;
// - the query is form-decoded: "%XX" and '+' as a space (the SDKs send %20 and %2B, so both
//   readings agree on their requests); a malformed escape stays as written.
#include "services/s3/wire/s3_routing.hpp"

#include <array>
#include <cstddef>

#include "common/encoding.hpp"

namespace mallard::s3 {
namespace {

// One row of the table: the operation's method, whether the path names a bucket and a key, the
// query parameters that must be present ('&'-joined; "name=value" must have that value) and the
// headers that must be present (','-joined, lower case).
struct RouteRow {
  std::string_view operation;
  std::string_view method;
  bool bucket;
  bool key;
  std::string_view query;
  std::string_view headers;
  bool in_model;  // false: an S3 operation botocore's model does not describe (PostObject, OptionsObject)
};

constexpr RouteRow kRouteRows[] = {
#include "services/s3/wire/s3_routes.inc"
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends the decoded text; returns false at a malformed escape (when `lenient`, the '%' is kept
// as written and decoding goes on).
bool AppendDecoded(std::string& out, std::string_view text, bool lenient) {
  bool well_formed = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        if (!lenient) return false;
        well_formed = false;
        out.push_back('%');
        continue;
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return well_formed;
}

AwsError InvalidUri() { return AwsError::Make("InvalidURI", 400, "Couldn't parse the specified URI."); }

std::optional<std::string> DecodePath(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  if (!AppendDecoded(out, text, /*lenient=*/false)) return std::nullopt;
  return out;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool AllOf(std::string_view text, bool (*predicate)(char)) {
  if (text.empty()) return false;
  for (char c : text)
    if (!predicate(c)) return false;
  return true;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigitOrDot(char c) { return IsDigit(c) || c == '.'; }

// "us-east-1", "us-gov-west-1", "eu-central-2": lower-case words joined by '-', ending in a number.
bool IsRegionLike(std::string_view label) {
  std::size_t parts = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t dash = label.find('-', start);
    std::string_view part = label.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    ++parts;
    if (dash == std::string_view::npos) return parts >= 3 && AllOf(part, IsDigit);
    if (!AllOf(part, IsLower)) return false;
    start = dash + 1;
  }
}

// The last (at most three) dot-separated labels of a host name, last first, with where each begins.
struct TailLabels {
  std::array<std::string_view, 3> labels;
  std::array<std::size_t, 3> starts{};
  std::size_t size = 0;
};
TailLabels LastLabels(std::string_view text) {
  TailLabels tail;
  std::size_t end = text.size();  // one past the current label
  while (tail.size < tail.labels.size()) {
    std::size_t dot = end == 0 ? std::string_view::npos : text.rfind('.', end - 1);
    std::size_t start = dot == std::string_view::npos ? 0 : dot + 1;
    tail.labels[tail.size] = text.substr(start, end - start);
    tail.starts[tail.size] = start;
    ++tail.size;
    if (dot == std::string_view::npos) break;
    end = dot;
  }
  return tail;
}

// The bucket in front of an S3 endpoint name `rest` ("<bucket>.s3", "<bucket>.s3.<region>", and on
// AWS "<bucket>.s3-<region>", "<bucket>.s3.dualstack.<region>", "<bucket>.s3-accelerate[.dualstack]").
// `found`: whether `rest` is an S3 endpoint name at all; the result is empty for the plain endpoint.
std::string_view BucketBeforeEndpoint(std::string_view rest, bool aws_names, bool& found) {
  TailLabels tail = LastLabels(rest);
  found = true;
  auto bucket_before = [&](std::size_t labels) -> std::string_view {
    std::size_t start = tail.starts[labels - 1];
    return start == 0 ? std::string_view() : rest.substr(0, start - 1);
  };
  if (tail.size >= 3 && aws_names && tail.labels[2] == "s3" && tail.labels[1] == "dualstack" &&
      IsRegionLike(tail.labels[0]))
    return bucket_before(3);
  if (tail.size >= 2 && tail.labels[1] == "s3" && IsRegionLike(tail.labels[0])) return bucket_before(2);
  if (tail.size >= 2 && aws_names && tail.labels[1] == "s3-accelerate" && tail.labels[0] == "dualstack")
    return bucket_before(2);
  if (tail.size >= 1) {
    std::string_view last = tail.labels[0];
    if (last == "s3") return bucket_before(1);
    if (aws_names && (last == "s3-accelerate" || last == "s3-external-1" ||
                      (last.substr(0, 3) == "s3-" && IsRegionLike(last.substr(3)))))
      return bucket_before(1);
  }
  found = false;
  return {};
}

// JSON string text for extra_json: ASCII as is, the rest as \u00XX of each byte, so the result is
// valid JSON whatever bytes a client sent as its method.
void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\u00";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// S3's answer to a method no operation of the resource takes: 405 with the method and the
// resource type (SERVICE, BUCKET, OBJECT) as extra elements of the error.
AwsError MethodNotAllowed(std::string_view method, std::string_view resource_type) {
  AwsError error = AwsError::Make("MethodNotAllowed", 405, "The specified method is not allowed against this resource.");
  error.extra_json = "{\"Method\":";
  AppendJsonString(error.extra_json, method);
  error.extra_json += ",\"ResourceType\":";
  AppendJsonString(error.extra_json, resource_type);
  error.extra_json += "}";
  return error;
}

// Calls `visit(part)` for each non-empty part of `list` between separators.
template <typename Visit>
bool EveryPart(std::string_view list, char separator, Visit visit) {
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t end = list.find(separator, start);
    if (end == std::string_view::npos) end = list.size();
    if (end > start && !visit(list.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

// Whether the row's conditions hold; `score` counts them (more conditions: a more specific row).
bool RowMatches(const RouteRow& row, const QueryParameters& query,
                const std::vector<std::pair<std::string, std::string>>& headers, int& score) {
  score = 0;
  bool query_holds = EveryPart(row.query, '&', [&](std::string_view condition) {
    std::size_t equals = condition.find('=');
    const std::string* value = query.Find(condition.substr(0, equals));
    if (value == nullptr) return false;
    if (equals != std::string_view::npos && *value != condition.substr(equals + 1)) return false;
    ++score;
    return true;
  });
  if (!query_holds) return false;
  return EveryPart(row.headers, ',', [&](std::string_view name) {
    for (const auto& [header, value] : headers) {
      if (EqualsIgnoringCase(header, name)) {
        ++score;
        return true;
      }
    }
    return false;
  });
}

}  // namespace

QueryParameters QueryParameters::Parse(std::string_view raw_query) {
  QueryParameters parameters;
  EveryPart(raw_query, '&', [&](std::string_view part) {
    std::size_t equals = part.find('=');
    std::string_view name = part.substr(0, equals);
    std::string_view value = equals == std::string_view::npos ? std::string_view() : part.substr(equals + 1);
    auto& [decoded_name, decoded_value] = parameters.entries_.emplace_back();
    decoded_name.reserve(name.size());
    decoded_value.reserve(value.size());
    if (!AppendDecoded(decoded_name, name, /*lenient=*/true)) parameters.malformed_escape_ = true;
    if (!AppendDecoded(decoded_value, value, /*lenient=*/true)) parameters.malformed_escape_ = true;
    return true;
  });
  return parameters;
}

const std::string* QueryParameters::Find(std::string_view name) const {
  for (const auto& [entry_name, value] : entries_)
    if (entry_name == name) return &value;
  return nullptr;
}

std::optional<std::string> BucketFromHost(std::string_view host) {
  if (host.empty() || host.front() == '[') return std::nullopt;  // none, or an IPv6 literal
  std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    std::string_view port = host.substr(colon + 1);
    if (!port.empty() && !AllOf(port, IsDigit)) return std::nullopt;  // not host[:port]
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);  // the DNS root
  if (host.empty() || AllOf(host, IsDigitOrDot)) return std::nullopt;  // an IPv4 literal
  std::string lower(host);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string_view name = lower;

  bool found = false;
  std::string_view bucket;
  constexpr std::string_view kLocalStack = ".localhost.localstack.cloud";
  if (EndsWith(name, ".amazonaws.com") || EndsWith(name, ".amazonaws.com.cn")) {
    std::string_view rest = name.substr(0, name.rfind(".amazonaws.com"));
    bucket = BucketBeforeEndpoint(rest, /*aws_names=*/true, found);
  } else if (EndsWith(name, kLocalStack)) {
    // LocalStack's other services live under the same name: only "<bucket>.s3." is S3's.
    bucket = BucketBeforeEndpoint(name.substr(0, name.size() - kLocalStack.size()), false, found);
  } else if (EndsWith(name, ".localhost")) {
    std::string_view rest = name.substr(0, name.size() - std::string_view(".localhost").size());
    bucket = BucketBeforeEndpoint(rest, /*aws_names=*/false, found);
    if (!found) bucket = rest;  // "<bucket>.localhost"
  }
  if (bucket.empty()) return std::nullopt;
  return std::string(bucket);
}

Result<S3Address, AwsError> AddressOf(std::string_view host, std::string_view raw_path) {
  if (raw_path.empty()) raw_path = "/";
  if (raw_path.front() != '/') return Fail(InvalidUri());
  S3Address address;
  std::string_view key_text;
  if (std::optional<std::string> host_bucket = BucketFromHost(host)) {
    address.bucket = std::move(*host_bucket);
    address.virtual_hosted = true;
    key_text = raw_path.substr(1);
  } else {
    std::string_view rest = raw_path.substr(1);
    std::size_t slash = rest.find('/');
    std::string_view bucket_text = rest.substr(0, slash);
    key_text = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    std::optional<std::string> bucket = DecodePath(bucket_text);
    if (!bucket) return Fail(InvalidUri());
    address.bucket = std::move(*bucket);
  }
  std::optional<std::string> key = DecodePath(key_text);
  if (!key || !IsValidUtf8(*key) || !IsValidUtf8(address.bucket)) return Fail(InvalidUri());
  address.key = std::move(*key);
  return address;
}

Result<S3Route, AwsError> RouteS3(std::string_view method, std::string_view host, std::string_view raw_path,
                                  const QueryParameters& query,
                                  const std::vector<std::pair<std::string, std::string>>& headers) {
  MALLARD_ASSIGN_OR_RETURN(S3Address address, AddressOf(host, raw_path));
  const bool has_bucket = !address.bucket.empty();
  const bool has_key = !address.key.empty();
  // x-id (the Smithy SDKs' "?x-id=PutObject") is inert on S3: it never outweighs a condition, it
  // only picks among rows that match equally well.
  const std::string* x_id = query.Find("x-id");
  const RouteRow* best = nullptr;
  int best_score = -1;
  for (const RouteRow& row : kRouteRows) {
    if (row.bucket != has_bucket || row.key != has_key || row.method != method) continue;
    int score = 0;
    if (!RowMatches(row, query, headers, score)) continue;
    bool better = score > best_score ||
                  (score == best_score && x_id != nullptr && row.operation == *x_id && best->operation != *x_id);
    if (better) {
      best = &row;
      best_score = score;
    }
  }
  if (best == nullptr) {
    // A path without a bucket but with a key cannot happen: AddressOf gives a key only with a bucket.
    return Fail(MethodNotAllowed(method, !has_bucket ? "SERVICE" : !has_key ? "BUCKET" : "OBJECT"));
  }
  S3Route route;
  route.address = std::move(address);
  route.operation = std::string(best->operation);
  return route;
}

}  // namespace mallard::s3

#include "services/s3/s3_conditions.hpp"

#include "common/text.hpp"

#include "common/time_format.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {
namespace {

std::string_view Unquoted(std::string_view tag) {
  tag = TrimBlanks(tag);
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') tag = tag.substr(1, tag.size() - 2);
  return tag;
}

const std::string* HeaderWithPrefix(const http::HttpRequest& request, std::string_view prefix, std::string_view name) {
  std::string full(prefix);
  full += name;
  return request.Header(full);
}

std::optional<std::uint64_t> Digits(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

bool EtagMatches(std::string_view header_value, std::string_view etag) {
  std::string_view wanted = Unquoted(etag);
  while (!header_value.empty()) {
    auto comma = header_value.find(',');
    std::string_view candidate = TrimBlanks(header_value.substr(0, comma));
    header_value = comma == std::string_view::npos ? std::string_view() : header_value.substr(comma + 1);
    if (candidate == "*" || Unquoted(candidate) == wanted) return true;
  }
  return false;
}

std::optional<AwsError> CheckReadConditions(const http::HttpRequest& request, const ObjectRecord& record,
                                            std::string_view prefix) {
  // Second precision: Last-Modified is sent in seconds, so a client echoing it back must match.
  std::int64_t modified_seconds = record.last_modified_millis / 1000;
  const std::string* if_match = HeaderWithPrefix(request, prefix, "if-match");
  const std::string* if_unmodified = HeaderWithPrefix(request, prefix, "if-unmodified-since");
  const std::string* if_none_match = HeaderWithPrefix(request, prefix, "if-none-match");
  const std::string* if_modified = HeaderWithPrefix(request, prefix, "if-modified-since");
  bool copy = !prefix.empty();
  std::string name_prefix = copy ? "x-amz-copy-source-" : "";
  if (if_match != nullptr) {
    if (!EtagMatches(*if_match, record.etag)) return errors::PreconditionFailed(copy ? name_prefix + "If-Match" : "If-Match");
  } else if (if_unmodified != nullptr) {
    auto since = ParseHttpDate(*if_unmodified);
    if (since && modified_seconds > *since / 1000) {
      return errors::PreconditionFailed(copy ? name_prefix + "If-Unmodified-Since" : "If-Unmodified-Since");
    }
  }
  if (if_none_match != nullptr) {
    if (EtagMatches(*if_none_match, record.etag)) {
      // A copy's source condition fails with 412; a read answers 304.
      return copy ? errors::PreconditionFailed(name_prefix + "If-None-Match") : errors::NotModified();
    }
  } else if (if_modified != nullptr) {
    auto since = ParseHttpDate(*if_modified);
    // S3 compares as stated: a date after the last modification (even in the future) is a 304.
    if (since && modified_seconds <= *since / 1000) {
      return copy ? errors::PreconditionFailed(name_prefix + "If-Modified-Since") : errors::NotModified();
    }
  }
  return std::nullopt;
}

Result<std::optional<ByteRange>> ParseRange(std::string_view header, std::uint64_t size) {
  std::string_view text = TrimBlanks(header);
  if (text.substr(0, 6) != "bytes=") return std::optional<ByteRange>();
  text.remove_prefix(6);
  // One range only: S3 ignores a list of ranges and sends the whole object.
  if (text.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  std::string_view first_text = TrimBlanks(text.substr(0, dash));
  std::string_view last_text = TrimBlanks(text.substr(dash + 1));
  std::string requested(header);
  if (first_text.empty()) {
    // Suffix range: the last N bytes.
    auto suffix = Digits(last_text);
    if (!suffix) return std::optional<ByteRange>();
    if (*suffix == 0 || size == 0) return Fail(errors::InvalidRange(size, requested));
    std::uint64_t length = std::min(*suffix, size);
    return std::optional<ByteRange>(ByteRange{size - length, length});
  }
  auto first = Digits(first_text);
  if (!first) return std::optional<ByteRange>();
  std::uint64_t last = size == 0 ? 0 : size - 1;
  if (!last_text.empty()) {
    auto parsed = Digits(last_text);
    if (!parsed) return std::optional<ByteRange>();
    // An inverted range is not a range at all: the whole object (RFC 9110 14.1.1).
    if (*parsed < *first) return std::optional<ByteRange>();
    last = std::min(*parsed, last);
  }
  if (*first >= size) return Fail(errors::InvalidRange(size, requested));
  return std::optional<ByteRange>(ByteRange{*first, last - *first + 1});
}

}  // namespace mallard::s3

#pragma once
// S3's conditional requests: If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since on
// reads (RFC 9110's order of evaluation, as S3 applies it), the x-amz-copy-source-if-* forms on
// copies, and Range headers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/aws_error.hpp"
#include "common/http_types.hpp"
#include "common/result.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

// Whether `etag` (quoted) is among the entity tags of an If-Match/If-None-Match value ("*", one
// tag, a list; quotes optional as S3 accepts).
bool EtagMatches(std::string_view header_value, std::string_view etag);

// nullopt when the read may proceed; else the error (412 PreconditionFailed or 304 NotModified).
// `prefix` selects the header names: "" for if-match…, "x-amz-copy-source-" for a copy's source.
std::optional<AwsError> CheckReadConditions(const http::HttpRequest& request, const ObjectRecord& record,
                                            std::string_view prefix = "");

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;  // bytes [first, first + length)
};
// A Range header against an object of `size`: nullopt when there is no usable single range (S3
// then sends the whole object), InvalidRange (416) when it cannot be satisfied.
Result<std::optional<ByteRange>> ParseRange(std::string_view header, std::uint64_t size);

}  // namespace mallard::s3

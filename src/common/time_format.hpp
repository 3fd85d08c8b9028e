#pragma once
// Time as AWS's wire formats write it, from and to milliseconds since the epoch (UTC).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mallard {

// "2026-12-06T05:40:00.123Z" (ISO 8601 with milliseconds: S3's XML timestamps).
std::string FormatIso8601Millis(std::int64_t millis);
// "Sun, 06 Dec 2026 05:40:00 GMT" (RFC 9110 IMF-fixdate: Last-Modified, Date, Expires).
std::string FormatHttpDate(std::int64_t millis);
// An HTTP date in any of RFC 9110's three forms (IMF-fixdate, RFC 850, asctime), or an ISO 8601
// timestamp ("2026-12-06T05:40:00Z", "…00.123Z"); nullopt otherwise. Milliseconds.
std::optional<std::int64_t> ParseHttpDate(std::string_view text);

}  // namespace mallard

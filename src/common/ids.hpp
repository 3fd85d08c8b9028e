#pragma once
// Identifiers and time: request ids, message ids, opaque tokens, wall-clock milliseconds.
#include <cstdint>
#include <functional>
#include <string>

namespace mallard {

std::string NewUuid();                       // random RFC 4122 version-4 UUID
// RFC 9562 version-7 UUID: millisecond time first, so names made later sort later.
std::string NewUuidV7();
std::string RandomAlnum(std::size_t length);  // [A-Za-z0-9], from a per-thread CSPRNG-seeded engine
std::string RandomHex(std::size_t length);
std::int64_t WallClockMillis();

// Services read time through a Clock so tests can move it forward without sleeping.
using Clock = std::function<std::int64_t()>;
inline Clock SystemClock() { return &WallClockMillis; }

// An IAM-style unique id ("AIDA…", 21 characters) derived from an access key, stable across restarts.
std::string UserIdForAccessKey(const std::string& access_key_id);

}  // namespace mallard

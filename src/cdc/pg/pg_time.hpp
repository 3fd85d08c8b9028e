#pragma once
// PostgreSQL's wire timestamps (replication frames, commit times) count microseconds from
// 2000-01-01 00:00:00 UTC, not from the Unix epoch.
#include <chrono>
#include <cstdint>

namespace mallard::cdc::pg {

inline constexpr std::int64_t kPostgresEpochUnixMicros = 946'684'800'000'000;

constexpr std::int64_t PgTimestampToUnixMicros(std::int64_t pg_micros) {
  return pg_micros + kPostgresEpochUnixMicros;
}
constexpr std::int64_t UnixMicrosToPgTimestamp(std::int64_t unix_micros) {
  return unix_micros - kPostgresEpochUnixMicros;
}
inline std::int64_t PgTimestampNow() {
  auto since_unix_epoch = std::chrono::system_clock::now().time_since_epoch();
  return UnixMicrosToPgTimestamp(std::chrono::duration_cast<std::chrono::microseconds>(since_unix_epoch).count());
}

}  // namespace mallard::cdc::pg

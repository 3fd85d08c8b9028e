#pragma once
// A PostgreSQL WAL position (pg_lsn). It is a plain 64-bit byte offset; the "X/Y" text form is how
// the server prints it in replication command results and in pg_replication_slots.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mallard::cdc::pg {

struct Lsn {
  std::uint64_t value = 0;

  friend auto operator<=>(const Lsn&, const Lsn&) = default;

  bool IsZero() const { return value == 0; }
  // "16/B374D848": high and low 32-bit halves in uppercase hex without padding, exactly like the
  // server's pg_lsn output, so values compare as text in logs and SQL.
  std::string ToString() const;
  // Accepts what the server's pg_lsn input accepts: 1–8 hex digits, '/', 1–8 hex digits.
  static std::optional<Lsn> Parse(std::string_view text);
};

}  // namespace mallard::cdc::pg

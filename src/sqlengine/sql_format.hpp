#pragma once
// Text forms of SQL values shared by the Athena and Redshift Data renderers: calendar dates from
// day numbers, clock times from microseconds, and the two floating-point spellings (Java's, which
// Athena's engine prints, and the shortest round-trip form).
#include <cstdint>
#include <string>
#include <string_view>

namespace mallard::sqlengine {

// "YYYY-MM-DD" of a day number relative to 1970-01-01 (proleptic Gregorian).
std::string FormatDate(std::int64_t days);
// "HH:MM:SS" plus a fraction of `fraction_digits` digits (0 = none; -1 = as many as needed, none
// when whole seconds).
std::string FormatTimeOfDay(std::int64_t micros, int fraction_digits);
// "YYYY-MM-DD HH:MM:SS[.fraction]" of microseconds since the epoch.
std::string FormatTimestamp(std::int64_t micros, int fraction_digits);
// "+HH:MM" / "-HH:MM".
std::string FormatOffset(std::int32_t offset_seconds, bool with_minutes);
// Java's Double.toString / Float.toString: "1.5", "1.0E10", "NaN", "Infinity".
std::string FormatJavaDouble(double value, bool is_float);
// Shortest text that reads back as the same double: "1.5", "1e+20".
std::string FormatShortestDouble(double value);
// Lower-case hex of raw bytes, optionally with a space between bytes.
std::string HexBytes(std::string_view bytes, bool spaced);

}  // namespace mallard::sqlengine

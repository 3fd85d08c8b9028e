// Seeded randomised differential tests of the Athena functions whose translation rewrites the
// arguments: date_format and date_parse (MySQL specifiers rewritten as strftime/strptime) against a
// civil-calendar formatter written here from the specifier table of Trino's documentation,
// date_diff and date_add against Joda's field arithmetic (which Trino uses) written here, and
// regexp_extract/regexp_like against a backtracking matcher written here (leftmost match, greedy
// and lazy quantifiers, priority-ordered alternatives: the semantics Java and RE2 share for these
// constructs). MALLARD_ATHENA_FUNCTIONS_SEED replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "athena_functions_harness.hpp"
#include "sqlengine/dialect/athena_function_table.hpp"

namespace mallard::sqlengine::dialect {
namespace {

using athena_test::Call;
using athena_test::Rows;

std::uint64_t Seed() {
  if (const char* text = std::getenv("MALLARD_ATHENA_FUNCTIONS_SEED")) return std::strtoull(text, nullptr, 10);
  return 20260620;
}

// ---- an independent civil-time formatter ---------------------------------------------------------

struct Civil {
  int year, month, day, hour, minute, second, micros;
  int weekday;      // 1 = Monday … 7 = Sunday
  int day_of_year;  // 1-based
  int iso_week, iso_year;
};

// Days since 1970-01-01 → proleptic Gregorian date (era arithmetic on 400-year cycles).
void DateOfDays(std::int64_t days, int& year, int& month, int& day) {
  days += 719468;
  std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  std::int64_t doe = days - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = static_cast<int>(yoe + era * 400 + (month <= 2));
}

bool Leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DayOfYear(int year, int month, int day) {
  static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  return before[month - 1] + day + (month > 2 && Leap(year) ? 1 : 0);
}

Civil CivilOf(std::int64_t micros_since_epoch) {
  Civil c{};
  std::int64_t day_micros = 86400LL * 1000000;
  std::int64_t days = micros_since_epoch / day_micros;
  std::int64_t rest = micros_since_epoch % day_micros;
  if (rest < 0) {
    rest += day_micros;
    --days;
  }
  DateOfDays(days, c.year, c.month, c.day);
  c.hour = static_cast<int>(rest / 3600000000LL);
  c.minute = static_cast<int>(rest / 60000000LL % 60);
  c.second = static_cast<int>(rest / 1000000 % 60);
  c.micros = static_cast<int>(rest % 1000000);
  c.weekday = static_cast<int>(((days % 7) + 7 + 3) % 7) + 1;  // 1970-01-01 was a Thursday
  c.day_of_year = DayOfYear(c.year, c.month, c.day);
  // ISO week: the week with the year's first Thursday is week 1.
  int thursday_doy = c.day_of_year - c.weekday + 4;
  c.iso_year = c.year;
  if (thursday_doy < 1) {
    --c.iso_year;
    thursday_doy += Leap(c.iso_year) ? 366 : 365;
  } else if (thursday_doy > (Leap(c.year) ? 366 : 365)) {
    thursday_doy -= Leap(c.year) ? 366 : 365;
    ++c.iso_year;
  }
  c.iso_week = (thursday_doy - 1) / 7 + 1;
  return c;
}

std::string Pad(int value, int width) {
  std::string text = std::to_string(value);
  while (static_cast<int>(text.size()) < width) text.insert(text.begin(), '0');
  return text;
}

const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                         "July",    "August",   "September", "October", "November", "December"};
const char* kWeekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// Trino's date_format, from the specifier table of functions/datetime.md.
std::string MysqlFormat(const Civil& c, const std::string& format) {
  std::string out;
  int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    switch (char spec = format[++i]) {
      case 'a': out += std::string(kWeekdays[c.weekday - 1]).substr(0, 3); break;
      case 'b': out += std::string(kMonths[c.month - 1]).substr(0, 3); break;
      case 'c': out += std::to_string(c.month); break;
      case 'd': out += Pad(c.day, 2); break;
      case 'e': out += std::to_string(c.day); break;
      case 'f': out += Pad(c.micros / 1000, 3) + "000"; break;
      case 'H': out += Pad(c.hour, 2); break;
      case 'h':
      case 'I': out += Pad(hour12, 2); break;
      case 'i': out += Pad(c.minute, 2); break;
      case 'j': out += Pad(c.day_of_year, 3); break;
      case 'k': out += std::to_string(c.hour); break;
      case 'l': out += std::to_string(hour12); break;
      case 'M': out += kMonths[c.month - 1]; break;
      case 'm': out += Pad(c.month, 2); break;
      case 'p': out += c.hour < 12 ? "AM" : "PM"; break;
      case 'r': out += Pad(hour12, 2) + ":" + Pad(c.minute, 2) + ":" + Pad(c.second, 2) + (c.hour < 12 ? " AM" : " PM"); break;
      case 'S':
      case 's': out += Pad(c.second, 2); break;
      case 'T': out += Pad(c.hour, 2) + ":" + Pad(c.minute, 2) + ":" + Pad(c.second, 2); break;
      case 'v': out += Pad(c.iso_week, 2); break;
      case 'W': out += kWeekdays[c.weekday - 1]; break;
      case 'x': out += Pad(c.iso_year, 4); break;
      case 'Y': out += Pad(c.year, 4); break;
      case 'y': out += Pad(c.year % 100, 2); break;
      default: out += spec; break;
    }
  }
  return out;
}

std::string TimestampLiteral(const Civil& c) {
  return "TIMESTAMP '" + Pad(c.year, 4) + "-" + Pad(c.month, 2) + "-" + Pad(c.day, 2) + " " + Pad(c.hour, 2) + ":" +
         Pad(c.minute, 2) + ":" + Pad(c.second, 2) + "." + Pad(c.micros, 6) + "'";
}

std::string TrinoTimestamp(const Civil& c) {
  return Pad(c.year, 4) + "-" + Pad(c.month, 2) + "-" + Pad(c.day, 2) + " " + Pad(c.hour, 2) + ":" + Pad(c.minute, 2) +
         ":" + Pad(c.second, 2) + "." + Pad(c.micros / 1000, 3);
}

std::int64_t RandomMicros(std::mt19937_64& random, int first_year, int last_year) {
  // 1900-01-01 is -2208988800 s; a year is ~31556952 s.
  std::int64_t from = (static_cast<std::int64_t>(first_year) - 1970) * 31556952LL;
  std::int64_t to = (static_cast<std::int64_t>(last_year) - 1970) * 31556952LL;
  std::uniform_int_distribution<std::int64_t> seconds(from, to);
  std::uniform_int_distribution<std::int64_t> micros(0, 999999);
  return seconds(random) * 1000000 + micros(random);
}

TEST(AthenaFunctionsRandom, DateFormatAgreesWithAnIndependentFormatter) {
  std::mt19937_64 random(Seed());
  const std::string specifiers = "abcdefHhIijklMmprSsTvWxYy%";
  const std::string literals = "-/: ,.TxZq";
  int checked = 0;
  for (int round = 0; round < 60; ++round) {
    std::string format;
    std::uniform_int_distribution<int> length(1, 8);
    for (int n = length(random); n > 0; --n) {
      if (random() % 3 == 0) {
        format += literals[random() % literals.size()];
      } else {
        format += '%';
        format += specifiers[random() % specifiers.size()];
      }
    }
    std::string sql_format = "'" + format + "'";
    std::vector<Civil> values;
    std::string rows;
    for (int i = 0; i < 25; ++i) {
      values.push_back(CivilOf(RandomMicros(random, 1901, 2099)));
      rows += (i ? ", " : "") + std::string("(") + std::to_string(i) + ", " + TimestampLiteral(values.back()) + ")";
    }
    auto result = Rows("SELECT i, " + Call("date_format", {"ts", sql_format}) + " FROM (VALUES " + rows +
                       ") t(i, ts) ORDER BY i");
    ASSERT_EQ(result.size(), values.size()) << format;
    for (std::size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(result[i][1], MysqlFormat(values[i], format))
          << "date_format(" << TimestampLiteral(values[i]) << ", " << sql_format << "), seed " << Seed();
      ++checked;
    }
  }
  EXPECT_EQ(checked, 60 * 25);
}

TEST(AthenaFunctionsRandom, DateParseReadsWhatDateFormatWrote) {
  std::mt19937_64 random(Seed() + 1);
  struct Pattern {
    std::string format;
    bool keeps_millis;
    bool two_digit_year;
    bool time_only = false;  // no date: Trino starts from 1970-01-01
  };
  const std::vector<Pattern> patterns = {
      {"%Y-%m-%d %H:%i:%s", false, false},     {"%d/%b/%Y:%T", false, false},
      {"%M %e, %Y %h:%i:%s %p", false, false}, {"%y%m%d%H%i%s.%f", true, false},
      {"%c/%e/%y %l:%i:%S %p", false, true},   {"%Y %j %k.%i.%s", false, false},
      {"%W %d %M %Y %r", false, false},        {"%Y-%m-%dT%H:%i:%s.%f", true, false},
      {"%H:%i:%s.%f", true, false, true},      {"%r", false, false, true},
  };
  int checked = 0;
  for (const auto& pattern : patterns) {
    std::string rows;
    std::vector<Civil> values;
    for (int i = 0; i < 40; ++i) {
      bool century = pattern.two_digit_year || pattern.format.find("%y") != std::string::npos;
      Civil c = CivilOf(RandomMicros(random, century ? 1971 : 1901, century ? 2068 : 2099));
      values.push_back(c);
      rows += (i ? ", " : "") + std::string("(") + std::to_string(i) + ", '" + MysqlFormat(c, pattern.format) + "')";
    }
    std::string parsed = Call("date_parse", {"s", "'" + pattern.format + "'"});
    auto result = Rows("SELECT i, strftime(" + parsed + ", '%Y-%m-%d %H:%M:%S.%g') FROM (VALUES " + rows +
                       ") t(i, s) ORDER BY i");
    ASSERT_EQ(result.size(), values.size()) << pattern.format;
    for (std::size_t i = 0; i < values.size(); ++i) {
      Civil expected = values[i];
      if (!pattern.keeps_millis) expected.micros = 0;
      if (pattern.time_only) {
        expected.year = 1970;
        expected.month = 1;
        expected.day = 1;
      }
      EXPECT_EQ(result[i][1], TrinoTimestamp(expected))
          << "date_parse('" << MysqlFormat(values[i], pattern.format) << "', '" << pattern.format << "'), seed " << Seed();
      ++checked;
    }
  }
  EXPECT_EQ(checked, 10 * 40);
}

// ---- date_diff and date_add as Joda's ISO chronology computes them (Trino asks Joda) ------------

std::int64_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2;
  std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  std::int64_t yoe = year - era * 400;
  std::int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int year, int month) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && Leap(year) ? 29 : days[month - 1];
}

constexpr std::int64_t kMillisPerDay = 86400000;

Civil CivilOfMillis(std::int64_t millis) { return CivilOf(millis * 1000); }
std::int64_t MillisOfDay(const Civil& c) {
  return ((c.hour * 60LL + c.minute) * 60 + c.second) * 1000 + c.micros / 1000;
}

// Joda's month difference: whole months from `subtrahend` to `minuend`, a minuend on the last day
// of its month counting as reaching any later day of the subtrahend's month.
std::int64_t JodaMonths(std::int64_t minuend, std::int64_t subtrahend) {
  if (minuend < subtrahend) return -JodaMonths(subtrahend, minuend);
  Civil m = CivilOfMillis(minuend), s = CivilOfMillis(subtrahend);
  std::int64_t difference = (m.year - s.year) * 12LL + m.month - s.month;
  int subtrahend_day = s.day;
  if (m.day == DaysInMonth(m.year, m.month) && subtrahend_day > m.day) subtrahend_day = m.day;
  std::int64_t minuend_rem = (m.day - 1) * kMillisPerDay + MillisOfDay(m);
  std::int64_t subtrahend_rem = (subtrahend_day - 1) * kMillisPerDay + MillisOfDay(s);
  if (minuend_rem < subtrahend_rem) --difference;
  return difference;
}

// Joda's year difference, Feb 29 balanced against a common year.
std::int64_t JodaYears(std::int64_t minuend, std::int64_t subtrahend) {
  if (minuend < subtrahend) return -JodaYears(subtrahend, minuend);
  Civil m = CivilOfMillis(minuend), s = CivilOfMillis(subtrahend);
  std::int64_t minuend_rem = (m.day_of_year - 1) * kMillisPerDay + MillisOfDay(m);
  std::int64_t subtrahend_rem = (s.day_of_year - 1) * kMillisPerDay + MillisOfDay(s);
  const std::int64_t feb29 = (31 + 28) * kMillisPerDay;
  if (subtrahend_rem >= feb29) {
    if (Leap(s.year)) {
      if (!Leap(m.year)) subtrahend_rem -= kMillisPerDay;
    } else if (Leap(m.year)) {
      minuend_rem -= kMillisPerDay;
    }
  }
  std::int64_t difference = m.year - s.year;
  if (minuend_rem < subtrahend_rem) --difference;
  return difference;
}

std::int64_t JodaDiff(const std::string& unit, std::int64_t from, std::int64_t to) {
  std::int64_t span = to - from;  // Java's long division truncates toward zero, as C++'s does
  if (unit == "millisecond") return span;
  if (unit == "second") return span / 1000;
  if (unit == "minute") return span / 60000;
  if (unit == "hour") return span / 3600000;
  if (unit == "day") return span / kMillisPerDay;
  if (unit == "week") return span / (7 * kMillisPerDay);
  if (unit == "month") return JodaMonths(to, from);
  if (unit == "quarter") return JodaMonths(to, from) / 3;
  return JodaYears(to, from);
}

// Joda's plusMonths: the day of month clamped to the target month's length.
std::int64_t JodaAdd(const std::string& unit, std::int64_t value, std::int64_t at) {
  if (unit == "millisecond") return at + value;
  if (unit == "second") return at + value * 1000;
  if (unit == "minute") return at + value * 60000;
  if (unit == "hour") return at + value * 3600000;
  if (unit == "day") return at + value * kMillisPerDay;
  if (unit == "week") return at + value * 7 * kMillisPerDay;
  std::int64_t months = unit == "month" ? value : unit == "quarter" ? value * 3 : value * 12;
  Civil c = CivilOfMillis(at);
  std::int64_t index = c.year * 12LL + (c.month - 1) + months;
  int year = static_cast<int>(index >= 0 ? index / 12 : (index - 11) / 12);
  int month = static_cast<int>(index - year * 12LL) + 1;
  int day = std::min(c.day, DaysInMonth(year, month));
  return DaysFromCivil(year, month, day) * kMillisPerDay + MillisOfDay(c);
}

std::string MillisLiteral(std::int64_t millis) {
  Civil c = CivilOfMillis(millis);
  return "TIMESTAMP '" + TrinoTimestamp(c) + "'";
}

TEST(AthenaFunctionsRandom, DateDiffAndDateAddAgreeWithJodasChronology) {
  std::mt19937_64 random(Seed() + 3);
  const std::vector<std::string> units = {"millisecond", "second", "minute", "hour", "day",
                                          "week",        "month",  "quarter", "year"};
  int checked = 0;
  for (const auto& unit : units) {
    std::string rows;
    struct Case {
      std::int64_t from, to, amount;
    };
    std::vector<Case> cases;
    for (int i = 0; i < 60; ++i) {
      // Month ends, Feb 29 and midnights are where the rules differ: pick them often.
      auto pick = [&]() -> std::int64_t {
        std::int64_t millis = RandomMicros(random, 1950, 2050) / 1000;
        Civil c = CivilOfMillis(millis);
        switch (random() % 4) {
          case 0: return DaysFromCivil(c.year, c.month, DaysInMonth(c.year, c.month)) * kMillisPerDay + MillisOfDay(c);
          case 1: return DaysFromCivil(2000 + 4 * static_cast<int>(random() % 12), 2, 29) * kMillisPerDay +
                         static_cast<std::int64_t>(random() % 2) * MillisOfDay(c);
          case 2: return DaysFromCivil(c.year, c.month, c.day) * kMillisPerDay;
          default: return millis;
        }
      };
      Case item{pick(), pick(), static_cast<std::int64_t>(random() % 41) - 20};
      cases.push_back(item);
      rows += (i ? ", " : "") + std::string("(") + std::to_string(i) + ", " + MillisLiteral(item.from) + ", " +
              MillisLiteral(item.to) + ", " + std::to_string(item.amount) + ")";
    }
    std::string unit_literal = "'" + unit + "'";
    auto result = Rows("SELECT i, " + Call("date_diff", {unit_literal, "a", "b"}) + ", strftime(" +
                       Call("date_add", {unit_literal, "n", "a"}) + ", '%Y-%m-%d %H:%M:%S.%g') FROM (VALUES " + rows +
                       ") t(i, a, b, n) ORDER BY i");
    ASSERT_EQ(result.size(), cases.size()) << unit;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& c = cases[i];
      std::string where = unit + " " + MillisLiteral(c.from) + " → " + MillisLiteral(c.to) + " (" +
                          std::to_string(c.amount) + "), seed " + std::to_string(Seed());
      EXPECT_EQ(result[i][1], std::to_string(JodaDiff(unit, c.from, c.to))) << "date_diff " << where;
      EXPECT_EQ(result[i][2], TrinoTimestamp(CivilOfMillis(JodaAdd(unit, c.amount, c.from)))) << "date_add " << where;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9 * 60);
}

// ---- every function with arbitrary arguments: a translation or a positioned error, never a crash --

TEST(AthenaFunctionsRandom, EveryFunctionTranslatesOrFailsWithAPositionedError) {
  std::mt19937_64 random(Seed() + 4);
  const std::vector<std::string> pieces = {
      "x", "'%Y-%m-%d'", "'%D'", "'yyyy-MM-dd HH:mm'", "'$1\\\\'", "'$'", "'\\\\'", "'${g}'", "1", "-2.5", "NULL",
      "x -> x + 1", "(k, v) -> v > k", "(a, b) ->", "-> 1", "('", "'unterminated", "\"q\"", "[1, 2]",
      "map(['a'], [1])", "?", "CAST(x AS VARCHAR)", "(", ")", "''''", "'$.a[b]'", "'$[\"x y\"]'", "' '", ""};
  std::vector<std::string> names;
  for (const auto& [name, function] : AthenaFunctionTable()) names.push_back(name);
  std::sort(names.begin(), names.end());
  int translated = 0, refused = 0;
  for (const auto& name : names) {
    for (int round = 0; round < 40; ++round) {
      FunctionCall call{name, {}, 3, 17};
      for (int n = static_cast<int>(random() % 5); n > 0; --n) call.arguments.push_back(pieces[random() % pieces.size()]);
      auto result = TranslateAthenaCall(call);
      if (result.ok()) {
        EXPECT_FALSE(result.value().empty()) << name;
        ++translated;
        continue;
      }
      ++refused;
      const auto& error = result.error();
      EXPECT_TRUE(error.code == "FUNCTION_NOT_FOUND" || error.code == "NOT_SUPPORTED" ||
                  error.code == "INVALID_FUNCTION_ARGUMENT" || error.code == "SYNTAX_ERROR")
          << name << ": " << error.code;
      EXPECT_EQ(error.message.rfind("line 3:17: ", 0), 0u) << name << ": " << error.message;
    }
  }
  EXPECT_GT(translated, 0);
  EXPECT_GT(refused, 0);
}

// ---- an independent regular expression matcher ---------------------------------------------------

struct Node {
  enum Kind { Literal, Any, Class, Digit, Group, Repeat } kind = Literal;
  char literal = 0;
  std::string set;
  bool negated = false;
  int group = 0;
  std::vector<std::vector<Node>> alternatives;  // Group
  std::vector<Node> child;                      // Repeat: one node
  int min = 0, max = 0;                         // Repeat; max -1 = unbounded
  bool lazy = false;
};

using Captures = std::vector<std::pair<int, int>>;  // [start, end), -1 when unset
using Continue = std::function<bool(std::size_t)>;

bool MatchSequence(const std::vector<Node>& sequence, std::size_t index, const std::string& s, std::size_t at,
                   Captures& captures, const Continue& next);

bool MatchNode(const Node& node, const std::string& s, std::size_t at, Captures& captures, const Continue& next) {
  auto one = [&](bool ok) { return ok && next(at + 1); };
  switch (node.kind) {
    case Node::Literal: return at < s.size() && one(s[at] == node.literal);
    case Node::Any: return at < s.size() && one(s[at] != '\n');
    case Node::Digit: return at < s.size() && one(s[at] >= '0' && s[at] <= '9');
    case Node::Class: return at < s.size() && one((node.set.find(s[at]) != std::string::npos) != node.negated);
    case Node::Group:
      for (const auto& alternative : node.alternatives) {
        auto saved = captures[node.group];
        if (MatchSequence(alternative, 0, s, at, captures, [&](std::size_t end) {
              auto before = captures[node.group];
              captures[node.group] = {static_cast<int>(at), static_cast<int>(end)};
              if (next(end)) return true;
              captures[node.group] = before;
              return false;
            })) {
          return true;
        }
        captures[node.group] = saved;
      }
      return false;
    case Node::Repeat: {
      // Quantified nodes here never match empty text, so no empty-iteration rule is needed.
      std::function<bool(std::size_t, int)> repeat = [&](std::size_t position, int count) -> bool {
        bool may_stop = count >= node.min;
        bool may_go = node.max < 0 || count < node.max;
        auto more = [&] {
          return may_go && MatchNode(node.child[0], s, position, captures,
                                     [&](std::size_t end) { return repeat(end, count + 1); });
        };
        if (node.lazy) return (may_stop && next(position)) || more();
        return more() || (may_stop && next(position));
      };
      return repeat(at, 0);
    }
  }
  return false;
}

bool MatchSequence(const std::vector<Node>& sequence, std::size_t index, const std::string& s, std::size_t at,
                   Captures& captures, const Continue& next) {
  if (index == sequence.size()) return next(at);
  return MatchNode(sequence[index], s, at, captures,
                   [&](std::size_t end) { return MatchSequence(sequence, index + 1, s, end, captures, next); });
}

struct Found {
  std::string whole;
  std::string group1;
};

std::optional<Found> Search(const std::vector<Node>& pattern, const std::string& s) {
  for (std::size_t start = 0; start <= s.size(); ++start) {
    Captures captures(4, {-1, -1});
    std::size_t end = 0;
    if (MatchSequence(pattern, 0, s, start, captures, [&](std::size_t e) {
          end = e;
          return true;
        })) {
      Found found{s.substr(start, end - start), ""};
      if (captures[1].first >= 0) found.group1 = s.substr(captures[1].first, captures[1].second - captures[1].first);
      return found;
    }
  }
  return std::nullopt;
}

// A random single-character atom, its regex text appended to `text`.
Node RandomAtom(std::mt19937_64& random, std::string& text) {
  Node node;
  switch (random() % 6) {
    case 0: node.kind = Node::Any; text += "."; break;
    case 1: node.kind = Node::Class; node.set = "ab"; text += "[ab]"; break;
    case 2: node.kind = Node::Class; node.set = "a"; node.negated = true; text += "[^a]"; break;
    case 3: node.kind = Node::Digit; text += "\\d"; break;
    default: node.kind = Node::Literal; node.literal = "abc12"[random() % 5]; text += node.literal; break;
  }
  return node;
}

Node RandomQuantified(std::mt19937_64& random, std::string& text) {
  Node atom = RandomAtom(random, text);
  int pick = static_cast<int>(random() % 8);
  if (pick >= 4) return atom;
  Node repeat;
  repeat.kind = Node::Repeat;
  repeat.child.push_back(atom);
  static const int mins[] = {0, 1, 0, 2};
  static const int maxes[] = {-1, -1, 1, 3};
  static const char* texts[] = {"*", "+", "?", "{2,3}"};
  repeat.min = mins[pick];
  repeat.max = maxes[pick];
  text += texts[pick];
  if (random() % 4 == 0) {
    repeat.lazy = true;
    text += "?";
  }
  return repeat;
}

std::vector<Node> RandomPattern(std::mt19937_64& random, std::string& text, bool& has_group) {
  std::vector<Node> sequence;
  int length = 1 + static_cast<int>(random() % 4);
  has_group = false;
  for (int i = 0; i < length; ++i) {
    if (!has_group && random() % 3 == 0) {
      // One top-level capturing group (it always takes part in a match), with alternatives.
      has_group = true;
      Node group;
      group.kind = Node::Group;
      group.group = 1;
      text += "(";
      int alternatives = 1 + static_cast<int>(random() % 2);
      for (int a = 0; a < alternatives; ++a) {
        if (a > 0) text += "|";
        std::vector<Node> alternative;
        for (int n = 1 + static_cast<int>(random() % 2); n > 0; --n) alternative.push_back(RandomQuantified(random, text));
        group.alternatives.push_back(alternative);
      }
      text += ")";
      sequence.push_back(group);
    } else {
      sequence.push_back(RandomQuantified(random, text));
    }
  }
  return sequence;
}

TEST(AthenaFunctionsRandom, RegexpExtractAgreesWithABacktrackingMatcher) {
  std::mt19937_64 random(Seed() + 2);
  int checked = 0;
  for (int round = 0; round < 150; ++round) {
    std::string pattern_text;
    bool has_group = false;
    auto pattern = RandomPattern(random, pattern_text, has_group);
    std::string sql_pattern = "'" + pattern_text + "'";
    std::vector<std::string> inputs;
    std::string rows;
    for (int i = 0; i < 12; ++i) {
      std::string input;
      for (int n = static_cast<int>(random() % 10); n > 0; --n) input += "abc12 "[random() % 6];
      inputs.push_back(input);
      rows += (i ? ", " : "") + std::string("(") + std::to_string(i) + ", '" + input + "')";
    }
    std::string columns = Call("regexp_extract", {"s", sql_pattern}) + ", " + Call("regexp_like", {"s", sql_pattern});
    if (has_group) columns += ", " + Call("regexp_extract", {"s", sql_pattern, "1"});
    auto result = Rows("SELECT i, " + columns + " FROM (VALUES " + rows + ") t(i, s) ORDER BY i");
    ASSERT_EQ(result.size(), inputs.size()) << pattern_text;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto found = Search(pattern, inputs[i]);
      std::string where = "'" + inputs[i] + "' ~ '" + pattern_text + "', seed " + std::to_string(Seed());
      EXPECT_EQ(result[i][1], found ? found->whole : "NULL") << where;
      EXPECT_EQ(result[i][2], found ? "true" : "false") << where;
      if (has_group) {
        EXPECT_EQ(result[i][3], found ? found->group1 : "NULL") << where;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 150 * 12);
}

}  // namespace
}  // namespace mallard::sqlengine::dialect

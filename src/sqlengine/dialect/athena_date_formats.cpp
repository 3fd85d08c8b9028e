#include "sqlengine/dialect/athena_date_formats.hpp"

namespace mallard::sqlengine::dialect {

namespace {

DateFormatError Invalid(std::string message) { return {"INVALID_FUNCTION_ARGUMENT", std::move(message)}; }
DateFormatError Unsupported(std::string message) { return {"NOT_SUPPORTED", std::move(message)}; }

// A character copied into a strftime format as itself ('%' is strftime's only special byte).
void AppendLiteral(std::string& out, char c) {
  out.push_back(c);
  if (c == '%') out.push_back('%');
}

}  // namespace

Result<EngineDateFormat, DateFormatError> MysqlFormatToStrftime(std::string_view format, DateFormatUse use) {
  const bool parse = use == DateFormatUse::Parse;
  EngineDateFormat out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      AppendLiteral(out.format, c);
      continue;
    }
    if (i + 1 == format.size()) {  // a trailing '%' stands for itself
      out.format += "%%";
      break;
    }
    char spec = format[++i];
    switch (spec) {
      case 'a': out.format += "%a"; break;
      case 'b': out.format += "%b"; break;
      case 'c': out.format += parse ? "%m" : "%-m"; break;
      case 'd': out.format += "%d"; break;
      case 'e': out.format += parse ? "%d" : "%-d"; break;
      // Trino prints six digits of a value truncated to milliseconds ("123000") and reads 1 to 9
      // digits (strptime's %n; the caller truncates to milliseconds).
      case 'f': out.format += parse ? "%n" : "%g000"; break;
      case 'H': out.format += "%H"; break;
      case 'h':
      case 'I': out.format += "%I"; break;
      case 'i': out.format += "%M"; break;
      case 'j': out.format += "%j"; break;
      case 'k': out.format += parse ? "%H" : "%-H"; break;
      case 'l': out.format += parse ? "%I" : "%-I"; break;
      case 'M': out.format += "%B"; break;
      case 'm': out.format += "%m"; break;
      case 'p': out.format += "%p"; break;
      case 'r': out.format += "%I:%M:%S %p"; break;
      case 'S':
      case 's': out.format += "%S"; break;
      case 'T': out.format += "%H:%M:%S"; break;
      case 'W': out.format += "%A"; break;
      case 'Y':
        out.format += "%Y";
        out.has_year = true;
        break;
      case 'y':
        out.format += "%y";
        out.two_digit_year = out.two_digit_year || parse;
        out.has_year = true;
        break;
      case 'v':
      case 'x':
        if (parse) return Fail(Unsupported(std::string("%") + spec + " is not supported when parsing a date here"));
        out.format += spec == 'v' ? "%V" : "%G";
        break;
      case 'D':
      case 'U':
      case 'u':
      case 'V':
      case 'w':
      case 'X': return Fail(Invalid(std::string("%") + spec + " not supported in date format string"));
      default: AppendLiteral(out.format, spec); break;  // %x is x for any x not listed
    }
  }
  return out;
}

Result<EngineDateFormat, DateFormatError> JodaPatternToStrftime(std::string_view pattern, DateFormatUse use) {
  const bool parse = use == DateFormatUse::Parse;
  EngineDateFormat out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\'') {  // quoted text; '' is a quote
      std::size_t end = i + 1;
      if (end < pattern.size() && pattern[end] == '\'') {
        out.format.push_back('\'');
        i += 2;
        continue;
      }
      while (end < pattern.size()) {
        if (pattern[end] == '\'') {
          if (end + 1 < pattern.size() && pattern[end + 1] == '\'') {
            out.format.push_back('\'');
            end += 2;
            continue;
          }
          break;
        }
        AppendLiteral(out.format, pattern[end]);
        ++end;
      }
      i = end + 1;
      continue;
    }
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter) {
      AppendLiteral(out.format, c);
      ++i;
      continue;
    }
    std::size_t count = 1;
    while (i + count < pattern.size() && pattern[i + count] == c) ++count;
    i += count;
    auto unsupported = [&] {
      return Fail(Unsupported("Pattern letters '" + std::string(count, c) +
                              "' are not supported in a date pattern here"));
    };
    switch (c) {
      case 'y':
      case 'Y':
        out.has_year = true;
        if (count == 2) {
          out.format += "%y";
          out.two_digit_year = out.two_digit_year || parse;
        } else {
          out.format += "%Y";
        }
        break;
      case 'x':  // week year
        if (parse || count == 2) return unsupported();
        out.format += "%G";
        break;
      case 'w':
        if (parse || count == 1) return unsupported();  // strftime has no unpadded ISO week
        out.format += "%V";
        break;
      case 'M':
        if (count >= 4) out.format += "%B";
        else if (count == 3) out.format += "%b";
        else out.format += (count == 1 && !parse) ? "%-m" : "%m";
        break;
      case 'd': out.format += (count == 1 && !parse) ? "%-d" : "%d"; break;
      case 'D':
        if (count == 2) return unsupported();
        out.format += (count == 1 && !parse) ? "%-j" : "%j";
        break;
      case 'H': out.format += (count == 1 && !parse) ? "%-H" : "%H"; break;
      case 'h': out.format += (count == 1 && !parse) ? "%-I" : "%I"; break;
      case 'm': out.format += (count == 1 && !parse) ? "%-M" : "%M"; break;
      case 's': out.format += (count == 1 && !parse) ? "%-S" : "%S"; break;
      case 'S':
        // Joda keeps milliseconds: SSS prints them, SSSSSS and SSSSSSSSS pad with zeros.
        if (parse) {
          if (count != 3 && count != 6 && count != 9) return unsupported();
          out.format += "%n";
        } else if (count == 3) {
          out.format += "%g";
        } else if (count == 6) {
          out.format += "%g000";
        } else if (count == 9) {
          out.format += "%g000000";
        } else {
          return unsupported();
        }
        break;
      case 'a': out.format += "%p"; break;
      case 'E': out.format += count >= 4 ? "%A" : "%a"; break;
      case 'e':
        if (parse) return unsupported();
        out.format += "%u";  // ISO day of week, 1 = Monday
        break;
      // The session time zone is UTC: Joda prints it as +0000, +00:00 or UTC.
      case 'Z':
        if (parse) return unsupported();
        out.format += count == 1 ? "+0000" : count == 2 ? "+00:00" : "UTC";
        break;
      case 'z':
        if (parse) return unsupported();
        out.format += count >= 4 ? "Coordinated Universal Time" : "UTC";
        break;
      default: return unsupported();
    }
  }
  return out;
}

}  // namespace mallard::sqlengine::dialect

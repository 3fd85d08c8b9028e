#include "observability/request_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "observability/utf8.hpp"

namespace mallard::observability {
namespace {

// The request a log line is about, set only while LogRequest's own line is formatted: the logger
// formats synchronously on the calling thread, so the formatter finds the fields here.
thread_local const RequestLogEntry* current_request = nullptr;

}  // namespace

void AppendJsonText(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      std::size_t length = Utf8SequenceLength(text, i);
      if (length == 0) {
        out += kReplacementCharacter;
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

bool RequestLogEnabled() { return spdlog::should_log(spdlog::level::debug); }

void LogRequest(const RequestLogEntry& entry) {
  if (!RequestLogEnabled()) return;
  current_request = &entry;
  spdlog::debug("{}.{} {} {} account={} region={} {:.2f}ms {}", entry.service, entry.operation, entry.status,
                entry.error_code.empty() ? std::string_view("-") : entry.error_code, entry.account, entry.region,
                entry.duration_ms, entry.request_id);
  current_request = nullptr;
}

bool ParseLogFormat(std::string_view text, LogFormat& format) {
  if (text == "text") {
    format = LogFormat::kText;
    return true;
  }
  if (text == "json") {
    format = LogFormat::kJson;
    return true;
  }
  return false;
}

void SetLogFormat(LogFormat format) {
  if (format == LogFormat::kJson) {
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    spdlog::set_pattern("%+");  // spdlog's default pattern
  }
}

void JsonLogFormatter::format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& destination) {
  std::string line;
  line.reserve(160 + message.payload.size());
  // RFC 3339 UTC with milliseconds.
  auto since_epoch = message.time.time_since_epoch();
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  std::time_t when = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&when, &utc);
  char time_text[40];
  std::snprintf(time_text, sizeof time_text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  line += "{\"time\":\"";
  line += time_text;
  line += "\",\"level\":";
  auto level = spdlog::level::to_string_view(message.level);
  AppendJsonText(line, std::string_view(level.data(), level.size()));
  if (message.logger_name.size() > 0) {
    line += ",\"logger\":";
    AppendJsonText(line, std::string_view(message.logger_name.data(), message.logger_name.size()));
  }
  line += ",\"message\":";
  AppendJsonText(line, std::string_view(message.payload.data(), message.payload.size()));
  if (const RequestLogEntry* request = current_request) {
    auto member = [&](const char* name, std::string_view value) {
      line += ",\"";
      line += name;
      line += "\":";
      AppendJsonText(line, value);
    };
    member("service", request->service);
    member("operation", request->operation);
    line += ",\"status\":" + std::to_string(request->status);
    if (request->error_code.empty()) {
      line += ",\"error_code\":null";
    } else {
      member("error_code", request->error_code);
    }
    member("account", request->account);
    member("region", request->region);
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", request->duration_ms);
    line += ",\"duration_ms\":";
    line += duration;
    member("request_id", request->request_id);
  }
  line += "}\n";
  destination.append(line.data(), line.data() + line.size());
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const { return std::make_unique<JsonLogFormatter>(); }

}  // namespace mallard::observability

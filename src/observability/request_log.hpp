#pragma once
// The request log and the log line format. Each request is logged at debug with its service,
// operation, status, error code, account, region, duration and request id; the process's log
// lines are written as text (spdlog's pattern) or, with --log-format json, as one JSON object per
// line, the request's fields as members of their own.
#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace mallard::observability {

struct RequestLogEntry {
  std::string_view service;
  std::string_view operation;
  int status = 0;
  std::string_view error_code;  // empty on success
  std::string_view account;
  std::string_view region;
  std::string_view request_id;
  double duration_ms = 0;
};

// True when a request line would be written: callers check it before gathering what the entry
// needs (copies of the account and region), so a disabled debug level costs one load.
bool RequestLogEnabled();
// Writes the entry at debug (nothing, not even formatting, when debug is off).
void LogRequest(const RequestLogEntry& entry);

enum class LogFormat { kText, kJson };
// "text" or "json"; false for anything else.
bool ParseLogFormat(std::string_view text, LogFormat& format);
// Sets the format of every line of the default logger (call before other threads log).
void SetLogFormat(LogFormat format);

// {"time":"2026-12-06T09:10:00.123Z","level":"debug","message":"…"} plus, for request lines, the
// request's fields. Strings are JSON-escaped; bytes that are not UTF-8 become U+FFFD.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& destination) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// `text` as a JSON string literal (quoted), with invalid UTF-8 replaced (exposed for tests).
void AppendJsonText(std::string& out, std::string_view text);

}  // namespace mallard::observability

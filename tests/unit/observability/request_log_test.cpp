// The request log line in text and JSON, JSON escaping of arbitrary bytes (checked against an
// independent decoder over seeded random input), nothing logged below debug; Registry::ReportTo.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <random>
#include <sstream>

#include "observability/exposition.hpp"
#include "observability/request_log.hpp"

namespace mallard::observability {
namespace {

// Routes the default logger to a string for the test's life.
class CapturedLog {
 public:
  explicit CapturedLog(LogFormat format, spdlog::level::level_enum level = spdlog::level::debug) {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("", sink);
    spdlog::set_default_logger(logger);
    spdlog::set_level(level);
    SetLogFormat(format);
  }
  ~CapturedLog() {
    spdlog::set_default_logger(previous_);
    spdlog::set_level(spdlog::level::info);
  }
  std::string Text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

RequestLogEntry Entry() {
  RequestLogEntry entry;
  entry.service = "sqs";
  entry.operation = "GetQueueUrl";
  entry.status = 400;
  entry.error_code = "QueueDoesNotExist";
  entry.account = "000000000000";
  entry.region = "eu-west-1";
  entry.request_id = "req-1";
  entry.duration_ms = 1.25;
  return entry;
}

TEST(RequestLog, TextLine) {
  CapturedLog log(LogFormat::kText);
  LogRequest(Entry());
  EXPECT_NE(log.Text().find("[debug] sqs.GetQueueUrl 400 QueueDoesNotExist account=000000000000 region=eu-west-1 "
                            "1.25ms req-1\n"),
            std::string::npos)
      << log.Text();
}

TEST(RequestLog, JsonLineHasTheRequestAsMembers) {
  CapturedLog log(LogFormat::kJson);
  auto entry = Entry();
  entry.error_code = {};
  LogRequest(entry);
  spdlog::info("plain \"line\"\n");
  std::istringstream lines(log.Text());
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  auto request = boost::json::parse(first).as_object();
  EXPECT_EQ(request.at("level"), "debug");
  EXPECT_EQ(request.at("service"), "sqs");
  EXPECT_EQ(request.at("operation"), "GetQueueUrl");
  EXPECT_EQ(request.at("status"), 400);
  EXPECT_TRUE(request.at("error_code").is_null());
  EXPECT_EQ(request.at("account"), "000000000000");
  EXPECT_EQ(request.at("region"), "eu-west-1");
  EXPECT_EQ(request.at("request_id"), "req-1");
  EXPECT_DOUBLE_EQ(request.at("duration_ms").as_double(), 1.25);
  EXPECT_EQ(request.at("time").as_string().size(), 24u);  // 2026-12-06T09:10:00.123Z
  auto plain = boost::json::parse(second).as_object();
  EXPECT_EQ(plain.at("message"), "plain \"line\"\n");
  EXPECT_FALSE(plain.contains("service"));  // only the request's own line carries its fields
}

TEST(RequestLog, NothingBelowDebug) {
  CapturedLog log(LogFormat::kJson, spdlog::level::info);
  EXPECT_FALSE(RequestLogEnabled());
  LogRequest(Entry());
  EXPECT_EQ(log.Text(), "");
}

TEST(RequestLog, ParseLogFormat) {
  LogFormat format = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", format));
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", format));
  EXPECT_EQ(format, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("JSON", format));
  EXPECT_FALSE(ParseLogFormat("", format));
}

// An independent reading of UTF-8: the code points of the valid sequences, U+FFFD per byte that
// does not start one (the rule AppendJsonText follows).
std::u32string ReferenceDecode(const std::string& bytes) {
  std::u32string out;
  for (std::size_t i = 0; i < bytes.size();) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    unsigned char lead = b(i);
    int length = 0;
    char32_t min = 0;
    if (lead < 0x80) length = 1;
    else if (lead >= 0xC2 && lead <= 0xDF) length = 2, min = 0x80;
    else if (lead >= 0xE0 && lead <= 0xEF) length = 3, min = 0x800;
    else if (lead >= 0xF0 && lead <= 0xF4) length = 4, min = 0x10000;
    bool ok = length > 0 && i + length <= bytes.size();
    char32_t code = length == 1 ? lead : length == 2 ? lead & 0x1F : length == 3 ? lead & 0x0F : lead & 0x07;
    for (int k = 1; ok && k < length; ++k) {
      ok = (b(i + k) & 0xC0) == 0x80;
      code = (code << 6) | (b(i + k) & 0x3F);
    }
    ok = ok && code >= min && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (ok) {
      out.push_back(code);
      i += length;
    } else {
      out.push_back(0xFFFD);
      ++i;
    }
  }
  return out;
}

std::u32string Decode(const std::string& utf8) { return ReferenceDecode(utf8); }

TEST(RequestLog, JsonTextOfRandomBytesParsesToTheReferenceDecoding) {
  std::mt19937 random(21);
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string pieces[] = {"é", "€", "😀", "\"", "\\", "\n", "\x7f", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80"};
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    int n = length(random);
    for (int i = 0; i < n; ++i) {
      if (pick(random) < 3) {
        text += pieces[pick(random)];
      } else {
        text.push_back(static_cast<char>(byte(random)));
      }
    }
    std::string json;
    AppendJsonText(json, text);
    boost::system::error_code error;
    auto parsed = boost::json::parse(json, error);
    ASSERT_FALSE(error) << json;
    ASSERT_TRUE(parsed.is_string());
    std::string decoded(parsed.as_string().c_str(), parsed.as_string().size());
    ASSERT_EQ(Decode(decoded), ReferenceDecode(text)) << "seed round " << round;
  }
}

TEST(RegistryReportTo, FamiliesGoToTheSinkWithTheirLabels) {
  Registry registry;
  registry.AddCounter("d_total", "Deliveries.", {"protocol", "outcome"}).With({"sqs", "succeeded"}).Add(3);
  registry.AddGauge("g", "G.", {}).With({}).Set(-2);
  registry.AddHistogram("h_seconds", "H.", {"state"}, {1}).With({"OK"}).Observe(0.5);
  ExpositionBuilder page;
  registry.ReportTo(page);
  std::string text = page.Render();
  EXPECT_NE(text.find("d_total{protocol=\"sqs\",outcome=\"succeeded\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("g -2\n"), std::string::npos);
  EXPECT_NE(text.find("h_seconds_bucket{state=\"OK\",le=\"1\"} 1\nh_seconds_bucket{state=\"OK\",le=\"+Inf\"} 1\n"
                      "h_seconds_sum{state=\"OK\"} 0.5\nh_seconds_count{state=\"OK\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace mallard::observability

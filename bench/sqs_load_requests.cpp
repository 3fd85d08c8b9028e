#include "sqs_load_requests.hpp"

#include <boost/json.hpp>

#include <cstddef>
#include <cstdlib>
#include <string_view>

namespace sqs_load {

namespace json = boost::json;

namespace {

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string XmlUnescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    auto semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back(s[i]);
      continue;
    }
    std::string_view entity = s.substr(i + 1, semi - i - 1);
    if (entity == "amp") out.push_back('&');
    else if (entity == "lt") out.push_back('<');
    else if (entity == "gt") out.push_back('>');
    else if (entity == "quot") out.push_back('"');
    else if (entity == "apos") out.push_back('\'');
    else if (!entity.empty() && entity[0] == '#') {
      unsigned long code = 0;
      if (entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')) code = std::strtoul(std::string(entity.substr(2)).c_str(), nullptr, 16);
      else code = std::strtoul(std::string(entity.substr(1)).c_str(), nullptr, 10);
      // Encode as UTF-8.
      if (code < 0x80) {
        out.push_back(static_cast<char>(code));
      } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
      }
    } else {
      out.append(s.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

// Text between the first <tag> and the following </tag>, if any.
std::optional<std::string_view> XmlElement(std::string_view xml, std::string_view tag, std::size_t from = 0) {
  // Not "<" + std::string(tag): GCC 12 at -O3 flags that with a bogus -Wrestrict (GCC bug 105329).
  std::string open = std::string("<").append(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto start = xml.find(open, from);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  auto end = xml.find(close, start);
  if (end == std::string_view::npos) return std::nullopt;
  return xml.substr(start, end - start);
}

std::size_t CountOccurrences(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size())) ++n;
  return n;
}

std::string JsonQuote(std::string_view s) { return json::serialize(json::string(s)); }

}  // namespace

SqsRequests::SqsRequests(const Options& o, const Endpoint& e) : options_(o), endpoint_(e) {
  auth_ = "AWS4-HMAC-SHA256 Credential=" + o.access_key + "/20250101/" + o.region +
          "/sqs/aws4_request, SignedHeaders=host, Signature=0";
}

std::string SqsRequests::CreateQueue(const std::string& name) const {
  if (Json()) return Http("CreateQueue", "{\"QueueName\":" + JsonQuote(name) + "}");
  return Http("CreateQueue", Query("CreateQueue") + "&QueueName=" + UrlEncode(name));
}

std::string SqsRequests::QueueUrlOnly(const std::string& op, const std::string& url) const {
  if (Json()) return Http(op, "{\"QueueUrl\":" + JsonQuote(url) + "}");
  return Http(op, Query(op) + "&QueueUrl=" + UrlEncode(url));
}

std::string SqsRequests::SendMessage(const std::string& url, const std::string& body) const {
  if (Json()) return Http("SendMessage", "{\"QueueUrl\":" + JsonQuote(url) + ",\"MessageBody\":" + JsonQuote(body) + "}");
  return Http("SendMessage", Query("SendMessage") + "&QueueUrl=" + UrlEncode(url) + "&MessageBody=" + UrlEncode(body));
}

std::string SqsRequests::SendMessageBatch(const std::string& url, const std::string& body, int entries) const {
  if (Json()) {
    std::string b = "{\"QueueUrl\":" + JsonQuote(url) + ",\"Entries\":[";
    std::string quoted = JsonQuote(body);
    for (int i = 0; i < entries; ++i) {
      if (i) b += ',';
      b += "{\"Id\":\"m" + std::to_string(i) + "\",\"MessageBody\":" + quoted + "}";
    }
    b += "]}";
    return Http("SendMessageBatch", b);
  }
  std::string b = Query("SendMessageBatch") + "&QueueUrl=" + UrlEncode(url);
  std::string encoded = UrlEncode(body);
  for (int i = 1; i <= entries; ++i) {
    std::string prefix = "&SendMessageBatchRequestEntry." + std::to_string(i) + ".";
    b += prefix + "Id=m" + std::to_string(i) + prefix + "MessageBody=" + encoded;
  }
  return Http("SendMessageBatch", b);
}

std::string SqsRequests::ReceiveMessage(const std::string& url) const {
  if (Json()) {
    return Http("ReceiveMessage", "{\"QueueUrl\":" + JsonQuote(url) +
                                      ",\"MaxNumberOfMessages\":1,\"WaitTimeSeconds\":" +
                                      std::to_string(options_.wait_time) + "}");
  }
  return Http("ReceiveMessage", Query("ReceiveMessage") + "&QueueUrl=" + UrlEncode(url) +
                                    "&MaxNumberOfMessages=1&WaitTimeSeconds=" + std::to_string(options_.wait_time));
}

std::string SqsRequests::DeleteMessage(const std::string& url, const std::string& receipt) const {
  if (Json()) {
    return Http("DeleteMessage", "{\"QueueUrl\":" + JsonQuote(url) + ",\"ReceiptHandle\":" + JsonQuote(receipt) + "}");
  }
  return Http("DeleteMessage",
              Query("DeleteMessage") + "&QueueUrl=" + UrlEncode(url) + "&ReceiptHandle=" + UrlEncode(receipt));
}

std::optional<std::string> SqsRequests::ParseQueueUrl(const std::string& body) const {
  if (Json()) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    if (auto* url = v.as_object().if_contains("QueueUrl"); url && url->is_string()) {
      return std::string(url->as_string());
    }
    return std::nullopt;
  }
  if (auto url = XmlElement(body, "QueueUrl")) return XmlUnescape(*url);
  return std::nullopt;
}

std::optional<std::string> SqsRequests::ParseReceipt(const std::string& body, bool& malformed) const {
  malformed = false;
  if (Json()) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) {
      malformed = true;
      return std::nullopt;
    }
    auto* messages = v.as_object().if_contains("Messages");
    if (!messages || !messages->is_array() || messages->as_array().empty()) return std::nullopt;
    auto& first = messages->as_array().front();
    if (!first.is_object()) {
      malformed = true;
      return std::nullopt;
    }
    auto* receipt = first.as_object().if_contains("ReceiptHandle");
    if (!receipt || !receipt->is_string()) {
      malformed = true;
      return std::nullopt;
    }
    return std::string(receipt->as_string());
  }
  if (auto receipt = XmlElement(body, "ReceiptHandle")) return XmlUnescape(*receipt);
  if (body.find("ReceiveMessageResponse") == std::string::npos) malformed = true;
  return std::nullopt;
}

long SqsRequests::BatchFailures(const std::string& body) const {
  if (Json()) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return -1;
    auto* failed = v.as_object().if_contains("Failed");
    if (!failed || !failed->is_array()) return 0;
    return static_cast<long>(failed->as_array().size());
  }
  if (body.find("SendMessageBatchResponse") == std::string::npos) return -1;
  return static_cast<long>(CountOccurrences(body, "<BatchResultErrorEntry>"));
}

std::string SqsRequests::Http(const std::string& op, const std::string& body) const {
  std::string r;
  r.reserve(body.size() + 400);
  r += "POST / HTTP/1.1\r\nHost: ";
  r += endpoint_.host_header;
  r += "\r\nUser-Agent: sqs_load/1.0\r\nAccept-Encoding: identity\r\n";
  if (Json()) {
    r += "Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.";
    r += op;
    r += "\r\n";
  } else {
    r += "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n";
  }
  r += "X-Amz-Date: 20250101T000000Z\r\nAuthorization: ";
  r += auth_;
  r += "\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\n\r\n";
  r += body;
  return r;
}

}  // namespace sqs_load

// sqs_load: SQS requests (awsJson1.0 and awsQuery) as ready-to-send HTTP/1.1 messages, and the few
// response fields the load phases need.
#pragma once

#include "sqs_load_options.hpp"

#include <optional>
#include <string>

namespace sqs_load {

class SqsRequests {
 public:
  SqsRequests(const Options& o, const Endpoint& e);

  std::string CreateQueue(const std::string& name) const;
  std::string QueueUrlOnly(const std::string& op, const std::string& url) const;
  std::string SendMessage(const std::string& url, const std::string& body) const;
  std::string SendMessageBatch(const std::string& url, const std::string& body, int entries) const;
  std::string ReceiveMessage(const std::string& url) const;
  std::string DeleteMessage(const std::string& url, const std::string& receipt) const;

  // --- response parsing ---

  std::optional<std::string> ParseQueueUrl(const std::string& body) const;

  // Receipt handle of the first received message; nullopt when none was received.
  // Sets `malformed` when the body could not be understood.
  std::optional<std::string> ParseReceipt(const std::string& body, bool& malformed) const;

  // Number of failed entries in a SendMessageBatch response, or -1 when it could not be parsed.
  long BatchFailures(const std::string& body) const;

 private:
  bool Json() const { return options_.protocol == Protocol::Json; }
  static std::string Query(const std::string& action) { return "Action=" + action + "&Version=2012-11-05"; }

  std::string Http(const std::string& op, const std::string& body) const;

  const Options& options_;
  const Endpoint& endpoint_;
  std::string auth_;
};

}  // namespace sqs_load

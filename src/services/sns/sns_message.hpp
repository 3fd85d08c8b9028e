#pragma once
// One message on its way out of SNS: what Publish (or a PublishBatch entry) asked for, checked,
// with the ids SNS gave it. MessageStructure=json carries one text per protocol and a default.
#include <map>
#include <string>

#include "services/sns/model/message_attributes.hpp"

namespace mallard::sns {

struct OutgoingMessage {
  std::string message_id;
  std::string message;    // as published (for MessageStructure=json, the JSON text)
  std::string subject;    // empty = none
  bool json_structure = false;
  std::map<std::string, std::string> per_protocol;  // json structure: "default", "sqs", "http", ...
  MessageAttributes attributes;
  std::string group_id;
  std::string deduplication_id;
  std::string sequence_number;  // FIFO topics
  std::string timestamp;        // when SNS accepted it, as every envelope of it says

  // The text a subscriber of `protocol` receives.
  const std::string& TextFor(const std::string& protocol) const {
    if (!json_structure) return message;
    auto found = per_protocol.find(protocol);
    return found != per_protocol.end() ? found->second : per_protocol.at("default");
  }
};

}  // namespace mallard::sns

#pragma once
// Input rules of SQS that do not depend on stored state: names, message bodies, message
// attributes, batch entry ids. Each returns the exact AWS error on violation.
#include <boost/json/value.hpp>

#include <string>

#include "common/result.hpp"
#include "services/sqs/sqs_model.hpp"

namespace mallard::sqs {

inline constexpr std::size_t kMaxMessageBytes = 262144;
inline constexpr std::size_t kMaxBatchEntries = 10;
inline constexpr std::size_t kMaxMessageAttributes = 10;

Status<> ValidateQueueName(const std::string& name, bool fifo);
// Body characters allowed by SQS: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
bool IsValidMessageText(const std::string& text);
bool IsValidBatchEntryId(const std::string& id);
// Parses and validates the MessageAttributes (or MessageSystemAttributes when `system` is true) map.
Result<MessageAttributes> ParseMessageAttributes(const boost::json::value& input, bool system);
// Bytes counted against MaximumMessageSize: body plus each attribute's name, type and value.
std::size_t MessagePayloadBytes(const std::string& body, const MessageAttributes& attributes);

}  // namespace mallard::sqs

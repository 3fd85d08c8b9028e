#pragma once
// Input rules of SQS that do not depend on stored state: names, message bodies, message
// attributes, batch entry ids. Each returns the exact AWS error on violation.
#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "common/result.hpp"
#include "services/sqs/model/sqs_model.hpp"

namespace mallard::sqs {

// 1 MiB since AWS raised the limit in 2025: the largest MaximumMessageSize, its default, and the
// largest total of a SendMessageBatch.
inline constexpr std::size_t kMaxMessageBytes = 1048576;
inline constexpr std::size_t kMaxBatchEntries = 10;
inline constexpr std::size_t kMaxMessageAttributes = 10;

Status<> ValidateQueueName(const std::string& name, bool fifo);
// Body characters allowed by SQS: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF,
// in strictly valid UTF-8 (an overlong form such as C0 AF, a surrogate, a truncated sequence is
// refused too: stored, it would make every later ReceiveMessage unparseable).
bool IsValidMessageText(const std::string& text);
// The first character SQS refuses, named as SQS names it ("#x0", "#xFFFF"; for bytes that are not
// UTF-8, the first such byte, "#xC0"); nullopt when the text is valid.
std::optional<std::string> FirstInvalidMessageCharacter(const std::string& text);
// InvalidMessageContents when the text holds a refused character; `where` as in the error.
Status<> CheckMessageText(const std::string& text, const std::string& where);
bool IsValidBatchEntryId(const std::string& id);
// Queue tags (TagQueue, CreateQueue's tags): keys 1 to 128 characters, values at most 256, both
// strings of characters a response can carry (valid UTF-8, XML 1.0 characters), counted in
// characters as AWS counts them.
Status<> ValidateQueueTags(const boost::json::object& tags);
// Parses and validates the MessageAttributes (or MessageSystemAttributes when `system` is true) map.
Result<MessageAttributes> ParseMessageAttributes(const boost::json::value& input, bool system);
// Bytes counted against MaximumMessageSize: body plus each attribute's name, type and value.
std::size_t MessagePayloadBytes(const std::string& body, const MessageAttributes& attributes);

}  // namespace mallard::sqs

#pragma once
// Publish's MessageAttributes: read from the request, checked in AWS's order with AWS's messages
// (name length and characters, DataType present and of a known prefix, the value field its type
// needs, non-empty), and sized as AWS counts them against the message size limit.
#include <boost/json/object.hpp>

#include <cstddef>
#include <map>
#include <string>

#include "common/result.hpp"

namespace mallard::sns {

struct MessageAttribute {
  std::string data_type;     // "String", "Number", "Binary", "String.Array", "String.custom", ...
  std::string string_value;  // String and Number types
  std::string binary_value;  // Binary types: base64, as on the wire
  bool IsBinary() const { return data_type.rfind("Binary", 0) == 0; }
  const std::string& Value() const { return IsBinary() ? binary_value : string_value; }
};
using MessageAttributes = std::map<std::string, MessageAttribute>;  // by name, in byte order

// `input` is the request's MessageAttributes member (nullptr when absent). `batch_position` is the
// 1-based entry of a PublishBatch (0 for Publish): it names the entry in ValidationError paths.
Result<MessageAttributes> ReadMessageAttributes(const boost::json::value* input, std::size_t batch_position = 0);
// Bytes counted against the topic's message size: each name, data type and value.
std::size_t MessageAttributesSize(const MessageAttributes& attributes);
// The envelope's "MessageAttributes" member: {"name": {"Type": "String", "Value": "v"}}.
boost::json::object EnvelopeAttributes(const MessageAttributes& attributes);
// The request shape of attributes, {"name": {"DataType", "StringValue" or "BinaryValue"}}: SQS SendMessage's input
// for raw delivery, and the records of sent SMS and push messages (as LocalStack shows them).
boost::json::object SqsMessageAttributes(const MessageAttributes& attributes);

}  // namespace mallard::sns

#pragma once
// The MD5 digests SQS returns so that SDKs can verify a message end to end. The algorithm is AWS's:
// attributes sorted by name; for each, the name, the data type and the value, each prefixed by its
// 4-byte big-endian length, with a transport byte (1 = string, 2 = binary) before the value.
#include <string>

#include "services/sqs/model/sqs_model.hpp"

namespace mallard::sqs {

// Empty string when there are no attributes (SQS then omits the field).
std::string Md5OfMessageAttributes(const MessageAttributes& attributes);

}  // namespace mallard::sqs

#pragma once
// The awsQuery shapes of every SQS operation (member location names, flattened lists and maps),
// transcribed from the SQS 2012-11-05 model.
#include <string_view>

#include "protocol/shape.hpp"

namespace mallard::sqs {

// nullptr for an unknown operation.
const protocol::OperationShapes* SqsOperationShapes(std::string_view operation);

}  // namespace mallard::sqs

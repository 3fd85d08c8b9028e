#pragma once
// The awsQuery shapes of every SQS operation (member location names, flattened lists and maps),
// transcribed from the SQS 2012-11-05 model.
#include <string>
#include <string_view>
#include <vector>

#include "protocol/shape.hpp"

namespace mallard::sqs {

// nullptr for an unknown operation.
const protocol::OperationShapes* SqsOperationShapes(std::string_view operation);
// The operations the model has shapes for, sorted: SqsService's table must name exactly these.
std::vector<std::string> SqsModelOperationNames();

}  // namespace mallard::sqs

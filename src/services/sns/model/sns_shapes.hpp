#pragma once
// The awsQuery shapes of every SNS operation (member names, list element and map key/value names),
// generated from botocore's SNS 2010-03-31 model by scripts/gen_sns_shapes.py into sns_shapes.cpp.
// The codec (protocol/aws_query) reads them to turn form parameters into the operation's JSON
// input and its JSON output into AWS's XML; outputs are wrapped in "<Operation>Result", which the
// generator checked is the model's resultWrapper for every SNS operation.
#include <string>
#include <string_view>
#include <vector>

#include "protocol/shape.hpp"

namespace mallard::sns {

// nullptr when `operation` is not an SNS operation. `output` is nullptr for operations whose
// response has no result element (DeleteTopic, SetTopicAttributes, ...).
const protocol::OperationShapes* SnsShapes(std::string_view operation);
// Every SNS operation name in the model, sorted.
const std::vector<std::string>& SnsOperationNames();

}  // namespace mallard::sns

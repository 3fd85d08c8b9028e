#pragma once
// The protocol-neutral form of one AWS call: services receive the operation's input as the JSON
// document of its awsJson shape (the awsQuery codec translates form parameters into the same
// document) and return their output the same way.
#include <boost/json/object.hpp>

#include <functional>
#include <string>

#include "common/request_context.hpp"
#include "common/result.hpp"

namespace mallard::protocol {

enum class WireProtocol : unsigned char { AwsJson10, AwsJson11, AwsQuery };

struct OperationRequest {
  RequestContext context;
  std::string operation;       // AWS operation name, verbatim ("SendMessage")
  boost::json::object input;
  WireProtocol protocol = WireProtocol::AwsJson10;
  std::string http_path;       // some awsQuery clients address a resource by path (SQS queue URLs)
};

using OperationResult = Result<boost::json::object>;
// Completes an operation; may be called from any thread, exactly once.
using OperationCallback = std::function<void(OperationResult)>;

}  // namespace mallard::protocol

// awsQuery request decoding: ParseFormInto on any bytes, then FormToJson against real SQS input
// shapes (lists, flattened maps, integers, booleans). Errors must be the protocol's typed errors;
// nothing may crash, hang or grow without bound.
#include <boost/json.hpp>

#include <array>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/aws_query.hpp"
#include "services/sqs/model/sqs_shapes.hpp"

using namespace mallard;

namespace {

// Operations with the richest input shapes; an input naming another known Action uses that one.
constexpr std::array<const char*, 8> kOperations = {"SendMessage",        "SendMessageBatch", "CreateQueue",
                                                    "SetQueueAttributes", "ReceiveMessage",   "TagQueue",
                                                    "DeleteMessageBatch", "ChangeMessageVisibilityBatch"};

void DecodeFor(const protocol::FormParameters& params, const protocol::OperationShapes& shapes, std::string_view input) {
  auto decoded = protocol::FormToJson(params, shapes.input);
  if (!decoded.ok()) {
    if (decoded.error().code != "InvalidParameterValue")
      fuzz::FailCheck("FormToJson failed with an unexpected error: " + decoded.error().code, input);
    return;
  }
  // Every member of the result is one the shape declares.
  for (const auto& member : *decoded) {
    if (shapes.input->FindMember(std::string(member.key())) == nullptr)
      fuzz::FailCheck("FormToJson produced an undeclared member " + std::string(member.key()), input);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  protocol::FormParameters params;
  auto parsed = protocol::ParseFormInto(text, params);
  if (!parsed.ok()) {
    if (parsed.error().code != "MalformedQueryString")
      fuzz::FailCheck("ParseFormInto failed with an unexpected error: " + parsed.error().code, text);
    return 0;
  }
  if (auto action = params.find("Action"); action != params.end()) {
    if (const auto* shapes = sqs::SqsOperationShapes(action->second)) {
      DecodeFor(params, *shapes, text);
      return 0;
    }
  }
  for (const char* operation : kOperations) DecodeFor(params, *sqs::SqsOperationShapes(operation), text);
  return 0;
}

#include "services/sqs/model/sqs_shapes.hpp"

#include <map>
#include <string>

namespace mallard::sqs {
namespace {

using protocol::OperationShapes;
using protocol::Shape;
using protocol::ShapeArena;
using protocol::ShapeKind;
using protocol::ShapeMember;

struct SqsModel {
  ShapeArena arena;
  std::map<std::string, OperationShapes, std::less<>> operations;

  SqsModel() {
    const Shape* text = arena.Scalar(ShapeKind::String);
    const Shape* integer = arena.Scalar(ShapeKind::Integer);
    const Shape* long_integer = arena.Scalar(ShapeKind::Long);
    const Shape* boolean = arena.Scalar(ShapeKind::Boolean);
    const Shape* blob = arena.Scalar(ShapeKind::Blob);
    // A flattened list's items take the element's name ("Entries" -> SendMessageBatchRequestEntry.1);
    // the member keeps its own name, under which botocore marks an empty list ("Entries=").
    auto flat_list = [&](const Shape* element, const char* name) { return arena.List(element, name, true); };
    auto flat_map = [&](const Shape* value, const char* key_name, const char* value_name) {
      return arena.Map(text, value, key_name, value_name, true);
    };
    const Shape* attribute_map = flat_map(text, "Name", "Value");
    const Shape* tag_map = flat_map(text, "Key", "Value");
    const Shape* message_attribute_value = arena.Structure({
        {"StringValue", "", text},
        {"BinaryValue", "", blob},
        {"StringListValues", "", flat_list(text, "StringListValue")},
        {"BinaryListValues", "", flat_list(blob, "BinaryListValue")},
        {"DataType", "", text},
    });
    const Shape* message_attributes = flat_map(message_attribute_value, "Name", "Value");
    const Shape* batch_error = arena.Structure({
        {"Id", "", text}, {"SenderFault", "", boolean}, {"Code", "", text}, {"Message", "", text}});
    auto queue_url_only = arena.Structure({{"QueueUrl", "", text}});

    Add("CreateQueue",
        arena.Structure({{"QueueName", "", text}, {"Attributes", "Attribute", attribute_map}, {"tags", "Tag", tag_map}}),
        arena.Structure({{"QueueUrl", "", text}}));
    Add("DeleteQueue", queue_url_only, nullptr);
    Add("PurgeQueue", queue_url_only, nullptr);
    Add("GetQueueUrl", arena.Structure({{"QueueName", "", text}, {"QueueOwnerAWSAccountId", "", text}}),
        arena.Structure({{"QueueUrl", "", text}}));
    Add("ListQueues",
        arena.Structure({{"QueueNamePrefix", "", text}, {"NextToken", "", text}, {"MaxResults", "", integer}}),
        arena.Structure({{"QueueUrls", "", flat_list(text, "QueueUrl")}, {"NextToken", "", text}}));
    Add("GetQueueAttributes",
        arena.Structure({{"QueueUrl", "", text}, {"AttributeNames", "", flat_list(text, "AttributeName")}}),
        arena.Structure({{"Attributes", "Attribute", attribute_map}}));
    Add("SetQueueAttributes", arena.Structure({{"QueueUrl", "", text}, {"Attributes", "Attribute", attribute_map}}),
        nullptr);

    std::vector<ShapeMember> send_members = {
        {"MessageBody", "", text},
        {"DelaySeconds", "", integer},
        {"MessageAttributes", "MessageAttribute", message_attributes},
        {"MessageSystemAttributes", "MessageSystemAttribute", message_attributes},
        {"MessageDeduplicationId", "", text},
        {"MessageGroupId", "", text},
    };
    std::vector<ShapeMember> send_input = send_members;
    send_input.insert(send_input.begin(), ShapeMember{"QueueUrl", "", text});
    Add("SendMessage", arena.Structure(send_input),
        arena.Structure({{"MD5OfMessageBody", "", text},
                         {"MD5OfMessageAttributes", "", text},
                         {"MD5OfMessageSystemAttributes", "", text},
                         {"MessageId", "", text},
                         {"SequenceNumber", "", text}}));
    std::vector<ShapeMember> batch_entry = send_members;
    batch_entry.insert(batch_entry.begin(), ShapeMember{"Id", "", text});
    Add("SendMessageBatch",
        arena.Structure({{"QueueUrl", "", text},
                         {"Entries", "",
                          flat_list(arena.Structure(batch_entry), "SendMessageBatchRequestEntry")}}),
        arena.Structure({{"Successful", "",
                          flat_list(arena.Structure({{"Id", "", text},
                                                     {"MessageId", "", text},
                                                     {"MD5OfMessageBody", "", text},
                                                     {"MD5OfMessageAttributes", "", text},
                                                     {"MD5OfMessageSystemAttributes", "", text},
                                                     {"SequenceNumber", "", text}}),
                                    "SendMessageBatchResultEntry")},
                         {"Failed", "", flat_list(batch_error, "BatchResultErrorEntry")}}));

    const Shape* message = arena.Structure({{"MessageId", "", text},
                                            {"ReceiptHandle", "", text},
                                            {"MD5OfBody", "", text},
                                            {"Body", "", text},
                                            {"Attributes", "Attribute", attribute_map},
                                            {"MD5OfMessageAttributes", "", text},
                                            {"MessageAttributes", "MessageAttribute", message_attributes}});
    Add("ReceiveMessage",
        arena.Structure({{"QueueUrl", "", text},
                         {"AttributeNames", "", flat_list(text, "AttributeName")},
                         {"MessageSystemAttributeNames", "",
                          flat_list(text, "MessageSystemAttributeName")},
                         {"MessageAttributeNames", "", flat_list(text, "MessageAttributeName")},
                         {"MaxNumberOfMessages", "", integer},
                         {"VisibilityTimeout", "", integer},
                         {"WaitTimeSeconds", "", integer},
                         {"ReceiveRequestAttemptId", "", text}}),
        arena.Structure({{"Messages", "", flat_list(message, "Message")}}));
    Add("DeleteMessage", arena.Structure({{"QueueUrl", "", text}, {"ReceiptHandle", "", text}}), nullptr);
    const Shape* id_only = arena.Structure({{"Id", "", text}});
    Add("DeleteMessageBatch",
        arena.Structure({{"QueueUrl", "", text},
                         {"Entries", "",
                          flat_list(arena.Structure({{"Id", "", text}, {"ReceiptHandle", "", text}}),
                                    "DeleteMessageBatchRequestEntry")}}),
        arena.Structure({{"Successful", "", flat_list(id_only, "DeleteMessageBatchResultEntry")},
                         {"Failed", "", flat_list(batch_error, "BatchResultErrorEntry")}}));
    Add("ChangeMessageVisibility",
        arena.Structure({{"QueueUrl", "", text}, {"ReceiptHandle", "", text}, {"VisibilityTimeout", "", integer}}),
        nullptr);
    Add("ChangeMessageVisibilityBatch",
        arena.Structure(
            {{"QueueUrl", "", text},
             {"Entries", "",
              flat_list(arena.Structure({{"Id", "", text}, {"ReceiptHandle", "", text}, {"VisibilityTimeout", "", integer}}),
                        "ChangeMessageVisibilityBatchRequestEntry")}}),
        arena.Structure({{"Successful", "",
                          flat_list(id_only, "ChangeMessageVisibilityBatchResultEntry")},
                         {"Failed", "", flat_list(batch_error, "BatchResultErrorEntry")}}));
    Add("TagQueue", arena.Structure({{"QueueUrl", "", text}, {"Tags", "Tag", tag_map}}), nullptr);
    Add("UntagQueue", arena.Structure({{"QueueUrl", "", text}, {"TagKeys", "", flat_list(text, "TagKey")}}), nullptr);
    Add("ListQueueTags", queue_url_only, arena.Structure({{"Tags", "Tag", tag_map}}));
    Add("AddPermission",
        arena.Structure({{"QueueUrl", "", text},
                         {"Label", "", text},
                         {"AWSAccountIds", "", flat_list(text, "AWSAccountId")},
                         {"Actions", "", flat_list(text, "ActionName")}}),
        nullptr);
    Add("RemovePermission", arena.Structure({{"QueueUrl", "", text}, {"Label", "", text}}), nullptr);
    Add("ListDeadLetterSourceQueues",
        arena.Structure({{"QueueUrl", "", text}, {"NextToken", "", text}, {"MaxResults", "", integer}}),
        arena.Structure({{"queueUrls", "", flat_list(text, "QueueUrl")}, {"NextToken", "", text}}));
    Add("StartMessageMoveTask",
        arena.Structure({{"SourceArn", "", text}, {"DestinationArn", "", text}, {"MaxNumberOfMessagesPerSecond", "", integer}}),
        arena.Structure({{"TaskHandle", "", text}}));
    Add("CancelMessageMoveTask", arena.Structure({{"TaskHandle", "", text}}),
        arena.Structure({{"ApproximateNumberOfMessagesMoved", "", long_integer}}));
    Add("ListMessageMoveTasks", arena.Structure({{"SourceArn", "", text}, {"MaxResults", "", integer}}),
        arena.Structure({{"Results", "",
                          flat_list(arena.Structure({{"TaskHandle", "", text},
                                                     {"Status", "", text},
                                                     {"SourceArn", "", text},
                                                     {"DestinationArn", "", text},
                                                     {"MaxNumberOfMessagesPerSecond", "", integer},
                                                     {"ApproximateNumberOfMessagesMoved", "", long_integer},
                                                     {"ApproximateNumberOfMessagesToMove", "", long_integer},
                                                     {"FailureReason", "", text},
                                                     {"StartedTimestamp", "", long_integer}}),
                                    "ListMessageMoveTasksResultEntry")}}));
  }

  void Add(const char* name, const Shape* input, const Shape* output) { operations[name] = {input, output}; }
};

const SqsModel& Model() {
  static const SqsModel model;
  return model;
}

}  // namespace

const protocol::OperationShapes* SqsOperationShapes(std::string_view operation) {
  const SqsModel& model = Model();
  auto found = model.operations.find(operation);
  return found == model.operations.end() ? nullptr : &found->second;
}

std::vector<std::string> SqsModelOperationNames() {
  std::vector<std::string> names;
  for (const auto& [name, shapes] : Model().operations) names.push_back(name);
  return names;  // a std::map's keys: sorted
}

}  // namespace mallard::sqs

#pragma once
// How RedisSqsStore turns queue records, message contents, move tasks and receipt handles into
// strings. Blobs are length-prefixed fields ("5:hello"), so any byte (binary message attributes,
// newlines in bodies) round-trips; each starts with a version tag so the format can evolve.
#include <cstdint>
#include <optional>
#include <string>

#include "services/sqs/model/sqs_model.hpp"

namespace mallard::sqs::redis_codec {

std::string EncodeRecord(const QueueRecord& record);
std::optional<QueueRecord> DecodeRecord(const std::string& blob);

// Everything of a NewMessage except dead_letter_source_arn, which changes when a message is
// redriven or moved and is kept in its own field.
std::string EncodeContent(const NewMessage& message);
std::optional<NewMessage> DecodeContent(const std::string& blob);

std::string EncodeTask(const MoveTask& task);
std::optional<MoveTask> DecodeTask(const std::string& blob);

struct Receipt {
  std::uint64_t sequence = 0;
  std::string token;
  std::string message_id;
};
std::string EncodeReceipt(const Receipt& receipt);
std::optional<Receipt> DecodeReceipt(const std::string& handle);


}  // namespace mallard::sqs::redis_codec

#include "services/sqs/redis/redis_sqs_codec.hpp"

#include <charconv>
#include <string_view>

#include "common/encoding.hpp"

namespace mallard::sqs::redis_codec {
namespace {

class Writer {
 public:
  explicit Writer(std::string_view version) { Put(version); }
  Writer& Put(std::string_view field) {
    out_ += std::to_string(field.size());
    out_ += ':';
    out_.append(field);
    return *this;
  }
  Writer& Put(std::int64_t number) { return Put(std::to_string(number)); }
  Writer& Put(const std::map<std::string, std::string>& map) {
    Put(static_cast<std::int64_t>(map.size()));
    for (const auto& [key, value] : map) Put(key).Put(value);
    return *this;
  }
  Writer& Put(const MessageAttributes& attributes) {
    Put(static_cast<std::int64_t>(attributes.size()));
    for (const auto& [name, value] : attributes) {
      Put(name).Put(value.data_type).Put(value.string_value).Put(value.binary_value);
    }
    return *this;
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in order; after any malformed field every later read fails too.
class Reader {
 public:
  explicit Reader(std::string_view blob) : rest_(blob) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return rest_.empty(); }

  std::string Text() {
    auto colon = rest_.find(':');
    std::size_t length = 0;
    if (!ok_ || colon == std::string_view::npos ||
        std::from_chars(rest_.data(), rest_.data() + colon, length).ptr != rest_.data() + colon ||
        rest_.size() - colon - 1 < length) {
      ok_ = false;
      return {};
    }
    std::string field(rest_.substr(colon + 1, length));
    rest_.remove_prefix(colon + 1 + length);
    return field;
  }
  std::int64_t Number() {
    auto text = Text();
    std::int64_t number = 0;
    if (ok_ && std::from_chars(text.data(), text.data() + text.size(), number).ptr != text.data() + text.size()) {
      ok_ = false;
    }
    return number;
  }
  std::map<std::string, std::string> Map() {
    std::map<std::string, std::string> map;
    for (auto count = Number(); ok_ && count > 0; --count) {
      auto key = Text();
      map[key] = Text();
    }
    return map;
  }
  MessageAttributes Attributes() {
    MessageAttributes attributes;
    for (auto count = Number(); ok_ && count > 0; --count) {
      auto name = Text();
      MessageAttributeValue value;
      value.data_type = Text();
      value.string_value = Text();
      value.binary_value = Text();
      attributes.emplace(std::move(name), std::move(value));
    }
    return attributes;
  }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::string EncodeRecord(const QueueRecord& record) {
  return Writer("r1")
      .Put(record.key.account_id)
      .Put(record.key.region)
      .Put(record.key.name)
      .Put(record.fifo ? 1 : 0)
      .Put(record.created_seconds)
      .Put(record.last_modified_seconds)
      .Put(record.attributes)
      .Put(record.tags)
      .Take();
}

std::optional<QueueRecord> DecodeRecord(const std::string& blob) {
  Reader reader(blob);
  if (reader.Text() != "r1") return std::nullopt;
  QueueRecord record;
  record.key.account_id = reader.Text();
  record.key.region = reader.Text();
  record.key.name = reader.Text();
  record.fifo = reader.Number() != 0;
  record.created_seconds = reader.Number();
  record.last_modified_seconds = reader.Number();
  record.attributes = reader.Map();
  record.tags = reader.Map();
  if (!reader.ok()) return std::nullopt;
  return record;
}

std::string EncodeContent(const NewMessage& message) {
  return Writer("m1")
      .Put(message.body)
      .Put(message.md5_of_body)
      .Put(message.md5_of_attributes)
      .Put(message.md5_of_system_attributes)
      .Put(message.sender_id)
      .Put(message.delay_seconds)
      .Put(message.group_id)
      .Put(message.deduplication_id)
      .Put(message.attributes)
      .Put(message.system_attributes)
      .Take();
}

std::optional<NewMessage> DecodeContent(const std::string& blob) {
  Reader reader(blob);
  if (reader.Text() != "m1") return std::nullopt;
  NewMessage message;
  message.body = reader.Text();
  message.md5_of_body = reader.Text();
  message.md5_of_attributes = reader.Text();
  message.md5_of_system_attributes = reader.Text();
  message.sender_id = reader.Text();
  message.delay_seconds = reader.Number();
  message.group_id = reader.Text();
  message.deduplication_id = reader.Text();
  message.attributes = reader.Attributes();
  message.system_attributes = reader.Attributes();
  if (!reader.ok()) return std::nullopt;
  return message;
}

std::string EncodeTask(const MoveTask& task) {
  return Writer("t1")
      .Put(task.task_handle)
      .Put(task.source_arn)
      .Put(task.destination_arn)
      .Put(task.max_per_second)
      .Put(task.status)
      .Put(task.started_millis)
      .Put(task.moved)
      .Put(task.to_move)
      .Put(task.failure_reason)
      .Take();
}

std::optional<MoveTask> DecodeTask(const std::string& blob) {
  Reader reader(blob);
  if (reader.Text() != "t1") return std::nullopt;
  MoveTask task;
  task.task_handle = reader.Text();
  task.source_arn = reader.Text();
  task.destination_arn = reader.Text();
  task.max_per_second = reader.Number();
  task.status = reader.Text();
  task.started_millis = reader.Number();
  task.moved = reader.Number();
  task.to_move = reader.Number();
  task.failure_reason = reader.Text();
  if (!reader.ok()) return std::nullopt;
  return task;
}

std::string EncodeReceipt(const Receipt& receipt) {
  return Base64Encode("mallard-redis-rh:" + std::to_string(receipt.sequence) + ":" + receipt.token + ":" +
                      receipt.message_id);
}

std::optional<Receipt> DecodeReceipt(const std::string& handle) {
  constexpr std::string_view kTag = "mallard-redis-rh:";
  auto decoded = Base64Decode(handle);
  if (!decoded || decoded->compare(0, kTag.size(), kTag) != 0) return std::nullopt;
  std::string_view rest = std::string_view(*decoded).substr(kTag.size());
  auto first = rest.find(':');
  auto second = first == std::string_view::npos ? first : rest.find(':', first + 1);
  if (second == std::string_view::npos || first == 0) return std::nullopt;
  Receipt receipt;
  auto [end, error] = std::from_chars(rest.data(), rest.data() + first, receipt.sequence);
  if (error != std::errc() || end != rest.data() + first) return std::nullopt;
  receipt.token = std::string(rest.substr(first + 1, second - first - 1));
  receipt.message_id = std::string(rest.substr(second + 1));
  return receipt;
}

}  // namespace mallard::sqs::redis_codec

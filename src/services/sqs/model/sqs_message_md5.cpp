#include "services/sqs/model/sqs_message_md5.hpp"

#include "common/encoding.hpp"

namespace mallard::sqs {
namespace {

void AppendLengthPrefixed(std::string& out, const std::string& bytes) {
  auto length = static_cast<std::uint32_t>(bytes.size());
  out += static_cast<char>((length >> 24) & 0xFF);
  out += static_cast<char>((length >> 16) & 0xFF);
  out += static_cast<char>((length >> 8) & 0xFF);
  out += static_cast<char>(length & 0xFF);
  out += bytes;
}

}  // namespace

std::string Md5OfMessageAttributes(const MessageAttributes& attributes) {
  if (attributes.empty()) return {};
  std::string buffer;
  for (const auto& [name, value] : attributes) {  // std::map iterates in byte order of the names
    AppendLengthPrefixed(buffer, name);
    AppendLengthPrefixed(buffer, value.data_type);
    if (value.data_type.rfind("Binary", 0) == 0) {
      buffer += static_cast<char>(2);
      AppendLengthPrefixed(buffer, value.binary_value);
    } else {
      buffer += static_cast<char>(1);
      AppendLengthPrefixed(buffer, value.string_value);
    }
  }
  return Md5Hex(buffer);
}

}  // namespace mallard::sqs

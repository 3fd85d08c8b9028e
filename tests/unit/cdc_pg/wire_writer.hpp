#pragma once
// Builds byte fixtures in PostgreSQL's wire layout (big-endian integers, NUL-terminated strings)
// so that tests state each message field by field.
#include <cstdint>
#include <string>
#include <string_view>

namespace mallard::cdc::pg::testing {

class WireWriter {
 public:
  WireWriter& Byte(std::uint8_t value) {
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  WireWriter& Int16(std::int16_t value) { return BigEndian(static_cast<std::uint16_t>(value), 2); }
  WireWriter& Int32(std::int32_t value) { return BigEndian(static_cast<std::uint32_t>(value), 4); }
  WireWriter& UInt32(std::uint32_t value) { return BigEndian(value, 4); }
  WireWriter& Int64(std::int64_t value) { return BigEndian(static_cast<std::uint64_t>(value), 8); }
  WireWriter& UInt64(std::uint64_t value) { return BigEndian(value, 8); }
  WireWriter& CString(std::string_view text) {
    bytes_.append(text);
    bytes_.push_back('\0');
    return *this;
  }
  WireWriter& Raw(std::string_view bytes) {
    bytes_.append(bytes);
    return *this;
  }
  // TupleData column helpers.
  WireWriter& NullColumn() { return Byte('n'); }
  WireWriter& UnchangedToastColumn() { return Byte('u'); }
  WireWriter& TextColumn(std::string_view text) { return Byte('t').Int32(static_cast<std::int32_t>(text.size())).Raw(text); }
  WireWriter& BinaryColumn(std::string_view bytes) {
    return Byte('b').Int32(static_cast<std::int32_t>(bytes.size())).Raw(bytes);
  }

  const std::string& bytes() const { return bytes_; }

 private:
  WireWriter& BigEndian(std::uint64_t value, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) bytes_.push_back(static_cast<char>((value >> shift) & 0xFF));
    return *this;
  }
  std::string bytes_;
};

}  // namespace mallard::cdc::pg::testing

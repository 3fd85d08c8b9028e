// Layout (all counts and lengths unsigned LEB128 varints):
//   item   := count (name value)*            names in the map's (byte) order
//   name   := length bytes
//   value  := type-byte payload               type-byte = AttrType
//   S, B   := length bytes
//   N      := head exponent digits            head: bit 7 sign, bits 0-5 digit count;
//                                             exponent: zigzag varint; digits: two per byte (BCD)
//   BOOL   := 0 | 1
//   NULL   := (nothing)
//   SS, BS := count (length bytes)*
//   NS     := count N*
//   L      := count value*
//   M      := item
#include "services/dynamodb/model/ddb_item_binary.hpp"

#include <cstdint>

namespace mallard::dynamodb {
namespace {

// DynamoDB allows 32 levels of nesting; anything deeper is not bytes this codec wrote.
constexpr int kMaxDepth = 64;

void PutVarint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutBytes(std::string_view bytes, std::string& out) {
  PutVarint(bytes.size(), out);
  out.append(bytes);
}

void PutNumber(const Decimal& number, std::string& out) {
  std::string_view digits = number.Digits();
  out.push_back(static_cast<char>((number.IsNegative() ? 0x80 : 0) | digits.size()));
  const std::int64_t exponent = number.Exponent();
  PutVarint(static_cast<std::uint64_t>((exponent << 1) ^ (exponent >> 63)), out);
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    unsigned high = static_cast<unsigned>(digits[i] - '0');
    unsigned low = i + 1 < digits.size() ? static_cast<unsigned>(digits[i + 1] - '0') : 0;
    out.push_back(static_cast<char>((high << 4) | low));
  }
}

void PutValue(const AttributeValue& value, std::string& out) {
  out.push_back(static_cast<char>(value.type));
  switch (value.type) {
    case AttrType::S:
    case AttrType::B: PutBytes(value.bytes, out); break;
    case AttrType::N: PutNumber(value.number, out); break;
    case AttrType::BOOL: out.push_back(value.boolean ? 1 : 0); break;
    case AttrType::NUL: break;
    case AttrType::SS:
    case AttrType::BS:
      PutVarint(value.byte_set.size(), out);
      for (const auto& member : value.byte_set) PutBytes(member, out);
      break;
    case AttrType::NS:
      PutVarint(value.number_set.size(), out);
      for (const auto& member : value.number_set) PutNumber(member, out);
      break;
    case AttrType::L:
      PutVarint(value.list.size(), out);
      for (const auto& member : value.list) PutValue(member, out);
      break;
    case AttrType::M: AppendItemBinary(value.map, out); break;
  }
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  bool AtEnd() const { return position_ == bytes_.size(); }

  Result<std::uint64_t, std::string> Varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position_ == bytes_.size()) return Fail(std::string("truncated length"));
      auto byte = static_cast<unsigned char>(bytes_[position_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return Fail(std::string("length longer than 64 bits"));
  }

  // A count of things each at least one byte long: never more than the bytes left.
  Result<std::size_t, std::string> Count() {
    MALLARD_ASSIGN_OR_RETURN(std::uint64_t count, Varint());
    if (count > bytes_.size() - position_) return Fail(std::string("count beyond the end"));
    return static_cast<std::size_t>(count);
  }

  Result<std::string_view, std::string> Bytes() {
    MALLARD_ASSIGN_OR_RETURN(std::size_t length, Count());
    std::string_view bytes = bytes_.substr(position_, length);
    position_ += length;
    return bytes;
  }

  Result<unsigned char, std::string> Byte() {
    if (position_ == bytes_.size()) return Fail(std::string("truncated value"));
    return static_cast<unsigned char>(bytes_[position_++]);
  }

  Result<Decimal, std::string> Number() {
    MALLARD_ASSIGN_OR_RETURN(unsigned char head, Byte());
    if ((head & 0x40) != 0) return Fail(std::string("bad number head"));
    const std::size_t count = head & 0x3f;
    MALLARD_ASSIGN_OR_RETURN(std::uint64_t zigzag, Varint());
    if (zigzag > 0xffffffffULL) return Fail(std::string("number exponent out of range"));
    const auto exponent = static_cast<std::int64_t>(zigzag >> 1) ^ -static_cast<std::int64_t>(zigzag & 1);
    char digits[64];
    for (std::size_t i = 0; i < count; i += 2) {
      MALLARD_ASSIGN_OR_RETURN(unsigned char pair, Byte());
      digits[i] = static_cast<char>('0' + (pair >> 4));
      if (i + 1 < count) {
        digits[i + 1] = static_cast<char>('0' + (pair & 0x0f));
      } else if ((pair & 0x0f) != 0) {
        return Fail(std::string("bad number padding"));
      }
    }
    // FromParts rejects nibbles above 9 (':' and beyond are not digits) and every other bad part.
    return Decimal::FromParts((head & 0x80) != 0, std::string_view(digits, count), static_cast<int>(exponent));
  }

  Result<AttributeMap, std::string> Map(int depth) {
    if (depth > kMaxDepth) return Fail(std::string("nested too deeply"));
    MALLARD_ASSIGN_OR_RETURN(std::size_t count, Count());
    AttributeMap map;
    for (std::size_t i = 0; i < count; ++i) {
      MALLARD_ASSIGN_OR_RETURN(std::string_view name, Bytes());
      // Names come in the map's order: each goes at the end, and a repeat or disorder is refused.
      if (!map.empty() && !(map.rbegin()->first < name)) return Fail(std::string("names out of order"));
      MALLARD_ASSIGN_OR_RETURN(AttributeValue value, Value(depth));
      map.emplace_hint(map.end(), std::string(name), std::move(value));
    }
    return map;
  }

  Result<AttributeValue, std::string> Value(int depth) {
    MALLARD_ASSIGN_OR_RETURN(unsigned char tag, Byte());
    if (tag > static_cast<unsigned char>(AttrType::M)) return Fail(std::string("unknown type"));
    AttributeValue value;
    value.type = static_cast<AttrType>(tag);
    switch (value.type) {
      case AttrType::S:
      case AttrType::B: {
        MALLARD_ASSIGN_OR_RETURN(std::string_view bytes, Bytes());
        value.bytes.assign(bytes);
        break;
      }
      case AttrType::N: {
        MALLARD_ASSIGN_OR_RETURN(value.number, Number());
        break;
      }
      case AttrType::BOOL: {
        MALLARD_ASSIGN_OR_RETURN(unsigned char flag, Byte());
        if (flag > 1) return Fail(std::string("bad boolean"));
        value.boolean = flag == 1;
        break;
      }
      case AttrType::NUL: break;
      case AttrType::SS:
      case AttrType::BS: {
        MALLARD_ASSIGN_OR_RETURN(std::size_t count, Count());
        value.byte_set.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
          MALLARD_ASSIGN_OR_RETURN(std::string_view member, Bytes());
          value.byte_set.emplace_back(member);
        }
        break;
      }
      case AttrType::NS: {
        MALLARD_ASSIGN_OR_RETURN(std::size_t count, Count());
        value.number_set.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
          MALLARD_ASSIGN_OR_RETURN(Decimal member, Number());
          value.number_set.push_back(member);
        }
        break;
      }
      case AttrType::L: {
        if (depth + 1 > kMaxDepth) return Fail(std::string("nested too deeply"));
        MALLARD_ASSIGN_OR_RETURN(std::size_t count, Count());
        value.list.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
          MALLARD_ASSIGN_OR_RETURN(AttributeValue member, Value(depth + 1));
          value.list.push_back(std::move(member));
        }
        break;
      }
      case AttrType::M: {
        MALLARD_ASSIGN_OR_RETURN(value.map, Map(depth + 1));
        break;
      }
    }
    return value;
  }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
};

}  // namespace

void AppendItemBinary(const Item& item, std::string& out) {
  PutVarint(item.size(), out);
  for (const auto& [name, value] : item) {
    PutBytes(name, out);
    PutValue(value, out);
  }
}

std::string EncodeItemBinary(const Item& item) {
  std::string out;
  AppendItemBinary(item, out);
  return out;
}

Result<Item, std::string> DecodeItemBinary(std::string_view bytes) {
  Reader reader(bytes);
  MALLARD_ASSIGN_OR_RETURN(Item item, reader.Map(0));
  if (!reader.AtEnd()) return Fail(std::string("bytes after the item"));
  return item;
}

}  // namespace mallard::dynamodb

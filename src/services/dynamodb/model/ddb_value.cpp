#include "services/dynamodb/model/ddb_value.hpp"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <optional>

#include "common/encoding.hpp"
#include "services/dynamodb/model/ddb_errors.hpp"

namespace mallard::dynamodb {
namespace json = boost::json;

std::string_view TypeTag(AttrType type) {
  switch (type) {
    case AttrType::S: return "S";
    case AttrType::N: return "N";
    case AttrType::B: return "B";
    case AttrType::BOOL: return "BOOL";
    case AttrType::NUL: return "NULL";
    case AttrType::SS: return "SS";
    case AttrType::NS: return "NS";
    case AttrType::BS: return "BS";
    case AttrType::L: return "L";
    case AttrType::M: return "M";
  }
  return "NULL";
}

bool ParseTypeTag(std::string_view tag, AttrType& out) {
  static constexpr AttrType kAll[] = {AttrType::S,  AttrType::N,  AttrType::B,  AttrType::BOOL, AttrType::NUL,
                                      AttrType::SS, AttrType::NS, AttrType::BS, AttrType::L,    AttrType::M};
  for (AttrType type : kAll) {
    if (TypeTag(type) == tag) {
      out = type;
      return true;
    }
  }
  return false;
}

AttributeValue AttributeValue::String(std::string text) {
  AttributeValue value;
  value.type = AttrType::S;
  value.bytes = std::move(text);
  return value;
}
AttributeValue AttributeValue::Number(Decimal number) {
  AttributeValue value;
  value.type = AttrType::N;
  value.number = number;
  return value;
}
AttributeValue AttributeValue::Binary(std::string raw) {
  AttributeValue value;
  value.type = AttrType::B;
  value.bytes = std::move(raw);
  return value;
}
AttributeValue AttributeValue::Bool(bool flag) {
  AttributeValue value;
  value.type = AttrType::BOOL;
  value.boolean = flag;
  return value;
}
AttributeValue AttributeValue::Null() { return AttributeValue(); }
AttributeValue AttributeValue::List(std::vector<AttributeValue> items) {
  AttributeValue value;
  value.type = AttrType::L;
  value.list = std::move(items);
  return value;
}
AttributeValue AttributeValue::Map(AttributeMap members) {
  AttributeValue value;
  value.type = AttrType::M;
  value.map = std::move(members);
  return value;
}

// ---- Comparison ------------------------------------------------------------------------------

namespace {

// Sets are small in practice; below this size pairwise search beats sorting copies.
constexpr std::size_t kPairwiseSetLimit = 16;

bool SameByteSet(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  if (a.size() <= kPairwiseSetLimit) {
    // Members are unique, so equal sizes plus inclusion is equality.
    return std::all_of(a.begin(), a.end(), [&](const std::string& member) {
      return std::find(b.begin(), b.end(), member) != b.end();
    });
  }
  std::vector<std::string_view> sorted_a(a.begin(), a.end());
  std::vector<std::string_view> sorted_b(b.begin(), b.end());
  std::sort(sorted_a.begin(), sorted_a.end());
  std::sort(sorted_b.begin(), sorted_b.end());
  return sorted_a == sorted_b;
}

bool SameNumberSet(const std::vector<Decimal>& a, const std::vector<Decimal>& b) {
  if (a.size() != b.size()) return false;
  if (a.size() <= kPairwiseSetLimit) {
    return std::all_of(a.begin(), a.end(), [&](const Decimal& member) {
      return std::find(b.begin(), b.end(), member) != b.end();
    });
  }
  std::vector<Decimal> sorted_a = a;
  std::vector<Decimal> sorted_b = b;
  std::sort(sorted_a.begin(), sorted_a.end());
  std::sort(sorted_b.begin(), sorted_b.end());
  return sorted_a == sorted_b;
}

}  // namespace

bool Equals(const AttributeValue& a, const AttributeValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case AttrType::S:
    case AttrType::B: return a.bytes == b.bytes;
    case AttrType::N: return a.number == b.number;
    case AttrType::BOOL: return a.boolean == b.boolean;
    case AttrType::NUL: return true;
    case AttrType::SS:
    case AttrType::BS: return SameByteSet(a.byte_set, b.byte_set);
    case AttrType::NS: return SameNumberSet(a.number_set, b.number_set);
    case AttrType::L:
      return a.list.size() == b.list.size() && std::equal(a.list.begin(), a.list.end(), b.list.begin(), Equals);
    case AttrType::M:
      // std::map iterates both in key order, so members pair up positionally.
      return a.map.size() == b.map.size() &&
             std::equal(a.map.begin(), a.map.end(), b.map.begin(), [](const auto& x, const auto& y) {
               return x.first == y.first && Equals(x.second, y.second);
             });
  }
  return false;
}

int CompareScalar(const AttributeValue& a, const AttributeValue& b) {
  if (a.type == AttrType::N) return a.number.Compare(b.number);
  // std::string::compare orders by unsigned bytes (char_traits<char> uses memcmp), which is both
  // UTF-8 code point order for S and raw byte order for B.
  const int order = a.bytes.compare(b.bytes);
  return (order > 0) - (order < 0);
}

std::string OrderedKeyBytes(const AttributeValue& value) {
  if (value.type == AttrType::N) return value.number.OrderPreservingKey();
  return value.bytes;
}

// ---- Decoding --------------------------------------------------------------------------------

namespace {

constexpr std::string_view kInvalidPrefix = "One or more parameter values were invalid: ";

struct DecodeFailure {
  bool serialization = false;
  bool prefixed = false;  // AWS puts kInvalidPrefix before the message
  std::string message;
};

std::string_view WireTokenName(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string: return "STRING_VALUE";
    case json::kind::bool_: return "BOOLEAN_VALUE";
    case json::kind::null: return "NULL_VALUE";
    default: return "NUMBER_VALUE";
  }
}

// Walks one wire value. Serialization failures abort the walk at once: AWS deserializes the whole
// request before validating, so they win over any validation failure met earlier. The first
// validation failure is kept while the walk goes on looking for serialization failures.
class Decoder {
 public:
  std::optional<DecodeFailure> serialization;
  std::optional<DecodeFailure> validation;

  // `levels` counts the M/L containers enclosing `wire`.
  bool Decode(const json::value& wire, AttributeValue& out, int levels) {
    if (wire.is_null()) {
      Invalid(false, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
      return true;
    }
    if (!wire.is_object()) return StructureExpected(wire);
    int present = 0;
    for (const auto& member : wire.get_object()) {
      // Null members are absent and unknown members are ignored, as AWS's deserializer does.
      if (member.value().is_null()) continue;
      AttrType type;
      if (!ParseTypeTag(member.key(), type)) continue;
      ++present;
      out.type = type;
      if (!DecodeContent(type, member.value(), out, levels)) return false;
    }
    if (present == 0) {
      Invalid(false, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
    } else if (present > 1) {
      Invalid(false,
              "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported "
              "datatypes");
    }
    return true;
  }

 private:
  void Invalid(bool prefixed, std::string message) {
    if (!validation) validation = DecodeFailure{false, prefixed, std::move(message)};
  }
  bool Malformed(std::string message) {
    serialization = DecodeFailure{true, false, std::move(message)};
    return false;
  }
  bool StructureExpected(const json::value& wire) {
    if (wire.is_array()) return Malformed("Start of list found where not expected");
    return Malformed("Unexpected field type");
  }
  bool ScalarExpected(const json::value& wire, std::string_view type_name) {
    if (wire.is_object()) return Malformed("Start of structure or map found where not expected.");
    if (wire.is_array()) return Malformed("Start of list found where not expected");
    std::string message(WireTokenName(wire));
    message.append(" cannot be converted to ").append(type_name);
    return Malformed(std::move(message));
  }
  const json::array* ArrayOf(const json::value& wire) {
    if (wire.is_array()) return &wire.get_array();
    if (wire.is_object()) Malformed("Start of structure or map found where not expected.");
    else Malformed("Unexpected field type");
    return nullptr;
  }

  bool DecodeString(const json::value& wire, std::string& out) {
    if (!wire.is_string()) return ScalarExpected(wire, "String");
    out.assign(wire.get_string().data(), wire.get_string().size());
    return true;
  }

  bool DecodeBlob(const json::value& wire, std::string& out) {
    if (!wire.is_string()) return ScalarExpected(wire, "Blob");
    const std::string_view text(wire.get_string().data(), wire.get_string().size());
    const std::string quoted = "'" + std::string(text) + "' can not be converted to a Blob: ";
    if (text.size() % 4 != 0) {
      return Malformed(quoted + "Base64 encoded length is expected a multiple of 4 bytes but found: " +
                       std::to_string(text.size()));
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      const bool alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                            c == '/';
      const bool padding = c == '=' && (i + 1 == text.size() || text[i + 1] == '=');
      if (!alphabet && !padding) return Malformed(quoted + "Invalid Base64 character: '" + std::string(1, c) + "'");
    }
    auto decoded = Base64DecodeStrict(text);
    if (!decoded) return Malformed(quoted + "Invalid last non-pad Base64 character dectected");
    out = std::move(*decoded);
    return true;
  }

  bool DecodeBoolean(const json::value& wire, bool& out) {
    if (!wire.is_bool()) return ScalarExpected(wire, "Boolean");
    out = wire.get_bool();
    return true;
  }

  void DecodeNumber(std::string_view text, Decimal& out) {
    auto parsed = Decimal::Parse(text);
    if (parsed.ok()) out = *parsed;
    else Invalid(false, std::move(parsed).error());
  }

  bool DecodeContent(AttrType type, const json::value& wire, AttributeValue& out, int levels) {
    switch (type) {
      case AttrType::S: return DecodeString(wire, out.bytes);
      case AttrType::B: return DecodeBlob(wire, out.bytes);
      case AttrType::N: {
        if (!wire.is_string()) return ScalarExpected(wire, "String");
        DecodeNumber(std::string_view(wire.get_string().data(), wire.get_string().size()), out.number);
        return true;
      }
      case AttrType::BOOL: return DecodeBoolean(wire, out.boolean);
      case AttrType::NUL: {
        bool flag = false;
        if (!DecodeBoolean(wire, flag)) return false;
        if (!flag) Invalid(true, "Null attribute value types must have the value of true");
        return true;
      }
      case AttrType::SS:
      case AttrType::BS: return DecodeByteSet(type, wire, out.byte_set);
      case AttrType::NS: return DecodeNumberSet(wire, out.number_set);
      case AttrType::L: {
        const json::array* items = ArrayOf(wire);
        if (items == nullptr) return false;
        if (!EnterContainer(levels)) return true;
        out.list.clear();
        out.list.resize(items->size());
        for (std::size_t i = 0; i < items->size(); ++i) {
          if (!Decode((*items)[i], out.list[i], levels + 1)) return false;
        }
        return true;
      }
      case AttrType::M: {
        if (!wire.is_object()) {
          if (wire.is_array()) return Malformed("Start of list found where not expected");
          return Malformed("Unexpected field type");
        }
        if (!EnterContainer(levels)) return true;
        out.map.clear();
        for (const auto& member : wire.get_object()) {
          auto& slot = out.map[std::string(member.key())];
          if (!Decode(member.value(), slot, levels + 1)) return false;
        }
        return true;
      }
    }
    return true;
  }

  // False (with the failure recorded) when a container at this depth is one too many; the walk
  // then skips its contents.
  bool EnterContainer(int levels) {
    if (levels + 1 <= kMaxNestingLevels) return true;
    Invalid(false,
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond "
            "supported limit");
    return false;
  }

  bool DecodeByteSet(AttrType type, const json::value& wire, std::vector<std::string>& out) {
    const json::array* members = ArrayOf(wire);
    if (members == nullptr) return false;
    out.clear();
    out.reserve(members->size());
    for (const auto& member : *members) {
      std::string bytes;
      if (!(type == AttrType::SS ? DecodeString(member, bytes) : DecodeBlob(member, bytes))) return false;
      out.push_back(std::move(bytes));
    }
    if (out.empty()) {
      Invalid(true, type == AttrType::SS ? "An string set  may not be empty" : "Binary sets should not be empty");
      return true;
    }
    if (HasDuplicateBytes(out)) {
      // AWS echoes the collection as sent (base64 text for binaries).
      std::string listed = "Input collection [";
      for (std::size_t i = 0; i < members->size(); ++i) {
        if (i > 0) listed.append(", ");
        listed.append((*members)[i].get_string().data(), (*members)[i].get_string().size());
      }
      listed.append(type == AttrType::SS ? "] contains duplicates." : "]of type BS contains duplicates.");
      Invalid(true, std::move(listed));
    }
    return true;
  }

  bool DecodeNumberSet(const json::value& wire, std::vector<Decimal>& out) {
    const json::array* members = ArrayOf(wire);
    if (members == nullptr) return false;
    out.clear();
    out.reserve(members->size());
    bool all_valid = true;
    for (const auto& member : *members) {
      if (!member.is_string()) return ScalarExpected(member, "String");
      auto parsed = Decimal::Parse(std::string_view(member.get_string().data(), member.get_string().size()));
      if (parsed.ok()) {
        out.push_back(*parsed);
      } else {
        all_valid = false;
        Invalid(false, std::move(parsed).error());
      }
    }
    if (members->empty()) {
      Invalid(true, "An number set  may not be empty");
    } else if (all_valid && HasDuplicateNumbers(out)) {
      Invalid(false, "Input collection contains duplicates");
    }
    return true;
  }

  static bool HasDuplicateBytes(const std::vector<std::string>& members) {
    if (members.size() <= kPairwiseSetLimit) {
      for (std::size_t i = 0; i < members.size(); ++i) {
        for (std::size_t j = i + 1; j < members.size(); ++j) {
          if (members[i] == members[j]) return true;
        }
      }
      return false;
    }
    std::vector<std::string_view> sorted(members.begin(), members.end());
    std::sort(sorted.begin(), sorted.end());
    return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
  }

  static bool HasDuplicateNumbers(const std::vector<Decimal>& members) {
    if (members.size() <= kPairwiseSetLimit) {
      for (std::size_t i = 0; i < members.size(); ++i) {
        for (std::size_t j = i + 1; j < members.size(); ++j) {
          if (members[i] == members[j]) return true;
        }
      }
      return false;
    }
    std::vector<Decimal> sorted = members;
    std::sort(sorted.begin(), sorted.end());
    return std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
  }
};

const DecodeFailure* FirstFailure(const Decoder& decoder) {
  if (decoder.serialization) return &*decoder.serialization;
  if (decoder.validation) return &*decoder.validation;
  return nullptr;
}

AwsError ToAwsError(const DecodeFailure& failure) {
  if (failure.serialization) return errors::Serialization(failure.message);
  std::string message;
  if (failure.prefixed) {
    message.reserve(kInvalidPrefix.size() + failure.message.size());
    message.append(kInvalidPrefix);
  }
  message.append(failure.message);
  return errors::Validation(std::move(message));
}

bool DecodeMapInto(Decoder& decoder, const json::object& wire, AttributeMap& out) {
  for (const auto& member : wire) {
    auto& slot = out[std::string(member.key())];
    if (!decoder.Decode(member.value(), slot, 0)) return false;
  }
  return true;
}

}  // namespace

Result<AttributeValue, std::string> ValueFromJson(const json::value& wire) {
  Decoder decoder;
  AttributeValue value;
  decoder.Decode(wire, value, 0);
  if (const auto* failure = FirstFailure(decoder)) return Fail(failure->message);
  return value;
}

Result<AttributeMap, std::string> MapFromJson(const json::object& wire) {
  Decoder decoder;
  AttributeMap map;
  DecodeMapInto(decoder, wire, map);
  if (const auto* failure = FirstFailure(decoder)) return Fail(failure->message);
  return map;
}

Result<AttributeValue> DecodeValue(const json::value& wire) {
  Decoder decoder;
  AttributeValue value;
  decoder.Decode(wire, value, 0);
  if (const auto* failure = FirstFailure(decoder)) return Fail(ToAwsError(*failure));
  return value;
}

Result<AttributeMap> DecodeMap(const json::object& wire) {
  Decoder decoder;
  AttributeMap map;
  DecodeMapInto(decoder, wire, map);
  if (const auto* failure = FirstFailure(decoder)) return Fail(ToAwsError(*failure));
  return map;
}

// ---- Encoding --------------------------------------------------------------------------------

json::value ValueToJson(const AttributeValue& value) {
  json::object out;
  const std::string_view tag = TypeTag(value.type);
  switch (value.type) {
    case AttrType::S: out.emplace(tag, json::string(value.bytes)); break;
    case AttrType::N: out.emplace(tag, json::string(value.number.ToString())); break;
    case AttrType::B: out.emplace(tag, json::string(Base64Encode(value.bytes))); break;
    case AttrType::BOOL: out.emplace(tag, value.boolean); break;
    case AttrType::NUL: out.emplace(tag, true); break;
    case AttrType::SS:
    case AttrType::BS: {
      json::array members;
      members.reserve(value.byte_set.size());
      for (const auto& member : value.byte_set) {
        if (value.type == AttrType::SS) members.emplace_back(json::string(member));
        else members.emplace_back(json::string(Base64Encode(member)));
      }
      out.emplace(tag, std::move(members));
      break;
    }
    case AttrType::NS: {
      json::array members;
      members.reserve(value.number_set.size());
      for (const auto& member : value.number_set) members.emplace_back(json::string(member.ToString()));
      out.emplace(tag, std::move(members));
      break;
    }
    case AttrType::L: {
      json::array items;
      items.reserve(value.list.size());
      for (const auto& item : value.list) items.push_back(ValueToJson(item));
      out.emplace(tag, std::move(items));
      break;
    }
    case AttrType::M: out.emplace(tag, MapToJson(value.map)); break;
  }
  return out;
}

json::object MapToJson(const AttributeMap& map) {
  json::object out;
  out.reserve(map.size());
  for (const auto& [name, value] : map) out.emplace(name, ValueToJson(value));
  return out;
}

// ---- Size accounting -------------------------------------------------------------------------

std::size_t ValueSize(const AttributeValue& value) {
  switch (value.type) {
    case AttrType::S:
    case AttrType::B: return value.bytes.size();
    case AttrType::N: return value.number.StorageSize();
    case AttrType::BOOL:
    case AttrType::NUL: return 1;
    case AttrType::SS:
    case AttrType::BS: {
      std::size_t total = 0;
      for (const auto& member : value.byte_set) total += member.size();
      return total;
    }
    case AttrType::NS: {
      std::size_t total = 0;
      for (const auto& member : value.number_set) total += member.StorageSize();
      return total;
    }
    case AttrType::L: {
      std::size_t total = 3;
      for (const auto& item : value.list) total += 1 + ValueSize(item);
      return total;
    }
    case AttrType::M: {
      std::size_t total = 3;
      for (const auto& [name, member] : value.map) total += 1 + name.size() + ValueSize(member);
      return total;
    }
  }
  return 0;
}

std::size_t ItemSize(const AttributeMap& item) {
  std::size_t total = 0;
  for (const auto& [name, value] : item) total += name.size() + ValueSize(value);
  return total;
}

}  // namespace mallard::dynamodb

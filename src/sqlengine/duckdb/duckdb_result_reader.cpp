#include "sqlengine/duckdb/duckdb_result_reader.hpp"

#include <array>

namespace mallard::duckdb {
using sqlengine::SqlType;
using sqlengine::SqlTypeKind;
using sqlengine::SqlValue;

namespace {

SqlTypeKind KindOf(duckdb_type id) {
  switch (id) {
    case DUCKDB_TYPE_SQLNULL: return SqlTypeKind::Null;
    case DUCKDB_TYPE_BOOLEAN: return SqlTypeKind::Boolean;
    case DUCKDB_TYPE_TINYINT: return SqlTypeKind::TinyInt;
    case DUCKDB_TYPE_SMALLINT: return SqlTypeKind::SmallInt;
    case DUCKDB_TYPE_INTEGER: return SqlTypeKind::Integer;
    case DUCKDB_TYPE_BIGINT: return SqlTypeKind::BigInt;
    case DUCKDB_TYPE_HUGEINT: return SqlTypeKind::HugeInt;
    case DUCKDB_TYPE_UTINYINT: return SqlTypeKind::UTinyInt;
    case DUCKDB_TYPE_USMALLINT: return SqlTypeKind::USmallInt;
    case DUCKDB_TYPE_UINTEGER: return SqlTypeKind::UInteger;
    case DUCKDB_TYPE_UBIGINT: return SqlTypeKind::UBigInt;
    case DUCKDB_TYPE_UHUGEINT: return SqlTypeKind::UHugeInt;
    case DUCKDB_TYPE_FLOAT: return SqlTypeKind::Float;
    case DUCKDB_TYPE_DOUBLE: return SqlTypeKind::Double;
    case DUCKDB_TYPE_DECIMAL: return SqlTypeKind::Decimal;
    case DUCKDB_TYPE_VARCHAR: return SqlTypeKind::Varchar;
    case DUCKDB_TYPE_ENUM: return SqlTypeKind::Enum;
    case DUCKDB_TYPE_UUID: return SqlTypeKind::Uuid;
    case DUCKDB_TYPE_BIT: return SqlTypeKind::Bit;
    case DUCKDB_TYPE_BLOB: return SqlTypeKind::Blob;
    case DUCKDB_TYPE_DATE: return SqlTypeKind::Date;
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS: return SqlTypeKind::Time;
    case DUCKDB_TYPE_TIME_TZ: return SqlTypeKind::TimeTz;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS: return SqlTypeKind::Timestamp;
    case DUCKDB_TYPE_TIMESTAMP_TZ: return SqlTypeKind::TimestampTz;
    case DUCKDB_TYPE_INTERVAL: return SqlTypeKind::Interval;
    case DUCKDB_TYPE_LIST: return SqlTypeKind::List;
    case DUCKDB_TYPE_ARRAY: return SqlTypeKind::Array;
    case DUCKDB_TYPE_STRUCT: return SqlTypeKind::Struct;
    case DUCKDB_TYPE_MAP: return SqlTypeKind::Map;
    case DUCKDB_TYPE_UNION: return SqlTypeKind::Union;
    default: return SqlTypeKind::Other;
  }
}

// Exact decimal text of a signed 128-bit integer scaled by 10^scale.
std::string ScaledText(__int128 value, std::uint8_t scale) {
  bool negative = value < 0;
  unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(-(value + 1)) + 1
                                         : static_cast<unsigned __int128>(value);
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  while (digits.size() <= scale) digits.push_back('0');
  std::string text = negative ? "-" : "";
  for (std::size_t i = digits.size(); i-- > 0;) {
    text.push_back(digits[i]);
    if (i == scale && scale != 0) text.push_back('.');
  }
  return text;
}

std::string UnsignedText(unsigned __int128 value) {
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  return {digits.rbegin(), digits.rend()};
}

__int128 Huge(const duckdb_hugeint& value) {
  return (static_cast<__int128>(value.upper) << 64) | static_cast<__int128>(value.lower);
}

SqlValue Integer(std::int64_t value) {
  SqlValue out;
  out.kind = SqlValue::Kind::Integer;
  out.integer = value;
  return out;
}

SqlValue Exact(std::string text) {
  SqlValue out;
  out.kind = SqlValue::Kind::Exact;
  out.text = std::move(text);
  return out;
}

SqlValue Temporal(SqlValue::Kind kind, std::int64_t integer) {
  SqlValue out;
  out.kind = kind;
  out.integer = integer;
  return out;
}

SqlValue Text(std::string_view text, SqlValue::Kind kind = SqlValue::Kind::Text) {
  SqlValue out;
  out.kind = kind;
  out.text.assign(text);
  return out;
}

std::string UuidText(const duckdb_hugeint& stored) {
  // DuckDB stores UUIDs as a hugeint with the top bit flipped so that they sort as text does.
  std::uint64_t upper = static_cast<std::uint64_t>(stored.upper) ^ (std::uint64_t{1} << 63);
  std::uint64_t lower = stored.lower;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  auto put = [&](std::uint64_t word, int from_nibble, int count) {
    for (int i = 0; i < count; ++i) text.push_back(kHex[(word >> ((from_nibble - i) * 4)) & 0xF]);
  };
  put(upper, 15, 8);
  text.push_back('-');
  put(upper, 7, 4);
  text.push_back('-');
  put(upper, 3, 4);
  text.push_back('-');
  put(lower, 15, 4);
  text.push_back('-');
  put(lower, 11, 12);
  return text;
}

// DuckDB's BIT layout: the first byte counts the padding bits of the second byte.
std::string BitText(std::string_view stored) {
  if (stored.empty()) return {};
  auto padding = static_cast<unsigned char>(stored[0]);
  std::string bits;
  for (std::size_t i = 1; i < stored.size(); ++i) {
    for (int bit = 7; bit >= 0; --bit) {
      if (i == 1 && 7 - bit < static_cast<int>(padding)) continue;
      bits.push_back(((static_cast<unsigned char>(stored[i]) >> bit) & 1) != 0 ? '1' : '0');
    }
  }
  return bits;
}

std::int64_t MicrosOfDay(const duckdb_time_struct& time) {
  return ((static_cast<std::int64_t>(time.hour) * 60 + time.min) * 60 + time.sec) * 1'000'000 + time.micros;
}

}  // namespace

SqlType ToSqlType(const LogicalType& type) {
  SqlType out;
  duckdb_type id = type.Id();
  out.kind = KindOf(id);
  switch (id) {
    case DUCKDB_TYPE_DECIMAL:
      out.precision = type.DecimalWidth();
      out.scale = type.DecimalScale();
      break;
    case DUCKDB_TYPE_LIST: out.children.push_back(ToSqlType(type.ListChild())); break;
    case DUCKDB_TYPE_ARRAY: out.children.push_back(ToSqlType(type.ArrayChild())); break;
    case DUCKDB_TYPE_MAP:
      out.children.push_back(ToSqlType(type.MapKey()));
      out.children.push_back(ToSqlType(type.MapValue()));
      break;
    case DUCKDB_TYPE_STRUCT:
      for (std::size_t i = 0; i < type.StructChildCount(); ++i) {
        out.field_names.push_back(type.StructChildName(i));
        out.children.push_back(ToSqlType(type.StructChild(i)));
      }
      break;
    case DUCKDB_TYPE_UNION:
      for (std::size_t i = 0; i < type.UnionMemberCount(); ++i) {
        out.field_names.push_back(type.UnionMemberName(i));
        out.children.push_back(ToSqlType(type.UnionMember(i)));
      }
      break;
    case DUCKDB_TYPE_VARCHAR: {
      // JSON is VARCHAR with an alias.
      char* alias = duckdb_logical_type_get_alias(type.get());
      if (alias != nullptr) {
        if (std::string_view(alias) == "JSON") out.kind = SqlTypeKind::Json;
        duckdb_free(alias);
      }
      break;
    }
    default: break;
  }
  return out;
}

ColumnDecoder MakeDecoder(const LogicalType& type) {
  ColumnDecoder decoder;
  decoder.id = type.Id();
  switch (decoder.id) {
    case DUCKDB_TYPE_DECIMAL:
      decoder.storage = type.DecimalInternalType();
      decoder.scale = type.DecimalScale();
      break;
    case DUCKDB_TYPE_ENUM:
      decoder.storage = type.EnumInternalType();
      decoder.enum_values = type.EnumDictionary();
      break;
    case DUCKDB_TYPE_LIST: decoder.children.push_back(MakeDecoder(type.ListChild())); break;
    case DUCKDB_TYPE_ARRAY:
      decoder.array_size = type.ArraySize();
      decoder.children.push_back(MakeDecoder(type.ArrayChild()));
      break;
    case DUCKDB_TYPE_MAP:
      // A MAP is physically a LIST of STRUCT(key, value).
      decoder.children.push_back(MakeDecoder(type.MapKey()));
      decoder.children.push_back(MakeDecoder(type.MapValue()));
      break;
    case DUCKDB_TYPE_STRUCT:
      for (std::size_t i = 0; i < type.StructChildCount(); ++i) decoder.children.push_back(MakeDecoder(type.StructChild(i)));
      break;
    case DUCKDB_TYPE_UNION:
      // Physically a STRUCT whose first child is the UTINYINT tag.
      for (std::size_t i = 0; i < type.UnionMemberCount(); ++i) decoder.children.push_back(MakeDecoder(type.UnionMember(i)));
      break;
    default: break;
  }
  return decoder;
}

SqlValue ReadValue(const ColumnDecoder& decoder, const Vector& vector, std::size_t row) {
  if (!vector.IsValid(row)) return SqlValue{};
  using Kind = SqlValue::Kind;
  switch (decoder.id) {
    case DUCKDB_TYPE_BOOLEAN: {
      SqlValue out;
      out.kind = Kind::Boolean;
      out.boolean = vector.Data<bool>()[row];
      return out;
    }
    case DUCKDB_TYPE_TINYINT: return Integer(vector.Data<std::int8_t>()[row]);
    case DUCKDB_TYPE_SMALLINT: return Integer(vector.Data<std::int16_t>()[row]);
    case DUCKDB_TYPE_INTEGER: return Integer(vector.Data<std::int32_t>()[row]);
    case DUCKDB_TYPE_BIGINT: return Integer(vector.Data<std::int64_t>()[row]);
    case DUCKDB_TYPE_UTINYINT: return Integer(vector.Data<std::uint8_t>()[row]);
    case DUCKDB_TYPE_USMALLINT: return Integer(vector.Data<std::uint16_t>()[row]);
    case DUCKDB_TYPE_UINTEGER: return Integer(vector.Data<std::uint32_t>()[row]);
    case DUCKDB_TYPE_UBIGINT: {
      std::uint64_t value = vector.Data<std::uint64_t>()[row];
      if (value <= static_cast<std::uint64_t>(INT64_MAX)) return Integer(static_cast<std::int64_t>(value));
      return Exact(UnsignedText(value));
    }
    case DUCKDB_TYPE_HUGEINT: return Exact(ScaledText(Huge(vector.Data<duckdb_hugeint>()[row]), 0));
    case DUCKDB_TYPE_UHUGEINT: {
      const auto& value = vector.Data<duckdb_uhugeint>()[row];
      return Exact(UnsignedText((static_cast<unsigned __int128>(value.upper) << 64) | value.lower));
    }
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE: {
      SqlValue out;
      out.kind = Kind::Double;
      out.real = decoder.id == DUCKDB_TYPE_FLOAT ? vector.Data<float>()[row] : vector.Data<double>()[row];
      return out;
    }
    case DUCKDB_TYPE_DECIMAL: {
      __int128 unscaled = 0;
      switch (decoder.storage) {
        case DUCKDB_TYPE_SMALLINT: unscaled = vector.Data<std::int16_t>()[row]; break;
        case DUCKDB_TYPE_INTEGER: unscaled = vector.Data<std::int32_t>()[row]; break;
        case DUCKDB_TYPE_BIGINT: unscaled = vector.Data<std::int64_t>()[row]; break;
        default: unscaled = Huge(vector.Data<duckdb_hugeint>()[row]); break;
      }
      return Exact(ScaledText(unscaled, decoder.scale));
    }
    case DUCKDB_TYPE_VARCHAR: return Text(StringAt(vector, row));
    case DUCKDB_TYPE_BLOB: return Text(StringAt(vector, row), Kind::Blob);
    case DUCKDB_TYPE_BIT: return Text(BitText(StringAt(vector, row)));
    case DUCKDB_TYPE_ENUM: {
      std::size_t index = 0;
      switch (decoder.storage) {
        case DUCKDB_TYPE_UTINYINT: index = vector.Data<std::uint8_t>()[row]; break;
        case DUCKDB_TYPE_USMALLINT: index = vector.Data<std::uint16_t>()[row]; break;
        default: index = vector.Data<std::uint32_t>()[row]; break;
      }
      return Text(index < decoder.enum_values.size() ? decoder.enum_values[index] : std::string());
    }
    case DUCKDB_TYPE_UUID: return Text(UuidText(vector.Data<duckdb_hugeint>()[row]));
    case DUCKDB_TYPE_DATE: return Temporal(Kind::Date, vector.Data<duckdb_date>()[row].days);
    case DUCKDB_TYPE_TIME: return Temporal(Kind::Time, vector.Data<duckdb_time>()[row].micros);
    case DUCKDB_TYPE_TIME_NS: return Temporal(Kind::Time, vector.Data<std::int64_t>()[row] / 1000);
    case DUCKDB_TYPE_TIME_TZ: {
      duckdb_time_tz_struct parts = duckdb_from_time_tz(vector.Data<duckdb_time_tz>()[row]);
      SqlValue out = Temporal(Kind::TimeTz, MicrosOfDay(parts.time));
      out.offset_seconds = parts.offset;
      return out;
    }
    case DUCKDB_TYPE_TIMESTAMP: return Temporal(Kind::Timestamp, vector.Data<std::int64_t>()[row]);
    case DUCKDB_TYPE_TIMESTAMP_S: return Temporal(Kind::Timestamp, vector.Data<std::int64_t>()[row] * 1'000'000);
    case DUCKDB_TYPE_TIMESTAMP_MS: return Temporal(Kind::Timestamp, vector.Data<std::int64_t>()[row] * 1000);
    case DUCKDB_TYPE_TIMESTAMP_NS: return Temporal(Kind::Timestamp, vector.Data<std::int64_t>()[row] / 1000);
    case DUCKDB_TYPE_TIMESTAMP_TZ: return Temporal(Kind::TimestampTz, vector.Data<std::int64_t>()[row]);
    case DUCKDB_TYPE_INTERVAL: {
      const auto& interval = vector.Data<duckdb_interval>()[row];
      SqlValue out = Temporal(Kind::Interval, interval.micros);
      out.months = interval.months;
      out.days = interval.days;
      return out;
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_MAP: {
      const auto& entry = vector.Data<duckdb_list_entry>()[row];
      Vector child = vector.ListChild();
      SqlValue out;
      if (decoder.id == DUCKDB_TYPE_LIST) {
        out.kind = Kind::List;
        out.items.reserve(entry.length);
        for (std::uint64_t i = 0; i < entry.length; ++i) {
          out.items.push_back(ReadValue(decoder.children[0], child, entry.offset + i));
        }
      } else {
        out.kind = Kind::Map;
        Vector keys = child.StructChild(0);
        Vector values = child.StructChild(1);
        out.items.reserve(entry.length * 2);
        for (std::uint64_t i = 0; i < entry.length; ++i) {
          out.items.push_back(ReadValue(decoder.children[0], keys, entry.offset + i));
          out.items.push_back(ReadValue(decoder.children[1], values, entry.offset + i));
        }
      }
      return out;
    }
    case DUCKDB_TYPE_ARRAY: {
      Vector child = vector.ArrayChild();
      SqlValue out;
      out.kind = Kind::List;
      out.items.reserve(decoder.array_size);
      for (std::size_t i = 0; i < decoder.array_size; ++i) {
        out.items.push_back(ReadValue(decoder.children[0], child, row * decoder.array_size + i));
      }
      return out;
    }
    case DUCKDB_TYPE_STRUCT: {
      SqlValue out;
      out.kind = Kind::Struct;
      out.items.reserve(decoder.children.size());
      for (std::size_t i = 0; i < decoder.children.size(); ++i) {
        out.items.push_back(ReadValue(decoder.children[i], vector.StructChild(i), row));
      }
      return out;
    }
    case DUCKDB_TYPE_UNION: {
      std::uint8_t tag = vector.StructChild(0).Data<std::uint8_t>()[row];
      if (tag >= decoder.children.size()) return SqlValue{};
      return ReadValue(decoder.children[tag], vector.StructChild(tag + 1), row);
    }
    default: {
      // BIGNUM and other types with no faithful neutral form: reported as NULL rather than guessed.
      return SqlValue{};
    }
  }
}

std::int64_t ApproximateSize(const SqlValue& value) {
  std::int64_t size = 8 + static_cast<std::int64_t>(value.text.size());
  for (const auto& item : value.items) size += ApproximateSize(item);
  return size;
}

}  // namespace mallard::duckdb

#include "cdc/pg/pgoutput.hpp"

#include <algorithm>
#include <cstdio>

namespace mallard::cdc::pg {
namespace {

using DecodeError = std::string;
template <typename T>
using Decoded = Result<T, DecodeError>;

// Bounds-checked big-endian reader over one message. Every read either succeeds completely or
// reports what was missing and where, so the decoder never touches bytes past the payload.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t offset() const { return offset_; }
  std::size_t remaining() const { return bytes_.size() - offset_; }

  Decoded<std::uint8_t> Byte(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(1, what));
    return static_cast<std::uint8_t>(bytes[0]);
  }
  Decoded<std::int16_t> Int16(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(2, what));
    return static_cast<std::int16_t>(BigEndian(bytes));
  }
  Decoded<std::int32_t> Int32(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(4, what));
    return static_cast<std::int32_t>(BigEndian(bytes));
  }
  Decoded<std::uint32_t> UInt32(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(4, what));
    return static_cast<std::uint32_t>(BigEndian(bytes));
  }
  Decoded<std::int64_t> Int64(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(8, what));
    return static_cast<std::int64_t>(BigEndian(bytes));
  }
  Decoded<Lsn> LsnValue(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(8, what));
    return Lsn{BigEndian(bytes)};
  }
  // A NUL-terminated string; the terminator must be inside the payload.
  Decoded<std::string> CString(std::string_view what) {
    auto rest = bytes_.substr(offset_);
    auto terminator = rest.find('\0');
    if (terminator == std::string_view::npos) {
      return Fail(Describe("unterminated string for " + std::string(what)));
    }
    offset_ += terminator + 1;
    return std::string(rest.substr(0, terminator));
  }
  // An Int32 length (which must not be negative) followed by that many bytes.
  Decoded<std::string> LengthPrefixedBytes(std::string_view what) {
    MALLARD_ASSIGN_OR_RETURN(auto length, Int32(std::string(what) + " length"));
    if (length < 0) return Fail(Describe("negative length " + std::to_string(length) + " for " + std::string(what)));
    MALLARD_ASSIGN_OR_RETURN(auto bytes, Take(static_cast<std::size_t>(length), what));
    return std::string(bytes);
  }

  std::string Describe(const std::string& problem) const {
    return problem + " at byte " + std::to_string(offset_) + " of " + std::to_string(bytes_.size());
  }

 private:
  Decoded<std::string_view> Take(std::size_t count, std::string_view what) {
    if (count > remaining()) {
      return Fail(Describe("truncated: " + std::string(what) + " needs " + std::to_string(count) + " bytes, " +
                           std::to_string(remaining()) + " left"));
    }
    auto bytes = bytes_.substr(offset_, count);
    offset_ += count;
    return bytes;
  }
  static std::uint64_t BigEndian(std::string_view bytes) {
    std::uint64_t value = 0;
    for (char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
    return value;
  }

  std::string_view bytes_;
  std::size_t offset_ = 0;
};

// A count read from the wire sizes a reservation only up to what the remaining bytes could hold,
// so a corrupt count cannot make us allocate more than the payload justifies.
std::size_t SafeReserve(std::size_t claimed, std::size_t remaining_bytes, std::size_t min_bytes_each) {
  return std::min(claimed, remaining_bytes / min_bytes_each);
}

Decoded<Tuple> ReadTuple(WireReader& reader) {
  MALLARD_ASSIGN_OR_RETURN(auto column_count, reader.Int16("tuple column count"));
  if (column_count < 0) return Fail(reader.Describe("negative tuple column count " + std::to_string(column_count)));
  Tuple tuple;
  tuple.reserve(SafeReserve(static_cast<std::size_t>(column_count), reader.remaining(), 1));
  for (int column = 0; column < column_count; ++column) {
    MALLARD_ASSIGN_OR_RETURN(auto kind, reader.Byte("tuple column kind"));
    switch (kind) {
      case 'n':
        tuple.push_back({TupleValue::Kind::kNull, {}});
        break;
      case 'u':
        tuple.push_back({TupleValue::Kind::kUnchangedToast, {}});
        break;
      case 't': {
        MALLARD_ASSIGN_OR_RETURN(auto text, reader.LengthPrefixedBytes("text column value"));
        tuple.push_back({TupleValue::Kind::kText, std::move(text)});
        break;
      }
      case 'b': {
        MALLARD_ASSIGN_OR_RETURN(auto binary, reader.LengthPrefixedBytes("binary column value"));
        tuple.push_back({TupleValue::Kind::kBinary, std::move(binary)});
        break;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", kind);
        return Fail(reader.Describe(std::string("unknown tuple column kind ") + hex));
      }
    }
  }
  return tuple;
}

// The one-byte submessage tags inside Insert/Update/Delete.
constexpr std::uint8_t kNewTupleTag = 'N';
constexpr std::uint8_t kOldKeyTag = 'K';
constexpr std::uint8_t kOldRowTag = 'O';

Decoded<PgOutputMessage> ReadBegin(WireReader& reader) {
  BeginMessage begin;
  MALLARD_ASSIGN_OR_RETURN(begin.final_lsn, reader.LsnValue("final LSN"));
  MALLARD_ASSIGN_OR_RETURN(begin.commit_time_us, reader.Int64("commit time"));
  MALLARD_ASSIGN_OR_RETURN(begin.xid, reader.UInt32("xid"));
  return PgOutputMessage{begin};
}

Decoded<PgOutputMessage> ReadCommit(WireReader& reader) {
  CommitMessage commit;
  MALLARD_ASSIGN_OR_RETURN(commit.flags, reader.Byte("flags"));
  MALLARD_ASSIGN_OR_RETURN(commit.commit_lsn, reader.LsnValue("commit LSN"));
  MALLARD_ASSIGN_OR_RETURN(commit.end_lsn, reader.LsnValue("end LSN"));
  MALLARD_ASSIGN_OR_RETURN(commit.commit_time_us, reader.Int64("commit time"));
  return PgOutputMessage{commit};
}

Decoded<PgOutputMessage> ReadOrigin(WireReader& reader) {
  OriginMessage origin;
  MALLARD_ASSIGN_OR_RETURN(origin.lsn, reader.LsnValue("origin LSN"));
  MALLARD_ASSIGN_OR_RETURN(origin.name, reader.CString("origin name"));
  return PgOutputMessage{std::move(origin)};
}

bool IsKnownReplicaIdentity(std::uint8_t identity) {
  return identity == 'd' || identity == 'n' || identity == 'f' || identity == 'i';
}

Decoded<PgOutputMessage> ReadRelation(WireReader& reader) {
  RelationMessage relation;
  MALLARD_ASSIGN_OR_RETURN(relation.oid, reader.UInt32("relation OID"));
  MALLARD_ASSIGN_OR_RETURN(relation.schema, reader.CString("namespace"));
  MALLARD_ASSIGN_OR_RETURN(relation.name, reader.CString("relation name"));
  MALLARD_ASSIGN_OR_RETURN(auto identity, reader.Byte("replica identity"));
  if (!IsKnownReplicaIdentity(identity)) {
    return Fail(reader.Describe("unknown replica identity '" + std::string(1, static_cast<char>(identity)) + "'"));
  }
  relation.replica_identity = static_cast<char>(identity);
  MALLARD_ASSIGN_OR_RETURN(auto column_count, reader.Int16("column count"));
  if (column_count < 0) return Fail(reader.Describe("negative column count " + std::to_string(column_count)));
  // Smallest column: flags, empty name, type OID, typmod.
  relation.columns.reserve(SafeReserve(static_cast<std::size_t>(column_count), reader.remaining(), 10));
  for (int index = 0; index < column_count; ++index) {
    RelationColumn column;
    MALLARD_ASSIGN_OR_RETURN(auto flags, reader.Byte("column flags"));
    column.key = (flags & 1) != 0;
    MALLARD_ASSIGN_OR_RETURN(column.name, reader.CString("column name"));
    MALLARD_ASSIGN_OR_RETURN(column.type_oid, reader.UInt32("column type OID"));
    MALLARD_ASSIGN_OR_RETURN(column.type_modifier, reader.Int32("column type modifier"));
    relation.columns.push_back(std::move(column));
  }
  return PgOutputMessage{std::move(relation)};
}

Decoded<PgOutputMessage> ReadType(WireReader& reader) {
  TypeMessage type;
  MALLARD_ASSIGN_OR_RETURN(type.oid, reader.UInt32("type OID"));
  MALLARD_ASSIGN_OR_RETURN(type.schema, reader.CString("type namespace"));
  MALLARD_ASSIGN_OR_RETURN(type.name, reader.CString("type name"));
  return PgOutputMessage{std::move(type)};
}

Decoded<std::uint8_t> ExpectTag(WireReader& reader, std::initializer_list<std::uint8_t> allowed,
                                std::string_view what) {
  MALLARD_ASSIGN_OR_RETURN(auto tag, reader.Byte(what));
  if (std::find(allowed.begin(), allowed.end(), tag) == allowed.end()) {
    std::string expected;
    for (auto candidate : allowed) expected += (expected.empty() ? "'" : " or '") + std::string(1, static_cast<char>(candidate)) + "'";
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", tag);
    return Fail(reader.Describe("expected " + expected + " for " + std::string(what) + ", got " + hex));
  }
  return tag;
}

Decoded<PgOutputMessage> ReadInsert(WireReader& reader) {
  InsertMessage insert;
  MALLARD_ASSIGN_OR_RETURN(insert.relation, reader.UInt32("relation OID"));
  MALLARD_RETURN_IF_ERROR(ExpectTag(reader, {kNewTupleTag}, "new tuple tag"));
  MALLARD_ASSIGN_OR_RETURN(insert.new_tuple, ReadTuple(reader));
  return PgOutputMessage{std::move(insert)};
}

Decoded<PgOutputMessage> ReadUpdate(WireReader& reader) {
  UpdateMessage update;
  MALLARD_ASSIGN_OR_RETURN(update.relation, reader.UInt32("relation OID"));
  MALLARD_ASSIGN_OR_RETURN(auto tag, ExpectTag(reader, {kOldKeyTag, kOldRowTag, kNewTupleTag}, "update tuple tag"));
  if (tag != kNewTupleTag) {
    MALLARD_ASSIGN_OR_RETURN(auto old_tuple, ReadTuple(reader));
    (tag == kOldKeyTag ? update.old_key : update.old_row) = std::move(old_tuple);
    MALLARD_RETURN_IF_ERROR(ExpectTag(reader, {kNewTupleTag}, "new tuple tag"));
  }
  MALLARD_ASSIGN_OR_RETURN(update.new_tuple, ReadTuple(reader));
  return PgOutputMessage{std::move(update)};
}

Decoded<PgOutputMessage> ReadDelete(WireReader& reader) {
  DeleteMessage deletion;
  MALLARD_ASSIGN_OR_RETURN(deletion.relation, reader.UInt32("relation OID"));
  MALLARD_ASSIGN_OR_RETURN(auto tag, ExpectTag(reader, {kOldKeyTag, kOldRowTag}, "old tuple tag"));
  MALLARD_ASSIGN_OR_RETURN(auto old_tuple, ReadTuple(reader));
  (tag == kOldKeyTag ? deletion.old_key : deletion.old_row) = std::move(old_tuple);
  return PgOutputMessage{std::move(deletion)};
}

Decoded<PgOutputMessage> ReadTruncate(WireReader& reader) {
  constexpr std::uint8_t kCascade = 1;
  constexpr std::uint8_t kRestartIdentity = 2;
  TruncateMessage truncate;
  MALLARD_ASSIGN_OR_RETURN(auto relation_count, reader.Int32("relation count"));
  if (relation_count < 0) return Fail(reader.Describe("negative relation count " + std::to_string(relation_count)));
  MALLARD_ASSIGN_OR_RETURN(auto options, reader.Byte("options"));
  truncate.cascade = (options & kCascade) != 0;
  truncate.restart_identity = (options & kRestartIdentity) != 0;
  truncate.relations.reserve(SafeReserve(static_cast<std::size_t>(relation_count), reader.remaining(), 4));
  for (std::int32_t index = 0; index < relation_count; ++index) {
    MALLARD_ASSIGN_OR_RETURN(auto oid, reader.UInt32("relation OID"));
    truncate.relations.push_back(oid);
  }
  return PgOutputMessage{std::move(truncate)};
}

Decoded<PgOutputMessage> ReadLogicalMessage(WireReader& reader) {
  constexpr std::uint8_t kTransactional = 1;
  LogicalMessage message;
  MALLARD_ASSIGN_OR_RETURN(auto flags, reader.Byte("flags"));
  message.transactional = (flags & kTransactional) != 0;
  MALLARD_ASSIGN_OR_RETURN(message.lsn, reader.LsnValue("message LSN"));
  MALLARD_ASSIGN_OR_RETURN(message.prefix, reader.CString("prefix"));
  MALLARD_ASSIGN_OR_RETURN(message.content, reader.LengthPrefixedBytes("content"));
  return PgOutputMessage{std::move(message)};
}

Decoded<PgOutputMessage> ReadStreamStart(WireReader& reader) {
  StreamStartMessage start;
  MALLARD_ASSIGN_OR_RETURN(start.xid, reader.UInt32("xid"));
  MALLARD_ASSIGN_OR_RETURN(auto first_segment, reader.Byte("first segment flag"));
  start.first_segment = first_segment != 0;
  return PgOutputMessage{start};
}

Decoded<PgOutputMessage> ReadStreamCommit(WireReader& reader) {
  StreamCommitMessage commit;
  MALLARD_ASSIGN_OR_RETURN(commit.xid, reader.UInt32("xid"));
  MALLARD_ASSIGN_OR_RETURN(commit.flags, reader.Byte("flags"));
  MALLARD_ASSIGN_OR_RETURN(commit.commit_lsn, reader.LsnValue("commit LSN"));
  MALLARD_ASSIGN_OR_RETURN(commit.end_lsn, reader.LsnValue("end LSN"));
  MALLARD_ASSIGN_OR_RETURN(commit.commit_time_us, reader.Int64("commit time"));
  return PgOutputMessage{commit};
}

Decoded<PgOutputMessage> ReadStreamAbort(WireReader& reader, int protocol_version) {
  constexpr std::size_t kAbortInfoBytes = 16;
  StreamAbortMessage abort;
  MALLARD_ASSIGN_OR_RETURN(abort.xid, reader.UInt32("xid"));
  MALLARD_ASSIGN_OR_RETURN(abort.subxid, reader.UInt32("subtransaction xid"));
  // Protocol 4 adds the abort LSN and time only when streaming = parallel, which the decoder
  // cannot see; the payload length tells, since nothing else may follow.
  if (protocol_version >= 4 && reader.remaining() == kAbortInfoBytes) {
    MALLARD_ASSIGN_OR_RETURN(auto abort_lsn, reader.LsnValue("abort LSN"));
    MALLARD_ASSIGN_OR_RETURN(auto abort_time, reader.Int64("abort time"));
    abort.abort_lsn = abort_lsn;
    abort.abort_time_us = abort_time;
  }
  return PgOutputMessage{abort};
}

// Messages that belong to a transaction's contents, and so carry the xid inside a stream.
bool CarriesStreamXid(char type) {
  switch (type) {
    case 'R': case 'Y': case 'I': case 'U': case 'D': case 'T': case 'M':
      return true;
    default:
      return false;
  }
}

bool IsStreamControl(char type) { return type == 'S' || type == 'E' || type == 'c' || type == 'A'; }

std::string_view TypeName(char type) {
  switch (type) {
    case 'B': return "Begin";
    case 'C': return "Commit";
    case 'O': return "Origin";
    case 'R': return "Relation";
    case 'Y': return "Type";
    case 'I': return "Insert";
    case 'U': return "Update";
    case 'D': return "Delete";
    case 'T': return "Truncate";
    case 'M': return "Message";
    case 'S': return "Stream Start";
    case 'E': return "Stream Stop";
    case 'c': return "Stream Commit";
    case 'A': return "Stream Abort";
    case 'b': return "Begin Prepare";
    case 'P': return "Prepare";
    case 'K': return "Commit Prepared";
    case 'r': return "Rollback Prepared";
    case 'p': return "Stream Prepare";
    default: return "unknown";
  }
}

Decoded<PgOutputMessage> ReadBody(char type, WireReader& reader, int protocol_version) {
  switch (type) {
    case 'B': return ReadBegin(reader);
    case 'C': return ReadCommit(reader);
    case 'O': return ReadOrigin(reader);
    case 'R': return ReadRelation(reader);
    case 'Y': return ReadType(reader);
    case 'I': return ReadInsert(reader);
    case 'U': return ReadUpdate(reader);
    case 'D': return ReadDelete(reader);
    case 'T': return ReadTruncate(reader);
    case 'M': return ReadLogicalMessage(reader);
    case 'S': return ReadStreamStart(reader);
    case 'E': return PgOutputMessage{StreamStopMessage{}};
    case 'c': return ReadStreamCommit(reader);
    case 'A': return ReadStreamAbort(reader, protocol_version);
    case 'b': case 'P': case 'K': case 'r': case 'p':
      return Fail(std::string("two-phase messages are not supported (this client never enables two_phase)"));
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(type));
      return Fail(std::string("unknown message type ") + hex);
    }
  }
}

std::optional<std::uint32_t> StreamXidOf(const PgOutputMessage& message) {
  if (auto* start = std::get_if<StreamStartMessage>(&message)) return start->xid;
  if (auto* commit = std::get_if<StreamCommitMessage>(&message)) return commit->xid;
  if (auto* abort = std::get_if<StreamAbortMessage>(&message)) return abort->xid;
  return std::nullopt;
}

}  // namespace

Result<DecodedMessage, std::string> DecodePgOutput(std::string_view payload, bool inside_stream,
                                                   int protocol_version) {
  if (protocol_version < kMinPgOutputProtocol || protocol_version > kMaxPgOutputProtocol) {
    return Fail("pgoutput: unsupported protocol version " + std::to_string(protocol_version));
  }
  if (payload.empty()) return Fail(std::string("pgoutput: empty message"));
  const char type = payload[0];
  const std::string context = "pgoutput " + std::string(TypeName(type)) + " message: ";
  if ((inside_stream || IsStreamControl(type)) && protocol_version < 2) {
    return Fail(context + "streamed transactions need protocol version 2 or later");
  }

  WireReader reader(payload.substr(1));
  DecodedMessage decoded{std::nullopt, StreamStopMessage{}};
  if (inside_stream && CarriesStreamXid(type)) {
    auto xid = reader.UInt32("stream xid");
    if (!xid.ok()) return Fail(context + xid.error());
    decoded.stream_xid = *xid;
  }
  auto body = ReadBody(type, reader, protocol_version);
  if (!body.ok()) return Fail(context + body.error());
  if (reader.remaining() != 0) {
    return Fail(context + std::to_string(reader.remaining()) + " unexpected trailing bytes after byte " +
                std::to_string(reader.offset()));
  }
  decoded.message = std::move(*body);
  if (!decoded.stream_xid) decoded.stream_xid = StreamXidOf(decoded.message);
  return decoded;
}

std::string_view PgOutputMessageName(const PgOutputMessage& message) {
  static constexpr char kTypeByIndex[] = {'B', 'C', 'O', 'R', 'Y', 'I', 'U', 'D', 'T', 'M', 'S', 'E', 'c', 'A'};
  static_assert(sizeof kTypeByIndex == std::variant_size_v<PgOutputMessage>);
  return TypeName(kTypeByIndex[message.index()]);
}

}  // namespace mallard::cdc::pg

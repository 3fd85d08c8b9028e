#pragma once
// Decoder for one pgoutput message: the payload of one XLogData ('w') frame of a logical
// replication stream started with the pgoutput plugin, protocol versions 1–4. Pure byte parsing:
// no libpq, no state. The caller tracks whether it is between Stream Start and Stream Stop,
// because only then do the data messages carry a leading transaction id.
//
// Times (commit_time_us, abort_time_us) are microseconds since 2000-01-01 UTC, as on the wire;
// see pg_time.hpp to convert.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cdc/pg/lsn.hpp"
#include "common/result.hpp"

namespace mallard::cdc::pg {

struct TupleValue {
  enum class Kind {
    kNull,
    // A TOASTed value the row change did not touch; the server does not send it, so the
    // consumer must take it from an earlier image of the row.
    kUnchangedToast,
    kText,    // the type's text output format
    kBinary,  // the type's binary send format (only with the `binary` option)
  };
  Kind kind = Kind::kNull;
  std::string data;  // empty unless kText or kBinary

  friend bool operator==(const TupleValue&, const TupleValue&) = default;
};
// One value per column, in the order of the relation's RelationMessage columns.
using Tuple = std::vector<TupleValue>;

struct RelationColumn {
  bool key = false;  // part of the replica identity (all columns under REPLICA IDENTITY FULL)
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_modifier = -1;

  friend bool operator==(const RelationColumn&, const RelationColumn&) = default;
};

struct BeginMessage {
  Lsn final_lsn;  // LSN of the commit record
  std::int64_t commit_time_us = 0;
  std::uint32_t xid = 0;
};

struct CommitMessage {
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;  // the position to confirm once the transaction is durably applied
  std::int64_t commit_time_us = 0;
};

struct OriginMessage {
  Lsn lsn;  // commit LSN on the origin server
  std::string name;
};

struct RelationMessage {
  std::uint32_t oid = 0;
  std::string schema;  // "" for pg_catalog
  std::string name;
  char replica_identity = 'd';  // 'd' default, 'n' nothing, 'f' full, 'i' index
  std::vector<RelationColumn> columns;
};

struct TypeMessage {
  std::uint32_t oid = 0;
  std::string schema;
  std::string name;
};

struct InsertMessage {
  std::uint32_t relation = 0;
  Tuple new_tuple;
};

struct UpdateMessage {
  std::uint32_t relation = 0;
  // At most one of the two old images is present: old_key ('K') when the replica identity key
  // changed (non-key columns are null in it), old_row ('O') under REPLICA IDENTITY FULL.
  // Neither means the key is unchanged.
  std::optional<Tuple> old_key;
  std::optional<Tuple> old_row;
  Tuple new_tuple;
};

struct DeleteMessage {
  std::uint32_t relation = 0;
  // Exactly one is present: the key columns, or the whole row under REPLICA IDENTITY FULL.
  std::optional<Tuple> old_key;
  std::optional<Tuple> old_row;
};

struct TruncateMessage {
  std::vector<std::uint32_t> relations;
  bool cascade = false;
  bool restart_identity = false;
};

// pg_logical_emit_message(); only sent with the `messages` option.
struct LogicalMessage {
  bool transactional = false;
  Lsn lsn;
  std::string prefix;
  std::string content;
};

struct StreamStartMessage {
  std::uint32_t xid = 0;
  bool first_segment = false;
};

struct StreamStopMessage {};

struct StreamCommitMessage {
  std::uint32_t xid = 0;
  std::uint8_t flags = 0;
  Lsn commit_lsn;
  Lsn end_lsn;
  std::int64_t commit_time_us = 0;
};

struct StreamAbortMessage {
  std::uint32_t xid = 0;
  // Equal to xid when the whole transaction aborted, otherwise the aborted subtransaction.
  std::uint32_t subxid = 0;
  // Only sent with protocol 4 and streaming = parallel.
  std::optional<Lsn> abort_lsn;
  std::optional<std::int64_t> abort_time_us;
};

using PgOutputMessage =
    std::variant<BeginMessage, CommitMessage, OriginMessage, RelationMessage, TypeMessage, InsertMessage,
                 UpdateMessage, DeleteMessage, TruncateMessage, LogicalMessage, StreamStartMessage,
                 StreamStopMessage, StreamCommitMessage, StreamAbortMessage>;

struct DecodedMessage {
  // The streamed (in-progress) transaction the message belongs to: the leading xid of data
  // messages inside a stream, and the xid of Stream Start, Stream Commit and Stream Abort.
  // Empty for everything outside streaming.
  std::optional<std::uint32_t> stream_xid;
  PgOutputMessage message;
};

inline constexpr int kMinPgOutputProtocol = 1;
inline constexpr int kMaxPgOutputProtocol = 4;

// Decodes exactly one message. Truncated input, unknown message types, bad enum bytes, negative
// lengths and trailing bytes are errors (a message that does not parse exactly means the stream
// is out of step with us, and guessing would corrupt data). Two-phase messages are rejected:
// this client never enables two_phase.
Result<DecodedMessage, std::string> DecodePgOutput(std::string_view payload, bool inside_stream,
                                                   int protocol_version);

// Short English name of a message type ("Insert", "Stream Commit"), for logs and errors.
std::string_view PgOutputMessageName(const PgOutputMessage& message);

}  // namespace mallard::cdc::pg

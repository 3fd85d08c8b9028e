#pragma once
// libpq connections for change data capture: an ordinary connection (initial copy inside an
// exported snapshot, catalog queries) and a logical replication connection (walsender in
// replication=database mode: slots, START_REPLICATION, the COPY BOTH stream of frames).
// Every fallible call returns a PgError value with a code the pipeline can act on.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cdc/pg/lsn.hpp"
#include "common/result.hpp"

// libpq's handle, declared here so that users of this header need not include libpq-fe.h.
typedef struct pg_conn PGconn;

namespace mallard::cdc::pg {

struct PgError {
  enum class Code {
    kConnection,     // cannot connect, or the connection broke
    kWalLevel,       // the server's wal_level is below logical
    kPermission,     // role lacks REPLICATION/superuser or privileges on an object
    kSlotInUse,      // another walsender is streaming from the slot
    kSlotMissing,    // the slot does not exist, or was invalidated and must be re-created
    kObjectMissing,  // a table, publication or other object does not exist
    kQuery,          // any other server error
    kProtocol,       // the server sent something this client does not understand
  };
  Code code = Code::kQuery;
  std::string message;
  std::string sqlstate;  // five characters when the server reported one
};

std::string_view PgErrorCodeName(PgError::Code code);

// Maps a server error (SQLSTATE and primary message) to a code. Connection-time failures carry no
// SQLSTATE in libpq, so the message text is matched as well. `fallback` is used when nothing
// more specific applies.
PgError ClassifyPgError(std::string sqlstate, std::string message, PgError::Code fallback);

// kWalLevel unless the `wal_level` setting value is "logical".
Status<PgError> CheckLogicalWalLevel(std::string_view wal_level);

using PgRow = std::vector<std::optional<std::string>>;  // std::nullopt is SQL NULL
using PgRows = std::vector<PgRow>;

struct CopyOutSummary {
  std::uint64_t chunks = 0;  // one chunk per row for text and CSV COPY
  std::uint64_t bytes = 0;
  bool stopped_by_callback = false;
};
// Receives each COPY data chunk as libpq delivers it; returning false cancels the COPY.
using CopyChunkCallback = std::function<bool(std::string_view chunk)>;

// An ordinary (non-replication) connection.
class PgConnection {
 public:
  static Result<PgConnection, PgError> Connect(const std::string& conninfo);

  PgConnection(PgConnection&& other) noexcept;
  PgConnection& operator=(PgConnection&& other) noexcept;
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs one or more statements; any rows are discarded.
  Status<PgError> Execute(std::string_view sql);
  Result<PgRows, PgError> Query(std::string_view sql);
  // Streams `COPY ... TO STDOUT` chunk by chunk; nothing is buffered beyond one chunk. If the
  // callback stops early the COPY is cancelled and the connection stays usable (a cancel inside
  // an explicit transaction aborts that transaction, as any cancelled statement does).
  Result<CopyOutSummary, PgError> CopyOut(std::string_view copy_sql, const CopyChunkCallback& on_chunk);
  // Opens a REPEATABLE READ transaction that sees exactly the exported snapshot (from
  // ReplicationConnection::CreateSlot with SnapshotMode::kExport). End it with Execute("COMMIT").
  Status<PgError> BeginWithSnapshot(std::string_view snapshot_name);
  Status<PgError> CheckWalLevel();
  int ServerVersion() const;  // e.g. 150004; 0 when closed
  bool IsOpen() const { return connection_ != nullptr; }
  void Close();

 private:
  explicit PgConnection(PGconn* connection) : connection_(connection) {}
  PGconn* connection_ = nullptr;
};

struct SystemIdentity {
  std::string system_id;  // identifies the cluster; changes if the source is replaced
  int timeline = 0;
  Lsn xlog_pos;  // current flush position
  std::optional<std::string> dbname;
};

enum class SnapshotMode {
  kExport,   // other sessions import it with PgConnection::BeginWithSnapshot while this stays idle
  kUse,      // becomes the snapshot of the open transaction on this replication connection
  kNothing,  // decode only
};

struct CreatedSlot {
  std::string slot_name;
  // Every transaction committed after this is streamed; every one before is in the snapshot.
  Lsn consistent_point;
  std::optional<std::string> snapshot_name;  // only with SnapshotMode::kExport
  std::string output_plugin;
};

// CopyData frames of the replication stream (server to client).
struct XLogData {
  Lsn wal_start;
  Lsn wal_end;
  std::int64_t send_time_us = 0;  // microseconds since 2000-01-01 UTC
  std::string payload;            // one pgoutput message: see DecodePgOutput
};
struct Keepalive {
  Lsn wal_end;
  std::int64_t send_time_us = 0;
  // The server will drop the connection at wal_sender_timeout unless SendStatus answers soon.
  bool reply_requested = false;
};
using ReplicationFrame = std::variant<XLogData, Keepalive>;

// Pure framing helpers, exposed for tests.
Result<ReplicationFrame, std::string> ParseReplicationFrame(std::string_view copy_data);
std::string EncodeStandbyStatusUpdate(Lsn written, Lsn flushed, Lsn applied, std::int64_t client_time_us,
                                      bool reply_requested);
// Replication command texts; names are quoted here. `server_version` is PQserverVersion's form
// (150004): PostgreSQL 15 introduced the parenthesised CREATE_REPLICATION_SLOT options.
std::string CreateSlotCommand(std::string_view slot_name, bool temporary, SnapshotMode mode, int server_version);
std::string StartReplicationCommand(std::string_view slot_name, Lsn start,
                                    const std::vector<std::string>& publications, int proto_version,
                                    bool streaming, bool messages);

// A walsender connection in replication=database mode. Not thread-safe; one thread drives it.
class ReplicationConnection {
 public:
  // `conninfo` is a URI or key=value string; replication=database is added (and overrides any
  // replication setting in it).
  static Result<ReplicationConnection, PgError> Connect(const std::string& conninfo);

  ReplicationConnection(ReplicationConnection&& other) noexcept;
  ReplicationConnection& operator=(ReplicationConnection&& other) noexcept;
  ReplicationConnection(const ReplicationConnection&) = delete;
  ReplicationConnection& operator=(const ReplicationConnection&) = delete;
  ~ReplicationConnection();

  Result<SystemIdentity, PgError> IdentifySystem();
  // kUse must run as the first statement of a transaction opened with
  // Execute("BEGIN ISOLATION LEVEL REPEATABLE READ") on this connection. A temporary slot lives
  // until the connection closes or until any command on it fails: the walsender's error cleanup
  // drops its temporary slots.
  Result<CreatedSlot, PgError> CreateSlot(std::string_view slot_name, bool temporary, SnapshotMode mode);
  Status<PgError> DropSlot(std::string_view slot_name, bool wait_if_active = false);
  // Plain SQL (simple query protocol) and replication commands such as SHOW.
  Result<PgRows, PgError> Query(std::string_view sql);
  Status<PgError> Execute(std::string_view sql);
  // COPY ... TO STDOUT on the walsender connection: the single-connection initial copy of
  // SnapshotMode::kUse.
  Result<CopyOutSummary, PgError> CopyOut(std::string_view copy_sql, const CopyChunkCallback& on_chunk);
  Status<PgError> CheckWalLevel();

  // START_REPLICATION ... LOGICAL with the pgoutput options. `start` may be zero: the server
  // resumes from the slot's confirmed_flush_lsn. Once a stream has ended cleanly (Stop), the
  // walsender cannot stream again on the same connection: this then fails with kProtocol and a
  // new ReplicationConnection is needed.
  Status<PgError> StartReplication(std::string_view slot_name, Lsn start,
                                   const std::vector<std::string>& publications, int proto_version,
                                   bool streaming, bool messages);
  // The next frame, or std::nullopt when none arrived within `timeout`. The end of the stream is
  // an error: the server only ends it on failure (or after Stop).
  Result<std::optional<ReplicationFrame>, PgError> Next(std::chrono::milliseconds timeout);
  // Standby status update. For logical slots `flushed` becomes confirmed_flush_lsn.
  Status<PgError> SendStatus(Lsn written, Lsn flushed, Lsn applied, bool reply_requested = false);
  // Ends the COPY BOTH stream and waits for the server to acknowledge, discarding frames still in
  // flight; the connection then accepts commands again (e.g. DropSlot).
  Status<PgError> Stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  bool IsStreaming() const { return streaming_; }
  int ServerVersion() const;
  bool IsOpen() const { return connection_ != nullptr; }
  void Close();

 private:
  explicit ReplicationConnection(PGconn* connection) : connection_(connection) {}
  PGconn* connection_ = nullptr;
  bool streaming_ = false;
  bool stream_finished_ = false;  // a stream ended with CopyDone; see StartReplication
};

}  // namespace mallard::cdc::pg

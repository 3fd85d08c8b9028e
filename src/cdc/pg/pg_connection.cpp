#include "cdc/pg/pg_connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "cdc/pg/pg_time.hpp"
#include "infra/libpq/pq_library.hpp"

namespace mallard::cdc::pg {
namespace {

using Clock = std::chrono::steady_clock;
using Code = PgError::Code;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct LibpqBufferDeleter {
  void operator()(char* buffer) const { PQfreemem(buffer); }
};
using LibpqBuffer = std::unique_ptr<char, LibpqBufferDeleter>;

std::string TrimTrailingSpace(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower;
}

PgError MakeError(Code code, std::string message) { return PgError{code, std::move(message), {}}; }

PgError ConnectionLevelError(PGconn* connection, Code fallback) {
  std::string message = connection ? TrimTrailingSpace(PQerrorMessage(connection)) : "out of memory";
  if (message.empty()) message = "connection failed";
  return ClassifyPgError({}, std::move(message), fallback);
}

// The server's SQLSTATE and text (primary message, detail, hint) of an error result.
PgError ErrorFromResult(const PGresult* result, PGconn* connection, Code fallback) {
  if (result == nullptr) return ConnectionLevelError(connection, fallback);
  auto field = [result](int code) -> std::string {
    const char* value = PQresultErrorField(result, code);
    return value ? value : "";
  };
  std::string message = field(PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = TrimTrailingSpace(PQresultErrorMessage(result));
  if (message.empty()) message = TrimTrailingSpace(PQerrorMessage(connection));
  if (auto detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty()) message += " DETAIL: " + detail;
  if (auto hint = field(PG_DIAG_MESSAGE_HINT); !hint.empty()) message += " HINT: " + hint;
  return ClassifyPgError(field(PG_DIAG_SQLSTATE), std::move(message), fallback);
}

PgError ClosedError() { return MakeError(Code::kConnection, "the PostgreSQL connection is closed"); }

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

// Replication commands and standard_conforming_strings SQL both escape quotes by doubling.
std::string QuoteLiteral(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') quoted += '\'';
    quoted += c;
  }
  return quoted + '\'';
}

void DiscardNotice(void*, const char*) {}

Result<PGconn*, PgError> OpenConnection(const std::string& conninfo, bool replication) {
  if (const std::string& error = libpq::LoadLibPq(); !error.empty()) {
    return Fail(PgError{Code::kConnection, error, ""});
  }
  // expand_dbname=1 parses `conninfo` (URI or key=value) in place of dbname; keywords after it
  // override what it set, which is how replication=database wins over anything in the string.
  std::vector<const char*> keywords{"dbname", "fallback_application_name"};
  std::vector<const char*> values{conninfo.c_str(), "mallard-cdc"};
  if (replication) {
    keywords.push_back("replication");
    values.push_back("database");
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* connection = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
    PgError error = ConnectionLevelError(connection, Code::kConnection);
    if (connection) PQfinish(connection);
    return Fail(std::move(error));
  }
  // A library should not write server NOTICEs to the process's stderr.
  PQsetNoticeProcessor(connection, DiscardNotice, nullptr);
  return connection;
}

enum class WaitOutcome { kReady, kTimedOut };

Result<WaitOutcome, PgError> WaitForSocket(PGconn* connection, short events, Clock::time_point deadline) {
  int socket = PQsocket(connection);
  if (socket < 0) return Fail(MakeError(Code::kConnection, "the PostgreSQL connection has no socket"));
  for (;;) {
    auto remaining = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int timeout_ms = deadline == Clock::time_point::max() ? -1
                                                          : static_cast<int>(std::clamp<long long>(remaining, 0, 1 << 30));
    pollfd descriptor{socket, events, 0};
    int ready = poll(&descriptor, 1, timeout_ms);
    // Errors and hang-ups count as ready: libpq's next read reports them properly.
    if (ready > 0) return WaitOutcome::kReady;
    if (ready == 0) return WaitOutcome::kTimedOut;
    if (errno != EINTR) return Fail(MakeError(Code::kConnection, std::string("poll: ") + std::strerror(errno)));
  }
}

// Reads what the socket has, after waiting for it until `deadline`.
Status<PgError> ReceiveInput(PGconn* connection, Clock::time_point deadline, std::string_view waiting_for) {
  MALLARD_ASSIGN_OR_RETURN(auto outcome, WaitForSocket(connection, POLLIN, deadline));
  if (outcome == WaitOutcome::kTimedOut) {
    return Fail(MakeError(Code::kConnection, "timed out waiting for " + std::string(waiting_for)));
  }
  if (!PQconsumeInput(connection)) return Fail(ConnectionLevelError(connection, Code::kConnection));
  return Done{};
}

// Discards COPY data until the server's CopyDone.
Status<PgError> DiscardCopyData(PGconn* connection, Clock::time_point deadline) {
  for (;;) {
    char* buffer = nullptr;
    int length = PQgetCopyData(connection, &buffer, /*async=*/1);
    if (length > 0) {
      LibpqBuffer discarded(buffer);
      continue;
    }
    if (length == -1) return Done{};
    if (length == -2) return Fail(ConnectionLevelError(connection, Code::kConnection));
    MALLARD_RETURN_IF_ERROR(ReceiveInput(connection, deadline, "the end of COPY data"));
  }
}

// Consumes every remaining result of the current command, ending any COPY state on the way, so
// that the connection is idle again. Returns the first error the server reported, if any.
Result<std::optional<PgError>, PgError> FinishCommand(PGconn* connection, Clock::time_point deadline,
                                                      Code fallback) {
  std::optional<PgError> first_error;
  for (;;) {
    while (PQisBusy(connection)) MALLARD_RETURN_IF_ERROR(ReceiveInput(connection, deadline, "the server to finish"));
    ResultPtr result(PQgetResult(connection));
    if (!result) return first_error;
    switch (PQresultStatus(result.get())) {
      case PGRES_COPY_BOTH:
      case PGRES_COPY_IN:
        // A plain CopyDone: an empty COPY FROM STDIN changes nothing, and a walsender treats
        // anything else (CopyFail) as a protocol violation.
        if (PQputCopyEnd(connection, nullptr) != 1 || PQflush(connection) != 0) {
          return Fail(ConnectionLevelError(connection, Code::kConnection));
        }
        break;
      case PGRES_COPY_OUT:
        MALLARD_RETURN_IF_ERROR(DiscardCopyData(connection, deadline));
        break;
      case PGRES_FATAL_ERROR:
      case PGRES_BAD_RESPONSE:
        if (!first_error) first_error = ErrorFromResult(result.get(), connection, fallback);
        break;
      default:
        break;
    }
  }
}

bool IsCopyStatus(ExecStatusType status) {
  return status == PGRES_COPY_OUT || status == PGRES_COPY_IN || status == PGRES_COPY_BOTH;
}

// PQexec returned a COPY result for a statement that was not meant to copy: end the COPY so the
// connection is usable again.
Status<PgError> AbandonCopy(PGconn* connection, ExecStatusType status) {
  if (status == PGRES_COPY_IN || status == PGRES_COPY_BOTH) {
    if (PQputCopyEnd(connection, nullptr) != 1 || PQflush(connection) != 0) {
      return Fail(ConnectionLevelError(connection, Code::kConnection));
    }
  }
  if (status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
    MALLARD_RETURN_IF_ERROR(DiscardCopyData(connection, Clock::time_point::max()));
  }
  MALLARD_RETURN_IF_ERROR(FinishCommand(connection, Clock::time_point::max(), Code::kQuery));
  return Done{};
}

// Runs `sql` and returns its (last) result when that is a success. Errors and unexpected COPY
// states leave the connection idle.
Result<ResultPtr, PgError> ExecuteForResult(PGconn* connection, std::string_view sql) {
  if (connection == nullptr) return Fail(ClosedError());
  ResultPtr result(PQexec(connection, std::string(sql).c_str()));
  if (!result) return Fail(ConnectionLevelError(connection, Code::kConnection));
  auto status = PQresultStatus(result.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return result;
  if (IsCopyStatus(status)) {
    MALLARD_RETURN_IF_ERROR(AbandonCopy(connection, status));
    return Fail(MakeError(Code::kQuery, "the statement started a COPY; use CopyOut for COPY ... TO STDOUT"));
  }
  return Fail(ErrorFromResult(result.get(), connection, Code::kQuery));
}

PgRows RowsOf(const PGresult* result) {
  PgRows rows;
  int row_count = PQntuples(result), column_count = PQnfields(result);
  rows.reserve(static_cast<std::size_t>(row_count));
  for (int row = 0; row < row_count; ++row) {
    PgRow values;
    values.reserve(static_cast<std::size_t>(column_count));
    for (int column = 0; column < column_count; ++column) {
      if (PQgetisnull(result, row, column)) {
        values.emplace_back(std::nullopt);
      } else {
        values.emplace_back(std::string(PQgetvalue(result, row, column),
                                        static_cast<std::size_t>(PQgetlength(result, row, column))));
      }
    }
    rows.push_back(std::move(values));
  }
  return rows;
}

Result<PgRows, PgError> RunQuery(PGconn* connection, std::string_view sql) {
  MALLARD_ASSIGN_OR_RETURN(auto result, ExecuteForResult(connection, sql));
  return RowsOf(result.get());
}

Status<PgError> RunStatement(PGconn* connection, std::string_view sql) {
  MALLARD_RETURN_IF_ERROR(ExecuteForResult(connection, sql));
  return Done{};
}

void CancelRunningCommand(PGconn* connection) {
  PGcancel* cancel = PQgetCancel(connection);
  if (cancel == nullptr) return;
  char error_buffer[256];
  PQcancel(cancel, error_buffer, sizeof error_buffer);  // best effort: the drain below ends the COPY either way
  PQfreeCancel(cancel);
}

Result<CopyOutSummary, PgError> RunCopyOut(PGconn* connection, std::string_view copy_sql,
                                           const CopyChunkCallback& on_chunk) {
  if (connection == nullptr) return Fail(ClosedError());
  ResultPtr start(PQexec(connection, std::string(copy_sql).c_str()));
  if (!start) return Fail(ConnectionLevelError(connection, Code::kConnection));
  auto status = PQresultStatus(start.get());
  if (status != PGRES_COPY_OUT) {
    if (IsCopyStatus(status)) {
      MALLARD_RETURN_IF_ERROR(AbandonCopy(connection, status));
    } else if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) {
      return Fail(ErrorFromResult(start.get(), connection, Code::kQuery));
    }
    return Fail(MakeError(Code::kQuery, "CopyOut needs a COPY ... TO STDOUT statement"));
  }
  start.reset();

  CopyOutSummary summary;
  for (;;) {
    char* buffer = nullptr;
    // Blocking reads: one row at a time reaches the callback, nothing accumulates here.
    int length = PQgetCopyData(connection, &buffer, /*async=*/0);
    if (length == -1) break;
    if (length == -2) return Fail(ConnectionLevelError(connection, Code::kConnection));
    LibpqBuffer chunk(buffer);
    if (summary.stopped_by_callback) continue;  // draining what was in flight before the cancel
    ++summary.chunks;
    summary.bytes += static_cast<std::uint64_t>(length);
    if (!on_chunk(std::string_view(chunk.get(), static_cast<std::size_t>(length)))) {
      summary.stopped_by_callback = true;
      CancelRunningCommand(connection);
    }
  }
  MALLARD_ASSIGN_OR_RETURN(auto server_error, FinishCommand(connection, Clock::time_point::max(), Code::kQuery));
  // The cancel we asked for comes back as an error (57014); only other errors are failures.
  if (server_error && !(summary.stopped_by_callback && server_error->sqlstate == "57014")) {
    return Fail(std::move(*server_error));
  }
  return summary;
}

Status<PgError> CheckWalLevelOn(PGconn* connection) {
  // SHOW works both as SQL and as a walsender command.
  MALLARD_ASSIGN_OR_RETURN(auto rows, RunQuery(connection, "SHOW wal_level"));
  if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) {
    return Fail(MakeError(Code::kProtocol, "SHOW wal_level returned an unexpected result"));
  }
  return CheckLogicalWalLevel(*rows[0][0]);
}

void AppendBigEndian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

std::uint64_t ReadBigEndian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (char byte : bytes) value = (value << 8) | static_cast<unsigned char>(byte);
  return value;
}

std::optional<std::string> Field(const PGresult* result, const char* column) {
  int index = PQfnumber(result, column);
  if (index < 0 || PQntuples(result) < 1 || PQgetisnull(result, 0, index)) return std::nullopt;
  return std::string(PQgetvalue(result, 0, index));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Errors

std::string_view PgErrorCodeName(PgError::Code code) {
  switch (code) {
    case Code::kConnection: return "connection";
    case Code::kWalLevel: return "wal_level";
    case Code::kPermission: return "permission";
    case Code::kSlotInUse: return "slot_in_use";
    case Code::kSlotMissing: return "slot_missing";
    case Code::kObjectMissing: return "object_missing";
    case Code::kQuery: return "query";
    case Code::kProtocol: return "protocol";
  }
  return "unknown";
}

PgError ClassifyPgError(std::string sqlstate, std::string message, PgError::Code fallback) {
  const std::string lower = ToLower(message);
  auto mentions = [&lower](std::string_view text) { return lower.find(text) != std::string::npos; };
  const bool about_slot = mentions("replication slot");
  Code code = fallback;
  // PostgreSQL ≤ 15 says "logical decoding requires wal_level >= logical"; 16+ quotes the names.
  if (mentions("wal_level") && mentions("logical")) {
    return PgError{Code::kWalLevel,
                   "PostgreSQL must run with wal_level=logical for logical replication: set wal_level = logical "
                   "in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart the server. "
                   "Server said: " + message,
                   std::move(sqlstate)};
  }
  if (sqlstate == "42501" || mentions("must be superuser or replication role") ||
      mentions("permission denied") || mentions("must have replication")) {
    code = Code::kPermission;
  } else if (about_slot && (sqlstate == "55006" || mentions("is active for pid"))) {
    code = Code::kSlotInUse;
  } else if (about_slot && (mentions("invalidated") || mentions("can no longer get changes"))) {
    // Past max_slot_wal_keep_size the slot cannot stream again: treat like a missing slot,
    // which the pipeline answers with re-creating it and a fresh initial copy.
    code = Code::kSlotMissing;
    message += " (the slot was invalidated: drop it, create it again and re-sync)";
  } else if (about_slot && (sqlstate == "42704" || mentions("does not exist"))) {
    code = Code::kSlotMissing;
  } else if (sqlstate == "42704" || sqlstate == "42P01" || sqlstate == "42883" || sqlstate == "3F000" ||
             sqlstate == "3D000") {
    code = Code::kObjectMissing;
  } else if (sqlstate.starts_with("08")) {
    code = Code::kConnection;
  }
  return PgError{code, std::move(message), std::move(sqlstate)};
}

Status<PgError> CheckLogicalWalLevel(std::string_view wal_level) {
  if (ToLower(wal_level) == "logical") return Done{};
  return Fail(PgError{Code::kWalLevel,
                      "PostgreSQL runs with wal_level=" + std::string(wal_level) +
                          ", but logical replication needs wal_level=logical: set wal_level = logical in "
                          "postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart the server",
                      {}});
}

// ---------------------------------------------------------------------------------------------
// Framing

Result<ReplicationFrame, std::string> ParseReplicationFrame(std::string_view copy_data) {
  constexpr std::size_t kXLogDataHeader = 1 + 8 + 8 + 8;
  constexpr std::size_t kKeepaliveSize = 1 + 8 + 8 + 1;
  if (copy_data.empty()) return Fail(std::string("empty replication frame"));
  switch (copy_data[0]) {
    case 'w': {
      if (copy_data.size() < kXLogDataHeader) {
        return Fail("XLogData frame of " + std::to_string(copy_data.size()) + " bytes is shorter than its header");
      }
      XLogData data;
      data.wal_start = Lsn{ReadBigEndian(copy_data.substr(1, 8))};
      data.wal_end = Lsn{ReadBigEndian(copy_data.substr(9, 8))};
      data.send_time_us = static_cast<std::int64_t>(ReadBigEndian(copy_data.substr(17, 8)));
      data.payload = std::string(copy_data.substr(kXLogDataHeader));
      return ReplicationFrame{std::move(data)};
    }
    case 'k': {
      if (copy_data.size() != kKeepaliveSize) {
        return Fail("keepalive frame of " + std::to_string(copy_data.size()) + " bytes, expected " +
                    std::to_string(kKeepaliveSize));
      }
      Keepalive keepalive;
      keepalive.wal_end = Lsn{ReadBigEndian(copy_data.substr(1, 8))};
      keepalive.send_time_us = static_cast<std::int64_t>(ReadBigEndian(copy_data.substr(9, 8)));
      keepalive.reply_requested = copy_data[17] != 0;
      return ReplicationFrame{keepalive};
    }
    default:
      return Fail("unknown replication frame type 0x" +
                  std::string(1, "0123456789ABCDEF"[static_cast<unsigned char>(copy_data[0]) >> 4]) +
                  std::string(1, "0123456789ABCDEF"[static_cast<unsigned char>(copy_data[0]) & 0xF]));
  }
}

std::string EncodeStandbyStatusUpdate(Lsn written, Lsn flushed, Lsn applied, std::int64_t client_time_us,
                                      bool reply_requested) {
  std::string message;
  message.reserve(34);
  message.push_back('r');
  AppendBigEndian(message, written.value, 8);
  AppendBigEndian(message, flushed.value, 8);
  AppendBigEndian(message, applied.value, 8);
  AppendBigEndian(message, static_cast<std::uint64_t>(client_time_us), 8);
  message.push_back(reply_requested ? 1 : 0);
  return message;
}

std::string CreateSlotCommand(std::string_view slot_name, bool temporary, SnapshotMode mode, int server_version) {
  std::string command = "CREATE_REPLICATION_SLOT " + QuoteIdentifier(slot_name);
  if (temporary) command += " TEMPORARY";
  command += " LOGICAL pgoutput";
  if (server_version >= 150000) {
    switch (mode) {
      case SnapshotMode::kExport: return command + " (SNAPSHOT 'export')";
      case SnapshotMode::kUse: return command + " (SNAPSHOT 'use')";
      case SnapshotMode::kNothing: return command + " (SNAPSHOT 'nothing')";
    }
  }
  switch (mode) {
    case SnapshotMode::kExport: return command + " EXPORT_SNAPSHOT";
    case SnapshotMode::kUse: return command + " USE_SNAPSHOT";
    case SnapshotMode::kNothing: return command + " NOEXPORT_SNAPSHOT";
  }
  return command;
}

std::string StartReplicationCommand(std::string_view slot_name, Lsn start, const std::vector<std::string>& publications,
                                    int proto_version, bool streaming, bool messages) {
  std::string publication_list;
  for (const auto& publication : publications) {
    if (!publication_list.empty()) publication_list += ',';
    publication_list += QuoteIdentifier(publication);
  }
  std::string command = "START_REPLICATION SLOT " + QuoteIdentifier(slot_name) + " LOGICAL " + start.ToString() +
                        " (\"proto_version\" '" + std::to_string(proto_version) + "', \"publication_names\" " +
                        QuoteLiteral(publication_list);
  // Options are only sent when on, so that servers older than 14 (which reject them) still work.
  if (streaming) command += ", \"streaming\" 'on'";
  if (messages) command += ", \"messages\" 'true'";
  return command + ")";
}

// ---------------------------------------------------------------------------------------------
// PgConnection

Result<PgConnection, PgError> PgConnection::Connect(const std::string& conninfo) {
  MALLARD_ASSIGN_OR_RETURN(auto connection, OpenConnection(conninfo, /*replication=*/false));
  return PgConnection(connection);
}

PgConnection::PgConnection(PgConnection&& other) noexcept : connection_(std::exchange(other.connection_, nullptr)) {}

PgConnection& PgConnection::operator=(PgConnection&& other) noexcept {
  if (this != &other) {
    Close();
    connection_ = std::exchange(other.connection_, nullptr);
  }
  return *this;
}

PgConnection::~PgConnection() { Close(); }

void PgConnection::Close() {
  if (connection_) PQfinish(connection_);
  connection_ = nullptr;
}

Status<PgError> PgConnection::Execute(std::string_view sql) { return RunStatement(connection_, sql); }

Result<PgRows, PgError> PgConnection::Query(std::string_view sql) { return RunQuery(connection_, sql); }

Result<CopyOutSummary, PgError> PgConnection::CopyOut(std::string_view copy_sql, const CopyChunkCallback& on_chunk) {
  return RunCopyOut(connection_, copy_sql, on_chunk);
}

Status<PgError> PgConnection::BeginWithSnapshot(std::string_view snapshot_name) {
  MALLARD_RETURN_IF_ERROR(Execute("BEGIN ISOLATION LEVEL REPEATABLE READ"));
  auto imported = Execute("SET TRANSACTION SNAPSHOT " + QuoteLiteral(snapshot_name));
  if (!imported.ok()) {
    // Leave the connection outside the failed transaction, ready for the caller's next step.
    (void)Execute("ROLLBACK");
    return imported;
  }
  return Done{};
}

Status<PgError> PgConnection::CheckWalLevel() { return CheckWalLevelOn(connection_); }

int PgConnection::ServerVersion() const { return connection_ ? PQserverVersion(connection_) : 0; }

// ---------------------------------------------------------------------------------------------
// ReplicationConnection

Result<ReplicationConnection, PgError> ReplicationConnection::Connect(const std::string& conninfo) {
  MALLARD_ASSIGN_OR_RETURN(auto connection, OpenConnection(conninfo, /*replication=*/true));
  return ReplicationConnection(connection);
}

ReplicationConnection::ReplicationConnection(ReplicationConnection&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)),
      streaming_(std::exchange(other.streaming_, false)),
      stream_finished_(std::exchange(other.stream_finished_, false)) {}

ReplicationConnection& ReplicationConnection::operator=(ReplicationConnection&& other) noexcept {
  if (this != &other) {
    Close();
    connection_ = std::exchange(other.connection_, nullptr);
    streaming_ = std::exchange(other.streaming_, false);
    stream_finished_ = std::exchange(other.stream_finished_, false);
  }
  return *this;
}

ReplicationConnection::~ReplicationConnection() { Close(); }

void ReplicationConnection::Close() {
  if (connection_) PQfinish(connection_);
  connection_ = nullptr;
  streaming_ = false;
  stream_finished_ = false;
}

int ReplicationConnection::ServerVersion() const { return connection_ ? PQserverVersion(connection_) : 0; }

namespace {
PgError StreamingBusyError() {
  return MakeError(Code::kProtocol, "the replication connection is streaming; call Stop() before other commands");
}
}  // namespace

Result<SystemIdentity, PgError> ReplicationConnection::IdentifySystem() {
  if (streaming_) return Fail(StreamingBusyError());
  MALLARD_ASSIGN_OR_RETURN(auto result, ExecuteForResult(connection_, "IDENTIFY_SYSTEM"));
  auto system_id = Field(result.get(), "systemid");
  auto timeline = Field(result.get(), "timeline");
  auto position = Field(result.get(), "xlogpos");
  auto xlog_pos = position ? Lsn::Parse(*position) : std::nullopt;
  if (!system_id || !timeline || !xlog_pos) {
    return Fail(MakeError(Code::kProtocol, "IDENTIFY_SYSTEM returned an unexpected result"));
  }
  return SystemIdentity{*system_id, std::atoi(timeline->c_str()), *xlog_pos, Field(result.get(), "dbname")};
}

Result<CreatedSlot, PgError> ReplicationConnection::CreateSlot(std::string_view slot_name, bool temporary,
                                                               SnapshotMode mode) {
  if (streaming_) return Fail(StreamingBusyError());
  MALLARD_ASSIGN_OR_RETURN(auto result,
                           ExecuteForResult(connection_, CreateSlotCommand(slot_name, temporary, mode, ServerVersion())));
  CreatedSlot slot;
  auto name = Field(result.get(), "slot_name");
  auto point = Field(result.get(), "consistent_point");
  auto consistent_point = point ? Lsn::Parse(*point) : std::nullopt;
  if (!name || !consistent_point) {
    return Fail(MakeError(Code::kProtocol, "CREATE_REPLICATION_SLOT returned an unexpected result"));
  }
  slot.slot_name = *name;
  slot.consistent_point = *consistent_point;
  slot.snapshot_name = Field(result.get(), "snapshot_name");
  slot.output_plugin = Field(result.get(), "output_plugin").value_or("");
  return slot;
}

Status<PgError> ReplicationConnection::DropSlot(std::string_view slot_name, bool wait_if_active) {
  if (streaming_) return Fail(StreamingBusyError());
  return RunStatement(connection_, "DROP_REPLICATION_SLOT " + QuoteIdentifier(slot_name) + (wait_if_active ? " WAIT" : ""));
}

Result<PgRows, PgError> ReplicationConnection::Query(std::string_view sql) {
  if (streaming_) return Fail(StreamingBusyError());
  return RunQuery(connection_, sql);
}

Status<PgError> ReplicationConnection::Execute(std::string_view sql) {
  if (streaming_) return Fail(StreamingBusyError());
  return RunStatement(connection_, sql);
}

Result<CopyOutSummary, PgError> ReplicationConnection::CopyOut(std::string_view copy_sql,
                                                               const CopyChunkCallback& on_chunk) {
  if (streaming_) return Fail(StreamingBusyError());
  return RunCopyOut(connection_, copy_sql, on_chunk);
}

Status<PgError> ReplicationConnection::CheckWalLevel() {
  if (streaming_) return Fail(StreamingBusyError());
  return CheckWalLevelOn(connection_);
}

Status<PgError> ReplicationConnection::StartReplication(std::string_view slot_name, Lsn start,
                                                        const std::vector<std::string>& publications,
                                                        int proto_version, bool streaming, bool messages) {
  if (connection_ == nullptr) return Fail(ClosedError());
  if (streaming_) return Fail(StreamingBusyError());
  if (publications.empty()) return Fail(MakeError(Code::kQuery, "START_REPLICATION needs at least one publication"));
  if (stream_finished_) {
    // StartLogicalReplication never resets the walsender's end-of-streaming flags, so a second
    // stream on this connection would end the moment it began.
    return Fail(MakeError(Code::kProtocol,
                          "this replication connection already finished a stream and PostgreSQL cannot start "
                          "another one on it; open a new ReplicationConnection"));
  }
  const std::string command =
      StartReplicationCommand(slot_name, start, publications, proto_version, streaming, messages);
  ResultPtr result(PQexec(connection_, command.c_str()));
  if (!result) return Fail(ConnectionLevelError(connection_, Code::kConnection));
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) {
    return Fail(ErrorFromResult(result.get(), connection_, Code::kQuery));
  }
  streaming_ = true;
  return Done{};
}

namespace {
// The server ended COPY BOTH on its own: collect why, leaving the connection idle.
// `ended_cleanly` tells a CopyDone/CommandComplete ending from an error.
PgError StreamEndedError(PGconn* connection, bool& ended_cleanly) {
  ended_cleanly = false;
  auto finished = FinishCommand(connection, Clock::now() + std::chrono::seconds(30), Code::kQuery);
  if (!finished.ok()) return std::move(finished).error();
  if (auto server_error = std::move(*finished)) return std::move(*server_error);
  ended_cleanly = true;
  return MakeError(Code::kProtocol, "the server ended the replication stream");
}
}  // namespace

Result<std::optional<ReplicationFrame>, PgError> ReplicationConnection::Next(std::chrono::milliseconds timeout) {
  if (connection_ == nullptr) return Fail(ClosedError());
  if (!streaming_) return Fail(MakeError(Code::kProtocol, "Next() needs StartReplication() first"));
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    char* buffer = nullptr;
    int length = PQgetCopyData(connection_, &buffer, /*async=*/1);
    if (length > 0) {
      LibpqBuffer frame_bytes(buffer);
      auto frame = ParseReplicationFrame(std::string_view(frame_bytes.get(), static_cast<std::size_t>(length)));
      if (!frame.ok()) return Fail(MakeError(Code::kProtocol, std::move(frame).error()));
      return std::optional<ReplicationFrame>(std::move(*frame));
    }
    if (length == -1) {
      streaming_ = false;
      return Fail(StreamEndedError(connection_, stream_finished_));
    }
    if (length == -2) {
      streaming_ = false;
      return Fail(ConnectionLevelError(connection_, Code::kConnection));
    }
    MALLARD_ASSIGN_OR_RETURN(auto outcome, WaitForSocket(connection_, POLLIN, deadline));
    if (outcome == WaitOutcome::kTimedOut) return std::optional<ReplicationFrame>{};
    if (!PQconsumeInput(connection_)) {
      // An error the server sent just before closing is more useful than "connection closed".
      char* unused = nullptr;
      int last = PQgetCopyData(connection_, &unused, /*async=*/1);
      if (last > 0) PQfreemem(unused);
      streaming_ = false;
      if (last == -1) return Fail(StreamEndedError(connection_, stream_finished_));
      return Fail(ConnectionLevelError(connection_, Code::kConnection));
    }
  }
}

Status<PgError> ReplicationConnection::SendStatus(Lsn written, Lsn flushed, Lsn applied, bool reply_requested) {
  if (connection_ == nullptr) return Fail(ClosedError());
  if (!streaming_) return Fail(MakeError(Code::kProtocol, "SendStatus() needs StartReplication() first"));
  const std::string message = EncodeStandbyStatusUpdate(written, flushed, applied, PgTimestampNow(), reply_requested);
  if (PQputCopyData(connection_, message.data(), static_cast<int>(message.size())) != 1 || PQflush(connection_) != 0) {
    return Fail(ConnectionLevelError(connection_, Code::kConnection));
  }
  return Done{};
}

Status<PgError> ReplicationConnection::Stop(std::chrono::milliseconds timeout) {
  if (connection_ == nullptr) return Fail(ClosedError());
  if (!streaming_) return Done{};
  streaming_ = false;
  if (PQputCopyEnd(connection_, nullptr) != 1 || PQflush(connection_) != 0) {
    return Fail(ConnectionLevelError(connection_, Code::kConnection));
  }
  MALLARD_ASSIGN_OR_RETURN(auto server_error, FinishCommand(connection_, Clock::now() + timeout, Code::kQuery));
  if (server_error) return Fail(std::move(*server_error));
  stream_finished_ = true;
  return Done{};
}

}  // namespace mallard::cdc::pg

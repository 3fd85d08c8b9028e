#include "lake/postgres_catalog_store.hpp"

#include <libpq-fe.h>

#include "infra/libpq/pq_library.hpp"

namespace mallard::lake {
namespace {

std::string ConnectionMessage(PGconn* connection) {
  std::string message = connection ? PQerrorMessage(connection) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

}  // namespace

LakeResult<std::unique_ptr<PostgresCatalogStore>> PostgresCatalogStore::Open(const std::string& conninfo) {
  if (const std::string& error = libpq::LoadLibPq(); !error.empty()) {
    return LakeFail(LakeErrorCode::kCatalog, "cannot open the PostgreSQL DuckLake catalog: " + error);
  }
  PGconn* connection = PQconnectdb(conninfo.c_str());
  if (connection == nullptr || PQstatus(connection) != CONNECTION_OK) {
    std::string message = ConnectionMessage(connection);
    if (connection) PQfinish(connection);
    return LakeFail(LakeErrorCode::kCatalog, "cannot connect to the PostgreSQL DuckLake catalog: " + message);
  }
  // Quiet NOTICEs (e.g. "relation already exists, skipping") that would go to stderr.
  PQclear(PQexec(connection, "SET client_min_messages = warning"));
  return std::unique_ptr<PostgresCatalogStore>(new PostgresCatalogStore(connection, conninfo));
}

PostgresCatalogStore::~PostgresCatalogStore() {
  if (connection_) PQfinish(connection_);
}

LakeStatus PostgresCatalogStore::EnsureConnected() {
  if (PQstatus(connection_) == CONNECTION_OK) return Done{};
  if (in_transaction_) return LakeFail(LakeErrorCode::kCatalog, "lost the connection to the PostgreSQL catalog");
  PQreset(connection_);
  if (PQstatus(connection_) != CONNECTION_OK) {
    return LakeFail(LakeErrorCode::kCatalog, "cannot reconnect to the PostgreSQL catalog: " + ConnectionMessage(connection_));
  }
  PQclear(PQexec(connection_, "SET client_min_messages = warning"));
  return Done{};
}

LakeStatus PostgresCatalogStore::Execute(const std::string& sql) {
  MALLARD_RETURN_IF_ERROR(EnsureConnected());
  PGresult* result = PQexec(connection_, sql.c_str());
  auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string message = PQresultErrorMessage(result);
    PQclear(result);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return LakeFail(LakeErrorCode::kCatalog, message);
  }
  PQclear(result);
  if (sql.rfind("BEGIN", 0) == 0) in_transaction_ = true;
  if (sql == "COMMIT" || sql == "ROLLBACK") in_transaction_ = false;
  return Done{};
}

LakeResult<std::vector<CatalogRow>> PostgresCatalogStore::Query(const std::string& sql) {
  MALLARD_RETURN_IF_ERROR(EnsureConnected());
  PGresult* result = PQexec(connection_, sql.c_str());
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    std::string message = PQresultErrorMessage(result);
    PQclear(result);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return LakeFail(LakeErrorCode::kCatalog, message);
  }
  std::vector<CatalogRow> rows;
  int row_count = PQntuples(result), column_count = PQnfields(result);
  rows.reserve(row_count);
  for (int row = 0; row < row_count; ++row) {
    CatalogRow out;
    out.reserve(column_count);
    for (int column = 0; column < column_count; ++column) {
      if (PQgetisnull(result, row, column)) {
        out.emplace_back();
      } else {
        out.emplace_back(std::string(PQgetvalue(result, row, column), PQgetlength(result, row, column)));
      }
    }
    rows.push_back(std::move(out));
  }
  PQclear(result);
  return rows;
}

void PostgresCatalogStore::Rollback() {
  if (PQstatus(connection_) == CONNECTION_OK && PQtransactionStatus(connection_) != PQTRANS_IDLE) {
    PQclear(PQexec(connection_, "ROLLBACK"));
  }
  in_transaction_ = false;
}

}  // namespace mallard::lake

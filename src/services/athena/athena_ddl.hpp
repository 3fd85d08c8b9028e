#pragma once
// Athena's database DDL (Hive's grammar), read by hand so that it can be answered the way Athena
// answers it rather than the way DuckDB would:
//   CREATE {DATABASE|SCHEMA} [IF NOT EXISTS] name [COMMENT 'text'] [LOCATION 's3://…']
//          [WITH DBPROPERTIES ('key' = 'value' [, …])]
//   DROP {DATABASE|SCHEMA} [IF EXISTS] name [RESTRICT|CASCADE]
// Names may be `backtick-quoted` and are lower-cased, as Athena (Glue) stores them. An Athena
// database is a DuckDB schema, so the statement becomes CREATE/DROP SCHEMA — never an ATTACH, which
// the SQL engine's sandbox refuses anyway.
#include <optional>
#include <string>
#include <string_view>

namespace mallard::athena {

struct DatabaseDdl {
  bool create = true;         // CREATE, else DROP
  bool if_clause = false;     // IF NOT EXISTS (create) / IF EXISTS (drop)
  bool cascade = false;       // DROP … CASCADE
  std::string database;       // lower-cased
  std::string comment;        // COMMENT '…'
};

struct DatabaseDdlParse {
  // Set when the statement is database DDL that Athena accepts.
  std::optional<DatabaseDdl> ddl;
  // Set when the statement is CREATE/DROP DATABASE but malformed: the query fails with it.
  std::string error;
};

// Reads `sql`. Neither member is set when the statement is not CREATE/DROP DATABASE|SCHEMA in
// Athena's grammar (e.g. DuckDB's CREATE SCHEMA a.b, or several statements): for SCHEMA the engine
// then runs it as written, for DATABASE the error says what is wrong.
DatabaseDdlParse ParseDatabaseDdl(std::string_view sql);

// The DuckDB statement that carries the DDL out on schema `schema` (the engine's name).
std::string EngineStatement(const DatabaseDdl& ddl, const std::string& schema);

}  // namespace mallard::athena

#pragma once
// Athena's DDL over data in S3, read by hand on the dialect lexer (Hive's grammar for the table
// DDL, Trino's for CTAS/INSERT/UNLOAD): CREATE EXTERNAL TABLE, partitions (ALTER TABLE … ADD/DROP
// PARTITION, MSCK REPAIR TABLE), ALTER TABLE … SET TBLPROPERTIES/LOCATION, DROP TABLE, the SHOW
// and DESCRIBE statements, CREATE TABLE … WITH (…) AS SELECT, INSERT INTO and UNLOAD. Names may be
// `backtick-quoted` or "double-quoted" and are lower-cased, as Athena (Glue) stores them.
// The parser only reads; athena_external_tables.* decides what each statement does.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mallard::athena::external {

// A Hive column type: `string`, `decimal(10,2)`, `array<int>`, `map<string,bigint>`,
// `struct<a:int,b:array<string>>`.
struct HiveType {
  std::string name;                       // lower-case: string, int, bigint, decimal, array, map, struct, …
  std::vector<int> parameters;            // decimal(p[,s]), varchar(n), char(n)
  std::vector<HiveType> children;         // array: element; map: key, value; struct: fields
  std::vector<std::string> field_names;   // struct
};
// Hive's spelling, as SHOW CREATE TABLE and the catalog print it ("array<string>", "decimal(10,2)").
std::string HiveTypeText(const HiveType& type);
// Reads a Hive type from its text ("array<string>"); nullopt when it is not one.
std::optional<HiveType> ParseHiveType(std::string_view text);
// DuckDB's spelling of the same type ("VARCHAR[]", "DECIMAL(10,2)", "STRUCT(\"a\" INTEGER)").
std::string EngineTypeText(const HiveType& type);

struct ColumnSpec {
  std::string name;  // lower-cased
  HiveType type;
  std::string comment;
};

// Key/value lists in the order written (TBLPROPERTIES, SERDEPROPERTIES): a key written twice keeps
// its last value in its first place.
using Properties = std::vector<std::pair<std::string, std::string>>;
void SetProperty(Properties& properties, const std::string& key, const std::string& value);
const std::string* FindProperty(const Properties& properties, std::string_view key);

struct TableName {
  std::string database;  // "" = the query's database
  std::string name;
};

// Where the file format of a table comes from: STORED AS, or the serde and input format.
enum class StorageFormat { Parquet, TextFile, Json, Orc, Avro, Custom };

struct ExternalTableSpec {
  TableName table;
  bool if_not_exists = false;
  std::vector<ColumnSpec> columns;
  std::vector<ColumnSpec> partition_columns;
  std::string comment;
  StorageFormat format = StorageFormat::TextFile;
  std::string serde;             // serialization library (the default one of the format when not written)
  Properties serde_properties;   // incl. field.delim & co. from ROW FORMAT DELIMITED, as Hive records them
  std::string input_format;
  std::string output_format;
  std::string location;          // s3://…
  Properties table_properties;
};

// How the engine reads a table's files.
// Unsupported: a serde this server has no reader for (RegexSerDe, Grok, CloudTrail, Ion, …): the
// DDL is kept, a query over files fails with NOT_SUPPORTED naming it.
enum class ReadKind { Parquet, DelimitedText, OpenCsv, Json, Orc, Avro, Unsupported };
ReadKind ReadKindOf(const ExternalTableSpec& spec);

struct PartitionSpec {
  std::vector<std::pair<std::string, std::string>> values;  // key lower-cased, value as written
  std::string location;                                      // "" = under the table's location
};

// A `name = value` of a WITH (…) list (CTAS, UNLOAD): a string, a number, a boolean or ARRAY[…].
struct WithProperty {
  std::string name;  // lower-cased
  std::string value;
  std::vector<std::string> list;
  bool is_list = false;
};
using WithProperties = std::vector<WithProperty>;
const WithProperty* FindWith(const WithProperties& properties, std::string_view name);

struct CreateExternalTable { ExternalTableSpec spec; };
struct DropTable { TableName table; bool if_exists = false; };
struct AddPartitions { TableName table; bool if_not_exists = false; std::vector<PartitionSpec> partitions; };
struct DropPartitions { TableName table; bool if_exists = false; std::vector<PartitionSpec> partitions; };
struct SetTableProperties { TableName table; Properties properties; };
struct SetLocation { TableName table; std::string location; };
// ALTER TABLE … ADD COLUMNS (…) / REPLACE COLUMNS (…)
struct ChangeColumns { TableName table; std::vector<ColumnSpec> columns; bool replace = false; };
struct RepairTable { TableName table; };
struct ShowTables { std::string database; std::optional<std::string> pattern; };
struct ShowDatabases { std::optional<std::string> pattern; };
struct ShowColumns { TableName table; };
struct ShowPartitions { TableName table; };
struct ShowCreateTable { TableName table; };
struct ShowTableProperties { TableName table; };
struct DescribeTable { TableName table; bool formatted = false; };
struct CreateTableAs {
  TableName table;
  bool if_not_exists = false;
  WithProperties with;
  std::string query;  // the SELECT as written (offsets into the statement kept by `query_offset`)
  std::size_t query_offset = 0;
  bool with_data = true;  // WITH NO DATA: the table and no rows
};
struct InsertInto {
  TableName table;
  std::vector<std::string> columns;
  std::string query;  // SELECT … or VALUES …
  std::size_t query_offset = 0;
};
struct Unload {
  std::string query;
  std::size_t query_offset = 0;
  std::string location;
  WithProperties with;
};

using ExternalStatement =
    std::variant<CreateExternalTable, DropTable, AddPartitions, DropPartitions, SetTableProperties, SetLocation, ChangeColumns,
                 RepairTable, ShowTables, ShowDatabases, ShowColumns, ShowPartitions, ShowCreateTable,
                 ShowTableProperties, DescribeTable, CreateTableAs, InsertInto, Unload>;

struct ParseError {
  std::string message;   // "line 1:23: mismatched input 'x'. Expecting: …"
  std::size_t offset = 0;  // byte offset of the offending token (the end of the text when it ran out)
};

struct ExternalParse {
  std::optional<ExternalStatement> statement;
  std::optional<ParseError> error;
};

// Reads `sql`. Neither member is set when the statement is none of the above (a SELECT, DuckDB's
// own CREATE TABLE, …): it then goes to the translator and the engine as before. `error` is set
// when the statement starts as one of them (CREATE EXTERNAL TABLE, MSCK, UNLOAD, SHOW PARTITIONS…)
// but does not follow the grammar.
ExternalParse ParseExternalStatement(std::string_view sql);

}  // namespace mallard::athena::external

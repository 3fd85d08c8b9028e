// RedshiftEngineSetup: the hidden catalog `mallard_redshift` with the macros the Redshift function
// table names and the system relations clients probe first (svv_tables, svv_columns,
// svv_table_info, pg_table_def, stv_sessions, …), as table macros over the engine's own catalogue.
// The translator calls them with the session's user and search path, so they need no state.
//
// Table attributes Redshift DDL declares (DISTSTYLE, DISTKEY, SORTKEY, ENCODE, BACKUP, declared
// types such as varchar(100)) are kept by the translator as the table's comment, a JSON object
// under "redshift_attributes" (see redshift_ddl.cpp); the relations below read them from there.
#include "sqlengine/dialect/redshift_functions.hpp"

namespace mallard::sqlengine::dialect {

namespace {

// The engine's schema as Redshift names it.
constexpr const char* kSchemaName = "CASE schema_name WHEN 'main' THEN 'public' ELSE schema_name END";

// The attribute record a table's comment holds, or NULL.
constexpr const char* kAttributes =
    "CASE WHEN json_valid(comment) AND json_exists(comment, '$.redshift_attributes') "
    "THEN json_extract(comment, '$.redshift_attributes') END";

std::string Catalog(const std::string& name) { return std::string(kRedshiftCatalog) + ".main." + name; }

}  // namespace

const std::vector<std::string>& RedshiftEngineSetup() {
  static const std::vector<std::string> kSetup = [] {
  const std::string c = std::string(kRedshiftCatalog);
  std::vector<std::string> sql;
  sql.push_back("ATTACH IF NOT EXISTS ':memory:' AS " + c);
  auto macro = [&](const std::string& name, const std::string& body) {
    sql.push_back("CREATE OR REPLACE MACRO " + Catalog(name) + body);
  };
  // ---- scalar macros -------------------------------------------------------------------------
  // DATEDIFF(week): Monday-based week boundaries crossed (DuckDB counts whole weeks).
  macro("datediff_week", "(a, b) AS CAST((CAST(date_trunc('week', CAST(b AS TIMESTAMP)) AS DATE) - "
                         "CAST(date_trunc('week', CAST(a AS TIMESTAMP)) AS DATE)) // 7 AS BIGINT)");
  // ADD_MONTHS: a last day of a month stays the last day of the resulting month.
  macro("add_months",
        "(d, n) AS CASE WHEN CAST(d AS DATE) = last_day(CAST(d AS DATE)) "
        "THEN CAST(last_day(CAST(d AS TIMESTAMP) + to_months(CAST(n AS INTEGER))) AS TIMESTAMP) + "
        "(CAST(d AS TIMESTAMP) - CAST(CAST(d AS DATE) AS TIMESTAMP)) "
        "ELSE CAST(d AS TIMESTAMP) + to_months(CAST(n AS INTEGER)) END");
  // MONTHS_BETWEEN: whole months when the days of month match or both are month ends, otherwise
  // the day difference over a 31-day month.
  macro("months_between",
        "(a, b) AS CAST((year(CAST(a AS DATE)) - year(CAST(b AS DATE))) * 12 + month(CAST(a AS DATE)) - "
        "month(CAST(b AS DATE)) AS DOUBLE) + CASE WHEN day(CAST(a AS DATE)) = day(CAST(b AS DATE)) OR "
        "(CAST(a AS DATE) = last_day(CAST(a AS DATE)) AND CAST(b AS DATE) = last_day(CAST(b AS DATE))) THEN 0.0 "
        "ELSE (day(CAST(a AS DATE)) - day(CAST(b AS DATE))) / 31.0 END");
  // INITCAP: the first letter of each word upper-case, the rest lower-case; words are runs of
  // letters and digits.
  macro("initcap",
        "(s) AS array_to_string(list_transform(range(1, length(s) + 1), i -> CASE WHEN i = 1 OR NOT "
        "regexp_matches(substring(s, i - 1, 1), '[[:alnum:]]') THEN upper(substring(s, i, 1)) ELSE "
        "lower(substring(s, i, 1)) END), '')");
  // SUBSTRING as PostgreSQL counts a start before 1: characters before position 1 are counted
  // against the length (DuckDB counts a negative start from the end).
  macro("rs_substring",
        "(s, start, len) AS CASE WHEN len < 0 THEN error('negative substring length not allowed') "
        "WHEN start < 1 THEN substring(s, 1, greatest(len + start - 1, 0)) ELSE substring(s, start, len) END, "
        "(s, start) AS CASE WHEN start < 1 THEN substring(s, 1) ELSE substring(s, start) END");
  // REGEXP_INSTR: the text before the occurrence is the split pieces and matches before it.
  macro("rs_regexp_instr",
        "(s, p, pos, occ, opt, f) AS CASE WHEN s IS NULL OR p IS NULL THEN NULL "
        "WHEN len(regexp_extract_all(substring(s, pos), p, 0, f)) < occ THEN 0 "
        "ELSE pos + coalesce(list_sum(list_transform(string_split_regex(substring(s, pos), p, f)[1:occ], x -> length(x))), 0) "
        "+ coalesce(list_sum(list_transform(regexp_extract_all(substring(s, pos), p, 0, f)[1:occ - 1], x -> length(x))), 0) "
        "+ CASE WHEN opt = 1 THEN length(regexp_extract_all(substring(s, pos), p, 0, f)[occ]) ELSE 0 END END");
  // CRC32: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of the string's UTF-8 bytes, as
  // 8 lower-case hex digits; bit by bit, as DuckDB has no CRC function.
  macro("crc32",
        "(s) AS lower(printf('%08x', xor(list_reduce([4294967295::BIGINT] || list_transform(range(0, "
        "octet_length(encode(CAST(s AS VARCHAR)))), i -> ('0x' || substring(hex(encode(CAST(s AS VARCHAR))), 2 * i + 1, "
        "2))::BIGINT), (crc, byte) -> list_reduce([xor(crc, byte)] || [0::BIGINT, 0, 0, 0, 0, 0, 0, 0], (acc, x) -> "
        "xor(acc >> 1, CASE WHEN acc & 1 = 1 THEN 2197175160 ELSE 0 END))), 4294967295)))");
  // SIMILAR TO's pattern (SQL: % any run, _ one character, . ^ $ literal) as the RE2 pattern
  // DuckDB's SIMILAR TO matches against the whole text.
  macro("similar_to_regex",
        "(p) AS '(?s)' || replace(replace(replace(replace(replace(p, '.', '\\.'), '^', '\\^'), '$', '\\$'), "
        "'%', '.*'), '_', '.')");
  macro("quote_ident", "(s) AS '\"' || replace(s, '\"', '\"\"') || '\"'");
  macro("quote_literal", "(s) AS '''' || replace(CAST(s AS VARCHAR), '''', '''''') || ''''");
  macro("is_valid_json", "(s) AS coalesce(json_valid(s), false) AND json_type(s) IN ('OBJECT', 'ARRAY')");
  macro("is_valid_json_array", "(s) AS coalesce(json_valid(s), false) AND json_type(s) = 'ARRAY'");
  macro("json_serialize", "(j) AS CAST(j AS VARCHAR)");
  // A DuckDB type as Redshift's format_type() spells it.
  macro("type_name",
        "(t) AS CASE WHEN t = 'INTEGER' THEN 'integer' WHEN t = 'BIGINT' THEN 'bigint' WHEN t = 'SMALLINT' "
        "THEN 'smallint' WHEN t = 'TINYINT' THEN 'smallint' WHEN t = 'BOOLEAN' THEN 'boolean' WHEN t = 'DOUBLE' "
        "THEN 'double precision' WHEN t = 'FLOAT' THEN 'real' WHEN t = 'DATE' THEN 'date' WHEN t = 'TIMESTAMP' "
        "THEN 'timestamp without time zone' WHEN t = 'TIMESTAMP WITH TIME ZONE' THEN 'timestamp with time zone' "
        "WHEN t = 'TIME' THEN 'time without time zone' WHEN t = 'TIME WITH TIME ZONE' THEN 'time with time zone' "
        "WHEN t = 'VARCHAR' THEN 'character varying(256)' WHEN t = 'JSON' THEN 'super' WHEN t = 'BLOB' THEN "
        "'varbyte(64000)' WHEN t = 'HUGEINT' THEN 'numeric(38,0)' WHEN t = 'INTERVAL' THEN 'interval' "
        "WHEN t LIKE 'DECIMAL(%' THEN 'numeric' || substring(t, 8) WHEN t LIKE '%[]' OR t LIKE 'STRUCT%' OR "
        "t LIKE 'MAP%' THEN 'super' ELSE lower(t) END");
  // Redshift's default compression for a column it was not told about.
  macro("default_encoding",
        "(t, is_sortkey) AS CASE WHEN is_sortkey THEN 'none' WHEN t IN ('BOOLEAN', 'DOUBLE', 'FLOAT') THEN 'none' "
        "WHEN t IN ('VARCHAR', 'BLOB', 'JSON') THEN 'lzo' ELSE 'az64' END");

  // ---- system relations ----------------------------------------------------------------------
  const std::string schema = kSchemaName;
  const std::string attributes = kAttributes;
  // Tables and views of the engine's database, as Redshift names them. The server's own schemas
  // (`_mallard_redshift_system` behind stl_load_errors, `_mallard_athena`'s external-table
  // metadata) are hidden, as the catalogue APIs hide them.
  const std::string relations =
      "SELECT schema_name, table_name, table_oid, 'BASE TABLE' AS table_type, comment, estimated_size "
      "FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal AND NOT temporary "
      "AND NOT starts_with(schema_name, '_mallard_') "
      "UNION ALL SELECT schema_name, view_name, view_oid, CASE WHEN comment LIKE 'mallard-storage-table:%' "
      "THEN 'BASE TABLE' ELSE 'VIEW' END, comment, 0 FROM duckdb_views() WHERE database_name = current_database() "
      "AND NOT internal AND NOT temporary AND NOT starts_with(schema_name, '_mallard_')";
  // Mallard's own comments (a lake table's storage, an Athena external table's view) are no remarks.
  const std::string remarks = "CASE WHEN " + attributes + " IS NULL AND comment NOT LIKE 'mallard-storage-table:%' "
                              "AND comment <> 'mallard-external-table' THEN comment END";
  macro("svv_tables", "() AS TABLE SELECT 'dev' AS table_catalog, " + schema + " AS table_schema, table_name, table_type, " +
                          remarks + " AS remarks FROM (" + relations + ") ORDER BY 2, 3");
  macro("information_schema_tables",
        "() AS TABLE SELECT 'dev' AS table_catalog, " + schema + " AS table_schema, table_name, table_type, "
        "NULL::VARCHAR AS self_referencing_column_name, NULL::VARCHAR AS reference_generation, "
        "NULL::VARCHAR AS user_defined_type_catalog, NULL::VARCHAR AS user_defined_type_schema, "
        "NULL::VARCHAR AS user_defined_type_name, CASE table_type WHEN 'VIEW' THEN 'NO' ELSE 'YES' END AS is_insertable_into, "
        "'NO' AS is_typed, NULL::VARCHAR AS commit_action FROM (" + relations + ") ORDER BY 2, 3");
  // Columns with the type a CREATE TABLE declared (varchar(100)) when the translator recorded it.
  const std::string columns =
      "SELECT c.schema_name, c.table_name, c.column_name, c.column_index, c.column_default, c.is_nullable, c.data_type, "
      "c.numeric_precision, c.numeric_precision_radix, c.numeric_scale, c.comment AS column_comment, "
      "json_extract_string(t.comment, '$.redshift_attributes.types.' || to_json(c.column_name)::VARCHAR) AS declared_type, "
      "json_extract_string(t.comment, '$.redshift_attributes.encodings.' || to_json(c.column_name)::VARCHAR) AS declared_encoding, "
      "t.comment AS table_comment "
      "FROM duckdb_columns() c JOIN (" + relations + ") t ON t.schema_name = c.schema_name AND t.table_name = c.table_name "
      "WHERE c.database_name = current_database() AND NOT c.internal";
  const std::string redshift_type = "coalesce(declared_type, " + Catalog("type_name") + "(data_type))";
  macro("svv_columns",
        "() AS TABLE SELECT 'dev' AS table_catalog, " + schema + " AS table_schema, table_name, column_name, "
        "CAST(column_index AS INTEGER) AS ordinal_position, column_default, CASE WHEN is_nullable THEN 'YES' ELSE 'NO' END "
        "AS is_nullable, regexp_replace(" + redshift_type + ", '\\(.*\\)$', '') AS data_type, "
        "CASE WHEN data_type = 'VARCHAR' THEN coalesce(TRY_CAST(regexp_extract(" + redshift_type + ", '\\((\\d+)\\)', 1) AS INTEGER), 256) END "
        "AS character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale, "
        "CASE WHEN data_type LIKE 'TIMESTAMP%' OR data_type LIKE 'TIME%' THEN 6 END AS datetime_precision, "
        "NULL::VARCHAR AS interval_type, NULL::INTEGER AS interval_precision, NULL::VARCHAR AS character_set_catalog, "
        "NULL::VARCHAR AS character_set_schema, NULL::VARCHAR AS character_set_name, NULL::VARCHAR AS domain_name, "
        "column_comment AS remarks FROM (" + columns + ") ORDER BY 2, 3, 5");
  macro("information_schema_columns",
        "() AS TABLE SELECT table_catalog, table_schema, table_name, column_name, ordinal_position, column_default, "
        "is_nullable, data_type, character_maximum_length, numeric_precision, numeric_precision_radix, numeric_scale, "
        "datetime_precision FROM " + Catalog("svv_columns") + "()");
  macro("information_schema_schemata",
        "() AS TABLE SELECT 'dev' AS catalog_name, " + schema + " AS schema_name, 'rdsdb' AS schema_owner "
        "FROM duckdb_schemas() WHERE database_name = current_database() AND (NOT internal OR schema_name = 'main') "
        "AND NOT starts_with(schema_name, '_mallard_') ORDER BY 2");
  // pg_table_def: one row per column of the tables in the search path (`path`: engine schemas).
  // sortkey is the column's position in the sort key; an interleaved key alternates the sign.
  macro("pg_table_def",
        "(path) AS TABLE SELECT " + schema + " AS schemaname, table_name AS tablename, column_name AS \"column\", " +
            redshift_type + " AS type, coalesce(declared_encoding, " + Catalog("default_encoding") +
            "(data_type, coalesce(list_position(CAST(json_extract_string(table_comment, '$.redshift_attributes.sortkey') AS VARCHAR[]), "
            "column_name), 0) > 0)) AS encoding, coalesce(json_extract_string(table_comment, '$.redshift_attributes.distkey') = "
            "column_name, false) AS distkey, CAST(coalesce(list_position(CAST(json_extract_string(table_comment, "
            "'$.redshift_attributes.sortkey') AS VARCHAR[]), column_name), 0) * CASE WHEN json_extract_string(table_comment, "
            "'$.redshift_attributes.sortkey_style') = 'INTERLEAVED' AND coalesce(list_position(CAST(json_extract_string("
            "table_comment, '$.redshift_attributes.sortkey') AS VARCHAR[]), column_name), 0) % 2 = 0 THEN -1 ELSE 1 END "
            "AS INTEGER) AS sortkey, NOT is_nullable "
            "AS notnull FROM (" + columns + ") WHERE list_contains(path, schema_name) ORDER BY list_position(path, schema_name), "
            "table_name, column_index");
  macro("svv_table_info",
        "() AS TABLE SELECT 'dev' AS database, " + schema + " AS schema, CAST(table_oid AS BIGINT) AS table_id, "
        "table_name AS \"table\", CASE WHEN json_exists(" + attributes + ", '$.encodings') THEN 'Y' ELSE 'N' END AS encoded, "
        "coalesce(json_extract_string(" + attributes + ", '$.diststyle_text'), 'AUTO(EVEN)') AS diststyle, "
        "json_extract_string(" + attributes + ", '$.sortkey[0]') AS sortkey1, CAST(coalesce(json_extract_string(" +
            attributes + ", '$.max_varchar'), '0') AS INTEGER) AS max_varchar, "
        "CASE WHEN json_extract_string(" + attributes + ", '$.sortkey[0]') IS NULL THEN NULL ELSE 'none' END AS sortkey1_enc, "
        "CAST(coalesce(json_array_length(" + attributes + ", '$.sortkey'), 0) AS INTEGER) AS sortkey_num, "
        "CAST(greatest(1, estimated_size // 100000) AS BIGINT) AS size, 0.0::DECIMAL(10,4) AS pct_used, 0 AS empty, "
        "CASE WHEN json_extract_string(" + attributes + ", '$.sortkey[0]') IS NULL THEN NULL ELSE 0.0 END AS unsorted, "
        "0.0 AS stats_off, CAST(estimated_size AS BIGINT) AS tbl_rows, NULL::DECIMAL(19,2) AS skew_sortkey1, "
        "NULL::DECIMAL(19,2) AS skew_rows, CAST(estimated_size AS BIGINT) AS estimated_visible_rows, NULL::VARCHAR AS risk_event, "
        "NULL::VARCHAR AS vacuum_sort_benefit, NULL::TIMESTAMP AS create_time "
        "FROM (" + relations + ") WHERE table_type = 'BASE TABLE' ORDER BY 2, 4");
  macro("svv_external_schemas",
        "() AS TABLE SELECT NULL::INTEGER AS esoid, NULL::SMALLINT AS eskind, NULL::VARCHAR AS schemaname, "
        "NULL::INTEGER AS esowner, NULL::VARCHAR AS databasename, NULL::VARCHAR AS esoptions WHERE false");
  macro("pg_namespace",
        "() AS TABLE SELECT oid, CASE nspname WHEN 'main' THEN 'public' ELSE nspname END AS nspname, nspowner, nspacl "
        "FROM pg_catalog.pg_namespace WHERE NOT starts_with(nspname, '_mallard_')");
  // The session a statement runs in is the only one: each Data API statement has its own.
  macro("stv_sessions",
        "(user_name, pid) AS TABLE SELECT CAST(timezone('UTC', current_timestamp) AS TIMESTAMP) AS starttime, "
        "CAST(pid AS INTEGER) AS process, CAST(user_name AS VARCHAR) AS user_name, 'dev' AS db_name, 0 AS timeout_sec");
  macro("stv_recents",
        "(user_name, pid) AS TABLE SELECT 100 AS userid, 'Running' AS status, CAST(timezone('UTC', current_timestamp) "
        "AS TIMESTAMP) AS starttime, 0 AS duration, CAST(user_name AS VARCHAR) AS user_name, 'dev' AS db_name, "
        "current_query() AS query, CAST(pid AS INTEGER) AS pid");
  macro("stl_query",
        "(user_name, pid) AS TABLE SELECT 100 AS userid, CAST(pid AS INTEGER) AS query, 'default' AS label, "
        "CAST(txid_current() AS BIGINT) AS xid, CAST(pid AS INTEGER) AS pid, 'dev' AS database, current_query() AS querytxt, "
        "CAST(timezone('UTC', current_timestamp) AS TIMESTAMP) AS starttime, CAST(timezone('UTC', current_timestamp) AS "
        "TIMESTAMP) AS endtime, 0 AS aborted, 0 AS insert_pristine, 0 AS concurrency_scaling_status");
  return sql;
  }();
  return kSetup;
}

}  // namespace mallard::sqlengine::dialect

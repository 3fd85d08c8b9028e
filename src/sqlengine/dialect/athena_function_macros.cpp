// The engine set-up for Athena's functions: the macros TranslateAthenaCall calls where DuckDB has
// no builtin with Trino's semantics. They live in the in-memory catalog `mallard_dialect`, schema
// `athena` (not the engine's current database: no catalogue listing shows them, Reset does not drop
// them, and Redshift's schema beside it cannot clash). Each macro has the Trino function's name,
// so an engine error about its arguments still names the user's function. `$shim.` in a body stands
// for the schema prefix (a macro calling another shim).
#include <string>
#include <string_view>
#include <vector>

#include "sqlengine/dialect/athena_functions.hpp"

namespace mallard::sqlengine::dialect {

namespace {

// Java's Character.isWhitespace, which Trino's trim/ltrim/rtrim remove (DuckDB's remove spaces only).
constexpr std::string_view kJavaWhitespace =
    R"([\t\n\x{0B}\f\r\x{1C}-\x{1F} \x{1680}\x{2000}-\x{2006}\x{2008}-\x{200A}\x{2028}\x{2029}\x{205F}\x{3000}])";

// RFC 3986's URI regular expression: 1 scheme:, 2 scheme, 3 //authority, 4 authority, 5 path,
// 6 ?query, 7 query, 8 #fragment, 9 fragment.
constexpr std::string_view kUriPattern = R"(^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?)";
// Characters java.net.URI refuses (Trino's url_extract_* answer NULL for such a URL), and a '%'
// not followed by two hex digits.
constexpr std::string_view kInvalidUri = R"([\x00-\x20"<>\\^`{|}\x7F]|%([^0-9A-Fa-f]|.[^0-9A-Fa-f]|.?$))";

struct Macro {
  std::string_view name;
  std::string body;  // everything after the name: "(params) AS expr[, (params) AS expr…]"
};

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  std::size_t at = 0;
  while ((at = text.find(from, at)) != std::string::npos) {
    text.replace(at, from.size(), to);
    at += to.size();
  }
  return text;
}

std::string Quoted(std::string_view text) { return "'" + Replace(std::string(text), "'", "''") + "'"; }

std::vector<Macro> Macros() {
  const std::string ws = Quoted(std::string("^") + std::string(kJavaWhitespace) + "+|" + std::string(kJavaWhitespace) + "+$");
  const std::string ws_left = Quoted(std::string("^") + std::string(kJavaWhitespace) + "+");
  const std::string ws_right = Quoted(std::string(kJavaWhitespace) + "+$");
  const std::string uri = Quoted(kUriPattern);
  const std::string bad_uri = Quoted(kInvalidUri);
  const std::string date_units = "('day', 'week', 'month', 'quarter', 'year')";
  const std::string time_units = "('millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year')";
  auto not_field = [](std::string_view type) {
    return "error('''' || u || ''' is not a valid " + std::string(type) + " field')";
  };
  auto add_interval = [](std::string_view x) {
    std::string v = "CAST(v AS BIGINT)";
    return "CASE lower(u) WHEN 'millisecond' THEN " + std::string(x) + " + to_milliseconds(" + v + ") WHEN 'second' THEN " +
           std::string(x) + " + to_seconds(" + v + ") WHEN 'minute' THEN " + std::string(x) + " + to_minutes(" + v +
           ") WHEN 'hour' THEN " + std::string(x) + " + to_hours(" + v + ") WHEN 'day' THEN " + std::string(x) +
           " + to_days(CAST(v AS INTEGER)) WHEN 'week' THEN " + std::string(x) + " + to_days(CAST(v * 7 AS INTEGER)) WHEN 'month' THEN " +
           std::string(x) + " + to_months(CAST(v AS INTEGER)) WHEN 'quarter' THEN " + std::string(x) +
           " + to_months(CAST(v * 3 AS INTEGER)) WHEN 'year' THEN " + std::string(x) + " + to_years(CAST(v AS INTEGER)) END";
  };
  auto url_part = [&](std::string_view present_group, std::string_view value_group) {
    return "(u) AS CASE WHEN regexp_matches(u, " + bad_uri + ") THEN NULL WHEN regexp_extract(u, " + uri + ", " +
           std::string(present_group) + ") = '' THEN NULL ELSE regexp_extract(u, " + uri + ", " + std::string(value_group) +
           ") END";
  };
  // The host part of the authority: after any user info, before any port; an IPv6 literal keeps its brackets.
  const std::string authority = "regexp_extract(u, " + uri + ", 4)";
  const std::string host = "regexp_extract(" + authority + ", '^(?:[^@]*@)?(\\[[^\\]]*\\]|[^:]*)', 1)";
  const std::string port = "regexp_extract(" + authority + ", '^(?:[^@]*@)?(?:\\[[^\\]]*\\]|[^:]*):([0-9]+)$', 1)";

  return {
      // ---- date and time ------------------------------------------------------------------
      {"date_trunc",
       "(u, x DATE) AS CASE WHEN lower(u) IN " + date_units + " THEN CAST(date_trunc(lower(u), x) AS DATE) ELSE " +
           not_field("DATE") + " END, (u, x TIMESTAMP) AS CASE WHEN lower(u) IN " + time_units +
           " THEN CAST(date_trunc(lower(u), x) AS TIMESTAMP) ELSE " + not_field("TIMESTAMP") +
           " END, (u, x TIMESTAMPTZ) AS CASE WHEN lower(u) IN " + time_units +
           " THEN CAST(date_trunc(lower(u), x) AS TIMESTAMPTZ) ELSE " + not_field("TIMESTAMP") + " END"},
      {"date_add",
       "(u, v, x DATE) AS CASE WHEN lower(u) IN " + date_units + " THEN CAST(" + add_interval("x") + " AS DATE) ELSE " +
           not_field("DATE") + " END, (u, v, x TIMESTAMP) AS CASE WHEN lower(u) IN " + time_units + " THEN " +
           add_interval("x") + " ELSE " + not_field("TIMESTAMP") + " END, (u, v, x TIMESTAMPTZ) AS CASE WHEN lower(u) IN " +
           time_units + " THEN " + add_interval("x") + " ELSE " + not_field("TIMESTAMP") + " END"},
      {"date_diff",
       "(u, a DATE, b DATE) AS CASE WHEN lower(u) IN " + date_units + " THEN datesub(lower(u), a, b) ELSE " +
           not_field("DATE") + " END, (u, a TIMESTAMP, b TIMESTAMP) AS CASE WHEN lower(u) IN " + time_units +
           " THEN datesub(lower(u), a, b) ELSE " + not_field("TIMESTAMP") +
           " END, (u, a TIMESTAMPTZ, b TIMESTAMPTZ) AS CASE WHEN lower(u) IN " + time_units +
           " THEN datesub(lower(u), a, b) ELSE " + not_field("TIMESTAMP") + " END"},
      // Athena's session zone is UTC and DuckDB's TIMESTAMPTZ keeps no zone: a value with another
      // offset would come back shown in UTC, so it is refused rather than answered nearly.
      {"from_iso8601_timestamp",
       "(s) AS CASE WHEN regexp_matches(s, 'T[0-9:.,]*[+-][0-9]{2}(:?[0-9]{2})?$') AND NOT "
       "regexp_matches(s, 'T[0-9:.,]*[+-]00(:?00)?$') THEN error('from_iso8601_timestamp: a time zone offset other "
       "than UTC (Z, +00:00) is not supported here: ' || s) ELSE date_trunc('millisecond', CAST(s AS TIMESTAMPTZ)) END"},
      {"from_iso8601_date",
       "(s) AS CASE WHEN regexp_matches(s, '^[0-9]{4}-W[0-9]{2}(-[1-7])?$') THEN make_date(CAST(substr(s, 1, 4) AS "
       "INTEGER), 1, 4) + CAST((CAST(substr(s, 7, 2) AS INTEGER) - 1) * 7 + coalesce(CAST(nullif(substr(s, 10, 1), '') "
       "AS INTEGER), 1) - isodow(make_date(CAST(substr(s, 1, 4) AS INTEGER), 1, 4)) AS INTEGER) "
       "WHEN regexp_matches(s, '^[0-9]{4}-[0-9]{3}$') THEN make_date(CAST(substr(s, 1, 4) AS INTEGER), 1, 1) + "
       "(CAST(substr(s, 6, 3) AS INTEGER) - 1) WHEN regexp_matches(s, '^[0-9]{4}$') THEN make_date(CAST(s AS "
       "INTEGER), 1, 1) WHEN regexp_matches(s, '^[0-9]{4}-[0-9]{2}$') THEN make_date(CAST(substr(s, 1, 4) AS "
       "INTEGER), CAST(substr(s, 6, 2) AS INTEGER), 1) ELSE CAST(s AS DATE) END"},
      {"to_iso8601",
       "(x DATE) AS strftime(x, '%Y-%m-%d'), (x TIMESTAMP) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%g'), (x TIMESTAMPTZ) AS "
       "strftime(x, '%Y-%m-%dT%H:%M:%S.%gZ')"},
      // Trino rounds the seconds to milliseconds half up (Math.round).
      {"from_unixtime", "(x) AS CAST(epoch_ms(CAST(floor(x * 1000 + 0.5) AS BIGINT)) AS TIMESTAMPTZ)"},
      {"last_day_of_month", "(x) AS CAST(last_day(x) AS DATE)"},
      // ---- strings ------------------------------------------------------------------------
      {"trim", "(s) AS regexp_replace(s, " + ws + ", '', 'g'), (s, c) AS trim(s, c)"},
      {"ltrim", "(s) AS regexp_replace(s, " + ws_left + ", ''), (s, c) AS ltrim(s, c)"},
      {"rtrim", "(s) AS regexp_replace(s, " + ws_right + ", ''), (s, c) AS rtrim(s, c)"},
      {"substr",
       "(s, p) AS CASE WHEN s IS NULL OR p IS NULL THEN NULL WHEN p = 0 OR (p < 0 AND -p > length(s)) THEN '' ELSE "
       "substring(s, p) END, (s, p, n) AS CASE WHEN s IS NULL OR p IS NULL OR n IS NULL THEN NULL WHEN p = 0 OR n <= 0 "
       "OR (p < 0 AND -p > length(s)) THEN '' ELSE substring(s, p, n) END"},
      // An empty search string matches before every character and at the end.
      {"replace",
       "(s, f) AS replace(s, f, ''), (s, f, r) AS CASE WHEN f = '' THEN r || array_to_string(list_transform("
       "string_split(s, ''), mallard_c -> mallard_c || r), '') ELSE replace(s, f, r) END"},
      {"split",
       "(s, d) AS string_split(s, d), (s, d, n) AS CASE WHEN n <= 0 THEN error('Limit must be positive') WHEN "
       "len(string_split(s, d)) <= n THEN string_split(s, d) ELSE list_append(list_slice(string_split(s, d), 1, n - 1), "
       "list_reduce(list_slice(string_split(s, d), n, len(string_split(s, d))), (mallard_a, mallard_b) -> mallard_a || d "
       "|| mallard_b)) END"},
      {"split_part",
       "(s, d, i) AS CASE WHEN i <= 0 THEN error('Index must be greater than zero') WHEN i > len(string_split(s, d)) "
       "THEN NULL ELSE split_part(s, d, i) END"},
      {"concat_ws",
       "(sep VARCHAR, x VARCHAR) AS concat_ws(sep, x), (sep VARCHAR, x VARCHAR[]) AS CASE WHEN sep IS NULL OR x IS NULL "
       "THEN NULL WHEN len(list_filter(x, mallard_e -> mallard_e IS NOT NULL)) = 0 THEN '' ELSE list_reduce(list_filter("
       "x, mallard_e -> mallard_e IS NOT NULL), (mallard_a, mallard_b) -> mallard_a || sep || mallard_b) END"},
      {"url_extract_protocol", url_part("1", "2")},
      {"url_extract_path",
       "(u) AS CASE WHEN regexp_matches(u, " + bad_uri + ") THEN NULL ELSE regexp_extract(u, " + uri + ", 5) END"},
      {"url_extract_query", url_part("6", "7")},
      {"url_extract_fragment", url_part("8", "9")},
      {"url_extract_host",
       "(u) AS CASE WHEN regexp_matches(u, " + bad_uri + ") OR regexp_extract(u, " + uri + ", 3) = '' THEN NULL ELSE "
       "nullif(" + host + ", '') END"},
      {"url_extract_port",
       "(u) AS CASE WHEN regexp_matches(u, " + bad_uri + ") OR regexp_extract(u, " + uri + ", 3) = '' THEN NULL ELSE "
       "CAST(nullif(" + port + ", '') AS BIGINT) END"},
      {"url_extract_parameter",
       "(u, name) AS list_transform(list_filter(string_split($shim.url_extract_query(u), '&'), mallard_p -> "
       "split_part(mallard_p, '=', 1) = name), mallard_p -> CASE WHEN strpos(mallard_p, '=') > 0 THEN "
       "substr(mallard_p, strpos(mallard_p, '=') + 1) ELSE '' END)[1]"},
      // Java's URLEncoder: space as '+', '*' kept, '~' escaped.
      {"url_encode", "(s) AS replace(replace(replace(url_encode(s), '%20', '+'), '%2A', '*'), '~', '%7E')"},
      {"url_decode", "(s) AS url_decode(replace(s, '+', ' '))"},
      // DuckDB's levenshtein counts bytes; Trino's counts code points: the same on ASCII only.
      {"levenshtein_distance",
       "(a, b) AS CASE WHEN regexp_matches(a || b, '[^\\x00-\\x7F]') THEN error('levenshtein_distance: text "
       "beyond ASCII is not supported here') ELSE levenshtein(a, b) END"},
      // An entry delimiter may end the text; each entry holds the key-value delimiter exactly once.
      {"split_to_map",
       "(s, ed, kd) AS map_from_entries(list_transform(list_filter(string_split(s, ed), (mallard_e, mallard_i) -> NOT "
       "(mallard_e = '' AND mallard_i = len(string_split(s, ed)))), mallard_e -> CASE WHEN len(string_split(mallard_e, "
       "kd)) <> 2 THEN error('Key-value delimiter must appear exactly once in each entry. Bad input: ''' || mallard_e "
       "|| '''') ELSE {'key': split_part(mallard_e, kd, 1), 'value': split_part(mallard_e, kd, 2)} END))"},
      {"timezone_hour", "(x TIMESTAMPTZ) AS CASE WHEN x IS NULL THEN NULL ELSE CAST(0 AS BIGINT) END"},
      {"timezone_minute", "(x TIMESTAMPTZ) AS CASE WHEN x IS NULL THEN NULL ELSE CAST(0 AS BIGINT) END"},
      {"regexp_position",
       "(s, p) AS CASE WHEN s IS NULL OR p IS NULL THEN NULL WHEN regexp_matches(s, p) THEN "
       "length(regexp_split_to_array(s, p)[1]) + 1 ELSE -1 END"},
      // ---- arrays and maps ----------------------------------------------------------------
      {"cardinality",
       "(x) AS CASE WHEN x IS NULL THEN NULL WHEN json_type(to_json(x)) = 'ARRAY' THEN json_array_length(to_json(x)) "
       "ELSE len(json_keys(to_json(x))) END"},
      {"contains",
       "(a, x) AS CASE WHEN a IS NULL OR x IS NULL THEN NULL WHEN list_contains(a, x) THEN true WHEN list_count(a) < "
       "len(a) THEN NULL ELSE false END"},
      {"array_distinct",
       "(a) AS list_filter(a, (mallard_e, mallard_i) -> list_position(a, mallard_e) = mallard_i)"},
      // The set functions keep first occurrences in order (x's elements, then y's) and treat NULL
      // as one value, as Trino's typed sets do.
      {"array_union", "(x, y) AS $shim.array_distinct(list_concat(x, y))"},
      {"array_intersect",
       "(x, y) AS $shim.array_distinct(list_filter(x, mallard_e -> list_position(y, mallard_e) IS NOT NULL))"},
      {"array_except",
       "(x, y) AS $shim.array_distinct(list_filter(x, mallard_e -> list_position(y, mallard_e) IS NULL))"},
      // True on a common non-NULL element; NULL when there is none but either array holds a NULL.
      {"arrays_overlap",
       "(x, y) AS CASE WHEN x IS NULL OR y IS NULL THEN NULL WHEN len(list_filter(x, mallard_e -> mallard_e IS NOT "
       "NULL AND list_contains(y, mallard_e))) > 0 THEN true WHEN list_count(x) < len(x) OR list_count(y) < len(y) "
       "THEN NULL ELSE false END"},
      {"trim_array",
       "(x, n) AS CASE WHEN n < 0 OR n > len(x) THEN error('size must not be negative or greater than the array "
       "cardinality') ELSE list_slice(x, 1, len(x) - n) END"},
      {"array_max", "(a) AS CASE WHEN list_count(a) < len(a) THEN NULL ELSE list_max(a) END"},
      {"array_min", "(a) AS CASE WHEN list_count(a) < len(a) THEN NULL ELSE list_min(a) END"},
      {"array_position",
       "(a, x) AS CASE WHEN a IS NULL OR x IS NULL THEN NULL ELSE coalesce(list_position(a, x), 0) END"},
      {"array_remove",
       "(a, x) AS CASE WHEN x IS NULL THEN NULL ELSE list_filter(a, mallard_e -> mallard_e IS NULL OR mallard_e <> x) "
       "END"},
      // Trino's repeat builds an array (DuckDB's repeat repeats a string): count from 0 to 10,000.
      {"repeat",
       "(x, n) AS CASE WHEN n < 0 THEN error('count argument of repeat function must be greater than or equal to 0') "
       "WHEN n > 10000 THEN error('count argument of repeat function must be less than or equal to 10000') ELSE "
       "repeat([x], CAST(n AS BIGINT)) END"},
      {"slice",
       "(a, p, n) AS CASE WHEN p = 0 THEN error('SQL array indices start at 1') WHEN n < 0 THEN error('length must be "
       "greater than or equal to 0') WHEN p > 0 THEN list_slice(a, p, p + n - 1) WHEN len(a) + p < 0 THEN "
       "list_slice(a, 1, 0) ELSE list_slice(a, len(a) + p + 1, len(a) + p + n) END"},
      {"sequence",
       "(s BIGINT, e BIGINT) AS CASE WHEN abs(e - s) >= 10000 THEN error('result of sequence function must not have "
       "more than 10000 entries') ELSE generate_series(s, e, CASE WHEN s <= e THEN 1 ELSE -1 END) END, "
       "(s DATE, e DATE) AS CASE WHEN abs(e - s) >= 10000 THEN error('result of sequence function must not have more "
       "than 10000 entries') ELSE list_transform(generate_series(CAST(s AS TIMESTAMP), CAST(e AS TIMESTAMP), CASE WHEN "
       "s <= e THEN INTERVAL '1 day' ELSE INTERVAL '-1 day' END), mallard_d -> CAST(mallard_d AS DATE)) END, "
       "(s BIGINT, e BIGINT, st BIGINT) AS CASE WHEN st = 0 THEN error('step must not be zero') WHEN (st > 0 AND s > e) "
       "OR (st < 0 AND s < e) THEN error('sequence stop value should be greater than or equal to start value if step "
       "is greater than zero otherwise stop should be less than or equal to start') WHEN (e - s) // st >= 10000 THEN "
       "error('result of sequence function must not have more than 10000 entries') ELSE generate_series(s, e, st) END"},
      // map_agg/multimap_agg over the list of a group's {key, value} pairs (DuckDB has no map
      // aggregate): rows with a NULL key are skipped, a repeated key keeps its first value (map_agg)
      // or gathers them all (multimap_agg), a group with no key is NULL. Named like Trino's, so a
      // FILTER or OVER written after the call fails naming map_agg.
      {"map_agg",
       "(l) AS CASE WHEN len(list_filter(l, mallard_e -> mallard_e.key IS NOT NULL)) = 0 THEN NULL ELSE "
       "map_from_entries(list_filter(list_filter(l, mallard_e -> mallard_e.key IS NOT NULL), (mallard_e, mallard_i) -> "
       "list_position(list_transform(list_filter(l, mallard_x -> mallard_x.key IS NOT NULL), mallard_x -> "
       "mallard_x.key), mallard_e.key) = mallard_i)) END"},
      {"multimap_agg",
       "(l) AS CASE WHEN len(list_filter(l, mallard_e -> mallard_e.key IS NOT NULL)) = 0 THEN NULL ELSE "
       "map_from_entries(list_transform($shim.array_distinct(list_transform(list_filter(l, mallard_e -> mallard_e.key "
       "IS NOT NULL), mallard_e -> mallard_e.key)), mallard_k -> {'key': mallard_k, 'value': list_transform("
       "list_filter(l, mallard_e -> mallard_e.key = mallard_k), mallard_e -> mallard_e.value)})) END"},
      // ---- JSON (Trino answers NULL for text that is not JSON) --------------------------------
      {"json_extract", "(j, p) AS CASE WHEN json_valid(j) THEN json_extract(j, p) END"},
      {"json_extract_scalar",
       "(j, p) AS CASE WHEN NOT json_valid(j) THEN NULL WHEN json_type(j, p) IN ('OBJECT', 'ARRAY') THEN NULL ELSE "
       "json_extract_string(j, p) END"},
      {"json_array_length",
       "(j) AS CASE WHEN json_valid(j) AND json_type(j) = 'ARRAY' THEN json_array_length(j) END"},
      // Trino's (documented as broken) json_array_get answers a string element without its quotes.
      {"json_array_get",
       "(j, i) AS CASE WHEN NOT json_valid(j) OR json_type(j) <> 'ARRAY' THEN NULL WHEN json_type(j, $shim.json_index(i)) "
       "= 'VARCHAR' THEN json_extract_string(j, $shim.json_index(i)) ELSE CAST(json_extract(j, $shim.json_index(i)) AS "
       "VARCHAR) END"},
      {"json_index", "(i) AS CASE WHEN i >= 0 THEN '$[' || i || ']' ELSE '$[#' || i || ']' END"},
      {"json_size",
       "(j, p) AS CASE WHEN NOT json_valid(j) THEN NULL WHEN json_type(j, p) = 'ARRAY' THEN json_array_length(j, p) "
       "WHEN json_type(j, p) = 'OBJECT' THEN len(json_keys(j, p)) WHEN json_type(j, p) IS NULL THEN NULL ELSE 0 END"},
      {"json_array_contains",
       "(j, v BOOLEAN) AS CASE WHEN NOT json_valid(j) OR json_type(j) <> 'ARRAY' THEN NULL ELSE list_contains("
       "list_transform(list_filter(json_extract(j, '$[*]'), mallard_e -> json_type(mallard_e) = 'BOOLEAN'), mallard_e "
       "-> CAST(mallard_e AS BOOLEAN)), v) END, "
       "(j, v BIGINT) AS CASE WHEN NOT json_valid(j) OR json_type(j) <> 'ARRAY' THEN NULL ELSE list_contains("
       "list_transform(list_filter(json_extract(j, '$[*]'), mallard_e -> json_type(mallard_e) IN ('BIGINT', "
       "'UBIGINT')), mallard_e -> TRY_CAST(mallard_e AS BIGINT)), v) END, "
       "(j, v DOUBLE) AS CASE WHEN NOT json_valid(j) OR json_type(j) <> 'ARRAY' THEN NULL ELSE list_contains("
       "list_transform(list_filter(json_extract(j, '$[*]'), mallard_e -> json_type(mallard_e) IN ('BIGINT', "
       "'UBIGINT', 'DOUBLE')), mallard_e -> CAST(mallard_e AS DOUBLE)), v) END, "
       "(j, v VARCHAR) AS CASE WHEN NOT json_valid(j) OR json_type(j) <> 'ARRAY' THEN NULL ELSE list_contains("
       "list_transform(list_filter(json_extract(j, '$[*]'), mallard_e -> json_type(mallard_e) = 'VARCHAR'), mallard_e "
       "-> json_extract_string(mallard_e, '$')), v) END"},
      // ---- math -----------------------------------------------------------------------------
      // round(x, d) and truncate(x, d) keep a decimal's scale (2.45 → 2.50); DuckDB narrows it. Adding
      // x - x widens the result back without changing its value (not for infinities and NaN).
      {"round", "(x, d) AS CASE WHEN isinf(x) OR isnan(x) THEN round(x, d) ELSE round(x, d) + (x - x) END"},
      {"truncate", "(x, d) AS CASE WHEN isinf(x) OR isnan(x) THEN trunc(x, d) ELSE trunc(x, d) + (x - x) END"},
      // length of varbinary counts bytes.
      {"length", "(x VARCHAR) AS length(x), (x BLOB) AS octet_length(x)"},
      // Trino's sign keeps the argument's type (a decimal's with scale 0) and gives NaN for NaN;
      // DuckDB's answers TINYINT, 0 for NaN. Adding trunc(greatest(-abs(x), 0)) — zero of that
      // type, NaN for NaN (NaN sorts above every number), 0 for the infinities — does both.
      {"sign", "(x) AS sign(x) + trunc(greatest(-abs(x), 0))"},
  };
}

}  // namespace

const std::vector<std::string>& AthenaEngineSetup() {
  static const std::vector<std::string> statements = [] {
    std::vector<std::string> sql;
    // Athena runs every query in UTC; DuckDB would otherwise take the host's zone for TIMESTAMPTZ.
    sql.push_back("SET GLOBAL TimeZone = 'UTC'");
    sql.push_back("ATTACH IF NOT EXISTS ':memory:' AS " + std::string(kDialectCatalog));
    sql.push_back("CREATE SCHEMA IF NOT EXISTS " + std::string(kDialectCatalog) + ".athena");
    for (const auto& macro : Macros()) {
      sql.push_back("CREATE OR REPLACE MACRO " + std::string(kAthenaShimPrefix) + std::string(macro.name) +
                    Replace(macro.body, "$shim.", std::string(kAthenaShimPrefix)));
    }
    return sql;
  }();
  return statements;
}

}  // namespace mallard::sqlengine::dialect

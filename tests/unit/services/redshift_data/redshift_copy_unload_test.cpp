// Redshift COPY/UNLOAD: the parser against statements built from random option sets (the set is the
// reference), seeded random mutations of valid statements (never a crash; parsed, or an error
// with a position inside the text), Redshift's messages, and S3 prefix listing against a brute
// force over a random file tree. MALLARD_COPY_UNLOAD_SEED=n replays the random tests.
#include "services/redshift_data/redshift_copy_unload.hpp"
#include "services/redshift_data/redshift_copy_unload_internal.hpp"
#include "services/redshift_data/redshift_copy_unload_parse.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

namespace mallard::redshift_data {
namespace {

std::uint64_t Seed() {
  const char* text = std::getenv("MALLARD_COPY_UNLOAD_SEED");
  return text != nullptr ? std::strtoull(text, nullptr, 10) : 20261206;
}

std::size_t Characters(std::string_view text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

TEST(RedshiftCopyUnloadParse, ClassifiesByTheFirstWord) {
  EXPECT_EQ(ClassifyBulkStatement("COPY t FROM 's3://b/p'"), BulkStatementKind::Copy);
  EXPECT_EQ(ClassifyBulkStatement("  -- load\n /* a /* nested */ b */ copy t"), BulkStatementKind::Copy);
  EXPECT_EQ(ClassifyBulkStatement("\tUnLoad ('select 1') to 's3://b/x'"), BulkStatementKind::Unload);
  EXPECT_EQ(ClassifyBulkStatement("COPYX t"), BulkStatementKind::None);
  EXPECT_EQ(ClassifyBulkStatement("copy2"), BulkStatementKind::None);
  EXPECT_EQ(ClassifyBulkStatement("SELECT 'COPY'"), BulkStatementKind::None);
  EXPECT_EQ(ClassifyBulkStatement(""), BulkStatementKind::None);
  EXPECT_EQ(ClassifyBulkStatement("/* never closed"), BulkStatementKind::None);
}

TEST(RedshiftCopyUnloadParse, SplitsTextsThatHoldACopyOrUnloadAmongOthers) {
  EXPECT_TRUE(SplitAroundBulkStatements("COPY t FROM 's3://b/x'").empty());
  EXPECT_TRUE(SplitAroundBulkStatements("COPY t FROM 's3://b/x';").empty());
  EXPECT_TRUE(SplitAroundBulkStatements("SELECT 1; SELECT 2").empty());
  EXPECT_TRUE(SplitAroundBulkStatements("SELECT 'copy'; SELECT 'unload'").empty());
  EXPECT_EQ(SplitAroundBulkStatements("TRUNCATE t; copy t FROM 's3://b/x;y' IAM_ROLE default;\n"),
            (std::vector<std::string>{"TRUNCATE t", " copy t FROM 's3://b/x;y' IAM_ROLE default"}));
  EXPECT_EQ(SplitAroundBulkStatements("UNLOAD ('select \\'a;b\\', '';'' -- x') TO 's3://b/o' IAM_ROLE default; SELECT 1 -- ;\n"),
            (std::vector<std::string>{"UNLOAD ('select \\'a;b\\', '';'' -- x') TO 's3://b/o' IAM_ROLE default", " SELECT 1 -- ;\n"}));
  EXPECT_EQ(SplitAroundBulkStatements("/* ; */ BEGIN; COPY t FROM 's3://b/x'; END;;"),
            (std::vector<std::string>{"/* ; */ BEGIN", " COPY t FROM 's3://b/x'", " END"}));
  EXPECT_EQ(SplitAroundBulkStatements("SELECT \"a;\"\"b\"; UNLOAD ('x') TO 's3://b/o'"),
            (std::vector<std::string>{"SELECT \"a;\"\"b\"", " UNLOAD ('x') TO 's3://b/o'"}));
  // Client SQL of 100 KB made of statements: one pass, not one per statement.
  std::string many;
  while (many.size() < 100000) many += "UNLOAD ('a');";
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(SplitAroundBulkStatements(many).size(), many.size() / 13);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST(RedshiftCopyUnloadParse, ReadsACopyWithEveryKindOfParameter) {
  auto copy = ParseCopy(
      "copy Public.\"Sales\" (id, \"Name\") from 's3://my-bucket/data/part' iam_role default\n"
      "FORMAT AS CSV QUOTE AS '''' DELIMITER AS '\\t' IGNOREHEADER 2 NULL AS 'NULL' EMPTYASNULL BLANKSASNULL\n"
      "ACCEPTINVCHARS AS '^' TRUNCATECOLUMNS DATEFORMAT 'YYYY-MM-DD' TIMEFORMAT AS 'auto' GZIP REGION 'us-east-1'\n"
      "MAXERROR AS 10 MANIFEST COMPUPDATE OFF STATUPDATE ON;");
  ASSERT_TRUE(copy.ok()) << copy.error().Render();
  EXPECT_EQ(copy->schema, "public");
  EXPECT_EQ(copy->table, "Sales");
  EXPECT_EQ(copy->columns, (std::vector<std::string>{"id", "Name"}));
  EXPECT_EQ(copy->source, "s3://my-bucket/data/part");
  EXPECT_EQ(copy->iam_role, "default");
  EXPECT_EQ(copy->format, LoadFormat::Csv);
  EXPECT_EQ(copy->csv_quote, "'");
  EXPECT_EQ(copy->delimiter, std::optional<std::string>("\t"));
  EXPECT_EQ(copy->ignore_header, 2);
  EXPECT_EQ(copy->null_as, std::optional<std::string>("NULL"));
  EXPECT_TRUE(copy->empty_as_null && copy->blanks_as_null && copy->accept_inv_chars && copy->truncate_columns);
  EXPECT_EQ(copy->accept_inv_chars_replacement, "^");
  EXPECT_EQ(copy->date_format, "YYYY-MM-DD");
  EXPECT_EQ(copy->time_format, "auto");
  EXPECT_EQ(copy->compression, FileCompression::Gzip);
  EXPECT_EQ(copy->region, "us-east-1");
  EXPECT_EQ(copy->max_error, 10);
  EXPECT_TRUE(copy->manifest);
}

TEST(RedshiftCopyUnloadParse, ReadsEachFormatSpelling) {
  struct Case {
    const char* sql;
    LoadFormat format;
    const char* option;
  };
  const Case cases[] = {
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn:aws:iam::1:role/r' CSV", LoadFormat::Csv, ""},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' AS CSV", LoadFormat::Csv, ""},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' FORMAT CSV", LoadFormat::Csv, ""},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' FORMAT AS JSON 'auto'", LoadFormat::Json, "auto"},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' JSON AS 'auto ignorecase'", LoadFormat::Json, "auto ignorecase"},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' FORMAT JSON 's3://bkt/paths.json'", LoadFormat::Json, "s3://bkt/paths.json"},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' FORMAT AS PARQUET", LoadFormat::Parquet, ""},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' PARQUET SERIALIZETOJSON", LoadFormat::Parquet, ""},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' FORMAT AS AVRO 'auto'", LoadFormat::Avro, ""},
      {"COPY t FROM 's3://bkt/x' IAM_ROLE 'arn' ORC", LoadFormat::Orc, ""},
      {"COPY t FROM 's3://bkt/x' CREDENTIALS 'aws_iam_role=arn' FIXEDWIDTH 'a:1,b:2'", LoadFormat::FixedWidth, ""},
      {"COPY t FROM 's3://bkt/x' ACCESS_KEY_ID 'AK' SECRET_ACCESS_KEY 'SK' SESSION_TOKEN 'T'", LoadFormat::Text, ""},
  };
  for (const auto& c : cases) {
    auto copy = ParseCopy(c.sql);
    ASSERT_TRUE(copy.ok()) << c.sql << ": " << copy.error().Render();
    EXPECT_EQ(copy->format, c.format) << c.sql;
    if (c.format == LoadFormat::Json) {
      EXPECT_EQ(copy->json_option, c.option) << c.sql;
    }
  }
}

TEST(RedshiftCopyUnloadParse, ReportsRedshiftsSyntaxErrorsWithPositions) {
  auto unknown = ParseCopy("COPY t FROM 's3://bkt/x' IAM_ROLE default BOGUS 1");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "syntax error at or near \"BOGUS\"");
  EXPECT_EQ(unknown.error().position, 43u);
  EXPECT_EQ(unknown.error().Render(), "syntax error at or near \"BOGUS\"\n  Position: 43");

  auto no_from = ParseCopy("COPY t 's3://bkt/x'");
  ASSERT_FALSE(no_from.ok());
  EXPECT_EQ(no_from.error().message, "syntax error at or near \"'s3://bkt/x'\"");
  EXPECT_EQ(no_from.error().position, 8u);

  auto cut = ParseCopy("COPY t FROM");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().message, "syntax error at end of input");
  EXPECT_EQ(cut.error().position, 12u);

  auto unterminated = ParseCopy("COPY t FROM 's3://bkt/x");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.error().message.rfind("unterminated quoted string", 0), 0u);

  // Positions count characters, not bytes.
  auto unicode = ParseCopy("COPY \"tablé\" FROM 's3://bkt/x' ÉTÉ");
  ASSERT_FALSE(unicode.ok());
  EXPECT_EQ(unicode.error().position, 32u);

  EXPECT_FALSE(ParseCopy("COPY t FROM 'dynamodb://table' IAM_ROLE default").ok());
  EXPECT_EQ(ParseCopy("COPY t FROM 's3://bkt/x' CSV ESCAPE").error().message, "CSV is not compatible with ESCAPE");
  EXPECT_EQ(ParseCopy("COPY t FROM 's3://bkt/x' DELIMITER '|~|'")->delimiter, std::optional<std::string>("|~|"));
  EXPECT_EQ(ParseCopy("COPY t FROM 's3://bkt/x' DELIMITER '\\174'")->delimiter, std::optional<std::string>("|"));
  EXPECT_FALSE(ParseCopy("COPY t FROM 's3://bkt/x' DELIMITER '|||||'").ok());
  EXPECT_FALSE(ParseCopy("COPY t FROM 's3://bkt/x' DELIMITER ''").ok());
  EXPECT_FALSE(ParseCopy("COPY t FROM 's3://bkt/x' MAXERROR 99999999999999999999").ok());
  EXPECT_FALSE(ParseCopy("COPY t FROM 's3://bkt/x' PARQUET DELIMITER ','").ok());
  EXPECT_EQ(ParseCopy("COPY t FROM 's3://bkt/x' IAM_ROLE default FORMAT AS PARQUET MAXERROR 3").error().message.rfind("MAXERROR is not supported for COPY from columnar", 0), 0u);
  EXPECT_TRUE(ParseCopy("COPY t FROM 's3://bkt/x' IAM_ROLE default FORMAT AS PARQUET MANIFEST STATUPDATE OFF").ok());
  EXPECT_EQ(ParseCopy("COPY t FROM 's3://bkt/x' IAM_ROLE default CSV GZIP MAXERROR 1")->parameters,
            (std::vector<std::string>{"IAM_ROLE", "FORMAT", "GZIP", "MAXERROR"}));
  EXPECT_FALSE(ParseCopy("COPY t () FROM 's3://bkt/x'").ok());
  EXPECT_FALSE(ParseCopy("COPY t FROM 's3://bkt/x' FORMAT AS XML").ok());
}

TEST(RedshiftCopyUnloadParse, ReadsAnUnloadAndUndoesTheQuotesOfItsQuery) {
  auto unload = ParseUnload(
      "unload ('select * from venue where name = ''it''''s'' and city = \\'Paris\\'')\n"
      "to 's3://bkt/unload/venue_' iam_role 'arn:aws:iam::0123456789012:role/R'\n"
      "FORMAT AS PARQUET PARTITION BY (venuestate, city) INCLUDE MANIFEST VERBOSE ALLOWOVERWRITE\n"
      "PARALLEL OFF MAXFILESIZE AS 100 MB ROWGROUPSIZE 64 MB REGION AS 'us-west-2' ZSTD EXTENSION 'pq'");
  ASSERT_TRUE(unload.ok()) << unload.error().Render();
  EXPECT_EQ(unload->query, "select * from venue where name = 'it''s' and city = 'Paris'");
  EXPECT_EQ(unload->destination, "s3://bkt/unload/venue_");
  EXPECT_EQ(unload->format, UnloadFormat::Parquet);
  EXPECT_EQ(unload->partition_by, (std::vector<std::string>{"venuestate", "city"}));
  EXPECT_TRUE(unload->partition_include && unload->manifest && unload->manifest_verbose && unload->allow_overwrite);
  EXPECT_FALSE(unload->parallel);
  EXPECT_EQ(unload->max_file_size_bytes, std::optional<std::int64_t>(100LL * 1024 * 1024));
  EXPECT_EQ(unload->row_group_size_bytes, std::optional<std::int64_t>(64LL * 1024 * 1024));
  EXPECT_EQ(unload->region, "us-west-2");
  EXPECT_EQ(unload->compression, FileCompression::Zstd);
  EXPECT_EQ(unload->extension, std::optional<std::string>("pq"));

  auto text = ParseUnload("UNLOAD ('select 1') TO 's3://bkt/p' IAM_ROLE default HEADER DELIMITER AS ',' ADDQUOTES "
                          "NULL AS 'nil' ESCAPE GZIP CLEANPATH PARALLEL MAXFILESIZE 1 GB;");
  ASSERT_TRUE(text.ok()) << text.error().Render();
  EXPECT_EQ(text->format, UnloadFormat::Text);
  EXPECT_TRUE(text->header && text->add_quotes && text->escape && text->clean_path && text->parallel);
  EXPECT_EQ(text->delimiter, std::optional<std::string>(","));
  EXPECT_EQ(text->null_as, std::optional<std::string>("nil"));
  EXPECT_EQ(text->max_file_size_bytes, std::optional<std::int64_t>(1024LL * 1024 * 1024));

  EXPECT_EQ(ParseUnload("UNLOAD ('select 1') TO 's3://bkt/p' ALLOWOVERWRITE CLEANPATH").error().message,
            "Cannot use both ALLOWOVERWRITE and CLEANPATH options together.");
  EXPECT_FALSE(ParseUnload("UNLOAD ('select 1') TO 's3://bkt/p' PARQUET DELIMITER ','").ok());
  EXPECT_FALSE(ParseUnload("UNLOAD ('select 1') TO 's3://bkt/p' MAXFILESIZE 1 MB").ok());
  EXPECT_FALSE(ParseUnload("UNLOAD ('select 1') TO 's3://bkt/p' JSON HEADER").ok());
  EXPECT_FALSE(ParseUnload("UNLOAD ('select 1) TO 's3://bkt/p'").ok());
  EXPECT_FALSE(ParseUnload("UNLOAD (select 1) TO 's3://bkt/p'").ok());
  EXPECT_FALSE(ParseUnload("UNLOAD ('select 1') TO '/tmp/p'").ok());
  auto position = ParseUnload("UNLOAD ('select 1') TO 's3://bkt/p' NOPE");
  ASSERT_FALSE(position.ok());
  EXPECT_EQ(position.error().message, "syntax error at or near \"NOPE\"");
  EXPECT_EQ(position.error().position, 37u);
}

// Random COPY statements from random option sets: the set is what the parse must give back, in
// any letter case, with comments and line breaks between the words.
TEST(RedshiftCopyUnloadParse, RandomOptionSetsComeBack) {
  std::mt19937_64 random(Seed());
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  auto cased = [&](std::string word) {
    for (auto& c : word) {
      if (pick(2) == 0 && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return word;
  };
  auto gap = [&]() -> std::string {
    switch (pick(5)) {
      case 0: return "\n";
      case 1: return " /* c */ ";
      case 2: return " -- note\n";
      default: return " ";
    }
  };
  for (int round = 0; round < 3000; ++round) {
    CopyStatement expected;
    expected.table = "t" + std::to_string(pick(100));
    std::string sql = cased("COPY") + gap() + expected.table;
    if (pick(2) == 0) {
      expected.columns = {"a", "b"};
      sql += " (a," + gap() + "b)";
    }
    expected.source = "s3://bkt/p" + std::to_string(pick(10));
    sql += gap() + cased("FROM") + gap() + "'" + expected.source + "'";
    std::vector<std::string> parts;
    parts.push_back(cased("IAM_ROLE") + gap() + cased("DEFAULT"));
    if (pick(2) == 0) {
      expected.format = LoadFormat::Csv;
      parts.push_back((pick(2) ? cased("FORMAT") + gap() : "") + (pick(2) ? cased("AS") + gap() : "") + cased("CSV"));
    }
    if (pick(2) == 0) {
      expected.ignore_header = static_cast<std::int64_t>(pick(5));
      parts.push_back(cased("IGNOREHEADER") + gap() + (pick(2) ? cased("AS") + gap() : "") + std::to_string(expected.ignore_header));
    }
    if (pick(2) == 0) {
      expected.delimiter = std::string(1, "|;:\t"[pick(4)]);
      parts.push_back(cased("DELIMITER") + gap() + (pick(2) ? cased("AS") + gap() : "") + "'" + (*expected.delimiter == "\t" ? std::string("\\t") : *expected.delimiter) + "'");
    }
    if (pick(2) == 0) {
      expected.null_as = "N" + std::to_string(pick(9));
      parts.push_back(cased("NULL") + gap() + cased("AS") + gap() + "'" + *expected.null_as + "'");
    }
    if (pick(2) == 0) {
      expected.max_error = static_cast<std::int64_t>(pick(1000));
      parts.push_back(cased("MAXERROR") + gap() + std::to_string(expected.max_error));
    }
    if (pick(3) == 0) {
      expected.compression = pick(2) ? FileCompression::Gzip : FileCompression::Zstd;
      parts.push_back(cased(expected.compression == FileCompression::Gzip ? "GZIP" : "ZSTD"));
    }
    if (pick(3) == 0) {
      expected.empty_as_null = true;
      parts.push_back(cased("EMPTYASNULL"));
    }
    std::shuffle(parts.begin(), parts.end(), random);
    for (const auto& part : parts) sql += gap() + part;
    auto copy = ParseCopy(sql);
    ASSERT_TRUE(copy.ok()) << sql << "\n" << copy.error().Render();
    EXPECT_EQ(copy->table, expected.table) << sql;
    EXPECT_EQ(copy->columns, expected.columns) << sql;
    EXPECT_EQ(copy->source, expected.source) << sql;
    EXPECT_EQ(copy->format, expected.format) << sql;
    EXPECT_EQ(copy->ignore_header, expected.ignore_header) << sql;
    EXPECT_EQ(copy->delimiter, expected.delimiter) << sql;
    EXPECT_EQ(copy->null_as, expected.null_as) << sql;
    EXPECT_EQ(copy->max_error, expected.max_error) << sql;
    EXPECT_EQ(copy->compression, expected.compression) << sql;
    EXPECT_EQ(copy->empty_as_null, expected.empty_as_null) << sql;
  }
}

// Valid statements, mutated at random: each parse must end, either parsed or with an error whose
// position is inside the text (or 0 for a conflict between options).
TEST(RedshiftCopyUnloadParse, MutatedStatementsNeverCrash) {
  const std::string seeds[] = {
      "COPY public.sales (id, name) FROM 's3://bkt/data/part' IAM_ROLE default FORMAT AS CSV QUOTE AS '\"' "
      "IGNOREHEADER 1 NULL AS '' GZIP MAXERROR 5 DATEFORMAT 'auto' REGION 'us-east-1';",
      "copy t from 's3://bkt/x.manifest' credentials 'aws_iam_role=arn' json 'auto ignorecase' manifest",
      "UNLOAD ('select * from t where a = ''x''') TO 's3://bkt/out/t_' IAM_ROLE 'arn' PARQUET PARTITION BY (a) "
      "INCLUDE MANIFEST VERBOSE MAXFILESIZE 10 MB ALLOWOVERWRITE",
      "unload ('select 1') to 's3://bkt/o' iam_role default header delimiter as '|' addquotes null as 'x' parallel off",
  };
  const std::string fragments[] = {"'", "\"", "(", ")", ",", ";", "--", "/*", "*/", "\\", "AS", "FORMAT", "CSV",
                                   "JSON", "PARQUET", "MANIFEST", "NULL", "1", "99999999999999999999999", " ",
                                   "\n", "é", "\xff", "PARTITION BY", "MAXFILESIZE", "MB", "GB", "IAM_ROLE", "''"};
  std::mt19937_64 random(Seed() + 1);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  std::size_t parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string sql = seeds[pick(std::size(seeds))];
    for (std::size_t edits = 1 + pick(4); edits > 0 && !sql.empty(); --edits) {
      std::size_t at = pick(sql.size() + 1);
      switch (pick(4)) {
        case 0: sql.erase(std::min(at, sql.size() - 1), 1 + pick(6)); break;
        case 1: sql.insert(at, fragments[pick(std::size(fragments))]); break;
        case 2: sql.insert(at, 1, static_cast<char>(pick(256))); break;
        default: sql.resize(at); break;
      }
    }
    // Splitting a text never loses or adds a byte outside the separators it cut at.
    std::size_t kept = 0;
    for (const auto& part : SplitAroundBulkStatements(sql)) kept += part.size();
    EXPECT_LE(kept, sql.size()) << sql;
    for (bool unload : {false, true}) {
      std::size_t limit = Characters(sql) + 1;
      if (unload) {
        auto result = ParseUnload(sql);
        if (result.ok()) {
          ++parsed;
        } else {
          EXPECT_LE(result.error().position, limit) << sql;
          EXPECT_FALSE(result.error().message.empty()) << sql;
        }
      } else {
        auto result = ParseCopy(sql);
        if (result.ok()) {
          ++parsed;
        } else {
          EXPECT_LE(result.error().position, limit) << sql;
          EXPECT_FALSE(result.error().message.empty()) << sql;
        }
      }
    }
  }
  EXPECT_GT(parsed, 0u);  // some mutations (a changed number, a dropped option) stay valid
}

TEST(RedshiftCopyUnload, TranslatesRedshiftDateFormats) {
  EXPECT_EQ(StrptimeFormat("YYYY-MM-DD"), "%Y-%m-%d");
  EXPECT_EQ(StrptimeFormat("MM/DD/YYYY HH24:MI:SS"), "%m/%d/%Y %H:%M:%S");
  EXPECT_EQ(StrptimeFormat("DD-MON-YY HH12:MI AM"), "%d-%b-%y %I:%M %p");
  EXPECT_EQ(StrptimeFormat("YYYY%Q"), "");
}

// Prefix semantics over a random tree: the listing equals every file whose key starts with the
// prefix (checked by brute force over the files written).
TEST(RedshiftCopyUnload, ListsKeysByS3PrefixNotByDirectory) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("mallard-copy-prefix-" + std::to_string(Seed()) + "-" + std::to_string(::getpid()));
  fs::remove_all(root);
  std::mt19937_64 random(Seed() + 2);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const std::string names[] = {"data", "part", "partition", "part-0001", "p", "x.csv", "data2"};
  std::set<std::string> keys;
  for (int i = 0; i < 120; ++i) {
    std::string key;
    for (std::size_t depth = 1 + pick(3); depth > 0; --depth) key += (key.empty() ? "" : "/") + names[pick(std::size(names))];
    // A key cannot be both a file and a directory on disk: skip the ones that would clash.
    bool clash = false;
    for (const auto& other : keys) {
      if (other.rfind(key + "/", 0) == 0 || key.rfind(other + "/", 0) == 0 || other == key) clash = true;
    }
    if (clash) continue;
    fs::create_directories((root / key).parent_path());
    std::ofstream(root / key) << key;
    keys.insert(key);
  }
  const std::string prefixes[] = {"", "d", "data", "data/", "data/part", "data/part-", "part", "partition/p", "zzz", "data2/x"};
  for (const auto& prefix : prefixes) {
    std::vector<std::string> expected;
    for (const auto& key : keys) {
      if (key.rfind(prefix, 0) == 0) expected.push_back(key);
    }
    EXPECT_EQ(bulk::KeysWithPrefix(root, prefix), expected) << "prefix '" << prefix << "'";
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace mallard::redshift_data

#include "services/athena/athena_external_ddl.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include "services/athena/athena_external_reader.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::athena::external {

namespace lex = sqlengine::dialect;
using lex::TokenKind;
using reader::HiveUnescape;
using reader::Lowered;
using reader::ParseType;
using reader::Parser;
using reader::Pieces;

namespace {

bool ParseColumns(Parser& parser, std::vector<ColumnSpec>& columns, bool allow_comment) {
  if (!parser.ExpectSymbol("(")) return false;
  do {
    ColumnSpec column;
    if (!parser.Name(column.name, "a column name")) return false;
    for (const auto& other : columns) {
      if (other.name == column.name) return parser.Problem("duplicate column name '" + column.name + "'");
    }
    if (!ParseType(parser, column.type, 0)) return false;
    if (allow_comment && parser.Keyword("COMMENT") && !parser.String(column.comment)) return false;
    columns.push_back(std::move(column));
  } while (parser.Symbol(","));
  return parser.ExpectSymbol(")");
}

bool ParseProperties(Parser& parser, Properties& properties, bool unescape = false) {
  if (!parser.ExpectSymbol("(")) return false;
  do {
    std::string key;
    std::string value;
    if (!parser.String(key, "a property name") || !parser.ExpectSymbol("=") || !parser.String(value, "a property value")) {
      return false;
    }
    SetProperty(properties, key, unescape ? HiveUnescape(value) : value);
  } while (parser.Symbol(","));
  return parser.ExpectSymbol(")");
}

bool ParseWith(Parser& parser, WithProperties& properties) {
  if (!parser.ExpectSymbol("(")) return false;
  do {
    WithProperty property;
    if (!parser.Name(property.name, "a property name") || !parser.ExpectSymbol("=")) return false;
    if (parser.Keyword("ARRAY")) {
      property.is_list = true;
      if (!parser.ExpectSymbol("[")) return false;
      if (!parser.Symbol("]")) {
        do {
          std::string item;
          if (!parser.Value(item)) return false;
          property.list.push_back(Lowered(item));
        } while (parser.Symbol(","));
        if (!parser.ExpectSymbol("]")) return false;
      }
    } else if (!parser.Value(property.value)) {
      return false;
    }
    for (const auto& other : properties) {
      if (other.name == property.name) return parser.Problem("Duplicate property: " + property.name);
    }
    properties.push_back(std::move(property));
  } while (parser.Symbol(","));
  return parser.ExpectSymbol(")");
}

bool ParsePartitionSpec(Parser& parser, PartitionSpec& spec) {
  if (!parser.ExpectSymbol("(")) return false;
  do {
    std::pair<std::string, std::string> value;
    if (!parser.Name(value.first, "a partition column") || !parser.ExpectSymbol("=") || !parser.Value(value.second)) {
      return false;
    }
    spec.values.push_back(std::move(value));
  } while (parser.Symbol(","));
  return parser.ExpectSymbol(")");
}

// ---- CREATE EXTERNAL TABLE -----------------------------------------------------------------

struct FormatDefaults {
  StorageFormat format;
  const char* serde;
  const char* input;
  const char* output;
};

constexpr const char* kTextInput = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutput = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr const char* kLazySimple = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";

std::optional<FormatDefaults> StoredAs(const std::string& name) {
  if (name == "parquet") {
    return FormatDefaults{StorageFormat::Parquet, "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                          "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                          "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"};
  }
  if (name == "textfile") return FormatDefaults{StorageFormat::TextFile, kLazySimple, kTextInput, kTextOutput};
  if (name == "json" || name == "jsonfile") {
    return FormatDefaults{StorageFormat::Json, "org.apache.hive.hcatalog.data.JsonSerDe", kTextInput, kTextOutput};
  }
  if (name == "orc") {
    return FormatDefaults{StorageFormat::Orc, "org.apache.hadoop.hive.ql.io.orc.OrcSerde",
                          "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat",
                          "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat"};
  }
  if (name == "avro") {
    return FormatDefaults{StorageFormat::Avro, "org.apache.hadoop.hive.serde2.avro.AvroSerDe",
                          "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat",
                          "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat"};
  }
  return std::nullopt;
}

bool ParseDelimited(Parser& parser, ExternalTableSpec& spec) {
  bool any = false;
  while (true) {
    std::string value;
    if (parser.Keyword("FIELDS")) {
      if (!parser.Expect("TERMINATED") || !parser.Expect("BY") || !parser.String(value)) return false;
      SetProperty(spec.serde_properties, "field.delim", HiveUnescape(value));
      SetProperty(spec.serde_properties, "serialization.format", HiveUnescape(value));
      if (parser.Keyword("ESCAPED")) {
        if (!parser.Expect("BY") || !parser.String(value)) return false;
        SetProperty(spec.serde_properties, "escape.delim", HiveUnescape(value));
      }
    } else if (parser.Keyword("COLLECTION")) {
      if (!parser.Expect("ITEMS") || !parser.Expect("TERMINATED") || !parser.Expect("BY") || !parser.String(value)) {
        return false;
      }
      SetProperty(spec.serde_properties, "collection.delim", HiveUnescape(value));
    } else if (parser.Keyword("MAP")) {
      if (!parser.Expect("KEYS") || !parser.Expect("TERMINATED") || !parser.Expect("BY") || !parser.String(value)) {
        return false;
      }
      SetProperty(spec.serde_properties, "mapkey.delim", HiveUnescape(value));
    } else if (parser.Keyword("LINES")) {
      if (!parser.Expect("TERMINATED") || !parser.Expect("BY") || !parser.String(value)) return false;
      if (HiveUnescape(value) != "\n") return parser.Problem("LINES TERMINATED BY only supports newline '\\n' right now");
      SetProperty(spec.serde_properties, "line.delim", "\n");
    } else if (parser.Keyword("NULL")) {
      if (!parser.Expect("DEFINED") || !parser.Expect("AS") || !parser.String(value)) return false;
      SetProperty(spec.serde_properties, "serialization.null.format", HiveUnescape(value));
    } else {
      break;
    }
    any = true;
  }
  if (!any) return parser.Error("FIELDS, COLLECTION, MAP, LINES or NULL");
  return true;
}

bool ParseCreateExternal(Parser& parser, ExternalTableSpec& spec) {
  if (parser.Keyword("IF")) {
    if (!parser.Expect("NOT") || !parser.Expect("EXISTS")) return false;
    spec.if_not_exists = true;
  }
  if (!parser.QualifiedName(spec.table)) return false;
  if (!ParseColumns(parser, spec.columns, true)) return false;
  if (parser.Keyword("COMMENT") && !parser.String(spec.comment)) return false;
  if (parser.Keyword("PARTITIONED")) {
    if (!parser.Expect("BY") || !ParseColumns(parser, spec.partition_columns, true)) return false;
    for (const auto& partition : spec.partition_columns) {
      for (const auto& column : spec.columns) {
        if (column.name == partition.name) return parser.Problem("Column repeated in partitioning columns: " + column.name);
      }
    }
  }
  if (parser.Keyword("CLUSTERED")) {
    // CLUSTERED BY (col, …) INTO n BUCKETS: accepted and not used (reads ignore bucketing).
    std::string ignored;
    int buckets = 0;
    if (!parser.Expect("BY") || !parser.ExpectSymbol("(")) return false;
    do {
      if (!parser.Name(ignored, "a column name")) return false;
    } while (parser.Symbol(","));
    if (!parser.ExpectSymbol(")") || !parser.Expect("INTO") || !parser.Integer(buckets) || !parser.Expect("BUCKETS")) {
      return false;
    }
  }
  bool row_format = false;
  if (parser.Keyword("ROW")) {
    row_format = true;
    if (!parser.Expect("FORMAT")) return false;
    if (parser.Keyword("SERDE")) {
      if (!parser.String(spec.serde, "a serde class name")) return false;
      if (parser.Keyword("WITH")) {
        if (!parser.Expect("SERDEPROPERTIES") || !ParseProperties(parser, spec.serde_properties, true)) return false;
      }
    } else if (parser.Keyword("DELIMITED")) {
      spec.serde = kLazySimple;
      if (!ParseDelimited(parser, spec)) return false;
    } else {
      return parser.Error("SERDE or DELIMITED");
    }
  }
  if (parser.Keyword("STORED")) {
    if (!parser.Expect("AS")) return false;
    if (parser.Keyword("INPUTFORMAT")) {
      if (!parser.String(spec.input_format) || !parser.Expect("OUTPUTFORMAT") || !parser.String(spec.output_format)) {
        return false;
      }
      spec.format = StorageFormat::Custom;
    } else {
      std::string name;
      if (!parser.Name(name, "PARQUET, TEXTFILE, JSON, ORC, AVRO or INPUTFORMAT")) return false;
      auto defaults = StoredAs(name);
      if (!defaults) return parser.Problem("Unrecognized file format in STORED AS clause: '" + name + "'");
      spec.format = defaults->format;
      spec.input_format = defaults->input;
      spec.output_format = defaults->output;
      if (!row_format) spec.serde = defaults->serde;
    }
  } else {
    spec.input_format = kTextInput;
    spec.output_format = kTextOutput;
  }
  if (spec.serde.empty()) spec.serde = kLazySimple;
  if (!row_format && spec.format == StorageFormat::TextFile) {
    SetProperty(spec.serde_properties, "serialization.format", "1");
  }
  if (!parser.Expect("LOCATION")) return false;
  if (!parser.String(spec.location, "an s3:// location")) return false;
  if (parser.Keyword("TBLPROPERTIES") && !ParseProperties(parser, spec.table_properties)) return false;
  return parser.End();
}

// ---- the statements ------------------------------------------------------------------------

std::optional<ExternalStatement> ParseShow(Parser& parser) {
  if (parser.Keyword("TABLES")) {
    ShowTables show;
    if (parser.Keyword("IN") || parser.Keyword("FROM")) {
      if (!parser.Name(show.database, "a database name")) return std::nullopt;
    }
    if (!parser.AtEnd() && !parser.PeekSymbol(";")) {
      std::string pattern;
      if (!parser.String(pattern, "a pattern")) return std::nullopt;
      show.pattern = pattern;
    }
    if (!parser.End()) return std::nullopt;
    return show;
  }
  if (parser.Keyword("DATABASES") || parser.Keyword("SCHEMAS")) {
    ShowDatabases show;
    if (parser.Keyword("LIKE") || (!parser.AtEnd() && !parser.PeekSymbol(";"))) {
      std::string pattern;
      if (!parser.String(pattern, "a pattern")) return std::nullopt;
      show.pattern = pattern;
    }
    if (!parser.End()) return std::nullopt;
    return show;
  }
  if (parser.Keyword("COLUMNS")) {
    ShowColumns show;
    if (!parser.Keyword("IN") && !parser.Keyword("FROM")) {
      parser.Error("IN or FROM");
      return std::nullopt;
    }
    if (!parser.QualifiedName(show.table)) return std::nullopt;
    if (parser.Keyword("IN") || parser.Keyword("FROM")) {
      if (!parser.Name(show.table.database, "a database name")) return std::nullopt;
    }
    if (!parser.End()) return std::nullopt;
    return show;
  }
  if (parser.Keyword("PARTITIONS")) {
    ShowPartitions show;
    if (!parser.QualifiedName(show.table) || !parser.End()) return std::nullopt;
    return show;
  }
  if (parser.Keyword("TBLPROPERTIES")) {
    ShowTableProperties show;
    if (!parser.QualifiedName(show.table) || !parser.End()) return std::nullopt;
    return show;
  }
  if (parser.PeekKeyword("CREATE") && parser.PeekKeyword("TABLE", 1)) {
    parser.Keyword("CREATE");
    parser.Keyword("TABLE");
    ShowCreateTable show;
    if (!parser.QualifiedName(show.table) || !parser.End()) return std::nullopt;
    return show;
  }
  return std::nullopt;
}

std::optional<ExternalStatement> ParseAlter(Parser& parser) {
  TableName table;
  if (!parser.QualifiedName(table)) return std::nullopt;
  if (parser.PeekKeyword("REPLACE") || (parser.PeekKeyword("ADD") && parser.PeekKeyword("COLUMNS", 1))) {
    ChangeColumns change;
    change.table = table;
    change.replace = parser.Keyword("REPLACE");
    if (!change.replace) parser.Keyword("ADD");
    if (!parser.Expect("COLUMNS") || !ParseColumns(parser, change.columns, true) || !parser.End()) return std::nullopt;
    return change;
  }
  if (parser.Keyword("ADD")) {
    AddPartitions add;
    add.table = table;
    if (parser.Keyword("IF")) {
      if (!parser.Expect("NOT") || !parser.Expect("EXISTS")) return std::nullopt;
      add.if_not_exists = true;
    }
    if (!parser.PeekKeyword("PARTITION")) {
      parser.Error("PARTITION");
      return std::nullopt;
    }
    while (parser.Keyword("PARTITION")) {
      PartitionSpec spec;
      if (!ParsePartitionSpec(parser, spec)) return std::nullopt;
      if (parser.Keyword("LOCATION") && !parser.String(spec.location, "an s3:// location")) return std::nullopt;
      add.partitions.push_back(std::move(spec));
    }
    if (!parser.End()) return std::nullopt;
    return add;
  }
  if (parser.Keyword("DROP")) {
    DropPartitions drop;
    drop.table = table;
    if (parser.Keyword("IF")) {
      if (!parser.Expect("EXISTS")) return std::nullopt;
      drop.if_exists = true;
    }
    do {
      if (!parser.Expect("PARTITION")) return std::nullopt;
      PartitionSpec spec;
      if (!ParsePartitionSpec(parser, spec)) return std::nullopt;
      drop.partitions.push_back(std::move(spec));
    } while (parser.Symbol(","));
    if (!parser.End()) return std::nullopt;
    return drop;
  }
  if (parser.Keyword("SET")) {
    if (parser.Keyword("TBLPROPERTIES")) {
      SetTableProperties set;
      set.table = table;
      if (!ParseProperties(parser, set.properties) || !parser.End()) return std::nullopt;
      return set;
    }
    if (parser.Keyword("LOCATION")) {
      SetLocation set;
      set.table = table;
      if (!parser.String(set.location, "an s3:// location") || !parser.End()) return std::nullopt;
      return set;
    }
    parser.Error("TBLPROPERTIES or LOCATION");
    return std::nullopt;
  }
  return std::nullopt;  // other ALTER TABLE forms are the engine's
}

bool StartsQuery(const Parser& parser, std::size_t ahead) {
  return parser.PeekKeyword("SELECT", ahead) || parser.PeekKeyword("WITH", ahead) ||
         parser.PeekKeyword("VALUES", ahead) || parser.PeekKeyword("TABLE", ahead) || parser.PeekSymbol("(", ahead);
}

}  // namespace

void SetProperty(Properties& properties, const std::string& key, const std::string& value) {
  for (auto& [name, existing] : properties) {
    if (name == key) {
      existing = value;
      return;
    }
  }
  properties.emplace_back(key, value);
}

const std::string* FindProperty(const Properties& properties, std::string_view key) {
  for (const auto& [name, value] : properties) {
    if (name == key) return &value;
  }
  return nullptr;
}

const WithProperty* FindWith(const WithProperties& properties, std::string_view name) {
  for (const auto& property : properties) {
    if (property.name == name) return &property;
  }
  return nullptr;
}

ReadKind ReadKindOf(const ExternalTableSpec& spec) {
  const std::string serde = Lowered(spec.serde);
  const std::string input = Lowered(spec.input_format);
  if (serde.find("parquet") != std::string::npos || input.find("parquet") != std::string::npos) return ReadKind::Parquet;
  if (serde.find("orc") != std::string::npos || input.find("orc") != std::string::npos) return ReadKind::Orc;
  if (serde.find("avro") != std::string::npos || input.find("avro") != std::string::npos) return ReadKind::Avro;
  if (serde.find("json") != std::string::npos) return ReadKind::Json;
  if (serde.find("opencsvserde") != std::string::npos) return ReadKind::OpenCsv;
  // LazySimpleSerDe and its multi-character-delimiter sibling; any other serde is not read.
  if (serde.empty() || serde.find("lazysimpleserde") != std::string::npos ||
      serde.find("multidelimitserde") != std::string::npos) {
    return ReadKind::DelimitedText;
  }
  return ReadKind::Unsupported;
}

ExternalParse ParseExternalStatement(std::string_view sql) {
  ExternalParse parse;
  // Every query passes here: a SELECT is told apart by its first word, without tokenizing it all.
  static const std::set<std::string> kLeading = {"CREATE", "DROP",     "ALTER",  "MSCK",  "SHOW",
                                                 "DESCRIBE", "DESC", "INSERT", "UNLOAD"};
  if (kLeading.count(sqlengine::LeadingKeyword(sql)) == 0) return parse;
  Parser parser(sql);
  std::optional<ExternalStatement> statement;
  // Each branch first decides whether the statement is one of ours (by its leading words), and
  // only then reports grammar errors.
  bool ours = true;
  if (parser.Keyword("CREATE")) {
    if (parser.Keyword("EXTERNAL")) {
      CreateExternalTable create;
      if (parser.Expect("TABLE") && ParseCreateExternal(parser, create.spec)) statement = std::move(create);
    } else if (parser.Keyword("TABLE")) {
      // CREATE TABLE [IF NOT EXISTS] name WITH (…) AS query: Athena's CTAS. Without WITH the
      // statement is the engine's (a table of its own, as before).
      std::size_t ahead = parser.PeekKeyword("IF") ? 3 : 0;
      std::size_t name_words = parser.PeekSymbol(".", ahead + 1) ? 3 : 1;
      if (!parser.PeekKeyword("WITH", ahead + name_words) || !parser.PeekSymbol("(", ahead + name_words + 1)) {
        ours = false;
      } else {
        CreateTableAs ctas;
        bool ok = true;
        if (parser.Keyword("IF")) {
          ok = parser.Expect("NOT") && parser.Expect("EXISTS");
          ctas.if_not_exists = true;
        }
        ok = ok && parser.QualifiedName(ctas.table) && parser.Expect("WITH") && ParseWith(parser, ctas.with) &&
             parser.Expect("AS");
        if (ok && parser.Symbol("(")) {
          ok = parser.Parenthesized(ctas.query, ctas.query_offset);
        } else if (ok) {
          // The query runs to the end, or to WITH [NO] DATA.
          std::string rest;
          std::size_t offset = 0;
          ok = parser.Rest(rest, offset, "a query");
          if (ok) {
            ctas.query = rest;
            ctas.query_offset = offset;
          }
        }
        if (ok && !ctas.query.empty()) {
          // WITH [NO] DATA at the end of a bare query belongs to the CTAS.
          auto trailing = Pieces(ctas.query);
          std::size_t n = trailing.size();
          auto keyword = [&](std::size_t index, std::string_view upper) {
            return index < n && trailing[index].kind == TokenKind::Word && Lowered(trailing[index].text) == Lowered(upper);
          };
          if (n >= 3 && keyword(n - 1, "DATA") && keyword(n - 2, "NO") && keyword(n - 3, "WITH")) {
            ctas.with_data = false;
            ctas.query = ctas.query.substr(0, trailing[n - 3].offset);
          } else if (n >= 2 && keyword(n - 1, "DATA") && keyword(n - 2, "WITH")) {
            ctas.query = ctas.query.substr(0, trailing[n - 2].offset);
          }
          while (!ctas.query.empty() && (ctas.query.back() == ' ' || ctas.query.back() == '\n' || ctas.query.back() == '\t' ||
                                         ctas.query.back() == '\r')) {
            ctas.query.pop_back();
          }
        }
        if (ok && parser.Keyword("WITH")) {
          if (parser.Keyword("NO")) ctas.with_data = false;
          ok = parser.Expect("DATA");
        }
        if (ok && ctas.query.empty()) ok = parser.Error("a query");
        if (ok && parser.End()) statement = std::move(ctas);
      }
    } else {
      ours = false;
    }
  } else if (parser.Keyword("DROP")) {
    if (parser.Keyword("TABLE")) {
      DropTable drop;
      if (parser.Keyword("IF")) {
        if (parser.Expect("EXISTS")) drop.if_exists = true;
      }
      if (parser.QualifiedName(drop.table) && parser.End()) statement = std::move(drop);
    } else {
      ours = false;
    }
  } else if (parser.Keyword("ALTER")) {
    if (parser.Keyword("TABLE")) {
      statement = ParseAlter(parser);
      ours = statement.has_value() || parser.TakeError().has_value();
      if (ours && !statement) {
        // Re-parse to get the error back (TakeError above consumed it).
        Parser again(sql);
        again.Keyword("ALTER");
        again.Keyword("TABLE");
        ParseAlter(again);
        parse.error = again.TakeError();
        return parse;
      }
    } else {
      ours = false;
    }
  } else if (parser.Keyword("MSCK")) {
    RepairTable repair;
    if (parser.Expect("REPAIR") && parser.Expect("TABLE") && parser.QualifiedName(repair.table) && parser.End()) {
      statement = std::move(repair);
    }
  } else if (parser.Keyword("SHOW")) {
    bool known = parser.PeekKeyword("TABLES") || parser.PeekKeyword("DATABASES") || parser.PeekKeyword("SCHEMAS") ||
                 parser.PeekKeyword("COLUMNS") || parser.PeekKeyword("PARTITIONS") ||
                 parser.PeekKeyword("TBLPROPERTIES") || (parser.PeekKeyword("CREATE") && parser.PeekKeyword("TABLE", 1));
    if (known) statement = ParseShow(parser);
    ours = known;
  } else if (parser.Keyword("DESCRIBE") || parser.Keyword("DESC")) {
    DescribeTable describe;
    if (parser.Keyword("FORMATTED") || parser.Keyword("EXTENDED")) describe.formatted = true;
    if (parser.QualifiedName(describe.table) && parser.End()) statement = std::move(describe);
  } else if (parser.Keyword("INSERT")) {
    if (parser.Keyword("INTO")) {
      InsertInto insert;
      bool ok = parser.QualifiedName(insert.table);
      if (ok && parser.PeekSymbol("(") && !StartsQuery(parser, 1)) {
        parser.Symbol("(");
        do {
          std::string column;
          ok = parser.Name(column, "a column name");
          if (ok) insert.columns.push_back(column);
        } while (ok && parser.Symbol(","));
        ok = ok && parser.ExpectSymbol(")");
      }
      if (ok && !StartsQuery(parser, 0)) ok = parser.Error("SELECT, WITH, VALUES or TABLE");
      if (ok && parser.Rest(insert.query, insert.query_offset, "a query")) statement = std::move(insert);
    } else {
      ours = false;
    }
  } else if (parser.Keyword("UNLOAD")) {
    Unload unload;
    if (parser.ExpectSymbol("(") && parser.Parenthesized(unload.query, unload.query_offset) && parser.Expect("TO") &&
        parser.String(unload.location, "an s3:// location") &&
        (!parser.Keyword("WITH") || ParseWith(parser, unload.with)) && parser.End()) {
      statement = std::move(unload);
    }
  } else {
    ours = false;
  }
  if (!ours) return parse;
  if (statement) {
    parse.statement = std::move(statement);
  } else {
    parse.error = parser.TakeError();
    if (!parse.error) parse.error = ParseError{"line 1:1: mismatched input. Expecting: a statement", 0};
  }
  return parse;
}

}  // namespace mallard::athena::external

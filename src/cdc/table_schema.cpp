#include "cdc/table_schema.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "lake/catalog_store.hpp"

namespace mallard::cdc {
std::string TableName::Qualified() const { return lake::SqlIdentifier(schema) + "." + lake::SqlIdentifier(name); }

std::optional<TableName> TableName::Parse(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto dot = text.find('.');
  if (dot == std::string::npos) return TableName{"public", text};
  if (dot == 0 || dot + 1 == text.size() || text.find('.', dot + 1) != std::string::npos) return std::nullopt;
  return TableName{text.substr(0, dot), text.substr(dot + 1)};
}

std::vector<std::size_t> TableSchema::KeyIndexes() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].key) out.push_back(i);
  }
  return out;
}

std::vector<std::string> TableSchema::KeyNames() const {
  std::vector<std::string> out;
  for (auto i : KeyIndexes()) out.push_back(columns[i].name);
  return out;
}

std::optional<std::string> TableSchema::Unsupported() const {
  for (const auto& column : columns) {
    if (!column.type.supported) return "column \"" + column.name + "\": " + column.type.unsupported_reason;
  }
  return std::nullopt;
}

SchemaDiff DiffColumns(const std::vector<SourceColumn>& before, const std::vector<SourceColumn>& after) {
  SchemaDiff diff;
  // The column of `side` that is `column` by name: the same name and, where both are known, the
  // same attribute number (RENAME a TO b; RENAME c TO a in one description: the new a is not the old).
  auto same_column = [](const SourceColumn& column, const std::vector<SourceColumn>& side) -> const SourceColumn* {
    for (const auto& other : side) {
      if (other.name != column.name) continue;
      if (column.attnum > 0 && other.attnum > 0 && column.attnum != other.attnum) return nullptr;
      return &other;
    }
    return nullptr;
  };
  // Columns only on one side, each with its place among the columns both sides share (a rename
  // keeps a column's place, ADD COLUMN appends); which vanished and new columns are one renamed
  // column is decided below, for a live table and for one resumed from the lake.
  struct Unmatched {
    const SourceColumn* column;
    std::size_t slot;  // shared columns before it
    // After: the attribute number of the shared column before it (0: none); -1: not known.
    std::int32_t previous_attnum = -1;
  };
  std::vector<Unmatched> gone, arrived;
  std::vector<std::string> shared_before, shared_after;  // the shared columns' names, in order
  // A column before has no attribute number (the table resumed from the lake) while those after
  // are known (from the source catalog): see the pairing of a resumed table below.
  bool resumed = std::all_of(after.begin(), after.end(), [](const SourceColumn& c) { return c.attnum > 0; });
  bool any_unnumbered = false;
  for (const auto& c : before) {
    any_unnumbered = any_unnumbered || c.attnum == 0;
    if (same_column(c, after)) {
      shared_before.push_back(c.name);
    } else {
      gone.push_back({&c, shared_before.size()});
    }
  }
  resumed = resumed && any_unnumbered;
  const std::size_t shared = shared_before.size();
  std::int32_t previous_attnum = 0;
  for (const auto& c : after) {
    if (same_column(c, before)) {
      shared_after.push_back(c.name);
      previous_attnum = c.attnum > 0 ? c.attnum : -1;
    } else {
      arrived.push_back({&c, shared_after.size(), previous_attnum});
    }
  }
  std::map<std::string, std::string> renamed;  // old → new
  std::set<const SourceColumn*> paired;
  if (resumed) {
    // Names alone said which columns both sides share, and the lake keeps no attribute numbers.
    // What a description can still tell: a rename keeps a column's place and ADD COLUMN appends, so
    // between two shared columns one vanished and one new column are one column renamed; after the
    // last shared column a new column numbered right after the shared one before it is the first
    // vanished one renamed (that one had that number or a higher one, and an ADD is numbered above
    // every column the table ever had). Anything else — shared columns in another order (names
    // swapped), a new column between existing ones with no vanished one to be, a vanished and a new
    // column after the last shared one (dropped and added, or renamed?) — only a fresh snapshot
    // tells; guessed wrong, the lake keeps one column's values under another's name, or loses them.
    std::optional<std::string> ambiguity;
    if (shared_before != shared_after) ambiguity = "columns took each other's names";
    for (std::size_t at = 0; at <= shared && !ambiguity; ++at) {
      std::vector<const Unmatched*> g, a;
      for (const auto& u : gone) {
        if (u.slot == at) g.push_back(&u);
      }
      for (const auto& u : arrived) {
        if (u.slot == at) a.push_back(&u);
      }
      if (a.empty()) continue;  // dropped
      if (at < shared) {
        if (g.size() != 1 || a.size() != 1) {
          ambiguity = "column \"" + a[0]->column->name + "\" appeared between existing columns";
          break;
        }
      } else if (!g.empty() && a[0]->previous_attnum >= 0 && a[0]->column->attnum == a[0]->previous_attnum + 1) {
        renamed[g[0]->column->name] = a[0]->column->name;
        paired.insert(a[0]->column);
        if (g.size() > 1 && a.size() > 1) {
          ambiguity = "columns after \"" + a[0]->column->name + "\" were dropped and others added, or renamed";
        }
        continue;
      } else if (!g.empty()) {
        ambiguity = "column \"" + g[0]->column->name + "\" is gone and \"" + a[0]->column->name +
                    "\" took its place (dropped and added, or renamed)";
        break;
      } else {
        continue;  // added
      }
      renamed[g[0]->column->name] = a[0]->column->name;
      paired.insert(a[0]->column);
    }
    if (ambiguity) {
      // A change log cannot be resynced (its history would go): it stops instead.
      diff.resync = *ambiguity + " while the pipe was away";
      diff.error = *diff.resync + "; resync the table";
      return diff;
    }
  } else {
    // Live (attribute numbers known), or nothing known on either side: the surest pairs first —
    // the same attribute number, then the same type, then, among what is left, a new column with
    // shared columns after it takes a vanished one of another type (a column dropped and another
    // renamed next to it: the renamed one is the one of its type).
    for (bool by_place : {false, true}) {
      for (const auto& old_column : gone) {
        if (renamed.count(old_column.column->name)) continue;
        for (const auto& candidate : arrived) {
          if (paired.count(candidate.column) || candidate.slot != old_column.slot) continue;
          // DROP of the last column and ADD of one of the same type look like a rename by shape.
          if (old_column.column->attnum > 0 && candidate.column->attnum > 0 &&
              old_column.column->attnum != candidate.column->attnum) {
            continue;
          }
          bool same_attnum = old_column.column->attnum > 0 && candidate.column->attnum > 0;
          bool same_type = old_column.column->pg_type.empty()
                               ? old_column.column->type.duckdb_type == candidate.column->type.duckdb_type
                               : old_column.column->pg_type == candidate.column->pg_type;
          bool pairs = by_place ? candidate.slot < shared : same_attnum || same_type;
          if (!pairs) continue;
          renamed[old_column.column->name] = candidate.column->name;
          paired.insert(candidate.column);
          break;
        }
      }
    }
    // After the last shared column, a vanished column whose attribute number is unknown and a new
    // one of another type are a DROP and an ADD, or one column renamed and retyped: only a fresh
    // snapshot tells.
    for (const auto& old_column : gone) {
      if (renamed.count(old_column.column->name) || old_column.column->attnum > 0) continue;
      for (const auto& candidate : arrived) {
        if (paired.count(candidate.column) || candidate.slot != old_column.slot) continue;
        if (!diff.resync) {
          diff.resync = "column \"" + old_column.column->name + "\" is gone and \"" + candidate.column->name +
                        "\" of another type took its place while the pipe was away (dropped and added, or renamed "
                        "and retyped)";
        }
      }
    }
  }
  std::set<std::string> before_keys, after_keys;
  for (const auto& c : before) {
    auto renamed_to = renamed.find(c.name);
    bool key = c.key;
    if (c.key_unknown) {
      // What the column it is (same name, or renamed) says; a dropped key column drops the
      // primary key too, so the keys after differ either way.
      const std::string& now_named = renamed_to != renamed.end() ? renamed_to->second : c.name;
      key = false;
      for (const auto& a : after) key = key || (a.name == now_named && a.key);
    }
    if (key) before_keys.insert(renamed_to != renamed.end() ? renamed_to->second : c.name);
  }
  for (const auto& c : after) {
    if (c.key) after_keys.insert(c.name);
  }
  if (before_keys != after_keys) {
    diff.error = "the primary key (replica identity) of the source table changed; resync the table";
    return diff;
  }
  // Type changes of the columns both sides have (by name, or renamed): followed in place when the
  // lake type stays or widens losslessly, else the table needs a resync. A renamed column's retype
  // comes first, under its old name (the changes are applied in order).
  for (const auto& c : before) {
    const SourceColumn* found = nullptr;
    if (auto renamed_to = renamed.find(c.name); renamed_to != renamed.end()) {
      for (const auto& unmatched : arrived) {
        if (unmatched.column->name == renamed_to->second) found = unmatched.column;
      }
    } else {
      found = same_column(c, after);
    }
    if (found == nullptr) continue;
    switch (ClassifyTypeChange(c, *found)) {
      case TypeChange::kSame:
        break;
      case TypeChange::kRelabel:
        diff.changes.push_back({ColumnChange::Kind::kRetype, c.name, "", "", std::nullopt});
        break;
      case TypeChange::kPromote:
        diff.changes.push_back({ColumnChange::Kind::kRetype, c.name, "", found->type.duckdb_type, std::nullopt});
        break;
      case TypeChange::kIncompatible:
        diff.error = "column \"" + c.name + "\" changed type from " +
                     (c.pg_type.empty() ? "lake type " + c.type.duckdb_type : c.pg_type) + " to " + found->pg_type +
                     "; resync the table (in place, only widenings follow: smallint → integer → bigint, varchar(n) → "
                     "varchar(m >= n) or text, numeric(p,s) → numeric with no fewer integer digits and no smaller scale)";
        return diff;
    }
  }
  // Drops, then renames in an order where no name is taken twice at once (a cycle of renames goes
  // through a name of no column), then adds.
  std::set<std::string> names;  // the lake table's column names as the changes go
  for (const auto& c : before) names.insert(c.name);
  for (const auto& unmatched : gone) {
    if (renamed.count(unmatched.column->name)) continue;
    diff.changes.push_back({ColumnChange::Kind::kDrop, unmatched.column->name, "", "", std::nullopt});
    names.erase(unmatched.column->name);
  }
  std::vector<std::pair<std::string, std::string>> pending;  // (old, new) in the order of the columns
  for (const auto& unmatched : gone) {
    if (auto to = renamed.find(unmatched.column->name); to != renamed.end()) pending.emplace_back(to->first, to->second);
  }
  auto rename = [&](const std::string& from, const std::string& to) {
    diff.changes.push_back({ColumnChange::Kind::kRename, from, to, "", std::nullopt});
    names.erase(from);
    names.insert(to);
  };
  while (!pending.empty()) {
    auto free = std::find_if(pending.begin(), pending.end(), [&](const auto& p) { return !names.count(p.second); });
    if (free != pending.end()) {
      rename(free->first, free->second);
      pending.erase(free);
      continue;
    }
    std::string parked = "_mallard_renaming_" + pending.front().first;
    while (names.count(parked)) parked += "_";
    rename(pending.front().first, parked);
    pending.front().first = parked;
  }
  for (const auto& unmatched : arrived) {
    const SourceColumn* new_column = unmatched.column;
    if (paired.count(new_column)) continue;
    if (!new_column->type.supported) {
      diff.error = "new column \"" + new_column->name + "\": " + new_column->type.unsupported_reason;
      return diff;
    }
    std::optional<std::string> backfill;
    switch (new_column->backfill.kind) {
      case ColumnBackfill::Kind::kNull:
        break;
      case ColumnBackfill::Kind::kValue:
        backfill = new_column->backfill.value;
        break;
      case ColumnBackfill::Kind::kUnknown:
        if (!diff.resync) diff.resync = "column \"" + new_column->name + "\" was added " + new_column->backfill.reason;
        break;
    }
    diff.changes.push_back({ColumnChange::Kind::kAdd, new_column->name, "", new_column->type.duckdb_type, backfill});
  }
  return diff;
}

namespace {

// numeric(p,s) as integer digits and scale; plain `numeric` has no limit on either.
struct NumericShape {
  int integer_digits = 0;
  int scale = 0;
  bool unconstrained = false;
};

std::optional<NumericShape> ParseNumeric(const std::string& text, const char* name) {
  std::string prefix = std::string(name) + "(";
  if (text == name) return NumericShape{0, 0, true};
  if (text.rfind(prefix, 0) != 0 || text.back() != ')') return std::nullopt;
  std::string inner = text.substr(prefix.size(), text.size() - prefix.size() - 1);
  auto comma = inner.find(',');
  try {
    int precision = std::stoi(inner.substr(0, comma));
    int scale = comma == std::string::npos ? 0 : std::stoi(inner.substr(comma + 1));
    return NumericShape{precision - scale, scale, false};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Every value of `from` is a value of `to`, unchanged.
bool NumericWidens(const NumericShape& from, const NumericShape& to) {
  if (to.unconstrained) return true;
  if (from.unconstrained) return false;
  return to.integer_digits >= from.integer_digits && to.scale >= from.scale;
}

int IntegerRank(const std::string& type) {
  if (type == "smallint") return 1;
  if (type == "integer") return 2;
  if (type == "bigint") return 3;
  return 0;
}

// varchar(n) as its limit; text and unlimited varchar as -1 (no limit).
std::optional<long> VarcharLimit(const std::string& type) {
  if (type == "text" || type == "character varying") return -1;
  static const std::string prefix = "character varying(";
  if (type.rfind(prefix, 0) != 0 || type.back() != ')') return std::nullopt;
  try {
    return std::stol(type.substr(prefix.size(), type.size() - prefix.size() - 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

TypeChange ClassifyTypeChange(const SourceColumn& before, const SourceColumn& after) {
  // An unknown source type (a column the pipeline took from the lake, see ColumnsOfLakeTable):
  // only the same lake type takes the values as they are.
  if (before.pg_type.empty()) {
    return before.type.duckdb_type == after.type.duckdb_type ? TypeChange::kSame : TypeChange::kIncompatible;
  }
  if (before.pg_type == after.pg_type) return TypeChange::kSame;
  if (!after.type.supported) return TypeChange::kIncompatible;
  const std::string& from = before.type.duckdb_type;
  const std::string& to = after.type.duckdb_type;
  auto from_limit = VarcharLimit(before.pg_type), to_limit = VarcharLimit(after.pg_type);
  if (from_limit && to_limit) {
    // PostgreSQL relabels (no rewrite) a varchar that gets longer or unlimited; every value stays.
    if (*to_limit == -1 || (*from_limit != -1 && *to_limit >= *from_limit)) return TypeChange::kRelabel;
    return TypeChange::kIncompatible;
  }
  int from_rank = IntegerRank(before.pg_type), to_rank = IntegerRank(after.pg_type);
  if (from_rank > 0 && to_rank > 0) return to_rank > from_rank ? TypeChange::kPromote : TypeChange::kIncompatible;
  auto from_numeric = ParseNumeric(before.pg_type, "numeric"), to_numeric = ParseNumeric(after.pg_type, "numeric");
  if (from_numeric && to_numeric) {
    // The source values stay the same only when the new type holds every old one; the lake
    // column then stays (both map to DECIMAL(38,10)) or widens losslessly.
    if (!NumericWidens(*from_numeric, *to_numeric)) return TypeChange::kIncompatible;
    if (from == to) return TypeChange::kRelabel;
    auto lake_from = ParseNumeric(from, "DECIMAL"), lake_to = ParseNumeric(to, "DECIMAL");
    if (lake_from && lake_to && NumericWidens(*lake_from, *lake_to)) return TypeChange::kPromote;
    return TypeChange::kIncompatible;
  }
  return TypeChange::kIncompatible;
}

std::vector<SourceColumn> ColumnsOfLakeTable(const std::vector<lake::LakeColumn>& lake_columns,
                                             const std::vector<SourceColumn>& source_columns) {
  std::vector<SourceColumn> columns;
  // A change log (a table without a key) has the pipeline's own columns: no column is a key.
  bool change_log = std::any_of(lake_columns.begin(), lake_columns.end(),
                                [](const lake::LakeColumn& c) { return c.name == "_mallard_op"; });
  for (const auto& column : lake_columns) {
    if (column.name == "_mallard_op" || column.name == "_mallard_lsn") continue;
    SourceColumn mapped;
    mapped.name = column.name;
    mapped.key_unknown = !change_log;  // until a source column of the name says
    auto type = lake::DuckDbTypeSql(column);
    mapped.type.duckdb_type = type.ok() ? *type : "VARCHAR";
    if (auto lake_source = PostgresTypeOfLakeType(column.type)) {
      mapped.pg_type = *lake_source;
      mapped.type = MapPostgresType(*lake_source, 'b', 'b');
    }
    for (const auto& source : source_columns) {
      if (source.name != column.name) continue;
      mapped.key = source.key;
      mapped.key_unknown = false;
      if (source.type.duckdb_type == mapped.type.duckdb_type) {
        mapped.pg_type = source.pg_type;
        mapped.type = source.type;
      }
    }
    columns.push_back(std::move(mapped));
  }
  return columns;
}

}  // namespace mallard::cdc

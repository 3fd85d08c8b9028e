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
  std::set<std::string> before_names, after_names;
  for (const auto& c : before) before_names.insert(c.name);
  for (const auto& c : after) after_names.insert(c.name);
  // Columns only on one side. A relation description has no attribute numbers, but a rename keeps
  // a column's place among the columns both sides share, while ADD COLUMN appends: a vanished and
  // a new column of the same type between the same shared neighbours are one renamed column.
  struct Unmatched {
    const SourceColumn* column;
    std::size_t slot;  // shared columns before it
  };
  std::vector<Unmatched> gone, arrived;
  std::size_t slot = 0;
  for (const auto& c : before) {
    if (after_names.count(c.name)) {
      ++slot;
    } else {
      gone.push_back({&c, slot});
    }
  }
  slot = 0;
  for (const auto& c : after) {
    if (before_names.count(c.name)) {
      ++slot;
    } else {
      arrived.push_back({&c, slot});
    }
  }
  std::map<std::string, std::string> renamed;  // old → new
  std::set<const SourceColumn*> paired;
  for (const auto& old_column : gone) {
    for (const auto& candidate : arrived) {
      if (paired.count(candidate.column) || candidate.slot != old_column.slot) continue;
      bool same_type = old_column.column->pg_type.empty() || old_column.column->pg_type == candidate.column->pg_type;
      if (!same_type) continue;
      renamed[old_column.column->name] = candidate.column->name;
      paired.insert(candidate.column);
      break;
    }
  }
  std::set<std::string> before_keys, after_keys;
  for (const auto& c : before) {
    if (c.key) before_keys.insert(renamed.count(c.name) ? renamed[c.name] : c.name);
  }
  for (const auto& c : after) {
    if (c.key) after_keys.insert(c.name);
  }
  if (before_keys != after_keys) {
    diff.error = "the primary key (replica identity) of the source table changed; resync the table";
    return diff;
  }
  for (const auto& c : before) {
    auto found = std::find_if(after.begin(), after.end(), [&](const SourceColumn& a) { return a.name == c.name; });
    if (found != after.end() && !c.pg_type.empty() && found->pg_type != c.pg_type) {
      diff.error = "column \"" + c.name + "\" changed type from " + c.pg_type + " to " + found->pg_type + "; resync the table";
      return diff;
    }
  }
  for (const auto& unmatched : gone) {
    const SourceColumn* old_column = unmatched.column;
    if (renamed.count(old_column->name)) {
      diff.changes.push_back({ColumnChange::Kind::kRename, old_column->name, renamed[old_column->name], ""});
    } else {
      diff.changes.push_back({ColumnChange::Kind::kDrop, old_column->name, "", ""});
    }
  }
  for (const auto& unmatched : arrived) {
    const SourceColumn* new_column = unmatched.column;
    if (paired.count(new_column)) continue;
    if (!new_column->type.supported) {
      diff.error = "new column \"" + new_column->name + "\": " + new_column->type.unsupported_reason;
      return diff;
    }
    diff.changes.push_back({ColumnChange::Kind::kAdd, new_column->name, "", new_column->type.duckdb_type});
  }
  return diff;
}

}  // namespace mallard::cdc

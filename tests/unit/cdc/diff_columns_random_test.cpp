// DiffColumns against a model of PostgreSQL's columns: random ALTER TABLE sequences (ADD, DROP,
// RENAME, widening ALTER TYPE; names reused) change a table whose columns carry an identity (the
// attribute number); the changes DiffColumns derives from the descriptions before and after,
// applied to a model of the lake table, must give the columns of after, each holding the values
// of the source column it is (its identity), or NULL for an added one. Seeded:
// MALLARD_DIFF_COLUMNS_SEED=<n> replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cdc/table_schema.hpp"

namespace mallard::cdc {
namespace {

struct ModelColumn {
  int identity;  // the attribute number: never reused
  std::string name;
  std::string pg_type;
  bool key = false;
};

struct LakeModelColumn {
  int identity;  // 0: added by a change (its older rows read NULL)
  std::string name;
  std::string duckdb_type;
};

const char* const kAddableTypes[] = {"integer", "smallint", "bigint", "text", "numeric(10,2)", "boolean",
                                     "character varying(10)"};

// A lossless widening PostgreSQL's ALTER … TYPE makes and the pipe follows in place.
std::optional<std::string> Widened(const std::string& type) {
  if (type == "smallint") return "integer";
  if (type == "integer") return "bigint";
  if (type == "numeric(10,2)") return "numeric(12,3)";
  if (type == "numeric(12,3)") return "numeric(14,3)";
  if (type == "character varying(10)") return "text";
  return std::nullopt;
}

SourceColumn Describe(const ModelColumn& column, bool attnum_known) {
  SourceColumn out;
  out.name = column.name;
  out.pg_type = column.pg_type;
  out.type = MapPostgresType(column.pg_type, 'b', 'b');
  out.key = column.key;
  out.attnum = attnum_known ? column.identity : 0;
  return out;  // backfill kNull: an added column without a default
}

class Table {
 public:
  explicit Table(std::mt19937_64& random) : random_(random) {
    columns_.push_back({++last_identity_, "id", "integer", true});
    for (int i = 0; i < 3; ++i) Add();
  }
  const std::vector<ModelColumn>& columns() const { return columns_; }

  // One random ALTER; `reuse_names`: a name a column had before may be taken again.
  std::string Alter(bool reuse_names) {
    for (;;) {
      switch (random_() % 4) {
        case 0:
          if (columns_.size() >= 8) continue;
          return Add(reuse_names);
        case 1: {
          if (columns_.size() <= 2) continue;
          std::size_t at = 1 + random_() % (columns_.size() - 1);  // never the key
          std::string name = columns_[at].name;
          columns_.erase(columns_.begin() + static_cast<std::ptrdiff_t>(at));
          return "DROP " + name;
        }
        case 2: {
          std::size_t at = random_() % columns_.size();
          std::string old_name = columns_[at].name;
          columns_[at].name = FreshName(reuse_names);
          return "RENAME " + old_name + " TO " + columns_[at].name;
        }
        default: {
          std::vector<std::size_t> widenable;
          for (std::size_t i = 1; i < columns_.size(); ++i) {
            if (Widened(columns_[i].pg_type)) widenable.push_back(i);
          }
          if (widenable.empty()) continue;
          auto& column = columns_[widenable[random_() % widenable.size()]];
          column.pg_type = *Widened(column.pg_type);
          return "ALTER " + column.name + " TYPE " + column.pg_type;
        }
      }
    }
  }

 private:
  std::string Add(bool reuse_names = false) {
    ModelColumn column{++last_identity_, FreshName(reuse_names), kAddableTypes[random_() % std::size(kAddableTypes)]};
    columns_.push_back(column);
    return "ADD " + column.name + " " + column.pg_type;
  }
  std::string FreshName(bool reuse_names) {
    for (;;) {
      std::string name;
      if (reuse_names && !used_.empty() && random_() % 2 == 0) {
        name = used_[random_() % used_.size()];
      } else {
        name = "c" + std::to_string(++last_name_);
      }
      bool taken = std::any_of(columns_.begin(), columns_.end(), [&](const ModelColumn& c) { return c.name == name; });
      if (taken) continue;
      used_.push_back(name);
      return name;
    }
  }

  std::mt19937_64& random_;
  std::vector<ModelColumn> columns_;
  std::vector<std::string> used_;
  int last_identity_ = 0;
  int last_name_ = 0;
};

// Applies `changes` in order to the lake model; an empty string, or what went wrong.
std::string Apply(std::vector<LakeModelColumn>& lake, const std::vector<ColumnChange>& changes) {
  auto find = [&](const std::string& name) {
    return std::find_if(lake.begin(), lake.end(), [&](const LakeModelColumn& c) { return c.name == name; });
  };
  for (const auto& change : changes) {
    auto at = find(change.name);
    switch (change.kind) {
      case ColumnChange::Kind::kAdd:
        if (at != lake.end()) return "ADD of " + change.name + ", which the lake table has";
        lake.push_back({0, change.name, change.duckdb_type});
        break;
      case ColumnChange::Kind::kDrop:
        if (at == lake.end()) return "DROP of " + change.name + ", which the lake table lacks";
        lake.erase(at);
        break;
      case ColumnChange::Kind::kRename:
        if (at == lake.end()) return "RENAME of " + change.name + ", which the lake table lacks";
        if (find(change.new_name) != lake.end()) return "RENAME to " + change.new_name + ", which the lake table has";
        at->name = change.new_name;
        break;
      case ColumnChange::Kind::kRetype:
        if (at == lake.end()) return "retype of " + change.name + ", which the lake table lacks";
        if (!change.duckdb_type.empty()) at->duckdb_type = change.duckdb_type;
        break;
    }
  }
  return "";
}

std::string Show(const std::vector<LakeModelColumn>& lake) {
  std::ostringstream out;
  for (const auto& c : lake) out << c.name << "#" << c.identity << " " << c.duckdb_type << ", ";
  return out.str();
}

struct Outcomes {
  int followed = 0;  // descriptions whose changes were applied
  int resynced = 0;  // descriptions that asked for a fresh snapshot
};

// Runs `rounds` descriptions of `alters_per_description` ALTERs each; `attnums_known`: the
// columns before carry their attribute numbers (live), else not (the table resumed from the lake,
// where a description DiffColumns cannot tell apart asks for a resync, which the model follows).
void RunAlters(std::uint64_t seed, int rounds, int alters_per_description, bool attnums_known, bool reuse_names,
               Outcomes& outcomes) {
  std::mt19937_64 random(seed);
  Table table(random);
  std::vector<LakeModelColumn> lake;
  for (const auto& c : table.columns()) lake.push_back({c.identity, c.name, MapPostgresType(c.pg_type, 'b', 'b').duckdb_type});
  for (int round = 0; round < rounds; ++round) {
    std::vector<SourceColumn> before, after;
    std::vector<int> before_identities;
    for (const auto& c : table.columns()) {
      before.push_back(Describe(c, attnums_known));
      before_identities.push_back(c.identity);
    }
    std::string script;
    int alters = 1 + static_cast<int>(random() % static_cast<std::uint64_t>(alters_per_description));
    for (int i = 0; i < alters; ++i) script += table.Alter(reuse_names) + "; ";
    for (const auto& c : table.columns()) after.push_back(Describe(c, true));
    if (!attnums_known) {
      // As ColumnsOfLakeTable describes a resumed table: a column the source has no longer by its
      // name (renamed while away) has no key flag of its own.
      for (auto& c : before) {
        bool named = std::any_of(after.begin(), after.end(), [&](const SourceColumn& a) { return a.name == c.name; });
        if (!named) {
          c.key = false;
          c.key_unknown = true;
        }
      }
    }
    SCOPED_TRACE("round " + std::to_string(round) + ": " + script + " lake before: " + Show(lake));
    SchemaDiff diff = DiffColumns(before, after);
    if (!attnums_known && diff.resync) {
      // A fresh snapshot: the lake table is made anew with the source's columns and values.
      ++outcomes.resynced;
      lake.clear();
      for (const auto& c : table.columns()) lake.push_back({c.identity, c.name, MapPostgresType(c.pg_type, 'b', 'b').duckdb_type});
      continue;
    }
    ++outcomes.followed;
    ASSERT_FALSE(diff.error) << *diff.error;
    ASSERT_FALSE(diff.resync) << *diff.resync;
    ASSERT_EQ(Apply(lake, diff.changes), "");
    ASSERT_EQ(lake.size(), table.columns().size()) << Show(lake);
    for (std::size_t i = 0; i < lake.size(); ++i) {
      const auto& want = table.columns()[i];
      ASSERT_EQ(lake[i].name, want.name) << Show(lake);
      EXPECT_EQ(lake[i].duckdb_type, MapPostgresType(want.pg_type, 'b', 'b').duckdb_type) << want.name << ": " << Show(lake);
      // The lake column holds the values of the source column it is; one added by a change reads
      // NULL in the older rows, right only for a column PostgreSQL added (no default here).
      if (lake[i].identity != 0) {
        EXPECT_EQ(lake[i].identity, want.identity) << want.name << " holds another column's values: " << Show(lake);
      } else {
        bool existed = std::find(before_identities.begin(), before_identities.end(), want.identity) != before_identities.end();
        EXPECT_FALSE(existed) << want.name << " lost its values (dropped and added again): " << Show(lake);
        lake[i].identity = want.identity;
      }
    }
  }
}

std::uint64_t Seed() {
  if (const char* fixed = std::getenv("MALLARD_DIFF_COLUMNS_SEED")) return std::strtoull(fixed, nullptr, 10);
  return std::random_device{}();
}

TEST(DiffColumnsRandom, LiveDescriptionsOfSeveralAltersKeepEveryColumnsValues) {
  std::uint64_t seed = Seed();
  SCOPED_TRACE("MALLARD_DIFF_COLUMNS_SEED=" + std::to_string(seed));
  Outcomes outcomes;
  for (int run = 0; run < 200 && !HasFatalFailure(); ++run) {
    RunAlters(seed + static_cast<std::uint64_t>(run), 20, 3, /*attnums_known=*/true, /*reuse_names=*/true, outcomes);
  }
  EXPECT_EQ(outcomes.resynced, 0);
}

TEST(DiffColumnsRandom, ResumedTablesFollowWhatTheyCanTellAndResyncTheRest) {
  std::uint64_t seed = Seed();
  SCOPED_TRACE("MALLARD_DIFF_COLUMNS_SEED=" + std::to_string(seed));
  for (int alters : {1, 3}) {
    Outcomes outcomes;
    for (int run = 0; run < 200 && !HasFatalFailure(); ++run) {
      // Not reusing names: a name given to another column while the pipe was away is the one
      // change the lake cannot tell from the same column (it keeps no attribute numbers).
      RunAlters(seed + static_cast<std::uint64_t>(run), 20, alters, /*attnums_known=*/false, /*reuse_names=*/false, outcomes);
    }
    // Most descriptions are followed in place (a resync costs a fresh snapshot of the table).
    std::printf("resumed, up to %d ALTERs a description: %d followed, %d resynced\n", alters, outcomes.followed,
                outcomes.resynced);
    EXPECT_GT(outcomes.followed, outcomes.resynced) << alters << " ALTERs a description";
  }
}

}  // namespace
}  // namespace mallard::cdc

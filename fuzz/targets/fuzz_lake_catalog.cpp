// DuckLake catalog readers without a database: a stand-in CatalogStore answers each query the lake
// sends with rows taken from the fuzz input, and the lake builds its CatalogView (snapshot,
// schemas, tables, column trees, data and delete files) from them, then derives what it derives
// from a view: the read_parquet schema argument, DuckDB type SQL, leaf columns, fingerprints and
// file paths. Also the statistics-value comparison and type-promotion rules on raw text.
//
// Input layout: byte 0 selects the mode (mod 3).
//   0: catalog rows. Query results are separated by 0x1d, rows by 0x1e, values by 0x1f; a value
//      that is exactly "\0" is SQL NULL. Every row is padded to 12 values with NULL (a real catalog
//      returns exactly the columns a query names, and the readers index them by position).
//   1: CompareStatValues: type 0x1f left 0x1f right.
//   2: TypePromotionAllowed: from 0x1f to.
//
// Not covered: anything that needs a live DuckDB or PostgreSQL (opening stores, inlined-data and
// Parquet reads, commits). CatalogInt reads BIGINT columns with std::stoll, which throws on text
// that a BIGINT column cannot hold; the stand-in therefore treats std::invalid_argument and
// std::out_of_range from a non-numeric value as "not a catalog", and only crashes, sanitizer
// reports and broken invariants count.
#include <stdexcept>

#include "fuzz/targets/strict_checks.hpp"
#include "lake/catalog_view.hpp"
#include "lake/lake_types.hpp"

using namespace mallard;
using namespace mallard::lake;

namespace {

constexpr std::size_t kRowWidth = 12;

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

class FuzzCatalogStore final : public CatalogStore {
 public:
  explicit FuzzCatalogStore(std::string_view data) : results_(Split(data, '\x1d')) {}
  std::string Dialect() const override { return "duckdb"; }
  LakeStatus Execute(const std::string&) override { return Done{}; }
  LakeResult<std::vector<CatalogRow>> Query(const std::string&) override {
    std::vector<CatalogRow> rows;
    if (next_ >= results_.size()) return rows;
    std::string_view result = results_[next_++];
    if (result.empty()) return rows;
    for (std::string_view row_text : Split(result, '\x1e')) {
      CatalogRow row;
      for (std::string_view value : Split(row_text, '\x1f')) {
        if (row.size() == kRowWidth) break;
        row.push_back(value == std::string_view("\0", 1) ? CatalogValue() : CatalogValue(std::string(value)));
      }
      row.resize(kRowWidth);
      rows.push_back(std::move(row));
    }
    return rows;
  }
  LakeStatus Begin() override { return Done{}; }
  LakeStatus Commit() override { return Done{}; }
  void Rollback() override {}

 private:
  std::vector<std::string_view> results_;
  std::size_t next_ = 0;
};

std::size_t CountColumns(const std::vector<LakeColumn>& columns) {
  std::size_t count = 0;
  for (const auto& column : columns) count += 1 + CountColumns(column.children);
  return count;
}

void ReadCatalog(std::string_view data) {
  FuzzCatalogStore store(data);
  auto snapshot = LoadLatestSnapshot(store);
  if (!snapshot.ok()) return;
  auto view = LoadCatalogView(store, *snapshot, "/lake/data/");
  if (!view.ok()) return;
  for (const auto& table : view->tables) {
    if (!LoadTableFiles(store, *view, table.table_id).ok()) continue;
    (void)view->TableDirectory(table);
    for (const auto& file : view->files[table.table_id]) (void)view->DataFilePath(table, file.path, file.path_is_relative);
    (void)view->FindTable(view->SchemaById(table.schema_id) ? view->SchemaById(table.schema_id)->name : "", table.name);
    (void)IsPathSafeName(table.name);
    (void)ReadSchemaArgument(table.columns);
    (void)FieldIdsOption(table.columns);
    (void)ColumnsFingerprint(table.columns);
    (void)MaxColumnId(table.columns);
    (void)ContainsJson(table.columns.empty() ? LakeColumn{} : table.columns[0]);
    auto leaves = LeafColumns(table.columns);
    if (leaves.size() > CountColumns(table.columns)) fuzz::FailCheck("more leaf columns than columns", data);
    for (const auto& column : table.columns) (void)DuckDbTypeSql(column, false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      try {
        ReadCatalog(rest);
      } catch (const std::invalid_argument&) {
      } catch (const std::out_of_range&) {
      }
      break;
    case 1: {
      auto parts = Split(rest, '\x1f');
      if (parts.size() != 3) break;
      std::string type(parts[0]), left(parts[1]), right(parts[2]);
      int forward = CompareStatValues(type, left, right);
      int backward = CompareStatValues(type, right, left);
      if (forward < -1 || forward > 1) fuzz::FailCheck("CompareStatValues out of {-1,0,1}", rest);
      if (forward != -backward) fuzz::FailCheck("CompareStatValues is not antisymmetric", rest);
      if (CompareStatValues(type, left, left) != 0) fuzz::FailCheck("CompareStatValues(x, x) != 0", rest);
      break;
    }
    default: {
      auto parts = Split(rest, '\x1f');
      if (parts.size() != 2) break;
      std::string from(parts[0]), to(parts[1]);
      if (TypePromotionAllowed(from, to) && TypePromotionAllowed(to, from))
        fuzz::FailCheck("TypePromotionAllowed both ways", rest);
      break;
    }
  }
  return 0;
}

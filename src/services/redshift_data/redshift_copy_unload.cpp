#include "services/redshift_data/redshift_copy_unload.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>

#include <spdlog/spdlog.h>

#include "common/ids.hpp"
#include "services/redshift_data/redshift_copy_unload_internal.hpp"
#include "sqlengine/dialect/redshift_dialect.hpp"
#include "sqlengine/dialect/sql_lexer.hpp"
#include "sqlengine/sql_text.hpp"

namespace mallard::redshift_data {

namespace bulk {

std::vector<sqlengine::QueryOutcome> RunOnEngine(sqlengine::SqlEngine& engine, std::vector<std::string> statements,
                                                 const std::string& schema) {
  sqlengine::QueryRequest request;
  request.statements = std::move(statements);
  request.schema = schema;
  auto outcomes = engine.Prepare(std::move(request))->Run();
  for (const auto& outcome : outcomes) {
    if (!outcome.succeeded) spdlog::debug("redshift-data COPY/UNLOAD: engine step failed: {}", outcome.error_message);
  }
  return outcomes;
}

Result<std::vector<sqlengine::SqlRow>, std::string> SelectRows(sqlengine::SqlEngine& engine, const std::string& sql,
                                                               const std::string& schema) {
  auto outcomes = RunOnEngine(engine, {sql}, schema);
  if (outcomes.empty()) return Fail(std::string("the SQL engine returned no result"));
  if (!outcomes.back().succeeded) return Fail(outcomes.back().error_message);
  return std::move(outcomes.back().rows);
}

std::string SqlString(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted.push_back(c);
    if (c == '\'') quoted.push_back('\'');
  }
  return quoted + "'";
}

std::string SqlIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (char c : name) {
    quoted.push_back(c);
    if (c == '"') quoted.push_back('"');
  }
  return quoted + "\"";
}

std::string SqlPathList(const std::vector<std::string>& paths) {
  std::string list = "[";
  for (std::size_t i = 0; i < paths.size(); ++i) list += (i ? ", " : "") + SqlString(paths[i]);
  return list + "]";
}

std::vector<std::string> KeysWithPrefix(const std::filesystem::path& bucket_root, const std::string& key_prefix) {
  // Walk only the directory the prefix ends in: "data/part" → ROOT/bucket/data, entries starting
  // with "part" (a matching directory is taken whole).
  std::vector<std::string> keys;
  std::string directory_part;
  std::string name_part = key_prefix;
  if (auto slash = key_prefix.rfind('/'); slash != std::string::npos) {
    directory_part = key_prefix.substr(0, slash);
    name_part = key_prefix.substr(slash + 1);
  }
  std::error_code error;
  std::filesystem::path start = directory_part.empty() ? bucket_root : bucket_root / directory_part;
  if (!std::filesystem::is_directory(start, error)) return keys;
  std::string key_base = directory_part.empty() ? "" : directory_part + "/";
  for (std::filesystem::directory_iterator it(start, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (name.compare(0, name_part.size(), name_part) != 0) continue;
    if (it->is_symlink(error)) continue;  // the file store never makes links; one made by hand is not an object
    if (it->is_regular_file(error)) {
      keys.push_back(key_base + name);
    } else if (it->is_directory(error)) {
      std::error_code walk_error;
      for (std::filesystem::recursive_directory_iterator walk(it->path(), std::filesystem::directory_options::none, walk_error), walk_end;
           !walk_error && walk != walk_end; walk.increment(walk_error)) {
        if (walk->is_symlink(walk_error)) {
          if (walk->is_directory(walk_error)) walk.disable_recursion_pending();
          continue;
        }
        if (!walk->is_regular_file(walk_error)) continue;
        keys.push_back(key_base + name + "/" + std::filesystem::relative(walk->path(), it->path(), walk_error).generic_string());
      }
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace bulk

std::string StrptimeFormat(std::string_view format) {
  // Longest tokens first: "MONTH" before "MON", "HH24" before "HH".
  static constexpr std::pair<std::string_view, std::string_view> kParts[] = {
      {"YYYY", "%Y"}, {"MONTH", "%B"}, {"MON", "%b"}, {"HH24", "%H"}, {"HH12", "%I"}, {"HH", "%I"}, {"MI", "%M"},
      {"SS", "%S"},   {"YY", "%y"},    {"MM", "%m"},  {"DD", "%d"},   {"AM", "%p"},   {"PM", "%p"},
      {"DAY", "%A"},  {"DY", "%a"},    {"US", "%f"},  {"MS", "%g"},
  };
  std::string out;
  std::size_t i = 0;
  while (i < format.size()) {
    bool matched = false;
    for (const auto& [token, replacement] : kParts) {
      if (format.size() - i < token.size()) continue;
      bool equal = true;
      for (std::size_t k = 0; k < token.size() && equal; ++k) {
        char c = format[i + k];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        equal = c == token[k];
      }
      if (!equal) continue;
      out += replacement;
      i += token.size();
      matched = true;
      break;
    }
    if (matched) continue;
    char c = format[i++];
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return {};  // a part with no equivalent
    if (c == '%') out += "%%";
    else out.push_back(c);
  }
  return out;
}

namespace {

using sqlengine::QueryOutcome;
using sqlengine::QueryRequest;

// A request with COPY/UNLOAD: planned, run as one, then finished.
class BulkRunningQuery final : public sqlengine::RunningQuery {
 public:
  BulkRunningQuery(std::shared_ptr<sqlengine::SqlEngine> engine, std::shared_ptr<const services::S3LocalFiles> files,
                   QueryRequest request)
      : engine_(std::move(engine)), files_(std::move(files)), request_(std::move(request)) {}

  std::vector<QueryOutcome> Run() override {
    // Each statement, or the statements of a text that holds a COPY/UNLOAD among others. The
    // service leaves such a text untranslated: its other statements are translated here (a
    // session per text, as the service keeps one per submission).
    struct Piece {
      std::size_t original = 0;
      std::string sql;
      std::string error;  // translation failed: the piece fails with this message
    };
    std::vector<Piece> pieces;
    for (std::size_t i = 0; i < request_.statements.size(); ++i) {
      const std::string& text = request_.statements[i];
      auto parts = SplitAroundBulkStatements(text);
      if (parts.empty()) {
        pieces.push_back({i, text, {}});
        continue;
      }
      sqlengine::dialect::RedshiftSession session;
      for (auto& part : parts) {
        Piece piece{i, std::move(part), {}};
        if (ClassifyBulkStatement(piece.sql) == BulkStatementKind::None) {
          auto translated = sqlengine::dialect::TranslateRedshift(piece.sql, session);
          if (translated.ok()) {
            piece.sql = sqlengine::RewriteNamedParameters(translated.value(), nullptr);
          } else {
            piece.error = sqlengine::dialect::RedshiftErrorText(translated.error());
          }
        }
        pieces.push_back(std::move(piece));
      }
    }
    std::vector<bulk::BulkPlan> plans(pieces.size());
    QueryRequest rewritten = request_;
    rewritten.statements.clear();
    const std::string tag = NewUuid().substr(0, 8);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (interrupted_) return {Cancelled()};
      const std::string& sql = pieces[i].sql;
      switch (pieces[i].error.empty() ? ClassifyBulkStatement(sql) : BulkStatementKind::None) {
        case BulkStatementKind::Copy:
          plans[i] = bulk::PlanCopy(*engine_, files_.get(), sql, request_.schema);
          break;
        case BulkStatementKind::Unload:
          plans[i] = bulk::PlanUnload(*engine_, files_.get(), sql, request_.schema, tag + "-" + std::to_string(i));
          break;
        case BulkStatementKind::None:
          plans[i].error = pieces[i].error;
          rewritten.statements.push_back(plans[i].error.empty() ? sql : "SELECT error(" + bulk::SqlString(plans[i].error) + ")");
          continue;
      }
      // A plan that failed still takes the statement's place, so the statements before it run
      // (and, in a batch, are rolled back) exactly as when the engine itself fails it.
      rewritten.statements.push_back(plans[i].error.empty() ? plans[i].engine_sql
                                                            : "SELECT error(" + bulk::SqlString(plans[i].error) + ")");
      // UNLOAD's COPY … TO is Mallard's own statement into the S3 store: the sandbox lets it through.
      if (plans[i].kind == BulkStatementKind::Unload && plans[i].error.empty()) rewritten.service_copies.push_back(i);
    }
    std::unique_ptr<sqlengine::RunningQuery> inner = engine_->Prepare(std::move(rewritten));
    {
      std::lock_guard lock(mutex_);
      if (interrupted_) return {Cancelled()};
      inner_ = inner.get();
    }
    std::vector<QueryOutcome> outcomes = inner->Run();
    for (std::size_t i = 0; i < outcomes.size() && i < plans.size(); ++i) {
      if (plans[i].kind != BulkStatementKind::None && !outcomes[i].succeeded) {
        spdlog::debug("redshift-data COPY/UNLOAD: `{}` failed in the engine: {}", plans[i].engine_sql.substr(0, 2000),
                      outcomes[i].error_message);
      }
    }
    {
      std::lock_guard lock(mutex_);
      inner_ = nullptr;
    }
    for (std::size_t i = 0; i < plans.size(); ++i) {
      QueryOutcome* outcome = i < outcomes.size() ? &outcomes[i] : nullptr;
      if (plans[i].kind == BulkStatementKind::Unload) {
        if (outcome != nullptr && outcome->succeeded) {
          bulk::FinishUnload(*engine_, plans[i], request_.schema, *outcome);
        } else {
          std::error_code ignored;
          if (!plans[i].staging.empty()) std::filesystem::remove_all(plans[i].staging, ignored);
        }
      }
      if (outcome == nullptr) continue;
      if (!plans[i].error.empty() && !outcome->succeeded && !outcome->cancelled) {
        outcome->error_message = plans[i].error;
        continue;
      }
      if (plans[i].kind == BulkStatementKind::Copy) bulk::FinishCopy(*engine_, plans[i], request_.schema, *outcome);
    }
    if (pieces.size() == request_.statements.size()) return outcomes;
    // One outcome per statement the client sent: a text's first failure, else its last statement's.
    std::vector<QueryOutcome> merged;
    std::size_t next = 0;
    for (std::size_t original = 0; original < request_.statements.size() && next < outcomes.size(); ++original) {
      std::size_t end = next;
      while (end < pieces.size() && pieces[end].original == original) ++end;
      std::size_t ran_end = std::min(end, outcomes.size());
      std::size_t chosen = ran_end - 1;
      for (std::size_t j = next; j < ran_end; ++j) {
        if (!outcomes[j].succeeded) {
          chosen = j;
          break;
        }
      }
      merged.push_back(std::move(outcomes[chosen]));
      next = end;
    }
    return merged;
  }

  void Interrupt() override {
    interrupted_ = true;
    std::lock_guard lock(mutex_);
    if (inner_ != nullptr) inner_->Interrupt();
  }

 private:
  static QueryOutcome Cancelled() {
    QueryOutcome outcome;
    outcome.cancelled = true;
    outcome.error_message = "Query was cancelled";
    return outcome;
  }

  std::shared_ptr<sqlengine::SqlEngine> engine_;
  std::shared_ptr<const services::S3LocalFiles> files_;
  QueryRequest request_;
  std::atomic<bool> interrupted_{false};
  std::mutex mutex_;
  sqlengine::RunningQuery* inner_ = nullptr;
};

// Whether `sql` mentions stl_load_errors at all (ASCII case-insensitive): the cheap test that
// keeps every other statement off the lexer.
bool MentionsLoadErrors(std::string_view sql) {
  static constexpr std::string_view kName = "stl_load_errors";
  if (sql.size() < kName.size()) return false;
  for (std::size_t i = 0; i + kName.size() <= sql.size(); ++i) {
    std::size_t k = 0;
    while (k < kName.size()) {
      char c = sql[i + k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != kName[k]) break;
      ++k;
    }
    if (k == kName.size()) return true;
  }
  return false;
}

// Redshift's system view stl_load_errors (also as pg_catalog.stl_load_errors) names the table COPY
// records rejected rows in; a name qualified by another schema is left alone.
std::string MapLoadErrorsRelation(const std::string& sql) {
  namespace dialect = sqlengine::dialect;
  auto tokens = dialect::Tokenize(sql);
  const std::string target = bulk::SqlIdentifier(kLoadErrorsSchema) + "." + bulk::SqlIdentifier(kLoadErrorsTable);
  std::string out;
  std::size_t copied = 0;  // bytes of `sql` already in `out`
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].IsKeyword("STL_LOAD_ERRORS")) continue;
    std::size_t start = tokens[i].offset;
    // What precedes it: nothing, or `pg_catalog .`.
    std::size_t previous = i;
    while (previous > 0 && tokens[previous - 1].IsTrivia()) --previous;
    if (previous > 0 && tokens[previous - 1].IsPunct('.')) {
      std::size_t schema = previous - 1;
      while (schema > 0 && tokens[schema - 1].IsTrivia()) --schema;
      if (schema == 0 || !tokens[schema - 1].IsKeyword("PG_CATALOG")) continue;
      start = tokens[schema - 1].offset;
      if (start < copied) continue;
    }
    out.append(sql, copied, start - copied);
    out += target;
    copied = tokens[i].offset + tokens[i].text.size();
  }
  if (copied == 0) return sql;
  out.append(sql, copied, std::string::npos);
  return out;
}

// stl_load_errors (in a `_mallard_` schema no listing shows), made before the first statement or
// catalogue read that could see it, on the thread that runs that (a query's worker, the service's
// pool). Made at construction, it opened the SQL engine at every start-up, which the engine
// otherwise defers until SQL first runs.
class LoadErrorsTable {
 public:
  explicit LoadErrorsTable(std::shared_ptr<sqlengine::SqlEngine> engine) : engine_(std::move(engine)) {}

  void Ensure() {
    if (made_.load(std::memory_order_acquire)) return;
    std::lock_guard lock(mutex_);
    if (made_.load(std::memory_order_relaxed)) return;
    for (const auto& outcome : bulk::RunOnEngine(*engine_, bulk::LoadErrorsTableSql(), "")) {
      if (!outcome.succeeded) spdlog::warn("redshift-data: cannot create stl_load_errors: {}", outcome.error_message);
    }
    made_.store(true, std::memory_order_release);  // one try, as at start-up before: a failure is logged once
  }
  // The engine was reset: the table is gone and is made again by the next use.
  void Forget() { made_.store(false, std::memory_order_release); }

 private:
  std::shared_ptr<sqlengine::SqlEngine> engine_;
  std::mutex mutex_;
  std::atomic<bool> made_{false};
};

class AfterLoadErrorsTable final : public sqlengine::RunningQuery {
 public:
  AfterLoadErrorsTable(std::shared_ptr<LoadErrorsTable> table, std::unique_ptr<sqlengine::RunningQuery> query)
      : table_(std::move(table)), query_(std::move(query)) {}
  std::vector<QueryOutcome> Run() override {
    table_->Ensure();
    return query_->Run();
  }
  void Interrupt() override { query_->Interrupt(); }

 private:
  std::shared_ptr<LoadErrorsTable> table_;
  std::unique_ptr<sqlengine::RunningQuery> query_;
};

// The engine with COPY and UNLOAD; everything else passes through.
class CopyUnloadEngine final : public sqlengine::SqlEngine {
 public:
  CopyUnloadEngine(std::shared_ptr<sqlengine::SqlEngine> inner, std::shared_ptr<const services::S3LocalFiles> files)
      : inner_(std::move(inner)), files_(std::move(files)), load_errors_(std::make_shared<LoadErrorsTable>(inner_)) {}

  std::string Name() const override { return inner_->Name(); }
  std::string DatabaseName() const override { return inner_->DatabaseName(); }
  std::string DefaultSchema() const override { return inner_->DefaultSchema(); }
  std::unique_ptr<sqlengine::RunningQuery> Prepare(QueryRequest request) override {
    for (auto& statement : request.statements) {
      if (MentionsLoadErrors(statement) && ClassifyBulkStatement(statement) == BulkStatementKind::None) {
        statement = MapLoadErrorsRelation(statement);
      }
    }
    bool bulk_statement = std::any_of(request.statements.begin(), request.statements.end(), [](const std::string& sql) {
      return ClassifyBulkStatement(sql) != BulkStatementKind::None || !SplitAroundBulkStatements(sql).empty();
    });
    std::unique_ptr<sqlengine::RunningQuery> query =
        bulk_statement ? std::make_unique<BulkRunningQuery>(inner_, files_, std::move(request))
                       : inner_->Prepare(std::move(request));
    return std::make_unique<AfterLoadErrorsTable>(load_errors_, std::move(query));
  }
  Result<std::vector<std::string>, std::string> ListSchemas() override {
    load_errors_->Ensure();
    return inner_->ListSchemas();
  }
  Result<std::vector<sqlengine::TableInfo>, std::string> ListTables(const std::string& schema) override {
    load_errors_->Ensure();
    return inner_->ListTables(schema);
  }
  Result<std::optional<sqlengine::TableInfo>, std::string> DescribeTable(const std::string& schema,
                                                                         const std::string& table) override {
    load_errors_->Ensure();
    return inner_->DescribeTable(schema, table);
  }
  void Reset() override {
    inner_->Reset();
    load_errors_->Forget();
  }
  sqlengine::EngineRefreshers* Refreshers() override { return inner_->Refreshers(); }

 private:
  std::shared_ptr<sqlengine::SqlEngine> inner_;
  std::shared_ptr<const services::S3LocalFiles> files_;
  std::shared_ptr<LoadErrorsTable> load_errors_;
};

}  // namespace

std::shared_ptr<sqlengine::SqlEngine> WithCopyUnload(std::shared_ptr<sqlengine::SqlEngine> engine,
                                                     std::shared_ptr<const services::S3LocalFiles> s3_files) {
  return std::make_shared<CopyUnloadEngine>(std::move(engine), std::move(s3_files));
}

}  // namespace mallard::redshift_data

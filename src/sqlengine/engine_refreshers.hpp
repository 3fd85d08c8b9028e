#pragma once

// Engine objects that go stale outside SQL — Athena's external-table views over S3 files, whose
// directories come and go — must be rebuilt before any query that names them, whichever service
// sends it (Redshift Data reads those views too). The service that owns such objects registers a
// refresher with the engine; every service asks for the statements a query needs before it runs
// the query. No service reaches into another's state: it runs the statements the owner gives.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace mallard::sqlengine {

class EngineRefreshers {
 public:
  // Given a query's engine SQL (its statements, newline-joined): the statements to run before it
  // (none when nothing it names is stale), or an error the query should fail with.
  using Refresher = std::function<Result<std::vector<std::string>, std::string>(std::string_view engine_sql)>;

  // One refresher per owner ("athena"); registering again replaces it.
  void Register(const std::string& owner, Refresher refresher) {
    std::lock_guard lock(mutex_);
    refreshers_[owner] = std::move(refresher);
  }

  // Every refresher's statements, in owner order; the first error. The refreshers run outside the
  // lock (they list directories), on a copy of the table.
  Result<std::vector<std::string>, std::string> StatementsFor(std::string_view engine_sql) const {
    std::map<std::string, Refresher> refreshers;
    {
      std::lock_guard lock(mutex_);
      refreshers = refreshers_;
    }
    std::vector<std::string> statements;
    for (const auto& [owner, refresher] : refreshers) {
      MALLARD_ASSIGN_OR_RETURN(auto more, refresher(engine_sql));
      for (auto& statement : more) statements.push_back(std::move(statement));
    }
    return statements;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Refresher> refreshers_;
};

}  // namespace mallard::sqlengine

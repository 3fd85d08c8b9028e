#pragma once
// The Redshift Data view of a statement's progress: statuses (SUBMITTED → STARTED → FINISHED /
// FAILED / ABORTED), timings, result counts and the sub-statements of a batch ("ID:1", "ID:2").
#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "services/redshift_data/redshift_data_service.hpp"

namespace mallard::redshift_data {

// "ID:2" → "ID"; an id without a suffix is its own parent.
std::string ParentId(const std::string& id);
// "ID:2" → 1 (0-based); -1 without a suffix or when the suffix is not a number.
int SubStatementIndex(const std::string& id);
// The model's statement id pattern (UUID: [a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d{0,2})?),
// checked by hand: a malformed id is a ValidationException, a well-formed unknown one
// ResourceNotFoundException, as Redshift Data answers.
bool IsStatementId(std::string_view id);
inline constexpr const char* kStatementIdPattern = "[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d{0,2})?";
std::string StatusName(sqlengine::JobState state);

struct StatementView {
  sqlengine::JobState state = sqlengine::JobState::Queued;
  std::string status;
  std::int64_t started_ms = 0;
  std::int64_t completed_ms = 0;
  std::int64_t updated_ms = 0;
  std::string error;  // "ERROR: ..." when FAILED
  std::shared_ptr<const std::vector<sqlengine::QueryOutcome>> outcomes;

  // The whole statement (sub_index -1) or one sub-statement of a batch, as DescribeStatement and
  // SubStatementData describe them.
  boost::json::object Describe(const StatementRecord& record, int sub_index) const;
  // The outcome of statement `sub_index` (-1: the last), or nullptr when it did not run.
  const sqlengine::QueryOutcome* Outcome(int sub_index) const;
};

StatementView ViewOf(const StatementRecord& record, std::int64_t now);

}  // namespace mallard::redshift_data

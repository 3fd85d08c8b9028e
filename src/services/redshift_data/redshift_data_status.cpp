#include "services/redshift_data/redshift_data_status.hpp"

#include <boost/json.hpp>

#include <algorithm>

#include "services/kit/api_input.hpp"
#include "sqlengine/dialect/redshift_dialect.hpp"

namespace mallard::redshift_data {
namespace json = boost::json;
using services::kit::EpochSeconds;
using sqlengine::JobState;
using sqlengine::QueryOutcome;

std::string ParentId(const std::string& id) {
  auto colon = id.rfind(':');
  return colon == std::string::npos ? id : id.substr(0, colon);
}

int SubStatementIndex(const std::string& id) {
  auto colon = id.rfind(':');
  if (colon == std::string::npos || colon + 1 >= id.size() || id.size() - colon > 4) return -1;
  int index = 0;
  for (char c : id.substr(colon + 1)) {
    if (c < '0' || c > '9') return -1;
    index = index * 10 + (c - '0');
  }
  return index - 1;
}

bool IsStatementId(std::string_view id) {
  const auto is_lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  constexpr std::size_t kUuidLength = 36;
  if (id.size() < kUuidLength) return false;
  for (std::size_t i = 0; i < kUuidLength; ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? id[i] != '-' : !is_lower_alnum(id[i])) return false;
  }
  std::string_view suffix = id.substr(kUuidLength);
  if (suffix.empty()) return true;
  if (suffix[0] != ':' || suffix.size() > 3) return false;
  return std::all_of(suffix.begin() + 1, suffix.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string StatusName(JobState state) {
  switch (state) {
    case JobState::Queued: return "SUBMITTED";
    case JobState::Running: return "STARTED";
    case JobState::Succeeded: return "FINISHED";
    case JobState::Failed: return "FAILED";
    case JobState::Cancelled: return "ABORTED";
  }
  return "FAILED";
}

StatementView ViewOf(const StatementRecord& record, std::int64_t now) {
  StatementView view;
  if (record.restored) {
    view.state = record.restored->state;
    view.started_ms = record.restored->started_ms;
    view.completed_ms = record.restored->completed_ms;
    view.outcomes = record.restored->outcomes;
    if (!record.settled_error.empty()) view.error = "ERROR: " + record.settled_error;
    if (view.state == JobState::Failed && view.outcomes) {
      for (const auto& outcome : *view.outcomes) {
        if (!outcome.succeeded && !outcome.cancelled) view.error = "ERROR: " + sqlengine::dialect::RedshiftEngineError(outcome.error_message);
      }
    }
  } else if (!record.settled_error.empty() || !record.job) {
    view.state = JobState::Failed;
    view.started_ms = view.completed_ms = record.created_ms;
    view.error = "ERROR: " + record.settled_error;
  } else {
    auto snapshot = record.job->Read();
    view.state = snapshot.state;
    view.started_ms = snapshot.started_ms;
    view.completed_ms = snapshot.completed_ms;
    view.outcomes = snapshot.outcomes;
    if (snapshot.state == JobState::Failed && snapshot.outcomes) {
      for (const auto& outcome : *snapshot.outcomes) {
        if (!outcome.succeeded && !outcome.cancelled) view.error = "ERROR: " + sqlengine::dialect::RedshiftEngineError(outcome.error_message);
      }
    }
  }
  view.status = StatusName(view.state);
  view.updated_ms = view.completed_ms != 0 ? view.completed_ms : view.started_ms != 0 ? view.started_ms : record.created_ms;
  (void)now;
  return view;
}

const QueryOutcome* StatementView::Outcome(int sub_index) const {
  if (!outcomes || outcomes->empty()) return nullptr;
  if (sub_index < 0) return &outcomes->back();
  if (static_cast<std::size_t>(sub_index) >= outcomes->size()) return nullptr;
  return &(*outcomes)[static_cast<std::size_t>(sub_index)];
}

json::object StatementView::Describe(const StatementRecord& record, int sub_index) const {
  std::string status_text = status;
  std::string error_text = error;
  const QueryOutcome* outcome = nullptr;
  if (sub_index < 0) {
    outcome = record.is_batch ? nullptr : Outcome(-1);
  } else {
    outcome = Outcome(sub_index);
    if (outcome != nullptr) {
      status_text = outcome->cancelled ? "ABORTED" : outcome->succeeded ? "FINISHED" : "FAILED";
      error_text = outcome->succeeded || outcome->cancelled ? "" : "ERROR: " + sqlengine::dialect::RedshiftEngineError(outcome->error_message);
    } else if (completed_ms != 0) {
      status_text = "ABORTED";  // never ran: an earlier statement of the batch failed or it was cancelled
      error_text.clear();
    } else {
      error_text.clear();
    }
  }
  bool has_result_set = false;
  std::int64_t rows = 0;
  std::int64_t size = 0;
  if (sub_index < 0 && record.is_batch) {
    for (std::size_t i = 0; outcomes && i < outcomes->size(); ++i) {
      const auto& each = (*outcomes)[i];
      has_result_set = has_result_set || each.has_result_set;
    }
    rows = -1;
    size = -1;
  } else if (outcome != nullptr) {
    has_result_set = outcome->has_result_set;
    rows = has_result_set ? static_cast<std::int64_t>(outcome->rows.size()) : std::max<std::int64_t>(outcome->rows_affected, 0);
    size = outcome->result_bytes;
  }
  std::int64_t duration_ns = completed_ms != 0 && started_ms != 0 ? (completed_ms - started_ms) * 1'000'000 : -1;
  json::object described{{"Id", sub_index < 0 ? record.id : record.id + ":" + std::to_string(sub_index + 1)},
                         {"Status", status_text},
                         {"CreatedAt", EpochSeconds(record.created_ms)},
                         {"UpdatedAt", EpochSeconds(updated_ms)},
                         {"Duration", duration_ns},
                         {"HasResultSet", has_result_set},
                         {"ResultRows", rows},
                         {"ResultSize", size},
                         {"RedshiftQueryId", record.query_id + std::max(sub_index, 0)}};
  if (sub_index >= 0 || !record.is_batch) {
    described["QueryString"] = record.sql.at(static_cast<std::size_t>(std::max(sub_index, 0)));
  }
  if (!error_text.empty() && status_text == "FAILED") described["Error"] = error_text;
  return described;
}

}  // namespace mallard::redshift_data

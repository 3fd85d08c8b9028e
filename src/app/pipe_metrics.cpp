#include "app/pipe_metrics.hpp"

#include <boost/json.hpp>

#include "app/pipe_api.hpp"

namespace mallard::app {
namespace json = boost::json;

namespace {

double Number(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return 0;
  if (value->is_double()) return value->as_double();
  if (value->is_int64()) return static_cast<double>(value->as_int64());
  if (value->is_uint64()) return static_cast<double>(value->as_uint64());
  if (value->is_bool()) return value->as_bool() ? 1 : 0;
  return 0;
}

std::string Text(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

}  // namespace

void CollectPipeMetrics(const cdc::GroupStatus& status, observability::MetricsSink& sink) {
  // From the /status document, so both views of the pipe compute lag and percentiles one way.
  json::value parsed = json::parse(PipeStatusJson(status));
  const json::object& group = parsed.as_object();
  observability::Labels by_group{{"group", status.group}};
  sink.Gauge("mallard_pipe_connected", "1 while the pipe's replication stream is connected.", by_group,
             Number(group, "connected"));
  sink.Gauge("mallard_pipe_slot_lag_bytes", "Source WAL position minus the slot's confirmed position.", by_group,
             Number(group, "slot_lag_bytes"));
  sink.Gauge("mallard_pipe_queued_bytes", "Bytes held in the pipe's table queues.", by_group, Number(group, "queued_bytes"));
  sink.Gauge("mallard_pipe_backpressured", "1 while WAL reading waits for flushes.", by_group, Number(group, "backpressured"));
  sink.Counter("mallard_pipe_transactions_total", "Source transactions the pipe received.", by_group,
               Number(group, "transactions"));
  sink.Counter("mallard_pipe_changes_total", "Row changes the pipe routed to tables.", by_group, Number(group, "changes"));
  const json::value* tables = group.if_contains("tables");
  if (tables == nullptr || !tables->is_array()) return;
  for (const auto& entry : tables->as_array()) {
    if (!entry.is_object()) continue;
    const auto& table = entry.as_object();
    observability::Labels labels{{"group", status.group}, {"table", Text(table, "source")}};
    sink.Gauge("mallard_pipe_table_lag_bytes", "Source WAL position minus the table's applied position.", labels,
               Number(table, "lag_bytes"));
    sink.Gauge("mallard_pipe_table_lag_seconds", "Age of the table's oldest committed change not yet in the lake.", labels,
               Number(table, "lag_seconds"));
    sink.Counter("mallard_pipe_table_rows_synced_total", "Rows written to the table's lake table.", labels,
                 Number(table, "rows_synced"));
    sink.Gauge("mallard_pipe_table_buffered_rows", "Rows buffered for the table's next flush.", labels,
               Number(table, "buffered_rows"));
    sink.Counter("mallard_pipe_table_flushes_total", "Successful flushes of the table.", labels, Number(table, "flushes"));
    sink.Counter("mallard_pipe_table_flush_failures_total", "Failed flush attempts of the table (each is retried).", labels,
                 Number(table, "failed_flushes"));
    sink.Gauge("mallard_pipe_table_flush_p50_seconds", "Median duration of the table's recent flushes.", labels,
               Number(table, "flush_p50_ms") / 1000.0);
    sink.Gauge("mallard_pipe_table_flush_p99_seconds", "99th percentile duration of the table's recent flushes.", labels,
               Number(table, "flush_p99_ms") / 1000.0);
    observability::Labels state = labels;
    state.emplace_back("state", Text(table, "state"));
    sink.Gauge("mallard_pipe_table_state", "1 for the table's current state.", state, 1);
  }
}

}  // namespace mallard::app

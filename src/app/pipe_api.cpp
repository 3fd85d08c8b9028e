#include "app/pipe_api.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>
#include <thread>

#include "cdc/pg/lsn.hpp"
#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "http/bearer_token.hpp"

namespace mallard::app {
namespace {

namespace json = boost::json;

std::string LsnText(std::uint64_t lsn) { return cdc::pg::Lsn{lsn}.ToString(); }

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::uint64_t LagBytes(const cdc::GroupStatus& group, const cdc::TableStatus& table) {
  std::uint64_t applied = std::max(table.progress.applied_lsn, group.confirmed_lsn);
  return group.source_lsn > applied ? group.source_lsn - applied : 0;
}

double LagSeconds(const cdc::TableStatus& table) {
  if (table.oldest_pending_commit_unix_ms == 0) return 0;
  return static_cast<double>(WallClockMillis() - table.oldest_pending_commit_unix_ms) / 1000.0;
}

http::HttpResponse Json(int status, const json::value& body) {
  http::HttpResponse response;
  response.status = status;
  response.body = json::serialize(body);
  response.SetHeader("Content-Type", "application/json");
  return response;
}

http::HttpResponse Error(int status, const std::string& message) { return Json(status, json::object{{"error", message}}); }

// name=value pairs of a query string, percent-decoded ("a" alone has an empty value; a malformed
// escape leaves the text as it is, which then matches nothing).
std::vector<std::pair<std::string, std::string>> QueryParameters(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < query.size()) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string part = query.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    auto equals = part.find('=');
    std::string name = part.substr(0, equals), value = equals == std::string::npos ? "" : part.substr(equals + 1);
    out.emplace_back(PercentDecode(name).value_or(name), PercentDecode(value).value_or(value));
  }
  return out;
}

// True when the Content-Type's media type is application/json (parameters and case ignored).
bool IsJsonContentType(const std::string* content_type) {
  if (content_type == nullptr) return false;
  std::string media = content_type->substr(0, content_type->find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
  std::size_t start = media.find_first_not_of(" \t");
  if (start == std::string::npos) return false;
  media.erase(0, start);
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

bool IsStateChanging(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// POST /tables, POST /tables/{table}/resync, DELETE /tables/{table}[?drop_lake_table=…]; nullopt
// when the request is none of them.
std::optional<http::HttpResponse> RouteTableAction(cdc::SyncGroup& group, const http::HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/tables" && request.method == "POST") {
    json::value body;
    boost::system::error_code error;
    body = json::parse(request.body, error);
    if (error || !body.is_object() || !body.as_object().contains("table") || !body.at("table").is_string()) {
      return Error(400, "expected a JSON body {\"table\": \"schema.table\"}");
    }
    auto added = group.AddTable(std::string(body.at("table").as_string()));
    if (!added.ok()) return Error(added.error().find("already synced") != std::string::npos ? 409 : 400, added.error());
    return Json(201, json::object{{"table", body.at("table")}, {"state", "SNAPSHOT"}});
  }
  if (path.rfind("/tables/", 0) == 0) {
    auto decoded = PercentDecode(path.substr(8));
    if (!decoded) return Error(400, "malformed percent-escape in the path");
    std::string rest = *decoded;
    bool resync = rest.size() > 7 && rest.compare(rest.size() - 7, 7, "/resync") == 0;
    if (resync && request.method == "POST") {
      std::string table = rest.substr(0, rest.size() - 7);
      auto done = group.Resync(table);
      if (!done.ok()) return Error(done.error().find("not synced") != std::string::npos ? 404 : 400, done.error());
      return Json(202, json::object{{"table", table}, {"state", "SNAPSHOT"}});
    }
    if (!resync && request.method == "DELETE") {
      // ?drop_lake_table=true also drops the lake table, so adding the table again starts over.
      bool drop_lake_table = false;
      for (const auto& [name, value] : QueryParameters(request.query)) {
        if (name != "drop_lake_table") return Error(400, "unknown query parameter '" + name + "'");
        if (value != "true" && value != "false") return Error(400, "drop_lake_table must be true or false");
        drop_lake_table = value == "true";
      }
      auto done = group.RemoveTable(rest, drop_lake_table);
      if (!done.ok()) return Error(done.error().find("not synced") != std::string::npos ? 404 : 400, done.error());
      return Json(200, json::object{{"table", rest}, {"removed", true}, {"lake_table_dropped", drop_lake_table}});
    }
  }
  return std::nullopt;
}

class PipeApiHandler final : public http::HttpHandler {
 public:
  PipeApiHandler(std::shared_ptr<cdc::SyncGroup> group, std::string admin_token)
      : group_(std::move(group)), admin_token_(std::move(admin_token)) {}

  void Handle(http::HttpRequest request, http::Responder respond) override {
    if (IsStateChanging(request.method)) {
      if (auto refused = Refusal(request)) return respond(std::move(*refused));
    }
    // Table changes talk to PostgreSQL and the lake: off the network thread.
    auto group = group_;
    std::thread([group, request = std::move(request), respond = std::move(respond)]() mutable {
      // An exception escaping this thread would end the process: answer 500 instead.
      http::HttpResponse response;
      try {
        response = Route(*group, request);
      } catch (const std::exception& e) {
        spdlog::error("pipe api: {} {} failed: {}", request.method, request.path, e.what());
        response = Error(500, "internal error");
      }
      respond(std::move(response));
    }).detach();
  }
  http::HttpResponse RejectOversizedBody(const http::HttpRequest&, std::size_t limit) override {
    return Error(413, "request body larger than " + std::to_string(limit) + " bytes");
  }
  http::HttpResponse RejectMalformedRequest(const std::string& reason) override { return Error(400, reason); }

 private:
  static http::HttpResponse Route(cdc::SyncGroup& group, const http::HttpRequest& request) {
    const std::string& path = request.path;
    if (request.method == "GET" && path == "/health") {
      auto status = group.Status();
      bool healthy = status.connected;
      json::object body{{"status", healthy ? "ok" : "degraded"}, {"connected", status.connected}};
      if (!status.last_error.empty()) body["last_error"] = status.last_error;
      return Json(healthy ? 200 : 503, body);
    }
    if (request.method == "GET" && path == "/status") return Json(200, json::parse(PipeStatusJson(group.Status())));
    if (request.method == "GET" && path == "/metrics") {
      http::HttpResponse response;
      response.body = PipeMetricsText(group.Status());
      response.SetHeader("Content-Type", "text/plain; version=0.0.4");
      return response;
    }
    if (auto answer = RouteTableAction(group, request)) return std::move(*answer);
    return Error(404, "no route for " + request.method + " " + path);
  }

  // Why a state-changing request is refused, if it is. The API answers no CORS preflight, so a
  // page on another origin can only send "simple" requests, whose Content-Type is never JSON.
  std::optional<http::HttpResponse> Refusal(const http::HttpRequest& request) const {
    if (!admin_token_.empty()) {
      switch (http::CheckBearerToken(request, admin_token_)) {
        case http::BearerCheck::kMissing: {
          auto response = Error(401, "this request needs Authorization: Bearer <admin token>");
          response.SetHeader("WWW-Authenticate", "Bearer realm=\"mallard pipe\"");
          return response;
        }
        case http::BearerCheck::kWrong:
          return Error(403, "the admin token does not match");
        case http::BearerCheck::kAccepted:
          break;
      }
    }
    if (!IsJsonContentType(request.Header("content-type"))) {
      return Error(415, request.method + " requests need Content-Type: application/json");
    }
    return std::nullopt;
  }

  std::shared_ptr<cdc::SyncGroup> group_;
  std::string admin_token_;
};

}  // namespace

std::string PipeStatusJson(const cdc::GroupStatus& status) {
  json::array tables;
  for (const auto& table : status.tables) {
    json::object entry{{"source", table.progress.source.Label()},
                       {"target", table.progress.target.Label()},
                       {"state", cdc::TableStateName(table.progress.state)},
                       {"rows_synced", table.progress.rows_synced},
                       {"applied_lsn", LsnText(table.progress.applied_lsn)},
                       {"snapshot_lsn", LsnText(table.progress.snapshot_lsn)},
                       {"lag_bytes", LagBytes(status, table)},
                       {"lag_seconds", LagSeconds(table)},
                       {"queued_bytes", table.queued_bytes},
                       {"buffered_rows", table.buffered_rows},
                       {"flushes", table.stats.flushes},
                       {"failed_flushes", table.stats.failed_flushes},
                       {"flush_p50_ms", Percentile(table.stats.latencies_ms, 0.5)},
                       {"flush_p99_ms", Percentile(table.stats.latencies_ms, 0.99)},
                       {"mode", table.append_mode ? "append" : "upsert"}};
    std::string error = !table.progress.error.empty() ? table.progress.error : table.last_error;
    entry["last_error"] = error.empty() ? json::value(nullptr) : json::value(error);
    tables.push_back(std::move(entry));
  }
  json::object body{{"group", status.group},
                    {"slot", status.slot},
                    {"publication", status.publication},
                    {"connected", status.connected},
                    {"received_lsn", LsnText(status.received_lsn)},
                    {"confirmed_lsn", LsnText(status.confirmed_lsn)},
                    {"source_lsn", LsnText(status.source_lsn)},
                    {"slot_lag_bytes", status.source_lsn > status.confirmed_lsn ? status.source_lsn - status.confirmed_lsn : 0},
                    {"queued_bytes", status.queued_bytes},
                    {"max_queued_bytes", status.max_queued_bytes},
                    {"backpressured", status.backpressured},
                    {"transactions", status.transactions},
                    {"changes", status.changes},
                    {"tables", std::move(tables)}};
  if (!status.last_error.empty()) body["last_error"] = status.last_error;
  return json::serialize(body);
}

std::string PipeMetricsText(const cdc::GroupStatus& status) {
  std::string out;
  auto gauge = [&](const std::string& name, const std::string& help, const std::string& type) {
    out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  std::string group = "group=\"" + status.group + "\"";
  gauge("mallard_pipe_connected", "1 when the replication stream is connected", "gauge");
  out += "mallard_pipe_connected{" + group + "} " + (status.connected ? "1" : "0") + "\n";
  gauge("mallard_pipe_slot_lag_bytes", "source WAL position minus the slot's confirmed position", "gauge");
  out += "mallard_pipe_slot_lag_bytes{" + group + "} " +
         std::to_string(status.source_lsn > status.confirmed_lsn ? status.source_lsn - status.confirmed_lsn : 0) + "\n";
  gauge("mallard_pipe_queued_bytes", "bytes held in the table queues", "gauge");
  out += "mallard_pipe_queued_bytes{" + group + "} " + std::to_string(status.queued_bytes) + "\n";
  gauge("mallard_pipe_backpressured", "1 while WAL reading waits for flushes", "gauge");
  out += "mallard_pipe_backpressured{" + group + "} " + (status.backpressured ? "1" : "0") + "\n";
  gauge("mallard_pipe_transactions_total", "source transactions received", "counter");
  out += "mallard_pipe_transactions_total{" + group + "} " + std::to_string(status.transactions) + "\n";
  gauge("mallard_pipe_changes_total", "row changes routed to tables", "counter");
  out += "mallard_pipe_changes_total{" + group + "} " + std::to_string(status.changes) + "\n";
  auto per_table = [&](const std::string& name, const std::string& help, const std::string& type,
                       const std::function<std::string(const cdc::TableStatus&)>& value) {
    gauge(name, help, type);
    for (const auto& t : status.tables) {
      out += name + "{" + group + ",table=\"" + t.progress.source.Label() + "\"} " + value(t) + "\n";
    }
  };
  per_table("mallard_pipe_table_rows_synced", "rows written to the lake table", "counter",
            [](const cdc::TableStatus& t) { return std::to_string(t.progress.rows_synced); });
  gauge("mallard_pipe_table_state", "1 for the table's current state", "gauge");
  for (const auto& t : status.tables) {
    out += "mallard_pipe_table_state{" + group + ",table=\"" + t.progress.source.Label() + "\",state=\"" +
           cdc::TableStateName(t.progress.state) + "\"} 1\n";
  }
  per_table("mallard_pipe_table_lag_bytes", "source WAL position minus the table's applied position", "gauge",
            [&](const cdc::TableStatus& t) { return std::to_string(LagBytes(status, t)); });
  per_table("mallard_pipe_table_lag_seconds", "age of the oldest committed change not yet in the lake", "gauge",
            [](const cdc::TableStatus& t) { return std::to_string(LagSeconds(t)); });
  per_table("mallard_pipe_table_flushes_total", "successful flushes", "counter",
            [](const cdc::TableStatus& t) { return std::to_string(t.stats.flushes); });
  per_table("mallard_pipe_table_flush_failures_total", "failed flush attempts (each is retried)", "counter",
            [](const cdc::TableStatus& t) { return std::to_string(t.stats.failed_flushes); });
  return out;
}

http::HttpResponse PipeTableAction(cdc::SyncGroup& group, const http::HttpRequest& request) {
  if (!IsJsonContentType(request.Header("content-type"))) {
    return Error(415, request.method + " requests need Content-Type: application/json");
  }
  if (auto answer = RouteTableAction(group, request)) return std::move(*answer);
  return Error(404, "no route for " + request.method + " " + request.path);
}

std::shared_ptr<http::HttpHandler> MakePipeApiHandler(std::shared_ptr<cdc::SyncGroup> group, std::string admin_token) {
  return std::make_shared<PipeApiHandler>(std::move(group), std::move(admin_token));
}

}  // namespace mallard::app

#include "services/kit/scope_journal.hpp"

#include <spdlog/spdlog.h>

namespace mallard::services {
namespace json = boost::json;

ScopeJournal::ScopeJournal(ServiceState& state, Mutates mutates, ScopeOf scope_of)
    : state_(state), mutates_(std::move(mutates)), scope_of_(std::move(scope_of)) {
  if (!scope_of_)
    scope_of_ = [](const RequestContext& context, const json::object&) {
      return std::vector<StateScope>{StateScope{context.account_id, context.region}};
    };
}

bool ScopeJournal::Attach(std::shared_ptr<StateChangeSink> sink) {
  std::lock_guard lock(mutex_);
  sink_ = std::move(sink);
  attached_ = static_cast<bool>(sink_);
  return true;
}

protocol::OperationCallback ScopeJournal::Wrap(const protocol::OperationRequest& request, protocol::OperationCallback done) {
  if (!attached_.load(std::memory_order_acquire) || !mutates_(request.operation)) return done;
  return [self = shared_from_this(), context = request.context, input = request.input,
          done = std::move(done)](protocol::OperationResult result) {
    for (const auto& scope : self->scope_of_(context, input)) self->Changed(scope);  // failed calls too: a batch may have changed part
    done(std::move(result));
  };
}

void ScopeJournal::Changed(const StateScope& scope) {
  std::lock_guard lock(mutex_);
  if (!sink_) return;
  json::array records;
  auto saved = state_.Save(scope, [&](StateRecord record) -> Status<std::string> {
    records.push_back(json::object{{"kind", std::move(record.kind)}, {"body", std::move(record.body)}});
    return Done{};
  });
  if (!saved.ok()) {
    // Not journaled: the next change or the next snapshot (at the latest at shutdown) holds it.
    spdlog::error("journal: cannot save scope {}/{}: {}", scope.account, scope.region, saved.error());
    return;
  }
  StateChange change;
  change.scope = scope;
  change.record = {"scope_state", json::object{{"version", state_.RecordVersion()}, {"records", std::move(records)}}};
  sink_->Record(std::span<const StateChange>(&change, 1));
}

void ScopeJournal::Close() {
  std::lock_guard lock(mutex_);
  sink_.reset();
  attached_ = false;
}

void ScopeJournal::Reset(const std::function<void()>& reset) {
  const bool attached = attached_.load(std::memory_order_acquire);
  auto scopes = attached ? state_.Scopes() : Result<std::vector<StateScope>, std::string>(std::vector<StateScope>{});
  reset();
  if (scopes.ok())
    for (const auto& scope : scopes.value()) Changed(scope);
}

Status<std::string> ScopeJournal::Apply(ServiceState& state, const StateChange& change) {
  if (change.record.kind != "scope_state" || change.op != StateChange::Op::kPut)
    return Fail("no journaled '" + change.record.kind + "' here: this service journals whole scopes (scope_state)");
  const auto& body = change.record.body;
  const auto* version = body.if_contains("version");
  const auto* records = body.if_contains("records");
  if (version == nullptr || !version->is_int64() || records == nullptr || !records->is_array())
    return Fail(std::string("a journaled scope_state lacks version or records"));
  MALLARD_RETURN_IF_ERROR(state.Clear(change.scope));
  const auto& array = records->get_array();
  std::size_t next = 0;
  return state.Load(change.scope, static_cast<int>(version->get_int64()),
                    [&]() -> Result<std::optional<StateRecord>, std::string> {
                      if (next == array.size()) return std::optional<StateRecord>();
                      const auto* object = array[next++].if_object();
                      const auto* kind = object ? object->if_contains("kind") : nullptr;
                      const auto* record_body = object ? object->if_contains("body") : nullptr;
                      if (!kind || !kind->is_string() || !record_body || !record_body->is_object())
                        return Fail(std::string("a journaled scope_state record lacks kind or body"));
                      return std::optional<StateRecord>(
                          StateRecord{std::string(kind->get_string()), record_body->get_object()});
                    });
}

bool ReadsByName(std::string_view operation) {
  return operation.starts_with("Get") || operation.starts_with("List") || operation.starts_with("Describe") ||
         operation.starts_with("BatchGet");
}

}  // namespace mallard::services

#include "services/kit/service_state.hpp"

#include "services/kit/state_changes.hpp"

namespace mallard::services {

// Out of line, so every service's vtable finds it whether or not it includes state_changes.hpp.
Status<std::string> ServiceState::Apply(const StateChange& change) {
  return Fail("this service does not replay journaled changes (" + change.record.kind + ")");
}

}  // namespace mallard::services

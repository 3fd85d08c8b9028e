#include "services/kit/service_module.hpp"

#include <charconv>

#include "common/redaction.hpp"

namespace mallard::services::kit {

std::string StoreScheme(const std::string& spec) {
  auto colon = spec.find("://");
  return colon == std::string::npos ? spec : spec.substr(0, colon);
}

std::string StoreSyntaxes(const std::vector<StoreKind>& stores) {
  std::string text;
  for (const auto& store : stores) {
    if (!text.empty()) text += ", ";
    text += store.syntax;
  }
  return text;
}

std::string UnknownStoreMessage(const std::string& label, const std::string& spec, const std::vector<StoreKind>& stores) {
  return "unknown " + label + " '" + WithoutPassword(spec) + "'; this build has: " + StoreSyntaxes(stores);
}

Result<std::int64_t, std::string> IntegerSetting(const ServiceModule& module, const SettingValues& values,
                                                 const std::string& key) {
  const ModuleSetting* setting = nullptr;
  for (const auto& candidate : module.settings) {
    if (candidate.key == key) setting = &candidate;
  }
  if (setting == nullptr) return Fail("module " + module.name + " has no setting " + key);
  auto found = values.find(key);
  const std::string& text = found == values.end() ? setting->default_value : found->second;
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return Fail(setting->flag + ": '" + text + "' is not an integer");
  }
  if (setting->integer_range && (value < setting->integer_range->min || value > setting->integer_range->max)) {
    return Fail(setting->flag + ": " + text + " is not in [" + std::to_string(setting->integer_range->min) + " - " +
                std::to_string(setting->integer_range->max) + "]");
  }
  return value;
}

}  // namespace mallard::services::kit

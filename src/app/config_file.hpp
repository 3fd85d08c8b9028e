#pragma once
// Filling command options from a TOML file, shared by every subcommand: a value from the file is
// used only when the option was given neither as a flag nor through its environment variable.
#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <string>
#include <vector>

namespace mallard::app {

template <typename T>
void FillFrom(CLI::App& command, const char* option_name, const toml::node_view<toml::node>& node, T& target) {
  if (!node) return;
  if (command.get_option(option_name)->count() > 0) return;  // flag or environment variable wins
  if (auto value = node.value<T>()) target = *value;
}

// A list option: a TOML array of strings, or one string.
inline void FillFrom(CLI::App& command, const char* option_name, const toml::node_view<toml::node>& node,
                     std::vector<std::string>& target) {
  if (!node || command.get_option(option_name)->count() > 0) return;
  if (auto* array = node.as_array()) {
    target.clear();
    for (const auto& element : *array) {
      if (auto text = element.value<std::string>()) target.push_back(*text);
    }
  } else if (auto text = node.value<std::string>()) {
    target = {*text};
  }
}

}  // namespace mallard::app

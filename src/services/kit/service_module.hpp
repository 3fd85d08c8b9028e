#pragma once
// ServiceModule: what a service folder tells the program about itself, so that server set-up,
// configuration (flags, environment, TOML), --help, build info and the health endpoint are all
// read from one declaration and cannot drift apart. app/ keeps one explicit list of modules
// (app/service_registry.cpp); adding a service is its folder plus one line there.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "common/result.hpp"
#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"

namespace mallard::services::kit {

// A start-up setting of a module. The app turns each into a flag, an environment variable and a
// TOML key, layered flag > environment > TOML > default; the module receives the value as text.
struct ModuleSetting {
  std::string key;            // the module's name for it: "store", "table_transition_ms"
  std::string flag;           // "--backend-sqs"
  std::string env;            // "MALLARD_BACKEND_SQS"
  std::string toml_table;     // "backends"
  std::string toml_key;       // "sqs"
  std::string default_value;  // "memory"
  std::string help;
  // Integer settings: the option parser checks the range, and so does the module's open (a TOML
  // value never passes the parser).
  struct Range {
    std::int64_t min;
    std::int64_t max;
  };
  std::optional<Range> integer_range;
};

// A store implementation, chosen by the scheme of the store setting ("redis://…" → redis).
struct StoreKind {
  std::string scheme;  // "memory", "redis"
  std::string syntax;  // how an operator writes it: "redis://HOST:PORT[/DB][?prefix=NAME]"
};

// Setting values by key, every setting present (defaults filled in).
using SettingValues = std::map<std::string, std::string, std::less<>>;

// Shared resources the program provides to modules that need them, by type (the SQL engine
// Athena and Redshift Data share; the credential registry STS issues into).
class ModuleResources {
 public:
  template <typename T>
  void Provide(std::shared_ptr<T> resource) {
    by_type_[std::type_index(typeid(T))] = std::move(resource);
  }
  template <typename T>
  std::shared_ptr<T> Find() const {
    auto found = by_type_.find(std::type_index(typeid(T)));
    return found == by_type_.end() ? nullptr : std::static_pointer_cast<T>(found->second);
  }

 private:
  std::map<std::type_index, std::shared_ptr<void>> by_type_;
};

// A module with its store open, before the server exists.
struct OpenedModule {
  std::string store_description;  // for the start-up log line; never a password
  // A blocking reachability probe of a remote store, bounded by its own timeouts, or a check of an
  // in-process store that can stop taking changes (S3's file store); empty when there is nothing
  // to probe. Returns nullopt when available, else why not.
  std::function<std::optional<std::string>()> probe;
  // Builds the module's services on the server's context (once, when the server starts).
  std::function<std::vector<std::shared_ptr<Service>>(const ServiceContext&)> build;
  // Set by the S3 module: where its objects are plain files. The server puts it in every service's
  // context (ServiceContext::s3_files), so Athena and Redshift Data find S3 objects without S3's store.
  std::shared_ptr<const S3LocalFiles> s3_files;
};

struct ServiceModule {
  std::string name;                        // "sqs": its pool, its log lines, its settings' owner
  std::vector<std::string> service_names;  // the services it registers ("dynamodb", "dynamodbstreams")
  std::vector<StoreKind> stores;           // empty: no store setting
  std::vector<ModuleSetting> settings;     // with a store, the setting keyed "store" is one of them
  unsigned pool_threads = 4;               // threads of the module's own pool
  // Checks the settings and opens the store. An error is a message for the operator (the server
  // then does not start).
  std::function<Result<OpenedModule, std::string>(const SettingValues&, const ModuleResources&)> open;
};

// The scheme of a store spec: "memory" → "memory", "redis://h:1/0" → "redis", "" → "".
std::string StoreScheme(const std::string& spec);
// "memory, redis://HOST:PORT[/DB][?prefix=NAME]": the syntaxes of `stores`, for messages and --help.
std::string StoreSyntaxes(const std::vector<StoreKind>& stores);
// "unknown SQS backend 'memcached://…'; this build has: memory, redis://…" (password masked).
std::string UnknownStoreMessage(const std::string& label, const std::string& spec, const std::vector<StoreKind>& stores);
// An integer setting's value, checked against its range; the error names the flag.
Result<std::int64_t, std::string> IntegerSetting(const ServiceModule& module, const SettingValues& values,
                                                 const std::string& key);

}  // namespace mallard::services::kit

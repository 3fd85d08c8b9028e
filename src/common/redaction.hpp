#pragma once
// Secrets out of logs and messages: a store, catalog or source spec with its password masked.
#include <string>

namespace mallard {

// scheme://user:password@host… → scheme://user:***@host…; every `password=…` (a URL query
// parameter or a libpq keyword/value pair) masked too.
std::string WithoutPassword(const std::string& spec);

}  // namespace mallard

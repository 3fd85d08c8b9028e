#pragma once
// The seed of a randomised test: the value of an environment variable when it is set (to replay a
// run), a fresh one otherwise. It is printed, recorded as a test property and kept for the
// failure messages, so every failure says how to run it again:
//
//   const auto seed = mallard::testing::ReplayableSeed("MALLARD_X_SEED");
//   SCOPED_TRACE(seed.replay);
//   std::mt19937_64 random(seed.value);
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace mallard::testing {

struct Seed {
  std::uint64_t value;
  std::string replay;  // "VARIABLE=value"
};

inline Seed ReplayableSeed(const char* variable) {
  std::uint64_t value = std::random_device{}();
  if (const char* text = std::getenv(variable); text != nullptr && *text != '\0') value = std::strtoull(text, nullptr, 10);
  Seed seed{value, std::string(variable) + "=" + std::to_string(value)};
  std::cout << "[ SEED     ] " << seed.replay << " replays this run\n";
  ::testing::Test::RecordProperty("seed", std::to_string(value));
  return seed;
}

}  // namespace mallard::testing

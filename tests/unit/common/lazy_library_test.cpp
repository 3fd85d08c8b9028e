// LazyLibrary (common/lazy_library.hpp): the loader behind libduckdb's and libpq's trampolines.
#include "common/lazy_library.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

namespace mallard {
namespace {

TEST(LazyLibrary, AMissingLibraryIsAnErrorNamingItAndEveryCandidate) {
  LazyLibrary library("libnothing", {"/nonexistent/libnothing.so", "libnothing-either.so.9"});
  const std::string& error = library.Load();
  EXPECT_NE(error.find("cannot load libnothing"), std::string::npos) << error;
  EXPECT_NE(error.find("/nonexistent/libnothing.so"), std::string::npos) << error;
  EXPECT_NE(error.find("libnothing-either.so.9"), std::string::npos) << error;
  EXPECT_EQ(&library.Load(), &error);  // loaded (or not) once
}

TEST(LazyLibrary, TheFirstCandidateThatOpensIsUsed) {
  LazyLibrary library("libc", {"/nonexistent/libc.so", "libc.so.6"});
  EXPECT_EQ(library.Load(), "");
  using Strlen = std::size_t (*)(const char*);
  auto strlen_in_libc = reinterpret_cast<Strlen>(library.Require("strlen"));
  EXPECT_EQ(strlen_in_libc("mallard"), 7u);
}

TEST(LazyLibrary, ACheckCanRefuseAnOpenedLibrary) {
  int checks = 0;
  LazyLibrary library("libc", {"libc.so.6"}, [&checks](void* handle) -> std::string {
    ++checks;
    return dlsym(handle, "strlen") != nullptr ? "libc is not wanted here" : "";
  });
  EXPECT_EQ(library.Load(), "libc is not wanted here");
  EXPECT_EQ(library.Load(), "libc is not wanted here");
  EXPECT_EQ(checks, 1);
}

TEST(LazyLibrary, ConcurrentFirstUsesLoadOnceAndAgree) {
  int checks = 0;
  LazyLibrary library("libc", {"libc.so.6"}, [&checks](void*) -> std::string {
    ++checks;  // call_once: never concurrent
    return "";
  });
  std::vector<std::thread> threads;
  std::vector<void*> found(8, nullptr);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&library, &found, i] { found[i] = library.Require("memcpy"); });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(checks, 1);
  for (void* address : found) EXPECT_EQ(address, found[0]);
  EXPECT_NE(found[0], nullptr);
}

using LazyLibraryDeathTest = ::testing::Test;

TEST(LazyLibraryDeathTest, RequireWithoutTheLibraryEndsTheProcessSayingWhy) {
  LazyLibrary library("libnothing", {"/nonexistent/libnothing.so"});
  EXPECT_DEATH(library.Require("nothing_at_all"), "nothing_at_all called, but cannot load libnothing");
}

TEST(LazyLibraryDeathTest, RequireOfAFunctionTheLibraryLacksEndsTheProcessSayingWhy) {
  LazyLibrary library("libc", {"libc.so.6"});
  EXPECT_DEATH(library.Require("no_such_function_in_libc"), "libc has no function no_such_function_in_libc");
}

}  // namespace
}  // namespace mallard

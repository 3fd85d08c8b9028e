#pragma once

#include <string>

namespace mallard::libpq {

// libpq is loaded on first use (dlopen) rather than at start-up: with the 18 libraries it pulls in
// (Kerberos, LDAP, GnuTLS, ...) it was most of the time the kernel and the dynamic loader spent
// starting Mallard, and only the pipe and a PostgreSQL lake catalog need it. The libpq functions
// Mallard calls are trampolines (cmake/LazyLibrary.cmake, pq_lazy_symbols.txt) that resolve the
// real function on their first call. With MALLARD_LIBPQ_LAZY=OFF libpq is linked as usual and these
// functions report it as loaded.

// Loads libpq once (thread-safe); "" when loaded, else why not. The functions that start a use of
// libpq (connecting, parsing a connection string) call it first and report failure as an error.
const std::string& LoadLibPq();

// The address of a libpq function; loads libpq first, and ends the process with a message when it
// cannot (only reachable past an entry point that checked LoadLibPq).
void* RequireLibPqSymbol(const char* name);

}  // namespace mallard::libpq

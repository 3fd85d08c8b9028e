#pragma once
// Statement results as snapshot JSON and back: columns with their engine types, rows with typed
// cells (doubles as shortest round-trip text, so NaN and infinities survive; blobs base64), and
// each statement's counts and timings. Reading refuses anything malformed with a message naming
// the field, never trusting the snapshot's shape.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "common/result.hpp"
#include "sqlengine/sql_types.hpp"

namespace mallard::sqlengine {

boost::json::array OutcomesToJson(const std::vector<sqlengine::QueryOutcome>& outcomes);
Result<std::vector<sqlengine::QueryOutcome>, std::string> OutcomesFromJson(const boost::json::value& json);

}  // namespace mallard::sqlengine

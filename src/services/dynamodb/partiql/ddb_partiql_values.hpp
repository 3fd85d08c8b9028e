#pragma once
// Values of PartiQL expressions: literals, parameters and the constructors {..} [..] <<..>>,
// evaluated to wire AttributeValues ({"S": "x"}, {"M": {...}}, {"SS": [...]}) with PartiQL's rules
// (struct members that are MISSING dropped, bags homogeneous non-empty sets).
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

#include "services/dynamodb/partiql/ddb_partiql_ast.hpp"

namespace mallard::dynamodb::partiql {

// The type tag of a wire AttributeValue ("S", "N", "M", ...); empty when it is not one.
std::string_view TagOf(const boost::json::value& value);
// True when the expression denotes a value (no attribute reads): its value can be computed now.
bool IsValueExpr(const Expr& expr);

// Binds `?` parameters (positionally) and evaluates value expressions.
class Binder {
 public:
  explicit Binder(const boost::json::array& parameters) : parameters_(parameters) {}
  // Each parameter is an AttributeValue object with exactly one known type member.
  Status<> Validate() const;
  Result<boost::json::value> ValueOf(const Expr& expr, int depth = 0) const;

 private:
  Result<boost::json::value> BagOf(const Expr& expr, int depth) const;
  const boost::json::array& parameters_;
};

}  // namespace mallard::dynamodb::partiql

#pragma once
// Redshift's view of SQL types and values: type names (int4, numeric, timestamptz, super, ...),
// ColumnMetadata, and each value as a typed Field (longValue, doubleValue, stringValue, ...).
#include <boost/json/object.hpp>

#include <string>

#include "sqlengine/sql_types.hpp"

namespace mallard::redshift_data {

std::string RedshiftTypeName(const sqlengine::SqlType& type);
boost::json::object ColumnMetadata(const sqlengine::SqlColumn& column, bool nullable, const std::string& schema,
                                   const std::string& table);
boost::json::object Field(const sqlengine::SqlValue& value, const sqlengine::SqlType& type);

}  // namespace mallard::redshift_data

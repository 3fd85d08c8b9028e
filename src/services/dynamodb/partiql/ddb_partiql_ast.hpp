#pragma once
// The syntax tree of DynamoDB's PartiQL subset and its parser. The parser only checks syntax;
// everything that needs the table's key schema or the parameter values (key extraction, which
// native operation runs) happens in ddb_partiql_translate.
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace mallard::dynamodb::partiql {

// One step of a document path: a member name (a.b, "a"."b", a['b']) or a list index (a[3]).
struct PathStep {
  bool is_index = false;
  std::string name;
  std::uint64_t index = 0;
  bool operator==(const PathStep&) const = default;
};
using Path = std::vector<PathStep>;

enum class ExprKind : unsigned char {
  Path,       // path
  Literal,    // literal: a wire AttributeValue ({"S": "x"}, {"N": "1"}, {"BOOL": true}, {"NULL": true})
  Parameter,  // parameter: 0-based position of a `?`
  Missing,    // the MISSING literal
  Struct,     // children: key, value, key, value, ... (keys are string literals or parameters)
  List,       // children: elements
  Bag,        // children: elements (a DynamoDB set)
  Compare,    // op: = <> < <= > >= ; children: left, right
  And,        // children: 2
  Or,         // children: 2
  Not,        // children: 1
  Between,    // children: value, low, high
  In,         // children: value, then the candidates (op "list") or one Parameter holding a list
  Is,         // op: NULL, MISSING, STRING, ...; negated for IS NOT; children: 1
  Call,       // op: lower-case function name; children: arguments
  Arith,      // op: + or -; children: 2
};

struct Expr {
  ExprKind kind = ExprKind::Literal;
  Path path;
  boost::json::value literal;
  std::size_t parameter = 0;
  std::string op;
  bool negated = false;
  std::vector<Expr> children;
};

enum class StatementKind : unsigned char { Select, Insert, Update, Delete, Exists };
enum class Returning : unsigned char { None, AllOld, ModifiedOld, AllNew, ModifiedNew };

struct OrderTerm {
  Path path;
  bool descending = false;
};

struct UpdateAction {
  bool remove = false;  // REMOVE path; otherwise SET path = value
  Path target;
  Expr value;
};

struct Statement {
  StatementKind kind = StatementKind::Select;
  std::string table;
  std::string index;                // FROM "table"."index"; empty when absent
  bool select_all = true;           // SELECT *
  std::vector<Path> projection;     // SELECT a, b.c
  std::optional<Expr> where;
  std::vector<OrderTerm> order_by;
  std::optional<Expr> item;         // INSERT ... VALUE item
  std::vector<UpdateAction> updates;
  Returning returning = Returning::None;
  std::string returning_text;       // as written, for error messages ("MODIFIED OLD *")
  std::size_t parameter_count = 0;  // number of `?` in the statement
};

// Deepest nesting the parser accepts (brackets, operators, function calls); deeper input is a
// syntax error, never a stack overflow.
inline constexpr int kMaxNesting = 64;

// Parses one statement. Errors are ValidationExceptions with AWS's messages
// ("Statement wasn't well formed, can't be processed: ..." for syntax errors).
Result<Statement> ParseStatement(std::string_view text);

// The ValidationException every PartiQL rule violation returns.
AwsError Validation(std::string message);
AwsError NotWellFormed(const std::string& detail);

}  // namespace mallard::dynamodb::partiql

// DynamoDB expression language and PartiQL: every parser on any text, then the parsed expression is
// evaluated/applied to a fixed item. Errors must be typed (ValidationException) and, when the
// input is valid UTF-8 (as every awsJson input is after decoding), their message must be valid
// UTF-8 too (the JSON error body is rendered from it).
//
// Input layout: byte 0 selects the parser (mod 7), the rest is the expression / statement text.
#include <boost/json.hpp>

#include "fuzz/targets/strict_checks.hpp"
#include "protocol/aws_json.hpp"
#include "services/dynamodb/expression/ddb_expression.hpp"
#include "services/dynamodb/partiql/ddb_partiql_ast.hpp"
#include "services/dynamodb/partiql/ddb_partiql_translate.hpp"

namespace json = boost::json;
using namespace mallard;
using namespace mallard::dynamodb;

namespace {

// The item, names and values of the expression unit tests (tests/unit/services/dynamodb).
const char* kItem = R"({
  "pk": {"S": "p1"}, "sk": {"N": "1"}, "n": {"N": "5"}, "s": {"S": "hello"}, "b": {"B": "AQID"}, "t": {"BOOL": true},
  "z": {"NULL": true}, "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "2.50"]}, "bs": {"BS": ["AQ=="]},
  "l": {"L": [{"S": "a"}, {"N": "1"}, {"L": [{"S": "deep"}]}]},
  "m": {"M": {"k": {"S": "v"}, "child": {"M": {"x": {"N": "10"}}}, "lst": {"L": [{"N": "7"}]}}},
  "u": {"S": "\u00e9\ud834\udd1e"}, "name": {"S": "reserved"}, "dot.ted": {"S": "literal"}
})";
const char* kNames = R"({"#n": "name", "#d": "dot.ted", "#m": "m", "#k": "k", "#pk": "pk", "#sk": "sk", "#l": "l"})";
const char* kValues = R"({":s": {"S": "hello"}, ":n": {"N": "5"}, ":n1": {"N": "1"}, ":n10": {"N": "10"},
  ":he": {"S": "he"}, ":x": {"S": "x"}, ":a": {"S": "a"}, ":bin": {"B": "AQ=="}, ":tS": {"S": "S"},
  ":true": {"BOOL": true}, ":l": {"L": [{"S": "a"}]}, ":m": {"M": {"k": {"S": "v"}}}, ":ss": {"SS": ["y", "x"]},
  ":ns": {"NS": ["3", "4"]}, ":bs": {"BS": ["AQ=="]}, ":nul": {"NULL": true}, ":big": {"N": "9.9999999999999999999999999999999999999E+125"},
  ":tiny": {"N": "1E-130"}, ":neg": {"N": "-1"}})";

struct Fixture {
  AttributeMap item;
  json::object names;
  AttributeMap values;
  KeySchemaInfo schema{.partition_name = "pk", .partition_type = AttrType::S, .sort_name = "sk", .sort_type = AttrType::N};
  // A multi-attribute GSI key (two HASH, two RANGE attributes): the prefix rules of its key conditions.
  KeySchemaInfo multi_schema{.partition_name = "pk",
                             .partition_type = AttrType::S,
                             .sort_name = "sk",
                             .sort_type = AttrType::N,
                             .more_partition = {{"pk2", AttrType::N}},
                             .more_sort = {{"sk2", AttrType::S}}};
  Fixture() {
    item = std::move(MapFromJson(json::parse(kItem).as_object())).value();
    names = json::parse(kNames).as_object();
    values = std::move(MapFromJson(json::parse(kValues).as_object())).value();
  }
};

const Fixture& TheFixture() {
  static const Fixture fixture;
  return fixture;
}

// `table_lookup`: PartiQL translation also answers ResourceNotFoundException for a table the key
// lookup does not know.
void CheckError(const AwsError& error, bool utf8_input, std::string_view input, bool table_lookup = false) {
  if (error.code != "ValidationException" && !(table_lookup && error.code == "ResourceNotFoundException"))
    fuzz::FailCheck("unexpected error code " + error.code + ": " + error.message, input);
  if (utf8_input && !fuzz::IsStrictUtf8(error.message))
    fuzz::FailCheck("error message is not valid UTF-8 for a UTF-8 input: " + error.message, input);
  if (utf8_input) {
    protocol::JsonErrorStyle style{false, "com.amazonaws.dynamodb.v20120810#", false};
    fuzz::CheckStrictJson(protocol::RenderJsonError(error, style, "req-1").body, "RenderJsonError(ddb)");
  }
}

template <typename T>
bool Ok(const Result<T>& result, bool utf8_input, std::string_view input) {
  if (result.ok()) return true;
  CheckError(result.error(), utf8_input, input);
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Fixture& fixture = TheFixture();
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool utf8 = fuzz::IsStrictUtf8(text);
  auto inputs_or = ExpressionInputs::Make(&fixture.names, fixture.values);
  if (!inputs_or.ok()) fuzz::FailCheck("fixture inputs rejected", inputs_or.error().message);
  ExpressionInputs inputs = std::move(inputs_or).value();
  Item key{{"pk", fixture.item.at("pk")}, {"sk", fixture.item.at("sk")}};

  switch (data[0] % 7) {
    case 0:
    case 1: {
      auto condition = ParseCondition(text, data[0] % 7 == 0 ? ExpressionKind::Condition : ExpressionKind::Filter, inputs);
      if (!Ok(condition, utf8, text)) break;
      (void)condition->Evaluate(&fixture.item);
      (void)condition->Evaluate(nullptr);
      (void)condition->Matches(&key);
      break;
    }
    case 2: {
      // The top bit picks the key schema, so both shapes of key condition are fuzzed.
      auto condition = ParseKeyCondition(text, inputs, (data[0] & 0x80) ? fixture.multi_schema : fixture.schema);
      if (!Ok(condition, utf8, text)) break;
      if (condition->sort) (void)condition->sort->Matches(fixture.item.at("sk"));
      break;
    }
    case 3: {
      auto projection = ParseProjection(text, inputs);
      if (!Ok(projection, utf8, text)) break;
      (void)projection->Apply(fixture.item);
      (void)projection->TopLevelNames();
      break;
    }
    case 4: {
      auto update = ParseUpdate(text, inputs);
      if (!Ok(update, utf8, text)) break;
      auto applied = update->Apply(&fixture.item, key);
      if (applied.ok()) {
        (void)update->ProjectUpdated(*applied);
      } else {
        CheckError(applied.error(), utf8, text);
      }
      auto created = update->Apply(nullptr, key);
      if (!created.ok()) CheckError(created.error(), utf8, text);
      (void)update->TopLevelNames();
      break;
    }
    case 5: {
      auto status = inputs.CheckAllUsed();  // exercises the unused-placeholder messages
      (void)status;
      auto condition = ParseCondition(text, ExpressionKind::KeyCondition, inputs);
      (void)Ok(condition, utf8, text);
      break;
    }
    default: {
      auto statement = partiql::ParseStatement(text);
      if (!Ok(statement, utf8, text)) break;
      partiql::KeyLookup keys = [](const std::string& table, const std::string& index)
          -> std::optional<partiql::KeyNames> {
        if (table.empty() || table.size() > 255) return std::nullopt;
        if (!index.empty()) return partiql::KeyNames{"gpk", std::nullopt};
        return partiql::KeyNames{"pk", std::string("sk")};
      };
      json::array parameters;
      for (std::size_t i = 0; i < statement->parameter_count && i < 8; ++i)
        parameters.push_back(json::object{{"S", "p" + std::to_string(i)}});
      for (auto context : {partiql::Context::Single, partiql::Context::Batch, partiql::Context::Transaction}) {
        auto native = partiql::Translate(*statement, parameters, keys, context);
        if (!native.ok()) {
          CheckError(native.error(), utf8, text, /*table_lookup=*/true);
          continue;
        }
        (void)partiql::ReshapeItem(MapToJson(fixture.item), native->projection);
      }
      break;
    }
  }
  return 0;
}

// SNS filter policies against small reference models written here independently of the
// implementation, on seeded random policies and messages: single-key policies on message
// attributes, and nested MessageBody policies with $or on random bodies. The seed is printed;
// MALLARD_SNS_FILTER_SEED=n replays a run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "services/sns/filter/filter_policy.hpp"

namespace mallard::sns {
namespace {

using Attributes = std::map<std::string, FilterAttribute, std::less<>>;
constexpr auto kAttributes = FilterPolicyScope::MessageAttributes;
constexpr auto kBody = FilterPolicyScope::MessageBody;

// ---- Seeded randomised comparison against a reference model ----

// The reference: one key, one condition kind, evaluated the obvious way over the attribute's
// values. Written from the AWS documentation's wording, not from the implementation.
struct RefValue {
  bool is_number;
  std::string text;  // string value, or the number as written
  double number;
};

struct RefCondition {
  int kind;  // 0 exact strings, 1 exact numbers, 2 prefix, 3 suffix, 4 anything-but strings,
             // 5 numeric range, 6 exists, 7 anything-but numbers, 8 equals-ignore-case
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::string op1, op2;
  double bound1 = 0, bound2 = 0;
  bool exists = false;
};

bool Compare(const std::string& op, double value, double bound) {
  if (op == "=") return value == bound;
  if (op == "<") return value < bound;
  if (op == "<=") return value <= bound;
  if (op == ">") return value > bound;
  return value >= bound;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool ReferenceMatches(const RefCondition& condition, const std::vector<RefValue>& values, bool no_attributes) {
  if (condition.kind == 6) {
    // A key exists when it has a non-empty value; "exists": false needs some attribute present.
    bool present = std::any_of(values.begin(), values.end(), [](const RefValue& v) { return v.is_number || !v.text.empty(); });
    return condition.exists ? present : !present && !no_attributes;
  }
  for (const auto& value : values) {
    auto contains = [](const auto& list, const auto& item) { return std::find(list.begin(), list.end(), item) != list.end(); };
    switch (condition.kind) {
      case 0: if (!value.is_number && contains(condition.strings, value.text)) return true; break;
      case 1: if (value.is_number && contains(condition.numbers, value.number)) return true; break;
      case 2: if (!value.is_number && value.text.rfind(condition.strings[0], 0) == 0) return true; break;
      case 3:
        if (!value.is_number && value.text.size() >= condition.strings[0].size() &&
            value.text.compare(value.text.size() - condition.strings[0].size(), std::string::npos, condition.strings[0]) == 0)
          return true;
        break;
      case 4: if (value.is_number || !contains(condition.strings, value.text)) return true; break;
      case 5:
        if (value.is_number && Compare(condition.op1, value.number, condition.bound1) &&
            (condition.op2.empty() || Compare(condition.op2, value.number, condition.bound2)))
          return true;
        break;
      case 7: if (value.is_number && !contains(condition.numbers, value.number)) return true; break;
      case 8: if (!value.is_number && Lower(value.text) == Lower(condition.strings[0])) return true; break;
    }
  }
  return false;
}

std::string Quote(const std::string& text) { return "\"" + text + "\""; }

std::string NumberText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

std::string PolicyJson(const RefCondition& condition, std::mt19937& random) {
  // Random whitespace: AWS recompiles the compact form, so spacing must not matter.
  std::string sp = random() % 2 ? " " : "";
  auto join = [&](const auto& items, auto render) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," + sp : "") + render(items[i]);
    return out;
  };
  auto quote_all = [&](const std::vector<std::string>& items) { return join(items, Quote); };
  auto numbers_all = [&](const std::vector<double>& items) { return join(items, NumberText); };
  std::string list;
  switch (condition.kind) {
    case 0: list = quote_all(condition.strings); break;
    case 1: list = numbers_all(condition.numbers); break;
    case 2: list = "{\"prefix\":" + sp + Quote(condition.strings[0]) + "}"; break;
    case 3: list = "{\"suffix\":" + Quote(condition.strings[0]) + "}"; break;
    case 4: list = "{\"anything-but\":" + sp + "[" + quote_all(condition.strings) + "]}"; break;
    case 5:
      list = "{\"numeric\":[" + Quote(condition.op1) + "," + sp + NumberText(condition.bound1) +
             (condition.op2.empty() ? "" : "," + Quote(condition.op2) + "," + NumberText(condition.bound2)) + "]}";
      break;
    case 6: list = std::string("{\"exists\":") + (condition.exists ? "true" : "false") + "}"; break;
    case 7: list = "{\"anything-but\":[" + numbers_all(condition.numbers) + "]}"; break;
    case 8: list = "{\"equals-ignore-case\":" + Quote(condition.strings[0]) + "}"; break;
  }
  return "{" + sp + "\"k\":" + sp + "[" + sp + list + sp + "]" + sp + "}";
}

TEST(FilterPolicyRandomised, SingleKeyPoliciesAgainstReference) {
  unsigned seed = std::random_device{}();
  if (const char* replay = std::getenv("MALLARD_SNS_FILTER_SEED")) seed = static_cast<unsigned>(std::strtoul(replay, nullptr, 10));
  std::cout << "filter policy randomised test seed " << seed << " (MALLARD_SNS_FILTER_SEED=" << seed << " replays)\n";
  std::mt19937 random(seed);
  const std::vector<std::string> words = {"a", "ab", "abc", "b", "ba", "Ab", "ABC", "xa", "", "order_1"};
  auto word = [&] { return words[random() % words.size()]; };
  // Numbers with two decimals in a small range, so collisions and boundaries are frequent.
  auto number = [&] { return static_cast<double>(static_cast<int>(random() % 41) - 20) / 4.0; };
  const char* lower_ops[] = {"=", "<", "<=", ">", ">="};
  for (int iteration = 0; iteration < 20000; ++iteration) {
    RefCondition condition;
    condition.kind = static_cast<int>(random() % 9);
    switch (condition.kind) {
      case 0: case 4:
        for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) condition.strings.push_back(word());
        break;
      case 2: case 3: case 8: condition.strings.push_back(word()); break;
      case 1: case 7:
        for (int i = 0, n = 1 + static_cast<int>(random() % 3); i < n; ++i) condition.numbers.push_back(number());
        break;
      case 5:
        condition.op1 = lower_ops[random() % 5];
        condition.bound1 = number();
        if ((condition.op1 == ">" || condition.op1 == ">=") && random() % 2) {
          condition.op2 = random() % 2 ? "<" : "<=";
          condition.bound2 = condition.bound1 + 0.25 * (1 + random() % 8);
        }
        break;
      case 6: condition.exists = random() % 2; break;
    }
    std::string policy_text = PolicyJson(condition, random);
    auto policy = FilterPolicy::Parse(policy_text, kAttributes);
    if (!policy.ok()) {
      // The only refusal the generator can produce: a prefix/suffix of "" is fine, so none.
      ADD_FAILURE() << "seed " << seed << " iteration " << iteration << ": refused " << policy_text << ": "
                    << policy.error().message;
      continue;
    }
    // The message: the key absent, a String, a Number, or a String.Array of both.
    Attributes attributes;
    std::vector<RefValue> values;
    int shape = static_cast<int>(random() % 4);
    if (shape == 1) {
      std::string text = word();
      attributes["k"] = {"String", text};
      values.push_back({false, text, 0});
    } else if (shape == 2) {
      double value = number();
      attributes["k"] = {"Number", NumberText(value)};
      values.push_back({true, NumberText(value), value});
    } else if (shape == 3) {
      std::string array = "[";
      for (int i = 0, n = static_cast<int>(random() % 3); i < n; ++i) {
        if (i) array += ",";
        if (random() % 2) {
          std::string text = word();
          array += Quote(text);
          values.push_back({false, text, 0});
        } else {
          double value = number();
          array += NumberText(value);
          values.push_back({true, NumberText(value), value});
        }
      }
      attributes["k"] = {"String.Array", array + "]"};
    }
    if (random() % 3 == 0) attributes["other"] = {"String", word()};
    bool expected = ReferenceMatches(condition, values, attributes.empty());
    bool actual = policy->Matches(attributes);
    if (expected != actual) {
      std::string message_text;
      for (const auto& [name, attribute] : attributes) message_text += name + "=" + attribute.data_type + ":" + attribute.value + " ";
      ADD_FAILURE() << "seed " << seed << " iteration " << iteration << ": policy " << policy_text << " message "
                    << message_text << " expected " << expected << " got " << actual;
      break;
    }
  }
}


// ---- Body scope: random nested policies and bodies against a record-based reference ----

// The reference flattens the body into records, one per choice of element in every array of
// objects (scalars in arrays stay multi-valued leaves), and matches when one record satisfies
// every key path of one $or alternative — the "same element" rule stated another way.
struct BodyValue {
  enum Kind { String, Number, Null, Object, Array } kind = Null;
  std::string text;
  double number = 0;
  std::vector<std::pair<std::string, BodyValue>> members;
  std::vector<BodyValue> elements;
};

std::string BodyJson(const BodyValue& value) {
  switch (value.kind) {
    case BodyValue::String: return Quote(value.text);
    case BodyValue::Number: return NumberText(value.number);
    case BodyValue::Null: return "null";
    case BodyValue::Object: {
      std::string out = "{";
      for (std::size_t i = 0; i < value.members.size(); ++i) {
        out += (i ? "," : "") + Quote(value.members[i].first) + ":" + BodyJson(value.members[i].second);
      }
      return out + "}";
    }
    case BodyValue::Array: {
      std::string out = "[";
      for (std::size_t i = 0; i < value.elements.size(); ++i) out += (i ? "," : "") + BodyJson(value.elements[i]);
      return out + "]";
    }
  }
  return "null";
}

struct LeafValue {
  bool is_null, is_number;
  std::string text;
  double number;
};
using Record = std::map<std::string, std::vector<LeafValue>>;

std::vector<Record> Cross(const std::vector<Record>& left, const std::vector<Record>& right) {
  std::vector<Record> out;
  for (const auto& a : left) {
    for (const auto& b : right) {
      Record joined = a;
      for (const auto& [path, values] : b) joined[path].insert(joined[path].end(), values.begin(), values.end());
      out.push_back(std::move(joined));
    }
  }
  return out;
}

std::vector<Record> Flatten(const BodyValue& object, const std::string& prefix);

// The records one member value contributes at `path`.
std::vector<Record> FlattenValue(const BodyValue& value, const std::string& path) {
  switch (value.kind) {
    case BodyValue::Object: return Flatten(value, path + ".");
    case BodyValue::Array: {
      std::vector<Record> scalars(1);
      std::vector<Record> objects;
      std::vector<const BodyValue*> pending;
      for (const auto& element : value.elements) pending.push_back(&element);
      for (std::size_t i = 0; i < pending.size(); ++i) {
        const BodyValue& element = *pending[i];
        if (element.kind == BodyValue::Array) {
          for (const auto& inner : element.elements) pending.push_back(&inner);
        } else if (element.kind == BodyValue::Object) {
          auto records = Flatten(element, path + ".");
          objects.insert(objects.end(), records.begin(), records.end());
        } else {
          auto leaf = FlattenValue(element, path);
          scalars = Cross(scalars, leaf);
        }
      }
      return objects.empty() ? scalars : Cross(scalars, objects);
    }
    default: {
      Record record;
      record[path].push_back({value.kind == BodyValue::Null, value.kind == BodyValue::Number, value.text, value.number});
      return {record};
    }
  }
}

std::vector<Record> Flatten(const BodyValue& object, const std::string& prefix) {
  std::vector<Record> records(1);
  for (const auto& [name, value] : object.members) records = Cross(records, FlattenValue(value, prefix + name));
  return records;
}

// A policy alternative: key path -> condition (one condition per key keeps the reference plain).
using PolicyPaths = std::vector<std::pair<std::string, RefCondition>>;

bool LeafMatches(const RefCondition& condition, const std::vector<LeafValue>& leaf) {
  std::vector<RefValue> values;
  bool has_null = false;
  for (const auto& value : leaf) {
    if (value.is_null) {
      has_null = true;
    } else {
      values.push_back({value.is_number, value.text, value.number});
    }
  }
  if (condition.kind == 9) return has_null;  // exact null
  return ReferenceMatches(condition, values, false);
}

bool ReferenceBodyMatches(const std::vector<PolicyPaths>& alternatives, const BodyValue& body) {
  auto records = Flatten(body, "");
  for (const auto& alternative : alternatives) {
    for (const auto& record : records) {
      bool all = true;
      for (const auto& [path, condition] : alternative) {
        auto found = record.find(path);
        if (!LeafMatches(condition, found == record.end() ? std::vector<LeafValue>{} : found->second)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
  }
  return false;
}

TEST(FilterPolicyRandomised, NestedBodyPoliciesAgainstReference) {
  unsigned seed = std::random_device{}();
  if (const char* replay = std::getenv("MALLARD_SNS_FILTER_SEED")) seed = static_cast<unsigned>(std::strtoul(replay, nullptr, 10));
  std::cout << "filter policy body test seed " << seed << " (MALLARD_SNS_FILTER_SEED=" << seed << " replays)\n";
  std::mt19937 random(seed);
  const std::vector<std::string> names = {"a", "b", "c"};
  const std::vector<std::string> words = {"x", "xy", "y", ""};
  auto number = [&] { return static_cast<double>(static_cast<int>(random() % 9) - 4) / 2.0; };
  std::function<BodyValue(int)> scalar = [&](int) {
    BodyValue value;
    switch (random() % 3) {
      case 0: value.kind = BodyValue::String; value.text = words[random() % words.size()]; break;
      case 1: value.kind = BodyValue::Number; value.number = number(); value.text = NumberText(value.number); break;
      default: value.kind = BodyValue::Null; break;
    }
    return value;
  };
  std::function<BodyValue(int)> object = [&](int depth) {
    BodyValue value;
    value.kind = BodyValue::Object;
    for (const auto& name : names) {
      int pick = static_cast<int>(random() % 5);
      if (pick == 0) continue;  // absent
      if (pick == 1 && depth < 2) {
        value.members.emplace_back(name, object(depth + 1));
      } else if (pick == 2) {
        BodyValue array;
        array.kind = BodyValue::Array;
        for (int i = 0, n = static_cast<int>(random() % 3); i < n; ++i) {
          array.elements.push_back(depth < 2 && random() % 2 ? object(depth + 1) : scalar(depth));
        }
        value.members.emplace_back(name, array);
      } else {
        value.members.emplace_back(name, scalar(depth));
      }
    }
    return value;
  };
  auto condition = [&](std::string& json) {
    RefCondition c;
    c.kind = std::vector<int>{0, 1, 2, 4, 5, 6, 9}[random() % 7];
    switch (c.kind) {
      case 0: c.strings = {words[random() % words.size()]}; json = Quote(c.strings[0]); break;
      case 1: c.numbers = {number()}; json = NumberText(c.numbers[0]); break;
      case 2: c.strings = {words[random() % 3]}; json = "{\"prefix\":" + Quote(c.strings[0]) + "}"; break;
      case 4: c.strings = {words[random() % words.size()]}; json = "{\"anything-but\":" + Quote(c.strings[0]) + "}"; break;
      case 5: c.op1 = ">="; c.bound1 = number(); json = "{\"numeric\":[\">=\"," + NumberText(c.bound1) + "]}"; break;
      case 6: c.exists = random() % 2; json = std::string("{\"exists\":") + (c.exists ? "true" : "false") + "}"; break;
      default: json = "null"; break;
    }
    return c;
  };
  // A policy object over `names` at `path`, appending its leaves to `paths`.
  std::function<std::string(const std::string&, int, PolicyPaths&)> policy_object = [&](const std::string& path, int depth,
                                                                                          PolicyPaths& paths) {
    std::string json = "{";
    int keys = 0;
    for (const auto& name : names) {
      if (random() % 2 && !(keys == 0 && &name == &names.back())) continue;
      json += (keys++ ? "," : "") + Quote(name) + ":";
      if (depth < 2 && random() % 3 == 0) {
        json += policy_object(path + name + ".", depth + 1, paths);
      } else {
        std::string text;
        paths.emplace_back(path + name, condition(text));
        json += "[" + text + "]";
      }
    }
    return json + "}";
  };
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::vector<PolicyPaths> alternatives;
    std::string policy_text;
    if (random() % 4 == 0) {
      PolicyPaths first, second;
      std::string one = policy_object("", 1, first), two = policy_object("", 1, second);
      policy_text = "{\"$or\":[" + one + "," + two + "]}";
      alternatives = {first, second};
    } else {
      alternatives.emplace_back();
      policy_text = policy_object("", 1, alternatives.back());
    }
    auto policy = FilterPolicy::Parse(policy_text, kBody);
    if (!policy.ok()) continue;  // over a limit: not what this test is about
    BodyValue body = object(1);
    bool expected = ReferenceBodyMatches(alternatives, body);
    bool actual = policy->MatchesBody(BodyJson(body));
    if (expected != actual) {
      ADD_FAILURE() << "seed " << seed << " iteration " << iteration << ": policy " << policy_text << " body "
                    << BodyJson(body) << " expected " << expected << " got " << actual;
      break;
    }
  }
}

}  // namespace
}  // namespace mallard::sns

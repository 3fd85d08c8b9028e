"""Rejections with AWS's ValidationException messages: placeholders (unused / undefined), reserved words,
overlapping paths, update clauses used twice, key-attribute updates, operand type mismatches, functions in the
wrong place, attribute value rules (empty sets, duplicate set members, NULL false, several types, bad numbers),
expression vs non-expression parameters.

Messages are those real DynamoDB returns (quoted in public bug reports, and in suites run against AWS).

moto 5.2.1 deviations seen (AWS wins): accepts unused placeholders in several operations, words some messages
differently (overlap, clause twice, type mismatches), accepts contains(a, a), accepts functions in SET that
AWS refuses.
"""

from __future__ import annotations

import re

import pytest

from ddb_e2e import av, create_table, item, validation


@pytest.fixture
def table(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))
    dynamodb.put_item(TableName=name, Item=item(pk="k", sk=1, s="str", n=5, ss={"a"}, l=[1, 2], m={"x": 1}))
    return name


KEY = {"pk": {"S": "k"}, "sk": {"N": "1"}}


def update(ddb, table, expr, values=None, names=None, **extra):
    kwargs = {"TableName": table, "Key": KEY, "UpdateExpression": expr, **extra}
    if values is not None:
        kwargs["ExpressionAttributeValues"] = values
    if names is not None:
        kwargs["ExpressionAttributeNames"] = names
    return kwargs


# --- Placeholders ---------------------------------------------------------------------------


def test_unused_value_placeholder(dynamodb, table):
    validation(dynamodb.update_item, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}",
               **update(dynamodb, table, "SET a = :v", {":v": av(1), ":u": av(2)}))
    validation(dynamodb.query, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}",
               TableName=table, KeyConditionExpression="pk = :p",
               ExpressionAttributeValues={":p": av("k"), ":u": av(1)})
    validation(dynamodb.put_item, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}",
               TableName=table, Item=item(pk="z", sk=1), ConditionExpression="attribute_not_exists(pk)",
               ExpressionAttributeValues={":u": av(1)})


def test_unused_name_placeholder(dynamodb, table):
    validation(dynamodb.update_item, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}",
               **update(dynamodb, table, "SET #a = :v", {":v": av(1)}, {"#a": "a", "#u": "u"}))
    validation(dynamodb.get_item, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}",
               TableName=table, Key=KEY, ProjectionExpression="s", ExpressionAttributeNames={"#u": "u"})


def test_undefined_placeholders(dynamodb, table):
    validation(dynamodb.update_item, "Invalid UpdateExpression: An expression attribute value used in expression "
               "is not defined; attribute value: :nope",
               **update(dynamodb, table, "SET a = :nope, b = :v", {":v": av(1)}))
    validation(dynamodb.update_item, "Invalid ConditionExpression: An expression attribute name used in the "
               "document path is not defined; attribute name: #nope",
               **update(dynamodb, table, "SET a = :v", {":v": av(1)}, ConditionExpression="attribute_exists(#nope)"))
    validation(dynamodb.scan, "Invalid FilterExpression: An expression attribute value used in expression is not "
               "defined; attribute value: :v", TableName=table, FilterExpression="n = :v")
    validation(dynamodb.get_item, "Invalid ProjectionExpression: An expression attribute name used in the document "
               "path is not defined; attribute name: #n", TableName=table, Key=KEY, ProjectionExpression="#n")


def test_empty_placeholder_maps(dynamodb, table):
    validation(dynamodb.update_item, "ExpressionAttributeValues must not be empty",
               **update(dynamodb, table, "REMOVE a", {}))
    validation(dynamodb.update_item, "ExpressionAttributeNames must not be empty",
               **update(dynamodb, table, "REMOVE a", None, {}))


def test_placeholders_without_expression(dynamodb, table):
    validation(dynamodb.put_item, contains="ExpressionAttributeValues can only be specified when using expressions",
               TableName=table, Item=item(pk="z", sk=1), ExpressionAttributeValues={":v": av(1)})
    validation(dynamodb.put_item, contains="ExpressionAttributeNames can only be specified when using expressions",
               TableName=table, Item=item(pk="z", sk=1), ExpressionAttributeNames={"#v": "v"})


# --- Reserved words, syntax ------------------------------------------------------------------


@pytest.mark.parametrize("word", ["name", "status", "size", "data", "timestamp", "year", "Comment"])
def test_reserved_words(dynamodb, table, word):
    validation(dynamodb.update_item,
               f"Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: {word}",
               **update(dynamodb, table, f"SET {word} = :v", {":v": av(1)}))
    validation(dynamodb.get_item,
               f"Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: {word}",
               TableName=table, Key=KEY, ProjectionExpression=f"s, {word}")
    validation(dynamodb.scan,
               f"Invalid FilterExpression: Attribute name is a reserved keyword; reserved keyword: {word}",
               TableName=table, FilterExpression=f"m.{word} = :v", ExpressionAttributeValues={":v": av(1)})


def test_syntax_errors(dynamodb, table):
    for expr in ("SET", "SET a", "SET a = ", "SET a = :v,", "FROB a", "SET a = :v REMOVE", "SET a[x] = :v"):
        e = validation(dynamodb.update_item, **update(dynamodb, table, expr, {":v": av(1)} if ":v" in expr else None))
        assert e.response["Error"]["Message"].startswith("Invalid UpdateExpression: Syntax error; token: "), \
            (expr, e.response["Error"]["Message"])
    validation(dynamodb.update_item, "Invalid UpdateExpression: The expression can not be empty;",
               **update(dynamodb, table, ""))
    e = validation(dynamodb.scan, TableName=table, FilterExpression="n = = :v", ExpressionAttributeValues={":v": av(1)})
    assert e.response["Error"]["Message"].startswith("Invalid FilterExpression: Syntax error; token: ")


def test_invalid_functions(dynamodb, table):
    validation(dynamodb.scan, "Invalid FilterExpression: Invalid function name; function: frob", TableName=table,
               FilterExpression="frob(n)")
    e = validation(dynamodb.update_item, **update(dynamodb, table, "SET a = size(s)"))
    assert "size" in e.response["Error"]["Message"], e.response["Error"]["Message"]
    e = validation(dynamodb.update_item, **update(dynamodb, table, "SET a = :v", {":v": av(1)},
                                                  ConditionExpression="if_not_exists(a, :v)"))
    assert "if_not_exists" in e.response["Error"]["Message"], e.response["Error"]["Message"]
    validation(dynamodb.scan, contains="Invalid attribute type name found", TableName=table,
               FilterExpression="attribute_type(n, :t)", ExpressionAttributeValues={":t": av("NUMBER")})
    validation(dynamodb.scan, contains="The first operand must be distinct from the remaining operands",
               TableName=table, FilterExpression="contains(s, s)")
    # A function that returns a boolean is not an operand, and a condition must be boolean.
    validation(dynamodb.scan, TableName=table, FilterExpression="size(s)")


# --- Update clause rules -----------------------------------------------------------------------


def test_overlapping_paths(dynamodb, table):
    validation(dynamodb.update_item, "Invalid UpdateExpression: Two document paths overlap with each other; must "
               "remove or rewrite one of these paths; path one: [m], path two: [m, x]",
               **update(dynamodb, table, "SET m = :v, m.x = :v", {":v": av(1)}))
    validation(dynamodb.update_item, "Invalid UpdateExpression: Two document paths overlap with each other; must "
               "remove or rewrite one of these paths; path one: [a], path two: [a]",
               **update(dynamodb, table, "SET a = :v REMOVE a", {":v": av(1)}))
    validation(dynamodb.update_item, contains="Two document paths overlap with each other",
               **update(dynamodb, table, "REMOVE l[0], l"))
    validation(dynamodb.get_item, contains="Two document paths overlap with each other", TableName=table, Key=KEY,
               ProjectionExpression="m, m.x")


@pytest.mark.parametrize("clause, expr", [
    ("SET", "SET a = :v SET b = :v"), ("REMOVE", "REMOVE a REMOVE b"),
    ("ADD", "ADD n :v ADD o :v"), ("DELETE", "DELETE ss :s DELETE tt :s"),
])
def test_clause_used_twice(dynamodb, table, clause, expr):
    values = {k: v for k, v in {":v": av(1), ":s": av({"a"})}.items() if k in expr}
    validation(dynamodb.update_item,
               f'Invalid UpdateExpression: The "{clause}" section can only be used once in an update expression;',
               **update(dynamodb, table, expr, values or None))


@pytest.mark.parametrize("expr", ["SET pk = :v", "REMOVE sk", "ADD sk :n", "SET #k = :v"])
def test_update_key_attribute(dynamodb, table, expr):
    values = {k: v for k, v in {":v": av("x"), ":n": av(1)}.items() if k in expr} or None
    names = {"#k": "pk"} if "#k" in expr else None
    attr = "sk" if "sk" in expr else "pk"
    validation(dynamodb.update_item,
               f"One or more parameter values were invalid: Cannot update attribute {attr}. This attribute is part "
               "of the key", **update(dynamodb, table, expr, values, names))


def test_update_operand_types(dynamodb, table):
    # Statically wrong: the operand is a value of the wrong type.
    e = validation(dynamodb.update_item, **update(dynamodb, table, "SET a = n + :v", {":v": av("x")}))
    assert "Incorrect operand type for operator or function" in e.response["Error"]["Message"]
    e = validation(dynamodb.update_item, **update(dynamodb, table, "ADD n :v", {":v": av("x")}))
    assert "Incorrect operand type for operator or function" in e.response["Error"]["Message"]
    e = validation(dynamodb.update_item, **update(dynamodb, table, "DELETE ss :v", {":v": av("a")}))
    assert "Incorrect operand type for operator or function" in e.response["Error"]["Message"]
    e = validation(dynamodb.update_item, **update(dynamodb, table, "SET l = list_append(l, :v)", {":v": av(1)}))
    assert "Incorrect operand type for operator or function" in e.response["Error"]["Message"]
    # Wrong only given the stored item: the attribute has another type.
    msg = "An operand in the update expression has an incorrect data type"
    validation(dynamodb.update_item, msg, **update(dynamodb, table, "SET a = s + :v", {":v": av(1)}))
    validation(dynamodb.update_item, msg, **update(dynamodb, table, "ADD s :v", {":v": av(1)}))
    validation(dynamodb.update_item, msg, **update(dynamodb, table, "ADD ss :v", {":v": av({1})}))
    validation(dynamodb.update_item, msg, **update(dynamodb, table, "SET a = list_append(s, :v)", {":v": av([1])}))
    # The well-known failure of `SET n = n + :inc` on an item without n.
    validation(dynamodb.update_item, "The provided expression refers to an attribute that does not exist in the item",
               **update(dynamodb, table, "SET a = nosuch + :v", {":v": av(1)}))
    validation(dynamodb.update_item, "The document path provided in the update expression is invalid for update",
               **update(dynamodb, table, "SET nosuch.x = :v", {":v": av(1)}))
    validation(dynamodb.update_item, "The document path provided in the update expression is invalid for update",
               **update(dynamodb, table, "SET s[0] = :v", {":v": av(1)}))
    # None of the rejected updates changed anything.
    got = dynamodb.get_item(TableName=table, Key=KEY)["Item"]
    assert set(got) == {"pk", "sk", "s", "n", "ss", "l", "m"}


def test_expression_and_legacy_parameters_mixed(dynamodb, table):
    validation(dynamodb.update_item,
               "Can not use both expression and non-expression parameters in the same request: Non-expression "
               "parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}",
               TableName=table, Key=KEY, UpdateExpression="SET a = :v", ExpressionAttributeValues={":v": av(1)},
               AttributeUpdates={"b": {"Action": "PUT", "Value": av(1)}})
    validation(dynamodb.put_item, contains="Can not use both expression and non-expression parameters in the same "
               "request", TableName=table, Item=item(pk="z", sk=1), ConditionExpression="attribute_not_exists(pk)",
               Expected={"pk": {"Exists": False}})
    validation(dynamodb.query, contains="Can not use both expression and non-expression parameters in the same "
               "request", TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": av("k")},
               AttributesToGet=["s"])
    validation(dynamodb.scan, contains="Can not use both expression and non-expression parameters in the same "
               "request", TableName=table, FilterExpression="n = :v", ExpressionAttributeValues={":v": av(1)},
               ScanFilter={"n": {"ComparisonOperator": "NOT_NULL"}})


# --- AttributeValue validation --------------------------------------------------------------


def test_empty_sets_rejected(dynamodb_nv, table):
    # AWS words the binary case differently (as captured by dynalite's tests against AWS).
    for kind, wording in (("SS", r"An string set\s+may not be empty"), ("NS", r"An number set\s+may not be empty"),
                          ("BS", r"Binary sets should not be empty")):
        e = validation(dynamodb_nv.put_item, TableName=table, Item={**KEY, "s": {kind: []}})
        assert re.fullmatch(rf"One or more parameter values were invalid: {wording}",
                            e.response["Error"]["Message"]), e.response["Error"]["Message"]
    e = validation(dynamodb_nv.update_item, **update(None, table, "SET a = :v", {":v": {"SS": []}}))
    assert re.fullmatch(r"ExpressionAttributeValues contains invalid value: One or more parameter values were "
                        r"invalid: An string set\s+may not be empty for key :v", e.response["Error"]["Message"]), \
        e.response["Error"]["Message"]


def test_duplicate_set_members_rejected(dynamodb_nv, table):
    for value in ({"SS": ["a", "a"]}, {"NS": ["1", "1.0"]}, {"BS": [b"x", b"x"]}):
        e = validation(dynamodb_nv.put_item, TableName=table, Item={**KEY, "s": value})
        assert "contains duplicates" in e.response["Error"]["Message"], e.response["Error"]["Message"]
    # An empty string inside a string set is allowed, as is an empty string/binary outside keys.
    dynamodb_nv.put_item(TableName=table, Item={**KEY, "s": {"SS": [""]}, "e": {"S": ""}, "b": {"B": b""}})


def test_malformed_attribute_values(dynamodb_nv, table):
    validation(dynamodb_nv.put_item, "One or more parameter values were invalid: Null attribute value types must "
               "have the value of true", TableName=table, Item={**KEY, "x": {"NULL": False}})
    validation(dynamodb_nv.put_item, "Supplied AttributeValue has more than one datatypes set, must contain exactly "
               "one of the supported datatypes", TableName=table, Item={**KEY, "x": {"S": "a", "N": "1"}})
    validation(dynamodb_nv.put_item, "Supplied AttributeValue is empty, must contain exactly one of the supported "
               "datatypes", TableName=table, Item={**KEY, "x": {}})
    for bad in ("abc", "1e", "--1", " 1", "NaN", "Infinity", "0x10", ""):
        e = validation(dynamodb_nv.put_item, TableName=table, Item={**KEY, "x": {"N": bad}})
        assert "The parameter cannot be converted to a numeric value" in e.response["Error"]["Message"], bad
    e = validation(dynamodb_nv.put_item, TableName=table, Item={**KEY, "x": {"NS": ["1", "b"]}})
    assert "The parameter cannot be converted to a numeric value: b" in e.response["Error"]["Message"]


def test_key_attribute_types_on_update_and_delete(dynamodb, table):
    validation(dynamodb.update_item, "The provided key element does not match the schema", TableName=table,
               Key={"pk": {"S": "k"}, "sk": {"S": "1"}}, UpdateExpression="SET a = :v",
               ExpressionAttributeValues={":v": av(1)})
    validation(dynamodb.put_item, "One or more parameter values were invalid: Type mismatch for key pk expected: S "
               "actual: N", TableName=table, Item={"pk": {"N": "1"}, "sk": {"N": "1"}})

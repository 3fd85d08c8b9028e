"""The DynamoDB expression language, positive cases: condition/filter comparators and functions with nested
paths and list indexes, placeholders and precedence; update clauses SET (+, -, if_not_exists, list_append),
REMOVE (attributes and list elements), ADD (numbers, sets), DELETE (sets). Every case is checked against the
stored item. Rejections (and their messages) are in test_dynamodb_validation.py.

moto 5.2.1 deviations seen (AWS documentation wins): none in this file's cases at the time of writing except
where a test says so.
"""

from __future__ import annotations

import re

import pytest

from ddb_e2e import av, create_table, item, plain, validation

ITEM = dict(
    pk="k", s="hello", n=5, n2=10, b=b"\x01\x02", t=True, nul=None, ss={"a", "b"}, ns={1, 2}, bs={b"\x01"},
    l=["x", 3, ["y"]], m={"a": {"b": [1, {"c": "deep"}]}, "k": "v"}, empty_l=[], empty_s="",
)

VALUES = {
    ":one": av(1), ":five": av(5), ":ten": av(10), ":zero": av(0), ":two": av(2), ":three": av(3), ":s": av("world"),
    ":a": av("a"), ":z": av("z"), ":he": av("he"), ":ell": av("ell"), ":nope": av("nope"), ":x": av("x"),
    ":y": av("y"), ":b01": av(b"\x01"), ":deep": av("deep"), ":hello": av("hello"),
    ":N": av("N"), ":SS": av("SS"), ":NULL": av("NULL"), ":L": av("L"), ":M": av("M"), ":S": av("S"), ":B": av("B"),
    ":BOOL": av("BOOL"), ":NS": av("NS"), ":BS": av("BS"), ":true": av(True), ":lst": av(["y"]),
}


@pytest.fixture
def cond_table(dynamodb):
    name = create_table(dynamodb)
    dynamodb.put_item(TableName=name, Item={**item(**ITEM), "dotted.nm": av(1)})
    return name


def matches(ddb, table, expr, names=None) -> bool:
    """Does the one item satisfy `expr`? Evaluated as a FilterExpression, and cross-checked as the
    ConditionExpression of a no-op conditional update."""
    tokens = set(re.findall(r":\w+", expr))
    used = {k: v for k, v in VALUES.items() if k in tokens}
    kwargs = {"TableName": table, "FilterExpression": expr}
    if used:
        kwargs["ExpressionAttributeValues"] = used
    if names:
        kwargs["ExpressionAttributeNames"] = names
    scanned = ddb.scan(**kwargs)
    assert scanned["ScannedCount"] == 1
    as_filter = scanned["Count"] == 1
    cond = {k: v for k, v in kwargs.items() if k not in ("FilterExpression",)}
    cond["ConditionExpression"] = expr
    try:
        ddb.update_item(Key={"pk": {"S": "k"}}, UpdateExpression="SET touched = :true",
                        **{**cond, "ExpressionAttributeValues": {**cond.get("ExpressionAttributeValues", {}),
                                                                 ":true": av(True)}})
        as_condition = True
    except ddb.exceptions.ConditionalCheckFailedException:
        as_condition = False
    assert as_filter == as_condition, f"filter says {as_filter}, condition says {as_condition} for {expr!r}"
    return as_filter


@pytest.mark.parametrize("expr, expected", [
    ("n = :five", True), ("n <> :five", False), ("n < n2", True), ("n >= :five", True), ("n > :five", False),
    ("s < :s", True), ("s BETWEEN :a AND :z", True), ("n BETWEEN :one AND :three", False),
    ("n IN (:one, :five)", True), ("n IN (:one, :two)", False), ("s IN (:hello)", True),
    ("n < :s", False), ("s = :five", False),                       # different types never compare true
    ("nosuch < :five", False), ("NOT nosuch < :five", True),
    ("attribute_exists(m.a.b[1].c)", True), ("attribute_exists(m.a.b[2])", False),
    ("attribute_not_exists(m.a.b[2])", True), ("attribute_not_exists(pk)", False), ("attribute_exists(nul)", True),
    ("attribute_type(n, :N)", True), ("attribute_type(ss, :SS)", True), ("attribute_type(nul, :NULL)", True),
    ("attribute_type(l, :L)", True), ("attribute_type(m, :M)", True), ("attribute_type(t, :BOOL)", True),
    ("attribute_type(b, :B)", True), ("attribute_type(ns, :NS)", True), ("attribute_type(bs, :BS)", True),
    ("attribute_type(s, :N)", False), ("attribute_type(empty_s, :S)", True),
    ("begins_with(s, :he)", True), ("begins_with(s, :ell)", False), ("begins_with(b, :b01)", True),
    ("contains(s, :ell)", True), ("contains(s, :nope)", False),
    ("contains(ss, :a)", True), ("contains(ss, :z)", False), ("contains(ns, :two)", True),
    ("contains(ns, :three)", False), ("contains(bs, :b01)", True),
    ("contains(l, :x)", True), ("contains(l, :three)", True), ("contains(l, :y)", False),
    ("size(s) = :five", True), ("size(ss) = :two", True), ("size(l) = :three", True), ("size(m) = :two", True),
    ("size(b) = :two", True), ("size(empty_l) = :zero", True), ("size(nosuch) = :zero", False),
    ("m.a.b[1].c = :deep", True), ("l[2][0] = :y", True), ("l[0] = :x", True), ("l[5] = :x", False),
    ("m.k = :x", False), ("t = :true", True), ("nul = :true", False),
    ("NOT n = :one", True),
    ("n = :one OR n = :five AND n2 = :one", False),                # AND binds tighter than OR
    ("n = :one OR n = :five AND n2 = :ten", True),
    ("(n = :one OR n = :five) AND n2 = :ten", True),
    ("NOT n = :one AND n2 = :one", False),                         # NOT binds tighter than AND
    ("NOT (n = :five AND n2 = :one)", True),
    ("n = :five AND (NOT contains(ss, :z) OR size(l) > :ten)", True),
])
def test_condition(dynamodb, cond_table, expr, expected):
    assert matches(dynamodb, cond_table, expr) is expected


def test_name_placeholders_and_dots(dynamodb, cond_table):
    # "#d" names the top-level attribute "dotted.nm"; an unquoted dotted.nm is a nested path.
    assert matches(dynamodb, cond_table, "#d = :one", {"#d": "dotted.nm"}) is True
    assert matches(dynamodb, cond_table, "dotted.nm = :one") is False
    assert matches(dynamodb, cond_table, "#m.#a.#b[1].c = :deep", {"#m": "m", "#a": "a", "#b": "b"}) is True


# --- UpdateExpression -------------------------------------------------------------------------


@pytest.fixture
def upd(dynamodb):
    name = create_table(dynamodb)
    dynamodb.put_item(TableName=name, Item=item(**ITEM))

    def run(expr, values=None, names=None):
        kwargs = {"TableName": name, "Key": {"pk": {"S": "k"}}, "UpdateExpression": expr}
        if values:
            kwargs["ExpressionAttributeValues"] = {k: av(v) for k, v in values.items()}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        dynamodb.update_item(**kwargs)
        return plain(dynamodb.get_item(TableName=name, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"])

    return run


def test_set_arithmetic_and_copy(upd):
    got = upd("SET a = :v, c = n + :one, d = n - :ten, e = n2 - n, f = :one + :one, g = s",
              {":v": "new", ":one": 1, ":ten": 10})
    assert (got["a"], got["c"], got["d"], got["e"], got["f"], got["g"]) == ("new", 6, -5, 5, 2, "hello")


def test_set_if_not_exists(upd):
    got = upd("SET e = if_not_exists(e, :zero), n = if_not_exists(n, :zero), m.k = if_not_exists(m.q, :zero)",
              {":zero": 0})
    assert got["e"] == 0 and got["n"] == 5 and got["m"]["k"] == 0
    got = upd("SET cnt = if_not_exists(cnt, :zero) + :one", {":zero": 0, ":one": 1})
    assert got["cnt"] == 1
    got = upd("SET cnt = if_not_exists(cnt, :zero) + :one", {":zero": 0, ":one": 1})
    assert got["cnt"] == 2


def test_list_append_both_orders(upd):
    got = upd("SET l = list_append(l, :more)", {":more": ["end"]})
    assert got["l"] == ["x", 3, ["y"], "end"]
    got = upd("SET l = list_append(:more, l)", {":more": ["start", "s2"]})
    assert got["l"] == ["start", "s2", "x", 3, ["y"], "end"]
    got = upd("SET nl = list_append(if_not_exists(nl, :empty), :more)", {":empty": [], ":more": [1]})
    assert got["nl"] == [1]


def test_set_nested_and_list_index(upd):
    got = upd("SET m.a.b[0] = :v, m.newkey = :v, l[1] = :v", {":v": "V"})
    assert got["m"]["a"]["b"] == ["V", {"c": "deep"}]
    assert got["m"]["newkey"] == "V" and got["l"] == ["x", "V", ["y"]]
    # An index past the end appends.
    got = upd("SET l[10] = :v", {":v": "tail"})
    assert got["l"] == ["x", "V", ["y"], "tail"]


def test_remove_attributes_and_list_elements(upd):
    got = upd("REMOVE s, m.a.b[1].c, nosuch")
    assert "s" not in got and got["m"]["a"]["b"] == [1, {}]
    # Several list indexes refer to positions before the removal.
    got = upd("REMOVE l[0], l[2]")
    assert got["l"] == [3]
    got = upd("REMOVE l[7]")  # out of range: nothing happens
    assert got["l"] == [3]


def test_add_numbers_and_sets(upd):
    got = upd("ADD n :one, newnum :five, ss :more, newset :more, ns :ns", {":one": 1, ":five": 5,
                                                                            ":more": {"c", "a"}, ":ns": {2, 7}})
    assert got["n"] == 6 and got["newnum"] == 5
    assert got["ss"] == {"a", "b", "c"} and got["newset"] == {"a", "c"} and got["ns"] == {1, 2, 7}
    got = upd("ADD n :neg", {":neg": -10})
    assert got["n"] == -4


def test_delete_from_sets(upd):
    got = upd("DELETE ss :a, ns :missing", {":a": {"a", "zz"}, ":missing": {9}})
    assert got["ss"] == {"b"} and got["ns"] == {1, 2}
    # Deleting every member removes the attribute (sets cannot be empty).
    got = upd("DELETE ss :b", {":b": {"b"}})
    assert "ss" not in got
    got = upd("DELETE nothere :b", {":b": {"b"}})
    assert "nothere" not in got


def test_all_clauses_together_any_order(upd):
    got = upd("REMOVE t ADD n :one SET s = :s DELETE bs :b", {":one": 1, ":s": "S", ":b": {b"\x01"}})
    assert "t" not in got and got["n"] == 6 and got["s"] == "S" and "bs" not in got
    got = upd("set #x = :v remove nul", {":v": 1}, {"#x": "x-y"})  # keywords are case-insensitive
    assert got["x-y"] == 1 and "nul" not in got


def test_set_with_name_that_needs_placeholder(upd):
    got = upd("SET #n = :v, #s.#k = :v", {":v": "z"}, {"#n": "name", "#s": "m", "#k": "status"})
    assert got["name"] == "z" and got["m"]["status"] == "z"


# --- Behaviour ScyllaDB's test/alternator suite (run against AWS) fixes -------------------------------------


def test_set_past_the_end_appends_in_index_order(upd):
    """Developer Guide: elements added past the end of a list in one SET are sorted by element number
    (test_nested_attribute_update_array_out_of_bounds)."""
    got = upd("SET l[84] = :a1, l[37] = :a2, l[17] = :a3, l[50] = :a4", {":a1": "a1", ":a2": "a2", ":a3": "a3",
                                                                       ":a4": "a4"})
    assert got["l"] == ["x", 3, ["y"], "a3", "a2", "a4", "a1"]
    # An index equal to the old length is past the end too, whatever order the SET names them in.
    got = upd("SET l[8] = :b, l[7] = :a, l[0] = :z", {":a": "A", ":b": "B", ":z": "Z"})
    assert got["l"] == ["Z", 3, ["y"], "a3", "a2", "a4", "a1", "A", "B"]


def test_size_and_attribute_type_of_a_value_operand(cond_table, dynamodb):
    """size(:v) is the size of the value, attribute_type(:v, :t) its type (test_update_condition_size / _attribute_type);
    both answered 'Operator or function requires a document path'."""
    assert matches(dynamodb, cond_table, "size(:hello) = :five") is True
    assert matches(dynamodb, cond_table, "size(:lst) = :one") is True
    assert matches(dynamodb, cond_table, "attribute_type(:five, :N)") is True
    assert matches(dynamodb, cond_table, "attribute_type(:five, :S)") is False
    # On a missing item too: the values alone decide.
    dynamodb.update_item(TableName=cond_table, Key=item(pk="absent"), UpdateExpression="SET z = :one",
                         ConditionExpression="size(:hello) > :one AND attribute_type(:hello, :S)",
                         ExpressionAttributeValues={":one": av(1), ":hello": av("hello"), ":S": av("S")})
    validation(dynamodb.update_item, "Invalid ConditionExpression: Incorrect operand type for operator or function; "
               "operator or function: size, operand type: N", TableName=cond_table, Key=item(pk="k"),
               UpdateExpression="SET z = :one", ConditionExpression="size(:one) > :one",
               ExpressionAttributeValues={":one": av(1)})


def test_names_start_with_a_letter(upd, dynamodb):
    """test_update_expression_name_token: '_abc' and '123a' are not names; AWS answers
    'Syntax error; token: "_", near: "SET _123"'. Placeholders may start with anything alphanumeric or '_'."""
    table = create_table(dynamodb)
    key = item(pk="k")
    validation(dynamodb.update_item, 'Invalid UpdateExpression: Syntax error; token: "_", near: "SET _123"',
               TableName=table, Key=key, UpdateExpression="SET _123 = :v", ExpressionAttributeValues={":v": av(1)})
    for expr in ("SET _abc = :v", "SET 123a = :v", "SET a = _f(:v)"):
        validation(dynamodb.update_item, contains="Syntax error", TableName=table, Key=key, UpdateExpression=expr,
                   ExpressionAttributeValues={":v": av(1)})
    validation(dynamodb.scan, contains=['Invalid FilterExpression: Syntax error; token: "_"'], TableName=table,
               FilterExpression="_x = :v", ExpressionAttributeValues={":v": av(1)})
    validation(dynamodb.get_item, contains=['Invalid ProjectionExpression: Syntax error; token: "_"'], TableName=table,
               Key=key, ProjectionExpression="a, _b")
    got = upd("SET A123_ = :v, #_ = :v, #1a = :v", {":v": 1}, {"#_": "under", "#1a": "digit"})
    assert got["A123_"] == 1 and got["under"] == 1 and got["digit"] == 1


def test_nested_list_append_is_rejected(upd, dynamodb):
    """test_update_expression_function_nesting: AWS parses list_append(list_append(...), ...) and refuses it; a
    list_append around if_not_exists is fine."""
    table = create_table(dynamodb)
    for expr in ("SET a = list_append(list_append(:v1, :v2), :v3)", "SET a = list_append(:v1, list_append(:v2, :v3))"):
        validation(dynamodb.update_item, "Invalid UpdateExpression: The function is not allowed to be used this way in "
                   "an expression; function: list_append", TableName=table, Key=item(pk="k"), UpdateExpression=expr,
                   ExpressionAttributeValues={":v1": av(["a"]), ":v2": av(["b"]), ":v3": av(["c"])})
    got = upd("SET nl = list_append(if_not_exists(nl, :empty), :more)", {":empty": [], ":more": [1]})
    assert got["nl"] == [1]


def test_remove_nested_path_on_a_missing_item(dynamodb):
    """test_nested_attribute_remove_from_missing_item: on a missing item REMOVE x.y and x[0] succeed and create nothing;
    on an existing item without x they stay errors."""
    table = create_table(dynamodb)
    for expr in ("REMOVE x.y", "REMOVE x[0]", "REMOVE x.y, z[3].w"):
        dynamodb.update_item(TableName=table, Key=item(pk="absent"), UpdateExpression=expr)
        assert "Item" not in dynamodb.get_item(TableName=table, Key=item(pk="absent"))
    dynamodb.put_item(TableName=table, Item=item(pk="here"))
    validation(dynamodb.update_item, "The document path provided in the update expression is invalid for update",
               TableName=table, Key=item(pk="here"), UpdateExpression="REMOVE x.y")

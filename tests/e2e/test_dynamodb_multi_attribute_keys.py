"""DynamoDB multi-attribute GSI keys (AWS since November 2025; issue 15, item 12).

AWS's rules (DynamoDB Developer Guide, "Multi-attribute key schema" and "Multi-attribute keys
pattern"; moto's AWS-verified tests tests/test_dynamodb/test_dynamodb_multi_attribute_gsi.py;
ScyllaDB's conformance tests test/alternator/test_gsi_composite_keys.py):
- a GSI's KeySchema holds one to four HASH elements, then up to four RANGE elements; tables and LSIs
  keep one HASH and at most one RANGE;
- an item is in the index only when it has every key attribute of the index;
- Query needs equality on every HASH attribute; the RANGE attributes are used left to right, with
  equalities on the leading ones and at most one final condition on the last one used; skipping one
  is a ValidationException naming it;
- results are ordered by the RANGE attributes in KeySchema order; LastEvaluatedKey holds the table's
  key and every key attribute of the index;
- a FilterExpression may not name a key attribute of the queried index.

The CreateTable messages for too many HASH elements and HASH after RANGE are the ones alchemy-run/
alchemy#1216 probed against DynamoDB; the other messages follow DynamoDB's for the same mistakes on a
single-attribute key.

test_random_queries_match_model is a seeded differential check of Query against a Python model
(MALLARD_MAK_SEED=<n> to replay a printed seed).
"""

from __future__ import annotations

import os
import random
from decimal import Decimal

import pytest

from ddb_e2e import av, create_table, expect_error, item, plain, unique, validation, wait_active

MISSED = "Query condition missed key schema element: "
NOT_SUPPORTED = "Query key condition not supported"


def gsi_table(ddb, hashes, ranges, *, base=(("pk", "S"),), projection="ALL", name=None):
    """A table keyed by `base` with one GSI "gsi" on HASH `hashes` and RANGE `ranges` ((name, type) lists)."""
    name = name or unique("mak")
    base_schema = [{"AttributeName": base[0][0], "KeyType": "HASH"}]
    if len(base) > 1:
        base_schema.append({"AttributeName": base[1][0], "KeyType": "RANGE"})
    definitions = {n: t for n, t in list(base) + list(hashes) + list(ranges)}
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=base_schema,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in definitions.items()],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi",
            "KeySchema": [{"AttributeName": n, "KeyType": "HASH"} for n, _ in hashes] +
                         [{"AttributeName": n, "KeyType": "RANGE"} for n, _ in ranges],
            "Projection": {"ProjectionType": projection},
        }])
    wait_active(ddb, name)
    return name


def query_all(ddb, **kwargs):
    items = []
    while True:
        out = ddb.query(**kwargs)
        items.extend(out["Items"])
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def q(ddb, table, condition, values, **kwargs):
    return query_all(ddb, TableName=table, IndexName="gsi", KeyConditionExpression=condition,
                     ExpressionAttributeValues={k: av(v) for k, v in values.items()}, **kwargs)


def pks(items):
    return [i["pk"]["S"] for i in items]


@pytest.fixture
def t2h2r(dynamodb):
    """2 HASH (h1 S, h2 N) + 2 RANGE (r1 S, r2 N) with a few items in partition (a, 1)."""
    name = gsi_table(dynamodb, [("h1", "S"), ("h2", "N")], [("r1", "S"), ("r2", "N")])
    rows = [("p1", "a", 1, "x", 3), ("p2", "a", 1, "x", 1), ("p3", "a", 1, "y", 2), ("p4", "a", 1, "x", 2),
            ("p5", "a", 2, "x", 1), ("p6", "b", 1, "x", 1), ("p7", "a", 1, "xa", 0)]
    for pk, h1, h2, r1, r2 in rows:
        dynamodb.put_item(TableName=name, Item=item(pk=pk, h1=h1, h2=h2, r1=r1, r2=r2, extra="e" + pk))
    # Sparse: each lacks one key attribute, so none is in the index.
    dynamodb.put_item(TableName=name, Item=item(pk="m1", h1="a", r1="x", r2=1))
    dynamodb.put_item(TableName=name, Item=item(pk="m2", h1="a", h2=1, r2=1))
    dynamodb.put_item(TableName=name, Item=item(pk="m3", h1="a", h2=1, r1="x"))
    return name


# ---------------------------------------------------------------------------------------------
# CreateTable / DescribeTable / UpdateTable
# ---------------------------------------------------------------------------------------------


def test_create_and_describe_keep_key_schema_order(dynamodb):
    name = gsi_table(dynamodb, [("a", "S"), ("b", "N"), ("c", "B"), ("d", "S")],
                     [("e", "N"), ("f", "S"), ("g", "B"), ("h", "S")])
    table = dynamodb.describe_table(TableName=name)["Table"]
    gsi = table["GlobalSecondaryIndexes"][0]
    assert gsi["KeySchema"] == [{"AttributeName": n, "KeyType": "HASH"} for n in "abcd"] + \
                               [{"AttributeName": n, "KeyType": "RANGE"} for n in "efgh"]
    assert gsi["IndexStatus"] == "ACTIVE"
    definitions = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    assert definitions == {"pk": "S", "a": "S", "b": "N", "c": "B", "d": "S", "e": "N", "f": "S", "g": "B", "h": "S"}
    # Two HASH attributes and no RANGE one.
    name2 = gsi_table(dynamodb, [("a", "S"), ("b", "S")], [])
    gsi2 = dynamodb.describe_table(TableName=name2)["Table"]["GlobalSecondaryIndexes"][0]
    assert gsi2["KeySchema"] == [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"}]


def _create(ddb, gsi_keys, definitions=None, **extra):
    names = {k["AttributeName"] for k in gsi_keys} | {"pk"}
    definitions = definitions or [{"AttributeName": n, "AttributeType": "S"} for n in sorted(names)]
    return ddb.create_table(TableName=unique("bad"), BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=definitions,
                            GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": gsi_keys,
                                                     "Projection": {"ProjectionType": "ALL"}}], **extra)


def H(n):
    return {"AttributeName": n, "KeyType": "HASH"}


def R(n):
    return {"AttributeName": n, "KeyType": "RANGE"}


@pytest.mark.parametrize("keys, message", [
    ([H("a"), H("b"), H("c"), H("d"), H("e")],
     "Invalid KeySchema: The KeySchema exceeds the maximum allowed number of HASH key attributes"),
    ([H("h"), R("a"), R("b"), R("c"), R("d"), R("e")],
     "Invalid KeySchema: The KeySchema exceeds the maximum allowed number of RANGE key attributes"),
    ([H("a"), R("b"), H("c")],
     "Invalid KeySchema: All HASH key attributes must precede RANGE key attributes in the KeySchema"),
    ([R("a"), H("b")], "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    ([H("a"), H("a")], "Invalid KeySchema: Duplicate key attribute name: a"),
    ([H("a"), H("b"), R("a")], "Invalid KeySchema: Duplicate key attribute name: a"),
    ([H("a"), R("a")], "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
])
def test_create_rejects_bad_multi_attribute_key_schemas(dynamodb, keys, message):
    validation(_create, message, ddb=dynamodb, gsi_keys=keys)


def test_create_needs_definitions_for_every_key_attribute(dynamodb):
    e = validation(_create, ddb=dynamodb, gsi_keys=[H("a"), H("b")],
                   definitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                {"AttributeName": "a", "AttributeType": "S"}])
    assert "Some index key attributes are not defined in AttributeDefinitions" in e.response["Error"]["Message"]


def test_tables_and_local_indexes_keep_one_hash_and_one_range(dynamodb):
    validation(dynamodb.create_table, contains="Member must have length less than or equal to 2",
               TableName=unique("bad"), BillingMode="PAY_PER_REQUEST",
               KeySchema=[H("a"), R("b"), R("c")],
               AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in "abc"])
    validation(dynamodb.create_table, contains="Member must have length less than or equal to 2",
               TableName=unique("bad"), BillingMode="PAY_PER_REQUEST", KeySchema=[H("a"), R("b")],
               AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in "abcd"],
               LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [H("a"), R("c"), R("d")],
                                       "Projection": {"ProjectionType": "ALL"}}])


def test_update_table_adds_a_multi_attribute_index_and_backfills(dynamodb):
    name = create_table(dynamodb)
    for i in range(6):
        dynamodb.put_item(TableName=name, Item=item(pk=f"p{i}", t="T", area="eu" if i % 2 else "us", lap=i))
    dynamodb.put_item(TableName=name, Item=item(pk="lacks-lap", t="T", area="eu"))
    dynamodb.put_item(TableName=name, Item=item(pk="wrong-type", t="T", area="eu", lap="1"))
    dynamodb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "t", "AttributeType": "S"},
                              {"AttributeName": "area", "AttributeType": "S"},
                              {"AttributeName": "lap", "AttributeType": "N"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "gsi",
                                                 "KeySchema": [H("t"), H("area"), R("lap")],
                                                 "Projection": {"ProjectionType": "ALL"}}}])
    table = wait_active(dynamodb, name)
    assert table["GlobalSecondaryIndexes"][0]["KeySchema"] == [H("t"), H("area"), R("lap")]
    got = q(dynamodb, name, "t = :t AND area = :r", {":t": "T", ":r": "eu"})
    assert pks(got) == ["p1", "p3", "p5"]
    assert len(dynamodb.scan(TableName=name, IndexName="gsi")["Items"]) == 6
    # Too many HASH attributes are refused on UpdateTable as on CreateTable.
    validation(dynamodb.update_table,
               "Invalid KeySchema: The KeySchema exceeds the maximum allowed number of HASH key attributes",
               TableName=name,
               AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in "vwxyz"],
               GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "gsi2",
                                                        "KeySchema": [H(n) for n in "vwxyz"],
                                                        "Projection": {"ProjectionType": "ALL"}}}])


# ---------------------------------------------------------------------------------------------
# Writes keep the index right
# ---------------------------------------------------------------------------------------------


def test_sparse_items_are_not_indexed(dynamodb, t2h2r):
    scanned = dynamodb.scan(TableName=t2h2r, IndexName="gsi")["Items"]
    assert sorted(pks(scanned)) == ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]


def test_put_update_delete_keep_the_index(dynamodb, t2h2r):
    part = {":a": "a", ":b": 1}
    cond = "h1 = :a AND h2 = :b"
    assert pks(q(dynamodb, t2h2r, cond, part)) == ["p2", "p4", "p1", "p7", "p3"]
    # Adding the missing attribute puts m3 in; removing one takes p4 out; changing one moves p2.
    dynamodb.update_item(TableName=t2h2r, Key=item(pk="m3"), UpdateExpression="SET r2 = :v",
                         ExpressionAttributeValues={":v": av(0)})
    dynamodb.update_item(TableName=t2h2r, Key=item(pk="p4"), UpdateExpression="REMOVE r1")
    dynamodb.update_item(TableName=t2h2r, Key=item(pk="p2"), UpdateExpression="SET h2 = :v",
                         ExpressionAttributeValues={":v": av(2)})
    assert pks(q(dynamodb, t2h2r, cond, part)) == ["m3", "p1", "p7", "p3"]
    # p2 and p5 now have equal index keys: DynamoDB orders such entries by table key, in no order we fix.
    assert sorted(pks(q(dynamodb, t2h2r, cond, {":a": "a", ":b": 2}))) == ["p2", "p5"]
    dynamodb.delete_item(TableName=t2h2r, Key=item(pk="p1"))
    dynamodb.put_item(TableName=t2h2r, Item=item(pk="p3", h1="b", h2=1, r1="x", r2=0))
    assert pks(q(dynamodb, t2h2r, cond, part)) == ["m3", "p7"]
    assert pks(q(dynamodb, t2h2r, cond, {":a": "b", ":b": 1})) == ["p3", "p6"]


def test_writes_check_every_index_key_attribute(dynamodb, t2h2r):
    validation(dynamodb.put_item,
               "One or more parameter values were invalid: Type mismatch for Index Key h2 Expected: N Actual: S "
               "IndexName: gsi",
               TableName=t2h2r, Item=item(pk="z", h1="a", h2="1", r1="x", r2=1))
    validation(dynamodb.put_item,
               "One or more parameter values were invalid: Type mismatch for Index Key r2 Expected: N Actual: S "
               "IndexName: gsi",
               TableName=t2h2r, Item=item(pk="z", r2="1"))
    validation(dynamodb.put_item, contains=["empty string value", "IndexKey: r1"],
               TableName=t2h2r, Item=item(pk="z", h1="a", h2=1, r1="", r2=1))
    # The RANGE values of a multi-attribute key count together against 1,024 bytes.
    validation(dynamodb.put_item,
               "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the "
               "size limit of 1024 bytes",
               TableName=t2h2r, Item=item(pk="z", h1="a", h2=1, r1="r" * 1020, r2=Decimal("1" * 38)))


# ---------------------------------------------------------------------------------------------
# Query
# ---------------------------------------------------------------------------------------------


def test_query_orders_by_the_range_attributes_in_order(dynamodb, t2h2r):
    part = {":a": "a", ":b": 1}
    got = q(dynamodb, t2h2r, "h1 = :a AND h2 = :b", part)
    assert [(i["r1"]["S"], i["r2"]["N"]) for i in got] == [("x", "1"), ("x", "2"), ("x", "3"), ("xa", "0"), ("y", "2")]
    back = q(dynamodb, t2h2r, "h1 = :a AND h2 = :b", part, ScanIndexForward=False)
    assert pks(back) == list(reversed(pks(got)))


@pytest.mark.parametrize("condition, values, expected", [
    ("r1 = :x", {":x": "x"}, ["p2", "p4", "p1"]),
    ("r1 > :x", {":x": "x"}, ["p7", "p3"]),
    ("r1 >= :x", {":x": "x"}, ["p2", "p4", "p1", "p7", "p3"]),
    ("r1 < :x", {":x": "xa"}, ["p2", "p4", "p1"]),
    ("r1 <= :x", {":x": "xa"}, ["p2", "p4", "p1", "p7"]),
    ("r1 BETWEEN :x AND :y", {":x": "xa", ":y": "y"}, ["p7", "p3"]),
    ("begins_with(r1, :x)", {":x": "x"}, ["p2", "p4", "p1", "p7"]),
    ("r1 = :x AND r2 = :n", {":x": "x", ":n": 2}, ["p4"]),
    ("r1 = :x AND r2 > :n", {":x": "x", ":n": 1}, ["p4", "p1"]),
    ("r1 = :x AND r2 <= :n", {":x": "x", ":n": 2}, ["p2", "p4"]),
    ("r1 = :x AND r2 BETWEEN :n AND :m", {":x": "x", ":n": 2, ":m": 9}, ["p4", "p1"]),
    ("r2 < :n AND r1 = :x", {":x": "x", ":n": 3}, ["p2", "p4"]),
])
def test_query_with_a_prefix_of_the_range_attributes(dynamodb, t2h2r, condition, values, expected):
    got = q(dynamodb, t2h2r, "h2 = :b AND h1 = :a AND " + condition, {":a": "a", ":b": 1, **values})
    assert pks(got) == expected
    assert pks(q(dynamodb, t2h2r, "h2 = :b AND h1 = :a AND " + condition, {":a": "a", ":b": 1, **values},
                 ScanIndexForward=False)) == list(reversed(expected))


@pytest.mark.parametrize("condition, values, message", [
    ("h1 = :a", {":a": "a"}, MISSED + "h2"),
    ("h2 = :b AND r1 = :x", {":b": 1, ":x": "x"}, MISSED + "h1"),
    ("h1 = :a AND h2 > :b", {":a": "a", ":b": 1}, NOT_SUPPORTED),
    ("h1 = :a AND h2 = :b AND r2 = :n", {":a": "a", ":b": 1, ":n": 1}, MISSED + "r1"),
    ("h1 = :a AND h2 = :b AND r2 > :n", {":a": "a", ":b": 1, ":n": 1}, MISSED + "r1"),
    ("h1 = :a AND h2 = :b AND r1 > :x AND r2 = :n", {":a": "a", ":b": 1, ":x": "x", ":n": 1}, NOT_SUPPORTED),
    ("h1 = :a AND h2 = :b AND begins_with(r1, :x) AND r2 = :n", {":a": "a", ":b": 1, ":x": "x", ":n": 1},
     NOT_SUPPORTED),
    ("h1 = :a AND h2 = :b AND extra = :x", {":a": "a", ":b": 1, ":x": "x"}, MISSED + "r1"),
    ("h1 = :a AND h2 = :b AND r1 = :x AND r2 = :n AND extra = :e",
     {":a": "a", ":b": 1, ":x": "x", ":n": 1, ":e": "e"},
     "The number of query conditions (5) exceeds the number of key attributes defined in the schema (4)"),
    ("h1 = :a AND h2 = :b", {":a": "a", ":b": "1"},
     "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ("h1 = :a AND h2 = :b AND r1 = :x AND r2 = :n", {":a": "a", ":b": 1, ":x": "x", ":n": "1"},
     "One or more parameter values were invalid: Condition parameter type does not match schema type"),
])
def test_query_rejects_what_is_not_a_key_prefix(dynamodb, t2h2r, condition, values, message):
    validation(dynamodb.query, message, TableName=t2h2r, IndexName="gsi", KeyConditionExpression=condition,
               ExpressionAttributeValues={k: av(v) for k, v in values.items()})


def test_filter_may_not_name_an_index_key_attribute(dynamodb, t2h2r):
    for attribute in ("h2", "r2"):
        validation(dynamodb.query,
                   "Filter Expression can only contain non-primary key attributes: Primary key attribute: " + attribute,
                   TableName=t2h2r, IndexName="gsi", KeyConditionExpression="h1 = :a AND h2 = :b",
                   FilterExpression=f"{attribute} = :v",
                   ExpressionAttributeValues={":a": av("a"), ":b": av(1), ":v": av(1)})
    got = q(dynamodb, t2h2r, "h1 = :a AND h2 = :b", {":a": "a", ":b": 1, ":e": "ep4"}, FilterExpression="extra = :e")
    assert pks(got) == ["p4"]


def test_legacy_key_conditions(dynamodb, t2h2r):
    conditions = {"h1": {"ComparisonOperator": "EQ", "AttributeValueList": [av("a")]},
                  "h2": {"ComparisonOperator": "EQ", "AttributeValueList": [av(1)]},
                  "r1": {"ComparisonOperator": "EQ", "AttributeValueList": [av("x")]},
                  "r2": {"ComparisonOperator": "GT", "AttributeValueList": [av(1)]}}
    out = dynamodb.query(TableName=t2h2r, IndexName="gsi", KeyConditions=conditions)
    assert pks(out["Items"]) == ["p4", "p1"]
    del conditions["r1"]
    validation(dynamodb.query, MISSED + "r1", TableName=t2h2r, IndexName="gsi", KeyConditions=conditions)


def test_keys_only_projection_returns_every_key_attribute(dynamodb):
    name = gsi_table(dynamodb, [("a", "S"), ("b", "S")], [("c", "N"), ("d", "S")], projection="KEYS_ONLY")
    dynamodb.put_item(TableName=name, Item=item(pk="p", a="A", b="B", c=1, d="D", other="o"))
    got = q(dynamodb, name, "a = :a AND b = :b", {":a": "A", ":b": "B"})
    assert [plain(i) for i in got] == [{"pk": "p", "a": "A", "b": "B", "c": 1, "d": "D"}]


# ---------------------------------------------------------------------------------------------
# Paging and Scan
# ---------------------------------------------------------------------------------------------


def test_query_pages_with_limit_and_exclusive_start_key(dynamodb, t2h2r):
    kwargs = dict(TableName=t2h2r, IndexName="gsi", KeyConditionExpression="h1 = :a AND h2 = :b",
                  ExpressionAttributeValues={":a": av("a"), ":b": av(1)}, Limit=2)
    first = dynamodb.query(**kwargs)
    assert pks(first["Items"]) == ["p2", "p4"]
    assert plain(first["LastEvaluatedKey"]) == {"pk": "p4", "h1": "a", "h2": 1, "r1": "x", "r2": 2}
    second = dynamodb.query(**kwargs, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert pks(second["Items"]) == ["p1", "p7"]
    third = dynamodb.query(**kwargs, ExclusiveStartKey=second["LastEvaluatedKey"])
    assert pks(third["Items"]) == ["p3"] and "LastEvaluatedKey" not in third
    back = dynamodb.query(**kwargs, ScanIndexForward=False, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert pks(back["Items"]) == ["p2"]
    # A start key must be exactly the table's and the index's key attributes, in the query's partition.
    incomplete = dict(first["LastEvaluatedKey"])
    del incomplete["r2"]
    validation(dynamodb.query, "The provided starting key is invalid", **kwargs, ExclusiveStartKey=incomplete)
    elsewhere = dict(first["LastEvaluatedKey"], h2=av(2))
    validation(dynamodb.query, "The provided starting key is invalid", **kwargs, ExclusiveStartKey=elsewhere)


def test_scan_of_the_index_pages_in_index_order(dynamodb, t2h2r):
    whole = dynamodb.scan(TableName=t2h2r, IndexName="gsi")["Items"]
    assert len(whole) == 7
    seen, start = [], None
    while True:
        kwargs = dict(TableName=t2h2r, IndexName="gsi", Limit=3)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = dynamodb.scan(**kwargs)
        seen.extend(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "h1", "h2", "r1", "r2"}
    assert pks(seen) == pks(whole)
    # Within a partition the scan follows the range attributes, as Query does.
    partition = [p for p in pks(whole) if p in ("p1", "p2", "p3", "p4", "p7")]
    assert partition == ["p2", "p4", "p1", "p7", "p3"]
    filtered = dynamodb.scan(TableName=t2h2r, IndexName="gsi", FilterExpression="r2 = :n",
                             ExpressionAttributeValues={":n": av(1)})["Items"]
    assert sorted(pks(filtered)) == ["p2", "p5", "p6"]


def test_partiql_select_from_the_index(dynamodb, t2h2r):
    out = dynamodb.execute_statement(
        Statement=f'SELECT pk FROM "{t2h2r}"."gsi" WHERE h1 = ? AND h2 = ? AND r1 = ?',
        Parameters=[av("a"), av(1), av("x")])
    assert sorted(i["pk"]["S"] for i in out["Items"]) == ["p1", "p2", "p4"]


# ---------------------------------------------------------------------------------------------
# Randomised differential check against a Python model
# ---------------------------------------------------------------------------------------------

HASHES = [("ha", "S"), ("hb", "N")]
RANGES = [("ra", "N"), ("rb", "S"), ("rc", "B")]
DOMAINS = {
    "ha": ["u", "v"], "hb": [Decimal(1), Decimal(2)],
    "ra": [Decimal(-2), Decimal("0.5"), Decimal(1), Decimal(10)], "rb": ["a", "ab", "b", "ba"],
    "rc": [b"\x00", b"\x00\x01", b"\x01", b"\xff"],
}
OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"]


def _order(value):
    return value if not isinstance(value, str) else value.encode()


def _matches(op, value, bound, upper=None):
    v, b = _order(value), _order(bound)
    if op == "=":
        return v == b
    if op == "<":
        return v < b
    if op == "<=":
        return v <= b
    if op == ">":
        return v > b
    if op == ">=":
        return v >= b
    if op == "BETWEEN":
        return b <= v <= _order(upper)
    return v[:len(b)] == b  # begins_with (S and B)


def test_random_queries_match_model(dynamodb):
    seed = int(os.environ.get("MALLARD_MAK_SEED", random.randrange(1 << 30)))
    print(f"multi-attribute key differential seed: {seed} (MALLARD_MAK_SEED={seed} to replay)")
    rng = random.Random(seed)
    name = gsi_table(dynamodb, HASHES, RANGES)
    rows = []
    for n in range(120):
        row = {"pk": f"k{n:03d}"}
        for attr, values in DOMAINS.items():
            if rng.random() < 0.93:  # some items lack a key attribute: not in the index
                row[attr] = rng.choice(values)
        rows.append(row)
        dynamodb.put_item(TableName=name, Item=item(**row))
    indexed = [r for r in rows if all(a in r for a in DOMAINS)]
    for _ in range(150):
        values = {":h0": rng.choice(DOMAINS["ha"]), ":h1": rng.choice(DOMAINS["hb"])}
        parts = ["ha = :h0", "hb = :h1"]
        used = rng.randrange(len(RANGES) + 1)
        expected = [r for r in indexed if r["ha"] == values[":h0"] and r["hb"] == values[":h1"]]
        for i in range(used):
            attr, kind = RANGES[i]
            bound = rng.choice(DOMAINS[attr])
            last = i == used - 1
            op = rng.choice([o for o in OPS if kind != "N" or o != "begins_with"]) if last else "="
            values[f":r{i}"] = bound
            if op == "BETWEEN":
                upper = rng.choice([d for d in DOMAINS[attr] if _order(d) >= _order(bound)])
                values[f":u{i}"] = upper
                parts.append(f"{attr} BETWEEN :r{i} AND :u{i}")
                expected = [r for r in expected if _matches(op, r[attr], bound, upper)]
            elif op == "begins_with":
                parts.append(f"begins_with({attr}, :r{i})")
                expected = [r for r in expected if _matches(op, r[attr], bound)]
            else:
                parts.append(f"{attr} {op} :r{i}")
                expected = [r for r in expected if _matches(op, r[attr], bound)]
        rng.shuffle(parts)
        forward = rng.random() < 0.6
        limit = rng.choice([None, 1, 2, 5])
        kwargs = {"ScanIndexForward": forward}
        if limit:
            kwargs["Limit"] = limit
        got = q(dynamodb, name, " AND ".join(parts), values, **kwargs)
        got_rows = [plain(i) for i in got]
        context = f"seed {seed}: {' AND '.join(parts)} {values} forward={forward} limit={limit}"
        assert sorted(r["pk"] for r in got_rows) == sorted(r["pk"] for r in expected), context
        order = [tuple(_order(r[a]) for a, _ in RANGES) for r in got_rows]
        assert order == sorted(order, reverse=not forward), context
